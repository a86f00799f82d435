import { regionOf, type RegionCatalogue } from '../regions/catalogue.ts';
import type { Store } from '../store/store.ts';
import { regionMembersSql } from './copubs.ts';
import { NO_FILTERS, yearBounds, type Filters } from './filters.ts';

/** Patents (and their applicants) admitted by the filters, as SQL over patent_applicant_places. */
function patentSides(f: Filters): string {
  const where = ['year IS NOT NULL', ...yearBounds(f, 'year'), f.field !== null ? `(source, patent_id) IN (SELECT source, patent_id FROM patent_fields WHERE field_id = '${f.field}')` : ''].filter(Boolean).join(' AND ');
  return `
    placed AS (SELECT * FROM patent_applicant_places WHERE ${where}),
    side_a AS (SELECT * FROM placed WHERE country_code IN (SELECT country_code FROM region_members WHERE region_id = $1)),
    side_b AS (SELECT * FROM placed WHERE country_code IN (SELECT country_code FROM region_members WHERE region_id = $2)),
    copatents AS (SELECT source, patent_id FROM side_a INTERSECT SELECT source, patent_id FROM side_b)`;
}

export interface CopatentYear {
  year: number;
  copatents: number;
}

/** Co-patents per year: patents with at least one applicant in each region. */
export async function copatents(store: Store, catalogue: RegionCatalogue, a: string, b: string, filters: Filters = NO_FILTERS): Promise<CopatentYear[]> {
  return store.all<CopatentYear & Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)}, ${patentSides(filters)}
     SELECT p.year::INTEGER AS year, count(*)::INTEGER AS copatents FROM copatents JOIN patents p USING (source, patent_id) GROUP BY p.year ORDER BY year`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id],
  );
}

export interface ApplicantPair {
  applicantA: string;
  applicantB: string;
  copatents: number;
}

/** The applicant pairs across two regions with the most co-patents (registry names where resolved). */
export async function topApplicantPairs(store: Store, catalogue: RegionCatalogue, a: string, b: string, limit: number, filters: Filters = NO_FILTERS): Promise<ApplicantPair[]> {
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)}, ${patentSides(filters)},
     labelled_a AS (SELECT s.source, s.patent_id, coalesce(i.name, s.name) AS label FROM side_a s LEFT JOIN institutions i USING (ror_id)),
     labelled_b AS (SELECT s.source, s.patent_id, coalesce(i.name, s.name) AS label FROM side_b s LEFT JOIN institutions i USING (ror_id))
     SELECT la.label AS a_label, lb.label AS b_label, count(DISTINCT (la.source, la.patent_id))::INTEGER AS n
     FROM labelled_a la JOIN labelled_b lb USING (source, patent_id)
     GROUP BY ALL ORDER BY n DESC, a_label, b_label LIMIT $3`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id, limit],
  );
  return rows.map((r) => ({ applicantA: String(r.a_label), applicantB: String(r.b_label), copatents: Number(r.n) }));
}

export interface ApplicantCount {
  applicant: string;
  countryCode: string | null;
  copatents: number;
}

/** Applicants on either side of a pair's co-patents, by number of co-patents (an applicant placed in several countries shows the first code). */
export async function topApplicants(store: Store, catalogue: RegionCatalogue, a: string, b: string, limit: number, filters: Filters = NO_FILTERS): Promise<ApplicantCount[]> {
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)}, ${patentSides(filters)}
     SELECT coalesce(i.name, s.name) AS applicant, min(s.country_code) AS country_code, count(DISTINCT (s.source, s.patent_id))::INTEGER AS n
     FROM (SELECT * FROM side_a UNION ALL SELECT * FROM side_b) s LEFT JOIN institutions i USING (ror_id)
     WHERE (s.source, s.patent_id) IN (SELECT source, patent_id FROM copatents)
     GROUP BY 1 ORDER BY n DESC, applicant LIMIT $3`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id, limit],
  );
  return rows.map((r) => ({ applicant: String(r.applicant), countryCode: (r.country_code as string | null) ?? null, copatents: Number(r.n) }));
}

export interface SectorShare {
  fieldId: string;
  copatents: number;
  share: number;
}

/** How a pair's co-patents spread over technology fields, from their CPC classes. */
export async function copatentSectors(store: Store, catalogue: RegionCatalogue, a: string, b: string, filters: Filters = NO_FILTERS): Promise<SectorShare[]> {
  const rows = await store.all<Record<string, unknown>>(
    `WITH ${regionMembersSql(catalogue)}, ${patentSides(filters)}
     SELECT pf.field_id, count(*)::INTEGER AS n, (count(*) / (SELECT count(*) FROM copatents))::DOUBLE AS share
     FROM copatents JOIN patent_fields pf USING (source, patent_id) GROUP BY pf.field_id ORDER BY n DESC, pf.field_id`,
    [regionOf(catalogue, a).id, regionOf(catalogue, b).id],
  );
  return rows.map((r) => ({ fieldId: String(r.field_id), copatents: Number(r.n), share: Number(r.share) }));
}
