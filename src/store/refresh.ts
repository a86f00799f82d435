import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadFieldRules, loadTaxonomy, type Taxonomy } from '../fields/taxonomy.ts';
import { TIER_RANK, type Tier } from '../resolve/matcher.ts';
import { crashPoint } from '../crash.ts';
import { resolutionVersion } from '../resolve/apply.ts';
import { refreshListedAffiliations, refreshListedIn, refreshListedWorks } from '../screening/store.ts';
import { forgetPublishBase, publishBase } from './publish-pending.ts';
import { countedTier, orgSchemas, type Store } from './store.ts';
import { sha256Hex } from '../sha256.ts';
import { ORG_VIEWS } from './org-views.ts';
import { DEFAULT_REGIONS, STANDARD_PAIRS } from '../indicators/catalog.ts';
import { buildPairTops } from '../indicators/institution-sets.ts';
import { buildKeptAnswers } from '../indicators/kept-answers.ts';
import { loadRegions } from '../regions/regions.ts';

const statements = (file: string) =>
  readFileSync(fileURLToPath(new URL(file, import.meta.url)), 'utf8')
    .split(/;\s*\n/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);

/** The tables the work × institution statements read and write, named in refresh.sql as {{name}}. */
export interface WorkTables {
  works: string;
  resolutions: string;
  resolution_institutions: string;
  resolution_companies: string;
  work_affiliations: string;
  work_institutions: string;
  /** The affiliations as counted: with the ROR ids the source gave each string (an organisation's corrections may overrule them). */
  counted_affiliations: string;
}

/** The tables the statement placing patent applicants reads and writes. */
interface PlaceTables {
  patent_applicants: string;
  patent_applicant_places: string;
}

/** The tables the per-work statements read and write besides those of WorkTables. */
interface RecordTables {
  records: string;
  record_works: string;
  /** record_works, over the works the refresh recomputes. */
  work_records: string;
  record_fields: string;
  work_fields: string;
  given_affiliations: string;
  source_institutions: string;
  work_country_sets: string;
  country_set_counts: string;
  /** work_country_sets, over the sets the refresh counts again. */
  set_works: string;
  work_institution_sets: string;
  institution_set_counts: string;
  /** work_institution_sets, over the keys the refresh counts again. */
  institution_set_works: string;
  summary_keys: string;
}

const SHARED_TABLES: WorkTables & PlaceTables & RecordTables = {
  works: 'works',
  resolutions: 'resolutions',
  resolution_institutions: 'resolution_institutions',
  resolution_companies: 'resolution_companies',
  work_affiliations: 'work_affiliations',
  work_institutions: 'work_institutions',
  counted_affiliations: 'affiliations',
  patent_applicants: 'patent_applicants',
  patent_applicant_places: 'patent_applicant_places',
  records: 'records',
  record_works: 'record_works',
  work_records: 'record_works',
  record_fields: 'record_fields',
  work_fields: 'work_fields',
  given_affiliations: 'affiliations',
  source_institutions: 'source_institutions',
  work_country_sets: 'work_country_sets',
  country_set_counts: 'country_set_counts',
  set_works: 'work_country_sets',
  work_institution_sets: 'work_institution_sets',
  institution_set_counts: 'institution_set_counts',
  institution_set_works: 'work_institution_sets',
  summary_keys: 'summary_keys',
};
const naming = <T extends object>(sql: string, tables: T) => sql.replace(/\{\{(\w+)\}\}/g, (_, name: keyof T) => String(tables[name]));
const REFRESH_TEMPLATES = statements('./refresh.sql');
const REFRESH = REFRESH_TEMPLATES.map((sql) => naming(sql, SHARED_TABLES));
const withTier = (sql: string, minTier: Exclude<Tier, 'unresolved'>) => (sql.includes('$1') ? [TIER_RANK[minTier]] : undefined);

/** The statements that build work_affiliations and work_institutions, over other tables (an organisation's corrected view). */
export const workInstitutionStatements = (tables: WorkTables, minTier: Exclude<Tier, 'unresolved'> = 'strong'): { sql: string; params: number[] }[] =>
  REFRESH_TEMPLATES.filter((sql) => sql.includes('{{work_affiliations}}')).map((sql) => ({ sql: naming(sql, tables), params: sql.includes('$1') ? [TIER_RANK[minTier]] : [] }));
const PLACE_APPLICANTS = REFRESH_TEMPLATES.find((sql) => sql.includes('{{patent_applicant_places}}'))!;
const PATENT_STATEMENTS = REFRESH.filter((sql) => /TABLE patent_/.test(sql));
/** The per-set summary the country-counting indicators read (src/indicators/country-sets.ts) and the per-work rows it counts, built whole from work_institutions and work_fields. */
export const COUNTRY_SET_STATEMENTS = REFRESH.filter((sql) => /TABLE (work_country_sets|country_set_counts) /.test(sql));
/** The per-key summary top institutions read (src/indicators/institution-sets.ts), built whole from work_institutions and work_country_sets, and both summaries' keys. */
export const INSTITUTION_SET_STATEMENTS = REFRESH.filter((sql) => /TABLE (work_institution_sets|institution_set_counts|summary_keys) /.test(sql));
const UPLOAD_REFRESH = statements('./upload-refresh.sql');

/** How refresh.sql counts an affiliation; changed with it, so works counted by an earlier rule are counted again (round 48: the source's institution yields where the string contradicts it; round 50: within one registry family the more specific counts). */
const COUNTING = 'source-checked-r48oa49-r54fam54';

/**
 * What the analytics were last built from beside the records: the lowest tier counted, the field
 * rules, the resolver and registry behind every resolution. Any change of it changes the derived
 * rows of works no ingest touched, so the next refresh rebuilds everything. `stamped` marks a
 * version whose refresh stamps the rankings it keeps (pair_tops) with the basis and generation:
 * an older version's refresh writes a basis without it, so its summaries are never answered from
 * rankings it left as they were (readsPairTops).
 */
async function basisOf(store: Store, minTier: Exclude<Tier, 'unresolved'>, taxonomy: Taxonomy): Promise<string> {
  const rules = sha256Hex(JSON.stringify([...taxonomy.fields.values()].map((f) => [f.id, f.rules]))).slice(0, 16);
  return JSON.stringify({ minTier, rules, resolution: await resolutionVersion(store), stamped: 1, counting: COUNTING });
}

/** Patent files only add rows: their counts say whether the patents' places and fields are due. */
const patentsBasis = async (store: Store) => JSON.stringify(await store.one(`SELECT (SELECT count(*) FROM patents)::DOUBLE AS patents, (SELECT count(*) FROM patent_applicants)::DOUBLE AS applicants, (SELECT count(*) FROM patent_classes)::DOUBLE AS classes`));

const metaValue = async (store: Store, key: string) => (await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = $1`, [key]))?.value ?? null;

export interface RefreshOptions {
  /** Rebuild everything even when only some records changed (evidence removed other than by an ingest). */
  full?: boolean;
}

/**
 * Rebuilds works, their fields, work_affiliations and work_institutions from the shared base (never
 * from uploads). After the first, a refresh recomputes only the works whose records an ingest added,
 * replaced or removed since (refresh_pending) and the aggregates over them, with the same statements
 * and the same rows as a rebuild; it rebuilds everything when the tier, the field taxonomy, the
 * resolver or the registry changed. Answers: `'full'` or `'incremental'`.
 */
export async function refreshAnalytics(store: Store, minTier: Exclude<Tier, 'unresolved'> = 'strong', taxonomy: Taxonomy = loadTaxonomy(), options: RefreshOptions = {}): Promise<'full' | 'incremental'> {
  await loadFieldRules(store, taxonomy);
  const basis = await basisOf(store, minTier, taxonomy);
  // A store refreshed before the per-work country or institution sets existed has none to recount
  // from, and one refreshed before their summaries were keyed (countries_key) has summaries to rebuild.
  const built =
    (await store.one<{ n: number }>(
      `SELECT ((SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name IN ('record_works', 'work_country_sets', 'work_institution_sets', 'summary_keys'))
        + (SELECT count(*) FROM duckdb_columns() WHERE schema_name = 'main' AND table_name IN ('country_set_counts', 'institution_set_counts') AND column_name = 'countries_key'))::INTEGER AS n`,
    ))!.n === 6;
  const full = options.full || !built || (await metaValue(store, 'analytics_basis')) !== basis;
  const patents = await patentsBasis(store);
  await store.transaction(async () => {
    if (full) {
      for (const sql of REFRESH) await store.run(sql, withTier(sql, minTier));
      // Any work's rows may have changed: the next publish to a cluster sends them all.
      await forgetPublishBase(store);
    } else {
      await refreshPendingWorks(store, minTier);
      if ((await metaValue(store, 'analytics_patents')) !== patents) for (const sql of PATENT_STATEMENTS) await store.run(sql, withTier(sql, minTier));
    }
    await store.run('DELETE FROM refresh_pending');
    await store.run('DELETE FROM refresh_pending_rors');
    await store.run(`INSERT OR REPLACE INTO meta VALUES ('analytics_min_tier', $1), ('analytics_basis', $2), ('analytics_patents', $3)`, [minTier, basis, patents]);
    await nextAnalyticsGeneration(store);
    // The dashboard's pairs' top institutions, ranked once from the summary just counted, stamped with this generation.
    await buildPairTops(store, loadRegions(), STANDARD_PAIRS);
    // ...and the rest of the first view's answers that count by country, likewise.
    await buildKeptAnswers(store, loadRegions(), STANDARD_PAIRS, DEFAULT_REGIONS);
    for (const schema of await orgSchemas(store)) await rebuildOrgWorks(store, schema);
    if (full) await refreshListedAffiliations(store);
    else for (const schema of await orgSchemas(store)) await refreshListedIn(store, schema);
    crashPoint('refresh.before-commit');
  });
  return full ? 'full' : 'incremental';
}

/**
 * Numbers the state of the summaries anew (meta 'analytics_generation'): every write of them does
 * it in its own transaction, and a ranking kept from them (pair_tops) is read only while it holds
 * the same number, so a write that does not rank again leaves the kept rankings unread.
 */
export async function nextAnalyticsGeneration(store: Store): Promise<void> {
  await store.run(`INSERT OR REPLACE INTO meta SELECT 'analytics_generation', (coalesce(max(value::BIGINT), 0) + 1)::VARCHAR FROM meta WHERE key = 'analytics_generation'`);
}

/**
 * Creates the analytics tables of a store never refreshed, empty, by the refresh's own statements
 * over no evidence, so every reader finds them (an empty answer, not a missing table) before the
 * first ingest. It notes no analytics basis: the first refresh still rebuilds everything.
 */
export async function createEmptyAnalytics(store: Store): Promise<void> {
  const none = (table: string) => `(SELECT * FROM ${table} LIMIT 0)`;
  const empty = { ...SHARED_TABLES, records: none('records'), counted_affiliations: none('affiliations'), given_affiliations: none('affiliations'), record_fields: none('record_fields'), patent_applicants: none('patent_applicants') };
  await loadFieldRules(store, loadTaxonomy());
  await store.transaction(async () => {
    for (const sql of REFRESH_TEMPLATES) await store.run(naming(sql, empty), withTier(sql, 'strong'));
    await refreshListedIn(store, 'main');
  });
}

/** A table of the refresh's own, for the rows of the works it recomputes before they replace theirs. */
const DELTA = (table: string) => `refresh_delta_${table}`;
const PER_WORK = ['works', 'work_fields', 'work_affiliations', 'work_institutions', 'work_country_sets', 'work_institution_sets'];

/**
 * Recomputes the works of the records pending since the last refresh: the works those records
 * belonged to then and belong to now (a changed DOI moves a record from one work to another), each
 * from all of its records, by the statements of a full refresh over those works only; then what
 * counts over them: the country sets and institution keys those works left or joined, the names sources give
 * unregistered institutions, the listed affiliations, and the per-institution listed
 * co-publications of every institution those works name.
 */
async function refreshPendingWorks(store: Store, minTier: Exclude<Tier, 'unresolved'>): Promise<void> {
  const pending = `EXISTS (SELECT 1 FROM refresh_pending p WHERE p.source = x.source AND p.source_id = x.source_id)`;
  await store.run(`CREATE OR REPLACE TEMP TABLE refresh_works AS
    SELECT work_id FROM record_works x WHERE ${pending}
    UNION SELECT work_key(source, source_id, doi, pmid) FROM records x WHERE ${pending}`);
  const touched = `(SELECT work_id FROM refresh_works)`;
  await store.run(`CREATE OR REPLACE TEMP TABLE refresh_rors AS SELECT DISTINCT ror_id FROM work_institutions WHERE work_id IN ${touched} AND ror_id IS NOT NULL`);
  // Only ids the registry lacks are named from the sources (source_institutions).
  await store.run(`CREATE OR REPLACE TEMP TABLE refresh_given_rors AS
    SELECT ror_id FROM (SELECT ror_id FROM refresh_pending_rors UNION SELECT DISTINCT unnest(given_ror_ids) FROM affiliations x WHERE ${pending})
    WHERE ror_id NOT IN (SELECT ror_id FROM institutions)`);
  await store.run(`CREATE OR REPLACE TEMP TABLE refresh_given_affiliations AS
    SELECT DISTINCT source, source_id, author_seq, aff_seq FROM (SELECT source, source_id, author_seq, aff_seq, unnest(given_ror_ids) AS ror_id FROM affiliations) JOIN refresh_given_rors USING (ror_id)`);
  const recordsOfWorks = `(SELECT * FROM record_works WHERE work_id IN ${touched})`;
  const tables: typeof SHARED_TABLES = {
    ...SHARED_TABLES,
    records: `(SELECT * FROM records x WHERE ${pending})`,
    record_works: DELTA('record_works'),
    work_records: recordsOfWorks,
    record_fields: `(SELECT rf.* FROM record_fields rf JOIN ${recordsOfWorks} rw USING (source, source_id))`,
    works: DELTA('works'),
    work_fields: DELTA('work_fields'),
    work_affiliations: DELTA('work_affiliations'),
    work_institutions: DELTA('work_institutions'),
    given_affiliations: `(SELECT a.* FROM affiliations a JOIN refresh_given_affiliations USING (source, source_id, author_seq, aff_seq))`,
    source_institutions: DELTA('source_institutions'),
    work_country_sets: DELTA('work_country_sets'),
    country_set_counts: DELTA('country_set_counts'),
    // A join, not EXISTS: DuckDB runs a correlated EXISTS on list columns ~100× slower (1M works: 33 s against 0.4 s).
    set_works: `(SELECT w.* FROM work_country_sets w SEMI JOIN refresh_sets USING (year, countries, fields))`,
    work_institution_sets: DELTA('work_institution_sets'),
    institution_set_counts: DELTA('institution_set_counts'),
    institution_set_works: `(SELECT w.* FROM work_institution_sets w SEMI JOIN refresh_institution_sets USING (year, countries, fields, ror_id, inst_countries))`,
  };
  const template = (table: string) =>
    naming(
      REFRESH_TEMPLATES.find((sql) => sql.includes(`TABLE {{${table}}}`))!,
      tables,
    );
  await store.run(template('record_works'));
  await store.run(`DELETE FROM record_works x WHERE ${pending}`);
  await store.run(`INSERT INTO record_works SELECT * FROM ${DELTA('record_works')}`);
  for (const table of PER_WORK) {
    const sql = template(table);
    await store.run(sql, withTier(sql, minTier));
  }
  // The sets the works were in before, and are in now: each is counted again over all of its works.
  await store.run(`CREATE OR REPLACE TEMP TABLE refresh_sets AS
    SELECT DISTINCT year, countries, fields FROM work_country_sets WHERE work_id IN ${touched}
    UNION SELECT DISTINCT year, countries, fields FROM ${DELTA('work_country_sets')}`);
  await store.run(`CREATE OR REPLACE TEMP TABLE refresh_institution_sets AS
    SELECT DISTINCT year, countries, fields, ror_id, inst_countries FROM work_institution_sets WHERE work_id IN ${touched}
    UNION SELECT DISTINCT year, countries, fields, ror_id, inst_countries FROM ${DELTA('work_institution_sets')}`);
  for (const table of PER_WORK) {
    await store.run(`DELETE FROM ${table} WHERE work_id IN ${touched}`);
    await store.run(`INSERT INTO ${table} SELECT * FROM ${DELTA(table)}`);
  }
  await store.run(template('country_set_counts'));
  await store.run(`DELETE FROM country_set_counts c USING refresh_sets s WHERE s.year = c.year AND s.countries = c.countries AND s.fields = c.fields`);
  await store.run(`INSERT INTO country_set_counts SELECT * FROM ${DELTA('country_set_counts')}`);
  await store.run(template('institution_set_counts'));
  await store.run(`DELETE FROM institution_set_counts c USING refresh_institution_sets s
    WHERE s.year = c.year AND s.countries = c.countries AND s.fields = c.fields AND s.ror_id = c.ror_id AND s.inst_countries = c.inst_countries`);
  await store.run(`INSERT INTO institution_set_counts SELECT * FROM ${DELTA('institution_set_counts')}`);
  // A key of a set counted again stays while a row of either summary has it; no other key's rows changed.
  await store.run(`CREATE OR REPLACE TEMP TABLE refresh_keys AS
    SELECT to_json(countries)::VARCHAR AS countries_key FROM refresh_sets
    UNION SELECT to_json(countries)::VARCHAR FROM refresh_institution_sets UNION SELECT to_json(inst_countries)::VARCHAR FROM refresh_institution_sets`);
  await store.run(`DELETE FROM summary_keys WHERE countries_key IN (SELECT countries_key FROM refresh_keys)`);
  await store.run(`INSERT INTO summary_keys SELECT countries_key, from_json(countries_key, '["VARCHAR"]') FROM refresh_keys
    WHERE countries_key IN (SELECT countries_key FROM country_set_counts) OR countries_key IN (SELECT inst_countries_key FROM institution_set_counts)`);
  // An unregistered institution's name is the one most affiliations give it: counted again over all of them.
  await store.run(template('source_institutions'));
  await store.run(`DELETE FROM source_institutions WHERE ror_id IN (SELECT ror_id FROM refresh_given_rors)`);
  await store.run(`INSERT INTO source_institutions SELECT * FROM ${DELTA('source_institutions')} WHERE ror_id IN (SELECT ror_id FROM refresh_given_rors)`);
  for (const table of ['record_works', ...PER_WORK, 'country_set_counts', 'institution_set_counts', 'source_institutions']) await store.run(`DROP TABLE ${DELTA(table)}`);
  // Added, replaced, moved and removed works alike: the cluster's copy of each is replaced or dropped.
  // With no completed publish the next one is full: nothing is marked, and what a version before this
  // one marked regardless is let go (the table only grew).
  if ((await publishBase(store)) !== null) await store.run(`INSERT INTO publish_pending SELECT work_id FROM refresh_works`);
  else await store.run('DELETE FROM publish_pending');
  await store.run(`INSERT INTO refresh_rors SELECT DISTINCT ror_id FROM work_institutions WHERE work_id IN ${touched} AND ror_id IS NOT NULL`);
  await refreshListedWorks(store, 'main', 'refresh_works', 'refresh_rors');
}

/**
 * Builds the works and fields of one organisation's uploaded export, for its portfolio; and again those of its earlier
 * uploads holding a record this one gave a DOI (their works were keyed by the record's id: kept so, the work would
 * count twice in the organisation's portfolio, under the id and under the DOI).
 */
export async function refreshUpload(store: Store, orgId: string, fileId: string, taxonomy: Taxonomy = loadTaxonomy()): Promise<void> {
  await loadFieldRules(store, taxonomy);
  await store.transaction(async () => {
    const moved = await store.all<{ file_id: string }>(
      `SELECT DISTINCT m.file_id FROM upload_file_records m
       JOIN upload_file_records own ON own.scope = m.scope AND own.file_id = $2 AND own.source = m.source AND own.source_id = m.source_id
       JOIN upload_records r ON r.scope = m.scope AND r.source = m.source AND r.source_id = m.source_id
       WHERE m.scope = $1 AND m.file_id <> $2
         AND NOT EXISTS (SELECT 1 FROM upload_works w WHERE w.scope = m.scope AND w.file_id = m.file_id AND w.work_id = work_key(r.source, r.source_id, r.doi, r.pmid))`,
      [orgId, fileId],
    );
    for (const id of [fileId, ...moved.map((m) => m.file_id)]) for (const sql of UPLOAD_REFRESH) await store.run(sql, [orgId, id]);
  });
}

/**
 * An organisation view's works: those with a string its corrections decide, rebuilt by the shared
 * statements from the view's resolutions, and the shared tables' names over them (every other work
 * as the shared tables have it); so are the places of patent applicants whose names they decide. Needs the view's resolutions (src/resolve/org-view.ts) and the
 * shared analytics (empty before the first refresh: src/store/store.ts creates them).
 */
export async function rebuildOrgWorks(store: Store, schema: string): Promise<void> {
  const minTier = await countedTier(store);
  await store.run(`CREATE OR REPLACE TABLE ${schema}.corrected_works AS
    SELECT DISTINCT w.work_id FROM main.works w JOIN main.affiliations a ON a.source = w.source AND a.source_id = w.source_id
    WHERE a.raw IN (SELECT raw FROM ${schema}.own_resolutions)`);
  await keepOwnCompanies(store, schema);
  await keepCorrectionKeys(store, schema);
  // The organisation's corrections overrule the source's ROR ids for the strings they decide: an "is"
  // or a "none" sets them all aside (the view's resolution says what the string is), a "not" sets
  // its ROR id aside (the view's resolution counts where none of the source's is left). The
  // source's countries go with its ROR ids where none is left.
  const kept = `list_filter(a.given_ror_ids, x -> NOT o.decided AND NOT list_contains(o.not_ids, x))`;
  const counted = `(SELECT a.* REPLACE (
      CASE WHEN o.raw IS NULL THEN a.given_ror_ids ELSE ${kept} END AS given_ror_ids,
      CASE WHEN o.raw IS NULL OR len(a.given_ror_ids) = 0 OR len(${kept}) > 0 THEN a.given_countries ELSE []::VARCHAR[] END AS given_countries)
    FROM main.affiliations a LEFT JOIN (
      SELECT sk.raw, ck.decided, ck.not_ids FROM main.string_keys sk JOIN ${schema}.correction_keys ck ON ck.key = sk.string_key
      WHERE sk.raw IN (SELECT raw FROM ${schema}.own_resolutions)
    ) o ON o.raw = a.raw)`;
  const tables: WorkTables = {
    counted_affiliations: counted,
    works: `(SELECT * FROM main.works WHERE work_id IN (SELECT work_id FROM ${schema}.corrected_works))`,
    resolutions: `${schema}.resolutions`,
    resolution_institutions: `${schema}.resolution_institutions`,
    resolution_companies: `${schema}.resolution_companies`,
    work_affiliations: `${schema}.own_work_affiliations`,
    work_institutions: `${schema}.own_work_institutions`,
  };
  for (const { sql, params } of workInstitutionStatements(tables, minTier)) await store.run(sql, params.length > 0 ? params : undefined);
  for (const table of ['work_affiliations', 'work_institutions']) await store.run(`CREATE OR REPLACE VIEW ${schema}.${table} AS ${ORG_VIEWS[table]!(schema)}`);
  // Patent applicants whose names the corrections decide are placed again from the view's resolutions.
  const decided = `(SELECT * FROM main.patent_applicants WHERE name IN (SELECT raw FROM ${schema}.own_resolutions))`;
  await store.run(naming(PLACE_APPLICANTS, { ...tables, patent_applicants: decided, patent_applicant_places: `${schema}.own_patent_applicant_places` }), [TIER_RANK[minTier]]);
  await store.run(`CREATE OR REPLACE VIEW ${schema}.patent_applicant_places AS ${ORG_VIEWS.patent_applicant_places!(schema)}`);
}

/**
 * The view's corrections by the key of the strings they decide: whether an "is" or a "none"
 * decides them, and the ROR ids "not" corrections set aside. Kept beside the corrections document
 * the view was built from (written again from it at each rebuild, so a view built before keeps them too).
 */
async function keepCorrectionKeys(store: Store, schema: string): Promise<void> {
  const corrections = `SELECT unnest(from_json(doc, '{"corrections": [{"key": "VARCHAR", "verdict": "VARCHAR", "rorId": "VARCHAR"}]}').corrections, recursive := true) FROM ${schema}.corrections`;
  await store.run(`CREATE OR REPLACE TABLE ${schema}.correction_keys AS
    SELECT key, bool_or(verdict <> 'not') AS decided, coalesce(list(rorId ORDER BY rorId) FILTER (WHERE verdict = 'not'), []::VARCHAR[]) AS not_ids
    FROM (${corrections}) GROUP BY key`);
}

/** Gives a view built before views kept their own companies the shared base's for its strings, as it showed then. */
export async function keepOwnCompanies(store: Store, schema: string): Promise<void> {
  if (await store.one(`SELECT 1 AS x FROM duckdb_tables() WHERE schema_name = $1 AND table_name = 'own_resolution_companies'`, [schema])) return;
  await store.run(`CREATE TABLE ${schema}.own_resolution_companies AS SELECT * FROM main.resolution_companies WHERE raw IN (SELECT raw FROM ${schema}.own_resolutions)`);
  await store.run(`CREATE OR REPLACE VIEW ${schema}.resolution_companies AS ${ORG_VIEWS.resolution_companies!(schema)}`);
}
