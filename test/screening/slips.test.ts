import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadListCatalogue, readCatalogueList, readListFile, type RiskList } from '../../src/screening/lists.ts';
import { screenKey, screenTokens } from '../../src/screening/names.ts';
import { INPUT, MIRROR } from '../helpers/fixtures.ts';
import { realRegistry } from '../helpers/registry.ts';
import { realScreener } from '../helpers/screening.ts';

/** What the source's layout does to a name when it is read wrong; null for a whole name. */
function brokenShape(name: string): string | null {
  const count = (re: RegExp) => name.match(re)?.length ?? 0;
  if (count(/[(（]/g) !== count(/[)）]/g)) return 'unbalanced brackets';
  if (/^(?:formerly|former|f\/k\/a)\b/i.test(name)) return 'begins with "formerly"';
  if (/^(?:co|ltd|inc|limited|llc|plc|corp)\b/i.test(name)) return 'begins with a legal form';
  if (/\s\.\s/.test(name)) return 'a stray " . " inside';
  if (/^[\s,;.]|[,;]\s*$/.test(name)) return 'stray punctuation at an end';
  if (/\.\.\.|…/.test(name)) return 'cut short';
  if (/\b(?:Corporation|Inc\.|Ltd\.|Limited|LLC|PLC) (?!(?:Co|Ltd|Limited|Inc|Corp|Corporation|Company|LLC|PLC|No)\b)\p{Lu}/u.test(name)) return 'two names run together after a legal form';
  return null;
}

const subsidiaries = (list: RiskList, entry: string) =>
  list.entries
    .find((e) => e.name === entry)!
    .names.filter((n) => n.kind === 'subsidiary')
    .map((n) => n.value);

test('§1260H notes in the broken layouts of the source are read as whole names (fixture in the nsfreg format)', () => {
  const list = readListFile(join(INPUT, 'nsfreg-1260h', 'dow_1260h.json'));
  assert.equal(list.id, 'us-dow-1260h');
  // Nested brackets and "formerly": the name, its former name, that name's acronym.
  assert.deepEqual(subsidiaries(list, 'Aviation Industry Corporation of China, Ltd.'), [
    'Avicopter PLC',
    'AVIC Chengdu Aircraft Co., Ltd.',
    'Zhonghang Electronic Measuring Instruments Company Limited',
    'ZEMIC',
    "AVIC Xi'an Aircraft Industry Group Company Ltd.",
    "Xi'an Aircraft Industry Group Co., Ltd.",
    'Shenyang Aircraft Design Institute',
  ]);
  // A stray " . " between two names.
  assert.deepEqual(subsidiaries(list, 'China North Industries Group Corporation Limited'), ['Harbin First Machinery Group Ltd.', 'Inner Mongolia First Machinery Group Co., Ltd.', 'Kiekert USA Inc.', 'Merit Automotive Electronics Systems S.L.U', 'Yunnan Yuanjin Optical Instrument Co., Ltd.']);
  // Two names run together after a legal form; a legal form followed by a number is one name.
  assert.deepEqual(subsidiaries(list, 'Commercial Aircraft Corporation of China Limited'), ['Beijing Aeronautical Science & Technology Research Institute', 'COMAC America Corporation', 'Shanghai Aircraft Design and Research Institute', 'Shanghai Aircraft Manufacturing Co., Ltd.']);
  assert.deepEqual(subsidiaries(list, 'China South Industries Group Corporation'), ['China South Industries Group Corporation No. 59 Research Institute Co., Ltd.', "Sichuan Jian'an Industry Co., Ltd."]);
  // A legal form in brackets is no alias; two lone words with a comma are one name.
  const cccg = list.entries.find((e) => e.name === 'China Communications Construction Group')!;
  assert.deepEqual(
    cccg.names.filter((n) => n.kind !== 'subsidiary').map((n) => n.value),
    ['China Communications Construction Group', 'CCCG'],
  );
  assert.deepEqual(subsidiaries(list, 'Semiconductor Manufacturing International Corporation'), ['Semiconductor Manufacturing International (Beijing) Corporation', 'SMIC Beijing', 'SMIC Holdings Limited', 'SMIC Holdings', 'SMIC, Americas']);
  for (const e of list.entries) for (const n of e.names) assert.equal(brokenShape(n.value), null, `${e.name}: "${n.value}"`);
});

test('no §1260H name or alias read from the real list has a broken shape', () => {
  const spec = loadListCatalogue().lists.find((l) => l.id === 'us-dow-1260h')!;
  const list = readCatalogueList(spec, join(MIRROR, spec.mirror_path));
  const broken = list.entries.flatMap((e) => e.names.map((n) => [e.name, n.value, brokenShape(n.value)] as const)).filter(([, , why]) => why !== null);
  assert.deepEqual(broken, []);
  assert.ok(subsidiaries(list, 'Semiconductor Manufacturing International Corporation').includes('SMIC, Americas'));
  assert.ok(subsidiaries(list, 'China North Industries Group Corporation Limited').includes('Kiekert USA Inc.'));
});

test('a one-word slip of a listed name is ambiguous: the listed name offered, never taken as a listing, never unknown', async () => {
  const screener = await realScreener();
  for (const [slip, listed, organisation] of [
    ['Huawe', 'Huawei', 'Huawei'],
    ['Hikvison', 'Hikvision', 'Hangzhou Hikvision Digital Technology Co., Ltd.'],
    ['Hikvisio', 'Hikvision', 'Hangzhou Hikvision Digital Technology Co., Ltd.'],
    ['Megvi', 'Megvii', 'Megvii Technology'],
    ['SenseTme', 'SenseTime', 'SenseTime Group, Inc.'],
  ] as const) {
    const r = screener.screen(slip);
    assert.equal(r.state, 'ambiguous', `${slip}: ${r.headline}`);
    assert.deepEqual([r.hits.length, r.level], [0, null], `${slip}: a misspelling is no listing`);
    assert.match(r.headline, new RegExp(`possible misspelling: .*"${slip}".*spelled like the listed name "${listed}" \\(one letter missing;.*${organisation.replace(/[.()]/g, '\\$&')}`), slip);
    const offered = r.choices.find((c) => c.listed)!;
    assert.equal(offered.query, listed);
    assert.equal(screener.screen(offered.query).state, 'listed', `${slip}: the offered name screens as listed`);
    assert.ok(
      r.choices.some((c) => !c.listed && c.query === slip && /no list and no registry record recognises/.test(c.label)),
      `${slip}: the name as written is a choice to identify`,
    );
    assert.ok(
      r.similar.some((x) => x.entry.includes(listed) && /possible slip of the pen/.test(x.why)),
      `${slip}: the listed entity among the similar names`,
    );
  }
});

test('slips in several words still name the listed entity, by a near spelling to check', async () => {
  const screener = await realScreener();
  for (const [slip, entity] of [
    ['Harbin Insitute of Technolgy', 'Harbin Institute of Technology'],
    ['Beihang Univeristy', 'Beihang University'],
    ['Natl Univ Def Technolgy', 'National University of Defense Technology'],
    ['Beijing Univ of Aeronautics and Astronatics', 'Beihang University'],
    ['Northwestern Polytechncal University', 'Northwestern Polytechnical University'],
    ['Northwestern Polytechncal Univesity', 'Northwestern Polytechnical University'],
  ]) {
    const r = screener.screen(slip!);
    assert.equal(r.state, 'listed', slip);
    assert.ok(r.hits.every((h) => h.match === 'fuzzy'));
    assert.ok(
      r.organisations.some((o) => o.name === entity),
      slip,
    );
    assert.match(r.headline, /near spelling .*check the name/);
  }
});

test('real names near a listed one stay as they are: places, registry names, names of several words, derived short names', async () => {
  const screener = await realScreener();
  const answers = Object.fromEntries(
    ['Hanover', 'Huawen Hospital', 'Plane', 'Harvard University', 'University of Twente', 'Harbin Engineering University', 'Zhejiang University', 'Megvii', 'MEGVII', 'Megvii Technology'].map((q) => {
      const r = screener.screen(q);
      return [q, [r.state, r.organisations[0]?.name ?? null, r.choices.some((c) => /^".*" as written/.test(c.label))]];
    }),
  );
  assert.deepEqual(answers, {
    // A place, and a word of several (no registry record, no list): unknown, as before.
    Hanover: ['unknown', null, false],
    'Huawen Hospital': ['unknown', null, false],
    // "Planet" is a short name derived by rule from "Planet Technology": a plain word, never offered.
    Plane: ['unknown', null, false],
    'Harvard University': ['not-listed', null, false],
    'University of Twente': ['not-listed', null, false],
    'Harbin Engineering University': ['listed', 'Harbin Engineering University', false],
    'Zhejiang University': ['listed', 'Zhejiang University', false],
    // One organisation on two lists: the Entity List's "Megvii Technology" and OFAC's "Megvii Technology Limited"
    // (registered in the Cayman Islands, found since screen27), named as the latter.
    Megvii: ['listed', 'Megvii Technology Limited', false],
    MEGVII: ['listed', 'Megvii Technology Limited', false],
    'Megvii Technology': ['listed', 'Megvii Technology Limited', false],
  });
});

test('property: a one-letter slip of a distinctive listed short name is never answered "not listed", and unknown only when it is a word of its own (used by the registry or the lists, or a place)', async () => {
  const screener = await realScreener();
  const { institutions, resolver } = await realRegistry();
  // The words registry names use: one of them is a name of its own, not a slip.
  const registryWords = new Map<string, number>();
  for (const inst of institutions) {
    if (inst.status === 'withdrawn') continue;
    const keys = new Set(inst.names.filter((n) => !n.types.includes('acronym')).map((n) => screenKey(n.value)));
    for (const key of keys) for (const w of new Set(key.split(' '))) registryWords.set(w, (registryWords.get(w) ?? 0) + 1);
  }
  // The words listed names use: a name of its own too ("Tiandi" of the listed "Tianjin Tiandi Weiye", not a slip of "Tiandy").
  const listWords = new Set(screener.lists.flatMap((l) => l.entries.flatMap((e) => e.names.flatMap((n) => screenTokens(n.value)))));
  const shortNames = [...new Set(screener.lists.flatMap((l) => l.entries.flatMap((e) => e.names.filter((n) => (n.kind === 'short' || n.kind === 'alias' || n.kind === 'subsidiary') && !n.source?.startsWith('derived by rule')).map((n) => n.value))))].filter((v) => {
    const t = screenTokens(v);
    return /^\p{L}{6,}$/u.test(v) && /\p{Ll}/u.test(v) && (registryWords.get(t[0]!) ?? 0) < 20 && !resolver.gazetteer.isPlace(t[0]!);
  });
  assert.ok(
    ['Huawei', 'Hikvision', 'SenseTime', 'Megvii', 'Inspur'].every((n) => shortNames.includes(n)),
    'the brands people write are among the names tried',
  );
  const slipOf = (word: string, at: number, op: number, letter: string) => {
    const i = at % word.length;
    return [word.slice(0, i) + word.slice(i + 1), word.slice(0, i) + letter + word.slice(i + 1), word.slice(0, i) + letter + word.slice(i), i + 1 < word.length ? word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2) : word + letter][op]!;
  };
  fc.assert(
    fc.property(fc.constantFrom(...shortNames), fc.nat(), fc.nat({ max: 3 }), fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), (name, at, op, letter) => {
      const slip = slipOf(name, at, op, letter);
      const word = screenTokens(slip)[0]!;
      fc.pre(word !== screenTokens(name)[0]);
      const r = screener.screen(slip);
      assert.notEqual(r.state, 'not-listed', `${slip} (from ${name}): ${r.headline}`);
      if (r.state === 'unknown') assert.ok(registryWords.has(word) || listWords.has(word) || resolver.gazetteer.isPlace(word), `${slip} (from ${name}) is no word of its own, yet unknown: ${r.headline}`);
    }),
    { numRuns: 150, seed: 20261201 },
  );
});
