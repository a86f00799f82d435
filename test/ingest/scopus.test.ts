import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openInput } from '../../src/ingest/lines.ts';
import { readScopus } from '../../src/ingest/scopus.ts';
import { InputError } from '../../src/ingest/records.ts';
import { INPUT, MIRROR, collect, streamOf } from '../helpers/fixtures.ts';

test('reads authors with their affiliations, EID, DOI, keywords; extra funding texts fold in', async () => {
  const items = await collect(readScopus(openInput(join(INPUT, 'scopus-funding.csv'))));
  assert.equal(items.length, 4);
  const a = items[0]!.ok ? items[0]!.record : assert.fail('record 1');
  assert.equal(a.sourceId, '2-s2.0-85000000001');
  assert.deepEqual(
    a.authorships.map((x) => [x.name, x.affiliations.map((f) => f.raw)]),
    [
      ['Wang, L.', ['Tsinghua University, Beijing, China']],
      ['Müller, K.', ['Technical University of Munich, Munich, Germany']],
    ],
  );
  assert.deepEqual(
    a.authorships.map((x) => x.isCorresponding),
    [true, false],
  );
  const b = items[1]!.ok ? items[1]!.record : assert.fail('a record with two funding texts is read, not quarantined');
  assert.equal(b.authorships.length, 1);
  assert.equal(b.authorships[0]!.affiliations.length, 2, 'a second affiliation of the same author');
  assert.ok(!items[2]!.ok && /EID/.test(items[2]!.reason));
  assert.ok(!items[3]!.ok && /never closed/.test(items[3]!.reason));
});

test('an export without the EID column is refused naming the missing column', async () => {
  await assert.rejects(collect(readScopus(streamOf('Authors,Title,Year,Affiliations\n"A","T","2020","X"\n'))), (e: Error) => e instanceof InputError && /missing column\(s\): EID/.test(e.message));
});

test('the real Scopus export in the mirror reads all 58 records', { skip: !existsSync(join(MIRROR, 'scopus-export-sample-litstudy')) && 'data mirror not present' }, async () => {
  const items = await collect(readScopus(openInput(join(MIRROR, 'scopus-export-sample-litstudy/scopus.csv'))));
  assert.equal(items.length, 58);
  assert.deepEqual(
    items.filter((i) => !i.ok),
    [],
  );
});

test('property: rows with a missing EID, a bad year or a broken quote are set aside; every good row is kept in order', async () => {
  const { csvField } = await import('../../src/ingest/csv.ts');
  const fc = (await import('fast-check')).default;
  const header = 'Authors,Title,Year,Authors with affiliations,EID';
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 1, max: 9e9 }), fc.constantFrom('good', 'no-eid', 'bad-year', 'extra-column'), fc.string({ maxLength: 30 })), { minLength: 1, maxLength: 20 }), async (rows) => {
      const lines = rows.map(([n, how, title]) => {
        const eid = how === 'no-eid' ? '' : `2-s2.0-${n}`;
        const year = how === 'bad-year' ? 'MMXX' : '2021';
        const cells = ['A B.', title, year, `B, A., Univ X, City, China`, eid];
        if (how === 'extra-column') cells.splice(2, 0, 'surplus');
        return cells.map(csvField).join(',');
      });
      const items = await collect(readScopus(streamOf(`${[header, ...lines].join('\n')}\n`)));
      assert.equal(items.length, rows.length);
      rows.forEach(([n, how], i) => {
        const item = items[i]!;
        if (how === 'good') assert.ok(item.ok && item.record.sourceId === `2-s2.0-${n}`);
        else assert.ok(!item.ok && item.recordNo === i + 1 && item.reason.length > 0);
      });
    }),
    { numRuns: 150 },
  );
});

test('a row cut short mid-quote never takes the good rows after it; a last row with no line break is set aside', async () => {
  const header = 'Authors,Title,Year,Authors with affiliations,EID';
  const good = (n: number) => `"A B.","Title ${n}","2021","B, A., Univ X, Beijing, China",2-s2.0-${85000000000 + n}`;
  const text = [header, good(1), '"A B.","Title 2 cut in the mi', good(3), `"A B.","Title 4","2021","B, A., Univ X, Beijing, China",2-s2.0-8500000`].join('\n');
  const items = await collect(readScopus(streamOf(text)));
  assert.deepEqual(
    items.map((i) => (i.ok ? i.record.title : `${i.lineNo}: ${i.reason}`)),
    ['Title 1', '3: quoted field is not closed before line 4, which is a row of its own', 'Title 3', '5: the file ends inside this row, without a line break after it: it may be cut short'],
  );
});

test('a line break inside a column that never holds one (EID, Year, authors) is a damaged quote, not a long value', async () => {
  const header = 'Authors,Title,Year,Authors with affiliations,EID,Abstract';
  const text = `${header}\n"A B.","T1","2021\n","B, A., Univ X, Beijing, China",2-s2.0-85000000001,"x"\n"A B.","T2","2021","B, A., Univ X",2-s2.0-85000000002,"two\nlines"\n`;
  const items = await collect(readScopus(streamOf(text)));
  assert.deepEqual(
    items.map((i) => (i.ok ? i.record.title : `${i.lineNo}: ${i.reason}`)),
    ['2: a quoted field of column "Year" does not end on its line', '3: text after the closing quote of column 1', 'T2'],
  );
});

test('a file that is not a Scopus export is refused whole with the reason', async () => {
  const wos = 'FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nER\nEF\n';
  await assert.rejects(collect(readScopus(streamOf(wos))), (e: Error) => e instanceof InputError && /^not a Scopus CSV export: it looks like a Web of Science export/.test(e.message));
  await assert.rejects(collect(readScopus(streamOf(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0])))), (e: Error) => e instanceof InputError && /zip archive/.test(e.message));
  await assert.rejects(collect(readScopus(streamOf('EID,Year,Title\n'))), (e: Error) => e instanceof InputError && /missing column\(s\): Authors with affiliations/.test(e.message));
});
