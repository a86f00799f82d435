import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadTaxonomy } from '../../src/fields/taxonomy.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { loadWeights, portfolio } from '../../src/screening/portfolio.ts';
import { buildScreeningContext, screenStrings } from '../../src/screening/context.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { realScreener, statesStore } from '../helpers/screening.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { realRegistry } from '../helpers/registry.ts';
import { watchlist } from '../helpers/watchlist.ts';

const entries = (r: { hits: { entry: string }[] }) => [...new Set(r.hits.map((h) => h.entry))].sort();

test('near-namesakes are not confused: BIT is not BJUT, HIT is not HEU (both listed, different entries)', async () => {
  const screener = await realScreener();
  const bit = screener.screen('Beijing Institute of Technology');
  assert.deepEqual(entries(bit), ['Beijing Institute of Technology']);
  assert.ok(bit.hits.some((h) => h.list === 'aspi-unitracker' && h.level === 'very-high' && h.match === 'exact'));
  const bjut = screener.screen('Beijing University of Technology');
  assert.deepEqual(bjut.hits, []);
  assert.ok(bjut.similar.length > 0, 'listed near-names are shown apart as similar names');
  assert.deepEqual(entries(screener.screen('Harbin Institute of Technology')), ['Harbin Institute of Technology']);
  assert.deepEqual(entries(screener.screen('Harbin Engineering University')), ['Harbin Engineering University']);
});

test('a name matches by its listed name, an alias, its Chinese name, a WoS abbreviation or a typing slip, and says how', async () => {
  const screener = await realScreener();
  const how = (q: string) =>
    new Set(
      screener
        .screen(q)
        .hits.filter((h) => h.entry.includes('Harbin Institute of Technology'))
        .map((h) => h.match),
    );
  assert.ok(how('哈尔滨工业大学').has('translated'));
  assert.ok(how('Harbin Institue of Technology').has('fuzzy'));
  assert.ok(how('Sch Comp Sci & Technol, Harbin Inst Technol, Harbin 150001, Peoples R China').has('exact'));
  const nudt = screener.screen('NUDT');
  assert.ok(nudt.hits.some((h) => h.entry === 'National University of Defense Technology' && h.match === 'alias'));
  const slip = screener.screen('Harbin Institue of Technology').hits.find((h) => h.match === 'fuzzy')!;
  assert.ok(slip.score > 0.9 && slip.score < 1);
  assert.match(slip.evidence, /spelled like/);
});

test('a namesake in another country is not a hit: Northeastern University in Boston is not the one in Shenyang', async () => {
  const screener = await realScreener();
  assert.deepEqual(screener.screen('Northeastern University, Boston, MA 02115, USA').hits, []);
  const bare = screener.screen('Northeastern University');
  assert.deepEqual(bare.hits, [], 'with no country the name is ambiguous, so it is shown as a namesake');
  assert.match(bare.similar[0]!.why, /also knows "Northeastern University" in US/);
  assert.ok(entries(screener.screen('Northeastern Univ, Sch Comp Sci & Engn, Shenyang 110819, Peoples R China')).includes('Northeastern University'));
});

test('a unit of a listed institution is shown as inherited, through the ROR hierarchy', async () => {
  const { institutions } = await realRegistry();
  const screener = await realScreener();
  // Any ROR child of an institution the lists name, not itself listed.
  const listed = new Set(['Harbin Institute of Technology', 'Beihang University', 'Northwestern Polytechnical University', 'Zhejiang University', 'Tsinghua University']);
  const parent = institutions.find((i) => listed.has(i.name) && i.children.length > 0)!;
  const child = parent.children.map((id) => institutions.find((i) => i.id === id)).find((c) => c && screener.screenRor(c.id).hits.some((h) => h.inherited && h.entry === parent.name))!;
  assert.ok(child, `a child of ${parent.name} in the registry inherits its listing`);
  const hit = screener.screenRor(child.id).hits.find((h) => h.inherited && h.entry === parent.name)!;
  assert.match(hit.inherited!.via, new RegExp(parent.id));
  assert.match(hit.inherited!.how, /is part of/);
  assert.throws(() => screener.screenRor('0000000000'), /unknown ROR id/);
  assert.throws(() => screener.screen('   '), /empty name/);
});

test('screening never fails on arbitrary strings and every hit is explained with a known level', async () => {
  const screener = await realScreener();
  const fc = (await import('fast-check')).default;
  fc.assert(
    fc.property(
      fc.string({ minLength: 1, maxLength: 80 }).filter((s) => s.trim() !== ''),
      (s) => {
        const r = screener.screen(s);
        for (const h of r.hits) {
          assert.ok(['very-high', 'high', 'medium', 'low'].includes(h.level));
          assert.ok(h.evidence.length > 0 && h.list.length > 0);
        }
      },
    ),
    { numRuns: 300 },
  );
});

test('portfolio: co-publications with listed partners by year and field, ranked by volume × sensitivity × partner risk', async () => {
  const home = tempDir();
  const store = await landscapeStore(home);
  try {
    const list = readWatchlist(
      watchlist([
        { name: 'Chinese Academy of Sciences', level: 'high', ror_ids: ['034t30j35'], note: 'test listing' },
        { name: 'Tsinghua University', level: 'medium' },
      ]),
    );
    await saveLists(store, [list]);
    const context = await screeningContext(store);
    await screenPending(store, context);
    const weights = loadWeights(loadTaxonomy());
    const oxford = await portfolio(store, { institution: '052gg0110' }, weights);
    assert.deepEqual(
      oxford.flagged.map((w) => [w.workId, w.year]),
      [
        ['doi:10.5555/landscape.1', 2021],
        ['doi:10.5555/landscape.5', 2022],
      ],
    );
    const w1 = oxford.flagged[0]!;
    assert.equal(w1.partners[0]!.entry, 'Chinese Academy of Sciences');
    assert.equal(w1.partners[0]!.listName, list.provenance.title, 'the list by its title, not its id');
    assert.match(w1.partners[0]!.inheritedVia ?? '', /Chinese Academy of Sciences/, 'the Institute of Automation inherits its parent’s listing');
    assert.ok(w1.fields.includes('ai-image-processing'));
    assert.equal(w1.sensitivity, 3);
    const cas = oxford.partners[0]!;
    assert.equal(cas.name, 'Chinese Academy of Sciences');
    assert.equal(cas.volume, 2);
    assert.equal(cas.partnerRisk, weights.level.high);
    assert.equal(cas.weight, Number((cas.volume * cas.sensitivity * cas.partnerRisk).toFixed(3)), 'the weight is the product of the factors shown');
    const delft = await portfolio(store, { institution: '02e2c7k09' }, weights);
    assert.deepEqual(delft.partners.map((p) => p.name).sort(), ['Chinese Academy of Sciences', 'Tsinghua University']);
    assert.equal(delft.partners.find((p) => p.name === 'Tsinghua University')!.volume, 2);
    const mitOnly = await portfolio(store, { institution: '042nb2s44' }, weights);
    assert.ok(
      mitOnly.flagged.every((w) => w.partners.every((p) => !p.affiliation.includes('Massachusetts'))),
      'home affiliations are never partners',
    );
  } finally {
    store.close();
  }
});

test('the names people write find the listed company: short names by rule, Chinese names and curated aliases, each with its source', async () => {
  const screener = await realScreener();
  const listed = (q: string) => entries(screener.screen(q));
  // Derived by rule from the listed names.
  for (const [q, entry] of [
    ['Huawei', 'Huawei Technologies Co., Ltd.'],
    ['Hikvision', 'Hangzhou Hikvision Digital Technology Co., Ltd.'],
    ['SenseTime', 'SenseTime Group, Inc.'],
    ['Megvii', 'Megvii Technology'],
    ['Inspur', 'Inspur Group Co., Ltd.'],
    ['Dahua', 'Zhejiang Dahua Technology Co., Ltd.'],
  ] as const) {
    assert.ok(listed(q).includes(entry), `${q} finds ${entry}: ${listed(q).join('; ')}`);
  }
  // Written in mixed case, a brand is one word: "iFlytek" is the listed "IFLYTEK".
  assert.deepEqual(listed('iFlytek'), ['IFLYTEK']);
  for (const q of ['DJI', 'ZTE', 'CETC', 'NUDT', 'BUAA', 'HIT']) assert.ok(listed(q).length > 0, `${q} finds a listed entity`);
  // Chinese names: the registry's label and the curated short name.
  assert.ok(listed('华为技术有限公司').includes('Huawei Technologies Co., Ltd.'));
  assert.ok(listed('华为').includes('Huawei Technologies Co., Ltd.'));
  assert.ok(listed('国防科技大学').includes('National University of Defense Technology'));
  // A short name derived by rule says so; one also curated gives its curated source.
  // The real lists now carry "Dahua" as an alias; a list naming the company only in full shows the rule.
  const { institutions, resolver } = await realRegistry();
  const fullNameOnly = readWatchlist(watchlist([{ id: 'dahua', name: 'Zhejiang Dahua Technology Co., Ltd.', level: 'high', country: 'China' }]));
  const derived = buildScreeningContext([fullNameOnly], institutions, resolver)
    .screener.screen('Dahua')
    .hits.find((h) => h.entry === 'Zhejiang Dahua Technology Co., Ltd.')!;
  assert.match(derived.evidence, /short name "Dahua" \(derived by rule from the listed name/);
  const hit = screener.screen('Huawei').hits.find((h) => h.entry === 'Huawei Technologies Co., Ltd.')!;
  assert.match(hit.evidence, /short name "Huawei" \(the company's own brand \(huawei\.com\)/);
  assert.match(screener.screen('华为').hits[0]!.evidence, /huawei\.com/);
});

test('short names keep the namesake guards: a subsidiary abroad, a place, a generic word and a namesake in another country do not hit', async () => {
  const screener = await realScreener();
  // The rule derives no short name from a subsidiary abroad, nor a generic word from a long name.
  const vn = screener.screen('Huawei, Hanoi, Vietnam');
  assert.deepEqual(vn.hits, [], 'the Chinese company is not its Vietnamese namesake');
  assert.ok(vn.similar.some((s) => /string is in VN/.test(s.why)));
  const viaShortName = (q: string) => screener.screen(q).hits.filter((h) => /short name/.test(h.evidence));
  assert.deepEqual(viaShortName('Electronics'), [], '"China Electronics Technology Group" gives no short name "Electronics"');
  assert.deepEqual(viaShortName('Aerospace'), []);
  assert.deepEqual(screener.screen('Beijing').hits, []);
  assert.deepEqual(screener.screen('Hikvision, Berlin, Germany').hits, []);
  assert.deepEqual(entries(screener.screen('Beijing University of Technology')), [], 'no new name makes BJUT a hit');
});

test('strings screened with the resolutions an ingest already made are not resolved again, and answer as if they were', async () => {
  const store = await statesStore(tempDir());
  try {
    const { screener, resolver } = await screeningContext(store);
    const raws = ['Dept Comp Sci, Tsinghua University, Beijing, China', 'University of Oxford', 'Northeastern University', 'Dahua Technology Company', 'Acme Widgets Ltd'];
    const answers = screenStrings(screener, raws).map((a) => ('refused' in a ? assert.fail(a.refused) : a));
    assert.ok(answers.some((hits) => hits.length > 0) && answers.some((hits) => hits.length === 0), 'listed and unlisted strings alike');
    const resolutions = raws.map((raw) => resolver.resolve(raw));
    const resolved: string[] = [];
    const resolve = resolver.resolve.bind(resolver);
    resolver.resolve = (raw, thesaurus) => {
      resolved.push(raw);
      return resolve(raw, thesaurus);
    };
    assert.deepEqual(screenStrings(screener, raws, resolutions), answers);
    assert.deepEqual(resolved, [], 'each string was resolved once');
    // A resolution of the string as written, not as screened (trimmed), is not taken for it.
    screener.screen(' University of Oxford', { resolution: resolve(' University of Oxford') });
    assert.deepEqual(resolved, ['University of Oxford']);
  } finally {
    store.close();
  }
});
