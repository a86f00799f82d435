import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface AbbreviationFile {
  expand: Record<string, string>;
  stopWords: string[];
}

const abbreviations = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../data/geo/abbreviations.json', import.meta.url)), 'utf8'),
) as AbbreviationFile;
const EXPAND = new Map(Object.entries(abbreviations.expand));
const STOP = new Set(abbreviations.stopWords);

const FOLD: Record<string, string> = { ß: 'ss', ø: 'o', æ: 'ae', œ: 'oe', ł: 'l', đ: 'd', ı: 'i', þ: 'th' };
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

export const hasCjk = (s: string): boolean => CJK.test(s);

/**
 * Folds case, accents and punctuation so that spellings of one name meet: "Technische
 * Universität München" and "TECHNISCHE UNIVERSITAT MUNCHEN" give the same text. Words glued
 * together by a missing separator ("BerlinGermany") are split at the case change first.
 */
export function foldText(s: string): string {
  return s
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
  const out: string[] = [];
  for (const raw of foldText(s).split(' ')) {
    if (raw === '' || STOP.has(raw) || (!keepNumbers && /^\d+$/.test(raw))) continue;
    const expanded = EXPAND.get(raw) ?? raw;
    for (const t of expanded.split(' ')) out.push(singular(t));
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

/** Splits an affiliation into its comma/semicolon parts, the unit places and names live in. */
export function segments(raw: string): string[] {
  return raw
    .split(/[,;，；、\n\t|]+|\s[-–—]\s|\(|\)/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
