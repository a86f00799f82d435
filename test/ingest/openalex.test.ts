import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { openInput } from '../../src/ingest/lines.ts';
import { readOpenAlex } from '../../src/ingest/openalex.ts';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/ingest/records.ts';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { Store } from '../../src/store/store.ts';
import { INPUT, MIRROR, collect, streamOf, tempDir, writeTemp } from '../helpers/fixtures.ts';

test('reads the current snapshot schema: ids, DOI, PMID, authorships, topics, funders', async () => {
  const items = await collect(readOpenAlex(openInput(join(INPUT, 'openalex-current.jsonl'))));
  assert.equal(items.length, 3);
  const first = items[0]!;
  assert.ok(first.ok);
  const w = first.record;
  assert.equal(w.sourceId, 'W4300000001');
  assert.equal(w.doi, '10.1109/test.2022.0001');
  assert.equal(w.pmid, '36000001');
  assert.equal(w.year, 2022);
  assert.equal(w.authorships.length, 2);
  assert.deepEqual(w.authorships[0]!.affiliations[0], {
    raw: 'Department of Automation, Tsinghua University, Beijing 100084, China',
    givenRorIds: ['03cve4549'],
    givenNames: ['Tsinghua University'],
    givenCountryCodes: ['CN'],
  });
  assert.equal(w.authorships[0]!.isCorresponding, true);
  assert.deepEqual(w.authorships[1]!.affiliations[0]!.givenRorIds, []);
  assert.deepEqual(
    w.fields.map((f) => f.scheme),
    ['openalex-topic', 'openalex-concept'],
  );
  assert.deepEqual(w.funders, ['National Natural Science Foundation of China']);
  const third = items[2]!;
  assert.ok(third.ok && third.record.doi === '10.1000/xyz.3', 'a bare DOI is accepted');
});

test('reads an API page ({meta, results}) and a JSON array the same way', async () => {
  const work = { id: 'https://openalex.org/W1', publication_year: 2020, authorships: [] };
  const page = await collect(readOpenAlex(streamOf(JSON.stringify({ meta: { count: 2, next_cursor: null }, results: [work, { ...work, id: 'https://openalex.org/W2' }] }, null, 2))));
  const array = await collect(readOpenAlex(streamOf(JSON.stringify([work, { ...work, id: 'https://openalex.org/W2' }], null, 1))));
  for (const items of [page, array])
    assert.deepEqual(
      items.map((i) => i.ok && i.record.sourceId),
      ['W1', 'W2'],
    );
});

test('every broken record is set aside with its line and reason; good ones around it are kept', async () => {
  const items = await collect(readOpenAlex(openInput(join(INPUT, 'openalex-broken.jsonl'))));
  const kept = items.filter((i) => i.ok).map((i) => i.ok && i.record.sourceId);
  const rejected = items.filter((i) => !i.ok).map((i) => (!i.ok ? [i.lineNo, i.reason] : null));
  assert.deepEqual(kept, ['W4300000011', 'W4300000016']);
  assert.equal(rejected.length, 4);
  assert.deepEqual(
    rejected.map((r) => r![0]),
    [2, 3, 4, 5],
  );
  assert.match(String(rejected[0]![1]), /invalid JSON/);
  assert.match(String(rejected[1]![1]), /OpenAlex work id/);
  assert.match(String(rejected[2]![1]), /publication_year/);
  assert.match(String(rejected[3]![1]), /authorships is not an array/);
});

test('the real 2022 API sample in the mirror reads completely', { skip: !existsSync(join(MIRROR, 'openalex-works-sample-tu9')) && 'data mirror not present' }, async () => {
  const items = await collect(readOpenAlex(openInput(join(MIRROR, 'openalex-works-sample-tu9/works_tu9_2022_api.json.gz'))));
  assert.equal(items.length, 410);
  assert.ok(items.every((i) => i.ok));
  const withRor = items.filter((i) => i.ok && i.record.authorships.some((a) => a.affiliations.some((f) => f.givenRorIds.length > 0)));
  assert.ok(withRor.length > 300, 'the old shape ties institutions to the single raw string');
});

const workArb = fc.record({
  id: fc.integer({ min: 1, max: 1e9 }).map((n) => `https://openalex.org/W${n}`),
  publication_year: fc.integer({ min: 1950, max: 2030 }),
  doi: fc.option(fc.integer({ min: 1, max: 1e6 }).map((n) => `https://doi.org/10.1234/x.${n}`)),
  authorships: fc.array(fc.record({ raw_affiliation_strings: fc.array(fc.string({ maxLength: 40 }), { maxLength: 2 }) }), { maxLength: 4 }),
});

test('property: corrupting any lines of a JSON Lines file loses no good record and rejects each bad one once', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(workArb, fc.constantFrom('keep', 'truncate', 'garbage', 'bad-id')), { minLength: 1, maxLength: 25 }), async (rows) => {
      const lines = rows.map(([w, how]) => {
        const json = JSON.stringify(w);
        if (how === 'truncate') return json.slice(0, Math.max(1, json.length - 3));
        if (how === 'garbage') return `{${json}`;
        if (how === 'bad-id') return JSON.stringify({ ...w, id: 'W-nope' });
        return json;
      });
      const items = await collect(readOpenAlex(streamOf(lines.join('\n'))));
      assert.equal(items.length, rows.length);
      rows.forEach(([w, how], i) => {
        const item = items[i]!;
        assert.equal(item.recordNo, i + 1);
        if (how === 'keep') assert.ok(item.ok && item.record.sourceId === w.id.replace('https://openalex.org/', ''));
        else assert.ok(!item.ok && item.reason.length > 0 && item.lineNo === i + 1);
      });
    }),
    { numRuns: 150 },
  );
});

const line = (n: number, extra: Record<string, unknown> = {}) => JSON.stringify({ id: `https://openalex.org/W${n}`, publication_year: 2021, display_name: `Work ${n}`, authorships: [{ raw_affiliation_strings: ['Zhejiang University, Hangzhou, China'] }], ...extra });
const outcome = (items: Awaited<ReturnType<typeof collect<import('../../src/ingest/records.ts').ReadItem>>>) => ({
  kept: items.filter((i) => i.ok).length,
  quarantined: items.filter((i) => !i.ok).map((i) => (i.ok ? null : `${i.lineNo}: ${i.reason}`)),
});

test('a JSON Lines file whose first line is cut and one of 999 lines has a 0xFF byte: 997 kept, 2 quarantined', async () => {
  const lines = Array.from({ length: 999 }, (_, i) => Buffer.from(line(i + 1)));
  lines[0] = lines[0]!.subarray(0, 40);
  lines[500] = Buffer.concat([lines[500]!.subarray(0, 30), Buffer.from([0xff]), lines[500]!.subarray(30)]);
  const file = Buffer.concat(lines.flatMap((l) => [l, Buffer.from('\n')]));
  const { kept, quarantined } = outcome(await collect(readOpenAlex(streamOf(file))));
  assert.equal(kept, 997);
  assert.equal(quarantined.length, 2);
  assert.match(quarantined[0]!, /^1: invalid JSON/);
  const offset = lines.slice(0, 500).reduce((n, l) => n + l.length + 1, 0) + 30;
  assert.equal(quarantined[1], `501: invalid UTF-8 (byte 0xFF) at byte offset ${offset} (byte 31 of line 501)`);
});

test('a first line cut at its start (the tail of a record, as a split or tail -c leaves it) or junk before the data is one quarantined record, not another format', async () => {
  const lines = Array.from({ length: 999 }, (_, i) => line(i + 1));
  for (const head of [lines[0]!.slice(20), 'exported by some tool, 2026-11-30', `{"id":"W0", "cut`, '{\u0017\u0001 a line of control characters']) {
    const { kept, quarantined } = outcome(await collect(readOpenAlex(streamOf([head, ...lines.slice(1)].join('\n')))));
    assert.equal(kept, 998, head);
    assert.equal(quarantined.length, 1);
    assert.match(quarantined[0]!, /^1: invalid JSON/);
  }
  const two = outcome(await collect(readOpenAlex(streamOf(['junk one', '', 'junk two', ...lines.slice(1, 4)].join('\n')))));
  assert.deepEqual([two.kept, two.quarantined.map((q) => q!.split(':')[0])], [3, ['1', '3']]);
  // A file with no JSON document near its start is still refused as what it looks like.
  await assert.rejects(collect(readOpenAlex(streamOf(`Authors,Title,Year,EID\n${'"A","T","2020",2-s2.0-1\n'.repeat(50)}${lines[1]}\n`))), (e: Error) => e instanceof InputError && /^not JSON: it looks like a Scopus CSV export/.test(e.message));
});

test('a line of 100,000 "[" then "]" (or 1,000,000 nested objects) is one quarantined record; the file goes on', async () => {
  const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
  const deepObject = `${'{"a":'.repeat(1_000_000)}1${'}'.repeat(1_000_000)}`;
  for (const text of [`${line(1)}\n${deep}\n${line(2)}\n`, `${deep}\n${line(1)}\n${line(2)}\n`, `${line(1)}\n${deepObject}\n${line(2)}\n`, `[${line(1)},${deep},${line(2)}]`]) {
    const { kept, quarantined } = outcome(await collect(readOpenAlex(streamOf(text))));
    assert.equal(kept, 2);
    assert.equal(quarantined.length, 1);
    assert.match(quarantined[0]!, /work is not a JSON object \(found an array\)|missing or malformed OpenAlex work id/);
  }
  // Nested deep inside a field the reader knows, the record is refused for that field's type.
  const nested = line(1, { display_name: 'NESTED' }).replace('"NESTED"', `${'['.repeat(50_000)}${']'.repeat(50_000)}`);
  const { quarantined } = outcome(await collect(readOpenAlex(streamOf(`${nested}\n`))));
  assert.deepEqual(quarantined, ['1: display_name is not a string']);
});

test('a value of the wrong type in a known field quarantines the record instead of becoming NULL', async () => {
  const bad = [
    line(1, { display_name: 42 }),
    line(2, { publication_year: [2020] }),
    line(3, { authorships: [{ institutions: [{ id: 'https://openalex.org/I1', ror: { id: 'x' } }], raw_affiliation_strings: ['X'] }] }),
    line(4, { topics: [{ id: 'T1', score: 'high' }] }),
    line(5, { authorships: [{ is_corresponding: 'yes', raw_affiliation_strings: ['X'] }] }),
  ];
  const { kept, quarantined } = outcome(await collect(readOpenAlex(streamOf(`${line(0)}\n${bad.join('\n')}\n`))));
  assert.equal(kept, 1);
  assert.deepEqual(
    quarantined.map((q) => q!.replace(/^\d+: /, '')),
    ['display_name is not a string', 'publication_year is not a number', 'authorships[0].institutions[].ror is not a string', 'topics[0].score is not a number', 'authorships[0].is_corresponding is not true or false'],
  );
});

test('a record longer than the limit, or with a value longer than the limit, is quarantined with the reason', async () => {
  const huge = line(2, { authorships: [{ raw_affiliation_strings: [`Univ ${'x'.repeat(100_000)}`] }] });
  const long = line(3, { abstract: 'y'.repeat(300_000) });
  const { kept, quarantined } = outcome(await collect(readOpenAlex(streamOf(`${line(1)}\n${huge}\n${long}\n${line(4)}\n`), { maxRecordBytes: 200_000 })));
  assert.equal(kept, 2);
  assert.deepEqual(quarantined, ['2: affiliation 1 of author 1 is 100005 characters long (limit 2000)', `3: line 3 is ${long.length} bytes long (limit 200000)`]);
});

test('a NUL written as \\u0000 inside a string is set aside like a raw NUL byte, naming where; a backslash before u0000 is text', async () => {
  const escaped = line(2, { authorships: [{ raw_affiliation_strings: ['Tsinghua\u0000 University'] }] });
  const literal = line(3, { title: 'a path C:\\u0000 on Windows' });
  const { kept, quarantined } = outcome(await collect(readOpenAlex(streamOf(`${line(1)}\n${escaped}\n${literal}\n`))));
  assert.ok(escaped.includes('\\u0000') && !escaped.includes('\u0000'));
  assert.equal(kept, 2);
  assert.deepEqual(quarantined, ['2: a NUL character (written \\u0000) in authorships[0].raw_affiliation_strings[0]']);
  // A NUL in a key is named as written, never printed as the character itself.
  const inKey = outcome(await collect(readOpenAlex(streamOf(`${line(4, { 'ids\u0000x': 1 })}\n`))));
  assert.deepEqual(inKey.quarantined, ['1: a NUL character (written \\u0000) in ids\\u0000x']);
});

test('a JSON array on one line longer than the record limit is read element by element; a bad element is set aside alone', async () => {
  const works = Array.from({ length: 200 }, (_, i) => line(i + 1));
  works[50] = `${works[50]!.slice(0, 20)}\u0000${works[50]!.slice(20)}`;
  const bytes = Buffer.from(`[${works.join(',')}]`);
  const broken = Buffer.concat([bytes.subarray(0, 5000), Buffer.from([0xc3]), bytes.subarray(5000)]);
  const { kept, quarantined } = outcome(await collect(readOpenAlex(streamOf(broken), { maxRecordBytes: 1024 })));
  assert.ok(bytes.length > 20 * 1024);
  assert.equal(kept, 198);
  assert.equal(quarantined.length, 2);
  assert.match(quarantined[0]!, /^1: invalid UTF-8 \(byte 0xC3\) at byte offset 5000/);
  assert.match(quarantined[1]!, /^1: NUL byte at byte offset/);
});

test('an export gzipped under a .jsonl name is read; a cut gzip keeps the records before the cut and reports the cut', async () => {
  const text = Array.from({ length: 3000 }, (_, i) => line(i + 1)).join('\n');
  const gz = gzipSync(text);
  assert.equal(outcome(await collect(readOpenAlex(openInput(writeTemp('upload.jsonl', gz))))).kept, 3000);
  const { kept, quarantined } = outcome(await collect(readOpenAlex(openInput(writeTemp('upload.jsonl', gz.subarray(0, gz.length >> 1))))));
  assert.ok(kept > 100 && kept < 3000);
  assert.equal(quarantined.length, 1);
  assert.match(quarantined[0]!, new RegExp(`^${kept + 1}: the input ends (inside this line|here): the gzip file is cut short \\(truncated\\)$`));
});

test('a file that is not JSON (a Scopus export given as OpenAlex) is refused whole, naming what it looks like', async () => {
  await assert.rejects(collect(readOpenAlex(streamOf('Authors,Title,Year,EID\n"A","T","2020",2-s2.0-1\n'))), (e: Error) => e instanceof InputError && /^not JSON: it looks like a Scopus CSV export/.test(e.message));
  await assert.rejects(collect(readOpenAlex(streamOf('\n\n  \n'))), (e: Error) => e instanceof InputError && /holds no JSON document/.test(e.message));
});

test("a funder or institution name holding U+001F (the separator of the store's lists) sets the record aside with the reason; any other value is kept as given", async () => {
  const value = fc.array(fc.constantFrom('a', 'Z', ' ', '\u001f', '\u001e', 'é', ','), { maxLength: 6 }).map((cs) => cs.join('').trim() || 'x');
  await fc.assert(
    fc.asyncProperty(value, value, async (funder, name) => {
      const work = { id: 'https://openalex.org/W1', funders: [{ display_name: funder }], authorships: [{ raw_affiliation_strings: ['Delft'], institutions: [{ ror: 'https://ror.org/02e2c7k09', display_name: name, country_code: 'NL' }] }] };
      const item = (await collect(readOpenAlex(streamOf(JSON.stringify(work)))))[0]!;
      if (funder.includes('\u001f') || name.includes('\u001f')) {
        assert.ok(!item.ok);
        assert.match(item.reason, funder.includes('\u001f') ? /^funder 1 holds the control character U\+001F/ : /^institution name 1 of affiliation 1 of author 1 holds the control character U\+001F/);
      } else {
        assert.ok(item.ok);
        assert.deepEqual([item.record.funders, item.record.authorships[0]!.affiliations[0]!.givenNames], [[funder], [name]]);
      }
    }),
    { numRuns: 200 },
  );
});

test("property: funders' and institution names' lists come out of the store as OpenAlex gave them, a name-less institution's '' included", async () => {
  // A blank name is read as ''; only names can be '' (blank funders and countries are read as absent).
  const text = fc
    .array(fc.constantFrom('a', 'Z', ' ', '\u001e', 'é', ','), { minLength: 1, maxLength: 4 })
    .map((cs) => cs.join(''))
    .filter((n) => n.trim() !== '');
  const given = fc.record({ funders: fc.uniqueArray(text, { maxLength: 3 }), names: fc.array(fc.oneof(fc.constant(''), text), { maxLength: 3 }) });
  const store = await Store.open(':memory:');
  const dir = tempDir();
  let file = 0;
  try {
    await fc.assert(
      fc.asyncProperty(fc.array(given, { minLength: 1, maxLength: 40 }), async (works) => {
        const ids = works.map((_, i) => `W${file * 100 + i + 1}`);
        const lines = works.map((w, i) => ({
          id: `https://openalex.org/${ids[i]}`,
          funders: w.funders.map((display_name) => ({ display_name })),
          authorships: [{ raw_affiliation_strings: ['Delft'], institutions: w.names.map((display_name, j) => ({ ror: `https://ror.org/0${j}e2c7k09`, display_name })) }],
        }));
        await ingestWorks(store, 'openalex', writeTemp(`works-${file++}.jsonl`, lines.map((l) => JSON.stringify(l)).join('\n'), dir), { quarantineDir: join(dir, 'q') });
        const stored = await store.all(
          `SELECT to_json(r.funders)::VARCHAR AS funders, to_json(a.given_names)::VARCHAR AS names, len(a.given_ror_ids)::DOUBLE AS rors
           FROM records r JOIN affiliations a USING (source, source_id) WHERE r.source_id IN (${ids.map((id) => `'${id}'`).join(', ')}) ORDER BY r.source_id`,
        );
        const byId = works.map((w, i) => ({ id: ids[i]!, w })).sort((x, y) => (x.id < y.id ? -1 : 1));
        assert.deepEqual(
          stored.map((r) => ({ funders: JSON.parse(r.funders as string), names: JSON.parse(r.names as string), rors: r.rors })),
          byId.map(({ w }) => ({ funders: w.funders, names: w.names, rors: w.names.length })),
        );
      }),
      { numRuns: 4 },
    );
  } finally {
    store.close();
  }
});
