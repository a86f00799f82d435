import { chinaScopeNote, regionOf, type RegionCatalogue } from '../regions/catalogue.ts';
import type { Store } from '../store/store.ts';
import type { AskIndicator } from './catalog.ts';
import { keptAnswer, pairSets, readsCountrySets } from './country-sets.ts';
import { NO_FILTERS, workCondition, type Filters } from './filters.ts';

export interface CopubYear {
  year: number;
  full: number;
  fractional: number;
}

/**
 * The regions' country lists as a CTE named region_members. Built into each query rather than
 * kept in a shared table, so concurrent requests cannot see each other's region settings. Ids
 * and codes are validated when regions load (simple identifiers, ISO codes), so they can stand
 * in the text.
 */
export function regionMembersSql(catalogue: RegionCatalogue): string {
  const rows = [...catalogue.regions.values()].flatMap((r) => r.countries.map((c) => `('${r.id}', '${c}')`));
  return `region_members(region_id, country_code) AS (VALUES ${rows.length ? rows.join(', ') : "('', '')"})`;
}

/**
 * Co-publications of two regions per year: a work counts when at least one affiliation is in
 * each. Full counting gives each such work 1; fractional counting gives it the share of its
 * authorship weight that lies in either region.
 */
export async function copublications(store: Store, catalogue: RegionCatalogue, a: string, b: string, filters: Filters = NO_FILTERS): Promise<CopubYear[]> {
  const ra = regionOf(catalogue, a);
  const rb = regionOf(catalogue, b);
  const kept = await keptAnswer<CopubYear>(store, catalogue, 'copubs', [ra.id, rb.id], filters);
  if (kept) return kept;
  if (await readsCountrySets(store)) {
    return store.all<CopubYear & Record<string, unknown>>(
      `WITH ${regionMembersSql(catalogue)}, ${pairSets(filters)}
       SELECT year::INTEGER AS year, sum(works) FILTER (WHERE first_of_set)::INTEGER AS full, round(sum(weight) FILTER (WHERE in_a OR in_b), 4)::DOUBLE AS fractional
       FROM copub_rows GROUP BY year ORDER BY year`,
      [ra.id, rb.id],
    );
  }
  return store.all<CopubYear & Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)},
     tagged AS (
       SELECT wi.work_id, wi.year, wi.weight,
         wi.country_code IN (SELECT country_code FROM region_members WHERE region_id = $1) AS in_a,
         wi.country_code IN (SELECT country_code FROM region_members WHERE region_id = $2) AS in_b
       FROM work_institutions wi WHERE ${workCondition(filters, 'wi')}
     ),
     per_work AS (
       SELECT work_id, any_value(year) AS year, bool_or(in_a) AS has_a, bool_or(in_b) AS has_b,
         sum(weight) FILTER (WHERE in_a OR in_b) AS share
       FROM tagged GROUP BY work_id
     )
     SELECT year::INTEGER AS year, count(*)::INTEGER AS full, round(sum(share), 4)::DOUBLE AS fractional
     FROM per_work WHERE has_a AND has_b GROUP BY year ORDER BY year`,
    [ra.id, rb.id],
  );
}

export interface LandscapeSummary {
  pairs: { a: string; b: string; years: CopubYear[]; total: number }[];
  works: number;
  affiliations: number;
  affiliationsWithInstitution: number;
  affiliationsWithCountry: number;
  chinaScope: string;
}

/** How many works the store holds and how many author affiliations were placed at an institution, in a country. */
export interface ResolutionCounts {
  works: number;
  affiliations: number;
  withInstitution: number;
  withCountry: number;
}

export async function resolutionCounts(store: Store): Promise<ResolutionCounts> {
  const counts = await store.one<{ works: number; affiliations: number; with_inst: number; with_country: number }>(
    `SELECT (SELECT count(*) FROM works)::DOUBLE AS works,
       count(*)::DOUBLE AS affiliations,
       count(*) FILTER (WHERE has_inst)::DOUBLE AS with_inst,
       count(*) FILTER (WHERE has_country)::DOUBLE AS with_country
     FROM (SELECT work_id, author_seq, aff_seq, bool_or(ror_id IS NOT NULL) AS has_inst, bool_or(country_code IS NOT NULL) AS has_country
           FROM work_affiliations GROUP BY ALL)`,
  );
  return { works: counts?.works ?? 0, affiliations: counts?.affiliations ?? 0, withInstitution: counts?.with_inst ?? 0, withCountry: counts?.with_country ?? 0 };
}

/** The co-publications of each pair per year and how far resolution got, from whichever evidence store `ask` and `counts` read. */
export async function landscapeSummary(ask: AskIndicator, counts: ResolutionCounts, catalogue: RegionCatalogue, pairs: [string, string][]): Promise<LandscapeSummary> {
  const out: LandscapeSummary['pairs'] = [];
  for (const [a, b] of pairs) {
    const years = (await ask({ name: 'copubs', regions: [a, b], filters: NO_FILTERS, limit: 15, institution: null })) as CopubYear[];
    out.push({ a, b, years, total: years.reduce((s, y) => s + y.full, 0) });
  }
  return {
    pairs: out,
    works: counts.works,
    affiliations: counts.affiliations,
    affiliationsWithInstitution: counts.withInstitution,
    affiliationsWithCountry: counts.withCountry,
    chinaScope: chinaScopeNote(catalogue.settings),
  };
}
