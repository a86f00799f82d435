import type { Readable } from 'node:stream';
import { readLines } from './lines.ts';
import { RecordError, excerptOf, type Rejected } from './records.ts';

/** One JSON document found in a file: its text and the line it starts on, or why it is broken. */
export type JsonItem = { recordNo: number; lineNo: number; value: unknown } | { recordNo: number; lineNo: number; error: string; excerpt: string };

/**
 * Yields the documents of a JSON Lines file, or the elements of a top-level JSON array, or the
 * `results` of an API page, one at a time. Each broken document is reported on its own so that
 * it never takes its neighbours down with it.
 */
export async function* jsonDocuments(stream: Readable): AsyncGenerator<JsonItem> {
  const lines = readLines(stream);
  let recordNo = 0;
  let firstText: string | null = null;
  let firstLineNo = 0;
  // Find the first non-blank line to decide the layout (not with for-await: breaking out of it
  // would close the generator the rest of the file is read from).
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    const line = next.value;
    if ('error' in line) {
      yield { recordNo: ++recordNo, lineNo: line.lineNo, error: line.error, excerpt: '' };
      continue;
    }
    if (line.text.trim() === '') continue;
    firstText = line.text;
    firstLineNo = line.lineNo;
    break;
  }
  if (firstText === null) return;
  const head = firstText.trimStart();
  if (head.startsWith('[')) {
    yield* arrayElements(firstText, firstLineNo, lines);
    return;
  }
  // A JSON Lines file has a whole document on its first line (broken or not); anything else is
  // one pretty-printed document (an API page or a single work).
  const firstDoc = tryParse(firstText);
  if (firstDoc.ok || head.trimEnd().endsWith('}')) {
    if (firstDoc.ok) yield* fromDocument(firstDoc.value, firstLineNo, () => ++recordNo);
    else yield { recordNo: ++recordNo, lineNo: firstLineNo, error: firstDoc.error, excerpt: firstText.slice(0, 300) };
    for await (const line of lines) {
      if ('error' in line) {
        yield { recordNo: ++recordNo, lineNo: line.lineNo, error: line.error, excerpt: '' };
        continue;
      }
      if (line.text.trim() === '') continue;
      const doc = tryParse(line.text);
      if (doc.ok) yield* fromDocument(doc.value, line.lineNo, () => ++recordNo);
      else yield { recordNo: ++recordNo, lineNo: line.lineNo, error: doc.error, excerpt: line.text.slice(0, 300) };
    }
    return;
  }
  const kept: { lineNo: number; text: string }[] = [{ lineNo: firstLineNo, text: firstText }];
  for await (const line of lines) {
    if ('error' in line) {
      yield { recordNo: ++recordNo, lineNo: line.lineNo, error: line.error, excerpt: kept.map((k) => k.text).join('\n').slice(0, 300) };
      return;
    }
    kept.push({ lineNo: line.lineNo, text: line.text });
  }
  const text = kept.map((k) => k.text).join('\n');
  const doc = tryParse(text);
  if (doc.ok) {
    yield* fromDocument(doc.value, firstLineNo, () => ++recordNo);
    return;
  }
  // Not one document after all: report it line by line so that any whole lines still count.
  for (const k of kept) {
    if (k.text.trim() === '') continue;
    const lineDoc = tryParse(k.text);
    if (lineDoc.ok) yield* fromDocument(lineDoc.value, k.lineNo, () => ++recordNo);
    else yield { recordNo: ++recordNo, lineNo: k.lineNo, error: lineDoc.error, excerpt: k.text.slice(0, 300) };
  }
}

function* fromDocument(value: unknown, lineNo: number, nextRecordNo: () => number): Generator<JsonItem> {
  const results = isApiPage(value) ? value.results : [value];
  for (const item of results) yield { recordNo: nextRecordNo(), lineNo, value: item };
}

function isApiPage(value: unknown): value is { results: unknown[] } {
  return typeof value === 'object' && value !== null && 'meta' in value && Array.isArray((value as { results?: unknown }).results);
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${(e as Error).message}` };
  }
}

/**
 * Splits a top-level JSON array into its elements with a small scanner that tracks strings and
 * nesting, so a 300 MB registry dump never has to be one string, and one bad element is
 * reported alone.
 */
async function* arrayElements(
  firstText: string,
  firstLineNo: number,
  rest: AsyncGenerator<import('./lines.ts').Line>,
): AsyncGenerator<JsonItem> {
  let recordNo = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let element = '';
  let elementLine = firstLineNo;
  let closed = false;
  const flush = function* (lineNo: number): Generator<JsonItem> {
    const text = element.trim();
    element = '';
    if (text === '') return;
    recordNo++;
    const doc = tryParse(text);
    if (doc.ok) yield { recordNo, lineNo: elementLine, value: doc.value };
    else yield { recordNo, lineNo: elementLine, error: doc.error, excerpt: text.slice(0, 300) };
    elementLine = lineNo;
  };
  const scan = function* (text: string, lineNo: number): Generator<JsonItem> {
    let from = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92 /* \ */) escaped = true;
        else if (c === 34 /* " */) inString = false;
        continue;
      }
      if (c === 34) inString = true;
      else if (c === 91 /* [ */ || c === 123 /* { */) {
        depth++;
        if (depth === 1) {
          from = i + 1;
          elementLine = lineNo;
        }
      } else if (c === 93 /* ] */ || c === 125 /* } */) {
        depth--;
        if (depth === 0) {
          element += text.slice(from, i);
          from = i + 1;
          yield* flush(lineNo);
          closed = true;
        }
      } else if (c === 44 /* , */ && depth === 1) {
        element += text.slice(from, i);
        from = i + 1;
        yield* flush(lineNo);
      }
    }
    if (depth >= 1) element += `${text.slice(from)}\n`;
  };
  yield* scan(firstText, firstLineNo);
  for await (const line of rest) {
    if ('error' in line) {
      yield { recordNo: ++recordNo, lineNo: line.lineNo, error: line.error, excerpt: element.slice(0, 300) };
      if (line.bytes === 0 || line.error.startsWith('input ends')) return;
      continue;
    }
    if (closed) {
      if (line.text.trim() !== '') yield { recordNo: ++recordNo, lineNo: line.lineNo, error: 'text after the end of the JSON array', excerpt: line.text.slice(0, 300) };
      continue;
    }
    yield* scan(line.text, line.lineNo);
  }
  if (!closed) yield { recordNo: ++recordNo, lineNo: elementLine, error: 'JSON array is not closed (truncated file?)', excerpt: element.slice(0, 300) };
}

/**
 * Documents converted by `convert`; a document it refuses with a RecordError, like one that is
 * not JSON at all, comes back as a rejection naming the record, its line and the reason.
 */
export async function* convertDocuments<T>(stream: Readable, convert: (value: unknown) => T): AsyncGenerator<{ ok: true; recordNo: number; value: T } | ({ ok: false } & Rejected)> {
  for await (const item of jsonDocuments(stream)) {
    if ('error' in item) {
      yield { ok: false, recordNo: item.recordNo, lineNo: item.lineNo, reason: item.error, excerpt: item.excerpt };
      continue;
    }
    try {
      yield { ok: true, recordNo: item.recordNo, value: convert(item.value) };
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      yield { ok: false, recordNo: item.recordNo, lineNo: item.lineNo, reason: e.message, excerpt: excerptOf(JSON.stringify(item.value)) };
    }
  }
}
