import type { Readable } from 'node:stream';
import { readLines } from './lines.ts';
import { excerptOf, type Rejected } from './records.ts';

export type CsvRow = { lineNo: number; fields: string[] } | { lineNo: number; error: string; excerpt: string };

/**
 * RFC 4180 rows from a stream: quoted fields may hold separators, doubled quotes and newlines.
 * A row that cannot be read (bad encoding, a quote never closed) is reported with its line.
 */
export async function* readCsv(stream: Readable, separator = ','): AsyncGenerator<CsvRow> {
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let startLine = 0;
  let broken: string | null = null;
  let rawRow = '';
  for await (const line of readLines(stream)) {
    if (!inQuotes) {
      startLine = line.lineNo;
      fields = [];
      field = '';
      broken = null;
      rawRow = '';
    }
    if ('error' in line) {
      if (line.error.startsWith('input ends') && !inQuotes) {
        yield { lineNo: line.lineNo, error: line.error, excerpt: '' };
        return;
      }
      broken = line.error;
      if (!inQuotes) {
        yield { lineNo: startLine, error: broken, excerpt: '' };
        continue;
      }
      // The row continues past a bad line; keep scanning for its end and report it whole.
      continue;
    }
    const text = line.text;
    if (!inQuotes && text === '') continue;
    if (rawRow.length < 300) rawRow += (rawRow ? '\n' : '') + text;
    let i = 0;
    if (inQuotes) field += '\n';
    while (i < text.length) {
      const c = text[i]!;
      if (inQuotes) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          inQuotes = false;
          i++;
          continue;
        }
        const next = text.indexOf('"', i);
        const end = next === -1 ? text.length : next;
        field += text.slice(i, end);
        i = end;
        continue;
      }
      if (c === '"' && field === '') {
        inQuotes = true;
        i++;
      } else if (c === separator) {
        fields.push(field);
        field = '';
        i++;
      } else {
        const nextSep = text.indexOf(separator, i);
        const end = nextSep === -1 ? text.length : nextSep;
        field += text.slice(i, end);
        i = end;
      }
    }
    if (!inQuotes) {
      fields.push(field);
      if (broken) yield { lineNo: startLine, error: broken, excerpt: rawRow };
      else yield { lineNo: startLine, fields };
    }
  }
  if (inQuotes) yield { lineNo: startLine, error: 'quoted field is never closed (truncated file?)', excerpt: rawRow };
}

/** Quotes a value for CSV output only where it must be. */
export function csvField(value: unknown): string {
  const s = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One field of a CSV file meant for people and their spreadsheets: text a spreadsheet would run
 * as a formula (=, +, -, @, tab or carriage return first, OWASP's list) gets a leading apostrophe;
 * numbers stay numbers. Every CSV derisk writes for a reader goes through this.
 */
export function safeCsvField(value: unknown): string {
  const raw = value === null || value === undefined ? '' : String(value);
  return csvField(typeof value !== 'number' && /^[=+\-@\t\r]/.test(raw) && !/^[+-]?\d+(\.\d+)?$/.test(raw) ? `'${raw}` : raw);
}

export interface CsvRecord {
  recordNo: number;
  lineNo: number;
  /** Column name → trimmed value. */
  get: Map<string, string>;
  raw: string;
}

/**
 * Data rows of a CSV file with a header row, keyed by column name. `checkHeader` throws to refuse
 * the whole file (a missing column); a row that cannot be read or has the wrong number of
 * fields is yielded as a rejection, so the caller sets it aside and reads on.
 */
export async function* csvRecords(stream: Readable, checkHeader: (header: string[]) => void): AsyncGenerator<CsvRecord | ({ ok: false } & Rejected)> {
  let header: string[] | null = null;
  let recordNo = 0;
  for await (const row of readCsv(stream)) {
    if ('error' in row) {
      if (!header) throw new Error(`header row cannot be read: ${row.error}`);
      yield { ok: false, recordNo: ++recordNo, lineNo: row.lineNo, reason: row.error, excerpt: row.excerpt };
      continue;
    }
    if (!header) {
      header = row.fields.map((h) => h.trim());
      checkHeader(header);
      continue;
    }
    recordNo++;
    if (row.fields.length !== header.length) {
      yield { ok: false, recordNo, lineNo: row.lineNo, reason: `expected ${header.length} columns, found ${row.fields.length}`, excerpt: excerptOf(row.fields.join(',')) };
      continue;
    }
    yield { recordNo, lineNo: row.lineNo, get: new Map(header.map((h, i) => [h, row.fields[i]!.trim()])), raw: row.fields.join(',') };
  }
}

/** A header check that refuses a file missing any of `columns`. */
export const requireColumns = (columns: string[]) => (header: string[]) => {
  const missing = columns.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new Error(`missing column(s): ${missing.join(', ')}`);
};
