import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { openInput } from '../../src/ingest/lines.ts';
import { readOpenAlex } from '../../src/ingest/openalex.ts';
import { INPUT, MIRROR, collect, streamOf } from '../helpers/fixtures.ts';

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
    givenCountryCodes: ['CN'],
  });
  assert.equal(w.authorships[0]!.isCorresponding, true);
  assert.deepEqual(w.authorships[1]!.affiliations[0]!.givenRorIds, []);
  assert.deepEqual(w.fields.map((f) => f.scheme), ['openalex-topic', 'openalex-concept']);
  assert.deepEqual(w.funders, ['National Natural Science Foundation of China']);
  const third = items[2]!;
  assert.ok(third.ok && third.record.doi === '10.1000/xyz.3', 'a bare DOI is accepted');
});

test('reads an API page ({meta, results}) and a JSON array the same way', async () => {
  const work = { id: 'https://openalex.org/W1', publication_year: 2020, authorships: [] };
  const page = await collect(readOpenAlex(streamOf(JSON.stringify({ meta: { count: 2, next_cursor: null }, results: [work, { ...work, id: 'https://openalex.org/W2' }] }, null, 2))));
  const array = await collect(readOpenAlex(streamOf(JSON.stringify([work, { ...work, id: 'https://openalex.org/W2' }], null, 1))));
  for (const items of [page, array]) assert.deepEqual(items.map((i) => i.ok && i.record.sourceId), ['W1', 'W2']);
});

test('every broken record is set aside with its line and reason; good ones around it are kept', async () => {
  const items = await collect(readOpenAlex(openInput(join(INPUT, 'openalex-broken.jsonl'))));
  const kept = items.filter((i) => i.ok).map((i) => i.ok && i.record.sourceId);
  const rejected = items.filter((i) => !i.ok).map((i) => (!i.ok ? [i.lineNo, i.reason] : null));
  assert.deepEqual(kept, ['W4300000011', 'W4300000016']);
  assert.equal(rejected.length, 4);
  assert.deepEqual(rejected.map((r) => r![0]), [2, 3, 4, 5]);
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
