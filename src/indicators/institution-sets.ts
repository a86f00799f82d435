import type { Store } from '../store/store.ts';
import { yearBounds, type Filters } from './filters.ts';

/**
 * Whether top institutions may count from institution_set_counts (src/store/refresh.sql) rather
 * than from every work × institution row: on the shared base once a refresh has built it, and
 * without roll-up (two institutes of one parent in a work are one work for the parent, which a sum
 * over institutions would count twice). An organisation's corrected view counts its own rows.
 */
export async function readsInstitutionSets(store: Store, filters: Filters): Promise<boolean> {
  return !filters.rollUp && store.view === null && Boolean(await store.one(`SELECT 1 AS x FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'institution_set_counts'`));
}

/**
 * The institutions of region $1 with the most co-publications with region $2 (region_members must
 * be in the query), the first $3 of them, as the CTEs `top` (inst, n, country_code) and `pairs`
 * (a_inst, b_inst, n) that topInstitutions reads. The ranking comes from the summary; the main
 * partners and the country an unregistered institution is given come from the work × institution
 * rows of those few institutions' co-publications only (a_rows, b_rows).
 */
export const topFromSets = (filters: Filters, workCondition: string): string => `
  copub_countries AS (
    SELECT countries FROM (SELECT DISTINCT countries FROM country_set_counts)
    WHERE list_has_any(countries, (SELECT list(country_code) FROM region_members WHERE region_id = $1))
      AND list_has_any(countries, (SELECT list(country_code) FROM region_members WHERE region_id = $2))),
  ranked AS (
    SELECT c.ror_id AS inst, sum(c.works) AS n
    FROM institution_set_counts c SEMI JOIN copub_countries USING (countries)
    WHERE ${[...yearBounds(filters, 'c.year'), filters.field !== null ? `list_contains(c.fields, '${filters.field}')` : '', `list_has_any(c.inst_countries, (SELECT list(country_code) FROM region_members WHERE region_id = $1))`].filter(Boolean).join(' AND ')}
    GROUP BY c.ror_id ORDER BY n DESC, inst LIMIT $3),
  a_rows AS (
    SELECT DISTINCT wi.work_id, wi.ror_id AS inst, wi.country_code FROM work_institutions wi
    WHERE wi.ror_id IN (SELECT inst FROM ranked) AND wi.country_code IN (SELECT country_code FROM region_members WHERE region_id = $1) AND ${workCondition}),
  b_rows AS (
    SELECT DISTINCT wi.work_id, wi.ror_id AS inst FROM work_institutions wi
    WHERE wi.work_id IN (SELECT work_id FROM a_rows) AND wi.country_code IN (SELECT country_code FROM region_members WHERE region_id = $2)),
  pairs AS (SELECT a.inst AS a_inst, b.inst AS b_inst, count(DISTINCT a.work_id) AS n FROM a_rows a JOIN b_rows b USING (work_id) WHERE b.inst IS NOT NULL GROUP BY ALL),
  top AS (
    SELECT r.inst, r.n, c.country_code FROM ranked r
    LEFT JOIN (SELECT inst, min(country_code) AS country_code FROM a_rows WHERE work_id IN (SELECT work_id FROM b_rows) GROUP BY inst) c USING (inst))`;
