import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { openInput } from '../../src/ingest/lines.ts';
import { readWos } from '../../src/ingest/wos.ts';
import { InputError } from '../../src/ingest/records.ts';
import { INPUT, MIRROR, collect, streamOf } from '../helpers/fixtures.ts';

test('plain-text tagged format: multi-line fields, author-address links, corresponding author', async () => {
  const items = await collect(readWos(openInput(join(INPUT, 'wos-tagged.txt'))));
  assert.equal(items.length, 3);
  const first = items[0]!;
  assert.ok(first.ok);
  const w = first.record;
  assert.equal(w.sourceId, 'WOS:001000000000001');
  assert.equal(w.doi, '10.1109/mnet.2023.0001');
  assert.equal(w.year, 2023);
  assert.deepEqual(
    w.authorships.map((a) => a.name),
    ['Wang, Lei', 'Muller, Klaus'],
  );
  assert.match(w.authorships[0]!.affiliations[0]!.raw, /^Beijing Univ Posts & Telecommun/);
  assert.match(w.authorships[1]!.affiliations[0]!.raw, /Munich, Germany\.$/);
  assert.deepEqual(
    w.authorships.map((a) => a.isCorresponding),
    [true, false],
  );
  assert.deepEqual(
    w.fields.filter((f) => f.scheme === 'wos-category').map((f) => f.name),
    ['Computer Science, Information Systems', 'Telecommunications'].flatMap((n) => n.split(/;\s*/)),
  );
  assert.deepEqual(w.funders, ['National Natural Science Foundation of China']);
  const second = items[1]!;
  assert.ok(!second.ok && /UT accession number/.test(second.reason) && second.recordNo === 2);
  assert.ok(items[2]!.ok);
});

test('a tagged file cut inside a record keeps the complete records and quarantines the cut one', async () => {
  const items = await collect(readWos(openInput(join(INPUT, 'wos-tagged-truncated.txt'))));
  assert.equal(items.length, 2);
  assert.ok(items[0]!.ok);
  assert.ok(!items[1]!.ok && /no closing ER/.test(items[1]!.reason));
});

test('tab-delimited format: BOM header, addresses split per author, wrong field counts quarantined', async () => {
  const items = await collect(readWos(openInput(join(INPUT, 'wos-tab.txt'))));
  assert.equal(items.length, 4);
  const w = items[0]!.ok ? items[0]!.record : assert.fail('first record should read');
  assert.deepEqual(
    w.authorships.map((a) => a.affiliations.map((f) => f.raw)),
    [['Chinese Acad Sci, Inst Automat, Beijing 100190, Peoples R China'], ['Univ Paris Saclay, CNRS, F-91190 Gif Sur Yvette, France']],
  );
  assert.ok(!items[2]!.ok && /expected 16 tab-separated fields, found 3/.test(items[2]!.reason) && items[2]!.lineNo === 4);
  assert.ok(items[3]!.ok, 'a trailing tab is tolerated');
});

test('a file that is not a WoS export is refused as a whole with a clear message', async () => {
  await assert.rejects(collect(readWos(streamOf('hello,world\n1,2\n'))), /not a Web of Science export .*: it looks like a CSV table/);
});

test('the real tab-delimited export in the mirror reads all 4,071 records', { skip: !existsSync(join(MIRROR, 'wos-export-sample-ble-scientopy')) && 'data mirror not present' }, async () => {
  const items = await collect(readWos(openInput(join(MIRROR, 'wos-export-sample-ble-scientopy/wos_ble_2015_2026_tabdelimited.txt.gz'))));
  assert.equal(items.length, 4071);
  assert.equal(items.filter((i) => !i.ok).length, 0);
  const ids = new Set(items.map((i) => i.ok && i.record.sourceId));
  assert.equal(ids.size, 4071, 'UT is unique');
  const china = items.filter((i) => i.ok && i.record.authorships.some((a) => a.affiliations.some((f) => /Peoples R China|Hong Kong|Macau|China$/.test(f.raw))));
  assert.ok(china.length >= 502, `at least 502 records with Chinese addresses (README), got ${china.length}`);
});

test('property: tagged records in any number, some with their UT removed, are each kept or rejected once', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 1, max: 9e8 }), fc.boolean(), fc.integer({ min: 1990, max: 2030 })), { maxLength: 20 }), async (specs) => {
      const body = specs.map(([n, hasUt, year], i) => `PT J\nAU A${i}, B\nAF A${i}, Bob\nTI T${i}\nC1 [A${i}, Bob] Univ X, City, Peoples R China.\nPY ${year}\n${hasUt ? `UT WOS:${String(n).padStart(15, '0')}\n` : ''}ER\n`).join('\n');
      const items = await collect(readWos(streamOf(`FN Clarivate Analytics Web of Science\nVR 1.0\n${body}\nEF\n`)));
      assert.equal(items.length, specs.length);
      specs.forEach(([, hasUt], i) => assert.equal(items[i]!.ok, hasUt));
    }),
    { numRuns: 100 },
  );
});

const tagged = (...records: string[]) => `FN Clarivate Analytics Web of Science\nVR 1.0\n${records.join('\n')}\nEF\n`;
const wosRecord = (n: number, lines: string[] = []) => [`PT J`, `AU Author${n}, A`, `AF Author${n}, Anna`, `TI Title number ${n}`, ...lines, `C1 [Author${n}, Anna] Zhejiang Univ, Hangzhou, Peoples R China.`, `PY 2021`, `UT WOS:${String(n).padStart(15, '0')}`, 'ER', ''].join('\n');
const results = (items: import('../../src/ingest/records.ts').ReadItem[]) => items.map((i) => (i.ok ? `kept ${i.record.sourceId} ${JSON.stringify(i.record.title)}` : `quarantined line ${i.lineNo}: ${i.reason}`));

test('tagged: a junk line between TI and C1 sets that record aside whole; the other is kept with its title', async () => {
  const file = tagged(wosRecord(1).replace('TI Title number 1\n', 'TI Title number 1\nthis line is junk\n'), wosRecord(2));
  assert.deepEqual(results(await collect(readWos(streamOf(file)))), ['quarantined line 3: line 7 is neither a field tag nor a continuation: "this line is junk"', 'kept WOS:000000000000002 "Title number 2"']);
});

test('tagged: a record without ER is set aside at the next PT (or blank line); the next record is kept', async () => {
  const noEr = wosRecord(1).replace('\nER\n', '\n');
  assert.deepEqual(results(await collect(readWos(streamOf(tagged(noEr.replace(/\n$/, ''), wosRecord(2)))))), ['quarantined line 3: record has no closing ER line: the next record starts at line 10', 'kept WOS:000000000000002 "Title number 2"']);
  assert.deepEqual(results(await collect(readWos(streamOf(tagged(noEr, wosRecord(2)))))), ['quarantined line 3: record has no closing ER line (a blank line follows at line 10)', 'kept WOS:000000000000002 "Title number 2"']);
});

test('tagged: a damaged PT line or bad bytes in a record set that record aside; junk between records is reported alone', async () => {
  const bytes = Buffer.concat([Buffer.from(tagged(wosRecord(1).replace('PT J', 'P\u00a7 J'), 'not a record at all\n', wosRecord(2)).split('TI Title number 2')[0]!), Buffer.from([0x54, 0x49, 0x20, 0xc0, 0xaf]), Buffer.from(`\n${tagged(wosRecord(2), wosRecord(3)).split('TI Title number 2\n')[1]!}`)]);
  assert.deepEqual(results(await collect(readWos(streamOf(bytes)))), [
    'quarantined line 3: line 3 is neither a field tag nor a continuation: "P§ J"',
    'quarantined line 12: line 12 is neither a field tag nor a continuation: "not a record at all"',
    `quarantined line 14: line 17: invalid UTF-8 (byte 0xC0) at byte offset ${bytes.indexOf(0xc0)} (byte 4 of line 17)`,
    'kept WOS:000000000000003 "Title number 3"',
  ]);
});

test('a line before the export starts (the tail of a cut record, junk a tool wrote) is set aside alone; the export is read', async () => {
  for (const head of ['Univ, Hangzhou, Peoples R China.', 'exported 2026-11-30 by a reference manager']) {
    assert.deepEqual(results(await collect(readWos(streamOf(`${head}\n${tagged(wosRecord(1), wosRecord(2))}`)))), [
      `quarantined line 1: line 1 comes before the Web of Science export starts (line 2): ${JSON.stringify(head)}`,
      'kept WOS:000000000000001 "Title number 1"',
      'kept WOS:000000000000002 "Title number 2"',
    ]);
  }
  const tab = 'PT\tAU\tTI\tC1\tPY\tUT\nJ\tDoe, J\tA title\t[Doe, J] Zhejiang Univ, Hangzhou, Peoples R China.\t2021\tWOS:000000000000009\n';
  assert.deepEqual(results(await collect(readWos(streamOf(`junk\n\n${tab}`)))), ['quarantined line 1: line 1 comes before the Web of Science export starts (line 3): "junk"', 'kept WOS:000000000000009 "A title"']);
});

test('a C1 of 100,000 "[" or an RP of 200,000 characters is read in linear time; an unclosed "[" is a reason', async () => {
  const file = tagged(wosRecord(1, [`RP ${'x'.repeat(200_000)}`]).replace(/\nC1 [^\n]*/, `\nC1 ${'['.repeat(100_000)}`), wosRecord(2));
  const items = results(await collect(readWos(streamOf(file))));
  assert.match(items[0]!, /^quarantined line 3: C1 has an author list opened with "\[" and never closed: "\[{60}…"$/);
  assert.equal(items[1], 'kept WOS:000000000000002 "Title number 2"');
  const tab = `PT\tAU\tTI\tC1\tPY\tUT\nJ\tA, B\tT\t${'['.repeat(100_000)}${']'.repeat(100_000)}\t2020\tWOS:000000000000001\nJ\tA, B\tT\t[A, B] Univ X, Beijing, Peoples R China\t2020\tWOS:000000000000002\n`;
  const rows = results(await collect(readWos(streamOf(tab))));
  assert.match(rows[0]!, /^quarantined line 2: affiliation 1 of author \d is 99999 characters long \(limit 2000\)$/);
  assert.equal(rows[1], 'kept WOS:000000000000002 "T"');
});

test('tab-delimited: a UT cut short, or a last line with no line break, is set aside', async () => {
  const tab = `PT\tAU\tTI\tC1\tPY\tUT\nJ\tA, B\tT1\tUniv X, Beijing, Peoples R China\t2020\tWOS:0000000000\nJ\tA, B\tT2\tUniv X, Beijing, Peoples R China\t2020\tWOS:000000000000002\nJ\tA, B\tT3\tUniv Y, Paris, France\t2020\tWOS:000000000000003`;
  assert.deepEqual(results(await collect(readWos(streamOf(tab)))), ['quarantined line 2: missing or malformed UT accession number: "WOS:0000000000"', 'kept WOS:000000000000002 "T2"', 'quarantined line 4: the file ends inside this record, without a line break after it: it may be cut short']);
});

test('a file that is not a Web of Science export is refused whole with the reason (an error the HTTP layer answers 422)', async () => {
  const cases: [string, string | Buffer, RegExp][] = [
    ['Scopus CSV', 'Authors,Title,Year,EID\n"A","T","2020",2-s2.0-1\n', /not a Web of Science export .*: it looks like a Scopus CSV export/],
    ['OpenAlex', `${JSON.stringify({ id: 'https://openalex.org/W1' })}\n`, /it looks like JSON/],
    ['PDF', '%PDF-1.4\n%\u00e2\u00e3\n', /PDF document/],
    ['empty', '', /the file is empty/],
    ['blank', '\n\n\n', /nothing but blank lines/],
    ['UTF-16', Buffer.from('\ufeffFN Clarivate\n', 'utf16le'), /UTF-16/],
    ['tab without UT', 'PT\tAU\tPY\tC1\nJ\tA\t2020\tX\n', /header has no UT column/],
  ];
  for (const [what, content, reason] of cases) {
    await assert.rejects(collect(readWos(streamOf(content))), (e: Error) => e instanceof InputError && e.statusCode === 422 && reason.test(e.message), what);
  }
});
