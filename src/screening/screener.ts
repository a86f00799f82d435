import { hasCjk, segments } from '../resolve/normalize.ts';
import type { AffiliationResolver } from '../resolve/matcher.ts';
import type { EntryName, Level, RiskEntry, RiskList } from './lists.ts';
import { LEVELS } from './lists.ts';
import { cjkKey, fuzzyScore, isAcronym, isNondistinctive, overlap, screenKey, screenTokens } from './names.ts';

export type MatchKind = 'exact' | 'alias' | 'translated' | 'registry' | 'fuzzy';

export interface Hit {
  list: string;
  listTitle: string;
  listVersion: string;
  entry: string;
  entryId: string;
  level: Level;
  category: string | null;
  match: MatchKind;
  score: number;
  /** The name of the entry that matched, as the list writes it. */
  matchedName: string;
  /** Set when the query names a part of the listed organisation rather than the organisation itself. */
  inherited: { via: string; how: string } | null;
  evidence: string;
  sourceText: string | null;
  url: string | null;
}

export interface Similar {
  list: string;
  entry: string;
  entryId: string;
  level: Level;
  score: number;
  why: string;
}

export interface ScreenResult {
  query: string;
  /** What the registry makes of the query, when a registry is loaded. */
  institutions: { rorId: string; name: string; countryCode: string | null; tier: string }[];
  hits: Hit[];
  similar: Similar[];
}

interface IndexedName {
  list: RiskList;
  entry: RiskEntry;
  name: EntryName;
  tokens: string[];
  acronym: boolean;
}

/** An entry linked to a ROR institution, and how the link was made. */
export interface EntryLink {
  list: RiskList;
  entry: RiskEntry;
  how: string;
}

const MATCH_RANK: Record<MatchKind, number> = { exact: 5, alias: 4, translated: 4, registry: 3, fuzzy: 2 };
const ORGANISATION_SUFFIX = /(大学|学院|研究院|研究所|公司|集团|中心|实验室|科学院|工程院)$/;
const UNIT_SUFFIX = /^(.{0,12}?)(学院|系|研究所|实验室|重点实验室|研究中心|中心|研究院|分院|医院)$/;

/**
 * Screens names and affiliation strings against risk lists. A name is looked up whole and part by
 * part; a part matches an entry's own name, an alias (acronyms only as a whole part), its Chinese
 * name, the ROR record the entry is linked to, or a near-identical spelling. A part of a listed
 * organisation (an ASPI subsidiary, a ROR child) yields the listed entry marked as inherited.
 */
export class Screener {
  private readonly byKey = new Map<string, IndexedName[]>();
  private readonly byToken = new Map<string, IndexedName[]>();
  private readonly cjkNames: IndexedName[] = [];
  private readonly entryCountry = new Map<RiskEntry, string | null>();
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

  constructor(
    readonly lists: RiskList[],
    private readonly resolver?: AffiliationResolver,
    private readonly links: Map<string, EntryLink[]> = new Map(),
    private readonly countriesByName: Map<string, Set<string>> = new Map(),
  ) {
    for (const key of countriesByName.keys()) for (const t of new Set(key.split(' '))) this.wordCounts.set(t, (this.wordCounts.get(t) ?? 0) + 1);
    for (const list of lists) {
      for (const entry of list.entries) {
        this.entryCountry.set(entry, entry.country && resolver ? resolver.gazetteer.countryCodeOf(entry.country) : null);
        for (const name of entry.names) {
          const indexed: IndexedName = { list, entry, name, tokens: screenTokens(name.value), acronym: isAcronym(name.value) };
          const key = screenKey(name.value);
          // Two Han characters name many things; only a curated short name ("华为") may be that short.
          if (key === '' || (hasCjk(name.value) && key.length < (name.kind === 'short' ? 2 : 3)) || (!hasCjk(name.value) && isNondistinctive(indexed.tokens, (w) => resolver?.gazetteer.isPlace(w) ?? false))) continue;
          push(this.byKey, key, indexed);
          if (hasCjk(name.value)) this.cjkNames.push(indexed);
          else if (!indexed.acronym) for (const t of new Set(indexed.tokens)) push(this.byToken, t, indexed);
        }
      }
    }
  }

  screen(query: string): ScreenResult {
    const text = query.normalize('NFKC').trim();
    if (text === '') throw new ScreenError('empty name: give a name or a ROR id to screen');
    const hits = new Map<string, Hit>();
    const namesakes: Similar[] = [];
    const resolution = this.resolver?.resolve(text);
    const institutions = (resolution?.institutions ?? []).filter((m) => m.tier !== 'possible');
    const country = this.resolver?.gazetteer.detect(text).countryCode ?? institutions.find((m) => m.primary)?.countryCode ?? null;
    const parts = segments(text);
    this.nameHits(screenKey(text), text, true, country, hits, namesakes);
    // When the whole string is a listed name, an organisation named in one of its parts is the
    // listed parent of that unit ("Academy of Military Medical Sciences, Field Blood Transfusion
    // Institution"): shown as inherited through the unit.
    const unit = [...hits.values()].find((h) => !h.inherited)?.entry ?? null;
    if (parts.length > 1) for (const part of parts) this.nameHits(screenKey(part), part, false, country, hits, namesakes, unit);
    // Only an exact registry name counts: a strong match ("Nanjing University" inside "Nanjing
    // University of Posts and Telecommunications") is a guess, not grounds for a flag.
    for (const m of institutions.filter((i) => i.tier === 'exact')) this.registryHits(m.rorId, `the registry resolves "${text}" to ${m.name} (${m.rorId}, ${m.tier}: ${m.evidence})`, m.score, hits, unit);
    return {
      query,
      institutions: institutions.map((m) => ({ rorId: m.rorId, name: m.name, countryCode: m.countryCode, tier: m.tier })),
      hits: sortHits([...hits.values()]),
      similar: [...namesakes, ...this.similarNames(parts.length > 1 ? parts : [text], hits, namesakes)],
    };
  }

  /** Screens a registry institution: its own names, its links, and the links of its parents. */
  screenRor(rorId: string): ScreenResult {
    const id = rorId.replace(/^https?:\/\/ror\.org\//, '').trim();
    const inst = this.resolver?.institution(id);
    if (!inst) throw new ScreenError(`unknown ROR id ${JSON.stringify(rorId)}: not in the loaded registry`);
    const hits = new Map<string, Hit>();
    const namesakes: Similar[] = [];
    this.nameHits(screenKey(inst.name), inst.name, true, inst.countryCode, hits, namesakes);
    this.registryHits(id, `ROR record ${id} (${inst.name})`, 1, hits);
    return {
      query: rorId,
      institutions: [{ rorId: id, name: inst.name, countryCode: inst.countryCode, tier: 'exact' }],
      hits: sortHits([...hits.values()]),
      similar: [...namesakes, ...this.similarNames([inst.name], hits, namesakes)],
    };
  }

  /**
   * A name matches only where the country agrees: the string's own country, or else the one place
   * the registry knows that name in. "Northeastern University" alone is Boston's as much as
   * Shenyang's, so it is shown as a namesake, not a hit.
   */
  private namesake(n: IndexedName, key: string, country: string | null): string | null {
    const own = this.entryCountry.get(n.entry);
    if (!own) return null;
    if (country) return country === own ? null : `same name, but the string is in ${country} and the listed entry in ${own}`;
    const abroad = [...(this.countriesByName.get(key) ?? [])].filter((c) => c !== own);
    return abroad.length > 0 ? `the string names no country, and the registry also knows "${n.name.value}" in ${abroad.join(', ')}` : null;
  }

  private nameHits(key: string, part: string, whole: boolean, country: string | null, hits: Map<string, Hit>, namesakes: Similar[], unit: string | null = null): void {
    if (key === '') return;
    for (const n of this.byKey.get(key) ?? []) {
      if ((n.name.kind === 'subsidiary' || (unit && n.acronym)) && !whole) continue;
      const why = this.namesake(n, key, country);
      if (why) {
        if (!namesakes.some((s) => s.list === n.list.id && s.entry === n.entry.name)) namesakes.push({ list: n.list.id, entry: n.entry.name, entryId: n.entry.id, level: n.entry.level, score: 1, why });
        continue;
      }
      this.addNameHit(n, part, n.name.kind === 'primary' ? 'exact' : n.name.kind === 'chinese' || (n.name.kind === 'short' && hasCjk(n.name.value)) ? 'translated' : 'alias', n.acronym ? 0.9 : 1, hits, undefined, unit);
    }
    if (hasCjk(part)) {
      const k = cjkKey(part);
      for (const n of this.cjkNames) {
        const nk = cjkKey(n.name.value);
        // Only an organisation's full Chinese name can head a unit's name; a bracketed place
        // ("（武汉）") cannot.
        if (nk === k || n.name.kind === 'subsidiary' || !ORGANISATION_SUFFIX.test(nk)) continue;
        const unit = k.startsWith(nk) ? UNIT_SUFFIX.exec(k.slice(nk.length)) : null;
        if (unit && !unit[0].includes('大学')) this.addNameHit(n, part, 'translated', 0.95, hits, `"${part}" is a unit (${unit[0]}) of ${n.name.value}`);
      }
      return;
    }
    const tokens = screenTokens(part);
    if (tokens.length < 2) return;
    const seen = new Set<IndexedName>();
    for (const t of this.rarest(tokens, 2)) {
      for (const n of this.byToken.get(t) ?? []) {
        if (seen.has(n) || n.tokens.length !== tokens.length) continue;
        seen.add(n);
        if (n.name.kind === 'subsidiary' && !whole) continue;
        if (country && !this.sameCountry(n.entry, country)) continue;
        const score = fuzzyScore(tokens, n.tokens, this.distinctWords);
        if (score > 0 && score < 1) this.addNameHit(n, part, 'fuzzy', Number(score.toFixed(3)), hits);
      }
    }
  }

  /**
   * The query's least common words: a name spelled nearly alike shares at least one of them
   * exactly, and looking only there keeps "University" from pulling in thousands of names.
   */
  private rarest(tokens: string[], n: number): string[] {
    return [...new Set(tokens)].sort((a, b) => (this.byToken.get(a)?.length ?? 0) - (this.byToken.get(b)?.length ?? 0)).slice(0, n);
  }

  private sameCountry(entry: RiskEntry, country: string | null): boolean {
    const own = this.entryCountry.get(entry);
    return country === null || !own || own === country;
  }

  private addNameHit(n: IndexedName, part: string, match: MatchKind, score: number, hits: Map<string, Hit>, detail?: string, unit: string | null = null): void {
    const subsidiary = n.name.kind === 'subsidiary';
    const parentOfUnit = unit !== null && unit !== n.entry.name ? { via: unit, how: `the string names ${unit} as a unit of ${n.entry.name}` } : null;
    const what = n.name.kind === 'primary' ? 'listed name' : n.name.kind === 'chinese' ? 'Chinese name' : n.name.kind === 'short' ? 'short name' : subsidiary ? 'name of a listed subsidiary or laboratory' : 'listed alias';
    const how = detail ?? `"${part}" ${match === 'fuzzy' ? `is spelled like (score ${score})` : 'is'} the ${what} "${n.name.value}"${n.name.source ? ` (${n.name.source})` : ''}`;
    add(hits, {
      list: n.list.id,
      listTitle: n.list.provenance.title,
      listVersion: n.list.version,
      entry: n.entry.name,
      entryId: n.entry.id,
      level: n.entry.level,
      category: n.entry.category,
      match: subsidiary ? 'alias' : match,
      score,
      matchedName: n.name.value,
      inherited: subsidiary ? { via: n.name.value, how: `listed by ${n.list.id} as a subsidiary or laboratory of ${n.entry.name}` } : parentOfUnit,
      evidence: how,
      sourceText: n.entry.sourceText,
      url: n.entry.url,
    });
  }

  private registryHits(rorId: string, why: string, score: number, hits: Map<string, Hit>, unit: string | null = null): void {
    const chain = this.ancestry(rorId);
    chain.forEach((id, depth) => {
      for (const link of this.links.get(id) ?? []) {
        const parent = depth > 0 ? this.resolver?.institution(id) : undefined;
        const namedUnit = !parent && unit !== null && unit !== link.entry.name;
        add(hits, {
          list: link.list.id,
          listTitle: link.list.provenance.title,
          listVersion: link.list.version,
          entry: link.entry.name,
          entryId: link.entry.id,
          level: link.entry.level,
          category: link.entry.category,
          match: 'registry',
          score: Number(score.toFixed(3)),
          matchedName: link.entry.name,
          inherited: parent
            ? { via: `${parent.name} (${id})`, how: `${rorId} is part of ${parent.name} in the ROR registry` }
            : namedUnit
              ? { via: unit, how: `the string names ${unit} as a unit of ${link.entry.name}` }
              : null,
          evidence: `${why}; ${id} is linked to the entry (${link.how})`,
          sourceText: link.entry.sourceText,
          url: link.entry.url,
        });
      }
    });
  }

  /** The institution and its ROR parents, nearest first. */
  private ancestry(rorId: string): string[] {
    const out = [rorId];
    for (let i = 0; i < out.length && out.length < 6; i++) {
      for (const p of this.resolver?.institution(out[i]!)?.parents ?? []) if (!out.includes(p)) out.push(p);
    }
    return out;
  }

  /** Listed names that share most words with the query but are not what it names. */
  private similarNames(parts: string[], hits: Map<string, Hit>, namesakes: Similar[]): Similar[] {
    const best = new Map<string, Similar>();
    const shown = new Set(namesakes.map((s) => `${s.list}\u0000${s.entryId}`));
    for (const part of parts) {
      const tokens = screenTokens(part);
      if (tokens.length < 2) continue;
      for (const t of this.rarest(tokens, Math.ceil(tokens.length / 2))) {
        for (const n of this.byToken.get(t) ?? []) {
          const key = `${n.list.id}\u0000${n.entry.id}`;
          if (hits.has(key) || shown.has(key)) continue;
          const score = overlap(tokens, n.tokens);
          // Beside real hits, only names closer than half shared words are worth a look.
          if (score < (hits.size > 0 ? 0.67 : 0.5) || (best.get(key)?.score ?? 0) >= score) continue;
          best.set(key, { list: n.list.id, entry: n.entry.name, entryId: n.entry.id, level: n.entry.level, score: Number(score.toFixed(3)), why: `"${part}" shares ${Math.round(score * 100)}% of its words with "${n.name.value}" but is a different name` });
        }
      }
    }
    return [...best.values()].sort((a, b) => b.score - a.score || a.entry.localeCompare(b.entry)).slice(0, 10);
  }
}

export class ScreenError extends Error {}

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

const sortHits = (hits: Hit[]): Hit[] =>
  hits.sort((a, b) => LEVELS.indexOf(a.level) - LEVELS.indexOf(b.level) || a.list.localeCompare(b.list) || a.entry.localeCompare(b.entry));

/** The stable contract for scripts: hits hold only entries the name denotes. */
export const screenJson = (r: ScreenResult) => ({
  query: r.query,
  hits: r.hits.map((h) => ({ list: h.list, entry: h.entry, level: h.level, match: h.match, score: h.score, inherited: h.inherited, list_version: h.listVersion, evidence: h.evidence })),
  similar: r.similar,
  institutions: r.institutions,
});

