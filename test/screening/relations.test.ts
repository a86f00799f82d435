import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { screenReadings, screenTokens } from '../../src/screening/names.ts';
import { matchWords } from '../../src/screening/screener.ts';
import { realScreener } from '../helpers/screening.ts';
import { realRegistry } from '../helpers/registry.ts';

const entries = (r: { hits: { entry: string }[] }) => [...new Set(r.hits.map((h) => h.entry))].sort();

test('a withdrawn ROR record is followed to its successor, and the hit says so: never a direct listing, never hidden', async () => {
  const screener = await realScreener();
  const { resolver } = await realRegistry();
  const r = screener.screen('Harbin Institute of Technology Shenzhen Graduate School');
  assert.equal(r.state, 'listed');
  assert.deepEqual(entries(r), ['Harbin Institute of Technology']);
  for (const h of r.hits) {
    assert.equal(h.inherited?.relation, 'successor', `${h.list}: ${h.evidence}`);
    assert.match(h.inherited!.how, new RegExp(`^withdrawn ROR record 00hwfqh10 \\(Harbin Institute of Technology Shenzhen Graduate School\\), succeeded by 01yqg2h08 Harbin Institute of Technology, which ${h.listName.replace(/[()§]/g, '.')} names$`));
    assert.match(h.evidence, /withdrawn ROR record 00hwfqh10/);
    assert.match(matchWords(h), /successor of the withdrawn or inactive registry record/);
  }
  assert.match(r.headline, /withdrawn ROR record 00hwfqh10 .*succeeded by 01yqg2h08 Harbin Institute of Technology: the lists name the successor/);
  // Screened by its ROR id, the same.
  const byId = screener.screenRor('00hwfqh10');
  assert.equal(byId.state, 'listed');
  assert.ok(byId.hits.every((h) => h.inherited?.relation === 'successor'));
  // The resolver counts the string for the successor, and says which record it named.
  const m = resolver.resolve('Harbin Institute of Technology Shenzhen Graduate School, Shenzhen 518055, Peoples R China').institutions[0]!;
  assert.equal(m.rorId, '01yqg2h08');
  assert.deepEqual(m.succeeds, { rorId: '00hwfqh10', name: 'Harbin Institute of Technology Shenzhen Graduate School', status: 'withdrawn' });
  assert.match(m.evidence, /withdrawn ROR record 00hwfqh10 .*succeeded by 01yqg2h08 Harbin Institute of Technology/);
  // An active record is not "succeeded".
  assert.equal(resolver.successorOf('01yqg2h08'), null);
});

test('a campus or school the registry records as a child of a listed university is shown as a part of it, explained, not as the university itself', async () => {
  const { institutions } = await realRegistry();
  const screener = await realScreener();
  const listed = new Set(['Harbin Institute of Technology', 'Beihang University', 'Northwestern Polytechnical University', 'National University of Defense Technology', 'Beijing Institute of Technology']);
  // Each id's first record, as a search of the list finds it (once, not per parent: the registry is large).
  const nameOf = new Map<string, string>();
  for (const i of institutions) if (!nameOf.has(i.id)) nameOf.set(i.id, i.name);
  const children = institutions.filter((i) => i.status === 'active' && i.parents.some((p) => listed.has(nameOf.get(p) ?? '')));
  assert.ok(children.length > 0);
  for (const child of children) {
    const r = screener.screenRor(child.id);
    const viaParent = r.hits.filter((h) => h.inherited?.relation === 'part');
    assert.ok(viaParent.length > 0, `${child.name} (${child.id}) shows its listed parent`);
    for (const h of viaParent) assert.match(h.inherited!.how, /is part of .* in the ROR registry|listed by .* as a subsidiary or laboratory of/);
    if (r.hits.every((h) => h.inherited)) assert.match(r.headline, /as a part of the listed organisation/);
  }
});

const WOS = [
  ['Natl Univ Def Technol', 'National University of Defense Technology'],
  ['Harbin Inst Technol', 'Harbin Institute of Technology'],
  ['Beijing Inst Technol', 'Beijing Institute of Technology'],
  ['Northwestern Polytech Univ', 'Northwestern Polytechnical University'],
  ['Nanjing Univ Aeronaut & Astronaut', 'Nanjing University of Aeronautics and Astronautics'],
  ['Univ Elect Sci & Technol China', 'University of Electronic Science and Technology of China'],
  ['Beihang Univ', 'Beihang University'],
  ['Coll Comp, Natl Univ Def Technol, Changsha 410073, Peoples R China', 'National University of Defense Technology'],
  ['National University of Defence Technology', 'National University of Defense Technology'],
] as const;

test('names written the Web of Science way find the listed entity, and say how the abbreviations were read', async () => {
  const screener = await realScreener();
  for (const [q, entry] of WOS) {
    const r = screener.screen(q);
    assert.equal(r.state, 'listed', `${q}: ${r.headline}`);
    assert.ok(entries(r).includes(entry), `${q} finds ${entry}: ${entries(r).join('; ')}`);
    assert.ok(
      r.hits.some((h) => h.entry === entry && !h.inherited),
      `${q} is ${entry} itself`,
    );
  }
  const nudt = screener.screen('Natl Univ Def Technol').hits.find((h) => !h.sameAs)!;
  assert.match(nudt.evidence, /abbreviations read as natl = national, univ = university, def = defense, technol = technology: data\/geo\/abbreviations\.json/);
  const uestc = screener.screen('Univ Elect Sci & Technol China').hits.find((h) => !h.sameAs)!;
  assert.match(uestc.evidence, /read "elect" as "electronic"/);
});

test('abbreviations keep the namesake guards: a near-namesake written the WoS way stays apart', async () => {
  const screener = await realScreener();
  // Canada's Northwestern Polytechnic is not Xi'an's Northwestern Polytechnical University.
  assert.deepEqual(screener.screen('Northwestern Polytech').hits, []);
  assert.deepEqual(screener.screen('Northwestern Polytechnic').hits, []);
  assert.deepEqual(entries(screener.screen('Beijing Univ Technol')), [], 'BJUT is not BIT');
  assert.deepEqual(entries(screener.screen('Harbin Engn Univ')), ['Harbin Engineering University'], 'HEU is not HIT');
  assert.deepEqual(screener.screen('Northeastern Univ, Boston, MA 02115 USA').hits, []);
});

test('a unit named after a listed company finds the company, marked as its unit', async () => {
  const screener = await realScreener();
  for (const [q, entry] of [
    ["Huawei Noah's Ark Lab", 'Huawei Technologies Co., Ltd.'],
    ['Huawei 2012 Labs', 'Huawei Technologies Co., Ltd.'],
    ['iFlytek Research', 'IFLYTEK'],
    ['SenseTime Research', 'SenseTime Group, Inc.'],
    ['Megvii Research', 'Megvii Technology'],
    ['Hikvision Research Institute', 'Hangzhou Hikvision Digital Technology Co., Ltd.'],
    ["Huawei Noah's Ark Lab, Shenzhen 518129, Peoples R China", 'Huawei Technologies Co., Ltd.'],
  ] as const) {
    const r = screener.screen(q);
    assert.equal(r.state, 'listed', `${q}: ${r.headline}`);
    const h = r.hits.find((x) => x.entry === entry);
    assert.ok(h, `${q} finds ${entry}: ${entries(r).join('; ')}`);
  }
  const lab = screener.screen("Huawei Noah's Ark Lab");
  assert.ok(
    lab.hits.every((h) => h.inherited?.relation === 'company-unit'),
    'a unit is never the company itself',
  );
  const h = lab.hits.find((x) => x.entry === 'Huawei Technologies Co., Ltd.' && !x.sameAs)!;
  assert.match(h.evidence, /"Huawei Noah's Ark Lab" names a unit of Huawei Technologies Co\., Ltd\.: it begins with the company's short name "Huawei" \(the company's own brand/);
  assert.match(h.evidence, /data\/lists\/aliases\.json/);
  assert.match(lab.headline, /"Huawei Noah's Ark Lab" is a unit named after the listed company, not the company itself/);
  assert.match(matchWords(h), /a unit named after the company/);
});

test('a name that merely contains a company word is no unit of it: adversarial namesakes', async () => {
  const screener = await realScreener();
  for (const q of [
    'Huawei Street Community Center', // a place-name, not the company's unit
    'Hikvision Primary School',
    'HIT Lab NZ', // the Human Interface Technology Lab in New Zealand, not Harbin Institute of Technology
    'HIT Lab, University of Washington',
    'Planet Research Lab', // "Planet", "Sigma", "Telecom", "Most" are short names derived by rule, not brands
    'Sigma Research Institute',
    'Telecom Research Lab',
    'Most Research Center',
    'Supercomputing Center',
    'Huaweiyuan Research Institute',
    'Research Lab of Huawei Street', // the company's name must come first
  ]) {
    assert.deepEqual(
      screener.screen(q).hits.filter((h) => h.inherited?.relation === 'company-unit'),
      [],
      q,
    );
  }
  // Another country named: a unit of the company there is still the listed group (a subsidiary
  // abroad is the group), and the hit says so; the bare name there stays a namesake ("Huawei, Hanoi, Vietnam").
  const abroad = screener.screen('Huawei Research Center, Hanoi, Vietnam');
  assert.ok(abroad.hits.length > 0 && abroad.hits.every((h) => h.inherited?.relation === 'company-unit' || h.sameAs), abroad.headline);
  assert.ok(
    abroad.hits.some((h) => /string places it in VN .*a unit or subsidiary abroad is still the listed group/.test(h.evidence)),
    abroad.hits.map((h) => h.evidence).join(' | '),
  );
});

/** Words of the abbreviation table, and their abbreviations: what a WoS-style rewrite may do to a name. */
const table = JSON.parse(readFileSync(new URL('../../data/geo/abbreviations.json', import.meta.url), 'utf8')) as { expand: Record<string, string>; alternatives: Record<string, string[]>; stopWords: string[] };
const abbreviationsOf = new Map<string, string[]>();
for (const [abbr, word] of [...Object.entries(table.expand), ...Object.entries(table.alternatives).flatMap(([a, ws]) => ws.map((w) => [a, w] as const))]) abbreviationsOf.set(word, [...(abbreviationsOf.get(word) ?? []), abbr]);
const vocabulary = [...new Set([...Object.keys(table.expand), ...Object.values(table.expand).flatMap((v) => v.split(' ')), ...Object.keys(table.alternatives), ...table.stopWords, 'Harbin', 'Huawei', 'iFlytek', 'SenseTime', '2012', 'univs', 'labs', 'Sciences', 'Laboratories'])];

test('property: screening normalisation is idempotent, under every reading of its abbreviations', () => {
  // Found by the property: a capitals stop word first, beside only stop words or numbers.
  for (const name of ['VOOR den', 'VOOR den 12', 'LES 12', 'DER ltd', 'DER Co Ltd']) assert.deepEqual(screenTokens(screenTokens(name).join(' ')), screenTokens(name), name);
  const word = fc.oneof(fc.constantFrom(...vocabulary), fc.stringMatching(/^[A-Za-z]{1,9}$/));
  const cased = word.chain((w) => fc.constantFrom(w, w.toUpperCase(), w[0]!.toUpperCase() + w.slice(1), `${w}s`, `${w}.`));
  fc.assert(
    fc.property(fc.array(cased, { minLength: 1, maxLength: 7 }), fc.constantFrom(' ', ', ', ' & ', '-'), (words, sep) => {
      const name = words.join(sep);
      const once = screenTokens(name);
      assert.deepEqual(screenTokens(once.join(' ')), once, name);
      for (const r of screenReadings(name)) assert.deepEqual(screenTokens(r.tokens.join(' ')), r.tokens, `${name}: ${r.read.join(', ')}`);
    }),
    { numRuns: 2000 },
  );
});

// Institutions no list names, each close to a listed one: no way of abbreviating them may make them a hit.
const NAMESAKES = [
  'Beijing University of Technology',
  'Northwestern Polytechnic',
  'Northeastern University, Boston, USA',
  'University of Electro-Communications, Tokyo, Japan',
  'National University of Singapore',
  'National Taiwan University of Science and Technology',
  'Technical University of Denmark',
  'National Institute of Informatics, Tokyo, Japan',
  'University of Science and Technology of Hanoi',
  'Korea Advanced Institute of Science and Technology',
];

test('property: no abbreviation turns a name no list names into a listed one (known namesakes)', async () => {
  const screener = await realScreener();
  for (const name of NAMESAKES) assert.deepEqual(entries(screener.screen(name)), [], `${name} is not listed as written`);
  const abbreviated = fc.constantFrom(...NAMESAKES).chain((name) => {
    const words = name.split(/(\s+|,\s*)/);
    return fc
      .tuple(
        ...words.map((w) => {
          const options = abbreviationsOf.get(w.toLowerCase()) ?? [];
          return options.length === 0 ? fc.constant(w) : fc.constantFrom(w, ...options.map((a) => a[0]!.toUpperCase() + a.slice(1)));
        }),
      )
      .map((ws) => ws.join(''));
  });
  fc.assert(
    fc.property(abbreviated, (q) => {
      assert.deepEqual(entries(screener.screen(q)), [], q);
    }),
    { numRuns: 300 },
  );
});
