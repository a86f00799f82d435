import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ABBREVIATIONS_FILE, asTyped, expansionOf, foldText, hasCjk, isKindBeforeFields, isStopWord, nameTokens, otherReadings, withoutInvisibles } from '../resolve/normalize.ts';
import { LOOK_ALIKES_FILE } from './look-alikes.ts';
import { PLACEHOLDERS_FILE } from './placeholders.ts';

/** Traditional Chinese characters and their simplified forms (OpenCC, with its provenance: scripts/build-traditional-simplified.mjs). */
export const TRADITIONAL_FILE = 'data/resolve/traditional-simplified.json';
let traditional: Map<string, string> | null = null;

/** A Chinese name with every traditional character (華, 爾, 學, Taiwan and Hong Kong variants) written simplified; other characters as they are. */
export function toSimplified(value: string): string {
  traditional ??= new Map(Object.entries(JSON.parse(readFileSync(fileURLToPath(new URL(`../../${TRADITIONAL_FILE}`, import.meta.url)), 'utf8')).characters as Record<string, string>));
  const table = traditional;
  return value.replace(/[\u3400-\u9fff\uf900-\ufaff]/g, (c) => table.get(c) ?? c);
}

/** The data files screening reads names through (abbreviations, traditional characters, stock codes, placeholders, look-alike letters), as one digest: an edit to any redoes stored screening results. */
let dataDigest: string | null = null;
export function screeningDataDigest(): string {
  if (dataDigest) return dataDigest;
  const hash = createHash('sha256');
  for (const file of [ABBREVIATIONS_FILE, TRADITIONAL_FILE, 'data/screening/tickers.json', PLACEHOLDERS_FILE, LOOK_ALIKES_FILE]) hash.update(readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url))));
  return (dataDigest = hash.digest('hex').slice(0, 16));
}

/** Legal-form words that do not tell two organisations apart ("Co., Ltd." against "Company Limited"). */
const LEGAL_FORM = new Set(['co', 'ltd', 'limited', 'inc', 'incorporated', 'corp', 'corporation', 'company', 'llc', 'plc', 'gmbh', 'jsc', 'ojsc', 'pjsc', 'ooo', 'sa', 'ag']);

/** A name's words as screening reads them, legal forms kept ("Chimconnect GmbH": chimconnect, gmbh). */
export const screenWords = (value: string): string[] => wordsOf(unglueBrands(value));

/** Whether a folded word is a legal form ("gmbh", "ltd"). */
export const isLegalForm = (word: string): boolean => LEGAL_FORM.has(word);

/** Tokens a screening name is compared on: the resolver's tokens without trailing legal forms. */
export function screenTokens(value: string): string[] {
  const tokens = wordsOf(unglueBrands(value));
  tokens.length -= Math.max(0, Math.min(trailingLegalForms(tokens), tokens.length - 1));
  return tokens;
}

/** How many of the tokens' last words are legal forms ("Co", "Ltd"). */
function trailingLegalForms(tokens: string[]): number {
  let n = 0;
  while (n < tokens.length && LEGAL_FORM.has(tokens[tokens.length - 1 - n]!)) n++;
  return n;
}

/**
 * The resolver's tokens, numbers kept ("772 Research Institute", "Research Institute 63"), and a
 * name's first word, when it is a stop word written in capitals in a name written in lower case
 * too, kept as the acronym it is there: "LES Electronic" (Nanjing LES, US Entity List) is two
 * words, not "Electronic". Only the first word: "Univ Texas AT Arlington" keeps reading as the
 * university. The acronym stays in capitals, so that the tokens read again give the same tokens.
 */
function wordsOf(value: string): string[] {
  if (!/\p{Lu}{2}/u.test(value) || !/\p{Ll}/u.test(value)) return nameTokens(value, true);
  const [first, ...rest] = value.trim().split(/\s+/);
  const folded = foldText(first!);
  if (!/^\p{Lu}{2,}$/u.test(first!.replace(/[^\p{L}]/gu, '')) || !isStopWord(folded)) return nameTokens(value, true);
  // Kept only beside a word with letters that screening keeps (not a trailing legal form), so that the tokens read again are
  // still a name in lower case too ("VOOR den" and "DER Ltd" are no names).
  const others = nameTokens(rest.join(' '), true);
  const kept = others.slice(0, others.length - trailingLegalForms(others));
  if (!kept.some((t) => /\p{L}/u.test(t))) return nameTokens(value, true);
  return [folded.toUpperCase(), ...others];
}

/**
 * A word written in mixed case is one brand ("iFlytek", "SenseTime", "HiSilicon"), not two words
 * glued together: the resolver splits such words for addresses, screening must not, or "iFlytek"
 * loses its "i" and "SenseTime" differs from "Sensetime".
 */
const unglueBrands = (value: string): string =>
  withoutInvisibles(value)
    .replace(/[\p{L}\p{N}]+/gu, (w) => (/\p{Ll}\p{Lu}/u.test(w) ? w.toLowerCase() : w))
    // Capitals joined by a slash are one acronym ("A/SEU", Space Engineering University's), not the article "a" and another
    // acronym ("SEU", Southeast University's); two letters ("C/O") are an abbreviation of words, and words in capitals
    // ("IMPORT/EXPORT") stay words.
    .replace(/(?<![\p{L}\p{N}])(\p{Lu}{1,4})\/(\p{Lu}{1,4})(?![\p{L}\p{N}/])/gu, (w, a: string, b: string) => (a.length + b.length >= 3 ? a + b : w))
    // Pluses closing a word are part of the brand ("Face++", Megvii's): read as words, not dropped as punctuation, or "Face++" would be "Face".
    .replace(/(?<=[\p{L}\p{N}])\++(?![\p{L}\p{N}])/gu, (p) => ' plus'.repeat(p.length));

/** Words that say what kind of institution one is, never which one ("Institute of Technology", "National Research University"). */
export const INSTITUTION_KIND_WORDS: readonly string[] = ['university', 'institute', 'academy', 'college', 'school', 'group', 'center', 'centre', 'laboratory', 'research', 'technology', 'science', 'national', 'polytechnic', 'polytechnical', 'technical'];
const INSTITUTION_KIND = new Set(INSTITUTION_KIND_WORDS);
const GENERIC = new Set([...INSTITUTION_KIND_WORDS, 'china', 'chinese', 'limited']);
/** The words that join kind words in English names ("Institute of the Sciences and Technology"); another language's ("Del") is a name's own word. */
const JOINING = new Set(['of', 'the', 'and', 'for']);

/**
 * Whether a name is made only of words saying what kind of institution it is ("Institute of Technology", "Univ
 * Technol", "Polytechnic University"): many institutions bear it, so it identifies none by itself.
 */
export function isKindOnlyName(value: string): boolean {
  const words = foldText(value)
    .split(' ')
    .filter((w) => w !== '');
  return words.some((w) => !JOINING.has(w)) && words.every((w) => JOINING.has(w) || (nameTokens(w).length > 0 && nameTokens(w).every((t) => INSTITUTION_KIND.has(t))));
}

/**
 * A name that names nothing by itself: only legal forms and generic words ("Research Institute"),
 * or (given a test for places) one city or country. Extraction artefacts such as the alias "Beijing Co., Ltd." or
 * "Limited", or "Hong Kong" split from "AccoTest Technology Co., Ltd. (Hong Kong)", must not make every such address a hit.
 */
export function isNondistinctive(tokens: string[], isPlace: (word: string) => boolean = () => false): boolean {
  if (tokens.length === 0 || tokens.every((t) => LEGAL_FORM.has(t) || GENERIC.has(t))) return true;
  return isPlace(tokens.join(' '));
}

/** At most this many abbreviations with several readings are tried in one name (2^3 readings). */
const MAX_AMBIGUOUS = 3;

export interface Reading {
  tokens: string[];
  /** The abbreviations read otherwise than usual, in words ("Elect" as "electronic"). */
  read: string[];
}

/**
 * Every way a name's abbreviations may be read: the usual one first (as screenTokens reads it),
 * then those where an abbreviation that stands for several words ("Elect": electrical or
 * electronic, data/geo/abbreviations.json) is read otherwise.
 */
export function screenReadings(value: string): Reading[] {
  const words = foldText(unglueBrands(value)).split(' ');
  const out: Reading[] = [{ tokens: screenTokens(value), read: [] }];
  if (hasCjk(value)) return out;
  const ambiguous = words
    .map((w, i) => ({ i, w, others: otherReadings(w) }))
    .filter((x) => x.others.length > 0)
    .slice(0, MAX_AMBIGUOUS);
  let variants: { words: string[]; read: string[] }[] = [{ words, read: [] }];
  for (const a of ambiguous) variants = variants.flatMap((v) => [v, ...a.others.map((o) => ({ words: v.words.map((w, k) => (k === a.i ? o : w)), read: [...v.read, `"${a.w}" as "${o}"`] }))]);
  for (const v of variants.slice(1)) out.push({ tokens: screenTokens(v.words.join(' ')), read: v.read });
  // "Harbin Univ Eng" in the order of "Harbin Eng Univ": a kind abbreviation before field words, moved after them; the "of" it
  // stands for may be written after it ("Harbin Univ of Eng"), and it may come first ("Univ Harbin Eng"), two words after it then.
  const of = (i: number) => (words[i + 1] === 'of' ? 2 : 1);
  const kind = words.findIndex((w, i) => isKindBeforeFields(w) && words.length - i - of(i) >= (i === 0 ? 2 : 1) && words.slice(i + of(i)).every((x) => !isStopWord(x)));
  if (kind >= 0)
    for (const v of variants) {
      const moved = [...v.words.slice(0, kind), ...v.words.slice(kind + of(kind)), v.words[kind]!];
      out.push({ tokens: screenTokens(moved.join(' ')), read: [...v.read, `"${words[kind]}" after the words that follow it ("${moved.join(' ')}")`] });
    }
  const capitals = capitalsReading(value);
  if (capitals) out.push(capitals);
  return out;
}

/**
 * In a name written all in capitals, capitals cannot mark an acronym: a first word that is a stop
 * word may be one ("LES ELECTRONIC" is Nanjing LES's alias "LES Electronic"), or the article it is
 * ("LES MILLS"). Read once more with it kept as wordsOf keeps it in a name written in lower case
 * too; only a listed name written that way can match that reading.
 */
function capitalsReading(value: string): Reading | null {
  if (/\p{Ll}/u.test(value)) return null;
  const [first, ...rest] = value.trim().split(/\s+/);
  const folded = foldText(first!);
  if (rest.length === 0 || !isStopWord(folded) || !/^\p{Lu}{2,}$/u.test(first!.replace(/[^\p{L}]/gu, ''))) return null;
  const tokens = screenTokens(`${folded.toUpperCase()} ${rest.join(' ').toLowerCase()}`);
  // Nothing but numbers or stop words after it ("LES 2012"): no name of two words to read.
  if (tokens.length < 2 || tokens[0] !== folded.toUpperCase()) return null;
  return { tokens, read: [`"${first}" as a word of the name, not a stop word`] };
}

/** The abbreviations a name uses, as read ("Natl = national"), to say so in a hit's evidence. */
export function abbreviationsIn(value: string): string[] {
  if (hasCjk(value)) return [];
  const seen = new Set<string>();
  for (const w of foldText(unglueBrands(value)).split(' ')) {
    const e = expansionOf(w);
    if (e && e !== w && !LEGAL_FORM.has(e)) seen.add(`${w} = ${e}`);
  }
  return [...seen];
}

/** The evidence's note on how abbreviations were read, with the table they come from; '' when none were. */
export function readingNote(value: string, read: string[] = []): string {
  const used = abbreviationsIn(value);
  if (used.length === 0 && read.length === 0) return '';
  const parts = [...(used.length ? [`abbreviations read as ${used.join(', ')}`] : []), ...(read.length ? [`read ${read.join(', ')}`] : [])];
  return ` (${parts.join('; ')}: ${ABBREVIATIONS_FILE})`;
}

/**
 * Chinese names compare on their Han characters, traditional ones written simplified ("華為" is "华为"), and on a number
 * before Han characters: it tells a unit's code name apart (63820部队, ASPI's MUCD for CARDC; 南京841研究所), where the
 * characters alone name a kind (部队). A number ending the string is a postcode (北京航空航天大学 100191).
 */
export const cjkKey = (value: string): string => toSimplified(value.replace(/[^\u3400-\u9fff\uf900-\ufaff0-9]/g, '').replace(/[0-9]+(?![0-9\u3400-\u9fff\uf900-\ufaff])/g, ''));

export const screenKey = (value: string): string => screenKeyOf(value, null);

/** screenKey, given the value's screenTokens when they are at hand. */
export const screenKeyOf = (value: string, tokens: string[] | null): string => (hasCjk(value) && cjkKey(value).length >= 2 ? cjkKey(value) : (tokens ?? screenTokens(value)).join(' '));

/**
 * An acronym alias ("BIT", "NUDT") names an entry only when it is the whole query or segment. Read as the query is: a
 * listed "NU\u200bDT" or "ＮＵＤＴ" is the acronym NUDT.
 */
export const isAcronym = (value: string): boolean => /^[A-Z][A-Z0-9&-]{1,7}$/.test(asTyped(value));

/**
 * Whether words spell out an acronym by their initials, stop words aside, in a run of them ("Laboratory of Human Interface
 * Technology" spells HIT): the acronym is then theirs ("HIT Laboratory of Human Interface Technology" is the HIT Lab).
 */
export function spellsOut(acronym: string, words: string): boolean {
  const letters = acronym.toLowerCase().replace(/[^a-z]/g, '');
  if (letters.length < 2) return false;
  const initials = foldText(words)
    .split(' ')
    .filter((w) => w !== '' && !isStopWord(w))
    .map((w) => w[0]!)
    .join('');
  return initials.includes(letters);
}

/** Edits between two words, a swap of neighbouring letters counting as one ("Acaedmy"); stops past `limit`. */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      row.push(v);
      best = Math.min(best, v);
    }
    if (best > limit) return limit + 1;
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** Typing slips a token may carry and still be the same word: none below 5 letters. */
const allowedSlips = (token: string): number => (token.length >= 9 ? 2 : token.length >= 5 ? 1 : 0);

/**
 * How closely two token lists spell the same name, 0 when they name different things.
 * Every token must pair with one of the other's, equal or within a typing slip, so a different
 * word ("Institute" against "University", "Engineering" against "Technology") never passes, nor
 * does one of two words `distinctWords` says are both real.
 */
export function fuzzyScore(query: string[], name: string[], distinctWords: (a: string, b: string) => boolean = () => false): number {
  if (query.length !== name.length || query.length < 2) return 0;
  const free = [...name];
  let slips = 0;
  let letters = 0;
  for (const q of query) {
    letters += q.length;
    let at = free.indexOf(q);
    if (at < 0) {
      // A real word is not a misspelling of another: "Hebei" is not "Hefei", "Fuzhou" not "Suzhou".
      // Numbers are never slips: the 702nd research institute is not the 722nd.
      at = /\d/.test(q) ? -1 : free.findIndex((n) => !/\d/.test(n) && editDistance(q, n, allowedSlips(q)) <= allowedSlips(q) && !distinctWords(q, n));
      if (at < 0) return 0;
      slips += editDistance(q, free[at]!, allowedSlips(q));
    }
    free.splice(at, 1);
  }
  return 1 - slips / letters;
}

/** Share of distinct tokens two names have in common (Jaccard), for "similar names". */
export function overlap(a: string[], b: string[]): number {
  const sa = new Set(a);
  const sb = new Set(b);
  let common = 0;
  for (const t of sa) if (sb.has(t)) common++;
  return common / (sa.size + sb.size - common || 1);
}
