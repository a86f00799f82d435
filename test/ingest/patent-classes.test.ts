import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { readLens, readPatstat } from '../../src/ingest/patents.ts';
import { collect, streamOf } from '../helpers/fixtures.ts';

// Round 50: a Lens cell of CPC classes holding something that is no CPC symbol ("H04L 39~/00", a byte flipped) was
// kept as a class. A CPC symbol is a section letter (A-H, Y), two digits, a letter, a main group and a subgroup.

const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
/** CPC symbols as exports write them: without a space (Lens), with one, or with ST.8's fixed positions (PATSTAT). */
const symbol = fc.tuple(fc.constantFrom(...'ABCDEFGHY'), digits(2, 2), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'), fc.constantFrom('', ' ', '   '), digits(1, 4), digits(2, 6)).map(([section, cls, subclass, space, group, subgroup]) => `${section}${cls}${subclass}${space}${group}/${subgroup}`);
/** A symbol with a character no symbol holds put in it: what a flipped byte or a stray keystroke leaves. */
const damaged = fc.tuple(symbol, fc.constantFrom('~', '-', '.', '?', '#', 'é', 'x'), fc.nat()).map(([s, c, i]) => s.slice(0, i % (s.length + 1)) + c + s.slice(i % (s.length + 1)));

const LENS_ID = '012-345-678-901-234';
const lensFile = (cpc: string) => `Lens ID,Title,Publication Year,Applicants,CPC Classifications\n${LENS_ID},Image recognition,2022,Tsinghua University;;Delft University of Technology,${cpc}\n`;

test('Lens: a cell of CPC symbols joined by ";;" is kept as those classes, however the symbols are spaced', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(symbol, { minLength: 1, maxLength: 4 }), async (codes) => {
      const [item] = await collect(readLens(streamOf(lensFile(codes.join(';;')))));
      assert.ok(item?.ok, JSON.stringify(item));
      assert.deepEqual(item.patent.cpc, codes);
    }),
  );
});

test('Lens: a patent with a piece of its CPC cell that is no CPC symbol is set aside whole, the reason naming the patent, the piece and where it stands', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(symbol, { maxLength: 3 }), damaged, fc.nat(), async (codes, bad, at) => {
      const i = at % (codes.length + 1);
      const cell = [...codes.slice(0, i), bad, ...codes.slice(i)];
      const [item] = await collect(readLens(streamOf(lensFile(cell.join(';;')))));
      assert.ok(item && !item.ok, JSON.stringify(item));
      assert.ok(item.reason.startsWith(`patent ${LENS_ID}: CPC class ${i + 1} of ${cell.length} is no CPC symbol: ${JSON.stringify(bad)} `), item.reason);
      assert.ok(item.reason.endsWith('so it is set aside whole'), item.reason);
    }),
  );
});

test('PATSTAT-like: an application with a cpc_class_symbol that is no CPC symbol is set aside whole, naming the line and the symbol; ST.8-spaced symbols are kept', async () => {
  const header = 'appln_id,appln_filing_year,person_name,person_ctry_code,applt_seq_nr,cpc_class_symbol\n';
  const items = await collect(readPatstat(streamOf(`${header}1,2020,ACME CO LTD,CN,1,G06N   3/08;H04L 9/32\n2,2021,BETA GMBH,DE,1,H04W 72/04\n2,2021,GAMMA INC,US,2,H04W 72/0~4\n`)));
  assert.deepEqual(
    items.map((x) => (x.ok ? x.patent.cpc : x.reason)),
    [
      ['G06N   3/08', 'H04L 9/32'],
      'application 2 has a row set aside: line 4: cpc_class_symbol 1 of 1 is no CPC symbol: "H04W 72/0~4" (a section letter, two digits, a letter, a main group and a subgroup: "G06N 3/08", "G06N3/08"); a class unread would leave the patent\'s technology fields incomplete, so it is set aside whole',
    ],
  );
});
