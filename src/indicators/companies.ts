import type { WorkListing } from './landscape.ts';
import { listValue } from '../store/duckdb.ts';
import type { Store } from '../store/store.ts';

/** A company or corporate lab an affiliation string names, as the store keeps it (resolution_companies). */
export type NamedCompany = {
  company: string;
  lab: string | null;
  /** Null: the string names no place and the company works in several countries. */
  countryCode: string | null;
  rorId: string | null;
  evidence: string;
};

/** "Huawei (Noah's Ark Lab), GB"; with no country, says so in words rather than leaving it blank. */
export const companyLabel = (c: Pick<NamedCompany, 'company' | 'lab' | 'countryCode'>): string => `${c.company}${c.lab ? ` (${c.lab})` : ''}${c.countryCode ? `, ${c.countryCode}` : ': company known, country unknown'}`;

const COLUMNS = `c.name AS company, c.lab, c.country_code AS "countryCode", c.ror_id AS "rorId", c.evidence`;

/** The companies each of `raws` names, in the order the string names them. */
export async function companiesOfStrings(store: Store, raws: readonly string[]): Promise<Map<string, NamedCompany[]>> {
  const out = new Map<string, NamedCompany[]>();
  if (raws.length === 0) return out;
  const rows = await store.all<NamedCompany & { raw: string }>(`SELECT c.raw, ${COLUMNS} FROM resolution_companies c WHERE list_contains($1::VARCHAR[], c.raw) ORDER BY c.raw, c.seq`, [listValue([...raws])]);
  for (const { raw, ...c } of rows) out.set(raw, [...(out.get(raw) ?? []), c]);
  return out;
}

/**
 * The companies named in the affiliations of each work (its preferred record's, as its
 * institutions are), labelled: a corporate lab the registry holds no record of where the string
 * places it shows here, beside the institutions; so does a registry record of type company
 * ("ZTE (China)") a string that names no company of the companies data resolves to, when the work
 * counts it among its institutions.
 */
export async function companiesOfWorks(store: Store, workIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (workIds.length === 0) return out;
  const rows = await store.all<Pick<NamedCompany, 'company' | 'lab' | 'countryCode'> & { work_id: string }>(
    `WITH strings AS (
       SELECT DISTINCT w.work_id, a.raw FROM works w JOIN affiliations a ON a.source = w.source AND a.source_id = w.source_id
       WHERE list_contains($1::VARCHAR[], w.work_id))
     SELECT DISTINCT s.work_id, c.name AS company, c.lab, c.country_code AS "countryCode"
     FROM strings s JOIN resolution_companies c ON c.raw = s.raw
     UNION
     -- The registry writes a company with its country in brackets; the label gives the country after it.
     SELECT DISTINCT s.work_id, CASE WHEN suffix(i.name, ' (' || i.country_name || ')') THEN left(i.name, length(i.name) - length(i.country_name) - 3) ELSE i.name END, NULL, i.country_code
     FROM strings s JOIN resolution_institutions ri ON ri.raw = s.raw
     JOIN work_institutions wi ON wi.work_id = s.work_id AND wi.ror_id = ri.ror_id
     JOIN institutions i ON i.ror_id = ri.ror_id
     WHERE list_contains(i.types, 'company') AND NOT EXISTS (SELECT 1 FROM resolution_companies c WHERE c.raw = s.raw)`,
    [listValue([...workIds])],
  );
  for (const { work_id, ...c } of rows) out.set(work_id, [...(out.get(work_id) ?? []), companyLabel(c)]);
  for (const labels of out.values()) labels.sort();
  return out;
}

/** Works as listed, each with the companies its affiliations name. */
export async function withCompanies<W extends Pick<WorkListing, 'workId'>>(store: Store, works: readonly W[]): Promise<(W & { companies: string[] })[]> {
  const named = await companiesOfWorks(
    store,
    works.map((w) => w.workId),
  );
  return works.map((w) => ({ ...w, companies: named.get(w.workId) ?? [] }));
}

/** Affiliation strings, each with the companies it names (a lab's country, or "company known, country unknown"). */
export async function affiliationsWithCompanies<A extends { raw: string }>(store: Store, affiliations: readonly A[]): Promise<(A & { companies: (NamedCompany & { label: string })[] })[]> {
  const named = await companiesOfStrings(
    store,
    affiliations.map((a) => a.raw),
  );
  return affiliations.map((a) => ({ ...a, companies: (named.get(a.raw) ?? []).map((c) => ({ ...c, label: companyLabel(c) })) }));
}
