import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { realScreener } from '../helpers/screening.ts';

// A second outside red team on the round 49 build: a long field whose cuts past several.maxCuts went unread kept its first
// listed party (Tsinghua, medium) where it also names NUDT (very high) — a case YELLOW that is RED with NUDT; a field
// holding Chinese was scanned for Chinese listed names alone ("a和…和NUDT"); and separators read as links cut a unit from
// its institution ("University of Oxford : Department of Computer Science" unknown, its comma form recognised).

const LONG =
  'Tsinghua University, ETH Zurich and Tsinghua University, University of Oxford / Fudan University with Peking University · Zhejiang University • MIT ~ Stanford University -- Sorbonne Université -> KU Leuven => ETH Zurich : Tsinghua University ↔ University of Oxford 和 Fudan University、Peking University and Zhejiang University, MIT / NUDT';

test('a field read as one listed party shows a more severe listed party it also names, however far along the field', async () => {
  const screener = await realScreener();
  for (const field of [LONG, `${'Tsinghua University, '.repeat(14)}NUDT`]) {
    const r = screener.screen(field);
    assert.equal(r.state, 'listed', r.headline);
    assert.equal(r.level, 'very-high', r.headline);
    assert.ok(
      r.hits.some((h) => h.entry === 'National University of Defense Technology'),
      r.headline,
    );
  }
  // A name inside the listed name the field matched is that party, not another.
  const huawei = screener.screen('Huawei Technologies Co., Ltd.');
  assert.equal(huawei.state, 'listed');
  assert.ok(!/names several parties/.test(huawei.headline), huawei.headline);
});

test('a field holding Chinese is scanned for listed names in Latin letters too', async () => {
  const screener = await realScreener();
  for (const n of [75, 100, 150, 260]) {
    const r = screener.screen(`${'a和'.repeat(n)}NUDT`);
    assert.notEqual(r.state, 'not-listed', r.headline);
    assert.match(r.headline, /NUDT|National University of Defense Technology/, r.headline);
  }
});

test('comma-like separators cut parties and keep units as a comma does (property)', async () => {
  const screener = await realScreener();
  const state = (field: string) => {
    const r = screener.screen(field);
    return [r.state, r.level, r.institutions.map((i) => i.rorId).join(' ')].join('|');
  };
  fc.assert(
    fc.property(
      fc.constantFrom(' : ', ' · ', ' • ', '•', ' -- ', ' ~ ', ' -> ', ' => ', ' <-> ', ' → ', ' ↔ '),
      fc.constantFrom(['University of Oxford', 'Department of Computer Science'], ['Universitat de Barcelona', 'Facultat de Física'], ['CNRS', 'LIP6'], ['Huawei', 'Department of Physics'], ['ETH Zurich', 'Huawei'], ['Tsinghua University', 'NUDT'], ['ETH Zurich', 'partner to be confirmed']),
      (sep, [a, b]) => {
        assert.equal(state(`${a}${sep}${b}`), state(`${a}, ${b}`), `${a}${sep}${b}`);
      },
    ),
    { numRuns: 40 },
  );
  // Written without the spaces they are listed with, a colon is a label and a middle dot a Catalan letter.
  assert.equal(screener.screen('Partner: Huawei').state, 'listed');
  assert.notEqual(screener.screen('Col·legi de Farmacèutics').state, 'listed');
});
