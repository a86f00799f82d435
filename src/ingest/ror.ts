import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { unzipSync } from 'fflate';
import { convertDocuments } from './json-documents.ts';
import { openInput } from './lines.ts';
import { InputError, RecordError, stripRorPrefix, type ReadLimits, type Rejected } from './records.ts';

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
  /**
   * The label the record gives each of its children, in `children`'s order ('' where it gives none): a partial
   * registry (ror-records-union) lacks many children's own records, and their labels are then the only names of
   * those units it holds ("National Eye Institute" under NIH).
   */
  childNames?: string[];
}

export type RorItem = { ok: true; recordNo: number; institution: Institution } | ({ ok: false } & Rejected);

/** Reads a ROR data dump: the Zenodo zip, its JSON array, or JSON Lines (gzipped or not). */
export async function* readRor(path: string, options?: Partial<ReadLimits>): AsyncGenerator<RorItem> {
  try {
    const stream = isZip(path) ? Readable.from([jsonFromZip(path)]) : openInput(path);
    for await (const item of convertDocuments(stream, rorInstitution, options)) yield item.ok ? { ok: true, recordNo: item.recordNo, institution: item.value } : item;
  } catch (e) {
    throw e instanceof InputError ? e.inFile(path) : e;
  }
}

function isZip(path: string): boolean {
  const magic = Buffer.alloc(4);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, magic, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  return magic.readUInt32BE(0) === 0x504b0304;
}

/** The Zenodo dump holds a v1 and a v2 JSON (and CSVs); v2 is preferred. */
function jsonFromZip(path: string): Buffer {
  const files = unzipSync(readFileSync(path), { filter: (f) => f.name.endsWith('.json') });
  const names = Object.keys(files).sort((a, b) => Number(b.includes('v2')) - Number(a.includes('v2')));
  if (names.length === 0) throw new InputError('the zip holds no .json file');
  return Buffer.from(files[names[0]!]!);
}

type Json = Record<string, any>;

const STATUSES = new Set(['active', 'inactive', 'withdrawn']);

/** A string field, or null; any other type is a damaged record (and is never coerced). */
function str(v: unknown, what: string): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') throw new RecordError(`${what} is not a string`);
  return v;
}

const list = (v: unknown, what: string): unknown[] => {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new RecordError(`${what} is not an array`);
  return v;
};

export function rorInstitution(value: unknown): Institution {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RecordError(`ROR record is not a JSON object (found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`})`);
  const r = value as Json;
  const id = typeof r.id === 'string' ? stripRorPrefix(r.id) : '';
  if (!/^0[a-hj-km-np-tv-z0-9]{6}\d{2}$/.test(id)) throw new RecordError(`missing or malformed ROR id: ${JSON.stringify(typeof r.id === 'string' ? r.id.slice(0, 80) : null)}`);
  const status = (str(r.status, 'status') ?? '').toLowerCase();
  if (!STATUSES.has(status)) throw new RecordError(`${id}: unknown status ${JSON.stringify(status.slice(0, 40))}`);
  const v2 = Array.isArray(r.names);
  const names = v2 ? v2Names(r) : v1Names(r);
  const display = names.find((n) => n.types.includes('ror_display')) ?? names.find((n) => n.types.includes('label'));
  if (!display) throw new RecordError(`${id}: record has no display name`);
  const place = (v: unknown, what: string): Json | null => {
    if (v === null || v === undefined) return null;
    if (typeof v !== 'object' || Array.isArray(v)) throw new RecordError(`${what} is not an object`);
    return v as Json;
  };
  const address = v2 ? null : place(list(r.addresses, 'addresses')[0], 'addresses[0]');
  const loc = v2 ? place(place(list(r.locations, 'locations')[0], 'locations[0]')?.geonames_details, 'locations[0].geonames_details') : place(address?.geonames_city, 'addresses[0].geonames_city');
  const country = v2 ? null : place(r.country, 'country');
  const countryCode = v2 ? str(loc?.country_code, 'country_code') : str(country?.country_code, 'country.country_code');
  const rels: Json[] = [];
  for (const x of list(r.relationships, 'relationships')) {
    const rel = place(x, 'relationships[]');
    if (rel) rels.push(rel);
  }
  const ofType = (type: string) => rels.filter((x) => str(x.type, 'relationships[].type')?.toLowerCase() === type);
  const relIds = (type: string) => ofType(type).map((x) => stripRorPrefix(str(x.id, 'relationships[].id') ?? ''));
  return {
    id,
    name: display.value,
    names,
    countryCode: countryCode === null ? null : countryCode.toUpperCase(),
    countryName: v2 ? str(loc?.country_name, 'country_name') : str(country?.country_name, 'country.country_name'),
    city: v2 ? str(loc?.name, 'locations[0].geonames_details.name') : str(address?.city, 'addresses[0].city'),
    subdivision: v2 ? str(loc?.country_subdivision_name, 'country_subdivision_name') : str(place(loc?.geonames_admin1, 'geonames_admin1')?.name, 'geonames_admin1.name'),
    types: list(r.types, 'types').map((t) => (str(t, 'types[]') ?? '').toLowerCase()),
    status: status as Institution['status'],
    parents: relIds('parent'),
    children: relIds('child'),
    related: relIds('related'),
    successors: relIds('successor'),
    established: Number.isInteger(r.established) ? r.established : null,
    childNames: ofType('child').map((x) => str(x.label, 'relationships[].label')?.trim() ?? ''),
  };
}

function v2Names(r: Json): InstitutionName[] {
  return (r.names as unknown[])
    .filter((n): n is Json => typeof n === 'object' && n !== null && typeof (n as Json).value === 'string' && (n as Json).value.trim() !== '')
    .map((n) => ({ value: n.value.trim(), types: list(n.types, 'names[].types').filter((t): t is NameType => typeof t === 'string'), lang: typeof n.lang === 'string' ? n.lang : null }));
}

/** Schema v1: name, labels[{label, iso639}], aliases[], acronyms[]. */
function v1Names(r: Json): InstitutionName[] {
  if (typeof r.name !== 'string') throw new RecordError('ROR v1 record has no name');
  const out: InstitutionName[] = [{ value: r.name, types: ['ror_display', 'label'], lang: null }];
  for (const l of Array.isArray(r.labels) ? r.labels : []) if (typeof l?.label === 'string') out.push({ value: l.label, types: ['label'], lang: typeof l.iso639 === 'string' ? l.iso639 : null });
  for (const a of Array.isArray(r.aliases) ? r.aliases : []) if (typeof a === 'string') out.push({ value: a, types: ['alias'], lang: null });
  for (const a of Array.isArray(r.acronyms) ? r.acronyms : []) if (typeof a === 'string') out.push({ value: a, types: ['acronym'], lang: null });
  return out;
}
