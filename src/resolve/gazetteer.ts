import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { foldText, hasCjk, segments } from './normalize.ts';

interface PlacesFile {
  notACountry: string[];
  countryAliases: Record<string, string[]>;
  placesByCountry: Record<string, { subdivisions?: string[]; postalCodes?: string[] }>;
  ambiguousPlaces: Record<string, { meanings: string[] }>;
}

const places = JSON.parse(readFileSync(fileURLToPath(new URL('../../data/geo/places.json', import.meta.url)), 'utf8')) as PlacesFile;
const CLDR_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'zh'];
/** Places that sit inside China's statistics area but are counted apart from it. */
const APART_FROM_CN = new Set(['HK', 'MO', 'TW']);

export interface PlaceSource {
  countryCode: string | null;
  countryName: string | null;
  city: string | null;
}

/** What one reading of the string found, before the list of every named country is added. */
type Finding = Omit<CountryFinding, 'named'>;

export interface CountryFinding {
  countryCode: string | null;
  evidence: string;
  /** Whether a country or a place in it is named outright, as opposed to inferred from a city. */
  explicit: boolean;
  /** Every country the string names outright; a string may hold several addresses. */
  named: string[];
}

/**
 * Knows which words name a country or a place in one. Country names come from CLDR and the
 * registry; cities come from the registry's own locations and count only where one country
 * clearly dominates (so "Cambridge" decides nothing, "Wuhan" decides China).
 */
export class Gazetteer {
  private readonly countries = new Map<string, string>();
  private readonly subdivisions = new Map<string, string>();
  private readonly cities = new Map<string, string>();
  private readonly usPostal = new Set(places.placesByCountry.US?.postalCodes ?? []);
  private readonly ambiguous = new Map(Object.entries(places.ambiguousPlaces).map(([k, v]) => [foldText(k), v.meanings]));
  private readonly cjkNames: [string, string][] = [];
  readonly countryNames = new Map<string, string>();

  constructor(registry: Iterable<PlaceSource>) {
    const skip = new Set(places.notACountry);
    const english = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
    for (const lang of CLDR_LANGUAGES) {
      const names = new Intl.DisplayNames([lang], { type: 'region', fallback: 'code' });
      for (let a = 65; a <= 90; a++) {
        for (let b = 65; b <= 90; b++) {
          const code = String.fromCharCode(a, b);
          const name = names.of(code);
          if (!name || name === code || skip.has(code)) continue;
          this.addCountryName(name, code);
          if (lang === 'en') this.countryNames.set(code, english.of(code) ?? code);
        }
      }
    }
    for (const [code, aliases] of Object.entries(places.countryAliases)) for (const alias of aliases) this.addCountryName(alias, code);
    for (const [code, p] of Object.entries(places.placesByCountry)) for (const s of p.subdivisions ?? []) this.addPlace(this.subdivisions, s, code);
    const cityVotes = new Map<string, Map<string, number>>();
    for (const inst of registry) {
      if (!inst.countryCode) continue;
      if (inst.countryName) this.addCountryName(inst.countryName, inst.countryCode);
      if (!inst.city) continue;
      const key = foldText(inst.city);
      if (key.length < 3) continue;
      const votes = cityVotes.get(key) ?? new Map<string, number>();
      votes.set(inst.countryCode, (votes.get(inst.countryCode) ?? 0) + 1);
      cityVotes.set(key, votes);
    }
    for (const [city, votes] of cityVotes) {
      if (this.countries.has(city) || this.ambiguous.has(city)) continue;
      const total = [...votes.values()].reduce((a, b) => a + b, 0);
      const [best, n] = [...votes.entries()].sort((x, y) => y[1] - x[1])[0]!;
      if (n / total >= 0.9) this.cities.set(city, best);
    }
  }

  private addCountryName(name: string, code: string): void {
    if (hasCjk(name)) this.cjkNames.push([name, code]);
    const key = foldText(name);
    if (key === '' || this.ambiguous.has(key)) return;
    if (!this.countries.has(key)) this.countries.set(key, code);
  }

  private addPlace(map: Map<string, string>, name: string, code: string): void {
    if (hasCjk(name)) this.cjkNames.push([name, code]);
    const key = foldText(name);
    if (key !== '' && !this.ambiguous.has(key)) map.set(key, code);
  }

  /**
   * The ISO code a country name stands for ("Czechia", "Peoples R China", "Deutschland"), if
   * any. Read as a country name, an ambiguous one ("Georgia") means its first sense: the country.
   */
  countryCodeOf(name: string): string | null {
    const key = foldText(name);
    return this.countries.get(key) ?? this.ambiguous.get(key)?.[0] ?? null;
  }

  /** Whether a folded word is a country, region or city name. */
  isPlace(word: string): boolean {
    return this.countries.has(word) || this.subdivisions.has(word) || this.cities.has(word);
  }

  /** The country an affiliation string names, reading its parts from the end as addresses are written. */
  detect(raw: string): CountryFinding {
    const finding = this.detectMain(raw);
    const named = new Set<string>();
    if (finding.explicit && finding.countryCode) named.add(finding.countryCode);
    for (const part of segments(raw).map(placeText)) {
      const code = this.countries.get(part);
      if (code) named.add(code);
    }
    return { ...finding, named: [...named] };
  }

  private detectMain(raw: string): Finding {
    if (hasCjk(raw)) {
      const cjk = this.detectCjk(raw);
      if (cjk) return cjk;
    }
    // A part with a house number ("Carrer de Palau 3") is a street, whatever its words.
    const parts = segments(raw).map((s) => (STREET_NUMBER.test(s) ? '' : placeText(s)));
    const last = parts.length - 1;
    // Addresses end with their country, or else with their city: "Norfolk, VA 23504 USA" and
    // "…, Palau, Barcelona" are decided by their last part before any earlier one is read.
    let found: Finding | null = last >= 0 ? (this.countryIn(parts[last]!, parts, last) ?? this.trailingCountry(parts[last]!, parts) ?? this.placeIn(parts[last]!, raw)) : null;
    for (let i = last - 1; i >= 0 && !found; i--) found = this.countryIn(parts[i]!, parts, i);
    for (let i = last - 1; i >= 0 && !found; i--) found = this.placeIn(parts[i]!, raw);
    if (!found) return { countryCode: null, evidence: 'no country or known place named', explicit: false };
    if (found.countryCode === 'CN') {
      // WoS writes "Hong Kong, Peoples R China"; HK, MO and TW are kept apart from CN.
      for (const p of parts) {
        const code = this.countries.get(p) ?? this.cities.get(p);
        if (code && APART_FROM_CN.has(code)) return { countryCode: code, evidence: `"${p}" is in ${code}, which is counted apart from CN`, explicit: true };
      }
    }
    return found;
  }

  private countryIn(part: string, parts: string[], index: number): Finding | null {
    const ambiguous = this.ambiguous.get(part);
    if (ambiguous) return this.disambiguate(part, ambiguous, parts.filter((_, j) => j !== index));
    const code = this.countries.get(part);
    return code ? { countryCode: code, evidence: `"${part}" names ${code}`, explicit: true } : null;
  }

  /** "Technische Universität Berlin Germany": a country name at the end of a part with no commas. */
  private trailingCountry(part: string, parts: string[]): Finding | null {
    const words = part.split(' ');
    for (let n = Math.min(4, words.length - 1); n >= 1; n--) {
      const tail = words.slice(-n).join(' ');
      const ambiguous = this.ambiguous.get(tail);
      if (ambiguous) return this.disambiguate(tail, ambiguous, [...parts.slice(0, -1), words.slice(0, -n).join(' ')]);
      const code = this.countries.get(tail);
      if (code) return { countryCode: code, evidence: `"${tail}" at the end names ${code}`, explicit: true };
    }
    return null;
  }

  private placeIn(part: string, raw: string): Finding | null {
    const sub = this.subdivisions.get(part);
    if (sub) return { countryCode: sub, evidence: `"${part}" is a region of ${sub}`, explicit: true };
    if (this.usPostal.has(part.toUpperCase()) && /\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b/.test(raw)) {
      return { countryCode: 'US', evidence: `"${part.toUpperCase()}" with a ZIP code is a US state`, explicit: true };
    }
    const city = this.cities.get(part);
    if (city) return { countryCode: city, evidence: `"${part}" is a city in ${city}`, explicit: false };
    return null;
  }

  private disambiguate(name: string, meanings: string[], others: string[]): Finding {
    for (const other of others) {
      const code = this.countries.get(other) ?? this.subdivisions.get(other) ?? this.cities.get(other);
      if (code && meanings.includes(code)) return { countryCode: code, evidence: `"${name}" read as ${code} because "${other}" is in ${code}`, explicit: true };
      const postal = other.toUpperCase();
      if (meanings.includes('US') && (this.usPostal.has(postal) || /^\d{5}$/.test(other))) return { countryCode: 'US', evidence: `"${name}" read as the US state because of "${other}"`, explicit: true };
    }
    return { countryCode: meanings[0] ?? null, evidence: `"${name}" read as ${meanings[0]} (no other place in the string)`, explicit: true };
  }

  private detectCjk(raw: string): Finding | null {
    let best: [string, string] | null = null;
    for (const [name, code] of this.cjkNames) {
      if (!raw.includes(name)) continue;
      if (!best || (APART_FROM_CN.has(code) && !APART_FROM_CN.has(best[1]))) best = [name, code];
    }
    return best ? { countryCode: best[1], evidence: `"${best[0]}" names ${best[1]}`, explicit: true } : null;
  }
}

/** A standalone number of one to three digits: a house number, not a postal code. */
const STREET_NUMBER = /(^|\s)\d{1,3}[a-z]?(\s|$)/i;

/** A part of an address with postal codes and numbers taken out: "Wuhan 430074" → "wuhan". */
function placeText(segment: string): string {
  return foldText(segment)
    .split(' ')
    .filter((w) => !/\d/.test(w) && w !== 'cedex')
    .join(' ');
}
