import { listValue } from '../store/duckdb.ts';
import type { Store } from '../store/store.ts';
import { yearBounds, type Filters } from './filters.ts';

/**
 * Whether an indicator may count from country_set_counts (src/store/refresh.sql) rather than
 * from every work × institution row: on the shared base once a refresh has built it. An
 * organisation's corrected view has rows of its own that the shared summary does not count.
 */
export async function readsCountrySets(store: Store): Promise<boolean> {
  return store.view === null && Boolean(await store.one(`SELECT 1 AS x FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'country_set_counts'`));
}

/** The summary's rows the filters admit, as the row-by-row indicators' workCondition admits works (years and field ids validated at the boundary). */
function setCondition(f: Filters): string {
  return ['c.year IS NOT NULL', ...yearBounds(f, 'c.year'), f.field !== null ? `list_contains(c.fields, '${f.field}')` : ''].filter(Boolean).join(' AND ');
}

/**
 * One row per set of works with the same year, countries and fields, tagged for regions $1 and
 * $2 (region_members must be in the query): whether the set has a country in each, the weight in
 * either, and its countries in $1. A set is a pair's co-publications when it has both.
 */
export const pairSets = (filters: Filters): string => `
  pair_sets AS (
    SELECT c.year, c.countries, c.fields, any_value(c.works) AS works,
      bool_or(c.in_a) AS has_a, bool_or(c.in_b) AS has_b,
      sum(c.weight) FILTER (WHERE c.in_a OR c.in_b) AS share,
      list(c.country_code) FILTER (WHERE c.in_a) AS a_countries
    FROM (SELECT *, country_code IN (SELECT country_code FROM region_members WHERE region_id = $1) AS in_a,
            country_code IN (SELECT country_code FROM region_members WHERE region_id = $2) AS in_b
          FROM country_set_counts) c
    WHERE ${setCondition(filters)}
    GROUP BY c.year, c.countries, c.fields),
  copub_sets AS (SELECT * FROM pair_sets WHERE has_a AND has_b)`;

/** Publications per region and year from the summary: a set counts its works once in each region it has a country in. */
export const publicationsFromSets = (store: Store, regionMembers: string, ids: string[], filters: Filters) =>
  store.all<{ region: string; year: number; full: number; fractional: number }>(
    `WITH ${regionMembers},
     region_sets AS (
       SELECT rm.region_id, c.year, c.countries, c.fields, any_value(c.works) AS works, sum(c.weight) AS weight
       FROM country_set_counts c JOIN region_members rm ON rm.country_code = c.country_code
       WHERE rm.region_id IN (SELECT unnest($1::VARCHAR[])) AND ${setCondition(filters)}
       GROUP BY rm.region_id, c.year, c.countries, c.fields)
     SELECT region_id AS region, year::INTEGER AS year, sum(works)::INTEGER AS full, round(sum(weight), 4)::DOUBLE AS fractional
     FROM region_sets GROUP BY ALL ORDER BY region, year`,
    [listValue(ids)],
  );
