import type { Institution } from '../ingest/ror.ts';
import { Gazetteer, type CountryFinding } from './gazetteer.ts';
import { bagKey, foldText, hasCjk, nameTokens, segments } from './normalize.ts';

export type Tier = 'exact' | 'strong' | 'possible' | 'unresolved';
export const TIER_RANK: Record<Tier, number> = { exact: 3, strong: 2, possible: 1, unresolved: 0 };

export interface InstitutionMatch {
  rorId: string;
  name: string;
  countryCode: string | null;
  tier: Exclude<Tier, 'unresolved'>;
  score: number;
  evidence: string;
  /** Units of this institution the string also names (a department, an institute of an academy). */
  units: { rorId: string; name: string }[];
  /** The institution the string is chiefly about; the others are named alongside it. */
  primary: boolean;
}

export interface Resolution {
  raw: string;
  institutions: InstitutionMatch[];
  countryCode: string | null;
  countryEvidence: string;
  tier: Tier;
}

/** Bumped whenever matching behaviour changes, so cached resolutions are redone. */
export const RESOLVER_VERSION = '2026.11.22-2';

interface Entry {
  id: string;
  name: string;
  countryCode: string | null;
  city: string | null;
  status: Institution['status'];
  types: string[];
  parents: string[];
  successors: string[];
}

interface Candidate {
  /** Institution → how the registry holds the matched name (display 3, label 2, alias 1). */
  ids: Map<string, number>;
  /** The words matched, in registry-name form. */
  key: string;
  tier: Exclude<Tier, 'unresolved'>;
  score: number;
  how: string;
  /** Token span inside the string, used to keep only the longest name among overlapping ones. */
  start: number;
  end: number;
}

/** The words of the string outside a candidate's own name, where its city may be named. */
function wordsOutside(flat: string[], c: Candidate, folded: string): string {
  return c.start < 0 ? folded : ` ${[...flat.slice(0, c.start), ...flat.slice(c.end)].join(' ')} `;
}

/** Fuzzy matching looks only at names sharing a word rarer than this. */
const MAX_POSTINGS = 2000;

/** A word found in this many registry names or more identifies nothing by itself. */
const GENERIC_DF = 200;

/** Names of this shape are units inside some institution, not institutions to match on their own. */
const UNIT_WORD = /^(department|division|section|faculty|laboratory|unit|program|programme|graduate|group|core|service|chair|clinic|key laboratory|state key laboratory|molecular|cell|school)\b/;

/** The words that make "<university> School of Medicine" a school of that university rather than a campus. */
const SCHOOL_WORD = /^ (school|faculty|college|medical school|graduate school|hospital|law school|business school|medical college)\b/;

const ORG_WORD = /\b(universit|institut|college|hospital|academ|cent(er|re)|laborator|school|corporation|compan|gmbh|ltd|inc|foundation|council|agency|ministry|observator|museum|clinic|polytechn|hochschule|ecole|escuela|scuola)/;

/**
 * Resolves raw affiliation strings to ROR institutions and a country.
 * Strategy, strongest evidence first: a whole part of the string is a registry name (exact);
 * the same words in another order, or a name inside a longer part (strong); a close fuzzy
 * match or an acronym with a corroborating place (possible). Candidates in another country
 * than the one the string names are refused.
 */
export class AffiliationResolver {
  readonly gazetteer: Gazetteer;
  private readonly entries = new Map<string, Entry>();
  /** Name key → institution → how the registry holds that name (display 3, label 2, alias 1). */
  private readonly exact = new Map<string, Map<string, number>>();
  private readonly bag = new Map<string, Map<string, number>>();
  /** Each institution's names as written (folded only), to prefer the one the string spells out. */
  private readonly literal = new Map<string, string[]>();
  /** Order-free key → the names, in their own order, that share it. */
  private readonly bagNames = new Map<string, string[]>();
  private readonly acronyms = new Map<string, Set<string>>();
  private readonly cjk: { text: string; id: string }[] = [];
  private readonly postings = new Map<string, number[]>();
  private readonly fuzzyNames: { id: string; tokens: string[]; weight: number }[] = [];
  private readonly idf = new Map<string, number>();
  private readonly maxSpan: number;
  /** Words this common among registry names do not identify anything on their own. */
  private readonly genericIdf: number;

  constructor(institutions: Iterable<Institution>) {
    const list = [...institutions];
    this.gazetteer = new Gazetteer(list);
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
        successors: inst.successors,
      });
      for (const n of inst.names) {
        if (n.types.includes('acronym')) {
          const acronym = n.value.replace(/[.\s]/g, '').toUpperCase();
          if (acronym.length >= 2) add(this.acronyms, acronym, inst.id);
          continue;
        }
        if (hasCjk(n.value)) this.cjk.push({ text: n.value.normalize('NFKC'), id: inst.id });
        const literals = this.literal.get(inst.id) ?? [];
        literals.push(` ${foldText(n.value)} `);
        this.literal.set(inst.id, literals);
        const tokens = nameTokens(n.value);
        if (tokens.length === 0) continue;
        const priority = n.types.includes('ror_display') ? 3 : n.types.includes('label') ? 2 : 1;
        addRanked(this.exact, tokens.join(' '), inst.id, priority);
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
    this.cjk.sort((a, b) => b.text.length - a.text.length);
    const total = named.length;
    for (const [t, n] of df) this.idf.set(t, Math.log(1 + total / n));
    this.genericIdf = Math.log(1 + total / GENERIC_DF);
    for (const { id, tokens } of named) {
      if (tokens.length < 2) continue;
      const index = this.fuzzyNames.length;
      this.fuzzyNames.push({ id, tokens, weight: this.weight(tokens) });
      for (const t of new Set(tokens)) {
        const list = this.postings.get(t) ?? [];
        list.push(index);
        this.postings.set(t, list);
      }
    }
  }

  institution(id: string): Entry | undefined {
    return this.entries.get(id);
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

  resolve(raw: string): Resolution {
    const text = raw.normalize('NFKC').trim();
    const country = this.gazetteer.detect(text);
    if (text === '') return { raw, institutions: [], countryCode: null, countryEvidence: 'empty string', tier: 'unresolved' };
    const segs = segments(text);
    const segTokens = segs.map((s) => nameTokens(s));
    const flat = segTokens.flat();
    const candidates = [...this.spanCandidates(segTokens), ...this.cjkCandidates(text)];
    let picked = this.pick(candidates, country, text, flat);
    if (picked.length === 0) picked = this.pick(this.fuzzyCandidates(segs, segTokens), country, text, segs.map((x) => foldText(x)));
    if (picked.length === 0) picked = this.pick(this.acronymCandidates(segs, text, country), country, text, flat);
    picked = this.rankPrimary(this.foldUnits(picked));
    const tier = picked.reduce<Tier>((best, m) => (TIER_RANK[m.tier] > TIER_RANK[best] ? m.tier : best), 'unresolved');
    const countryCode = country.countryCode ?? picked[0]?.countryCode ?? null;
    const countryEvidence = country.countryCode ? country.evidence : picked[0] ? `country of ${picked[0].name}` : country.evidence;
    return { raw, institutions: picked, countryCode, countryEvidence, tier };
  }

  private weight(tokens: string[]): number {
    let w = 0;
    for (const t of tokens) w += this.idf.get(t) ?? Math.log(1 + this.fuzzyNames.length);
    return w;
  }

  /** Every run of words that is a registry name, within a part or across neighbouring parts. */
  private *spanCandidates(segTokens: string[][]): Generator<Candidate> {
    const flat: string[] = [];
    const bounds: [number, number][] = [];
    for (const toks of segTokens) {
      bounds.push([flat.length, flat.length + toks.length]);
      flat.push(...toks);
    }
    // Whole parts and runs of up to three neighbouring parts: the strongest evidence.
    for (let i = 0; i < bounds.length; i++) {
      for (let j = i; j < Math.min(bounds.length, i + 3); j++) {
        const [start] = bounds[i]!;
        const [, end] = bounds[j]!;
        if (end - start === 0) continue;
        const words = flat.slice(start, end);
        const key = words.join(' ');
        const hit = this.exact.get(key);
        if (hit && (words.length > 1 || (words[0]!.length > 3 && this.isDistinctive(words[0]!)))) yield { ids: hit, key, tier: 'exact', score: 1, how: `"${key}" is a registry name`, start, end };
        else if (words.length > 1) {
          const bagHit = this.bag.get(bagKey(words));
          if (bagHit) {
            // "Medical University of Innsbruck" is "Innsbruck Medical University", but "Washington
            // University" is not "University of Washington": a reorder that only moves "university" is a trap.
            const withoutUniversity = (k: string) => k.split(' ').filter((t) => t !== 'university').join(' ');
            const trap = this.bagNames.get(bagKey(words))!.some((n) => withoutUniversity(n) === withoutUniversity(key));
            yield { ids: bagHit, key, tier: trap ? 'possible' : 'strong', score: trap ? 0.8 : 0.97, how: `"${key}" has the words of a registry name in another order`, start, end };
          }
        }
        if (i !== j) {
          // "Inst Automat, Chinese Acad Sci" is written child-first; the registry may name it parent-first.
          const reversed = [...flat.slice(bounds[j]![0], bounds[j]![1]), ...flat.slice(start, bounds[j]![0])].join(' ');
          const revHit = this.exact.get(reversed);
          if (revHit) yield { ids: revHit, key: reversed, tier: 'strong', score: 0.96, how: `"${reversed}" is a registry name`, start, end };
        }
      }
    }
    // Names inside a longer part: "Department of Physics University of Oxford".
    for (const [segStart, segEnd] of bounds) {
      for (let s = segStart; s < segEnd; s++) {
        for (let e = Math.min(segEnd, s + this.maxSpan); e >= s + 2; e--) {
          if (s === segStart && e === segEnd) continue;
          const key = flat.slice(s, e).join(' ');
          const hit = this.exact.get(key);
          if (hit) {
            // "Max Planck Florida Institute for Neuroscience" is not the "Institute for
            // Neuroscience": a name glued to a distinctive word is part of a longer proper name.
            const before = s > segStart ? flat[s - 1]! : null;
            if (e - s <= 2 && before !== null && this.isDistinctive(before) && !this.gazetteer.isPlace(before)) break;
            // A name found inside a longer part is weaker evidence when it is only a former or informal name.
            const aliasOnly = Math.max(...hit.values()) === 1;
            yield { ids: hit, key, tier: aliasOnly ? 'possible' : 'strong', score: aliasOnly ? 0.85 : 0.95, how: `"${key}" is a registry name inside "${flat.slice(segStart, segEnd).join(' ')}"`, start: s, end: e };
            break;
          }
        }
      }
    }
  }

  /** A one-word name counts only if it is rare among registry names ("Inria" yes, "Research" no). */
  private isDistinctive(token: string): boolean {
    return (this.idf.get(token) ?? Infinity) > this.genericIdf;
  }

  /**
   * "Department of Biological Sciences" or "Molecular Microbiology" exists somewhere in the
   * registry, but names nothing without a place to pin it down.
   */
  private isGeneric(key: string): boolean {
    const words = key.split(' ');
    // Long names of common words ("Korea Advanced Institute of Science and Technology") are
    // specific by their combination; short ones ("Institute of Medicine") are not.
    return UNIT_WORD.test(key) || (words.length <= 3 && words.every((t) => !this.isDistinctive(t)));
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
      yield { ids: new Map([[id, 2]]), key: name, tier: name === text ? 'exact' : 'strong', score: name === text ? 1 : 0.95, how: `Chinese name "${name}"`, start: -1, end: -1 };
    }
  }

  private *fuzzyCandidates(segs: string[], segTokens: string[][]): Generator<Candidate> {
    for (let i = 0; i < segTokens.length; i++) {
      const tokens = segTokens[i]!;
      if (tokens.length < 2 || !ORG_WORD.test(foldText(segs[i]!))) continue;
      const tokenSet = new Set(tokens);
      const rare = [...tokenSet].filter((t) => this.postings.has(t)).sort((a, b) => this.postings.get(a)!.length - this.postings.get(b)!.length).slice(0, 2);
      const weight = this.weight(tokens);
      const seen = new Set<number>();
      const scored: { index: number; score: number; placeOnly: boolean }[] = [];
      for (const t of rare) {
        const list = this.postings.get(t)!;
        if (list.length > MAX_POSTINGS) continue;
        for (const index of list) {
          if (seen.has(index)) continue;
          seen.add(index);
          const name = this.fuzzyNames[index]!;
          // Dice can reach 0.8 only if the two weights are within a factor 1.5; a name that is
          // the string plus its city (at most three more words) is the one exception.
          const extra = name.tokens.length - tokenSet.size;
          const ratio = Math.min(weight, name.weight) / Math.max(weight, name.weight);
          if (ratio < 2 / 3 && (extra < 1 || extra > 3)) continue;
          let common = 0;
          let commonWeight = 0;
          let missingInCity = true;
          const city = this.entries.get(name.id)?.city ?? '';
          for (const x of name.tokens) {
            if (tokenSet.has(x)) {
              common++;
              commonWeight += this.idf.get(x) ?? 0;
            } else if (!` ${city} `.includes(` ${x} `)) missingInCity = false;
          }
          const score = (2 * commonWeight) / (weight + name.weight);
          // "Czech University of Life Sciences" for "… Prague": the only words missing are the place.
          const placeOnly = common === tokenSet.size && common < name.tokens.length && missingInCity;
          if (score >= 0.8 || placeOnly) scored.push({ index, score: placeOnly ? Math.max(score, 0.93) : score, placeOnly });
        }
      }
      scored.sort((a, b) => b.score - a.score);
      const top = scored[0];
      if (!top) continue;
      const ties = new Map(scored.filter((b) => b.score >= top.score - 1e-9).map((b) => [this.fuzzyNames[b.index]!.id, 1]));
      const name = this.entries.get([...ties.keys()][0]!)!.name;
      yield {
        ids: ties,
        key: tokens.join(' '),
        tier: top.score >= 0.9 ? 'strong' : 'possible',
        score: Math.round(top.score * 1000) / 1000,
        how: top.placeOnly ? `"${segs[i]}" is "${name}" without its city` : `"${segs[i]}" is close to "${name}"`,
        start: i,
        end: i + 1,
      };
    }
  }

  /** Acronyms never decide alone: a place in the string must agree with the candidate. */
  private *acronymCandidates(segs: string[], text: string, country: CountryFinding): Generator<Candidate> {
    const folded = ` ${foldText(text)} `;
    for (const seg of segs) {
      const acronym = seg.replace(/\./g, '').trim();
      if (!/^[A-Z][A-Z0-9&-]{1,9}$/.test(acronym)) continue;
      const ids = [...(this.acronyms.get(acronym) ?? [])];
      const byCity = ids.filter((id) => this.cityNamed(id, folded));
      if (byCity.length > 0) yield { ids: new Map(byCity.map((id) => [id, 1])), key: acronym, tier: 'possible', score: 0.8, how: `acronym "${acronym}" with its city named`, start: -1, end: -1 };
      else if (country.explicit && country.countryCode) {
        const byCountry = ids.filter((id) => this.entries.get(id)!.countryCode === country.countryCode);
        if (byCountry.length === 1) yield { ids: new Map(byCountry.map((id) => [id, 1])), key: acronym, tier: 'possible', score: 0.7, how: `acronym "${acronym}" with its country named`, start: -1, end: -1 };
      }
    }
  }

  private cityNamed(id: string, foldedText: string): boolean {
    const city = this.entries.get(id)?.city;
    return city !== null && city !== undefined && foldedText.includes(` ${city} `);
  }

  /**
   * Turns candidates into matches: longest names win over names inside them; candidates in a
   * country the string does not name are refused; generic names need their city or country
   * named; ties go to the registry's display name, the named city, active records, successors.
   * With no country named, the strongest match sets the country for the rest (one address, one
   * country).
   */
  private pick(all: Iterable<Candidate>, country: CountryFinding, text: string, flat: string[]): InstitutionMatch[] {
    const list = [...all];
    const named = new Set(country.named);
    const inNamedCountry = (id: string) => named.size === 0 || named.has(this.entries.get(id)?.countryCode ?? '');
    // A name inside a longer name is dropped, unless it is the longer one's parent: "Stanford
    // University School of Medicine" names Stanford University too.
    const contains = (o: Candidate, c: Candidate) => o !== c && o.start >= 0 && o.start <= c.start && o.end >= c.end && o.end - o.start > c.end - c.start;
    const isParentOf = (c: Candidate, o: Candidate) => o.key.startsWith(`${c.key} `) && SCHOOL_WORD.test(o.key.slice(c.key.length));
    const kept = list.filter((c) => c.start < 0 || !list.some((o) => contains(o, c) && [...o.ids.keys()].some(inNamedCountry) && !isParentOf(c, o)));
    const folded = ` ${foldText(text)} `;
    const narrowed = kept.map((c) => {
      let ids = [...c.ids.keys()].filter((id) => this.entries.has(id) && inNamedCountry(id));
      const outside = wordsOutside(flat, c, folded);
      if (this.isGeneric(c.key)) ids = ids.filter((id) => this.cityNamed(id, outside) || named.has(this.entries.get(id)!.countryCode ?? ''));
      return { c, ids: this.breakTies(ids, c.ids, outside, folded) };
    });
    const resolved = narrowed.filter((n) => n.ids.length === 1);
    if (named.size === 0 && resolved.length > 0) {
      const anchor = [...resolved].sort((a, b) => TIER_RANK[b.c.tier] - TIER_RANK[a.c.tier] || this.specificity(b.c.key) - this.specificity(a.c.key))[0]!;
      const anchorCountry = this.entries.get(anchor.ids[0]!)!.countryCode;
      for (const n of narrowed) n.ids = n.ids.filter((id) => this.entries.get(id)!.countryCode === anchorCountry);
    }
    const out = new Map<string, InstitutionMatch>();
    for (const { c, ids } of narrowed) {
      if (ids.length !== 1) continue;
      const e = this.entries.get(ids[0]!)!;
      const tier = c.tier === 'exact' && named.size === 0 && c.ids.size > 1 ? 'strong' : c.tier;
      const prior = out.get(e.id);
      if (prior && (TIER_RANK[prior.tier] > TIER_RANK[tier] || (prior.tier === tier && prior.score >= c.score))) continue;
      out.set(e.id, { rorId: e.id, name: e.name, countryCode: e.countryCode, tier, score: c.score, evidence: c.how, units: [], primary: false });
    }
    return [...out.values()];
  }

  private breakTies(ids: string[], priorities: Map<string, number>, folded: string, wholeText: string): string[] {
    const narrow = (keep: (id: string) => boolean) => {
      const kept = ids.filter(keep);
      if (kept.length > 0) ids = kept;
    };
    if (ids.length > 1) {
      const top = Math.max(...ids.map((id) => priorities.get(id) ?? 0));
      narrow((id) => priorities.get(id) === top);
    }
    if (ids.length > 1) narrow((id) => this.cityNamed(id, folded));
    // "Institut Pasteur" and "Istituto Pasteur" meet once abbreviations are expanded; the
    // spelling in the string tells them apart.
    if (ids.length > 1) narrow((id) => (this.literal.get(id) ?? []).some((name) => wholeText.includes(name)));
    if (ids.length > 1) narrow((id) => this.entries.get(id)!.status === 'active');
    if (ids.length > 1) narrow((id) => !this.entries.get(id)!.successors.some((s) => ids.includes(s)));
    // One name for a parent and its own units: the parent is meant.
    if (ids.length > 1) narrow((id) => ids.every((other) => other === id || this.ancestors(other).has(id)));
    return ids;
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

  /** A registry child, or a school named after the institution ("Stanford University School of Medicine"). */
  private isUnitOf(unit: InstitutionMatch, parent: InstitutionMatch): boolean {
    if (this.ancestors(unit.rorId).has(parent.rorId)) return true;
    const unitKey = nameTokens(unit.name).join(' ');
    const parentKey = nameTokens(parent.name).join(' ');
    return unitKey.startsWith(`${parentKey} `) && SCHOOL_WORD.test(unitKey.slice(parentKey.length));
  }

  /**
   * Of several institutions in one string, the primary one is the strongest match, and among
   * equals the university: an author listing "HHMI, UT Southwestern" is at UT Southwestern.
   */
  private rankPrimary(matches: InstitutionMatch[]): InstitutionMatch[] {
    const typeRank = (m: InstitutionMatch) => {
      const types = this.entries.get(m.rorId)?.types ?? [];
      return types.includes('education') ? 2 : types.includes('funder') && types.length === 1 ? 0 : 1;
    };
    const ranked = matches
      .map((m, position) => ({ m, position }))
      .sort((a, b) => TIER_RANK[b.m.tier] - TIER_RANK[a.m.tier] || typeRank(b.m) - typeRank(a.m) || a.position - b.position)
      .map(({ m }) => m);
    if (ranked[0]) ranked[0].primary = true;
    return ranked;
  }

  /**
   * "Center for Life Sciences, Peking University" names a unit and the institution it belongs
   * to: the institution is the match, the unit is kept with it as detail.
   */
  private foldUnits(matches: InstitutionMatch[]): InstitutionMatch[] {
    const units = new Set<string>();
    for (const m of matches) {
      for (const parent of matches) {
        if (parent === m || !this.isUnitOf(m, parent)) continue;
        parent.units.push({ rorId: m.rorId, name: m.name });
        // Naming a unit exactly names its institution just as firmly.
        if (TIER_RANK[m.tier] > TIER_RANK[parent.tier]) {
          parent.tier = m.tier;
          parent.score = Math.max(parent.score, m.score);
          parent.evidence = `${parent.evidence}; its unit ${m.evidence}`;
        }
        units.add(m.rorId);
      }
    }
    return matches.filter((m) => !units.has(m.rorId));
  }
}

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
