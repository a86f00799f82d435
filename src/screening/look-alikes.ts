import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Letters of any script that look like Latin ones (Unicode TR39 confusables.txt, with its provenance). */
export const LOOK_ALIKES_FILE = 'data/screening/look-alikes.json';

interface LookAlike {
  char: string;
  code: string;
  name: string;
  script: string;
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

const GREEK = /^\p{Script=Greek}$/u;

/**
 * The text with the letters that look like Latin ones read as those ("Нuawei", Cyrillic Н, is "Huawei"), in a word that
 * mixes them with Latin letters ("Ηυαwει": those of its letters in the table, round 50), or in a word made only of them
 * in a field with Latin letters ("ВАЕ Systems", "ETH Zurich, Һυаԝеі", "ʜᴜᴀᴡᴇɪ"); undefined when there is none. A word of
 * another script with a letter of its own ("Московский", "Πανεπιστήμιο"), a field with no Latin letter, and a lone Greek
 * letter, a science symbol ("γ-ray", "α-Synuclein"), are left as written.
 */
export function lookAlikesRead(value: string): LookAlikesRead | undefined {
  const { map, any } = lookAlikes();
  if (!any.test(value) || !LATIN.test(value)) return undefined;
  const letters = new Map<string, LookAlike>();
  const text = value.replace(/\p{L}+/gu, (word) => {
    const chars = [...word];
    const alike = chars.filter((c) => map.has(c));
    if (alike.length === 0 || (chars.length === 1 && GREEK.test(word))) return word;
    const mixed = chars.some((c) => LATIN.test(c) && !map.has(c));
    if (!mixed && alike.length < chars.length) return word;
    for (const c of alike) letters.set(c, map.get(c)!);
    return chars.map((c) => map.get(c)?.latin ?? c).join('');
  });
  return letters.size > 0 ? { text, letters: [...letters.values()] } : undefined;
}

/** The look-alike letters read, in words: "Cyrillic Н (U+041D) as H, Greek Η (U+0397) as H". */
export const lookAlikesTold = (letters: LookAlike[]): string => letters.map((l) => `${l.script} ${l.char} (${l.code}) as ${l.latin}`).join(', ');

/**
 * The words of a field with Latin letters that, their look-alike letters read as Latin ones, are Latin letters with a
 * letter of another script left among them: "Ηυαwει" is "Huawεi" (Greek ε is in no TR39 entry to a Latin letter),
 * "Һυаԝеі" is "Һuawei" (nor Cyrillic Һ). What the mention safety net compares with the listed names a letter or two
 * apart (round 50): a word that reads as a listed name beside a recognised institution is never passed as clean.
 */
export function scriptMixedWords(value: string): string[] {
  if (!LATIN.test(value)) return [];
  const { map } = lookAlikes();
  return (value.match(/\p{L}+/gu) ?? [])
    .map((word) => [...word].map((c) => map.get(c)?.latin ?? c))
    .filter((chars) => chars.some((c) => LATIN.test(c)) && chars.some((c) => !LATIN.test(c)))
    .map((chars) => chars.join(''));
}
