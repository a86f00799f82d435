import { mistakesIn, parseArgs } from './args.ts';
import { loadConfig } from '../config.ts';
import { loadTaxonomy } from '../fields/taxonomy.ts';
import { INDICATOR_COLUMNS, IndicatorError, indicatorsOf, requestedRegions, STANDARD_PAIRS, validateRequest, workCountOf, type AskIndicator, type CountWorks, type IndicatorName, type IndicatorRequest } from '../indicators/catalog.ts';
import { landscapeSummary, resolutionCounts, type LandscapeSummary, type ResolutionCounts } from '../indicators/copubs.ts';
import { withCompanies } from '../indicators/companies.ts';
import { basisWords, checkFacts } from '../indicators/facts.ts';
import type { WorkListing } from '../indicators/landscape.ts';
import { FilterError, parseFilters, type Filters } from '../indicators/filters.ts';
import { chinaScopeNote, type RegionCatalogue } from '../regions/catalogue.ts';
import { COMMON, EXIT, REGION_OPTIONS, UsageError, withStore, type ExitCode } from './common.ts';
import { whole } from './option-values.ts';
import { regionsFrom } from './regions-option.ts';
import { out } from './io.ts';
import { render, type Format } from './output.ts';
import type { Store } from '../store/store.ts';

export async function summaryCommand(argv: string[]): Promise<ExitCode> {
  const { values } = parseArgs({ args: argv, command: 'summary', options: { ...COMMON, ...REGION_OPTIONS } });
  const catalogue = await regionsFrom(values);
  return withIndicators(catalogue, async (ask, counts) => {
    const summary = await landscapeSummary(ask, await counts(), catalogue, STANDARD_PAIRS);
    if (values.json) out.log(JSON.stringify(summary, null, 2));
    else printSummary(summary);
    return EXIT.ok;
  });
}

/**
 * Runs `work` with the indicators (and resolution counts) of the evidence store the setting
 * names: the ClickHouse cluster with DERISK_EVIDENCE_URL, else the embedded store.
 */
async function withIndicators<T>(catalogue: RegionCatalogue, work: (ask: AskIndicator, counts: () => Promise<ResolutionCounts>, countWorks: CountWorks) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const taxonomy = loadTaxonomy();
  if (config.evidenceUrl) {
    const [{ ClickHouseEvidence }, { runClickHouseIndicator, clickHouseResolutionCounts, clickHouseWorkCount }] = await Promise.all([import('../store/clickhouse.ts'), import('../indicators/clickhouse.ts')]);
    const evidence = await ClickHouseEvidence.connect(config.evidenceUrl);
    try {
      const ask: AskIndicator = (r) => runClickHouseIndicator(evidence, catalogue, taxonomy, r);
      return await work(
        (r) => (r.name === 'works' ? withStore(config, (store) => namingCompanies(store, ask)(r)) : ask(r)),
        () => clickHouseResolutionCounts(evidence),
        (r) => clickHouseWorkCount(evidence, catalogue, taxonomy, r),
      );
    } finally {
      await evidence.close();
    }
  }
  return withStore(config, (store) => work(namingCompanies(store, indicatorsOf(store, catalogue, taxonomy)), () => resolutionCounts(store), workCountOf(store, catalogue, taxonomy)));
}

/** As on the server, listed works name the companies their affiliations name: this installation's resolutions, kept in the embedded store. */
const namingCompanies =
  (store: Store, ask: AskIndicator): AskIndicator =>
  async (request) => {
    const rows = await ask(request);
    return request.name === 'works' ? withCompanies(store, rows as WorkListing[]) : rows;
  };

export function printSummary(s: LandscapeSummary): void {
  const years = [...new Set(s.pairs.flatMap((p) => p.years.map((y) => y.year)))].sort((a, b) => a - b);
  const header = ['year', ...s.pairs.map((p) => `${p.a}–${p.b}`)];
  const rows = years.map((year) => [String(year), ...s.pairs.map((p) => String(p.years.find((y) => y.year === year)?.full ?? 0))]);
  rows.push(['total', ...s.pairs.map((p) => String(p.total))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  out.log('\nCo-publications per year (full counting)');
  out.log(line(header));
  out.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) out.log(line(r));
  const pct = (n: number) => (s.affiliations > 0 ? ((100 * n) / s.affiliations).toFixed(1) : '0.0');
  out.log(`\n${s.works} works; ${s.affiliations} author affiliations: ${pct(s.affiliationsWithInstitution)}% resolved to an institution, ${pct(s.affiliationsWithCountry)}% to a country.`);
  out.log(`Regions: EU27AC = EU27 + NO + CH + GB; ${s.chinaScope}.`);
}

/** The years the indicators count (src/indicators/filters.ts checks the same bounds for the API). */
const YEAR = whole(1900, 2100, 'a year');

export async function indicatorsCommand(argv: string[]): Promise<ExitCode> {
  const commandLine = {
    args: argv,
    command: 'indicators',
    allowPositionals: true,
    takes: 1,
    options: { ...COMMON, ...REGION_OPTIONS, regions: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, rollup: { type: 'boolean' }, field: { type: 'string' }, limit: { type: 'string' }, all: { type: 'boolean' }, csv: { type: 'boolean' }, institution: { type: 'string' } },
    checks: { from: YEAR, to: YEAR, limit: whole(1) },
  } as const;
  // Round 49: the unknown regions are named with the command line's other mistakes, not after them.
  const { mistakes, values: given } = mistakesIn(commandLine);
  const regionFiles = given['regions-file'];
  if (typeof given.regions === 'string' && (regionFiles === undefined || (Array.isArray(regionFiles) && regionFiles.every((f) => typeof f === 'string')))) {
    const known = await regionsFrom({ 'regions-file': regionFiles as string[] | undefined });
    const unknown = requestedRegions('copubs', given.regions).filter((r) => !known.regions.has(r.toUpperCase()));
    if (unknown.length > 0) mistakes.push(`--regions: ${unknown.map((r) => JSON.stringify(r)).join(', ')} ${unknown.length === 1 ? 'is not a region' : 'are not regions'}; known: ${[...known.regions.keys()].join(', ')}`);
  }
  if (mistakes.length > 0) throw new UsageError(mistakes.join('\n'));
  const { values, positionals } = parseArgs(commandLine);
  if (values.all && positionals[0] !== 'works') throw new UsageError('--all lists every work of `derisk indicators works`; other indicators take --limit');
  if (values.all && values.limit !== undefined) throw new UsageError('give --limit or --all, not both');
  const name = positionals[0] as IndicatorName;
  const regions = requestedRegions(name, values.regions);
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
  const catalogue = await regionsFrom(values);
  try {
    validateRequest(request, taxonomy, catalogue);
  } catch (e) {
    if (e instanceof IndicatorError) throw new UsageError(e.message);
    throw e;
  }
  const format: Format = values.json ? 'json' : values.csv ? 'csv' : 'table';
  const print = (rows: Record<string, unknown>[]) => {
    if (format === 'json') out.log(render(rows, format));
    else out.log(render(forText(name, rows, format), format, textColumns(name, format)));
    if (format === 'table') out.log(`\n${chinaScopeNote(catalogue.settings)}${filters.rollUp ? '; institutions rolled up to their ROR parents' : ''}.`);
    return EXIT.ok;
  };
  return withIndicators(catalogue, async (ask, _counts, countWorks) => {
    if (name !== 'works') return print((await ask(request)) as Record<string, unknown>[]);
    const total = await countWorks(request);
    const rows = (await ask(values.all ? { ...request, limit: Math.max(1, total) } : request)) as Record<string, unknown>[];
    print(rows);
    // The JSON and CSV stay rows alone (scripts read them): the notice goes where a reader sees it.
    const notice = rows.length < total ? `${rows.length} of ${total} works shown (the first by year and id): --limit N for more, --all for every one.` : `${total} work${total === 1 ? '' : 's'}.`;
    if (format === 'table') out.log(notice);
    else if (rows.length < total) out.error(notice);
    return EXIT.ok;
  });
}

/** The columns of an indicator's table or CSV, with or without rows: its own and those forText and namingCompanies add. */
function textColumns(name: IndicatorName, format: Format): string[] {
  const columns = [...INDICATOR_COLUMNS[name]];
  if (name === 'works') columns.push('companies');
  if (name === 'copubs') columns.push('difference', 'growth');
  if ((name === 'aggregate-copubs' || name === 'aggregate-series') && format === 'table') return columns.filter((c) => c !== 'caveats');
  return columns;
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
    if (rows[0]) out.log(`caveats: ${(rows[0].caveats as string[]).join('; ')}`);
    return rows.map(({ caveats: _, ...y }) => y);
  }
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Array.isArray(v) ? v.join('; ') : v])));
}

export async function factsCommand(argv: string[]): Promise<ExitCode> {
  const { values } = parseArgs({ args: argv, command: 'facts', options: { ...COMMON, ...REGION_OPTIONS } });
  const catalogue = await regionsFrom(values);
  return withIndicators(catalogue, async (ask) => {
    const facts = await checkFacts(ask);
    if (values.json) out.log(JSON.stringify(facts, null, 2));
    else {
      for (const f of facts) out.log(`[${f.judgement}] ${f.claim}\n    data: ${f.dataSays}\n    works: ${basisWords(f.basis) || 'none'}\n    source: ${f.source}\n`);
      out.log(`${chinaScopeNote(catalogue.settings)}.`);
    }
    return EXIT.ok;
  });
}
