import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asTyped, foldText } from '../../src/resolve/normalize.ts';
import { demoLists, realScreener } from '../helpers/screening.ts';

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

test('related names people write: a parent brand before the name, a branch, a subsidiary named with the brand, a former name, pinyin', async () => {
  const screener = await realScreener();
  const cases: [string, string][] = [
    ['Tsinghua Tongfang Nuctech', 'us-bis-entity-list: Tongfang NucTech Technology Ltd.'],
    ['DJI Innovations', 'us-bis-entity-list: DJI'],
    ['Kuangshi', 'us-ofac-nscmic: Megvii Technology Limited'],
    ['Beijing Daxue', 'aspi-unitracker: Peking University'],
    ['Hikvision Shanghai Branch Office', 'us-bis-entity-list: Hangzhou Hikvision Digital Technology Co., Ltd.'],
  ];
  for (const [q, entry] of cases) {
    const r = await listedAs(q);
    assert.equal(r.state, 'listed', q);
    assert.ok(r.entries.includes(entry), `${q}: ${r.entries.join('; ')}`);
  }
  // Nuctech's parent brand is no name of Tsinghua University.
  assert.ok(!(await listedAs('Tsinghua Tongfang Nuctech')).entries.some((e) => e.endsWith(': Tsinghua University')));
  // A branch is the company itself, the branch said; a unit is marked as reached through it.
  const branch = screener.screen('Hikvision Shanghai Branch Office');
  assert.ok(
    branch.hits.every((h) => h.inherited === null && h.evidence.includes('names a branch of')),
    branch.hits.map((h) => h.evidence).join('\n'),
  );
  // A subsidiary named with the brand after another city than the lists give the group: is it covered? A question, the group offered.
  const sub = screener.screen('Shanghai SenseTime Intelligent Technology');
  assert.equal(sub.state, 'ambiguous', sub.headline);
  assert.ok(
    sub.choices.some((c) => c.listed && /SenseTime/i.test(c.query)),
    sub.choices.map((c) => c.label).join('; '),
  );
});

test('a leading city is read alike for every entry: city-provinces are cities, provinces never contradict, no city given is a question', async () => {
  const screener = await realScreener();
  // Shanghai Yitu is listed in Shanghai, a city-province; Alibaba with no city; Hikvision in Hangzhou.
  for (const q of ['Beijing Yitu', 'Hangzhou Alibaba', 'Beijing Hikvision', 'Tianjin Megvii']) {
    const r = screener.screen(q);
    assert.equal(r.state, 'ambiguous', `${q}: ${r.headline}`);
    assert.deepEqual(r.hits, [], q);
    assert.ok(
      r.choices.some((c) => c.listed),
      q,
    );
  }
  assert.match(screener.screen('Hangzhou Alibaba').headline, /the lists give it no city/);
  for (const q of ['Shanghai Yitu', 'Beijing Megvii', 'Guangdong Hikvision', 'Zhejiang Hikvision', 'Beijing SenseTime']) assert.equal((await listedAs(q)).state, 'listed', q);
});

test('a trademark sign inside a word neither breaks screening nor makes a name of its own', async () => {
  const screener = await realScreener();
  const hik = await listedAs('Hik™vision');
  assert.equal(hik.state, 'listed');
  assert.ok(hik.entries.includes('us-bis-entity-list: Hangzhou Hikvision Digital Technology Co., Ltd.'), hik.entries.join('; '));
  assert.deepEqual((await listedAs('Beihang™ Technology Co')).entries, []);
  assert.deepEqual((await listedAs('Hik™')).entries, []);
  assert.throws(() => screener.screen('™'), /empty name/);
});

test('Alibaba Group is the registry company and is screened against the lists as the listed group', async () => {
  const r = (await realScreener()).screen('Alibaba Group');
  assert.equal(r.state, 'listed', r.headline);
  assert.deepEqual(
    r.institutions.map((i) => [i.rorId, i.tier]),
    [['00k642b80', 'exact']],
  );
  assert.ok(r.hits.some((h) => h.list === 'us-dow-1260h' && h.entry === 'Alibaba Group Holding Limited'));
});

test('a known lab of a listed company named without its brand finds the company, with the curated source (Huawei 2012 Laboratories)', async () => {
  const screener = await realScreener();
  for (const q of ['2012 Labs, Shenzhen', '2012 Laboratories', '2012实验室']) {
    const r = screener.screen(q);
    assert.equal(r.state, 'listed', `${q}: ${r.headline}`);
    const hit = r.hits.find((h) => h.list === 'us-bis-entity-list' && h.entry === 'Huawei Technologies Co., Ltd.');
    assert.ok(hit, `${q}: ${r.hits.map((h) => h.entry).join('; ')}`);
    assert.match(hit.evidence, /huawei\.com/, 'the evidence gives the source');
  }
  // The year alone names nothing.
  assert.deepEqual((await listedAs('2012')).entries, []);
});

test('a curated name no source bears out is marked unverified where it is the evidence (Tsinghua Tongfang Nuctech)', async () => {
  const r = (await realScreener()).screen('Tsinghua Tongfang Nuctech');
  const hit = r.hits.find((h) => h.entry === 'Tongfang NucTech Technology Ltd.');
  assert.ok(hit, r.headline);
  assert.match(hit.evidence, /UNVERIFIED: no source found that writes the company itself 'Tsinghua Tongfang Nuctech'/);
  assert.match(hit.evidence, /wikipedia\.org\/wiki\/Nuctech_Company/, 'what the sources do say is cited');
  // A name with its source carries no such mark.
  assert.doesNotMatch((await realScreener()).screen('Kuangshi').hits[0]!.evidence, /UNVERIFIED/);
});

test('a partner resolved to the registry company is screened as the listed entry it is linked to (Alibaba, ROR 00k642b80)', async () => {
  const r = (await realScreener()).screenRor('00k642b80');
  assert.equal(r.state, 'listed', r.headline);
  const hit = r.hits.find((h) => h.list === 'us-dow-1260h' && h.entry === 'Alibaba Group Holding Limited');
  assert.ok(hit, r.hits.map((h) => h.entry).join('; '));
  assert.match(hit.evidence, /00k642b80 is linked to the entry/);
});

test('a department, college or campus of a listed university written in Chinese is that university', async () => {
  const cases: [string, string][] = [
    ['清华大学计算机科学与技术系', 'aspi-unitracker: Tsinghua University'],
    ['北京航空航天大学自动化科学与电气工程学院', 'aspi-unitracker: Beihang University'],
    ['哈尔滨工业大学（深圳）', 'aspi-unitracker: Harbin Institute of Technology'],
    ['哈尔滨工业大学(威海)', 'aspi-unitracker: Harbin Institute of Technology'],
  ];
  for (const [q, entry] of cases) {
    const r = await listedAs(q);
    assert.equal(r.state, 'listed', q);
    assert.ok(r.entries.includes(entry), `${q}: ${r.entries.join('; ')}`);
  }
});

test("a place of several words before a listed name is read as one place (Hong Kong, Xi'an)", async () => {
  const screener = await realScreener();
  // AccoTest Technology Co., Ltd. is listed at an address in Hong Kong; Aerospace Star Technology Application Co., Ltd. in Xi'an.
  const cases: [string, string][] = [
    ['Hong Kong AccoTest Technology', 'us-bis-entity-list: AccoTest Technology Co., Ltd.'],
    ["Xi'an Aerospace Star Technology Application", 'us-bis-entity-list: Aerospace Star Technology Application Co., Ltd.'],
    ['Xian Aerospace Star Technology Application', 'us-bis-entity-list: Aerospace Star Technology Application Co., Ltd.'],
  ];
  for (const [q, entry] of cases) {
    const r = await listedAs(q);
    assert.equal(r.state, 'listed', q);
    assert.ok(r.entries.includes(entry), `${q}: ${r.entries.join('; ')}`);
  }
  assert.match(screener.screen('Hong Kong AccoTest Technology').hits.find((h) => h.entry === 'AccoTest Technology Co., Ltd.')!.evidence, /with "hong kong" before it/);
  // Another city than the listed one stays a question, the place read whole.
  for (const q of ['Beijing Aerospace Star Technology Application', "Xi'an Hikvision", 'Hong Kong Hikvision']) {
    const r = screener.screen(q);
    assert.equal(r.state, 'ambiguous', `${q}: ${r.headline}`);
    assert.deepEqual(r.hits, [], q);
  }
});

test('every name ASPI gives an entry (former names, code names, Chinese short names) finds that entry, or asks between it and a namesake', async () => {
  const screener = await realScreener();
  const aspi = demoLists().find((l) => l.id === 'aspi-unitracker')!;
  const missed: string[] = [];
  for (const entry of aspi.entries)
    for (const n of entry.names) {
      if (n.kind === 'subsidiary') continue;
      const r = screener.screen(n.value);
      const found = r.hits.some((h) => h.list === aspi.id && h.entry === entry.name) || (r.state === 'ambiguous' && r.choices.some((c) => c.listed));
      if (!found) missed.push(`${entry.name}: ${n.value} → ${r.state} ${r.hits.map((h) => h.entry).join('; ')}`);
    }
  assert.deepEqual(missed, []);
  for (const [q, entry] of [
    ['63820部队', 'China Aerodynamics Research and Development Center'],
    ['中国人民解放军63820部队', 'China Aerodynamics Research and Development Center'],
    ['九院', 'Chinese Academy of Engineering Physics'],
    ['北大', 'Peking University'],
    ['南京841研究所', 'Nanjing Institute of Information Technology'],
  ]) {
    const r = await listedAs(q!);
    assert.ok(r.entries.includes(`aspi-unitracker: ${entry}`), `${q}: ${r.state} ${r.entries.join('; ')}`);
  }
  // Two characters are a name only as the whole string, and a place in brackets after a Chinese name is none.
  assert.deepEqual((await listedAs('武汉')).entries, []);
  assert.deepEqual((await listedAs('南京研究所')).entries, [], 'the number is what names 南京841研究所');
  assert.ok(!(await listedAs('东北大学')).entries.includes('aspi-unitracker: Peking University'), '北大 inside another name');
  assert.ok(!(await listedAs('北京航空航天大学 100191')).entries.some((e) => !e.endsWith('Beihang University') && !e.endsWith('Beijing University of Aeronautics and Astronautics')), 'a postcode after the name');
});
