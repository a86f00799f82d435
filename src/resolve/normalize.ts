import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface AbbreviationFile {
  expand: Record<string, string>;
  /** Abbreviations that stand for more than one word: the readings besides `expand`'s. */
  alternatives?: Record<string, string[]>;
  stopWords: string[];
  /** A place's one spelling (the registry city's) and the others it is written in ("milan": "milano", "mailand"). */
  placeSpellings: Record<string, string[]>;
  /** Phrases saying the institution after them is an address the author had or has ("Currently at"). */
  careerNotes: string[];
  /** Kind abbreviations written before the field words they are "of" ("Harbin Univ Eng"), also read after them. */
  kindsBeforeFields?: { words: string[] };
  /** Per language, the words an abbreviation stands for in that language's names ("polytech": "polytechnique" in French). */
  ownLanguage: Record<string, Record<string, string[]>>;
}

const abbreviations = JSON.parse(readFileSync(fileURLToPath(new URL('../../data/geo/abbreviations.json', import.meta.url)), 'utf8')) as AbbreviationFile;
const EXPAND = new Map(Object.entries(abbreviations.expand));
const STOP = new Set(abbreviations.stopWords);
const ALTERNATIVES = new Map(Object.entries(abbreviations.alternatives ?? {}));
const PLACE_SPELLING = new Map(Object.entries(abbreviations.placeSpellings).flatMap(([one, others]) => others.map((o) => [o, one] as const)));
const OWN_LANGUAGE = Object.entries(abbreviations.ownLanguage).map(([language, words]) => ({ language, words: new Map(Object.entries(words)) }));
export const ABBREVIATIONS_FILE = 'data/geo/abbreviations.json';

/** What an abbreviation is read as ("technol" → "technology"), or null for a word that is no abbreviation. */
export const expansionOf = (word: string): string | null => EXPAND.get(word) ?? null;

/** Whether a folded word is a stop word ("of", "les"), which names leave out. */
export const isStopWord = (word: string): boolean => STOP.has(word);

/** The other words an abbreviation may stand for ("elect": "electronic" besides "electrical"). */
export const otherReadings = (word: string): readonly string[] => ALTERNATIVES.get(word) ?? [];

const KINDS_BEFORE_FIELDS = new Set(abbreviations.kindsBeforeFields?.words ?? []);

/** Whether a folded word is a kind abbreviation that may be written before the field words it names ("univ": data/geo/abbreviations.json kindsBeforeFields). */
export const isKindBeforeFields = (word: string): boolean => KINDS_BEFORE_FIELDS.has(word);

const FOLD: Record<string, string> = { ß: 'ss', ø: 'o', æ: 'ae', œ: 'oe', ł: 'l', đ: 'd', ı: 'i', þ: 'th' };
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

export const hasCjk = (s: string): boolean => CJK.test(s);

/**
 * Format characters (Unicode category Cf: soft hyphen, zero-width space, joiner and non-joiner, word joiner, byte order
 * mark, direction marks and isolates): invisible, so "Tech\u00adnology" reads as "Technology" to whoever sees it, and
 * must to whatever compares names too, the word joined, not split.
 */
export const INVISIBLE = /\p{Cf}/gu;

/** The text without its invisible format characters. */
export const withoutInvisibles = (s: string): string => s.replace(INVISIBLE, '');

/**
 * Trademark, registered and copyright signs (™ ® © ℠) say nothing of whom a name names, and NFKC would spell some out as
 * letters ("DJI™" as "DJITM"): a sign glued before a word parts the words ("Huawei®Technologies"), any other goes.
 */
const withoutTrademarks = (s: string): string => s.replace(/[\u2122\u00ae\u00a9\u2120]+(?=[\p{L}\p{N}])/gu, ' ').replace(/[\u2122\u00ae\u00a9\u2120]+/g, '');

/**
 * A name as a user typed or pasted it, read as derisk reads every such name: invisible format characters and trademark signs removed, then
 * compatibility forms folded (full-width "ＮＵＤＴ", ligatures) by NFKC, spacing as written. Removed first, so that a
 * zero-width space pasted before an accent leaves the letter and its accent to compose.
 */
export const asTypedKeepingSpaces = (s: string): string => withoutTrademarks(withoutInvisibles(s)).normalize('NFKC');

/** asTypedKeepingSpaces with each run of spaces one space, and none at either end. */
export const asTyped = (s: string): string => asTypedKeepingSpaces(s).replace(/\s+/g, ' ').trim();

const LETTER_OR_DIGIT = /[0-9A-Za-z]/;

/**
 * Whether nothing is left of a name read as typed (asTyped): spaces and invisible characters alone, so there is nothing
 * to resolve or screen. An ASCII letter or digit always remains, which spares reading most strings of an ingest.
 */
export const isBlank = (s: string): boolean => !LETTER_OR_DIGIT.test(s) && asTyped(s) === '';

/**
 * Whether a name has no letter or digit (Unicode \p{L}, \p{N}) once its invisible characters are gone: "\u200b,\u200b"
 * leaves "," and names nobody. Read before NFKC, which spells a symbol out in letters ("™" as "TM", "㍿" as "株式会社"):
 * a symbol alone names nobody either. Stricter than isBlank, for names that stand alone (a patent applicant);
 * affiliations keep isBlank.
 */
export const hasNoLetterOrDigit = (s: string): boolean => !LETTER_OR_DIGIT.test(s) && !/[\p{L}\p{N}]/u.test(withoutInvisibles(s));

/**
 * The key typed names are compared by: asTyped in lower case. Normalised again, as lower-casing may leave a letter and
 * a mark NFKC composes ("Ά\u0345" becomes "ά\u0345", one letter "ᾴ"): the key of a key is the key.
 */
export const typedKey = (s: string): string => asTyped(s).toLowerCase().normalize('NFKC');

/**
 * Folds case, accents and punctuation so that spellings of one name meet: "Technische
 * Universität München" and "TECHNISCHE UNIVERSITAT MUNCHEN" give the same text. Words glued
 * together by a missing separator ("BerlinGermany") are split at the case change first.
 */
export function foldText(s: string): string {
  const known = foldedTexts.get(s);
  if (known !== undefined) return known;
  const folded = fold(s);
  if (foldedTexts.size >= FOLDED_KEPT) foldedTexts.clear();
  foldedTexts.set(s, folded);
  return folded;
}

/**
 * Folded texts kept (then forgotten all at once): the parts of affiliation strings recur ("Beijing",
 * "China", a university's name) and the resolver folds each many times.
 */
const FOLDED_KEPT = 100_000;
const foldedTexts = new Map<string, string>();

/**
 * A word written as an acronym: in capitals ("UNAM"), or short and mostly capitals with a small letter ("CNyN", "LaRC",
 * "IMSc"). A proper name written in two words' capitals ("HafenCity", "McGill", "BerlinGermany") is none, nor is a
 * longer word styled so ("PReCISE"), which may be a registry's word for another institution.
 */
export const isAcronym = (word: string): boolean => {
  if (!/[a-z]/.test(word)) return true;
  const capitals = word.replace(/[^A-Z]/g, '').length;
  return word.length <= 5 && capitals >= 2 && capitals > word.replace(/[^a-z]/g, '').length;
};

/**
 * "Pays de lAdour", "dellEnergia": an elided article that lost its apostrophe is still the article glued to the word, as
 * "l'Adour" folds, and not a word of its own split at the capital.
 */
const ELIDED_ARTICLE = /(?<![\p{L}\p{N}])(l|d|dell|nell|dall|sull)(?=[AEIOUÀ-ÖØ-Ý]\p{Ll})/gu;

function fold(s: string): string {
  // An acronym with a small letter is one word, not two glued ("LaRC" is not "La RC").
  const acronymsWhole = withoutTrademarks(withoutInvisibles(s)).replace(/\b[A-Z][A-Za-z]{1,9}\b/g, (w) => (/[a-z]/.test(w) && isAcronym(w) ? w.toLowerCase() : w));
  return acronymsWhole
    .replace(ELIDED_ARTICLE, '$1’')
    .replace(/([a-z\u00df-\u00ff])([A-Z])/g, '$1 $2')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[ßøæœłđıþ]/g, (c) => FOLD[c] ?? c)
    .replace(/&/g, ' and ')
    .replace(/['’`´]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** Tokens of a name with abbreviations expanded, stop words (and, unless kept, numbers) dropped and plurals folded. */
export function nameTokens(s: string, keepNumbers = false): string[] {
  return wordsRead(s, keepNumbers).flatMap((w) => w.tokens);
}

/** Each word of a name as nameTokens reads it (its tokens, none for a stop word) and as it is written, folded. */
function wordsRead(s: string, keepNumbers = false): { raw: string; tokens: string[] }[] {
  const out: { raw: string; tokens: string[] }[] = [];
  for (const raw of foldText(s).split(' ')) {
    if (raw === '' || STOP.has(raw) || (!keepNumbers && /^\d+$/.test(raw))) continue;
    // A plural abbreviation ("Univs", "Depts") is the abbreviation: read once, a name reads the same twice. A place's
    // spelling in another language is the registry city's ("Politecn Milan" is "Politecnico di Milano").
    const expanded = EXPAND.get(raw) ?? EXPAND.get(singular(raw)) ?? PLACE_SPELLING.get(raw) ?? raw;
    out.push({
      raw,
      tokens: expanded
        .split(' ')
        .map(singular)
        .filter((one) => !STOP.has(one)),
    });
  }
  return out;
}

/** Readings of a part at most: a part holds few abbreviations with a word in one language. */
const OWN_READINGS_KEPT = 32;

/**
 * The readings of a name whose abbreviations stand for a word in one language, each read as that word or as usual
 * ("Ecole Polytech Fed Lausanne" as "ecole polytechnique federale lausanne" in French), in that language's name. Each
 * reading has as many tokens as nameTokens' (an abbreviation read as one word either way), so a token's place is the
 * same in both; the usual reading is not among them. None when no word has a reading in any language.
 */
export function ownLanguageReadings(s: string): { language: string; tokens: string[] }[] {
  const words = wordsRead(s);
  const out: { language: string; tokens: string[] }[] = [];
  for (const { language, words: own } of OWN_LANGUAGE) {
    const choices = words.map(({ raw, tokens }) => [tokens, ...(tokens.length === 1 ? (own.get(raw) ?? own.get(singular(raw)) ?? []).map((w) => [w]) : [])]);
    if (choices.every((c) => c.length === 1)) continue;
    let readings: string[][][] = [[]];
    for (const c of choices) readings = readings.flatMap((r) => c.map((t) => [...r, t])).slice(0, OWN_READINGS_KEPT);
    for (const r of readings.slice(1)) out.push({ language, tokens: r.flat() });
  }
  return out;
}

function singular(t: string): string {
  if (t.length > 4 && t.endsWith('ies')) return `${t.slice(0, -3)}y`;
  if (t.length > 4 && t.endsWith('s') && !/(ss|us|is|os)$/.test(t)) return t.slice(0, -1);
  return t;
}

/** The exact-match key: tokens in order. */
export const nameKey = (s: string): string => nameTokens(s).join(' ');

/** The order-free key: "Univ Oxford" meets "Oxford University". */
export const bagKey = (tokens: string[]): string => [...tokens].sort().join(' ');

/** Spacing accents as PDF extraction leaves them, detached from their letter, and the combining mark each stands for. */
const SPACING_ACCENT: Record<string, string> = { '´': '\u0301', '`': '\u0300', '¨': '\u0308', ˆ: '\u0302', '˜': '\u0303', '˚': '\u030a', ˇ: '\u030c', '¸': '\u0327' };
const DETACHED_ACCENT = /(\p{L})? ?(?:([´`¨ˆ˜˚ˇ¸])|\s([\u0300-\u036f])) ?(\p{L})/gu;
const ENTITIES: Record<string, string> = { quot: '"', amp: '&', apos: "'", lt: '<', gt: '>', nbsp: ' ', szlig: 'ß', oslash: 'ø', aelig: 'æ' };
/** "&eacute;", "&ouml;": a letter and the accent HTML names after it. */
const ACCENT_ENTITY: Record<string, string> = { acute: '\u0301', grave: '\u0300', uml: '\u0308', circ: '\u0302', tilde: '\u0303', cedil: '\u0327', ring: '\u030a', caron: '\u030c' };
const EMAIL = /(?:e-?mail|electronic address)?\s*:?\s*([\p{L}\d._%+-]+)@[\p{L}\d-]+(?:\.[\p{L}\d-]+)+/giu;
/** Words that open a new institution or unit when a stray footnote number precedes them. */
const OPENS_UNIT = /\s\d{1,2}\s+(?=(?:Department|Dept|Institute|Inst|School|Faculty|Division|Laboratory|Lab|Center|Centre|College|University|Univ|Hospital|Unit|Program|Graduate)\b)/g;

export interface Cleaned {
  text: string;
  /** What was repaired, for the evidence ("e-mail address removed"). */
  repairs: string[];
}

/**
 * Repairs what exports and PDF extraction do to affiliation strings before anything reads them:
 * invisible format characters (a soft hyphen left by hyphenation) are removed, joining the word;
 * `#TAB#`, `#N#`, `¶` and tabs become separators; HTML entities are decoded; e-mail addresses
 * are removed (keeping a place glued to their front: "Chinazhang@…" keeps "China" when
 * `isPlace` knows it); postcodes glued to words are split off; footnote marks (∗ † ‡ §,
 * superscripts, a stray number before "Department") separate institutions; accents detached
 * from their letter ("Universit ´e", "´Ecole", "Universit¨at") are put back.
 */
export function cleanAffiliation(raw: string, isPlace: (word: string) => boolean = () => false): Cleaned {
  const repairs: string[] = [];
  const step = (what: string, re: RegExp, by: string | ((...m: string[]) => string)) => {
    const next = text.replace(re, by as string);
    if (next !== text) repairs.push(what);
    text = next;
  };
  let text = raw;
  step('invisible characters (soft hyphens, zero-width spaces and joiners, direction marks) removed', INVISIBLE, '');
  step('export separators (#TAB#, #N#, ¶, tabs, line breaks) read as separators', /#TAB#|#N#|¶|[\t\r\n\u2028\u2029]+/g, ', ');
  step('HTML entities decoded', /&(?:#(\d{1,6})|#x([0-9a-f]{1,6})|([a-z]{2,6}));/gi, (m, dec, hex, name) => {
    const code = dec ? Number(dec) : hex ? parseInt(hex, 16) : null;
    if (code !== null) return code > 0 && code < 0x110000 ? String.fromCodePoint(code) : m;
    const accent = ACCENT_ENTITY[name!.slice(1)];
    if (accent) return `${name![0]}${accent}`.normalize('NFC');
    return ENTITIES[name!.toLowerCase()] ?? m;
  });
  // "<org_name>University of Maribor, Slovenia</org_name>": a publisher's markup around the affiliation.
  step('markup tags removed', /<\/?[a-z][\w:-]*>/gi, ' ');
  step('e-mail address removed', EMAIL, (_m, local) => {
    // "Chinazhang.san@…": an address glued to the word before it; keep that word if it is a place.
    for (let n = Math.min(local!.length - 1, 40); n >= 4; n--) {
      const head = local!.slice(0, n);
      if (/^\p{Lu}/u.test(head) && isPlace(foldText(head))) return ` ${head} `;
    }
    return ' ';
  });
  // "GmbH" is one word: read at its change of case it would be "Gmb H", which no legal form is.
  step('legal forms written in mixed case (GmbH, gGmbH, KGaA) read as one word', /\b(g?GmbH|mbH|KGaA)\b/g, (m) => m.toLowerCase());
  step('detached accents rejoined', DETACHED_ACCENT, (_m, before, spacing, combining, letter) => {
    const mark = spacing ? SPACING_ACCENT[spacing]! : combining!;
    const composed = `${letter}${mark}`.normalize('NFC');
    // A lower-case letter continues the word before it ("Universit ´e"); a capital starts one ("´Ecole").
    if (!before) return composed;
    return /\p{Lu}/u.test(letter!) ? `${before} ${composed}` : `${before}${composed}`;
  });
  step('postcode glued to a word split off', /(\p{L})(\d{4,})|(\d{4,})(\p{L}{2})/gu, (_m, l1, d1, d2, l2) => (l1 ? `${l1} ${d1}` : `${d2} ${l2}`));
  step('footnote marks read as separators', /\s*[∗*†‡§‖⁎¹²³⁴⁵⁶⁷⁸⁹⁰]+\s*/g, ', ');
  step('footnote number before a new unit read as a separator', OPENS_UNIT, ', ');
  text = text.replace(/\s+/g, ' ').replace(/^[\s,;]+|[\s,;]+$/g, '');
  return { text, repairs };
}

/** A letter of a note phrase in either case: the phrase is matched case by case, since a capital after it marks where a glued name begins. */
const eitherCase = (phrase: string) => phrase.replace(/\p{L}/gu, (c) => `[${c}${c.toUpperCase()}]`).replace(/ /g, '\\s*');
/**
 * A note opening a part ("Currently at", "Present address:"), ended by a separator or, glued to the name after it as
 * exports leave it ("Currently atGoogle"), by a capital after a small letter.
 */
const CAREER_NOTE = new RegExp(`(^|[,;]\\s*)(${abbreviations.careerNotes.map(eitherCase).join('|')})(?:(?=[\\s:.,\\-–])|(?<=\\p{Ll})(?=\\p{Lu}))[\\s:.\\-–]*`, 'gu');

/**
 * Takes out the notes that say an institution is the author's present or former address ("Currently atJohnson & Johnson
 * Vision", "Present address: Google"): their words are no part of the name after them, which read with them is only
 * found inside a longer text. The text without them and the notes as written; null when the text has none.
 */
export function withoutCareerNotes(text: string): { text: string; notes: string[] } | null {
  const notes: string[] = [];
  const next = text
    .replace(CAREER_NOTE, (_, before: string, note: string) => {
      notes.push(note);
      return before;
    })
    .trim();
  return next === text || next === '' ? null : { text: next, notes };
}

/** Splits an affiliation into its comma/semicolon parts, the unit places and names live in. */
export function segments(raw: string): string[] {
  return raw
    .split(/[,;，；、\n\t|]+|\s[-–—]\s|\(|\)/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** German umlauts and how they are spelt without them. */
const UMLAUT_SPELT: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue' };

/**
 * Adds the words with German umlauts of `name` to `words`, by their spelling without them ("universitaet" →
 * "universität", "duesseldorf" → "düsseldorf"). Only those words are read back with umlauts: "ae" in "Raphael" or
 * "Israel" is no umlaut, as no name holds "Raphäl". A word shorter than four letters ("TU/e" is no "Tü") is too likely
 * another's.
 */
export function addUmlautWords(words: Map<string, string>, name: string): void {
  if (!/[äöüÄÖÜ]/.test(name)) return;
  for (const word of name.toLowerCase().match(/\p{L}+/gu) ?? [])
    if (/[äöü]/.test(word) && word.length >= 4)
      words.set(
        word.replace(/[äöü]/g, (c) => UMLAUT_SPELT[c]!),
        word,
      );
}

/** `text` with each word of `words` spelt without its umlauts written with them, and the words read so. */
export function restoreUmlauts(words: Map<string, string>, text: string): { text: string; read: string[] } {
  const read: string[] = [];
  const restored = text.replace(/\p{L}+/gu, (word) => {
    const umlauts = /(ae|oe|ue)/i.test(word) ? words.get(word.toLowerCase()) : undefined;
    if (umlauts === undefined) return word;
    const written = word[0] === word[0]!.toUpperCase() ? umlauts[0]!.toUpperCase() + umlauts.slice(1) : umlauts;
    read.push(`"${word}" as "${written}"`);
    return written;
  });
  return { text: restored, read };
}
