import type { Taxonomy } from '../fields/taxonomy.ts';
import { UnavailableError } from '../errors.ts';
import { regionOf, type RegionCatalogue } from '../regions/regions.ts';
import type { ClickHouseEvidence } from '../store/clickhouse.ts';
import { validateRequest, type IndicatorName, type IndicatorRequest } from './catalog.ts';
import type { CopubYear } from './copubs.ts';
import type { Filters } from './filters.ts';
import type { CountryShare, FieldShare, InstitutionPair, RegionYear, TopInstitution } from './landscape.ts';
import { unregistered } from './unregistered.ts';

/**
 * The indicators over the evidence store on a ClickHouse cluster, answering exactly what the
 * DuckDB indicators (copubs.ts, landscape.ts) answer on the same analytics: same rows, same order,
 * same rounding. The SQL differs (see src/store/clickhouse.ts for the dialect both ClickHouse
 * 18.16 and current versions accept); where one query per step would need a window function
 * 18.16 lacks, the last small step (the main partner of the top institutions) is done here.
 */
export const CLICKHOUSE_INDICATORS: readonly IndicatorName[] = ['copubs', 'publications', 'top-institutions', 'top-pairs', 'countries', 'fields'];

/** A request for an indicator the ClickHouse store does not compute (yet): refused by name, never answered from elsewhere. */
export class NotOnClickHouseError extends UnavailableError {}

/** round(x, 4) as DuckDB computes it for a DOUBLE: round half away from zero of x·10⁴, divided by 10⁴. */
export const round4 = (x: number): number => (Math.sign(x) * Math.round(Math.abs(x) * 1e4)) / 1e4;

/** Country codes as an SQL list: validated ISO codes when regions load, so they can stand in the text. */
const codes = (countries: string[]) => `(${countries.length ? countries.map((c) => `'${c}'`).join(', ') : "''"})`;

class Query {
  constructor(
    readonly snapshot: string,
    readonly filters: Filters,
  ) {}

  /** The rows of work_institutions the filters admit (years and field ids are validated at the boundary). */
  admitted(): string {
    const f = this.filters;
    return [`snapshot = '${this.snapshot}'`, 'year IS NOT NULL', f.from !== null ? `year >= ${f.from}` : '', f.to !== null ? `year <= ${f.to}` : '', f.field !== null ? `work_id GLOBAL IN (SELECT work_id FROM work_fields WHERE snapshot = '${this.snapshot}' AND field_id = '${f.field}')` : '']
      .filter(Boolean)
      .join(' AND ');
  }

  /** One side of a region pair: (work_id, inst, country_code), distinct, with institutions rolled up to their ROR top when the filters say so. */
  side(countries: string[]): string {
    const base = `SELECT work_id, ror_id, country_code, ifNull(ror_id, '') AS rk FROM work_institutions WHERE ${this.admitted()} AND ifNull(country_code, '') IN ${codes(countries)}`;
    if (!this.filters.rollUp) return `SELECT DISTINCT work_id, ror_id AS inst, country_code FROM (${base})`;
    return `SELECT DISTINCT work_id, if(isNull(ror_id), NULL, ifNull(top_id, ror_id)) AS inst, country_code FROM (${base})
      ALL LEFT JOIN (SELECT ror_id AS rk, top_id FROM institution_rollup WHERE snapshot = '${this.snapshot}') USING rk`;
  }

  /** The co-publications of a pair: works with rows on both sides. */
  copubs(a: string[], b: string[]): string {
    return `SELECT DISTINCT work_id FROM (${this.side(a)}) WHERE work_id IN (SELECT work_id FROM (${this.side(b)}))`;
  }
}

export async function runClickHouseIndicator(evidence: ClickHouseEvidence, catalogue: RegionCatalogue, taxonomy: Taxonomy, request: IndicatorRequest): Promise<object[]> {
  validateRequest(request, taxonomy, catalogue);
  if (!CLICKHOUSE_INDICATORS.includes(request.name)) {
    throw new NotOnClickHouseError(`the indicator ${request.name} is not computed on the ClickHouse evidence store yet (it computes ${CLICKHOUSE_INDICATORS.join(', ')}); unset DERISK_EVIDENCE_URL to use the embedded store`);
  }
  const snapshot = await evidence.currentSnapshot();
  if (snapshot === null) return [];
  const q = new Query(snapshot, request.filters);
  const { limit, regions } = request;
  const members = (id: string) => regionOf(catalogue, id).countries;
  const [a, b] = [members(regions[0]!), members(regions[1] ?? regions[0]!)];
  switch (request.name) {
    case 'copubs':
      return copublications(evidence, q, a, b);
    case 'publications':
      return publicationsByRegion(evidence, q, catalogue, regions);
    case 'top-institutions':
      return topInstitutions(evidence, q, a, b, limit);
    case 'top-pairs':
      return topPairs(evidence, q, a, b, limit);
    case 'countries':
      return countryBreakdown(evidence, q, a, b);
    case 'fields':
      return (await fieldBreakdown(evidence, q, a, b)).map((r) => ({ ...r, name: taxonomy.fields.get(r.fieldId)?.name ?? r.fieldId }));
    default:
      throw new NotOnClickHouseError(`the indicator ${request.name} is not computed on the ClickHouse evidence store yet`);
  }
}

async function copublications(ev: ClickHouseEvidence, q: Query, a: string[], b: string[]): Promise<CopubYear[]> {
  const inA = `ifNull(country_code, '') IN ${codes(a)}`;
  const inB = `ifNull(country_code, '') IN ${codes(b)}`;
  const rows = await ev.all<{ year: number; full: string; fractional: number }>(
    `SELECT work_year AS year, count() AS full, sum(share) AS fractional FROM (
       SELECT work_id, any(year) AS work_year, max(${inA}) AS has_a, max(${inB}) AS has_b, sumIf(weight, ${inA} OR ${inB}) AS share
       FROM work_institutions WHERE ${q.admitted()} GROUP BY work_id)
     WHERE has_a AND has_b GROUP BY work_year ORDER BY work_year`,
  );
  return rows.map((r) => ({ year: Number(r.year), full: Number(r.full), fractional: round4(Number(r.fractional)) }));
}

async function publicationsByRegion(ev: ClickHouseEvidence, q: Query, catalogue: RegionCatalogue, regions: string[]): Promise<RegionYear[]> {
  const ids = [...new Set(regions.map((r) => regionOf(catalogue, r).id))];
  const parts = ids.map(
    (id) => `SELECT '${id}' AS region, year, uniqExact(work_id) AS full, sum(weight) AS fractional
      FROM work_institutions WHERE ${q.admitted()} AND ifNull(country_code, '') IN ${codes(regionOf(catalogue, id).countries)} GROUP BY year`,
  );
  const rows = await ev.all<{ region: string; year: number; full: string; fractional: number }>(`SELECT region, year, full, fractional FROM (${parts.join(' UNION ALL ')}) ORDER BY region, year`);
  return rows.map((r) => ({ region: r.region, year: Number(r.year), full: Number(r.full), fractional: round4(Number(r.fractional)) }));
}

async function names(ev: ClickHouseEvidence, q: Query, ids: string[]): Promise<Map<string, { name: string; country_code: string | null }>> {
  if (ids.length === 0) return new Map();
  const rows = await ev.all<{ ror_id: string; name: string; country_code: string | null }>(`SELECT ror_id, name, country_code FROM institutions WHERE snapshot = '${q.snapshot}' AND ror_id IN (${quoted(ids)})`);
  return new Map(rows.map((r) => [r.ror_id, r]));
}

/** Ids from the store's own rows as an SQL list, escaped all the same. */
const quoted = (ids: string[]) => (ids.length ? ids.map((id) => `'${id.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`).join(', ') : "''");

async function topInstitutions(ev: ClickHouseEvidence, q: Query, a: string[], b: string[], limit: number): Promise<TopInstitution[]> {
  const top = await ev.all<{ inst: string; n: string }>(
    `SELECT inst, uniqExact(work_id) AS n FROM (${q.side(a)})
     WHERE inst IS NOT NULL AND work_id IN (SELECT work_id FROM (${q.side(b)}))
     GROUP BY inst ORDER BY n DESC, inst LIMIT ${limit}`,
  );
  const ids = top.map((t) => t.inst);
  const pairs = ids.length
    ? await ev.all<{ inst: string; b_inst: string; n: string }>(
        `SELECT inst, b_inst, uniqExact(work_id) AS n
         FROM (SELECT work_id, inst FROM (${q.side(a)}) WHERE inst IN (${quoted(ids)}))
         ALL INNER JOIN (SELECT work_id, inst AS b_inst FROM (${q.side(b)}) WHERE b_inst IS NOT NULL) USING work_id
         GROUP BY inst, b_inst`,
      )
    : [];
  // The main partner: most shared works, then the smaller id (as DuckDB's row_number() … ORDER BY n DESC, b_inst).
  const main = new Map<string, { id: string; n: number }>();
  for (const p of pairs) {
    const n = Number(p.n);
    const best = main.get(p.inst);
    if (!best || n > best.n || (n === best.n && p.b_inst < best.id)) main.set(p.inst, { id: p.b_inst, n });
  }
  const known = await names(ev, q, [...ids, ...[...main.values()].map((m) => m.id)]);
  return top.map((t) => {
    const partner = main.get(t.inst);
    return {
      rorId: t.inst,
      name: known.get(t.inst)?.name ?? unregistered(t.inst),
      countryCode: known.get(t.inst)?.country_code ?? null,
      copublications: Number(t.n),
      mainPartnerId: partner?.id ?? null,
      mainPartnerName: partner ? (known.get(partner.id)?.name ?? unregistered(partner.id)) : null,
      withMainPartner: partner?.n ?? 0,
    };
  });
}

async function topPairs(ev: ClickHouseEvidence, q: Query, a: string[], b: string[], limit: number): Promise<InstitutionPair[]> {
  const rows = await ev.all<{ a_id: string; b_id: string; side_country: string | null; n: string }>(
    `SELECT inst AS a_id, b_inst AS b_id, any(country_code) AS side_country, uniqExact(work_id) AS n
     FROM (SELECT work_id, inst, country_code FROM (${q.side(a)}) WHERE inst IS NOT NULL)
     ALL INNER JOIN (SELECT work_id, inst AS b_inst FROM (${q.side(b)}) WHERE b_inst IS NOT NULL) USING work_id
     GROUP BY inst, b_inst ORDER BY n DESC, a_id, b_id LIMIT ${limit}`,
  );
  const known = await names(ev, q, [...new Set(rows.flatMap((r) => [r.a_id, r.b_id]))]);
  return rows.map((r) => ({
    aId: r.a_id,
    aName: known.get(r.a_id)?.name ?? unregistered(r.a_id),
    aCountry: known.get(r.a_id)?.country_code ?? r.side_country ?? null,
    bId: r.b_id,
    bName: known.get(r.b_id)?.name ?? unregistered(r.b_id),
    copublications: Number(r.n),
  }));
}

async function copubCount(ev: ClickHouseEvidence, q: Query, a: string[], b: string[]): Promise<number> {
  const [r] = await ev.all<{ n: string }>(`SELECT count() AS n FROM (${q.copubs(a, b)})`);
  return Number(r!.n);
}

async function countryBreakdown(ev: ClickHouseEvidence, q: Query, a: string[], b: string[]): Promise<CountryShare[]> {
  const total = await copubCount(ev, q, a, b);
  const rows = await ev.all<{ country_code: string; n: string }>(
    `SELECT country_code, uniqExact(work_id) AS n FROM (${q.side(a)})
     WHERE work_id IN (SELECT work_id FROM (${q.side(b)})) GROUP BY country_code ORDER BY n DESC, country_code`,
  );
  return rows.map((r) => ({ countryCode: r.country_code, copublications: Number(r.n), share: Number(r.n) / total }));
}

async function fieldBreakdown(ev: ClickHouseEvidence, q: Query, a: string[], b: string[]): Promise<FieldShare[]> {
  const total = await copubCount(ev, q, a, b);
  const rows = await ev.all<{ field_id: string; n: string }>(
    `SELECT field_id, count() AS n FROM work_fields
     WHERE snapshot = '${q.snapshot}' AND work_id GLOBAL IN (${q.copubs(a, b)}) GROUP BY field_id ORDER BY n DESC, field_id`,
  );
  return rows.map((r) => ({ fieldId: r.field_id, copublications: Number(r.n), share: Number(r.n) / total }));
}
