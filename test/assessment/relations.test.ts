import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CaseService } from '../../src/service/cases.ts';
import { casesOverWatchlist, OFFICER, GREEN_CASE } from '../helpers/cases.ts';
import { rorRecord } from '../helpers/landscape.ts';

// The registry as ROR has it: Harbin Institute of Technology, and its Shenzhen graduate school's
// record, withdrawn with HIT as its successor.
const HIT = rorRecord('01yqg2h08', 'Harbin Institute of Technology', 'CN', 'Harbin');
const HITSZ = { ...rorRecord('00hwfqh10', 'Harbin Institute of Technology Shenzhen Graduate School', 'CN', 'Shenzhen'), status: 'withdrawn', relationships: [{ type: 'successor', id: 'https://ror.org/01yqg2h08', label: 'Harbin Institute of Technology' }] };
const NUDT = rorRecord('05d2yfz11', 'National University of Defense Technology', 'CN', 'Changsha');

let cases: CaseService;
let close: () => Promise<void>;

before(async () => {
  ({ cases, close } = await casesOverWatchlist(
    [
      // At the level the loaded lists give them (the ASPI tracker, Sec. 1260H).
      { name: 'Harbin Institute of Technology', country: 'China', level: 'very-high' },
      { name: 'National University of Defense Technology', country: 'China', level: 'very-high' },
      { name: 'Huawei Technologies Co., Ltd.', country: 'China', level: 'very-high' },
    ],
    [HIT, HITSZ, NUDT],
  ));
});
after(() => close());

const NAMES = [
  ['Harbin Institute of Technology Shenzhen Graduate School', 'Harbin Institute of Technology', /withdrawn ROR record 00hwfqh10/],
  ['Natl Univ Def Technol', 'National University of Defense Technology', /abbreviations read as natl = national/],
  ["Huawei Noah's Ark Lab", 'Huawei Technologies Co., Ltd.', /names a unit of Huawei Technologies Co\., Ltd\./],
] as const;

const ROLES = {
  partner: (n: string) => ({ partners: [GREEN_CASE.partners[0], { name: n, role: 'partner' }] }),
  funder: (n: string) => ({ funders: [{ name: n }] }),
  'in-kind provider': (n: string) => ({ in_kind: [{ from: n, what: 'GPU cluster' }] }),
  'personnel affiliation': (n: string) => ({ personnel: [{ name: 'C. Guest', affiliations: [n], talent_programmes: 'none', mobility: ['visit'] }] }),
};

test("the open case is green as written, so any other verdict below is the named party's doing", async () => {
  const { id } = await cases.create(OFFICER, GREEN_CASE);
  assert.equal((await cases.assess(OFFICER, id, '2026-11-22')).result.overall, 'green');
});

for (const [name, entry, how] of NAMES) {
  for (const [role, place] of Object.entries(ROLES)) {
    test(`${name} as ${role}: never green, the listing named with how it was reached`, async () => {
      const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: `${name} as ${role}`, ...place(name) });
      const { result } = await cases.assess(OFFICER, id, '2026-11-22');
      assert.notEqual(result.overall, 'green', `${name} as ${role}`);
      const notes = Object.values(result.evidence!.notes).join(' | ');
      assert.match(notes, new RegExp(`${entry.replace(/[.()]/g, '\\$&')} on my-watchlist \\(very-high`), notes);
      const party = (result.snapshot as { observations: { parties: { query: string | null; hits: { entry: string; evidence: string; inherited: unknown }[] }[] } }).observations.parties.find((p) => p.query === name)!;
      assert.ok(
        party.hits.some((h) => h.entry === entry && how.test(h.evidence)),
        JSON.stringify(party.hits.map((h) => h.evidence)),
      );
    });
  }
}
