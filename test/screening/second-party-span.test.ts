import assert from 'node:assert/strict';
import { test } from 'node:test';
import { realScreener } from '../helpers/screening.ts';

// Round 50: a field read as one listed party shows a more severe listed party it names (round 49) only where that name is
// written outside the words the first party was read from, and is no name of the first party's own listing.

const direct = (hits: { entry: string; inherited: unknown; sameAs: unknown }[]) => new Set(hits.filter((h) => !h.inherited && !h.sameAs).map((h) => h.entry));

test('a listed name inside the words the listed party was read from is no second party', async () => {
  const screener = await realScreener();
  for (const field of ['School of Computer Science, Guilin University of Electronic Science and Technology, China', 'Guilin University of Electronic Science and Technology, China']) {
    const r = screener.screen(field);
    assert.deepEqual([...direct(r.hits)], ['Guilin University of Electronic Science and Technology'], r.headline);
    assert.ok(!/names several parties/.test(r.headline), r.headline);
  }
  // The parent the entry's own listing names, the field misspelt so that listing is not matched whole.
  const baotou = screener.screen('Baotou Guanghua Chemical Industrial Corporation (Parent Organiaztion: China National Nuclear Group Corporation (CNNC))');
  assert.ok(!direct(baotou.hits).has('China National Nuclear Corporation'), baotou.headline);
});

test('a more severe listed name written beside the listed party is still shown', async () => {
  const screener = await realScreener();
  for (const field of ['Guilin University of Electronic Science and Technology, University of Electronic Science and Technology of China', 'Guilin University of Electronic Technology, UESTC']) {
    const r = screener.screen(field);
    assert.ok(direct(r.hits).has('University of Electronic Science and Technology of China'), r.headline);
  }
  for (const field of [`${'Tsinghua University, '.repeat(14)}NUDT`, '清华大学，国防科技大学', 'Tsinghua University NUDT']) {
    const r = screener.screen(field);
    assert.equal(r.level, 'very-high', r.headline);
    assert.ok(direct(r.hits).has('National University of Defense Technology'), r.headline);
    assert.ok(direct(r.hits).has('Tsinghua University'), r.headline);
  }
});

test('a Chinese field of listed names written together shows every party it names, whatever their levels', async () => {
  const screener = await realScreener();
  const cases: [string, string[]][] = [
    ['北京理工大学华为', ['Beijing Institute of Technology', 'Huawei Technologies Co., Ltd.']],
    ['华为北京理工大学', ['Beijing Institute of Technology', 'Huawei Technologies Co., Ltd.']],
    ['华为清华大学', ['Tsinghua University', 'Huawei Technologies Co., Ltd.']],
    ['北京航空航天大学中兴通讯', ['Beihang University', 'ZTE Corporation']],
  ];
  for (const [field, parties] of cases) {
    const r = screener.screen(field);
    assert.equal(r.state, 'listed', r.headline);
    for (const p of parties) assert.ok(direct(r.hits).has(p), `${field}: ${p} in ${r.headline}`);
    assert.match(r.headline, /names several parties/, r.headline);
  }
  // One registry name, one company: no pair inside it.
  for (const field of ['北京理工大学珠海学院', '华为技术有限公司']) {
    const r = screener.screen(field);
    assert.ok(!/names several parties/.test(r.headline), r.headline);
    assert.equal(new Set(r.hits.filter((h) => !h.inherited && !h.sameAs).map((h) => h.organisation)).size, 1, r.headline);
  }
});
