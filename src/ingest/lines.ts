import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { overlongExcerpt, overlongLinesOf, standInFor, type Overlong } from './limits.ts';
import { DEFAULT_LIMITS, InputError, excerptOf } from './records.ts';

/** One physical line of an input file. `offset` is where it starts in the (decompressed) input. */
export interface TextLine {
  lineNo: number;
  offset: number;
  bytes: number;
  text: string;
  /** False only for a last line that has no line break after it. */
  terminated: boolean;
}

/**
 * A line that could not be read: bad bytes (`encoding`), longer than the limit (`too-long`), or
 * the place where the input stopped early (`cut`: a truncated gzip, an I/O error).
 */
export interface BadLine {
  lineNo: number;
  offset: number;
  bytes: number;
  kind: 'encoding' | 'too-long' | 'cut';
  error: string;
  excerpt: string;
  /** For `encoding`: the line decoded with replacement characters, so its structure still shows. */
  lossy?: string;
}

export type Line = TextLine | BadLine;

const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Opens a file for reading, decompressing it when its first bytes say it is gzip, whatever its
 * name (uploads are stored under a content hash). `onBytes` sees the bytes read from disk, as they are read.
 */
export function openInput(path: string, onBytes?: (chunk: Buffer) => void): Readable {
  const magic = Buffer.alloc(2);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, magic, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (onBytes) raw.on('data', (chunk) => onBytes(chunk as Buffer));
  if (magic[0] !== GZIP_MAGIC[0] || magic[1] !== GZIP_MAGIC[1]) return raw;
  const gunzip = createGunzip();
  // A truncated or corrupt archive surfaces as a stream error on the gunzip side.
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

/** Bytes looked at before anything is given out, to refuse a file that is not UTF-8 text. */
const SNIFF_BYTES = 512;

/** What the first bytes of an input say when they rule out a UTF-8 text export. */
export function refusalOf(head: Buffer): string | null {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (head.length === 0) return 'the file is empty';
  if (starts(0xff, 0xfe, 0, 0) || starts(0, 0, 0xfe, 0xff)) return 'the file is UTF-32 encoded; export it again as UTF-8';
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) return 'the file is UTF-16 encoded; export it again as UTF-8';
  if (starts(0x25, 0x50, 0x44, 0x46, 0x2d)) return 'the file is a PDF document, not a data export';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'the file is a zip archive (an Excel workbook?), not a text export: unpack it or export as text';
  if (starts(...GZIP_MAGIC)) return 'the file is compressed twice (gzip inside gzip)';
  if ((starts(0x42, 0x5a, 0x68) && head[3]! >= 0x31 && head[3]! <= 0x39) || starts(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00) || starts(0x28, 0xb5, 0x2f, 0xfd)) return 'the file is compressed with bzip2, xz or zstd; only gzip is read: decompress it first';
  // NULs are judged in the first bytes and the first line there: further on they are damage to
  // one record, not the file's kind. (An invalid sequence at the very end may just be cut.)
  const start = head.subarray(0, SNIFF_BYTES);
  const nl = start.indexOf(0x0a);
  const first = nl === -1 ? start : start.subarray(0, nl);
  if (start.indexOf(0) !== -1 && (first.indexOf(0) !== -1 || (!isUtf8(first) && firstInvalidUtf8(first) < first.length - 3))) {
    // UTF-16 puts a NUL beside every ASCII character, on one side only.
    let even = 0;
    let odd = 0;
    for (let i = 0; i < first.length; i++) if (first[i] === 0) i % 2 ? odd++ : even++;
    const half = first.length / 2;
    if ((odd > half * 0.6 && even < half * 0.1) || (even > half * 0.6 && odd < half * 0.1)) return 'the file is UTF-16 encoded (without a byte-order mark); export it again as UTF-8';
    return 'the file is binary, not a text export';
  }
  return null;
}

/** The first byte at which `bytes` stops being valid UTF-8 (only called once isUtf8 said no). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    if (need > 0 && !isUtf8(bytes.subarray(i, i + need + 1))) return i;
    i += need + 1;
  }
  return bytes.length;
}

const hex = (b: number) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`;

/** Why the input stopped, in words a user can act on. */
function streamFailure(e: Error & { code?: string }): string {
  if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/.test(e.message)) return 'the gzip file is cut short (truncated)';
  if (e.code === 'Z_DATA_ERROR') return `the gzip data is corrupt (${e.message})`;
  return e.message;
}

/** Where an input stopped early, and why. */
export interface Cut {
  cut: string;
}

export const isCut = (c: Buffer | Cut): c is Cut => !Buffer.isBuffer(c);

/**
 * The chunks of an input once its first bytes show UTF-8 text: an empty, UTF-16, PDF, zip or
 * binary file is refused with an InputError before anything is given out. A stream that dies
 * part-way (truncated gzip, I/O error) ends with a Cut instead of an exception, so that what was
 * read before it still counts.
 */
export async function* textChunks(stream: AsyncIterable<Buffer>): AsyncGenerator<Buffer | Cut> {
  let head: Buffer | null = Buffer.alloc(0);
  const check = (bytes: Buffer) => {
    const refusal = refusalOf(bytes);
    if (refusal) throw new InputError(refusal);
  };
  const iterator = stream[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      let next: IteratorResult<Buffer>;
      try {
        next = await iterator.next();
      } catch (e) {
        finished = true;
        if (head !== null) {
          if (head.length === 0) throw new InputError(`nothing could be read: ${streamFailure(e as Error)}`);
          check(head);
          yield head;
        }
        yield { cut: streamFailure(e as Error) };
        return;
      }
      if (next.done) {
        finished = true;
        break;
      }
      if (head === null) {
        yield next.value;
        continue;
      }
      head = Buffer.concat([head, next.value]);
      if (head.length < SNIFF_BYTES) continue;
      check(head);
      const first = head;
      head = null;
      yield first;
    }
  } finally {
    // A reader that stops early (a refused file) closes the file behind it.
    if (!finished) await iterator.return?.();
  }
  if (head !== null) {
    check(head);
    yield head;
  }
}

export interface LineOptions {
  maxLineBytes?: number;
  /** Numbering and offset of the first line, when the chunks continue an input read so far. */
  firstLineNo?: number;
  firstOffset?: number;
  /** Lines capLines replaced by a stand-in (readLines finds them on its stream): given back as too long, with their own length. */
  overlong?: Map<number, Overlong>;
}

/**
 * Splits a byte stream into lines without losing any of them. A line that is not valid UTF-8,
 * holds a NUL byte or is longer than `maxLineBytes` comes back as a bad line naming the byte
 * offset; a stream that dies part-way (truncated gzip, I/O error) yields what was read, then a
 * `cut` line where it stopped. BOMs at the start of any line (concatenated exports) and CRs
 * before the line break are dropped. A file that is not UTF-8 text at all (empty, UTF-16, PDF,
 * zip, binary) is refused with an InputError before any line is given out.
 */
export function readLines(stream: AsyncIterable<Buffer>, options: LineOptions = {}): AsyncGenerator<Line> {
  const overlong = overlongLinesOf(stream);
  return splitLines(textChunks(stream), overlong ? { ...options, overlong } : options);
}

/** readLines over chunks already checked by textChunks. */
export async function* splitLines(chunks: AsyncIterable<Buffer | Cut>, options: LineOptions = {}): AsyncGenerator<Line> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_LIMITS.maxRecordBytes;
  let lineNo = (options.firstLineNo ?? 1) - 1;
  let offset = options.firstOffset ?? 0;
  // The unfinished line: its pieces while it is within the limit, only its length beyond.
  let parts: Buffer[] = [];
  let partBytes = 0;
  let overflow = false;

  const tooLong = (at: number, bytes: number, excerpt: string): BadLine => ({ lineNo, offset: at, bytes, kind: 'too-long', error: `line ${lineNo} is ${bytes} bytes long (limit ${maxLineBytes})`, excerpt });

  const finish = (tail: Buffer, terminated: boolean): Line => {
    lineNo++;
    const body = overflow ? null : parts.length === 0 ? tail : Buffer.concat([...parts, tail]);
    // A stand-in is not a line of one bad byte: it is the overlong line it replaced, which also
    // took that many bytes of the input (the offsets after it count them).
    const unread = body && standInFor(options.overlong, lineNo, body);
    const bytes = unread ? unread.bytes : partBytes + tail.length;
    const at = offset;
    offset += bytes + (terminated ? 1 : 0);
    parts = [];
    partBytes = 0;
    overflow = false;
    if (unread) return tooLong(at, bytes, overlongExcerpt(unread));
    if (body === null || bytes > maxLineBytes) return tooLong(at, bytes, body ? excerptOf(body.subarray(0, 300).toString('utf8')) : '');
    let end = body.length;
    // CRLF, and CRCRLF from converting a CRLF file once more.
    while (end > 0 && body[end - 1] === 0x0d) end--;
    const content = body.subarray(0, end);
    const bad = badBytes(content);
    if (bad) return { lineNo, offset: at, bytes, kind: 'encoding', error: `${bad.what} at byte offset ${at + bad.at} (byte ${bad.at + 1} of line ${lineNo})`, excerpt: lossyExcerpt(content), lossy: content.toString('utf8').replace(/^\ufeff+/, '') };
    let text = content.toString('utf8');
    while (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { lineNo, offset: at, bytes, text, terminated };
  };

  const keep = (rest: Buffer) => {
    if (rest.length === 0) return;
    partBytes += rest.length;
    if (overflow) return;
    if (partBytes > maxLineBytes) {
      overflow = true;
      parts = [];
    } else parts.push(Buffer.from(rest));
  };

  for await (const chunk of chunks) {
    if (isCut(chunk)) {
      const excerpt = parts.length > 0 ? lossyExcerpt(Buffer.concat(parts)) : '';
      if (partBytes > 0) yield { lineNo: lineNo + 1, offset, bytes: partBytes, kind: 'cut', error: `the input ends inside this line: ${chunk.cut}`, excerpt };
      else yield { lineNo: lineNo + 1, offset, bytes: 0, kind: 'cut', error: `the input ends here: ${chunk.cut}`, excerpt: '' };
      return;
    }
    let start = 0;
    let nl = chunk.indexOf(10);
    while (nl !== -1) {
      yield finish(chunk.subarray(start, nl), true);
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    keep(chunk.subarray(start));
  }
  if (partBytes > 0) yield finish(Buffer.alloc(0), false);
}

/** The first NUL or invalid UTF-8 byte of `content`, if any. */
export function badBytes(content: Buffer): { at: number; what: string } | null {
  const nul = content.indexOf(0);
  if (nul !== -1) return { at: nul, what: 'NUL byte' };
  if (isUtf8(content)) return null;
  const at = firstInvalidUtf8(content);
  return { at, what: `invalid UTF-8 (byte ${hex(content[at]!)})` };
}

export const lossyExcerpt = (bytes: Buffer) =>
  excerptOf(
    bytes
      .subarray(0, 300)
      .toString('utf8')
      .replace(/\u0000/g, '\ufffd'),
  );

/** What a file looks like from its first line, to say more than "not the right format". */
export function looksLike(firstLine: string): string | null {
  const l = firstLine.replace(/^\ufeff/, '');
  if (/^(FN|VR|PT) /.test(l) || l.startsWith('PT\t')) return 'a Web of Science export';
  if (/^\s*[{[]/.test(l)) return 'JSON';
  if (/^\s*<(!doctype|html|\?xml)/i.test(l)) return 'an HTML or XML page';
  if (/(^|,)"?EID"?(,|$)/.test(l)) return 'a Scopus CSV export';
  if (/(^|,)"?Lens ID"?(,|$)/.test(l)) return 'a Lens patent export';
  if (l.includes('\t')) return 'a tab-separated table';
  if (l.includes(',')) return 'a CSV table';
  return null;
}

/** The refusal of a file whose first line is not what a reader expects. */
export function wrongFormat(expected: string, firstLine: string): InputError {
  const seems = looksLike(firstLine);
  return new InputError(`not ${expected}${seems ? `: it looks like ${seems}` : ''} (first line: ${JSON.stringify(excerptOf(firstLine, 80))})`);
}
