import { literal } from '../screening/clickhouse.ts';
import type { ClickHouseEvidence } from '../store/clickhouse.ts';
import type { CopubYears, ReadCopubYears } from './evidence.ts';

/** What a verdict reads of the evidence store: co-publication counts, the store's size and its works of some years, all from one snapshot. */
export interface VerdictEvidence {
  copubs: ReadCopubYears;
  works: () => Promise<number>;
  /** The works of the years from–to, whoever wrote them: none means the store holds nothing of those years. */
  worksIn: (from: number, to: number) => Promise<number>;
}

/** The verdict's evidence over one snapshot of the cluster (null: none published yet, nothing to count). */
export function clickHouseEvidenceAt(ev: ClickHouseEvidence, snapshot: string | null): VerdictEvidence {
  return { copubs: (rorIds, from, to) => copubYearsAt(ev, snapshot, rorIds, from, to), works: () => workCountAt(ev, snapshot), worksIn: (from, to) => workCountAt(ev, snapshot, [from, to]) };
}

/**
 * Per institution and year, over the evidence store on a ClickHouse cluster: its works and those
 * co-authored with a listed entity other than itself, as copubYears reads them from the embedded
 * store's institution_listed_copubs: a work counts where an author affiliation with a screening hit
 * is not counted at the institution, as a portfolio flags it. Each work's listed affiliations and
 * the institutions each is counted at are gathered on its own shard (all its rows live there).
 */
export function clickHouseCopubYears(ev: ClickHouseEvidence, rorIds: string[], from = 0, to = 9999): Promise<CopubYears> {
  return ev.atSnapshot((snapshot) => copubYearsAt(ev, snapshot, rorIds, from, to));
}

async function copubYearsAt(ev: ClickHouseEvidence, snapshot: string | null, rorIds: string[], from = 0, to = 9999): Promise<CopubYears> {
  const out: CopubYears = new Map();
  if (rorIds.length === 0 || snapshot === null) return out;
  const current = `snapshot = '${snapshot}'`;
  const db = ev.settings.database;
  // Per work and institution (on the work's shard, which runs the subquery in its default database: hence the database's name): whether a listed affiliation is not counted there.
  // Scalars, not the arrays of institutions each affiliation is counted at: the join's unmatched rows are NULLs, and an array cannot be one.
  const listed = `SELECT la.work_id AS work_id, wi.ror_id AS ror_id, max(NOT has(la.rors, assumeNotNull(wi.ror_id))) AS by_another FROM (
      SELECT s.work_id AS work_id, groupArrayIf(assumeNotNull(i.ror_id), isNotNull(i.ror_id)) AS rors
      FROM (SELECT work_id, author_seq, aff_seq FROM ${db}.work_affiliation_strings_local WHERE ${current} AND raw IN (SELECT raw FROM ${db}.screen_hits WHERE ${current})) AS s
      LEFT JOIN (SELECT work_id, author_seq, aff_seq, ror_id FROM ${db}.work_affiliation_institutions_local WHERE ${current}) AS i
        ON i.work_id = s.work_id AND i.author_seq = s.author_seq AND i.aff_seq = s.aff_seq
      GROUP BY s.work_id, s.author_seq, s.aff_seq) AS la
    JOIN (SELECT work_id, ror_id FROM ${db}.work_institutions_local WHERE ${current}) AS wi ON wi.work_id = la.work_id
    GROUP BY work_id, ror_id`;
  const rows = await ev.all<{ ror_id: string; year: number; works: string; listed: string }>(
    `SELECT ror_id, year, uniqExact(work_id) AS works, uniqExactIf(work_id, with_listed) AS listed FROM (
       SELECT work_id, ror_id, year, ifNull(by_another, 0) = 1 AS with_listed
       FROM work_institutions ALL LEFT JOIN (${listed}) USING (work_id, ror_id)
       WHERE ${current} AND ror_id IN (${rorIds.map(literal).join(', ')}) AND year >= ${Math.trunc(from)} AND year <= ${Math.trunc(to)})
     GROUP BY ror_id, year ORDER BY ror_id, year`,
  );
  for (const r of rows) out.set(r.ror_id, [...(out.get(r.ror_id) ?? []), { year: Number(r.year), works: Number(r.works), listed: Number(r.listed) }]);
  return out;
}

/** The works of a snapshot on the cluster (of the years from–to, if given): the evidence store's size a verdict records beside the counts read there. */
async function workCountAt(ev: ClickHouseEvidence, snapshot: string | null, years?: [number, number]): Promise<number> {
  if (snapshot === null) return 0;
  const [row] = await ev.all<{ n: string }>(`SELECT count() AS n FROM works WHERE snapshot = '${snapshot}'${years ? ` AND year >= ${Math.trunc(years[0])} AND year <= ${Math.trunc(years[1])}` : ''}`);
  return Number(row!.n);
}
