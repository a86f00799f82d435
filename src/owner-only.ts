import { chmodSync, mkdirSync, readdirSync, writeFileSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The mode of a directory derisk creates (a home, the folder of a store or application database):
 * its owner's alone, since the databases in it hold every organisation's cases, verdicts and
 * password hashes. A directory that already exists keeps its mode.
 */
export const OWNER_ONLY_DIR = 0o700;

/**
 * The mode of a file derisk creates that holds what the home holds (the application database,
 * whose write-ahead log and shared-memory files SQLite creates with the database's mode; a
 * backup): its owner's alone, whatever the directory around it allows.
 */
export const OWNER_ONLY_FILE = 0o600;

/**
 * Why a file or folder whose contents derisk would act on cannot be trusted: another user owns it,
 * or its mode grants any of `forbiddenBits` (group or others writing answers in, reading a
 * credential out). Null when it is the running user's and private enough. Callers say what
 * follows from it, since that differs by what the file holds.
 */
export function distrust(stat: Stats, forbiddenBits: number): string | null {
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) return `belongs to user ${stat.uid}, not to you (${uid})`;
  if ((stat.mode & forbiddenBits) !== 0) return `has permissions ${(stat.mode & 0o777).toString(8).padStart(4, '0')}`;
  return null;
}

/**
 * Writes a file owner-only, and its missing folders owner-only: a file that already exists is
 * made owner-only too (writeFileSync's mode applies only to a file it creates).
 */
export function writeOwnerOnly(path: string, data: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: OWNER_ONLY_DIR });
  writeFileSync(path, data, { mode: OWNER_ONLY_FILE });
  chmodSync(path, OWNER_ONLY_FILE);
}

/**
 * Makes a folder another program wrote (DuckDB's EXPORT DATABASE, with the process's umask) and
 * everything in it owner-only.
 */
export function makeOwnerOnly(dir: string): void {
  chmodSync(dir, OWNER_ONLY_DIR);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) makeOwnerOnly(path);
    else if (entry.isFile()) chmodSync(path, OWNER_ONLY_FILE);
  }
}
