// Reading a bibliographic file into batches: what the evidence worker (src/workflows/worker.ts)
// runs. Nothing here touches the store, so the worker loads no DuckDB; the writes are
// src/ingest/pipeline.ts's, on the calling thread.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { capLines, overlongExcerpt, overlongReason, type Overlong } from './limits.ts';
import { openInput } from './lines.ts';
import { readOpenAlex } from './openalex.ts';
import type { ReadItem, ReadLimits, Rejected, SourceName, Warn, WorkRecord } from './records.ts';
import { readScopus } from './scopus.ts';
import { readWos } from './wos.ts';

/** One batch of what a reader produced, in record order. */
export interface Batch {
  records: WorkRecord[];
  recordNos: number[];
  rejects: Rejected[];
  /** The number of the last record in the batch (kept or not): where a resumed run goes on. */
  lastNo: number;
  /** Records read so far, including those skipped on resuming. */
  seen: number;
  bytesDone: number;
  /** The hash of the file's first `bytesDone` bytes: what a resumed run checks it reads the same bytes. */
  prefixSha256: string;
  /** The hash of the whole file, on the batch read last. */
  fileSha256: string | null;
  /** What the reader said of the file while reading this batch (a DOI column missing). */
  warnings: string[];
}

export interface ReadRequest {
  kind: SourceName;
  path: string;
  resumeAfter: number;
  batchSize: number;
  limits: ReadLimits;
}

/** Where batches come from: read here, or on a worker thread (src/workflows/offload.ts). */
export interface BatchSource {
  next(): Promise<Batch | null>;
  close(): Promise<void>;
}

const READERS: Record<SourceName, (stream: Readable, limits: ReadLimits, warn: Warn) => AsyncGenerator<ReadItem>> = {
  openalex: readOpenAlex,
  wos: readWos,
  scopus: readScopus,
};

/**
 * Reads a file into batches: lines over the size limit are set aside unread, records with a
 * field over its limit are set aside whole, each with the reason. The same code runs on the
 * calling thread or on a worker.
 */
export async function* readBatches(request: ReadRequest): AsyncGenerator<Batch> {
  const { kind, path, resumeAfter, batchSize, limits } = request;
  let bytesDone = 0;
  // The file's id is hashed here, from the bytes as they are read: no second read of the file.
  const hash = createHash('sha256');
  const overlong = new Map<number, Overlong>();
  const stream = capLines(
    openInput(path, (chunk) => {
      bytesDone += chunk.length;
      hash.update(chunk);
    }),
    limits.maxRecordBytes,
    overlong,
  );
  const progress = () => ({ bytesDone, prefixSha256: hash.copy().digest('hex') });
  const empty = (lastNo: number): Batch => ({ records: [], recordNos: [], rejects: [], lastNo, seen: 0, bytesDone: 0, prefixSha256: '', fileSha256: null, warnings: [] });
  let batch = empty(resumeAfter);
  // Records read into the batch being filled: each batch reports its own, never a running total.
  let seen = 0;
  try {
    for await (const item of READERS[kind](stream, limits, (warning) => batch.warnings.push(warning))) {
      seen++;
      if (item.recordNo <= resumeAfter) continue;
      batch.lastNo = item.recordNo;
      if (item.ok) {
        batch.records.push(item.record);
        batch.recordNos.push(item.recordNo);
      } else {
        const unread = item.lineNo === null ? undefined : overlong.get(item.lineNo);
        const { ok: _, ...rejected } = item;
        batch.rejects.push(unread === undefined ? rejected : { ...rejected, reason: overlongReason(item.lineNo!, unread.bytes, limits), excerpt: overlongExcerpt(unread) });
      }
      if (batch.records.length + batch.rejects.length >= batchSize) {
        yield { ...batch, seen, ...progress() };
        batch = empty(batch.lastNo);
        seen = 0;
      }
    }
  } finally {
    stream.destroy();
  }
  const last = progress();
  yield { ...batch, seen, ...last, fileSha256: last.prefixSha256 };
}

/** Reads on the calling thread. */
export function readHere(request: ReadRequest): BatchSource {
  const batches = readBatches(request);
  return {
    next: async () => {
      const r = await batches.next();
      return r.done ? null : r.value;
    },
    close: async () => {
      await batches.return(undefined);
    },
  };
}
