import { fileURLToPath } from 'node:url';
import { typedKey } from '../resolve/normalize.ts';
import { readTextFile } from '../text-file.ts';
import { ListError } from './risk-list.ts';

/**
 * Words written where a party's name goes that name nobody ("TBD", "N/A"). One list for the
 * assessment (a party not named yet) and for screening (an unknown organisation, never the
 * institution the registry happens to resolve the word to: "TBD" is Thai Binh Duong University).
 */
export const PLACEHOLDERS_FILE = 'data/assessment/placeholder-names.json';

/** How a written name is compared with the placeholders: case, spacing, invisible characters, full-width forms and a trailing full stop aside. */
export const placeholderKey = (name: string): string => typedKey(name).replace(/\.$/, '');

/** Placeholder key → why it names nobody; a bad file is refused with the error `fail` makes, naming the file. */
export function loadPlaceholders(file: string, fail: (message: string) => Error): Map<string, string> {
  const text = readTextFile(file, fail);
  let doc;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw fail(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!doc.provenance?.sources) throw fail(`${file}: the placeholder names need provenance`);
  return new Map((doc.names as { name: string; reason: string }[]).map((n) => [placeholderKey(n.name), n.reason]));
}

let bundled: Map<string, string> | null = null;

/** Why a written name is a placeholder (the repository's list), or undefined for a name. */
export function placeholderReason(name: string): string | undefined {
  bundled ??= loadPlaceholders(fileURLToPath(new URL(`../../${PLACEHOLDERS_FILE}`, import.meta.url)), (m) => new ListError(m));
  return bundled.get(placeholderKey(name));
}
