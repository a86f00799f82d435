import assert from 'node:assert/strict';
import { test } from 'node:test';
import { realScreener } from '../helpers/screening.ts';

// A research-security officer pastes an affiliation: a unit's generic name beside the institution
// it belongs to. Each string below was answered as another parent's listed institute (the AMMS
// Institute of Radiation Medicine for Fudan's, the CAS Institute of Microelectronics for
// Tsinghua's), or as unknown when the parent was the Chinese or Czech Academy of Sciences.
// The namesake is shown with why where screening reads it; for a short unit name beside another
// family the resolver itself no longer reads the CAS institute (`placedElsewhere` in
// src/resolve/matcher.ts), so there is none to show (null).
const OTHER_PARENT: [string, RegExp, RegExp | null][] = [
  ['Institute of Radiation Medicine, Fudan University', /^Fudan University$/, /Institute of Radiation and Radiation Medicine/],
  ['Institute of Microelectronics, Tsinghua University', /^Tsinghua University$/, null],
  ['Inst Microelect, Tsinghua Univ', /^Tsinghua University$/, null],
  ['Institute of Microelectronics, Peking University', /^Peking University$/, null],
];

test('a generic unit name beside another parent institution is that institution, the listed namesake shown with why', async () => {
  const screener = await realScreener();
  for (const [q, parent, namesake] of OTHER_PARENT) {
    const r = screener.screen(q);
    assert.deepEqual(
      r.organisations.map((o) => o.name),
      r.organisations.filter((o) => parent.test(o.name)).map((o) => o.name),
      `${q}: ${r.headline}`,
    );
    assert.ok(r.institutions.length > 0 && r.institutions.every((i) => parent.test(i.name)), `${q}: ${JSON.stringify(r.institutions)}`);
    if (namesake === null) continue;
    const similar = r.similar.find((s) => namesake.test(s.entry));
    assert.ok(similar, `${q}: ${JSON.stringify(r.similar.map((s) => s.entry))}`);
    assert.match(similar.why, /another parent is named in the string/, q);
    assert.ok(similar.why.includes(r.institutions[0]!.name), similar.why);
  }
});

test('the same unit name beside its own parent, or with its parent abbreviated, stays the listed institute', async () => {
  const screener = await realScreener();
  for (const [q, entry] of [
    ['Institute of Microelectronics, Chinese Academy of Sciences', /Institute of Microelectronics/],
    ['Institute of Radiation Medicine, Academy of Military Medical Sciences', /Institute of Radiation and Radiation Medicine/],
    ['AMMS Institute of Radiation Medicine, Beijing', /Institute of Radiation and Radiation Medicine/],
    // A sibling under the same parent (both CAS) is no other parent.
    ['Institute of Computing Technology, University of Chinese Academy of Sciences', /Institute of Computing Technology/],
    ['Sch Comp Sci, Natl Univ Def Technol', /^National University of Defense Technology$/],
  ] as const) {
    const r = screener.screen(q);
    assert.equal(r.state, 'listed', `${q}: ${r.headline}`);
    assert.ok(
      r.hits.some((h) => entry.test(h.entry)),
      `${q}: ${r.hits.map((h) => h.entry).join('; ')}`,
    );
  }
  const amms = screener.screen('AMMS Institute of Radiation Medicine, Beijing').hits.find((h) => /Radiation/.test(h.entry))!;
  assert.match(amms.evidence, /reads "AMMS" as the listed Academy of Military Medical Sciences/);
});

test('an institute named with its academy is recognised as that institute, listed or not as the lists say', async () => {
  const screener = await realScreener();
  for (const [q, rorId, country] of [
    ['Institute of Automation, Chinese Academy of Sciences', '022c3hy66', 'CN'],
    ['Inst Automat, Chinese Acad Sci', '022c3hy66', 'CN'],
    ['Inst Automat, Chinese Acad Sci, Beijing 100190, Peoples R China', '022c3hy66', 'CN'],
    ['Institute of Software, Chinese Academy of Sciences', '033dfsn42', 'CN'],
    ['Institute of Physics, Czech Academy of Sciences', '02yhj4v17', 'CZ'],
    ['Inst Phys, Czech Acad Sci', '02yhj4v17', 'CZ'],
    ['Inst Phys, Czech Acad Sci, Prague, Czech Republic', '02yhj4v17', 'CZ'],
  ] as const) {
    const r = screener.screen(q);
    // No loaded list names these institutes (the lists name CAS's Shenyang Institute of Automation and its Institute of Physics, not these).
    assert.equal(r.state, 'not-listed', `${q}: ${r.headline}`);
    assert.deepEqual(r.hits, [], q);
    assert.equal(r.institutions[0]?.rorId, rorId, `${q}: ${JSON.stringify(r.institutions)}`);
    assert.equal(r.institutions[0]?.countryCode, country, q);
    assert.match(r.headline, new RegExp(`ROR ${rorId}\\)`), q);
  }
});
