import type { Readable } from 'node:stream';
import { convertDocuments } from './json-documents.ts';
import {
  RecordError,
  normalizeDoi,
  parseYear,
  stripRorPrefix,
  type Affiliation,
  type Authorship,
  type FieldTag,
  type ReadItem,
  type WorkRecord,
} from './records.ts';

type Json = Record<string, unknown>;

const asObject = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const asString = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** Reads OpenAlex works: snapshot JSON Lines, API pages, or a JSON array of API results. */
export async function* readOpenAlex(stream: Readable): AsyncGenerator<ReadItem> {
  for await (const item of convertDocuments(stream, openAlexWork)) yield item.ok ? { ok: true, recordNo: item.recordNo, record: item.value } : item;
}

const OPENALEX_WORK_ID = /^(?:https:\/\/openalex\.org\/)?(W\d+)$/i;

export function openAlexWork(value: unknown): WorkRecord {
  const w = asObject(value);
  if (!w) throw new RecordError('work is not a JSON object');
  const idMatch = typeof w.id === 'string' ? OPENALEX_WORK_ID.exec(w.id) : null;
  if (!idMatch) throw new RecordError(`missing or malformed OpenAlex work id: ${JSON.stringify(w.id)}`);
  const ids = asObject(w.ids) ?? {};
  const pmid = asString(ids.pmid)?.replace(/^https?:\/\/pubmed\.ncbi\.nlm\.nih\.gov\//, '').replace(/\/$/, '') ?? null;
  if (w.authorships !== undefined && !Array.isArray(w.authorships)) throw new RecordError('authorships is not an array');
  return {
    source: 'openalex',
    sourceId: idMatch[1]!.toUpperCase(),
    doi: normalizeDoi(w.doi ?? ids.doi),
    pmid,
    title: asString(w.display_name) ?? asString(w.title),
    year: parseYear(w.publication_year, 'publication_year'),
    type: asString(w.type),
    authorships: asArray(w.authorships).map(authorship),
    fields: fieldTags(w),
    funders: funders(w),
  };
}

function authorship(value: unknown, index: number): Authorship {
  const a = asObject(value);
  if (!a) throw new RecordError(`authorship ${index + 1} is not an object`);
  const institutions = asArray(a.institutions).map(asObject).filter((i): i is Json => i !== null);
  const byOpenAlexId = new Map(institutions.map((i) => [String(i.id), i]));
  const toAffiliation = (raw: string, insts: Json[]): Affiliation => ({
    raw,
    givenRorIds: insts.map((i) => asString(i.ror)).filter((r): r is string => r !== null).map(stripRorPrefix),
    givenCountryCodes: [...new Set(insts.map((i) => asString(i.country_code)).filter((c): c is string => c !== null))],
  });
  let affiliations: Affiliation[];
  const detailed = asArray(a.affiliations).map(asObject).filter((x): x is Json => x !== null);
  const rawStrings = asArray(a.raw_affiliation_strings).map(asString).filter((s): s is string => s !== null);
  const rawSingle = asString(a.raw_affiliation_string);
  if (detailed.length > 0) {
    // Current schema: each raw string names the institutions OpenAlex matched to it.
    affiliations = detailed.map((d) =>
      toAffiliation(
        asString(d.raw_affiliation_string) ?? '',
        asArray(d.institution_ids).map((id) => byOpenAlexId.get(String(id))).filter((i): i is Json => i !== undefined),
      ),
    );
  } else if (rawStrings.length > 0 || rawSingle) {
    const strings = rawStrings.length > 0 ? rawStrings : [rawSingle!];
    // Without the mapping, institutions can only be tied to a string when there is one string.
    affiliations = strings.map((s) => toAffiliation(s, strings.length === 1 ? institutions : []));
  } else {
    affiliations = institutions.length > 0 ? [toAffiliation('', institutions)] : [];
  }
  const countries = asArray(a.countries).map(asString).filter((c): c is string => c !== null);
  if (affiliations.length === 0 && countries.length > 0) affiliations = [{ raw: '', givenRorIds: [], givenCountryCodes: countries }];
  const author = asObject(a.author);
  return {
    name: asString(author?.display_name) ?? asString(a.raw_author_name),
    position: asString(a.author_position),
    isCorresponding: typeof a.is_corresponding === 'boolean' ? a.is_corresponding : null,
    affiliations,
  };
}

function fieldTags(w: Json): FieldTag[] {
  const tags: FieldTag[] = [];
  const score = (v: unknown) => (v === undefined || v === null || Number.isNaN(Number(v)) ? null : Number(v));
  for (const t of asArray(w.topics).map(asObject)) {
    if (t && asString(t.id)) tags.push({ scheme: 'openalex-topic', id: String(t.id).replace('https://openalex.org/', ''), name: String(t.display_name ?? ''), score: score(t.score) });
  }
  for (const c of asArray(w.concepts).map(asObject)) {
    if (c && asString(c.id)) tags.push({ scheme: 'openalex-concept', id: String(c.id).replace('https://openalex.org/', ''), name: String(c.display_name ?? ''), score: score(c.score) });
  }
  return tags;
}

function funders(w: Json): string[] {
  const names = [
    ...asArray(w.grants).map((g) => asString(asObject(g)?.funder_display_name)),
    ...asArray(w.funders).map((f) => asString(asObject(f)?.display_name)),
  ];
  return [...new Set(names.filter((n): n is string => n !== null))];
}
