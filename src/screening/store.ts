import { ConflictError } from '../errors.ts';
import { loadRegistry } from '../ingest/registry.ts';
import type { Institution } from '../ingest/ror.ts';
import { keptMatcher, loadMatcherIndex, matcherIndexPath, matcherIndexSignature, refusedMatcherIndex } from '../resolve/kept.ts';
import type { AffiliationResolver } from '../resolve/matcher.ts';
import { isBlank } from '../resolve/normalize.ts';
import { EVIDENCE_STRINGS, insertColumns, orgSchemas, type Store } from '../store/store.ts';
import { LISTED_DEFINITION } from './listed-definition.ts';
import { buildScreeningContext, screenStrings, type ScreeningContext, type ScreenRefusal, type StoredHit } from './context.ts';
import { keepScreeningIndex, loadScreeningIndex, refusedIndex, screeningIndexPath, indexSignatureOf } from './persisted.ts';
import type { RiskList } from './lists.ts';
import { registryVersion, screeningSignatureOf, storeFacts, type StoreFacts } from './signature.ts';

export type { ScreeningContext } from './context.ts';
export { SCREENER_VERSION } from './signature.ts';

/** Screening asked of a store with no risk lists: the request is fine, the store is not ready for it. */
export class NoListsError extends ConflictError {}

/** Saves lists in the store, each replacing its earlier version; every version is remembered. */
export async function saveLists(store: Store, lists: RiskList[]): Promise<{ list: string; version: string; entries: number; changed: boolean }[]> {
  return store.transaction(async () => {
    const out = [];
    for (const list of lists) {
      const old = await store.one<{ version: string }>('SELECT version FROM risk_lists WHERE list_id = $1', [list.id]);
      const now = new Date().toISOString();
      if (old?.version !== list.version) {
        await store.run('DELETE FROM risk_lists WHERE list_id = $1', [list.id]);
        await store.run('INSERT INTO risk_lists VALUES ($1, $2, $3, $4, $5::TIMESTAMP, $6)', [list.id, list.version, list.provenance.title, list.entries.length, now, JSON.stringify(list)]);
        await store.run('INSERT INTO risk_list_versions VALUES ($1, $2, $3, $4, $5::TIMESTAMP)', [list.id, list.version, list.file, list.entries.length, now]);
      }
      out.push({ list: list.id, version: list.version, entries: list.entries.length, changed: old?.version !== list.version });
    }
    return out;
  });
}

export async function loadedLists(store: Store): Promise<RiskList[]> {
  const rows = await store.all<{ doc: string }>('SELECT doc FROM risk_lists ORDER BY list_id');
  return rows.map((r) => JSON.parse(r.doc) as RiskList);
}

/**
 * The registry and its resolver last used for a store, by the registry's version. Neither depends
 * on the lists, and after a list change loading the registry and building the resolver were most
 * of the rebuild (23 s and 48 s of it at 10,000 verdicts): while the version holds, only the
 * screener is built anew. A resolver read from the index file is kept too (its lazy parts read
 * that file through a handle left open, so a newer file written over it changes nothing); the
 * registry is then read at the first rebuild.
 */
const registryParts = new WeakMap<Store, { version: string | null; registry?: Institution[]; resolver: AffiliationResolver }>();

/**
 * The screener over the lists and registry held in the store. Built once for given inputs and
 * kept beside the store (src/screening/persisted.ts): a later call, in any process, reads that
 * index instead of building it again, unless the lists, the registry, the aliases or the code
 * changed since, or the file does not check out; then it is built and kept anew.
 */
export async function screeningContext(store: Store, resolver?: AffiliationResolver, facts?: StoreFacts): Promise<ScreeningContext> {
  facts ??= await storeFacts(store);
  if (facts.lists.length === 0) throw new NoListsError('no risk lists loaded yet: run `derisk lists load` (or `derisk demo`)');
  const path = resolver ? null : screeningIndexPath(store);
  const signature = path ? indexSignatureOf(facts) : null;
  const kept = path && signature ? loadScreeningIndex(path, signature, refusedIndex) : null;
  const held = resolver ? undefined : registryParts.get(store);
  const same = held?.version === facts.registry ? held : undefined;
  if (kept) {
    if (!resolver && !same) registryParts.set(store, { version: facts.registry, resolver: kept.resolver });
    return kept;
  }
  const registry = same?.registry ?? (await loadRegistry(store));
  // The kept matcher index spares building the matcher (the registry is still read: the lists are linked to it).
  const matcherPath = resolver || same ? null : matcherIndexPath(store);
  const matcher = matcherPath ? loadMatcherIndex(matcherPath, matcherIndexSignature(facts.registry), refusedMatcherIndex)?.resolver : undefined;
  const context = buildScreeningContext(await loadedLists(store), registry, resolver ?? same?.resolver ?? matcher);
  if (!resolver) registryParts.set(store, { version: facts.registry, registry, resolver: context.resolver });
  const unkept = path && signature ? keepScreeningIndex(path, signature, context) : null;
  if (unkept) process.emitWarning(`the screening index could not be kept in ${path} (${unkept}); the next call builds it again`);
  return context;
}

/**
 * The resolver a string and the corrections to it are resolved with, in the CLI and the server
 * alike: the screening index's, or the matcher index's while no risk lists are loaded (a home
 * holding only the registry). `context` is the screening context as the caller keeps it.
 */
export async function storeResolver(store: Store, context: () => Promise<ScreeningContext> = () => screeningContext(store)): Promise<AffiliationResolver> {
  try {
    return (await context()).resolver;
  } catch (e) {
    if (!(e instanceof NoListsError)) throw e;
    return (await keptMatcher(store)).resolver;
  }
}

/**
 * Screening of many strings, wherever it runs: here (a ScreeningContext) or on a worker thread
 * (src/workflows/offload.ts), which gives the lists it screens against and screens in batches.
 */
export interface StringScreening {
  lists: { id: string; version: string }[];
  screenMany(raws: string[]): (StoredHit[] | ScreenRefusal)[] | Promise<(StoredHit[] | ScreenRefusal)[]>;
}

const asStringScreening = (s: ScreeningContext | StringScreening): StringScreening => ('screener' in s ? { lists: s.lists, screenMany: (raws) => screenStrings(s.screener, raws) } : s);

/** What stored screening results were computed under: the screener, the registry and the lists' versions. */
export async function screeningSignature(store: Store, lists: { id: string; version: string }[]): Promise<string> {
  return screeningSignatureOf(await registryVersion(store), lists);
}

/**
 * Screens every distinct affiliation string and patent applicant name not yet screened under
 * the loaded lists, so portfolios are a join. New lists or a new registry mean all are redone.
 */
export async function screenPending(
  store: Store,
  screening: ScreeningContext | StringScreening,
  onProgress?: (done: number, total: number) => void,
  options: {
    /** Rebuild the tables of listed co-publications if new hits concern the shared base (default); false when a refresh follows, or for an upload. */
    rebuildListed?: boolean;
    /** Which strings to look at (a query of `raw`s): by default every string of the evidence. */
    strings?: string;
  } = {},
): Promise<{ screened: number; hits: number; setAside: SetAsideString[]; seconds: number }> {
  const started = performance.now();
  const screen = asStringScreening(screening);
  const sig = await screeningSignature(store, screen.lists);
  const old = await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'screening_signature'`);
  // Other lists or another registry: every stored result is void, and every string is redone.
  const reset = old?.value !== sig;
  if (reset) {
    await store.transaction(async () => {
      await store.run('DELETE FROM screen_hits');
      await store.run('DELETE FROM screened_strings');
      await store.run(`INSERT OR REPLACE INTO meta VALUES ('screening_signature', $1)`, [sig]);
    });
  }
  await store.run(`CREATE OR REPLACE TEMP TABLE pending_screening AS
    SELECT raw, row_number() OVER () AS n FROM (
      SELECT DISTINCT a.raw FROM (${reset ? EVIDENCE_STRINGS : (options.strings ?? EVIDENCE_STRINGS)}) a
      WHERE trim(a.raw) <> '' AND NOT EXISTS (SELECT 1 FROM screened_strings s WHERE s.raw = a.raw))`);
  const total = Number((await store.one<{ n: number }>('SELECT count(*)::DOUBLE AS n FROM pending_screening'))!.n);
  let hits = 0;
  let screened = 0;
  const setAside: { raw: string; reason: string }[] = [];
  // As in resolvePending: small pieces to the screener, transactions of `chunk` strings.
  const chunk = 20_000;
  const piece = 2_000;
  for (let from = 0; from < total; from += chunk) {
    const part: { raw: string; hits: StoredHit[] }[] = [];
    for (let at = from; at < Math.min(from + chunk, total); at += piece) {
      // A blank string (invisible characters alone) is passed over as an empty one is above.
      const raws = (await store.all<{ raw: string }>('SELECT raw FROM pending_screening WHERE n > $1 AND n <= $2 ORDER BY n', [at, Math.min(at + piece, from + chunk)])).map((r) => r.raw).filter((raw) => !isBlank(raw));
      const found = await screen.screenMany(raws);
      raws.forEach((raw, i) => {
        const result = found[i]!;
        if ('refused' in result) setAside.push({ raw, reason: result.refused });
        else part.push({ raw, hits: result });
      });
    }
    await store.transaction(async () => {
      const found = part.flatMap(({ raw, hits: hs }) => hs.map((h) => ({ raw, ...h })));
      hits += found.length;
      screened += part.length;
      await insertColumns(store, 'screened_strings', { raw: { type: 'VARCHAR', values: part.map((p) => p.raw) } });
      await insertColumns(store, 'screen_hits', {
        raw: { type: 'VARCHAR', values: found.map((h) => h.raw) },
        list_id: { type: 'VARCHAR', values: found.map((h) => h.list) },
        entry_id: { type: 'VARCHAR', values: found.map((h) => h.entryId) },
        entry_name: { type: 'VARCHAR', values: found.map((h) => h.entry) },
        level: { type: 'VARCHAR', values: found.map((h) => h.level) },
        match: { type: 'VARCHAR', values: found.map((h) => h.match) },
        score: { type: 'DOUBLE', values: found.map((h) => h.score) },
        inherited_via: { type: 'VARCHAR', values: found.map((h) => h.inheritedVia) },
        evidence: { type: 'VARCHAR', values: found.map((h) => h.evidence) },
      });
    });
    onProgress?.(Math.min(from + chunk, total), total);
  }
  // Refresh keeps the table in step with the works; new screening results need it rebuilt too,
  // unless the caller refreshes next, or the new strings are not in the shared base at all.
  const touchesShared = async () => Boolean(await store.one('SELECT 1 FROM pending_screening p JOIN screen_hits h USING (raw) JOIN affiliations a USING (raw) LIMIT 1'));
  if (reset || (total > 0 && (options.rebuildListed ?? true) && (await touchesShared()))) await refreshListedAffiliations(store);
  return { screened, hits, setAside: await withRecords(store, setAside), seconds: (performance.now() - started) / 1000 };
}

/** A string the screener refused, left unscreened (and pending), with the records that carry it. */
export interface SetAsideString {
  raw: string;
  reason: string;
  /** The works ("openalex W501") and patents ("lens 012-…") carrying the string: the first few. */
  records: string[];
}

const RECORDS_NAMED = 5;

/** What a user is told of a string set aside: the string (its invisible characters written as escapes, to be seen), the records carrying it, and why. */
export const setAsideMessage = (a: SetAsideString): string => `the string ${JSON.stringify(a.raw).replace(/\p{Cf}/gu, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`)} of ${a.records.join(', ') || 'no record held'} was set aside unscreened: ${a.reason}`;

async function withRecords(store: Store, strings: { raw: string; reason: string }[]): Promise<SetAsideString[]> {
  const out: SetAsideString[] = [];
  for (const { raw, reason } of strings) {
    const rows = await store.all<{ record: string }>(
      `SELECT DISTINCT record FROM (
         SELECT source || ' ' || source_id AS record FROM affiliations WHERE raw = $1
         UNION ALL SELECT source || ' ' || source_id FROM upload_affiliations WHERE raw = $1
         UNION ALL SELECT source || ' ' || patent_id FROM patent_applicants WHERE name = $1)
       ORDER BY record LIMIT ${RECORDS_NAMED}`,
      [raw],
    );
    out.push({ raw, reason, records: rows.map((r) => r.record) });
  }
  return out;
}

/**
 * Which works have an author affiliation on a list, and the institution it resolves to: what
 * the case-by-case assessment counts a partner's co-publications with listed entities from,
 * without scanning every affiliation per question. Rebuilt after screening and after refresh.
 */
export async function refreshListedAffiliations(store: Store): Promise<void> {
  for (const schema of ['main', ...(await orgSchemas(store))]) await refreshListedIn(store, schema);
}

/**
 * The listed affiliations and per-institution counts of the shared tables (main) or of an
 * organisation's corrected view (its schema, whose resolutions and work_institutions are views).
 */
export async function refreshListedIn(store: Store, schema: string): Promise<void> {
  if (schema !== 'main' && !(await store.one(`SELECT 1 FROM duckdb_views() WHERE schema_name = $1 AND view_name = 'work_institutions'`, [schema]))) return;
  // Not published: a cluster counts from the screening hits and the works' affiliations it holds (src/assessment/clickhouse.ts).
  await store.run(`CREATE OR REPLACE TABLE ${schema}.listed_affiliations AS ${listedAffiliations(schema, 'main.works')} ORDER BY work_id`);
  await refreshInstitutionListedCopubs(store, schema);
  if (schema === 'main') await store.run(`INSERT OR REPLACE INTO meta VALUES ('listed_definition', $1)`, [LISTED_DEFINITION]);
}

/** Rebuilds the listed affiliations and counts of a store built by another definition (LISTED_DEFINITION). */
export async function upgradeListedAffiliations(store: Store): Promise<void> {
  await store.transaction(() => refreshListedAffiliations(store));
}

/**
 * The listed affiliations of `works` (a table or a query of works rows): each author affiliation
 * with a screening hit and the institutions it is counted at (work_affiliations: none when it is
 * placed at none). One affiliation may be counted at several ("Wuhan Univ, Zhongnan Hosp": the
 * university and its hospital); it is an institution's own affiliation when it is counted there.
 */
const listedAffiliations = (schema: string, works: string) => `SELECT DISTINCT w.work_id, w.year, a.author_seq, a.aff_seq, wa.ror_id
    FROM ${works} w
    JOIN main.affiliations a ON a.source = w.source AND a.source_id = w.source_id
    JOIN (SELECT DISTINCT raw FROM main.screen_hits) h ON h.raw = a.raw
    LEFT JOIN ${schema}.work_affiliations wa ON wa.work_id = w.work_id AND wa.author_seq = a.author_seq AND wa.aff_seq = a.aff_seq AND wa.ror_id IS NOT NULL`;

/**
 * Per institution and year, the works of those `institutions` (a query of ror_id) and how many of
 * them are listed co-publications: works with a listed affiliation that is not the institution's
 * own, as a portfolio flags them (src/screening/portfolio.ts).
 */
const listedCopubs = (schema: string, institutions: string | null) => `
    WITH wi AS (SELECT * FROM ${schema}.work_institutions WHERE ror_id ${institutions ? `IN (${institutions})` : 'IS NOT NULL'}),
    la AS (SELECT work_id, list(rors) AS slots FROM (
        SELECT work_id, coalesce(list(ror_id) FILTER (WHERE ror_id IS NOT NULL), []) AS rors FROM ${schema}.listed_affiliations
        ${institutions ? 'WHERE work_id IN (SELECT work_id FROM wi)' : ''} GROUP BY work_id, author_seq, aff_seq)
      GROUP BY work_id)
    SELECT wi.ror_id, wi.year, count(DISTINCT wi.work_id) AS works,
      count(DISTINCT CASE WHEN len(list_filter(la.slots, s -> NOT list_contains(s, wi.ror_id))) > 0 THEN wi.work_id END) AS listed
    FROM wi LEFT JOIN la USING (work_id)
    GROUP BY wi.ror_id, wi.year`;

/**
 * Per institution and year: its works, and those co-authored with a listed entity other than
 * itself. A case's partners are looked up here in a few rows instead of joining every work.
 */
export async function refreshInstitutionListedCopubs(store: Store, schema = 'main'): Promise<void> {
  await store.run(`CREATE OR REPLACE TABLE ${schema}.institution_listed_copubs AS ${listedCopubs(schema, null)} ORDER BY wi.ror_id`);
}

/**
 * The listed affiliations of the works in `works` (a table of work_id) counted again, and the
 * rows of the institutions in `institutions` (a table of ror_id: every institution those works
 * named before or after), as refreshListedIn would count them: the incremental refresh's share.
 */
export async function refreshListedWorks(store: Store, schema: string, works: string, institutions: string): Promise<void> {
  await store.run(`DELETE FROM ${schema}.listed_affiliations WHERE work_id IN (SELECT work_id FROM ${works})`);
  await store.run(`INSERT INTO ${schema}.listed_affiliations ${listedAffiliations(schema, `(SELECT * FROM main.works WHERE work_id IN (SELECT work_id FROM ${works}))`)}`);
  await store.run(`DELETE FROM ${schema}.institution_listed_copubs WHERE ror_id IN (SELECT ror_id FROM ${institutions})`);
  await store.run(`INSERT INTO ${schema}.institution_listed_copubs ${listedCopubs(schema, `SELECT ror_id FROM ${institutions}`)}`);
}
