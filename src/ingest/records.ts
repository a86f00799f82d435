import { basename } from 'node:path';
import { UnprocessableError } from '../errors.ts';

/** The source-neutral shape every bibliographic reader produces. */
export type SourceName = 'openalex' | 'wos' | 'scopus';

export interface Affiliation {
  raw: string;
  /** ROR ids the source itself attached to this affiliation (OpenAlex does), without prefix. */
  givenRorIds: string[];
  /** The name the source gave each of those institutions, in the same order ('' where it gave none). */
  givenNames: string[];
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
  /** When the source last changed the record (OpenAlex's updated_date, ISO 8601): of two versions of a work, the newer is kept. Absent where the source does not say. */
  updated?: string | null;
  /** Whether the source marks the work retracted (OpenAlex's is_retracted); absent where the source does not say. */
  retracted?: boolean | null;
}

/** A record a reader could not accept, with where it stood and why. */
export interface Rejected {
  recordNo: number;
  lineNo: number | null;
  reason: string;
  excerpt: string;
}

export type ReadItem = { ok: true; recordNo: number; record: WorkRecord } | ({ ok: false } & Rejected);

/**
 * Told of a file read all the same whose records lack what they need to join the rest of the evidence (a DOI column
 * missing from the header): the reader goes on, and the ingest's result carries the warning.
 */
export type Warn = (warning: string) => void;

/** Why records without a DOI column are weaker evidence: works from different sources are merged by DOI. */
export const NO_DOI_EFFECT = 'every record is kept without its DOI, so none of them merges with the same work read from another source (works are merged across sources by DOI): each is counted once per source that holds it';

/** A record the reader refuses: it is quarantined with this reason, and reading goes on. */
export class RecordError extends Error {}

/**
 * A file the reader refuses as a whole (empty, binary, UTF-16, another format, a required column
 * missing): nothing in it was read; over HTTP, a 422.
 */
export class InputError extends UnprocessableError {
  constructor(
    readonly reason: string,
    readonly file: string | null = null,
  ) {
    super(file ? `${basename(file)}: ${reason}` : reason);
    this.name = 'InputError';
  }

  /** The same refusal naming the file it is about (readers see streams, their callers the path). */
  inFile(file: string): InputError {
    return this.file ? this : new InputError(this.reason, file);
  }
}

/**
 * Per-record limits every reader enforces, so that one monstrous record is set aside with the
 * reason instead of exhausting memory or stalling the resolver. Callers facing untrusted input
 * (uploads) may pass lower ones.
 */
export interface ReadLimits {
  /** Bytes in one record (a line, a CSV row, a tagged record, a JSON document). */
  maxRecordBytes: number;
  /** Characters in one value a record yields (a title, a name, a funder). */
  maxFieldChars: number;
  /** Characters in one affiliation string: what the resolver and the screener are given. */
  maxAffiliationChars: number;
}

/**
 * Input past these bounds is an attack or a broken export, and reading it would make every later
 * step slow for everyone. Real records are far smaller: the largest OpenAlex works (thousands of
 * authors) are a few MB, an API page of 200 works is one 3 MB line; in the mirror's samples
 * affiliations reach 336 characters and titles 274.
 */
export const DEFAULT_LIMITS: ReadLimits = { maxRecordBytes: 32 * 1024 * 1024, maxFieldChars: 10_000, maxAffiliationChars: 2_000 };

export const limitsOf = (options?: Partial<ReadLimits>): ReadLimits => ({ ...DEFAULT_LIMITS, ...options });

/**
 * The store's staging joins a list's values with this character and splits them again in SQL:
 * a value holding it would come back as several values (a funder as two, an institution's name
 * out of step with its ROR id), so a record with one is refused, never altered.
 */
export const LIST_SEPARATOR = '\u001f';

/** Refuses a record any of whose values is longer than the limit, or whose list values the store could not keep apart, naming the value. */
export function checkFieldValues(record: WorkRecord, limits: ReadLimits): void {
  // One pass of loops, not callbacks: this runs for every record read.
  const maxChars = limits.maxFieldChars;
  const tooLong = (v: string | null) => v !== null && v.length > maxChars;
  const fail = (what: string, v: string, max = maxChars): never => {
    throw new RecordError(`${what} is ${v.length} characters long (limit ${max})`);
  };
  // List values are checked for length too: a source's institution names reach the store and the screens as they are.
  const separated = (what: string, values: string[], author = 0, affiliation = 0) => {
    for (let i = 0; i < values.length; i++) {
      const at = author ? ` of affiliation ${affiliation} of author ${author}` : '';
      if (tooLong(values[i]!)) fail(`${what} ${i + 1}${at}`, values[i]!);
      if (!values[i]!.includes(LIST_SEPARATOR)) continue;
      throw new RecordError(`${what} ${i + 1}${at} holds the control character U+001F (unit separator): ${JSON.stringify(excerptOf(values[i]!, 80))}`);
    }
  };
  separated('funder', record.funders);
  if (tooLong(record.title)) fail('title', record.title!);
  if (tooLong(record.type)) fail('type', record.type!);
  if (tooLong(record.doi)) fail('DOI', record.doi!);
  for (let i = 0; i < record.authorships.length; i++) {
    const a = record.authorships[i]!;
    if (tooLong(a.name)) fail(`author ${i + 1} name`, a.name!);
    for (let j = 0; j < a.affiliations.length; j++) {
      const f = a.affiliations[j]!;
      if (f.raw !== null && f.raw.length > limits.maxAffiliationChars) fail(`affiliation ${j + 1} of author ${i + 1}`, f.raw, limits.maxAffiliationChars);
      separated('ROR id', f.givenRorIds, i + 1, j + 1);
      separated('institution name', f.givenNames, i + 1, j + 1);
      separated('country', f.givenCountryCodes, i + 1, j + 1);
    }
  }
  for (let i = 0; i < record.fields.length; i++) {
    const f = record.fields[i]!;
    if (tooLong(f.id)) fail(`field tag ${i + 1} id`, f.id);
    if (tooLong(f.name)) fail(`field tag ${i + 1} name`, f.name);
  }
}

export function excerptOf(text: string, max = 300): string {
  if (text.length <= max) return text;
  // A cut between the halves of a surrogate pair would show as a replacement character.
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]!) ? max - 1 : max;
  return `${text.slice(0, end)}…`;
}

/** An excerpt of a parsed value, safe for values nested too deeply to serialise. */
export function excerptOfValue(value: unknown, max = 300): string {
  try {
    return excerptOf(JSON.stringify(value) ?? String(value), max);
  } catch {
    return '(value nested too deeply to show)';
  }
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
  if (typeof value !== 'number' && typeof value !== 'string') throw new RecordError(`${what} is not a number`);
  const n = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isInteger(n) || n < 1000 || n > 2100) throw new RecordError(`${what} is not a plausible year: ${JSON.stringify(value)}`);
  return n;
}

export function stripRorPrefix(id: string): string {
  return id.replace(/^https?:\/\/ror\.org\//i, '').trim();
}
