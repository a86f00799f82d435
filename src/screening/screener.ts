import { asTypedKeepingSpaces, foldText, hasCjk, INVISIBLE, nameTokens, segments } from '../resolve/normalize.ts';
import type { AffiliationResolver, InstitutionMatch, Resolution } from '../resolve/matcher.ts';
import { catalogueShortNames, LEVELS, type EntryName, type Level, type RiskEntry, type RiskList } from './risk-list.ts';
import { cjkKey, fuzzyScore, isAcronym, isKindOnlyName, isLegalForm, isNondistinctive, overlap, readingNote, screenKey, screenKeyOf, screenReadings, screenTokens, screenWords, spellsOut, toSimplified, TRADITIONAL_FILE, type Reading } from './names.ts';
import { closingLegalForm, DERIVED, loadAliases, type RelatedInstitution, type UnitRule } from './aliases.ts';
import { tickerOf, TICKERS_FILE } from './tickers.ts';
import { MAX_PARTY_CHARS } from './field-limit.ts';
import { commaLike, commasRead, groupReason, isLink, leadingLink, maxPieces, partiesIn, placeholderReason, PLACEHOLDERS_FILE, splitsIn, tentative, tie, tieAround, unitOf, type PartySplit } from './placeholders.ts';
import { nearestListed, slipAnswer, slipTarget, writtenWord, type SlipOffer } from './spelling.ts';
import { ValidationError } from '../errors.ts';
import { rorIdWritten } from '../resolve/ror-id.ts';
import { lookAlikesRead, lookAlikesTold, scriptMixedWords } from './look-alikes.ts';
import { ownerOf, spacesRead, writtenApartRead } from './written-apart.ts';

export type MatchKind = 'exact' | 'alias' | 'translated' | 'ticker' | 'registry' | 'fuzzy';

/** How what the query names stands to the listed entry: a part of it, its predecessor in the registry, a unit named after it. */
export type Relation = 'part' | 'successor' | 'company-unit';

export interface Hit {
  list: string;
  listTitle: string;
  /** The list's short name, as people call it ("US Entity List (BIS)"). */
  listName: string;
  listVersion: string;
  entry: string;
  entryId: string;
  level: Level;
  category: string | null;
  match: MatchKind;
  score: number;
  /** The name of the entry that matched, as the list writes it. */
  matchedName: string;
  /**
   * Set when the query does not name the listed organisation itself: it names a part of it (a ROR
   * child, a listed subsidiary, a unit the string names), a withdrawn registry record it
   * succeeded, or a unit named after a listed company.
   */
  inherited: { via: string; how: string; relation: Relation } | null;
  /** Set when the entry was not matched itself but lists the same organisation as an entry that was. */
  sameAs: { list: string; entry: string } | null;
  /** The organisation the entry belongs to: one organisation's entries across lists share it. */
  organisation: string;
  evidence: string;
  sourceText: string | null;
  url: string | null;
}

export interface Similar {
  list: string;
  listName: string;
  entry: string;
  entryId: string;
  level: Level;
  score: number;
  /** Why the name was not taken as this entry. */
  why: string;
  /** A namesake: the name as listed, the entry's country, and where else the registry knows it. */
  countries?: { name: string; listed: string; elsewhere: string[] };
  /** A name listed in one country that the string places in another (`listed`, `written`: a country code, or a region or a legal form's countries by name). */
  placed?: { listed: string; written: string };
  /** Matched only by a one-word alias that alone is no evidence (`person`: the entry is a person's): a question. */
  lone?: { alias: string; person: boolean };
  /** A listed company's name written after another city than the entry's ("SH Hikvision": Shanghai, the entry in Hangzhou): a question. */
  city?: { listed: string[]; written: string };
  /** A listed institution's name written with a legal form or company words ("Beihang Technology Co"): a company named after it, a question. */
  namedAfter?: { listed: string; words: string };
}

/** A folded place written with capitals again ("hangzhou" as "Hangzhou"). */
const titled = (place: string): string => place.replace(/\b\w/g, (c) => c.toUpperCase());

type NamesakeWhy = { why: string; countries?: Similar['countries']; placed?: Similar['placed'] };
const placing = (o: NamesakeWhy) => ({ ...(o.countries ? { countries: o.countries } : {}), ...(o.placed ? { placed: o.placed } : {}) });

/**
 * What a screening says, never silently "clear": `listed` (a list names it), `ambiguous` (the
 * name is listed in one country and borne by an institution elsewhere: say which), `not-listed`
 * (the registry recognises it and no list names it), `unknown` (neither the registry nor any
 * list recognises the name: identify it before relying on the answer).
 */
export type ScreenState = 'listed' | 'ambiguous' | 'not-listed' | 'unknown';
export const SCREEN_STATES: readonly ScreenState[] = ['listed', 'ambiguous', 'unknown', 'not-listed'];

/** One organisation's listings, gathered across lists. */
export interface Organisation {
  id: string;
  name: string;
  level: Level;
  listings: Hit[];
}

/** For an ambiguous name: the organisations it may mean, each with the query that screens it alone. */
export interface Choice {
  label: string;
  query: string;
  countryCode: string;
  listed: boolean;
  /** A listed entry the list places where the string does (by an address it gives there): the list, the entry and that address. */
  entry?: { list: string; listName: string; entryId: string; name: string; address: string | null };
}

/** A registry record holding a name the string writes. */
interface HeldName {
  rorId: string;
  name: string;
  countryCode: string | null;
  city: string | null;
}

/** A registry institution the query resembles but was not taken as, and why. */
export interface RegistryCandidate {
  rorId: string;
  name: string;
  countryCode: string | null;
  why: string;
}

export interface ScreenResult {
  query: string;
  state: ScreenState;
  /** The highest level among the hits. */
  level: Level | null;
  /** One sentence a reader can act on. */
  headline: string;
  /** What the registry makes of the query, when a registry is loaded. */
  institutions: { rorId: string; name: string; countryCode: string | null; tier: string }[];
  hits: Hit[];
  organisations: Organisation[];
  choices: Choice[];
  similar: Similar[];
  registryCandidates: RegistryCandidate[];
  /**
   * For a registry institution no list names whose own parts (ROR children, or their children)
   * are listed ("Chinese Academy of Sciences": its Institute of Computing Technology, …): which
   * institute is meant decides, so the answer is ambiguous, not clear.
   */
  listedParts: ListedPart[];
  /**
   * Listed institutions the ROR registry marks as `related` to the one named (a hospital of a
   * listed military university): no listing of its own, yet never a clearance.
   */
  related: ListedPart[];
}

/** A listed part of an institution that is not listed itself. */
export interface ListedPart {
  rorId: string;
  name: string;
  level: Level;
  listings: { list: string; listName: string; entry: string; level: Level }[];
  /** For a related institution: where the tie is stated ("in the ROR registry", or a curated source). */
  tie?: string;
}

interface IndexedName {
  list: RiskList;
  entry: RiskEntry;
  name: EntryName;
  tokens: string[];
  acronym: boolean;
  /** A one-word alias that alone is no evidence (data/lists/aliases.json one_word_aliases): a person's, a place, or a word institutions abroad bear. */
  lone?: 'person' | 'place' | 'word';
}

/** An entry linked to a ROR institution, and how the link was made. */
export interface EntryLink {
  list: RiskList;
  entry: RiskEntry;
  how: string;
  /** The list gave the ROR id, or the kind of the entry's name that is a registry name. */
  by: 'list' | EntryName['kind'];
}

/** A withdrawn or inactive registry record whose successor is screened in its place. */
/** The country written in the string (gazetteer), and the one to narrow slips by: written, or else the registry matcher's guess. */
/** `beside`: the registry institutions the string names (a listed name of common words beside them only abroad is their own unit). */
/**
 * `address`: the part read follows the string's first part, where an address names its places ("…, Tula, Russia").
 * `apart`: where the string's other parts place it (a place alias cannot place itself: "Tula" alone is in no country).
 */
type StringCountry = { written: string | null; country: string | null; beside?: ScreenResult['institutions']; address?: boolean; apart?: (part: string) => string | null };

type Predecessor = { rorId: string; name: string; status: string };

const COUNTRY_CODE = /^[A-Z]{2}$/;
/** A word at least this many registry names use is a common word ("computing": 97, "huawei": 3, "graphene": 1). */
const COMMON_WORD = 20;
/** The most words of a listed or registry name looked for in a party field's words. */
const MAX_NAME_WORDS = 8;
/** The most characters of a registry name looked for around a listed name in a party field in Chinese. */
const MAX_NAME_CHARS = 24;
const MATCH_RANK: Record<MatchKind, number> = { exact: 5, alias: 4, translated: 4, ticker: 4, registry: 3, fuzzy: 2 };
const ORGANISATION_SUFFIX = /(大学|学院|研究院|研究所|公司|集团|中心|实验室|科学院|工程院)$/;
const UNIT_SUFFIX = /^(.{0,12}?)(学院|系|研究所|实验室|重点实验室|研究中心|中心|研究院|分院|医院)$/;

/** Every field a Screener works out from its constructor's inputs, by name. */
export type ScreenerDerived = Record<string, unknown>;

/** What every namesake of an indexed name names: the listed entry it is not, at full score. */
const namesakeEntry = (n: IndexedName) => ({ list: n.list.id, listName: listName(n.list), entry: n.entry.name, entryId: n.entry.id, level: n.entry.level, score: 1 });

/**
 * Screens names and affiliation strings against risk lists. A name is looked up whole and part by
 * part; a part matches an entry's own name, an alias (acronyms only as a whole part), its Chinese
 * name, the ROR record the entry is linked to, or a near-identical spelling. A part of a listed
 * organisation (an ASPI subsidiary, a ROR child) yields the listed entry marked as inherited.
 */
export class Screener {
  private readonly byKey = new Map<string, IndexedName[]>();
  private readonly byToken = new Map<string, IndexedName[]>();
  /** byToken's names by their number of words, for the words queries asked about (namesWith). */
  private readonly byWordAndLength = new Map<string, Map<number, IndexedName[]>>();
  /** Listed names of two words or more by their letters run together ("harbininstituteoftechnology"), for a name written without spaces. */
  private readonly glued = new Map<string, IndexedName[]>();
  /** Listed names of generic words only, matched by the whole query alone. */
  private readonly wholeOnly = new Map<string, IndexedName[]>();
  /** Every listed name's screenTokens, worked out once with the index: the names of an entry a query meets are read again for it. */
  private readonly listedTokens = new Map<string, string[]>();
  /** Listed Chinese names with their cjkKey, worked out once with the index: a Chinese part is compared with each of them. */
  private readonly cjkNames: (IndexedName & { cjk: string })[] = [];
  private readonly entryCountry = new Map<RiskEntry, string | null>();
  /** The cities an entry's listed name and addresses name, and those folded (worked out as strings ask). */
  private readonly entryCities = new Map<RiskEntry, { cities: string[]; text: string }>();
  /** How many registry names use each word. */
  private readonly wordCounts = new Map<string, number>();
  /**
   * Two words one slip apart are both real when both are places, when the lists use the query's
   * word, or when it is used in a few registry names and is not dwarfed by the other ("Institue" appears in a
   * handful of records, "Institute" in thousands: a slip).
   */
  private readonly distinctWords = (q: string, n: string): boolean => {
    const place = (t: string) => this.resolver?.gazetteer.isPlace(t) ?? false;
    if (place(q) && place(n)) return true;
    // A word the lists themselves use ("Nanhang", Nanjing's aeronautics university) is a name, not a slip.
    if (this.byToken.has(q)) return true;
    const cq = this.wordCounts.get(q) ?? 0;
    return cq >= 3 && cq * 20 > (this.wordCounts.get(n) ?? 0);
  };

  /** Listed one-word names a slip of the pen may stand for (src/screening/spelling.ts): word → the name as listed. */
  private readonly slipWords = new Map<string, string>();

  /** Entries that are companies: a name ending in a legal form ("Co., Ltd."), or a short name (derived from one, or curated). */
  private readonly companies = new Set<RiskEntry>();

  /** Entry → its organisation (entries of several lists naming one organisation share one). */
  private readonly organisations = new Map<RiskEntry, { id: string; name: string; members: { list: RiskList; entry: RiskEntry; keys: Map<string, string> }[] }>();
  private readonly organisationNames = new Map<string, string>();

  constructor(
    readonly lists: RiskList[],
    private readonly resolver?: AffiliationResolver,
    private readonly links: Map<string, EntryLink[]> = new Map(),
    private readonly countriesByName: Map<string, Set<string>> = new Map(),
    private readonly units: UnitRule = loadAliases().units,
    /** What an earlier process worked out from the same inputs (src/screening/persisted.ts): taken as it is. */
    derived?: ScreenerDerived,
  ) {
    if (derived) {
      Object.assign(this, derived);
      return;
    }
    for (const key of countriesByName.keys()) for (const t of new Set(key.split(' '))) this.wordCounts.set(t, (this.wordCounts.get(t) ?? 0) + 1);
    const linked = new Set([...links.values()].flatMap((ls) => ls.map((l) => l.entry)));
    // The countries whose registry institutions bear each word a list gives as a one-word alias.
    const aliasWords = new Set(lists.flatMap((l) => l.entries.flatMap((e) => e.names.filter((n) => this.isListWord(n)).map((n) => screenTokens(n.value)[0]!))));
    const borne = new Map<string, Set<string>>();
    for (const [key, countries] of countriesByName) for (const t of key.split(' ')) if (aliasWords.has(t)) borne.set(t, new Set([...(borne.get(t) ?? []), ...countries]));
    const bareKeys: [string, IndexedName][] = [];
    for (const list of lists) {
      for (const entry of list.entries) {
        const person = !linked.has(entry) && this.isPerson(entry);
        this.entryCountry.set(entry, entry.country && resolver ? resolver.gazetteer.countryCodeOf(entry.country) : null);
        if (entry.names.some((n) => !hasCjk(n.value) && (n.kind === 'short' || this.units.legalForms.has(foldText(n.value).split(' ').pop()!)))) this.companies.add(entry);
        this.listedTokens.set(entry.name, screenTokens(entry.name));
        for (const name of entry.names) {
          const indexed: IndexedName = { list, entry, name, tokens: screenTokens(name.value), acronym: isAcronym(name.value) };
          this.listedTokens.set(name.value, indexed.tokens);
          const lone = this.loneAlias(indexed, person, borne);
          if (lone) indexed.lone = lone;
          const key = screenKey(name.value);
          // Two Han characters name many things; only a curated short name ("华为") may be that short. A list's own
          // two-character name that is no place (ASPI's code name 九院, 北大) names its entry only as the whole query.
          if (key === '' || (hasCjk(name.value) && key.length < (name.kind === 'short' ? 2 : 3))) {
            if (hasCjk(name.value) && key.length === 2 && name.kind === 'chinese' && !resolver?.gazetteer.isPlace(key)) push(this.wholeOnly, key, indexed);
            continue;
          }
          // A listed name of generic words only ("LLC Center") names its entry only when it is the whole query.
          if (!hasCjk(name.value) && isNondistinctive(indexed.tokens, (w) => resolver?.gazetteer.isPlace(w) ?? false)) {
            if (name.kind === 'primary') push(this.wholeOnly, key, indexed);
            // A place a list gives as a one-word alias is read as such aliases are where the entry is named after it ("Tula",
            // the Tula Arms Plant); a place in brackets after another name ("ACM Research (Shanghai)") is where it is, no name.
            else if (indexed.lone && screenTokens(entry.name)[0] === indexed.tokens[0] && !resolver?.gazetteer.countryCodeOf(indexed.tokens[0]!)) push(this.byKey, key, indexed);
            continue;
          }
          push(this.byKey, key, indexed);
          // The name without its closing legal form, which screening's tokens keep where it is another country's ("Huawei Chile
          // S.A.", "… (Australia) Pty Ltd.", "… Madagascar Sarl": data/lists/aliases.json placed_abroad legal_forms): written without it, it is that entry.
          const bare = hasCjk(name.value) ? null : closingLegalForm(name.value, this.units.abroad.legalForms);
          const bareTokens = bare ? screenTokens(bare.rest) : [];
          if (bareTokens.length >= 2 && bareTokens.join(' ') !== key && !isNondistinctive(bareTokens, (w) => resolver?.gazetteer.isPlace(w) ?? false)) bareKeys.push([bareTokens.join(' '), indexed]);
          if (!hasCjk(name.value) && !indexed.acronym && indexed.tokens.length >= 2) push(this.glued, gluedKey(name.value), indexed);
          if (hasCjk(name.value)) this.cjkNames.push(Object.assign(indexed, { cjk: cjkKey(name.value) }));
          else if (!indexed.acronym) for (const t of new Set(indexed.tokens)) push(this.byToken, t, indexed);
        }
      }
    }
    // Unless another entry bears that name with its own form ("Corad Technology Limited", Hong Kong, beside the Singapore
    // "Corad Technology Pte Ltd"): written without a form, it is that one as before.
    for (const [key, indexed] of bareKeys) if (!(this.byKey.get(key) ?? []).some((n) => n.entry.name !== indexed.entry.name)) push(this.byKey, key, indexed);
    for (const [key, names] of this.byKey) {
      // A short name derived by rule may be a plain word ("Planet", "Breeze"): only names the lists or the curated aliases give.
      const named = names.find((n) => !n.acronym && !hasCjk(n.name.value) && !n.name.source?.startsWith(DERIVED));
      if (!named || key.includes(' ') || !slipTarget(key, this.wordCounts.get(key) ?? 0, COMMON_WORD, resolver?.gazetteer.isPlace(key) ?? false)) continue;
      // As read and as written: "Nartechnologies" is read "nartechnology", and a slip may keep its plural.
      for (const word of new Set([key, writtenWord(named.name.value) ?? key])) this.slipWords.set(word, named.name.value);
    }
    this.groupOrganisations();
  }

  /**
   * Whether an entry is a person (data/lists/aliases.json one_word_aliases): the Entity List gives
   * people among its entries ("Luo Jie", alias "Cherry"). What the list says the entry is decides
   * (FtM's schema); where it says nothing, the names tell: the listed name is two to four words, none
   * written in capitals ("IC Kala": an acronym), no alias writes them as one word ("Ickala": a brand),
   * and no name has a legal form, a business word, a word naming a unit or an organisation, a number or a place.
   */
  private isPerson(entry: RiskEntry): boolean {
    if (entry.type) return entry.type === 'person';
    const latin = entry.names.filter((n) => !hasCjk(n.value));
    const words = entry.name.trim().split(/\s+/);
    if (hasCjk(entry.name) || words.length < 2 || words.length > 4 || latin.some((n) => n.kind === 'subsidiary' || isAcronym(n.value))) return false;
    if (words.some((w) => /^\p{Lu}{2,}$/u.test(w.replace(/[^\p{L}]/gu, '')))) return false;
    const glued = foldText(entry.name).replace(/ /g, '');
    if (latin.some((n) => n.value !== entry.name && !/\s/.test(n.value.trim()) && foldText(n.value) === glued)) return false;
    const forms = new Set(this.units.abroad.legalForms.map((f) => f.key));
    const organisational = (w: string) =>
      /\d/.test(w) || forms.has(w) || isLegalForm(w) || this.units.legalForms.has(w) || this.units.trailingWords.has(w) || (this.resolver?.gazetteer.isPlace(w) ?? false) || this.units.organisationWords.has(w) || this.units.unitWords.has(w) || this.units.otherWords.has(w) || isNondistinctive([w]);
    return latin.every((n) => screenWords(n.value).every((w) => !organisational(w)));
  }

  /** A one-word alias as a list gives it: not an acronym, not curated, no legal form ("Cherry", "Yarmouk"). */
  private isListWord(n: EntryName): boolean {
    return n.kind === 'alias' && !n.source && !isAcronym(n.value) && !hasCjk(n.value) && screenWords(n.value).length === 1;
  }

  /**
   * A list's one-word alias that alone is no evidence (data/lists/aliases.json one_word_aliases): a
   * person's ("Cherry" for Luo Jie), a place ("Kursk"), or a word registry institutions outside the
   * entry's country bear ("Yarmouk": Yarmouk University, Jordan, for Sudan's military industrial complex).
   */
  private loneAlias(n: IndexedName, person: boolean, borne: Map<string, Set<string>>): IndexedName['lone'] {
    if (!this.isListWord(n.name)) return undefined;
    if (person) return 'person';
    const word = n.tokens[0]!;
    const own = this.entryCountry.get(n.entry);
    if ((this.resolver?.gazetteer.isPlace(word) ?? false) || (this.resolver?.gazetteer.citiesNamed(word).length ?? 0) > 0) return 'place';
    return [...(borne.get(word) ?? [])].some((c) => c !== own) ? 'word' : undefined;
  }

  /**
   * Entries of several lists are one organisation when their listed names are one name in one
   * country ("Dahua Technology" and "Dahua Technology Company": legal forms do not count), a
   * curated name joins them (data/lists/aliases.json, with its source), or their own names are
   * one registry institution's. A list's alias does not join: the Entity List gives units of the
   * China Academy of Engineering Physics the Academy's name as an alias, and a unit is not its
   * parent. Short names never join: "Huawei" is the brand of many listed companies.
   */
  private groupOrganisations(): void {
    const parent = new Map<RiskEntry, RiskEntry>();
    const find = (e: RiskEntry): RiskEntry => {
      let r = e;
      while (parent.get(r) !== r) r = parent.get(r)!;
      parent.set(e, r);
      return r;
    };
    const keysOf = new Map<RiskEntry, Map<string, string>>();
    const owner = new Map<string, RiskEntry>();
    const join = (entry: RiskEntry, key: string, shown: string) => {
      keysOf.get(entry)!.set(key, shown);
      const first = owner.get(key);
      if (!first) owner.set(key, entry);
      else parent.set(find(entry), find(first));
    };
    const listOf = new Map<RiskEntry, RiskList>();
    for (const list of this.lists) {
      for (const entry of list.entries) {
        listOf.set(entry, list);
        parent.set(entry, entry);
        keysOf.set(entry, new Map());
        const country = this.entryCountry.get(entry) ?? entry.country ?? '';
        for (const name of entry.names) {
          if (!(name.kind === 'primary' || (name.source && name.kind !== 'short')) || isAcronym(name.value)) continue;
          const key = screenKey(name.value);
          const tokens = screenTokens(name.value);
          if (key === '' || (!hasCjk(name.value) && isNondistinctive(tokens, (w) => this.resolver?.gazetteer.isPlace(w) ?? false)) || (hasCjk(name.value) && key.length < 4)) continue;
          join(entry, `${key}\u0000${country}`, `both are named "${name.value}"`);
        }
      }
    }
    for (const [rorId, links] of this.links)
      for (const l of links) if (keysOf.has(l.entry) && (l.by === 'list' || l.by === 'primary')) join(l.entry, `ror:${rorId}`, `both are linked to the registry institution ${rorId}${this.resolver?.institution(rorId) ? ` (${this.resolver.institution(rorId)!.name})` : ''}`);
    const groups = new Map<RiskEntry, RiskEntry[]>();
    for (const entry of parent.keys()) push(groups, find(entry), entry);
    for (const members of groups.values()) {
      const ranked = [...members].sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || Number(a.name === a.name.toUpperCase()) - Number(b.name === b.name.toUpperCase()) || b.name.length - a.name.length);
      const head = ranked[0]!;
      const org = { id: `${listOf.get(head)!.id}/${head.id}`, name: head.name, members: members.map((entry) => ({ list: listOf.get(entry)!, entry, keys: keysOf.get(entry)! })) };
      for (const m of members) this.organisations.set(m, org);
      this.organisationNames.set(org.id, org.name);
    }
  }

  /** Every entry of the organisations already hit is a hit, marked as reached through the entry that matched. */
  private sameOrganisation(hits: Map<string, Hit>): void {
    for (const hit of [...hits.values()]) {
      const entry = this.entryOf(hit.list, hit.entryId);
      const org = entry ? this.organisations.get(entry) : undefined;
      if (!org || org.members.length < 2) continue;
      const own = org.members.find((m) => m.entry === entry)!;
      for (const m of org.members) {
        if (m.entry === entry || hits.has(`${m.list.id}\u0000${m.entry.id}`)) continue;
        const shared = [...m.keys.keys()].find((k) => own.keys.has(k));
        const why = shared ? m.keys.get(shared)! : `both belong to ${org.name}, through its other listings`;
        add(hits, {
          ...hit,
          list: m.list.id,
          listTitle: m.list.provenance.title,
          listName: listName(m.list),
          listVersion: m.list.version,
          entry: m.entry.name,
          entryId: m.entry.id,
          level: m.entry.level,
          category: m.entry.category,
          matchedName: hit.matchedName,
          sameAs: { list: hit.list, entry: hit.entry },
          evidence: `${hit.evidence}; ${listName(m.list)} lists the same organisation as "${m.entry.name}" (${why})`,
          sourceText: m.entry.sourceText,
          url: m.entry.url,
        });
      }
    }
  }

  private organisationId(entry: RiskEntry): string {
    return this.organisations.get(entry)?.id ?? entry.id;
  }

  private entryIndex: Map<string, RiskEntry> | null = null;
  private entryOf(list: string, entryId: string): RiskEntry | undefined {
    this.entryIndex ??= new Map(this.lists.flatMap((l) => l.entries.map((e) => [`${l.id}\u0000${e.id}`, e] as const)));
    return this.entryIndex.get(`${list}\u0000${entryId}`);
  }

  /**
   * `nearest: false` leaves out the nearest names not taken (stored screening of affiliation strings needs only the hits).
   * `resolution`: this screener's registry resolution of the string, already made (an ingest's resolution pass), so
   * it is not resolved again; taken only when it is of the very text screened.
   */
  screen(query: string, options: { nearest?: boolean; resolution?: Resolution; parties?: boolean } = {}): ScreenResult {
    // Every whitespace inside a field is a space: round 50, "ETH\tZurich, Huawei" was read otherwise than with a space.
    const spaced = spacesRead(query);
    if (spaced !== query) return { ...this.screen(spaced, { ...options, resolution: undefined }), query };
    // A name written with letters of another script that look like Latin ones ("Нuawei") is screened as it reads, and told so:
    // a look-alike spelling is how a listed name is slipped past, so it is never read silently (data/screening/look-alikes.json).
    // A possessive names its owner ("ETH Zurich, Huawei's lab": Huawei's), letters spaced apart are one name ("H-u-a-w-e-i"):
    // read so where the owner or the letters joined are a listed name, and told (round 50). One reading, not two.
    const apart = writtenApartRead(query, (name) => this.listedMentioned(lookAlikesRead(name)?.text ?? name).length > 0);
    if (apart) return this.told(query, this.screen(apart.text, { ...options, resolution: undefined }), `"${asTypedKeepingSpaces(query).trim()}" is read with ${apart.notes.join(', ')}`);
    const alike = lookAlikesRead(query);
    if (alike) return this.told(query, this.screen(alike.text, { ...options, resolution: undefined }), `"${query}" is written with look-alike letters, read as "${alike.text}": ${lookAlikesTold(alike.letters)}`);
    if (options.parties === false) return this.screenField(query, options);
    // A party field pasted with its quotes or a zero-width space ('"ETH Zurich (with Huawei)"', "ETH Zurich and\u200bHuawei") is read as its words.
    // Bounded before any reading, the invisible characters' included.
    if (query.length > MAX_PARTY_CHARS) return this.overLength(query, partyFieldText(query));
    const field = partyFieldText(query);
    const r = this.screenField(field, field === query ? options : { ...options, resolution: undefined });
    // However the field's words are linked, a listed name written in it beside a recognised party is never passed over as clean.
    const answer = (r.state === 'not-listed' && r.institutions.length > 0) || r.state === 'unknown' ? (this.unknownNaming(query, field, r) ?? r) : r.state === 'not-listed' ? r : (this.moreSevereListed(query, field, r) ?? r);
    return field === query ? answer : { ...answer, query, ...this.asTyped(query, field, answer) };
  }

  /**
   * The answer's headline and evidence quoting the field as typed where its comma-like separators were read as commas
   * ("University of Oxford : Department of Computer Science", not "…, Department …"): round 50, the user saw a text
   * they never wrote. Each quoted piece of the field read is mapped back to the characters typed for it.
   */
  private asTyped(query: string, field: string, r: ScreenResult): Pick<ScreenResult, 'headline' | 'hits' | 'organisations'> {
    const typed = asTypedKeepingSpaces(partyFieldText(query, false)).trim();
    const read = asTypedKeepingSpaces(field).trim();
    if (typed === read) return { headline: r.headline, hits: r.hits, organisations: r.organisations };
    // Where each character read stands in the text typed: the two differ only where a separator and its spaces became ", ".
    const at: number[] = [];
    const separator = new Set([...commaLike().join('')]);
    for (let i = 0, j = 0; j <= read.length; j++) {
      if (read[j] !== typed[i] && read.startsWith(', ', j) && j < read.length) {
        at.push(i, i);
        j++;
        while (i < typed.length && typed[i] !== read[j + 1] && (/\s/u.test(typed[i]!) || separator.has(typed[i]!))) i++;
        continue;
      }
      at.push(i);
      i++;
    }
    const shown = (piece: string) => {
      const from = read.indexOf(piece);
      return piece.includes(', ') && from >= 0 ? typed.slice(at[from], at[from + piece.length]) : piece;
    };
    const quoted = (s: string) => s.replace(/"([^"]*)"/gu, (_, piece: string) => `"${shown(piece)}"`);
    // The organisations' listings too, which the CLI prints: round 50 (ties54), a listed answer quoted the comma form there.
    return { headline: quoted(r.headline), hits: r.hits.map((h) => ({ ...h, evidence: quoted(h.evidence) })), organisations: r.organisations.map((o) => ({ ...o, listings: o.listings.map((h) => ({ ...h, evidence: quoted(h.evidence) })) })) };
  }

  private screenField(query: string, options: { nearest?: boolean; resolution?: Resolution; parties?: boolean }): ScreenResult {
    // "Huawei (TBC)": the listed name is found, the party told as not confirmed.
    const pending = options.parties !== false ? this.tentativeParty(query, options) : null;
    // Only where the name beside the word is one party: "Stanford University; NUDT TBC" is read as its parties, NUDT's not confirmed.
    if (pending && splitsIn(tentative(asTypedKeepingSpaces(query).trim())!.name).length === 0) return pending;
    const one = this.screenOne(query, options);
    // An affiliation string's links are a department's ("Physics and Astronomy"): only a party field is cut into parties.
    return (options.parties !== false && this.boundedParties(query, options, one)) || pending || one;
  }

  /**
   * What is left of the pieces one field's reading into parties may screen (several.maxPieces), and the pieces already
   * screened in it; null outside such a reading.
   */
  private budget: { left: number; read: Map<string, ScreenResult> } | null = null;

  /** One piece screened in reading a field into parties: past several.maxPieces the reading stops (boundedParties). */
  private spend(): void {
    if (this.budget && --this.budget.left < 0) throw new PartyBudgetSpent();
  }

  /**
   * severalParties within several.maxPieces pieces screened for the whole field, however its cuts nest (each right side
   * is read again with its own cuts): a field of many links or commas is bounded work whatever is written in it. A part
   * screened again whole during the reading (listedAmong) spends from the same budget.
   */
  private boundedParties(query: string, options: { nearest?: boolean }, one: ScreenResult): ScreenResult | null {
    const max = maxPieces();
    if (this.budget || max === undefined) return this.severalParties(query, options, one);
    this.budget = { left: max, read: new Map() };
    try {
      return this.severalParties(query, options, one);
    } catch (e) {
      if (e instanceof PartyBudgetSpent) return this.overBudget(query, one, max);
      throw e;
    } finally {
      this.budget = null;
    }
  }

  /**
   * A party field longer than any way in takes (MAX_PARTY_CHARS: a case stored before the bound, a caller of the core):
   * not read at all, as its reading grows faster than its length; unknown, naming a listed name the mention safety net
   * finds in it (linear in its length).
   */
  private overLength(query: string, field: string): ScreenResult {
    const note = `a party field of ${field.length} characters, over the ${MAX_PARTY_CHARS} one may hold, is not read: name each partner on its own`;
    const none: ScreenResult = { query, state: 'unknown', level: null, headline: `Unknown organisation: ${note}.`, institutions: [], hits: [], organisations: [], choices: [], similar: [], registryCandidates: [], listedParts: [], related: [] };
    const net = this.mentionedListed(field, none);
    // The listed name and its list, without the field echoed back.
    const mention = net && / mentions ("[^"]*" \(.*?\)): name each partner on its own line/su.exec(net.headline)?.[1];
    return mention ? { ...none, headline: `Unknown organisation: ${note}; it mentions ${mention}.` } : none;
  }

  /**
   * A field naming more parties than are read: the field read whole when it is listed, else unknown, naming a listed name
   * the mention safety net finds in it (mentionedListed: a scan of its words, or of a Chinese field's characters, for
   * listed names of a bounded length each, linear in the field's length).
   */
  private overBudget(query: string, one: ScreenResult, max: number): ScreenResult {
    const text = asTypedKeepingSpaces(query).trim();
    const note = `"${text}" names more parties than derisk reads in one field (${max} pieces screened, ${PLACEHOLDERS_FILE} several.maxPieces); screen each on its own`;
    if (one.state === 'listed' || one.state === 'ambiguous') return this.told(query, one, note);
    const net = this.mentionedListed(text, one);
    const headline = `Unknown organisation: ${note} before relying on this.${net ? ` ${net.headline.replace(/^Unknown organisation: /, '')}` : ''}`;
    return { ...one, query, state: 'unknown', level: null, hits: [], organisations: [], headline };
  }

  /**
   * A name with a placeholder word after it ("Huawei TBC", "NUDT to be confirmed", "Huawei (TBC)"): when the name is
   * listed (or ambiguous), that answer, told as a party not confirmed; null otherwise, the field read as written
   * ("Stanford University (TBD)" stays a placeholder beside a name, unknown).
   */
  private tentativeParty(query: string, options: { nearest?: boolean }): ScreenResult | null {
    const t = tentative(asTypedKeepingSpaces(query).trim());
    if (!t) return null;
    const r = this.screenOne(t.name, { nearest: options.nearest });
    if (r.state !== 'listed' && r.state !== 'ambiguous') return null;
    const note = `"${query.trim()}" names "${t.name}" with "${t.word}" beside it: the party is not confirmed (${PLACEHOLDERS_FILE})`;
    for (const h of r.hits) h.evidence = `${h.evidence}; ${note}`;
    return { ...r, query, headline: withNote(r.headline, note) };
  }

  /**
   * For a party field read as one recognised institution on no list: a listed organisation's distinctive name written as
   * whole words elsewhere in it ("ETH Zurich [Huawei]", "ETH Zurich, subcontractor Huawei"), whatever links it, makes the
   * field unknown, naming that party; null otherwise. Not a name inside the recognised institution's own, not a one-word
   * form that is a generic word ("Telecom"), a place or a list's lone alias, not a person; an acronym only as written in capitals.
   */
  private mentionedListed(text: string, r: ScreenResult): ScreenResult | null {
    const zh = hasCjk(text) ? this.mentionedListedZh(text, r) : null;
    if (zh) return zh;
    // Latin names in a field with Chinese too ("a和a和NUDT"): round 49, a field holding Chinese was scanned for Chinese names alone.
    for (const { written, n } of this.latinMentions(text, r)) return this.mentionAnswer(text, r, written, n);
    // A word of Latin letters with a letter of another script no look-alike reads ("Huawεi", "Һuawei"): the listed name it is a slip of (round 50).
    for (const mixed of scriptMixedWords(text)) {
      const word = writtenWord(mixed);
      const n = word === null ? undefined : nearestListed(word, this.slipWords).flatMap((f) => this.listedMentioned(f.name))[0];
      if (n) return this.mentionAnswer(text, r, mixed, n);
    }
    return null;
  }

  /** The listed organisations' distinctive names written as whole words in a field, outside the recognised institutions' own names (mentionedListed). */
  private *latinMentions(text: string, r: ScreenResult): Generator<{ written: string; n: IndexedName; before: string[]; after: string[] }> {
    const words = text
      .replace(/[\u3400-\u9fff\uf900-\ufaff]/gu, ' ')
      .split(/[^\p{L}\p{M}\p{N}'’]+/u)
      .filter((w) => w !== '');
    const own = new Set(r.institutions.map((i) => i.rorId));
    const held = (from: number, to: number) => {
      const run = words.slice(from, to).join(' ');
      return r.institutions.some((i) => screenKey(i.name) === screenKey(run)) || (this.resolver?.nameHolders(run).some((id) => own.has(id)) ?? false);
    };
    // Inside a run of words the recognised institution holds as its name ("Beihang" would be inside "Beihang University").
    const insideOwn = (from: number, to: number) => {
      for (let a = Math.max(0, from - MAX_NAME_WORDS); a <= from; a++) for (let b = to; b <= Math.min(words.length, a + MAX_NAME_WORDS); b++) if (held(a, b)) return true;
      return false;
    };
    this.firstTokens ??= new Set([...this.byKey.keys()].map((key) => key.split(' ')[0]!));
    const starts = this.firstTokens;
    // Only where a listed name's key may begin: a word read as tokens none of which opens one is passed over (a word read as none, as "the" is, is not).
    const opens = (w: string) => {
      const first = screenTokens(w)[0];
      return first === undefined || starts.has(first);
    };
    for (let from = 0; from < words.length; from++) {
      // A name followed by a possessive names its owner ("Huawei's lab", "Huaweiʼs"; round 50), and one word with an s
      // glued on ("Huaweis lab") its name without the s, when that is listed.
      const word = words[from]!;
      const bare = ownerOf(word) === word && /\p{Ll}s$/u.test(word) ? word.slice(0, -1) : undefined;
      if (!opens(ownerOf(word)) && !(bare !== undefined && opens(bare))) continue;
      for (let to = Math.min(words.length, from + MAX_NAME_WORDS); to > from; to--) {
        let written = ownerOf(words.slice(from, to).join(' '));
        let found = this.listedMentioned(written);
        if (found.length === 0 && to === from + 1 && bare !== undefined) found = this.listedMentioned((written = bare));
        if (found.length === 0 || insideOwn(from, to)) continue;
        // The entry the name stands for as its own (a curated or listed name), before one a rule derived it for.
        yield { written, n: found.find((f) => !f.name.source?.startsWith(DERIVED)) ?? found[0]!, before: words.slice(0, from), after: words.slice(to) };
        break;
      }
    }
  }

  /**
   * An unknown answer (or a recognised party on no list) for a party field in which a listed organisation's distinctive name is written (as mentionedListed
   * finds it) names that party, never a bare unknown (round 50, ties54: "University of Oxford, subcontractor Huawei", "ETH
   * Zurich, with funding from Huawei" named no one): listed where the words just around it tie it to the field's party
   * (tieAround: "subcontractor Huawei", "funded in part by Huawei", "a firm Huawei controls"), every listed party where a
   * Chinese field is nothing but listed names written together (国防科技大学华为, as namesOnlyZh reads 北京理工大学华为);
   * otherwise unknown naming it. Null where no such name is written, or the answer already names it so.
   */
  private unknownNaming(query: string, text: string, r: ScreenResult): ScreenResult | null {
    const named = hasCjk(text) ? this.namesOnlyZh(text, r, []) : null;
    if (named) {
      const sides = [...new Map(named.map((n) => [n.name.value, n])).values()].map((n) => ({ part: n.name.value, why: undefined, r: this.screenOne(n.name.value, { nearest: false }) })).filter((s) => s.r.state === 'listed');
      if (sides.length >= 2) return this.fieldAnswer(query, text, sides);
    }
    for (const { written, n, before, after } of this.latinMentions(text, r)) {
      const word = tieAround(before, after);
      if (word === undefined) continue;
      const listed = this.screenOne(n.name.value, { nearest: false });
      if (listed.state === 'listed') return this.told(query, listed, `"${text}" names "${written}" by its tie to the party ("${word}", ${PLACEHOLDERS_FILE})`);
    }
    const net = this.mentionedListed(text, r);
    // An answer the net already gave (past several.maxPieces) is not told twice.
    const mention = net && / mentions "[^"]*" \(/u.exec(net.headline)?.[0];
    return net && !(mention && r.headline.includes(mention)) ? net : null;
  }

  /** The listed names a run of words written in a field may be a mention of (latinMentions). */
  private listedMentioned(written: string): IndexedName[] {
    return (this.byKey.get(screenKey(written)) ?? []).filter((n) => this.distinctiveMention(n, written));
  }

  /** The first token of every listed name's key, worked out once: where mentionedListed looks for a listed name (round 49: a scan of every run of words cost a fifth of screening). */
  private firstTokens: Set<string> | null = null;

  /** The field told unknown for the listed name written in it beside the recognised parties. */
  private mentionAnswer(text: string, r: ScreenResult, written: string, n: IndexedName): ScreenResult {
    // The recognised parties beside it, not a registry record of the listed one ("Huawei Technologies (China)").
    const others = r.institutions.filter((i) => !screenKey(i.name).includes(screenKey(written)));
    const beside = (others.length > 0 ? others : r.institutions).map((i) => `"${i.name}"`).join(', ');
    const note = `"${text}" mentions "${written}" (${listName(n.list)}: ${n.entry.name})${beside === '' ? '' : ` beside ${beside}`}: name each partner on its own line`;
    return { ...r, state: 'unknown', level: null, hits: [], organisations: [], headline: `Unknown organisation: ${note}; screen each on its own before relying on this. (${r.headline})` };
  }

  /** The distinctive listed Chinese names, by key, worked out once (mentionedListedZh). */
  private distinctiveZh: [string, IndexedName][] | null = null;

  /**
   * mentionedListed for a field in Chinese, which has no spaces between words: a distinctive listed Chinese name written
   * anywhere in it (华东师范大学，分包华为), outside the recognised institution's own name (北京释码大华科技有限公司 holds 大华).
   */
  private mentionedListedZh(text: string, r: ScreenResult): ScreenResult | null {
    const found = this.listedZhMentions(text, r)[0];
    return found ? this.mentionAnswer(text, r, found.n.name.value, found.n) : null;
  }

  /** The distinctive listed Chinese names written in a field outside the recognised institutions' own names (mentionedListedZh). */
  private listedZhMentions(text: string, r: ScreenResult): { at: number; key: string; n: IndexedName }[] {
    const out: { at: number; key: string; n: IndexedName }[] = [];
    this.distinctiveZh ??= this.cjkNames.filter((n) => this.distinctiveZhName(n)).map((n) => [n.cjk, n]);
    const k = cjkKey(text);
    const own = new Set(r.institutions.map((i) => i.rorId));
    // Inside a run of characters the registry gives the recognised institution as its name.
    const insideOwn = (at: number, end: number) => {
      for (let a = Math.max(0, at - MAX_NAME_CHARS); a <= at; a++) for (let b = end; b <= Math.min(k.length, a + MAX_NAME_CHARS); b++) if (this.resolver?.nameHolders(k.slice(a, b)).some((id) => own.has(id))) return true;
      return false;
    };
    for (const [key, n] of this.distinctiveZh) {
      for (let at = k.indexOf(key); at >= 0; at = k.indexOf(key, at + 1)) if (!insideOwn(at, at + key.length)) out.push({ at, key, n });
    }
    return out;
  }

  /**
   * A field read as one listed party that writes another, more severe, listed name beside it (清华大学华为,
   * 华为清华大学联合实验室: Tsinghua, medium, and Huawei, very high): the more severe party's answer, the first's hits beside
   * it, as for "Tsinghua University and Huawei"; null otherwise. Not a name inside a listed name the field matched
   * (中国电子科技集团公司第十四研究所 holds its parent's). Round 49 (sep52): the mention net read only not-listed answers.
   * A Latin name too: a field whose cuts past several.maxCuts went unread kept its first listed party ("Tsinghua University,
   * … / NUDT": Tsinghua, medium, where NUDT is very high; an outside red team, round 49). Round 50: only a name written
   * outside the parts the listed party was read from, and no name of its own entries' listings.
   */
  private moreSevereListed(query: string, text: string, r: ScreenResult): ScreenResult | null {
    if (r.state !== 'listed' || r.level === null) return null;
    const level = r.level;
    // A second party is named outside the words the listed party was read from: the field without the parts its hits were
    // read from ("Guilin University of Electronic Science and Technology, China" holds UESTC's words, round 50). Located by
    // the part each hit was read from, not by searching for the matched name, which a slip or a reading may not spell.
    // A part that is the whole field places nothing; the names below decide there.
    const field = asTypedKeepingSpaces(text).trim();
    const parts = new Set(r.hits.map((h) => readFrom.get(h)).filter((p): p is string => p !== undefined && p !== field && field.includes(p)));
    const rest = [...parts].sort((x, y) => y.length - x.length).reduce((t, p) => t.split(p).join(', '), field);
    // A name the matched entries' own listings write is theirs, not another party's: "Huawei" of "Huawei Technologies Co., Ltd.",
    // CNNC of "Baotou Guanghua Chemical Industrial Corporation (Parent Organization: China National Nuclear Group Corporation (CNNC))".
    const ownNames = r.hits.filter((h) => !h.sameAs).flatMap((h) => [h.matchedName, ...(this.entryOf(h.list, h.entryId)?.names.map((n) => n.value) ?? [])]);
    const ownZh = ownNames.filter(hasCjk).map(cjkKey);
    const ownLatin = ownNames.filter((m) => !hasCjk(m)).map((m) => ` ${screenKey(m)} `);
    const mentions = [
      ...(hasCjk(rest)
        ? this.listedZhMentions(rest, r)
            .filter(({ key }) => !ownZh.some((m) => m.includes(key)))
            .map(({ n }) => ({ written: n.name.value, n }))
        : []),
      ...[...this.latinMentions(rest, r)].filter(({ written }) => !ownLatin.some((m) => m.includes(` ${screenKey(written)} `))),
    ];
    const named = hasCjk(rest) ? this.namesOnlyZh(rest, r, ownZh) : null;
    if (named) {
      // A Chinese field of listed names written together and nothing else (北京理工大学华为, 北京航空航天大学中兴通讯): every party
      // it names, whatever their levels, as for "Beijing Institute of Technology and Huawei" (round 50: BIT alone).
      const sides = [...new Map(named.map((n) => [n.name.value, n])).values()].map((n) => ({ part: n.name.value, why: undefined, r: this.screenOne(n.name.value, { nearest: false }) })).filter((s) => s.r.state === 'listed');
      if (sides.length > 0) return this.fieldAnswer(query, text, [{ part: r.hits[0]!.matchedName, why: undefined, r }, ...sides]);
    }
    for (const { written, n } of mentions) {
      const other = this.screenOne(n.name.value, { nearest: false });
      if (other.state !== 'listed' || other.level === null || LEVELS.indexOf(other.level) >= LEVELS.indexOf(level)) continue;
      return this.fieldAnswer(query, text, [
        { part: r.hits[0]!.matchedName, why: undefined, r },
        { part: written, why: undefined, r: other },
      ]);
    }
    return null;
  }

  /**
   * For a Chinese field read as a listed party: the other listed names it writes when it is nothing but names, the listed
   * party's own (a registry name of its institutions, a name of its entries) and those others, with kind and business words
   * (data/lists/aliases.json units) between; null when anything else is written, or no other name is.
   */
  private namesOnlyZh(text: string, r: ScreenResult, ownZh: string[]): IndexedName[] | null {
    const k = cjkKey(text);
    const covered = new Array<boolean>(k.length).fill(false);
    const cover = (at: number, end: number) => covered.fill(true, at, end);
    const mentions = this.listedZhMentions(text, r).filter(({ key }) => !ownZh.some((m) => m.includes(key)));
    if (mentions.length === 0) return null;
    for (const { at, key } of mentions) cover(at, at + key.length);
    for (const m of ownZh) for (let at = k.indexOf(m); at >= 0; at = k.indexOf(m, at + 1)) cover(at, at + m.length);
    const own = new Set(r.institutions.map((i) => i.rorId));
    for (let a = 0; a < k.length; a++) for (let b = Math.min(k.length, a + MAX_NAME_CHARS); b > a + 1; b--) if (this.resolver?.nameHolders(k.slice(a, b)).some((id) => own.has(id))) cover(a, b);
    const kinds = [...this.units.otherWordsZh, ...this.units.unitSuffixesZh, ...this.units.businessWordsZh, ...this.units.namedAfter.companyWordsZh, ...this.units.legalFormsZh].filter((w) => w !== '');
    // What no name covers must be kind words alone ("北京理工大学与华为" has a link, which severalParties reads).
    for (const run of k
      .split('')
      .map((c, i) => (covered[i] ? '\u0000' : c))
      .join('')
      .split('\u0000')) {
      let left = run;
      for (let w = kinds.find((x) => left.startsWith(x)); w !== undefined; w = kinds.find((x) => left.startsWith(x))) left = left.slice(w.length);
      if (left !== '') return null;
    }
    // A name inside another written there is that one's (中兴 of 中兴通讯).
    return mentions.filter((m) => !mentions.some((o) => o.key.length > m.key.length && o.at <= m.at && m.at + m.key.length <= o.at + o.key.length)).map((m) => m.n);
  }

  /**
   * Whether a listed Chinese name, written inside other characters, names its entry. Two characters may (华为), as a name
   * of its own, never a kind or a place: not a short name derived by rule, a lone alias or a person's; not a country or
   * place (中国); something left once the kind, business and company words closing it (data/lists/aliases.json units,
   * named_after, without_legal_form_zh) are taken off; and borne inside fewer than COMMON_WORD registry names.
   */
  private distinctiveZhName(n: IndexedName & { cjk: string }): boolean {
    if (n.lone || n.name.source?.startsWith(DERIVED) || this.isPerson(n.entry) || n.cjk.length < 2) return false;
    const gazetteer = this.resolver?.gazetteer;
    if (gazetteer && (gazetteer.isPlace(n.cjk) || gazetteer.countryCodeOf(n.cjk) !== null)) return false;
    // Kind words close a Chinese name (北京大学, 中科曙光信息产业股份有限公司): a name of nothing else names no one.
    const kinds = [...this.units.otherWordsZh, ...this.units.unitSuffixesZh, ...this.units.businessWordsZh, ...this.units.namedAfter.companyWordsZh, ...this.units.legalFormsZh];
    let rest = n.cjk;
    for (let w = kinds.find((x) => rest.endsWith(x)); w !== undefined; w = kinds.find((x) => rest.endsWith(x))) rest = rest.slice(0, -w.length);
    if (rest === '') return false;
    this.registryZh ??= [...this.countriesByName.keys()].filter(hasCjk).map(cjkKey);
    let borne = 0;
    for (const name of this.registryZh) if (name.includes(n.cjk) && ++borne >= COMMON_WORD) return false;
    return true;
  }

  /** The registry's Chinese names, as compared (distinctiveZhName). */
  private registryZh: string[] | null = null;

  /** Whether a listed name, written as these words in a party field, names its entry whatever words stand beside it. */
  private distinctiveMention(n: IndexedName, written: string): boolean {
    if (n.lone || this.isPerson(n.entry)) return false;
    const tokens = screenTokens(written);
    if (n.acronym) return written.length >= 3 && written === written.toUpperCase() && !isLegalForm(tokens[0] ?? '');
    // A name of words each common in the registry is any institution's unit's ("Institute of Computing Technology, Vienna University of Technology").
    if (tokens.length !== 1) return !isNondistinctive(tokens, (w) => this.resolver?.gazetteer.isPlace(w) ?? false) && !this.isGenericName(tokens);
    const w = tokens[0]!;
    return !isNondistinctive(tokens) && !isLegalForm(w) && !(this.resolver?.gazetteer.isPlace(w) ?? false) && (this.wordCounts.get(w) ?? 0) < COMMON_WORD;
  }

  /**
   * Whether a listed answer rests only on one generic word a rule left of a listed name when it dropped its country word
   * ("Telecom" of "China Telecom Group Co., Ltd.": Télécom SudParis, Mines et Télécom): as a side of a cut it names no party.
   */
  private genericWordOnly(r: ScreenResult | null): boolean {
    if (r?.state !== 'listed') return false;
    const own = r.hits.filter((h) => !h.inherited && !h.sameAs);
    return (
      own.length > 0 &&
      own.every((h) => {
        const tokens = screenTokens(h.matchedName);
        const derived = (this.byKey.get(screenKey(h.matchedName)) ?? []).some((n) => n.entry.id === h.entryId && n.name.source?.startsWith(DERIVED) === true);
        const dropped = this.resolver?.gazetteer.countryCodeOf(screenTokens(h.entry)[0] ?? '') != null;
        return tokens.length === 1 && derived && dropped && this.isGenericName(tokens);
      })
    );
  }

  /**
   * A joint unit of two parties written with a dash or slash between them ("NUDT-ETH Joint Lab", "Tsinghua-Huawei Joint
   * Laboratory": data/lists/aliases.json units.joint_words): when the unit read whole is not listed, each party is screened
   * on its own, so a listed one is found whichever it is and whatever its kind; null otherwise.
   */
  private jointUnit(query: string, text: string, asOne: () => ScreenResult, options: { nearest?: boolean }): ScreenResult | null {
    if (hasCjk(text)) return this.jointUnitZh(query, text, asOne, options);
    const m = /^([^-–—/]+?)\s*[-–—/]\s*([^-–—/]+?)\s+(\S+(?:\s+\S+)*)$/u.exec(text);
    if (!m) return null;
    // The pair's second word may be the name's last ("NUDT-ETH Joint Lab": "ETH", then "Joint Lab"): the joint word opens the unit.
    const words = `${m[2]} ${m[3]}`.split(/\s+/);
    const at = words.findIndex((w) => this.units.jointWords.has(screenTokens(w)[0] ?? ''));
    const unit = words.slice(at + 1).flatMap((w) => screenTokens(w));
    if (at < 1 || unit.length === 0 || !unit.every((w) => this.units.unitWords.has(w) || this.units.unitAfterName.has(w) || /^lab/.test(w))) return null;
    if (asOne().state === 'listed' || asOne().state === 'ambiguous') return null;
    const sides = [m[1]!.trim(), words.slice(0, at).join(' ')].map((part) => ({ part, why: undefined, r: this.screenOne(part, { nearest: options.nearest }), several: false }));
    return sides.some((s) => s.r.state === 'listed' || s.r.state === 'ambiguous') ? this.fieldAnswer(query, text, sides) : null;
  }

  /** jointUnit for a Chinese field: two names parted by a dash, slash, middle dot or 、, then a joint word and a unit's ending (清华-华为联合实验室). */
  private jointUnitZh(query: string, text: string, asOne: () => ScreenResult, options: { nearest?: boolean }): ScreenResult | null {
    if (this.units.jointWordsZh.length === 0) return null;
    const any = (ws: string[]) => ws.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    const m = new RegExp(`^([^-–—/·、]+?)\\s*[-–—/·、]\\s*([^-–—/·、]+?)(?:${any(this.units.jointWordsZh)})(?:${any(this.units.unitSuffixesZh)})$`, 'u').exec(text);
    if (!m || asOne().state === 'listed' || asOne().state === 'ambiguous') return null;
    const sides = [m[1]!.trim(), m[2]!.trim()].map((part) => ({ part, why: undefined, r: this.screenOne(part, { nearest: options.nearest }), several: false }));
    return sides.some((s) => s.r.state === 'listed' || s.r.state === 'ambiguous') ? this.fieldAnswer(query, text, sides) : null;
  }

  /** Whether a listed answer matched a list's name for (nearly) the whole string, not for a part of it. */
  private readAsOne(r: ScreenResult, text: string): boolean {
    const key = fieldKey(text);
    return r.state === 'listed' && r.hits.some((h) => !h.inherited && !h.sameAs && h.match !== 'registry' && h.match !== 'ticker' && screenKey(h.matchedName).length >= 0.8 * key.length);
  }

  /** Whether a side of a field is a name the registry or a list holds whole ("ETH Zurich"), not an address or a phrase. */
  private wholeName(part: string): boolean {
    const key = screenKey(part);
    return this.byKey.has(key) || this.wholeOnly.has(key) || (this.resolver?.nameHolders(part).length ?? 0) > 0;
  }

  /**
   * Whether words read as no recognised party may name one: any words opening no unit and not only kind words, in any case
   * ("ETH Zurich and partner to be confirmed", "… and one more": words after a link never vanish); after a party's unit
   * ("Stanford University, Dept of Physics and …") only words with an organisation's word, as "Astronomy" is the department's.
   */
  private mayName(part: string, afterUnit: boolean): boolean {
    const tokens = screenTokens(part);
    if (this.units.unitAfterName.has(tokens[0] ?? '') || isKindOnlyName(part)) return false;
    return !afterUnit || screenWords(part).some(isLegalForm) || tokens.some((w) => this.units.otherWords.has(w));
  }

  /** The name a side of a cut holds before its unit or place after a comma ("Stanford University, Dept of Physics"): that side's party. */
  private nameBeforeUnit(part: string): string {
    return part.split(/[,;，；]/)[0]!.trim();
  }

  /**
   * For a field naming two parties at a link ("Stanford University and Huawei", "华东师范大学和华为"), or a party and a group
   * ("… and partners", "… (consortium lead)"), each party screened on its own; the field's answer is the most severe
   * party's (listed, ambiguous, unknown, not listed), told as the field's. Cut only where each side is recognised or a
   * group (data/assessment/placeholder-names.json otherParties.several), never inside a name the registry or a list holds
   * whole ("Johnson & Johnson"); null when no such cut is found. A party's country never places the other.
   */
  private severalParties(query: string, options: { nearest?: boolean }, read?: ScreenResult, seen = new Map<string, ScreenResult | null>()): ScreenResult | null {
    const text = asTypedKeepingSpaces(query).trim();
    // Each right side is read once per field: read again at every cut to its left, a long address of many commas and
    // "and"s ("…; and Room 302, Bldg. 11, …; and …") took time exponential in its cuts.
    if (seen.has(text)) return seen.get(text)!;
    this.spend();
    const answer = this.severalPartiesOnce(query, text, options, read, seen);
    seen.set(text, answer);
    return answer;
  }

  private severalPartiesOnce(query: string, text: string, options: { nearest?: boolean }, read: ScreenResult | undefined, seen: Map<string, ScreenResult | null>): ScreenResult | null {
    // A name held whole is one party ("Johnson & Johnson"), unless a side of its link names nothing the name's words count:
    // "ETH Zurich and ???" is held as "ETH Zurich" once "and ???" is dropped.
    const nameless = (part: string) => !/[\p{L}\p{N}]/u.test(part) || placeholderReason(part) !== undefined;
    // At a comma only a side of punctuation or placeholder wording counts ("ETH Zurich, ???", "…, partner to be confirmed"): "Citibank, NA" is a name.
    const dropped = (s: PartySplit) => (s.weak ? !/[\p{L}\p{N}]/u.test(s.right) || groupReason(s.right) !== undefined : nameless(s.right));
    if (text === '' || this.byKey.has(fieldKey(text)) || this.wholeOnly.has(fieldKey(text)) || ((this.resolver?.nameHolders(text).length ?? 0) > 0 && !splitsIn(text).some(dropped))) return null;
    let whole = read ?? null;
    const asOne = () => (whole ??= this.screenOne(text, { nearest: options.nearest }));
    const jointly = this.jointUnit(query, text, asOne, options) ?? this.unitOfParties(query, text, asOne, options, seen);
    if (jointly) return jointly;
    // A field opening with a link and no party before it ("Partner: Huawei", "supported by NUDT"): the party after it,
    // where it is listed or the field read whole is recognised as nothing.
    const lead = leadingLink(text);
    if (lead) {
      const r = this.severalParties(lead.rest, options, undefined, seen) ?? this.tentativeParty(lead.rest, options) ?? this.screenOne(lead.rest, { nearest: options.nearest });
      if (r.state === 'listed' || r.state === 'ambiguous' || asOne().state === 'unknown') return this.told(query, r, `"${text}" read as "${lead.rest}": "${lead.link}" opens the field, naming no party before it (${PLACEHOLDERS_FILE} several.links)`);
    }
    // A field read whole as one listed name, a spelling slip included ("Sinortans & CSC Holdings Co., Ltd." is Sinotrans & CSC): never cut.
    if (splitsIn(text).length > 0 && this.readAsOne(asOne(), text)) return null;
    const group = (part: string) => groupReason(part) ?? placeholderReason(part);
    // A party named at a link is one name, placed, with a legal form or its unit after a comma at most ("Tsinghua University,
    // Department of Computer Science and Huawei": data/lists/aliases.json unit_after_name): "Institute of Optics, Fine
    // Mechanics and Physics, Chinese Academy of Sciences" is one institute's address, not two parties.
    const onlyName = (part: string) =>
      part
        .split(/[,;，；]/)
        .slice(1)
        .every((p) => this.isPlacePart(p) || screenWords(p).every(isLegalForm) || this.units.unitAfterName.has(screenTokens(p)[0] ?? ''));
    for (const split of splitsIn(text)) {
      if (!split.weak && !(onlyName(split.left) && onlyName(split.right))) continue;
      const sides = [split.left, split.right].map((part, i) => {
        const why = group(part);
        if (why !== undefined) return { part, why: `${why}, not an identified party`, r: null, several: false };
        // The right side may itself name several parties ("Stanford University and partners"); the left is cut at the first link that holds.
        const several = i === 1 ? this.severalParties(part, options, undefined, seen) : null;
        // "Huawei TBC": the listed party named, not confirmed.
        const pending = several ? null : this.tentativeParty(part, options);
        return { part, why, r: several ?? pending ?? this.screenOne(part, { nearest: options.nearest }), several: several !== null || pending !== null };
      });
      // A link between neighbouring words of a registry name is inside that name's variant ("Ponts et Chaussées ParisTech"), unless a side alone is listed.
      if (!split.weak && !sides.some((s) => s.r?.state === 'listed') && this.linkInsideRegistryName(split.left, split.right)) continue;
      // A side names a party by a distinctive name, not by one generic word left of a listed name ("Telecom & Management SudParis").
      const generic = sides.filter((s) => this.genericWordOnly(s.r));
      const named = sides.filter((s) => s.r !== null && (s.several || s.r.state !== 'unknown') && !generic.includes(s));
      const groups = sides.filter((s) => s.why !== undefined);
      // At a comma, the other side must be a group, several parties ("ETH Zurich, Tsinghua University and Huawei") or one not confirmed ("…, Huawei TBC").
      if (named.length > 0 && named.length + groups.length >= 2 && (!split.weak || groups.length > 0 || named.some((s) => s.several))) return this.fieldAnswer(query, text, sides);
      // A recognised party at a link and words that name no recognised party ("ETH Zurich and Unknown Corp Ltd", "斯坦福大学和国防科技大学"):
      // the field names a party not identified, never the recognised one alone. Only where the field read whole is no listed
      // name ("Sinortans & CSC Holdings" is a slip of one), and the recognised side is listed or a name held whole, not an
      // address whose link is a department's ("Stanford University, Department of Physics and Astronomy").
      if (split.weak || named.length !== 1 || groups.length > 0) continue;
      const [known, other] = sides[0] === named[0] ? [sides[0]!, sides[1]!] : [sides[1]!, sides[0]!];
      // Not at a symbol written inside a name ("S&C Trade": "S" is a listed acronym), nor beside an ambiguous side or an
      // address (a postcode: "… & Phys, Beijing 100190, China" is an institute's address, not a party): a
      // fragment of a name is often a namesake's ("China Coal Technology" of "China Coal Technology and Engineering Group").
      // The recognised side may carry its unit after a comma ("Stanford University, Dept of Physics and Unknown Corp").
      const afterUnit = !this.wholeName(known.part) && known.part !== this.nameBeforeUnit(known.part) && this.wholeName(this.nameBeforeUnit(known.part));
      if (!split.spaced || (other.r?.state !== 'unknown' && !generic.includes(other)) || !this.mayName(other.part, afterUnit) || /\d{4,}/.test(other.part) || !((known.r!.state === 'listed' && known.r!.hits.some((h) => h.match !== 'fuzzy')) || this.wholeName(known.part) || afterUnit)) continue;
      // Read whole, the field must be no other institution than the recognised party ("Tianjin University of Technology and
      // Education, Tianjin, China" is one university, not Tianjin University of Technology and "Education").
      const one = asOne();
      if (one.state === 'listed' || one.state === 'ambiguous' || one.institutions.some((i) => !known.r!.institutions.some((k) => k.rorId === i.rorId))) continue;
      return this.fieldAnswer(query, text, [known, { part: other.part, why: `it names a party not identified: "${other.part}"`, r: null, several: false }]);
    }
    return this.tiedParty(query, text, asOne, options);
  }

  /** An answer told as the field's, with a note on how the field was read. */
  private told(query: string, r: ScreenResult, note: string): ScreenResult {
    for (const h of r.hits) h.evidence = `${h.evidence}; ${note}`;
    return { ...r, query, headline: withNote(r.headline, note) };
  }

  /**
   * A party named by its tie to another ("Huawei subsidiary", "ETH Zurich spin-off", "NUDT-funded": otherParties.relations,
   * several.trailingLinks): a listed name it holds is the answer; a recognised one on no list leaves the party not
   * identified, unless the field read whole is another institution. Null otherwise.
   */
  private tiedParty(query: string, text: string, asOne: () => ScreenResult, options: { nearest?: boolean }): ScreenResult | null {
    const t = tie(text);
    // Read whole as listed ("a Huawei subsidiary": a description whose listed name is found), that answer stands.
    if (!t || asOne().state === 'listed' || asOne().state === 'ambiguous') return null;
    const r = this.screenOne(t.name, { nearest: options.nearest });
    const note = `"${text}" names a party by its tie to "${t.name}" ("${t.word}")`;
    if (r.state === 'listed' || r.state === 'ambiguous') return this.told(query, r, note);
    if (r.state !== 'not-listed' || asOne().institutions.some((i) => !r.institutions.some((k) => k.rorId === i.rorId))) return null;
    const headline = `Unknown organisation: ${note}, not identified itself: identify it (its registered name or ROR id) before relying on this. (${r.headline})`;
    return { ...r, query, state: 'unknown', level: null, hits: [], organisations: [], headline };
  }

  /**
   * A unit named as two parties' ("Joint Lab of ETH Zurich and NUDT", "Joint Laboratory between …": units.joint_words,
   * several.unitOf): when the unit read whole is not listed, each party is screened on its own, as for "NUDT-ETH Joint Lab".
   */
  private unitOfParties(query: string, text: string, asOne: () => ScreenResult, options: { nearest?: boolean }, seen: Map<string, ScreenResult | null>): ScreenResult | null {
    const isUnit = (unit: string[]) => this.units.jointWords.has(unit[0] ?? '') && unit.length >= 2 && unit.slice(1).every((w) => this.units.unitWords.has(w) || this.units.unitAfterName.has(w) || /^lab/.test(w));
    // Or the parties straight after the unit's words ("Joint Laboratory ETH Zurich / Beihang"; round 49, sep52: unknown, Beihang not shown).
    const written = text.split(/\s+/);
    const bare = [...written.keys()].reverse().find((i) => i >= 2 && isUnit(screenTokens(written.slice(0, i).join(' '))));
    const u = hasCjk(text) ? undefined : (unitOf(text) ?? (bare !== undefined ? { unit: written.slice(0, bare).join(' '), parties: written.slice(bare).join(' ') } : undefined));
    if (!u || !isUnit(screenTokens(u.unit))) return null;
    if (asOne().state === 'listed' || asOne().state === 'ambiguous') return null;
    const r = this.severalParties(u.parties, options, undefined, seen);
    return r && (r.state === 'listed' || r.state === 'ambiguous') ? this.told(query, r, `"${text}" names a unit of the parties "${u.parties}"`) : null;
  }

  /** Neighbouring words of the registry's names, as screening reads them, worked out once (linkInsideRegistryName). */
  private registryPairs: Set<string> | null = null;

  /**
   * Whether the words either side of a link are neighbours in a registry name ("Ponts et Chaussées ParisTech": "ponts …
   * chaussées", of École nationale des ponts et chaussées, whose "et" screening reads as no word): the field is a variant
   * of that name, not two parties. Not where either word is a kind word, a legal form or a place ("… University and
   * Shanghai …"), which many names put side by side.
   */
  private linkInsideRegistryName(left: string, right: string): boolean {
    const [a, b] = [screenTokens(left).at(-1), screenTokens(right)[0]];
    const plain = (w: string | undefined): w is string => w !== undefined && !isNondistinctive([w]) && !isLegalForm(w) && !(this.resolver?.gazetteer.isPlace(w) ?? false);
    if (!plain(a) || !plain(b)) return false;
    if (!this.registryPairs) {
      this.registryPairs = new Set();
      for (const key of this.countriesByName.keys()) {
        if (hasCjk(key)) continue;
        const words = key.split(' ');
        for (let i = 1; i < words.length; i++) this.registryPairs.add(`${words[i - 1]} ${words[i]}`);
      }
    }
    return this.registryPairs.has(`${a} ${b}`);
  }

  private fieldAnswer(query: string, text: string, sides: { part: string; why: string | undefined; r: ScreenResult | null }[]): ScreenResult {
    const severity: ScreenState[] = ['listed', 'ambiguous', 'unknown', 'not-listed'];
    // Of two listed parties, the higher level answers ("Tsinghua University and Huawei": Huawei, very high), the other's hits beside it.
    const rank = (r: ScreenResult | null) => severity.indexOf(r?.state ?? 'unknown') * LEVELS.length + (r?.level ? LEVELS.indexOf(r.level) : 0);
    const ranked = [...sides].sort((a, b) => rank(a.r) - rank(b.r));
    const worst = ranked[0]!;
    const unnamed = sides
      .filter((s) => s.r === null && s !== worst)
      .map((s) => `; ${s.why}`)
      .join('');
    const note = `"${text}" names several parties (${sides.map((s) => `"${s.part}"`).join(', ')}), each screened on its own: name each partner on its own line${unnamed}`;
    if (worst.r === null) {
      const headline = `Unknown organisation: ${note}; ${worst.why}: identify it (its registered name or ROR id) before relying on this.`;
      return { query, state: 'unknown', level: null, headline, institutions: [], hits: [], organisations: [], choices: [], similar: [], registryCandidates: [], listedParts: [], related: [] };
    }
    const told = `${note}; the field's answer is that of "${worst.part}"`;
    for (const h of worst.r.hits) h.evidence = `${h.evidence}; ${told}`;
    const rest = sides.filter((s) => s !== worst && s.r !== null).map((s) => s.r!);
    const others = rest.flatMap((r) => r.institutions.filter((i) => !worst.r!.institutions.some((w) => w.rorId === i.rorId)));
    const alsoListed = worst.r.state === 'listed' ? rest.filter((r) => r.state === 'listed') : [];
    for (const r of alsoListed) for (const h of r.hits) h.evidence = `${h.evidence}; ${note}`;
    const also = alsoListed.map((r) => `; also listed: ${r.headline.replace(/\.$/u, '')}`).join('');
    return {
      ...worst.r,
      query,
      institutions: [...worst.r.institutions, ...others],
      hits: sortHits([...worst.r.hits, ...alsoListed.flatMap((r) => r.hits)]),
      organisations: [...worst.r.organisations, ...alsoListed.flatMap((r) => r.organisations)],
      headline: withNote(worst.r.headline, `${told}${also}`),
    };
  }

  private screenOne(query: string, options: { nearest?: boolean; resolution?: Resolution }): ScreenResult {
    this.spend();
    // A piece is met again at every cut to its left (round 50, busy54: a 490-character field screened 116 pieces, 65
    // distinct, 3.5 s): screened once per field, still spending a piece each time so the bound reads as before. A copy,
    // as a reading tells its notes on the hits it is given.
    const key = options.resolution === undefined ? `${String(options.nearest)}\u0000${query}` : null;
    const known = key === null ? undefined : this.budget?.read.get(key);
    if (known) return structuredClone(known);
    const r = this.screenPiece(query, options);
    if (key !== null) this.budget?.read.set(key, structuredClone(r));
    return r;
  }

  private screenPiece(query: string, options: { nearest?: boolean; resolution?: Resolution }): ScreenResult {
    const asWritten = this.screenAsWritten(query, options);
    // A listed institution's name, then its unit without a comma ("Harbin Institute of Technology School of Computer Science"):
    // read as if the comma stood there, only where the string as written is recognised as nothing.
    const split = asWritten.state === 'unknown' ? this.unitAfterName(query) : null;
    if (!split) return asWritten;
    const read = this.screenAsWritten(split.text, { ...options, resolution: undefined });
    if (read.state === 'unknown') return asWritten;
    const note = `"${query.trim()}" read as "${split.text}": "${split.unit}" names a unit of "${split.name}", written after it without a comma (${this.units.file} unit_after_name)`;
    for (const h of read.hits) h.evidence = `${h.evidence}; ${note}`;
    return { ...read, query, headline: withNote(read.headline, note) };
  }

  /**
   * For a field that speaks of more than one party, the first listed (else ambiguous) answer among the parties it
   * names, each screened on its own, told as the whole field's; null when none is on a list.
   */
  private listedAmong(query: string, text: string, options: { nearest?: boolean }): ScreenResult | null {
    const parties = partiesIn(text);
    if (!parties) return null;
    const read = parties.parts.filter((p) => p !== '' && p !== text).map((part) => ({ part, r: this.screen(part, { nearest: options.nearest }) }));
    const found = read.find(({ r }) => r.state === 'listed') ?? read.find(({ r }) => r.state === 'ambiguous');
    if (!found) return null;
    const note = `"${text}" ${parties.reason}; of the parties it speaks of, "${found.part}" was screened`;
    for (const h of found.r.hits) h.evidence = `${h.evidence}; ${note}`;
    return { ...found.r, query, headline: withNote(found.r.headline, note) };
  }

  /**
   * The string's first part as a listed institution's whole name (a listed name or acronym of a university, an academy: no
   * company) and words after it that open a unit of it (data/lists/aliases.json unit_after_name), the comma written between;
   * or null. The longest such name is taken.
   */
  private unitAfterName(query: string): { text: string; name: string; unit: string } | null {
    if (this.units.unitAfterName.size === 0 || hasCjk(query)) return null;
    const [first, ...rest] = asTypedKeepingSpaces(query).split(',');
    const words = first!.trim().split(/\s+/);
    for (let i = words.length - 1; i >= 1; i--) {
      const name = words.slice(0, i).join(' ');
      const unit = words.slice(i).join(' ');
      if (!this.units.unitAfterName.has(screenTokens(words[i]!)[0] ?? '')) continue;
      // A listed name of generic words ("University of Science and Technology of China") is kept for the whole string: here it is whole.
      // An acronym is borne by many organisations and their labs ("HIT Lab NZ"): it opens only a unit written "… of …" ("NUDT College of Computer").
      // Nor one the unit's words spell out: that acronym is the unit's own ("HIT Laboratory of Human Interface Technology" is the HIT Lab).
      const of = /\bof\b/i.test(unit);
      const listed = [...(this.byKey.get(screenKey(name)) ?? []), ...(this.wholeOnly.get(screenKey(name)) ?? [])].some((n) => n.name.kind !== 'subsidiary' && !n.lone && (!n.acronym || (of && !spellsOut(name, unit))) && !this.isPerson(n.entry) && this.isInstitution(n.entry));
      if (listed) return { text: [name, unit, ...rest.map((r) => r.trim())].join(', '), name, unit };
    }
    return null;
  }

  private screenAsWritten(query: string, options: { nearest?: boolean; resolution?: Resolution }): ScreenResult {
    // Inner spacing as written: an ingest's resolution of the string is taken only when it is of the very text.
    const text = asTypedKeepingSpaces(query).trim();
    if (text === '') throw new ScreenError('empty name: give a name or a ROR id to screen');
    // "TBD" names nobody, whatever the registry resolves it to (Thai Binh Duong University): never recognised.
    const placeholder = placeholderReason(text);
    if (placeholder !== undefined) {
      // "East China Normal University, subcontracting to a Huawei subsidiary": never one identified party, yet a listed
      // organisation it names is found, so the field is not read as clean on the listed party's behalf.
      const found = this.listedAmong(query, text, options);
      if (found) return found;
      const headline = `Unknown organisation: "${text}" is a placeholder (${placeholder}; ${PLACEHOLDERS_FILE}), not a name: identify the partner (its registered name or ROR id) before relying on this.`;
      return { query, state: 'unknown', level: null, headline, institutions: [], hits: [], organisations: [], choices: [], similar: [], registryCandidates: [], listedParts: [], related: [] };
    }
    const hits = new Map<string, Hit>();
    const resolution = this.resolve(text, options.resolution?.raw === text ? options.resolution : undefined);
    // A registry name the whole string is, held by one institution, is that institution even when
    // its words are generic ("European Research Council"): the matcher only doubts such a name inside an address.
    // So is a whole string one registry institution alone holds as an alias ("Institute of Physics, Czech Academy of Sciences"),
    // and a company's registry name the matcher reads by its brand ("Alibaba Group": its label, matched as the company Alibaba).
    // Not a name of words saying only what kind of institution it is ("Institute of Technology"): the matcher decides those.
    const kindOnly = isKindOnlyName(this.nameWithoutPlace(text));
    const read = (resolution?.institutions ?? [])
      .map((m) =>
        !kindOnly && m.tier !== 'exact' && (m.basis.how === 'exact' || m.basis.how === 'company') && m.basis.ambiguity === 'unique' && m.basis.place !== 'conflict' && this.isWholeName(text, m) ? { ...m, tier: 'exact' as const, evidence: `${m.evidence}; the whole string is this registry name` } : m,
      )
      .filter((m) => m.tier !== 'possible');
    read.push(...this.acronymHolder(text, read));
    // A parent matched with its unit ("Institute of Automation, Chinese Academy of Sciences": CAS, its unit CASIA) may be
    // exact, yet the string is about the unit it names: its parent is not a second institution named.
    const units = read.some((m) => m.tier === 'exact' && m.basis.named !== 'with-units') ? [] : this.namedUnits(resolution?.institutions ?? []);
    const named = [...units, ...read.filter((m) => !m.units.some((u) => units.some((n) => n.rorId === u.rorId)))];
    const namesakes: Similar[] = [];
    const institutions = named.filter((m) => !this.unitOfAnother(m, named, namesakes));
    // Only a country written in the string sets an exactly listed name apart as a namesake; the
    // country of the institution the registry matcher guessed narrows the spelling-slip matches only
    // ("Huawei Technologies Dusseldorf GmbH" is read as Huawei in China, yet is the listed German unit).
    const written = this.placeOf(text);
    const country = written ?? institutions.find((m) => m.primary)?.countryCode ?? null;
    const parts = segments(text);
    const beside = institutions.map((m) => ({ rorId: m.rorId, name: m.name, countryCode: m.countryCode, tier: m.tier }));
    const apart = (part: string) => this.placeOf(parts.filter((p) => p !== part).join(', '));
    this.tickerHits(text, hits);
    this.readHits(text, true, { written, country, apart }, hits, namesakes);
    for (const n of this.wholeOnly.get(screenKey(text)) ?? []) if (!this.namesake(n, screenKey(text), written)) this.addNameHit(n, text, n.name.kind === 'chinese' ? 'translated' : 'exact', 1, hits);
    if (!/\s/.test(text) && !hasCjk(text)) this.gluedHits(text, written, hits, namesakes);
    // When the whole string is a listed name, an organisation named in one of its parts is the
    // listed parent of that unit ("Academy of Military Medical Sciences, Field Blood Transfusion
    // Institution"): shown as inherited through the unit.
    const unit = [...hits.values()].find((h) => !h.inherited)?.entry ?? null;
    // An acronym the unit named in the next part spells out is that unit's own ("HIT, Laboratory of Human Interface Technology": the HIT Lab).
    const ownAcronym = (i: number) => i + 1 < parts.length && isAcronym(parts[i]!) && screenTokens(parts[i + 1]!).some((w) => this.units.unitAfterName.has(w)) && spellsOut(parts[i]!, parts[i + 1]!);
    if (parts.length > 1) parts.forEach((part, i) => ownAcronym(i) || this.readHits(part, false, { written, country, beside, address: i > 0, apart }, hits, namesakes, unit));
    this.neighbourHits(text, parts, { written, country, beside }, hits, namesakes);
    for (const part of parts.length > 1 ? [text, ...parts] : [text]) {
      this.companyUnitHits(part, written, hits, namesakes);
      this.writtenFormHits(part, part === text, written, hits, namesakes, part !== text && part !== parts[0]);
    }
    // A company named after a listed institution is not the institution the registry reads in its name ("清华大学控股有限公司": Tsinghua University).
    const companyOf = new Set(namesakes.filter((n) => n.namedAfter).map((n) => `${n.list}\u0000${n.entryId}`));
    const namedAfter = (rorId: string) => companyOf.size > 0 && (this.links.get(rorId) ?? []).length > 0 && this.links.get(rorId)!.every((l) => companyOf.has(`${l.list.id}\u0000${l.entry.id}`));
    // Nor is a hospital of a listed institution that institution, which the registry may read in its name (西安交通大学第一附属医院).
    const hospitalOf = this.hospitalOf(text)?.part.rorId || null;
    const notIt = (rorId: string) => namedAfter(rorId) || rorId === hospitalOf;
    const taken = institutions.filter((m) => !(m.tier === 'exact' && notIt(m.rorId)));
    // Only an exact registry name counts: a strong match ("Nanjing University" inside "Nanjing
    // University of Posts and Telecommunications") is a guess, not grounds for a flag. A withdrawn
    // or inactive record is followed to its successors, and the hit says so.
    for (const m of taken.filter((i) => i.tier === 'exact')) {
      const named = m.succeeds ? `${m.succeeds.name} (${m.succeeds.rorId})` : `${m.name} (${m.rorId})`;
      const why = `the registry resolves "${text}" to ${named} (${m.tier}: ${m.evidence})`;
      if (m.succeeds) {
        this.registryHits(m.rorId, why, m.score, hits, unit, m.succeeds);
        this.registryHits(m.succeeds.rorId, why, m.score, hits, unit);
      } else {
        this.registryHits(m.rorId, why, m.score, hits, unit);
        this.splitSuccessorHits(m.rorId, why, m.score, hits);
      }
    }
    // An institution named with a part of it: the registry matcher may hold the whole as a weaker
    // match of the parent ("Inst Microelect, Chinese Acad Sci": the Academy, with its unit), yet the
    // part is named exactly.
    const setAside = new Set(named.filter((m) => !institutions.includes(m)).map((m) => m.rorId));
    for (const m of resolution?.institutions ?? []) if ((m.tier === 'exact' || m.units.length > 0) && !setAside.has(m.rorId) && !notIt(m.rorId)) this.descendantHits(text, m, parts, hits);
    // A registry name several records hold ("University of Georgia": Athens, US, and Tbilisi, GE) the matcher leaves
    // unresolved: it is in the registry all the same. A city or country the string writes that leaves one holder
    // recognises it; otherwise the holders are the choices, never "not in the registry".
    const held = taken.some((m) => m.tier === 'exact') || hits.size > 0 || companyOf.size > 0 ? [] : this.heldBy(text, written);
    if (held.length === 1) {
      const only = held[0]!;
      this.registryHits(only.rorId, `the registry holds the name in "${text}" for several institutions, and for ${only.name} (${only.rorId}) alone where the string places it`, 1, hits, unit);
    }
    // Only an exact registry name recognises the organisation; a nearer guess is shown as a candidate.
    const guesses = (resolution?.institutions ?? [])
      .filter((m) => m.tier !== 'exact' || notIt(m.rorId))
      .map((m) => ({ rorId: m.rorId, name: m.name, countryCode: m.countryCode, why: m.tier === 'exact' ? `not taken: the string names ${m.rorId === hospitalOf ? 'a hospital of it' : 'a company named after it'} (${m.evidence})` : `not taken: only a ${m.tier} match (${m.evidence})` }));
    return this.finish(
      query,
      [
        ...taken.filter((m) => held.length !== 1 || m.rorId !== held[0]!.rorId).map((m) => ({ rorId: m.rorId, name: m.name, countryCode: m.countryCode, tier: m.tier })),
        ...(held.length === 1 ? [{ rorId: held[0]!.rorId, name: held[0]!.name, countryCode: held[0]!.countryCode, tier: 'exact' as const }] : []),
      ],
      hits,
      namesakes,
      options.nearest === false ? [] : parts.length > 1 ? parts : [text],
      guesses,
      held.length > 1 ? held : [],
    );
  }

  /** A name written without spaces ("HarbinInstituteofTechnology", "BeihangUniversity") is the listed name of those words run together. */
  private gluedHits(text: string, written: string | null, hits: Map<string, Hit>, namesakes: Similar[]): void {
    const key = gluedKey(text);
    if (key.length < 8 || this.byKey.has(screenKey(text))) return;
    for (const n of this.glued.get(key) ?? []) {
      if (n.lone || this.isPerson(n.entry)) continue;
      const other = this.namesake(n, screenKey(n.name.value), written);
      if (other) {
        if (!namesakes.some((x) => x.list === n.list.id && x.entry === n.entry.name)) namesakes.push({ ...namesakeEntry(n), why: `"${text}" is the name "${n.name.value}" written without spaces, but ${other.why}`, ...placing(other) });
        continue;
      }
      this.addNameHit(n, text, n.name.kind === 'primary' ? 'exact' : 'alias', 1, hits, `"${text}" is the listed ${n.name.kind === 'primary' ? 'name' : 'alias'} "${n.name.value}"${n.name.source ? ` (${n.name.source})` : ''} written without spaces`);
    }
  }

  /**
   * The active registry records that hold the string's name (its parts that only place it set aside), narrowed to
   * those where the string places it (a country, or a city it writes); all of them when it places it where none is.
   */
  private heldBy(text: string, written: string | null): HeldName[] {
    if (!this.resolver) return [];
    const parts = segments(text);
    const name = this.nameWithoutPlace(text);
    if (name === '') return [];
    // Words saying only what kind of institution it is are the name of a holder whose own name they are, not of one that bears them as an alias or translation.
    const kindOnly = isKindOnlyName(name);
    const holders = this.resolver
      .nameHolders(name)
      .map((id) => this.resolver!.institution(id))
      .filter((i) => i !== undefined)
      .filter((i) => !kindOnly || (isKindOnlyName(i.name) && screenKey(i.name) === screenKey(name)))
      .map((i) => ({ rorId: i.id, name: i.name, countryCode: i.countryCode ?? null, city: i.city ?? null }));
    // One holder the matcher did not take stays its call (a generic name, a unit's); only several holders are decided here.
    if (holders.length <= 1) return [];
    const cities = new Set(parts.filter((p) => p !== name && this.isPlacePart(p)).map((p) => foldText(p).replace(/\d+/g, ' ').trim()));
    const inCity = holders.filter((h) => h.city !== null && cities.has(foldText(h.city)));
    if (inCity.length > 0) return inCity;
    const inCountry = written === null ? [] : holders.filter((h) => this.within(written, h.countryCode));
    const there = inCountry.length > 0 ? inCountry : holders;
    // The one institution whose own name it is, not those that bear it as an alias, often a former name ("Tianjin Normal
    // University": its own, and Hebei University's name until 1960).
    const own = there.filter((h) => screenKey(h.name) === screenKey(name));
    return own.length === 1 ? own : there;
  }

  /** A name several registry records hold, none taken: each holder a choice, screened alone by its ROR id, and whether a list names it. */
  private heldChoices(held: HeldName[]): Choice[] {
    return held.map((h) => {
      const found = new Map<string, Hit>();
      this.registryHits(h.rorId, `the registry record ${h.rorId}`, 1, found);
      const where = [h.city ? h.city.replace(/\b\w/g, (c) => c.toUpperCase()) : null, h.countryCode ? countryName(h.countryCode) : 'country unknown'].filter(Boolean).join(', ');
      return { label: `${h.name} in ${where} (ROR ${h.rorId}): ${found.size > 0 ? 'listed' : 'on no loaded list'}`, query: h.rorId, countryCode: h.countryCode ?? '', listed: found.size > 0 };
    });
  }

  /** The headline for a name several registry records hold: what could not be decided, and the candidates. */
  private heldHeadline(query: string, choices: Choice[]): string {
    const listed = choices.filter((c) => c.listed);
    const status = listed.length === 0 ? `none of them is on the ${this.lists.length} loaded lists` : `${listed.length === 1 ? 'one of them is' : `${listed.length} of them are`} listed`;
    return `Ambiguous: "${query.trim()}" is the name of ${choices.length} institutions in the registry, and which one is meant cannot be decided (${choices.map((c) => c.label).join('; ')}); ${status}. Say which one (add the city or country, or give its ROR id).`;
  }

  /**
   * What the registry makes of the string; a Chinese name in traditional characters the registry
   * does not hold (中國科學院計算技術研究所) is read again written simplified, as ROR records write Chinese names.
   */
  private resolve(text: string, made?: Resolution): Resolution | undefined {
    const resolution = made ?? this.resolver?.resolve(text);
    const simplified = hasCjk(text) ? toSimplified(text) : text;
    if (!this.resolver || simplified === text || resolution?.institutions.some((m) => m.tier === 'exact')) return resolution;
    const again = this.resolver.resolve(simplified);
    if (!again.institutions.some((m) => m.tier === 'exact')) return resolution;
    return { ...again, institutions: again.institutions.map((m) => ({ ...m, evidence: `${m.evidence}; "${text}" read in simplified characters as "${simplified}" (${TRADITIONAL_FILE})` })) };
  }

  /** A stock code ("0700.HK") is the company traded under it (data/screening/tickers.json): its entries, found by their listed name in its country. */
  private tickerHits(text: string, hits: Map<string, Hit>): void {
    const t = tickerOf(text);
    if (!t) return;
    const country = this.resolver?.gazetteer.countryCodeOf(t.country) ?? t.country;
    for (const n of this.byKey.get(screenKey(t.company)) ?? []) {
      if (!(n.name.kind === 'primary' || n.name.kind === 'alias') || (this.entryCountry.get(n.entry) ?? country) !== country) continue;
      const what = n.name.kind === 'primary' ? 'listed name' : 'listed alias';
      this.addNameHit(n, text, 'ticker', 1, hits, `"${text}" is the stock code ${t.code} on the ${t.exchange.name} (${t.exchange.id}) of ${t.company} (${t.source}; ${TICKERS_FILE}), the ${what} "${n.name.value}"`);
    }
  }

  /** The answer: every entry of the organisations hit, the state, the headline and the nearest names not taken. */
  private finish(query: string, institutions: ScreenResult['institutions'], found: Map<string, Hit>, namesakes: Similar[], parts: string[], registryCandidates: RegistryCandidate[], held: HeldName[] = []): ScreenResult {
    this.sameOrganisation(found);
    const hits = sortHits([...found.values()]);
    const similar = [...namesakes, ...this.similarNames(parts, found, namesakes)];
    const organisations = groupOrganisations(hits, (id) => this.organisationNames.get(id));
    const exact = institutions.find((i) => i.tier === 'exact');
    const listedParts = hits.length === 0 && exact ? this.listedParts(exact.rorId) : [];
    const related = hits.length === 0 && exact ? this.relatedListings(exact.rorId) : [];
    const sameName = listedParts.length > 0 ? this.partChoices(exact!, listedParts) : related.length > 0 ? this.relatedChoices(exact!, related) : this.choices(namesakes);
    // Only the registry recognises an organisation as not listed: a listed name the string places
    // in another country ("Huawei Technologies (Sweden)") that no registry record holds may be the
    // listed group's subsidiary, so it is a question, never a clearance.
    // A registry match placed where the string places it ("Northeastern University, Boston") recognises the namesake.
    const recognised = exact ?? institutions.find((i) => namesakes.some((n) => n.placed && this.within(n.placed.written, i.countryCode)));
    const placed = hits.length === 0 && sameName.length === 0 && !recognised ? this.placedChoices(query, namesakes) : [];
    // A listed company's name after another city than the lists': a question, never a listing.
    const city = hits.length === 0 && sameName.length === 0 && placed.length === 0 && !recognised ? namesakes.filter((n) => n.city) : [];
    // A company named after a listed institution ("Beihang Technology Co"): a question, never the institution.
    const company = hits.length === 0 && sameName.length === 0 && placed.length === 0 && city.length === 0 && !recognised ? namesakes.filter((n) => n.namedAfter) : [];
    // A one-word alias alone (a person's, a place, a word institutions abroad bear): a question, never a listing.
    const lone = hits.length === 0 && sameName.length === 0 && placed.length === 0 && city.length === 0 && company.length === 0 ? namesakes.filter((n) => n.lone) : [];
    // An institution the registry lacks, tied to a listed one by a curated source (data/lists/aliases.json related).
    const tie = hits.length === 0 && listedParts.length === 0 && related.length === 0 && lone.length === 0 && city.length === 0 && company.length === 0 ? this.curatedTie(query) : null;
    // A hospital named as a listed institution's (data/lists/aliases.json related.hospitals), whether or not the registry holds it.
    const hospital = hits.length === 0 && listedParts.length === 0 && related.length === 0 && placed.length === 0 && lone.length === 0 && city.length === 0 && company.length === 0 && !tie ? this.hospitalOf(query) : null;
    const named =
      placed.length > 0
        ? placed
        : city.length > 0
          ? this.cityChoices(query, city)
          : company.length > 0
            ? this.namedAfterChoices(query, company)
            : lone.length > 0
              ? this.loneChoices(query, lone, recognised)
              : tie
                ? this.tieChoices(query, tie)
                : hospital
                  ? this.hospitalChoices(query, hospital)
                  : sameName;
    // A name several registry records hold, nothing else deciding: the holders are the choices.
    const holders = hits.length === 0 && named.length === 0 && !recognised && held.length > 1 ? this.heldChoices(held) : [];
    const choices = holders.length > 0 ? holders : named;
    const state: ScreenState = hits.length > 0 ? 'listed' : choices.length > 0 ? 'ambiguous' : recognised ? 'not-listed' : 'unknown';
    const level = hits.length > 0 ? hits[0]!.level : null;
    const headline =
      listedParts.length > 0
        ? this.partsHeadline(exact!, listedParts)
        : related.length > 0
          ? this.relatedHeadline(exact!, related)
          : placed.length > 0
            ? this.placedHeadline(query, placed)
            : city.length > 0
              ? this.cityHeadline(query, city)
              : company.length > 0
                ? this.namedAfterHeadline(query, company)
                : lone.length > 0
                  ? this.loneHeadline(query, lone)
                  : tie
                    ? this.tieHeadline(query, tie)
                    : hospital
                      ? this.hospitalHeadline(query, hospital)
                      : holders.length > 0
                        ? this.heldHeadline(query, holders)
                        : this.headline(query, state, organisations, recognised, namesakes, choices);
    // A word nothing recognises that is a slip of a listed name: ambiguous, the listed name offered.
    const slips = state === 'unknown' && parts.length > 0 ? this.slipOffers(query) : [];
    if (slips.length > 0) {
      const slip = slipAnswer(query, slips);
      return { query, state: 'ambiguous', level, headline: slip.headline, institutions, hits, organisations, choices: slip.choices, similar: [...slip.similar, ...similar], registryCandidates: registryCandidates.slice(0, 5), listedParts, related };
    }
    return { query, state, level, headline, institutions, hits, organisations, choices, similar, registryCandidates: state === 'unknown' ? registryCandidates.slice(0, 5) : [], listedParts, related: tie ? [tie.part] : hospital ? [hospital.part] : related };
  }

  /**
   * The listed institution a string names a hospital of ("The First Affiliated Hospital of Xi'an Jiaotong University"): a word
   * naming a hospital and the institution's whole listed name beside it (data/lists/aliases.json related.hospitals), or null.
   */
  private hospitalOf(query: string): { part: ListedPart; country: string } | null {
    const words = this.units.hospitals;
    const text = asTypedKeepingSpaces(query);
    const institution = (n: IndexedName) => n.name.kind !== 'subsidiary' && !n.acronym && !n.lone && this.isInstitution(n.entry);
    let found: IndexedName[] = [];
    if (hasCjk(text)) {
      const k = cjkKey(text);
      if (!words.wordsZh.some((w) => k.includes(w))) return null;
      found = this.cjkNames.filter((n) => n.cjk.length >= 4 && k.includes(n.cjk) && !words.wordsZh.some((w) => n.cjk.includes(w)) && institution(n));
    } else {
      const tokens = screenTokens(text);
      if (!tokens.some((t) => words.words.has(t))) return null;
      // The longest listed name from each word on, the hospital word outside it.
      for (let i = 0; i < tokens.length - 1 && found.length === 0; i++) for (let j = tokens.length; j > i + 1 && found.length === 0; j--) if (!tokens.slice(i, j).some((t) => words.words.has(t))) found = (this.byKey.get(tokens.slice(i, j).join(' ')) ?? []).filter(institution);
    }
    if (found.length === 0) return null;
    const entries = new Map<RiskEntry, RiskList>();
    for (const n of found) for (const m of this.organisations.get(n.entry)?.members ?? [{ list: n.list, entry: n.entry }]) entries.set(m.entry, m.list);
    const listings = [...entries].map(([entry, list]) => ({ list: list.id, listName: listName(list), entry: entry.name, level: entry.level })).sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || a.list.localeCompare(b.list));
    const head = found[0]!;
    const rorId = [...this.links].find(([, ls]) => ls.some((l) => entries.has(l.entry)))?.[0] ?? '';
    const name = this.organisationNames.get(this.organisationId(head.entry)) ?? head.entry.name;
    return { part: { rorId, name, level: listings[0]!.level, listings, tie: `"${text}" names a hospital of it (${this.units.file} related.hospitals)` }, country: this.entryCountry.get(head.entry) ?? '' };
  }

  private hospitalChoices(query: string, hospital: { part: ListedPart; country: string }): Choice[] {
    const p = hospital.part;
    return [
      { label: `${p.name}, of which "${query.trim()}" names a hospital: listed (${[...new Set(p.listings.map((l) => l.listName))].join('; ')}, ${levelWords(p.level)})`, query: p.rorId || p.name, countryCode: hospital.country, listed: true },
      { label: `"${query.trim()}" itself, a hospital no list names`, query: query.trim(), countryCode: hospital.country, listed: false },
    ];
  }

  private hospitalHeadline(query: string, hospital: { part: ListedPart; country: string }): string {
    const p = hospital.part;
    return `Ambiguous: "${query.trim()}" names a hospital of ${p.name} (${p.rorId ? `ROR ${p.rorId}; ` : ''}${[...new Set(p.listings.map((l) => l.listName))].join('; ')}, ${levelWords(p.level)}), on none of the ${this.lists.length} loaded lists itself: a related institution, neither the listed one nor clear. Find out how closely it is tied (run by it, or only affiliated) before relying on this.`;
  }

  /**
   * A one-word alias that alone is no evidence (data/lists/aliases.json one_word_aliases): a listing
   * when the string places it where the list does (never a person's); alone, a question; else a name not taken.
   * `company`: the string writes a legal form or business words with it, so names a company, never a person.
   */
  private loneName(n: IndexedName, part: string, written: string | null, hits: Map<string, Hit>, namesakes: Similar[], note = '', company = false): void {
    const own = this.entryCountry.get(n.entry) ?? null;
    const person = n.lone === 'person';
    const what = person ? `a one-word alias ${listName(n.list)} gives ${n.entry.name}, a person (no name of the entry names an organisation)` : `a one-word alias ${listName(n.list)} gives ${n.entry.name}, a word that names places or other institutions too`;
    if (!person && written !== null && [own, ...(n.entry.addresses ?? []).map((a) => this.addressCountry(a))].some((c) => this.within(written, c))) {
      this.addNameHit(n, part, 'alias', 1, hits, `"${part}" is "${n.name.value}", ${what}, and the string places it in ${this.placeName(written)}, where the list does`, null, note);
      return;
    }
    if (namesakes.some((s) => s.list === n.list.id && s.entryId === n.entry.id)) return;
    const question = written === null && !(person && company);
    const against = written !== null ? `, and the string places it in ${this.placeName(written)}, the list in ${own ?? n.entry.country ?? 'no country'}` : person && company ? `, and "${part}" names a company` : '';
    namesakes.push({
      ...namesakeEntry(n),
      why: `"${part}" is only "${n.name.value}", ${what}: one word is no evidence on its own${against}${question ? '' : '; not taken'}`,
      ...(question ? { lone: { alias: n.name.value, person } } : {}),
    });
  }

  /** For a one-word alias alone: each entry it may mean (screened by its listed name), and the name as written. */
  private loneChoices(query: string, lone: Similar[], recognised: ScreenResult['institutions'][number] | undefined): Choice[] {
    return [
      ...lone.map((s) => {
        const entry = this.entryOf(s.list, s.entryId);
        return { label: `${s.entry}: listed (${s.listName}, ${levelWords(s.level)}) with the one-word alias "${s.lone!.alias}"${s.lone!.person ? ', a person' : ''}`, query: s.entry, countryCode: (entry && this.entryCountry.get(entry)) ?? '', listed: true };
      }),
      recognised
        ? { label: `${recognised.name} (ROR ${recognised.rorId}), which no list names`, query: recognised.rorId, countryCode: recognised.countryCode ?? '', listed: false }
        : { label: `"${query.trim()}" as written: another organisation bearing the word (identify it by its full name, where it is, or its ROR id)`, query: query.trim(), countryCode: '', listed: false },
    ];
  }

  private loneHeadline(query: string, lone: Similar[]): string {
    const named = lone.map((s) => `${s.entry} (${s.listName}, ${levelWords(s.level)}${s.lone!.person ? '; a person' : ''})`).join('; ');
    return `Ambiguous: "${query.trim()}" is only the one-word alias "${lone[0]!.lone!.alias}" that the lists give ${named}, and one word is no evidence on its own: is it ${lone.length === 1 ? 'that entry' : 'one of them'}? Say which organisation is meant (its full name, where it is, or its ROR id): a one-word alias is not taken as a listing, and an unrecognised name is no clearance.`;
  }

  /** The keys of each curated related institution's names, and of all of them. */
  private relatedKeys: { each: string[][]; all: Set<string> } | null = null;
  /**
   * An institution the registry lacks that a curated source ties to a listed one (data/lists/aliases.json
   * related: "Xijing Hospital", the First Affiliated Hospital of the Air Force Medical University), when a
   * part of the string is one of its names.
   */
  private curatedTie(query: string): { inst: RelatedInstitution; part: ListedPart } | null {
    // Asked of every string no list names: the curated names' keys are made once, and only a part bearing one is looked at further.
    if (!this.relatedKeys) {
      const each = this.units.related.map((r) => r.names.map((n) => screenKey(n.value)));
      this.relatedKeys = { each, all: new Set(each.flat()) };
    }
    const { each, all } = this.relatedKeys;
    const keys = new Set(
      [query, ...segments(query)].flatMap((p) => {
        const key = screenKey(p);
        return all.has(key) && !this.isPlacePart(p) ? [key] : [];
      }),
    );
    if (keys.size === 0) return null;
    const inst = this.units.related.find((_, i) => each[i]!.some((k) => keys.has(k)));
    if (!inst) return null;
    const rorId = inst.relatedTo.ror;
    const links = this.ancestry(rorId).flatMap((a) => this.links.get(a) ?? []);
    const listings = (links.length > 0 ? links.map((l) => ({ list: l.list, entry: l.entry })) : (this.byKey.get(screenKey(inst.relatedTo.name)) ?? []).map((n) => ({ list: n.list, entry: n.entry })))
      .map((l) => ({ list: l.list.id, listName: listName(l.list), entry: l.entry.name, level: l.entry.level }))
      .filter((l, i, all) => all.findIndex((x) => x.list === l.list && x.entry === l.entry) === i)
      .sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || a.list.localeCompare(b.list));
    if (listings.length === 0) return null;
    const name = this.resolver?.institution(rorId)?.name ?? inst.relatedTo.name;
    return { inst, part: { rorId, name, level: listings[0]!.level, listings, tie: `as ${inst.relation} (${this.units.file}: ${inst.source})` } };
  }

  private tieChoices(query: string, tie: { inst: RelatedInstitution; part: ListedPart }): Choice[] {
    const p = tie.part;
    return [
      { label: `${p.name}, of which ${tie.inst.name} is ${tie.inst.relation}: listed (${[...new Set(p.listings.map((l) => l.listName))].join('; ')}, ${levelWords(p.level)})`, query: p.rorId, countryCode: this.resolver?.gazetteer.countryCodeOf(tie.inst.country) ?? '', listed: true },
      { label: `${tie.inst.name} itself, which no list names`, query: query.trim(), countryCode: this.resolver?.gazetteer.countryCodeOf(tie.inst.country) ?? '', listed: false },
    ];
  }

  private tieHeadline(query: string, tie: { inst: RelatedInstitution; part: ListedPart }): string {
    const p = tie.part;
    return `Ambiguous: "${query.trim()}" is ${tie.inst.name}, on none of the ${this.lists.length} loaded lists and not in the loaded registry, but it is ${tie.inst.relation}: related to ${p.name} (ROR ${p.rorId}; ${[...new Set(p.listings.map((l) => l.listName))].join('; ')}, ${levelWords(p.level)}), as ${tie.inst.source} — a related institution, not a part and not a listing of its own. Find out how closely it is tied before relying on this.`;
  }

  /**
   * Where the string places what it names: the country the gazetteer reads; else a region it names
   * ("Hikvision Europe B.V.": Europe); else a legal form of other countries closing one of its parts
   * ("ZTE GmbH": the countries GmbH is a form in, by name). data/lists/aliases.json placed_abroad.
   */
  private placeOf(text: string): string | null {
    // A region named in several words, or alone, is the region: "Latin America" is not the United States. A region's one
    // word inside other words may be a country's name ("South Africa"), which the gazetteer reads.
    const spaced = ` ${foldText(text).trim()} `;
    const whole = this.units.abroad.regions.find((r) => r.words.some((w) => spaced === ` ${w} ` || (w.includes(' ') && spaced.includes(` ${w} `))));
    if (whole) return whole.name;
    // A country named before a closing legal form places the company there, whatever other countries use the form: "Huawei Chile
    // S.A." is in Chile (the form's countries in placed_abroad are where it tells the country, not every country using it).
    const bare = segments(text)
      .map((p) => this.legalFormAbroad(p)?.rest ?? p)
      .join(', ');
    const code = this.resolver?.gazetteer.detect(text).countryCode ?? (bare !== text ? (this.resolver?.gazetteer.detect(bare).countryCode ?? null) : null);
    if (code || !this.resolver) return code;
    const folded = ` ${foldText(text)} `;
    const region = this.units.abroad.regions.find((r) => r.words.some((w) => folded.includes(` ${w} `)));
    if (region) return region.name;
    for (const part of segments(text)) {
      const form = this.legalFormAbroad(part);
      if (form) return this.formPlace(form.form);
    }
    return null;
  }

  /** A legal form of another country closing a name ("Hikvision Europe B.V."), and the name before it. */
  private legalFormAbroad(part: string): { form: UnitRule['abroad']['legalForms'][number]; rest: string } | null {
    return closingLegalForm(part, this.units.abroad.legalForms);
  }

  /** The place a legal form puts a company in: its one country, or its countries by name. */
  private formPlace(form: UnitRule['abroad']['legalForms'][number]): string {
    if (form.countries.length === 1) return form.countries[0]!;
    const names = form.countries.map(countryName);
    return `${names.slice(0, -1).join(', ')} or ${names.at(-1)} (where ${form.form} is a legal form)`;
  }

  // Every name a place may have besides a country code: a region's, or several countries' of one legal form
  // (made once: screening asks whether a country is within the place it read for every listed name it weighs).
  private placeCountries: Map<string, string[]> | null = null;
  /** The countries a place stands for: a region's or a legal form's, or the one country a code names. */
  private countriesOf(place: string): string[] {
    if (!this.placeCountries) {
      this.placeCountries = new Map();
      for (const [name, countries] of [...this.units.abroad.regions.map((r) => [r.name, r.countries] as const), ...this.units.abroad.legalForms.filter((f) => f.countries.length > 1).map((f) => [this.formPlace(f), f.countries] as const)])
        if (!this.placeCountries.has(name)) this.placeCountries.set(name, countries);
    }
    return this.placeCountries.get(place) ?? [place];
  }

  private within(place: string | null, country: string | null | undefined): boolean {
    if (place === null || !country) return false;
    return COUNTRY_CODE.test(place) ? place === country : this.countriesOf(place).includes(country);
  }

  /** A place in words: "SE (Sweden)", or a region's or legal form's name as it is. */
  private placeName(place: string): string {
    return COUNTRY_CODE.test(place) ? `${place} (${countryName(place)})` : place;
  }

  /**
   * The listed one-word names a one-word query may be a slip of, each screened alone. A word the
   * registry or the lists use, or a place, is a name of its own and no slip ("Hanover", "Huawen").
   */
  private slipOffers(query: string): SlipOffer[] {
    const tokens = screenTokens(query);
    const word = tokens[0];
    if (tokens.length !== 1 || !word || hasCjk(query) || (this.wordCounts.get(word) ?? 0) > 0 || this.byToken.has(word) || this.byKey.has(word) || this.resolver?.gazetteer.isPlace(word)) return [];
    // Read as written too: a slip may end like a plural the tokens drop ("Promethes" is read "promethe").
    const asWritten = writtenWord(query);
    const found = [word, ...(asWritten && asWritten !== word ? [asWritten] : [])].map((w) => nearestListed(w, this.slipWords)).sort((a, b) => (a[0]?.edits ?? 9) - (b[0]?.edits ?? 9))[0]!;
    return found.flatMap((f) => {
      const answer = this.screen(f.name, { nearest: false });
      const first = answer.hits[0];
      const entry = first ? this.entryOf(first.list, first.entryId) : undefined;
      if (answer.state === 'ambiguous') return [{ written: word, name: f.name, word: f.word, edits: f.edits, answer, countryCode: answer.choices.find((c) => c.listed)?.countryCode ?? '' }];
      return answer.state === 'listed' ? [{ written: word, name: f.name, word: f.word, edits: f.edits, answer, countryCode: (entry && this.entryCountry.get(entry)) ?? '' }] : [];
    });
  }

  /**
   * The parts of a registry institution that the lists name (its ROR children and their
   * children), highest level first: what "Chinese Academy of Sciences" alone may mean.
   */
  listedParts(rorId: string): ListedPart[] {
    const out: ListedPart[] = [];
    const seen = new Set<string>([rorId]);
    let level = [rorId];
    for (let depth = 0; depth < 3 && level.length > 0; depth++) {
      const next: string[] = [];
      for (const id of level) {
        for (const child of this.resolver?.institution(id)?.children ?? []) {
          if (seen.has(child)) continue;
          seen.add(child);
          next.push(child);
          const links = this.links.get(child) ?? [];
          if (links.length === 0) continue;
          const listings = links.map((l) => ({ list: l.list.id, listName: listName(l.list), entry: l.entry.name, level: l.entry.level })).sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || a.list.localeCompare(b.list));
          out.push({ rorId: child, name: this.resolver?.institution(child)?.name ?? child, level: listings[0]!.level, listings });
        }
      }
      level = next;
    }
    return out.sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || a.name.localeCompare(b.name));
  }

  /**
   * The listed institutions the ROR registry marks as `related` to this one (or to a parent of the
   * one related): a link, not a part, so it is shown on its own and never counted as a listing.
   */
  relatedListings(rorId: string): ListedPart[] {
    const out: ListedPart[] = [];
    for (const id of this.resolver?.institution(rorId)?.related ?? []) {
      const links = this.ancestry(id).flatMap((a) => this.links.get(a) ?? []);
      if (links.length === 0) continue;
      const listings = links.map((l) => ({ list: l.list.id, listName: listName(l.list), entry: l.entry.name, level: l.entry.level })).sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || a.list.localeCompare(b.list));
      out.push({ rorId: id, name: this.resolver?.institution(id)?.name ?? id, level: listings[0]!.level, listings, tie: 'in the ROR registry' });
    }
    return out.sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || a.name.localeCompare(b.name));
  }

  private relatedChoices(inst: ScreenResult['institutions'][number], related: ListedPart[]): Choice[] {
    const code = inst.countryCode ?? '';
    return [
      ...related.map((p) => ({ label: `${p.name}, related to ${inst.name} in the ROR registry: listed (${[...new Set(p.listings.map((l) => l.listName))].join('; ')}, ${levelWords(p.level)})`, query: p.rorId, countryCode: code, listed: true })),
      { label: `${inst.name} itself, which no list names`, query: inst.rorId, countryCode: code, listed: false },
    ];
  }

  private relatedHeadline(inst: ScreenResult['institutions'][number], related: ListedPart[]): string {
    const named = related.map((p) => `${p.name} (${p.rorId}; ${[...new Set(p.listings.map((l) => l.listName))].join('; ')}, ${levelWords(p.level)})`).join('; ');
    return `Ambiguous: ${inst.name} (ROR ${inst.rorId}) is on none of the ${this.lists.length} loaded lists, but is related to ${named} in the ROR registry — a related institution, not a part and not a listing of its own. Find out how closely it is tied before relying on this.`;
  }

  /** One choice per listed part (screened alone by its ROR id), and one for the rest of the institution. */
  private partChoices(inst: ScreenResult['institutions'][number], parts: ListedPart[]): Choice[] {
    const code = inst.countryCode ?? '';
    return [
      ...parts.map((p) => ({ label: `${p.name}, part of ${inst.name}: listed (${[...new Set(p.listings.map((l) => l.listName))].join('; ')}, ${levelWords(p.level)})`, query: p.rorId, countryCode: code, listed: true })),
      { label: `${inst.name} itself, or one of its parts no list names`, query: inst.rorId, countryCode: code, listed: false },
    ];
  }

  private partsHeadline(inst: ScreenResult['institutions'][number], parts: ListedPart[]): string {
    const named = parts
      .slice(0, 5)
      .map((p) => `${p.name} (${[...new Set(p.listings.map((l) => l.listName))].join('; ')}, ${levelWords(p.level)})`)
      .join('; ');
    return `Ambiguous: ${inst.name} (ROR ${inst.rorId}) is on none of the ${this.lists.length} loaded lists, but ${parts.length} of its parts ${parts.length === 1 ? 'is' : 'are'}: ${named}${parts.length > 5 ? '; …' : ''}. Identify the institute (its name with ${inst.name}, or its ROR id).`;
  }

  private headline(query: string, state: ScreenState, organisations: Organisation[], inst: ScreenResult['institutions'][number] | undefined, namesakes: Similar[], choices: Choice[]): string {
    if (state === 'listed') {
      const lists = [...new Set(organisations.flatMap((o) => o.listings.map((h) => h.listName)))];
      const who =
        organisations.length === 1
          ? organisations[0]!.name
          : `${organisations.length} listed organisations (${organisations
              .map((o) => o.name)
              .slice(0, 3)
              .join('; ')}${organisations.length > 3 ? '; …' : ''})`;
      const all = organisations.flatMap((o) => o.listings);
      const caveat = all.every((h) => h.match === 'fuzzy')
        ? ` — matched by a near spelling of "${all[0]!.matchedName}": check the name`
        : all.every((h) => h.inherited)
          ? all[0]!.inherited!.relation === 'successor'
            ? ` — ${all[0]!.inherited!.how.replace(/, which .* names$/, '')}: the lists name the successor`
            : all[0]!.inherited!.relation === 'company-unit'
              ? ` — "${all[0]!.inherited!.via}" is a unit named after the listed company, not the company itself`
              : ` — as a part of the listed organisation (${all[0]!.inherited!.via})`
          : '';
      return `Listed, ${levelWords(organisations[0]!.level)}: ${who} on ${lists.length} list${lists.length === 1 ? '' : 's'} (${lists.join('; ')})${caveat}.`;
    }
    if (state === 'ambiguous') {
      const listed = choices.filter((c) => c.listed).map((c) => c.countryCode);
      const other = choices.filter((c) => !c.listed).map((c) => c.countryCode);
      return `Ambiguous: "${query.trim()}" is listed in ${listed.map(countryName).join(', ')} and is also the name of an institution in ${other.map(countryName).join(', ')}. Say which one (add the city or country, or give its ROR id).`;
    }
    if (state === 'not-listed') {
      const what = inst ? `${inst.name} (${inst.countryCode ? countryName(inst.countryCode) : 'country unknown'}, ROR ${inst.rorId})` : `"${query.trim()}"`;
      const abroad = namesakes.length > 0 ? ` The lists name a namesake elsewhere (${[...new Set(namesakes.map((n) => n.entry))].join('; ')}), not this one.` : '';
      return `Recognised, not listed: ${what} is on none of the ${this.lists.length} loaded lists.${abroad}`;
    }
    const registry = this.resolver ? `"${query.trim()}" is not in the loaded registry (which may be partial: give a ROR id or load a fuller one)` : 'no registry is loaded';
    return `Unknown organisation: neither the registry nor any loaded list recognised "${query.trim()}". Identify it before relying on this: no listing found is not a clearance; ${registry}.`;
  }

  /** A name listed in one country and borne elsewhere: the organisations it may mean, each screened alone by name and country. */
  private choices(namesakes: Similar[]): Choice[] {
    const out = new Map<string, Choice>();
    for (const n of namesakes) {
      if (!n.countries) continue;
      const name = n.countries.name;
      out.set(`${name}\u0000${n.countries.listed}`, { label: `${name} in ${countryName(n.countries.listed)}: listed (${n.listName}, ${levelWords(n.level)})`, query: `${name}, ${countryName(n.countries.listed)}`, countryCode: n.countries.listed, listed: true });
      for (const c of n.countries.elsewhere) {
        const key = `${name}\u0000${c}`;
        if (!out.has(key)) out.set(key, { label: `${name} in ${countryName(c)}: a different institution of the same name`, query: `${name}, ${countryName(c)}`, countryCode: c, listed: false });
      }
    }
    return [...out.values()].sort((a, b) => Number(b.listed) - Number(a.listed) || a.label.localeCompare(b.label));
  }

  /**
   * A listed name the string places in another country, with no registry record of its own: one
   * choice per listed organisation (its entry screened alone), and one for a separate company there.
   */
  private placedChoices(query: string, namesakes: Similar[]): Choice[] {
    const orgs = new Map<string, { name: string; listed: string; level: Level; lists: Set<string> }>();
    let written: string | null = null;
    for (const n of namesakes) {
      if (!n.placed) continue;
      written ??= n.placed.written;
      const entry = this.entryOf(n.list, n.entryId);
      const id = entry ? this.organisationId(entry) : n.entryId;
      const org = orgs.get(id) ?? { name: n.entry, listed: n.placed.listed, level: n.level, lists: new Set<string>() };
      org.lists.add(n.listName);
      if (LEVELS.indexOf(n.level) < LEVELS.indexOf(org.level)) org.level = n.level;
      orgs.set(id, org);
    }
    if (written === null) return [];
    // The listed group is at home where most entries of its name are listed: the subsidiaries other
    // lists place in third countries ("Huawei Technology", Egypt) are no candidate for a company written in Hong Kong.
    const entries = new Map<string, Set<string>>();
    for (const n of namesakes) if (n.placed) entries.set(n.placed.listed, (entries.get(n.placed.listed) ?? new Set()).add(`${n.list}\u0000${n.entryId}`));
    const most = Math.max(...[...entries.values()].map((e) => e.size));
    const home = new Set([...entries].filter(([, e]) => e.size === most).map(([c]) => c));
    const there = this.listedThere(query, written);
    return [
      ...[...orgs.values()].filter((o) => home.has(o.listed)).map((o) => ({ label: `${o.name} in ${countryName(o.listed)}: listed (${[...o.lists].join('; ')}, ${levelWords(o.level)})`, query: `${o.name}, ${countryName(o.listed)}`, countryCode: o.listed, listed: true })),
      ...there.map(({ list, entry, address }) => ({
        label: `${entry.name} in ${countryName(written!)}: listed (${listName(list)}, entry ${entry.id}, ${levelWords(entry.level)}; ${address ? `address: ${address}` : `listed in ${entry.country}`})`,
        query: entry.name,
        countryCode: written!,
        listed: true,
        entry: { list: list.id, listName: listName(list), entryId: entry.id, name: entry.name, address },
      })),
      { label: `"${query.trim()}" in ${countryName(written)}: ${there.length > 0 ? 'none of the listed entries there, ' : ''}a separate company no list names (identify it by its registry record before relying on this)`, query: query.trim(), countryCode: written, listed: false },
    ];
  }

  /**
   * Listed entries that bear the string's own name (its words but places, legal forms and words
   * common in the registry: "Huawei" of "Huawei Technologies (Hong Kong)") and that the list places
   * where the string does: by an address the list gives there ("Huawei Device (Hong Kong) Co.,
   * Limited": Kowloon, Hong Kong), or by the entry's country. The subsidiary the question asks about may be one of them.
   */
  private listedThere(query: string, written: string): { list: RiskList; entry: RiskEntry; address: string | null }[] {
    const gazetteer = this.resolver?.gazetteer;
    if (!gazetteer) return [];
    const found = gazetteer.detect(query);
    const regionWords = this.units.abroad.regions.flatMap((r) => r.words);
    const placeWords = new Set([countryName(written), ...found.mentions.map((m) => m.text), found.city?.text ?? '', ...regionWords].flatMap(screenTokens));
    const named = this.legalFormAbroad(query)?.rest ?? query;
    const own = screenTokens(named).filter((t) => !placeWords.has(t) && !gazetteer.isPlace(t) && !this.units.legalForms.has(t) && (this.wordCounts.get(t) ?? 0) < COMMON_WORD);
    if (own.length === 0) return [];
    const out = new Map<RiskEntry, { list: RiskList; entry: RiskEntry; address: string | null }>();
    for (const n of this.byToken.get(own[0]!) ?? []) {
      if (out.has(n.entry) || !own.every((t) => n.tokens.includes(t))) continue;
      const address = (n.entry.addresses ?? []).find((a) => this.within(written, this.addressCountry(a)));
      if (address !== undefined || this.within(written, this.entryCountry.get(n.entry))) out.set(n.entry, { list: n.list, entry: n.entry, address: address ?? null });
    }
    return [...out.values()].sort((a, b) => a.entry.name.localeCompare(b.entry.name) || a.list.id.localeCompare(b.list.id));
  }

  /** The words naming a region (placed_abroad), folded. */
  private regionWords: Set<string> | null = null;
  private readonly addressCountries = new Map<string, string | null>();
  /** The country one address of a listed entry is in, as the gazetteer reads it. */
  private addressCountry(address: string): string | null {
    if (!this.addressCountries.has(address)) this.addressCountries.set(address, this.resolver?.gazetteer.detect(address).countryCode ?? null);
    return this.addressCountries.get(address)!;
  }

  private placedHeadline(query: string, choices: Choice[]): string {
    const listed = choices.filter((c) => c.listed && !c.entry);
    const there = choices.filter((c) => c.entry);
    const where = choices.find((c) => !c.listed)!.countryCode;
    const names = `${listed
      .slice(0, 3)
      .map((c) => c.label.replace(/ in [^:]*: listed /, ' '))
      .join('; ')}${listed.length > 3 ? `; and ${listed.length - 3} more` : ''}`;
    return `Ambiguous: "${query.trim()}" is written as a listed name — listed in ${[...new Set(listed.map((c) => countryName(c.countryCode)))].join(', ')} (${names}); the string places it in ${countryName(where)}: is it the listed group's subsidiary, and does the listing cover it?${there.length > 0 ? ` The lists place ${there.length === 1 ? 'an entry of this name' : `${there.length} entries of this name`} there: ${there.map((c) => `${c.entry!.name} (${c.entry!.listName}${c.entry!.address ? `, ${c.entry!.address}` : ''})`).join('; ')}.` : ''} No registry record recognises it. Identify it before relying on this.`;
  }

  /** Screens a registry institution: its own names, its links, and the links of its parents. */
  screenRor(rorId: string): ScreenResult {
    const id = rorIdWritten(rorId) ?? rorId.trim();
    const inst = this.resolver?.institution(id);
    if (!inst) throw new ScreenError(`unknown ROR id ${JSON.stringify(rorId)}: not in the loaded registry`);
    const hits = new Map<string, Hit>();
    const namesakes: Similar[] = [];
    this.nameHits(screenKey(inst.name), inst.name, true, { written: inst.countryCode, country: inst.countryCode }, hits, namesakes);
    this.registryHits(id, `ROR record ${id} (${inst.name})`, 1, hits);
    const next = this.resolver?.successorOf(id);
    if (next) this.registryHits(next, `ROR record ${id} (${inst.name}, ${inst.status})`, 1, hits, null, { rorId: id, name: inst.name, status: inst.status });
    else this.splitSuccessorHits(id, `ROR record ${id} (${inst.name}, ${inst.status})`, 1, hits);
    return this.finish(rorId, [{ rorId: id, name: inst.name, countryCode: inst.countryCode, tier: 'exact' }], hits, namesakes, [inst.name], []);
  }

  /**
   * A name matches only where the country agrees: the string's own country, or else the one place
   * the registry knows that name in. "Northeastern University" alone is Boston's as much as
   * Shenyang's, so it is shown as a namesake, not a hit.
   */
  private namesake(n: IndexedName, key: string, country: string | null): NamesakeWhy | null {
    const own = this.entryCountry.get(n.entry);
    if (!own) return null;
    // A place the listed name itself names is no other country: "Cambricon (Hong Kong) Co., Ltd."
    // is listed in China, and "Man." in "Shanghai Aerospace Equip. Man." is not the Isle of Man.
    // Nor is one another name of the entry names: "AccoTest Technology Co., Ltd. (Hong Kong)" is listed as in China.
    // Nor is the one place every address the list gives is in: "Huawei International Co., Limited, Hong Kong" is the listed
    // company at its listed address. A group with addresses in several places (one of Huawei Technologies' is in Kowloon) stays a question there.
    const addresses = n.entry.addresses ?? [];
    const atAddress = (n.name.kind === 'primary' || n.name.kind === 'alias') && !n.acronym && addresses.length > 0 && addresses.every((a) => this.within(country, this.addressCountry(a)));
    // A Chinese company read at home is still the listed one where it is registered ("Megvii Technology Limited, Cayman Islands").
    const registered = n.entry.registeredIn ? (this.resolver?.gazetteer.countryCodeOf(n.entry.registeredIn) ?? null) : null;
    if (country)
      return this.within(country, own) || this.within(country, registered) || atAddress || n.entry.names.some((x) => [...this.countriesNamedIn(x.value)].some((c) => this.within(country, c)))
        ? null
        : { why: `same name, but the string is in ${country} and the listed entry in ${own}`, placed: { listed: own, written: country } };
    const abroad = [...(this.countriesByName.get(key) ?? [])].filter((c) => c !== own);
    return abroad.length > 0 ? { why: `the string names no country, and the registry also knows "${n.name.value}" in ${abroad.join(', ')}`, countries: { name: n.name.value, listed: own, elsewhere: abroad } } : null;
  }

  /** Words each used by COMMON_WORD or more registry names, none a place: a name any institution's unit may bear ("Institute of Microelectronics"). */
  private isGenericName(tokens: string[]): boolean {
    const isPlace = (w: string) => this.resolver?.gazetteer.isPlace(w) ?? false;
    return tokens.length > 0 && tokens.every((t) => !isPlace(t) && (this.wordCounts.get(t) ?? 0) >= COMMON_WORD);
  }

  /** Whether the string, read whole (its parts that only place it aside), is one of this registry institution's names, and no other institution's. */
  private isWholeName(text: string, m: InstitutionMatch): boolean {
    if (screenKey(text) === screenKey(m.name)) return true;
    if (m.basis.place !== 'none')
      text = segments(text)
        .filter((p) => !this.isPlacePart(p))
        .join(', ');
    const holders = this.resolver?.nameHolders(text) ?? [];
    return holders.length === 1 && holders[0] === m.rorId;
  }

  /** The string without its parts that only place it ("University of Technology, Khartoum": "University of Technology"). */
  private nameWithoutPlace(text: string): string {
    return segments(text)
      .filter((p) => !this.isPlacePart(p))
      .join(', ');
  }

  /** A part that is only a city, a country ("Peoples R China") or a postcode with a city ("Beijing 100190"). */
  private isPlacePart(part: string): boolean {
    const words = foldText(part).replace(/\d+/g, ' ').trim();
    return words === '' || this.resolver?.gazetteer.countryCodeOf(words) != null || (this.resolver?.gazetteer.isPlace(words) ?? false);
  }

  /**
   * The institutes a string names with their parent, when the parent alone is only a weak match
   * ("Institute of Automation, Chinese Academy of Sciences": the Academy, naming its unit the
   * Institute of Automation): the unit is the institution the string is about, recognised.
   */
  private namedUnits(matches: InstitutionMatch[]): InstitutionMatch[] {
    const out: InstitutionMatch[] = [];
    for (const m of matches) {
      if (m.basis.how !== 'exact' || m.basis.ambiguity !== 'unique' || m.basis.place === 'conflict') continue;
      for (const u of m.units) {
        const inst = this.resolver?.institution(u.rorId);
        if (!inst || out.some((o) => o.rorId === u.rorId)) continue;
        out.push({ ...m, rorId: u.rorId, name: u.name, countryCode: inst.countryCode ?? m.countryCode, tier: 'exact', units: [], primary: true, evidence: `${m.evidence}; the string names ${u.name} (${u.rorId}), which the ROR registry holds under ${m.name} (${m.rorId})` });
      }
    }
    return out;
  }

  /**
   * A registry institution the string names only by words many institutions use ("Institute of
   * Microelectronics", held under the Chinese Academy of Sciences) beside another institution of
   * no kin to it ("…, Tsinghua University") is that institution's own unit, not the registry's:
   * set aside, each of its listings a namesake saying why. True when set aside.
   */
  private unitOfAnother(m: InstitutionMatch, read: InstitutionMatch[], namesakes: Similar[]): boolean {
    if (m.tier !== 'exact' || !this.isGenericName(screenTokens(m.name))) return false;
    const family = new Set(this.ancestry(m.rorId));
    const other = this.otherParent(
      family,
      read.filter((o) => o.rorId !== m.rorId),
      family.size > 1,
      m.countryCode,
    );
    if (!other) return false;
    const parents = [...family].filter((id) => id !== m.rorId).map((id) => this.resolver?.institution(id)?.name ?? id);
    const held = parents.length > 0 ? `the ROR registry holds it under ${parents.join('; ')}` : `the registry places it in ${countryName(m.countryCode ?? '')}`;
    for (const link of this.links.get(m.rorId) ?? []) {
      if (namesakes.some((s) => s.list === link.list.id && s.entryId === link.entry.id)) continue;
      const placed = other.countryCode !== m.countryCode && m.countryCode ? { placed: { listed: m.countryCode, written: other.countryCode! } } : {};
      namesakes.push({
        list: link.list.id,
        listName: listName(link.list),
        entry: link.entry.name,
        entryId: link.entry.id,
        level: link.entry.level,
        score: 1,
        why: `another parent is named in the string: "${m.name}" (ROR ${m.rorId}, linked to this entry) is a name of words each used by ${COMMON_WORD} or more registry institutions, and ${held}, but the string names ${other.name} (ROR ${other.rorId}): read as ${other.name}'s own unit`,
        ...placed,
      });
    }
    return true;
  }

  /**
   * The institution the string names beside a unit's generic name that is not the unit's own
   * parent (`family`: the unit's registry records and their parents): none when the string names
   * one of the family, or names nothing else. Beside an institution in the unit's own country, the
   * unit's parent must be known (`parentKnown`) to tell it is another; abroad it need not be.
   */
  private otherParent(family: Set<string>, beside: { rorId: string; name: string; countryCode: string | null }[], parentKnown: boolean, own: string | null): { rorId: string; name: string; countryCode: string | null } | null {
    const named = beside.filter((b) => b.countryCode !== null);
    if (named.length === 0 || named.some((b) => this.ancestry(b.rorId).some((id) => family.has(id)))) return null;
    const home = named.find((b) => b.countryCode === own);
    if (home) return parentKnown ? home : null;
    return named[0]!;
  }

  private familyCache: Map<string, { ids: string[]; parents: string[] }> | null = null;
  /**
   * The registry institutions a listed entry is, or belongs to: the records linked to it and those
   * its other listed names resolve to ("Academy of Military Medical Sciences, Institute of Radiation
   * and Radiation Medicine": the Academy), each with its ROR parents. `parents`: those that are not
   * the entry itself (not linked to it, not named by `n`'s own words).
   */
  private entryFamily(n: IndexedName): { ids: Set<string>; parents: string[] } {
    const key = `${n.list.id}\u0000${n.entry.id}\u0000${n.name.value}`;
    this.familyCache ??= new Map();
    let found = this.familyCache.get(key);
    if (!found) {
      const own = new Set<string>();
      for (const [rorId, links] of this.links) if (links.some((l) => l.entry === n.entry)) own.add(rorId);
      const named = new Set<string>();
      for (const x of n.entry.names) {
        if (x === n.name || hasCjk(x.value) || isAcronym(x.value) || x.kind === 'subsidiary' || x.kind === 'short') continue;
        for (const m of this.resolver?.resolve(x.value).institutions ?? []) {
          if (m.tier === 'possible' && m.units.length === 0) continue;
          (screenTokens(m.name).join(' ') === n.tokens.join(' ') ? own : named).add(m.rorId);
          for (const u of m.units) own.add(u.rorId);
        }
      }
      const ids = new Set([...own, ...named].flatMap((id) => this.ancestry(id)));
      found = { ids: [...ids], parents: [...ids].filter((id) => !own.has(id)) };
      this.familyCache.set(key, found);
    }
    return { ids: new Set(found.ids), parents: found.parents };
  }

  /**
   * A listed name made of words many registry institutions use ("Institute of Computing Technology",
   * "Institute of Radiation Medicine") that is only one part of a string naming another institution
   * ("Inst Comp Technol, TU Wien"; "Institute of Radiation Medicine, Fudan University") is that
   * institution's own unit: a namesake. Not when the string names the entry's own parent or the
   * entry itself ("…, Academy of Military Medical Sciences"); beside an institution in the entry's
   * own country, only when the entry's parent is known (its ROR record's parents, or an institution
   * its other listed names name) and is not the one named. A name with a rarer word ("Huawei",
   * "Harbin") or a place in it stays the listed entity wherever it is written.
   */
  private besideOtherParent(n: IndexedName, part: string, country: StringCountry): NamesakeWhy | null {
    const own = this.entryCountry.get(n.entry);
    const beside = country.beside ?? [];
    if (!own || beside.length === 0 || !this.isGenericName(n.tokens)) return null;
    const family = this.entryFamily(n);
    const at = this.otherParent(family.ids, beside, family.parents.length > 0, own);
    if (!at?.countryCode) return null;
    const what = `"${part}" is the listed ${n.name.kind === 'primary' ? 'name' : 'alias'} "${n.name.value}", words each used by ${COMMON_WORD} or more registry institutions`;
    if (at.countryCode !== own) {
      if (country.written) return null;
      return {
        why: `${what}, and the string names ${at.name} (${countryName(at.countryCode)}, ROR ${at.rorId}), no institution in ${countryName(own)}, where the entry is listed: read as that institution's own unit`,
        placed: { listed: own, written: at.countryCode },
      };
    }
    const parents = family.parents.map((id) => this.resolver?.institution(id)?.name ?? id).join('; ');
    return { why: `another parent is named in the string: ${what}; the listed ${n.entry.name} belongs to ${parents}, but the string names ${at.name} (ROR ${at.rorId}): read as ${at.name}'s own unit` };
  }

  private readonly namedCountries = new Map<string, Set<string>>();
  /** The countries a listed name itself names, as the gazetteer reads them. */
  private countriesNamedIn(name: string): Set<string> {
    let named = this.namedCountries.get(name);
    if (!named) {
      const found = this.resolver?.gazetteer.detect(name);
      named = new Set([...(found?.named ?? []), ...(found?.countryCode ? [found.countryCode] : [])]);
      this.namedCountries.set(name, named);
    }
    return named;
  }

  /**
   * Two neighbouring parts read as one name, in either order: an institute is written with its
   * parent before or after it, and a city or country after both ("Inst Microelect, Chinese Acad
   * Sci, Beijing, Peoples R China" is the listed "Institute of Microelectronics of the Chinese
   * Academy of Sciences"; "Chinese Acad Sci, Aerosp Informat Res Inst" the listed "Aerospace
   * Information Research Institute, Chinese Academy of Sciences"). A part that is only a place
   * joins nothing. The hit says which parts were read together.
   */
  private neighbourHits(text: string, parts: string[], country: StringCountry, hits: Map<string, Hit>, namesakes: Similar[]): void {
    for (let i = 0; i + 1 < parts.length; i++) {
      const [a, b] = [parts[i]!, parts[i + 1]!];
      if (this.isPlacePart(a) || this.isPlacePart(b)) continue;
      for (const [first, second] of [
        [a, b],
        [b, a],
      ] as const) {
        const joined = `${first}, ${second}`;
        if (joined === text) continue;
        this.readHits(joined, false, country, hits, namesakes, null, ` (the neighbouring parts "${a}" and "${b}" of the string, read as one name${first === b ? ', the second first' : ''})`);
      }
    }
  }

  /**
   * An institute named beside the registry institution it belongs to: a part of the string (or
   * two neighbouring parts read as one) that is the registry name of a ROR child of an institution
   * the string names exactly ("Chinese Acad Sci, Inst Comp Technol": Institute of Computing
   * Technology, a child of the Chinese Academy of Sciences). The institute is screened as itself,
   * and the hit says it was found through its parent.
   */
  private descendantHits(text: string, parent: ScreenResult['institutions'][number] & { units?: { rorId: string; name: string }[] }, parts: string[], hits: Map<string, Hit>): void {
    if (!this.resolver) return;
    const found = new Map<string, string>();
    for (const u of parent.units ?? []) found.set(u.rorId, `the registry resolves "${text}" to ${parent.name} (${parent.rorId}), naming its part ${u.name} (${u.rorId})`);
    for (const part of parts) {
      if (hasCjk(part)) continue;
      for (const reading of screenReadings(part)) {
        const child = this.resolver.descendantNamed(parent.rorId, nameTokens(reading.tokens.join(' ')));
        if (!child || found.has(child.rorId)) continue;
        found.set(child.rorId, `"${part}" is the registry ${child.held} of ${child.name} (${child.rorId})${readingNote(part, reading.read)}, which the ROR registry holds under ${parent.name} (${parent.rorId}), the institution the string names: found through its parent`);
      }
    }
    for (const [rorId, why] of found) this.registryHits(rorId, why, 1, hits);
  }

  /** A part's hits under every reading of its abbreviations, each saying how it was read. */
  private readHits(part: string, whole: boolean, country: StringCountry, hits: Map<string, Hit>, namesakes: Similar[], unit: string | null = null, how = ''): void {
    const [usual, ...others] = screenReadings(part);
    this.nameHits(screenKeyOf(part, usual!.tokens), part, whole, country, hits, namesakes, unit, usual!, how);
    for (const r of others) this.nameHits(r.tokens.join(' '), part, whole, country, hits, namesakes, unit, r, how);
  }

  private nameHits(key: string, part: string, whole: boolean, country: StringCountry, hits: Map<string, Hit>, namesakes: Similar[], unit: string | null = null, reading: Reading | null = null, how = ''): void {
    if (key === '') return;
    // Said only with a hit or a name not taken: most parts read find neither.
    let said: string | null = null;
    const note = () => (said ??= how + (reading ? readingNote(part, reading.read) : ''));
    for (const n of this.byKey.get(key) ?? []) {
      if ((n.name.kind === 'subsidiary' || (unit && n.acronym)) && !whole) continue;
      if (n.lone) {
        // A place in an address ("Tula State University, Tula, Russia") is where the institution named before it is.
        if (n.lone === 'place' && country.address) continue;
        this.loneName(
          n,
          part,
          n.lone === 'place' && country.apart ? country.apart(part) : country.written,
          hits,
          namesakes,
          note(),
          nameTokens(part, true).some((t) => isLegalForm(t) || this.units.trailingWords.has(t)),
        );
        continue;
      }
      const other = (whole ? null : this.besideOtherParent(n, part, country)) ?? this.namesake(n, key, country.written);
      if (other) {
        if (!namesakes.some((s) => s.list === n.list.id && s.entry === n.entry.name)) namesakes.push({ ...namesakeEntry(n), why: other.why, ...placing(other) });
        continue;
      }
      this.addNameHit(n, part, n.name.kind === 'primary' ? 'exact' : n.name.kind === 'chinese' || (n.name.kind === 'short' && hasCjk(n.name.value)) ? 'translated' : 'alias', n.acronym ? 0.9 : 1, hits, undefined, unit, note());
    }
    if (hasCjk(part)) {
      const k = cjkKey(part);
      for (const n of this.cjkNames) {
        const nk = n.cjk;
        if (nk === k || n.name.kind === 'subsidiary') continue;
        // A code name with its number (63820部队, CARDC's unit number) names the entry after whoever it is written under (中国人民解放军63820部队).
        if (/[0-9]/.test(nk) && k.endsWith(nk)) {
          this.addNameHit(n, part, 'translated', 0.95, hits, `"${part}" ends with the listed code name "${n.name.value}", whose number names the unit`);
          continue;
        }
        // Only an organisation's full Chinese name can head a unit's name; a bracketed place
        // ("（武汉）") cannot.
        if (!ORGANISATION_SUFFIX.test(nk)) continue;
        const unit = k.startsWith(nk) ? UNIT_SUFFIX.exec(k.slice(nk.length)) : null;
        // A hospital is related to the institution, not a unit of it (data/lists/aliases.json related.hospitals): 西安交通大学第一附属医院.
        if (unit && !unit[0].includes('大学') && !this.units.hospitals.wordsZh.some((w) => unit[0].endsWith(w))) this.addNameHit(n, part, 'translated', 0.95, hits, `"${part}" is a unit (${unit[0]}) of ${n.name.value}`);
      }
      return;
    }
    const tokens = reading?.tokens ?? screenTokens(part);
    if (tokens.length < 2) return;
    const seen = new Set<IndexedName>();
    for (const t of this.rarest(tokens, 2)) {
      for (const n of this.namesWith(t, tokens.length)) {
        if (seen.has(n)) continue;
        seen.add(n);
        if (n.name.kind === 'subsidiary' && !whole) continue;
        if (!this.sameCountry(n.entry, country.country)) continue;
        const score = fuzzyScore(tokens, n.tokens, this.distinctWords);
        if (score > 0 && score < 1) this.addNameHit(n, part, 'fuzzy', Number(score.toFixed(3)), hits, undefined, null, note());
      }
    }
  }

  /**
   * The listed names using a word that have as many words as the query: only those may be its
   * spelling (fuzzyScore). Grouped by length once per word, as queries ask for it: a word many
   * names use ("university") made every spelling look-up walk them all.
   */
  private namesWith(word: string, length: number): IndexedName[] {
    let byLength = this.byWordAndLength.get(word);
    if (!byLength) {
      byLength = new Map();
      for (const n of this.byToken.get(word) ?? []) push(byLength, n.tokens.length, n);
      this.byWordAndLength.set(word, byLength);
    }
    return byLength.get(length) ?? [];
  }

  /**
   * The query's least common words: a name spelled nearly alike shares at least one of them
   * exactly, and looking only there keeps "University" from pulling in thousands of names.
   */
  private rarest(tokens: string[], n: number): string[] {
    // A word no listed name uses is no way in: with two slips ("Insitute", "Technolgy") the
    // name is still found through the words spelled right ("Harbin").
    return [...new Set(tokens)]
      .filter((t) => this.byToken.has(t))
      .sort((a, b) => (this.byToken.get(a)?.length ?? 0) - (this.byToken.get(b)?.length ?? 0))
      .slice(0, n);
  }

  private sameCountry(entry: RiskEntry, country: string | null): boolean {
    const own = this.entryCountry.get(entry);
    return country === null || !own || this.within(country, own);
  }

  private addNameHit(n: IndexedName, part: string, match: MatchKind, score: number, hits: Map<string, Hit>, detail?: string, unit: string | null = null, note = '', companyUnit: Hit['inherited'] = null): void {
    const subsidiary = n.name.kind === 'subsidiary';
    const parentOfUnit = companyUnit ?? (unit !== null && unit !== n.entry.name ? { via: unit, how: `the string names ${unit} as a unit of ${n.entry.name}`, relation: 'part' as const } : null);
    const what = n.name.kind === 'primary' ? 'listed name' : n.name.kind === 'chinese' ? 'Chinese name' : n.name.kind === 'short' ? 'short name' : subsidiary ? 'name of a listed subsidiary or laboratory' : 'listed alias';
    const how = (detail ?? `"${part}" ${match === 'fuzzy' ? `is spelled like (score ${score})` : 'is'} the ${what} "${n.name.value}"${n.name.source ? ` (${n.name.source})` : ''}`) + note;
    const hit: Hit = {
      list: n.list.id,
      listTitle: n.list.provenance.title,
      listName: listName(n.list),
      listVersion: n.list.version,
      entry: n.entry.name,
      entryId: n.entry.id,
      level: n.entry.level,
      category: n.entry.category,
      match: subsidiary ? 'alias' : match,
      score,
      matchedName: n.name.value,
      inherited: subsidiary ? { via: n.name.value, how: `listed by ${listName(n.list)} as a subsidiary or laboratory of ${n.entry.name}`, relation: 'part' } : parentOfUnit,
      sameAs: null,
      organisation: this.organisationId(n.entry),
      evidence: how,
      sourceText: n.entry.sourceText,
      url: n.entry.url,
    };
    readFrom.set(hit, part);
    add(hits, hit);
  }

  private registryHits(rorId: string, why: string, score: number, hits: Map<string, Hit>, unit: string | null = null, predecessor: Predecessor | null = null): void {
    const chain = this.ancestry(rorId);
    const successor = this.resolver?.institution(rorId);
    const succession = predecessor ? `${predecessor.status} ROR record ${predecessor.rorId}${predecessor.rorId === predecessor.name ? '' : ` (${predecessor.name})`}, succeeded by ${rorId} ${successor?.name ?? ''}`.trimEnd() : null;
    chain.forEach((id, depth) => {
      for (const link of this.links.get(id) ?? []) {
        const parent = depth > 0 ? this.resolver?.institution(id) : undefined;
        const namedUnit = !parent && !predecessor && unit !== null && unit !== link.entry.name;
        add(hits, {
          list: link.list.id,
          listTitle: link.list.provenance.title,
          listName: listName(link.list),
          listVersion: link.list.version,
          entry: link.entry.name,
          entryId: link.entry.id,
          level: link.entry.level,
          category: link.entry.category,
          match: 'registry',
          score: Number(score.toFixed(3)),
          matchedName: link.entry.name,
          inherited: parent
            ? { via: `${parent.name} (${id})`, how: `${succession ? `${succession}; ` : ''}${rorId} is part of ${parent.name} in the ROR registry`, relation: succession ? 'successor' : 'part' }
            : succession
              ? { via: `${successor?.name ?? rorId} (${rorId})`, how: `${succession}, which ${listName(link.list)} names`, relation: 'successor' }
              : namedUnit
                ? { via: unit, how: `the string names ${unit} as a unit of ${link.entry.name}`, relation: 'part' }
                : null,
          sameAs: null,
          organisation: this.organisationId(link.entry),
          evidence: `${why}${succession ? `; ${succession}${parent ? `, part of ${parent.name}` : ''}, which ${listName(link.list)} names` : ''}; ${id} is linked to the entry (${link.how})`,
          sourceText: link.entry.sourceText,
          url: link.entry.url,
        });
      }
    });
  }

  /**
   * An inactive record split into several successors: each successor is screened, as the
   * successor it is (which one the string means is not known).
   */
  private splitSuccessorHits(rorId: string, why: string, score: number, hits: Map<string, Hit>): void {
    const inst = this.resolver?.institution(rorId);
    if (!inst || inst.status === 'active') return;
    for (const next of inst.successors) if (this.resolver?.institution(next)) this.registryHits(next, `${why}; split into ${inst.successors.length} successors, which one is meant is not known`, score, hits, null, { rorId, name: inst.name, status: inst.status });
  }

  /**
   * A unit named after a listed company ("Huawei Noah's Ark Lab", "iFlytek Research"): the
   * company's name, then words naming a unit of it (data/lists/aliases.json, units). Only a
   * company's name of two words or more, or a one-word name curated with its source, opens a
   * unit: a brand derived by rule may be a common word. A hit is the company, marked as reached
   * through the unit, under the same namesake guards as the company's own name.
   */
  private companyUnitHits(part: string, written: string | null, hits: Map<string, Hit>, namesakes: Similar[]): void {
    if (hasCjk(part)) return;
    // A region places a unit as a country does ("Huawei Cloud Europe": data/lists/aliases.json placed_abroad regions).
    const regionWords = (this.regionWords ??= new Set(this.units.abroad.regions.flatMap((r) => r.words)));
    const isPlace = (w: string) => (this.resolver?.gazetteer.isPlace(w) ?? false) || regionWords.has(w);
    // A listed name is itself ("Huawei Cloud Computing Technology"), not a unit's business.
    const listed = this.byKey.has(screenKey(part));
    for (const reading of screenReadings(part)) {
      const tokens = reading.tokens;
      for (let k = tokens.length - 1; k >= 1; k--) {
        const tail = tokens.slice(k);
        const places: string[] = [];
        // A place may be written in words ("Latin America", "New Zealand"): the longest run at the end is taken.
        for (let run = 0; (run = [3, 2, 1].find((r) => tail.length > r && isPlace(tail.slice(-r).join(' '))) ?? 0) > 0;) places.unshift(...tail.splice(-run));
        // After the unit's word, a legal form or company word and words naming its business ("Cloud Computing Co., Ltd.", "Cloud
        // Intelligence Group", Alibaba Cloud's official name: units.business_words, named_after company_words) are the unit's company.
        const business: string[] = [];
        for (let end = tail.length; !listed && end > 1 && (this.units.businessWords.has(tail[end - 1]!) || this.units.legalForms.has(tail[end - 1]!) || this.units.namedAfter.companyWords.has(tail[end - 1]!)); end--) {
          if (this.units.unitWords.has(tail[end - 2]!) && tail.slice(end - 1).some((w) => this.units.businessWords.has(w))) {
            business.push(...tail.splice(end - 1));
            break;
          }
        }
        const branch = this.units.branchWords.has(tail[tail.length - 1]!);
        if (!(branch || this.units.unitWords.has(tail[tail.length - 1]!)) || tail.some((w) => this.units.otherWords.has(w))) continue;
        // A joint unit may be written with the other party first ("ECNU-Huawei Joint Laboratory", "East China Normal University
        // Huawei Joint Lab"): the listed company's name may then start later, where the unit's words say it is joint (units.joint_words).
        const joint = tail.some((w) => this.units.jointWords.has(w));
        const starts = joint ? Array.from({ length: k }, (_, i) => i) : [0];
        const [from, found] = starts.map((i) => [i, (this.byKey.get(tokens.slice(i, k).join(' ')) ?? []).filter((n) => this.opensUnit(n))] as const).find(([, f]) => f.length > 0) ?? [0, []];
        const key = tokens.slice(from, k).join(' ');
        // The other party as written where the company's name is found in the string ("ECNU" of "ECNU-Huawei Joint Laboratory").
        const before = (value: string) => {
          const at = part.toLowerCase().indexOf(value.toLowerCase());
          return at > 0 ? part.slice(0, at).replace(/[\s,;:–—-]+$/u, '') : tokens.slice(0, from).join(' ');
        };
        const first = (n: IndexedName) => (from > 0 ? `; "${before(n.name.value)}" is written before it, the other party of the joint unit, to be screened on its own (${this.units.file} units.joint_words)` : '');
        // The place after the unit's words places the unit ("… Studio Paris").
        // A region is read whole: "Latin America" is no mention of the United States.
        const region = regionWords.has(places.join(' ')) ? this.placeOf(places.join(' ')) : null;
        const at = region ?? written ?? (places.length > 0 ? this.placeOf(places.join(' ')) : null);
        for (const n of found) {
          const abroad = this.abroad(n, at);
          const other = abroad ? this.commonBrandAbroad(n, part, at!) : this.namesake(n, key, written);
          if (other) {
            if (!namesakes.some((x) => x.list === n.list.id && x.entry === n.entry.name)) namesakes.push({ ...namesakeEntry(n), why: abroad ? other.why : `"${part}" names a unit after the name "${n.name.value}", but ${other.why}`, ...placing(other) });
            continue;
          }
          const what = n.name.kind === 'primary' ? 'listed name' : n.name.kind === 'short' ? 'short name' : 'listed alias';
          const detail = `"${part}" names a ${branch ? 'branch' : 'unit'} of ${n.entry.name}: it ${from > 0 ? 'holds' : 'begins with'} the company's ${what} "${n.name.value}"${n.name.source ? ` (${n.name.source})` : ''} and goes on "${tail.join(' ')}", words naming a ${branch ? 'branch, which is the company itself' : 'unit'}${business.length > 0 ? `, then "${business.join(' ')}", words naming its business (units.business_words)` : ''} (${this.units.file})${first(n)}${abroad}`;
          // A branch is the company itself, no legal entity of its own: the hit is the company's, the branch said in its evidence.
          const unit = branch ? null : { via: part, how: `a unit named after ${n.entry.name}, not the listed company itself`, relation: 'company-unit' as const };
          this.addNameHit(n, part, n.name.kind === 'primary' ? 'exact' : 'alias', n.acronym ? 0.9 : 1, hits, detail, null, readingNote(part, reading.read), unit);
        }
        if (found.length > 0) return;
      }
    }
  }

  /**
   * A whole string that is an acronym one active registry institution gives as its own ("DFG"):
   * that institution, recognised. An acronym several hold names none of them.
   */
  private acronymHolder(text: string, found: InstitutionMatch[]): InstitutionMatch[] {
    if (found.length > 0 || !/^[A-Za-z][A-Za-z0-9&-]{1,9}$/.test(text.replace(/\./g, '')) || !/\p{Lu}.*\p{Lu}/u.test(text)) return [];
    const holders = this.resolver?.acronymHolders(text) ?? [];
    if (holders.length !== 1) return [];
    const e = holders[0]!;
    return [
      {
        rorId: e.id,
        name: e.name,
        countryCode: e.countryCode,
        tier: 'exact',
        score: 1,
        evidence: `"${text}" is the acronym of ${e.name} in the registry, and of no other active institution there`,
        basis: { how: 'exact', held: 'alias', ambiguity: 'unique', place: 'none', generic: false, named: 'alone' },
        units: [],
        primary: true,
      },
    ];
  }

  /**
   * Ways people write a listed name that are not the name itself: with a leading place or trailing
   * business words, a legal form or places ("Zhejiang Dahua", "Huawei Tech.", "NUDT Changsha"); with
   * an acronym of the listed organisation for its full name ("CETC 38th Research Institute"); a
   * one-word brand written apart ("Hik Vision"); a Chinese company's registered name without its
   * leading place (海康威视数字技术股份有限公司); a unit named after a company's Chinese brand
   * (华为诺亚方舟实验室). Tried only where the string is no listed name as it stands; a short name
   * derived by rule is never reached this way (it may be a common word). The namesake guards apply.
   * `address`: the part follows the string's first part, so a place alias in it is the address's place.
   */
  private writtenFormHits(part: string, whole: boolean, written: string | null, hits: Map<string, Hit>, namesakes: Similar[], address = false): void {
    if (this.byKey.has(screenKey(part))) return;
    if (hasCjk(part)) {
      this.chineseFormHits(part, written, hits, namesakes);
      // The armed forces' name before a military institution's (解放军军事科学院: the listed 军事科学院).
      const k = cjkKey(part);
      const prefix = this.units.armedForces.prefixesZh.find((p) => k.startsWith(p) && k.length > p.length);
      for (const n of prefix ? (this.byKey.get(k.slice(prefix.length)) ?? []) : [])
        if (n.name.kind !== 'subsidiary' && this.units.armedForces.countries.has(n.entry.country ?? ''))
          this.addNameHit(n, part, 'translated', 1, hits, `"${part}" is the listed Chinese name "${n.name.value}"${n.name.source ? ` (${n.name.source})` : ''} with "${prefix}", the armed forces' name, before it (${this.units.file} armed_forces)`);
      // A listed company's Chinese name without its last business word and legal form (华为云计算 for 华为云计算技术有限公司).
      if (this.businessWordZh(k))
        for (const w of this.units.businessWordsZh)
          for (const form of this.units.legalFormsZh)
            for (const n of this.byKey.get(k + w + form) ?? [])
              if (n.name.kind !== 'subsidiary' && n.name.source?.startsWith(DERIVED) !== true && !this.isInstitution(n.entry))
                this.addNameHit(
                  n,
                  part,
                  'translated',
                  1,
                  hits,
                  `"${part}" is the listed company's Chinese name "${n.name.value}"${n.name.source ? ` (${n.name.source})` : ''} without "${w}", its last word naming a line of business, and "${form}", its legal form (${this.units.file} units.business_words_zh)`,
                );
      // A service's name after it or alone (战略支援部队信息工程大学: the listed 中国人民解放军信息工程大学), what remains read with the armed forces' name or without.
      const after = k.slice(prefix?.length ?? 0);
      for (const s of this.units.armedForces.services) {
        const service = s.zh.find((w) => after.startsWith(w) && after.length > w.length);
        if (!service) continue;
        const rest = after.slice(service.length);
        for (const key of [rest, ...this.units.armedForces.prefixesZh.map((p) => p + rest)])
          for (const n of this.byKey.get(key) ?? [])
            if (n.name.kind !== 'subsidiary' && this.units.armedForces.countries.has(n.entry.country ?? '') && this.namesService(n.entry, s.listedAs))
              this.addNameHit(
                n,
                part,
                'translated',
                1,
                hits,
                `"${part}" is the listed Chinese name "${n.name.value}"${n.name.source ? ` (${n.name.source})` : ''} with "${prefix ?? ''}${service}", the armed forces' name and ${this.serviceSaid(n.entry, s)}, written ${key === rest ? 'before it' : `for "${key.slice(0, -rest.length)}"`} (${this.units.file} armed_forces)`,
              );
      }
      return;
    }
    // A region or another country's legal form is a place too ("Hikvision Europe B.V.": data/lists/aliases.json placed_abroad).
    this.regionWords ??= new Set(this.units.abroad.regions.flatMap((r) => r.words));
    const regionWords = this.regionWords;
    const isPlace = (w: string) => (this.resolver?.gazetteer.isPlace(w) ?? false) || regionWords.has(w);
    const form = this.legalFormAbroad(part);
    const tokens = screenTokens(form?.rest ?? part);
    // `apart`: where what is set aside places the name (a place alias cannot place itself).
    // `leading`: the cities written before the name, each as written ("SH") and read ("shanghai").
    // `company`: the legal form or company words written around the name, which make it a company's (named_after).
    const take = (key: string, how: (n: IndexedName) => string, ok: (n: IndexedName) => boolean = () => true, country = written, apart: string | null = null, leading: { as: string; city: string }[] = [], company = '') => {
      for (const n of this.byKey.get(key) ?? []) {
        if ((n.name.kind === 'subsidiary' && !whole) || n.name.source?.startsWith(DERIVED) || !ok(n)) continue;
        if (company !== '' && this.isInstitution(n.entry)) {
          this.namedAfter(n, part, company, namesakes);
          continue;
        }
        if (n.lone) {
          if (!(n.lone === 'place' && address)) this.loneName(n, part, n.lone === 'place' ? apart : country, hits, namesakes, '', true);
          continue;
        }
        const elsewhere = this.otherCity(n.entry, leading);
        if (elsewhere) {
          if (!namesakes.some((x) => x.list === n.list.id && x.entry === n.entry.name))
            namesakes.push({
              ...namesakeEntry(n),
              why: `"${part}" is written as the name "${n.name.value}" after ${elsewhere.written}, but ${elsewhere.listed.length > 0 ? `the listed entry is in ${elsewhere.listed.join(' or ')}` : 'the lists give the listed entry no city'} (the listed names and addresses of its organisation; ${this.units.file} leading_city)`,
              city: elsewhere,
            });
          continue;
        }
        const other = this.namesake(n, key, country);
        if (other) {
          if (!namesakes.some((x) => x.list === n.list.id && x.entry === n.entry.name)) namesakes.push({ ...namesakeEntry(n), why: `"${part}" is written as the name "${n.name.value}", but ${other.why}`, ...placing(other) });
          continue;
        }
        this.addNameHit(n, part, n.name.kind === 'primary' ? 'exact' : 'alias', n.acronym ? 0.9 : 1, hits, how(n), null, readingNote(part));
      }
    };
    const source = (n: IndexedName) => `${n.name.value}"${n.name.source ? ` (${n.name.source})` : ''}`;
    // Places before, business words, legal forms and places after: what is left must be a listed name.
    // A place may be written in words that are no place each ("Hong Kong", "New Zealand"): the longest place is set aside, one word of the name always kept.
    // A city written by its initials stands there too, in capitals as the lists' side reads it ("SH DJI Technology"); it is
    // that city only for names listed in the countries the abbreviations hold in (data/lists/aliases.json city_abbreviations).
    const cityOf = new Map(part.split(/[^\p{L}\p{N}]+/u).flatMap((w): [string, string][] => (this.units.cities.byAbbreviation.has(w) ? [[foldText(w), w]] : [])));
    const abbreviations: string[] = [];
    const places: string[] = [];
    const placeWords = (at: (k: number) => [number, number]): number => {
      for (let k = Math.min(3, end - start - 1); k >= 1; k--) {
        const words = tokens.slice(...at(k)).join(' ');
        const abbreviation = cityOf.get(words);
        if (abbreviation) return (abbreviations.push(abbreviation), places.push(this.units.cities.byAbbreviation.get(abbreviation)!), k);
        if (isPlace(words)) return (places.push(words), k);
      }
      return 0;
    };
    let start = 0;
    let end = tokens.length;
    for (let k = 1; k > 0 && end - start > 1; end -= k) k = this.units.trailingWords.has(tokens[end - 1]!) ? 1 : placeWords((n) => [end - n, end]);
    const after = places.length;
    for (let k = 1; k > 0 && end - start > 1; start += k) k = placeWords((n) => [start, start + n]);
    // A city written before a company's name is where that company is registered ("Shanghai X Co." is not "Hangzhou X Co."); one after it may be an office's.
    const leading = places.slice(after).flatMap((p) => {
      const abbreviation = abbreviations.find((a) => foldText(this.units.cities.byAbbreviation.get(a)!) === foldText(p));
      const city = foldText(p);
      // A province is no city here, as in a listed name: it holds many cities ("Guangdong Hikvision"); a city-province is one.
      return this.units.cityProvinces.has(city) || (this.isCity(city) && !this.resolver?.gazetteer.isCountryOrRegion(city)) ? [{ as: abbreviation ? `"${abbreviation}" (${p})` : titled(p), city }] : [];
    });
    if (end - start < tokens.length || form) {
      const core = tokens.slice(start, end);
      const aside = [...tokens.slice(0, start), ...tokens.slice(end), ...(form ? [form.form.form] : [])];
      // The places set aside place the name: "Shanghai" before the Russian "Institute of Technical Physics" is another institute.
      const apart = this.placeOf(places.join(', ')) ?? (form ? this.formPlace(form.form) : null);
      const read = abbreviations.map((a) => `; "${a}" is ${this.units.cities.byAbbreviation.get(a)} (${this.units.file} city_abbreviations)`).join('');
      // After a word naming a field only a legal form names a company: "Science and Technology" is a field.
      const field = tokens.slice(end).some((w) => this.units.namedAfter.fieldWords.has(w));
      const companyWords = [...tokens.slice(end).filter((w) => this.units.namedAfter.companyWords.has(w) && (!field || this.units.legalForms.has(w))), ...(form ? [form.form.form] : [])];
      take(
        core.join(' '),
        (n) => `"${part}" is the listed ${n.name.kind === 'primary' ? 'name' : n.name.kind === 'short' ? 'short name' : 'alias'} "${source(n)} with "${aside.join(' ')}" around it (places, business words or a legal form: ${this.units.file} derive)${read}`,
        (n) => abbreviations.length === 0 || this.units.cities.countries.has(n.entry.country ?? ''),
        written ?? apart,
        apart,
        leading,
        companyWords.join(' '),
      );
      // Only the place before it set aside: the listed name may end in business words itself ("Hong Kong AccoTest Technology").
      if (start > 0 && end < tokens.length && !form) {
        const before = tokens.slice(0, start).join(' ');
        take(
          tokens.slice(start).join(' '),
          (n) => `"${part}" is the listed ${n.name.kind === 'primary' ? 'name' : n.name.kind === 'short' ? 'short name' : 'alias'} "${source(n)} with "${before}" before it (a place: ${this.units.file} leading_city)${read}`,
          (n) => abbreviations.length === 0 || this.units.cities.countries.has(n.entry.country ?? ''),
          written ?? apart,
          apart,
          leading,
        );
      }
    }
    // An acronym or short name of a listed organisation read as its full name ("CETC 38th Research Institute").
    for (let k = 1; k <= Math.min(2, tokens.length - 1); k++) {
      const rest = tokens.slice(k);
      for (const head of this.byKey.get(tokens.slice(0, k).join(' ')) ?? []) {
        if (!(head.acronym || head.name.kind === 'short') || head.name.source?.startsWith(DERIVED)) continue;
        for (const full of head.entry.names) {
          if (full === head.name || hasCjk(full.value) || isAcronym(full.value) || full.kind === 'subsidiary') continue;
          // Read whole: a legal form inside the name stays ("… Group Corporation 38th Research Institute").
          const key = screenTokens(`${full.value} ${rest.join(' ')}`).join(' ');
          take(key, (n) => `"${part}" reads "${head.name.value}" as "${full.value}", a name of the listed ${head.entry.name}: it is then the listed name "${source(n)}`);
        }
        // Or the rest is a listed unit of that organisation by its own generic name ("AMMS Institute of
        // Radiation Medicine": the listed "Academy of Military Medical Sciences, Institute of Radiation …").
        const parent = head.entry.names.filter((x) => x !== head.name && !hasCjk(x.value) && !isAcronym(x.value) && x.kind !== 'subsidiary').map((x) => this.tokensOfListed(x.value));
        take(
          rest.join(' '),
          (n) => `"${part}" reads "${head.name.value}" as the listed ${head.entry.name}, named in the listed name "${n.entry.name}", and "${rest.join(' ')}" is that entry's ${n.name.kind === 'primary' ? 'listed name' : 'listed alias'} "${source(n)}: its unit`,
          (n) => n.entry !== head.entry && n.entry.names.some((x) => !hasCjk(x.value) && parent.some((p) => containsRun(this.tokensOfListed(x.value), p))),
        );
      }
    }
    // A company with its own name after a listed institution's ("Peking University Founder Group", "Tsinghua Unigroup"): it ends in
    // a company word, or one glued to its name ("Unigroup"), and names no unit between ("… Department of Technology" is a unit: units and unit_after_name words).
    const last = tokens[tokens.length - 1] ?? '';
    const companyWord = [...this.units.namedAfter.companyWords].find((w) => last === w || (w.length >= 4 && last.length > w.length + 1 && last.endsWith(w)));
    if (companyWord && tokens.length >= 2 && !namesakes.some((x) => x.namedAfter)) {
      const namedBy = this.units.namedAfter;
      for (let k = tokens.length - 1; k >= 1; k--) {
        if (tokens.slice(k, -1).some((w) => this.units.unitWords.has(w) || this.units.otherWords.has(w) || this.units.unitAfterName.has(w) || namedBy.fieldWords.has(w))) break;
        const head = tokens.slice(0, k);
        // The institution by its own name ("Peking University"), or by its name before the word saying what it is ("Tsinghua").
        const named = [...(this.byKey.get(head.join(' ')) ?? []), ...(k === 1 ? (this.byToken.get(head[0]!) ?? []).filter((n) => n.tokens.length === 2 && n.tokens[0] === head[0] && namedBy.institutionWords.has(n.tokens[1]!) && !isPlace(head[0]!)) : [])].filter(
          (n) => n.name.kind !== 'subsidiary' && !n.acronym && !n.lone && this.isInstitution(n.entry),
        );
        for (const n of named) this.namedAfter(n, part, tokens.slice(k).join(' '), namesakes);
        if (named.length > 0) break;
      }
    }
    // The armed forces' name before a military institution's ("PLA Unit 63820": the listed "Unit 63820"), with a service's or a
    // service's alone ("PLA Strategic Support Force Information Engineering University": data/lists/aliases.json armed_forces.services).
    const forces = this.units.armedForces;
    type Service = (typeof forces.services)[number];
    const withService = (names: string[][]) => [...names.map((words) => ({ words, service: null as Service | null })), ...forces.services.flatMap((s) => s.names.flatMap((name) => [name, ...names.map((p) => [...p, ...name])].map((words) => ({ words, service: s as Service | null }))))];
    const served = (n: IndexedName, service: Service | null) => forces.countries.has(n.entry.country ?? '') && (!service || (n.name.kind !== 'subsidiary' && this.namesService(n.entry, service.listedAs)));
    for (const { words: prefix, service } of withService(forces.prefixes)) {
      if (tokens.length <= prefix.length || prefix.some((w, i) => tokens[i] !== w)) continue;
      take(
        tokens.slice(prefix.length).join(' '),
        (n) => `"${part}" is the listed ${n.name.kind === 'primary' ? 'name' : 'alias'} "${source(n)} with "${prefix.join(' ')}", the armed forces' name${service ? ` and ${this.serviceSaid(n.entry, service)}` : ''}, before it (${this.units.file} armed_forces)`,
        (n) => served(n, service),
      );
    }
    // Or after it, as English texts translate 中国人民解放军陆军工程大学 ("Army Engineering University of the People's Liberation Army").
    for (const { words: suffix, service } of withService(forces.suffixes)) {
      if (tokens.length <= suffix.length || suffix.some((w, i) => tokens[tokens.length - suffix.length + i] !== w)) continue;
      take(
        tokens.slice(0, -suffix.length).join(' '),
        (n) => `"${part}" is the listed ${n.name.kind === 'primary' ? 'name' : 'alias'} "${source(n)} with "${suffix.join(' ')}", the armed forces' name${service ? ` and ${this.serviceSaid(n.entry, service)}` : ''}, after it (${this.units.file} armed_forces)`,
        (n) => served(n, service),
      );
    }
    // A listed company's name written without its last word naming a line of business, where the string ends in one too
    // ("Huawei Cloud Computing" for the listed "Huawei Cloud Computing Technology": data/lists/aliases.json units.business_words).
    let stem = tokens.length;
    while (stem > 2 && this.units.legalForms.has(tokens[stem - 1]!)) stem--;
    if (stem >= 2 && this.units.businessWords.has(tokens[stem - 1]!))
      for (const w of this.units.businessWords)
        take(
          [...tokens.slice(0, stem), w].join(' '),
          (n) => `"${part}" is the listed ${n.name.kind === 'primary' ? 'name' : 'alias'} "${source(n)} without "${w}", its last word naming a line of business (${this.units.file} units.business_words)`,
          (n) => !this.isInstitution(n.entry),
        );
    // A compound word written as its two words ("North Western Polytechnical University": data/lists/aliases.json written_apart).
    for (let i = 0; i + 1 < tokens.length; i++) {
      const joined = `${tokens[i]}${tokens[i + 1]}`;
      if (this.units.writtenApart.has(joined)) take([...tokens.slice(0, i), joined, ...tokens.slice(i + 2)].join(' '), (n) => `"${part}" is the listed ${n.name.kind === 'primary' ? 'name' : 'alias'} "${source(n)} with "${joined}" written as two words (${this.units.file} written_apart)`);
    }
    // A one-word brand written in two or three words ("Hik Vision", "Sense Time").
    if (tokens.length >= 2 && tokens.length <= 3) {
      const glued = tokens.join('');
      take(
        glued,
        (n) => `"${part}" is the name "${source(n)} written apart`,
        (n) => n.tokens.length === 1 && !n.acronym && glued.length >= 6,
      );
    }
  }

  /**
   * A listed institution that is no company (data/lists/aliases.json named_after): none of its names ends in a legal
   * form, and one names an institution (a university, an academy). A listed company's name takes business words as people write them.
   */
  private isInstitution(entry: RiskEntry): boolean {
    const latin = entry.names.filter((x) => x.kind !== 'subsidiary' && !hasCjk(x.value)).map((x) => this.tokensOfListed(x.value));
    return !latin.some((t) => this.units.legalForms.has(t[t.length - 1] ?? '')) && latin.some((t) => t.some((w) => this.units.namedAfter.institutionWords.has(w)));
  }

  /** A listed institution's name written with company words ("Beihang Technology Co"): a company named after it, a question. */
  private namedAfter(n: IndexedName, part: string, words: string, namesakes: Similar[]): void {
    if (namesakes.some((x) => x.list === n.list.id && x.entry === n.entry.name)) return;
    namesakes.push({
      ...namesakeEntry(n),
      why: `"${part}" is the listed name "${n.name.value}" of ${n.entry.name}, an institution that is no company, with "${words}" (a legal form or company words: ${this.units.file} named_after): it names a company named after it, another legal entity that no list names`,
      namedAfter: { listed: n.entry.name, words },
    });
  }

  /** A company named after a listed institution: the institution offered as what it may be tied to, and the company as written. */
  private namedAfterChoices(query: string, namesakes: Similar[]): Choice[] {
    const orgs = new Map<string, { name: string; country: string; level: Level; lists: Set<string> }>();
    for (const n of namesakes) {
      const entry = this.entryOf(n.list, n.entryId);
      const id = entry ? this.organisationId(entry) : n.entryId;
      const org = orgs.get(id) ?? { name: (entry && this.organisationNames.get(id)) ?? n.entry, country: (entry && this.entryCountry.get(entry)) ?? '', level: n.level, lists: new Set<string>() };
      org.lists.add(n.listName);
      if (LEVELS.indexOf(n.level) < LEVELS.indexOf(org.level)) org.level = n.level;
      orgs.set(id, org);
    }
    return [
      ...[...orgs.values()].map((o) => ({ label: `${o.name}: listed (${[...o.lists].join('; ')}, ${levelWords(o.level)}); the company may be one it founded or holds`, query: o.name, countryCode: o.country, listed: true })),
      { label: `"${query.trim()}": a company named after it, another legal entity that no list names (identify it by its registered name and its owners before relying on this)`, query: query.trim(), countryCode: [...orgs.values()][0]!.country, listed: false },
    ];
  }

  private namedAfterHeadline(query: string, namesakes: Similar[]): string {
    const names = [...new Set(namesakes.map((n) => this.organisationNames.get(this.organisationId(this.entryOf(n.list, n.entryId)!)) ?? n.entry))];
    return `Ambiguous: "${query.trim()}" names a company named after ${names.join('; ')} (listed), not the institution itself: a company is another legal entity. Is it tied to the listed institution (founded, owned or run by it)? Establish the tie before relying on this: it is neither the listing nor a clearance.`;
  }

  /**
   * A city written before a listed name that is none of the cities the lists give its organisation (every entry's listed
   * name and addresses, in any list), or where they give none (data/lists/aliases.json leading_city): "SH Hikvision"
   * writes Shanghai, and Hikvision is listed in Hangzhou. Null where the string writes one of its cities.
   */
  private otherCity(entry: RiskEntry, leading: { as: string; city: string }[]): Similar['city'] | null {
    if (leading.length === 0) return null;
    const own = (this.organisations.get(entry)?.members.map((m) => m.entry) ?? [entry]).map((e) => this.citiesOf(e));
    const written = leading.find((l) => !own.some((o) => o.text.includes(` ${l.city} `)));
    return written ? { listed: [...new Set(own.flatMap((o) => o.cities))].map(titled), written: written.as } : null;
  }

  /** The cities an entry's listed name and addresses name, and those folded. */
  private citiesOf(entry: RiskEntry): { cities: string[]; text: string } {
    let own = this.entryCities.get(entry);
    if (!own) {
      // The listed name and the addresses only: a list's alias may be a subsidiary's, elsewhere ("Chengdu Dahua …" for Zhejiang Dahua).
      // A province in a listed name ("Zhejiang Dahua") holds cities the gazetteer cannot tell apart from others, unless it is a
      // city-province ("Shanghai Yitu"); in an address it is the city-province the address is in ("Haidian District, Beijing").
      const fold = (t: string) => foldText(t).split(' ');
      const gazetteer = this.resolver?.gazetteer;
      const cities = [...fold(entry.name).filter((w) => this.units.cityProvinces.has(w) || !gazetteer?.isCountryOrRegion(w)), ...(entry.addresses ?? []).flatMap(fold)].filter((w) => this.units.cityProvinces.has(w) || this.isCity(w));
      const text = ` ${[entry.name, ...(entry.addresses ?? [])].map(foldText).join(' ')} `;
      own = { cities: [...new Set(cities)], text };
      this.entryCities.set(entry, own);
    }
    return own;
  }

  /** Whether a folded word or words name a city, never a country (Shanghai and Beijing are cities as well as regions). */
  private isCity(words: string): boolean {
    const gazetteer = this.resolver?.gazetteer;
    return !!gazetteer && words !== '' && gazetteer.countryCodeOf(words) === null && gazetteer.citiesNamed(words).length > 0;
  }

  /** A listed name the string writes after another city than the entry's ("SH Hikvision"): the listed company offered, and another of that name. */
  private cityChoices(query: string, namesakes: Similar[]): Choice[] {
    const orgs = new Map<string, { name: string; cities: string[]; country: string; level: Level; lists: Set<string> }>();
    for (const n of namesakes) {
      const entry = this.entryOf(n.list, n.entryId);
      const id = entry ? this.organisationId(entry) : n.entryId;
      const org = orgs.get(id) ?? { name: n.entry, cities: n.city!.listed, country: (entry && this.entryCountry.get(entry)) ?? '', level: n.level, lists: new Set<string>() };
      org.lists.add(n.listName);
      if (LEVELS.indexOf(n.level) < LEVELS.indexOf(org.level)) org.level = n.level;
      orgs.set(id, org);
    }
    const written = namesakes[0]!.city!.written;
    return [
      ...[...orgs.values()].map((o) => ({ label: `${o.name} ${o.cities.length > 0 ? `in ${o.cities.join(' or ')}` : '(the lists give no city)'}: listed (${[...o.lists].join('; ')}, ${levelWords(o.level)})`, query: o.name, countryCode: o.country, listed: true })),
      { label: `"${query.trim()}" in ${written}: another company of that name, which no list names (identify it by its registered name before relying on this)`, query: query.trim(), countryCode: [...orgs.values()][0]!.country, listed: false },
    ];
  }

  private cityHeadline(query: string, namesakes: Similar[]): string {
    const names = [...new Set(namesakes.map((n) => n.entry))];
    const cities = [...new Set(namesakes.flatMap((n) => n.city!.listed))];
    return `Ambiguous: "${query.trim()}" writes the listed name of ${names.join('; ')} after ${namesakes[0]!.city!.written}, but ${cities.length > 0 ? `the lists place it in ${cities.join(' or ')}` : 'the lists give it no city'}: is it the listed company, a unit of it there, or another company of that name? Identify it before relying on this.`;
  }

  /** A listed name's screenTokens, as kept with the index (not to be changed). */
  private tokensOfListed(value: string): string[] {
    return this.listedTokens.get(value) ?? screenTokens(value);
  }

  /**
   * A Chinese name ending in a region's Chinese name (非洲, 中东: data/lists/aliases.json placed_abroad regions) or a country's
   * (德国): the name before it, and the place. Two characters of name at least stay.
   */
  private trailingPlaceZh(k: string): { rest: string; word: string; place: string } | null {
    const region = this.units.abroad.regions.flatMap((r) => r.words.filter((w) => hasCjk(w) && k.endsWith(w) && k.length - w.length >= 2).map((word) => ({ word, place: r.name }))).sort((a, b) => b.word.length - a.word.length)[0];
    if (region) return { rest: k.slice(0, -region.word.length), ...region };
    const country = this.resolver?.gazetteer.detect(k).mentions.find((m) => hasCjk(m.text) && k.endsWith(m.text) && k.length - m.text.length >= 2);
    return country ? { rest: k.slice(0, -country.text.length), word: country.text, place: country.code } : null;
  }

  /** A Chinese company's registered name without its leading place, or a unit named after a company's Chinese brand. */
  private chineseFormHits(part: string, written: string | null, hits: Map<string, Hit>, namesakes: Similar[], key?: string): void {
    const k = key ?? cjkKey(part);
    // A place after the name places it as in English ("华为云非洲" is "Huawei Cloud Africa"): the name before it read there.
    const placed = key === undefined ? this.trailingPlaceZh(k) : null;
    if (placed) {
      this.chineseFormHits(part, placed.place, hits, namesakes, placed.rest);
      // The company's own Chinese name before the place (华为拉美): the company there, a question where it is not listed there.
      for (const n of this.cjkNames) {
        if (n.cjk !== placed.rest || n.name.kind === 'subsidiary' || n.name.source?.startsWith(DERIVED)) continue;
        // A brand that is a unit's name (阿里云, the cloud business) is that unit wherever it sits, as "Alibaba Cloud Singapore" is.
        const unit = n.name.source && this.companies.has(n.entry) && this.units.unitSuffixesZh.find((w) => n.cjk.endsWith(w));
        if (unit) {
          this.addNameHit(
            n,
            part,
            'translated',
            1,
            hits,
            `"${part}" names a unit of ${n.entry.name}: the company's Chinese name "${n.name.value}" (${n.name.source}), ending in "${unit}", a word naming a unit, with "${placed.word}", a place, after it (${this.units.file})${this.abroad(n, placed.place)}`,
            null,
            '',
            {
              via: part,
              how: `a unit named after ${n.entry.name}, not the listed company itself`,
              relation: 'company-unit',
            },
          );
          continue;
        }
        const other = this.namesake(n, placed.rest, placed.place);
        if (other) {
          if (!namesakes.some((x) => x.list === n.list.id && x.entry === n.entry.name)) namesakes.push({ ...namesakeEntry(n), why: `"${part}" is the listed Chinese name "${n.name.value}" with "${placed.word}", a place, after it, but ${other.why}`, ...placing(other) });
        } else this.addNameHit(n, part, 'translated', 1, hits, `"${part}" is the listed Chinese name "${n.name.value}"${n.name.source ? ` (${n.name.source})` : ''} with "${placed.word}" (${this.placeName(placed.place)}), where it is listed, after it`);
      }
    }
    for (const n of this.cjkNames) {
      if (n.name.kind === 'subsidiary') continue;
      const nk = n.cjk;
      // Registered names begin with the place a company is registered in: 杭州海康威视数字技术股份有限公司
      // is written 海康威视数字技术股份有限公司 too. The place is the one its English listed name begins with.
      if (k.length >= 8 && k.endsWith('公司') && nk.length > k.length && nk.endsWith(k)) {
        const place = this.tokensOfListed(n.entry.name)[0] ?? '';
        const chars = place.match(/[aeiouv]+/g)?.length ?? 0;
        const prefix = nk.slice(0, nk.length - k.length);
        if ((this.resolver?.gazetteer.isPlace(place) ?? false) && (prefix.length === chars || (prefix.length === chars + 1 && /[省市]$/.test(prefix)))) {
          this.addNameHit(n, part, 'translated', 1, hits, `"${part}" is the listed Chinese name "${n.name.value}"${n.name.source ? ` (${n.name.source})` : ''} without its leading place "${prefix}" (${place}, where the listed name places it)`);
        }
      }
      // A company's Chinese name written without its legal form: 中国电子科技集团 for 中国电子科技集团有限公司 (data/lists/aliases.json without_legal_form_zh).
      const form = this.units.legalFormsZh.find((f) => nk.endsWith(f));
      if (form && k.length >= 4 && nk === k + form && n.name.source?.startsWith(DERIVED) !== true && this.companies.has(n.entry)) {
        this.addNameHit(n, part, 'translated', 1, hits, `"${part}" is the listed company's Chinese name "${n.name.value}"${n.name.source ? ` (${n.name.source})` : ''} without "${form}", its legal form (${this.units.file} without_legal_form_zh)`);
        continue;
      }
      // A company named after a listed institution's Chinese name: 清华控股有限公司, 北航科技.
      if (k.length > nk.length && k.startsWith(nk) && this.units.namedAfter.companyWordsZh.some((w) => k.endsWith(w)) && this.isInstitution(n.entry)) {
        this.namedAfter(n, part, k.slice(nk.length), namesakes);
        continue;
      }
      // A company's Chinese brand with company words or a legal form after it is the company: 阿里巴巴集团, 华为公司; so it is
      // with words naming its line of business before them (华为软件技术有限公司: units.business_words_zh).
      let rest = k.slice(nk.length);
      if (n.name.source && !n.name.source.startsWith(DERIVED) && this.companies.has(n.entry) && k.length > nk.length && k.startsWith(nk) && this.companyWordZh(rest)) {
        for (let w = this.companyWordZh(rest) ?? this.businessWordZh(rest); w; w = this.companyWordZh(rest) ?? this.businessWordZh(rest)) rest = rest.slice(0, -w.length);
        const business = this.units.businessWordsZh.some((w) => k.slice(nk.length + rest.length).includes(w));
        if (rest === '') {
          this.addNameHit(
            n,
            part,
            'translated',
            1,
            hits,
            `"${part}" is the listed company's Chinese name "${n.name.value}" (${n.name.source}) with "${k.slice(nk.length)}", ${business ? 'business and ' : ''}company words (${this.units.file} named_after company_words_zh${business ? ', units.business_words_zh' : ''}), after it`,
          );
          continue;
        }
      }
      // A unit named after a company's Chinese brand: 华为诺亚方舟实验室, and a company named after that unit (华为云计算技术有限公司: 华为云, then business and company words).
      if ((n.name.kind === 'short' || n.name.kind === 'chinese') && n.name.source && !n.name.source.startsWith(DERIVED) && this.companies.has(n.entry) && k.length > nk.length && k.startsWith(nk)) {
        // After a unit word, words naming its business alone (阿里云计算, 华为云计算): the unit's business, as with a legal form after them.
        for (let w = this.businessWordZh(rest); w && !this.units.unitSuffixesZh.some((u) => rest.endsWith(u)); w = this.businessWordZh(rest)) rest = rest.slice(0, -w.length);
        // A brand that is itself a unit's name (阿里云, the cloud business) takes its business words directly (阿里云计算).
        const unitName = rest === '' && this.units.unitSuffixesZh.some((w) => nk.endsWith(w)) ? nk : rest;
        const suffix = this.units.unitSuffixesZh.find((w) => unitName.endsWith(w));
        if (!suffix || this.units.otherWordsZh.some((w) => rest.includes(w))) continue;
        const abroad = this.abroad(n, written);
        const other = abroad ? null : this.namesake(n, nk, written);
        if (other) {
          if (!namesakes.some((x) => x.list === n.list.id && x.entry === n.entry.name)) namesakes.push({ ...namesakeEntry(n), why: `"${part}" names a unit after "${n.name.value}", but ${other.why}`, ...placing(other) });
          continue;
        }
        const after = k.slice(nk.length + rest.length);
        const company = this.companyWordZh(after) !== undefined;
        const named =
          after === ''
            ? `ends "${suffix}", a word naming a unit`
            : `${rest === '' ? 'ends' : `goes on "${rest}", ending`} in "${suffix}", a word naming a unit, then "${after}", words naming its business${company ? ' and a company (units.business_words_zh, named_after company_words_zh): a company of that unit' : " (units.business_words_zh): that unit's business"}`;
        this.addNameHit(n, part, 'translated', 1, hits, `"${part}" names a unit of ${n.entry.name}: it begins with the company's Chinese name "${n.name.value}" (${n.name.source}) and ${named} (${this.units.file})${abroad}`, null, '', {
          via: part,
          how: `a unit named after ${n.entry.name}, not the listed company itself`,
          relation: 'company-unit',
        });
      }
    }
  }

  /** How the service written stands to the entry's list: the service it names, or that one's successor ("Information Support Force"). */
  private serviceSaid(entry: RiskEntry, service: { name: string; names: string[][]; succeeds: string[] }): string {
    if (this.namesService(entry, service.names)) return 'the service its list names it under';
    return `the ${service.name}, the successor of the ${service.succeeds.join(' or ')} its list names it under (armed_forces.services succeeds)`;
  }

  /** Whether a list's own words about an entry (ASPI's description) name one of a service's names ("Strategic Support Force"). */
  private namesService(entry: RiskEntry, names: string[][]): boolean {
    const text = ` ${screenTokens(entry.sourceText ?? '').join(' ')} `;
    return names.some((name) => text.includes(` ${name.join(' ')} `));
  }

  /** The business word (data/lists/aliases.json units.business_words_zh) a Chinese name ends in, the longest, or undefined. */
  private businessWordZh(text: string): string | undefined {
    return this.units.businessWordsZh.filter((w) => text.endsWith(w)).sort((a, b) => b.length - a.length)[0];
  }

  /** The company word (data/lists/aliases.json named_after company_words_zh) a Chinese name ends in, the longest, or undefined. */
  private companyWordZh(text: string): string | undefined {
    return this.units.namedAfter.companyWordsZh.filter((w) => text.endsWith(w)).sort((a, b) => b.length - a.length)[0];
  }

  /**
   * A unit of a listed company is that company wherever it sits (data/lists/aliases.json, units.abroad):
   * the country written in the string does not set it apart as it sets apart the company's bare name.
   * The words to say so in the hit's evidence, or '' when the string names no other country.
   */
  private abroad(n: IndexedName, written: string | null): string {
    const own = this.entryCountry.get(n.entry);
    if (!written || !own || this.within(written, own) || [...this.countriesNamedIn(n.name.value)].some((c) => this.within(written, c))) return '';
    return `; the string places it in ${this.placeName(written)}, the listed company in ${own}: a unit or subsidiary abroad is still the listed group`;
  }

  /**
   * A unit abroad named after a company whose name is only places and common words ("China Mobile
   * Games Studio Paris") may be any company of that name there, not the listed group's unit, as
   * "Huawei Paris Research Center" is: a namesake the string places abroad (ambiguous, never a clearance).
   */
  private commonBrandAbroad(n: IndexedName, part: string, written: string): NamesakeWhy | null {
    const isPlace = (w: string) => this.resolver?.gazetteer.isPlace(w) ?? false;
    if (!n.tokens.every((t) => isPlace(t) || (this.wordCounts.get(t) ?? 0) >= COMMON_WORD)) return null;
    const own = this.entryCountry.get(n.entry)!;
    return {
      why: `"${part}" names a unit after "${n.name.value}", a name of places and common words only that any company may bear, and the string places it in ${this.placeName(written)}, the listed company in ${countryName(own)}`,
      placed: { listed: own, written },
    };
  }

  /** Whether an entry's name may open a unit's name: a company's, of two words or more, or curated with its source. */
  private opensUnit(n: IndexedName): boolean {
    if (!this.companies.has(n.entry) || n.name.kind === 'subsidiary' || n.name.kind === 'chinese') return false;
    if (n.tokens.length >= 2 && !n.acronym) return true;
    return n.name.kind === 'short' && n.name.source !== undefined && !n.name.source.startsWith(DERIVED);
  }

  /** The institution and its ROR parents, nearest first. */
  private ancestry(rorId: string): string[] {
    const out = [rorId];
    for (let i = 0; i < out.length && out.length < 6; i++) {
      for (const p of this.resolver?.institution(out[i]!)?.parents ?? []) if (!out.includes(p)) out.push(p);
    }
    return out;
  }

  /**
   * Listed names nearest the query that are not what it names, each with why it was not taken:
   * the words it does not share. Beside real hits only names sharing two thirds of their words
   * are shown; with no hit, the ten sharing the rarest words, so that nothing reads as clear.
   */
  private similarNames(parts: string[], hits: Map<string, Hit>, namesakes: Similar[]): Similar[] {
    const best = new Map<string, Similar & { rank: number }>();
    const shown = new Set(namesakes.map((s) => `${s.list}\u0000${s.entryId}`));
    // A rare word shared says more than a common one: "Harbin" more than "Factory".
    const weight = (t: string) => 1 / Math.log(2 + (this.byToken.get(t)?.length ?? 0));
    const hitOrganisations = new Set([...hits.values()].map((h) => h.organisation));
    for (const part of parts) {
      const tokens = screenTokens(part);
      if (tokens.length < 1) continue;
      // A listed name sharing several of a long part's rare words is weighed once: again it changes nothing (round 50, busy54).
      const weighed = new Set<IndexedName>();
      for (const t of this.rarest(tokens, Math.max(1, Math.ceil(tokens.length / 2)))) {
        if (GENERIC_WORDS.has(t)) continue;
        for (const n of this.byToken.get(t) ?? []) {
          if (weighed.has(n)) continue;
          weighed.add(n);
          if (hits.has(`${n.list.id}\u0000${n.entry.id}`) || shown.has(`${n.list.id}\u0000${n.entry.id}`)) continue;
          // One organisation is one candidate, with every list that names it.
          const key = this.organisationId(n.entry);
          if (hitOrganisations.has(key)) continue;
          const score = overlap(tokens, n.tokens);
          if (hits.size > 0 && score < 0.67) continue;
          const union = new Set([...tokens, ...n.tokens]);
          const mine = new Set(tokens);
          const rank = [...union].filter((w) => mine.has(w) && n.tokens.includes(w)).reduce((a, w) => a + weight(w), 0) / [...union].reduce((a, w) => a + weight(w), 0);
          const old = best.get(key);
          if (old && !old.listName.split('; ').includes(listName(n.list))) old.listName += `; ${listName(n.list)}`;
          if ((old?.rank ?? 0) >= rank) continue;
          best.set(key, {
            list: n.list.id,
            listName: old ? old.listName : listName(n.list),
            entry: n.entry.name,
            entryId: n.entry.id,
            level: old && LEVELS.indexOf(old.level) < LEVELS.indexOf(n.entry.level) ? old.level : n.entry.level,
            score: Number(score.toFixed(3)),
            why: notTaken(part, tokens, n),
            rank,
          });
        }
      }
    }
    return [...best.values()]
      .sort((a, b) => b.rank - a.rank || a.entry.localeCompare(b.entry))
      .slice(0, 10)
      .map(({ rank: _r, ...s }) => s);
  }
}

/** Whether `run` occurs in `tokens` as consecutive words. */
/** A name's letters and digits run together, as a name written without spaces reads ("Harbin Institute of Technology": "harbininstituteoftechnology"). */
const gluedKey = (name: string): string => foldText(name).replace(/ /g, '');

function containsRun(tokens: string[], run: string[]): boolean {
  if (run.length === 0 || run.length > tokens.length) return false;
  for (let i = 0; i + run.length <= tokens.length; i++) if (run.every((t, j) => tokens[i + j] === t)) return true;
  return false;
}

/** Why a listed name sharing words with the query is not taken: the words that differ. */
function notTaken(part: string, tokens: string[], n: IndexedName): string {
  const mine = new Set(tokens);
  const theirs = new Set(n.tokens);
  const onlyMine = [...mine].filter((t) => !theirs.has(t));
  const onlyTheirs = [...theirs].filter((t) => !mine.has(t));
  const shares = [...mine].filter((t) => theirs.has(t));
  const diff = onlyMine.length && onlyTheirs.length ? `"${onlyMine.join(' ')}" here, "${onlyTheirs.join(' ')}" in the list` : onlyTheirs.length ? `the listed name adds "${onlyTheirs.join(' ')}"` : `"${part}" adds "${onlyMine.join(' ')}"`;
  return `shares "${shares.join(' ')}" with the listed name "${n.name.value}", but ${diff}: a different name, not a spelling slip`;
}

const GENERIC_WORDS = new Set(['university', 'institute', 'academy', 'college', 'school', 'of', 'and', 'the', 'technology', 'science', 'sciences', 'research', 'china', 'chinese', 'national', 'group', 'company']);

let catalogueNames: Map<string, string> | null = null;

/**
 * A list's short name as people call it: its own short_name, the catalogue's (a list stored
 * before the catalogue named it), or its title.
 */
export function listName(list: RiskList): string {
  const short = list.provenance.short_name;
  if (typeof short === 'string' && short.trim() !== '') return short;
  catalogueNames ??= catalogueShortNames();
  return catalogueNames.get(list.id) ?? list.provenance.title;
}

export const levelWords = (level: Level): string => level.replace('-', ' ');

// Made on first use: loading the display names costs a start-up that never names a country.
let regionNames: Intl.DisplayNames | null = null;
// Remembered: screening names places for every string it reads, and Intl's lookup (a throw for a
// code it does not know) made that most of a whole corpus's screening time.
const countryNames = new Map<string, string>();
/** "US" → "United States"; a code Intl does not know is shown as it is. */
export const countryName = (code: string): string => {
  let name = countryNames.get(code);
  if (name === undefined) {
    try {
      name = (regionNames ??= new Intl.DisplayNames(['en'], { type: 'region' })).of(code) ?? code;
    } catch {
      name = code;
    }
    // Bounded: a server screens what users write, and a code is not always a code.
    if (countryNames.size < 4096) countryNames.set(code, name);
  }
  return name;
};

function groupOrganisations(hits: Hit[], nameOf: (id: string) => string | undefined): Organisation[] {
  const byId = new Map<string, Hit[]>();
  for (const h of hits) push(byId, h.organisation, h);
  return [...byId.entries()].map(([id, listings]) => ({ id, name: nameOf(id) ?? listings[0]!.entry, level: listings[0]!.level, listings })).sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || a.name.localeCompare(b.name));
}

export class ScreenError extends ValidationError {}

/** The pieces one field's reading into parties may screen are spent (several.maxPieces): caught by boundedParties. */
class PartyBudgetSpent extends Error {}

/** The text each name hit was read from (addNameHit): where in a field its party is written (moreSevereListed). */
const readFrom = new WeakMap<Hit, string>();

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** One hit per list entry: the most direct match wins (own name over alias over inherited). */
function add(hits: Map<string, Hit>, hit: Hit): void {
  const key = `${hit.list}\u0000${hit.entryId}`;
  const old = hits.get(key);
  const rank = (h: Hit) => (h.inherited ? 0 : 10) + MATCH_RANK[h.match] + h.score;
  if (!old || rank(hit) > rank(old)) hits.set(key, hit);
}

const sortHits = (hits: Hit[]): Hit[] => hits.sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || a.list.localeCompare(b.list) || a.entry.localeCompare(b.entry));

/** The stable contract for scripts: hits hold only entries the name denotes; `state` says what the answer means. */
export const screenJson = (r: ScreenResult) => ({
  query: r.query,
  state: r.state,
  level: r.level,
  headline: r.headline,
  hits: r.hits.map((h) => ({ list: h.list, entry: h.entry, level: h.level, match: h.match, score: h.score, inherited: h.inherited, same_as: h.sameAs, list_name: h.listName, list_version: h.listVersion, organisation: h.organisation, evidence: h.evidence })),
  organisations: r.organisations.map((o) => ({ id: o.id, name: o.name, level: o.level, listings: o.listings.map((h) => ({ list: h.list, list_name: h.listName, entry: h.entry, level: h.level, match: h.match, how: h.sameAs ? `same organisation as "${h.sameAs.entry}"` : matchWords(h) })) })),
  choices: r.choices,
  similar: r.similar.map(({ countries: _c, placed: _p, lone: _l, namedAfter: _n, ...s }) => s),
  registry_candidates: r.registryCandidates,
  institutions: r.institutions,
  listed_parts: r.listedParts.map(listedPartJson),
  related: r.related.map(listedPartJson),
});
const listedPartJson = (p: ListedPart) => ({ ror_id: p.rorId, name: p.name, level: p.level, listings: p.listings.map((l) => ({ list: l.list, list_name: l.listName, entry: l.entry, level: l.level })), ...(p.tie ? { tie: p.tie } : {}) });

/** How a hit matched, in words (the evidence column says how, not the name again). */
export function matchWords(h: Hit): string {
  const base = { exact: 'its listed name', alias: 'a listed alias or short name', translated: 'its Chinese name', ticker: 'its stock code', registry: 'its registry record', fuzzy: `a near spelling (score ${h.score})` }[h.match];
  return h.inherited ? `${base}, ${relationWords(h.inherited)}` : base;
}

/** How what was screened stands to the listed entry, in words. */
export const relationWords = (i: NonNullable<Hit['inherited']>): string => (i.relation === 'successor' ? `through ${i.via}, successor of the withdrawn or inactive registry record named` : i.relation === 'company-unit' ? `as "${i.via}", a unit named after the company` : `as a part of ${i.via}`);

/** Quotes a pasted field may be wrapped in, opening → closing. */
const OUTER_QUOTES = new Map([
  ['"', '"'],
  ["'", "'"],
  ['“', '”'],
  ['”', '”'],
  ['„', '“'],
  ['‘', '’'],
  ['«', '»'],
  ['‹', '›'],
  ['「', '」'],
]);

/** A note after a headline, in brackets, ending in one full stop however the note ends (round 50: "…Covered List)..)"). */
const withNote = (headline: string, note: string): string => `${headline} (${note.replace(/\.$/u, '')}.)`;

/**
 * A party field's key, as a whole name's: screenKey, whose key of a Chinese name keeps its Chinese characters alone, with
 * the words in Latin letters of a field mixing both after it. Round 49 (sep52): "清华大学 and Huawei" keyed as 清华大学 was
 * read whole as Tsinghua, never cut at "and".
 */
function fieldKey(text: string): string {
  const key = screenKey(text);
  return hasCjk(text) && /\p{Script=Latin}{2}/u.test(text) ? `${key} ${screenTokens(text.replace(/[\u3400-\u9fff\uf900-\ufaff]/g, ' ')).join(' ')}` : key;
}

/**
 * A field's invisible characters: a space where one glues a link word to a word, dropped elsewhere (partyFieldText; a batch's names, read the same).
 * Every format character (INVISIBLE, the class names drop) counts, not only zero-width ones: round 49 (sep52), a soft hyphen,
 * a direction mark or a bidi isolate between words ("ETH Zurich\u00ADand\u00ADHuawei") glued the link to the names.
 */
export function invisiblesRead(field: string): string {
  const link = (w: string) => w.length >= 2 && w === w.toLowerCase() && isLink(w);
  // A link word written apart on its other side (a space, the field's end), or before a capitalised name: a syllable
  // between soft hyphens may be a link word ("Oxf\u00ADor\u00ADd", "tele\u00ADcon\u00ADference").
  const named = (w: string) => /^\p{Lu}/u.test(w.replace(new RegExp(`^(?:\\s|${INVISIBLE.source})+`, 'u'), ''));
  const apart = (i: number) => i < 0 || i >= field.length || /\s/u.test(field[i]!);
  // The words either side are looked at from the invisible characters only: a pattern opening with the letters before them
  // tried every letter of a long run again (a field of 30,000 Chinese characters took 10 s; round 49, bound52).
  const run = `(?:${INVISIBLE.source})+`;
  return field.replace(new RegExp(`${run}(?<=(\\p{L}*)${run})(?=(\\p{L}*))`, 'gu'), (m: string, before: string, after: string, at: number) => {
    const end = at + m.length + after.length;
    return (link(before) && after !== '' && (apart(at - before.length - 1) || named(after))) || (before !== '' && link(after) && (apart(end) || named(field.slice(end, end + 64)))) ? ' ' : '';
  });
}

/**
 * A party field as its words: invisible characters dropped (as in a name: "Hua\u200Bwei" is Huawei, "i\u200BFlytek" iFlytek),
 * except where dropping one glues a link word to a word, when it is a space: a link of two letters or more written in small
 * letters as a word, before another ("ETH Zurich and\u200BHuawei") or after one ("ETH Zurich\u200Band Huawei"); a
 * one-letter link ("i", "y") is as often a name's first letter. Quotes wrapping the whole field are taken off (a copy from a
 * document or a spreadsheet cell).
 */
export function partyFieldText(field: string, commas = true): string {
  // Braces are brackets no name holds: "ETH Zurich {Huawei}" is read as "ETH Zurich (Huawei)" (round 49, sep52: unknown, Huawei not shown).
  let text = (commas ? commasRead : (t: string) => t)(invisiblesRead(field)).replace(/\{([^{}]*)\}/gu, '($1)');
  for (;;) {
    const t = text.trim();
    const close = OUTER_QUOTES.get(t[0] ?? '');
    if (t.length < 2 || close === undefined || !t.endsWith(close) || t.slice(1, -1).includes(t[0]!) || t.slice(1, -1).includes(close)) return text;
    text = t.slice(1, -1);
  }
}
