import { listValue } from '@duckdb/node-api';
import { regionOf, type RegionCatalogue } from '../regions/regions.ts';
import type { Store } from '../store/store.ts';
import { loadRegionMembers } from './copubs.ts';
import { NO_FILTERS, workCondition, type Filters } from './filters.ts';

export interface RegionYear {
  region: string;
  year: number;
  full: number;
  fractional: number;
}

/** Publications per year of each region: a work counts in full for every region it has an affiliation in. */
export async function publicationsByRegion(store: Store, catalogue: RegionCatalogue, regions: string[], filters: Filters = NO_FILTERS): Promise<RegionYear[]> {
  const ids = regions.map((r) => regionOf(catalogue, r).id);
  await loadRegionMembers(store, catalogue);
  return store.all<RegionYear & Record<string, unknown>>(
    `SELECT rm.region_id AS region, wi.year::INTEGER AS year, count(DISTINCT wi.work_id)::INTEGER AS full, round(sum(wi.weight), 4)::DOUBLE AS fractional
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
 * partner institution in B it shares most of them with.
 */
export async function topInstitutions(store: Store, catalogue: RegionCatalogue, a: string, b: string, limit: number, filters: Filters = NO_FILTERS): Promise<TopInstitution[]> {
  await loadRegionMembers(store, catalogue);
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${pairSides(filters)},
     pairs AS (
       SELECT sa.inst AS a_inst, sb.inst AS b_inst, count(DISTINCT sa.work_id) AS n
       FROM side_a sa JOIN side_b sb USING (work_id) WHERE sa.inst IS NOT NULL AND sb.inst IS NOT NULL GROUP BY ALL),
     top AS (
       SELECT inst, count(DISTINCT work_id) AS n FROM side_a WHERE inst IS NOT NULL AND work_id IN (SELECT work_id FROM copubs)
       GROUP BY inst ORDER BY n DESC, inst LIMIT $3)
     SELECT top.inst AS ror_id, i.name, i.country_code, top.n::INTEGER AS copublications,
       p.b_inst AS partner_id, pi.name AS partner_name, p.n::INTEGER AS with_partner
     FROM top
     LEFT JOIN institutions i ON i.ror_id = top.inst
     LEFT JOIN (SELECT a_inst, b_inst, n FROM pairs QUALIFY row_number() OVER (PARTITION BY a_inst ORDER BY n DESC, b_inst) = 1) p ON p.a_inst = top.inst
     LEFT JOIN institutions pi ON pi.ror_id = p.b_inst
     ORDER BY copublications DESC, ror_id`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id, limit],
  );
  return rows.map((r) => ({
    rorId: String(r.ror_id),
    name: (r.name as string | null) ?? String(r.ror_id),
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
  bId: string;
  bName: string;
  copublications: number;
}

export async function topPairs(store: Store, catalogue: RegionCatalogue, a: string, b: string, limit: number, filters: Filters = NO_FILTERS): Promise<InstitutionPair[]> {
  await loadRegionMembers(store, catalogue);
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${pairSides(filters)}
     SELECT sa.inst AS a_id, coalesce(ia.name, sa.inst) AS a_name, sb.inst AS b_id, coalesce(ib.name, sb.inst) AS b_name, count(DISTINCT sa.work_id)::INTEGER AS n
     FROM side_a sa JOIN side_b sb USING (work_id)
     LEFT JOIN institutions ia ON ia.ror_id = sa.inst LEFT JOIN institutions ib ON ib.ror_id = sb.inst
     WHERE sa.inst IS NOT NULL AND sb.inst IS NOT NULL
     GROUP BY ALL ORDER BY n DESC, a_id, b_id LIMIT $3`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id, limit],
  );
  return rows.map((r) => ({ aId: String(r.a_id), aName: String(r.a_name), bId: String(r.b_id), bName: String(r.b_name), copublications: Number(r.n) }));
}

export interface CountryShare {
  countryCode: string;
  copublications: number;
  share: number;
}

/** How region A's side of its co-publications with B splits by country (a work counts once per country). */
export async function countryBreakdown(store: Store, catalogue: RegionCatalogue, a: string, b: string, filters: Filters = NO_FILTERS): Promise<CountryShare[]> {
  await loadRegionMembers(store, catalogue);
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${pairSides(filters)},
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
  await loadRegionMembers(store, catalogue);
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${pairSides(filters)}
     SELECT wf.field_id, count(*)::INTEGER AS n, (count(*) / (SELECT count(*) FROM copubs))::DOUBLE AS share
     FROM copubs JOIN work_fields wf USING (work_id) GROUP BY wf.field_id ORDER BY n DESC, wf.field_id`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id],
  );
  return rows.map((r) => ({ fieldId: String(r.field_id), copublications: Number(r.n), share: Number(r.share) }));
}
