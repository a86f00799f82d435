import type { Readable } from 'node:stream';
import { isBlank } from '../resolve/normalize.ts';
import { convertDocuments } from './json-documents.ts';
import { RecordError, checkFieldValues, limitsOf, normalizeDoi, parseYear, stripRorPrefix, type Affiliation, type Authorship, type FieldTag, type ReadItem, type ReadLimits, type WorkRecord } from './records.ts';

type Json = Record<string, unknown>;

/*
 * Known fields are read with their documented type or not at all: a value of another type is a
 * damaged record, never a silent null (and never coerced, which would also walk a value nested
 * 100,000 deep). Fields the reader does not know are not looked at. The path in a message is
 * built only when there is one to give (this runs for every field of every work).
 */
function obj(v: unknown, where: string, field: string): Json | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new RecordError(`${where}${field} is not an object`);
  return v as Json;
}

function arr(v: unknown, where: string, field: string): unknown[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new RecordError(`${where}${field} is not an array`);
  return v;
}

/** A string, or null for a missing or blank one. */
function str(v: unknown, where: string, field: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new RecordError(`${where}${field} is not a string`);
  return v.trim() === '' ? null : v;
}

/** An affiliation string, or null for a missing one or one of spaces and invisible characters alone. */
function affiliationString(v: unknown, where: string, field: string): string | null {
  const s = str(v, where, field);
  return s === null || isBlank(s) ? null : s;
}

/** The objects of an array field (null elements carry nothing and are passed over). */
function objects(v: unknown, where: string, field: string): Json[] {
  const list = arr(v, where, field);
  const out: Json[] = [];
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x === null || x === undefined) continue;
    if (typeof x !== 'object' || Array.isArray(x)) throw new RecordError(`${where}${field}[${i}] is not an object`);
    out.push(x as Json);
  }
  return out;
}

/** The non-blank strings of an array field. */
function strings(v: unknown, where: string, field: string): string[] {
  const list = arr(v, where, field);
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x === null || x === undefined) continue;
    if (typeof x !== 'string') throw new RecordError(`${where}${field}[${i}] is not a string`);
    if (x.trim() !== '') out.push(x);
  }
  return out;
}

/** Reads OpenAlex works: snapshot JSON Lines, API pages, or a JSON array of API results. */
export async function* readOpenAlex(stream: Readable, options?: Partial<ReadLimits>): AsyncGenerator<ReadItem> {
  const limits = limitsOf(options);
  const convert = (value: unknown) => {
    const record = openAlexWork(value);
    checkFieldValues(record, limits);
    return record;
  };
  for await (const item of convertDocuments(stream, convert, options)) yield item.ok ? { ok: true, recordNo: item.recordNo, record: item.value } : item;
}

const OPENALEX_WORK_ID = /^(?:https:\/\/openalex\.org\/)?(W\d+)$/i;

export function openAlexWork(value: unknown): WorkRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RecordError(`work is not a JSON object (found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`})`);
  const w = value as Json;
  const id = str(w.id, '', 'id');
  const idMatch = id === null ? null : OPENALEX_WORK_ID.exec(id);
  if (!idMatch) throw new RecordError(`missing or malformed OpenAlex work id: ${JSON.stringify(id === null ? null : id.slice(0, 80))}`);
  const ids = obj(w.ids, '', 'ids') ?? {};
  const pmid =
    str(ids.pmid, 'ids.', 'pmid')
      ?.replace(/^https?:\/\/pubmed\.ncbi\.nlm\.nih\.gov\//, '')
      .replace(/\/$/, '') ?? null;
  const authorships = arr(w.authorships, '', 'authorships');
  const out: Authorship[] = [];
  for (let i = 0; i < authorships.length; i++) out.push(authorship(authorships[i], i));
  return {
    source: 'openalex',
    sourceId: idMatch[1]!.toUpperCase(),
    doi: normalizeDoi(str(w.doi, '', 'doi') ?? str(ids.doi, 'ids.', 'doi')),
    pmid,
    title: str(w.display_name, '', 'display_name') ?? str(w.title, '', 'title'),
    year: parseYear(w.publication_year, 'publication_year'),
    type: str(w.type, '', 'type'),
    authorships: out,
    fields: fieldTags(w),
    funders: funders(w),
    updated: updatedDate(w.updated_date),
    retracted: retracted(w.is_retracted),
  };
}

/** OpenAlex's is_retracted: a boolean in every shape it has had (null or absent: not said). */
function retracted(v: unknown): boolean | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw new RecordError(`is_retracted is not true or false: ${JSON.stringify(v).slice(0, 40)}`);
  return v;
}

/** OpenAlex's updated_date ("2024-05-23" or "2024-05-23T09:12:46.154419"), compared as text. */
function updatedDate(v: unknown): string | null {
  const date = str(v, '', 'updated_date');
  if (date === null) return null;
  if (!/^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?Z?)?$/.test(date.trim())) throw new RecordError(`updated_date is not a date: ${JSON.stringify(date.slice(0, 40))}`);
  return date.trim();
}

/** An affiliation string with the institutions OpenAlex tied to it. */
function affiliation(raw: string, institutions: Json[], at: string): Affiliation {
  const givenRorIds: string[] = [];
  const givenNames: string[] = [];
  const givenCountryCodes: string[] = [];
  for (const inst of institutions) {
    const ror = str(inst.ror, at, '.institutions[].ror');
    if (ror !== null) {
      givenRorIds.push(stripRorPrefix(ror));
      givenNames.push(str(inst.display_name, at, '.institutions[].display_name') ?? '');
    }
    const country = str(inst.country_code, at, '.institutions[].country_code');
    if (country !== null && !givenCountryCodes.includes(country)) givenCountryCodes.push(country);
  }
  return { raw, givenRorIds, givenNames, givenCountryCodes };
}

function authorship(value: unknown, index: number): Authorship {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RecordError(`authorship ${index + 1} is not an object`);
  const a = value as Json;
  const at = `authorships[${index}]`;
  const institutions = objects(a.institutions, at, '.institutions');
  const byOpenAlexId = new Map<string, Json>();
  for (const inst of institutions) byOpenAlexId.set(str(inst.id, at, '.institutions[].id') ?? '', inst);
  let affiliations: Affiliation[] = [];
  const detailed = objects(a.affiliations, at, '.affiliations');
  const rawStrings = strings(a.raw_affiliation_strings, at, '.raw_affiliation_strings').filter((s) => !isBlank(s));
  const rawSingle = affiliationString(a.raw_affiliation_string, at, '.raw_affiliation_string');
  if (detailed.length > 0) {
    // Current schema: each raw string names the institutions OpenAlex matched to it.
    for (const d of detailed) {
      const matched: Json[] = [];
      for (const id of strings(d.institution_ids, at, '.affiliations[].institution_ids')) {
        const inst = byOpenAlexId.get(id);
        if (inst) matched.push(inst);
      }
      affiliations.push(affiliation(affiliationString(d.raw_affiliation_string, at, '.affiliations[].raw_affiliation_string') ?? '', matched, at));
    }
  } else if (rawStrings.length > 0 || rawSingle) {
    const list = rawStrings.length > 0 ? rawStrings : [rawSingle!];
    // Without the mapping, institutions can only be tied to a string when there is one string.
    for (const s of list) affiliations.push(affiliation(s, list.length === 1 ? institutions : [], at));
  } else if (institutions.length > 0) {
    affiliations = [affiliation('', institutions, at)];
  }
  const countries = strings(a.countries, at, '.countries');
  if (affiliations.length === 0 && countries.length > 0) affiliations = [{ raw: '', givenRorIds: [], givenNames: [], givenCountryCodes: countries }];
  const author = obj(a.author, at, '.author');
  if (a.is_corresponding !== undefined && a.is_corresponding !== null && typeof a.is_corresponding !== 'boolean') throw new RecordError(`${at}.is_corresponding is not true or false`);
  return {
    name: str(author?.display_name, at, '.author.display_name') ?? str(a.raw_author_name, at, '.raw_author_name'),
    position: str(a.author_position, at, '.author_position'),
    isCorresponding: typeof a.is_corresponding === 'boolean' ? a.is_corresponding : null,
    affiliations,
  };
}

/** The older API shape gives scores as strings ("0.61"). */
function score(v: unknown, key: string, index: number): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number') return v;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new RecordError(`${key}[${index}].score is not a number`);
  return n;
}

const TAG_SCHEMES = [
  ['topics', 'openalex-topic'],
  ['concepts', 'openalex-concept'],
] as const;

function fieldTags(w: Json): FieldTag[] {
  const tags: FieldTag[] = [];
  for (const [key, scheme] of TAG_SCHEMES) {
    const list = objects(w[key], '', key);
    for (let i = 0; i < list.length; i++) {
      const t = list[i]!;
      const id = str(t.id, key, '[].id');
      if (id) tags.push({ scheme, id: id.replace('https://openalex.org/', ''), name: str(t.display_name, key, '[].display_name') ?? '', score: score(t.score, key, i) });
    }
  }
  return tags;
}

function funders(w: Json): string[] {
  const names = new Set<string>();
  for (const g of objects(w.grants, '', 'grants')) {
    const name = str(g.funder_display_name, 'grants', '[].funder_display_name');
    if (name !== null) names.add(name);
  }
  for (const f of objects(w.funders, '', 'funders')) {
    const name = str(f.display_name, 'funders', '[].display_name');
    if (name !== null) names.add(name);
  }
  return [...names];
}
