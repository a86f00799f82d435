import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ScreenResult } from '../../src/screening/screener.ts';
import { screenTokens } from '../../src/screening/names.ts';
import { realScreener } from '../helpers/screening.ts';

const entries = (r: ScreenResult) => r.hits.map((h) => h.entry);
const finds = (r: ScreenResult, entry: RegExp) => r.state === 'listed' && r.hits.some((h) => entry.test(h.entry));

// Names a red team wrote for listed organisations, each once "Unknown organisation" or "Recognised,
// not listed", with the listed entry each must find.
const WRITTEN: [string, RegExp][] = [
  ['Hytera', /^Hytera Communications/],
  ['Tiandy', /Tiandi|Tiandy/],
  ['Hik Vision', /Hikvision/],
  ['Huawei Tech.', /^Huawei Technologies Co/],
  ['Zhejiang Dahua', /Dahua/],
  ['Hangzhou Hikvision', /Hikvision/],
  ['DJI Technology', /DJI/],
  ['Beijing Kuangshi Technology', /Megvii/i],
  ['CETC 38th Research Institute', /38th Research Institute/],
  ['NUDT Changsha', /^National University of Defense Technology$/],
  ['HIT Shenzhen', /^Harbin Institute of Technology$/],
  ['Natl. Univ. of Defense Tech.', /^National University of Defense Technology$/],
];

// Listed companies as Web of Science writes them: its abbreviations of company words, "Ind" for
// industry as often as industrial, "Elect" for electronic or electric too (data/geo/abbreviations.json).
const WOS_COMPANIES: [string, RegExp][] = [
  ['Inspur Elect Informat Ind Co Ltd, Jinan', /^Inspur Electronic Information Industry Co/],
  ['INSPUR ELECT INFORMAT IND CO LTD', /^Inspur Electronic Information Industry Co/],
  ['China Elect Technol Grp Corp, Beijing, Peoples R China', /^China Electronics Technology Group Corporation$/],
  ['Semicond Mfg Int Corp, Shanghai, Peoples R China', /Semiconductor Manufacturing International/i],
  ['China Aerosp Sci & Ind Corp, Beijing, Peoples R China', /^China Aerospace Science and Industry Corporation/],
];

// Companies no list names, written with the same abbreviations (and "Dev" that is a name, not development).
const ABBREVIATED_NAMESAKES = ['Daikin Ind Ltd, Osaka, Japan', 'Sumitomo Elect Ind Ltd, Osaka, Japan', 'Taiwan Semicond Mfg Co, Hsinchu, Taiwan', 'Massachusetts Gen Hosp, Boston, MA USA', 'Guru Nanak Dev Univ, Amritsar, Punjab, India', 'Inspire Elect Co Ltd'];

const SIMPLIFIED: [string, RegExp][] = [
  ['浪潮', /Inspur/i],
  ['商汤', /SenseTime/i],
  ['中兴', /^ZTE/],
  ['大疆创新', /DJI/],
  ['国防科大', /^National University of Defense Technology$/],
  ['西工大', /^Northwestern Polytechnical University$/],
  ['华为诺亚方舟实验室', /^Huawei Technologies Co/],
  ['海康威视数字技术股份有限公司', /Hikvision/],
];

const TRADITIONAL: [string, RegExp][] = [
  ['華為技術有限公司', /^Huawei Technologies Co/],
  ['哈爾濱工業大學', /^Harbin Institute of Technology$/],
  ['國防科技大學', /^National University of Defense Technology$/],
  // Written the Taiwanese or Hong Kong way, with characters no curated name holds.
  ['北京航空航天大學', /^Beihang University$/],
  ['中國電子科技集團公司', /^China Electronics Technology Group Corporation$/],
];

for (const [group, cases] of [
  ['the names people write', WRITTEN],
  ['company names as Web of Science abbreviates them', WOS_COMPANIES],
  ['simplified Chinese short forms', SIMPLIFIED],
  ['traditional Chinese', TRADITIONAL],
] as const) {
  test(`${group} find the listed entity`, async () => {
    const screener = await realScreener();
    const missed = cases.map(([q, entry]) => ({ q, entry, r: screener.screen(q) })).filter(({ r, entry }) => !finds(r, entry));
    assert.deepEqual(
      missed.map(({ q, r }) => `${q}: ${r.state}: ${entries(r).join('; ') || r.headline}`),
      [],
    );
  });
}

test('a named unit of a listed company abroad is that company, and the explanation says it sits abroad', async () => {
  const screener = await realScreener();
  for (const q of ["Huawei Noah's Ark Lab, London, UK", 'Huawei Technologies Research & Development (UK) Ltd', 'Huawei Paris Research Center', 'Huawei Paris Research Center, Paris, France', 'Hikvision Research Institute, Montreal, Canada']) {
    const r = screener.screen(q);
    assert.equal(r.state, 'listed', `${q}: ${r.headline}`);
    assert.ok(
      r.hits.some((h) => /^(Huawei|Hangzhou Hikvision)/.test(h.entry)),
      `${q}: ${entries(r).join('; ')}`,
    );
  }
  const london = screener.screen("Huawei Noah's Ark Lab, London, UK");
  const unit = london.hits.find((h) => h.inherited?.relation === 'company-unit')!;
  assert.match(unit.evidence, /in GB.*still .*listed group|abroad/, unit.evidence);
});

test('the namesake guards hold: a bare name with another country written, or a word that is no unit, is not the listed company', async () => {
  const screener = await realScreener();
  for (const q of ['Huawei, Hanoi, Vietnam', 'Zhejiang Dahua, Hanoi, Vietnam', 'Hik Vision, Hanoi, Vietnam', 'NUDT Boston, USA', 'HIT Lab NZ', 'Huawei Street Community Center', 'Dahua University, Taiwan', ...ABBREVIATED_NAMESAKES]) {
    const r = screener.screen(q);
    assert.deepEqual(entries(r), [], `${q}: ${r.headline}`);
  }
});

test('funders the registry holds are recognised by name and acronym; one it lacks says so', async () => {
  const screener = await realScreener();
  for (const [q, ror] of [
    ['Deutsche Forschungsgemeinschaft', '018mejw64'],
    ['DFG', '018mejw64'],
    ['European Research Council', '0472cxd90'],
  ] as const) {
    const r = screener.screen(q);
    assert.equal(r.state, 'not-listed', `${q}: ${r.headline}`);
    assert.ok(
      r.institutions.some((i) => i.rorId === ror),
      `${q}: ${JSON.stringify(r.institutions)}`,
    );
  }
  const erc = screener.screen('ERC');
  assert.equal(erc.state, 'unknown');
  assert.match(erc.headline, /not in the loaded registry/);
});

// The curated names and the short forms above, each of which must find its entity however it is
// written (case, punctuation, spacing), and multi-word names whose words in another order name
// something else.
const FORMS: [string, RegExp][] = [
  ['Huawei', /^Huawei Technologies Co/],
  ['iFlytek', /IFLYTEK/i],
  ['Hikvision', /Hikvision/],
  ['SenseTime', /SenseTime/i],
  ['Megvii', /Megvii/i],
  ['DJI', /DJI/],
  ['ZTE', /^ZTE/],
  ['Inspur', /Inspur/i],
  ['CETC', /^China Electronics Technology Group Corporation$/],
  ['NUDT', /^National University of Defense Technology$/],
  ['BUAA', /^Beihang University$/],
  ['HIT', /^Harbin Institute of Technology$/],
  ['Keda Xunfei', /IFLYTEK/i],
  ['Dahua Technology', /Dahua/],
  ...WRITTEN,
  ...SIMPLIFIED,
  ...TRADITIONAL,
];

test('property: any short form written with other case, punctuation or spacing finds its entity', async () => {
  const screener = await realScreener();
  const variant = fc.tuple(fc.constantFrom(...FORMS), fc.infiniteStream(fc.boolean()), fc.constantFrom('', ' ', '  ', '\t'), fc.constantFrom('', '.', ',', ';', ' .'), fc.constantFrom(' ', '  ', ' \u00a0')).map(([[form, entry], flips, pad, end, gap]) => {
    const cased = [...form].map((c) => (flips.next().value ? c.toUpperCase() : c.toLowerCase())).join('');
    return { q: `${pad}${cased.split(' ').join(gap)}${end}${pad}`, entry };
  });
  fc.assert(
    fc.property(variant, ({ q, entry }) => {
      const r = screener.screen(q);
      return finds(r, entry) || (console.error(`${JSON.stringify(q)}: ${r.state}: ${entries(r).join('; ') || r.headline}`), false);
    }),
    { numRuns: 300 },
  );
});

test('property: the words of a multi-word name in another order do not find it', async () => {
  const screener = await realScreener();
  const names: [string, RegExp][] = [
    ['Keda Xunfei', /IFLYTEK/i],
    ['Dahua Technology', /Dahua/],
    ['Megvii Technology', /Megvii/i],
    ['Harbin Institute of Technology', /^Harbin Institute of Technology$/],
    ['Huawei Technologies', /^Huawei Technologies Co/],
    ['Hytera Communications', /Hytera/],
    ['Tiandy Technologies', /Tiandi|Tiandy/],
    ['National University of Defense Technology', /^National University of Defense Technology$/],
  ];
  const shuffled = fc.constantFrom(...names).chain(([name, entry]) =>
    fc
      .shuffledSubarray(name.split(' '), { minLength: name.split(' ').length })
      .filter((w) => screenTokens(w.join(' ')).join(' ') !== screenTokens(name).join(' '))
      .map((w) => ({ q: `${w.join(' ')} Co., Ltd.`, entry })),
  );
  fc.assert(
    fc.property(shuffled, ({ q, entry }) => {
      const r = screener.screen(q);
      return !r.hits.some((h) => entry.test(h.entry)) || (console.error(`${q}: ${entries(r).join('; ')}`), false);
    }),
    { numRuns: 150 },
  );
});
