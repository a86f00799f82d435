import { readTextFile } from '../text-file.ts';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Type, { type Static } from 'typebox';
import { hasCjk } from '../resolve/normalize.ts';
import { checkSchema } from '../schema.ts';

export const LEVELS = ['very-high', 'high', 'medium', 'low'] as const;
export type Level = (typeof LEVELS)[number];

/** 'short': a short name people write ('Huawei'), derived by rule or curated (data/lists/aliases.json). */
export type NameKind = 'primary' | 'alias' | 'chinese' | 'subsidiary' | 'short';

export interface EntryName {
  value: string;
  kind: NameKind;
  /** Where a name the list itself does not give comes from. */
  source?: string;
}

export interface RiskEntry {
  /** Stable within a list: the source's id where it has one, else derived from the primary name. */
  id: string;
  name: string;
  names: EntryName[];
  country: string | null;
  category: string | null;
  level: Level;
  /** The source's own words about the entry. */
  sourceText: string | null;
  url: string | null;
  /** ROR ids the list itself names (user watchlists may). */
  rorIds: string[];
  /** The id of another entry of the same list that this one belongs to. */
  parentEntry: string | null;
  /** FollowTheMoney topics ("sanction", "export.control") a list loaded from FtM gives the entry. */
  topics?: string[];
}

export interface Provenance {
  title: string;
  publisher: string;
  source_url: string;
  retrieved: string;
  licence: string;
  [more: string]: unknown;
}

export interface RiskList {
  id: string;
  provenance: Provenance;
  /** Content hash of the file read: two loads of the same file are the same version. */
  version: string;
  file: string;
  levelRationale: string;
  entries: RiskEntry[];
}

export class ListError extends Error {}

const REQUIRED_PROVENANCE = ['title', 'publisher', 'source_url', 'retrieved', 'licence'] as const;

type Json = Record<string, any>;

const text = Type.String({ minLength: 1, pattern: '\\S' });
const LEVEL = Type.Enum([...LEVELS]);
const levelMeaning = Type.Object({ weight: Type.Number({ minimum: 0, description: 'a weight (a number, 0 or more)' }), meaning: text }, { additionalProperties: false });

/**
 * The list catalogue as written (data/lists/catalog.json): which published lists derisk reads, in
 * which format, at which level, with their provenance. One schema checks its shape; a list's
 * provenance is completed from its source file (nsfreg) and checked when the list is read.
 */
export const ListCatalogueDocument = Type.Object(
  {
    provenance: Type.Object({}, { description: 'where the catalogue comes from (an object)' }),
    levels: Type.Object({ 'very-high': levelMeaning, high: levelMeaning, medium: levelMeaning, low: levelMeaning }, { additionalProperties: false }),
    lists: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'a list id (lower-case letters, digits and dashes)' }),
          short_name: text,
          title: Type.Optional(text),
          publisher: Type.Optional(text),
          source_url: text,
          official_url: Type.Optional(text),
          retrieved: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'a date (YYYY-MM-DD)' }),
          licence: text,
          format: Type.Enum(['misp-galaxy', 'nsfreg', 'canada-nro']),
          mirror_path: text,
          nsfreg_id: Type.Optional(text),
          level: Type.Optional(LEVEL),
          /** The level by the source's own category (the ASPI tracker's), where one level does not fit all entries. */
          level_by_category: Type.Optional(Type.Record(Type.String(), LEVEL)),
          level_rationale: text,
          /** The country an entry without one is in, as the list would write it ("China"). */
          default_country: Type.Optional(text),
          caveats: Type.Optional(text),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'The catalogue of published risk lists' },
);
export type ListCatalogue = Static<typeof ListCatalogueDocument>;
export type CatalogueList = ListCatalogue['lists'][number];

export const LIST_CATALOGUE = fileURLToPath(new URL('../../data/lists/catalog.json', import.meta.url));

export function loadListCatalogue(path = LIST_CATALOGUE): ListCatalogue {
  const raw = parseJson(path);
  checkSchema(ListCatalogueDocument, raw, (m) => new ListError(`${path}: ${m}`), 'the catalogue');
  return raw as ListCatalogue;
}

function parseJson(path: string): unknown {
  const text = readTextFile(path, (m) => new ListError(m));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ListError(`${path}: not valid JSON (${(e as Error).message})`);
  }
}

const contentVersion = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);

function checkProvenance(file: string, provenance: Json): Provenance {
  const missing = REQUIRED_PROVENANCE.filter((k) => typeof provenance[k] !== 'string' || provenance[k].trim() === '');
  if (missing.length > 0) throw new ListError(`${file}: list refused, provenance lacks ${missing.join(', ')}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(provenance.retrieved)) throw new ListError(`${file}: provenance "retrieved" must be a date (YYYY-MM-DD), got ${JSON.stringify(provenance.retrieved)}`);
  return provenance as Provenance;
}

function level(file: string, where: string, value: unknown): Level {
  if (typeof value === 'string' && (LEVELS as readonly string[]).includes(value)) return value as Level;
  throw new ListError(`${file}: ${where}: level ${JSON.stringify(value)} is not one of ${LEVELS.join(', ')}`);
}

const slug = (s: string): string =>
  s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9\u3400-\u9fff]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 80);

/** "Name (AASPT)" or "English name (中文名)": the part in brackets is an alias or the Chinese name. */
export function splitBracketed(value: string): EntryName[] {
  const m = /^(.*\S)\s*[（(]([^()（）]+)[)）]\s*$/.exec(value.trim());
  if (!m) return [{ value: value.trim(), kind: 'primary' }];
  const inner = m[2]!.trim();
  return [
    { value: m[1]!.trim(), kind: 'primary' },
    { value: inner, kind: hasCjk(inner) ? 'chinese' : 'alias' },
  ];
}

function aliasNames(values: unknown[]): EntryName[] {
  return values.filter((v): v is string => typeof v === 'string' && v.trim() !== '').flatMap((v) => splitBracketed(v).map((n) => ({ value: n.value, kind: n.kind === 'primary' ? (hasCjk(n.value) ? ('chinese' as const) : ('alias' as const)) : n.kind })));
}

function dedupeNames(names: EntryName[]): EntryName[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const key = n.value.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function uniqueIds(file: string, entries: RiskEntry[]): RiskEntry[] {
  const seen = new Map<string, number>();
  return entries.map((e) => {
    const n = (seen.get(e.id) ?? 0) + 1;
    seen.set(e.id, n);
    if (n > 1 && e.id === '') throw new ListError(`${file}: an entry has no name`);
    return n > 1 ? { ...e, id: `${e.id}-${n}` } : e;
  });
}

function entryName(file: string, where: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw new ListError(`${file}: ${where}: entry has no name`);
  return value.trim();
}

/** The MISP galaxy cluster of ASPI's China Defence Universities Tracker. */
function readMispGalaxy(file: string, spec: CatalogueList): Omit<RiskList, 'provenance' | 'version' | 'file' | 'levelRationale'> {
  const doc = parseJson(file) as Json;
  if (!Array.isArray(doc.values)) throw new ListError(`${file}: not a MISP galaxy cluster (no "values" array)`);
  const byCategory = spec.level_by_category;
  if (!byCategory) throw new ListError(`${LIST_CATALOGUE}: list ${spec.id} needs level_by_category`);
  const entries = doc.values.map((v: Json, i: number): RiskEntry => {
    const where = `entry ${i + 1}${v.uuid ? ` (${v.uuid})` : ''}`;
    const names = splitBracketed(entryName(file, where, v.value));
    const meta: Json = v.meta ?? {};
    const categories: string[] = Array.isArray(meta.categories) ? meta.categories : [];
    if (categories.length === 0) throw new ListError(`${file}: ${where}: no category, so no level can be given`);
    const levels = categories.map((c) => level(LIST_CATALOGUE, `${spec.id} category ${JSON.stringify(c)}`, byCategory[c]));
    const highest = LEVELS.find((l) => levels.includes(l))!;
    const subsidiaries = [...(meta.subsidiaries ?? []), ...(meta['major defence laboratories'] ?? [])].filter((s: unknown): s is string => typeof s === 'string').flatMap((s: string) => splitBracketed(s).map((n) => ({ value: n.value, kind: 'subsidiary' as const })));
    return {
      id: typeof v.uuid === 'string' ? v.uuid : slug(names[0]!.value),
      name: names[0]!.value,
      names: dedupeNames([...names, ...aliasNames(meta.aliases ?? []), ...subsidiaries]),
      country: 'China',
      category: categories.join('; '),
      level: highest,
      sourceText: typeof v.description === 'string' ? v.description : null,
      url: Array.isArray(meta.refs) && typeof meta.refs[0] === 'string' ? meta.refs[0] : null,
      rorIds: [],
      parentEntry: null,
    };
  });
  return { id: spec.id, entries };
}

const LEGAL_FORM_FIRST = /^(?:(?:co|ltd|inc|limited|llc|plc|corp)\.?\s*)+(?:[()].*)?$/i;

/**
 * The subsidiaries a list's notes name with the entry ("Listed together with subsidiaries: BGI
 * Americas Corporation, BGI Genomics Co., Ltd. (BGI), Complete Genomics, Inc., and …", as the DoD's
 * 1260H list writes them): each a name of a listed subsidiary. A comma before a legal form ("Co.,
 * Ltd.", ", Inc.") is inside a name; a name cut short by the source ("…"), or a lone word outside
 * brackets (a fragment of a name the source wrote without its comma), is left out.
 */
export function notedSubsidiaries(notes: unknown): EntryName[] {
  const m = typeof notes === 'string' ? /Listed together with subsidiaries:\s*([^|]*)/.exec(notes) : null;
  if (!m) return [];
  const names: string[] = [];
  for (const piece of m[1]!
    .trim()
    .replace(/\.$/, '')
    .split(/,\s+(?:and\s+)?/)) {
    if (names.length > 0 && LEGAL_FORM_FIRST.test(piece)) names[names.length - 1] += `, ${piece}`;
    else names.push(piece);
  }
  return names.filter((n) => /\S\s+\S/.test(n) && !/\.\.\.|…/.test(n)).flatMap((n) => splitBracketed(n).map((x) => ({ value: x.value, kind: 'subsidiary' as const })));
}

/** A per-list file of phagehunter/nsfreg (U.S. restricted-party lists). */
function readNsfreg(file: string, spec: CatalogueList): Omit<RiskList, 'provenance' | 'version' | 'file' | 'levelRationale'> {
  const doc = parseJson(file) as Json;
  if (!Array.isArray(doc.entities) || typeof doc.list_id !== 'string') throw new ListError(`${file}: not an nsfreg list file (needs "list_id" and "entities")`);
  if (spec.nsfreg_id && doc.list_id !== spec.nsfreg_id) throw new ListError(`${file}: holds list ${doc.list_id}, the catalogue expects ${spec.nsfreg_id}`);
  const entries = doc.entities.map((e: Json, i: number): RiskEntry => {
    const names = splitBracketed(entryName(file, `entity ${i + 1}`, e.name));
    const text = [e.notes, e.federal_register ? `Federal Register: ${e.federal_register}` : null, e.address ? `Address: ${e.address}` : null].filter(Boolean).join(' — ');
    return {
      id: slug(names[0]!.value),
      name: names[0]!.value,
      names: dedupeNames([...names, ...aliasNames(e.aliases ?? []), ...notedSubsidiaries(e.notes)]),
      country: typeof e.country === 'string' ? e.country : (spec.default_country ?? null),
      category: typeof e.notes === 'string' && /Table 2/.test(e.notes) ? 'talent programme' : null,
      level: level(LIST_CATALOGUE, `list ${spec.id}`, spec.level),
      sourceText: text || null,
      url: null,
      rorIds: [],
      parentEntry: null,
    };
  });
  return { id: spec.id, entries: uniqueIds(file, entries) };
}

/** Canada's Named Research Organizations as transcribed by RSToolkit. */
function readCanadaNro(file: string, spec: CatalogueList): Omit<RiskList, 'provenance' | 'version' | 'file' | 'levelRationale'> {
  const doc = parseJson(file) as Json;
  if (!Array.isArray(doc.organizations)) throw new ListError(`${file}: not a Named Research Organizations file (no "organizations" array)`);
  const entries = doc.organizations.map((o: Json, i: number): RiskEntry => {
    const names = splitBracketed(entryName(file, `organisation ${i + 1}`, o.name));
    return {
      id: typeof o.id === 'string' && o.id !== '' ? o.id : slug(names[0]!.value),
      name: names[0]!.value,
      names: dedupeNames([...names, ...aliasNames(o.aliases ?? [])]),
      country: typeof o.country === 'string' ? o.country : null,
      category: null,
      level: level(LIST_CATALOGUE, `list ${spec.id}`, spec.level),
      sourceText: [o.city ? `City: ${o.city}` : null, o.parentOrg ? `Part of: ${o.parentOrg}` : null].filter(Boolean).join(' — ') || null,
      url: (doc.sourceUrl as string | undefined) ?? null,
      rorIds: [],
      parentEntry: typeof o.parentOrg === 'string' ? o.parentOrg : null,
    };
  });
  return { id: spec.id, entries: uniqueIds(file, entries) };
}

/**
 * A user's own watchlist: `{ "list": { id, title, publisher, source_url, retrieved, licence },
 * "entries": [ { name, aliases?, name_zh?, country?, category?, level, note?, ror_ids? } ] }`.
 */
export function readWatchlist(file: string): RiskList {
  const doc = parseJson(file) as Json;
  if (typeof doc !== 'object' || doc === null || typeof doc.list !== 'object' || !Array.isArray(doc.entries)) {
    throw new ListError(`${file}: a watchlist needs a "list" object (id and provenance) and an "entries" array`);
  }
  const id = doc.list.id;
  if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9-]{1,62}$/.test(id)) throw new ListError(`${file}: list id ${JSON.stringify(id)} must be lower-case letters, digits and dashes`);
  const provenance = checkProvenance(file, doc.list);
  const entries = doc.entries.map((e: Json, i: number): RiskEntry => {
    const where = `entry ${i + 1}`;
    if (typeof e !== 'object' || e === null) throw new ListError(`${file}: ${where}: not an object`);
    const names = splitBracketed(entryName(file, where, e.name));
    const rorIds = e.ror_ids ?? [];
    if (!Array.isArray(rorIds) || rorIds.some((r: unknown) => typeof r !== 'string' || !/^0[a-z0-9]{6}\d{2}$/.test(r.replace(/^https:\/\/ror\.org\//, '')))) {
      throw new ListError(`${file}: ${where} (${names[0]!.value}): ror_ids must be ROR ids`);
    }
    return {
      id: typeof e.id === 'string' && e.id !== '' ? e.id : slug(names[0]!.value),
      name: names[0]!.value,
      names: dedupeNames([...names, ...aliasNames(e.aliases ?? []), ...(typeof e.name_zh === 'string' ? [{ value: e.name_zh, kind: 'chinese' as const }] : [])]),
      country: typeof e.country === 'string' ? e.country : null,
      category: typeof e.category === 'string' ? e.category : null,
      level: level(file, `${where} (${names[0]!.value})`, e.level),
      sourceText: typeof e.note === 'string' ? e.note : null,
      url: typeof e.url === 'string' ? e.url : null,
      rorIds: rorIds.map((r: string) => r.replace(/^https:\/\/ror\.org\//, '')),
      parentEntry: null,
    };
  });
  return { id, provenance, version: contentVersion(file), file, levelRationale: 'levels set by the watchlist owner', entries: uniqueIds(file, entries) };
}

/** nsfreg keeps per-list metadata (agency, official URL, snapshot) in lists.json beside the lists. */
function nsfregProvenance(file: string, spec: CatalogueList): Json {
  const meta = (parseJson(join(dirname(file), 'lists.json')) as Json).lists?.find((l: Json) => l.id === spec.nsfreg_id);
  if (!meta) throw new ListError(`${join(dirname(file), 'lists.json')}: no metadata for list ${spec.nsfreg_id}`);
  return {
    title: `${meta.official_name} (${meta.short_name})`,
    publisher: meta.agency,
    official_url: meta.official_url,
    snapshot: meta.snapshot,
    authority: meta.authority,
    description: meta.description,
  };
}

/** Reads one list of the catalogue from a file in its published format. */
export function readCatalogueList(spec: CatalogueList, file: string): RiskList {
  const read = { 'misp-galaxy': readMispGalaxy, nsfreg: readNsfreg, 'canada-nro': readCanadaNro }[spec.format];
  const base = spec.format === 'nsfreg' ? nsfregProvenance(file, spec) : {};
  const { format: _f, mirror_path: _m, nsfreg_id: _n, level: _l, level_by_category: _c, level_rationale: rationale, default_country: _d, ...rest } = spec;
  const provenance = checkProvenance(`${LIST_CATALOGUE} (list ${spec.id})`, { ...base, ...rest });
  const list = read(file, spec);
  return { ...list, provenance, version: contentVersion(file), file, levelRationale: String(rationale ?? '') };
}

/** Reads a list file: a user watchlist, or a published list in the format the catalogue gives for it. */
export function readListFile(file: string, catalogue = loadListCatalogue()): RiskList {
  const doc = parseJson(file) as Json;
  if (doc && typeof doc === 'object' && 'entries' in doc && 'list' in doc) return readWatchlist(file);
  const spec =
    (typeof doc.list_id === 'string' && catalogue.lists.find((l) => l.nsfreg_id === doc.list_id)) || (doc.type === 'china-defence-universities' && catalogue.lists.find((l) => l.format === 'misp-galaxy')) || (Array.isArray(doc.organizations) && catalogue.lists.find((l) => l.format === 'canada-nro'));
  if (!spec) throw new ListError(`${file}: not a list format derisk knows (a watchlist, an nsfreg list file, the ASPI MISP cluster or the Canadian NRO file)`);
  return readCatalogueList(spec, file);
}
