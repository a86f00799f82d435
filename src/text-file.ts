import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** "<file>: cannot read (<reason>)": Node's own message names no path for a directory ("EISDIR: illegal operation on a directory, read"). */
const cannotRead = (file: string, e: unknown): string => `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;

/** A file's text, or the error `fail` makes from "<file>: cannot read (<reason>)". */
export function readTextFile(file: string, fail: (message: string) => Error): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw fail(cannotRead(file, e));
  }
}

/** A file's bytes, or an error "<file>: cannot read (<reason>)"; one larger than `maxBytes` is refused before it is read. */
export function readFileBytes(file: string, maxBytes = Infinity): Buffer {
  try {
    const { size } = statSync(file);
    if (size > maxBytes) throw new Error(`too large: ${size.toLocaleString('en')} bytes, at most ${maxBytes.toLocaleString('en')}`);
    return readFileSync(file);
  } catch (e) {
    throw new Error(cannotRead(file, e));
  }
}

/** A file about to be read as a stream, checked first: a stream fails on a directory only at its first read, naming no path. */
export function streamableFile(file: string): string {
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' });
  } catch (e) {
    throw new Error(cannotRead(file, e));
  }
  return file;
}

/** "<file>: cannot write (<reason>)", as cannotRead says it of a file read. */
export const cannotWrite = (file: string, e: unknown): string => `${file}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;

/**
 * A file about to be written, checked before the work that makes its content: a directory in its
 * place, a folder that does not exist or one that may not be written to is named then, not after.
 */
export function writableFile(file: string): string {
  try {
    const stat = statSync(file, { throwIfNoEntry: false });
    if (stat?.isDirectory()) throw Object.assign(new Error('a directory'), { code: 'EISDIR' });
    accessSync(stat ? file : dirname(file), constants.W_OK);
  } catch (e) {
    throw new Error(cannotWrite(file, e));
  }
  return file;
}

/**
 * A folder about to be written into (made if missing; with `makesParents`, its missing parents too),
 * checked before any work: a file in its place, or a parent that is not a writable folder, is named
 * then (round 49: `export parquet FILE` failed with DuckDB's own "IO Error", `backup FILE` with a pathless ENOTDIR).
 */
export function writableFolder(dir: string, makesParents = false): string {
  try {
    let at = dir;
    let stat = statSync(at, { throwIfNoEntry: false });
    while (!stat && dirname(at) !== at && (makesParents || at === dir)) stat = statSync((at = dirname(at)), { throwIfNoEntry: false });
    if (!stat) throw Object.assign(new Error('no such folder'), { code: 'ENOENT' });
    if (!stat.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(at, constants.W_OK);
  } catch (e) {
    throw new Error(cannotWrite(dir, e));
  }
  return dir;
}

/** A folder about to be read, checked first: missing, or a file in its place, is named with the folder's path. */
export function readableFolder(dir: string): string {
  try {
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    accessSync(dir, constants.R_OK | constants.X_OK);
  } catch (e) {
    throw new Error(cannotRead(dir, e));
  }
  return dir;
}

/** A hidden file beside `file` (same folder, so same file system: the rename is atomic) that it is written as. */
const partOf = (file: string): string => join(dirname(file), `.${basename(file)}.${process.pid}-${randomBytes(4).toString('hex')}.part`);

/**
 * A new, empty part for `file`, made with the permissions of the file it replaces (an output the user
 * made owner-only is never readable by others, not even while it is written), or fails naming `file`.
 */
function newPart(file: string): { part: string; mode: number | null } {
  const part = partOf(file);
  try {
    const old = statSync(file, { throwIfNoEntry: false });
    const mode = old?.isFile() ? old.mode & 0o7777 : null;
    writeFileSync(part, '', { flag: 'wx', mode: mode ?? 0o666 });
    return { part, mode };
  } catch (e) {
    throw new Error(cannotWrite(file, e));
  }
}

/** Puts the written part in the file's place (with the old file's permissions, which the umask may have narrowed), or fails with "<file>: cannot write (<reason>)". */
function renameInto({ part, mode }: { part: string; mode: number | null }, file: string): void {
  try {
    if (mode !== null) chmodSync(part, mode);
    renameSync(part, file);
  } catch (e) {
    throw new Error(cannotWrite(file, e));
  }
}

/**
 * Writes `file` whole or not at all: `write` writes a part beside it (made empty, to be written over),
 * which replaces `file` only once `write` has finished. Round 49: a failure midway (a bad row, a full
 * disk, a kill) left a partial output that looked complete; now `file` keeps its old contents, or stays absent.
 */
export async function writeAtomically<T>(file: string, write: (part: string) => Promise<T>): Promise<T> {
  const made = newPart(file);
  try {
    const result = await write(made.part);
    renameInto(made, file);
    return result;
  } finally {
    rmSync(made.part, { force: true });
  }
}

/** Writes a file whole or not at all (as writeAtomically), or fails with "<file>: cannot write (<reason>)" (Node's own message names no path for a directory). */
export function writeTextFile(file: string, content: string | Uint8Array): void {
  const made = newPart(file);
  try {
    try {
      writeFileSync(made.part, content);
    } catch (e) {
      throw new Error(cannotWrite(file, e));
    }
    renameInto(made, file);
  } finally {
    rmSync(made.part, { force: true });
  }
}
