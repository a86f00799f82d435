import { literal } from '../screening/clickhouse.ts';
import type { ClickHouseEvidence } from '../store/clickhouse.ts';
import { LISTED_WORKS_KEPT, listedWorksOf, type CopubYears, type ListedSlot, type ListedWorks, type PickedWork, type ReadCopubYears } from './evidence.ts';

/** What a verdict reads of the evidence store: co-publication counts, the store's size and its works of some years, all from one snapshot. */
export interface VerdictEvidence {
  copubs: ReadCopubYears;
  works: () => Promise<number>;
  /** The works of the years from–to, whoever wrote them: none means the store holds nothing of those years. */
  worksIn: (from: number, to: number) => Promise<number>;
  /** The works behind each institution's count of listed co-publications in the years from–to. */
  listedWorks: (rorIds: string[], from: number, to: number) => Promise<ListedWorks>;
}

/** The verdict's evidence over one snapshot of the cluster (null: none published yet, nothing to count). */
export function clickHouseEvidenceAt(ev: ClickHouseEvidence, snapshot: string | null): VerdictEvidence {
  return { copubs: (rorIds, from, to) => copubYearsAt(ev, snapshot, rorIds, from, to), works: () => workCountAt(ev, snapshot), worksIn: (from, to) => workCountAt(ev, snapshot, [from, to]), listedWorks: (rorIds, from, to) => listedWorksAt(ev, snapshot, rorIds, from, to) };
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

/** The works behind each institution's count of listed co-publications on the cluster, as listedWorks reads them from the embedded store. */
export function clickHouseListedWorks(ev: ClickHouseEvidence, rorIds: string[], from = 0, to = 9999, kept = LISTED_WORKS_KEPT): Promise<ListedWorks> {
  return ev.atSnapshot((snapshot) => listedWorksAt(ev, snapshot, rorIds, from, to, kept));
}

async function copubYearsAt(ev: ClickHouseEvidence, snapshot: string | null, rorIds: string[], from = 0, to = 9999): Promise<CopubYears> {
  const out: CopubYears = new Map();
  if (rorIds.length === 0 || snapshot === null) return out;
  const rows = await ev.all<{ ror_id: string; year: number; works: string; listed: string }>(
    `SELECT ror_id, year, uniqExact(work_id) AS works, uniqExactIf(work_id, with_listed) AS listed FROM (${withListed(ev, snapshot, rorIds, from, to)})
     GROUP BY ror_id, year ORDER BY ror_id, year`,
  );
  for (const r of rows) out.set(r.ror_id, [...(out.get(r.ror_id) ?? []), { year: Number(r.year), works: Number(r.works), listed: Number(r.listed) }]);
  return out;
}

/** Each work of the institutions in the years from–to, with whether it is a co-publication with a listed entity other than the institution. */
function withListed(ev: ClickHouseEvidence, snapshot: string, rorIds: string[], from: number, to: number): string {
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
  return `SELECT work_id, ror_id, year, ifNull(by_another, 0) = 1 AS with_listed
       FROM work_institutions ALL LEFT JOIN (${listed}) USING (work_id, ror_id)
       WHERE ${current} AND ror_id IN (${rorIds.map(literal).join(', ')}) AND year >= ${Math.trunc(from)} AND year <= ${Math.trunc(to)}`;
}

/** The works behind each institution's listed count on the cluster, picked and described as listedWorks picks them from the embedded store. */
async function listedWorksAt(ev: ClickHouseEvidence, snapshot: string | null, rorIds: string[], from: number, to: number, kept = LISTED_WORKS_KEPT): Promise<ListedWorks> {
  if (rorIds.length === 0 || snapshot === null) return {};
  const current = `snapshot = '${snapshot}'`;
  const picked = await ev.all<PickedWork>(
    `SELECT assumeNotNull(ror_id) AS ror_id, work_id, assumeNotNull(year) AS year FROM (${withListed(ev, snapshot, rorIds, from, to)})
     WHERE with_listed GROUP BY ror_id, work_id, year ORDER BY ror_id, year, work_id LIMIT ${Math.trunc(kept)} BY ror_id`,
  );
  if (picked.length === 0) return {};
  const works = [...new Set(picked.map((p) => p.work_id))].map(literal).join(', ');
  const [strings, placed, titles] = await Promise.all([
    ev.all<{ work_id: string; author_seq: string; aff_seq: string; raw: string }>(`SELECT work_id, author_seq, aff_seq, raw FROM work_affiliation_strings WHERE ${current} AND work_id IN (${works})`),
    ev.all<{ work_id: string; author_seq: string; aff_seq: string; ror_id: string }>(`SELECT work_id, author_seq, aff_seq, ror_id FROM work_affiliation_institutions WHERE ${current} AND work_id IN (${works})`),
    ev.all<{ work_id: string; title: string | null }>(`SELECT work_id, title FROM works WHERE ${current} AND work_id IN (${works})`),
  ]);
  const raws = [...new Set(strings.map((s) => s.raw))];
  const hits = raws.length === 0 ? [] : await ev.all<{ raw: string; list_id: string; entry_name: string; level: string }>(`SELECT DISTINCT raw, list_id, entry_name, level FROM screen_hits WHERE ${current} AND raw IN (${raws.map(literal).join(', ')})`);
  const slot = (r: { work_id: string; author_seq: string; aff_seq: string }) => `${r.work_id}\u0000${r.author_seq}\u0000${r.aff_seq}`;
  // Grouped once by key, not filtered per row: a work of many authors meets many hits.
  const rorsOf = new Map<string, Set<string>>();
  for (const p of placed) {
    const rors = rorsOf.get(slot(p));
    if (rors) rors.add(p.ror_id);
    else rorsOf.set(slot(p), new Set([p.ror_id]));
  }
  const hitsOf = new Map<string, typeof hits>();
  for (const h of hits) {
    const mine = hitsOf.get(h.raw);
    if (mine) mine.push(h);
    else hitsOf.set(h.raw, [h]);
  }
  const titleOf = new Map(titles.map((t) => [t.work_id, t.title]));
  const slots: ListedSlot[] = strings.flatMap((s) =>
    (hitsOf.get(s.raw) ?? []).map((h) => ({ work_id: s.work_id, title: titleOf.get(s.work_id) ?? null, author_seq: Number(s.author_seq), aff_seq: Number(s.aff_seq), raw: s.raw, rors: [...(rorsOf.get(slot(s)) ?? [])], list_id: h.list_id, entry_name: h.entry_name, level: h.level })),
  );
  return listedWorksOf(
    picked.map((p) => ({ ...p, year: Number(p.year) })),
    slots,
  );
}

/** The works of a snapshot on the cluster (of the years from–to, if given): the evidence store's size a verdict records beside the counts read there. */
async function workCountAt(ev: ClickHouseEvidence, snapshot: string | null, years?: [number, number]): Promise<number> {
  if (snapshot === null) return 0;
  const [row] = await ev.all<{ n: string }>(`SELECT count() AS n FROM works WHERE snapshot = '${snapshot}'${years ? ` AND year >= ${Math.trunc(years[0])} AND year <= ${Math.trunc(years[1])}` : ''}`);
  return Number(row!.n);
}
