import type { Readable } from 'node:stream';
import { badBytes, isCut, lossyExcerpt, splitLines, textChunks, wrongFormat, type BadLine, type Cut, type Line, type TextLine } from './lines.ts';
import { overlongLinesOf } from './limits.ts';
import { InputError, RecordError, excerptOf, excerptOfValue, limitsOf, type ReadLimits, type Rejected } from './records.ts';

/**
 * One JSON document found in a file, with the line it starts on and its text where it has one of
 * its own (a line, an array element), or why it is broken.
 */
export type JsonItem = { recordNo: number; lineNo: number; value: unknown; text: string | null } | { recordNo: number; lineNo: number; error: string; excerpt: string };

interface Counter {
  n: number;
}

/**
 * Yields the documents of a JSON Lines file, or the elements of a top-level JSON array, or the
 * `results` of an API page, one at a time. Each broken document is reported on its own so that
 * it never takes its neighbours down with it; a document longer than `maxRecordBytes` is one of
 * them. Invalid UTF-8 is a fault of the document it is in, never of the file.
 */
export async function* jsonDocuments(stream: Readable, options?: Partial<ReadLimits>): AsyncGenerator<JsonItem> {
  const limits = limitsOf(options);
  const chunks = textChunks(stream);
  // The first byte that is not white space decides: '[' is an array read element by element
  // (a dump may be one line of any length); anything else is read line by line.
  const head: (Buffer | Cut)[] = [];
  let first = -1;
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
    head.push(next.value);
    if (isCut(next.value)) break;
    first = firstSignificantByte(next.value, head.length === 1);
    if (first !== -1) break;
  }
  const all = replay(head, chunks);
  const counter: Counter = { n: 0 };
  // The lines capLines left unread, by number, from where it cut them: the splitter gives their stand-ins back as
  // too long (round 50: they were guessed from their shape, one bad byte, which a real line may have too).
  const overlong = overlongLinesOf(stream);
  const split: Splitter = (chunks, from) => splitLines(chunks, { maxLineBytes: limits.maxRecordBytes, ...from, ...(overlong ? { overlong } : {}) });
  if (first === 0x5b) yield* arrayDocuments(all, limits, counter, split);
  else yield* lineDocuments(split(all), limits, counter, true);
}

function firstSignificantByte(chunk: Buffer, atStart: boolean): number {
  let i = atStart && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
  for (; i < chunk.length; i++) {
    const b = chunk[i]!;
    if (b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d) return b;
  }
  return -1;
}

async function* replay<T>(head: T[], rest: AsyncIterator<T>): AsyncGenerator<T> {
  yield* head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

const badItem = (line: BadLine, counter: Counter): JsonItem => ({ recordNo: ++counter.n, lineNo: line.lineNo, error: line.error, excerpt: line.excerpt });

function* documentItems(value: unknown, lineNo: number, text: string | null, counter: Counter): Generator<JsonItem> {
  if (isApiPage(value)) for (const item of value.results) yield { recordNo: ++counter.n, lineNo, value: item, text: null };
  else yield { recordNo: ++counter.n, lineNo, value, text };
}

function* lineItems(line: TextLine, counter: Counter, parsed = tryParse(line.text)): Generator<JsonItem> {
  if (parsed.ok) yield* documentItems(parsed.value, line.lineNo, line.text, counter);
  else yield { recordNo: ++counter.n, lineNo: line.lineNo, error: parsed.error, excerpt: excerptOf(line.text) };
}

/** How many lines after a first line that is no JSON are looked at for the data to start. */
const LOOK_AHEAD_LINES = 10;
const isDocument = (p: Parsed) => p.ok && typeof p.value === 'object' && p.value !== null;

/** Blank without copying a long line (trim would). */
const isBlankText = (text: string) => text.length === 0 || (text.charCodeAt(0) <= 0x20 && text.trim() === '');
const isBlank = (line: Line) => 'text' in line && isBlankText(line.text);
/** A line that could be a whole document by itself (cheap test before trying to parse it). */
const mayBeWhole = (text: string) => /^\s*[[{]/.test(text) && /[\]}]\s*$/.test(text);

/** Why a line cannot be JSON text at all (bad bytes, control characters, replacement characters), or null. */
function notTextReason(line: Line): string | null {
  if ('error' in line) return line.kind === 'encoding' ? line.error : null;
  const at = line.text.search(/[\u0000-\u0008\u000b\u000e-\u001f\ufffd]/);
  if (at === -1) return null;
  const code = line.text.charCodeAt(at);
  return `${code === 0xfffd ? 'a replacement character' : 'a control character'} (U+${code.toString(16).toUpperCase().padStart(4, '0')}) at character ${at + 1}`;
}

/**
 * Whether the first line of a file starts its JSON: text opening an object or an array. A line
 * with binary in it only counts when it is a whole document by itself (a record may hold U+FFFD).
 */
function opensDocument(line: Line): line is TextLine {
  if ('error' in line || !/^\s*[[{]/.test(line.text)) return false;
  return notTextReason(line) === null || isDocument(tryParse(line.text));
}

/** The refusal of a file with no JSON document near its start: binary, or what its first line looks like. */
function notJson(ahead: Line[]): InputError {
  for (const line of ahead) {
    const reason = notTextReason(line);
    if (reason !== null) return new InputError(`the file is binary, not JSON text (line ${line.lineNo}: ${reason})`);
  }
  const first = ahead.find((line): line is TextLine => 'text' in line);
  return wrongFormat('JSON', first?.text ?? '');
}

/**
 * JSON Lines, or one pretty-printed document (an API page). A file whose first line is cut short
 * is still JSON Lines: two consecutive lines that each parse alone cannot be parts of one
 * document (JSON needs a comma or a bracket between them), so they settle it.
 */
async function* lineDocuments(lines: AsyncGenerator<Line>, limits: ReadLimits, counter: Counter, detect: boolean): AsyncGenerator<JsonItem> {
  if (!detect) {
    // The hot path of a snapshot: one document per line, no generator per line.
    for await (const line of lines) {
      if ('error' in line) {
        yield badItem(line, counter);
        continue;
      }
      if (isBlankText(line.text)) continue;
      const parsed = tryParse(line.text);
      if (!parsed.ok) yield { recordNo: ++counter.n, lineNo: line.lineNo, error: parsed.error, excerpt: excerptOf(line.text) };
      else if (isApiPage(parsed.value)) yield* documentItems(parsed.value, line.lineNo, line.text, counter);
      else yield { recordNo: ++counter.n, lineNo: line.lineNo, value: parsed.value, text: line.text };
    }
    return;
  }
  // Lines too long to read say nothing about the file's kind: they are set aside once it is known.
  const overlong: BadLine[] = [];
  let opening: Line | null = null;
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    const line = next.value;
    if ('error' in line && line.kind === 'cut') {
      for (const skipped of [...overlong, line]) yield badItem(skipped, counter);
      return;
    }
    if ('error' in line && line.kind === 'too-long') overlong.push(line);
    else if (!isBlank(line)) {
      opening = line;
      break;
    }
  }
  const setAsideOverlong = function* (): Generator<JsonItem> {
    for (const line of overlong) yield badItem(line, counter);
  };
  if (opening === null) {
    yield* setAsideOverlong();
    if (counter.n === 0) throw new InputError('the file holds no JSON document');
    return;
  }
  if (!opensDocument(opening)) {
    // A first record cut at its start (a split file), or a line some tool wrote before the data, is
    // not another format: a whole document on one of the next lines settles it, and the lines
    // before it are set aside one by one. A file with none near its start is refused as what it
    // looks like; lines of bad bytes count among them, so binary data is refused whole.
    const ahead: Line[] = [opening];
    let bytes = opening.bytes;
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const line = next.value;
      if ('text' in line && mayBeWhole(line.text) && isDocument(tryParse(line.text))) {
        yield* setAsideOverlong();
        for (const skipped of ahead) {
          if ('error' in skipped) yield badItem(skipped, counter);
          else if (!isBlankText(skipped.text)) yield* lineItems(skipped, counter);
        }
        yield* lineDocuments(replay([line], lines), limits, counter, true);
        return;
      }
      ahead.push(line);
      // A line too long to read says nothing of the kind either: its length does not end the look ahead.
      if (!('error' in line && line.kind === 'too-long')) bytes += line.bytes;
      if (('error' in line && line.kind === 'cut') || ahead.length > LOOK_AHEAD_LINES || bytes > limits.maxRecordBytes) break;
    }
    throw notJson(ahead);
  }
  yield* setAsideOverlong();
  const first = opening;
  const parsed = tryParse(first.text);
  if (parsed.ok || /[\]}]\s*$/.test(first.text)) {
    yield* lineItems(first, counter, parsed);
    yield* lineDocuments(lines, limits, counter, false);
    return;
  }
  const buffered: { line: Line; alone: Parsed | null }[] = [{ line: first, alone: null }];
  let bytes = first.bytes;
  let previousWhole = false;
  let settled = false;
  for (let next = await lines.next(); !next.done; next = await lines.next()) {
    const line = next.value;
    if ('error' in line) {
      buffered.push({ line, alone: null });
      previousWhole = false;
      if (line.kind === 'cut') break;
      continue;
    }
    bytes += line.bytes;
    const alone = !isBlank(line) && mayBeWhole(line.text) ? tryParse(line.text) : null;
    buffered.push({ line, alone });
    if (isBlank(line)) continue;
    const whole = alone?.ok === true;
    if ((whole && previousWhole) || bytes > limits.maxRecordBytes) {
      settled = true;
      break;
    }
    previousWhole = whole;
  }
  const oneByOne = function* (): Generator<JsonItem> {
    for (const { line, alone } of buffered) {
      if ('error' in line) yield badItem(line, counter);
      else if (line.text.trim() !== '') yield* lineItems(line, counter, alone ?? undefined);
    }
  };
  if (settled) {
    yield* oneByOne();
    yield* lineDocuments(lines, limits, counter, false);
    return;
  }
  const whole = buffered.some((b) => 'error' in b.line) ? null : tryParse(buffered.map((b) => ('text' in b.line ? b.line.text : '')).join('\n'));
  if (whole?.ok) {
    yield* documentItems(whole.value, first.lineNo, null, counter);
    return;
  }
  // Not one document after all: report it line by line so that any whole lines still count.
  yield* oneByOne();
}

function isApiPage(value: unknown): value is { results: unknown[] } {
  return typeof value === 'object' && value !== null && 'meta' in value && Array.isArray((value as { results?: unknown }).results);
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

function tryParse(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${(e as Error).message}` };
  }
  // A NUL written as \u0000 is refused like a raw NUL byte: the text is cut or not text at all.
  const nul = text.includes('\\u0000') ? pathToNul(value, '') : null;
  return nul === null ? { ok: true, value } : { ok: false, error: `a NUL character (written \\u0000) in ${nul || 'the document'}` };
}

/** Where the first string holding a NUL character is in a parsed document (a key or a value), or null. */
function pathToNul(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\0') ? path : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, item] of Object.entries(value)) {
    // The path names a key as written in the file: a NUL in it is shown as \u0000, not as the character.
    const at = Array.isArray(value) ? `${path}[${key}]` : `${path}${path ? '.' : ''}${key.replaceAll('\0', '\\u0000')}`;
    if (key.includes('\0')) return at;
    const found = pathToNul(item, at);
    if (found !== null) return found;
  }
  return null;
}

/**
 * The elements of a top-level JSON array, split by a byte scanner that tracks strings and
 * nesting, so a dump of any size (even on one line) never has to be one string. An element is
 * checked on its own (UTF-8, size, syntax), so one bad element is reported alone. Lines after
 * the array closes are read as JSON Lines.
 */
/** Splits chunks into lines, numbered on from `from` when they continue an input. */
type Splitter = (chunks: AsyncIterable<Buffer | Cut>, from?: { firstLineNo: number; firstOffset: number }) => AsyncGenerator<Line>;

async function* arrayDocuments(chunks: AsyncGenerator<Buffer | Cut>, limits: ReadLimits, counter: Counter, split: Splitter): AsyncGenerator<JsonItem> {
  let lineNo = 1;
  let offset = 0;
  let opened = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let inElement = false;
  let pieces: Buffer[] = [];
  let size = 0;
  let from = 0;
  let elementLine = 0;
  let elementOffset = 0;

  const element = (chunk: Buffer, end: number): JsonItem => {
    const tail = chunk.subarray(from, end);
    size += tail.length;
    const bytes = size > limits.maxRecordBytes ? null : pieces.length === 0 ? tail : Buffer.concat([...pieces, tail]);
    const at = { recordNo: ++counter.n, lineNo: elementLine };
    pieces = [];
    inElement = false;
    const total = size;
    size = 0;
    if (bytes === null) return { ...at, error: `array element is ${total} bytes long (limit ${limits.maxRecordBytes})`, excerpt: '' };
    const bad = badBytes(bytes);
    if (bad) return { ...at, error: `${bad.what} at byte offset ${elementOffset + bad.at}`, excerpt: lossyExcerpt(bytes) };
    const text = bytes.toString('utf8').trimEnd();
    const parsed = tryParse(text);
    return parsed.ok ? { ...at, value: parsed.value, text } : { ...at, error: parsed.error, excerpt: excerptOf(text) };
  };

  for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
    const chunk = next.value;
    if (isCut(chunk)) {
      const where = inElement ? 'the input ends inside this element' : 'the input ends before the JSON array is closed';
      yield { recordNo: ++counter.n, lineNo: inElement ? elementLine : lineNo, error: `${where}: ${chunk.cut}`, excerpt: inElement ? lossyExcerpt(Buffer.concat(pieces)) : '' };
      return;
    }
    from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (b === 0x5c) escaped = true;
        else if (b === 0x22) inString = false;
        else if (b === 0x0a) lineNo++;
        continue;
      }
      if (b === 0x0a) lineNo++;
      if (!opened) {
        if (b === 0x5b) opened = true;
        continue;
      }
      if (!inElement) {
        if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x2c) continue;
        if (b === 0x5d) {
          // The array is closed: whatever follows is read as JSON Lines, numbered on.
          const rest = replay([chunk.subarray(i + 1)], chunks);
          yield* lineDocuments(split(rest, { firstLineNo: lineNo, firstOffset: offset + i + 1 }), limits, counter, false);
          return;
        }
        inElement = true;
        from = i;
        elementLine = lineNo;
        elementOffset = offset + i;
        depth = 0;
      }
      if (b === 0x22) inString = true;
      else if (b === 0x5b || b === 0x7b) depth++;
      else if ((b === 0x5d || b === 0x7d) && depth > 0) depth--;
      else if ((b === 0x2c || b === 0x5d) && depth === 0) {
        yield element(chunk, i);
        if (b === 0x5d) i--; // the closing bracket is seen again, outside the element
      }
    }
    if (inElement) {
      const rest = chunk.subarray(from);
      size += rest.length;
      if (size <= limits.maxRecordBytes) pieces.push(Buffer.from(rest));
      else pieces = [];
      from = 0;
    }
    offset += chunk.length;
  }
  if (inElement || opened) {
    yield { recordNo: ++counter.n, lineNo: inElement ? elementLine : lineNo, error: 'JSON array is not closed (truncated file?)', excerpt: inElement ? lossyExcerpt(Buffer.concat(pieces)) : '' };
  }
}

/**
 * Documents converted by `convert`; a document it refuses with a RecordError, like one that is
 * not JSON at all, comes back as a rejection naming the record, its line and the reason.
 */
export async function* convertDocuments<T>(stream: Readable, convert: (value: unknown) => T, options?: Partial<ReadLimits>): AsyncGenerator<{ ok: true; recordNo: number; value: T } | ({ ok: false } & Rejected)> {
  for await (const item of jsonDocuments(stream, options)) {
    if ('error' in item) {
      yield { ok: false, recordNo: item.recordNo, lineNo: item.lineNo, reason: item.error, excerpt: item.excerpt };
      continue;
    }
    try {
      yield { ok: true, recordNo: item.recordNo, value: convert(item.value) };
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      yield { ok: false, recordNo: item.recordNo, lineNo: item.lineNo, reason: e.message, excerpt: item.text === null ? excerptOfValue(item.value) : excerptOf(item.text) };
    }
  }
}
