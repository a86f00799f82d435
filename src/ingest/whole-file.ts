import { statSync } from 'node:fs';
import type { Store } from '../store/store.ts';
import { fileId as contentId } from './file-id.ts';
import { fileState, refuseOtherKind, SHARED } from './pipeline.ts';
import { InputError, type Rejected } from './records.ts';

export interface WholeFileReport {
  status: 'ingested' | 'already ingested';
  fileId: string;
  /** Of a file already ingested: when it was read (UTC, to the minute); the counts are that run's. */
  readAt?: string;
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
  const done = await alreadyIngested(store, id, kind, path);
  if (done) return done;
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
  return { status: 'ingested', fileId: id, kept, duplicates: accepted.length - kept, quarantined: rejected.length, rejected };
}

/**
 * A file of the shared base read before, as a new run of it reports: not read again, with the
 * counts of the run that read it (what it kept, knew already and set aside) and when, the
 * same for every kind; its rejected rows were told then, and stay in the quarantine. Read before
 * as another kind, it is refused (OtherKindError): those counts are not this kind's.
 */
export async function alreadyIngested(store: Store, id: string, kind: string, path: string): Promise<(Omit<WholeFileReport, 'status'> & { status: 'already ingested' }) | null> {
  const state = await fileState(store, SHARED, id);
  refuseOtherKind(state, kind, id, path);
  if (!state?.finished) return null;
  return { status: 'already ingested', fileId: id, ...(state.readAt ? { readAt: state.readAt } : {}), kept: state.kept, duplicates: state.duplicates, quarantined: state.quarantined, rejected: [] };
}
