import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { unzipSync } from 'fflate';
import { convertDocuments } from './json-documents.ts';
import { openInput } from './lines.ts';
import { RecordError, stripRorPrefix, type Rejected } from './records.ts';

export type NameType = 'ror_display' | 'label' | 'alias' | 'acronym';

export interface InstitutionName {
  value: string;
  types: NameType[];
  lang: string | null;
}

/** One ROR organisation, normalised from schema v2 (or v1 where it differs). */
export interface Institution {
  id: string;
  name: string;
  names: InstitutionName[];
  countryCode: string | null;
  countryName: string | null;
  city: string | null;
  subdivision: string | null;
  types: string[];
  status: 'active' | 'inactive' | 'withdrawn';
  parents: string[];
  children: string[];
  related: string[];
  successors: string[];
  established: number | null;
}

export type RorItem = { ok: true; recordNo: number; institution: Institution } | ({ ok: false } & Rejected);

/** Reads a ROR data dump: the Zenodo zip, its JSON array, or JSON Lines (gzipped or not). */
export async function* readRor(path: string): AsyncGenerator<RorItem> {
  const stream = path.endsWith('.zip') ? Readable.from([jsonFromZip(path)]) : openInput(path);
  for await (const item of convertDocuments(stream, rorInstitution)) yield item.ok ? { ok: true, recordNo: item.recordNo, institution: item.value } : item;
}

/** The Zenodo dump holds a v1 and a v2 JSON (and CSVs); v2 is preferred. */
function jsonFromZip(path: string): Buffer {
  const files = unzipSync(readFileSync(path), { filter: (f) => f.name.endsWith('.json') });
  const names = Object.keys(files).sort((a, b) => Number(b.includes('v2')) - Number(a.includes('v2')));
  if (names.length === 0) throw new Error(`${path}: the zip holds no .json file`);
  return Buffer.from(files[names[0]!]!);
}

type Json = Record<string, any>;

const STATUSES = new Set(['active', 'inactive', 'withdrawn']);

export function rorInstitution(value: unknown): Institution {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RecordError('ROR record is not a JSON object');
  const r = value as Json;
  const id = typeof r.id === 'string' ? stripRorPrefix(r.id) : '';
  if (!/^0[a-hj-km-np-tv-z0-9]{6}\d{2}$/.test(id)) throw new RecordError(`missing or malformed ROR id: ${JSON.stringify(r.id)}`);
  const status = String(r.status ?? '').toLowerCase();
  if (!STATUSES.has(status)) throw new RecordError(`${id}: unknown status ${JSON.stringify(r.status)}`);
  const v2 = Array.isArray(r.names);
  const names = v2 ? v2Names(r) : v1Names(r);
  const display = names.find((n) => n.types.includes('ror_display')) ?? names.find((n) => n.types.includes('label'));
  if (!display) throw new RecordError(`${id}: record has no display name`);
  const loc = v2 ? r.locations?.[0]?.geonames_details : r.addresses?.[0]?.geonames_city;
  const countryCode = (v2 ? loc?.country_code : r.country?.country_code) ?? null;
  const rels: Json[] = Array.isArray(r.relationships) ? r.relationships : [];
  const relIds = (type: string) => rels.filter((x) => String(x.type).toLowerCase() === type).map((x) => stripRorPrefix(String(x.id)));
  return {
    id,
    name: display.value,
    names,
    countryCode: typeof countryCode === 'string' ? countryCode.toUpperCase() : null,
    countryName: (v2 ? loc?.country_name : r.country?.country_name) ?? null,
    city: (v2 ? loc?.name : r.addresses?.[0]?.city) ?? null,
    subdivision: (v2 ? loc?.country_subdivision_name : loc?.geonames_admin1?.name) ?? null,
    types: (Array.isArray(r.types) ? r.types : []).map((t: unknown) => String(t).toLowerCase()),
    status: status as Institution['status'],
    parents: relIds('parent'),
    children: relIds('child'),
    related: relIds('related'),
    successors: relIds('successor'),
    established: Number.isInteger(r.established) ? r.established : null,
  };
}

function v2Names(r: Json): InstitutionName[] {
  return (r.names as Json[])
    .filter((n) => typeof n?.value === 'string' && n.value.trim() !== '')
    .map((n) => ({ value: n.value.trim(), types: (Array.isArray(n.types) ? n.types : []) as NameType[], lang: typeof n.lang === 'string' ? n.lang : null }));
}

/** Schema v1: name, labels[{label, iso639}], aliases[], acronyms[]. */
function v1Names(r: Json): InstitutionName[] {
  if (typeof r.name !== 'string') throw new RecordError('ROR v1 record has no name');
  const out: InstitutionName[] = [{ value: r.name, types: ['ror_display', 'label'], lang: null }];
  for (const l of Array.isArray(r.labels) ? r.labels : []) if (typeof l?.label === 'string') out.push({ value: l.label, types: ['label'], lang: l.iso639 ?? null });
  for (const a of Array.isArray(r.aliases) ? r.aliases : []) if (typeof a === 'string') out.push({ value: a, types: ['alias'], lang: null });
  for (const a of Array.isArray(r.acronyms) ? r.acronyms : []) if (typeof a === 'string') out.push({ value: a, types: ['acronym'], lang: null });
  return out;
}
