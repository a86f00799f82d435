import type { Taxonomy } from '../fields/taxonomy.ts';
import { regionOf, type RegionCatalogue } from '../regions/catalogue.ts';
import type { ClickHouseEvidence } from '../store/clickhouse.ts';
import { named, validateRequest, type IndicatorName, type IndicatorRequest } from './catalog.ts';
import type { CopubYear, ResolutionCounts } from './copubs.ts';
import type { Filters } from './filters.ts';
import type { AggregatePairYear, CountryShare, FieldShare, FunderCount, InstitutionPair, Leadership, RegionYear, SeriesRow, TopInstitution, WorkListing } from './landscape.ts';
import type { ApplicantCount, ApplicantPair, CopatentYear, SectorShare } from './patents.ts';
import { unregistered } from './unregistered.ts';

/**
 * The indicators over the evidence store on a ClickHouse cluster, answering exactly what the
 * DuckDB indicators (copubs.ts, landscape.ts, patents.ts) answer on the same analytics: same rows,
 * same order, same rounding. The SQL differs (see src/store/clickhouse.ts for the dialect both
 * ClickHouse 18.16 and current versions accept); where one query per step would need a window
 * function or a list aggregate 18.16 lacks, the last small step (the main partner of the top
 * institutions, the names and countries of at most `limit` listed works) is done here. Every
 * indicator of the catalogue is computed here.
 */

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
  // An indicator of several queries (names beside counts, leadership's sides) reads one snapshot.
  return evidence.atSnapshot((snapshot) => (snapshot === null ? Promise.resolve([] as object[]) : indicatorAt(evidence, catalogue, taxonomy, request, new Query(snapshot, request.filters))));
}

async function indicatorAt(evidence: ClickHouseEvidence, catalogue: RegionCatalogue, taxonomy: Taxonomy, request: IndicatorRequest, q: Query): Promise<object[]> {
  const { limit, regions } = request;
  const members = (id: string) => regionOf(catalogue, id).countries;
  const [a, b] = [members(regions[0]!), members(regions[1] ?? regions[0]!)];
  switch (request.name) {
    case 'publications':
      return publicationsByRegion(evidence, q, catalogue, regions);
    case 'fields':
      return named(await fieldBreakdown(evidence, q, a, b), taxonomy);
    case 'leadership':
      return leadership(evidence, q, a, b, regionOf(catalogue, regions[0]!).id, regionOf(catalogue, regions[1]!).id);
    case 'works':
      return copublicationWorks(evidence, q, a, b, request.institution, limit);
    case 'aggregate-series':
      return aggregateSeries(evidence, q, [...new Set(regions.flatMap((r) => members(r)))]);
    case 'copatent-sectors':
      return named(await copatentSectors(evidence, q, a, b), taxonomy);
    default:
      return PAIR_INDICATORS[request.name](evidence, q, a, b, limit);
  }
}

/** The works of the current snapshot and how far their affiliations were resolved, as `derisk summary` reports them from the embedded store. */
export async function clickHouseResolutionCounts(ev: ClickHouseEvidence): Promise<ResolutionCounts> {
  return ev.atSnapshot((snapshot) => (snapshot === null ? Promise.resolve({ works: 0, affiliations: 0, withInstitution: 0, withCountry: 0 }) : resolutionCountsAt(ev, snapshot)));
}

async function resolutionCountsAt(ev: ClickHouseEvidence, snapshot: string): Promise<ResolutionCounts> {
  const [[works], [counts]] = await Promise.all([
    ev.all<{ n: string }>(`SELECT count() AS n FROM works WHERE snapshot = '${snapshot}'`),
    ev.all<{ affiliations: string; with_institution: string; with_country: string }>(`SELECT sum(affiliations) AS affiliations, sum(with_institution) AS with_institution, sum(with_country) AS with_country FROM work_affiliation_counts WHERE snapshot = '${snapshot}'`),
  ]);
  return { works: Number(works!.n), affiliations: Number(counts!.affiliations), withInstitution: Number(counts!.with_institution), withCountry: Number(counts!.with_country) };
}

type PairIndicator = (ev: ClickHouseEvidence, q: Query, a: string[], b: string[], limit: number) => Promise<object[]>;

/** The indicators that read a region pair (and a limit) and nothing else. */
const PAIR_INDICATORS = {
  copubs: copublications,
  'top-institutions': topInstitutions,
  'top-pairs': topPairs,
  countries: countryBreakdown,
  funders,
  'aggregate-copubs': aggregatePairs,
  copatents,
  applicants: topApplicants,
  'applicant-pairs': topApplicantPairs,
} satisfies Record<Exclude<IndicatorName, 'publications' | 'fields' | 'leadership' | 'works' | 'aggregate-series' | 'copatent-sectors'>, PairIndicator>;

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
    `SELECT inst AS a_id, b_inst AS b_id, min(country_code) AS side_country, uniqExact(work_id) AS n
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

/** The works (ids) of a pair's co-publications, as SQL over the Distributed tables. */
const copubSet = (q: Query, a: string[], b: string[]) => `work_id GLOBAL IN (${q.copubs(a, b)})`;

async function leadership(ev: ClickHouseEvidence, q: Query, a: string[], b: string[], idA: string, idB: string): Promise<Leadership[]> {
  // Bases as DuckDB counts them: works with a first author, works whose source says who corresponds.
  const inA = `ifNull(country_code, '') IN ${codes(a)}`;
  const inB = `ifNull(country_code, '') IN ${codes(b)}`;
  const [r] = await ev.all<Record<string, string>>(
    `SELECT uniqExactIf(work_id, is_first = 1) AS first_base, uniqExactIf(work_id, isNotNull(is_corresponding)) AS corr_base,
       uniqExactIf(work_id, is_first = 1 AND ${inA}) AS first_a, uniqExactIf(work_id, is_first = 1 AND ${inB}) AS first_b,
       uniqExactIf(work_id, ifNull(is_corresponding, 0) = 1 AND ${inA}) AS corr_a, uniqExactIf(work_id, ifNull(is_corresponding, 0) = 1 AND ${inB}) AS corr_b
     FROM work_authors WHERE snapshot = '${q.snapshot}' AND ${copubSet(q, a, b)}`,
  );
  const regions = [...new Set([idA, idB])].sort();
  const of = (id: string, role: 'first' | 'corr') => Number(r![`${role}_${id === idA ? 'a' : 'b'}`]);
  const out: Leadership[] = [];
  for (const [role, key] of [
    ['first author', 'first'],
    ['corresponding author', 'corr'],
  ] as const) {
    const base = Number(r![`${key}_base`]);
    for (const region of regions) {
      const works = of(region, key);
      if (works > 0) out.push({ region, role, works, share: works / base });
    }
  }
  return out;
}

async function funders(ev: ClickHouseEvidence, q: Query, a: string[], b: string[], limit: number): Promise<FunderCount[]> {
  const rows = await ev.all<{ funder: string; n: string }>(
    `SELECT funder, uniqExact(work_id) AS n FROM work_funders WHERE snapshot = '${q.snapshot}' AND ${copubSet(q, a, b)}
     GROUP BY funder ORDER BY n DESC, funder LIMIT ${limit}`,
  );
  return rows.map((r) => ({ funder: String(r.funder), works: Number(r.n) }));
}

/** The co-publications a `works` request lists, of one institution when it names one (a validated ROR id). */
const listedCopubs = (q: Query, a: string[], b: string[], institution: string | null) =>
  `SELECT work_id FROM (${q.copubs(a, b)}) WHERE 1 ${institution === null ? '' : `AND (work_id IN (SELECT work_id FROM (${q.side(a)}) WHERE inst = '${institution}') OR work_id IN (SELECT work_id FROM (${q.side(b)}) WHERE inst = '${institution}'))`}`;

/** How many works the `works` indicator lists on the cluster without its limit, as copublicationWorkCount counts them in the embedded store. */
export async function clickHouseWorkCount(evidence: ClickHouseEvidence, catalogue: RegionCatalogue, taxonomy: Taxonomy, request: IndicatorRequest): Promise<number> {
  validateRequest(request, taxonomy, catalogue);
  const members = (id: string) => regionOf(catalogue, id).countries;
  return evidence.atSnapshot(async (snapshot) => {
    if (snapshot === null) return 0;
    const q = new Query(snapshot, request.filters);
    const [row] = await evidence.all<{ n: string }>(`SELECT count() AS n FROM works WHERE snapshot = '${snapshot}' AND work_id GLOBAL IN (${listedCopubs(q, members(request.regions[0]!), members(request.regions[1]!), request.institution)})`);
    return Number(row!.n);
  });
}

async function copublicationWorks(ev: ClickHouseEvidence, q: Query, a: string[], b: string[], institution: string | null, limit: number): Promise<WorkListing[]> {
  const works = await ev.all<{ work_id: string; year: number; title: string | null; doi: string | null }>(
    `SELECT work_id, year, title, doi FROM works WHERE snapshot = '${q.snapshot}' AND work_id GLOBAL IN (${listedCopubs(q, a, b, institution)})
     ORDER BY year, work_id LIMIT ${limit}`,
  );
  if (works.length === 0) return [];
  const ids = quoted(works.map((w) => w.work_id));
  const [records, affiliations] = await Promise.all([
    ev.all<{ work_id: string; record: string }>(`SELECT work_id, record FROM work_records WHERE snapshot = '${q.snapshot}' AND work_id IN (${ids}) ORDER BY work_id, seq`),
    ev.all<{ work_id: string; ror_id: string | null; country_code: string | null }>(`SELECT DISTINCT work_id, ror_id, country_code FROM work_institutions WHERE snapshot = '${q.snapshot}' AND work_id IN (${ids})`),
  ]);
  const held = [...new Set(affiliations.flatMap((r) => (r.ror_id === null ? [] : [r.ror_id])))];
  const top = new Map<string, string>();
  if (q.filters.rollUp && held.length) {
    for (const r of await ev.all<{ ror_id: string; top_id: string }>(`SELECT ror_id, top_id FROM institution_rollup WHERE snapshot = '${q.snapshot}' AND ror_id IN (${quoted(held)})`)) top.set(r.ror_id, r.top_id);
  }
  const inst = (id: string) => top.get(id) ?? id;
  const known = await names(ev, q, [...new Set(held.map(inst))]);
  const listing = new Map(works.map((w) => [w.work_id, { records: [] as string[], institutions: new Set<string>(), countries: new Set<string>() }]));
  for (const r of records) listing.get(r.work_id)!.records.push(r.record);
  for (const r of affiliations) {
    const l = listing.get(r.work_id)!;
    if (r.ror_id !== null) l.institutions.add(known.get(inst(r.ror_id))?.name ?? unregistered(inst(r.ror_id)));
    if (r.country_code !== null) l.countries.add(r.country_code);
  }
  return works.map((w) => {
    const l = listing.get(w.work_id)!;
    return { workId: w.work_id, year: Number(w.year), title: w.title ?? null, doi: w.doi ?? null, records: l.records, institutions: [...l.institutions].sort(), countries: [...l.countries].sort() };
  });
}

/** The years the filters admit, as conditions on `column` (validated integers). */
const years = (q: Query, column: string) => [q.filters.from !== null ? `AND ${column} >= ${q.filters.from}` : '', q.filters.to !== null ? `AND ${column} <= ${q.filters.to}` : ''].join(' ');

async function caveats(ev: ClickHouseEvidence, q: Query): Promise<Map<string, string[]>> {
  const rows = await ev.all<{ dataset: string; caveats: string }>(`SELECT dataset, caveats FROM aggregate_datasets WHERE snapshot = '${q.snapshot}'`);
  return new Map(rows.map((r) => [r.dataset, r.caveats.split('\n')]));
}

async function aggregatePairs(ev: ClickHouseEvidence, q: Query, a: string[], b: string[]): Promise<AggregatePairYear[]> {
  // Each unordered pair is stored both ways round: one way counts when both countries are on both sides.
  const rows = await ev.all<{ year: number; pair_sum: string; dataset: string }>(
    `SELECT year, sum(works) AS pair_sum, dataset FROM aggregate_country_pairs
     WHERE snapshot = '${q.snapshot}' AND country IN ${codes(a)} AND partner IN ${codes(b)}
       AND NOT (country IN ${codes(b)} AND partner IN ${codes(a)} AND country > partner) ${years(q, 'year')}
     GROUP BY year, dataset ORDER BY dataset, year`,
  );
  const notes = await caveats(ev, q);
  return rows.filter((r) => notes.has(r.dataset)).map((r) => ({ year: Number(r.year), pairSum: Number(r.pair_sum), dataset: r.dataset, caveats: notes.get(r.dataset)! }));
}

async function aggregateSeries(ev: ClickHouseEvidence, q: Query, countries: string[]): Promise<SeriesRow[]> {
  const rows = await ev.all<{ country_code: string; place: string; attribute: string; year: number; value: number; dataset: string }>(
    `SELECT country_code, place, attribute, year, value, dataset FROM aggregate_country_series
     WHERE snapshot = '${q.snapshot}' AND ifNull(country_code, '') IN ${codes(countries)} ${years(q, 'year')}
     ORDER BY dataset, country_code, attribute, year`,
  );
  const notes = await caveats(ev, q);
  return rows.filter((r) => notes.has(r.dataset)).map((r) => ({ countryCode: r.country_code, place: r.place, attribute: r.attribute, year: Number(r.year), value: Number(r.value), dataset: r.dataset, caveats: notes.get(r.dataset)! }));
}

/** Patents with an applicant in each region, as SQL; `side` gives the applicant rows of one region the filters admit. */
class Patents {
  constructor(
    readonly q: Query,
    readonly a: string[],
    readonly b: string[],
  ) {}

  private placed(): string {
    const f = this.q.filters;
    const field = f.field !== null ? `AND (source, patent_id) IN (SELECT source, patent_id FROM patent_fields WHERE snapshot = '${this.q.snapshot}' AND field_id = '${f.field}')` : '';
    return `snapshot = '${this.q.snapshot}' AND year IS NOT NULL ${years(this.q, 'year')} ${field}`;
  }

  /**
   * The applicant rows of one side, labelled with the registry's name where resolved. The join
   * reads only the registry rows of the side's resolved applicants: the whole `institutions`
   * table took seconds to load into the join even with no patent at all.
   */
  side(countries: string[]): string {
    const applicants = `SELECT source, patent_id, name, country_code, ifNull(ror_id, '') AS rk FROM patent_applicant_places WHERE ${this.placed()} AND ifNull(country_code, '') IN ${codes(countries)}`;
    return `SELECT source, patent_id, ifNull(registry_name, name) AS label, country_code FROM (${applicants})
      ALL LEFT JOIN (SELECT ror_id AS rk, name AS registry_name FROM institutions WHERE snapshot = '${this.q.snapshot}' AND ror_id IN (SELECT rk FROM (${applicants}))) USING rk`;
  }

  /** (source, patent_id) of the co-patents. */
  copatents(): string {
    return `SELECT DISTINCT source, patent_id FROM (${this.side(this.a)}) WHERE (source, patent_id) IN (SELECT source, patent_id FROM (${this.side(this.b)}))`;
  }
}

async function copatents(ev: ClickHouseEvidence, q: Query, a: string[], b: string[]): Promise<CopatentYear[]> {
  const p = new Patents(q, a, b);
  const rows = await ev.all<{ year: number; n: string }>(`SELECT year, count() AS n FROM patents WHERE snapshot = '${q.snapshot}' AND (source, patent_id) IN (${p.copatents()}) GROUP BY year ORDER BY year`);
  return rows.map((r) => ({ year: Number(r.year), copatents: Number(r.n) }));
}

async function topApplicantPairs(ev: ClickHouseEvidence, q: Query, a: string[], b: string[], limit: number): Promise<ApplicantPair[]> {
  const p = new Patents(q, a, b);
  const rows = await ev.all<{ a_label: string; b_label: string; n: string }>(
    `SELECT a_label, b_label, uniqExact(source, patent_id) AS n
     FROM (SELECT source, patent_id, label AS a_label FROM (${p.side(a)}))
     ALL INNER JOIN (SELECT source, patent_id, label AS b_label FROM (${p.side(b)})) USING (source, patent_id)
     GROUP BY a_label, b_label ORDER BY n DESC, a_label, b_label LIMIT ${limit}`,
  );
  return rows.map((r) => ({ applicantA: r.a_label, applicantB: r.b_label, copatents: Number(r.n) }));
}

async function topApplicants(ev: ClickHouseEvidence, q: Query, a: string[], b: string[], limit: number): Promise<ApplicantCount[]> {
  const p = new Patents(q, a, b);
  const rows = await ev.all<{ applicant: string; country_code: string | null; n: string }>(
    `SELECT label AS applicant, min(country_code) AS country_code, uniqExact(source, patent_id) AS n
     FROM (${p.side(a)} UNION ALL ${p.side(b)}) WHERE (source, patent_id) IN (${p.copatents()})
     GROUP BY applicant ORDER BY n DESC, applicant LIMIT ${limit}`,
  );
  return rows.map((r) => ({ applicant: r.applicant, countryCode: r.country_code ?? null, copatents: Number(r.n) }));
}

async function copatentSectors(ev: ClickHouseEvidence, q: Query, a: string[], b: string[]): Promise<SectorShare[]> {
  const p = new Patents(q, a, b);
  const [total] = await ev.all<{ n: string }>(`SELECT count() AS n FROM (${p.copatents()})`);
  const rows = await ev.all<{ field_id: string; n: string }>(`SELECT field_id, count() AS n FROM patent_fields WHERE snapshot = '${q.snapshot}' AND (source, patent_id) IN (${p.copatents()}) GROUP BY field_id ORDER BY n DESC, field_id`);
  return rows.map((r) => ({ fieldId: r.field_id, copatents: Number(r.n), share: Number(r.n) / Number(total!.n) }));
}
