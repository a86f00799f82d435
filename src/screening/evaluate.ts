import type { Institution } from '../ingest/ror.ts';
import { segments } from '../resolve/normalize.ts';
import type { LinkReport } from './links.ts';
import type { RiskList } from './lists.ts';
import { editDistance, isAcronym, overlap, screenKey, screenTokens } from './names.ts';
import type { Screener } from './screener.ts';

export type VariantKind = 'listed name' | 'alias' | 'short name' | 'chinese name' | 'registry label' | 'upper case' | 'typo' | 'in an affiliation' | 'namesake (other institution)' | 'namesake abroad';

export interface LabelledName {
  query: string;
  kind: VariantKind;
  /** "list/entry" pairs the query denotes; empty for a namesake that must not hit. */
  expected: Set<string>;
}

const ref = (list: string, entry: string) => `${list}/${entry}`;

/** A deterministic slip in a long word, as typed in a hurry: two letters swapped. */
function typo(name: string): string | null {
  const words = name.split(' ');
  const i = words.reduce((best, w, j) => (w.length > (words[best]?.length ?? 0) ? j : best), 0);
  const w = words[i]!;
  if (w.length < 7) return null;
  const k = Math.floor(w.length / 2);
  words[i] = w.slice(0, k) + w[k + 1] + w[k] + w.slice(k + 2);
  return words.join(' ');
}

/**
 * A labelled set of name variants built from the lists and the registry: every entry's listed
 * name, aliases, Chinese name and (through its ROR link) registry labels, in upper case, with a
 * typing slip and inside an affiliation string — each expected to hit the entry and the other
 * entries that denote the same organisation; and confusable namesakes — registry institutions
 * sharing most words with a listed name, and same-named institutions abroad — expected to hit
 * nothing.
 */
export function labelledNames(lists: RiskList[], registry: Institution[], links: LinkReport): LabelledName[] {
  const byId = new Map(registry.map((i) => [i.id, i]));
  const rorOf = new Map<string, string>();
  for (const [rorId, ls] of links.links) for (const l of ls) rorOf.set(ref(l.list.id, l.entry.id), rorId);
  // Entries denoting one organisation: linked to the same ROR record, or sharing a name the
  // lists themselves give (a listed name or alias, not an acronym or a subsidiary).
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    while (parent.has(x) && parent.get(x) !== x) x = parent.get(x)!;
    return x;
  };
  const union = (a: string, b: string) => {
    const [ra, rb] = [find(a), find(b)];
    if (ra !== rb) parent.set(ra, rb);
  };
  for (const list of lists) {
    for (const e of list.entries) {
      const r = ref(list.id, e.id);
      parent.set(r, parent.get(r) ?? r);
      const ror = rorOf.get(r);
      if (ror) {
        union(r, `ror:${ror}`);
        for (const n of byId.get(ror)?.names ?? []) if (!n.types.includes('acronym')) union(r, `key:${screenKey(n.value)}`);
      }
      // A short name ("Huawei") is shared by the group's companies: it denotes each, it does not make them one.
      for (const n of e.names) if (n.kind !== 'subsidiary' && n.kind !== 'short' && !isAcronym(n.value)) union(r, `key:${screenKey(n.value)}`);
    }
  }
  const members = new Map<string, Set<string>>();
  for (const list of lists)
    for (const e of list.entries) {
      const r = ref(list.id, e.id);
      members.set(find(r), (members.get(find(r)) ?? new Set()).add(r));
    }
  // An entry named "Parent, Unit" also denotes the listed parent it names.
  const expectedFor = (list: string, entryId: string, name: string): Set<string> => {
    const out = new Set(members.get(find(ref(list, entryId)))!);
    for (const part of segments(name)) for (const m of members.get(find(`key:${screenKey(part)}`)) ?? []) out.add(m);
    return out;
  };
  // Where the registry knows the name abroad too, the variant says where it is, as affiliations do.
  const located = (name: string) => ([...(links.countriesByName.get(screenKey(name)) ?? [])].some((c) => c !== 'CN') ? `${name}, China` : name);
  const out: LabelledName[] = [];
  const listedKeys = new Set<string>();
  // Each short name (derived or curated, data/lists/aliases.json) denotes every entry that bears
  // that name in any form (listed name, alias, acronym or short name), with the entries one with them.
  const shortNames = new Map<string, { value: string; expected: Set<string> }>();
  for (const list of lists) for (const e of list.entries) for (const n of e.names) if (n.kind === 'short' && e.country === 'China') shortNames.set(screenKey(n.value), { value: n.value, expected: new Set() });
  for (const list of lists)
    for (const e of list.entries)
      for (const n of e.names) {
        const s = n.kind !== 'subsidiary' ? shortNames.get(screenKey(n.value)) : undefined;
        if (s) for (const m of members.get(find(ref(list.id, e.id))) ?? []) s.expected.add(m);
      }
  for (const s of shortNames.values()) out.push({ query: located(s.value), kind: 'short name', expected: s.expected });
  for (const list of lists) {
    for (const e of list.entries) {
      for (const n of e.names) listedKeys.add(screenKey(n.value));
      if (e.country !== 'China') continue;
      const expected = expectedFor(list.id, e.id, e.name);
      out.push({ query: located(e.name), kind: 'listed name', expected });
      out.push({ query: located(e.name).toUpperCase(), kind: 'upper case', expected });
      const slipped = typo(e.name);
      if (slipped) out.push({ query: located(slipped), kind: 'typo', expected });
      out.push({ query: `School of Computer Science, ${e.name}, China`, kind: 'in an affiliation', expected });
      for (const n of e.names) {
        if (n.kind === 'alias' && !isAcronym(n.value) && screenTokens(n.value).length > 1) out.push({ query: located(n.value), kind: 'alias', expected });
        if (n.kind === 'chinese') out.push({ query: n.value, kind: 'chinese name', expected });
      }
      const ror = rorOf.get(ref(list.id, e.id));
      for (const n of (ror ? byId.get(ror)?.names : undefined) ?? []) {
        if (!n.types.includes('acronym') && screenKey(n.value) !== screenKey(e.name)) out.push({ query: located(n.value), kind: 'registry label', expected });
      }
    }
  }
  // Namesakes: registry institutions not linked to any entry, nor part of a linked one.
  const linked = new Set(links.links.keys());
  const insideListed = (inst: Institution): boolean => {
    const seen = new Set<string>();
    const walk = (id: string): boolean => {
      if (seen.has(id)) return false;
      seen.add(id);
      if (linked.has(id)) return true;
      return (byId.get(id)?.parents ?? []).some(walk);
    };
    return walk(inst.id);
  };
  const listedNames = lists.flatMap((l) => l.entries.filter((e) => e.country === 'China').map((e) => screenTokens(e.name)));
  const tokenIndex = new Map<string, string[][]>();
  for (const t of listedNames) for (const w of new Set(t)) tokenIndex.set(w, [...(tokenIndex.get(w) ?? []), t]);
  for (const inst of registry) {
    if (inst.status !== 'active' || linked.has(inst.id) || insideListed(inst)) continue;
    const key = screenKey(inst.name);
    const tokens = screenTokens(inst.name);
    const place = `${inst.city ?? ''}, ${inst.countryName ?? inst.countryCode ?? ''}`;
    if (listedKeys.has(key)) {
      if (inst.countryCode !== 'CN') out.push({ query: `${inst.name}, ${place}`, kind: 'namesake abroad', expected: new Set() });
      continue;
    }
    if (inst.countryCode !== 'CN' || tokens.length < 2) continue;
    const confusable = tokens.some((w) => (tokenIndex.get(w) ?? []).some((t) => overlap(tokens, t) >= 0.5 || (t.length === tokens.length && t.some((x, i) => x !== tokens[i] && editDistance(x, tokens[i]!, 1) <= 1))));
    if (confusable) out.push({ query: `${inst.name}, ${place}`, kind: 'namesake (other institution)', expected: new Set() });
  }
  return out;
}

export interface ScreeningScore {
  names: number;
  precision: number;
  recall: number;
  namesPerSecond: number;
  byKind: Record<string, { names: number; recall: number | null; falseHits: number }>;
  falseHits: { query: string; kind: string; hit: string }[];
  misses: { query: string; kind: string }[];
}

/**
 * Precision over direct hits (a hit inherited from a listed parent, or another list's entry for
 * the same organisation, is reported, not scored: the set labels neither) and recall over the
 * labelled entries.
 */
export function scoreScreening(screener: Screener, items: LabelledName[]): ScreeningScore {
  let tp = 0;
  let fp = 0;
  let expectedTotal = 0;
  let found = 0;
  const byKind: ScreeningScore['byKind'] = {};
  const falseHits: ScreeningScore['falseHits'] = [];
  const misses: ScreeningScore['misses'] = [];
  const started = performance.now();
  const results = items.map((item) => screener.screen(item.query));
  const seconds = (performance.now() - started) / 1000;
  items.forEach((item, i) => {
    const k = (byKind[item.kind] ??= { names: 0, recall: 0, falseHits: 0 });
    k.names++;
    const direct = results[i]!.hits.filter((h) => !h.inherited && !h.sameAs);
    const got = new Set(direct.map((h) => ref(h.list, h.entryId)));
    for (const h of direct) {
      if (item.expected.has(ref(h.list, h.entryId))) tp++;
      else {
        fp++;
        k.falseHits++;
        if (falseHits.length < 50) falseHits.push({ query: item.query, kind: item.kind, hit: `${h.list}: ${h.entry} (${h.match})` });
      }
    }
    if (item.expected.size > 0) {
      expectedTotal++;
      const hit = [...item.expected].some((r) => got.has(r));
      if (hit) found++;
      else if (misses.length < 50) misses.push({ query: item.query, kind: item.kind });
      k.recall = (k.recall ?? 0) + (hit ? 1 : 0);
    }
  });
  for (const [kind, k] of Object.entries(byKind)) {
    const positives = items.filter((i) => i.kind === kind && i.expected.size > 0).length;
    k.recall = positives > 0 ? Number(((k.recall ?? 0) / positives).toFixed(4)) : null;
  }
  return { names: items.length, precision: tp / Math.max(1, tp + fp), recall: found / Math.max(1, expectedTotal), namesPerSecond: items.length / seconds, byKind, falseHits, misses };
}
