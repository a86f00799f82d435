import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { addUmlautWords, foldText, hasCjk, nameKey, segments } from './normalize.ts';

interface PlacesFile {
  notACountry: string[];
  countryAliases: Record<string, string[]>;
  placesByCountry: Record<string, { subdivisions?: string[]; postalCodes?: string[]; cities?: string[] }>;
  ambiguousPlaces: Record<string, { meanings: string[]; cities?: Record<string, string> }>;
  placeInsideName: { links: string[]; heads: string[]; streetWords: string[] };
  postalPrefixes: { codes: Record<string, string> };
}

// Read when a gazetteer is built, not when the module loads: one read from a kept screening index (src/screening/persisted.ts) needs neither file.
const readGeo = (name: string): unknown => JSON.parse(readFileSync(fileURLToPath(new URL(`../../data/geo/${name}`, import.meta.url)), 'utf8'));
let placesFile: PlacesFile | null = null;
const places = (): PlacesFile => (placesFile ??= readGeo('places.json') as PlacesFile);
/** GeoNames places whose name one country alone bears (scripts/build-world-cities.mjs): the last resort for an address's country. */
const worldCities = () => readGeo('world-cities.json') as { placesByCountry: Record<string, string[]> };
// English first: a name another language gives a different country ("Kina", "Georgia") never displaces it.
const CLDR_LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'zh', 'el', 'ru', 'pl', 'cs', 'sv', 'da', 'nb', 'fi', 'ro', 'tr', 'hu', 'ja', 'ko'];
/** "New England" is not England, "Nueva Galicia" not Galicia: a country after one of these words is part of another place's name. */
const NEW = new Set(['new', 'nouvelle', 'nouveau', 'nueva', 'nuevo', 'nova', 'novo', 'neu', 'nieuw']);
/** Places that sit inside China's statistics area but are counted apart from it. */
const APART_FROM_CN = new Set(['HK', 'MO', 'TW']);

export interface PlaceSource {
  countryCode: string | null;
  countryName: string | null;
  city: string | null;
}

/** What one reading of the string found, before the list of every named country is added. */
type Finding = Omit<CountryFinding, 'named' | 'mentions' | 'city'> & { text?: string; exonym?: boolean };

export interface CountryFinding {
  countryCode: string | null;
  evidence: string;
  /** Whether a country or a place in it is named outright, as opposed to inferred from a city. */
  explicit: boolean;
  /** Every country the string names outright; a string may hold several addresses. */
  named: string[];
  /** Each place named outright, with the words that name it (to tell a place inside an institution's own name). */
  mentions: { code: string; text: string }[];
  /** The city (or guessed place) the country was read from when nothing was named outright. */
  city: { code: string; text: string } | null;
  /** Set when the string holds several addresses placed in different countries: then it has no one country. */
  addresses?: string[];
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
  /** Towns the registry holds no institution in, from GeoNames; read only when nothing else in the string tells. */
  private readonly worldCities = new Map<string, string>();
  /** Every country the registry has an institution in, per city name: "Moscow" is also in Idaho. */
  private readonly cityCountries = new Map<string, Set<string>>();
  private readonly usPostal = new Set(places().placesByCountry.US?.postalCodes ?? []);
  private readonly ambiguous = new Map(Object.entries(places().ambiguousPlaces).map(([k, v]) => [foldText(k), v.meanings]));
  /** "Rom": the city each meaning of an ambiguous name is, as the registry writes it ("Rome", IT; "Rom", DE). */
  private readonly ambiguousCities = new Map(Object.entries(places().ambiguousPlaces).map(([k, v]) => [foldText(k), v.cities ?? {}]));
  private readonly cjkNames: [string, string][] = [];
  private readonly nameLinks = new Set(places().placeInsideName.links);
  private readonly nameHeads = new Set(places().placeInsideName.heads);
  private readonly streetWords = new Set(places().placeInsideName.streetWords);
  private readonly postalPrefixes = new Map(Object.entries(places().postalPrefixes.codes));
  readonly countryNames = new Map<string, string>();
  /** The place names' words with umlauts, by their spelling without them ("duesseldorf"); the resolver adds its names'. */
  readonly umlautWords = new Map<string, string>();

  constructor(registry: Iterable<PlaceSource>) {
    const skip = new Set(places().notACountry);
    const english = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
    /** Names only another language gives a country: Romanian "Columbia", Dutch "Norfolk" are cities in English addresses. */
    const foreignOnly = new Set<string>();
    for (const lang of CLDR_LANGUAGES) {
      const names = new Intl.DisplayNames([lang], { type: 'region', fallback: 'code' });
      for (let a = 65; a <= 90; a++) {
        for (let b = 65; b <= 90; b++) {
          const code = String.fromCharCode(a, b);
          const name = names.of(code);
          if (!name || name === code || skip.has(code)) continue;
          const key = foldText(name);
          if (lang !== 'en' && !this.countries.has(key)) foreignOnly.add(key);
          this.addCountryName(name, code);
          if (lang === 'en') this.countryNames.set(code, english.of(code) ?? code);
        }
      }
    }
    for (const [code, aliases] of Object.entries(places().countryAliases)) {
      for (const alias of aliases) {
        foreignOnly.delete(foldText(alias));
        this.addCountryName(alias, code);
      }
    }
    for (const [code, p] of Object.entries(places().placesByCountry)) for (const s of p.subdivisions ?? []) this.addPlace(this.subdivisions, s, code);
    const cityVotes = new Map<string, Map<string, number>>();
    for (const inst of registry) {
      if (!inst.countryCode) continue;
      if (inst.countryName) this.addCountryName(inst.countryName, inst.countryCode);
      if (!inst.city) continue;
      addUmlautWords(this.umlautWords, inst.city);
      const key = foldText(inst.city);
      if (key.length < 3) continue;
      // "St. Louis" and "Saint-Louis" are one name: a town so named in one country does not make "Saint Louis University" French.
      for (const spelling of saintSpellings(key)) {
        const votes = cityVotes.get(spelling) ?? new Map<string, number>();
        votes.set(inst.countryCode, (votes.get(inst.countryCode) ?? 0) + 1);
        cityVotes.set(spelling, votes);
      }
    }
    for (const key of foreignOnly) if (cityVotes.has(key)) this.countries.delete(key);
    for (const [city, votes] of cityVotes) {
      this.cityCountries.set(city, new Set(votes.keys()));
      if (this.countries.has(city) || this.ambiguous.has(city)) continue;
      const total = [...votes.values()].reduce((a, b) => a + b, 0);
      const [best, n] = [...votes.entries()].sort((x, y) => y[1] - x[1])[0]!;
      if (n / total >= 0.9) this.cities.set(city, best);
    }
    // "Torino", "Moskau": a city's name in its own language or in German, where the registry writes it in English.
    for (const [code, p] of Object.entries(places().placesByCountry)) {
      for (const name of p.cities ?? []) {
        addUmlautWords(this.umlautWords, name);
        const key = foldText(name);
        if (!cityVotes.has(key) && !this.countries.has(key) && !this.subdivisions.has(key) && !this.ambiguous.has(key)) this.cities.set(key, code);
      }
    }
    for (const [code, names] of Object.entries(worldCities().placesByCountry)) {
      for (const name of names) {
        addUmlautWords(this.umlautWords, name);
        const key = foldText(name);
        // The registry's own cities, and every country and region name, come first.
        if (!cityVotes.has(key) && !this.countries.has(key) && !this.subdivisions.has(key) && !this.ambiguous.has(key)) this.worldCities.set(key, code);
      }
    }
  }

  private addCountryName(name: string, code: string): void {
    if (hasCjk(name)) this.cjkNames.push([name, code]);
    addUmlautWords(this.umlautWords, name);
    const key = foldText(name);
    if (key === '' || this.ambiguous.has(key)) return;
    if (!this.countries.has(key)) this.countries.set(key, code);
  }

  private addPlace(map: Map<string, string>, name: string, code: string): void {
    if (hasCjk(name)) this.cjkNames.push([name, code]);
    addUmlautWords(this.umlautWords, name);
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

  /** Whether the registry has an institution in a city of this name in the given country. */
  hasCity(city: string, countryCode: string): boolean {
    return this.cityCountries.get(city)?.has(countryCode) ?? false;
  }

  /** Every country a place name may be in: as a country, a region, an ambiguous name or a city ("georgia": US or GE). */
  placeMeanings(name: string): string[] {
    const out = new Set<string>();
    for (const m of [this.countries.get(name), this.subdivisions.get(name), this.cities.get(name), this.worldCities.get(name)]) if (m) out.add(m);
    for (const m of this.ambiguous.get(name) ?? []) out.add(m);
    for (const m of this.cityCountries.get(name) ?? []) out.add(m);
    return [...out];
  }

  private worldTowns: Map<string, string[]> | undefined;

  /** Whether a country's name is also a town or region of another country ("Lebanon", PA; "Jordan", MN). */
  private placeElsewhere(name: string, code: string): boolean {
    if (!this.worldTowns) {
      this.worldTowns = new Map();
      for (const [c, names] of Object.entries(worldCities().placesByCountry)) for (const n of names) this.worldTowns.set(foldText(n), [...(this.worldTowns.get(foldText(n)) ?? []), c]);
    }
    const world = (this.worldTowns.get(name) ?? []).some((c) => c !== code) || Object.entries(places().placesByCountry).some(([c, p]) => c !== code && (p.cities ?? []).some((t) => foldText(t) === name));
    return [...(this.cityCountries.get(name) ?? [])].some((c) => c !== code) || world || this.subdivisions.has(name);
  }

  private cityKeys: Map<string, Set<string>> | undefined;

  /** hasCity for a name read as match tokens ("athen" is "Athens"): the place after a registry name is held so. */
  hasCityKey(key: string, countryCode: string): boolean {
    if (this.hasCity(key, countryCode)) return true;
    if (!this.cityKeys) {
      this.cityKeys = new Map();
      for (const [city, codes] of this.cityCountries) {
        const k = nameKey(city);
        const set = this.cityKeys.get(k) ?? new Set<string>();
        for (const c of codes) set.add(c);
        this.cityKeys.set(k, set);
      }
    }
    return (this.cityKeys.get(key)?.has(countryCode) ?? false) || (places().placesByCountry[countryCode]?.cities ?? []).some((t) => nameKey(t) === key);
  }

  /** Whether a folded word is a country or region name (not merely a city). */
  isCountryOrRegion(word: string): boolean {
    return this.countries.has(word) || this.subdivisions.has(word);
  }

  /** Whether a folded word is a region (state, province) of a country and not a country's name. */
  isRegion(word: string): boolean {
    return this.subdivisions.has(word) && !this.countries.has(word);
  }

  /** The country a folded name stands for as a country or a region of one (not as a city), if any. */
  regionOrCountryOf(name: string): string | null {
    return this.countries.get(name) ?? this.subdivisions.get(name) ?? null;
  }

  /** Whether a folded word is a country, region or city name. */
  isPlace(word: string): boolean {
    return this.countries.has(word) || this.subdivisions.has(word) || this.cities.has(word);
  }

  /** The parts of a string that are a city (one the registry has an institution in, or a GeoNames town), folded: "D-18119 Rostock" → "rostock". */
  citiesNamed(raw: string): string[] {
    return segments(raw)
      .map(placeText)
      .filter((p) => p !== '' && (this.cityCountries.has(p) || this.worldCities.has(p)));
  }

  /**
   * A place that only an institution's name holds: a city at the start or end of a part, or after "of",
   * "de"… following an institution's word ("Universität Bochum", "Infineon Technologies Dresden",
   * "University of Karlsruhe", "Tokyo Univ of Tech"), or a region or country after such a word
   * ("University of Michigan"); written with a capital, and a city only where the registry's
   * institutions in it are (nearly) all in one country. For when nothing else tells the country: an
   * institution may be elsewhere than the place it is named after, so this is weaker than an address.
   */
  placeInName(raw: string): { code: string; text: string } | null {
    // "U.S. Army Corps of Engineers", "U.K. Atomic Energy Authority": a country's initials with dots opening a part are its national body's,
    // unless the string names another place: the city the body works in ("U.S. Army Corps of Engineers Tokyo") says where, and
    // another country ("U.S. China Institute", "U.S. - China Institute") or a place read nowhere else makes it a guess between two.
    let initials: { code: string; text: string } | null = null;
    const rest = segments(bracketedPlaceAsPart(raw)).flatMap((seg) => {
      const [first, ...after] = seg.split(/\s+/);
      const code = DOTTED_INITIALS.test(first!) && (after.length === 0 || /^\p{Lu}/u.test(after[0]!)) ? this.countries.get(foldText(first!)) : undefined;
      if (code === undefined) return [seg];
      initials ??= { code, text: first! };
      return after.length > 0 ? [after.join(' ')] : [];
    });
    const found = this.placeInParts(rest);
    if (!initials) return found;
    const { code } = initials;
    if (found) return this.countries.has(found.text) && found.code !== code ? null : found;
    return this.placesNamed(rest) ? null : initials;
  }

  /** Whether a capitalised word or run of up to three ("Cairo", "New York") is a country, region or city. */
  private placesNamed(parts: string[]): boolean {
    return parts.some((part) => {
      const words = part.split(/\s+/);
      for (let n = 1; n <= 3; n++) {
        for (let at = 0; at + n <= words.length; at++) {
          if (!words.slice(at, at + n).every((w) => /^\p{Lu}/u.test(w))) continue;
          if (this.isPlace(foldText(words.slice(at, at + n).join(' ')))) return true;
        }
      }
      return false;
    });
  }

  private placeInParts(segs: string[]): { code: string; text: string } | null {
    for (let i = segs.length - 1; i >= (acronymOpening(segs) ? 1 : 0); i--) {
      // "Bahir-Dar University", "Paris-Belleville", "Universitï¿½t Hannover": a hyphen or a character that is no letter parts
      // words as folding does, so each written word is one folded word; a dot or "&" stays inside its word ("U.S.", "A&M").
      const rawWords = segs[i]!.split(/[^\p{L}\p{Nd}\p{M}'’`´&.]+/u).filter((w) => w !== '');
      const words = rawWords.map((w) => foldText(w));
      // A word folded into two ("UniversitätBochum") or into none would misalign the capitals, and a house number
      // makes the part a street ("Albert Einstein 5"; "Tainan 701" is a town and its postcode): read nothing then.
      // A place that names two ("New Brunswick") tells nothing, nor do its words ("Brunswick").
      if (words.some((w) => w === '' || w.includes(' ')) || HOUSE_NUMBER.test(segs[i]!) || this.streetWords.has(words[words.length - 1]!) || this.ambiguous.has(placeText(segs[i]!))) continue;
      // After "of", "at"… first ("Toyota Technological Institute at Chicago"), then the end, then the start.
      const afterLinks: number[] = [];
      for (let k = 1; k < words.length; k++) if (this.insideName(words, k)) afterLinks.push(k);
      for (const n of [2, 1]) {
        for (const at of [...afterLinks, words.length - n, 0]) {
          if (at < 0 || at + n > words.length) continue;
          const text = words.slice(at, at + n).join(' ');
          const afterLink = afterLinks.includes(at);
          // "Qatar University", "Singapore Institute of Technology": a country's name followed by an institution's word.
          const countryFirst = at === 0 && this.nameHeads.has(words[n] ?? '');
          const code = this.cities.get(text) ?? (afterLink ? (this.subdivisions.get(text) ?? this.countries.get(text)) : countryFirst ? this.countries.get(text) : undefined);
          if (code && /^\p{Lu}/u.test(rawWords[at]!)) return { code, text };
        }
      }
    }
    return null;
  }

  /** The country an affiliation string names, reading its parts from the end as addresses are written. */
  detect(written: string): CountryFinding {
    const raw = bracketedPlaceAsPart(written);
    const { text, exonym: _exonym, ...finding } = this.detectMain(raw);
    const mentions: CountryFinding['mentions'] = [];
    if (finding.explicit && finding.countryCode) mentions.push({ code: finding.countryCode, text: text ?? '' });
    const parts = segments(raw).map(placeText);
    for (const [i, part] of parts.entries()) {
      let code = this.countries.get(part);
      // "Hong Kong, China", "Taipa, Macao, Peoples R China": China written after Hong Kong, Macao or Taiwan is that place's own.
      const before = i > 0 ? (this.countries.get(parts[i - 1]!) ?? this.cities.get(parts[i - 1]!)) : undefined;
      if (code === 'CN' && before && APART_FROM_CN.has(before)) code = before;
      if (code && !mentions.some((m) => m.text === part)) mentions.push({ code, text: part });
    }
    const city = !finding.explicit && finding.countryCode && text ? { code: finding.countryCode, text } : null;
    const named = [...new Set(mentions.map((m) => m.code))];
    const addresses = this.addressesApart(raw);
    if (addresses) return { countryCode: null, evidence: `the string holds addresses in ${addresses.length} countries: ${addresses.join('; ')}`, explicit: false, named, mentions, city: null, addresses };
    return { ...finding, named, mentions, city };
  }

  /**
   * "Kauvery Hosp, Chennai, India; Royal Stoke Hosp, Stoke On Trent, Staffs": addresses joined by ";" or
   * ending a sentence or by ", and", each with its own parts, placed in different countries. Which one is the author's
   * the string does not say, so none is given. Hong Kong, Macao or Taiwan beside "China" are one address,
   * unless the Chinese one names a mainland place ("…, Shenzhen, China, and …, Hong Kong").
   */
  private addressesApart(raw: string): string[] | null {
    const chunks = raw.split(/;|\.\s+(?=\p{Lu})|,\s+and\s+(?=\p{Lu})/u).filter((c) => segments(c).length > 1);
    if (chunks.length < 2) return null;
    const placed = chunks.map((c) => ({ c: c.trim(), code: this.detectMain(c).countryCode })).filter((x): x is { c: string; code: string } => x.code !== null);
    const codes = new Set(placed.map((x) => x.code));
    const mainland = placed.some(
      (x) =>
        x.code === 'CN' &&
        segments(x.c)
          .map(placeText)
          .some((p) => this.cities.get(p) === 'CN' || this.subdivisions.get(p) === 'CN'),
    );
    if ([...codes].some((c) => APART_FROM_CN.has(c)) && !mainland) codes.delete('CN');
    if (codes.size < 2) return null;
    return [...codes].map((code) => `${code} ("${placed.find((x) => x.code === code)!.c}")`);
  }

  private detectMain(raw: string): Finding {
    if (hasCjk(raw)) {
      const cjk = this.detectCjk(raw);
      if (cjk) return cjk;
    }
    const segs = segments(raw);
    // A part with a house number ("Carrer de Palau 3") is a street, whatever its words.
    const parts = segs.map((s) => (STREET_NUMBER.test(s) ? '' : placeText(s)));
    // "U.S. - China Institute": a country's initials before a part that opens with another country's name begin a bilateral body's name.
    const opening = segs.length > 1 && DOTTED_INITIALS.test(segs[0]!.trim()) ? this.countries.get(parts[0]!) : undefined;
    const next = parts[1]?.split(' ') ?? [];
    const paired = this.countries.get(next.slice(0, 2).join(' ')) ?? this.countries.get(next[0] ?? '');
    if (opening && paired && paired !== opening) parts[0] = '';
    const last = parts.length - 1;
    // Addresses end with their country, or else with their region or city: "Norfolk, VA 23504 USA",
    // "Princeton, NJ" and "…, Palau, Barcelona" are decided by their last part before any earlier one is read.
    let found: Finding | null = last >= 0 ? this.lastPart(segs, parts) : null;
    for (let i = last - 1; i >= 0 && !found; i--) found = this.countryIn(parts[i]!, parts, i) ?? this.subdivisionIn(parts[i]!) ?? canadianPostcode(segs[i]!) ?? britishPostcode(segs[i]!) ?? this.postalPrefix(segs[i]!);
    // "Univ Southampton Malaysia, …, Iskandar Puteri": a country ending an earlier part still names where the address is.
    for (let i = last - 1; i >= 0 && !found; i--) found = this.trailingPlace(parts[i]!, parts);
    const acronymFirst = acronymOpening(segs) && this.cities.has(parts[0]!) ? segs[0]!.trim() : null;
    for (let i = last - 1; i >= 0 && !found; i--) found = i === 0 && acronymFirst !== null ? null : this.placeIn(parts[i]!, raw);
    // "Richelstr. 3 Munich 80634 Germany": a part with a house number is a street, but a country's name still ends it.
    for (let i = last; i >= 0 && !found; i--) {
      if (!STREET_NUMBER.test(segs[i]!)) continue;
      const tail = this.trailingPlace(placeText(segs[i]!), parts);
      if (tail && this.countries.has(tail.text ?? '')) found = tail;
    }
    // "Natl Cheng Kung Univ, Dept Comp Sci, Tainan 701": a town the registry has no institution in, known to GeoNames in one
    // country only. Never the first part, where the institution is ("Nokia, Bell Labs"), nor a word written as an acronym ("SAMBa").
    // A short number beside it is a postcode here ("Tainan 701"), not a house number: the whole rest must be the town's name.
    for (let i = last; i >= 1 && !found; i--) {
      const town = placeText(segs[i]!);
      const code = /\p{Lu}\p{L}*\p{Lu}/u.test(segs[i]!) ? undefined : this.worldCities.get(town);
      if (code) found = { countryCode: code, evidence: `"${town}" is a town in ${code} (GeoNames)`, explicit: false, text: town };
    }
    if (!found) return { countryCode: null, evidence: acronymFirst === null ? 'no country or known place named' : `no country or known place named; "${acronymFirst}", the first part, is written in capitals: an acronym, not the town of that name`, explicit: false };
    // "ROM": a word written in capitals is an acronym, not a German name of a city.
    if (found.exonym && writtenInCapitals(raw).has(found.text!)) return { countryCode: null, evidence: `"${found.text}" is written in capitals: an acronym, not a place`, explicit: false };
    if (found.countryCode === 'CN') {
      // WoS writes "Hong Kong, Peoples R China"; HK, MO and TW are kept apart from CN.
      for (const p of parts) {
        const code = this.countries.get(p) ?? this.cities.get(p);
        if (code && APART_FROM_CN.has(code)) return { countryCode: code, evidence: `"${p}" is in ${code}, which is counted apart from CN`, explicit: true, text: p };
      }
    }
    return found;
  }

  private lastPart(segs: string[], parts: string[]): Finding | null {
    const last = parts.length - 1;
    const part = parts[last]!;
    return this.countryIn(part, parts, last) ?? this.subdivisionIn(part) ?? canadianPostcode(segs[last]!) ?? britishPostcode(segs[last]!) ?? this.postalPrefix(segs[last]!) ?? this.stateCode(segs[last]!, parts[last - 1]) ?? this.trailingPlace(part, parts) ?? this.placeIn(part, segs.join(', '));
  }

  /** "NL-5656 AE Eindhoven", "D-52425 Jülich", "SE-221 00 Lund", "BR-97546550 Alegrete": the country letters before a postcode. */
  private postalPrefix(segment: string): Finding | null {
    const m = /(?:^|\s)([A-Z]{1,3})-(?:\d{4,6}|\d{8}|\d{5}-\d{3}|\d{3} \d{2})(?=\s|$)/.exec(segment);
    const code = m ? this.postalPrefixes.get(m[1]!) : undefined;
    return code ? { countryCode: code, evidence: `"${m![0].trim()}" is a postcode written with the letters of ${code}`, explicit: true, text: foldText(m![1]!) } : null;
  }

  private subdivisionIn(part: string): Finding | null {
    const sub = this.subdivisions.get(part);
    return sub ? { countryCode: sub, evidence: `"${part}" is a region of ${sub}`, explicit: true, text: part } : null;
  }

  /**
   * "Princeton, NJ", "Panama City, FL 32405": a US state's postal code ends the address. A code
   * that is also a country code after a city of that country ("Berlin, DE") is the country.
   */
  private stateCode(segment: string, before: string | undefined): Finding | null {
    const words = segment
      .replace(/\b\d{5}(?:-\d{4})?\b/g, ' ')
      .trim()
      .split(/\s+/);
    const code = words[words.length - 1] ?? '';
    if (!/^[A-Z]{2}$/.test(code) || !this.usPostal.has(code)) return null;
    // "… Princeton NJ" without a comma counts only with a ZIP code or as the whole part.
    if (words.length > 1 && !/\d{5}/.test(segment)) return null;
    const city = words.length > 1 ? foldText(words.slice(0, -1).join(' ')) : before;
    const cityCountry = city ? this.cities.get(city) : undefined;
    // "Berlin, DE" is Germany; "Cuiabá, MT" is Mato Grosso and "Bogotá, DC" the Colombian capital district: a city of another country decides.
    if (cityCountry && cityCountry !== 'US' && !this.hasCity(city!, 'US')) return { countryCode: cityCountry, evidence: `"${city}" is a city in ${cityCountry}, so "${code}" after it is not a US state`, explicit: true, text: city! };
    return { countryCode: 'US', evidence: `"${code}" ${city ? `after "${city}" ` : ''}is a US state`, explicit: true, text: foldText(code) };
  }
  private countryIn(part: string, parts: string[], index: number): Finding | null {
    const ambiguous = this.ambiguous.get(part);
    if (ambiguous)
      return this.disambiguate(
        part,
        ambiguous,
        parts.filter((_, j) => j !== index),
      );
    const code = this.countries.get(part);
    return code ? { countryCode: code, evidence: `"${part}" names ${code}`, explicit: true, text: part } : null;
  }

  /**
   * "Technische Universität Berlin Germany": a place name at the end of a part with no commas.
   * The longest name wins, so "…University of New Jersey" is in New Jersey, not in Jersey.
   */
  private trailingPlace(part: string, parts: string[]): Finding | null {
    const words = part.split(' ');
    for (let n = Math.min(4, words.length - 1); n >= 1; n--) {
      const tail = words.slice(-n).join(' ');
      // "Texas A&M University at Qatar": a country after "at" is a campus abroad, where the author is; a region after it
      // stays the name's.
      // Only a country word that is no place elsewhere: "Penn State University at Lebanon" (Lebanon, PA) and "Indiana
      // University at Jordan" may be towns of the home institution's country, and no country beats a wrong one.
      const campusAbroad = words[words.length - n - 1] === 'at' && this.countries.has(tail) && !this.ambiguous.has(tail) && !this.placeElsewhere(tail, this.countries.get(tail)!);
      if (!campusAbroad && this.insideName(words, words.length - n) && (this.subdivisions.has(tail) || this.ambiguous.has(tail) || this.countries.has(tail))) return null;
      const sub = this.subdivisions.get(tail);
      if (sub) return { countryCode: sub, evidence: `"${tail}" at the end is a region of ${sub}`, explicit: true, text: tail };
      const ambiguous = this.ambiguous.get(tail);
      if (ambiguous) return this.disambiguate(tail, ambiguous, [...parts.slice(0, -1), words.slice(0, -n).join(' ')]);
      const code = this.countries.get(tail);
      if (code) {
        // "Av Brasil 2147": a street named after a country is no address in it.
        if (NEW.has(words[words.length - n - 1]!) || this.streetWords.has(words[words.length - n - 1]!)) return null;
        return { countryCode: code, evidence: `"${tail}" at the end names ${code}`, explicit: true, text: tail };
      }
    }
    return null;
  }

  /**
   * "University of Maryland", "Universidad de Chile": the place at `at` follows "of", "de"… after an
   * institution's word, so it is the institution's name, not the address (data/geo/places.json, placeInsideName).
   */
  private insideName(words: string[], at: number): boolean {
    return at >= 2 && this.nameLinks.has(words[at - 1]!) && words.slice(0, at - 1).some((w) => this.nameHeads.has(w));
  }

  private placeIn(part: string, raw: string): Finding | null {
    const sub = this.subdivisionIn(part);
    if (sub) return sub;
    if (this.usPostal.has(part.toUpperCase()) && /\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b/.test(raw)) {
      return { countryCode: 'US', evidence: `"${part.toUpperCase()}" with a ZIP code is a US state`, explicit: true, text: part };
    }
    const city = this.cities.get(part);
    if (city) return { countryCode: city, evidence: `"${part}" is a city in ${city}`, explicit: false, text: part };
    return null;
  }

  private disambiguate(name: string, meanings: string[], others: string[]): Finding {
    for (const other of others) {
      const code = this.countries.get(other) ?? this.subdivisions.get(other) ?? this.cities.get(other);
      if (code && meanings.includes(code)) return { countryCode: code, evidence: `"${name}" read as ${code} because "${other}" is in ${code}`, explicit: true, text: name };
      const postal = other.toUpperCase();
      if (meanings.includes('US') && (this.usPostal.has(postal) || /^\d{5}$/.test(other))) return { countryCode: 'US', evidence: `"${name}" read as the US state because of "${other}"`, explicit: true, text: name };
      // "Shorter University, Rome, Georgia", "Athens, Georgia": a city the registry holds institutions in, in one of the meanings' countries only.
      const [only, ...more] = meanings.filter((m) => this.hasCity(other, m));
      if (only && more.length === 0) return { countryCode: only, evidence: `"${name}" read as ${only} because the registry has institutions in "${other}" there`, explicit: true, text: name };
    }
    // "Rom" is Rome or a village in Mecklenburg: where the registry holds institutions in one meaning's city only, an affiliation means that one,
    // unless the string names another place ("Straßburg, Kärnten"), which the exonym's guess yields to.
    const cities = this.ambiguousCities.get(name) ?? {};
    const held = meanings.filter((code) => cities[code] !== undefined && this.hasCity(foldText(cities[code]!), code));
    const elsewhere = others.find((o) => this.isPlace(o) || this.cityCountries.has(o) || this.worldCities.has(o));
    if (held.length === 1 && Object.keys(cities).length === meanings.length && elsewhere === undefined) {
      const [code] = held as [string];
      const others = meanings.filter((c) => c !== code).map((c) => `${cities[c]} (${c})`);
      return { countryCode: code, evidence: `"${name}" is ${cities[code]} (${code}) or ${others.join(' or ')}; the registry holds institutions in ${cities[code]} only`, explicit: false, text: name, exonym: true };
    }
    if (elsewhere !== undefined && held.length === 1) return { countryCode: null, evidence: `"${name}" may be in ${meanings.join(' or ')}, and "${elsewhere}", also named, is in neither`, explicit: false, text: name };
    // Nothing else in the string tells: no guess ("New Brunswick" alone is New Jersey as often as Canada); the institution may still tell.
    return { countryCode: null, evidence: `"${name}" may be in ${meanings.join(' or ')} and nothing else in the string says which`, explicit: false, text: name };
  }

  private detectCjk(raw: string): Finding | null {
    let best: [string, string] | null = null;
    for (const [name, code] of this.cjkNames) {
      if (!raw.includes(name)) continue;
      if (!best || (APART_FROM_CN.has(code) && !APART_FROM_CN.has(best[1]))) best = [name, code];
    }
    return best ? { countryCode: best[1], evidence: `"${best[0]}" names ${best[1]}`, explicit: true, text: best[0] } : null;
  }
}

let countryNames: Gazetteer | undefined;

/**
 * The gazetteer of no registry that reads a country's name where no resolver is at hand (a case's partner country, a
 * country to watch): one instance, made on first use, as it reads every CLDR language's country names.
 */
export const countryNameGazetteer = (): Gazetteer => (countryNames ??= new Gazetteer([]));

/**
 * "Department of Computer Science [Leuven]", "Orange Labs [Lannion]": HAL writes a laboratory's town in square brackets
 * after its name. Read as a part of its own, the town is the address; a string wholly in brackets is left as written.
 */
export function bracketedPlaceAsPart(raw: string): string {
  return raw.replace(/(\S)\s*\[([^[\],;]+)\]/gu, '$1, $2');
}

/**
 * "Shefeld S1 3JD", "South Shields NE33 2RL": a British postcode, written whole (outward code, space, inward code); its
 * inward letters leave out C, I, K, M, O and V, so a room or a grant number is not read as one.
 */
function britishPostcode(segment: string): Finding | null {
  const m = /(?:^|\s)([A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? \d[ABD-HJLNP-UW-Z]{2})(?=\s|$)/.exec(segment);
  return m ? { countryCode: 'GB', evidence: `"${m[1]}" is a British postcode`, explicit: true, text: foldText(m[1]!) } : null;
}

/** "Ottawa, ON K2K 3J1", "St John, NF A1B 3X5": a Canadian postal code (letter-digit-letter digit-letter-digit). */
function canadianPostcode(segment: string): Finding | null {
  const m = /\b[A-CEGHJ-NPR-TVXY]\d[A-CEGHJ-NPR-TV-Z] ?\d[A-CEGHJ-NPR-TV-Z]\d\b/.exec(segment);
  return m ? { countryCode: 'CA', evidence: `"${m[0]}" is a Canadian postal code`, explicit: true, text: foldText(m[0]) } : null;
}

/** A place's name and, when it opens with a saint's title, its other spelling ("st louis" and "saint louis", "ste foy" and "sainte foy"). */
function saintSpellings(key: string): string[] {
  const m = /^(st|saint|ste|sainte) (.+)$/.exec(key);
  if (!m) return [key];
  const other = { st: 'saint', saint: 'st', ste: 'sainte', sainte: 'ste' }[m[1] as 'st' | 'saint' | 'ste' | 'sainte'];
  return [key, `${other} ${m[2]!}`];
}

/** "U.S.", "U.K.": a country's initials written with dots. */
const DOTTED_INITIALS = /^(?:\p{Lu}\.)+\p{Lu}\.?$/u;

/** The words of a string written wholly in capitals, folded ("ROM" → "rom"). */
function writtenInCapitals(raw: string): Set<string> {
  return new Set(
    raw
      .split(/[^\p{L}]+/u)
      .filter((w) => w.length > 1 && w === w.toUpperCase() && w !== w.toLowerCase())
      .map((w) => foldText(w)),
  );
}

/**
 * "UNA, Fac Politecn, San Lorenzo": a first part of one word in capitals, before other parts, is the institution's
 * acronym (the Universidad Nacional de Asunción), not the town of that name (Una, India).
 */
const acronymOpening = (segs: string[]): boolean => segs.length > 1 && /^\p{Lu}{2,}$/u.test(segs[0]!.trim());

/** A standalone number of one or two digits: a house number (three may be a postcode, "Tainan 701"). */
const HOUSE_NUMBER = /(^|\s)\d{1,2}[a-z]?(\s|$)/i;

/** A standalone number of one to three digits: a house number, not a postal code. */
const STREET_NUMBER = /(^|\s)\d{1,3}[a-z]?(\s|$)/i;

/** A part of an address with postal codes and numbers taken out: "Wuhan 430074" → "wuhan". */
function placeText(segment: string): string {
  const words = foldText(segment).split(' ');
  // "I-20133 Milan", "CN-518172 Shenzhen": the letters before a postcode are a country prefix, not a word of the place.
  return words.filter((w, i) => !/\d/.test(w) && w !== 'cedex' && !(w.length <= 2 && /\d/.test(words[i + 1] ?? ''))).join(' ');
}
