import { createHash } from 'node:crypto';
import { loadRegistry } from '../ingest/registry.ts';
import type { Institution } from '../ingest/ror.ts';
import { AffiliationResolver } from '../resolve/matcher.ts';
import type { Store } from '../store/store.ts';
import { applyAliases, loadAliases, registryWordCounts } from './aliases.ts';
import { linkEntries, type LinkReport } from './links.ts';
import type { RiskList } from './lists.ts';
import { Screener } from './screener.ts';

/** Bumped whenever screening behaviour changes, so stored screening results are redone. */
export const SCREENER_VERSION = '2026.11.30-8';

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

export interface ScreeningContext {
  screener: Screener;
  resolver: AffiliationResolver;
  links: LinkReport;
  lists: RiskList[];
}

/** The screener over the lists and registry held in the store. */
export async function screeningContext(store: Store, resolver?: AffiliationResolver): Promise<ScreeningContext> {
  const loaded = await loadedLists(store);
  if (loaded.length === 0) throw new Error('no risk lists loaded yet: run `derisk lists load` (or `derisk demo`)');
  const registry = await loadRegistry(store);
  const res = resolver ?? new AffiliationResolver(registry);
  return { ...buildScreener(loaded, registry, res), resolver: res };
}

/**
 * The screener over given lists and registry: the names people write for listed entities
 * (data/lists/aliases.json) are added to every list, then entries are linked to the registry.
 */
export function buildScreener(loaded: RiskList[], registry: Institution[], resolver: AffiliationResolver): Omit<ScreeningContext, 'resolver'> {
  const lists = applyAliases(loaded, loadAliases(), (w) => resolver.gazetteer.isPlace(w), (c) => resolver.gazetteer.countryCodeOf(c), registryWordCounts(registry));
  const links = linkEntries(lists, registry, resolver.gazetteer);
  return { screener: new Screener(lists, resolver, links.links, links.countriesByName), links, lists };
}

async function signature(store: Store, lists: RiskList[]): Promise<string> {
  const registry = await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'registry_version'`);
  const versions = lists.map((l) => `${l.id}@${l.version}`).join(',');
  return createHash('sha256').update(`${SCREENER_VERSION}|${registry?.value ?? ''}|${versions}|aliases@${loadAliases().version}`).digest('hex').slice(0, 16);
}

/**
 * Screens every distinct affiliation string and patent applicant name not yet screened under
 * the loaded lists, so portfolios are a join. New lists or a new registry mean all are redone.
 */
export async function screenPending(store: Store, context: ScreeningContext, onProgress?: (done: number, total: number) => void): Promise<{ screened: number; hits: number; seconds: number }> {
  const started = performance.now();
  const sig = await signature(store, context.lists);
  const old = await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'screening_signature'`);
  if (old?.value !== sig) {
    await store.transaction(async () => {
      await store.run('DELETE FROM screen_hits');
      await store.run('DELETE FROM screened_strings');
      await store.run(`INSERT OR REPLACE INTO meta VALUES ('screening_signature', $1)`, [sig]);
    });
  }
  const pending = (
    await store.all<{ raw: string }>(
      `SELECT DISTINCT a.raw FROM (SELECT raw FROM affiliations UNION ALL SELECT name AS raw FROM patent_applicants) a
       WHERE trim(a.raw) <> '' AND NOT EXISTS (SELECT 1 FROM screened_strings s WHERE s.raw = a.raw)`,
    )
  ).map((r) => r.raw);
  let hits = 0;
  const chunk = 20_000;
  for (let i = 0; i < pending.length; i += chunk) {
    const part = pending.slice(i, i + chunk);
    await store.transaction(async () => {
      const done = await store.connection.createAppender('screened_strings');
      const found = await store.connection.createAppender('screen_hits');
      for (const raw of part) {
        done.appendVarchar(raw);
        done.endRow();
        for (const h of context.screener.screen(raw).hits) {
          hits++;
          for (const v of [raw, h.list, h.entryId, h.entry, h.level, h.match]) found.appendVarchar(v);
          found.appendDouble(h.score);
          h.inherited ? found.appendVarchar(h.inherited.via) : found.appendNull();
          found.appendVarchar(h.evidence);
          found.endRow();
        }
      }
      done.closeSync();
      found.closeSync();
    });
    onProgress?.(Math.min(i + chunk, pending.length), pending.length);
  }
  // Refresh keeps the table in step with the works; new screening results need it rebuilt too.
  if (pending.length > 0) await refreshListedAffiliations(store);
  return { screened: pending.length, hits, seconds: (performance.now() - started) / 1000 };
}

/**
 * Which works have an author affiliation on a list, and the institution it resolves to: what
 * the case-by-case assessment counts a partner's co-publications with listed entities from,
 * without scanning every affiliation per question. Rebuilt after screening and after refresh.
 */
export async function refreshListedAffiliations(store: Store): Promise<void> {
  await store.run(`CREATE OR REPLACE TABLE listed_affiliations AS
    SELECT DISTINCT w.work_id, w.year, ri.ror_id
    FROM works w
    JOIN affiliations a ON a.source = w.source AND a.source_id = w.source_id
    JOIN (SELECT DISTINCT raw FROM screen_hits) h ON h.raw = a.raw
    LEFT JOIN resolution_institutions ri ON ri.raw = a.raw AND ri.unit_of IS NULL
    ORDER BY work_id`);
  await refreshInstitutionListedCopubs(store);
}

/**
 * Per institution and year: its works, and those co-authored with a listed entity other than
 * itself. A case's partners are looked up here in a few rows instead of joining every work.
 */
export async function refreshInstitutionListedCopubs(store: Store): Promise<void> {
  await store.run(`CREATE OR REPLACE TABLE institution_listed_copubs AS
    WITH la AS (SELECT work_id, list(DISTINCT ror_id) FILTER (WHERE ror_id IS NOT NULL) AS rors, bool_or(ror_id IS NULL) AS unplaced FROM listed_affiliations GROUP BY work_id)
    SELECT wi.ror_id, wi.year, count(DISTINCT wi.work_id) AS works,
      count(DISTINCT CASE WHEN la.unplaced OR len(list_filter(la.rors, x -> x <> wi.ror_id)) > 0 THEN wi.work_id END) AS listed
    FROM work_institutions wi LEFT JOIN la USING (work_id)
    WHERE wi.ror_id IS NOT NULL
    GROUP BY wi.ror_id, wi.year
    ORDER BY wi.ror_id`);
}
