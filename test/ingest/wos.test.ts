import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { openInput } from '../../src/ingest/lines.ts';
import { readWos } from '../../src/ingest/wos.ts';
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
  assert.deepEqual(w.authorships.map((a) => a.name), ['Wang, Lei', 'Muller, Klaus']);
  assert.match(w.authorships[0]!.affiliations[0]!.raw, /^Beijing Univ Posts & Telecommun/);
  assert.match(w.authorships[1]!.affiliations[0]!.raw, /Munich, Germany\.$/);
  assert.deepEqual(w.authorships.map((a) => a.isCorresponding), [true, false]);
  assert.deepEqual(w.fields.filter((f) => f.scheme === 'wos-category').map((f) => f.name), ['Computer Science, Information Systems', 'Telecommunications'].flatMap((n) => n.split(/;\s*/)));
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
  await assert.rejects(collect(readWos(streamOf('hello,world\n1,2\n'))), /not a Web of Science export/);
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
      const body = specs
        .map(([n, hasUt, year], i) => `PT J\nAU A${i}, B\nAF A${i}, Bob\nTI T${i}\nC1 [A${i}, Bob] Univ X, City, Peoples R China.\nPY ${year}\n${hasUt ? `UT WOS:${String(n).padStart(15, '0')}\n` : ''}ER\n`)
        .join('\n');
      const items = await collect(readWos(streamOf(`FN Clarivate Analytics Web of Science\nVR 1.0\n${body}\nEF\n`)));
      assert.equal(items.length, specs.length);
      specs.forEach(([, hasUt], i) => assert.equal(items[i]!.ok, hasUt));
    }),
    { numRuns: 100 },
  );
});
