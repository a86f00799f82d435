import type { ClickHouseEvidence } from '../store/clickhouse.ts';
import { AUTHOR_ORDER, FLAG_ORDER, portfolioOf, type FlagRow, type Portfolio, type PortfolioRows, type Weights } from './portfolio.ts';

/** A string as a ClickHouse literal (18.16 has no query parameters). */
export const literal = (s: string): string => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/**
 * An institution's portfolio over the evidence store on a ClickHouse cluster: the rows the
 * DuckDB portfolio reads (portfolio.ts), from the snapshot's published affiliation strings,
 * their institutions and the screening's hits, so both stores give the same portfolio. Uploads
 * and files of the shared base are not published: their portfolios stay on the embedded store.
 *
 * A work's rows all live on one shard, so the subqueries that narrow to the scope's works read
 * each shard's own tables (`_local`): every shard answers for its works and no set crosses the
 * network. Its five queries read one snapshot (ClickHouseEvidence.atSnapshot).
 */
export async function clickHousePortfolio(ev: ClickHouseEvidence, scope: { institution: string; rollUp?: boolean }, weights: Weights): Promise<Portfolio> {
  const none: PortfolioRows = { works: 0, flags: [], fields: new Map(), homeAuthors: new Map() };
  const rows = await ev.atSnapshot((snapshot) => (snapshot === null ? Promise.resolve(none) : portfolioRows(ev, snapshot, scope)));
  return portfolioOf(rows, scope, weights);
}

async function portfolioRows(ev: ClickHouseEvidence, snapshot: string, scope: { institution: string; rollUp?: boolean }): Promise<PortfolioRows> {
  const current = `snapshot = '${snapshot}'`;
  // Tables a shard reads in a subquery are named with their database: the shard runs it in its default database.
  const db = ev.settings.database;
  const id = literal(scope.institution);
  const homeRors = scope.rollUp ? `(SELECT ror_id FROM ${db}.institution_rollup WHERE ${current} AND (top_id = ${id} OR ror_id = ${id}))` : `(${id})`;
  const scopeWorks = `(SELECT work_id FROM ${db}.work_institutions_local WHERE ${current} AND ror_id IN ${homeRors})`;
  const home = `(SELECT work_id, author_seq, aff_seq FROM ${db}.work_affiliation_institutions_local WHERE ${current} AND ror_id IN ${homeRors})`;
  const partnerAffiliations = `${current} AND work_id IN ${scopeWorks} AND (work_id, author_seq, aff_seq) NOT IN ${home}`;
  const flagged = `(SELECT work_id FROM ${db}.work_affiliation_strings_local WHERE ${partnerAffiliations} AND raw IN (SELECT raw FROM ${db}.screen_hits WHERE ${current}))`;
  const [flags, [total], titles, fields, authors] = await Promise.all([
    ev.all<Omit<FlagRow, 'title'>>(
      `SELECT work_id, year, raw, list_id, list_name, entry_id, entry_name, level, match, inherited_via
       FROM work_affiliation_strings ALL INNER JOIN (SELECT raw, list_id, list_name, entry_id, entry_name, level, match, inherited_via FROM ${db}.screen_hits WHERE ${current}) USING raw
       WHERE ${partnerAffiliations}
       ORDER BY ${FLAG_ORDER}`,
    ),
    ev.all<{ n: string }>(`SELECT uniqExact(work_id) AS n FROM work_institutions WHERE ${current} AND ror_id IN ${homeRors}`),
    ev.all<{ work_id: string; title: string | null }>(`SELECT work_id, title FROM works WHERE ${current} AND work_id IN ${flagged}`),
    ev.all<{ work_id: string; field_id: string }>(`SELECT work_id, field_id FROM work_fields WHERE ${current} AND work_id IN ${flagged} ORDER BY work_id, field_id`),
    ev.all<{ work_id: string; name: string; raw: string }>(
      `SELECT DISTINCT work_id, ifNull(author_name, concat('author ', toString(author_seq))) AS name, raw FROM work_affiliation_strings
       WHERE ${current} AND work_id IN ${flagged} AND (work_id, author_seq, aff_seq) IN ${home}
       ORDER BY ${AUTHOR_ORDER}`,
    ),
  ]);
  const title = new Map(titles.map((t) => [t.work_id, t.title]));
  const rows: PortfolioRows = { works: Number(total!.n), flags: flags.map((f) => ({ ...f, year: f.year === null ? null : Number(f.year), title: title.get(f.work_id) ?? null })), fields: new Map(), homeAuthors: new Map() };
  for (const r of fields) rows.fields.set(r.work_id, [...(rows.fields.get(r.work_id) ?? []), r.field_id]);
  for (const r of authors) rows.homeAuthors.set(r.work_id, [...(rows.homeAuthors.get(r.work_id) ?? []), { name: r.name, raw: r.raw }]);
  return rows;
}
