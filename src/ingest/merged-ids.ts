import type { Readable } from 'node:stream';
import type { Store } from '../store/store.ts';
import { aggregateCsvOptions } from './aggregates.ts';
import { fileId as contentId } from './file-id.ts';
import { csvRecords, requireColumns } from './csv.ts';
import { openInput } from './lines.ts';
import type { ReadLimits, Rejected } from './records.ts';
import { ingestWholeFile, type WholeFileReport } from './whole-file.ts';

/** One row of an OpenAlex snapshot's merged_ids/works/<date>.csv.gz: work `id` was merged into `mergedInto` on `mergeDate`. */
export interface MergedWork {
  recordNo: number;
  lineNo: number | null;
  /** The row as read, for the quarantine should a later check set it aside. */
  excerpt: string;
  mergeDate: string;
  id: string;
  mergedInto: string;
}

const COLUMNS = ['merge_date', 'id', 'merged_into_id'];
// The key (W123) or the whole OpenAlex id (https://openalex.org/W123), in either case.
const WORK_ID = /^(?:https?:\/\/openalex\.org\/)?(W\d+)$/i;
// OpenAlex numbers works without a leading zero: W0123 is no work's key, and reading it as W123 would merge another work.
const LEADING_ZERO = /^W0/;
const isDate = (s: string) => {
  const day = new Date(`${s}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(day.getTime()) && day.toISOString().startsWith(s);
};

/** Reads a merged_ids file of works; a bad row is set aside with its row number and the reason. */
export async function* readMergedWorks(stream: Readable, options?: Partial<ReadLimits>): AsyncGenerator<({ ok: true } & MergedWork) | ({ ok: false } & Rejected)> {
  for await (const r of csvRecords(stream, requireColumns(COLUMNS), aggregateCsvOptions(options))) {
    if ('ok' in r) {
      yield r;
      continue;
    }
    const [mergeDate, id, into] = COLUMNS.map((c) => r.get.get(c) ?? '');
    const work = WORK_ID.exec(id!)?.[1]?.toUpperCase();
    const survivor = WORK_ID.exec(into!)?.[1]?.toUpperCase();
    const reason = !isDate(mergeDate!)
      ? `merge_date is not a date (YYYY-MM-DD): ${JSON.stringify(mergeDate)}`
      : !work
        ? `id is not an OpenAlex work id: ${JSON.stringify(id)}`
        : LEADING_ZERO.test(work)
          ? `id is not an OpenAlex work id (a leading zero): ${JSON.stringify(id)}`
          : !survivor
            ? `merged_into_id is not an OpenAlex work id: ${JSON.stringify(into)}`
            : LEADING_ZERO.test(survivor)
              ? `merged_into_id is not an OpenAlex work id (a leading zero): ${JSON.stringify(into)}`
              : work === survivor
                ? `the work is merged into itself: ${work}`
                : null;
    if (reason) yield { ok: false, recordNo: r.recordNo, lineNo: r.lineNo, reason, excerpt: r.raw };
    else yield { ok: true, recordNo: r.recordNo, lineNo: r.lineNo, excerpt: r.raw, mergeDate: mergeDate!, id: work!, mergedInto: survivor! };
  }
}

export interface MergedWorksReport extends WholeFileReport {
  /** Works held in the shared base that this file's merges removed (for a file ingested before: those it removed then). */
  removed: number;
  /** Of those, the works whose final survivor (following the recorded merges) the store does not hold: the evidence lost them. */
  survivorNotHeld: number;
}

type MergeRow = ({ ok: true } & MergedWork) | ({ ok: false } & Rejected);

/**
 * Sets aside a merge that would close a cycle with the merges recorded before it (earlier files,
 * then earlier rows of this one): applying both would remove every work of the cycle and the paper
 * would count nowhere, so the first merge recorded stands. Reads only the recorded merges reachable
 * from this file's ids.
 */
async function* setAsideCycles(store: Store, rows: AsyncIterable<MergeRow>): AsyncGenerator<MergeRow> {
  const all: MergeRow[] = [];
  for await (const r of rows) all.push(r);
  const ids = [...new Set(all.flatMap((r) => (r.ok ? [r.id, r.mergedInto] : [])))];
  // Each id has one recorded merge (the first stands), so the merges form chains: id → where it went, and which row said so.
  const into = new Map<string, { id: string; row: string }>();
  if (ids.length > 0) {
    await store.run(`CREATE OR REPLACE TEMP TABLE stage_merge_ids (id VARCHAR)`);
    const appender = await store.connection.createAppender('stage_merge_ids');
    for (const id of ids) {
      appender.appendVarchar(id);
      appender.endRow();
    }
    appender.closeSync();
    const recorded = await store.all<{ source_id: string; merged_into: string; path: string; record_no: number }>(
      `WITH RECURSIVE reach(id) AS (
         SELECT id FROM stage_merge_ids
         UNION SELECT m.merged_into FROM reach JOIN merged_works m ON m.source = 'openalex' AND m.source_id = reach.id)
       SELECT m.source_id, m.merged_into, f.path, m.record_no::DOUBLE AS record_no FROM reach
       JOIN merged_works m ON m.source = 'openalex' AND m.source_id = reach.id JOIN input_files f ON f.file_id = m.file_id`,
    );
    await store.run('DROP TABLE stage_merge_ids');
    for (const m of recorded) into.set(m.source_id, { id: m.merged_into, row: `${m.path}, row ${m.record_no}` });
  }
  for (const r of all) {
    if (!r.ok || into.has(r.id)) {
      yield r;
      continue;
    }
    // Bounded by the merges known: a cycle recorded before this check existed must not hold the ingest.
    const steps: string[] = [];
    let at = r.mergedInto;
    for (let next = into.get(at); next && at !== r.id && steps.length <= into.size; at = next.id, next = into.get(at)) steps.push(`${at} ${steps.length === 0 ? 'was merged ' : ''}into ${next.id} (${next.row})`);
    if (at === r.id) {
      yield { ok: false, recordNo: r.recordNo, lineNo: r.lineNo, reason: `merging ${r.id} into ${r.mergedInto} would close a cycle, as ${steps.join(', ')}: set aside, the first merge recorded stands`, excerpt: r.excerpt };
      continue;
    }
    into.set(r.id, { id: r.mergedInto, row: `row ${r.recordNo}` });
    yield r;
  }
}

/**
 * Records which OpenAlex works were merged into others and takes the merged-away works out of the
 * shared base, rows and all, as pending for the next (incremental) refresh; merged_works keeps
 * which record was removed, from which file, by which merge. A work merged twice keeps the first
 * merge recorded, and a merge closing a cycle is set aside. A work given later under a merged id is
 * set aside by the works ingest.
 */
export async function ingestMergedWorks(store: Store, path: string): Promise<MergedWorksReport> {
  const report = await ingestWholeFile(
    store,
    path,
    'openalex-merged',
    () => setAsideCycles(store, readMergedWorks(openInput(path))),
    async (rows, fileId) => {
      await store.run(`CREATE OR REPLACE TEMP TABLE stage_merged (source_id VARCHAR, merged_into VARCHAR, merge_date VARCHAR, record_no BIGINT)`);
      const appender = await store.connection.createAppender('stage_merged');
      for (const r of rows) {
        appender.appendVarchar(r.id);
        appender.appendVarchar(r.mergedInto);
        appender.appendVarchar(r.mergeDate);
        appender.appendInteger(r.recordNo);
        appender.endRow();
      }
      appender.closeSync();
      await store.run(
        `INSERT INTO merged_works
         SELECT 'openalex', s.source_id, s.merged_into, s.merge_date::DATE, $1, s.record_no, r.file_id, r.record_no FROM stage_merged s
         LEFT JOIN records r ON r.source = 'openalex' AND r.source_id = s.source_id
         WHERE NOT EXISTS (SELECT 1 FROM merged_works m WHERE m.source = 'openalex' AND m.source_id = s.source_id)
         QUALIFY row_number() OVER (PARTITION BY s.source_id ORDER BY s.record_no) = 1`,
        [fileId],
      );
      const removed = `(SELECT source_id FROM merged_works WHERE file_id = $1 AND removed_file_id IS NOT NULL)`;
      // As an OpenAlex update replacing a work does: the works they counted in and the ids they gave are recomputed.
      await store.run(`INSERT INTO refresh_pending SELECT 'openalex', source_id FROM ${removed}`, [fileId]);
      await store.run(`INSERT INTO refresh_pending_rors SELECT DISTINCT unnest(given_ror_ids) FROM affiliations WHERE source = 'openalex' AND source_id IN ${removed}`, [fileId]);
      for (const table of ['authorships', 'affiliations', 'record_fields', 'record_updated', 'record_retracted', 'records']) await store.run(`DELETE FROM ${table} WHERE source = 'openalex' AND source_id IN ${removed}`, [fileId]);
      await store.run('DROP TABLE stage_merged');
      return (await store.one<{ n: number }>(`SELECT count(*)::DOUBLE AS n FROM merged_works WHERE file_id = $1`, [fileId]))!.n;
    },
  );
  // Following each removed work's merges to the last one: a survivor merged away in turn is not where the paper went.
  const removed = await store.one<{ n: number; not_held: number }>(
    `WITH RECURSIVE chain(source_id, survivor, steps) AS (
       SELECT source_id, merged_into, 1 FROM merged_works WHERE source = 'openalex' AND file_id = $1 AND removed_file_id IS NOT NULL
       UNION ALL SELECT c.source_id, m.merged_into, c.steps + 1 FROM chain c JOIN merged_works m ON m.source = 'openalex' AND m.source_id = c.survivor
       WHERE c.steps < 1000)
     SELECT count(*)::DOUBLE AS n, count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.source = 'openalex' AND r.source_id = f.survivor))::DOUBLE AS not_held
     FROM (SELECT source_id, arg_max(survivor, steps) AS survivor FROM chain GROUP BY source_id) f`,
    [await contentId(path)],
  );
  return { ...report, removed: removed!.n, survivorNotHeld: removed!.not_held };
}
