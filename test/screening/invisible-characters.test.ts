import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadTaxonomy } from '../../src/fields/taxonomy.ts';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver, type Resolution } from '../../src/resolve/matcher.ts';
import { foldText } from '../../src/resolve/normalize.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { isAcronym, screenKey, screenReadings, screenTokens } from '../../src/screening/names.ts';
import { Screener } from '../../src/screening/screener.ts';
import { loadWeights, portfolio } from '../../src/screening/portfolio.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { HIT, KU_LEUVEN, LEUVEN_REGISTRY } from '../helpers/leuven.ts';
import { realRegistry } from '../helpers/registry.ts';
import { realScreener } from '../helpers/screening.ts';
import { watchlist } from '../helpers/watchlist.ts';

/** Every format character (Unicode category Cf): soft hyphen, zero-width space and joiners, BOM, bidi marks, tags, … */
const INVISIBLE = Array.from({ length: 0x110000 }, (_, code) => code)
  .filter((code) => code < 0xd800 || code > 0xdfff)
  .map((code) => String.fromCodePoint(code))
  .filter((c) => /\p{Cf}/u.test(c));

/** `name` with invisible characters put in at some of its positions (the ends included). */
const withInvisibles = (name: string) =>
  fc.array(fc.tuple(fc.nat({ max: name.length }), fc.constantFrom(...INVISIBLE)), { minLength: 1, maxLength: 4 }).map((inserts) => {
    let text = name;
    for (const [at, c] of [...inserts].sort((a, b) => b[0] - a[0])) text = text.slice(0, at) + c + text.slice(at);
    return text;
  });

test('property: an invisible character anywhere in a name never changes its folding, screening key or readings', () => {
  for (const c of ['\u00ad', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u200e', '\u200f', '\u202a', '\u202e', '\u2066', '\u2069']) assert.ok(INVISIBLE.includes(c), c.codePointAt(0)!.toString(16));
  const word = fc.oneof(fc.stringMatching(/^[A-Z][a-z]{1,9}$/), fc.stringMatching(/^[A-Z]{2,5}$/), fc.stringMatching(/^[a-z]{1,9}$/), fc.constantFrom('SenseTime', 'iFlytek', 'Natl', 'Univ', 'Technol', 'Co., Ltd.', '&', 'of'));
  const name = fc.array(word, { minLength: 1, maxLength: 6 }).map((words) => words.join(' '));
  fc.assert(
    fc.property(
      name.chain((clean) => fc.tuple(fc.constant(clean), withInvisibles(clean))),
      ([clean, hidden]) => {
        assert.equal(foldText(hidden), foldText(clean));
        assert.equal(screenKey(hidden), screenKey(clean));
        assert.equal(isAcronym(hidden), isAcronym(clean));
        assert.deepEqual(screenTokens(hidden), screenTokens(clean));
        assert.deepEqual(
          screenReadings(hidden).map((r) => r.tokens),
          screenReadings(clean).map((r) => r.tokens),
        );
      },
    ),
    { numRuns: 2000 },
  );
});

const NAMES = [
  'Harbin Institute of Technology',
  'NUDT',
  'National University of Defense Technology',
  'Beihang University',
  'University of Oxford',
  'Huawei Technologies Co., Ltd.',
  'iFlytek',
  'Harbin Inst Technol, Sch Comp Sci & Technol, Harbin 150001, Peoples R China',
  'Natl Univ Def Technol, Coll Comp, Changsha 410073, Peoples R China',
];

/** What screening concludes, without the wording that quotes the name as written. */
const screened = (r: { state: string; level: string | null; hits: { list: string; entry: string; match: string }[] }) => ({ state: r.state, level: r.level, hits: [...new Set(r.hits.map((h) => `${h.list} ${h.entry} ${h.match}`))].sort() });
/** What resolution concludes: the institutions, their tiers and the country. */
const resolved = (r: Resolution) => ({ institutions: r.institutions.map((m) => [m.rorId, m.tier, m.primary]), tier: r.tier, countryCode: r.countryCode });

test('property: an invisible character anywhere in a name never changes its screening or its resolution', async () => {
  const screener = await realScreener();
  const { resolver } = await realRegistry();
  fc.assert(
    fc.property(
      fc.constantFrom(...NAMES).chain((clean) => fc.tuple(fc.constant(clean), withInvisibles(clean))),
      ([clean, hidden]) => {
        assert.deepEqual(screened(screener.screen(hidden)), screened(screener.screen(clean)), JSON.stringify(hidden));
        assert.deepEqual(resolved(resolver.resolve(hidden)), resolved(resolver.resolve(clean)), JSON.stringify(hidden));
      },
    ),
    { numRuns: 150 },
  );
});

test('a soft hyphen, zero-width space or joiner inside a word hides no listed name', async () => {
  const screener = await realScreener();
  for (const [hidden, entry] of [
    ['Harbin Institute of Tech\u00adnology', 'Harbin Institute of Technology'],
    ['NU\u200bDT', 'National University of Defense Technology'],
    ['Har\u200dbin Institute of Technology', 'Harbin Institute of Technology'],
  ] as const) {
    const r = screener.screen(hidden);
    assert.equal(r.state, 'listed', `${JSON.stringify(hidden)}: ${r.headline}`);
    assert.ok(
      r.hits.some((h) => h.entry === entry),
      JSON.stringify(hidden),
    );
  }
});

test('a listed acronym holding an invisible or full-width character screens as the acronym it is', () => {
  const screenerListing = (alias: string) => new Screener([readWatchlist(watchlist([{ name: 'National University of Defense Technology', level: 'high', aliases: [alias] }]))]);
  const plain = screenerListing('NUDT');
  const hits = (screener: Screener, query: string) => screener.screen(query).hits.map((h) => ({ entry: h.entry, match: h.match, score: h.score }));
  for (const written of ['NU\u200bDT', '\u00adNUDT', 'NUDT\u2060', 'ＮＵＤＴ']) {
    const listed = screenerListing(written);
    for (const query of ['NUDT', 'Nudt', 'College of Computer, NUDT', 'NUDT Research Institute']) assert.deepEqual(hits(listed, query), hits(plain, query), `${JSON.stringify(written)} listed, ${query} screened`);
  }
});

test('an affiliation with a soft hyphen in a word resolves as written without it, and the evidence says it was removed', async () => {
  const { resolver } = await realRegistry();
  for (const clean of ['Harbin Inst Technol, Harbin 150001, Peoples R China', 'Natl Univ Def Technol, Changsha 410073, Peoples R China']) {
    const hidden = clean.replace('Technol', 'Tech\u00adnol');
    const r = resolver.resolve(hidden);
    assert.deepEqual(resolved(r), resolved(resolver.resolve(clean)), hidden);
    assert.match(r.institutions.find((m) => m.primary)!.evidence, /invisible characters \(soft hyphens, zero-width spaces and joiners, direction marks\) removed/);
  }
});

test('a WoS export whose C1 hides a soft hyphen or a zero-width space in a listed partner is flagged in the portfolio', async () => {
  const home = tempDir();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  try {
    await ingestRegistry(store, writeTemp('ror.jsonl', LEUVEN_REGISTRY.map((r) => JSON.stringify(r)).join('\n')));
    const record = (ut: string, harbin: string) =>
      [
        'PT J',
        'AU Peeters, A',
        '   Li, W',
        `TI Joint work ${ut}`,
        'PY 2023',
        `C1 [Peeters, A] KU Leuven, Dept Comp Sci, B-3001 Leuven, Belgium.`,
        `   [Li, W] ${harbin}, Sch Comp Sci & Technol, Harbin 150001, Peoples R China.`,
        `DI 10.5555/invisible.${ut}`,
        `UT WOS:00000000000000${ut}`,
        'ER',
        '',
      ].join('\n');
    const body = ['FN Clarivate Analytics Web of Science', 'VR 1.0', record('1', 'Harbin Inst Tech\u00adnol'), record('2', 'Harbin Inst Tech\u200bnol'), 'EF', ''].join('\n');
    const report = await ingestWorks(store, 'wos', writeTemp('savedrecs.txt', body), { quarantineDir: join(home, 'q') });
    assert.equal(report.kept, 2);
    await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
    await refreshAnalytics(store);
    await saveLists(store, [readWatchlist(watchlist([{ name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HIT] }]))]);
    await screenPending(store, await screeningContext(store));
    const leuven = await portfolio(store, { institution: KU_LEUVEN }, loadWeights(loadTaxonomy()));
    assert.deepEqual(
      leuven.flagged.map((w) => w.partners.map((p) => p.entry)),
      [['Harbin Institute of Technology'], ['Harbin Institute of Technology']],
    );
  } finally {
    store.close();
  }
});
