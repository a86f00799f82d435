import { regionOf, type RegionCatalogue } from '../regions/catalogue.ts';
import type { Store } from '../store/store.ts';
import { regionMembersSql } from './copubs.ts';
import { hasKeyedSummaries, metaValue, STAMP } from './country-sets.ts';
import { NO_FILTERS, workCondition, yearBounds, type Filters } from './filters.ts';

/**
 * Whether top institutions may count from institution_set_counts (src/store/refresh.sql) rather
 * than from every work × institution row: on the shared base once a refresh has built it, and
 * without roll-up (two institutes of one parent in a work are one work for the parent, which a sum
 * over institutions would count twice). An organisation's corrected view counts its own rows.
 */
export async function readsInstitutionSets(store: Store, filters: Filters): Promise<boolean> {
  return !filters.rollUp && store.view === null && (await hasKeyedSummaries(store, ['country_set_counts', 'institution_set_counts']));
}

/** Regions $1 and $2 as lists of countries (region_members must be in the query), read once by the CTEs below. */
const regionLists = `
  region_lists AS (
    SELECT (SELECT list(country_code) FROM region_members WHERE region_id = $1) AS a_countries,
      (SELECT list(country_code) FROM region_members WHERE region_id = $2) AS b_countries)`;

/**
 * Each institution of region $1 with its co-publications with region $2 that the filters admit,
 * counted from the summary alone, as the CTE `a_counts` (inst, n). The regions are tested on the
 * distinct keys of the sets of countries (summary_keys), and the summary's rows joined by key.
 */
const copubCountsOfA = (filters: Filters): string => `${regionLists},
  copub_keys AS (
    SELECT k.countries_key FROM summary_keys k CROSS JOIN region_lists r
    WHERE list_has_any(k.countries, r.a_countries) AND list_has_any(k.countries, r.b_countries)),
  a_keys AS (SELECT k.countries_key FROM summary_keys k CROSS JOIN region_lists r WHERE list_has_any(k.countries, r.a_countries)),
  a_counts AS MATERIALIZED (
    SELECT c.ror_id AS inst, sum(c.works) AS n
    FROM institution_set_counts c SEMI JOIN copub_keys USING (countries_key) SEMI JOIN a_keys ON a_keys.countries_key = c.inst_countries_key
    ${[...yearBounds(filters, 'c.year'), filters.field !== null ? `list_contains(c.fields, '${filters.field}')` : '']
      .filter(Boolean)
      .map((c, i) => `${i === 0 ? 'WHERE' : 'AND'} ${c}`)
      .join(' ')}
    GROUP BY c.ror_id)`;

/**
 * The institutions of region $1 with the most co-publications with region $2 (region_members must
 * be in the query), the first $3 of them, as the CTEs `top` (inst, n, country_code) and `pairs`
 * (a_inst, b_inst, n) that topInstitutions reads. The ranking comes from the summary; the main
 * partners and the country an unregistered institution is given come from the work × institution
 * rows of those few institutions' co-publications only (a_rows, b_rows).
 */
export const topFromSets = (filters: Filters, workCondition: string): string => `${copubCountsOfA(filters)},
  ranked AS (SELECT inst, n FROM a_counts ORDER BY n DESC, inst LIMIT $3),
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

/**
 * The work × institution rows that can hold the top $3 institution pairs of regions $1 and $2, as
 * the CTEs `side_a` and `side_b` (work_id, inst, country_code) that topPairs counts pairs from.
 * A pair's works are at most its region-$1 institution's co-publications (a_counts, from the
 * summary), so once some pairs are counted, only institutions whose own count can still reach
 * the $3-th of them (in the order n DESC, a, b) need their rows read. Those pairs are counted
 * first for a seed of $4 institutions by count and $4 by id (ties at the bottom go to the lowest
 * ids); fewer than $3 seed pairs bound nothing, and every institution is read.
 */
export const pairSidesFromSets = (filters: Filters, workCondition: string): string => {
  const rowsOf = (side: string, insts: string) => `
  ${side}_a AS (
    SELECT DISTINCT wi.work_id, wi.ror_id AS inst, wi.country_code FROM work_institutions wi
    WHERE wi.ror_id IN (SELECT inst FROM ${insts}) AND wi.country_code IN (SELECT country_code FROM region_members WHERE region_id = $1) AND ${workCondition}),
  ${side}_b AS (
    SELECT DISTINCT wi.work_id, wi.ror_id AS inst, wi.country_code FROM work_institutions wi
    WHERE wi.work_id IN (SELECT work_id FROM ${side}_a) AND wi.ror_id IS NOT NULL AND wi.country_code IN (SELECT country_code FROM region_members WHERE region_id = $2))`;
  return `${copubCountsOfA(filters)},
  seed AS ((SELECT inst FROM a_counts ORDER BY n DESC, inst LIMIT $4) UNION (SELECT inst FROM a_counts ORDER BY inst LIMIT $4)),
  ${rowsOf('seed', 'seed')},
  bound AS (
    SELECT sa.inst AS a_inst, count(DISTINCT sa.work_id) AS n FROM seed_a sa JOIN seed_b sb USING (work_id)
    GROUP BY sa.inst, sb.inst ORDER BY n DESC, sa.inst, sb.inst LIMIT 1 OFFSET $3 - 1),
  reaching AS (
    SELECT c.inst FROM a_counts c LEFT JOIN bound b ON true
    WHERE b.n IS NULL OR c.n > b.n OR (c.n = b.n AND c.inst <= b.a_inst)),
  ${rowsOf('side', 'reaching')}`;
};

/** How many of each standard pair's top institutions the refresh keeps (pair_tops): a dashboard asks 15, the API at most 1,000 (more are counted from the summary). */
export const PAIR_TOPS_KEPT = 100;

/** A region as pair_tops keys it: its countries, sorted, as JSON text. A region file or Hong Kong/Macao setting that changes its countries changes its key, so a kept ranking is read only for the countries it was counted for. */
export const regionKey = (catalogue: RegionCatalogue, id: string): string => JSON.stringify([...regionOf(catalogue, id).countries].sort());

/**
 * Ranks the top institutions of each of these region pairs (the dashboard's, from the bundled
 * regions) with their main partners, unfiltered, by topFromSets itself, and keeps the first
 * PAIR_TOPS_KEPT: the first view's ranking is then a read of a few rows rather than a grouping of
 * every row of institution_set_counts by institution (1M synthetic works: 3.5M rows, 560,000
 * institutions). Built after every refresh, full or incremental, from the summary it read, and
 * stamped with the analytics basis and generation the refresh wrote (meta) for readsPairTops; the
 * institutions' names are joined when asked, so a registry update shows at once.
 */
export async function buildPairTops(store: Store, catalogue: RegionCatalogue, pairs: [string, string][]): Promise<void> {
  await store.run('CREATE OR REPLACE TABLE pair_tops (a_key VARCHAR, b_key VARCHAR, rank INTEGER, inst VARCHAR, n BIGINT, country_code VARCHAR, partner_id VARCHAR, with_partner BIGINT)');
  await store.run('CREATE OR REPLACE TABLE pair_top_keys (a_key VARCHAR, b_key VARCHAR, kept INTEGER, asked INTEGER, basis VARCHAR, generation VARCHAR)');
  for (const [a, b] of pairs) {
    const keys = [regionKey(catalogue, a), regionKey(catalogue, b)];
    await store.run(
      `INSERT INTO pair_tops WITH ${regionMembersSql(catalogue)}, ${topFromSets(NO_FILTERS, workCondition(NO_FILTERS, 'wi'))},
       partner AS (SELECT a_inst, b_inst, n FROM pairs QUALIFY row_number() OVER (PARTITION BY a_inst ORDER BY n DESC, b_inst) = 1)
       SELECT $4, $5, row_number() OVER (ORDER BY top.n DESC, top.inst), top.inst, top.n, top.country_code, p.b_inst, p.n
       FROM top LEFT JOIN partner p ON p.a_inst = top.inst`,
      [regionOf(catalogue, a).id, regionOf(catalogue, b).id, PAIR_TOPS_KEPT, ...keys],
    );
    await store.run(`INSERT INTO pair_top_keys SELECT $1, $2, (SELECT count(*) FROM pair_tops WHERE a_key = $1 AND b_key = $2), $3, ${STAMP}`, [...keys, PAIR_TOPS_KEPT]);
  }
}

/**
 * Whether top institutions of regions a and b may be read from pair_tops: unfiltered, on the
 * shared base whose summary it was ranked from, for the same countries, and with enough of the
 * ranking kept (all of it, or at least the limit). Ranked from the summary as it is: stamped with
 * the basis and generation in meta now. A refresh by a version that keeps no stamps (a round-45
 * one's pair_top_keys has none) or keeps no rankings (it writes a basis of its own: refresh.ts
 * basisOf), or any write that numbers the summaries anew without ranking again, leaves the
 * ranking unread and the summary answers.
 */
export async function readsPairTops(store: Store, filters: Filters, keys: [string, string], limit: number): Promise<boolean> {
  if (filters.from !== null || filters.to !== null || filters.field !== null || !(await readsInstitutionSets(store, filters))) return false;
  if (!(await store.one(`SELECT 1 FROM duckdb_columns() WHERE schema_name = 'main' AND table_name = 'pair_top_keys' AND column_name = 'generation'`))) return false;
  const kept = await store.one<{ kept: number; asked: number }>(`SELECT kept, asked FROM pair_top_keys WHERE a_key = $1 AND b_key = $2 AND basis IS NOT DISTINCT FROM ${metaValue('analytics_basis')} AND generation IS NOT DISTINCT FROM ${metaValue('analytics_generation')}`, keys);
  return kept !== undefined && (limit <= kept.kept || kept.kept < kept.asked);
}

/** The ranking kept for the regions keyed $1 and $2 (regionKey): the first $3, as the CTEs `top` and `pairs` that topInstitutions reads. */
export const topFromPairTops = `
  top AS (SELECT inst, n, country_code FROM pair_tops WHERE a_key = $1 AND b_key = $2 AND rank <= $3),
  pairs AS (SELECT inst AS a_inst, partner_id AS b_inst, with_partner AS n FROM pair_tops WHERE a_key = $1 AND b_key = $2 AND rank <= $3 AND partner_id IS NOT NULL)`;
