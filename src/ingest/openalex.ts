import type { Readable } from 'node:stream';
import { convertDocuments } from './json-documents.ts';
import {
  RecordError,
  checkFieldLengths,
  limitsOf,
  normalizeDoi,
  parseYear,
  stripRorPrefix,
  type Affiliation,
  type Authorship,
  type FieldTag,
  type ReadItem,
  type ReadLimits,
  type WorkRecord,
} from './records.ts';

type Json = Record<string, unknown>;

/*
 * Known fields are read with their documented type or not at all: a value of another type is a
 * damaged record, never a silent null (and never coerced, which would also walk a value nested
 * 100,000 deep). Fields the reader does not know are not looked at.
 */
function obj(v: unknown, what: string): Json | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new RecordError(`${what} is not an object`);
  return v as Json;
}

function arr(v: unknown, what: string): unknown[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new RecordError(`${what} is not an array`);
  return v;
}

/** A string, or null for a missing or blank one. */
function str(v: unknown, what: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new RecordError(`${what} is not a string`);
  return v.trim() === '' ? null : v;
}

const objects = (v: unknown, what: string) => arr(v, what).map((x, i) => obj(x, `${what}[${i}]`)).filter((x): x is Json => x !== null);
const strings = (v: unknown, what: string) => arr(v, what).map((x, i) => str(x, `${what}[${i}]`)).filter((x): x is string => x !== null);

/** Reads OpenAlex works: snapshot JSON Lines, API pages, or a JSON array of API results. */
export async function* readOpenAlex(stream: Readable, options?: Partial<ReadLimits>): AsyncGenerator<ReadItem> {
  const { maxFieldChars } = limitsOf(options);
  const convert = (value: unknown) => {
    const record = openAlexWork(value);
    checkFieldLengths(record, maxFieldChars);
    return record;
  };
  for await (const item of convertDocuments(stream, convert, options)) yield item.ok ? { ok: true, recordNo: item.recordNo, record: item.value } : item;
}

const OPENALEX_WORK_ID = /^(?:https:\/\/openalex\.org\/)?(W\d+)$/i;

export function openAlexWork(value: unknown): WorkRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RecordError(`work is not a JSON object (found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`})`);
  const w = value as Json;
  const id = str(w.id, 'id');
  const idMatch = id === null ? null : OPENALEX_WORK_ID.exec(id);
  if (!idMatch) throw new RecordError(`missing or malformed OpenAlex work id: ${JSON.stringify(id === null ? null : id.slice(0, 80))}`);
  const ids = obj(w.ids, 'ids') ?? {};
  const pmid = str(ids.pmid, 'ids.pmid')?.replace(/^https?:\/\/pubmed\.ncbi\.nlm\.nih\.gov\//, '').replace(/\/$/, '') ?? null;
  if (w.authorships !== undefined && w.authorships !== null && !Array.isArray(w.authorships)) throw new RecordError('authorships is not an array');
  return {
    source: 'openalex',
    sourceId: idMatch[1]!.toUpperCase(),
    doi: normalizeDoi(str(w.doi, 'doi') ?? str(ids.doi, 'ids.doi')),
    pmid,
    title: str(w.display_name, 'display_name') ?? str(w.title, 'title'),
    year: parseYear(w.publication_year, 'publication_year'),
    type: str(w.type, 'type'),
    authorships: arr(w.authorships, 'authorships').map(authorship),
    fields: fieldTags(w),
    funders: funders(w),
  };
}

function authorship(value: unknown, index: number): Authorship {
  const at = `authorships[${index}]`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RecordError(`authorship ${index + 1} is not an object`);
  const a = value as Json;
  const institutions = objects(a.institutions, `${at}.institutions`);
  const byOpenAlexId = new Map(institutions.map((inst, i) => [str(inst.id, `${at}.institutions[${i}].id`) ?? '', inst]));
  const toAffiliation = (raw: string, insts: Json[]): Affiliation => ({
    raw,
    givenRorIds: insts.map((inst) => str(inst.ror, `${at}.institutions[].ror`)).filter((r): r is string => r !== null).map(stripRorPrefix),
    givenCountryCodes: [...new Set(insts.map((inst) => str(inst.country_code, `${at}.institutions[].country_code`)).filter((c): c is string => c !== null))],
  });
  let affiliations: Affiliation[];
  const detailed = objects(a.affiliations, `${at}.affiliations`);
  const rawStrings = strings(a.raw_affiliation_strings, `${at}.raw_affiliation_strings`);
  const rawSingle = str(a.raw_affiliation_string, `${at}.raw_affiliation_string`);
  if (detailed.length > 0) {
    // Current schema: each raw string names the institutions OpenAlex matched to it.
    affiliations = detailed.map((d, i) =>
      toAffiliation(
        str(d.raw_affiliation_string, `${at}.affiliations[${i}].raw_affiliation_string`) ?? '',
        strings(d.institution_ids, `${at}.affiliations[${i}].institution_ids`).map((id) => byOpenAlexId.get(id)).filter((inst): inst is Json => inst !== undefined),
      ),
    );
  } else if (rawStrings.length > 0 || rawSingle) {
    const list = rawStrings.length > 0 ? rawStrings : [rawSingle!];
    // Without the mapping, institutions can only be tied to a string when there is one string.
    affiliations = list.map((s) => toAffiliation(s, list.length === 1 ? institutions : []));
  } else {
    affiliations = institutions.length > 0 ? [toAffiliation('', institutions)] : [];
  }
  const countries = strings(a.countries, `${at}.countries`);
  if (affiliations.length === 0 && countries.length > 0) affiliations = [{ raw: '', givenRorIds: [], givenCountryCodes: countries }];
  const author = obj(a.author, `${at}.author`);
  if (a.is_corresponding !== undefined && a.is_corresponding !== null && typeof a.is_corresponding !== 'boolean') throw new RecordError(`${at}.is_corresponding is not true or false`);
  return {
    name: str(author?.display_name, `${at}.author.display_name`) ?? str(a.raw_author_name, `${at}.raw_author_name`),
    position: str(a.author_position, `${at}.author_position`),
    isCorresponding: typeof a.is_corresponding === 'boolean' ? a.is_corresponding : null,
    affiliations,
  };
}

function fieldTags(w: Json): FieldTag[] {
  const tags: FieldTag[] = [];
  // The older API shape gives scores as strings ("0.61").
  const score = (v: unknown, what: string) => {
    if (v === undefined || v === null) return null;
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(n)) throw new RecordError(`${what} is not a number`);
    return n;
  };
  for (const [key, scheme] of [['topics', 'openalex-topic'], ['concepts', 'openalex-concept']] as const) {
    objects(w[key], key).forEach((t, i) => {
      const id = str(t.id, `${key}[${i}].id`);
      if (id) tags.push({ scheme, id: id.replace('https://openalex.org/', ''), name: str(t.display_name, `${key}[${i}].display_name`) ?? '', score: score(t.score, `${key}[${i}].score`) });
    });
  }
  return tags;
}

function funders(w: Json): string[] {
  const names = [
    ...objects(w.grants, 'grants').map((g, i) => str(g.funder_display_name, `grants[${i}].funder_display_name`)),
    ...objects(w.funders, 'funders').map((f, i) => str(f.display_name, `funders[${i}].display_name`)),
  ];
  return [...new Set(names.filter((n): n is string => n !== null))];
}
