import type { Readable } from 'node:stream';
import { readLines, type Line, type TextLine } from './lines.ts';
import { DEFAULT_LIMITS, InputError, excerptOf, type Rejected } from './records.ts';
import { csvCell } from '../csv-cell.js';

/**
 * A row, or why it cannot be read. `unterminated` marks a last row with no line break after it
 * whose last field is not quoted: nothing shows it was not cut short.
 */
export type CsvRow = { lineNo: number; fields: string[]; unterminated?: true } | { lineNo: number; error: string; excerpt: string };

export interface CsvOptions {
  separator?: string;
  maxRecordBytes?: number;
  /**
   * Whether a column (named in the header) may hold a line break. Given, a quoted field that runs
   * on past its line in a column that may not, or into a line that is a whole row by itself, is
   * taken for a damaged quote. Without it any field may run over lines (narrow tables of free
   * text, such as affiliation lists, have continuation lines that look like rows).
   */
  lineBreaks?: (column: string) => boolean;
}

type Feed = 'done' | 'open' | { malformed: string };

/** RFC 4180 quoting, strictly: a quote opens a field and closes it, nothing else. */
class RowParser {
  fields: string[] = [];
  lastQuoted = false;
  private field = '';
  private inQuotes = false;
  private quoted = false;
  private closed = false;
  constructor(private readonly separator: string) {}

  /** Reads one physical line of the row; 'open' while a quoted field runs on to the next line. */
  feed(text: string): Feed {
    const sep = this.separator;
    let i = 0;
    if (this.inQuotes) this.field += '\n';
    while (i < text.length) {
      if (this.inQuotes) {
        const q = text.indexOf('"', i);
        if (q === -1) {
          this.field += text.slice(i);
          return 'open';
        }
        this.field += text.slice(i, q);
        if (text[q + 1] === '"') {
          this.field += '"';
          i = q + 2;
        } else {
          this.inQuotes = false;
          this.closed = true;
          i = q + 1;
        }
        continue;
      }
      const c = text[i]!;
      if (c === sep) {
        this.endField();
        i++;
      } else if (this.closed) {
        return { malformed: `text after the closing quote of column ${this.fields.length + 1}` };
      } else if (c === '"') {
        if (this.field !== '') return { malformed: `a quote inside the unquoted column ${this.fields.length + 1}` };
        this.inQuotes = true;
        this.quoted = true;
        i++;
      } else {
        const nextSep = text.indexOf(sep, i);
        const end = nextSep === -1 ? text.length : nextSep;
        const q = text.indexOf('"', i);
        if (q !== -1 && q < end) return { malformed: `a quote inside the unquoted column ${this.fields.length + 1}` };
        this.field += text.slice(i, end);
        i = end;
      }
    }
    if (this.inQuotes) return 'open';
    this.lastQuoted = this.quoted;
    this.endField();
    return 'done';
  }

  private endField() {
    this.fields.push(this.field);
    this.field = '';
    this.quoted = false;
    this.closed = false;
  }
}

/**
 * RFC 4180 rows from a stream: quoted fields may hold separators, doubled quotes and newlines.
 * A row that cannot be read (bad bytes, broken quoting, longer than `maxRecordBytes`) is
 * reported with its line. A quoted field that runs over several lines is trusted only if it ends
 * well: closed, followed by a separator, with every column there (and, see `lineBreaks`, in a
 * column that may hold line breaks, not taking a whole row). Otherwise its first line is
 * reported and reading resumes on the next line: a damaged row never swallows good ones. (A
 * damaged record that did span lines may then be reported in more than one piece.)
 */
export async function* readCsv(stream: Readable, options: CsvOptions = {}): AsyncGenerator<CsvRow> {
  const separator = options.separator ?? ',';
  const maxBytes = options.maxRecordBytes ?? DEFAULT_LIMITS.maxRecordBytes;
  const source = readLines(stream, { maxLineBytes: maxBytes });
  let queue: Line[] = [];
  let head = 0;
  const next = async (): Promise<Line | null> => {
    if (head < queue.length) return queue[head++]!;
    const r = await source.next();
    return r.done ? null : r.value;
  };
  const readAgain = (lines: Line[]) => {
    queue = lines.concat(queue.slice(head));
    head = 0;
  };
  let header: string[] | null = null;
  const textOf = (line: Line) => ('text' in line ? line.text : (line.lossy ?? ''));
  /** Whether a line, read alone, is a whole row: then it is not part of a quoted field above it. */
  const wholeRow = (text: string) => {
    const alone = new RowParser(separator);
    return alone.feed(text) === 'done' && alone.fields.length === header!.length;
  };
  for (let first = await next(); first !== null; first = await next()) {
    if ('error' in first && first.kind !== 'encoding') {
      yield { lineNo: first.lineNo, error: first.error, excerpt: first.excerpt };
      if (first.kind === 'cut') return;
      continue;
    }
    if (textOf(first) === '') continue;
    const parser = new RowParser(separator);
    const lines: Line[] = [first];
    let fault: string | null = 'error' in first ? first.error : null;
    let failure: string | null = null;
    let bytes = first.bytes;
    let state = parser.feed(textOf(first));
    while (state === 'open') {
      const column = header?.[parser.fields.length];
      if (header && column !== undefined && options.lineBreaks && !options.lineBreaks(column)) {
        failure = `a quoted field of column ${JSON.stringify(column)} does not end on its line`;
        break;
      }
      const line = await next();
      if (line === null) {
        failure = 'quoted field is never closed (truncated file?)';
        break;
      }
      lines.push(line);
      if ('error' in line && line.kind !== 'encoding') {
        failure = `quoted field is never closed before line ${line.lineNo}: ${line.error}`;
        break;
      }
      if (header && options.lineBreaks && wholeRow(textOf(line))) {
        failure = `quoted field is not closed before line ${line.lineNo}, which is a row of its own`;
        break;
      }
      fault ??= 'error' in line ? line.error : null;
      bytes += line.bytes + 1;
      if (bytes > maxBytes) {
        failure = `row is longer than ${maxBytes} bytes`;
        break;
      }
      state = parser.feed(textOf(line));
    }
    if (typeof state === 'object') failure = state.malformed;
    const multiLine = lines.length > 1;
    if (!failure && multiLine && header && parser.fields.length < header.length) {
      failure = `row has ${parser.fields.length} of ${header.length} columns after a quoted field over lines ${first.lineNo}-${lines[lines.length - 1]!.lineNo}`;
    }
    const excerpt = () => excerptOf(lines.map((l) => ('text' in l ? l.text : l.excerpt)).join('\n'));
    if (failure) {
      yield { lineNo: first.lineNo, error: failure, excerpt: excerpt() };
      if (multiLine) readAgain(lines.slice(1));
      continue;
    }
    if (fault) {
      yield { lineNo: first.lineNo, error: fault, excerpt: excerpt() };
      continue;
    }
    header ??= parser.fields;
    const last = lines[lines.length - 1] as TextLine;
    yield !last.terminated && !parser.lastQuoted ? { lineNo: first.lineNo, fields: parser.fields, unterminated: true } : { lineNo: first.lineNo, fields: parser.fields };
  }
}

/**
 * The rows of a small CSV text held in memory (a pasted list), with readCsv's quoting rules. A row
 * that cannot be read comes back with its line and the reason, and reading resumes on the next line.
 */
export function csvRowsOf(text: string, separator = ','): CsvRow[] {
  const lines = text.split(/\r?\n/);
  const rows: CsvRow[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const first = i;
    const parser = new RowParser(separator);
    let state = parser.feed(lines[i]!);
    while (state === 'open' && i + 1 < lines.length) state = parser.feed(lines[++i]!);
    if (state === 'done') {
      rows.push({ lineNo: first + 1, fields: parser.fields });
      continue;
    }
    rows.push({ lineNo: first + 1, error: state === 'open' ? 'quoted field is never closed' : state.malformed, excerpt: excerptOf(lines.slice(first, i + 1).join('\n')) });
    i = first;
  }
  return rows;
}

export const UNTERMINATED_ROW = 'the file ends inside this row, without a line break after it: it may be cut short';

/** Quotes a value for CSV output only where it must be. */
export function csvField(value: unknown): string {
  const s = value === null || value === undefined ? '' : String(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * One field of a CSV file meant for people and their spreadsheets: never a formula, bidirectional
 * and invisible characters shown as markers (src/csv-cell.js, which the web app's CSV uses too).
 * Every CSV derisk writes for a reader goes through this.
 */
export const safeCsvField: (value: unknown) => string = csvCell;

export interface CsvRecord {
  recordNo: number;
  lineNo: number;
  /** Column name → trimmed value. */
  get: Map<string, string>;
  raw: string;
}

export interface CsvRecordOptions extends CsvOptions {
  /**
   * Set aside a last row that may be cut short (see CsvRow.unterminated). Right for machine
   * exports, which always end with a line break; tables made by hand often do not.
   */
  refuseUnterminated?: boolean;
}

/**
 * A row set aside. `partial` holds the columns of a row read but not kept (too few or too many
 * fields, cut short) that a later field shows complete — the last one read may be cut — so a reader
 * that groups rows can tell which group lost one.
 */
export type CsvRejected = { ok: false; partial?: Map<string, string> } & Rejected;

/**
 * Data rows of a CSV file with a header row, keyed by column name. `checkHeader` throws to refuse
 * the whole file (a missing column); a row that cannot be read or has the wrong number of fields
 * is yielded as a rejection, so the caller sets it aside and reads on.
 */
export async function* csvRecords(stream: Readable, checkHeader: (header: string[]) => void, options: CsvRecordOptions = {}): AsyncGenerator<CsvRecord | CsvRejected> {
  let header: string[] | null = null;
  let recordNo = 0;
  for await (const row of readCsv(stream, options)) {
    if ('error' in row) {
      if (!header) throw new InputError(`the header row cannot be read: ${row.error}`);
      yield { ok: false, recordNo: ++recordNo, lineNo: row.lineNo, reason: row.error, excerpt: row.excerpt };
      continue;
    }
    if (!header) {
      header = row.fields.map((h) => h.trim());
      try {
        checkHeader(header);
      } catch (e) {
        throw e instanceof InputError ? e : new InputError((e as Error).message);
      }
      continue;
    }
    recordNo++;
    const reason = row.fields.length !== header.length ? `expected ${header.length} columns, found ${row.fields.length}` : row.unterminated && options.refuseUnterminated ? UNTERMINATED_ROW : null;
    if (reason) {
      yield { ok: false, recordNo, lineNo: row.lineNo, reason, excerpt: excerptOf(row.fields.join(',')), partial: new Map(header.slice(0, row.fields.length - 1).map((h, i) => [h, row.fields[i]!.trim()])) };
      continue;
    }
    yield { recordNo, lineNo: row.lineNo, get: new Map(header.map((h, i) => [h, row.fields[i]!.trim()])), raw: row.fields.join(',') };
  }
  if (!header) throw new InputError('the file has no header row');
}

/** A header check that refuses a file missing any of `columns`. */
export const requireColumns = (columns: string[]) => (header: string[]) => {
  const missing = columns.filter((c) => !header.includes(c));
  if (missing.length > 0) throw new InputError(`missing column(s): ${missing.join(', ')}`);
};
