import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asTyped, foldText } from '../../src/resolve/normalize.ts';
import { realScreener } from '../helpers/screening.ts';

const listedAs = async (q: string) => {
  const r = (await realScreener()).screen(q);
  return { state: r.state, entries: [...new Set(r.hits.map((h) => `${h.list}: ${h.entry}`))].sort(), matches: [...new Set(r.hits.map((h) => h.match))] };
};

test('a Chinese company listed where it is registered offshore is found by its name and brands (Megvii, Cayman Islands, OFAC NS-CMIC)', async () => {
  for (const q of ['Megvii Technology', 'Megvii', 'Face++', '旷视', 'Megvii Technology Limited, Cayman Islands']) {
    const r = await listedAs(q);
    assert.equal(r.state, 'listed', q);
    assert.ok(r.entries.includes('us-ofac-nscmic: Megvii Technology Limited'), `${q}: ${r.entries.join('; ')}`);
  }
  // The pluses are the brand: the bare word is no name of Megvii.
  for (const q of ['Face', 'Face Lab']) assert.deepEqual((await listedAs(q)).entries, [], q);
});

test('a city written before a listed company name that is not the entry city is a question, not a hit', async () => {
  const screener = await realScreener();
  for (const q of ['SH Hikvision', 'Shanghai Hikvision', 'SZ Megvii']) {
    const r = screener.screen(q);
    assert.equal(r.state, 'ambiguous', `${q}: ${r.headline}`);
    assert.deepEqual(r.hits, [], q);
    assert.ok(
      r.choices.some((c) => c.listed),
      `${q}: the listed company is offered`,
    );
    assert.ok(r.choices.some((c) => !c.listed));
  }
  // Its own city, the city the list writes by its initials, a province, or a city after the name (an office's) still find it.
  for (const q of ['Hangzhou Hikvision', 'SZ DJI Technology', 'BJ Megvii', 'Zhejiang Dahua', 'Hangzhou Dahua', 'Hikvision Shanghai']) assert.equal((await listedAs(q)).state, 'listed', q);
});

test('trademark, registered and copyright signs are no letters of a name', async () => {
  assert.equal(asTyped('DJI™'), 'DJI');
  assert.equal(asTyped('Huawei®Technologies'), 'Huawei Technologies');
  assert.equal(foldText('Tsinghua University™'), 'tsinghua university');
  assert.equal(foldText('Megvii© Research'), 'megvii research');
  const dji = await listedAs('DJI™');
  assert.equal(dji.state, 'listed');
  assert.ok(dji.entries.includes('us-bis-entity-list: DJI'), dji.entries.join('; '));
  const thu = await listedAs('Tsinghua University™');
  assert.deepEqual([thu.state, thu.matches], ['listed', ['exact']]);
});

test('short forms, Chinese short names and pinyin find the listed university', async () => {
  const cases: [string, string][] = [
    ['Beihang', 'Beihang University'],
    ['清华', 'Tsinghua University'],
    ['Qinghua Daxue', 'Tsinghua University'],
    ['Haerbin Gongye Daxue', 'Harbin Institute of Technology'],
    ["Ha'erbin Gongye Daxue", 'Harbin Institute of Technology'],
    ['Guofang Keji Daxue', 'National University of Defense Technology'],
  ];
  const missed = [];
  for (const [q, entry] of cases) {
    const r = await listedAs(q);
    if (r.state !== 'listed' || !r.entries.some((e) => e.endsWith(`: ${entry}`))) missed.push(`${q}: ${r.state} ${r.entries.join('; ')}`);
  }
  assert.deepEqual(missed, []);
});

test('a company named after a listed university is a question, not the university (data/lists/aliases.json named_after)', async () => {
  const screener = await realScreener();
  const cases: [string, string][] = [
    ['Beihang Technology Co', 'Beihang University'],
    ['Tsinghua University Holdings', 'Tsinghua University'],
    ['Beihang University Technology Co., Ltd.', 'Beihang University'],
    ['清华控股有限公司', 'Tsinghua University'],
    // The registry reads Tsinghua University in it: the company is still not the university.
    ['清华大学控股有限公司', 'Tsinghua University'],
    ['北航科技', 'Beihang University'],
  ];
  for (const [q, listed] of cases) {
    const r = screener.screen(q);
    assert.equal(r.state, 'ambiguous', `${q}: ${r.headline}`);
    assert.deepEqual(r.hits, [], q);
    assert.ok(r.headline.includes(`named after ${listed}`), `${q}: ${r.headline}`);
    assert.ok(
      r.choices.some((c) => c.listed && c.query === listed),
      `${q}: the listed university is offered`,
    );
    assert.ok(
      r.choices.some((c) => !c.listed),
      `${q}: the company as written is offered`,
    );
  }
  // A listed company takes its business words; a field after the university's name names no company; the short name alone is the university.
  const kept: [string, string][] = [
    ['Hikvision Technology Co', 'us-bis-entity-list: Hangzhou Hikvision Digital Technology Co., Ltd.'],
    ['Tsinghua University Science and Technology', 'aspi-unitracker: Tsinghua University'],
    ['Beihang', 'aspi-unitracker: Beihang University'],
  ];
  for (const [q, entry] of kept) {
    const r = await listedAs(q);
    assert.equal(r.state, 'listed', q);
    assert.ok(r.entries.includes(entry), `${q}: ${r.entries.join('; ')}`);
  }
});
