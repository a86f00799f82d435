import { listValue } from './duckdb.ts';
import { workInstitutionStatements } from './refresh.ts';
import { countedTier, type Store } from './store.ts';

/** What a record of a work merged across sources can differ in from the record the work keeps. */
export type MergeDifference = 'year' | 'countries' | 'institutions';
export const MERGE_DIFFERENCES: readonly MergeDifference[] = ['year', 'countries', 'institutions'];

/** One source's record of a work, with what it would count alone: its year, countries and institutions. */
export interface MergedRecord {
  source: string;
  sourceId: string;
  year: number | null;
  countries: string[];
  institutions: string[];
}

/**
 * A work several sources recorded (the same DOI or PubMed id): the record it is counted by (OpenAlex,
 * then Web of Science, then Scopus: refresh.sql's source_rank) and each other record, with what in it
 * differs from the kept one. Nothing of the others is counted; they are listed so that no difference is silent.
 */
export interface WorkMerge {
  workId: string;
  doi: string | null;
  kept: MergedRecord;
  others: (MergedRecord & { differs: MergeDifference[] })[];
}

/** How many works of a selection several sources recorded, and how many of those differ, in all and in each respect. */
export interface MergeSummary {
  merged: number;
  differing: number;
  year: number;
  countries: number;
  institutions: number;
}

/** Which merged works to read: those holding a record of these files, these works, or all. */
export type MergeSelection = { fileIds: readonly string[] } | { workIds: readonly string[] } | 'all';

const SOURCE_NAMES: Record<string, string> = { openalex: 'OpenAlex', wos: 'Web of Science', scopus: 'Scopus' };
export const sourceName = (source: string): string => SOURCE_NAMES[source] ?? source;

const selectionFilter = (selection: MergeSelection): { sql: string; ids: string[] | null } =>
  selection === 'all'
    ? { sql: '', ids: null }
    : 'fileIds' in selection
      ? { sql: `AND work_id IN (SELECT rw.work_id FROM record_works rw JOIN records r USING (source, source_id) WHERE list_contains($1::VARCHAR[], r.file_id))`, ids: [...selection.fileIds] }
      : { sql: `AND list_contains($1::VARCHAR[], work_id)`, ids: [...selection.workIds] };

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The works of the selection that more than one source recorded, each record read alone by the
 * statements that count a work (refresh.sql's work_affiliations and work_institutions, at the tier
 * the analytics count), as of the last refresh. On a connection of its own: its scratch tables are
 * temporary and no other reader sees them.
 */
export async function workMerges(store: Store, selection: MergeSelection): Promise<WorkMerge[]> {
  // A store never refreshed has no works yet, merged or not.
  if (!(await store.one(`SELECT 1 AS x FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'record_works'`))) return [];
  // No files or works selected (an ingest that only resolves and refreshes): none merged, and DuckDB cannot type an empty list parameter.
  if (selection !== 'all' && ('fileIds' in selection ? selection.fileIds : selection.workIds).length === 0) return [];
  const minTier = await countedTier(store);
  const own = await store.connect();
  try {
    const filter = selectionFilter(selection);
    await own.run(
      `CREATE OR REPLACE TEMP TABLE merge_records AS
       WITH merged AS (SELECT work_id FROM record_works GROUP BY work_id HAVING count(*) > 1)
       SELECT rw.work_id AS merged_work, rw.source || ':' || rw.source_id AS work_id, rw.source, rw.source_id, rw.source_rank, r.doi, r.year
       FROM record_works rw JOIN records r USING (source, source_id)
       WHERE rw.work_id IN (SELECT work_id FROM merged WHERE true ${filter.sql})`,
      filter.ids === null ? undefined : [listValue(filter.ids)],
    );
    // Each record is a "work" of its own here, so the counting statements give what it alone would count.
    const tables = {
      works: 'temp.merge_records',
      resolutions: 'resolutions',
      resolution_institutions: 'resolution_institutions',
      resolution_companies: 'resolution_companies',
      work_affiliations: 'merge_affiliations',
      work_institutions: 'merge_institutions',
      counted_affiliations: 'affiliations',
    };
    for (const { sql, params } of workInstitutionStatements(tables, minTier)) await own.run(sql.replace(/^CREATE OR REPLACE TABLE/, 'CREATE OR REPLACE TEMP TABLE'), params.length > 0 ? params : undefined);
    const rows = await own.all<{ merged_work: string; doi: string | null; source: string; source_id: string; year: number | null; countries: string[]; institutions: string[] }>(
      `SELECT m.merged_work, m.doi, m.source, m.source_id, m.year,
         coalesce((SELECT list_sort(list(DISTINCT i.country_code)) FROM temp.merge_institutions i WHERE i.work_id = m.work_id AND i.country_code IS NOT NULL), []::VARCHAR[]) AS countries,
         coalesce((SELECT list_sort(list(DISTINCT i.ror_id)) FROM temp.merge_institutions i WHERE i.work_id = m.work_id AND i.ror_id IS NOT NULL), []::VARCHAR[]) AS institutions
       FROM temp.merge_records m ORDER BY m.merged_work, m.source_rank, m.source_id`,
    );
    const out: WorkMerge[] = [];
    for (const r of rows) {
      const record: MergedRecord = { source: r.source, sourceId: r.source_id, year: r.year === null ? null : Number(r.year), countries: [...r.countries], institutions: [...r.institutions] };
      const last = out.at(-1);
      if (last?.workId !== r.merged_work) {
        out.push({ workId: r.merged_work, doi: r.doi, kept: record, others: [] });
        continue;
      }
      const k = last.kept;
      const differs = MERGE_DIFFERENCES.filter((d) => (d === 'year' ? k.year !== record.year : !sameSet(k[d], record[d])));
      last.others.push({ ...record, differs });
    }
    return out;
  } finally {
    await own.run(`DROP TABLE IF EXISTS temp.merge_records; DROP TABLE IF EXISTS temp.merge_affiliations; DROP TABLE IF EXISTS temp.merge_institutions`);
    own.close();
  }
}

export function summariseMerges(merges: readonly WorkMerge[]): MergeSummary {
  const differsIn = (m: WorkMerge, d: MergeDifference) => m.others.some((o) => o.differs.includes(d));
  return {
    merged: merges.length,
    differing: merges.filter((m) => m.others.some((o) => o.differs.length > 0)).length,
    year: merges.filter((m) => differsIn(m, 'year')).length,
    countries: merges.filter((m) => differsIn(m, 'countries')).length,
    institutions: merges.filter((m) => differsIn(m, 'institutions')).length,
  };
}

/** One line for a merged work: which record counts, and what each other record says that it does not. */
export function describeMerge(m: WorkMerge): string {
  const kept = `${m.doi ? `doi:${m.doi}` : m.workId}: counted as ${sourceName(m.kept.source)} ${m.kept.sourceId} records it (${recordFacts(m.kept)})`;
  const others = m.others.map((o) => `also recorded by ${sourceName(o.source)} ${o.sourceId}${o.differs.length > 0 ? `, differs in ${o.differs.join(', ')} (${recordFacts(o)})` : ', agrees'}`);
  return [kept, ...others].join('; ');
}

const recordFacts = (r: MergedRecord) => `year ${r.year ?? 'none'}, countries ${r.countries.join(' ') || 'none'}, institutions ${r.institutions.join(' ') || 'none'}`;

/** One line for an ingest's summary. */
export const describeMergeSummary = (s: MergeSummary): string =>
  `${s.merged} works also recorded by another source (merged by DOI or PubMed id, counted once as the preferred record gives them); ${s.differing} of them differ (year ${s.year}, countries ${s.countries}, institutions ${s.institutions})${s.differing > 0 ? ': derisk merges --differing lists them' : ''}`;

/** The works of these ids a source marks retracted (OpenAlex's is_retracted): any record of the work saying so. */
export async function retractedWorks(store: Store, workIds: readonly string[]): Promise<Set<string>> {
  if (workIds.length === 0) return new Set();
  const rows = await store.all<{ work_id: string }>(`SELECT DISTINCT rw.work_id FROM record_works rw JOIN record_retracted x USING (source, source_id) WHERE list_contains($1::VARCHAR[], rw.work_id)`, [listValue([...workIds])]);
  return new Set(rows.map((r) => r.work_id));
}
