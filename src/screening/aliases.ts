import { fileURLToPath } from 'node:url';
import type { Institution } from '../ingest/ror.ts';
import { foldText, hasCjk, nameTokens } from '../resolve/normalize.ts';
import { readTextFile } from '../text-file.ts';
import { ListError, type EntryName, type NameKind, type RiskEntry, type RiskList } from './risk-list.ts';
import { isNondistinctive, screenKey, screenTokens } from './names.ts';
import { sha256Hex } from '../sha256.ts';

export const ALIASES_FILE = fileURLToPath(new URL('../../data/lists/aliases.json', import.meta.url));
/** The alias file in use: DERISK_ALIASES_FILE (an office's own curated names, same format) or the bundled one. */
export const aliasesFile = (): string => process.env.DERISK_ALIASES_FILE || ALIASES_FILE;

export interface CuratedNames {
  entity: string;
  country: string;
  /** `unverified`: why no source bears the name out; shown with it wherever it is the evidence. */
  names: { value: string; kind: Exclude<NameKind, 'primary' | 'subsidiary'>; source: string; unverified?: string }[];
}

export interface AliasData {
  file: string;
  /** Content hash: screening results stored under other aliases are redone. */
  version: string;
  derive: { rule: string; countries: Set<string>; legalForms: Set<string>; businessWords: Set<string>; minLetters: number; maxRegistryNames: number };
  /** Units named after a listed company ("Huawei Noah's Ark Lab"): the words that name a unit, and those that name something else. */
  units: UnitRule;
  curated: CuratedNames[];
  /** A Chinese company listed where it is registered offshore is read as in its home country (registered_offshore); null where the file has no such block. */
  offshore: { home: string; native: string[] } | null;
}

export interface UnitRule {
  /** Where the rule comes from, to say so in a hit's evidence. */
  file: string;
  unitWords: Set<string>;
  /** Words that name a branch of a company ("Branch Office"), which is the company itself (units.branch_words). */
  branchWords: Set<string>;
  /** Words naming a line of business that may follow a unit's word, a legal form after them or not ("Alibaba Cloud Computing Co., Ltd.": units.business_words). */
  businessWords: Set<string>;
  /** Words saying a unit is run jointly with another party ("Joint Laboratory"), whose name may come first (units.joint_words). */
  jointWords: Set<string>;
  /** The same in Chinese (联合: "清华-华为联合实验室"), before a unit's Chinese ending (units.joint_words_zh; optional). */
  jointWordsZh: string[];
  otherWords: Set<string>;
  /** The legal forms that make a listed name a company's (derive.legal_forms). */
  legalForms: Set<string>;
  /** Legal forms and business words as screening reads them ("Tech." is "technical"): what may follow a company's name in the way people write it ("Huawei Tech."). */
  trailingWords: Set<string>;
  /** Chinese words that end a unit's name (实验室), and words that name another kind of organisation (大学). */
  unitSuffixesZh: string[];
  otherWordsZh: string[];
  /** Chinese words naming a line of business, written between a company's brand and its legal form (计算, 技术: units.business_words_zh). */
  businessWordsZh: string[];
  /** Words that make a listed name an organisation's, not a person's (one_word_aliases). */
  organisationWords: Set<string>;
  /** Legal forms and regions that place a company outside the country its name is listed in (placed_abroad). */
  abroad: { legalForms: { form: string; key: string; countries: string[] }[]; regions: { name: string; words: string[]; countries: string[] }[] };
  /** Institutions the registry lacks, tied to a listed one, each with its source (related). */
  related: RelatedInstitution[];
  /** Words that make a name a hospital's, read beside a listed institution's whole name as its hospital (related.hospitals). */
  hospitals: { words: Set<string>; wordsZh: string[] };
  /**
   * A city written by its initials in a Chinese company's name ("SZ DJI Technology"): the abbreviation and the city, by
   * the countries it holds in. Read on both sides: in a listed name, and in a screened name where a place may stand.
   */
  cities: { countries: Set<string>; byAbbreviation: Map<string, string> };
  /**
   * A company named after a listed institution ("Beihang Technology Co"): the words that make a listed name an institution's
   * that is no company, and the legal forms and company words (as screening reads them, and in Chinese) that name a company (named_after).
   */
  /** Places that are cities as well as provinces (Beijing, Shanghai): a city in a listed name too (leading_city). */
  cityProvinces: Set<string>;
  namedAfter: { institutionWords: Set<string>; companyWords: Set<string>; fieldWords: Set<string>; companyWordsZh: string[] };
  /** The armed forces' name written before a military institution's or not ("PLA Unit 63820", 军事科学院): the prefixes as screening reads them (armed_forces). */
  armedForces: {
    countries: Set<string>;
    prefixes: string[][];
    suffixes: string[][];
    prefixesZh: string[];
    militaryWordsZh: string[];
    /** `listedAs`: the names a list's words may give the service under, its own and those of the services it succeeds (the Information Support Force, the Strategic Support Force's). */
    services: { name: string; names: string[][]; zh: string[]; succeeds: string[]; listedAs: string[][] }[];
  };
  /** Words that open a unit written after a listed institution's whole name without a comma ("… School of Computer Science"), as screening reads them (unit_after_name). */
  unitAfterName: Set<string>;
  /** Compound words a name may write as two ("North Western": northwestern), as screening reads them (written_apart). */
  writtenApart: Set<string>;
  /** Chinese legal forms a company's Chinese name is written without (中国电子科技集团 for …有限公司), longest first (without_legal_form_zh). */
  legalFormsZh: string[];
}

export interface RelatedInstitution {
  name: string;
  country: string;
  names: { value: string; source: string }[];
  relatedTo: { name: string; ror: string };
  relation: string;
  source: string;
}

/** A legal form as compared: its letters only, lower-cased ("B.V." and "BV" are "bv"). */
export const legalFormKey = (form: string): string =>
  form
    .normalize('NFKD')
    .replace(/[^\p{L}]/gu, '')
    .toLowerCase();

type LegalForm = UnitRule['abroad']['legalForms'][number];
/** Each list of legal forms by key, the first form of a key kept ("GmbH" and "Gmbh" are one). */
const formsByKey = new WeakMap<readonly LegalForm[], Map<string, LegalForm>>();

/**
 * The legal form of `forms` closing a name, of up to four words ("Hikvision Europe B.V.": "B.V."; "S. A. de C. V."), and
 * the name before it; null when the last words are none. Screening reads with it where a subsidiary is, the matcher
 * whether a group's name is written as its company abroad.
 */
export function closingLegalForm(part: string, forms: readonly LegalForm[]): { form: LegalForm; rest: string } | null {
  let byKey = formsByKey.get(forms);
  if (!byKey) {
    byKey = new Map();
    for (const f of forms) if (!byKey.has(f.key)) byKey.set(f.key, f);
    formsByKey.set(forms, byKey);
  }
  const words = part.trim().split(/\s+/);
  for (let k = Math.min(4, words.length - 1); k >= 1; k--) {
    const form = byKey.get(legalFormKey(words.slice(-k).join('')));
    if (form) return { form, rest: words.slice(0, -k).join(' ') };
  }
  return null;
}

/** The start of the source of a short name derived by rule (not curated). */
export const DERIVED = 'derived by rule';

const KINDS = ['alias', 'chinese', 'short'] as const;

/** Reads the alias file; a name without a source, or a file without provenance, is refused. */
export function loadAliases(file = aliasesFile()): AliasData {
  const text = readTextFile(file, (m) => new ListError(m));
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ListError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  if (typeof doc?.provenance?.title !== 'string') throw new ListError(`${file}: the alias file has no provenance block`);
  const d = doc.derive ?? {};
  for (const k of ['countries', 'legal_forms', 'business_words']) if (!Array.isArray(d[k])) throw new ListError(`${file}: derive.${k} must be a list`);
  if (typeof d.rule !== 'string' || !Number.isInteger(d.min_letters) || !Number.isInteger(d.max_registry_names)) throw new ListError(`${file}: derive needs rule, min_letters and max_registry_names`);
  const u = doc.units;
  if (typeof u?.rule !== 'string' || typeof u.source !== 'string' || !Array.isArray(u.unit_words) || !Array.isArray(u.other_organisation_words)) throw new ListError(`${file}: units needs rule, source, unit_words and other_organisation_words`);
  if (u.joint_words_zh !== undefined && (!Array.isArray(u.joint_words_zh) || u.joint_words_zh.some((w: unknown) => typeof w !== 'string' || !hasCjk(w)))) throw new ListError(`${file}: units.joint_words_zh must be a list of Chinese words`);
  for (const k of ['unit_suffixes_zh', 'other_organisation_words_zh']) if (!Array.isArray(u[k]) || u[k].some((w: unknown) => typeof w !== 'string' || !hasCjk(w))) throw new ListError(`${file}: units.${k} must be a list of Chinese words`);
  // Optional, as an office's own alias file may leave it out: then only company words follow a brand.
  if (u.business_words_zh !== undefined && (typeof u.business_rule_zh !== 'string' || typeof u.business_source !== 'string' || !Array.isArray(u.business_words_zh) || u.business_words_zh.some((w: unknown) => typeof w !== 'string' || !hasCjk(w))))
    throw new ListError(`${file}: units.business_words_zh must be a list of Chinese words, with business_rule_zh and business_source`);
  // Compared as screening reads words: "Labs" is "laboratory".
  const words = (ws: unknown[], what: string) =>
    new Set(
      ws.map((w, i) => {
        if (typeof w !== 'string' || nameTokens(w).length !== 1) throw new ListError(`${file}: ${what.includes('.') ? what : `units.${what}`}[${i}]: one word expected, found ${JSON.stringify(w)}`);
        return nameTokens(w)[0]!;
      }),
    );
  const trailingWords = new Set([...d.legal_forms, ...d.business_words].flatMap((w: string) => [foldText(w), ...nameTokens(w)]).filter((w) => w !== ''));
  const lone = doc.one_word_aliases;
  if (typeof lone?.rule !== 'string' || typeof lone.source !== 'string' || !Array.isArray(lone.organisation_words)) throw new ListError(`${file}: one_word_aliases needs rule, source and organisation_words`);
  const abroad = doc.placed_abroad;
  if (typeof abroad?.rule !== 'string' || typeof abroad.source !== 'string' || !Array.isArray(abroad.legal_forms) || !Array.isArray(abroad.regions)) throw new ListError(`${file}: placed_abroad needs rule, source, legal_forms and regions`);
  const codes = (cs: unknown, where: string): string[] => {
    if (!Array.isArray(cs) || cs.length === 0 || cs.some((c) => typeof c !== 'string' || !/^[A-Z]{2}$/.test(c))) throw new ListError(`${file}: ${where}: countries must be a list of ISO 3166 codes`);
    return cs;
  };
  const legalForms = (abroad.legal_forms as any[]).map((f, i) => {
    if (typeof f?.form !== 'string' || legalFormKey(f.form).length < 2) throw new ListError(`${file}: placed_abroad.legal_forms[${i}]: a form of two letters or more expected`);
    return { form: f.form as string, key: legalFormKey(f.form), countries: codes(f.countries, `placed_abroad.legal_forms[${i}] (${f.form})`) };
  });
  const regions = (abroad.regions as any[]).map((r, i) => {
    if (typeof r?.name !== 'string' || !Array.isArray(r.words) || r.words.some((w: unknown) => typeof w !== 'string' || foldText(w) === '')) throw new ListError(`${file}: placed_abroad.regions[${i}]: needs name and words`);
    return { name: r.name as string, words: (r.words as string[]).map(foldText), countries: codes(r.countries, `placed_abroad.regions[${i}] (${r.name})`) };
  });
  const related = ((doc.related?.institutions ?? []) as any[]).map((r, i): RelatedInstitution => {
    const where = `related.institutions[${i}]${typeof r?.name === 'string' ? ` (${r.name})` : ''}`;
    if (typeof r?.name !== 'string' || typeof r.country !== 'string' || !Array.isArray(r.names) || typeof r.relation !== 'string') throw new ListError(`${file}: ${where}: needs name, country, names and relation`);
    if (typeof r.source !== 'string' || r.source.trim() === '') throw new ListError(`${file}: ${where}: every tie needs its source`);
    if (typeof r.related_to?.name !== 'string' || typeof r.related_to.ror !== 'string') throw new ListError(`${file}: ${where}: related_to needs the listed institution's name and ROR id`);
    for (const [j, n] of (r.names as any[]).entries()) if (typeof n?.value !== 'string' || typeof n.source !== 'string' || n.source.trim() === '') throw new ListError(`${file}: ${where}.names[${j}]: every name needs its value and source`);
    return { name: r.name, country: r.country, names: r.names, relatedTo: { name: r.related_to.name, ror: r.related_to.ror }, relation: r.relation, source: r.source };
  });
  // An office's own alias file may leave the block out: then a hospital is screened by its own name only.
  const hospitals = doc.related?.hospitals;
  if (hospitals !== undefined && (typeof hospitals?.rule !== 'string' || typeof hospitals.source !== 'string' || !Array.isArray(hospitals.words) || !Array.isArray(hospitals.words_zh) || hospitals.words_zh.some((w: unknown) => typeof w !== 'string' || !hasCjk(w))))
    throw new ListError(`${file}: related.hospitals needs rule, source, words and words_zh (Chinese words)`);
  // An office's own alias file may leave the block out: then no city is written out.
  const abbreviated = doc.city_abbreviations;
  if (abbreviated !== undefined && (typeof abbreviated?.rule !== 'string' || typeof abbreviated.source !== 'string' || !Array.isArray(abbreviated.countries) || typeof abbreviated.cities !== 'object' || abbreviated.cities === null))
    throw new ListError(`${file}: city_abbreviations needs rule, source, countries and cities`);
  const cities = Object.entries((abbreviated?.cities ?? {}) as Record<string, unknown>).map(([abbreviation, city]): [string, string] => {
    if (!/^[A-Z]{2,3}$/.test(abbreviation) || typeof city !== 'string' || nameTokens(city).length !== 1) throw new ListError(`${file}: city_abbreviations.cities.${abbreviation}: two or three capitals naming one city expected`);
    return [abbreviation, city];
  });
  // An office's own alias file may leave the block out: then a listed institution's name takes company words as before.
  const after = doc.named_after;
  if (
    after !== undefined &&
    (typeof after?.rule !== 'string' ||
      typeof after.source !== 'string' ||
      !Array.isArray(after.institution_words) ||
      !Array.isArray(after.company_words) ||
      !Array.isArray(after.field_words) ||
      !Array.isArray(after.company_words_zh) ||
      after.company_words_zh.some((w: unknown) => typeof w !== 'string' || !hasCjk(w)))
  )
    throw new ListError(`${file}: named_after needs rule, source, institution_words, company_words, field_words and company_words_zh (Chinese words)`);
  const asRead = (ws: string[]) => new Set(ws.flatMap((w) => [foldText(w), ...nameTokens(w)]).filter((w) => w !== ''));
  const leadingCity = doc.leading_city;
  if (leadingCity !== undefined && (typeof leadingCity?.rule !== 'string' || typeof leadingCity.source !== 'string' || !Array.isArray(leadingCity.city_provinces) || leadingCity.city_provinces.some((c: unknown) => typeof c !== 'string')))
    throw new ListError(`${file}: leading_city needs rule, source and city_provinces (a list of places)`);
  // An office's own alias file may leave the block out: then a name is screened with its prefix as written.
  const forces = doc.armed_forces;
  const strings = (v: unknown) => Array.isArray(v) && v.every((w) => typeof w === 'string' && w.trim() !== '');
  if (
    forces !== undefined &&
    (typeof forces?.rule !== 'string' || typeof forces.source !== 'string' || !strings(forces.countries) || !strings(forces.prefixes) || !strings(forces.prefixes_zh) || !strings(forces.military_words_zh) || [...forces.prefixes_zh, ...forces.military_words_zh].some((w: string) => !hasCjk(w)))
  )
    throw new ListError(`${file}: armed_forces needs rule, source, countries, prefixes, and prefixes_zh and military_words_zh (Chinese words)`);
  if (forces?.suffixes !== undefined && !strings(forces.suffixes)) throw new ListError(`${file}: armed_forces.suffixes must be a list of names`);
  if (
    forces?.services !== undefined &&
    (!Array.isArray(forces.services) || forces.services.some((x: any) => !strings(x?.names) || !strings(x?.zh) || x.zh.some((w: string) => !hasCjk(w)) || (x.succeeds !== undefined && !strings(x.succeeds))) || typeof forces.services_rule !== 'string' || typeof forces.services_source !== 'string')
  )
    throw new ListError(`${file}: armed_forces.services needs each service's names and zh (Chinese names), succeeds (names) where given, with services_rule and services_source`);
  // Each optional: an office's own alias file may leave any out, and then names are screened as written.
  const block = (key: string, list: string, zh = false): string[] => {
    const b = doc[key];
    if (b === undefined) return [];
    if (typeof b?.rule !== 'string' || typeof b.source !== 'string' || !strings(b[list]) || (zh && (b[list] as string[]).some((w) => !hasCjk(w)))) throw new ListError(`${file}: ${key} needs rule, source and ${list} (a list of ${zh ? 'Chinese words' : 'words'})`);
    return b[list];
  };
  const offshore = doc.registered_offshore;
  if (offshore !== undefined && (typeof offshore?.rule !== 'string' || typeof offshore.source !== 'string' || typeof offshore.home !== 'string' || !Array.isArray(offshore.native) || offshore.native.some((c: unknown) => typeof c !== 'string')))
    throw new ListError(`${file}: registered_offshore needs rule, source, home and native (a list of countries)`);
  const units: UnitRule = {
    file: file.split('/').slice(-3).join('/'),
    unitWords: words(u.unit_words, 'unit_words'),
    branchWords: words(u.branch_words ?? [], 'branch_words'),
    businessWords: words(u.business_words ?? [], 'business_words'),
    jointWords: words(u.joint_words ?? [], 'joint_words'),
    jointWordsZh: u.joint_words_zh ?? [],
    otherWords: words(u.other_organisation_words, 'other_organisation_words'),
    legalForms: new Set(d.legal_forms),
    trailingWords,
    unitSuffixesZh: u.unit_suffixes_zh,
    otherWordsZh: u.other_organisation_words_zh,
    businessWordsZh: u.business_words_zh ?? [],
    organisationWords: new Set((lone.organisation_words as unknown[]).filter((w): w is string => typeof w === 'string').flatMap((w) => nameTokens(w))),
    abroad: { legalForms, regions },
    related,
    hospitals: { words: hospitals ? words(hospitals.words, 'related.hospitals.words') : new Set(), wordsZh: hospitals?.words_zh ?? [] },
    cities: { countries: new Set(abbreviated?.countries ?? []), byAbbreviation: new Map(cities) },
    cityProvinces: new Set(((leadingCity?.city_provinces ?? []) as string[]).map(foldText)),
    namedAfter: {
      institutionWords: asRead(after?.institution_words ?? []),
      companyWords: asRead(after ? [...d.legal_forms, ...after.company_words] : []),
      fieldWords: asRead(after?.field_words ?? []),
      companyWordsZh: after?.company_words_zh ?? [],
    },
    armedForces: {
      countries: new Set(forces?.countries ?? []),
      prefixes: ((forces?.prefixes ?? []) as string[]).map((p) => screenTokens(p)),
      suffixes: ((forces?.suffixes ?? []) as string[]).map((p) => screenTokens(p)),
      // Longest first: 中国人民解放军 before 解放军.
      prefixesZh: [...((forces?.prefixes_zh ?? []) as string[])].sort((a, b) => b.length - a.length),
      militaryWordsZh: forces?.military_words_zh ?? [],
      services: ((forces?.services ?? []) as { names: string[]; zh: string[]; succeeds?: string[] }[]).map((x) => ({
        name: x.names[0]!,
        names: x.names.map((n) => screenTokens(n)),
        zh: x.zh,
        succeeds: x.succeeds ?? [],
        listedAs: [...x.names, ...(x.succeeds ?? [])].map((n) => screenTokens(n)),
      })),
    },
    unitAfterName: asRead(block('unit_after_name', 'words')),
    writtenApart: new Set(block('written_apart', 'words').map(foldText)),
    legalFormsZh: [...block('without_legal_form_zh', 'legal_forms_zh', true)].sort((a, b) => b.length - a.length),
  };
  const curated = ((doc.curated ?? []) as any[]).map((c, i): CuratedNames => {
    const where = `curated[${i}]${typeof c?.entity === 'string' ? ` (${c.entity})` : ''}`;
    if (typeof c?.entity !== 'string' || typeof c?.country !== 'string' || !Array.isArray(c?.names)) throw new ListError(`${file}: ${where}: needs entity, country and names`);
    for (const [j, n] of (c.names as any[]).entries()) {
      if (typeof n?.value !== 'string' || n.value.trim() === '') throw new ListError(`${file}: ${where}.names[${j}]: no name`);
      if (!(KINDS as readonly string[]).includes(n.kind)) throw new ListError(`${file}: ${where}.names[${j}] (${n.value}): kind must be one of ${KINDS.join(', ')}`);
      if (typeof n.source !== 'string' || n.source.trim() === '') throw new ListError(`${file}: ${where}.names[${j}] (${n.value}): every curated name needs its source`);
      if (n.unverified !== undefined && (typeof n.unverified !== 'string' || n.unverified.trim() === '')) throw new ListError(`${file}: ${where}.names[${j}] (${n.value}): unverified must say why`);
    }
    return { entity: c.entity, country: c.country, names: c.names };
  });
  return {
    file,
    version: sha256Hex(text).slice(0, 16),
    derive: { rule: d.rule, countries: new Set(d.countries), legalForms: new Set(d.legal_forms), businessWords: new Set(d.business_words), minLetters: d.min_letters, maxRegistryNames: d.max_registry_names },
    units,
    curated,
    offshore: offshore === undefined ? null : { home: offshore.home, native: offshore.native },
  };
}

/**
 * A listed company name with its city written out ("SZ DJI Technology Co., Ltd." is "Shenzhen DJI Technology Co., Ltd."),
 * or null: only an abbreviation opening a name of three words or more, written in capitals as the file gives it.
 */
export function cityWrittenOut(name: string, cities: UnitRule['cities']): { value: string; abbreviation: string; city: string } | null {
  const [first, ...rest] = name.trim().split(/\s+/);
  const city = first === undefined ? undefined : cities.byAbbreviation.get(first);
  return city && rest.length >= 2 ? { value: `${city} ${rest.join(' ')}`, abbreviation: first!, city } : null;
}

/** A listed Chinese name without the armed forces' name before it (中国人民解放军军事科学院: 军事科学院), where what remains names a military institution by itself. */
function withoutArmedForces(entry: RiskEntry, forces: UnitRule['armedForces'], file: string): EntryName[] {
  return entry.names.flatMap((n): EntryName[] => {
    if (n.kind === 'subsidiary' || !hasCjk(n.value)) return [];
    const prefix = forces.prefixesZh.find((p) => n.value.startsWith(p));
    const rest = prefix ? n.value.slice(prefix.length) : '';
    if (!prefix || !forces.militaryWordsZh.some((w) => rest.includes(w))) return [];
    return [{ value: rest, kind: 'chinese', source: `the listed name "${n.value}" without "${prefix}", the armed forces' name (${file.split('/').slice(-3).join('/')}, armed_forces)` }];
  });
}

/** How many registry institutions use each word in their display name: a brand is rare. */
export function registryWordCounts(registry: Iterable<Institution>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const inst of registry) for (const w of new Set(foldText(inst.name).split(' '))) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** The short name the rule derives from a company's listed name, or null when none is sound. */
export function deriveShortName(name: string, rules: AliasData['derive'], isPlace: (word: string) => boolean, registryCount: (word: string) => number): string | null {
  if (hasCjk(name) || /[()（）]/.test(name)) return null;
  const words = name
    .split(/[\s,]+/)
    .map((w) => w.replace(/\.+$/, ''))
    .filter((w) => w !== '');
  // One word, whatever its case: "SenseTime" is one brand, not two words.
  const plain = (w: string) => foldText(w.toLowerCase()) || w;
  let end = words.length;
  const strippable = (w: string) => rules.legalForms.has(plain(w)) || rules.businessWords.has(plain(w)) || rules.businessWords.has(w);
  while (end > 1 && strippable(words[end - 1]!)) end--;
  let start = 0;
  if (end - start > 1 && isPlace(plain(words[0]!))) start++;
  if (end - start !== 1 || end === words.length) return null;
  const word = words[start]!;
  const folded = plain(word);
  if (word.length < rules.minLetters || folded.includes(' ') || isPlace(folded) || isNondistinctive([folded]) || registryCount(folded) > rules.maxRegistryNames) return null;
  return word;
}

/**
 * The lists with the names people write added to their entries: short names derived by rule,
 * and curated names matched to entries by name and country. Added names carry their source.
 */
export function applyAliases(lists: RiskList[], aliases: AliasData, isPlace: (word: string) => boolean, countryCodeOf: (name: string) => string | null, wordCounts: Map<string, number>, addressCountryOf: (address: string) => string | null): RiskList[] {
  const curatedByKey = new Map<string, CuratedNames[]>();
  for (const c of aliases.curated) {
    const key = `${screenKey(c.entity)}\u0000${countryCodeOf(c.country) ?? c.country}`;
    curatedByKey.set(key, [...(curatedByKey.get(key) ?? []), c]);
  }
  const count = (w: string) => wordCounts.get(w) ?? 0;
  // A name the lists already carry ("Hikvision", "Skyverse") finds its entries as it is; a short
  // name is only derived where it adds a name, so that a group's brand does not pull in every subsidiary.
  const listed = new Set(lists.flatMap((l) => l.entries.flatMap((e) => e.names.filter((n) => n.kind !== 'subsidiary').map((n) => screenKey(n.value)))));
  return lists.map((list) => ({
    ...list,
    entries: list.entries.map((asListed) => {
      const entry = atHome(asListed, aliases.offshore, countryCodeOf, addressCountryOf);
      const country = entry.country ? (countryCodeOf(entry.country) ?? entry.country) : null;
      const added: EntryName[] = [];
      // Curated names first: a name both curated and derived keeps its curated source.
      const keys = new Set(entry.names.filter((n) => n.kind !== 'subsidiary').map((n) => screenKey(n.value)));
      for (const key of keys) for (const c of curatedByKey.get(`${key}\u0000${country}`) ?? []) for (const n of c.names) added.push({ value: n.value, kind: n.kind, source: n.unverified ? `${n.source}; UNVERIFIED: ${n.unverified}` : n.source });
      // The listed name only, as only listed names join organisations: a list's alias may name a parent, not the entry.
      const written = entry.country && aliases.units.cities.countries.has(entry.country) ? cityWrittenOut(entry.name, aliases.units.cities) : null;
      if (written) added.push({ value: written.value, kind: 'alias', source: `the listed name with its city written out: "${written.abbreviation}" is ${written.city} (${aliases.file.split('/').slice(-3).join('/')}, city_abbreviations)` });
      if (entry.country && aliases.units.armedForces.countries.has(entry.country)) added.push(...withoutArmedForces(entry, aliases.units.armedForces, aliases.file));
      if (entry.country && aliases.derive.countries.has(entry.country)) {
        const short = deriveShortName(entry.name, aliases.derive, isPlace, count);
        if (short && !listed.has(screenKey(short))) added.push({ value: short, kind: 'short', source: `${DERIVED} from the listed name "${entry.name}" (${aliases.file.split('/').slice(-3).join('/')})` });
      }
      // Written as the company writes it, a brand is kept beside the list's capitals ("iFlytek", "IFLYTEK"): only the former reads as a word, not an acronym.
      // A list's own alias curated as the company's brand ("Tencent") is kept as that short name too: with its source, it opens a unit's name ("Tencent AI Lab").
      const seen = (n: EntryName) => `${n.kind === 'short' ? 'short\u0000' : ''}${n.value}`;
      const have = new Set(entry.names.map(seen));
      const fresh = added.filter((n) => !have.has(seen(n)) && (have.add(seen(n)), true));
      return fresh.length ? { ...entry, names: [...entry.names, ...fresh] } : entry;
    }),
  }));
}

/**
 * A Chinese company a list places where it is registered offshore ("Megvii Technology Limited", Cayman Islands), read as
 * in its home country (registered_offshore): the list gives it a name in Chinese characters or an address there. Where
 * it is registered is kept (registeredIn), as a string may still place it there.
 */
export function atHome(entry: RiskEntry, offshore: AliasData['offshore'], countryCodeOf: (name: string) => string | null, addressCountryOf: (address: string) => string | null): RiskEntry {
  if (!offshore || !entry.country) return entry;
  const code = (c: string) => countryCodeOf(c) ?? c;
  const home = code(offshore.home);
  const listed = code(entry.country);
  if (listed === home || offshore.native.some((c) => code(c) === listed)) return entry;
  const chinese = entry.names.some((n) => n.kind !== 'subsidiary' && hasCjk(n.value));
  if (!chinese && !(entry.addresses ?? []).some((a) => addressCountryOf(a) === home)) return entry;
  return { ...entry, country: offshore.home, registeredIn: entry.country };
}
