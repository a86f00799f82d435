import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Assessor } from '../../src/assessment/assessor.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { buildScreeningContext, type ScreeningContext } from '../../src/screening/context.ts';
import { splitBracketed } from '../../src/screening/lists.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { unsensitiveCaseWith } from '../helpers/cases.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { realRegistry } from '../helpers/registry.ts';
import { demoLists } from '../helpers/screening.ts';

// An outside red team's two breaks: what a list writes in brackets after a name became an alias of
// its own. The Entity List's "System Equipment Co., Ltd. of the 28th Research Institute (Liyang)"
// made the city "Liyang" a listed alias, so "Jiangsu University of Technology, Liyang" was listed,
// high; §1286's "State Key Laboratory for Light Weight and High Strength Structural Materials
// (Central South University)" made the university the lab's alias ("Central South University" a
// hit on the lab), as "(Xidian)" did for another lab and "(affiliated with Tsinghua University)" for
// the Center for International Security and Strategy.

let ctx: ScreeningContext;
let store: Store;
let assessor: Assessor;

before(async () => {
  const { institutions, resolver } = await realRegistry();
  ctx = buildScreeningContext(demoLists(), institutions, resolver);
  store = await landscapeStore(tempDir());
  const bundle = loadBundle();
  // About screening: the empty store's co-publication counts would leave every verdict open.
  assessor = new Assessor({ store, screening: ctx, bundle: { ...bundle, rulebook: { ...bundle.rulebook, minimumEvidence: null } } });
});
after(() => store.close());

const hitsOn = (q: string, entry: RegExp) => ctx.screener.screen(q).hits.filter((h) => entry.test(h.entry));
const LIYANG_ENTRY = /^System Equipment Co\., Ltd\. of the 28th Research Institute/;
const CSU_LAB = /Lightweight, High-strength Structural Materials at Central South University/;

test('a place the list writes in brackets after a name, and gives as the address, is no alias', () => {
  for (const q of ['Liyang', 'Liyang, Jiangsu, China', 'Jiangsu University of Technology, Liyang']) {
    const r = ctx.screener.screen(q);
    assert.deepEqual(hitsOn(q, LIYANG_ENTRY), [], `${q}: ${r.state}: ${r.headline}`);
    assert.ok(!r.hits.some((h) => h.evidence.includes('"Liyang" is the listed alias')), `${q}: ${r.hits.map((h) => h.evidence).join(' | ')}`);
  }
  // The entry is still found by the names the list gives it, and quoted as the list writes them.
  for (const q of ['System Equipment Co., Ltd. of the 28th Research Institute', 'Liyang No. 28 System Equipment Co., Ltd.']) {
    const hit = hitsOn(q, LIYANG_ENTRY)[0];
    assert.ok(hit, `${q}: ${ctx.screener.screen(q).headline}`);
    assert.doesNotMatch(hit.evidence, /"Liyang" is/, `${q}: ${hit.evidence}`);
  }
});

test('a laboratory’s host university in brackets is no name of the lab', () => {
  for (const q of ['Central South University', '中南大学', 'Central South Univ', 'School of Materials Science and Engineering, Central South University']) {
    const r = ctx.screener.screen(q);
    assert.deepEqual(
      hitsOn(q, CSU_LAB).map((h) => h.evidence),
      [],
      `${q}: ${r.headline}`,
    );
    assert.ok(!r.hits.some((h) => /"Central South University" is the listed alias/.test(h.evidence)), `${q}: ${r.hits.map((h) => h.evidence).join(' | ')}`);
    // The university is listed on its own account (ASPI's tracker), by its own listed name.
    assert.ok(
      r.hits.some((h) => h.list === 'aspi-unitracker' && h.entry === 'Central South University'),
      `${q}: ${r.hits.map((h) => `${h.list}: ${h.entry}`).join('; ')}`,
    );
  }
  assert.deepEqual(hitsOn('Xidian', /Antennas and Microwave Technology at Xidian University/), []);
  assert.deepEqual(hitsOn('Affiliated with Tsinghua University', /Center for International Security and Strategy/), []);
  // The labs themselves stay listed under the names the list gives them.
  for (const [q, entry] of [
    ['State Key Laboratory for Light Weight and High Strength Structural Materials', CSU_LAB],
    ['National Key Laboratory of Science and Technology on Antennas and Microwaves', /Antennas and Microwave Technology at Xidian University/],
    ['Center for International Security and Strategy', /Center for International Security and Strategy/],
  ] as const) {
    assert.ok(hitsOn(q, entry).length > 0, `${q}: ${ctx.screener.screen(q).headline}`);
  }
});

test('the list’s notes in brackets are no names; its "a.k.a." gives the name after it', () => {
  assert.deepEqual(splitBracketed('Han Dejian (PRC individual)'), [{ value: 'Han Dejian', kind: 'primary' }]);
  assert.deepEqual(splitBracketed('Guangzhou Hongyu Technology Co., Ltd. (a subordinate institute of CETC-7)'), [{ value: 'Guangzhou Hongyu Technology Co., Ltd.', kind: 'primary' }]);
  assert.deepEqual(splitBracketed('Brian Douglas Woodford (See alternate address under Singapore)'), [{ value: 'Brian Douglas Woodford', kind: 'primary' }]);
  assert.deepEqual(splitBracketed('Mesbah Energy Company (a.k.a. “MEC”)'), [
    { value: 'Mesbah Energy Company', kind: 'primary' },
    { value: 'MEC', kind: 'alias' },
  ]);
  // A place only where the list places the entry there; an acronym after a lab is its name.
  assert.deepEqual(splitBracketed('ACM Research (Shanghai)', { country: 'China', addresses: ['No. 1690 Cailun Road, Shanghai, China'] }), [{ value: 'ACM Research', kind: 'primary' }]);
  assert.deepEqual(splitBracketed('Key Laboratory of Antennas (KLA)'), [
    { value: 'Key Laboratory of Antennas', kind: 'primary' },
    { value: 'KLA', kind: 'alias' },
  ]);
  assert.deepEqual(splitBracketed('Southwest Institute (Kursk)', { country: 'Russia' }), [
    { value: 'Southwest Institute', kind: 'primary' },
    { value: 'Kursk', kind: 'alias' },
  ]);
});

const caseWith = (partner: string) => assessor.validate(unsensitiveCaseWith(partner));

test('a case with a university in the bracketed place as partner does not hold the listing of the entry named there', async () => {
  const a = await assessor.run(caseWith('Jiangsu University of Technology, Liyang'), '2026-11-30');
  const listed = a.criteria.find((c) => c.id === 'S-PARTNER-LISTED');
  assert.ok(listed, a.criteria.map((c) => c.id).join(', '));
  assert.notEqual(listed.status, 'holds', JSON.stringify(listed.evidence));
  assert.doesNotMatch(JSON.stringify(a.criteria.flatMap((c) => c.evidence)), /28th Research Institute/);
});
