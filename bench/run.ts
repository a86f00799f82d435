import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { loadConfig } from '../src/config.ts';
import { ingestWorks } from '../src/ingest/pipeline.ts';
import { ingestRegistry, loadRegistry } from '../src/ingest/registry.ts';
import { resolvePending } from '../src/resolve/apply.ts';
import { AffiliationResolver } from '../src/resolve/matcher.ts';
import { locate, sourceById } from '../src/sources.ts';
import { COUNTRY_SET_STATEMENTS, INSTITUTION_SET_STATEMENTS, refreshAnalytics } from '../src/store/refresh.ts';
import { Store } from '../src/store/store.ts';
import { generateOpenAlex } from './generate-openalex.ts';
import { alertsLoadBench, monitorBench, verdictRecheckBench } from './monitor.ts';
import { copublications } from '../src/indicators/copubs.ts';
import { NO_FILTERS } from '../src/indicators/filters.ts';
import { buildPairTops, PAIR_TOPS_KEPT } from '../src/indicators/institution-sets.ts';
import { DEFAULT_REGIONS, STANDARD_PAIRS } from '../src/indicators/catalog.ts';
import { buildKeptAnswers } from '../src/indicators/kept-answers.ts';
import { countryBreakdown, fieldBreakdown, publicationsByRegion, topInstitutions, topPairs } from '../src/indicators/landscape.ts';
import { loadRegions, regionOf } from '../src/regions/regions.ts';
import { catalogueLists } from '../src/screening/lists.ts';
import { assessmentBench, loadBench } from './service.ts';
import { startupBench } from './startup.ts';
import { screeningDemoBench } from './screening-demo.ts';
import { stallBench } from './stall.ts';
import { kbBench } from './kb.ts';
import { suggestBench } from './suggest.ts';
import { matchingBench } from './matching.ts';
import { loadTaxonomy } from '../src/fields/taxonomy.ts';
import { labelledNames, scoreScreening } from '../src/screening/evaluate.ts';
import { loadWeights, portfolio } from '../src/screening/portfolio.ts';
import { saveLists, screenPending, screeningContext } from '../src/screening/store.ts';
import type { Config } from '../src/config.ts';
import { fileId } from '../src/ingest/file-id.ts';
import { launchChromium } from '../src/chromium.ts';
import { EmbeddedDb } from '../src/appdb/embedded.ts';
import { migrate } from '../src/appdb/migrate.ts';
import { safeCsvField } from '../src/ingest/csv.ts';
import { Accounts, OPERATOR } from '../src/service/accounts.ts';
import type { Institution } from '../src/ingest/ror.ts';
import { readerBench } from './readers.ts';
import { refreshBench } from './refresh.ts';
import { clickhouseBench } from './clickhouse.ts';
import { compareIngest, ingestTrees, printIngest } from './ingest.ts';

const OUT = 'bench-output';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/**
 * Benchmarks, each side by side with its baseline in the same run. Figures are medians over
 * repeated runs where the run is short enough to repeat; the machine is shared, so read ratios
 * rather than absolute numbers. Nothing here asserts a threshold.
 */
export async function runBench(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { works: { type: 'string' }, runs: { type: 'string' }, only: { type: 'string' }, calibrate: { type: 'boolean' }, seconds: { type: 'string' }, connections: { type: 'string' }, baseline: { type: 'string' }, verdicts: { type: 'string' }, 'batch-size': { type: 'string' } },
  });
  // Sections: startup (CLI commands as new processes on the demo store, beside node -e '' and the CLI of --baseline REV), matching, screening (names, labelled set, 100k-work portfolio), screening-demo (the demo's affiliation strings, beside the screeners of --baseline REV[,REV…], 6b20435 by default, with the answers that differ), assessment (real data and 10M works),
  // load (a served store under concurrent requests; --seconds, --connections), stall (/health during uploads, beside the server of --baseline REV), readers (read and validate only), ingest-real, ingest-synthetic (`derisk ingest` beside DuckDB and the command of --baseline REV; --batch-size N merges in batches of N works), indicators and dashboard (read the synthetic store), indicators-real (the demo store), indicators-10m (an analytics-only store of 10M works, or --works), kb (knowledge base), suggest (registry suggestions as one types, on the full registry, beside --baseline REV's, 65120a8 by default), monitor (alerts after an ingest, verdicts and alerts-load), monitor-ingest (the alerts after a 100k-work ingest beside that ingest's time, alone), verdicts (re-check of --verdicts N stored verdicts, 10,000 by default, after a new bundle, and after a list change beside the baseline of --baseline REV, f7ace18 by default), alerts-load (inbox and feed p99 under load, beside the server of --baseline REV), clickhouse (DuckDB beside a 2-shard cluster: ingest and indicators), refresh-incremental (the refresh after an update of 1,000 works to a store of 100,000 or --works: incremental beside full).
  const works = Number(values.works ?? 1_000_000);
  const runs = Number(values.runs ?? 3);
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) throw new Error('--batch-size takes a positive whole number');
  const only = values.only?.split(',');
  const want = (name: string) => !only || only.includes(name);
  const config = loadConfig();
  mkdirSync(OUT, { recursive: true });
  const results: Record<string, unknown> = { date: new Date().toISOString(), node: process.version, works, runs };
  // The ROR registry, read once for the sections that need it.
  let loaded: Promise<Institution[]> | null = null;
  const registry = () =>
    (loaded ??= (async () => {
      const registryStore = await Store.open(':memory:');
      await ingestRegistry(registryStore, locate(config, sourceById('ror')));
      const institutions = await loadRegistry(registryStore);
      registryStore.close();
      return institutions;
    })());

  if (want('startup')) results.startup = await startupBench(config, runs, OUT, values.baseline);

  if (want('matching')) results.matching = await matchingBench(config, await registry(), runs, values.calibrate === true, OUT);

  if (want('readers')) results.readers = await readerBench(config, await registry(), works, runs, OUT);

  // Both ingest sections run `derisk ingest` as users do, beside DuckDB and beside --baseline REV's command.
  const trees = () => ingestTrees(OUT, locate(config, sourceById('ror')), values.baseline);
  if (want('ingest-real')) {
    const real: Record<string, unknown> = {};
    console.log('\nIngest throughput on the real works in the mirror (`derisk ingest`, median of runs; derisk includes resolution, screening and refresh)');
    const compared = await trees();
    for (const [id, kind, duck] of [
      ['wos-ble-sample', 'wos', (f: string) => `SELECT UT, PY, DI, C1, WC FROM read_csv('${f}', delim='\t', quote='', header=true, all_varchar=true, strict_mode=false)`],
      ['openalex-tu9-sample', 'openalex', (f: string) => `SELECT id, doi, publication_year, authorships FROM read_json('${f}', format='array', columns={id: 'VARCHAR', doi: 'VARCHAR', publication_year: 'INTEGER', authorships: 'JSON[]'})`],
    ] as const) {
      const path = locate(config, sourceById(id));
      const r = await compareIngest(OUT, compared, kind, path, duck(path), runs);
      real[id] = r;
      printIngest(id, r);
    }
    results.ingestReal = real;
  }

  if (want('ingest-synthetic')) {
    const file = join(OUT, `openalex-synthetic-${works}.jsonl`);
    if (!existsSync(file)) {
      const t = performance.now();
      const bytes = await generateOpenAlex(file, works, await registry());
      console.log(`\ngenerated ${works} synthetic works (${(bytes / 1e9).toFixed(2)} GB) in ${((performance.now() - t) / 1000).toFixed(0)} s`);
    }
    const sql = `SELECT id, doi, publication_year, authorships FROM read_json('${file}', format='newline_delimited', columns={id: 'VARCHAR', doi: 'VARCHAR', publication_year: 'INTEGER', authorships: 'JSON[]'})`;
    console.log(`\nIngest throughput on ${works} synthetic OpenAlex works (\`derisk ingest\`${batchSize ? ` --batch-size ${batchSize}` : ''}, median of ${runs} runs)`);
    const r = await compareIngest(OUT, await trees(), 'openalex', file, sql, runs, join(OUT, 'store'), batchSize);
    printIngest(`synthetic-${works}`, r);
    results.ingestSynthetic = r;
  }

  const syntheticStore = join(OUT, 'store', 'bench.duckdb');
  const needStore = () => {
    if (!existsSync(syntheticStore)) throw new Error(`this benchmark reads the store the synthetic ingest leaves in ${syntheticStore}; run with --only ingest-synthetic,…`);
    return syntheticStore;
  };
  if (want('indicators')) results.indicators = await indicatorLatency(needStore(), runs);
  if (want('indicators-real')) {
    if (!existsSync(config.storePath)) throw new Error(`no store at ${config.storePath}: run npm run demo first`);
    results.indicatorsReal = await indicatorLatency(config.storePath, runs, 'real works (the demo store)');
  }
  if (want('dashboard')) results.dashboard = await dashboardPaint(needStore(), runs);
  if (want('indicators-10m')) results.indicators10m = await indicatorLatency(await analyticsOnlyStore(values.works ? works : 10_000_000), runs);

  if (want('screening')) results.screening = await screeningBench(config, await registry(), runs);
  if (want('screening-demo')) results.screeningDemo = await screeningDemoBench(config, runs, OUT, values.baseline);
  if (want('assessment')) results.assessment = await assessmentBench(config, OUT, runs);
  if (want('load')) results.load = await loadBench(config, Number(values.seconds ?? 60), Number(values.connections ?? 32));
  if (want('stall')) results.stall = await stallBench(config, await registry(), OUT, values.works === undefined ? undefined : works, runs, values.baseline);
  if (want('kb')) results.kb = await kbBench(config, runs);
  if (want('suggest')) results.suggest = await suggestBench(config, runs, OUT, values.baseline);
  // 100,000 works unless --works says otherwise: the update is 1,000 of them.
  if (want('refresh-incremental')) results.refreshIncremental = await refreshBench(await registry(), values.works ? works : 100_000, 1_000, runs, OUT);
  if (want('clickhouse')) results.clickhouse = await clickhouseBench(config, await registry(), works, runs, OUT, values.baseline);
  if (want('monitor') || want('monitor-ingest')) results.monitor = await monitorBench(config, await registry(), OUT, Math.min(works, 100_000));
  if (want('monitor') || want('verdicts')) results.verdicts = await verdictRecheckBench(config, OUT, Number(values.verdicts ?? 10_000), runs, values.baseline);
  if (want('monitor') || want('alerts-load')) results.alertsLoad = await alertsLoadBench(config, OUT, Number(values.seconds ?? 20), Number(values.connections ?? 32), runs, values.baseline);

  writeFileSync(join(OUT, 'results.json'), JSON.stringify(results, null, 2));
  console.log(`\nfigures written to ${join(OUT, 'results.json')}`);
  return 0;
}

const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)]!;

async function timed(n: number, f: () => Promise<unknown>): Promise<{ median: number; p95: number }> {
  await f();
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return { median: median(ms), p95: p95(ms) };
}

/**
 * Indicator latency on the synthetic store, beside the same question asked as hand-written
 * DuckDB SQL: over the store's own table, and over the flat Parquet export partitioned by year.
 * The indicators that count by country, top institutions and top pairs, are timed twice, alternating, on
 * the same store: reading the refresh's summary (country_set_counts, institution_set_counts) and,
 * with it set aside, every work × institution row as before it; with whether both give the same answers.
 */
async function indicatorLatency(storePath: string, runs: number, what = 'synthetic works') {
  const store = await Store.open(storePath);
  const catalogue = loadRegions();
  const eu = regionOf(catalogue, 'EU27AC')
    .countries.map((c) => `'${c}'`)
    .join(',');
  // A store refreshed before the summaries or their keys, or an analytics-only store (whose summaries
  // Store.open created empty), has them built here: both, as summary_keys is built from both.
  const keyed = (await store.one<{ n: number }>(`SELECT count(*)::DOUBLE AS n FROM duckdb_columns() WHERE table_name IN ('country_set_counts', 'institution_set_counts', 'summary_keys') AND column_name = 'countries_key'`))!.n === 3;
  const counted = !keyed || (await store.one<{ n: number }>('SELECT count(*)::DOUBLE AS n FROM summary_keys'))!.n === 0;
  if (counted) {
    const t = performance.now();
    for (const sql of [...COUNTRY_SET_STATEMENTS, ...INSTITUTION_SET_STATEMENTS]) await store.run(sql);
    console.log(`\nbuilt country_set_counts, institution_set_counts and summary_keys in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  // The top institutions and first-view answers the refresh keeps, as a refresh ends: again after the summaries were counted here, when kept without stamps (round 45), which are never read, or not kept (before round 48).
  if (counted || !(await store.one(`SELECT 1 FROM duckdb_columns() WHERE table_name = 'pair_top_keys' AND column_name = 'generation'`)) || !(await store.one(`SELECT 1 FROM duckdb_tables() WHERE table_name = 'kept_answers'`))) {
    const t = performance.now();
    await buildPairTops(store, catalogue, STANDARD_PAIRS);
    await buildKeptAnswers(store, catalogue, STANDARD_PAIRS, DEFAULT_REGIONS);
    console.log(`\nbuilt pair_tops and kept_answers (${STANDARD_PAIRS.length} pairs, ${PAIR_TOPS_KEPT} institutions each) in ${((performance.now() - t) / 1000).toFixed(1)} s (load ${loadavg()[0]!.toFixed(1)})`);
  }
  const parquet = join(OUT, 'parquet');
  rmSync(parquet, { recursive: true, force: true });
  await store.run(`COPY (SELECT work_id, year, ror_id, country_code, weight FROM work_institutions) TO '${parquet}' (FORMAT parquet, PARTITION_BY (year))`);
  const handWritten = (from: string) => `
    SELECT year, count(*) AS full FROM (
      SELECT work_id, any_value(year) AS year, bool_or(country_code IN (${eu})) AS a, bool_or(country_code = 'CN') AS b
      FROM ${from} GROUP BY work_id) WHERE a AND b GROUP BY year ORDER BY year`;
  const n = Math.max(5, runs * 3);
  const summaryAside = (aside: boolean, table: string) => store.run(aside ? `ALTER TABLE ${table} RENAME TO ${table}_aside` : `ALTER TABLE ${table}_aside RENAME TO ${table}`);
  // Alternating, so both ways see the same load; the first run of each is a warm-up.
  const sideBySide = async (label: string, f: () => Promise<unknown>, summary = 'country_set_counts') => {
    const ms = { summary: [] as number[], rows: [] as number[] };
    let same = true;
    for (let i = 0; i <= n; i++) {
      let t = performance.now();
      const fromSummary = JSON.stringify(await f());
      if (i > 0) ms.summary.push(performance.now() - t);
      await summaryAside(true, summary);
      try {
        t = performance.now();
        same &&= JSON.stringify(await f()) === fromSummary;
        if (i > 0) ms.rows.push(performance.now() - t);
      } finally {
        await summaryAside(false, summary);
      }
    }
    const t = { summary: { median: median(ms.summary), p95: p95(ms.summary) }, rows: { median: median(ms.rows), p95: p95(ms.rows) }, same };
    console.log(
      `  ${label.padEnd(40)} rows ${t.rows.median.toFixed(0).padStart(6)} / ${t.rows.p95.toFixed(0).padStart(6)} | summary ${t.summary.median.toFixed(0).padStart(5)} / ${t.summary.p95.toFixed(0).padStart(5)} | ×${(t.summary.median / t.rows.median).toFixed(3)} | same answers: ${t.same} | load ${loadavg()[0]!.toFixed(1)}`,
    );
    return t;
  };
  const load = [loadavg()[0]!];
  console.log(`\nCountry-counting indicators, top institutions and top pairs on ${storePath}, every row beside the summary (ms, median / p95 over ${n} runs, alternating)`);
  // The first view's answers kept at refresh (round 48) beside the summary; then set aside, so "summary" below is the summary's time.
  const firstViewKept = await sideBySide('copubs EU27AC–CN, kept / summary', () => copublications(store, catalogue, 'EU27AC', 'CN'), 'kept_answers');
  await summaryAside(true, 'kept_answers');
  const out = {
    firstViewKept,
    works: (await store.one<{ n: number }>('SELECT count(*)::DOUBLE AS n FROM works'))!.n,
    summaryRows: (await store.one<{ n: number }>('SELECT count(*)::DOUBLE AS n FROM country_set_counts'))!.n,
    institutionSummaryRows: (await store.one<{ n: number }>('SELECT count(*)::DOUBLE AS n FROM institution_set_counts'))!.n,
    workInstitutionRows: (await store.one<{ n: number }>('SELECT count(*)::DOUBLE AS n FROM work_institutions'))!.n,
    topPairs: await sideBySide('derisk top-pairs EU27AC–CN', () => topPairs(store, catalogue, 'EU27AC', 'CN', 15), 'institution_set_counts'),
    copubs: await sideBySide('derisk copubs EU27AC–CN (full + fract.)', () => copublications(store, catalogue, 'EU27AC', 'CN')),
    publications: await sideBySide('derisk publications EU27AC, CN, US', () => publicationsByRegion(store, catalogue, ['EU27AC', 'CN', 'US'])),
    fields: await sideBySide('derisk fields EU27AC–CN', () => fieldBreakdown(store, catalogue, 'EU27AC', 'CN')),
    countries: await sideBySide('derisk countries EU27AC–CN', () => countryBreakdown(store, catalogue, 'EU27AC', 'CN')),
    handWrittenTable: await timed(n, () => store.all(handWritten('work_institutions'))),
    handWrittenParquet: await timed(n, () => store.all(handWritten(`read_parquet('${parquet}/**/*.parquet', hive_partitioning = true)`))),
    topInstitutions: await sideBySide('derisk top-institutions EU27AC–CN', () => topInstitutions(store, catalogue, 'EU27AC', 'CN', 15), 'institution_set_counts'),
    // "rows" here is the ranking from institution_set_counts, with pair_tops set aside.
    topInstitutionsKept: await sideBySide('top-institutions EU27AC–CN, kept / summary', () => topInstitutions(store, catalogue, 'EU27AC', 'CN', 15), 'pair_top_keys'),
    topInstitutionsRolledUp: await timed(n, () => topInstitutions(store, catalogue, 'EU27AC', 'CN', 15, { ...NO_FILTERS, rollUp: true })),
    load: [...load, loadavg()[0]!],
  };
  await summaryAside(false, 'kept_answers');
  store.close();
  console.log(
    `\nIndicator latency on ${out.works.toLocaleString('en')} ${what} (ms, median / p95 over ${n} runs; summaries of ${out.summaryRows.toLocaleString('en')} (countries) and ${out.institutionSummaryRows.toLocaleString('en')} (institutions) rows beside ${out.workInstitutionRows.toLocaleString('en')} work × institution rows; load ${out.load.map((l) => l.toFixed(1)).join(' → ')})`,
  );
  const row = (label: string, t: { median: number; p95: number }) => console.log(`  ${label.padEnd(52)} ${t.median.toFixed(0).padStart(6)} / ${t.p95.toFixed(0).padStart(6)}`);
  row('hand-written SQL, same store table (full only)', out.handWrittenTable);
  row('hand-written SQL, Parquet partitioned by year (full only)', out.handWrittenParquet);
  row('derisk top-institutions (roll-up, main partner; rows)', out.topInstitutionsRolledUp);
  console.log(`  ratio derisk copubs (summary) / hand-written over Parquet: ${(out.copubs.summary.median / out.handWrittenParquet.median).toFixed(2)}×`);
  return out;
}

/**
 * A store holding only the analytics tables for `works` synthetic works, generated inside
 * DuckDB: the indicators read nothing else, and generating 10M works as JSON to ingest would
 * take this machine most of an hour. Region shares loosely follow the brief's landscape.
 */
export async function analyticsOnlyStore(works: number): Promise<string> {
  const path = join(OUT, `analytics-${works}.duckdb`);
  if (existsSync(path)) return path;
  const t = performance.now();
  const store = await Store.open(path);
  await store.run(`CREATE OR REPLACE TABLE work_institutions AS
    WITH w AS (SELECT i AS n, 2011 + (hash(i) % 13)::INTEGER AS year, 1 + (hash(i * 7) % 6)::INTEGER AS k FROM range(${works}) t(i)),
    rows AS (SELECT n, year, k, unnest(range(k)) AS j FROM w)
    SELECT 'w:' || n AS work_id, year,
      printf('0i%06d%02d', hash(n * 31 + j) % 500000, 10 + (hash(n + j) % 90)) AS ror_id,
      ['CN','CN','CN','US','US','DE','GB','FR','NL','IT','ES','SE','CH','JP','KR','IN','BR','CA','AU','HK'][1 + (hash(n * 13 + j) % 20)::INTEGER] AS country_code,
      'exact' AS tier, 1.0 / k AS weight, 1 AS authors
    FROM rows ORDER BY year`);
  await store.run(`CREATE OR REPLACE TABLE works AS SELECT DISTINCT work_id, year FROM work_institutions`);
  await store.run(`CREATE OR REPLACE TABLE work_fields AS SELECT work_id, ['ai-ml-big-data','ai-image-processing','networking-telecommunications'][1 + (hash(work_id) % 3)::INTEGER] AS field_id FROM works`);
  await store.run(`CREATE OR REPLACE TABLE institution_rollup AS SELECT DISTINCT ror_id, ror_id AS top_id FROM work_institutions`);
  store.close();
  console.log(`\ngenerated an analytics-only store of ${works.toLocaleString('en')} synthetic works in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  return path;
}

/** Time from navigation to a drawn dashboard, in Debian's Chromium, over the synthetic store. */
async function dashboardPaint(storePath: string, runs: number) {
  const { buildServer } = await import('../src/server/app.ts');
  const { loadTaxonomy } = await import('../src/fields/taxonomy.ts');
  const { BUNDLED_REGIONS } = await import('../src/regions/regions.ts');
  // Chromium first: its start (3 s at load 15) would otherwise give the server that long to compute the default view before the first navigation.
  const browser = await launchChromium();
  const page = await browser.newPage();
  const opened = performance.now();
  const store = await Store.open(storePath);
  const db = await EmbeddedDb.open(':memory:');
  await migrate(db);
  const accounts = new Accounts(db);
  const code = await accounts.mintLoginCode(OPERATOR, (await accounts.ensureLocalAdmin()).actor.userId, 'bench');
  const app = await buildServer({ store, db, regionFiles: [BUNDLED_REGIONS], taxonomy: loadTaxonomy() });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  // The first load comes straight after start, while the server is still computing the default view.
  await page.goto(`${base}/#code=${code}`);
  await page.waitForSelector('body[data-ready=true]');
  const firstMs = await page.evaluate(() => performance.now());
  const fromOpenMs = performance.now() - opened;
  const ms: number[] = [];
  for (let i = 0; i < Math.max(5, runs * 2); i++) {
    await page.reload();
    await page.waitForSelector('body[data-ready=true]');
    ms.push(await page.evaluate(() => performance.now()));
  }
  await browser.close();
  await app.close();
  await db.close();
  store.close();
  const out = { firstLoadMs: firstMs, fromOpenMs, medianMs: median(ms), p95Ms: p95(ms), loads: ms.length, load: loadavg()[0]! };
  console.log(
    `\nDashboard, navigation to all charts and tables drawn (Chromium): first load after server start ${out.firstLoadMs.toFixed(0)} ms (${out.fromOpenMs.toFixed(0)} ms from opening the store); later loads median ${out.medianMs.toFixed(0)} ms, p95 ${out.p95Ms.toFixed(0)} ms (${out.loads} loads; load ${out.load.toFixed(1)})`,
  );
  return out;
}

function repeat<T>(n: number, f: () => T): T[] {
  return Array.from({ length: Math.max(1, n) }, f);
}

/**
 * Screening: throughput over every distinct affiliation string of the real data, precision and
 * recall on a labelled set of name variants built from the lists and the registry, and
 * portfolio screening of 100k synthetic works beside the bare SQL join it rests on.
 */
async function screeningBench(config: Config, registry: Institution[], runs: number) {
  const lists = catalogueLists(config);
  const out: Record<string, unknown> = {};
  const real = await Store.open(':memory:');
  await ingestRegistry(real, locate(config, sourceById('ror')));
  for (const [id, kind] of [
    ['wos-ble-sample', 'wos'],
    ['openalex-tu9-sample', 'openalex'],
    ['scopus-litstudy-sample', 'scopus'],
  ] as const) {
    await ingestWorks(real, kind, locate(config, sourceById(id)), { quarantineDir: join(OUT, 'quarantine') });
  }
  await saveLists(real, lists);
  const context = await screeningContext(real, new AffiliationResolver(registry));
  const strings = (await real.all<{ raw: string }>("SELECT DISTINCT raw FROM affiliations WHERE trim(raw) <> ''")).map((r) => r.raw);
  const rates = repeat(runs, () => {
    const t = performance.now();
    for (const raw of strings) context.screener.screen(raw);
    return strings.length / ((performance.now() - t) / 1000);
  });
  const items = labelledNames(context.lists, registry, context.links);
  const score = scoreScreening(context.screener, items);
  writeFileSync(join(OUT, 'screening-labelled.csv'), ['query,kind,expected', ...items.map((i) => [i.query, i.kind, [...i.expected].join(' ')].map(safeCsvField).join(','))].join('\n'));
  console.log(`\nScreening: ${strings.length} distinct affiliation strings of the real data, ${median(rates).toFixed(0)} strings/s (median of ${runs}; registry resolution included)`);
  console.log(`  labelled set (${items.length} names, ${join(OUT, 'screening-labelled.csv')}): precision ${score.precision.toFixed(4)}, recall ${score.recall.toFixed(4)}, ${score.namesPerSecond.toFixed(0)} names/s`);
  for (const [kind, k] of Object.entries(score.byKind)) console.log(`    ${kind.padEnd(30)} ${String(k.names).padStart(5)} names  recall ${k.recall === null ? '   -  ' : k.recall.toFixed(3)}  false hits ${k.falseHits}`);
  out.real = { strings: strings.length, stringsPerSecond: median(rates) };
  out.labelled = { names: items.length, precision: score.precision, recall: score.recall, byKind: score.byKind, falseHits: score.falseHits.slice(0, 20), misses: score.misses.slice(0, 20) };
  real.close();

  const n = 100_000;
  const file = join(OUT, `openalex-synthetic-${n}.jsonl`);
  if (!existsSync(file)) await generateOpenAlex(file, n, registry, 7);
  const dir = join(OUT, 'store-100k');
  rmSync(dir, { recursive: true, force: true });
  const store = await Store.open(join(dir, 'bench.duckdb'));
  await ingestRegistry(store, locate(config, sourceById('ror')));
  await ingestWorks(store, 'openalex', file, { quarantineDir: join(dir, 'quarantine') });
  const resolver = new AffiliationResolver(registry);
  await resolvePending(store, resolver);
  await refreshAnalytics(store);
  await saveLists(store, lists);
  const screened = await screenPending(store, await screeningContext(store, resolver));
  const home = await store.one<{ ror_id: string; name: string; n: bigint }>(`SELECT wi.ror_id, i.name, count(*) AS n FROM work_institutions wi JOIN institutions i USING (ror_id) WHERE i.country_code IN ('DE','GB','FR','NL') GROUP BY ALL ORDER BY n DESC LIMIT 1`);
  const weights = loadWeights(loadTaxonomy());
  const scope = { institution: home!.ror_id, rollUp: false };
  const derisk = await timed(runs, () => portfolio(store, scope, weights));
  const flagged = (await portfolio(store, scope, weights)).flagged.length;
  const exportScope = { fileId: await fileId(file), label: 'the whole export' };
  const whole = await timed(runs, () => portfolio(store, exportScope, weights));
  const wholeFlagged = (await portfolio(store, exportScope, weights)).flagged.length;
  const bare = await timed(runs, () =>
    store.all(
      `SELECT count(DISTINCT w.work_id) FROM works w JOIN (SELECT DISTINCT work_id FROM work_institutions WHERE ror_id = $1) s USING (work_id)
       JOIN affiliations a ON a.source = w.source AND a.source_id = w.source_id JOIN screen_hits h ON h.raw = a.raw`,
      [home!.ror_id],
    ),
  );
  const portfolioAll = await timed(1, () => store.all(`SELECT count(DISTINCT w.work_id) FROM works w JOIN affiliations a ON a.source = w.source AND a.source_id = w.source_id JOIN screen_hits h ON h.raw = a.raw`));
  console.log(`\nPortfolio screening on ${n.toLocaleString('en')} synthetic works (${screened.screened} strings screened in ${screened.seconds.toFixed(1)} s at load):`);
  console.log(`  the whole export as one portfolio (${wholeFlagged} flagged works, ranked): derisk ${whole.median.toFixed(0)} ms median / ${whole.p95.toFixed(0)} ms p95; bare SQL count of flagged works ${portfolioAll.median.toFixed(0)} ms (${(whole.median / portfolioAll.median).toFixed(2)}x)`);
  console.log(
    `  ${home!.name} (${home!.n} works, ${flagged} flagged): derisk portfolio ${derisk.median.toFixed(0)} ms median / ${derisk.p95.toFixed(0)} ms p95, bare SQL join ${bare.median.toFixed(0)} ms (${(derisk.median / bare.median).toFixed(2)}x); flagged works of the whole store, SQL: ${portfolioAll.median.toFixed(0)} ms`,
  );
  out.portfolio100k = { works: n, screeningSeconds: screened.seconds, wholeExport: { flagged: wholeFlagged, derisk: whole, bareSql: portfolioAll }, institution: { ...home, n: Number(home!.n), flagged, derisk, bareSql: bare } };
  store.close();
  return out;
}
