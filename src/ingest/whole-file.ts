import { statSync } from 'node:fs';
import type { Store } from '../store/store.ts';
import { fileId as contentId } from './file-id.ts';
import { InputError, type Rejected } from './records.ts';

export interface WholeFileReport {
  status: 'ingested' | 'already ingested';
  kept: number;
  duplicates: number;
  quarantined: number;
  rejected: Rejected[];
}

type Item = { ok: true } | ({ ok: false } & Rejected);

/**
 * Loads a file that is read whole and written in one transaction (tables of counts, patent
 * exports): a kill leaves the store as it was, the same bytes twice add nothing, and rejected
 * rows go to the quarantine with the file's record. `write` stores the accepted items (the file
 * id is theirs to keep) and says how many were new.
 */
export async function ingestWholeFile<I extends Item>(store: Store, path: string, kind: string, read: () => AsyncIterable<I>, write: (accepted: Extract<I, { ok: true }>[], fileId: string) => Promise<number>): Promise<WholeFileReport> {
  const id = await contentId(path);
  const done = await store.one<{ n: number }>('SELECT records_kept::DOUBLE AS n FROM input_files WHERE file_id = $1 AND finished_at IS NOT NULL', [id]);
  if (done) return { status: 'already ingested', kept: done.n, duplicates: 0, quarantined: 0, rejected: [] };
  const accepted: Extract<I, { ok: true }>[] = [];
  const rejected: Rejected[] = [];
  try {
    for await (const item of read()) {
      if (item.ok) accepted.push(item as Extract<I, { ok: true }>);
      else rejected.push(item as Rejected);
    }
  } catch (e) {
    throw e instanceof InputError ? e.inFile(path) : new Error(`${path}: ${(e as Error).message}`);
  }
  let kept = 0;
  await store.transaction(async () => {
    kept = await write(accepted, id);
    await store.run(
      `INSERT INTO input_files (file_id, path, kind, bytes, started_at, finished_at, last_record_no, records_kept, records_duplicate, records_quarantined)
       VALUES ($1, $2, $3, $4, now(), now(), $5, $6, $7, $8)`,
      [id, path, kind, statSync(path).size, accepted.length + rejected.length, kept, accepted.length - kept, rejected.length],
    );
    for (const r of rejected) await store.run('INSERT INTO quarantine VALUES ($1, $2, $3, $4, $5)', [id, r.recordNo, r.lineNo, r.reason, r.excerpt]);
  });
  return { status: 'ingested', kept, duplicates: accepted.length - kept, quarantined: rejected.length, rejected };
}
