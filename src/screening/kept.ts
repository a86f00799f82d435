import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import type { ScreeningContext } from './context.ts';
import { indexFileOf, indexSignatureOf, loadScreeningIndex, refusedIndex } from './persisted.ts';
import type { StoreFacts } from './signature.ts';

/**
 * The kept screening index reached without opening the store: opening DuckDB costs about half a
 * second, more than the rest of `derisk screen NAME`. What screening takes from the store (the
 * registry's and the lists' versions) is noted beside it with the state of its file, and trusted
 * only while the file is in that state: any write to the store changes it, and changes not yet
 * in the file leave a write-ahead log beside it.
 */

/** A write this soon after the file's last modification may leave its time unchanged (a coarse clock): such a state is not noted. */
const SETTLED_MS = 2_000;

const factsFileOf = (storePath: string) => `${storePath}.screening-facts`;

/** The store file's state (device, inode, size, modification and change times); null while it may still change unseen, or is missing. */
export function storeFileState(storePath: string): string | null {
  if (existsSync(`${storePath}.wal`)) return null;
  let s;
  try {
    s = statSync(storePath, { bigint: true });
  } catch {
    return null;
  }
  if (Number(s.mtimeMs) > Date.now() - SETTLED_MS) return null;
  return [s.dev, s.ino, s.size, s.mtimeNs, s.ctimeNs].join(':');
}

/** Notes what the store held in file state `state` (taken before it was opened, and found again after it was closed). */
export function noteStoreFacts(storePath: string, state: string, facts: StoreFacts): void {
  const path = factsFileOf(storePath);
  const tmp = `${path}.${process.pid}-${threadId}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify({ state, ...facts }), { mode: 0o600 });
    renameSync(tmp, path);
  } catch {
    // Not noted (a home that cannot be written to): the next screen opens the store, as it would have.
    rmSync(tmp, { force: true });
  }
}

/** What the store holds, if its file is in the state noted with it; null otherwise. */
function unchangedStoreFacts(storePath: string): StoreFacts | null {
  const state = storeFileState(storePath);
  if (!state) return null;
  let noted: { state?: string } & StoreFacts;
  try {
    noted = JSON.parse(readFileSync(factsFileOf(storePath), 'utf8'));
  } catch {
    return null;
  }
  return noted.state === state ? { registry: noted.registry, lists: noted.lists } : null;
}

/** The screening context kept beside an unchanged store, built from what it holds; null when the store must be opened to know. */
export function keptScreeningContext(storePath: string): ScreeningContext | null {
  const facts = unchangedStoreFacts(storePath);
  if (!facts || facts.lists.length === 0) return null;
  return loadScreeningIndex(indexFileOf(storePath), indexSignatureOf(facts), refusedIndex);
}
