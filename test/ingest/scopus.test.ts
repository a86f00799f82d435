import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openInput } from '../../src/ingest/lines.ts';
import { readScopus } from '../../src/ingest/scopus.ts';
import { INPUT, MIRROR, collect, streamOf } from '../helpers/fixtures.ts';

test('reads authors with their affiliations, EID, DOI, keywords; extra funding texts fold in', async () => {
  const items = await collect(readScopus(openInput(join(INPUT, 'scopus-funding.csv'))));
  assert.equal(items.length, 4);
  const a = items[0]!.ok ? items[0]!.record : assert.fail('record 1');
  assert.equal(a.sourceId, '2-s2.0-85000000001');
  assert.deepEqual(a.authorships.map((x) => [x.name, x.affiliations.map((f) => f.raw)]), [
    ['Wang, L.', ['Tsinghua University, Beijing, China']],
    ['Müller, K.', ['Technical University of Munich, Munich, Germany']],
  ]);
  assert.deepEqual(a.authorships.map((x) => x.isCorresponding), [true, false]);
  const b = items[1]!.ok ? items[1]!.record : assert.fail('a record with two funding texts is read, not quarantined');
  assert.equal(b.authorships.length, 1);
  assert.equal(b.authorships[0]!.affiliations.length, 2, 'a second affiliation of the same author');
  assert.ok(!items[2]!.ok && /EID/.test(items[2]!.reason));
  assert.ok(!items[3]!.ok && /never closed/.test(items[3]!.reason));
});

test('an export without the EID column is refused naming the missing column', async () => {
  await assert.rejects(collect(readScopus(streamOf('Authors,Title,Year,Affiliations\n"A","T","2020","X"\n'))), /missing column\(s\): EID/);
});

test('the real Scopus export in the mirror reads all 58 records', { skip: !existsSync(join(MIRROR, 'scopus-export-sample-litstudy')) && 'data mirror not present' }, async () => {
  const items = await collect(readScopus(openInput(join(MIRROR, 'scopus-export-sample-litstudy/scopus.csv'))));
  assert.equal(items.length, 58);
  assert.deepEqual(items.filter((i) => !i.ok), []);
});

test('property: rows with a missing EID, a bad year or a broken quote are set aside; every good row is kept in order', async () => {
  const { csvField } = await import('../../src/ingest/csv.ts');
  const fc = (await import('fast-check')).default;
  const header = 'Authors,Title,Year,Authors with affiliations,EID';
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.integer({ min: 1, max: 9e9 }), fc.constantFrom('good', 'no-eid', 'bad-year', 'extra-column'), fc.string({ maxLength: 30 })), { minLength: 1, maxLength: 20 }),
      async (rows) => {
        const lines = rows.map(([n, how, title]) => {
          const eid = how === 'no-eid' ? '' : `2-s2.0-${n}`;
          const year = how === 'bad-year' ? 'MMXX' : '2021';
          const cells = ['A B.', title, year, `B, A., Univ X, City, China`, eid];
          if (how === 'extra-column') cells.splice(2, 0, 'surplus');
          return cells.map(csvField).join(',');
        });
        const items = await collect(readScopus(streamOf([header, ...lines].join('\n'))));
        assert.equal(items.length, rows.length);
        rows.forEach(([n, how], i) => {
          const item = items[i]!;
          if (how === 'good') assert.ok(item.ok && item.record.sourceId === `2-s2.0-${n}`);
          else assert.ok(!item.ok && item.recordNo === i + 1 && item.reason.length > 0);
        });
      },
    ),
    { numRuns: 150 },
  );
});
