import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { countryNameGazetteer } from '../resolve/gazetteer.ts';
import { asTyped } from '../resolve/normalize.ts';

/** ISO 3166-1 alpha-2 codes, the aliases in common use and the countries the exchange counts as Europe. */
export const BUNDLED_COUNTRIES = fileURLToPath(new URL('../../data/regions/countries.json', import.meta.url));

interface CountryFile {
  codes: string[];
  aliases: Record<string, { code: string; note: string }>;
  europe: string[];
}

const file = JSON.parse(readFileSync(BUNDLED_COUNTRIES, 'utf8')) as CountryFile;
const CODES: ReadonlySet<string> = new Set(file.codes);

/** Every country whose institutions an anonymised verdict leaves out: any could be a European institution's own. */
export const EUROPE: ReadonlySet<string> = new Set(file.europe);

/**
 * The ISO 3166-1 alpha-2 code a written country stands for: a code in any case ("UK" and "EL", the
 * EU's own codes, are GB and GR, as data/regions/countries.json notes) or a name read as an
 * address's country is read ("China", "Peoples R China", "Chine", "中国"); null when it names none.
 */
export function countryCodeOf(written: string | null): string | null {
  // Read as names are: "CN" pasted with a zero-width space, or written full-width, is CN.
  const w = asTyped(written ?? '');
  if (!w) return null;
  if (/^[A-Za-z]{2}$/.test(w)) {
    const code = w.toUpperCase();
    return CODES.has(code) ? code : (file.aliases[code]?.code ?? null);
  }
  const named = countryNameGazetteer().countryCodeOf(w);
  return named !== null && CODES.has(named) ? named : null;
}
