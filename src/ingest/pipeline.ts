import { statSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DuckDBAppender } from '@duckdb/node-api';
import { crashPoint } from '../crash.ts';
import type { Store } from '../store/store.ts';
import { fileId as contentId } from './file-id.ts';
import { openInput } from './lines.ts';
import { readOpenAlex } from './openalex.ts';
import { InputError, type ReadItem, type Rejected, type SourceName, type WorkRecord } from './records.ts';
import { readScopus } from './scopus.ts';
import { readWos } from './wos.ts';

export interface Progress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
  records: number;
}

export interface IngestOptions {
  quarantineDir: string;
  batchSize?: number;
  onProgress?: (p: Progress) => void;
}

export interface IngestReport {
  file: string;
  kind: SourceName;
  fileId: string;
  status: 'ingested' | 'resumed' | 'already ingested';
  kept: number;
  duplicates: number;
  quarantined: number;
  quarantinePath: string | null;
  bytes: number;
  seconds: number;
}

const READERS: Record<SourceName, (stream: import('node:stream').Readable) => AsyncGenerator<ReadItem>> = {
  openalex: readOpenAlex,
  wos: readWos,
  scopus: readScopus,
};

/**
 * Reads one bibliographic file into the store. Batches commit together with the file's
 * progress mark, so a run killed at any point resumes from the last committed batch and ends
 * with exactly the counts of an uninterrupted run. A file already ingested adds nothing.
 */
export async function ingestWorks(store: Store, kind: SourceName, path: string, options: IngestOptions): Promise<IngestReport> {
  const started = performance.now();
  const bytes = statSync(path).size;
  const id = await contentId(path);
  const existing = await store.one<{ finished_at: unknown; last_record_no: number }>('SELECT finished_at, last_record_no FROM input_files WHERE file_id = $1', [id]);
  if (existing?.finished_at) {
    const counts = await fileCounts(store, id);
    return { file: path, kind, fileId: id, status: 'already ingested', ...counts, quarantinePath: null, bytes, seconds: (performance.now() - started) / 1000 };
  }
  const resumeAfter = Number(existing?.last_record_no ?? 0);
  if (!existing) {
    await store.run('INSERT INTO input_files (file_id, path, kind, bytes, started_at) VALUES ($1, $2, $3, $4, now())', [id, path, kind, bytes]);
  }
  await createStaging(store);
  const batchSize = options.batchSize ?? 20_000;
  let bytesDone = 0;
  let seen = 0;
  let batch: WorkRecord[] = [];
  let batchNos: number[] = [];
  let rejects: Rejected[] = [];
  let lastNo = resumeAfter;
  // Reading the next batch overlaps with DuckDB merging the last one; batches still commit in order.
  let committing: Promise<void> = Promise.resolve();
  const flush = async () => {
    if (batch.length === 0 && rejects.length === 0) return;
    const [records, nos, rejected, upTo] = [batch, batchNos, rejects, lastNo];
    batch = [];
    batchNos = [];
    rejects = [];
    await committing;
    committing = commitBatch(store, id, records, nos, rejected, upTo);
  };
  const stream = openInput(path, (n) => (bytesDone += n));
  try {
    for await (const item of READERS[kind](stream)) {
      seen++;
      if (item.recordNo <= resumeAfter) continue;
      lastNo = item.recordNo;
      if (item.ok) {
        batch.push(item.record);
        batchNos.push(item.recordNo);
      } else {
        rejects.push(item);
      }
      if (batch.length + rejects.length >= batchSize) {
        await flush();
        options.onProgress?.({ file: path, bytesDone, bytesTotal: bytes, records: seen });
      }
    }
    await flush();
    await committing;
  } catch (e) {
    stream.destroy();
    await committing.catch(() => undefined);
    if (resumeAfter === 0 && lastNo === 0) await store.run('DELETE FROM input_files WHERE file_id = $1', [id]);
    throw e instanceof InputError ? e.inFile(path) : new Error(`${path}: ${(e as Error).message}`);
  }
  options.onProgress?.({ file: path, bytesDone: bytes, bytesTotal: bytes, records: seen });
  await store.run('UPDATE input_files SET finished_at = now() WHERE file_id = $1', [id]);
  const counts = await fileCounts(store, id);
  const quarantinePath = counts.quarantined > 0 ? await writeQuarantine(store, id, path, options.quarantineDir) : null;
  return { file: path, kind, fileId: id, status: resumeAfter > 0 ? 'resumed' : 'ingested', ...counts, quarantinePath, bytes, seconds: (performance.now() - started) / 1000 };
}

async function fileCounts(store: Store, id: string) {
  const row = await store.one<{ kept: number; duplicates: number; quarantined: number }>(
    'SELECT records_kept::DOUBLE AS kept, records_duplicate::DOUBLE AS duplicates, records_quarantined::DOUBLE AS quarantined FROM input_files WHERE file_id = $1',
    [id],
  );
  return { kept: row?.kept ?? 0, duplicates: row?.duplicates ?? 0, quarantined: row?.quarantined ?? 0 };
}

/** The quarantine file is written from the store, so it always matches what was committed. */
async function writeQuarantine(store: Store, id: string, path: string, dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const rows = await store.all('SELECT record_no::DOUBLE AS record_no, line_no::DOUBLE AS line_no, reason, excerpt FROM quarantine WHERE file_id = $1 ORDER BY record_no', [id]);
  const out = join(dir, `${basename(path)}.${id.slice(0, 12)}.quarantine.jsonl`);
  writeFileSync(out, rows.map((r) => JSON.stringify({ file: path, recordNo: r.record_no, lineNo: r.line_no, reason: r.reason, excerpt: r.excerpt })).join('\n') + '\n');
  return out;
}

/**
 * Staging tables take lists as one unit-separated string: appending DuckDB LIST values from JS
 * costs more than the rest of a row, and the merge splits them in SQL.
 */
async function createStaging(store: Store): Promise<void> {
  await store.run(`
    CREATE TEMP TABLE IF NOT EXISTS stage_records AS SELECT * REPLACE (''::VARCHAR AS funders) FROM records LIMIT 0;
    CREATE TEMP TABLE IF NOT EXISTS stage_authorships AS SELECT *, 0::BIGINT AS record_no FROM authorships LIMIT 0;
    CREATE TEMP TABLE IF NOT EXISTS stage_affiliations AS SELECT * REPLACE (''::VARCHAR AS given_ror_ids, ''::VARCHAR AS given_countries), 0::BIGINT AS record_no FROM affiliations LIMIT 0;
    CREATE TEMP TABLE IF NOT EXISTS stage_fields AS SELECT *, 0::BIGINT AS record_no FROM record_fields LIMIT 0;
    CREATE TEMP TABLE IF NOT EXISTS stage_quarantine AS SELECT * FROM quarantine LIMIT 0;
  `);
}

const SEP = '\u001f';
const splitList = (column: string) => `CASE WHEN ${column} = '' THEN []::VARCHAR[] ELSE string_split(${column}, chr(31)) END`;

/** Moves a staged batch into the store: records not seen before, and the rows that belong to them. */
const MERGE_BATCH = [
  `INSERT INTO records
   SELECT s.* REPLACE (${splitList('s.funders')} AS funders) FROM stage_records s
   WHERE s.file_id = $1 AND NOT EXISTS (SELECT 1 FROM records r WHERE r.source = s.source AND r.source_id = s.source_id)
   QUALIFY row_number() OVER (PARTITION BY s.source, s.source_id ORDER BY s.record_no) = 1`,
  `INSERT INTO authorships
   SELECT x.* EXCLUDE (record_no) FROM stage_authorships x
   JOIN records r ON r.source = x.source AND r.source_id = x.source_id AND r.file_id = $1 AND r.record_no = x.record_no`,
  `INSERT INTO affiliations
   SELECT x.* EXCLUDE (record_no) REPLACE (${splitList('x.given_ror_ids')} AS given_ror_ids, ${splitList('x.given_countries')} AS given_countries) FROM stage_affiliations x
   JOIN records r ON r.source = x.source AND r.source_id = x.source_id AND r.file_id = $1 AND r.record_no = x.record_no`,
  `INSERT INTO record_fields
   SELECT x.* EXCLUDE (record_no) FROM stage_fields x
   JOIN records r ON r.source = x.source AND r.source_id = x.source_id AND r.file_id = $1 AND r.record_no = x.record_no`,
  `INSERT INTO quarantine SELECT * FROM stage_quarantine WHERE file_id = $1`,
];

const text = (a: DuckDBAppender, v: string | null) => (v === null ? a.appendNull() : a.appendVarchar(v));
const list = (a: DuckDBAppender, v: string[]) => a.appendVarchar(v.join(SEP));

async function commitBatch(store: Store, id: string, records: WorkRecord[], recordNos: number[], rejects: Rejected[], lastNo: number): Promise<void> {
  await store.transaction(async () => {
    for (const t of ['records', 'authorships', 'affiliations', 'fields', 'quarantine']) await store.run(`DELETE FROM stage_${t}`);
    const c = store.connection;
    const rec = await c.createAppender('stage_records');
    const aut = await c.createAppender('stage_authorships');
    const aff = await c.createAppender('stage_affiliations');
    const fld = await c.createAppender('stage_fields');
    records.forEach((r, i) => {
      const no = recordNos[i]!;
      text(rec, r.source);
      text(rec, r.sourceId);
      text(rec, r.doi);
      text(rec, r.pmid);
      text(rec, r.title);
      r.year === null ? rec.appendNull() : rec.appendInteger(r.year);
      text(rec, r.type);
      list(rec, r.funders);
      text(rec, id);
      rec.appendInteger(no);
      rec.endRow();
      r.authorships.forEach((a, authorSeq) => {
        text(aut, r.source);
        text(aut, r.sourceId);
        aut.appendInteger(authorSeq);
        text(aut, a.name);
        text(aut, a.position);
        a.isCorresponding === null ? aut.appendNull() : aut.appendBoolean(a.isCorresponding);
        aut.appendInteger(no);
        aut.endRow();
        a.affiliations.forEach((f, affSeq) => {
          text(aff, r.source);
          text(aff, r.sourceId);
          aff.appendInteger(authorSeq);
          aff.appendInteger(affSeq);
          text(aff, f.raw);
          list(aff, f.givenRorIds);
          list(aff, f.givenCountryCodes);
          aff.appendInteger(no);
          aff.endRow();
        });
      });
      for (const f of r.fields) {
        text(fld, r.source);
        text(fld, r.sourceId);
        text(fld, f.scheme);
        text(fld, f.id);
        text(fld, f.name);
        f.score === null ? fld.appendNull() : fld.appendDouble(f.score);
        fld.appendInteger(no);
        fld.endRow();
      }
    });
    const qua = await c.createAppender('stage_quarantine');
    for (const q of rejects) {
      text(qua, id);
      qua.appendInteger(q.recordNo);
      q.lineNo === null ? qua.appendNull() : qua.appendInteger(q.lineNo);
      text(qua, q.reason);
      text(qua, q.excerpt);
      qua.endRow();
    }
    for (const a of [rec, aut, aff, fld, qua]) a.closeSync();
    for (const sql of MERGE_BATCH) await store.run(sql, [id]);
    const kept = await store.one<{ n: number }>('SELECT count(*)::DOUBLE AS n FROM records r JOIN stage_records s USING (source, source_id) WHERE r.file_id = $1 AND r.record_no = s.record_no', [id]);
    const newlyKept = kept?.n ?? 0;
    await store.run(
      `UPDATE input_files SET last_record_no = $2, records_kept = records_kept + $3, records_duplicate = records_duplicate + $4, records_quarantined = records_quarantined + $5 WHERE file_id = $1`,
      [id, lastNo, newlyKept, records.length - newlyKept, rejects.length],
    );
  });
  crashPoint('ingest.batch-committed');
}
