/** The source-neutral shape every bibliographic reader produces. */
export type SourceName = 'openalex' | 'wos' | 'scopus';

export interface Affiliation {
  raw: string;
  /** ROR ids the source itself attached to this affiliation (OpenAlex does), without prefix. */
  givenRorIds: string[];
  givenCountryCodes: string[];
}

export interface Authorship {
  name: string | null;
  /** "first", "middle", "last" where the source says so. */
  position: string | null;
  isCorresponding: boolean | null;
  affiliations: Affiliation[];
}

export interface FieldTag {
  scheme: 'openalex-topic' | 'openalex-concept' | 'wos-category' | 'wos-research-area' | 'scopus-keyword';
  id: string;
  name: string;
  score: number | null;
}

export interface WorkRecord {
  source: SourceName;
  sourceId: string;
  doi: string | null;
  pmid: string | null;
  title: string | null;
  year: number | null;
  type: string | null;
  authorships: Authorship[];
  fields: FieldTag[];
  funders: string[];
}

/** A record a reader could not accept, with where it stood and why. */
export interface Rejected {
  recordNo: number;
  lineNo: number | null;
  reason: string;
  excerpt: string;
}

export type ReadItem = { ok: true; recordNo: number; record: WorkRecord } | ({ ok: false } & Rejected);

export class RecordError extends Error {}

export function excerptOf(text: string, max = 300): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

const DOI_PREFIX = /^(?:https?:\/\/(?:dx\.)?doi\.org\/|doi:\s*)/i;

/** DOIs compare case-insensitively (DOI Handbook 2.4); store them bare and lower-cased. */
export function normalizeDoi(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const doi = value.trim().replace(DOI_PREFIX, '').toLowerCase();
  return /^10\.\d{4,9}\/\S+$/.test(doi) ? doi : null;
}

export function parseYear(value: unknown, what = 'year'): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < 1000 || n > 2100) throw new RecordError(`${what} is not a plausible year: ${JSON.stringify(value)}`);
  return n;
}

export function stripRorPrefix(id: string): string {
  return id.replace(/^https?:\/\/ror\.org\//i, '').trim();
}
