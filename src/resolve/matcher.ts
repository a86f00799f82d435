import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Institution } from '../ingest/ror.ts';
import { Calibration, describeBasis, type Basis, type How } from './calibration.ts';
import { Companies, type CompanyMention } from './companies.ts';
import { Gazetteer, bracketedPlaceAsPart, type CountryFinding } from './gazetteer.ts';
import { matcherDataDigest } from './matcher-data.ts';
import { addUmlautWords, bagKey, cleanAffiliation, foldText, hasCjk, isAcronym, nameKey, nameTokens, ownLanguageReadings, restoreUmlauts, segments, withoutCareerNotes } from './normalize.ts';
import { describeCorrection, type Thesaurus } from './thesaurus.ts';
import { closingLegalForm, loadAliases, type UnitRule } from '../screening/aliases.ts';
import { isKindOnlyName } from '../screening/names.ts';

export type Tier = 'exact' | 'strong' | 'possible' | 'unresolved';
export const TIER_RANK: Record<Tier, number> = { exact: 3, strong: 2, possible: 1, unresolved: 0 };

export interface InstitutionMatch {
  rorId: string;
  name: string;
  countryCode: string | null;
  tier: Exclude<Tier, 'unresolved'>;
  /** Calibrated: the share of matches made this way that were right on the tuning set. */
  score: number;
  evidence: string;
  /** How the match was made, the key to its calibrated score. */
  basis: Basis;
  /** Units of this institution the string also names (a department, an institute of an academy). */
  units: { rorId: string; name: string }[];
  /** The institution the string is chiefly about; the others are named alongside it. */
  primary: boolean;
  /** The withdrawn or inactive record the string names, when the match is that record's registry successor (or, for a withdrawn school, its university). */
  succeeds?: { rorId: string; name: string; status: Institution['status'] };
}

/**
 * A company or corporate lab the string names (data/resolve/companies.json), whether or not the
 * registry holds a record for it where the string places it ("IBM Research – Zurich": IBM, in CH).
 */
export interface CompanyFinding {
  /** The company's id in the companies data, and its name. */
  id: string;
  name: string;
  lab: string | null;
  /** Where the string places it, or the lab's only country; null: company known, country unknown. */
  countryCode: string | null;
  /** The company's (or lab's) registry record in that country, when the registry holds one. */
  rorId: string | null;
  evidence: string;
}

export interface Resolution {
  raw: string;
  institutions: InstitutionMatch[];
  countryCode: string | null;
  countryEvidence: string;
  tier: Tier;
  /** The companies named, when any is. */
  companies?: CompanyFinding[];
}

/** Bumped whenever matching behaviour changes, so cached resolutions are redone. */
export const RESOLVER_VERSION =
  '2026.12.01-6-unk6-evid8-scr11-match12-fixmatch-match13-fix13-cas14-country14-fixmatch14a-fixmatch14b-country15-company15-fixmatch15a-fixmatch15b-fixmatch15c-country16-match16-match17-country17-fixcountry17-fixsite17-fixmatch17-match18-country18-fixmatch18-fixcountry18-match19-recall19-country19-mine19-fixmatch19-mine19c-match22-text22-match23-match24-generic24-match25-match26-match27-screen27-match28-match32-country44-oor44-resolve45-screen45-resolve46-r48resolve-r51resolve-r54oor';

interface Entry {
  id: string;
  name: string;
  countryCode: string | null;
  city: string | null;
  status: Institution['status'];
  types: string[];
  parents: string[];
  children: string[];
  related: string[];
  successors: string[];
  /** The region the registry places it in, folded ("quebec"). */
  subdivision: string | null;
}

/**
 * Version of resolutions: the matcher's behaviour, the registry it matched against (its version in
 * the store, null when none is loaded) and the data files it reads, the alias file in use among them.
 */
export const resolutionVersionOf = (registry: string | null): string => `${RESOLVER_VERSION}/${matcherDataDigest()}/${registry ?? 'no-registry'}`;

interface Candidate {
  /** Institution → how the registry holds the matched name (display 3, label 2, alias 1). */
  ids: Map<string, number>;
  /** The words matched, in registry-name form. */
  key: string;
  how: How;
  /** Said in the evidence. */
  said: string;
  /** Said instead for one of several institutions the candidate holds, when the evidence names the institution. */
  saidFor?: Map<string, string>;
  /** Fuzzy similarity, to rank fuzzy candidates; 1 for the others. */
  similarity: number;
  /** Token span inside the string, used to keep only the longest name among overlapping ones. */
  start: number;
  end: number;
  company?: CompanyMention;
  /** The place the part adds after the name ("rabat" in "École Normale Supérieure de Rabat"), which the institution must be in. */
  placeAfter?: string;
  /** The place written after "at" right after the name ("University of Maine at Farmington"), in name form: a campus there. */
  campusAt?: string;
  /** A place the longer name around a registry name holds ("georgia" in "University of West Georgia", "toyohashi" in "Toyohashi University of Technology"). */
  placeAround?: string;
}

/** Something the string names that tells a country when nothing is placed outright; `acronym` when it is an acronym's registry holders. */
interface Hint {
  code: string;
  why: string;
  acronym?: string;
}

interface Picked {
  id: string;
  c: Candidate;
  ambiguity: Basis['ambiguity'];
  place: Basis['place'];
  note: string;
}

export interface ResolverOptions {
  thesaurus?: Thesaurus;
  calibration?: Calibration;
  companies?: Companies;
}

/** The words of the string outside a candidate's own name, where its city may be named. */
function wordsOutside(flat: string[], c: Candidate, folded: string): string {
  return c.start < 0 ? folded : ` ${[...flat.slice(0, c.start), ...flat.slice(c.end)].join(' ')} `;
}

/** Fuzzy matching looks only at names sharing a word rarer than this. */
const MAX_POSTINGS = 2000;
/** Distinct parts whose inside names the resolver keeps worked out (a few MB). */
const PARTS_KEPT = 100_000;
/**
 * namesInside's answers by part, per resolver, up to PARTS_KEPT of them (then forgotten all at
 * once). Kept beside the resolver rather than in it: an index file keeps a resolver's own fields,
 * and a large table of them comes back read-only, so a resolver kept after it had resolved could
 * not remember a new part.
 */
const namesInsidePart = new WeakMap<object, Map<string, [number, number][]>>();
/**
 * The institutions whose registry name, a university's, is or begins with the words of a key ("washington university":
 * Washington University in St. Louis), per resolver, built when a reorder first asks; beside the resolver, as above.
 */
const universityNamesBegun = new WeakMap<object, Map<string, Set<string>>>();

/** A word found in this many registry names or more identifies nothing by itself. */
const GENERIC_DF = 200;

/** Names of this shape are units inside some institution, not institutions to match on their own. */
const UNIT_WORD = /^(department|division|section|faculty|laboratory|unit|program|programme|graduate|group|core|service|chair|clinic|key laboratory|state key laboratory|molecular|cell|school)\b/;

/** The words that make "<university> School of Medicine" a school of that university rather than a campus. */
/** A school's name: a university, a college, an institute of technology ("Massachusetts Institute of Technology"). */
const SCHOOL_NAME = /\b(universi\w*|uniwersytet\w*|univ|tecnologico|college|colegio|polytechn\w*|politecnic\w*|politecnico|institute of technology|instituto tecnologico|hochschule|ecole|escuela|scuola|school|academy|akademi\w*)\b/;
const SCHOOL_WORD = /^ (school|faculty|college|medical school|graduate school|law school|business school|medical college)\b/;

/** "Aarhus University Hospital", "University of Minnesota Medical Center": a different organisation named after the university. */
const HOSPITAL_WORD = /^ (hospital|university hospital|medical center|health science center|health center|health system|clinic|clinical center|cancer center|infirmary|health)\b/;

/** A school's or faculty's own record ("University of Belgrade – Faculty of Medicine", "Medicinski fakultet …"), in folded form. */
const SCHOOL_RECORD = /\b(school|faculty|college|fakultet|fakultat|facultad|faculdade|faculte|facolta)\b/;

/**
 * Words around a registry name inside a part that leave it the institution meant: legal forms
 * ("GmbH", "e.V."), a career note ("Current address", "Assistant Professor at"). Acronyms written
 * in capitals, places and numbers count the same.
 */
const PADDING = new Set([
  'gmbh',
  'mbh',
  'ggmbh',
  'kgaa',
  'ev',
  'e',
  'v',
  'inc',
  'ltd',
  'limited',
  'co',
  'corp',
  'sa',
  'ag',
  'srl',
  'spa',
  'llc',
  'plc',
  'bv',
  'nv',
  'ab',
  'oy',
  'kk',
  'pvt',
  'pty',
  'current',
  'present',
  'address',
  'also',
  'professor',
  'prof',
  'assistant',
  'associate',
  'adjunct',
  'visiting',
  'phd',
  'ph',
  'd',
  'student',
  'candidate',
  'researcher',
  'fellow',
  'postdoctoral',
  'emeritus',
  'affiliated',
  'with',
  'formerly',
  'now',
]);

/** data/resolve/other-kinds.json: the kinds of registry record (ROR types) a part naming a university is not read as, unless it names the kind. */
const OTHER_KINDS = JSON.parse(readFileSync(fileURLToPath(new URL('../../data/resolve/other-kinds.json', import.meta.url)), 'utf8')) as {
  universityWords: string[];
  kinds: Record<string, { said: string; words: string[] }>;
};
/** data/resolve/namesakes.json: in how many other countries the registry must name units so before a loaded namesake is a guess. */
const NAMESAKES = JSON.parse(readFileSync(fileURLToPath(new URL('../../data/resolve/namesakes.json', import.meta.url)), 'utf8')) as { minCountriesAbroad: number };
const UNIVERSITY_WORDS = new Set(OTHER_KINDS.universityWords);
const OTHER_KIND_WORDS = new Map(Object.entries(OTHER_KINDS.kinds).map(([type, k]) => [type, { said: k.said, words: new Set(k.words) }]));

/** Words after a group's name that name the group itself ("Honeywell International Inc", "ZTE Corporation"), not another institution. */
const GROUP_PADDING = new Set(['international', 'corporation', 'incorporated', 'company', 'group', 'holding', 'kabushiki', 'kaisha']);

/** Legal forms and company words: beside a group's one-word name they say the company is meant ("Canon Inc"), not a place or a word ("Avon, CT"). */
const COMPANY_WORD = new Set([...GROUP_PADDING, 'gmbh', 'mbh', 'ag', 'kgaa', 'inc', 'ltd', 'limited', 'co', 'corp', 'sa', 'srl', 'spa', 'llc', 'plc', 'bv', 'nv', 'ab', 'oy', 'kk', 'pvt', 'pty']);

/** Words after a group's name that name its laboratory ("Fujitsu Laboratories Ltd"): a unit of the group, read as the group. */
const GROUP_LAB = new Set(['laboratory', 'laboratories', 'lab', 'labs', 'research']);

/** Words after which a name goes on ("… University of Posts and Telecommunications"); "and" joins another institution instead. */
const NAME_GOES_ON = ['of', 'for', 'de', 'di', 'del', 'della', 'degli', 'des', 'du', 'fur', 'do', 'da'];

/** Words that join two institutions' names in one part ("&" is folded to "and"). */
const JOINING = ['and', 'und', 'et'];
/** Where a string joins institutions: "and", "&", "und", "et" between words. */
const JOINED_SIDES = /\s+(?:and|&|und|et)\s+/i;

/**
 * The part's words after its first `nameLength` name tokens, when they go on as the same name: a
 * word of NAME_GOES_ON right after it, or a joining word between two further words ("Posts &
 * Telecommun"); a joining word right after the name starts another institution instead.
 */
function joinedWordsAfter(part: string, nameLength: number): string | undefined {
  const rest = wordsAfterName(part, nameLength);
  const goesOn = rest.some((w, k) => k < rest.length - 1 && (NAME_GOES_ON.includes(w) || (k > 0 && JOINING.includes(w))));
  return goesOn ? rest.join(' ') : undefined;
}

/** The part's words as written (folded, stop words kept) after its first `nameLength` name tokens. */
function wordsAfterName(part: string, nameLength: number): string[] {
  const words = foldText(part).split(' ');
  let taken = 0;
  let i = 0;
  while (i < words.length && taken < nameLength) taken += nameTokens(words[i++]!).length;
  return words.slice(i);
}

/** Numbers of up to four digits written as words of a name, leading zeros dropped ("Paris 06" → 6); longer ones are postcodes. */
function nameNumbers(text: string): string[] {
  return foldText(text)
    .split(' ')
    .filter((w) => /^\d{1,4}$/.test(w))
    .map((w) => String(Number(w)));
}

const READINGS_KEPT = 50_000;
const numberedReadings = new Map<string, { bag: string; numbers: string[] }>();
/**
 * A registry name's order-free key and numbers, by the name as the registry writes it (folded only): read for every
 * holder of a numbered key each time a string names one ("Université Paris 8"), so kept, up to READINGS_KEPT names,
 * then forgotten all at once.
 */
function numberedReading(name: string): { bag: string; numbers: string[] } {
  let reading = numberedReadings.get(name);
  if (reading === undefined) {
    if (numberedReadings.size >= READINGS_KEPT) numberedReadings.clear();
    numberedReadings.set(name, (reading = { bag: bagKey(nameTokens(name)), numbers: nameNumbers(name) }));
  }
  return reading;
}

/**
 * Numbers set off by a space before a comma ("University of Montpellier 3 , Montpellier"): how Crossref writes an author's
 * affiliation footnote mark, leading zeros dropped. Whether one is a name's number is up to the registry (heldWithNumber).
 */
function footnoteMarks(text: string): Set<string> {
  return new Set([...text.matchAll(/(?:^|\s)(\d{1,3})\s+,/g)].map((m) => String(Number(m[1]))));
}

/** The numbers written among a name's words inside a part, and right after them: `from` and `length` count name tokens. */
function numbersWrittenWith(part: string, from: number, length: number): string[] {
  const words = foldText(part).split(' ');
  let taken = 0;
  let i = 0;
  while (i < words.length && taken < from) taken += nameTokens(words[i++]!).length;
  const numbers: string[] = [];
  while (i < words.length && (taken < from + length || /^\d+$/.test(words[i]!))) {
    const word = words[i++]!;
    if (/^\d{1,4}$/.test(word)) numbers.push(String(Number(word)));
    else if (taken >= from + length) break;
    taken += nameTokens(word).length;
  }
  return numbers;
}

/** Words that close the name of a campus or a street ("Medellín Campus", "Zhongguancun Road"): written after an institution's name, its address. */
const ADDRESS_CLOSING = new Set(['campus', 'campuses', 'road', 'rd', 'street', 'avenue', 'ave', 'boulevard', 'blvd', 'lane', 'highway', 'hwy', 'drive']);

/** Words of an address after an institution's name ("Yuquan Campus", "Zhongguancun Road"): they do not make a longer name. */
const ADDRESS_TOKEN = new Set([
  'campus',
  'road',
  'rd',
  'street',
  'st',
  'avenue',
  'ave',
  'boulevard',
  'blvd',
  'district',
  'building',
  'bldg',
  'floor',
  'room',
  'box',
  'campuses',
  'site',
  'park',
  'square',
  'lane',
  'way',
  'highway',
  'hwy',
  'drive',
  'zone',
  'town',
  'village',
  'county',
  'province',
  'city',
  'state',
]);

/** Words of a unit, before or after the institution's name in the same part: "State Key Laboratory of …, Xi'an Institute of Optics …". */
const UNIT_TOKEN = new Set([
  'department',
  'dept',
  'division',
  'section',
  'faculty',
  'college',
  'laboratory',
  'laboratories',
  'lab',
  'labs',
  'unit',
  'program',
  'programme',
  'group',
  'center',
  'institute',
  'school',
  'clinic',
  'chair',
  'team',
  'core',
  'service',
  'office',
  // The ministry a key laboratory answers to, written before the university ("Ministry of Education Shandong University").
  'ministry',
  'library',
  'key',
  'branch',
  'centre',
]);

/**
 * Whether a registry name is a university's name with a school or hospital before or after it
 * ("Columbia University Irving Medical Center", "Xiangya Hospital, Central South University"):
 * the string names that university too, and the hospital is kept as its unit. A name that goes
 * on as another university ("… University of Medical Sciences", "University of Texas
 * Southwestern Medical Center") is not one: callers check the record is not itself a university.
 */
function isAffiliateName(universityKey: string, key: string): boolean {
  if (key === universityKey || !/\b(university|universite|college)\b/.test(universityKey)) return false;
  if (key.startsWith(`${universityKey} `)) return AFFILIATE_AFTER.test(key.slice(universityKey.length + 1));
  if (key.endsWith(` ${universityKey}`)) return AFFILIATE_BEFORE.test(key.slice(0, -universityKey.length - 1));
  return false;
}
const AFFILIATE_AFTER = /^((\w+ )?(medical center|medical school|medical college|hospital|health|clinic|cancer center|school|faculty|children))\b/;
const AFFILIATE_BEFORE = /\b(hospital|center|clinic|school|college|infirmary)$/;
/** What makes an affiliate name a hospital's rather than a school's (its words besides the university's). */
const HOSPITAL_AFFILIATE = /\b(hospital|medical center|health|clinic|cancer center|infirmary|children)\b/;

const ORG_WORD = /\b(universit|institut|college|hospital|academ|cent(er|re)|laborator|school|corporation|compan|gmbh|ltd|inc|foundation|council|agency|ministry|observator|museum|clinic|polytechn|hochschule|ecole|escuela|scuola)/;

/** Words that make a part of a string an organisation's name ("Universidade Federal de Minas Gerais", "Rabin Medical Center"), in folded form. */
const NAMES_ORGANISATION = /\b(universi|college|hospital|medical cent|clinic|academ|polytechn|hochschule|ecole|escuela|scuola)/;

/** A bare "/" between two names, each a capitalised word and more ("Charles University/Rutgers University"; not "TU/e", "CNRS/IN2P3"). */
const NAMES_PARTED = /(?<=\p{Ll}{3})\/(?=\p{Lu}\p{Ll}+\s\p{L})/u;

/**
 * A possible match this well scored may tell the country when nothing else does. Raising it to 0.45 (country16) takes
 * away one wrong country ("INM-1" → CH at 0.35) and 19 right ones (16 of them WoS addresses without their country).
 */
const SOFT_COUNTRY_SCORE = 0.3;
/**
 * "Weizmann Institute", "Ben Gurion University": a shortened name that only one registry name reads as stays possible, but
 * where that one record is tells the country, when it is the whole string ("Weizmann Institute, KAIST" names two countries).
 * Measured on the labelled sets (country16): 2 more right countries on the CS venues, none wrong anywhere.
 */
const SOFT_COUNTRY_SHORTENED = 0.2;

/**
 * Resolves raw affiliation strings to ROR institutions and a country.
 * First the string is repaired (export noise, e-mail addresses, detached accents) and the
 * user's corrections are consulted. Then, strongest evidence first: a whole part of the string
 * is a registry name; the same words in another order, or a name inside a longer part; a company
 * or corporate lab; a close fuzzy match or an acronym with a corroborating place. A candidate in
 * another country than the one the string names is kept only as "possible", with the
 * disagreement stated, and the place decides the country. Each match's score is calibrated (the
 * share of matches made the same way that were right on the tuning set) and its tier is cut from it.
 */
export class AffiliationResolver {
  readonly gazetteer: Gazetteer;
  readonly calibration: Calibration;
  private thesaurus: Thesaurus | null;
  private readonly companies: Companies;
  private readonly entries = new Map<string, Entry>();
  /** Name key → institution → how the registry holds that name (display 3, label 2, alias 1). */
  private readonly exact = new Map<string, Map<string, number>>();
  private readonly bag = new Map<string, Map<string, number>>();
  /** Each institution's names as written (folded only), to prefer the one the string spells out. */
  private readonly literal = new Map<string, string[]>();
  /** Names the registry writes only with a country in brackets ("canon" for "Canon (Japan)"), in name form. */
  private readonly stems = new Set<string>();
  /** Name keys some registry name holds with a number the key leaves out ("Université Paris 8", "INSERM U 1195"). */
  private readonly numberedKeys = new Set<string>();
  /** Order-free key → the names, in their own order, that share it. */
  private readonly bagNames = new Map<string, string[]>();
  /** A university's name with its town taken out ("hebrew university" for "Hebrew University of Jerusalem") → the one registry university so named. */
  private readonly townless = new Map<string, string>();
  private readonly acronyms = new Map<string, Set<string>>();
  private readonly cjk: { text: string; id: string }[] = [];
  private readonly postings = new Map<string, number[]>();
  /** Names of two words or more, each with its distinct words and its institution's city (padded with spaces), read by fuzzy matching. */
  private readonly fuzzyNames: { id: string; tokens: string[]; words: string[]; city: string }[] = [];
  /**
   * Each fuzzy name's weight and word count, by index, kept apart from the names: fuzzy matching tells most names of a
   * posting list apart by these two alone, and reading them from two arrays of numbers is much faster than visiting every
   * name. (Plain arrays: the matcher index file keeps no typed array.)
   */
  private readonly fuzzyWeights: number[] = [];
  private readonly fuzzyLengths: number[] = [];
  private readonly idf = new Map<string, number>();
  private readonly maxSpan: number;
  /** Words this common among registry names do not identify anything on their own. */
  private readonly genericIdf: number;
  /**
   * Units the registry names only by the label their parent's record gives them, their own record not loaded (a partial
   * registry): parent → the units' name keys, ids and labels (NIH → "national eye institute", 03wkg3b53, …).
   */
  private readonly unheldUnits = new Map<string, { key: string; id: string; label: string }[]>();
  /** The same label-only units by name key: "national institute mental health" → NIH's unit (US), NCNP's (JP). */
  private readonly unheldByKey = new Map<string, { parent: string; id: string; label: string }[]>();
  /** The legal forms screening reads as placing a company (aliases.json placed_abroad); read when first needed. */
  private legalForms: UnitRule['abroad']['legalForms'] | null = null;

  constructor(institutions: Iterable<Institution>, options: ResolverOptions = {}) {
    const list = [...institutions];
    this.gazetteer = new Gazetteer(list);
    this.calibration = options.calibration ?? Calibration.load();
    this.thesaurus = options.thesaurus ?? null;
    this.companies = options.companies ?? new Companies();
    const companyRecords = new Set(this.companies.list.flatMap((c) => [...Object.values(c.registry), ...c.labs.flatMap((l) => (l.ror ? [l.ror] : []))]));
    const companyNames = new Set(this.companies.list.flatMap((c) => [...c.names, ...c.labs.flatMap((l) => l.names)].map((name) => nameTokens(name).join(' '))));
    let longest = 1;
    const df = new Map<string, number>();
    const named: { id: string; tokens: string[] }[] = [];
    for (const inst of list) {
      this.entries.set(inst.id, {
        id: inst.id,
        name: inst.name,
        countryCode: inst.countryCode,
        city: inst.city ? foldText(inst.city) : null,
        status: inst.status,
        types: inst.types,
        parents: inst.parents,
        children: inst.children,
        related: inst.related,
        successors: inst.successors,
        subdivision: inst.subdivision ? foldText(inst.subdivision).trim() : null,
      });
      for (const p of inst.parents) add(this.childrenOf, p, inst.id);
      for (const c of inst.children) add(this.childrenOf, inst.id, c);
      for (const n of inst.names) {
        if (n.types.includes('acronym')) {
          const acronym = acronymKey(n.value);
          if (acronym.length >= 2) add(this.acronyms, acronym, inst.id);
          continue;
        }
        if (hasCjk(n.value)) this.cjk.push({ text: n.value.normalize('NFKC'), id: inst.id });
        // "Canon (Japan)": the registry writes a group's records with their country, which strings never do ("Canon Inc,
        // Tokyo"); the name is the words before it, and the country in brackets is no place the string names.
        // A company of the companies data is read by the company rule, which knows where it works ("Apple", "Google").
        const stem = companyRecords.has(inst.id) || companyNames.has(nameTokens(n.value.replace(/\s*\([^()]*\)$/, '')).join(' ')) ? null : countryStem(n.value, (place) => this.gazetteer.countryCodeOf(place) === inst.countryCode);
        const literals = this.literal.get(inst.id) ?? [];
        literals.push(` ${foldText(stem ?? n.value)} `);
        this.literal.set(inst.id, literals);
        const tokens = nameTokens(n.value);
        if (tokens.length === 0) continue;
        const priority = n.types.includes('ror_display') ? 3 : n.types.includes('label') ? 2 : 1;
        addRanked(this.exact, tokens.join(' '), inst.id, priority);
        if (nameNumbers(n.value).length > 0) this.numberedKeys.add(bagKey(tokens));
        const stemTokens = stem === null ? [] : nameTokens(stem);
        // "Avon (United States)" is a company; "Avon" alone is the county.
        if (stemTokens.length > 1 || (stemTokens.length === 1 && !this.gazetteer.isPlace(stemTokens[0]!))) {
          addRanked(this.exact, stemTokens.join(' '), inst.id, priority);
          this.stems.add(stemTokens.join(' '));
        }
        addUmlautWords(this.gazetteer.umlautWords, n.value);
        if (tokens.length > 1) {
          addRanked(this.bag, bagKey(tokens), inst.id, priority);
          const names = this.bagNames.get(bagKey(tokens)) ?? [];
          names.push(tokens.join(' '));
          this.bagNames.set(bagKey(tokens), names);
        }
        longest = Math.max(longest, tokens.length);
        named.push({ id: inst.id, tokens });
        for (const t of new Set(tokens)) df.set(t, (df.get(t) ?? 0) + 1);
      }
    }
    this.maxSpan = Math.min(longest, 16);
    for (const inst of list) {
      const units = (inst.childNames ?? []).flatMap((label, k) => {
        const id = inst.children[k];
        const key = nameTokens(label).join(' ');
        return id === undefined || this.entries.has(id) || key === '' ? [] : [{ key, id, label }];
      });
      if (units.length > 0) this.unheldUnits.set(inst.id, units);
      for (const u of units) this.unheldByKey.set(u.key, [...(this.unheldByKey.get(u.key) ?? []), { parent: inst.id, id: u.id, label: u.label }]);
    }
    this.cjk.sort((a, b) => b.text.length - a.text.length);
    const total = named.length;
    for (const [t, n] of df) this.idf.set(t, Math.log(1 + total / n));
    this.genericIdf = Math.log(1 + total / GENERIC_DF);
    this.indexTownless(named);
    const paddedCity = new Map<string, string>();
    for (const { id, tokens } of named) {
      if (tokens.length < 2) continue;
      const index = this.fuzzyNames.length;
      const words = [...new Set(tokens)];
      let city = paddedCity.get(id);
      if (city === undefined) paddedCity.set(id, (city = ` ${this.entries.get(id)?.city ?? ''} `));
      this.fuzzyNames.push({ id, tokens, words: words.length === tokens.length ? tokens : words, city });
      this.fuzzyWeights.push(this.weight(tokens));
      this.fuzzyLengths.push(tokens.length);
      for (const t of words) {
        const list = this.postings.get(t) ?? [];
        list.push(index);
        this.postings.set(t, list);
      }
    }
  }

  /**
   * "Hebrew University" for "Hebrew University of Jerusalem": a university's registry name with its town taken out is
   * that university only where no other record's name reads so, with or without its own town, or begins so ("University
   * of the Philippines" begins the names of its campuses other than Manila), and a word of it is rare.
   */
  private indexTownless(named: { id: string; tokens: string[] }[]): void {
    const holders = new Map<string, Set<string>>();
    for (const { id, tokens } of named) {
      const e = this.entries.get(id)!;
      if (e.city === null || e.status !== 'active' || !e.types.includes('education')) continue;
      const town = nameTokens(e.city);
      const at = tokens.findIndex((_, i) => town.length > 0 && town.every((t, k) => tokens[i + k] === t));
      if (at < 0) continue;
      const rest = [...tokens.slice(0, at), ...tokens.slice(at + town.length)];
      if (rest.length >= 2 && rest.includes('university') && rest.some((t) => (this.idf.get(t) ?? 0) > this.genericIdf)) add(holders, rest.join(' '), id);
    }
    for (const { id, tokens } of named) {
      for (let n = 2; n < tokens.length; n++) holders.get(tokens.slice(0, n).join(' '))?.add(id);
    }
    for (const [key, ids] of holders) if (ids.size === 1 && !this.exact.has(key)) this.townless.set(key, [...ids][0]!);
  }

  /** Replaces the corrections consulted before matching (after a user adds or removes one). */
  useThesaurus(thesaurus: Thesaurus | null): void {
    this.thesaurus = thesaurus;
  }

  institution(id: string): Entry | undefined {
    return this.entries.get(id);
  }

  /**
   * The registry institution below `parentId` (a child, or a child's child) that bears the name
   * `tokens` spell, in the resolver's name form: "Institute of Computing Technology" under the
   * Chinese Academy of Sciences. Null when none does, or when two do.
   */
  descendantNamed(parentId: string, tokens: string[]): { rorId: string; name: string; held: 'name' | 'alias' } | null {
    const ids = this.exact.get(tokens.join(' '));
    if (!ids) return null;
    const found = [...ids].filter(([id]) => id !== parentId && this.entries.get(id)?.status === 'active' && this.ancestors(id).has(parentId));
    if (found.length !== 1) return null;
    const [id, priority] = found[0]!;
    return { rorId: id, name: this.entries.get(id)!.name, held: priority === 1 ? 'alias' : 'name' };
  }

  /** The active institutions holding `text`, read whole in the resolver's name form, as a registry name (any kind but an acronym). */
  nameHolders(text: string): string[] {
    return [...(this.exact.get(nameTokens(text).join(' '))?.keys() ?? [])].filter((id) => this.entries.get(id)?.status === 'active');
  }

  /** Follows parent links to the top: an institute of the Chinese Academy of Sciences → CAS. */
  rollUp(id: string): string {
    let current = id;
    const seen = new Set<string>([id]);
    for (;;) {
      const parent = this.entries.get(current)?.parents.find((p) => this.entries.has(p) && !seen.has(p));
      if (!parent) return current;
      seen.add(parent);
      current = parent;
    }
  }

  /** `thesaurus`: the corrections in force for whoever asks (an organisation's own and those shared with it); by default the resolver's own. */
  resolve(raw: string, thesaurus: Thesaurus | null = this.thesaurus): Resolution {
    const whole = this.resolvePart(raw, thesaurus);
    return this.joinedSides(raw, whole, thesaurus) ?? whole;
  }

  /**
   * "Tsinghua University, Beijing, China and University of Oxford, Oxford, UK": a string joining institutions by "and"
   * is read one side at a time, each with its own address, when every side alone names an institution solidly (or a
   * company) and the whole string did not already count them all; otherwise null, and the whole string's reading stands.
   * A side that names nothing solidly ("Department of Physics", "Beijing") means the "and" was inside one name.
   */
  private joinedSides(raw: string, whole: Resolution, thesaurus: Thesaurus | null): Resolution | null {
    const text = cleanAffiliation(raw, (w) => this.gazetteer.isPlace(w))
      .text.normalize('NFKC')
      .trim();
    const sides = text.split(JOINED_SIDES).map((x) => x.replace(/^[\s,;]+|[\s,;]+$/g, ''));
    if (sides.length < 2 || sides.some((x) => x === '') || thesaurus?.lookup(raw)) return null;
    const solid = (r: Resolution) => r.institutions.filter((m) => TIER_RANK[m.tier] >= TIER_RANK.strong).map((m) => m.rorId);
    // A generic name ("Institute of Virology") is no institution of its own beside the others.
    const names = (r: Resolution) => r.institutions.some((m) => TIER_RANK[m.tier] >= TIER_RANK.strong && !m.basis.generic) || (r.companies ?? []).length > 0;
    // What follows "and" must begin with a name: in "Institute of Ecology and Evolution, University of Bern" it is "Evolution",
    // the rest of a unit's name; one word alone ("Mind", "Math") names only a company.
    const begins = (first: string) => {
      const r = this.resolvePart(first, thesaurus);
      return nameTokens(first).length > 1 ? names(r) : (r.companies ?? []).length > 0;
    };
    if (!sides.slice(1).every((side) => begins(segments(side)[0]!))) return null;
    const read = sides.map((side) => ({ side, r: this.resolvePart(side, thesaurus) }));
    if (!read.every(({ r }) => names(r))) return null;
    // "Beijing Institute of Genomics & China National Center for Bioinformation, Chinese Academy of Sciences": units of one institution, read with it whole.
    if (read.some(({ r }, k) => read.some(({ r: o }, j) => j !== k && solid(r).some((a) => solid(o).some((b) => this.sameTree(a, b)))))) return null;
    // Read apart, the sides must still count all the whole string counted ("Microsoft and University of Southern California":
    // Microsoft is placed by the university beside it) and more.
    const counted = new Set(solid(whole));
    const apart = new Set(read.flatMap(({ r }) => solid(r)));
    if ([...counted].some((id) => !apart.has(id)) || [...apart].every((id) => counted.has(id))) return null;
    const institutions: InstitutionMatch[] = [];
    for (const [k, { side, r }] of read.entries()) for (const m of r.institutions) if (!institutions.some((o) => o.rorId === m.rorId)) institutions.push({ ...m, primary: k === 0 && m.primary, evidence: `${m.evidence} (read in "${side}", one side of "and")` });
    const companies = read.flatMap(({ r }) => r.companies ?? []);
    const tier = institutions.reduce<Tier>((best, m) => (TIER_RANK[m.tier] > TIER_RANK[best] ? m.tier : best), 'unresolved');
    const resolution: Resolution = { raw, institutions, tier, ...this.sidesCountry(read) };
    if (companies.length > 0) resolution.companies = companies;
    return resolution;
  }

  /**
   * An address written only after the last side is the whole string's ("A and B, Beijing, China"); otherwise each side
   * gives its own country, and sides in two countries give none: which one is the author's is not said.
   */
  private sidesCountry(read: { side: string; r: Resolution }[]): { countryCode: string | null; countryEvidence: string } {
    const addressed = read.map(({ side }) => segments(side).length > 1 && this.gazetteer.detect(segments(side).slice(1).join(', ')).countryCode !== null);
    const last = read[read.length - 1]!.r;
    if (addressed.indexOf(true) === read.length - 1 && last.countryCode) return { countryCode: last.countryCode, countryEvidence: `${last.countryEvidence} (the address after the last of the names joined by "and")` };
    // A first side whose country is unknown ("Google and University of Warsaw": Google works in many) leaves it unknown.
    if (read[0]!.r.countryCode === null) return { countryCode: null, countryEvidence: read[0]!.r.countryEvidence };
    const placed = read.filter(({ r }) => r.countryCode !== null);
    const codes = [...new Set(placed.map(({ r }) => r.countryCode!))];
    if (codes.length === 1) return { countryCode: codes[0]!, countryEvidence: placed[0]!.r.countryEvidence };
    if (codes.length === 0) return { countryCode: null, countryEvidence: read[0]!.r.countryEvidence };
    const named = codes.map((code) => {
      const { side, r } = placed.find(({ r }) => r.countryCode === code)!;
      return `${code} (${r.institutions.find((m) => m.primary)?.name ?? side})`;
    });
    return {
      countryCode: null,
      countryEvidence: addressed.some((a) => a) ? `the sides joined by "and" are placed in ${codes.length} countries: ${named.join(', ')}` : `the string names institutions in ${codes.length} countries and no place: ${named.join(', ')}`,
    };
  }

  private resolvePart(raw: string, thesaurus: Thesaurus | null): Resolution {
    const cleaned = cleanAffiliation(raw, (w) => this.gazetteer.isPlace(w));
    // "Université de Montréal [Mila]": the bracketed word is a part of its own, as the gazetteer reads it, so a word the
    // registry holds as an institution ("Mila") is matched as one, as it is when written ", Mila".
    let text = bracketedPlaceAsPart(cleaned.text.normalize('NFKC').trim());
    // "Universitaet Duesseldorf", "Goethe-Universitaet": a word of a registry or place name written without its umlauts
    // is read as the name writes it, for every rule (names, words of names, places).
    const umlauts = restoreUmlauts(this.gazetteer.umlautWords, text);
    if (umlauts.read.length > 0) {
      text = umlauts.text;
      cleaned.repairs.push(`read ${umlauts.read.join(', ')} (registry and place names write them with umlauts)`);
    }
    const noted = withoutCareerNotes(text);
    if (noted !== null) {
      text = noted.text;
      cleaned.repairs.push(`a note that the institution is an address (${noted.notes.map((n) => JSON.stringify(n)).join(', ')}) taken out`);
    }
    if (text === '') return { raw, institutions: [], countryCode: null, countryEvidence: 'empty string', tier: 'unresolved' };
    let country = this.gazetteer.detect(text);
    // "Mila" is a city in Algeria and the name of an institute in Montreal: a word the registry holds as an institution's
    // name or label is not read as a city. An alias does not count: "Milan" is an alias of a pharmaceutical company.
    if (country.city && [...(this.exact.get(nameTokens(country.city.text).join(' '))?.values() ?? [])].some((priority) => priority >= 2)) country = { ...country, countryCode: null, evidence: `"${country.city.text}" is a registry name, not read as a city`, city: null };
    const correction = thesaurus?.lookup(raw) ?? null;
    const decided = correction?.decided;
    if (decided?.verdict === 'none') return { raw, institutions: [], countryCode: country.countryCode, countryEvidence: `${country.evidence}; no registry institution: ${describeCorrection(decided)}`, tier: 'unresolved' };
    if (decided && this.entries.has(decided.rorId)) return this.corrected(raw, decided, country);
    const refused = new Set(correction?.not.map((c) => c.rorId) ?? []);
    const segs = segments(text);
    const segTokens = segs.map((s) => nameTokens(s));
    const bounds: [number, number][] = [];
    const flat: string[] = [];
    for (const toks of segTokens) {
      bounds.push([flat.length, flat.length + toks.length]);
      flat.push(...toks);
    }
    const mentions = this.companies.find(flat, bounds, segs);
    const hints: Hint[] = [];
    const context = { country, text, flat, refused, mentions, hints };
    const capitals = new Set(segs.flatMap((seg) => (seg.match(/\b[A-Z][A-Za-z0-9&]{1,9}\b/g) ?? []).filter(isAcronym).flatMap((w) => nameTokens(w, true))));
    const otherKinds = new Map<string, string>();
    const partsOf = (c: Candidate) => flat.slice(bounds.find(([s, e]) => c.start >= s && c.start < e)?.[0] ?? c.start, bounds.find(([s, e]) => c.end > s && c.end <= e)?.[1] ?? c.end);
    const spans = this.ofTheKindNamed([...this.spanCandidates(flat, bounds, capitals, segs, footnoteMarks(text)), ...this.schoolsOfUniversities(flat, bounds, segs)], partsOf, otherKinds);
    let picked = this.pick([...spans, ...this.ofTheKindNamed(this.townlessCandidates(segs, bounds, flat), partsOf, otherKinds), ...this.cjkCandidates(text), ...this.companyCandidates(mentions)], context);
    if (picked.length === 0)
      picked = this.pick(
        this.ofTheKindNamed(this.fuzzyCandidates(segs, segTokens), (c) => segTokens[c.start] ?? [], otherKinds),
        { ...context, flat: segs.map((x) => foldText(x)) },
      );
    if (picked.length === 0) picked = this.pick(this.acronymCandidates(segs, text, country), context);
    const systems = this.campusesRead(picked, flat, bounds, foldText(text));
    picked = systems.picked;
    // An acronym whose holders share one country tells it even when a match found beside it stays possible, unless a match
    // places the string elsewhere ("Weizmann Institute, KAIST"); a name glued to a longer one or of common words places nothing.
    const elsewhere = (code: string) => picked.some((p) => p.c.how !== 'inside-glued' && !this.isGeneric(p.c.key) && this.entries.get(p.id)!.countryCode !== code);
    // "Toyota Technological Institute at Chicago (TTIC)": an acronym whose registry holders are all in another country than
    // the place the string names (outside the names matched) is some other name's letters; it is set aside, and said so.
    const place = country.countryCode ?? this.placeOutsideNames(text, picked);
    const setAside: string[] = [];
    const atPlace = (h: { code: string; acronym: string }) => {
      if (place === null || place === h.code) return true;
      setAside.push(`the acronym "${h.acronym}" is held in the registry only in ${h.code}, not where the string places it (${place}): not read`);
      return false;
    };
    // "Forschungsgruppe Agrar- und Regionalentwicklung Triesdorf (ART)": an acronym whose letters are the initials of the name
    // written before it is that name's own, whatever registry institution elsewhere also holds it; it is set aside, and said so.
    // Unless the name is read as a holder of the acronym ("Nuclear Energy Agency of the OECD (NEA)").
    const ownLetters = (h: { code: string; acronym: string }, k: number) => {
      const spelt = k > 0 && spellsInitials(h.acronym, segs[k - 1]!) && !picked.some((p) => this.holdsAcronym(p.id, h.acronym));
      if (spelt) setAside.push(`the acronym "${h.acronym}" spells the initials of "${segs[k - 1]}", written before it, so it is that name's own, not the registry's holders' in ${h.code}: not read`);
      return spelt;
    };
    hints.push(...this.acronymCountries(segs).filter((h) => !elsewhere(h.code) && atPlace(h) && !ownLetters(h, h.part)));
    // "ETH Zürich and BUPT": a university's acronym joined by "and" to a name is a second institution, wherever the first is.
    const joined = this.acronymCountries(
      segs.flatMap((seg) => seg.split(JOINED_SIDES).slice(1)),
      true,
    ).filter(atPlace);
    const repaired = cleaned.repairs.length > 0 ? ` (after repairs: ${cleaned.repairs.join('; ')})` : '';
    const placeAliases = new Map(picked.filter((p) => this.isPlaceAlias(p, picked, bounds, country)).map((p) => [p.id, p.c.key]));
    const unitsOfUnheld = this.unitsOfUnheld(picked, spans, mentions, bounds, segs);
    const acronymsAbroad = this.acronymsAbroad(picked, bounds, segs);
    // "University of Maine at Farmington": a university's name written with "at" and a town it is not in names its campus
    // in that town, another university the registry holds under a name of its own when it holds it at all.
    const campusesElsewhere = new Map(
      picked
        .filter((p) => {
          const e = this.entries.get(p.id)!;
          return p.c.campusAt !== undefined && e.types.includes('education') && /\buniversi/.test(foldText(e.name)) && (e.city === null || nameKey(e.city) !== p.c.campusAt);
        })
        .map((p) => [p.id, p.c.campusAt!]),
    );
    const { matches: folded, schoolsOnly, hospitals } = this.foldUnits(this.succeeded(picked.map((p) => this.toMatch(p, repaired))));
    // Scored once more now that it is known whether the institution is named with units of it.
    // A school named after the university ("Stanford University School of Medicine") names the
    // university itself, not a unit whose own record may be meant.
    // (Being named beside other institutions says which one is primary, not whether this one is named.)
    for (const m of folded) this.rescore(m, m.units.length > 0 && !schoolsOnly.has(m) ? 'with-units' : 'alone');
    for (const m of folded) {
      const place = placeAliases.get(m.rorId);
      if (place !== undefined) this.keepPossible(m, `but "${place}" is the place the string names before its state or country, and the registry holds it only as an alias${this.placeAliasWhy(m.rorId, picked)}: kept as possible`);
      const campus = campusesElsewhere.get(m.succeeds?.rorId ?? m.rorId);
      if (campus !== undefined) this.keepPossible(m, `but "at ${campus}" after the name names its campus there, and the registry places its record in "${this.entries.get(m.rorId)!.city ?? 'no town'}": kept as possible`);
      const system = systems.campusless.get(m.succeeds?.rorId ?? m.rorId);
      if (system !== undefined) this.keepPossible(m, `but "${system.key}" begins the names of ${system.campuses.length} of its campuses (${system.campuses.slice(0, 3).join(', ')}${system.campuses.length > 3 ? ', …' : ''}), and the string names none of them: kept as possible`);
      const unheld = unitsOfUnheld.get(m.succeeds?.rorId ?? m.rorId);
      if (unheld !== undefined && m.basis.place === 'none') this.keepPossible(m, `but "${unheld.key}" is written as a unit of "${unheld.parent}", which the registry does not hold, and nothing places it where the registry's record is: kept as possible`);
      const acronym = acronymsAbroad.get(m.succeeds?.rorId ?? m.rorId);
      if (acronym !== undefined && m.basis.place === 'none') this.keepPossible(m, acronym);
      const kindOnly = this.namedOnlyByKind(m, picked);
      if (kindOnly !== null) this.keepPossible(m, kindOnly);
      const e = this.entries.get(m.rorId)!;
      // A withdrawn record was never an institution (a duplicate, an error) or its successor is not in the registry loaded.
      if (e.status === 'withdrawn') this.keepPossible(m, `but ROR record ${e.id} is withdrawn${e.successors.length > 0 ? `; the registry names its successor ${e.successors.join(', ')}, which is not in the registry loaded` : ', with no successor named'}: kept as possible`);
      else if (e.status === 'inactive' && !m.succeeds) m.evidence = `${m.evidence}; ROR record ${e.id} is inactive (the institution no longer operates as such)${e.successors.length > 0 ? `; its successors: ${e.successors.join(', ')}` : ''}`;
    }
    // Where in the string each institution is first named (an acronym read beside a name has no place of its own).
    const writtenAt = new Map<string, number>();
    for (const p of picked) {
      const at = writtenAt.get(p.id);
      if (p.c.start >= 0 && (at === undefined || p.c.start < at)) writtenAt.set(p.id, p.c.start);
    }
    const matches = this.rankPrimary(folded, hospitals, writtenAt);
    const tier = matches.reduce<Tier>((best, m) => (TIER_RANK[m.tier] > TIER_RANK[best] ? m.tier : best), 'unresolved');
    // "TOYOHASHI University of Technology", "École Normale Supérieure de Rabat": a name written with a place before or after it
    // is that place's longer name, no institution elsewhere.
    const gluedToPlace = new Set(picked.filter((p) => p.c.placeAfter !== undefined || (p.c.how === 'inside-glued' && p.c.start > 0 && this.gazetteer.isPlace(flat[p.c.start - 1]!))).map((p) => p.id));
    const { countryCode, countryEvidence } = this.countryOf(country, matches, mentions, hints, joined, text, gluedToPlace, new Set([...unitsOfUnheld.keys(), ...acronymsAbroad.keys()]));
    const refusals = refused.size > 0 ? `; ${correction!.not.map(describeCorrection).join('; ')} (refused ${[...refused].join(', ')})` : '';
    const aside = [...otherKinds.values(), ...setAside];
    const asideNote = aside.length > 0 ? `; ${aside.join('; ')}` : '';
    const resolution: Resolution = { raw, institutions: matches, countryCode, countryEvidence: countryEvidence + asideNote + refusals, tier };
    if (mentions.length > 0) resolution.companies = mentions.map((m) => this.companyFinding(m, country, text));
    return resolution;
  }

  /** The company a mention names and where: the place the string names, else the lab's only country, else "company known, country unknown". */
  private companyFinding(m: CompanyMention, country: CountryFinding, text: string): CompanyFinding {
    const name = m.company.names[0]!;
    const site = this.companySite(m, text);
    const code = country.countryCode ?? site.code;
    const ror = code === null ? null : ((m.lab?.ror && m.lab.countries.includes(code) && (m.lab.rorCountry ?? m.lab.countries[0]) === code ? m.lab.ror : undefined) ?? m.company.registry[code] ?? null);
    const held = ror && this.entries.has(ror) ? ror : null;
    const record = code === null ? '' : held ? `; its registry record there: ${held} ${this.entries.get(held)!.name}` : `; the registry holds no record of ${name} in ${code}`;
    const evidence = country.countryCode ? `${name} at a site in ${code}, where the string places it (${country.evidence})` : site.code ? site.why : `company known, country unknown: ${site.why}`;
    return { id: m.company.id, name, lab: m.lab?.names[0] ?? null, countryCode: code, rorId: held, evidence: evidence + record };
  }

  /**
   * "Trinity College, Hartford, CT": a part that is only a place, followed by its state or country, is the
   * address. That a company, or an institution beside another one named, holds the place as an alias
   * ("Hartford": Hartford Financial Services) does not make the place an institution. An institution
   * holding it as its name, or the only one the string can mean, stays; written after another part
   * ("Sanofi, Lyon, France"), the place is where that part's organisation is.
   */
  private isPlaceAlias(p: Picked, picked: Picked[], bounds: [number, number][], country: CountryFinding): boolean {
    if (p.c.how !== 'exact' || p.c.company || p.c.ids.get(p.id) !== 1 || !country.explicit || !this.gazetteer.isPlace(p.c.key)) return false;
    const part = bounds.findIndex(([s, e]) => s === p.c.start && e === p.c.end);
    if (part < 0 || part === bounds.length - 1) return false;
    return this.entries.get(p.id)!.types.includes('company') || picked.some((o) => o.id !== p.id) || part > 0;
  }

  /**
   * "Department of Physics, University of California": the name a system's campuses begin with ("University of California,
   * Berkeley", "… Los Angeles") is also a name of the system's record, but a department, a school or an author belongs to
   * one campus, and ROR's labels give the campus. A campus written after the name ("University of California, Los Angeles
   * School of Dentistry", "University of Texas Medical Branch": the start of "… Medical Branch at Galveston") or its town
   * named elsewhere in the string is read as that campus; with none named, the system is returned among `campusless`, by
   * id, with the name read and its campuses' names.
   */
  private campusesRead(picked: Picked[], flat: string[], bounds: [number, number][], folded: string): { picked: Picked[]; campusless: Map<string, { key: string; campuses: string[] }> } {
    const campusless = new Map<string, { key: string; campuses: string[] }>();
    const starts = (words: string[], head: string[]) => head.length > 0 && head.every((w, k) => words[k] === w);
    const read = picked.map((p) => {
      const campuses = p.c.start < 0 ? [] : this.campusesOf(p.id, p.c.key);
      if (campuses.length === 0) return p;
      const part = bounds.findIndex(([s, e]) => p.c.end > s && p.c.end <= e);
      const own = flat.slice(p.c.end, bounds[part]![1]);
      const next = part + 1 < bounds.length ? flat.slice(...bounds[part + 1]!) : [];
      const after = own.length > 0 ? own : next;
      // The campus's own words after the name, or, inside the name's part, the first of them ("University of Texas Southwestern").
      const written = campuses.filter((c) => starts(after, c.rest) || (own.length > 0 && starts(c.rest, own)));
      const outside = wordsOutside(flat, p.c, folded);
      const placed = campuses.filter((c) => c.city && outside.includes(` ${c.city} `));
      const [campus, why] = written.length === 1 ? [written[0]!, 'the words after it go on as the name of'] : placed.length === 1 ? [placed[0]!, `"${this.entries.get(placed[0]!.id)!.city}", named in the string, is the town of`] : [null, ''];
      if (campus === null) {
        campusless.set(p.id, { key: p.c.key, campuses: campuses.map((c) => this.entries.get(c.id)!.name) });
        return p;
      }
      return { ...p, id: campus.id, note: `${p.note}; ${why} its campus ${campus.id} ${this.entries.get(campus.id)!.name}` };
    });
    return { picked: read, campusless };
  }

  /**
   * The campuses of a university system whose names go on from the name `key` matched ("university california" →
   * "… berkeley"), with the words that go on and the campus's town; none when fewer than two do (a university and one school
   * of it is no system of campuses).
   */
  private campusesOf(id: string, key: string): { id: string; rest: string[]; city: string | null }[] {
    const e = this.entries.get(id)!;
    // Only a record the registry names a system ("University of California System"): a university's own name that its
    // hospital or school records begin with ("University of Washington Medical Center") is that university's.
    if (!e.types.includes('education') || !nameTokens(e.name).includes('system') || key.split(' ').includes('system')) return [];
    const campuses = e.children.flatMap((c) => {
      const child = this.entries.get(c);
      if (!child || child.status !== 'active' || !child.types.includes('education')) return [];
      const tokens = nameTokens(child.name);
      return tokens.join(' ').startsWith(`${key} `) ? [{ id: c, rest: tokens.slice(key.split(' ').length), city: child.city === null ? null : nameKey(child.city) }] : [];
    });
    return campuses.length >= 2 ? campuses : [];
  }

  /**
   * "Institute of Molecular and Cellular Biology, National Tsing Hua University": a name of a unit's shape (its first word
   * a unit's, no place in it) written before a part that names an organisation (a university, a hospital) the registry
   * holds no name in, is that organisation's unit; the registry's namesake of the unit (a French institute) is a guess.
   * So is a registry name read inside a unit's words (round 50: "Molecular Cardiovascular Biology Division and Heart
   * Institute, Cincinnati Children's Hospital Medical Center" is not the Brazilian Heart Institute).
   * By picked institution: the unit's name and the part naming the organisation.
   */
  private unitsOfUnheld(picked: Picked[], spans: Candidate[], mentions: CompanyMention[], bounds: [number, number][], segs: string[]): Map<string, { key: string; parent: string }> {
    const out = new Map<string, { key: string; parent: string }>();
    // Any registry name or company read over a word of the part ("Institute of Biomedical Sciences, Academia Sinica" is one registry name).
    const read = (start: number, end: number) => [...spans, ...mentions].some((c) => c.start >= 0 && c.start < end && c.end > start);
    for (const p of picked) {
      const words = p.c.key.split(' ');
      if (p.c.start < 0 || p.c.company || !(UNIT_TOKEN.has(words[0]!) || p.c.how === 'inside-unit') || words.some((w) => this.gazetteer.isPlace(w))) continue;
      const own = bounds.findIndex(([start, end]) => p.c.start >= start && p.c.start < end);
      const parent = segs.findIndex((seg, k) => k > own && NAMES_ORGANISATION.test(foldText(seg)) && !read(...bounds[k]!));
      if (own >= 0 && parent > own) out.set(p.id, { key: p.c.key, parent: segs[parent]! });
    }
    return out;
  }

  /**
   * Round 50: "Institute of Neuroscience, CNR" is not the Zurich institute of that name: a unit's name with an acronym
   * written as a part of its own, which the record does not hold and whose every active registry holder is in other
   * countries than the record and outside its tree, is a unit of one of those (here Italy's CNR). Not for an acronym
   * another match holds or one spelling the initials of the unit's part or the record's name ("Istituto Italiano di
   * Tecnologia (IIT)"). An acronym inside the name's own part is not read so: a unit's letters ("ICB/USP", "IRP") are
   * held abroad too often. By picked institution: why it is kept as possible.
   */
  private acronymsAbroad(picked: Picked[], bounds: [number, number][], segs: string[]): Map<string, string> {
    const out = new Map<string, string>();
    const shaped = (w: string) => /^(?=(?:[^A-Z]*[A-Z]){2})[A-Z][A-Za-z0-9&-]{2,9}$/.test(w);
    for (const p of picked) {
      if (p.c.start < 0 || p.c.company || out.has(p.id) || !this.isUnitName(p.c.key)) continue;
      const own = bounds.findIndex(([start, end]) => p.c.start >= start && p.c.start < end);
      if (own < 0) continue;
      const e = this.entries.get(p.id)!;
      for (const acronym of segs.filter((_, k) => k !== own).map((seg) => seg.replace(/\./g, '').trim())) {
        if (!shaped(acronym) || spellsInitials(acronym, segs[own]!) || spellsInitials(acronym, e.name) || picked.some((o) => this.holdsAcronym(o.id, acronym))) continue;
        const holders = this.acronymHolders(acronym).filter((h) => h.countryCode);
        if (holders.length === 0 || holders.some((h) => h.countryCode === e.countryCode || this.sameTree(h.id, e.id))) continue;
        const codes = [...new Set(holders.map((h) => h.countryCode))].sort().join(' or ');
        out.set(
          p.id,
          `but "${acronym}", written as a part with it, is held in the registry only in ${codes} (${holders
            .map((h) => h.name)
            .slice(0, 3)
            .join(', ')}), and the registry places it in ${e.countryCode ?? 'no country'}: kept as possible`,
        );
        break;
      }
    }
    return out;
  }

  /** The units of `parent` known only by their label (unheldUnits) whose name is written in `words` (padded name tokens), other than as the name `own` read. */
  private unheldUnitsWritten(parent: string, words: string, own: string): { id: string; label: string }[] {
    return (this.unheldUnits.get(parent) ?? []).filter((u) => u.key !== own && words.includes(` ${u.key} `));
  }

  private placeAliasWhy(id: string, picked: Picked[]): string {
    if (this.entries.get(id)?.types.includes('company')) return ' of a company';
    return picked.some((o) => o.id !== id) ? ', beside another institution named' : ', after another part that names where the author works';
  }

  private corrected(raw: string, c: NonNullable<Thesaurus['corrections']>[number], country: CountryFinding): Resolution {
    const e = this.entries.get(c.rorId)!;
    const basis: Basis = { how: 'correction', held: 'name', ambiguity: 'unique', place: country.explicit && country.countryCode && country.countryCode !== e.countryCode ? 'conflict' : 'agrees', generic: false, named: 'alone' };
    const match: InstitutionMatch = { rorId: e.id, name: e.name, countryCode: e.countryCode, tier: 'exact', score: 1, evidence: describeCorrection(c), basis, units: [], primary: true };
    const placeNamed = country.explicit && country.countryCode;
    return {
      raw,
      institutions: [match],
      countryCode: placeNamed ? country.countryCode : e.countryCode,
      countryEvidence: placeNamed ? country.evidence : `country of ${e.name}, the institution a user's correction names`,
      tier: 'exact',
    };
  }

  /**
   * The country: a place the string names outright wins; else the primary match's (its
   * registry record's, or a company's lab site); else a city that stands for one country.
   * A company known without its place says so instead of guessing.
   */
  private countryOf(country: CountryFinding, matches: InstitutionMatch[], mentions: CompanyMention[], hints: Hint[], joined: Hint[], text: string, gluedToPlace: ReadonlySet<string>, guessed: ReadonlySet<string>): { countryCode: string | null; countryEvidence: string } {
    // Addresses in two countries ("…, India; …, Staffs"): the author's is not said, whatever the institutions.
    if (country.addresses) return { countryCode: null, countryEvidence: country.evidence };
    const primary = matches.find((m) => m.primary);
    const solid = primary && TIER_RANK[primary.tier] >= TIER_RANK.strong;
    // A country named only inside the institution's own name ("University of Western Macedonia") is not the address.
    // A part that is the country's name alone ("electricite de France - EdF (France)", "…, Hong Kong") is the address, whatever a name holds.
    const standsAlone = segments(text)
      .slice(1)
      .some((part) => this.gazetteer.countryCodeOf(part) === country.countryCode);
    const insideName = solid && country.explicit && !standsAlone && this.placeOf(primary.rorId, country) === 'none';
    const twoTowns = country.explicit && country.countryCode && primary?.basis.place === 'conflict' ? this.ownTownAgainstPlace(primary, country, text) : null;
    if (twoTowns !== null) return { countryCode: null, countryEvidence: twoTowns };
    if (country.explicit && country.countryCode && !insideName) return this.placeOfLastPart(country, matches, mentions, text) ?? { countryCode: country.countryCode, countryEvidence: country.evidence };
    // "ETH Zürich and Sapienza University of Rome" with no place: the author's country is one of two, and which is not said.
    const several = country.countryCode ? [] : this.institutionsAbroad(matches);
    if (several.length > 1) return { countryCode: null, countryEvidence: `the string names institutions in ${several.length} countries and no place: ${several.map((m) => `${m.countryCode} (${m.name})`).join(', ')}` };
    const apart = solid && !country.countryCode ? joined.find((h) => h.code !== primary.countryCode) : undefined;
    if (solid && apart) return { countryCode: null, countryEvidence: `the string names institutions in 2 countries and no place: ${primary.countryCode} (${primary.name}), ${apart.code} (${apart.why})` };
    if (solid && primary.basis.how !== 'company-unplaced') return { countryCode: primary.countryCode, countryEvidence: `country of ${primary.name}` };
    const company = mentions[0];
    if (company && !country.countryCode) {
      const site = this.companySite(company, text);
      if (site.code) return { countryCode: site.code, countryEvidence: site.why };
      return { countryCode: null, countryEvidence: `company known (${company.company.names[0]}), country unknown: ${site.why}` };
    }
    if (country.countryCode) return { countryCode: country.countryCode, countryEvidence: country.evidence };
    // No place and no sure institution: the country still follows if everything the string
    // names is in one country ("Tsinghua University and BUPT", "Indian Institute of Technology", "KAIST").
    // A name glued to a longer proper name ("Max Planck Institute for Informatics" holds the Slovak
    // "Institute of Informatics") or of common words says nothing of where the author is.
    // "Charles University/Rutgers University": a bare "/" between two names parts two institutions the matcher reads as one
    // part, so the second may be unread; what was read says nothing of where the author is.
    if (NAMES_PARTED.test(text)) return { countryCode: null, countryEvidence: `${country.evidence}; "/" parts two names and ${primary ? `${primary.name} is only a possible match` : 'neither is matched'}` };
    // Nor does a place inside the name of a withdrawn record the string names ("Madison University").
    const inName = country.countryCode || (primary && this.placesNothing(primary.rorId, matches)) ? [] : this.placeInName(text);
    const soft: Hint[] = [
      // A withdrawn record tells no country beside a live one ("University Hospital RWTH Aachen" is not in the US for a
      // withdrawn US "University Hospital" record), nor alone when the registry names no successor: then it was never an
      // institution (a duplicate, an error; "Madison University"). One whose successor is not loaded still tells its place.
      // A longer name that begins with a registry name ("Nanjing University of Posts and Telecommunications") is as a rule in its country.
      ...matches
        .filter(
          (m) =>
            (m.score >= SOFT_COUNTRY_SCORE || m.basis.how === 'inside-longer' || (m.basis.how === 'fuzzy-low' && m.basis.ambiguity === 'unique' && m.score >= SOFT_COUNTRY_SHORTENED && segments(text).length === 1)) &&
            m.basis.place !== 'conflict' &&
            m.basis.how !== 'company-unplaced' &&
            m.basis.how !== 'inside-glued' &&
            // "Institute of Neuroscience and Medicine" holds the Swiss "Institute for Neuroscience": a short unit's name read
            // inside a longer one is another unit of that name, somewhere else.
            !(m.basis.how === 'inside' && this.isUnitName(nameTokens(m.name).join(' '))) &&
            !m.basis.generic &&
            m.countryCode &&
            !this.placesNothing(m.rorId, matches) &&
            !this.firmNameLonger(m, text) &&
            // A namesake of a unit written under an organisation the registry does not hold, or of an institution whose
            // acronym is written with it, is not where the author is.
            !guessed.has(m.succeeds?.rorId ?? m.rorId),
        )
        .map((m) => ({ code: m.countryCode!, why: `${m.name} (${m.tier}, score ${m.score})` })),
      ...hints,
      ...joined,
      ...inName,
      // "Charité Campus Benjamin Franklin": a place read inside a name (here a person's) is weaker than an institution the
      // string names elsewhere, however loosely: the two disagree, and no country follows.
      ...(inName.length === 0 ? [] : matches.filter((m) => m.countryCode && m.countryCode !== inName[0]!.code && !m.basis.generic && !this.withdrawn(m.rorId) && !gluedToPlace.has(m.rorId))).map((m) => ({ code: m.countryCode!, why: `${m.name} (${m.tier}) is named in the string` })),
    ];
    const codes = new Set(soft.map((h) => h.code));
    // "ART", "NCSU": an acronym tells a country only beside other evidence that agrees with it. The registry holds one
    // institution's letters in one country, but the string may spell another name that the registry does not hold.
    // "Korea Advanced Inst Sci, KAIST": the country's own name written in the string agrees with it.
    // So does a match, however loose, to a holder of the acronym ("…, Nuclear Energy Agency … (NEA)").
    const lettersOnly = soft.length > 0 && soft.every((h) => h.acronym !== undefined && !matches.some((m) => this.holdsAcronym(m.succeeds?.rorId ?? m.rorId, h.acronym!)));
    const countryWritten = codes.size === 1 && lettersOnly ? this.countryNameWritten(text, soft[0]!.code) : null;
    if (countryWritten !== null) return { countryCode: soft[0]!.code, countryEvidence: `no country named as an address; "${countryWritten}", written in the string, names ${soft[0]!.code}, and ${soft.map((h) => h.why).join('; ')}` };
    if (codes.size === 1 && lettersOnly) {
      const acronyms = [...new Set(soft.map((h) => `"${h.acronym!}"`))].join(', ');
      return { countryCode: null, countryEvidence: `${country.evidence}; every registry holder of the acronym ${acronyms} is in ${soft[0]!.code}, but nothing else in the string places it there, and an acronym alone decides no country` };
    }
    if (codes.size === 1) return { countryCode: soft[0]!.code, countryEvidence: `no country named; everything the string names is in ${soft[0]!.code}: ${soft.map((h) => h.why).join('; ')}` };
    const longer = primary && this.firmNameLonger(primary, text) ? ", and the words written before its name make a longer firm's name the registry does not hold: its country is not the author's" : '';
    return { countryCode: null, countryEvidence: primary ? `${country.evidence}; ${primary.name} is only a possible match${longer}` : country.evidence };
  }

  /**
   * "UT Austin, MSR Asia Shanghai": a place written inside the last part, after a company or lab it names, is that
   * lab's; an institution an earlier part names by its registry name in another country is the author's other
   * affiliation, so the string has no one country. Null when the place is the whole string's.
   */
  private placeOfLastPart(country: CountryFinding, matches: InstitutionMatch[], mentions: CompanyMention[], text: string): { countryCode: null; countryEvidence: string } | null {
    const parts = segments(text);
    const last = nameTokens(parts[parts.length - 1]!);
    if (parts.length < 2 || last.length < 2) return null;
    const lab = mentions.find((m) => last.join(' ').startsWith(m.words) && (m.lab?.countries ?? [m.company.headquarters]).includes(country.countryCode!));
    const companyRecord = (id: string) => mentions.some((x) => x.lab?.ror === id || Object.values(x.company.registry).includes(id));
    const other = matches.find((m) => m.basis.how === 'exact' && m.basis.place === 'conflict' && m.countryCode !== null && m.countryCode !== country.countryCode && !companyRecord(m.rorId));
    if (!lab || !other) return null;
    return {
      countryCode: null,
      countryEvidence: `${country.evidence}, written in the part naming ${lab.lab?.names[0] ?? lab.company.names[0]}; ${other.name} (${other.countryCode}) is named in another part: institutions in 2 countries, and which is the author's is not said`,
    };
  }

  /**
   * "Universität Graz, Deutschland", "ETH Zürich and BUPT, Beijing": the name matched holds the institution's own town, in
   * another country than the place the string names outright, and that place is a country's bare name (no town of it
   * written) or is written after a second name joined by "and". The string then names two countries, and which is the
   * author's it does not say. A town of the named country written beside the name ("Univ Nottingham, Ningbo, China") is
   * the address of a campus there, and stands.
   */
  private ownTownAgainstPlace(m: InstitutionMatch, country: CountryFinding, text: string): string | null {
    const e = this.entries.get(m.rorId)!;
    if (e.city === null || e.countryCode === null || e.countryCode === country.countryCode) return null;
    const town = foldText(e.city);
    const holds = (part: string, words: string) => ` ${foldText(part)} `.includes(` ${words} `);
    // The one part the town is written in, which must not name the other place too ("Univ Southampton Malaysia": a campus);
    // a town written again as an address of its own ("Univ Puerto Rico Bayamon, …, Bayamon, PR 00959 USA") is no name's only.
    const [part, ...again] = segments(text).filter((seg) => holds(seg, town));
    if (part === undefined || again.length > 0 || country.mentions.some((p) => holds(part, p.text)) || !(this.literal.get(e.id) ?? []).some((n) => n.includes(` ${town} `))) return null;
    const bare = country.mentions.every((p) => this.gazetteer.countryCodeOf(p.text) !== null) && !this.gazetteer.citiesNamed(text).some((c) => this.gazetteer.hasCity(c, country.countryCode!));
    const sides = part.split(JOINED_SIDES);
    const afterAnd = sides.length > 1 && holds(sides[0]!, town);
    if (!bare && !afterAnd) return null;
    return `${country.evidence}, but "${e.city}", written in the name of ${e.name}, is in ${e.countryCode}: the string names two countries, and which is the author's it does not say`;
  }

  /** "Universität Bochum": the place an institution's name holds, unless the registry holds that word as an institution's name ("Mila"). */
  private placeInName(text: string): { code: string; why: string }[] {
    const place = this.gazetteer.placeInName(text);
    if (!place || [...(this.exact.get(nameTokens(place.text).join(' '))?.values() ?? [])].some((priority) => priority >= 2)) return [];
    // "National Institute of Oceanography of Goa": a town's name that is also a region or country of another country (Goa, a
    // town in the Philippines and a state of India) does not tell which.
    const region = this.gazetteer.regionOrCountryOf(place.text);
    if (region !== null && region !== place.code) return [];
    return [{ code: place.code, why: `"${place.text}", a place in ${place.code}, is named inside a part of the string (an institution's name, a town beside its postcode)` }];
  }

  /** One solid match per country when the solid matches, none a unit of another, are in more than one country; else none. */
  private institutionsAbroad(matches: InstitutionMatch[]): InstitutionMatch[] {
    const solid = matches.filter((m) => TIER_RANK[m.tier] >= TIER_RANK.strong && m.countryCode && m.basis.place !== 'conflict' && !m.basis.generic && m.basis.how !== 'company-unplaced');
    const byCountry = new Map<string, InstitutionMatch>();
    for (const m of solid) if (!byCountry.has(m.countryCode!)) byCountry.set(m.countryCode!, m);
    const one = [...byCountry.values()];
    return one.length > 1 && one.every((a) => one.every((b) => a === b || !this.sameTree(a.rorId, b.rorId))) ? one : [];
  }

  /**
   * "LGI Sustainable Innovation": a company the registry writes with its country in brackets ("Sustainable Innovations
   * (United States)"), matched only as possible, with words written before its name in the part, is a longer firm's
   * name the registry does not hold (many firms are called so), and its country says nothing of the author's.
   */
  private firmNameLonger(m: InstitutionMatch, text: string): boolean {
    if (m.tier !== 'possible') return false;
    const stem = countryStem(m.name, () => true);
    const key = stem === null ? [] : nameTokens(stem);
    if (key.length === 0 || !this.stems.has(key.join(' '))) return false;
    return segments(text).some((part) => {
      const words = nameTokens(part);
      return words.some((_, k) => k > 0 && key.every((w, j) => words[k + j] === w));
    });
  }

  private withdrawn(id: string): boolean {
    return this.entries.get(id)?.status === 'withdrawn';
  }

  /** A withdrawn record beside a live match, or one the registry names no successor for: it tells no country. */
  private placesNothing(id: string, matches: InstitutionMatch[]): boolean {
    return this.withdrawn(id) && (this.entries.get(id)!.successors.length === 0 || matches.some((o) => !this.withdrawn(o.rorId)));
  }

  /** The active registry institutions that give `acronym` as theirs ("DFG": Deutsche Forschungsgemeinschaft). */
  acronymHolders(acronym: string): Entry[] {
    return [...(this.acronyms.get(acronymKey(acronym)) ?? [])].map((id) => this.entries.get(id)!).filter((e) => e.status === 'active');
  }

  /**
   * A part that is an acronym ("KAIST", "EPFL", "NCSU") every registry holder of which is in one country; with
   * `universities`, only where every holder is a university (a team's or a facility's letters spell many names).
   */
  private acronymCountries(segs: string[], universities = false): (Hint & { acronym: string; part: number })[] {
    const out: (Hint & { acronym: string; part: number })[] = [];
    for (const [part, seg] of segs.entries()) {
      const acronym = seg.replace(/\./g, '').trim();
      // Written as an acronym: one word, capital first, at least two capitals ("KAIST", "IMSc").
      if (!/^(?=(?:[^A-Z]*[A-Z]){2})[A-Z][A-Za-z0-9&-]{2,9}$/.test(acronym)) continue;
      const holders = [...(this.acronyms.get(acronymKey(acronym)) ?? [])].map((id) => this.entries.get(id)!).filter((e) => e.status === 'active' && e.countryCode);
      const codes = new Set(holders.map((e) => e.countryCode));
      if (holders.length === 0 || codes.size !== 1 || (universities && !holders.every((e) => e.types.includes('education')))) continue;
      const code = holders[0]!.countryCode!;
      out.push({ code, acronym, part, why: universities && holders.length === 1 ? `"${acronym}", the acronym of ${holders[0]!.name}, joined by "and"` : `every active registry institution with the acronym "${acronym}" is in ${code}` });
    }
    return out;
  }

  /** Whether the registry gives an institution this acronym. */
  private holdsAcronym(id: string, acronym: string): boolean {
    return this.acronyms.get(acronymKey(acronym))?.has(id) ?? false;
  }

  /** A country's own name (one to three words, no region's) written anywhere in the string that names `code`, or null. */
  private countryNameWritten(text: string, code: string): string | null {
    const words = foldText(text).split(' ');
    for (let n = 1; n <= 3; n++) {
      for (let at = 0; at + n <= words.length; at++) {
        const name = words.slice(at, at + n).join(' ');
        if (this.gazetteer.regionOrCountryOf(name) === code && this.gazetteer.countryCodeOf(name) === code) return name;
      }
    }
    return null;
  }

  /** The country of a place the string names inside a part, when the place is in no name of an institution matched ("Chicago" in a name the registry lacks). */
  private placeOutsideNames(text: string, picked: Picked[]): string | null {
    const place = this.gazetteer.placeInName(text);
    // Only a place a name is said to be at or of ("… Institute at Chicago"): a word of a team's name ("Memphis Team") places nothing.
    if (!place || !new RegExp(`\\b(at|of|in|de|di) ${foldText(place.text)}\\b`).test(foldText(text))) return null;
    const inside = picked.some((p) => p.c.how !== 'inside-glued' && (this.literal.get(p.id) ?? []).some((n) => n.includes(` ${foldText(place.text)} `)));
    return inside ? null : place.code;
  }

  /** What a company mention without a place says about the country; with `text`, a town the string names where the lab works places it. */
  private companySite(m: CompanyMention, text?: string): { code: string | null; why: string } {
    const name = m.company.names[0]!;
    const works = new Set([...(m.lab ? m.lab.countries : m.company.labs.flatMap((l) => l.countries)), m.company.headquarters]);
    // "Nokia Bell Labs, Murray Hill": a town the string names, in a country the lab works in, is its site.
    const town = text === undefined || (m.lab?.countries.length ?? 0) === 1 ? undefined : this.placeInName(this.labAddress(m, text)).find((p) => works.has(p.code));
    if (town) return { code: town.code, why: `${m.lab?.names[0] ?? name} (${name}) works in ${town.code}, and ${town.why}` };
    if (m.lab) {
      if (m.lab.countries.length === 1) return { code: m.lab.countries[0]!, why: `${m.lab.names[0]} (${name}) works only in ${m.lab.countries[0]}` };
      return { code: null, why: `${m.lab.names[0]} (${name}) works in ${m.lab.countries.join(', ')} and the string names no place` };
    }
    if (m.company.nameAlone === 'headquarters') return { code: m.company.headquarters, why: `${name} is headquartered in ${m.company.headquarters} and the string names no other place` };
    return { code: null, why: `${m.company.why ?? `${name} works in several countries`}, and the string names no place` };
  }

  /**
   * The part of the string that can hold a lab's address: the part naming it and those after it ("Nokia Bell Labs, Murray
   * Hill"). A town in an institution's name before it is that institution's ("University of Oxford; Meta AI" does not
   * place Meta's lab in Oxford).
   */
  private labAddress(m: CompanyMention, text: string): string {
    const parts = segments(text);
    let at = 0;
    for (let i = 0; i < parts.length; i++) {
      at += nameTokens(parts[i]!).length;
      if (m.start < at) return parts.slice(i).join(', ');
    }
    return '';
  }

  private toMatch(p: Picked, repaired: string): InstitutionMatch {
    const e = this.entries.get(p.id)!;
    const held = (p.c.ids.get(p.id) ?? 3) === 1 ? 'alias' : 'name';
    const basis: Basis = { how: p.c.how, held, ambiguity: p.ambiguity, place: p.place, generic: this.isGeneric(p.c.key), named: 'alone' };
    const score = this.calibration.score(basis);
    return { rorId: e.id, name: e.name, countryCode: e.countryCode, tier: this.calibration.tier(basis, score), score, evidence: `${p.c.saidFor?.get(p.id) ?? p.c.said}${p.note}${repaired}`, basis, units: [], primary: false };
  }

  /**
   * A string naming a withdrawn or inactive record ("Harbin Institute of Technology Shenzhen
   * Graduate School", withdrawn, succeeded by Harbin Institute of Technology) counts for the
   * record's registry successor, and says so. A record split into several successors stays as
   * it is: which successor is meant is not known.
   */
  private succeeded(matches: InstitutionMatch[]): InstitutionMatch[] {
    const out = new Map<string, InstitutionMatch>();
    for (const m of matches) {
      const spelt = this.universitySpeltBySchool(m.rorId);
      const next = spelt ? null : this.successorOf(m.rorId);
      const target = spelt?.university ?? next ?? this.universityOfWithdrawnSchool(m.rorId);
      const e = this.entries.get(m.rorId)!;
      const s = target ? this.entries.get(target)! : null;
      const how = next ? 'succeeded by' : 'a school of';
      const why = spelt ? `, the university its name spells (its registry successor ${spelt.successor} is no school)` : next ? '' : ', its registry parent (no successor named)';
      const match = s ? { ...m, rorId: s.id, name: s.name, countryCode: s.countryCode, evidence: `${m.evidence}; ${e.status} ROR record ${e.id} (${e.name}), ${how} ${s.id} ${s.name}${why}`, succeeds: { rorId: e.id, name: e.name, status: e.status } } : m;
      const prior = out.get(match.rorId);
      if (!prior || TIER_RANK[match.tier] > TIER_RANK[prior.tier] || (match.tier === prior.tier && match.score > prior.score)) out.set(match.rorId, match);
    }
    return [...out.values()];
  }

  /** The active record a withdrawn or inactive one leads to through single successors; null for an active record or a split. */
  successorOf(id: string): string | null {
    let current = id;
    for (let hops = 0; hops < 5; hops++) {
      const e = this.entries.get(current);
      if (!e || e.status === 'active') break;
      const next = e.successors.filter((s) => this.entries.has(s));
      if (next.length !== 1 || next[0] === id) break;
      current = next[0]!;
    }
    return current === id ? null : current;
  }

  /**
   * The university a withdrawn school or faculty record belongs to, when the registry names no successor for it but one
   * parent, a university ("University of Maryland School of Medicine" → University of Maryland, Baltimore): the school
   * record was folded into its university. Null for any other record: a withdrawn consortium's or company's parent is
   * not the institution meant.
   */
  private universityOfWithdrawnSchool(id: string): string | null {
    const e = this.entries.get(id);
    if (!e || e.status !== 'withdrawn' || e.successors.length > 0 || e.parents.length !== 1 || !SCHOOL_RECORD.test(foldText(e.name))) return null;
    const parent = this.entries.get(e.parents[0]!);
    return parent?.status === 'active' && parent.types.includes('education') ? parent.id : null;
  }

  /**
   * The university a withdrawn or inactive school record's name spells ("Johns Hopkins University School of Medicine" →
   * Johns Hopkins University), when the registry's successor for it is no school (Johns Hopkins Medicine, a health
   * system): the school is a unit of the university, as for schools the registry succeeded by their university (Stanford,
   * Duke, Emory) or holds no record of; a successor that is itself a school (University of Alabama at Birmingham) stands.
   * Null otherwise, and when the name spells no active university or several.
   */
  private universitySpeltBySchool(id: string): { university: string; successor: string } | null {
    const e = this.entries.get(id);
    const successor = this.successorOf(id);
    if (!e || successor === null || !SCHOOL_RECORD.test(foldText(e.name)) || this.entries.get(successor)!.types.includes('education')) return null;
    const tokens = nameTokens(e.name);
    for (let k = tokens.length - 1; k > 0; k--) {
      if (!SCHOOL_WORD.test(` ${tokens.slice(k).join(' ')}`)) continue;
      const universities = [...(this.exact.get(tokens.slice(0, k).join(' ')) ?? [])].filter(([u, priority]) => priority >= 2 && this.entries.get(u)!.status === 'active' && this.entries.get(u)!.types.includes('education'));
      if (universities.length === 1) return { university: universities[0]![0], successor: `${successor} ${this.entries.get(successor)!.name}` };
    }
    return null;
  }

  /** The institution a record counts for: the university a school's name spells, its successor, or a withdrawn school's university, or itself. */
  private countsFor(id: string): string {
    return this.universitySpeltBySchool(id)?.university ?? this.successorOf(id) ?? this.universityOfWithdrawnSchool(id) ?? id;
  }

  /** Cuts a match to "possible" for the reason given, its score with it (just under the strong cut). */
  private keepPossible(m: InstitutionMatch, why: string): void {
    if (TIER_RANK[m.tier] <= TIER_RANK.possible) {
      m.evidence = `${m.evidence}; ${why.replace(/: kept as possible$/, '')}`;
      return;
    }
    m.tier = 'possible';
    m.score = Math.min(m.score, this.calibration.belowStrong);
    m.evidence = `${m.evidence}; ${why}, its score capped at ${m.score}`;
  }

  /**
   * Why a match made only by words saying what kind of institution it is ("Institute of Technology", "University of
   * Technology") does not identify it, or null when it does or is named otherwise too. Many institutions bear such a
   * name, as a label, an alias or a translation ("Institut Teknologi Del" is the "Del Institute of Technology"): it
   * identifies one only when that is the record's own (display) name, word for word, and the string places it where
   * the record is; an alias or a label in another language of kind words alone identifies nothing.
   */
  private namedOnlyByKind(m: InstitutionMatch, picked: Picked[]): string | null {
    const named = picked.filter((p) => p.id === (m.succeeds?.rorId ?? m.rorId));
    if (named.length === 0 || !named.every((p) => isKindOnlyName(p.c.key))) return null;
    const key = named[0]!.c.key;
    const e = this.entries.get(named[0]!.id)!;
    const ownName = isKindOnlyName(e.name) && nameKey(e.name) === key;
    if (ownName && m.basis.place === 'agrees') return null;
    const why = ownName ? 'and the string does not place it where the registry does' : `and the record's own name is "${e.name}"`;
    return `but "${key}" is made only of words saying what kind of institution it is, which many bear, ${why}: kept as possible`;
  }

  private rescore(m: InstitutionMatch, named: Basis['named']): void {
    m.basis = { ...m.basis, named };
    m.score = this.calibration.score(m.basis);
    m.tier = this.calibration.tier(m.basis, m.score);
    m.evidence = `${m.evidence} [${describeBasis(m.basis)}: score ${m.score}]`;
  }

  private weight(tokens: string[]): number {
    let w = 0;
    for (const t of tokens) w += this.idf.get(t) ?? Math.log(1 + this.fuzzyNames.length);
    return w;
  }

  /**
   * Where registry names sit inside one part, other than the whole part: for each start, the
   * longest run of two words or more that is a name, as offsets into `flat`. A part's words
   * decide it alone, and parts recur across strings ("Department of Physics", a university's
   * name), so it is worked out once per distinct part: joining every run of every part was the
   * resolver's largest cost.
   */
  private namesInside(flat: string[], segStart: number, segEnd: number): [number, number][] {
    const words = flat.slice(segStart, segEnd);
    const part = words.join(' ');
    let memo = namesInsidePart.get(this);
    if (!memo) namesInsidePart.set(this, (memo = new Map()));
    let runs = memo.get(part);
    if (runs === undefined) {
      runs = [];
      for (let s = 0; s < words.length; s++) {
        for (let e = Math.min(words.length, s + this.maxSpan); e >= s + 2; e--) {
          if (s === 0 && e === words.length) continue;
          if (this.exact.has(words.slice(s, e).join(' '))) {
            runs.push([s, e]);
            break;
          }
        }
        // "Canon Inc", "Fujitsu Laboratories": a group's one-word name opening the part, checked by the caller.
        if (s === 0 && runs.length === 0 && words.length > 1 && this.isGroupWord(words[0]!)) runs.push([0, 1]);
      }
      if (memo.size >= PARTS_KEPT) memo.clear();
      memo.set(part, runs);
    }
    return runs.map(([s, e]) => [segStart + s, segStart + e]);
  }

  /**
   * Whether an active institution outside the families of `ids` (their tops' and related records) holds a university's
   * name that is, or begins with, the words as written or their first words: "Washington University (School of
   * Medicine)" begins Washington University in St. Louis, so it is no reorder of "University of Washington"; "Univ Ghent"
   * is Ghent University, and "Purdue Univ" Purdue University West Lafayette, as the other records whose names begin
   * "Purdue University" are its campuses and system.
   */
  private beginsAnotherFamily(words: string[], ids: string[]): boolean {
    let begun = universityNamesBegun.get(this);
    if (!begun) {
      universityNamesBegun.set(this, (begun = new Map()));
      for (const [name, holders] of this.exact) {
        const tokens = name.split(' ');
        if (!tokens.includes('university')) continue;
        for (let n = 2; n <= tokens.length; n++) for (const id of holders.keys()) add(begun, tokens.slice(0, n).join(' '), id);
      }
    }
    const family = new Set(ids.flatMap((id) => [this.rollUp(id), ...(this.entries.get(id)?.related ?? [])]));
    const another = (id: string) => this.entries.get(id)?.status === 'active' && !ids.includes(id) && !family.has(this.rollUp(id)) && !family.has(id);
    // From the first words that say which university ("National University" begins many names, and tells nothing).
    const from = words.findIndex((t) => t !== 'university' && this.isDistinctive(t)) + 1;
    for (let n = Math.max(2, from); from > 0 && n <= words.length; n++) if ([...(begun.get(words.slice(0, n).join(' ')) ?? [])].some(another)) return true;
    return false;
  }

  /**
   * A registry name that ends with its city ("Swiss Federal Institute of Technology in Zurich"), written by Web of Science
   * as the name's part and, after the units, the city's ("Swiss Fed Inst Technol, Dept ITET, Zurich, Switzerland"). Only
   * for a part that is no registry name alone, and only with a city a later part names outright: the words are the
   * registry's, split by the address's order. Neighbouring parts are read together above.
   */
  private *cityWrittenLater(flat: string[], bounds: [number, number][], segs: string[]): Generator<Candidate> {
    for (let i = 0; i + 2 < bounds.length; i++) {
      const [start, end] = bounds[i]!;
      if (end - start < 2) continue;
      const key = flat.slice(start, end).join(' ');
      if (this.exact.has(key)) continue;
      for (let k = i + 2; k < bounds.length; k++) {
        const city = this.gazetteer.citiesNamed(segs[k]!)[0];
        if (city === undefined) continue;
        const named = `${key} ${nameKey(city)}`;
        const hit = this.exact.get(named);
        if (!hit) continue;
        yield { ids: hit, key: named, how: 'exact', said: `"${named}" is a registry name, its city "${city}" written in a later part of the address`, similarity: 1, start, end };
        break;
      }
    }
  }

  /**
   * A part Web of Science abbreviated word for word in its own language ("Ecole Polytech Fed Lausanne", "Univ Nacl
   * Colombia"), read with its abbreviations as that language's words (data/geo/abbreviations.json ownLanguage), which
   * meets the registry's name in that language whole: as written, with an acronym in capitals after it left out
   * ("Ecole Polytech Fed Lausanne EPFL"), or with the city a later part names ("Ecole Normale Super Rennes" is whole).
   * Never a name inside the part: "Univ Nacl Ingn" is not "Universidad Nacional".
   */
  private *ownLanguageCandidates(flat: string[], bounds: [number, number][], segs: string[], capitals: Set<string>, footnotes: ReadonlySet<string>): Generator<Candidate> {
    for (const [i, [start, end]] of bounds.entries()) {
      if (end - start < 2 || this.exact.has(flat.slice(start, end).join(' '))) continue;
      const cities = segs.slice(i + 1).flatMap((seg) => this.gazetteer.citiesNamed(seg).slice(0, 1).map(nameKey));
      for (const { language, tokens } of ownLanguageReadings(segs[i]!)) {
        if (tokens.length !== end - start) continue;
        let whole = tokens.length;
        while (whole > 2 && capitals.has(tokens[whole - 1]!)) whole--;
        const name = tokens.slice(0, whole).join(' ');
        const key = [tokens.join(' '), name, ...cities.map((city) => `${name} ${city}`)].find((k) => this.exact.has(k));
        const hit = key === undefined ? undefined : this.heldWithNumber(key, this.exact.get(key), () => nameNumbers(segs[i]!), footnotes);
        if (!hit) continue;
        yield { ids: hit, key: key!, how: 'exact', said: `"${key!}" is a registry name, "${segs[i]!}" read in its own language (${language}), as Web of Science abbreviates it word for word`, similarity: 1, start, end };
        break;
      }
    }
  }

  /**
   * The candidates without the records of another kind than the part names (data/resolve/other-kinds.json): "Univ
   * Antwerp" names the university, not "Antwerp University Hospital", which merely contains its name, nor "Chang Gung
   * Univ" the hospital whose alias is "Chang Gung"; "Univ Hosp Antwerp" names the hospital. A record of an education type
   * is always read. Each record set aside is said in `said`, once.
   */
  private ofTheKindNamed(candidates: Iterable<Candidate>, partOf: (c: Candidate) => string[], said: Map<string, string>): Candidate[] {
    const out: Candidate[] = [];
    for (const c of candidates) {
      const part = partOf(c);
      // The university's name read as another's: the words matched are written beside the university word ("Chang Gung
      // Univ", the hospital's alias "Chang Gung"), or hold it and are only close to the other's name ("Univ Antwerp" to
      // "Antwerp University Hospital"). A whole registry name written ("Manchester University NHS Foundation Trust") is
      // that record's, and "Flanders Make" beside "Univ Antwerp &" a name of its own.
      const written = ` ${part.join(' ')} `;
      const holds = c.key.split(' ').some((t) => UNIVERSITY_WORDS.has(t));
      const beside = [...UNIVERSITY_WORDS].some((u) => written.includes(` ${c.key} ${u} `) || written.includes(` ${u} ${c.key} `));
      if (!(holds ? c.how.startsWith('fuzzy') : beside)) {
        out.push(c);
        continue;
      }
      const ids = new Map(
        [...c.ids].filter(([id]) => {
          const e = this.entries.get(id);
          if (!e || e.types.includes('education')) return true;
          const kind = e.types.map((t) => OTHER_KIND_WORDS.get(t)).find((k) => k !== undefined);
          if (kind === undefined || part.some((t) => kind.words.has(t))) return true;
          if (!said.has(id)) said.set(id, `${e.name} (${e.id}) holds the words "${c.key}", but it is ${kind.said} and the string names a university, not ${kind.said}: not read`);
          return false;
        }),
      );
      if (ids.size === c.ids.size) out.push(c);
      else if (ids.size > 0) out.push({ ...c, ids });
    }
    return out;
  }

  /** Every run of words that is a registry name, within a part or across neighbouring parts. */
  private *spanCandidates(flat: string[], bounds: [number, number][], capitals: Set<string>, segs: string[], footnotes: ReadonlySet<string>): Generator<Candidate> {
    // Whole parts and runs of up to three neighbouring parts: the strongest evidence.
    for (let i = 0; i < bounds.length; i++) {
      for (let j = i; j < Math.min(bounds.length, i + 3); j++) {
        const [start] = bounds[i]!;
        const [, end] = bounds[j]!;
        if (end - start === 0) continue;
        const words = flat.slice(start, end);
        const key = words.join(' ');
        const hit = this.heldWithNumber(key, this.exact.get(key), () => nameNumbers(segs.slice(i, j + 1).join(' ')), footnotes);
        // A group's one-word name names the employer written first, not a later part ("Bristol, Avon": the county, not Avon Products).
        // Alone in its part it needs a company word beside it, read below: "Avon, CT" is the town, "Canon Inc" the company.
        const oneWord = words.length === 1 && !this.stems.has(key) && words[0]!.length > 3;
        // "Mathematics" is no name of the Toulon institute whose alias "iMath" normalises to the same word: one word counts only
        // when a holder writes it so, up to its ending.
        const writtenSo = () => [...hit!.keys()].some((id) => (this.literal.get(id) ?? []).some((name) => name.trim().startsWith(key.slice(0, 4))));
        if (hit && (words.length > 1 || (oneWord && this.isDistinctive(words[0]!) && writtenSo()))) yield { ids: hit, key, how: 'exact', said: `"${key}" is a registry name${this.spellingNote(key)}`, similarity: 1, start, end };
        else if (words.length > 1) {
          const bagHit = this.heldWithNumber(key, this.bag.get(bagKey(words)), () => nameNumbers(segs.slice(i, j + 1).join(' ')), footnotes);
          if (bagHit) {
            // "Medical University of Innsbruck" is "Innsbruck Medical University", but "Washington
            // University" is not "University of Washington": a reorder that only moves "university" is a trap
            // where the words, as written, are or begin another family's name ("Washington University in St. Louis").
            const withoutUniversity = (k: string) =>
              k
                .split(' ')
                .filter((t) => t !== 'university')
                .join(' ');
            const trap = this.bagNames.get(bagKey(words))!.some((n) => withoutUniversity(n) === withoutUniversity(key)) && this.beginsAnotherFamily(words, [...bagHit.keys()]);
            yield { ids: bagHit, key, how: trap ? 'reordered-university' : 'reordered', said: `"${key}" has the words of a registry name in another order`, similarity: 1, start, end };
          }
        }
        if (i !== j) {
          // "Inst Automat, Chinese Acad Sci" is written child-first; the registry may name it parent-first.
          const reversed = [...flat.slice(bounds[j]![0], bounds[j]![1]), ...flat.slice(start, bounds[j]![0])].join(' ');
          const revHit = this.exact.get(reversed);
          if (revHit) yield { ids: revHit, key: reversed, how: 'child-first', said: `"${reversed}" is a registry name`, similarity: 1, start, end };
        }
      }
    }
    yield* this.cityWrittenLater(flat, bounds, segs);
    yield* this.ownLanguageCandidates(flat, bounds, segs, capitals, footnotes);
    // Names inside a longer part: "Department of Physics University of Oxford".
    for (const [part, [segStart, segEnd]] of bounds.entries()) {
      for (const [s, e] of this.namesInside(flat, segStart, segEnd)) {
        const key = flat.slice(s, e).join(' ');
        // A group's one-word name opens a part of its own words: a legal form, a unit's, an acronym, a place ("Canon Inc",
        // "DENSO IT Laboratory"); written with its capital ("canon law" is not Canon), and with no proper word after it
        // ("Max Planck Inst" is not the company Max).
        // At least one of them a legal form, a company word or a laboratory's: a place alone after it ("Avon Park") is no company.
        // A laboratory only in the part written first, the employer's: after another part it may be another's ("Nokia, Bell Labs").
        const lab = (t: string) => part === 0 && GROUP_LAB.has(t);
        const groupWords = (t: string) => capitals.has(t) || PADDING.has(t) || GROUP_PADDING.has(t) || UNIT_TOKEN.has(t) || lab(t) || this.gazetteer.isPlace(t) || /\d/.test(t);
        // A country in the same part names the group's company there ("ZTE USA"); a city does not.
        const companyWord = (t: string) => COMPANY_WORD.has(t) || lab(t) || this.gazetteer.countryCodeOf(t) !== null;
        if (e - s === 1 && (!/^\p{Lu}/u.test(segs[part]!) || !flat.slice(e, segEnd).every(groupWords) || !flat.slice(e, segEnd).some(companyWord))) continue;
        const hit = this.heldWithNumber(key, this.exact.get(key), () => numbersWrittenWith(segs[part]!, s - segStart, e - s), footnotes);
        if (!hit) continue;
        // "Max Planck Florida Institute for Neuroscience" is not the "Institute for
        // Neuroscience": a name glued to a distinctive word is part of a longer proper name.
        // "University of Michigan and Google": the name written first, joined to another by "and", is read up to the
        // conjunction, as if it were a part of its own. The name after "and" keeps its own reading: read whole too, it
        // would outrank the first ("Charité – Universitätsmedizin Berlin, corporate member of … Humboldt-Universität").
        const before = flat.slice(segStart, s);
        const joined = e < segEnd && !this.isGeneric(key) && !this.isUnitName(key) && this.joinedBefore(hit.keys(), segs[part]!);
        // "Tsinghua University and University of Oxford": the part is two whole registry names joined by "and", so the
        // second is read whole as well; a part that only ends with a name ("… corporate member of … Humboldt-Universität") is not.
        const secondOfTwo = e === segEnd && s > segStart && !this.isGeneric(key) && !this.isUnitName(key) && (this.twoNamesJoined(flat.slice(segStart, s).join(' '), hit.keys(), segs[part]!) || this.twoNamesGlued(flat.slice(segStart, s).join(' '), key, segs[part]!));
        // "Harvard University Massachusetts Institute of Technology": two whole registry names written one after the other,
        // with nothing between them, are both read whole, the first written as the primary.
        const firstOfTwo = s === segStart && e < segEnd && !this.isGeneric(key) && !this.isUnitName(key) && this.twoNamesGlued(key, flat.slice(e, segEnd).join(' '), segs[part]!);
        const after = joined || firstOfTwo ? [] : flat.slice(e, segEnd);
        const stem = this.stems.has(key);
        // "Center for Neurogenetics and Cognitive Research": a company the registry writes only with its country in brackets
        // ("Cognitive Research (United States)"), its name words a unit's subject, is not meant inside a unit's part unless
        // a legal form or company word says so; "Group" is a unit's word here ("Photonic Systems Group, University College Cork").
        if (stem && e - s > 1 && flat.slice(segStart, segEnd).some((t) => UNIT_TOKEN.has(t)) && !flat.slice(segStart, segEnd).some((t) => COMPANY_WORD.has(t) && !UNIT_TOKEN.has(t))) continue;
        // "TOYOHASHI University of Technology": a place written in capitals is the place, not an acronym beside the name.
        const acronym = (t: string) => capitals.has(t) && !(t.length >= 5 && this.gazetteer.isPlace(t));
        const ignorable = (t: string) => acronym(t) || PADDING.has(t) || (stem && GROUP_PADDING.has(t)) || this.gazetteer.isCountryOrRegion(t) || /\d/.test(t);
        const last = before[before.length - 1];
        // "Aalborg University Hospital" is not the "University Hospital": a place or a rare word right before a name is part of a longer one.
        const properWord = (t: string) => !acronym(t) && !PADDING.has(t) && !UNIT_TOKEN.has(t) && (this.isDistinctive(t) || this.gazetteer.isPlace(t));
        // "HafenCity University Hamburg" is not "University Hamburg": a proper word before the name, with no unit word to say what it is, makes a longer name.
        // After a unit's words ("College of Optical Science and Engineering Zhejiang University") a rare word right before
        // the name is the unit's subject, unless it is a place or the name is of common words alone ("Department of Sharif University of Technology").
        const commonName = key.split(' ').every((t) => !this.isDistinctive(t));
        const glued = !secondOfTwo && last !== undefined && (before.some((t) => UNIT_TOKEN.has(t)) ? properWord(last) && (this.gazetteer.isPlace(last) || commonName) : before.some(properWord));
        // "Nanjing University of Posts and Telecommunications" is not Nanjing University: rare words right after the
        // name, none of them a place, an address's word or a unit's ("… Tongding Joint Laboratory"), make a longer name.
        // "Universidad de Antioquia U de A": the words after the name, written together, are an acronym the registry gives
        // the institution named, however they are spaced; "… Medellin Campus", "… Zhongguancun Road": the words after the
        // name close with a campus's or a street's word, the institution's address. Either way the part is that name.
        const written = after.length > 0 ? wordsAfterName(segs[part]!, e - segStart) : [];
        const ownAcronym = written.length > 0 && [...hit.keys()].some((id) => this.acronyms.get(written.join('').toUpperCase())?.has(id)) ? written.join(' ') : undefined;
        // The campus or street is the institution's own only where its words name no place abroad and no other institution:
        // "University of Nottingham Ningbo Campus" is in China (the registry's "… Ningbo China"), "University of Texas MD
        // Anderson Campus" is the cancer centre. A campus named by a place alone is read as that place after the name.
        const closed = after.length > 0 && ADDRESS_CLOSING.has(after[after.length - 1]!);
        const between = closed ? after.slice(0, -1) : [];
        // A place at home that is also another institution's name's word ("University of Texas Anderson Campus") is not read as the place.
        const abroad = this.placeAbroad(between, [...hit.keys()]);
        const another = this.namesAnother(key, between, [...hit.keys()]);
        const campusPlace = between.length > 0 && this.gazetteer.isPlace(between.join(' ')) && (abroad || !another) ? between.join(' ') : undefined;
        const address = closed && campusPlace === undefined && !abroad && !another;
        const nameWordsAfter = !glued && ownAcronym === undefined && after.length > 0 && after.every((t) => !this.gazetteer.isPlace(t) && !ADDRESS_TOKEN.has(t) && !UNIT_TOKEN.has(t));
        const rareAfter = nameWordsAfter && properWord(after[0]!) && this.goesOnAsName([...hit.keys()], segs[part]!);
        // Common words joined to the name by "of", "&"… go on as a name too: "Sichuan University of Science and
        // Engineering", "Nanjing Univ Posts & Telecommun" (Web of Science's abbreviation, where the registry's spelling is not written).
        const joinedAfter = nameWordsAfter && !rareAfter && !after.some(ignorable) ? joinedWordsAfter(segs[part]!, e - segStart) : undefined;
        const longer = rareAfter || joinedAfter !== undefined;
        // "Fujitsu Laboratories Ltd": the group's laboratory, written first as the employer, is the group, at the group's tier;
        // its place is still checked.
        const groupLab = stem && part === 0 && before.length === 0 && after.some((t) => GROUP_LAB.has(t)) && after.every((t) => ignorable(t) || GROUP_LAB.has(t) || this.gazetteer.isPlace(t));
        const how: How = HOSPITAL_WORD.test(` ${after.join(' ')}`)
          ? 'inside-hospital'
          : SCHOOL_WORD.test(` ${after.join(' ')}`)
            ? 'inside-school'
            : glued
              ? 'inside-glued'
              : longer
                ? 'inside-longer'
                : groupLab
                  ? 'exact'
                  : [...before, ...after].some((t) => UNIT_TOKEN.has(t))
                    ? 'inside-unit'
                    : secondOfTwo || [...before, ...after].every(ignorable) || (before.every(ignorable) && (this.gazetteer.isPlace(after.join(' ')) || campusPlace !== undefined || address || ownAcronym !== undefined))
                      ? 'exact'
                      : 'inside';
        // Around the name only an acronym, a legal form, a career note or a place: the part is that name.
        const words = flat.slice(segStart, segEnd).join(' ');
        const said =
          how === 'exact' && joined
            ? `"${key}" is a registry name, joined by "and" to another name in "${words}"`
            : how === 'exact' && (secondOfTwo || firstOfTwo)
              ? `"${key}" is a registry name, ${firstOfTwo ? 'followed at once by' : / (and|und|et) /.test(` ${foldText(segs[part]!)} `) ? 'joined by "and" after' : 'written at once after'} another registry name in "${words}"`
              : how === 'exact' && groupLab
                ? `"${key}" is a registry name${this.spellingNote(key)}, and "${words}" is its laboratory`
                : how === 'exact' && ownAcronym !== undefined
                  ? `"${key}" is a registry name${this.spellingNote(key)} ("${ownAcronym}" after it is its acronym in the registry)`
                  : how === 'exact' && address && !after.every(ignorable)
                    ? `"${key}" is a registry name${this.spellingNote(key)} ("${after.join(' ')}" after it is its address, a campus or a street)`
                    : how === 'exact' && campusPlace !== undefined
                      ? `"${key}" is a registry name${this.spellingNote(key)} ("${after.join(' ')}" after it is a campus or a street in "${campusPlace}", read as that place)`
                      : how === 'exact'
                        ? `"${key}" is a registry name${this.spellingNote(key)} ("${words}" adds only acronyms, a legal form or a place)`
                        : how === 'inside-longer' && joinedAfter !== undefined
                          ? `"${key}" is a registry name, but only the start of "${words}": it goes on "${joinedAfter}", name words and no place, making another institution's name (kept as possible, the nearest registry name)`
                          : how === 'inside-longer'
                            ? `"${key}" is a registry name, but only the start of "${words}": "${after.join(' ')}", words rare in registry names and no place, make it another institution's name (kept as possible, the nearest registry name)`
                            : `"${key}" is a registry name inside "${words}"`;
        // A region or country written after "of" ("Saint Mary's University of Minnesota") says where the institution is, as a
        // town does: the Canadian Saint Mary's University is not it. ("Indiana University at Jordan" is read as a campus, below.)
        const regionOf = written[0] === 'of' && this.gazetteer.isCountryOrRegion(after.join(' '));
        const placeAfter = how === 'exact' && campusPlace !== undefined ? campusPlace : how === 'exact' && after.length > 0 && (!after.every(ignorable) || regionOf) ? after.join(' ') : undefined;
        // "University of West Georgia" is not University West (SE), "Toyohashi University of Technology" not the Sudanese
        // University of Technology: the longer name holds a place, and a registry name inside it is only where that place may be.
        // "Cancer Prevention Institute of California" is not the French "Cancers et Préventions": a unit's name around the
        // registry name that ends "of" a place is only where that place may be.
        const ofPlace = written.lastIndexOf('of') >= 0 ? nameKey(written.slice(written.lastIndexOf('of') + 1).join(' ')) : '';
        const placeAround =
          how === 'inside' || how === 'inside-glued'
            ? after.length > 0 && after.length <= 3 && this.gazetteer.placeMeanings(after.join(' ')).length > 0
              ? after.join(' ')
              : last !== undefined && this.gazetteer.placeMeanings(last).length > 0
                ? last
                : undefined
            : how === 'inside-unit' && ofPlace !== '' && this.gazetteer.placeMeanings(ofPlace).length > 0
              ? ofPlace
              : undefined;
        const campusAt = placeAfter !== undefined && campusPlace === undefined && written[0] === 'at' ? placeAfter : undefined;
        yield { ids: hit, key, how, said, similarity: 1, start: s, end: e, placeAfter, placeAround, campusAt };
        if (how === 'exact' && after.length > 0 && ownAcronym === undefined) yield* this.acronymsBeside(key, hit, after, segs[part]!);
      }
    }
  }

  /**
   * "Harvard T.H. Chan School of Public Health", "Johns Hopkins Bloomberg School of Public Health": a school of a subject
   * written after the first words of a university's name ("Harvard", "Johns Hopkins") is that university's, where exactly one
   * active registry university is named so, those words name no place ("Washington School of Medicine" may be either
   * Washington's; Wake Forest is also a town) and the part holds no registry name of its own ("London School of
   * Economics"). A university named in another part is the school's ("Brown School of Social Work, Washington University
   * in St. Louis").
   */
  private *schoolsOfUniversities(flat: string[], bounds: [number, number][], segs: string[]): Generator<Candidate> {
    for (const [part, [segStart, segEnd]] of bounds.entries()) {
      if (segs.some((other, k) => k !== part && /\buniversi/.test(foldText(other)))) continue;
      const school = flat.slice(segStart, segEnd).findIndex((t) => t === 'school' || t === 'college');
      if (school < 1 || !/\b(school|college) of\b/i.test(segs[part]!)) continue;
      const key = flat.slice(segStart, segEnd).join(' ');
      if (this.exact.has(key) || this.bag.has(bagKey(flat.slice(segStart, segEnd))) || this.namesInside(flat, segStart, segEnd).length > 0) continue;
      for (let n = Math.min(3, school); n >= 1; n--) {
        const first = flat.slice(segStart, segStart + n);
        if (first.some((t) => !this.isDistinctive(t) || SCHOOL_NAME.test(t) || UNIT_TOKEN.has(t) || PADDING.has(t) || this.gazetteer.isPlace(t)) || this.gazetteer.isPlace(first.join(' '))) continue;
        const university = `${first.join(' ')} university`;
        const holders = [...(this.exact.get(university) ?? new Map<string, number>())].filter(([id]) => this.entries.get(id)?.status === 'active' && this.entries.get(id)!.types.includes('education'));
        if (holders.length !== 1) continue;
        const name = this.entries.get(holders[0]![0])!.name;
        yield { ids: new Map(holders), key: university, how: 'inside-school', said: `"${key}" is a school written after "${first.join(' ')}", the first words of ${name}, the one registry university so named`, similarity: 1, start: segStart, end: segEnd };
        break;
      }
    }
  }

  /**
   * "Harvard University MIT", "Sorbonne University INSERM CNRS": an acronym written right after a whole registry name is
   * another institution when exactly one registry institution in that name's country holds it. Never the name's own
   * acronym ("Sichuan University SCU": its letters in order within the name), nor a place ("USA"), nor the named one's
   * parent or unit ("Instituto de Ciencia de Materiales de Madrid CSIC": the institute, CSIC's, is what the string names),
   * nor half of an acronym written with a slash ("UPV/EHU").
   */
  private *acronymsBeside(key: string, hit: Map<string, number>, after: string[], part: string): Generator<Candidate> {
    const codes = new Set([...hit.keys()].map((id) => this.entries.get(id)?.countryCode));
    const code = codes.size === 1 ? [...codes][0] : undefined;
    if (!code) return;
    const letters = key.replace(/ /g, '');
    const initialsOf = (acronym: string) => new RegExp(`^${[...acronym.toLowerCase()].map((ch) => ch.replace(/[^a-z0-9]/g, '')).join('.*')}`).test(letters);
    for (const acronym of new Set(part.match(/(?<![\p{L}\p{N}/])\p{Lu}[\p{Lu}&]{2,9}(?![\p{L}\p{N}/])/gu) ?? [])) {
      const token = nameTokens(acronym).join(' ');
      if (!after.includes(token) || this.gazetteer.isPlace(token) || initialsOf(acronym)) continue;
      const holders = [...(this.acronyms.get(acronym) ?? [])].filter((id) => !this.withdrawn(id) && this.entries.get(id)!.countryCode === code && [...hit.keys()].every((named) => !this.sameTree(id, named)));
      if (holders.length !== 1) continue;
      const id = holders[0]!;
      if (!this.employerBeside(id)) continue;
      yield { ids: new Map([[id, 1]]), key: acronym, how: 'acronym-beside', said: `"${acronym}" after "${key}" is the acronym of ${this.entries.get(id)!.name}, the only registry institution in ${code} that holds it`, similarity: 1, start: -1, end: -1 };
    }
  }

  /**
   * Whether a bare acronym beside another name can be read as a place the author works at, by the holder's registry record:
   * a school (education, named a university, college or institute of technology: "MIT", "UNAL"), a hospital or a facility
   * that funds nothing, or a body that runs its units jointly with universities ("INSERM", "CNRS", "CONICET"). A funder, a
   * learned society, a ministry or an agency ("NSFC", "NIH", "HHMI", "IEEE", "MOE") written beside a name is a grant or a membership.
   */
  private employerBeside(id: string): boolean {
    const e = this.entries.get(id);
    if (!e) return false;
    if (e.types.includes('education') && SCHOOL_NAME.test(e.name.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase())) return true;
    if (!e.types.includes('funder') && (e.types.includes('healthcare') || e.types.includes('facility'))) return true;
    return this.runsJointUnits(id);
  }

  /** Whether a body runs its units jointly with universities: at least 3 of its registry children, and a quarter of them, have an education parent besides it ("INSERM", "CNRS", "CONICET"). */
  private runsJointUnits(id: string): boolean {
    const known = this.jointBodies.get(id);
    if (known !== undefined) return known;
    const children = [...(this.childrenOf.get(id) ?? [])];
    const joint = children.filter((c) => (this.entries.get(c)?.parents ?? []).some((p) => p !== id && this.entries.get(p)?.types.includes('education'))).length;
    const runs = joint >= 3 && joint * 4 >= children.length;
    this.jointBodies.set(id, runs);
    return runs;
  }

  /**
   * Each institution's children, as either side of the registry records it. Built with the index and kept in its file: worked
   * out from a kept resolver's entries, it read all of them back (half a second a start).
   */
  private readonly childrenOf = new Map<string, Set<string>>();
  /** runsJointUnits' answers: asked of every string's leading match, and a large body has a thousand children to look at. */
  private readonly jointBodies = new Map<string, boolean>();

  /** The legal form closing the part of the string that holds token `start` ("GmbH" of "Hikvision GmbH"), if screening knows it. */
  private partLegalForm(text: string, start: number): UnitRule['abroad']['legalForms'][number] | null {
    this.legalForms ??= loadAliases().units.abroad.legalForms;
    let end = 0;
    for (const seg of segments(text)) {
      end += nameTokens(seg).length;
      if (start >= end) continue;
      return closingLegalForm(seg, this.legalForms)?.form ?? null;
    }
    return null;
  }

  /** A group's one-word name ("canon", "fujitsu"), rare among registry names. */
  private isGroupWord(word: string): boolean {
    return this.stems.has(word) && this.isDistinctive(word);
  }

  /** Where a name matched is the registry's written another way, the evidence says how the registry writes it. */
  private spellingNote(key: string): string {
    return this.stems.has(key) ? ' (the registry writes it with its country in brackets)' : '';
  }

  /** Whether the part writes one of the institutions' names, as the registry spells it, right before "and". */
  private joinedBefore(ids: Iterable<string>, part: string): boolean {
    const folded = ` ${foldText(part)} `;
    const joining = JOINING.filter((w) => folded.includes(` ${w} `));
    if (joining.length === 0) return false;
    for (const id of ids) if ((this.literal.get(id) ?? []).some((name) => joining.some((w) => folded.includes(`${name}${w} `)))) return true;
    return false;
  }

  /** Whether the part is, as the registry spells them, a name held under `firstKey`, a joining word and one of `ids`' names: "Tsinghua University and University of Oxford". */
  private twoNamesJoined(firstKey: string, ids: Iterable<string>, part: string): boolean {
    const first = this.exact.get(firstKey);
    if (!first) return false;
    const folded = ` ${foldText(part)} `;
    const firstNames = [...first.keys()].flatMap((id) => this.literal.get(id) ?? []).filter((name) => folded.startsWith(name));
    if (firstNames.length === 0) return false;
    const secondNames = [...ids].flatMap((id) => this.literal.get(id) ?? []).filter((name) => folded.endsWith(name));
    return firstNames.some((a) => secondNames.some((b) => JOINING.some((w) => folded === `${a}${w}${b}`)));
  }

  /**
   * Whether the part is, as the registry spells them, a name held under `firstKey` followed at once by one held under
   * `secondKey`, neither a generic name nor a unit's, and no registry name holds the two written together: "University of
   * Texas" + "MD Anderson" is the cancer centre, one institution. (A name holding both apart, "Broad Institute of MIT and
   * Harvard", is another institution, not these two.)
   */
  private twoNamesGlued(firstKey: string, secondKey: string, part: string): boolean {
    const first = this.exact.get(firstKey);
    const second = this.exact.get(secondKey);
    // One word after a name is more often its acronym or a place, read by their own rules.
    if (!first || !second || !firstKey.includes(' ') || !secondKey.includes(' ') || this.isGeneric(secondKey) || this.isUnitName(secondKey)) return false;
    // A unit written with its parent ("European Molecular Biology Laboratory–European Bioinformatics Institute") is read by the unit rules.
    if ([...first.keys()].some((a) => [...second.keys()].some((b) => this.sameTree(a, b)))) return false;
    const folded = ` ${foldText(part)} `;
    const firstNames = [...first.keys()].flatMap((id) => this.literal.get(id) ?? []).filter((name) => folded.startsWith(name));
    const secondNames = [...second.keys()].flatMap((id) => this.literal.get(id) ?? []).filter((name) => folded.endsWith(name));
    if (!firstNames.some((a) => secondNames.some((b) => folded === `${a.trimEnd()}${b}`))) return false;
    const both = ` ${firstKey} ${secondKey} `;
    const words = secondKey.split(' ');
    const rarest = [...words].sort((a, b) => (this.postings.get(a)?.length ?? 0) - (this.postings.get(b)?.length ?? 0))[0]!;
    return !(this.postings.get(rarest) ?? []).some((i) => ` ${this.fuzzyNames[i]!.tokens.join(' ')} `.includes(both));
  }

  /** Whether a word, or two together, names a place in none of the institutions' countries (nor a namesake city there). */
  private placeAbroad(words: string[], ids: string[]): boolean {
    const codes = ids.map((id) => this.entries.get(id)?.countryCode).filter((c): c is string => !!c);
    const texts = [...words, ...words.slice(1).map((w, k) => `${words[k]!} ${w}`)].filter((t) => this.gazetteer.isPlace(t));
    return texts.some((t) => {
      const code = this.gazetteer.detect(t).countryCode;
      return code !== null && !codes.includes(code) && !codes.some((c) => this.gazetteer.hasCity(t, c));
    });
  }

  /** Whether another institution's registry name holds the name's words and all these words after it ("University of Texas" + "MD Anderson"), or they are its acronym. */
  private namesAnother(key: string, words: string[], ids: string[]): boolean {
    if (words.length === 0) return false;
    const acronym = this.acronyms.get(words.join('').toUpperCase());
    if (acronym && [...acronym].some((id) => !ids.includes(id))) return true;
    const wanted = [...key.split(' '), ...words];
    const rarest = [...words].sort((a, b) => (this.postings.get(a)?.length ?? 0) - (this.postings.get(b)?.length ?? 0))[0]!;
    return (this.postings.get(rarest) ?? []).some((i) => {
      const name = this.fuzzyNames[i]!;
      return !ids.includes(name.id) && wanted.every((t) => name.tokens.includes(t));
    });
  }

  /** Whether the part writes one of the institutions' names, as the registry spells it, and goes on with "of", "for", "de"… ("Nanjing University of Posts"). */
  private goesOnAsName(ids: string[], part: string): boolean {
    const folded = ` ${foldText(part)} `;
    return ids.some((id) => (this.literal.get(id) ?? []).some((name) => NAME_GOES_ON.some((w) => folded.includes(`${name}${w} `))));
  }

  /**
   * Companies and their labs: the company's registry record in the country the string names,
   * or the lab's own record; without a place, a lab working in several countries gives the
   * company and no country.
   */
  private *companyCandidates(mentions: CompanyMention[]): Generator<Candidate> {
    for (const m of mentions) {
      const ids = new Map<string, number>();
      if (m.lab?.ror) ids.set(m.lab.ror, 3);
      for (const id of Object.values(m.company.registry)) if (!ids.has(id)) ids.set(id, 2);
      if (ids.size === 0) continue;
      const what = m.lab ? `${m.lab.names[0]}, a lab of ${m.company.names[0]}` : m.company.names[0];
      yield { ids, key: m.words, how: 'company', said: `"${m.words}" is ${what}`, similarity: 1, start: m.start, end: m.end, company: m };
    }
  }

  /**
   * The holders of a name key (its words in any order) whose registry name carries the number the string writes with it,
   * or none when the string writes none: "UPMC Univ Paris 06" is not Université Paris 8, "INSERM U1016" not the unit
   * INSERM U 1195. Keys no registry name holds with a number are returned whole. A footnote mark (`footnotes`) counts as
   * the name's number only if a holder has it. `numbersWritten` is asked only then: most spans are no name at all.
   */
  private heldWithNumber(key: string, hit: Map<string, number> | undefined, numbersWritten: () => string[], footnotes: ReadonlySet<string>): Map<string, number> | undefined {
    if (!hit) return hit;
    const bag = bagKey(key.split(' '));
    if (!this.numberedKeys.has(bag)) return hit;
    const written = numbersWritten();
    const holding = (numbers: string[]) =>
      new Map(
        [...hit].filter(([id]) =>
          (this.literal.get(id) ?? []).some((name) => {
            const reading = numberedReading(name);
            if (reading.bag !== bag) return false;
            return numbers.length === 0 ? reading.numbers.length === 0 : reading.numbers.some((n) => numbers.includes(n));
          }),
        ),
      );
    let kept = holding(written);
    // "Inserm 12 , Gif-sur-Yvette": a footnote mark no holder has as its number is no part of the name.
    const unmarked = written.filter((n) => !footnotes.has(n));
    if (kept.size === 0 && unmarked.length < written.length) kept = holding(unmarked);
    return kept.size > 0 ? kept : undefined;
  }

  /** A one-word name counts only if it is rare among registry names ("Inria" yes, "Research" no). */
  private isDistinctive(token: string): boolean {
    return (this.idf.get(token) ?? Infinity) > this.genericIdf;
  }

  /**
   * "Heart Institute" or "Molecular Microbiology" exists somewhere in the registry but could be
   * a unit of anything: such matches are scored apart. A university named with common words
   * ("Central South University", "Australian National University") is not generic.
   */
  private isGeneric(key: string): boolean {
    const words = key.split(' ');
    if (UNIT_WORD.test(key)) return true;
    // Long names of common words ("Korea Advanced Institute of Science and Technology") are
    // specific by their combination; short ones ("Institute of Medicine") are not.
    return words.length <= 3 && !words.includes('university') && words.every((t) => !this.isDistinctive(t));
  }

  /**
   * A short name of a unit's shape with no place in it ("Institute of Physics", "Department of
   * Computer Science"): many parents have one. A longer one names its parent or its own subject
   * ("Institute of Bioorganic Chemistry, Polish Academy of Sciences").
   */
  private isUnitName(key: string): boolean {
    const words = key.split(' ');
    return words.length > 1 && words.length <= 3 && (UNIT_TOKEN.has(words[0]!) || UNIT_WORD.test(key)) && !words.some((w) => this.gazetteer.isPlace(w));
  }

  /**
   * Whether the string places a registry unit bearing a unit's name elsewhere: it names an institution
   * of another family and none of the unit's own (its parent, a sibling under the same top, a unit of
   * it); or, naming no other institution, it names a city and neither the unit's nor a parent's while
   * the registry holds the name for several units (then the city is what tells them apart).
   */
  private placedElsewhere(id: string, c: Candidate, others: Candidate[], cities: string[]): boolean {
    const e = this.entries.get(id)!;
    if (e.parents.length === 0) return false;
    const up = new Set([id, ...this.ancestors(id)]);
    // Its parent, a sibling under the same top ("University of Chinese Academy of Sciences"), or a unit of its own.
    const kin = (x: string) => up.has(x) || up.has(this.rollUp(x)) || this.ancestors(x).has(id);
    const beside = others.filter((o) => o !== c && o.start >= 0 && (o.end <= c.start || o.start >= c.end) && !this.isUnitName(o.key) && !this.isGeneric(o.key));
    const named = beside.map((o) => [...o.ids.keys()].filter((x) => this.entries.has(x)));
    if (named.some((ids) => ids.some(kin))) return false;
    if (named.some((ids) => ids.length > 0)) return true;
    const ownCities = new Set([...up].map((a) => this.entries.get(a)?.city).filter((x): x is string => !!x));
    return c.ids.size > 1 && cities.length > 0 && !cities.some((city) => ownCities.has(city));
  }

  /** How much a name says: its rarest word. */
  private specificity(key: string): number {
    return Math.max(0, ...key.split(' ').map((t) => this.idf.get(t) ?? 0));
  }

  private *cjkCandidates(text: string): Generator<Candidate> {
    if (!hasCjk(text)) return;
    let rest = text;
    for (const { text: name, id } of this.cjk) {
      if (name.length < 3 || !rest.includes(name)) continue;
      rest = rest.replace(name, ' ');
      yield { ids: new Map([[id, 2]]), key: name, how: name === text ? 'exact' : 'cjk', said: `Chinese name "${name}"`, similarity: 1, start: -1, end: -1 };
    }
  }

  private *fuzzyCandidates(segs: string[], segTokens: string[][]): Generator<Candidate> {
    for (let i = 0; i < segTokens.length; i++) {
      const tokens = segTokens[i]!;
      // The words as read, abbreviations expanded: "Renmin Univ" names a university as "Renmin University" does.
      if (tokens.length < 2 || !(ORG_WORD.test(foldText(segs[i]!)) || ORG_WORD.test(tokens.join(' ')))) continue;
      const tokenSet = new Set(tokens);
      const rare = [...tokenSet]
        .filter((t) => this.postings.has(t))
        .sort((a, b) => this.postings.get(a)!.length - this.postings.get(b)!.length)
        .slice(0, 2);
      const weight = this.weight(tokens);
      const scored: { index: number; score: number; placeOnly: boolean }[] = [];
      // Posting lists hold indexes in ascending order: a name of the first list met again in the second is found by walking both.
      let firstList: number[] = [];
      for (const t of rare) {
        const list = this.postings.get(t)!;
        if (list.length > MAX_POSTINGS) continue;
        let inFirst = 0;
        for (const index of list) {
          while (inFirst < firstList.length && firstList[inFirst]! < index) inFirst++;
          if (firstList[inFirst] === index) continue;
          // Dice can reach 0.8 only if the two weights are within a factor 1.5; a name that is
          // the string plus its city (at most three more words) is the one exception.
          const nameWeight = this.fuzzyWeights[index]!;
          const extra = this.fuzzyLengths[index]! - tokenSet.size;
          const ratio = Math.min(weight, nameWeight) / Math.max(weight, nameWeight);
          if (ratio < 2 / 3 && (extra < 1 || extra > 3)) continue;
          const name = this.fuzzyNames[index]!;
          let common = 0;
          let commonWeight = 0;
          let missingInCity = true;
          // Each word once: "TU Dortmund University" reads "university" twice, which must not stand in for
          // a word of the string ("Tallinn") that the name lacks.
          for (const x of name.words) {
            if (tokenSet.has(x)) {
              common++;
              commonWeight += this.idf.get(x) ?? 0;
            } else if (!name.city.includes(` ${x} `)) missingInCity = false;
          }
          const score = (2 * commonWeight) / (weight + nameWeight);
          // "Czech University of Life Sciences" for "… Prague": the only words missing are the place.
          const placeOnly = common === tokenSet.size && common < name.words.length && missingInCity;
          if (score >= 0.8 || placeOnly) scored.push({ index, score: placeOnly ? Math.max(score, 0.93) : score, placeOnly });
        }
        firstList = list;
      }
      scored.sort((a, b) => b.score - a.score);
      const top = scored[0];
      if (!top) continue;
      const ties = new Map(scored.filter((b) => b.score >= top.score - 1e-9).map((b) => [this.fuzzyNames[b.index]!.id, 1]));
      const name = this.entries.get([...ties.keys()][0]!)!.name;
      const said = (n: string) => (top.placeOnly ? `"${segs[i]}" is "${n}" without its city` : `"${segs[i]}" is close to "${n}" (similarity ${top.score.toFixed(2)})`);
      yield {
        ids: ties,
        key: tokens.join(' '),
        // A university's name is its own even without its city ("Radboud University"); a centre's,
        // hospital's or institute's ("Centre for Quantum Technologies") is often some other city's
        // namesake, and so is a university's name that the registry gives a college ("Lamar University-Orange").
        how: top.placeOnly ? (tokenSet.has('university') && foldText(name).includes('universit') ? 'fuzzy-city' : 'fuzzy-city-other') : top.score >= 0.9 ? 'fuzzy' : 'fuzzy-low',
        said: said(name),
        // Ties are told apart later (by the place named): the evidence names the one chosen.
        saidFor: new Map([...ties.keys()].map((id) => [id, said(this.entries.get(id)!.name)])),
        similarity: top.score,
        start: i,
        end: i + 1,
      };
    }
  }

  /**
   * A part that is a university's registry name without its town, which no other record's name reads as (indexTownless),
   * where no other part names another town ("Hebrew University, Haifa" is not the one in Jerusalem).
   */
  private *townlessCandidates(segs: string[], bounds: [number, number][], flat: string[]): Generator<Candidate> {
    for (const [i, [start, end]] of bounds.entries()) {
      const key = flat.slice(start, end).join(' ');
      const id = this.townless.get(key);
      if (id === undefined) continue;
      const { city: town, name } = this.entries.get(id)!;
      if (segs.some((seg, k) => k !== i && (this.gazetteer.detect(seg).city?.text ?? town) !== town)) continue;
      // As the fuzzy rule scores it: a university's name the registry gives a college ("Lamar University-Orange") is weaker.
      yield { ids: new Map([[id, 1]]), key, how: foldText(name).includes('universit') ? 'fuzzy-city' : 'fuzzy-city-other', said: `"${segs[i]}" is "${name}" without its town, and no other registry name reads so`, similarity: 1, start, end };
    }
  }

  /** Acronyms never decide alone: a place in the string must agree with the candidate. */
  private *acronymCandidates(segs: string[], text: string, country: CountryFinding): Generator<Candidate> {
    const folded = ` ${foldText(text)} `;
    for (const seg of segs) {
      const acronym = seg.replace(/\./g, '').trim();
      if (!/^[A-Z][A-Z0-9&-]{1,9}$/.test(acronym)) continue;
      const ids = [...(this.acronyms.get(acronymKey(acronym)) ?? [])];
      const byCity = ids.filter((id) => this.cityNamed(id, folded));
      if (byCity.length > 0) yield { ids: new Map(byCity.map((id) => [id, 1])), key: acronym, how: 'acronym-city', said: `acronym "${acronym}" with its city named`, similarity: 1, start: -1, end: -1 };
      else if (country.explicit && country.countryCode) {
        const byCountry = ids.filter((id) => this.entries.get(id)!.countryCode === country.countryCode);
        if (byCountry.length === 1) yield { ids: new Map(byCountry.map((id) => [id, 1])), key: acronym, how: 'acronym-country', said: `acronym "${acronym}" with its country named`, similarity: 1, start: -1, end: -1 };
      }
    }
  }

  private cityNamed(id: string, foldedText: string): boolean {
    const city = this.entries.get(id)?.city;
    return city !== null && city !== undefined && foldedText.includes(` ${city} `);
  }

  /**
   * Whether the places the string names agree with an institution's country. A place named
   * inside the institution's own name ("Foundation for Research and Technology – Hellas") says
   * nothing against it.
   */
  private placeOf(id: string, country: CountryFinding): 'agrees' | 'none' | 'conflict' {
    const code = this.entries.get(id)?.countryCode ?? '';
    const names = this.literal.get(id) ?? [];
    const outside = (m: { text: string }) => !names.some((n) => n.includes(` ${m.text} `));
    if (country.mentions.length === 0) {
      // A city that stands for one country, named outside the institution's own name, is still
      // where the author is: "Hong Kong Polytechnic University, Shenzhen Research Institute, Shenzhen".
      return country.city && country.city.code !== code && outside(country.city) && !this.gazetteer.hasCity(country.city.text, code) ? 'conflict' : 'none';
    }
    const against = country.mentions.filter(outside);
    if (against.length === 0) return 'none';
    return against.some((m) => m.code === code) ? 'agrees' : 'conflict';
  }

  /**
   * Turns candidates into matches: longest names win over names inside them; candidates in a
   * country the string does not name are kept only when nothing else bears the name, demoted
   * and stated; generic names need their city or country named; ties go to the registry's
   * display name, the named city, active records, successors. With no country named, the strongest match sets the country for
   * the rest (one address, one country).
   */
  private pick(all: Iterable<Candidate>, ctx: { country: CountryFinding; text: string; flat: string[]; refused: Set<string>; mentions: CompanyMention[]; hints: Hint[] }): Picked[] {
    const { country, text, flat, refused, hints } = ctx;
    const list = [...all];
    const placeCache = new Map<string, 'agrees' | 'none' | 'conflict'>();
    const placeOf = (id: string) => {
      let p = placeCache.get(id);
      if (!p) placeCache.set(id, (p = this.placeOf(id, country)));
      return p;
    };
    // A registry name that is one of the companies is read by the company rule, which knows its countries.
    const companyIds = new Set(list.filter((c) => c.company).flatMap((c) => [...c.ids.keys()]));
    // A name inside a longer name is dropped, unless it is the longer one's parent: "Stanford
    // University School of Medicine" names Stanford University too.
    const contains = (o: Candidate, c: Candidate) => o !== c && o.start >= 0 && o.start <= c.start && o.end >= c.end && o.end - o.start > c.end - c.start;
    const notUniversity = (o: Candidate) => [...o.ids.keys()].every((id) => !this.entries.get(id)?.types.includes('education'));
    // …unless the registry ties the school's record to another university: "University of Maryland School of Medicine" is a
    // school of the University of Maryland, Baltimore (its parent), not of College Park, which also holds "University of Maryland".
    const schoolOf = (c: Candidate, o: Candidate) =>
      [...o.ids.keys()].some((school) => {
        const home = this.countsFor(school);
        const tied = home !== school || (this.entries.get(school)?.parents.length ?? 0) > 0;
        return !tied || [...c.ids.keys()].some((id) => this.sameTree(id, school) || this.sameTree(id, home));
      });
    const isParentOf = (c: Candidate, o: Candidate) => (o.key.startsWith(`${c.key} `) && SCHOOL_WORD.test(o.key.slice(c.key.length)) && schoolOf(c, o)) || (isAffiliateName(c.key, o.key) && notUniversity(o));
    const eligible = list.filter((c) => c.company || ![...c.ids.keys()].every((id) => companyIds.has(id)));
    // "BIO5 Institute, University of Arizona": a unit's registry name read child-first or in another order across the parts
    // ("University of Arizona BIO5 Institute") names the unit and, written whole, its registry parent: the parent stays, with
    // the unit as detail, as when the string names the unit by its own name.
    const parentOfReordered = (c: Candidate, o: Candidate) => (o.how === 'reordered' || o.how === 'child-first') && c.how === 'exact' && [...o.ids.keys()].every((unit) => [...c.ids.keys()].some((id) => this.ancestors(unit).has(id)));
    const kept = eligible.filter((c) => c.start < 0 || !eligible.some((o) => contains(o, c) && [...o.ids.keys()].some((id) => placeOf(id) !== 'conflict') && !isParentOf(c, o) && !parentOfReordered(c, o)));
    const folded = ` ${foldText(text)} `;
    let cities: string[] | undefined;
    const narrowed = kept.map((c) => {
      let ids = [...c.ids.keys()].filter((id) => this.entries.has(id) && !refused.has(id));
      const outside = wordsOutside(flat, c, folded);
      const before = ids.length;
      if (c.placeAround !== undefined) {
        const where = this.gazetteer.placeMeanings(c.placeAround);
        ids = ids.filter((id) => where.includes(this.entries.get(id)!.countryCode ?? ''));
      }
      // "École Normale Supérieure de Rabat": the city after the name is where the institution is, and
      // the registry's École Normale Supérieure in Burundi is not it.
      const after = c.placeAfter ? { text: c.placeAfter, code: this.gazetteer.detect(c.placeAfter).countryCode } : null;
      // A country named that agrees, or a namesake city in the institution's country ("Panama City, FL"), keeps it.
      const inPlaceAfter = (id: string) => {
        const code = this.entries.get(id)!.countryCode;
        // "University of Georgia Athens": the place after the name is read in match tokens ("athen"); the US state's Athens is
        // the institution's own city, not the Greek capital.
        const city = this.entries.get(id)!.city;
        return !after?.code || placeOf(id) === 'agrees' || code === after.code || this.cityNamed(id, ` ${after.text} `) || (city != null && nameKey(city) === after.text) || (code !== null && this.gazetteer.hasCityKey(after.text, code));
      };
      const agreeing = ids.filter((id) => placeOf(id) !== 'conflict' && inPlaceAfter(id));
      let note = '';
      let elsewhere = false;
      // A company's record is chosen by the company rule, which knows where it has one.
      if (c.company) return { c, ids, ambiguity: 'unique' as const, note, elsewhere };
      const where = after?.code ?? country.countryCode;
      // "Hikvision GmbH": a legal form closing the part, used only where the group has no record, names a company there.
      const form = where === null && c.start >= 0 && this.stems.has(c.key) ? this.partLegalForm(text, c.start) : null;
      if (form && ids.every((id) => !form.countries.includes(this.entries.get(id)!.countryCode ?? ''))) {
        const one = form.countries.length === 1 ? form.countries[0]! : null;
        note = `; but its legal form "${form.form}" places it in ${form.countries.join(' or ')}, where the registry holds no record of it: kept as possible${one ? ', the legal form gives the country' : ''}`;
        elsewhere = true;
        if (one) hints.push({ code: one, why: `the legal form "${form.form}" is used only in ${one}` });
      } else if (agreeing.length > 0) ids = agreeing;
      else if (ids.length > 0 && where) {
        // Nothing with this name where the string says it is: perhaps the same name extended ("École Normale Supérieure" → "… - PSL"), in the city named if one is.
        const extended = c.how === 'exact' ? this.extensionIn(c, where, outside) : null;
        // Round 50: "Government of Saskatchewan - Ministry of Agriculture" is not Québec's ministry: a region the string
        // names is where the longer name must be, as a city is.
        const regions = [...country.mentions.map((m) => m.text), ...segments(text).map((seg) => foldText(seg).trim())].filter((r) => this.gazetteer.isRegion(r) && this.gazetteer.regionOrCountryOf(r) === where);
        const inRegion = (id: string) => regions.length === 0 || this.entries.get(id)!.subdivision === null || regions.includes(this.entries.get(id)!.subdivision!) || this.cityNamed(id, outside);
        if (extended && (!after || this.cityNamed(extended, ` ${after.text} `)) && inRegion(extended))
          return { c: { ...c, ids: new Map([[extended, 2]]), how: 'extension' as How, said: `${c.said}; in ${where}, where the string is, the registry holds "${this.entries.get(extended)!.name}"` }, ids: [extended], ambiguity: 'place' as const, note, elsewhere };
        const named = after?.code ? `"${after.text}", a place in ${after.code}` : `${country.countryCode} (${country.evidence})`;
        note = `; but the string names ${named} and the registry places it elsewhere: kept as possible, the place gives the country`;
        elsewhere = true;
        if (after?.code) hints.push({ code: after.code, why: `"${after.text}" after the institution's name is a place in ${after.code}` });
      }
      // "Department of Biological Sciences" is a unit somewhere; it names nothing without its place.
      if (UNIT_WORD.test(c.key)) ids = ids.filter((id) => this.cityNamed(id, outside) || placeOf(id) === 'agrees');
      // "Institute of Automation" is a unit of TU Dresden and one of the Chinese Academy of Sciences: named
      // beside another parent or in another city ("Univ Rostock, Inst Automat, Rostock, Germany"), it is neither.
      if (c.start >= 0 && this.isUnitName(c.key)) ids = ids.filter((id) => !this.placedElsewhere(id, c, kept, (cities ??= this.gazetteer.citiesNamed(text))));
      const placed = ids.length === 1 && before > 1;
      const tie = this.breakTies(ids, c.ids, outside, folded);
      return { c, ids: tie.ids, ambiguity: placed ? ('place' as const) : tie.ambiguity, note, elsewhere };
    });
    // Namesakes told apart by a unit of one of them the string also names: "National Cancer Institute, National
    // Institutes of Health" is the US NIH and its institute, not Malaysia's NIH. Both sides are read at once, as
    // either may be the ambiguous one; a pair of namesakes that could each be the other's is left alone.
    const byUnit = narrowed.map((n) => (n.ids.length < 2 || n.c.company ? n.ids : n.ids.filter((id) => narrowed.some((o) => o !== n && !o.c.company && o.ids.some((other) => other !== id && this.sameTree(id, other))))));
    narrowed.forEach((n, k) => {
      if (byUnit[k]!.length === 1 && n.ids.length > 1) Object.assign(n, { ids: byUnit[k]!, ambiguity: 'unit' as const });
    });
    // "Section on Neuroplasticity, National Institute of Mental Health, National Institutes of Health": an institution
    // written before a name the registry holds only in other countries (the US, Malaysia and Pakistan), and in none of
    // their trees, is that parent's unit, which the registry lacks; its namesake elsewhere (a Czech institute) is kept as possible.
    if (country.mentions.length === 0)
      for (const n of narrowed) {
        const own = n.ids.length === 1 ? this.entries.get(n.ids[0]!)! : undefined;
        // A university is nobody's unit; a ministry after a key laboratory is the one it answers to, not its parent.
        if (!own || own.types.includes('education') || n.c.company || n.c.start < 0 || n.elsewhere) continue;
        const parent = narrowed.find((o) => o !== n && !o.c.company && o.c.start > n.c.start && !UNIT_TOKEN.has(o.c.key.split(' ')[0]!) && o.ids.length > 1 && o.ids.every((id) => this.entries.get(id)!.countryCode !== own.countryCode && !this.sameTree(id, own.id)));
        if (!parent) continue;
        const countries = [...new Set(parent.ids.map((id) => this.entries.get(id)!.countryCode))].sort().join(', ');
        Object.assign(n, { elsewhere: true, note: `${n.note}; but it is written as a unit of "${parent.c.key}", which the registry holds only in ${countries}: kept as possible` });
      }
    // "Unit of Retinal Neurophysiology, National Eye Institute, National Institutes of Health": a unit whose own record is not
    // loaded, but which one namesake's record names as its child, tells that namesake apart as a loaded unit would (read after
    // the rule above, which needs the namesakes still undecided).
    let words: string | undefined;
    for (const n of narrowed) {
      if (n.ids.length < 2 || n.c.company || !n.ids.some((id) => this.unheldUnits.has(id))) continue;
      words ??= ` ${nameTokens(text).join(' ')} `;
      const told = n.ids.flatMap((id) => this.unheldUnitsWritten(id, words!, n.c.key).map((u) => ({ id, u })));
      if (told.length === 0 || told.some((t) => t.id !== told[0]!.id)) continue;
      Object.assign(n, { ids: [told[0]!.id], ambiguity: 'unit' as const, note: `${n.note}; told apart from its namesakes by "${told[0]!.u.label}", which the registry names as its unit (${told[0]!.u.id}, a record not in the registry loaded)` });
    }
    // Round 50: "Laboratory of Brain and Cognition, National Institute of Mental Health" is not the Czech institute, the one
    // loaded record of that name: the registry also names the US NIH's and Japan's NCNP's units so, their own records not
    // loaded. A name the registry knows in several other countries, with nothing in the string placing it, is a guess
    // (data/resolve/namesakes.json).
    for (const n of narrowed) {
      if (n.ids.length !== 1 || n.c.company || n.c.start < 0 || n.elsewhere) continue;
      const own = this.entries.get(n.ids[0]!)!;
      if (placeOf(own.id) !== 'none' || this.cityNamed(own.id, wordsOutside(flat, n.c, folded))) continue;
      const abroad = (this.unheldByKey.get(n.c.key) ?? []).filter((u) => this.entries.get(u.parent)!.countryCode !== own.countryCode && !this.sameTree(u.parent, own.id));
      if (new Set(abroad.map((u) => this.entries.get(u.parent)!.countryCode)).size < NAMESAKES.minCountriesAbroad) continue;
      const units = abroad.map((u) => `${this.entries.get(u.parent)!.name} (${this.entries.get(u.parent)!.countryCode})`).join(', ');
      Object.assign(n, { elsewhere: true, note: `${n.note}; but the registry also names "${abroad[0]!.label}" as a unit of ${units}, not loaded, and nothing in the string places it: kept as possible` });
    }
    const resolved = narrowed.filter((n) => n.ids.length === 1);
    if (country.mentions.length === 0 && resolved.length > 0) {
      // Addresses go from the unit to the institution: the university, and the institution named last, set the country.
      const university = (n: { ids: string[] }) => (this.entries.get(n.ids[0]!)!.types.includes('education') ? 1 : 0);
      const specific = (n: { c: Candidate }) => (this.isGeneric(n.c.key) ? 0 : 1);
      // A record kept as possible for being named elsewhere than the string is ("it is written as a unit of …") sets no country.
      const placed = (n: { elsewhere: boolean }) => (n.elsewhere ? 0 : 1);
      const anchor = [...resolved].sort((a, b) => placed(b) - placed(a) || specific(b) - specific(a) || rankOf(b.c) - rankOf(a.c) || university(b) - university(a) || b.c.start - a.c.start || this.specificity(b.c.key) - this.specificity(a.c.key))[0]!;
      const anchorCountry = this.entries.get(anchor.ids[0]!)!.countryCode;
      // "University of Edinburgh, University of Maryland": institutions named in full, neither a unit of the other, are each
      // where they are; only names that could be anywhere follow the anchor's country.
      const independent = new Set(country.countryCode ? [] : resolved.filter((n) => n !== anchor && this.namesInstitution(n.c) && !this.sameTree(n.ids[0]!, anchor.ids[0]!) && this.namesInstitution(anchor.c)));
      for (const n of narrowed) if (!n.c.company && !independent.has(n)) n.ids = n.ids.filter((id) => this.entries.get(id)!.countryCode === anchorCountry);
    }
    const out = new Map<string, Picked>();
    for (const n of narrowed) {
      if (n.ids.length > 1 && !n.c.company) {
        // Namesakes the string cannot tell apart may still share a country.
        const live = n.ids.filter((id) => !this.withdrawn(id));
        const codes = new Set((live.length > 0 ? live : n.ids).map((id) => this.entries.get(id)!.countryCode));
        if (codes.size === 1 && !n.ids.some((id) => placeOf(id) === 'conflict')) hints.push({ code: [...codes][0]!, why: `every registry institution named "${n.c.key}" is in ${[...codes][0]}` });
      }
      if (n.ids.length !== 1 && !n.c.company) continue;
      const chosen = n.c.company ? this.companyRecord(n.c.company, n.ids, country) : { id: n.ids[0]!, unplaced: false, elsewhere: false, note: '' };
      if (!chosen) continue;
      const id = chosen.id;
      const place = chosen.elsewhere || n.elsewhere ? 'conflict' : n.c.company && chosen.unplaced ? 'none' : placeOf(id) === 'none' && this.cityNamed(id, wordsOutside(flat, n.c, folded)) ? 'city' : placeOf(id);
      const c = chosen.unplaced ? { ...n.c, how: 'company-unplaced' as How } : n.c;
      const picked: Picked = { id, c, ambiguity: n.ambiguity, place, note: n.note + chosen.note };
      const prior = out.get(id);
      if (prior && rankOf(prior.c) >= rankOf(c)) continue;
      out.set(id, picked);
    }
    return [...out.values()];
  }

  /**
   * The registry record a company mention stands for: its lab's own record, or the company's
   * record in the country the string names; without a place, a lab in one country gives that
   * country's record, and otherwise the headquarters' record is kept as "company known,
   * country unknown" (possible only, no country given).
   */
  private companyRecord(m: CompanyMention, ids: string[], country: CountryFinding): { id: string; unplaced: boolean; elsewhere: boolean; note: string } | null {
    const inRegistry = (id: string | undefined) => (id && ids.includes(id) ? id : undefined);
    const hq = inRegistry(m.company.registry[m.company.headquarters]) ?? ids[0];
    const where = country.countryCode;
    if (where) {
      const labHere = m.lab?.ror && (m.lab.rorCountry ?? m.lab.countries[0]) === where ? inRegistry(m.lab.ror) : undefined;
      const id = labHere ?? inRegistry(m.company.registry[where]);
      if (id) return { id, unplaced: false, elsewhere: false, note: `; its record in ${where}, where the string places it` };
      return hq ? { id: hq, unplaced: false, elsewhere: true, note: `; ${m.company.names[0]} has no registry record in ${where}, where the string places it: kept as possible, the place gives the country` } : null;
    }
    const site = this.companySite(m);
    if (site.code) {
      const id = (m.lab?.ror && m.lab.countries.length === 1 ? inRegistry(m.lab.ror) : undefined) ?? inRegistry(m.company.registry[site.code]);
      if (id) return { id, unplaced: false, elsewhere: false, note: `; ${site.why}` };
    }
    return hq ? { id: hq, unplaced: true, elsewhere: false, note: `; company known, country unknown: ${site.why}` } : null;
  }

  /** A name that stands for one institution wherever it is written: a registry name read whole or with a unit's words, not common words or a unit's name. */
  private namesInstitution(c: Candidate): boolean {
    return !c.company && c.start >= 0 && rankOf(c) >= RULE_RANK.inside && !this.isGeneric(c.key) && !this.isUnitName(c.key);
  }

  /** In the country the string names, the one institution whose name extends the candidate's (its city named if several). */
  private extensionIn(c: Candidate, code: string, outside: string): string | null {
    const tokens = c.key.split(' ');
    if (tokens.length < 2 || c.start < 0) return null;
    const rarest = [...tokens].sort((a, b) => (this.postings.get(a)?.length ?? Infinity) - (this.postings.get(b)?.length ?? Infinity))[0]!;
    const list = this.postings.get(rarest) ?? [];
    if (list.length > MAX_POSTINGS) return null;
    const ids = new Set<string>();
    for (const index of list) {
      const n = this.fuzzyNames[index]!;
      const e = this.entries.get(n.id)!;
      if (e.countryCode === code && e.status === 'active' && n.tokens.length > tokens.length && tokens.every((t, k) => n.tokens[k] === t)) ids.add(n.id);
    }
    const found = [...ids];
    if (found.length === 1) return found[0]!;
    const byCity = found.filter((id) => this.cityNamed(id, outside));
    return byCity.length === 1 ? byCity[0]! : null;
  }

  private breakTies(ids: string[], priorities: Map<string, number>, folded: string, wholeText: string): { ids: string[]; ambiguity: Basis['ambiguity'] } {
    if (ids.length <= 1) return { ids, ambiguity: 'unique' };
    let ambiguity: Basis['ambiguity'] = 'tiebreak';
    const narrow = (keep: (id: string) => boolean, why: Basis['ambiguity']) => {
      if (ids.length <= 1) return;
      const kept = ids.filter(keep);
      if (kept.length > 0 && kept.length < ids.length) {
        ids = kept;
        if (kept.length === 1) ambiguity = why;
      }
    };
    const top = Math.max(...ids.map((id) => priorities.get(id) ?? 0));
    narrow((id) => priorities.get(id) === top, 'tiebreak');
    narrow((id) => this.cityNamed(id, folded), 'place');
    // "Institut Pasteur" and "Istituto Pasteur" meet once abbreviations are expanded; the
    // spelling in the string tells them apart.
    narrow((id) => (this.literal.get(id) ?? []).some((name) => wholeText.includes(name)), 'tiebreak');
    narrow((id) => this.entries.get(id)!.status === 'active', 'tiebreak');
    narrow((id) => !this.entries.get(id)!.successors.some((s) => ids.includes(s)), 'tiebreak');
    // One name for a parent and its own units: the parent is meant.
    narrow((id) => ids.every((other) => other === id || this.ancestors(other).has(id)), 'tiebreak');
    // Namesakes and no place ("Northeastern University"): left unresolved. Choosing the record
    // with more registry links would favour the institutions the registry describes best.
    return { ids, ambiguity };
  }

  /** Whether one institution is a registry parent (or grandparent…) of the other. */
  sameTree(a: string, b: string): boolean {
    return a === b || this.ancestors(a).has(b) || this.ancestors(b).has(a);
  }

  private ancestors(id: string): Set<string> {
    const out = new Set<string>();
    const stack = [...(this.entries.get(id)?.parents ?? [])];
    while (stack.length > 0) {
      const p = stack.pop()!;
      if (out.has(p)) continue;
      out.add(p);
      stack.push(...(this.entries.get(p)?.parents ?? []));
    }
    return out;
  }

  /**
   * How one match is part of another: a registry child, a school named after the university
   * ("Stanford University School of Medicine"), or a hospital or medical centre named after it
   * ("Vanderbilt University Medical Center", "Xiangya Hospital, Central South University").
   */
  private unitKind(unit: InstitutionMatch, parent: InstitutionMatch): 'child' | 'school' | 'hospital' | null {
    if (this.ancestors(unit.rorId).has(parent.rorId)) return 'child';
    const unitKey = nameTokens(unit.name).join(' ');
    const parentKey = nameTokens(parent.name).join(' ');
    const isUniversity = (m: InstitutionMatch) => this.entries.get(m.rorId)!.types.includes('education');
    if (unitKey.startsWith(`${parentKey} `) && SCHOOL_WORD.test(unitKey.slice(parentKey.length))) return 'school';
    if (!isUniversity(parent) || isUniversity(unit) || !isAffiliateName(parentKey, unitKey)) return null;
    return HOSPITAL_AFFILIATE.test(unitKey.replace(parentKey, ' ')) ? 'hospital' : 'school';
  }

  /**
   * Whether `member` is one of the universities of the system `parent`: a registry child, active, of the education type,
   * named as a university, of a parent with at least two such children whose names do not spell the parent's own
   * ("University of Massachusetts Amherst", "… Chan Medical School" under the "University of Massachusetts System"; not
   * the "Johns Hopkins University SAIS Bologna Center" of Johns Hopkins University).
   */
  private isSystemMember(member: string, parent: string): boolean {
    const system = this.entries.get(parent);
    if (!system?.types.includes('education')) return false;
    const own = foldText(system.name);
    const universities = system.children.filter((id) => {
      const child = this.entries.get(id);
      if (child?.status !== 'active' || !child.types.includes('education') || !child.parents.includes(parent)) return false;
      const name = foldText(child.name);
      return /\buniversi/.test(name) && !name.includes(own);
    });
    return universities.length >= 2 && universities.includes(member);
  }

  /**
   * Of several institutions in one string, the primary one is the strongest match, one where
   * the string is rather than elsewhere, a hospital over the university it is named after (the
   * hospital is its own organisation, and the one the author works for), and among equals the
   * university: an author listing "HHMI, UT Southwestern" is at UT Southwestern.
   */
  private rankPrimary(matches: InstitutionMatch[], hospitals: ReadonlySet<InstitutionMatch>, writtenAt: ReadonlyMap<string, number>): InstitutionMatch[] {
    const typeRank = (m: InstitutionMatch) => {
      const types = this.entries.get(m.rorId)?.types ?? [];
      return types.includes('education') ? 2 : types.includes('funder') && types.length === 1 ? 0 : 1;
    };
    const placed = (m: InstitutionMatch) => (m.basis.place === 'conflict' ? 0 : 1);
    const hospital = (m: InstitutionMatch) => (hospitals.has(m) ? 1 : 0);
    // An acronym read beside a whole name is the second institution the string names, never the first.
    const beside = (m: InstitutionMatch) => (m.basis.how === 'acronym-beside' ? 0 : 1);
    const ranked = matches
      .map((m, position) => ({ m, position }))
      .sort((a, b) => beside(b.m) - beside(a.m) || TIER_RANK[b.m.tier] - TIER_RANK[a.m.tier] || placed(b.m) - placed(a.m) || hospital(b.m) - hospital(a.m) || typeRank(b.m) - typeRank(a.m) || b.m.score - a.m.score || a.position - b.position)
      .map(({ m }) => m);
    // "Aix-Marseille University, INSERM": a university written before a body that runs joint units with universities is
    // where the author works, the body the partner of a joint unit, however much more firmly the body's name is held.
    const body = ranked[0];
    const university = body && this.runsJointUnits(body.rorId) ? ranked.find((m) => m !== body && typeRank(m) === 2 && TIER_RANK[m.tier] >= TIER_RANK.strong && placed(m) === 1 && (writtenAt.get(m.rorId) ?? Infinity) < (writtenAt.get(body.rorId) ?? Infinity)) : undefined;
    if (university) ranked.splice(0, 0, ...ranked.splice(ranked.indexOf(university), 1));
    if (ranked[0]) ranked[0].primary = true;
    return ranked;
  }

  /**
   * "Center for Life Sciences, Peking University" names a unit and the institution it belongs
   * to: the institution is the match, the unit is kept with it as detail. A hospital named after
   * a university stays a match of its own (`hospitals`); `schoolsOnly` are the institutions whose
   * only units are schools named after them.
   */
  private foldUnits(matches: InstitutionMatch[]): { matches: InstitutionMatch[]; schoolsOnly: Set<InstitutionMatch>; hospitals: Set<InstitutionMatch> } {
    const units = new Set<string>();
    const hospitals = new Set<InstitutionMatch>();
    const otherUnits = new Set<InstitutionMatch>();
    for (const m of matches) {
      for (const parent of matches) {
        if (parent === m) continue;
        const kind = this.unitKind(m, parent);
        if (kind === null) continue;
        // "University of Massachusetts Medical School": a university of a system, named by a name its own record holds, is
        // the institution; the system's name read inside it ("University of Massachusetts") is only its umbrella.
        if (kind === 'child' && TIER_RANK[m.tier] >= TIER_RANK.strong && this.isSystemMember(m.rorId, parent.rorId)) {
          m.evidence = `${m.evidence}; ${parent.name}, also read in the string, is the university system it belongs to and is not counted beside it`;
          units.add(parent.rorId);
          continue;
        }
        if (kind === 'hospital') {
          hospitals.add(m);
          continue;
        }
        if (kind === 'child') otherUnits.add(parent);
        parent.units.push({ rorId: m.rorId, name: m.name });
        // Naming a unit exactly names its institution just as firmly.
        if (TIER_RANK[m.tier] > TIER_RANK[parent.tier]) {
          parent.tier = m.tier;
          parent.score = Math.max(parent.score, m.score);
          parent.basis = m.basis;
          parent.evidence = `${parent.evidence}; its unit ${m.evidence}`;
        }
        units.add(m.rorId);
      }
    }
    const kept = matches.filter((m) => !units.has(m.rorId));
    return { matches: kept, schoolsOnly: new Set(kept.filter((m) => m.units.length > 0 && !otherUnits.has(m))), hospitals };
  }
}

/** Which rule wins when two find the same institution: a registry name over a reorder over a name inside a part, and so on. */
const RULE_RANK: Record<How, number> = {
  correction: 9,
  exact: 8,
  cjk: 7,
  company: 7,
  reordered: 6,
  'child-first': 6,
  'inside-unit': 5,
  inside: 5,
  'inside-school': 5,
  extension: 5,
  'inside-glued': 4,
  'inside-longer': 4,
  'inside-hospital': 4,
  'reordered-university': 3,
  'fuzzy-city': 3,
  'fuzzy-city-other': 3,
  fuzzy: 3,
  'company-unplaced': 2,
  'fuzzy-low': 2,
  'acronym-city': 1,
  'acronym-country': 1,
  'acronym-beside': 1,
};
const rankOf = (c: Candidate) => RULE_RANK[c.how];

/** The name before a country in brackets, "Canon" of "Canon (Japan)", when `isOwnCountry` holds for that country; else null. */
function countryStem(name: string, isOwnCountry: (place: string) => boolean): string | null {
  const m = /^(.+?)\s*\(([^()]+)\)$/.exec(name.trim());
  return m && isOwnCountry(m[2]!) ? m[1]! : null;
}

/**
 * Whether an acronym's letters are, in order, the initials of words of `name` ("ART": Agrar- und Regionalentwicklung
 * Triesdorf; "TTIC": Toyota Technological Institute at Chicago), so that it abbreviates that name.
 */
function spellsInitials(acronym: string, name: string): boolean {
  const letters = foldText(acronym).replace(/[^a-z]/g, '');
  const initials = foldText(name)
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '')
    .map((w) => w[0]!);
  let k = 0;
  for (const initial of initials) if (initial === letters[k]) k++;
  return letters.length >= 3 && k === letters.length;
}

/** An acronym as the registry and strings both write it, dots, spaces and hyphens aside ("AGH UST", "AGH-UST", "A.G.H."). */
const acronymKey = (written: string): string => written.replace(/[.\s-]/g, '').toUpperCase();

function addRanked(map: Map<string, Map<string, number>>, key: string, id: string, priority: number): void {
  const ids = map.get(key) ?? new Map<string, number>();
  ids.set(id, Math.max(priority, ids.get(id) ?? 0));
  map.set(key, ids);
}

function add(map: Map<string, Set<string>>, key: string, id: string): void {
  const set = map.get(key);
  if (set) set.add(id);
  else map.set(key, new Set([id]));
}
