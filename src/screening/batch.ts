import { csvRowsOf, safeCsvField } from '../ingest/csv.ts';
import { invisiblesRead, SCREEN_STATES, ScreenError, type ScreenResult, type ScreenState, type Screener } from './screener.ts';
import { ValidationError } from '../errors.ts';
import { overPartyLimit } from './field-limit.ts';
import { asTypedKeepingSpaces } from '../resolve/normalize.ts';
import { rorIdWritten } from '../resolve/ror-id.ts';
import { mapInSlices } from '../event-loop.ts';

/** Names screened in one go at most: a partner list, not a bibliography (use a portfolio for that). */
export const MAX_BATCH = 500;
/**
 * The most characters (code points, as JSON Schema's maxLength counts them) one batch's text may hold: the HTTP
 * body's `text` and a `--batch` file alike (round 50, bound54). Room for MAX_BATCH names of any length a party field may
 * have, with the other columns of a CSV.
 */
export const MAX_BATCH_CHARS = 300_000;

const NAME_COLUMNS = ['name', 'organisation', 'organization', 'partner', 'institution', 'ror', 'ror id'];
/** Comma first; semicolon is what Excel writes where the comma is the decimal mark; tab for TSV. */
const SEPARATORS = [',', ';', '\t'];

export class BatchError extends ValidationError {}

/**
 * The names in a pasted list or a file: a CSV (comma, semicolon or tab separated) whose header
 * has a name column (name, organisation, partner, institution or ror) gives that column; anything
 * else is one name per line, commas included ("Northeastern University, China" is one name). A first line that is only such a
 * column's name (a one-column CSV's header, `name`) is a header, not a name. Blank lines and lines
 * starting with "#" are skipped, and a name given twice is screened once.
 */
export function parseNames(text: string, source = 'the list'): string[] {
  // Characters as JSON Schema counts them (code points), counted only where the code units are over.
  const chars = text.length > MAX_BATCH_CHARS ? [...text].length : text.length;
  if (chars > MAX_BATCH_CHARS) throw new BatchError(`${source}: ${chars.toLocaleString('en')} characters, over the ${MAX_BATCH_CHARS.toLocaleString('en')} one batch may hold (split the list)`);
  const body = text.replace(/^\uFEFF/, '');
  const firstLine = body.split(/\r?\n/).find((line) => line !== '') ?? '';
  const header = (separator: string) => {
    const row = csvRowsOf(firstLine, separator)[0];
    return row && 'fields' in row ? row.fields.map((c) => c.trim().toLowerCase()) : [];
  };
  // The separator is the one that splits the header into several columns, one of them a name column.
  const table = SEPARATORS.map((separator) => ({ separator, columns: header(separator) })).find(({ columns }) => columns.length > 1 && columns.some((c) => NAME_COLUMNS.includes(c)));
  const lines = body.split(/\r?\n/);
  const single = header(',');
  const oneColumnHeader = single.length === 1 && NAME_COLUMNS.includes(single[0]!);
  const raw = table
    ? namesInColumn(
        body,
        table.separator,
        table.columns.findIndex((c) => NAME_COLUMNS.includes(c)),
        source,
      )
    : oneColumnHeader
      ? lines.slice(lines.indexOf(firstLine) + 1)
      : lines;
  // Each name read as the screener reads a query: inner spacing as written, a zero-width space after a link a space.
  const names = [...new Set(raw.map((n) => asTypedKeepingSpaces(invisiblesRead(n)).trim()).filter((n) => n !== '' && !n.startsWith('#')))];
  if (names.length === 0) throw new BatchError(`${source}: no names to screen (one per line, or a CSV with a "name" column)`);
  if (names.length > MAX_BATCH) throw new BatchError(`${source}: ${names.length} names, at most ${MAX_BATCH} in one batch (split the list, or screen an export as a portfolio)`);
  for (const [i, n] of names.entries()) {
    const over = overPartyLimit(`name ${i + 1} ("${n.slice(0, 40)}…")`, n);
    if (over) throw new BatchError(`${source}: ${over}`);
  }
  return names;
}

function namesInColumn(body: string, separator: string, column: number, source: string): string[] {
  const [, ...rows] = csvRowsOf(body, separator);
  return rows.map((row) => {
    if ('error' in row) throw new BatchError(`${source}, line ${row.lineNo}: ${row.error} (${row.excerpt})`);
    return row.fields[column] ?? '';
  });
}

export interface BatchRow {
  query: string;
  state: ScreenState;
  level: ScreenResult['level'];
  headline: string;
  organisations: string[];
  lists: string[];
}

export interface BatchResult {
  /** How many names are in each state, most severe first. */
  counts: Record<ScreenState, number>;
  /** The most severe state of any name: the batch is clear only if every name is recognised and not listed. */
  state: ScreenState;
  rows: BatchRow[];
  results: ScreenResult[];
}

/**
 * Screens every name; a ROR id that is not in the registry is an unknown organisation, not a failure of the batch.
 * In slices, giving the event loop back between them: a server's other requests are answered meanwhile. No further name
 * is screened once `signal` is aborted.
 */
export async function screenBatch(screener: Screener, names: string[], signal?: AbortSignal): Promise<BatchResult> {
  const results = await mapInSlices(
    names,
    (q): ScreenResult => {
      try {
        return rorIdWritten(q) ? screener.screenRor(q) : screener.screen(q);
      } catch (e) {
        if (!(e instanceof ScreenError)) throw e;
        return { query: q, state: 'unknown', level: null, headline: `Unknown organisation: ${e.message}. Identify it before relying on this.`, institutions: [], hits: [], organisations: [], choices: [], similar: [], registryCandidates: [], listedParts: [], related: [] };
      }
    },
    signal,
  );
  const counts = Object.fromEntries(SCREEN_STATES.map((s) => [s, results.filter((r) => r.state === s).length])) as Record<ScreenState, number>;
  return {
    counts,
    state: SCREEN_STATES.find((s) => counts[s] > 0) ?? 'not-listed',
    rows: results.map((r) => ({ query: r.query, state: r.state, level: r.level, headline: r.headline, organisations: r.organisations.map((o) => o.name), lists: [...new Set(r.hits.map((h) => h.listName))] })),
    results,
  };
}

export function batchCsv(batch: BatchResult): string {
  const head = ['name', 'state', 'level', 'organisations', 'lists', 'headline'];
  return [head.join(','), ...batch.rows.map((r) => [r.query, r.state, r.level ?? '', r.organisations.join('; '), r.lists.join('; '), r.headline].map(safeCsvField).join(','))].join('\n') + '\n';
}
