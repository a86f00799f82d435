import type { Stats } from 'node:fs';

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
