import { readFileSync } from 'node:fs';

/** A file's text, or the error `fail` makes from "<file>: cannot read (<reason>)". */
export function readTextFile(file: string, fail: (message: string) => Error): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw fail(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
