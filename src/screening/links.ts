import type { Institution } from '../ingest/ror.ts';
import type { Gazetteer } from '../resolve/gazetteer.ts';
import type { RiskList } from './lists.ts';
import { hasCjk } from '../resolve/normalize.ts';
import { screenKey } from './names.ts';
import type { EntryLink } from './screener.ts';

export interface LinkReport {
  links: Map<string, EntryLink[]>;
  linked: number;
  /** Entry names that equal the names of several registry institutions in the entry's country. */
  ambiguous: { list: string; entry: string; rorIds: string[] }[];
  /** Registry name key → the countries of the institutions bearing that name, to catch namesakes abroad. */
  countriesByName: Map<string, Set<string>>;
}

/**
 * ROR names companies by brand and country ("Huawei Technologies (China)", "Megvii (China)"):
 * without the bracket naming the record's own country, the name is the one the lists use.
 */
function withoutOwnCountry(value: string, inst: Institution, gazetteer: Gazetteer): string {
  if (!value.endsWith(')')) return value;
  const m = /^(.*\S)\s*\(([^()]+)\)$/.exec(value);
  return m && inst.countryCode !== null && gazetteer.countryCodeOf(m[2]!) === inst.countryCode ? m[1]! : value;
}

/**
 * Links list entries to ROR institutions. A link needs the entry's own name (or a non-acronym
 * alias, or its Chinese name) to equal a registry name of one institution, or that name with its
 * registry parent's name before or after it, in the entry's country: a contained name is not enough ("Academy of Military Medical Sciences, Institute of
 * Basic Medicine" is not the Academy), and two registry institutions with that name link neither.
 */
export function linkEntries(lists: RiskList[], institutions: Iterable<Institution>, gazetteer: Gazetteer): LinkReport {
  const byKey = new Map<string, Institution[]>();
  const countriesByName = new Map<string, Set<string>>();
  const all = [...institutions];
  const byId = new Map(all.map((i) => [i.id, i]));
  for (const inst of all) {
    if (inst.status === 'withdrawn') continue;
    const names = inst.names.filter((n) => !n.types.includes('acronym'));
    const keys = new Set(names.map((n) => screenKey(n.value)));
    // Namesakes are judged on the registry's names as written: "Huawei Technologies (Poland)" is
    // no namesake of the Chinese company, though its brand links it for linking within Poland.
    for (const key of keys) {
      if (key === '') continue;
      const countries = countriesByName.get(key) ?? new Set<string>();
      if (inst.countryCode) countries.add(inst.countryCode);
      countriesByName.set(key, countries);
    }
    for (const n of names) keys.add(screenKey(withoutOwnCountry(n.value, inst, gazetteer)));
    // Lists name an institute with its parent, either way round ("Chinese Academy of Sciences
    // Institute of Microelectronics", "National Time Service Center, Chinese Academy of
    // Sciences"); the registry holds the institute as a child under its own name. Both readings
    // link the entry to the child. (Only for linking: a namesake is judged on names as written.)
    const own = [...keys];
    for (const parentId of inst.parents) {
      const parent = byId.get(parentId);
      if (!parent) continue;
      for (const p of parent.names.filter((n) => !n.types.includes('acronym')).map((n) => screenKey(n.value))) {
        if (p === '') continue;
        for (const k of own) {
          if (k === '' || k.includes(p) || hasCjk(k) !== hasCjk(p)) continue;
          // Chinese names are written without spaces: 中国科学院 + 计算技术研究所.
          const gap = hasCjk(k) ? '' : ' ';
          keys.add(`${p}${gap}${k}`).add(`${k}${gap}${p}`);
        }
      }
    }
    for (const key of keys) {
      if (key === '') continue;
      const list = byKey.get(key);
      if (list) list.push(inst);
      else byKey.set(key, [inst]);
    }
  }
  const links = new Map<string, EntryLink[]>();
  const ambiguous: LinkReport['ambiguous'] = [];
  let linked = 0;
  const link = (rorId: string, value: EntryLink) => {
    const list = links.get(rorId) ?? [];
    if (!list.some((l) => l.list === value.list && l.entry === value.entry)) list.push(value);
    links.set(rorId, list);
  };
  for (const list of lists) {
    for (const entry of list.entries) {
      for (const rorId of entry.rorIds) {
        link(rorId, { list, entry, how: `ROR id given by ${list.id}`, by: 'list' });
        linked++;
      }
      if (entry.rorIds.length > 0) continue;
      const country = entry.country ? gazetteer.countryCodeOf(entry.country) : null;
      for (const name of entry.names) {
        if (name.kind === 'subsidiary' || name.kind === 'short' || (name.kind === 'alias' && /^[A-Z0-9&-]{2,8}$/.test(name.value))) continue;
        const candidates = (byKey.get(screenKey(name.value)) ?? []).filter((i) => country === null || i.countryCode === country);
        const ids = [...new Set(candidates.map((i) => i.id))];
        if (ids.length === 1) {
          link(ids[0]!, { list, entry, how: `the ${name.kind === 'primary' ? 'listed name' : name.kind === 'chinese' ? 'Chinese name' : 'alias'} "${name.value}" is a registry name of ${candidates[0]!.name}`, by: name.kind });
          linked++;
          break;
        }
        if (ids.length > 1) ambiguous.push({ list: list.id, entry: entry.name, rorIds: ids });
      }
    }
  }
  return { links, linked, ambiguous, countriesByName };
}
