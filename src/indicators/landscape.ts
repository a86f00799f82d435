import { listValue } from '../store/duckdb.ts';
import { regionOf, type RegionCatalogue } from '../regions/catalogue.ts';
import type { Store } from '../store/store.ts';
import { regionMembersSql } from './copubs.ts';
import { keptAnswer, pairSets, publicationsFromSets, readsCountrySets } from './country-sets.ts';
import { pairSidesFromSets, readsInstitutionSets, readsPairTops, regionKey, topFromPairTops, topFromSets } from './institution-sets.ts';
import { NO_FILTERS, workCondition, yearBounds, type Filters } from './filters.ts';
import { unregisteredSql } from './unregistered.ts';

export interface RegionYear {
  region: string;
  year: number;
  full: number;
  fractional: number;
}

/** Publications per year of each region: a work counts in full for every region it has an affiliation in. */
export async function publicationsByRegion(store: Store, catalogue: RegionCatalogue, regions: string[], filters: Filters = NO_FILTERS): Promise<RegionYear[]> {
  const ids = regions.map((r) => regionOf(catalogue, r).id);
  const kept = await keptAnswer<RegionYear>(store, catalogue, 'publications', ids, filters);
  if (kept) return kept;
  if (await readsCountrySets(store)) return publicationsFromSets(store, regionMembersSql(catalogue), ids, filters);
  return store.all<RegionYear & Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)}
     SELECT rm.region_id AS region, wi.year::INTEGER AS year, count(DISTINCT wi.work_id)::INTEGER AS full, round(sum(wi.weight), 4)::DOUBLE AS fractional
     FROM work_institutions wi JOIN region_members rm ON rm.country_code = wi.country_code
     WHERE rm.region_id IN (SELECT unnest($1::VARCHAR[])) AND ${workCondition(filters, 'wi')}
     GROUP BY ALL ORDER BY region, year`,
    [listValue(ids)],
  );
}

/** The work × institution rows of the two sides of a region pair, on co-publications only, as SQL. */
function pairSides(filters: Filters): string {
  const inst = filters.rollUp ? 'coalesce(ru.top_id, wi.ror_id)' : 'wi.ror_id';
  return `
    side_a AS (
      SELECT DISTINCT wi.work_id, ${inst} AS inst, wi.country_code FROM work_institutions wi LEFT JOIN institution_rollup ru USING (ror_id)
      WHERE wi.country_code IN (SELECT country_code FROM region_members WHERE region_id = $1) AND ${workCondition(filters, 'wi')}),
    side_b AS (
      SELECT DISTINCT wi.work_id, ${inst} AS inst, wi.country_code FROM work_institutions wi LEFT JOIN institution_rollup ru USING (ror_id)
      WHERE wi.country_code IN (SELECT country_code FROM region_members WHERE region_id = $2) AND ${workCondition(filters, 'wi')}),
    copubs AS (SELECT work_id FROM side_a INTERSECT SELECT work_id FROM side_b)`;
}

export interface TopInstitution {
  rorId: string;
  name: string;
  countryCode: string | null;
  copublications: number;
  mainPartnerId: string | null;
  mainPartnerName: string | null;
  withMainPartner: number;
}

/**
 * The institutions of region A with the most co-publications with region B, each with the
 * partner institution in B it shares most of them with: read from the ranking the refresh keeps
 * for the dashboard's pairs (pair_tops) when unfiltered, else ranked from the refresh's summary
 * where it may be read (src/indicators/institution-sets.ts), else from every work × institution row.
 */
export async function topInstitutions(store: Store, catalogue: RegionCatalogue, a: string, b: string, limit: number, filters: Filters = NO_FILTERS): Promise<TopInstitution[]> {
  const keys: [string, string] = [regionKey(catalogue, a), regionKey(catalogue, b)];
  const kept = await readsPairTops(store, filters, keys, limit);
  const ranking = kept
    ? topFromPairTops
    : (await readsInstitutionSets(store, filters))
      ? topFromSets(filters, workCondition(filters, 'wi'))
      : `${pairSides(filters)},
     pairs AS (
       SELECT sa.inst AS a_inst, sb.inst AS b_inst, count(DISTINCT sa.work_id) AS n
       FROM side_a sa JOIN side_b sb USING (work_id) WHERE sa.inst IS NOT NULL AND sb.inst IS NOT NULL GROUP BY ALL),
     top AS (
       SELECT inst, count(DISTINCT work_id) AS n, min(country_code) AS country_code FROM side_a WHERE inst IS NOT NULL AND work_id IN (SELECT work_id FROM copubs)
       GROUP BY inst ORDER BY n DESC, inst LIMIT $3)`;
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)}, ${ranking}
     SELECT top.inst AS ror_id, coalesce(i.name, ${unregisteredSql('top.inst')}) AS name, coalesce(i.country_code, top.country_code) AS country_code, top.n::INTEGER AS copublications,
       p.b_inst AS partner_id, CASE WHEN p.b_inst IS NOT NULL THEN coalesce(pi.name, ${unregisteredSql('p.b_inst')}) END AS partner_name, p.n::INTEGER AS with_partner
     FROM top
     LEFT JOIN institutions i ON i.ror_id = top.inst
     LEFT JOIN (SELECT a_inst, b_inst, n FROM pairs QUALIFY row_number() OVER (PARTITION BY a_inst ORDER BY n DESC, b_inst) = 1) p ON p.a_inst = top.inst
     LEFT JOIN institutions pi ON pi.ror_id = p.b_inst
     ORDER BY copublications DESC, ror_id`,
    kept ? [...keys, limit] : [regionOf(catalogue, a).id, regionOf(catalogue, b).id, limit],
  );
  return rows.map((r) => ({
    rorId: String(r.ror_id),
    name: String(r.name),
    countryCode: (r.country_code as string | null) ?? null,
    copublications: Number(r.copublications),
    mainPartnerId: (r.partner_id as string | null) ?? null,
    mainPartnerName: (r.partner_name as string | null) ?? null,
    withMainPartner: Number(r.with_partner ?? 0),
  }));
}

export interface InstitutionPair {
  aId: string;
  aName: string;
  aCountry: string | null;
  bId: string;
  bName: string;
  copublications: number;
}

/** Institutions in A seeding the bound on the pairs' rows read, by count and by id (pairSidesFromSets): a few times the pairs asked for. */
const PAIR_SEED_PER_PAIR = 4;

/**
 * The pairs of an institution in region A and one in region B with the most co-publications:
 * bounded by the refresh's summary where it may be read (src/indicators/institution-sets.ts),
 * else counted from every work × institution row; the same pairs and order either way.
 */
export async function topPairs(store: Store, catalogue: RegionCatalogue, a: string, b: string, limit: number, filters: Filters = NO_FILTERS): Promise<InstitutionPair[]> {
  const fromSets = await readsInstitutionSets(store, filters);
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)}, ${fromSets ? pairSidesFromSets(filters, workCondition(filters, 'wi')) : pairSides(filters)}
     SELECT sa.inst AS a_id, any_value(coalesce(ia.name, ${unregisteredSql('sa.inst')})) AS a_name, min(coalesce(ia.country_code, sa.country_code)) AS a_country,
       sb.inst AS b_id, any_value(coalesce(ib.name, ${unregisteredSql('sb.inst')})) AS b_name, count(DISTINCT sa.work_id)::INTEGER AS n
     FROM side_a sa JOIN side_b sb USING (work_id)
     LEFT JOIN institutions ia ON ia.ror_id = sa.inst LEFT JOIN institutions ib ON ib.ror_id = sb.inst
     WHERE sa.inst IS NOT NULL AND sb.inst IS NOT NULL
     GROUP BY sa.inst, sb.inst ORDER BY n DESC, a_id, b_id LIMIT $3`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id, limit, ...(fromSets ? [limit * PAIR_SEED_PER_PAIR] : [])],
  );
  return rows.map((r) => ({ aId: String(r.a_id), aName: String(r.a_name), aCountry: (r.a_country as string | null) ?? null, bId: String(r.b_id), bName: String(r.b_name), copublications: Number(r.n) }));
}

export interface CountryShare {
  countryCode: string;
  copublications: number;
  share: number;
}

/** How region A's side of its co-publications with B splits by country (a work counts once per country). */
export async function countryBreakdown(store: Store, catalogue: RegionCatalogue, a: string, b: string, filters: Filters = NO_FILTERS): Promise<CountryShare[]> {
  const rows = await store.all<Record<string, unknown>>(
    (await readsCountrySets(store))
      ? `WITH ${regionMembersSql(catalogue)}, ${pairSets(filters)},
         per_country AS (SELECT country_code, sum(works) AS n FROM copub_rows WHERE in_a GROUP BY country_code)
         SELECT country_code, n::INTEGER AS n, (n / (SELECT sum(works) FROM copub_rows WHERE first_of_set))::DOUBLE AS share FROM per_country ORDER BY n DESC, country_code`
      : `WITH ${regionMembersSql(catalogue)}, ${pairSides(filters)},
     per_country AS (SELECT country_code, count(DISTINCT work_id) AS n FROM side_a WHERE work_id IN (SELECT work_id FROM copubs) GROUP BY country_code)
     SELECT country_code, n::INTEGER AS n, (n / (SELECT count(*) FROM copubs))::DOUBLE AS share FROM per_country ORDER BY n DESC, country_code`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id],
  );
  return rows.map((r) => ({ countryCode: String(r.country_code), copublications: Number(r.n), share: Number(r.share) }));
}

export interface FieldShare {
  fieldId: string;
  copublications: number;
  share: number;
}

/** How a pair's co-publications spread over technology fields (a work counts in each of its fields). */
export async function fieldBreakdown(store: Store, catalogue: RegionCatalogue, a: string, b: string, filters: Filters = NO_FILTERS): Promise<FieldShare[]> {
  const kept = await keptAnswer<FieldShare>(store, catalogue, 'fields', [regionOf(catalogue, a).id, regionOf(catalogue, b).id], filters);
  if (kept) return kept;
  const rows = await store.all<Record<string, unknown>>(
    (await readsCountrySets(store))
      ? `WITH ${regionMembersSql(catalogue)}, ${pairSets(filters)}
         SELECT f.field_id, sum(s.works)::INTEGER AS n, (sum(s.works) / (SELECT sum(works) FROM copub_rows WHERE first_of_set))::DOUBLE AS share
         FROM (SELECT fields_key, sum(works) AS works FROM copub_rows WHERE first_of_set GROUP BY fields_key) s, unnest(from_json(s.fields_key, '["VARCHAR"]')) AS f(field_id)
         GROUP BY f.field_id ORDER BY n DESC, f.field_id`
      : `WITH ${regionMembersSql(catalogue)}, ${pairSides(filters)}
     SELECT wf.field_id, count(*)::INTEGER AS n, (count(*) / (SELECT count(*) FROM copubs))::DOUBLE AS share
     FROM copubs JOIN work_fields wf USING (work_id) GROUP BY wf.field_id ORDER BY n DESC, wf.field_id`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id],
  );
  return rows.map((r) => ({ fieldId: String(r.field_id), copublications: Number(r.n), share: Number(r.share) }));
}

export interface WorkListing {
  workId: string;
  year: number;
  title: string | null;
  doi: string | null;
  records: string[];
  institutions: string[];
  countries: string[];
}

/**
 * The works behind a co-publication figure: every work of the pair that the filters admit,
 * optionally only those of one institution (rolled up when the filters say so), with what it
 * was counted on.
 */
/** How many works copublicationWorks lists without a limit: what a listing cut at its limit leaves out. */
export async function copublicationWorkCount(store: Store, catalogue: RegionCatalogue, a: string, b: string, filters: Filters = NO_FILTERS, institution: string | null = null): Promise<number> {
  const row = await store.one<{ n: bigint }>(
    `WITH ${regionMembersSql(catalogue)}, ${pairSides(filters)},
     chosen AS (SELECT work_id FROM copubs WHERE $3::VARCHAR IS NULL OR work_id IN (SELECT work_id FROM side_a WHERE inst = $3 UNION SELECT work_id FROM side_b WHERE inst = $3))
     SELECT count(DISTINCT work_id) AS n FROM chosen JOIN works USING (work_id) WHERE work_id IN (SELECT work_id FROM work_institutions)`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id, institution],
  );
  return Number(row?.n ?? 0);
}

export async function copublicationWorks(store: Store, catalogue: RegionCatalogue, a: string, b: string, filters: Filters = NO_FILTERS, institution: string | null = null, limit = 1000): Promise<WorkListing[]> {
  const inst = filters.rollUp ? 'coalesce(ru.top_id, wi.ror_id)' : 'wi.ror_id';
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)}, ${pairSides(filters)},
     chosen AS (SELECT work_id FROM copubs WHERE $3::VARCHAR IS NULL OR work_id IN (SELECT work_id FROM side_a WHERE inst = $3 UNION SELECT work_id FROM side_b WHERE inst = $3))
     SELECT w.work_id, w.year::INTEGER AS year, w.title, w.doi, w.records,
       list(DISTINCT coalesce(i.name, ${unregisteredSql(inst)})) FILTER (WHERE wi.ror_id IS NOT NULL) AS institutions,
       list(DISTINCT wi.country_code) FILTER (WHERE wi.country_code IS NOT NULL) AS countries
     FROM chosen JOIN works w USING (work_id)
     JOIN work_institutions wi USING (work_id)
     LEFT JOIN institution_rollup ru ON ru.ror_id = wi.ror_id
     LEFT JOIN institutions i ON i.ror_id = ${inst}
     GROUP BY ALL ORDER BY year, work_id LIMIT $4`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id, institution, limit],
  );
  return rows.map((r) => ({
    workId: String(r.work_id),
    year: Number(r.year),
    title: (r.title as string | null) ?? null,
    doi: (r.doi as string | null) ?? null,
    records: (r.records as string[]) ?? [],
    institutions: ((r.institutions as string[] | null) ?? []).sort(),
    countries: ((r.countries as string[] | null) ?? []).sort(),
  }));
}

export interface Leadership {
  region: string;
  role: 'first author' | 'corresponding author';
  works: number;
  share: number;
}

/**
 * Who leads a pair's co-publications: the share of those works whose first (or corresponding)
 * author has an affiliation in each region. Works whose source does not say are left out of
 * the base, and the base is reported.
 */
export async function leadership(store: Store, catalogue: RegionCatalogue, a: string, b: string, filters: Filters = NO_FILTERS): Promise<Leadership[]> {
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)}, ${pairSides(filters)},
     authors AS (
       SELECT w.work_id, au.author_seq, au.position = 'first' AS is_first, coalesce(au.is_corresponding, false) AS is_corr,
         au.is_corresponding IS NOT NULL AS corr_known
       FROM copubs JOIN works w USING (work_id)
       JOIN authorships au ON au.source = w.source AND au.source_id = w.source_id),
     author_regions AS (
       SELECT DISTINCT a.work_id, a.is_first, a.is_corr, a.corr_known, rm.region_id
       FROM authors a JOIN work_affiliations wa ON wa.work_id = a.work_id AND wa.author_seq = a.author_seq
       JOIN region_members rm ON rm.country_code = wa.country_code AND rm.region_id IN ($1, $2)),
     bases AS (
       SELECT count(DISTINCT work_id) FILTER (WHERE is_first) AS first_base,
              count(DISTINCT work_id) FILTER (WHERE corr_known) AS corr_base FROM authors)
     SELECT region_id AS region, 'first author' AS role, count(DISTINCT work_id)::INTEGER AS works,
       (count(DISTINCT work_id) / nullif(any_value(first_base), 0))::DOUBLE AS share
     FROM author_regions, bases WHERE is_first GROUP BY region_id
     UNION ALL
     SELECT region_id, 'corresponding author', count(DISTINCT work_id)::INTEGER,
       (count(DISTINCT work_id) / nullif(any_value(corr_base), 0))::DOUBLE
     FROM author_regions, bases WHERE is_corr GROUP BY region_id
     ORDER BY role DESC, region`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id],
  );
  return rows.map((r) => ({ region: String(r.region), role: r.role as Leadership['role'], works: Number(r.works), share: Number(r.share ?? 0) }));
}

export interface FunderCount {
  funder: string;
  works: number;
}

/** Funders acknowledged in a pair's co-publications, where the source records them. */
export async function funders(store: Store, catalogue: RegionCatalogue, a: string, b: string, limit: number, filters: Filters = NO_FILTERS): Promise<FunderCount[]> {
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)}, ${pairSides(filters)}
     SELECT f.funder, count(DISTINCT rw.work_id)::INTEGER AS works
     FROM copubs JOIN record_works rw USING (work_id) JOIN records r USING (source, source_id), unnest(r.funders) AS f(funder)
     GROUP BY f.funder ORDER BY works DESC, f.funder LIMIT $3`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id, limit],
  );
  return rows.map((r) => ({ funder: String(r.funder), works: Number(r.works) }));
}

export interface AggregatePairYear {
  year: number;
  /** Sum of country-pair counts between the regions: an upper bound on distinct works. */
  pairSum: number;
  dataset: string;
  caveats: string[];
}

/** A region pair per year from an aggregate country-pair dataset, caveats attached to every row. */
export async function aggregatePairs(store: Store, catalogue: RegionCatalogue, a: string, b: string, filters: Filters = NO_FILTERS): Promise<AggregatePairYear[]> {
  const years = yearBounds(filters, 'p.year');
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)}
     SELECT p.year::INTEGER AS year, sum(p.works)::DOUBLE AS pair_sum, p.dataset, any_value(d.caveats) AS caveats
     FROM aggregate_country_pairs p JOIN aggregate_datasets d USING (dataset)
     WHERE p.country IN (SELECT country_code FROM region_members WHERE region_id = $1)
       AND p.partner IN (SELECT country_code FROM region_members WHERE region_id = $2)
       AND NOT (p.country IN (SELECT country_code FROM region_members WHERE region_id = $2)
                AND p.partner IN (SELECT country_code FROM region_members WHERE region_id = $1) AND p.country > p.partner)
       ${years.length ? `AND ${years.join(' AND ')}` : ''}
     GROUP BY p.year, p.dataset ORDER BY p.dataset, p.year`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id],
  );
  return rows.map((r) => ({ year: Number(r.year), pairSum: Number(r.pair_sum), dataset: String(r.dataset), caveats: String(r.caveats).split('\n') }));
}

export interface SeriesRow {
  countryCode: string;
  place: string;
  attribute: string;
  year: number;
  value: number;
  dataset: string;
  caveats: string[];
}

/** Aggregate yearly series for the countries of the given regions, caveats on every row. */
export async function aggregateSeries(store: Store, catalogue: RegionCatalogue, regions: string[], filters: Filters = NO_FILTERS): Promise<SeriesRow[]> {
  const ids = regions.map((r) => regionOf(catalogue, r).id);
  const years = yearBounds(filters, 's.year');
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)}
     SELECT s.country_code, s.place, s.attribute, s.year::INTEGER AS year, s.value, s.dataset, d.caveats
     FROM aggregate_country_series s JOIN aggregate_datasets d USING (dataset)
     WHERE s.country_code IN (SELECT country_code FROM region_members WHERE region_id IN (SELECT unnest($1::VARCHAR[])))
       ${years.length ? `AND ${years.join(' AND ')}` : ''}
     ORDER BY s.dataset, s.country_code, s.attribute, s.year`,
    [listValue(ids)],
  );
  return rows.map((r) => ({ countryCode: String(r.country_code), place: String(r.place), attribute: String(r.attribute), year: Number(r.year), value: Number(r.value), dataset: String(r.dataset), caveats: String(r.caveats).split('\n') }));
}
