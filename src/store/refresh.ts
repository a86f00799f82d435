import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadFieldRules, loadTaxonomy, type Taxonomy } from '../fields/taxonomy.ts';
import { TIER_RANK, type Tier } from '../resolve/matcher.ts';
import { refreshListedAffiliations } from '../screening/store.ts';
import { orgSchemas, type Store } from './store.ts';

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
}

/** The tables the statement placing patent applicants reads and writes. */
interface PlaceTables {
  patent_applicants: string;
  patent_applicant_places: string;
}

const SHARED_TABLES: WorkTables & PlaceTables = {
  works: 'works',
  resolutions: 'resolutions',
  resolution_institutions: 'resolution_institutions',
  resolution_companies: 'resolution_companies',
  work_affiliations: 'work_affiliations',
  work_institutions: 'work_institutions',
  patent_applicants: 'patent_applicants',
  patent_applicant_places: 'patent_applicant_places',
};
const naming = <T extends object>(sql: string, tables: T) => sql.replace(/\{\{(\w+)\}\}/g, (_, name: keyof T) => String(tables[name]));
const REFRESH_TEMPLATES = statements('./refresh.sql');
const REFRESH = REFRESH_TEMPLATES.map((sql) => naming(sql, SHARED_TABLES));

/** The statements that build work_affiliations and work_institutions, over other tables (an organisation's corrected view). */
export const workInstitutionStatements = (tables: WorkTables, minTier: Exclude<Tier, 'unresolved'> = 'strong'): { sql: string; params: number[] }[] =>
  REFRESH_TEMPLATES.filter((sql) => sql.includes('{{work_affiliations}}')).map((sql) => ({ sql: naming(sql, tables), params: sql.includes('$1') ? [TIER_RANK[minTier]] : [] }));
const PLACE_APPLICANTS = REFRESH_TEMPLATES.find((sql) => sql.includes('{{patent_applicant_places}}'))!;
const UPLOAD_REFRESH = statements('./upload-refresh.sql');

/** Rebuilds works, their fields, work_affiliations and work_institutions from the shared base (never from uploads). */
export async function refreshAnalytics(store: Store, minTier: Exclude<Tier, 'unresolved'> = 'strong', taxonomy: Taxonomy = loadTaxonomy()): Promise<void> {
  await loadFieldRules(store, taxonomy);
  await store.transaction(async () => {
    for (const sql of REFRESH) await store.run(sql, sql.includes('$1') ? [TIER_RANK[minTier]] : undefined);
    await store.run(`INSERT OR REPLACE INTO meta VALUES ('analytics_min_tier', $1)`, [minTier]);
    for (const schema of await orgSchemas(store)) await rebuildOrgWorks(store, schema);
    await refreshListedAffiliations(store);
  });
}

/** Builds the works and fields of one organisation's uploaded export, for its portfolio. */
export async function refreshUpload(store: Store, orgId: string, fileId: string, taxonomy: Taxonomy = loadTaxonomy()): Promise<void> {
  await loadFieldRules(store, taxonomy);
  await store.transaction(async () => {
    for (const sql of UPLOAD_REFRESH) await store.run(sql, [orgId, fileId]);
  });
}

/**
 * An organisation view's works: those with a string its corrections decide, rebuilt by the shared
 * statements from the view's resolutions, and the shared tables' names over them (every other work
 * as the shared tables have it); so are the places of patent applicants whose names they decide. Needs the view's resolutions (src/resolve/org-view.ts) and the
 * shared analytics; does nothing before the shared base was first refreshed.
 */
export async function rebuildOrgWorks(store: Store, schema: string): Promise<void> {
  if (!(await store.one(`SELECT 1 AS x FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'work_institutions'`))) return;
  const minTier = ((await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'analytics_min_tier'`))?.value ?? 'strong') as Exclude<Tier, 'unresolved'>;
  await store.run(`CREATE OR REPLACE TABLE ${schema}.corrected_works AS
    SELECT DISTINCT w.work_id FROM main.works w JOIN main.affiliations a ON a.source = w.source AND a.source_id = w.source_id
    WHERE a.raw IN (SELECT raw FROM ${schema}.own_resolutions)`);
  await keepOwnCompanies(store, schema);
  const tables: WorkTables = {
    works: `(SELECT * FROM main.works WHERE work_id IN (SELECT work_id FROM ${schema}.corrected_works))`,
    resolutions: `${schema}.resolutions`,
    resolution_institutions: `${schema}.resolution_institutions`,
    resolution_companies: `${schema}.resolution_companies`,
    work_affiliations: `${schema}.own_work_affiliations`,
    work_institutions: `${schema}.own_work_institutions`,
  };
  for (const { sql, params } of workInstitutionStatements(tables, minTier)) await store.run(sql, params.length > 0 ? params : undefined);
  for (const table of ['work_affiliations', 'work_institutions']) {
    await store.run(`CREATE OR REPLACE VIEW ${schema}.${table} AS
      SELECT * FROM main.${table} WHERE work_id NOT IN (SELECT work_id FROM ${schema}.corrected_works)
      UNION ALL SELECT * FROM ${schema}.own_${table}`);
  }
  // Patent applicants whose names the corrections decide are placed again from the view's resolutions.
  const decided = `(SELECT * FROM main.patent_applicants WHERE name IN (SELECT raw FROM ${schema}.own_resolutions))`;
  await store.run(naming(PLACE_APPLICANTS, { ...tables, patent_applicants: decided, patent_applicant_places: `${schema}.own_patent_applicant_places` }), [TIER_RANK[minTier]]);
  await store.run(`CREATE OR REPLACE VIEW ${schema}.patent_applicant_places AS
    SELECT * FROM main.patent_applicant_places WHERE name NOT IN (SELECT raw FROM ${schema}.own_resolutions)
    UNION ALL SELECT * FROM ${schema}.own_patent_applicant_places`);
}

/** The shared base's rows of a resolution table for the strings an organisation's view does not decide, and the view's own rows for those it does. */
export const ownOrShared = (schema: string, table: string): string => `SELECT * FROM main.${table} WHERE raw NOT IN (SELECT raw FROM ${schema}.own_resolutions) UNION ALL SELECT * FROM ${schema}.own_${table}`;

/** Gives a view built before views kept their own companies the shared base's for its strings, as it showed then. */
export async function keepOwnCompanies(store: Store, schema: string): Promise<void> {
  if (await store.one(`SELECT 1 AS x FROM duckdb_tables() WHERE schema_name = $1 AND table_name = 'own_resolution_companies'`, [schema])) return;
  await store.run(`CREATE TABLE ${schema}.own_resolution_companies AS SELECT * FROM main.resolution_companies WHERE raw IN (SELECT raw FROM ${schema}.own_resolutions)`);
  await store.run(`CREATE OR REPLACE VIEW ${schema}.resolution_companies AS ${ownOrShared(schema, 'resolution_companies')}`);
}
