import type { Readable } from 'node:stream';
import { isBlank } from '../resolve/normalize.ts';
import { UNTERMINATED_ROW, readCsv } from './csv.ts';
import { wrongFormat } from './lines.ts';
import { InputError, NO_DOI_EFFECT, RecordError, checkFieldValues, excerptOf, limitsOf, normalizeDoi, parseYear, type Authorship, type FieldTag, type ReadItem, type ReadLimits, type Warn, type WorkRecord } from './records.ts';

const REQUIRED = ['EID', 'Year'];

/** Columns that never hold a line break: one that seems to is a damaged quote, not a long value. */
const SINGLE_LINE = new Set([
  'EID',
  'Year',
  'DOI',
  'Link',
  'Authors',
  'Author full names',
  'Author(s) ID',
  'Affiliations',
  'Authors with affiliations',
  'Source title',
  'Abbreviated Source Title',
  'Volume',
  'Issue',
  'Art. No.',
  'Page start',
  'Page end',
  'Page count',
  'Cited by',
  'ISSN',
  'ISBN',
  'CODEN',
  'PubMed ID',
  'Language of Original Document',
  'Document Type',
  'Publication Stage',
  'Open Access',
  'Source',
]);

/** Reads Scopus CSV exports ("CSV, all information" or any export that keeps EID and Year); `warn` is told of a header without DOI. */
export async function* readScopus(stream: Readable, options?: Partial<ReadLimits>, warn: Warn = () => {}): AsyncGenerator<ReadItem> {
  const limits = limitsOf(options);
  let header: string[] | null = null;
  let recordNo = 0;
  for await (const row of readCsv(stream, { maxRecordBytes: limits.maxRecordBytes, lineBreaks: (column) => !SINGLE_LINE.has(column) })) {
    if ('error' in row) {
      if (!header) throw new InputError(`the Scopus header row cannot be read: ${row.error}`);
      yield { ok: false, recordNo: ++recordNo, lineNo: row.lineNo, reason: row.error, excerpt: row.excerpt };
      continue;
    }
    if (!header) {
      header = row.fields.map((h) => h.trim());
      const missing = REQUIRED.filter((c) => !header!.includes(c));
      if (!header.includes('Authors with affiliations') && !header.includes('Affiliations')) missing.push('Authors with affiliations (or Affiliations)');
      if (missing.length === REQUIRED.length + 1) throw wrongFormat('a Scopus CSV export', row.fields.join(','));
      if (missing.length > 0) throw new InputError(`the Scopus export is missing column(s): ${missing.join(', ')}`);
      if (!header.includes('DOI')) warn(`the Scopus export has no DOI column: ${NO_DOI_EFFECT}`);
      continue;
    }
    recordNo++;
    const fields = alignFundingTexts(header, row.fields);
    if (!fields) {
      yield { ok: false, recordNo, lineNo: row.lineNo, reason: `expected ${header.length} columns, found ${row.fields.length}`, excerpt: excerptOf(row.fields.join(',')) };
      continue;
    }
    if (row.unterminated) {
      yield { ok: false, recordNo, lineNo: row.lineNo, reason: UNTERMINATED_ROW, excerpt: excerptOf(row.fields.join(',')) };
      continue;
    }
    const get = new Map(header.map((h, i) => [h, fields[i]!.trim()]));
    try {
      const record = scopusRecord(get);
      checkFieldValues(record, limits);
      yield { ok: true, recordNo, record };
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      yield { ok: false, recordNo, lineNo: row.lineNo, reason: e.message, excerpt: excerptOf(row.fields.join(',')) };
    }
  }
  if (!header) throw new InputError('the file has no header row');
}

/**
 * Scopus names its funding-text columns after the first record ("Funding Text 1", "Funding
 * Text 2", …), so a later record with more funding texts has more fields than the header. The
 * extra fields are those texts; they are folded into the last funding-text column.
 */
export function alignFundingTexts(header: string[], fields: string[]): string[] | null {
  if (fields.length === header.length) return fields;
  const last = header.reduce((at, h, i) => (/^Funding Text \d+$/.test(h) ? i : at), -1);
  if (fields.length < header.length || last < 0) return null;
  const extra = fields.length - header.length;
  const merged = fields
    .slice(last, last + extra + 1)
    .filter(Boolean)
    .join('\n');
  return [...fields.slice(0, last), merged, ...fields.slice(last + extra + 1)];
}

/** Scopus abbreviates given names to initials: "Phillips J.C." or "Phillips, J.C.". */
const INITIALS = /^(?:[\p{Lu}][\p{Ll}]?\.(?:[\s-]?[\p{Lu}][\p{Ll}]?\.)*|[\p{Lu}]{1,3})$/u;

export function scopusRecord(get: Map<string, string>): WorkRecord {
  const eid = get.get('EID') ?? '';
  if (!/^2-s2\.0-\d+$/.test(eid)) throw new RecordError(`missing or malformed EID: ${JSON.stringify(excerptOf(eid, 60))}`);
  const year = parseYear(get.get('Year'), 'Year');
  const authorships = authorsWithAffiliations(get.get('Authors with affiliations') ?? '');
  if (authorships.length === 0 && !isBlank(get.get('Affiliations') ?? '')) {
    authorships.push({
      name: null,
      position: null,
      isCorresponding: null,
      affiliations: get
        .get('Affiliations')!
        .split(/;\s*/)
        .filter((raw) => !isBlank(raw))
        .map((raw) => ({ raw, givenRorIds: [], givenNames: [], givenCountryCodes: [] })),
    });
  }
  const keywords = (get.get('Author Keywords') ?? '').split(/;\s*/).filter(Boolean);
  const fields: FieldTag[] = keywords.map((k) => ({ scheme: 'scopus-keyword', id: k.toLowerCase(), name: k, score: null }));
  const corresponding = (get.get('Correspondence Address') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  for (const a of authorships) if (a.name && corresponding) a.isCorresponding = corresponding.startsWith(a.name.toLowerCase().replace(/,/g, '').split(' ')[0] ?? '\0');
  return {
    source: 'scopus',
    sourceId: eid,
    doi: normalizeDoi(get.get('DOI')),
    pmid: get.get('PubMed ID') || null,
    title: get.get('Title') || null,
    year,
    type: get.get('Document Type') || null,
    authorships,
    fields,
    funders: (get.get('Funding Details') ?? '').split(/;\s*/).filter(Boolean),
  };
}

/**
 * "Surname, I., Affil A, City, Country; Surname2, J., Affil B; Affil C" — an entry whose second
 * comma part is initials starts a new author; any other entry is a further affiliation of the
 * author before it.
 */
function authorsWithAffiliations(value: string): Authorship[] {
  const authors: Authorship[] = [];
  for (const entry of value.split(/;\s*/)) {
    if (isBlank(entry)) continue;
    const parts = entry.split(/,\s*/);
    const startsAuthor = parts.length >= 2 && INITIALS.test(parts[1]!.trim());
    const nameOnly = /^[^,]+\s(?:[\p{Lu}]\.)+$/u.test(parts[0]!.trim());
    if (startsAuthor || nameOnly || authors.length === 0) {
      const nameParts = startsAuthor ? 2 : 1;
      const raw = parts.slice(nameParts).join(', ').trim();
      authors.push({
        name: parts.slice(0, nameParts).join(', ').trim(),
        position: null,
        isCorresponding: null,
        affiliations: !isBlank(raw) ? [{ raw, givenRorIds: [], givenNames: [], givenCountryCodes: [] }] : [],
      });
    } else {
      authors[authors.length - 1]!.affiliations.push({ raw: entry.trim(), givenRorIds: [], givenNames: [], givenCountryCodes: [] });
    }
  }
  authors.forEach((a, i) => (a.position = i === 0 ? 'first' : i === authors.length - 1 ? 'last' : 'middle'));
  return authors;
}
