import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { fetchOpenAlexWorks } from '../fetch/openalex-api.ts';
import { landscapeSummary, type LandscapeSummary } from '../indicators/copubs.ts';
import { checkFacts } from '../indicators/facts.ts';
import { FilterError, parseFilters, type Filters } from '../indicators/filters.ts';
import { aggregatePairs } from '../indicators/landscape.ts';
import { IndicatorError, runIndicator, validateRequest, type IndicatorName, type IndicatorRequest } from '../indicators/catalog.ts';
import { ingestCountryPairs } from '../ingest/aggregates.ts';
import { ingestPatents } from '../ingest/patents.ts';
import { ingestNsfSeries } from '../ingest/nsf.ts';
import { Gazetteer } from '../resolve/gazetteer.ts';
import { loadTaxonomy } from '../fields/taxonomy.ts';
import { ingestWorks, type IngestReport } from '../ingest/pipeline.ts';
import type { SourceName } from '../ingest/records.ts';
import { ingestRegistry, loadRegistry } from '../ingest/registry.ts';
import { BUNDLED_REGIONS, chinaScopeNote } from '../regions/regions.ts';
import { describeSourceAgreement, resolvePending, sourceAgreement } from '../resolve/apply.ts';
import { resolveCsv } from '../resolve/batch.ts';
import { AffiliationResolver, type Tier } from '../resolve/matcher.ts';
import { SOURCES, locate } from '../sources.ts';
import { refreshAnalytics } from '../store/refresh.ts';
import { Store } from '../store/store.ts';
import { COMMON, EXIT, UsageError, regionsFrom, withStore } from './common.ts';
import { render, type Format } from './output.ts';
import { backupCommand, restoreCommand, usersCommand } from './admin.ts';
import { assessCommand, auditCommand, rulebookCommand } from './assessment.ts';
import { briefCommand, catalogueLists, listsCommand, loadAndScreen, screenCommand } from './screening.ts';
import { ProgressReporter } from './progress.ts';
import { buildServer } from '../server/app.ts';
import { openAppDb } from '../appdb/open.ts';
import { Accounts } from '../service/accounts.ts';


const USAGE = `derisk — evidence for de-risking AI and big-data co-operation with China

Usage:
  derisk demo [--serve] [--port N]             build the store from the data mirror, print the landscape,
                                               and with --serve open the web app on it
  derisk ingest ror <dump.json|dump.zip|records.jsonl[.gz]>...
  derisk ingest openalex|wos|scopus <file>...  read bibliographic exports (resolves and refreshes after)
  derisk ingest lens|patstat <file>...         patents: a Lens CSV export, or a PATSTAT-like applicant table
  derisk ingest aggregate <country_pairs.csv[.gz]>   aggregate country-pair co-authorship counts
  derisk ingest nsf <ncses-table/data.csv>     an NCSES row-hierarchical table (e.g. 10067, AI articles)
  derisk resolve <in.csv> --column <name> --out <out.csv> [--rollup] [--min-tier strong|possible|exact]
  derisk fetch openalex --filter <f> --mailto <e-mail> --out <works.jsonl> [--max N] [--base-url URL]
  derisk summary [--json]                      co-publications per year for the standard region pairs
  derisk indicators copubs|publications|top-institutions|top-pairs|countries|fields|leadership|funders|works|aggregate-copubs
        |copatents|applicants|applicant-pairs|copatent-sectors|aggregate-series
        [--regions A,B] [--from YEAR] [--to YEAR] [--field ID] [--rollup] [--limit N] [--json|--csv]
        [--institution ROR]                    ("works" lists the works behind any figure)
  derisk fields                                the technology fields and where their definitions come from
  derisk facts [--json]                        the brief's published facts against the loaded data
  derisk lists [show|load [--watchlist F]...|diff <old> <new>]   risk lists: what is loaded (with provenance),
                                               load the published lists from the mirror (and your watchlists), compare versions
  derisk screen <name|ROR id> [--json]         every list entry the name denotes, how it matched, and similar names
  derisk screen --portfolio <ROR id> [--rollup] [--csv out.csv] [--json]
  derisk screen --export <ingested file> [--csv out.csv] [--json]
                                               co-publications with listed entities, partners/researchers/departments ranked
  derisk brief <name|ROR id> [--json]          briefing sheet on a partner: listings, co-publications, Chinese rules
  derisk assess <case.yaml|json> [--json] [--report out.html|out.pdf] [--rulebook F] [--as-of YYYY-MM-DD]
                                               red/yellow/green verdict from the rulebook, with evidence, sources and a mitigation plan
  derisk assess --rerun <assessment id> --rulebook F   an old case under another rulebook, and what changed
  derisk rulebook [F] [--json]                 check a rulebook and list its criteria
  derisk audit verify                          check the audit trail for edited or deleted entries
  derisk users add-org <id> <name> | users add --org ID --email E --role viewer|analyst|officer|admin
  derisk backup <dir> | derisk restore <dir>   application database and evidence store, to and from a directory
  derisk serve [--port 8720] [--host 127.0.0.1]   the web app and HTTP API over the store
  derisk export parquet <dir>                  work × institution table as Parquet, partitioned by year
  derisk sources                               the datasets derisk knows and where they come from
  derisk bench                                 run the benchmarks

Common options:
  --regions-file <file>   extra region definitions (JSON, with provenance)
  --china-includes-hk     count Hong Kong as China (default: apart)
  --china-includes-mo     count Macao as China (default: apart)

Environment: DERISK_HOME (store, default ./.derisk), DERISK_MIRROR (data mirror, default ../shared/data),
  DERISK_DATABASE_URL (PostgreSQL for the application database; default: embedded in DERISK_HOME)
Exit codes: 0 ok, 1 failed, 2 usage error, 3 done but some records were quarantined (see the files named)`;


export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'demo':
        return await demo(rest);
      case 'ingest':
        return await ingest(rest);
      case 'resolve':
        return await resolveCommand(rest);
      case 'fetch':
        return await fetchCommand(rest);
      case 'summary':
        return await summaryCommand(rest);
      case 'indicators':
        return await indicatorsCommand(rest);
      case 'facts':
        return await factsCommand(rest);
      case 'serve':
        return await serveCommand(rest);
      case 'lists':
        return await listsCommand(rest);
      case 'screen':
        return await screenCommand(rest);
      case 'brief':
        return await briefCommand(rest);
      case 'assess':
        return await assessCommand(rest);
      case 'rulebook':
        return rulebookCommand(rest);
      case 'audit':
        return await auditCommand(rest);
      case 'users':
        return await usersCommand(rest);
      case 'backup':
        return await backupCommand(rest);
      case 'restore':
        return await restoreCommand(rest);
      case 'fields':
        for (const f of loadTaxonomy().fields.values()) console.log(`${f.id.padEnd(32)} ${f.family.padEnd(18)} ${f.name}`);
        return EXIT.ok;
      case 'export':
        return await exportCommand(rest);
      case 'sources':
        for (const s of SOURCES) console.log(`${s.id}\t${s.kind}\t${s.title}\n  mirror: ${s.mirrorPath}\n  public: ${s.publicUrl}\n  licence: ${s.licence}`);
        return EXIT.ok;
      case 'bench': {
        const { runBench } = await import('../../bench/run.ts');
        return await runBench(rest);
      }
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        console.log(USAGE);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    }
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`derisk: ${(e as Error).message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    console.error(`derisk: ${(e as Error).message}`);
    if (process.env.DERISK_DEBUG) console.error(e);
    return EXIT.failed;
  }
}


const WORK_KINDS = new Set<SourceName>(['openalex', 'wos', 'scopus']);

async function ingest(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON, 'no-resolve': { type: 'boolean' }, 'batch-size': { type: 'string' } } });
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) throw new UsageError('--batch-size takes a positive whole number');
  const [kind, ...files] = positionals;
  if (!kind || files.length === 0) throw new UsageError('ingest needs a kind (ror, openalex, wos, scopus) and at least one file');
  const config = loadConfig();
  return withStore(config, async (store) => {
    let quarantined = 0;
    if (kind === 'ror') {
      for (const file of files) {
        const progress = new ProgressReporter(`ror ${file}`);
        const report = await ingestRegistry(store, file, (n) => progress.update(n, n, `${n} records`));
        progress.finish(`${report.status}: ${report.institutions} institutions, ${report.quarantined} quarantined`);
        for (const r of report.rejected) console.error(`  quarantined ${file} record ${r.recordNo} (line ${r.lineNo}): ${r.reason}`);
        quarantined += report.quarantined;
      }
    } else if (kind === 'lens' || kind === 'patstat') {
      for (const file of files) {
        const r = await ingestPatents(store, kind, file);
        console.log(`${file}: ${r.status}; ${r.kept} patents kept, ${r.duplicates} already known, ${r.quarantined} quarantined`);
        for (const q of r.rejected) console.error(`  quarantined ${file} record ${q.recordNo} (line ${q.lineNo}): ${q.reason}`);
        quarantined += r.quarantined;
      }
    } else if (kind === 'nsf') {
      for (const file of files) {
        const r = await ingestNsfSeries(store, file, new Gazetteer(await loadRegistry(store)));
        console.log(`${file}: ${r.status}; ${r.kept} values, ${r.quarantined} rows set aside`);
        for (const q of r.rejected) console.error(`  quarantined ${file} row ${q.recordNo} (line ${q.lineNo}): ${q.reason}`);
        quarantined += r.quarantined;
      }
      return quarantined > 0 ? EXIT.quarantined : EXIT.ok;
    } else if (kind === 'aggregate') {
      for (const file of files) {
        const r = await ingestCountryPairs(store, file);
        console.log(`${file}: ${r.status}; ${r.kept} country-pair rows, ${r.quarantined} quarantined`);
        for (const q of r.rejected) console.error(`  quarantined ${file} row ${q.recordNo} (line ${q.lineNo}): ${q.reason}`);
        quarantined += r.quarantined;
      }
      return quarantined > 0 ? EXIT.quarantined : EXIT.ok;
    } else if (WORK_KINDS.has(kind as SourceName)) {
      for (const file of files) quarantined += printIngest(await ingestWithProgress(store, config, kind as SourceName, file, batchSize));
    } else throw new UsageError(`unknown kind ${JSON.stringify(kind)}: use ror, openalex, wos, scopus, lens, patstat, aggregate or nsf`);
    if (!values['no-resolve']) await resolveAndRefresh(store);
    return quarantined > 0 ? EXIT.quarantined : EXIT.ok;
  });
}

async function ingestWithProgress(store: Store, config: Config, kind: SourceName, file: string, batchSize?: number): Promise<IngestReport> {
  const progress = new ProgressReporter(`${kind} ${file}`);
  const report = await ingestWorks(store, kind, file, {
    quarantineDir: config.quarantineDir,
    batchSize,
    onProgress: (p) => progress.update(p.bytesDone, p.bytesTotal, `${p.records} records`),
  });
  progress.finish(`${report.status}`);
  return report;
}

function printIngest(r: IngestReport): number {
  const mbps = r.seconds > 0 ? (r.bytes / 1e6 / r.seconds).toFixed(1) : '-';
  console.log(`${r.file}: ${r.status}; ${r.kept} records kept, ${r.duplicates} already known, ${r.quarantined} quarantined (${r.seconds.toFixed(1)} s, ${mbps} MB/s)`);
  if (r.quarantinePath) console.log(`  quarantined records and reasons: ${r.quarantinePath}`);
  return r.quarantined;
}

async function resolveAndRefresh(store: Store): Promise<void> {
  const registry = await loadRegistry(store);
  if (registry.length === 0) console.error('derisk: no ROR registry loaded yet (derisk ingest ror <dump>); affiliations get countries but no institutions');
  const resolver = new AffiliationResolver(registry);
  const progress = new ProgressReporter('resolving affiliations');
  const r = await resolvePending(store, resolver, (done, total) => progress.update(done, total, `${done}/${total} strings`));
  progress.finish(`${r.resolved} distinct affiliation strings resolved in ${r.seconds.toFixed(1)} s`);
  const agreement = await sourceAgreement(store);
  if (agreement.institutionBoth + agreement.countryBoth > 0) console.log(`  ${describeSourceAgreement(agreement)}`);
  await refreshAnalytics(store);
}

async function demo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...COMMON, serve: { type: 'boolean' }, port: { type: 'string' } } });
  const config = loadConfig();
  const catalogue = regionsFrom(values);
  console.log(`derisk demo: data mirror ${config.mirror}, store ${config.storePath}`);
  return withStore(config, async (store) => {
    let quarantined = 0;
    for (const source of SOURCES.filter((s) => s.inDemo)) {
      const path = locate(config, source);
      if (source.kind === 'ror') {
        const progress = new ProgressReporter('ROR registry');
        const r = await ingestRegistry(store, path, (n) => progress.update(n, 51_370, `${n} records`));
        progress.finish(`${r.status}: ${r.institutions} institutions`);
        quarantined += r.quarantined;
      } else if (source.kind === 'nsf') {
        const r = await ingestNsfSeries(store, path, new Gazetteer(await loadRegistry(store)));
        console.log(`${path}: ${r.status}; ${r.kept} values (aggregate evidence), ${r.quarantined} rows set aside`);
      } else if (source.kind === 'aggregate') {
        const r = await ingestCountryPairs(store, path);
        console.log(`${path}: ${r.status}; ${r.kept} country-pair rows (aggregate evidence)`);
        quarantined += r.quarantined;
      } else {
        quarantined += printIngest(await ingestWithProgress(store, config, source.kind, path));
      }
    }
    await resolveAndRefresh(store);
    await loadAndScreen(store, catalogueLists(config));
    printSummary(await landscapeSummary(store, catalogue, STANDARD_PAIRS));
    const baseline = (await aggregatePairs(store, catalogue, 'EU27AC', 'CN')).filter((y) => y.year >= 2019);
    if (baseline.length > 0) {
      console.log(`\nAll-fields baseline, EU27AC–CN (${baseline[0]!.dataset}): ${baseline.map((y) => `${y.year}: ${y.pairSum.toLocaleString('en')}`).join(', ')}`);
      console.log(`  caveats: ${baseline[0]!.caveats.join('; ')}.`);
    }
    if (values.serve) await serveStore(store, Number(values.port ?? 8720), '127.0.0.1', values['regions-file'] ?? []);
    return quarantined > 0 ? EXIT.quarantined : EXIT.ok;
  });
}

const STANDARD_PAIRS: [string, string][] = [
  ['EU27AC', 'CN'],
  ['US', 'CN'],
  ['EU27AC', 'US'],
];

async function summaryCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: COMMON });
  const catalogue = regionsFrom(values);
  return withStore(loadConfig(), async (store) => {
    const summary = await landscapeSummary(store, catalogue, STANDARD_PAIRS);
    if (values.json) console.log(JSON.stringify(summary, null, 2));
    else printSummary(summary);
    return EXIT.ok;
  });
}

function printSummary(s: LandscapeSummary): void {
  const years = [...new Set(s.pairs.flatMap((p) => p.years.map((y) => y.year)))].sort((a, b) => a - b);
  const header = ['year', ...s.pairs.map((p) => `${p.a}–${p.b}`)];
  const rows = years.map((year) => [String(year), ...s.pairs.map((p) => String(p.years.find((y) => y.year === year)?.full ?? 0))]);
  rows.push(['total', ...s.pairs.map((p) => String(p.total))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log('\nCo-publications per year (full counting)');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  const pct = (n: number) => (s.affiliations > 0 ? ((100 * n) / s.affiliations).toFixed(1) : '0.0');
  console.log(`\n${s.works} works; ${s.affiliations} author affiliations: ${pct(s.affiliationsWithInstitution)}% resolved to an institution, ${pct(s.affiliationsWithCountry)}% to a country.`);
  console.log(`Regions: EU27AC = EU27 + NO + CH + GB; ${s.chinaScope}.`);
}

async function indicatorsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON, regions: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, rollup: { type: 'boolean' }, field: { type: 'string' }, limit: { type: 'string' }, csv: { type: 'boolean' }, institution: { type: 'string' } },
  });
  const name = positionals[0] as IndicatorName;
  const regions = (values.regions ?? (name === 'publications' || name === 'aggregate-series' ? 'EU27AC,CN,US' : '')).split(',').map((s) => s.trim()).filter(Boolean);
  let filters: Filters;
  try {
    filters = parseFilters(values);
  } catch (e) {
    if (e instanceof FilterError) throw new UsageError(e.message);
    throw e;
  }
  const request: IndicatorRequest = {
    name,
    regions,
    filters,
    limit: Number(values.limit ?? 15),
    institution: values.institution?.replace(/^https?:\/\/ror\.org\//, '') ?? null,
  };
  const taxonomy = loadTaxonomy();
  const catalogue = regionsFrom(values);
  try {
    validateRequest(request, taxonomy, catalogue);
  } catch (e) {
    if (e instanceof IndicatorError) throw new UsageError(e.message);
    throw e;
  }
  const format: Format = values.json ? 'json' : values.csv ? 'csv' : 'table';
  return withStore(loadConfig(), async (store) => {
    const rows = (await runIndicator(store, catalogue, taxonomy, request)) as Record<string, unknown>[];
    console.log(render(format === 'json' ? rows : forText(name, rows, format), format));
    if (format === 'table') console.log(`\n${chinaScopeNote(catalogue.settings)}${filters.rollUp ? '; institutions rolled up to their ROR parents' : ''}.`);
    return EXIT.ok;
  });
}

/**
 * Tables and CSV flatten lists, and the copubs table adds the comparisons an analyst reads next.
 * The JSON form stays as the indicator returns it: scripts rely on it.
 */
function forText(name: IndicatorName, rows: Record<string, unknown>[], format: Format): object[] {
  if (name === 'copubs') {
    return rows.map((y, i) => {
      const prev = rows[i - 1];
      const growth = prev && prev.year === Number(y.year) - 1 && Number(prev.full) > 0 ? `${(((Number(y.full) - Number(prev.full)) / Number(prev.full)) * 100).toFixed(0)}%` : '';
      return { ...y, difference: Math.round((Number(y.full) - Number(y.fractional)) * 1e4) / 1e4, growth };
    });
  }
  if ((name === 'aggregate-copubs' || name === 'aggregate-series') && format === 'table') {
    if (rows[0]) console.log(`caveats: ${(rows[0].caveats as string[]).join('; ')}`);
    return rows.map(({ caveats: _, ...y }) => y);
  }
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.isArray(v) ? v.join('; ') : v])));
}

async function serveCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { port: { type: 'string' }, host: { type: 'string' }, 'regions-file': { type: 'string', multiple: true } } });
  return withStore(loadConfig(), async (store) => {
    await serveStore(store, Number(values.port ?? 8720), values.host ?? '127.0.0.1', values['regions-file'] ?? []);
    return EXIT.ok;
  });
}

/**
 * Serves the web app and API over an open store until SIGINT or SIGTERM; the server owns the store
 * and the embedded application database meanwhile. At first start it creates the installation's
 * admin and prints the password once; every start prints an address with a fresh API token,
 * revoked again when the server stops.
 */
async function serveStore(store: Store, port: number, host: string, regionFiles: string[]): Promise<void> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port takes a port number');
  const config = loadConfig();
  const db = await openAppDb(config);
  try {
    const accounts = new Accounts(db);
    const { actor, password } = await accounts.ensureLocalAdmin();
    if (password) console.log(`\ncreated the administrator admin@localhost; password (shown once): ${password}`);
    const { id, token } = await accounts.createToken(actor, `derisk serve ${new Date().toISOString()}`);
    const app = await buildServer({ store, db, regionFiles: [BUNDLED_REGIONS, ...regionFiles], taxonomy: loadTaxonomy(), home: config.home });
    const address = await app.listen({ port, host });
    console.log(`\nderisk serving ${store.path} (application database: ${config.databaseUrl ? 'PostgreSQL' : config.appDbPath})\nopen ${address}/?token=${token}\n(API: Authorization: Bearer <token>; OpenAPI at ${address}/api/openapi.json; Ctrl-C stops)`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    // Finish the requests under way, then close: nothing is left half-written.
    await app.close();
    await accounts.revokeToken(actor, id);
  } finally {
    await db.close();
  }
}

async function factsCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: COMMON });
  const catalogue = regionsFrom(values);
  return withStore(loadConfig(), async (store) => {
    const facts = await checkFacts(store, catalogue);
    if (values.json) console.log(JSON.stringify(facts, null, 2));
    else {
      for (const f of facts) console.log(`[${f.verdict}] ${f.claim}\n    data: ${f.dataSays}\n    source: ${f.source}\n`);
      console.log(`${chinaScopeNote(catalogue.settings)}.`);
    }
    return EXIT.ok;
  });
}

async function resolveCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...COMMON, column: { type: 'string' }, out: { type: 'string' }, rollup: { type: 'boolean' }, 'min-tier': { type: 'string' } },
  });
  const input = positionals[0];
  if (!input || !values.column || !values.out) throw new UsageError('resolve needs <in.csv> --column <name> --out <out.csv>');
  const minTier = (values['min-tier'] ?? 'strong') as Tier;
  if (!['exact', 'strong', 'possible'].includes(minTier)) throw new UsageError('--min-tier is exact, strong or possible');
  const config = loadConfig();
  const registry = await withStore(config, (store) => loadRegistry(store));
  if (registry.length === 0) throw new Error(`no ROR registry in ${config.storePath}; run "derisk ingest ror <dump>" (or "derisk demo") first`);
  const resolver = new AffiliationResolver(registry);
  const progress = new ProgressReporter(`resolving ${input}`);
  const r = await resolveCsv(resolver, input, values.out, {
    column: values.column,
    rollUp: Boolean(values.rollup),
    minTier: minTier as Exclude<Tier, 'unresolved'>,
    regions: regionsFrom(values),
    onProgress: (n) => progress.update(n, n, `${n} rows`),
  });
  progress.finish(`${r.rows} rows: ${r.resolved} with an institution, ${r.withCountry} with a country, ${r.unreadable} unreadable`);
  return r.unreadable > 0 ? EXIT.quarantined : EXIT.ok;
}

async function fetchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { filter: { type: 'string' }, mailto: { type: 'string' }, out: { type: 'string' }, max: { type: 'string' }, 'base-url': { type: 'string' } },
  });
  if (positionals[0] !== 'openalex') throw new UsageError('fetch supports: openalex');
  if (!values.filter || !values.mailto || !values.out) throw new UsageError('fetch openalex needs --filter, --mailto and --out');
  const progress = new ProgressReporter('OpenAlex');
  const r = await fetchOpenAlexWorks({
    filter: values.filter,
    mailto: values.mailto,
    out: values.out,
    baseUrl: values['base-url'],
    maxRecords: values.max === undefined ? undefined : Number(values.max),
    onPage: (n, total) => progress.update(n, total ?? n, `${n} works`),
  });
  progress.finish(`${r.fetched} works in ${values.out}${r.resumed ? ' (resumed)' : ''}${r.complete ? '' : ' (stopped at --max; run again to continue)'}`);
  return EXIT.ok;
}

async function exportCommand(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals[0] !== 'parquet' || !positionals[1]) throw new UsageError('export parquet <dir>');
  const dir = positionals[1];
  return withStore(loadConfig(), async (store) => {
    await store.run(`COPY (SELECT * FROM work_institutions) TO '${dir.replace(/'/g, "''")}' (FORMAT parquet, PARTITION_BY (year), OVERWRITE_OR_IGNORE)`);
    console.log(`work_institutions written to ${dir}/year=…/ as Parquet`);
    return EXIT.ok;
  });
}
