import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Cyrillic and Greek letters that look like Latin ones (Unicode TR39 confusables.txt, with its provenance). */
export const LOOK_ALIKES_FILE = 'data/screening/look-alikes.json';

interface LookAlike {
  char: string;
  code: string;
  name: string;
  latin: string;
}

let table: { map: Map<string, LookAlike>; any: RegExp } | null = null;
function lookAlikes(): { map: Map<string, LookAlike>; any: RegExp } {
  if (table) return table;
  const letters = JSON.parse(readFileSync(fileURLToPath(new URL(`../../${LOOK_ALIKES_FILE}`, import.meta.url)), 'utf8')).letters as LookAlike[];
  // Most names hold none of the letters: one test of the whole name settles them.
  return (table = { map: new Map(letters.map((l) => [l.char, l])), any: new RegExp(`[${letters.map((l) => l.char).join('')}]`, 'u') });
}

const LATIN = /\p{Script=Latin}/u;

/** A name with its look-alike letters read as Latin ones: the text screened, and each letter so read, once. */
export interface LookAlikesRead {
  text: string;
  letters: LookAlike[];
}

/**
 * The text with the Cyrillic and Greek letters that look like Latin ones read as those ("Нuawei", Cyrillic Н, is
 * "Huawei"), in a word that mixes them with Latin letters, or in a word made only of them in a field with Latin
 * letters ("ВАЕ Systems"); undefined when there is none. A word of another script with a letter of its own
 * ("Московский", "Πανεπιστήμιο") and a field with no Latin letter are that script's names: left as written.
 */
export function lookAlikesRead(value: string): LookAlikesRead | undefined {
  const { map, any } = lookAlikes();
  if (!any.test(value) || !LATIN.test(value)) return undefined;
  const letters = new Map<string, LookAlike>();
  const text = value.replace(/\p{L}+/gu, (word) => {
    const chars = [...word];
    const alike = chars.filter((c) => map.has(c));
    if (alike.length === 0 || !chars.every((c) => map.has(c) || LATIN.test(c))) return word;
    for (const c of alike) letters.set(c, map.get(c)!);
    return chars.map((c) => map.get(c)?.latin ?? c).join('');
  });
  return letters.size > 0 ? { text, letters: [...letters.values()] } : undefined;
}

/** The look-alike letters read, in words: "Cyrillic Н (U+041D) as H, Greek Η (U+0397) as H". */
export const lookAlikesTold = (letters: LookAlike[]): string => letters.map((l) => `${l.name.startsWith('GREEK') ? 'Greek' : 'Cyrillic'} ${l.char} (${l.code}) as ${l.latin}`).join(', ');
