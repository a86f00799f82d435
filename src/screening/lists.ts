import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Type, { type Static } from '../vendor/typebox.ts';
import type { Config } from '../config.ts';
import { LEVELS, LIST_CATALOGUE, ListError, parseListJson, type EntryName, type Level, type Provenance, type RiskEntry, type RiskList } from './risk-list.ts';
import { hasCjk } from '../resolve/normalize.ts';
import { checkSchema } from '../schema.ts';

export { LEVELS, ListError, LIST_CATALOGUE, type EntryName, type Level, type NameKind, type Provenance, type RiskEntry, type RiskList } from './risk-list.ts';

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

export function loadListCatalogue(path = LIST_CATALOGUE): ListCatalogue {
  const raw = parseListJson(path);
  checkSchema(ListCatalogueDocument, raw, (m) => new ListError(`${path}: ${m}`), 'the catalogue');
  return raw as ListCatalogue;
}

/** How list files are read: bumped when the same file is read into other names, so a list stored the old way is replaced at the next load. */
const LIST_READER = '2026.12.01-hk8-lists32';
const contentVersion = (path: string): string => createHash('sha256').update(`${LIST_READER}\u0000`).update(readFileSync(path)).digest('hex').slice(0, 16);

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

/** Where the list places an entry elsewhere in its record: a bracket naming one of these is where the entry is, no name of it. */
export interface ListedPlaces {
  country?: string | null;
  addresses?: string[];
}

/** "a.k.a. AVIC Institute 625", "f.k.a., Esage Lab": the list's own marker before another name of the entry. */
const NAME_MARKER = /^(?:a\.?k\.?a\.?|f\.?k\.?a\.?|formerly|former|also known as)[,:]?\s+/i;
/** A laboratory's name: what it writes in brackets after it is its host ("(Central South University)", "(Xidian)"), unless an acronym. */
const LABORATORY = /\b(?:laboratory|lab)\b/i;
/** The words of a host institution a unit writes in brackets after its name. */
const HOST = /\b(?:university|univ|academy)\b|大学|学院|研究院/i;
/** A unit's own words: a bracket naming a university or academy after them is the unit's host, not the unit. */
const UNIT = /\b(?:laboratory|lab|center|centre|institute|department|school|college|faculty)\b/i;
/** "CETC 38", "JSC NICEVT", "TsAGI", "SAEN CO.": an acronym has a word of two capitals or more. */
const ACRONYM_WORD = /(?:^|[\s-])[\p{Lu}\d&]*\p{Lu}[\p{Lu}\d&]*\p{Lu}/u;

const foldedWords = (s: string): string =>
  ` ${s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()} `;

/**
 * Why what a list writes in brackets after a name is no name of the entry, or null where it is one:
 * a legal form ("China Communications Construction Group (Limited)"); the list's note ("(affiliated
 * with Tsinghua University)", "(a subsidiary of …)", "(PRC individual)", "(See alternate address under
 * Russia)"); the place the list gives the entry in its country or address ("(Liyang)", its address
 * being Liyang City; "(China)"); or a laboratory's or another unit's host ("State Key Laboratory for
 * … (Central South University)", "… on Antennas and Microwaves (Xidian)"). A host is no name of the
 * lab: screening it as the lab would list every author of that university under the lab's listing.
 */
function notAName(outer: string, inner: string, places: ListedPlaces): string | null {
  if (LEGAL_FORM_FIRST.test(inner)) return 'a legal form';
  if (hasCjk(inner)) return null;
  if (/^\p{Ll}/u.test(inner) || /^see\b/i.test(inner) || /\bindividual$/i.test(inner)) return 'a note';
  // Before the address: an address may name the entry by its acronym ("Air Weapons Complex (AWC)").
  if (ACRONYM_WORD.test(inner)) return null;
  const words = foldedWords(inner);
  if ([places.country, ...(places.addresses ?? [])].some((p) => typeof p === 'string' && foldedWords(p).includes(words))) return 'the place the list gives it';
  if (LABORATORY.test(outer) || (UNIT.test(outer) && !HOST.test(outer) && HOST.test(inner))) return 'the host of the unit';
  return null;
}

/**
 * "Name (AASPT)" or "English name (中文名)": the part in brackets is an alias or the Chinese name,
 * after the list's "a.k.a." if it writes one. What it holds that is no name (notAName) is left out.
 */
export function splitBracketed(value: string, places: ListedPlaces = {}): EntryName[] {
  const m = /^(.*\S)\s*[（(]([^()（）]+)[)）]\s*$/.exec(value.trim());
  if (!m) return [{ value: value.trim(), kind: 'primary' }];
  const outer = m[1]!.trim();
  const marked = NAME_MARKER.test(m[2]!.trim());
  const inner = m[2]!
    .trim()
    .replace(NAME_MARKER, '')
    .replace(/^["“”']+|["“”']+$/g, '');
  if (inner === '' || (!marked && notAName(outer, inner, places))) return [{ value: outer, kind: 'primary' }];
  return [
    { value: outer, kind: 'primary' },
    { value: inner, kind: hasCjk(inner) ? 'chinese' : 'alias' },
  ];
}

function aliasNames(values: unknown[], places: ListedPlaces = {}): EntryName[] {
  return values
    .filter((v): v is string => typeof v === 'string' && v.trim() !== '')
    .flatMap((v) => {
      const parts = splitBracketed(v, places);
      const [name, inner] = parts;
      // Two characters in brackets after a Chinese name are its place or campus (中国地质大学(武汉)), no name of their own.
      const qualifier = inner !== undefined && hasCjk(name!.value) && hasCjk(inner.value) && inner.value.length <= 2;
      return (qualifier ? parts.slice(0, 1) : parts).map((n) => ({ value: n.value, kind: n.kind === 'primary' ? (hasCjk(n.value) ? ('chinese' as const) : ('alias' as const)) : n.kind }));
    });
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
  const doc = parseListJson(file) as Json;
  if (!Array.isArray(doc.values)) throw new ListError(`${file}: not a MISP galaxy cluster (no "values" array)`);
  const byCategory = spec.level_by_category;
  if (!byCategory) throw new ListError(`${LIST_CATALOGUE}: list ${spec.id} needs level_by_category`);
  const entries = doc.values.map((v: Json, i: number): RiskEntry => {
    const where = `entry ${i + 1}${v.uuid ? ` (${v.uuid})` : ''}`;
    const places = { country: 'China' };
    const names = splitBracketed(entryName(file, where, v.value), places);
    const meta: Json = v.meta ?? {};
    const categories: string[] = Array.isArray(meta.categories) ? meta.categories : [];
    if (categories.length === 0) throw new ListError(`${file}: ${where}: no category, so no level can be given`);
    const levels = categories.map((c) => level(LIST_CATALOGUE, `${spec.id} category ${JSON.stringify(c)}`, byCategory[c]));
    const highest = LEVELS.find((l) => levels.includes(l))!;
    const subsidiaries = [...(meta.subsidiaries ?? []), ...(meta['major defence laboratories'] ?? [])].filter((s: unknown): s is string => typeof s === 'string').flatMap((s: string) => splitBracketed(s).map((n) => ({ value: n.value, kind: 'subsidiary' as const })));
    return {
      id: typeof v.uuid === 'string' ? v.uuid : slug(names[0]!.value),
      name: names[0]!.value,
      names: dedupeNames([...names, ...aliasNames(meta.aliases ?? [], places), ...subsidiaries]),
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
 * A legal form that ends one name run into the next by the source's layout, its comma lost
 * ("COMAC America Corporation Shanghai Aircraft Design and Research Institute"): the next word is
 * capitalised and neither a legal form, a bracket nor a number ("… Group Corporation No. 59
 * Research Institute" is one name).
 */
const MERGED_AFTER_LEGAL_FORM = /(?<=\b(?:Corporation|Inc\.|Ltd\.|Limited|LLC|PLC)) (?=(?!(?:Co|Ltd|Limited|Inc|Corp|Corporation|Company|LLC|PLC|No)\b)\p{Lu})/uy;
const NAME_SEPARATOR = /,\s+(?:and\s+)?|\s+\.\s+/y;
const FORMERLY = /^(?:formerly|former|f\/k\/a|f\.k\.a\.)[,:]?\s+/i;

/** Splits at `sep` (a sticky pattern) where no bracket is open ("… Co., Ltd. (formerly … Co., Ltd.)" keeps its inner comma). */
function splitOutsideBrackets(text: string, sep: RegExp): string[] {
  const out: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(' || c === '（') depth++;
    else if ((c === ')' || c === '）') && depth > 0) depth--;
    else if (depth === 0) {
      sep.lastIndex = i;
      const m = sep.exec(text);
      if (m) {
        out.push(text.slice(from, i));
        from = i + m[0].length;
        i = from - 1;
      }
    }
  }
  out.push(text.slice(from));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * A noted subsidiary's names: the name, and what its closing brackets hold, nested brackets
 * included ("AVIC Chengdu Aircraft Co., Ltd. (formerly Zhonghang Electronic Measuring Instruments
 * Company Limited (ZEMIC))": the name, its former name and that name's acronym). "formerly" is no
 * part of a name, nor is a bracket that holds only a legal form.
 */
function notedNames(piece: string): string[] {
  const text = piece.trim().replace(FORMERLY, '');
  if (!/[)）]$/.test(text)) return [text];
  let depth = 0;
  for (let i = text.length - 1; i >= 0; i--) {
    const c = text[i]!;
    if (c === ')' || c === '）') depth++;
    else if ((c === '(' || c === '（') && --depth === 0) {
      const outer = text.slice(0, i).trim();
      const inner = text.slice(i + 1, -1).trim();
      if (outer === '' || inner === '' || LEGAL_FORM_FIRST.test(inner)) return [text];
      return [...notedNames(outer), ...notedNames(inner)];
    }
  }
  return [text];
}

/**
 * The subsidiaries a list's notes name with the entry ("Listed together with subsidiaries: BGI
 * Americas Corporation, BGI Genomics Co., Ltd. (BGI), Complete Genomics, Inc., and …", as the DoD's
 * 1260H list writes them): each a name of a listed subsidiary. The source's layout is undone: a
 * comma before a legal form ("Co., Ltd.", ", Inc.") or inside brackets is inside a name; a stray
 * " . " between two names, or a legal form run into the next name, parts them; two lone words
 * are one name ("SMIC, Americas"). A name cut short by the source ("…"), or a lone word after a
 * name (a fragment of a name the source wrote without its comma), is left out.
 */
export function notedSubsidiaries(notes: unknown): EntryName[] {
  const m = typeof notes === 'string' ? /Listed together with subsidiaries:\s*([^|]*)/.exec(notes) : null;
  if (!m) return [];
  const names: string[] = [];
  let lone = false;
  for (const piece of splitOutsideBrackets(m[1]!.trim().replace(/(?<!\b(?:Co|Ltd|Inc|Corp))\.$/, ''), NAME_SEPARATOR).flatMap((p) => splitOutsideBrackets(p, MERGED_AFTER_LEGAL_FORM))) {
    const oneWord = !/\s/.test(piece);
    const joins: boolean = names.length > 0 && (LEGAL_FORM_FIRST.test(piece) || (lone && oneWord));
    if (joins) names[names.length - 1] += `, ${piece}`;
    else names.push(piece);
    lone = oneWord && !joins;
  }
  return names.filter((n) => /\S\s+\S/.test(n) && !/\.\.\.|…/.test(n)).flatMap((n) => notedNames(n).map((value) => ({ value, kind: 'subsidiary' as const })));
}

/**
 * An address field's separate addresses: "…, Shenzhen, China; and Tsim Sha Tsui, Kowloon, Hong Kong."
 * is two. A list may run addresses of several units into sentences ("…, Hong Kong. Hangzhou New
 * Longshine …, China."): a full stop after a word and before a capital parts them too. A note
 * pointing elsewhere ("(See alternate addresses under Pakistan)") and a heading ("Addresses for …:") are no address.
 */
export function splitAddresses(address: unknown): string[] {
  if (typeof address !== 'string') return [];
  const text = address.replace(/\(See alternate address[^)]*\)\.?/gi, '').replace(/^Addresses for [^:]*:\s*/i, '');
  return text
    .split(/;\s*(?:and\s+)?|(?<=\p{Ll}{2}\.)\s+(?=\p{Lu})/u)
    .map((a) => a.trim().replace(/\.$/, ''))
    .filter((a) => /\p{L}/u.test(a));
}

/** A per-list file of phagehunter/nsfreg (U.S. restricted-party lists). */
function readNsfreg(file: string, spec: CatalogueList): Omit<RiskList, 'provenance' | 'version' | 'file' | 'levelRationale'> {
  const doc = parseListJson(file) as Json;
  if (!Array.isArray(doc.entities) || typeof doc.list_id !== 'string') throw new ListError(`${file}: not an nsfreg list file (needs "list_id" and "entities")`);
  if (spec.nsfreg_id && doc.list_id !== spec.nsfreg_id) throw new ListError(`${file}: holds list ${doc.list_id}, the catalogue expects ${spec.nsfreg_id}`);
  const entries = doc.entities.map((e: Json, i: number): RiskEntry => {
    const addresses = splitAddresses(e.address);
    const country = typeof e.country === 'string' ? e.country : (spec.default_country ?? null);
    const names = splitBracketed(entryName(file, `entity ${i + 1}`, e.name), { country, addresses });
    const text = [e.notes, e.federal_register ? `Federal Register: ${e.federal_register}` : null, e.address ? `Address: ${e.address}` : null].filter(Boolean).join(' — ');
    return {
      id: slug(names[0]!.value),
      name: names[0]!.value,
      names: dedupeNames([...names, ...aliasNames(e.aliases ?? [], { country, addresses }), ...notedSubsidiaries(e.notes)]),
      country,
      category: typeof e.notes === 'string' && /Table 2/.test(e.notes) ? 'talent programme' : null,
      level: level(LIST_CATALOGUE, `list ${spec.id}`, spec.level),
      sourceText: text || null,
      url: null,
      rorIds: [],
      parentEntry: null,
      addresses,
    };
  });
  return { id: spec.id, entries: uniqueIds(file, entries) };
}

/** Canada's Named Research Organizations as transcribed by RSToolkit. */
function readCanadaNro(file: string, spec: CatalogueList): Omit<RiskList, 'provenance' | 'version' | 'file' | 'levelRationale'> {
  const doc = parseListJson(file) as Json;
  if (!Array.isArray(doc.organizations)) throw new ListError(`${file}: not a Named Research Organizations file (no "organizations" array)`);
  const entries = doc.organizations.map((o: Json, i: number): RiskEntry => {
    const addresses = typeof o.city === 'string' && o.city.trim() !== '' ? [[o.city.trim(), o.country].filter((x) => typeof x === 'string').join(', ')] : [];
    const places = { country: typeof o.country === 'string' ? o.country : null, addresses };
    const names = splitBracketed(entryName(file, `organisation ${i + 1}`, o.name), places);
    return {
      id: typeof o.id === 'string' && o.id !== '' ? o.id : slug(names[0]!.value),
      name: names[0]!.value,
      names: dedupeNames([...names, ...aliasNames(o.aliases ?? [], places)]),
      country: places.country,
      category: null,
      level: level(LIST_CATALOGUE, `list ${spec.id}`, spec.level),
      sourceText: [o.city ? `City: ${o.city}` : null, o.parentOrg ? `Part of: ${o.parentOrg}` : null].filter(Boolean).join(' — ') || null,
      url: (doc.sourceUrl as string | undefined) ?? null,
      rorIds: [],
      parentEntry: typeof o.parentOrg === 'string' ? o.parentOrg : null,
      addresses,
    };
  });
  return { id: spec.id, entries: uniqueIds(file, entries) };
}

/**
 * A user's own watchlist: `{ "list": { id, title, publisher, source_url, retrieved, licence },
 * "entries": [ { name, aliases?, name_zh?, country?, category?, level, note?, ror_ids? } ] }`.
 */
export function readWatchlist(file: string): RiskList {
  const doc = parseListJson(file) as Json;
  if (typeof doc !== 'object' || doc === null || typeof doc.list !== 'object' || !Array.isArray(doc.entries)) {
    throw new ListError(`${file}: a watchlist needs a "list" object (id and provenance) and an "entries" array`);
  }
  const id = doc.list.id;
  if (typeof id !== 'string' || !/^[a-z0-9][a-z0-9-]{1,62}$/.test(id)) throw new ListError(`${file}: list id ${JSON.stringify(id)} must be lower-case letters, digits and dashes`);
  const provenance = checkProvenance(file, doc.list);
  const entries = doc.entries.map((e: Json, i: number): RiskEntry => {
    const where = `entry ${i + 1}`;
    if (typeof e !== 'object' || e === null) throw new ListError(`${file}: ${where}: not an object`);
    const places = { country: typeof e.country === 'string' ? e.country : null };
    const names = splitBracketed(entryName(file, where, e.name), places);
    const rorIds = e.ror_ids ?? [];
    if (!Array.isArray(rorIds) || rorIds.some((r: unknown) => typeof r !== 'string' || !/^0[a-z0-9]{6}\d{2}$/.test(r.replace(/^https:\/\/ror\.org\//, '')))) {
      throw new ListError(`${file}: ${where} (${names[0]!.value}): ror_ids must be ROR ids`);
    }
    return {
      id: typeof e.id === 'string' && e.id !== '' ? e.id : slug(names[0]!.value),
      name: names[0]!.value,
      names: dedupeNames([...names, ...aliasNames(e.aliases ?? [], places), ...(typeof e.name_zh === 'string' ? [{ value: e.name_zh, kind: 'chinese' as const }] : [])]),
      country: places.country,
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
  const meta = (parseListJson(join(dirname(file), 'lists.json')) as Json).lists?.find((l: Json) => l.id === spec.nsfreg_id);
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
  const doc = parseListJson(file) as Json;
  if (doc && typeof doc === 'object' && 'entries' in doc && 'list' in doc) return readWatchlist(file);
  const spec =
    (typeof doc.list_id === 'string' && catalogue.lists.find((l) => l.nsfreg_id === doc.list_id)) || (doc.type === 'china-defence-universities' && catalogue.lists.find((l) => l.format === 'misp-galaxy')) || (Array.isArray(doc.organizations) && catalogue.lists.find((l) => l.format === 'canada-nro'));
  if (!spec) throw new ListError(`${file}: not a list format derisk knows (a watchlist, an nsfreg list file, the ASPI MISP cluster or the Canadian NRO file)`);
  return readCatalogueList(spec, file);
}

/** The catalogue's published lists, read from the data mirror. */
export function catalogueLists(config: Pick<Config, 'mirror'>): RiskList[] {
  return loadListCatalogue().lists.map((spec) => {
    const path = join(config.mirror, spec.mirror_path);
    if (!existsSync(path)) throw new Error(`list ${spec.id}: ${path} not found in the data mirror (DERISK_MIRROR); public source: ${spec.source_url}`);
    return readCatalogueList(spec, path);
  });
}
