import { readFileSync, statSync } from 'node:fs';

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

/** A file's bytes, or an error "<file>: cannot read (<reason>)". */
export function readFileBytes(file: string): Buffer {
  try {
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
