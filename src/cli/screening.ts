import { statSync } from 'node:fs';
import { parseArgs, unusedArguments } from './args.ts';
import { UTF8_BYTES_PER_CHAR } from '../json-bounds.ts';
import { loadConfig, type Config } from '../config.ts';
import type { RiskList } from '../screening/risk-list.ts';
import type { Portfolio, PortfolioScope, Weights } from '../screening/portfolio.ts';
import type { BatchResult } from '../screening/batch.ts';
import { levelWords, matchWords, SCREEN_STATES, ScreenError, screenJson, type Screener, type ScreenResult, type ScreenState } from '../screening/screener.ts';
import type { StoreFacts } from '../screening/signature.ts';
import { overPartyLimit } from '../screening/field-limit.ts';
import { readTextFile, writableFile, writeTextFile } from '../text-file.ts';
import { rorIdWritten } from '../resolve/ror-id.ts';
import type { Store } from '../store/store.ts';
import { COMMON, EXIT, REGION_OPTIONS, UsageError, withStore, EXIT_CODES, type ExitCode } from './common.ts';
import { at, invocation, out, standardInput } from './io.ts';
import { render } from './output.ts';
import { ProgressReporter } from './progress.ts';

// What only some commands or branches need is imported where they run: `derisk screen NAME` must
// not pay for the list readers (and their TypeBox schemas), portfolios, batches or regions, nor
// for DuckDB when the kept screening index answers (src/screening/kept.ts).

/** Loads lists into the store and screens every affiliation string against them. */
export async function loadAndScreen(store: Store, lists: RiskList[]): Promise<void> {
  const { saveLists, screenPending, screeningContext, setAsideMessage } = await import('../screening/store.ts');
  for (const r of await saveLists(store, lists)) out.log(`list ${r.list}: ${r.entries} entries, version ${r.version}${r.changed ? '' : ' (already loaded)'}`);
  const context = await screeningContext(store);
  out.log(`linked ${context.links.linked} list entries to ${context.links.links.size} ROR institutions${context.links.ambiguous.length ? `; ${context.links.ambiguous.length} names left unlinked because several institutions bear them` : ''}`);
  const progress = new ProgressReporter('screening affiliations');
  const r = await screenPending(store, context, (done, total) => progress.update(done, total, `${done}/${total} strings`));
  progress.finish(`${r.screened} strings screened, ${r.hits} list hits (${r.seconds.toFixed(1)} s)`);
  for (const a of r.setAside) out.error(`derisk: ${setAsideMessage(a)}`);
}

export async function listsCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args: argv, command: 'lists', allowPositionals: true, takes: { show: 0, diff: 2 }, options: { ...COMMON, watchlist: { type: 'string', multiple: true }, ...FTM_OPTIONS } });
  const [sub, ...files] = positionals;
  // An option the branch run would not read is named, never dropped (round 48).
  const unused = [
    ...(values.format === undefined ? Object.keys(FTM_OPTIONS).filter((o) => values[o as keyof typeof FTM_OPTIONS] !== undefined) : []).map((o) => `--${o} describes a FollowTheMoney file (lists load --format ftm FILE): not used without --format ftm`),
    ...(values.watchlist !== undefined && (sub !== 'load' || values.format !== undefined) ? ['--watchlist loads your own list beside the published ones (lists load --watchlist FILE): not used here'] : []),
  ];
  if (unused.length > 0) throw new UsageError(unused.join('\n'));
  const config = loadConfig();
  if (values.format !== undefined) {
    if (sub !== 'load' || values.format !== 'ftm') throw new UsageError(`--format: only \`lists load --format ftm <file>\` takes a format, got ${JSON.stringify(values.format)}`);
    if (files.length !== 1) throw new UsageError('lists load --format ftm needs one FollowTheMoney JSON Lines file');
    return loadFtmFile(config, at(files[0]!), values);
  }
  if (sub === 'diff') {
    if (files.length !== 2) throw new UsageError('lists diff needs two files: <old> <new>');
    const [{ diffLists }, { readListFile }] = await Promise.all([import('../screening/diff.ts'), import('../screening/lists.ts')]);
    const diff = diffLists(readListFile(at(files[0]!)), readListFile(at(files[1]!)));
    if (values.json) out.log(JSON.stringify(diff, null, 2));
    else {
      out.log(`${diff.list}: ${diff.oldVersion} → ${diff.newVersion}; ${diff.added.length} added, ${diff.removed.length} removed, ${diff.changed.length} changed, ${diff.unchanged} unchanged`);
      for (const a of diff.added) out.log(`+ ${a}`);
      for (const r of diff.removed) out.log(`- ${r}`);
      for (const c of diff.changed) for (const ch of c.changes) out.log(`~ ${c.entry}: ${ch.field} "${ch.old}" → "${ch.new}"`);
    }
    return EXIT.ok;
  }
  if (sub === 'load') {
    unusedArguments('lists load', files, 'your own list: --watchlist FILE; a FollowTheMoney file: --format ftm FILE with its provenance');
    const { catalogueLists, readWatchlist } = await import('../screening/lists.ts');
    const lists = [...catalogueLists(config), ...(values.watchlist ?? []).map((f) => readWatchlist(at(f)))];
    return withStore(config, async (store) => {
      await loadAndScreen(store, lists);
      // The cluster's hits and listed affiliations follow the lists (portfolios and verdicts read them there).
      await (await import('./ingest.ts')).publishToClickHouse(store, config);
      // A new list version may touch what organisations watch, their cases and verdicts.
      await (await import('./watch.ts')).checkAlerts(store, config, 'when-new');
      return EXIT.ok;
    });
  }
  if (sub !== undefined && sub !== 'show') throw new UsageError(`unknown lists command ${JSON.stringify(sub)}: use show, load or diff`);
  return withStore(config, async (store) => {
    const rows = await store.all<{ list_id: string; version: string; entries: bigint; loaded_at: unknown; doc: string }>('SELECT * FROM risk_lists ORDER BY list_id');
    if (rows.length === 0) out.log('no lists loaded: run `derisk lists load`');
    const shown = rows.map((r) => {
      const p = (JSON.parse(r.doc) as RiskList).provenance;
      return { list: r.list_id, entries: Number(r.entries), version: r.version, retrieved: p.retrieved, publisher: p.publisher, licence: p.licence, source: p.source_url };
    });
    if (values.json) out.log(JSON.stringify(shown, null, 2));
    else for (const s of shown) out.log(`${s.list}  ${s.entries} entries  version ${s.version}  retrieved ${s.retrieved}\n  ${s.publisher}\n  source: ${s.source}\n  licence: ${s.licence}`);
    return EXIT.ok;
  });
}

const FTM_OPTIONS = {
  format: { type: 'string' },
  id: { type: 'string' },
  title: { type: 'string' },
  publisher: { type: 'string' },
  licence: { type: 'string' },
  'source-url': { type: 'string' },
  retrieved: { type: 'string' },
  level: { type: 'string' },
} as const;

/** A FollowTheMoney file as one more list beside those loaded: its lines that cannot be read are named, the rest loaded. */
async function loadFtmFile(config: Config, file: string, values: Partial<Record<keyof typeof FTM_OPTIONS, string | undefined>>): Promise<ExitCode> {
  const [{ ftmListMeta, readFtmList }, { ListError, loadListCatalogue }] = await Promise.all([import('../screening/ftm.ts'), import('../screening/lists.ts')]);
  let meta;
  try {
    meta = ftmListMeta(values);
  } catch (e) {
    throw e instanceof ListError ? new UsageError(e.message) : e;
  }
  // Loading under a published list's id would replace that list with this file.
  if (loadListCatalogue().lists.some((l) => l.id === meta.id)) throw new UsageError(`list id ${meta.id} is a published list derisk loads from the mirror: give the FtM file another --id`);
  const { list, setAside, leftOut } = readFtmList(file, meta);
  for (const s of setAside) out.error(`${file}, line ${s.line}: set aside: ${s.reason} (${s.excerpt})`);
  const others = Object.entries(leftOut).map(([schema, n]) => `${n} ${schema}`);
  if (others.length) out.log(`not organisations, not loaded: ${others.join(', ')}`);
  if (setAside.length) out.log(`${setAside.length} line${setAside.length === 1 ? '' : 's'} set aside (listed above), ${list.entries.length} organisations read`);
  return withStore(config, async (store) => {
    await loadAndScreen(store, [list]);
    await (await import('./ingest.ts')).publishToClickHouse(store, config);
    await (await import('./watch.ts')).checkAlerts(store, config, 'when-new');
    return setAside.length ? EXIT.quarantined : EXIT.ok;
  });
}

/**
 * Exit codes of `derisk screen`: a script may treat only 0 as "no listing for a recognised
 * organisation"; every other answer needs a person.
 */
export const SCREEN_EXIT: Record<ScreenState, ExitCode> = { 'not-listed': EXIT_CODES.ok.code, listed: EXIT_CODES.listed.code, ambiguous: EXIT_CODES.ambiguous.code, unknown: EXIT_CODES.unknown.code };

const STATE_LABEL: Record<ScreenState, string> = { listed: 'LISTED', ambiguous: 'AMBIGUOUS', 'not-listed': 'RECOGNISED, NOT LISTED', unknown: 'UNKNOWN ORGANISATION' };

function printScreen(r: ScreenResult): void {
  out.log(`Screened: ${r.query}`);
  out.log(`${STATE_LABEL[r.state]}${r.level ? ` (${levelWords(r.level)})` : ''}: ${r.headline}`);
  if (r.institutions.length > 0) out.log(`Registry: ${r.institutions.map((i) => `${i.name} (${i.rorId}, ${i.countryCode ?? '?'}, ${i.tier})`).join('; ')}`);
  for (const o of r.organisations) {
    out.log(`\n[${o.level.toUpperCase()}] ${o.name}: ${o.listings.length} listing${o.listings.length === 1 ? '' : 's'}`);
    for (const h of o.listings) {
      out.log(`  ${h.listName} (version ${h.listVersion}, ${levelWords(h.level)}): "${h.entry}"`);
      out.log(`    how: ${h.sameAs ? `same organisation as "${h.sameAs.entry}" (${h.evidence.split('; ').pop()})` : matchWords(h)}${h.inherited ? `; INHERITED (${h.inherited.how})` : ''}`);
      if (!h.sameAs) out.log(`    evidence: ${h.evidence}`);
      if (h.sourceText) out.log(`    the list says: ${h.sourceText.replace(/\s+/g, ' ').slice(0, 300)}`);
    }
  }
  if (r.choices.length > 0) {
    out.log('\nWhich one? Screen it with its country:');
    for (const c of r.choices) out.log(`  derisk screen ${JSON.stringify(c.query)}    # ${c.label}`);
  }
  if (r.registryCandidates.length > 0) {
    out.log('\nNearest registry institutions (not taken):');
    for (const c of r.registryCandidates) out.log(`  ${c.name} (${c.rorId}, ${c.countryCode ?? '?'}) — ${c.why}`);
  }
  if (r.similar.length > 0) {
    out.log('\nNearest listed names (not matches):');
    for (const s of r.similar) out.log(`  ${s.entry} (${s.listName}, ${levelWords(s.level)}) — ${s.why}`);
  } else if (r.state !== 'listed') out.log('\nNo listed name shares a distinctive word with it.');
}

function printBatch(b: BatchResult): void {
  out.log(
    render(
      b.rows.map((r) => ({ name: r.query, state: STATE_LABEL[r.state], level: r.level ? levelWords(r.level) : '', organisations: r.organisations.join('; '), lists: r.lists.join('; ') })),
      'table',
      ['name', 'state', 'level', 'organisations', 'lists'],
    ),
  );
  out.log(
    `\n${b.rows.length} names: ${SCREEN_STATES.filter((s) => b.counts[s] > 0)
      .map((s) => `${b.counts[s]} ${STATE_LABEL[s].toLowerCase()}`)
      .join(', ')}.`,
  );
  if (b.counts.unknown > 0) out.log('Unknown organisations: identify them before relying on this; no listing found is not a clearance.');
}

function screenWith(screener: Screener, query: string): ScreenResult {
  try {
    return rorIdWritten(query) ? screener.screenRor(query.trim()) : screener.screen(query);
  } catch (e) {
    if (e instanceof ScreenError) throw new UsageError(e.message);
    throw e;
  }
}

async function screenOne(store: Store, query: string): Promise<ScreenResult> {
  const { screeningContext } = await import('../screening/store.ts');
  return screenWith((await screeningContext(store)).screener, query);
}

/**
 * One name screened at the console: by the kept screening index, without opening the store, while
 * the store is as it was when last screened; else through the store, noting what it holds (its
 * file unchanged the while) for the next call.
 */
async function screenName(config: Config, query: string): Promise<ScreenResult> {
  if (invocation().store) return withStore(config, (store) => screenOne(store, query));
  const { keptScreeningContext, noteStoreFacts, storeFileState } = await import('../screening/kept.ts');
  const kept = keptScreeningContext(config.storePath);
  if (kept) return screenWith(kept.screener, query);
  const before = storeFileState(config.storePath);
  let facts: StoreFacts | undefined;
  const result = await withStore(config, async (store) => {
    const [{ screeningContext }, { storeFacts }] = await Promise.all([import('../screening/store.ts'), import('../screening/signature.ts')]);
    facts = await storeFacts(store);
    return screenWith((await screeningContext(store, undefined, facts)).screener, query);
  });
  if (before && facts && storeFileState(config.storePath) === before) noteStoreFacts(config.storePath, before, facts);
  return result;
}

/**
 * Each part of a screen command line that the others given leave unused, named: screen runs one of
 * a name, --batch, --portfolio or --export, and a name or option it would not read must not pass
 * for one it did (a portfolio run that ignored the name typed beside it exits 0 all the same).
 */
export function screenMistakes(values: { batch?: string; portfolio?: string; export?: string; rollup?: boolean; csv?: string }, positionals: string[]): string[] {
  const modes = (['batch', 'portfolio', 'export'] as const).filter((m) => values[m] !== undefined).map((m) => `--${m}`);
  const mistakes: string[] = [];
  if (modes.length > 1) mistakes.push(`${modes.join(' and ')}: screen runs one of --batch, --portfolio or --export at a time`);
  const names = positionals.map((p) => JSON.stringify(p)).join(', ');
  if (values.batch !== undefined && positionals.length > 0) mistakes.push(`screen --batch FILE takes the names from the file (or - for standard input), not from the command line: ${names} not used`);
  else if (modes.length > 0 && positionals.length > 0) mistakes.push(`screen ${modes[0]} screens ${modes[0] === '--portfolio' ? "an institution's" : "an ingested export's"} works, not a name: ${names} not used (screen a name on its own)`);
  if (values.rollup && values.portfolio === undefined) mistakes.push('--rollup rolls up a --portfolio (the institution with its children): not used without one');
  if (values.csv !== undefined && modes.length === 0) mistakes.push('--csv writes the table of a --batch, --portfolio or --export: one name has none (--json gives its answer as data)');
  return mistakes;
}

export async function screenCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: argv,
    command: 'screen',
    // screenMistakes names what a name beside --batch, --portfolio or --export is.
    allowPositionals: true,
    takes: Infinity,
    options: { ...COMMON, portfolio: { type: 'string' }, rollup: { type: 'boolean' }, export: { type: 'string' }, csv: { type: 'string' }, batch: { type: 'string' } },
  });
  const mistakes = screenMistakes(values, positionals);
  if (mistakes.length > 0) throw new UsageError(mistakes.join('\n'));
  if (values.csv !== undefined) writableFile(at(values.csv));
  const config = loadConfig();
  if (values.batch !== undefined) {
    const { BatchError, batchCsv, MAX_BATCH_CHARS, parseNames, screenBatch } = await import('../screening/batch.ts');
    // What the names say (none, too many, one too long) is the input's content, not the command line: exit 1, naming the file.
    const batchFile = (file: string): string => {
      // A file with more bytes than MAX_BATCH_CHARS characters take in UTF-8 is refused before it is read.
      const size = statSync(at(file), { throwIfNoEntry: false })?.size ?? 0;
      const most = UTF8_BYTES_PER_CHAR * MAX_BATCH_CHARS;
      if (size > most) throw new BatchError(`${file}: ${size.toLocaleString('en')} bytes, over the ${most.toLocaleString('en')} that ${MAX_BATCH_CHARS.toLocaleString('en')} characters, one batch, may take (split the list)`);
      return readTextFile(at(file), (m) => new Error(m));
    };
    const names = parseNames(values.batch === '-' ? batchInput() : batchFile(values.batch), values.batch === '-' ? 'standard input' : values.batch);
    return withStore(config, async (store) => {
      const { screener } = await (await import('../screening/store.ts')).screeningContext(store);
      const b = await screenBatch(screener, names);
      if (values.csv) writeTextFile(at(values.csv), batchCsv(b));
      if (values.json) out.log(JSON.stringify({ state: b.state, counts: b.counts, results: b.results.map(screenJson) }, null, 2));
      else printBatch(b);
      return SCREEN_EXIT[b.state];
    });
  }
  if (values.portfolio !== undefined || values.export !== undefined) {
    const [{ flagRetracted, loadWeights, portfolio, portfolioCsv }, { loadTaxonomy }, { fileId }] = await Promise.all([import('../screening/portfolio.ts'), import('../fields/taxonomy.ts'), import('../ingest/file-id.ts')]);
    // The id's form is checked before the store opens; whether the registry has it, after.
    const portfolioId = values.portfolio ? rorIdWritten(values.portfolio) : null;
    if (values.portfolio && !portfolioId) throw new UsageError(`--portfolio takes a ROR id, got ${JSON.stringify(values.portfolio)}`);
    return withStore(config, async (store) => {
      let scope: PortfolioScope;
      if (portfolioId) {
        const id = portfolioId;
        if (!(await store.one('SELECT 1 FROM institutions WHERE ror_id = $1', [id]))) throw new UsageError(`unknown ROR id ${id}: not in the loaded registry`);
        scope = { institution: id, rollUp: values.rollup };
      } else {
        const id = await fileId(at(values.export!));
        if (!(await store.one('SELECT 1 FROM input_files WHERE file_id = $1', [id]))) throw new UsageError(`${values.export} has not been ingested: run derisk ingest wos|scopus|openalex ${values.export} first`);
        scope = { fileId: id, label: `export ${values.export}` };
      }
      const weights = loadWeights(loadTaxonomy());
      const result = 'institution' in scope && config.evidenceUrl ? await flagRetracted(store, await clusterPortfolio(config.evidenceUrl, scope, weights)) : await portfolio(store, scope, weights);
      if (values.csv) writeTextFile(at(values.csv), portfolioCsv(result));
      if (values.json) out.log(JSON.stringify(result, null, 2));
      else printPortfolio(result, values.csv);
      return EXIT.ok;
    });
  }
  if (positionals.length !== 1) throw new UsageError('screen needs one name or ROR id (quote names with spaces), or --portfolio ROR / --export FILE');
  const query = positionals[0]!;
  if (query.trim() === '') throw new UsageError('empty name: give a name or a ROR id to screen');
  const over = overPartyLimit('the name to screen', query);
  if (over) throw new UsageError(over);
  const r = await screenName(config, query);
  const { namesakeInformation, printNamesakeInformation } = await import('./namesakes.ts');
  const namesakes = await namesakeInformation(config, query, r.hits);
  if (values.json) out.log(JSON.stringify({ ...screenJson(r), namesake_decisions: namesakes }, null, 2));
  else {
    printScreen(r);
    printNamesakeInformation(query, namesakes, r.hits);
  }
  return SCREEN_EXIT[r.state];
}

/** An institution's portfolio from the evidence store on a ClickHouse cluster (DERISK_EVIDENCE_URL); an export's works are only in the embedded store. */
async function clusterPortfolio(setting: string, scope: { institution: string; rollUp?: boolean }, weights: Weights): Promise<Portfolio> {
  const [{ ClickHouseEvidence }, { clickHousePortfolio }] = await Promise.all([import('../store/clickhouse.ts'), import('../screening/clickhouse.ts')]);
  const evidence = await ClickHouseEvidence.connect(setting);
  try {
    return await clickHousePortfolio(evidence, scope, weights);
  } finally {
    await evidence.close();
  }
}

function printPortfolio(p: Portfolio, csv?: string): void {
  const works = new Set(p.flagged.map((w) => w.workId)).size;
  out.log(`Portfolio of ${p.scope}: ${p.works} works, ${works} co-published with a listed entity.`);
  const retracted = new Set(p.flagged.filter((w) => w.retracted).map((w) => w.workId));
  if (retracted.size > 0) out.log(`${retracted.size} of them marked retracted by their source (counted all the same; "retracted": true in --json): ${[...retracted].join(', ')}`);
  out.log(`Risk weight: ${p.method}.\n`);
  for (const [title, rows] of [
    ['Partner institutions', p.partners],
    ['Researchers', p.researchers],
    ['Departments', p.departments],
  ] as const) {
    out.log(title);
    out.log(render(rows.slice(0, 15), 'table', ['name', 'volume', 'sensitivity', 'partnerLevel', 'partnerRisk', 'weight', 'years']));
    out.log('');
  }
  if (csv) out.log(`Every flagged co-publication: ${csv}`);
}

export async function briefCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args: argv, command: 'brief', allowPositionals: true, takes: 1, options: { ...COMMON, ...REGION_OPTIONS } });
  if (positionals.length !== 1 || positionals[0]!.trim() === '') throw new UsageError('brief needs one partner name or ROR id');
  const [{ regionsFrom }, { regionOf }, { briefing, briefingMarkdown }] = await Promise.all([import('./regions-option.ts'), import('../regions/catalogue.ts'), import('../screening/briefing.ts')]);
  const catalogue = await regionsFrom(values);
  return withStore(loadConfig(), async (store) => {
    const sheet = await briefing(store, await screenOne(store, positionals[0]!), regionOf(catalogue, 'EU27AC').countries);
    if (values.json) out.log(JSON.stringify(sheet, null, 2));
    else out.log(briefingMarkdown(sheet));
    return EXIT.ok;
  });
}

/** `screen --batch -`: the names on standard input, the console's when the command was forwarded. */
function batchInput(): string {
  const text = standardInput();
  if (text === null) throw new UsageError('standard input did not come with the command: give the names in a file (screen --batch FILE)');
  return text;
}
