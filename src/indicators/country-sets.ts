import { regionOf, type RegionCatalogue } from '../regions/catalogue.ts';
import { listValue } from '../store/duckdb.ts';
import type { Store } from '../store/store.ts';
import { yearBounds, type Filters } from './filters.ts';

/**
 * Whether an indicator may count from country_set_counts (src/store/refresh.sql) rather than
 * from every work × institution row: on the shared base once a refresh has built it, with its keys
 * (a store refreshed before them counts from the rows until its next refresh). An organisation's
 * corrected view has rows of its own that the shared summary does not count.
 */
export async function readsCountrySets(store: Store): Promise<boolean> {
  return store.view === null && (await hasKeyedSummaries(store, ['country_set_counts']));
}

/** Whether the refresh built each of these summaries with its keys. */
export async function hasKeyedSummaries(store: Store, tables: string[]): Promise<boolean> {
  const found = await store.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM duckdb_columns() WHERE schema_name = 'main' AND column_name = 'countries_key' AND table_name IN (SELECT unnest($1::VARCHAR[]))`, [listValue([...tables, 'summary_keys'])]);
  return found!.n === tables.length + 1;
}

/** The analytics basis and generation of the summaries as they are (meta), which an answer kept from them is stamped with. */
export const metaValue = (key: string) => `(SELECT value FROM meta WHERE key = '${key}')`;
export const STAMP = `${metaValue('analytics_basis')}, ${metaValue('analytics_generation')}`;

/** The indicators whose unfiltered answers the refresh keeps for the dashboard's first view (kept-answers.ts). */
export type KeptIndicator = 'copubs' | 'publications' | 'fields';

/** Regions as kept_answers keys them: each region's id (answers name it) and its countries, sorted; a region file or Hong Kong/Macao setting that changes either changes the key. */
export const answerKey = (catalogue: RegionCatalogue, ids: string[]): string =>
  JSON.stringify(
    ids.map((id) => {
      const r = regionOf(catalogue, id);
      return [r.id, [...r.countries].sort()];
    }),
  );

/**
 * The answer the refresh kept for this indicator over these regions (kept_answers), or null:
 * only unfiltered (roll-up does not change what counts by country), where the summary would be
 * read, and only while its stamp is the basis and generation in meta now, so an answer is never
 * read after a write that numbered the summaries anew without keeping answers again.
 */
export async function keptAnswer<T>(store: Store, catalogue: RegionCatalogue, name: KeptIndicator, ids: string[], filters: Filters): Promise<T[] | null> {
  if (filters.from !== null || filters.to !== null || filters.field !== null || !(await readsCountrySets(store))) return null;
  if (!(await store.one(`SELECT 1 FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'kept_answers'`))) return null;
  const kept = await store.one<{ rows: string }>(`SELECT rows FROM kept_answers WHERE name = $1 AND regions_key = $2 AND basis IS NOT DISTINCT FROM ${metaValue('analytics_basis')} AND generation IS NOT DISTINCT FROM ${metaValue('analytics_generation')}`, [name, answerKey(catalogue, ids)]);
  return kept ? (JSON.parse(kept.rows) as T[]) : null;
}

/** The summary's rows the filters admit, as the row-by-row indicators' workCondition admits works (years and field ids validated at the boundary). */
function setCondition(f: Filters): string {
  return ['c.year IS NOT NULL', ...yearBounds(f, 'c.year'), f.field !== null ? `list_contains(c.fields, '${f.field}')` : ''].filter(Boolean).join(' AND ');
}

/**
 * The summary's rows of the sets with a country in each of regions $1 and $2 (region_members must
 * be in the query): a pair's co-publications, as the CTE copub_rows. Each row is one country of
 * one set (year, countries, fields) with the set's works and the country's weight in them; a set's
 * works count on its first row (first_of_set), and in_a, in_b say whether the row's country is in
 * either region. The regions are tested on the sets' distinct keys (summary_keys), not on every row.
 */
export const pairSets = (filters: Filters): string => `
  copub_keys AS (
    SELECT countries_key FROM summary_keys
    WHERE list_has_any(countries, (SELECT list(country_code) FROM region_members WHERE region_id = $1))
      AND list_has_any(countries, (SELECT list(country_code) FROM region_members WHERE region_id = $2))),
  copub_rows AS (
    SELECT c.year, c.fields_key, c.country_code, c.works, c.weight, c.first_of_set,
      c.country_code IN (SELECT country_code FROM region_members WHERE region_id = $1) AS in_a,
      c.country_code IN (SELECT country_code FROM region_members WHERE region_id = $2) AS in_b
    FROM country_set_counts c SEMI JOIN copub_keys USING (countries_key)
    WHERE ${setCondition(filters)})`;

/**
 * Publications per region and year from the summary: a set counts its works once in each region it
 * has a country in, on its first row, and the weight of its countries in the region.
 */
export const publicationsFromSets = (store: Store, regionMembers: string, ids: string[], filters: Filters) =>
  store.all<{ region: string; year: number; full: number; fractional: number }>(
    `WITH ${regionMembers},
     asked AS (SELECT region_id, list(country_code) AS countries FROM region_members WHERE region_id IN (SELECT unnest($1::VARCHAR[])) GROUP BY region_id),
     region_keys AS (SELECT a.region_id, k.countries_key FROM summary_keys k JOIN asked a ON list_has_any(k.countries, a.countries)),
     counted AS (
       SELECT rk.region_id, c.year, sum(c.works) AS works FROM country_set_counts c JOIN region_keys rk USING (countries_key)
       WHERE c.first_of_set AND ${setCondition(filters)} GROUP BY ALL),
     weighed AS (
       SELECT rm.region_id, c.year, sum(c.weight) AS weight FROM country_set_counts c JOIN region_members rm USING (country_code)
       WHERE rm.region_id IN (SELECT region_id FROM asked) AND ${setCondition(filters)} GROUP BY ALL)
     SELECT region_id AS region, year::INTEGER AS year, works::INTEGER AS full, round(weight, 4)::DOUBLE AS fractional
     FROM counted JOIN weighed USING (region_id, year) ORDER BY region, year`,
    [listValue(ids)],
  );
