import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';

/** One physical line of an input file, or the reason it could not be read. */
export type Line =
  | { lineNo: number; text: string; bytes: number }
  | { lineNo: number; error: string; bytes: number };

/** Opens a file for reading, gunzipping `.gz`; `onBytes` counts the bytes read from disk. */
export function openInput(path: string, onBytes?: (n: number) => void): Readable {
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  if (onBytes) raw.on('data', (chunk) => onBytes(chunk.length));
  if (!path.endsWith('.gz')) return raw;
  const gunzip = createGunzip();
  // A truncated or corrupt archive surfaces as a stream error on the gunzip side.
  raw.on('error', (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

const UTF16_LE_BOM = [0xff, 0xfe];

/**
 * Splits a byte stream into lines without losing any of them: a line that is not valid UTF-8
 * comes back as an error naming its line number, and a stream that dies part-way (truncated
 * gzip, I/O error) yields what was read so far, then the unfinished line as an error.
 */
export async function* readLines(stream: Readable): AsyncGenerator<Line> {
  let lineNo = 0;
  let pending: Buffer | null = null;
  let first = true;
  const emit = (bytes: Buffer): Line => {
    lineNo++;
    let end = bytes.length;
    if (end > 0 && bytes[end - 1] === 0x0d) end--;
    const body = bytes.subarray(0, end);
    if (!isUtf8(body)) return { lineNo, error: 'invalid UTF-8 byte sequence', bytes: bytes.length + 1 };
    let text = body.toString('utf8');
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { lineNo, text, bytes: bytes.length + 1 };
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (first) {
        first = false;
        if (chunk[0] === UTF16_LE_BOM[0] && chunk[1] === UTF16_LE_BOM[1]) {
          throw new Error('file is UTF-16 encoded; export it again as UTF-8');
        }
      }
      let buf: Buffer = pending ? Buffer.concat([pending, chunk]) : chunk;
      let start = 0;
      let nl = buf.indexOf(10, start);
      while (nl !== -1) {
        yield emit(buf.subarray(start, nl));
        start = nl + 1;
        nl = buf.indexOf(10, start);
      }
      pending = start < buf.length ? Buffer.from(buf.subarray(start)) : null;
    }
  } catch (e) {
    const reason = (e as Error).message;
    if (pending) {
      lineNo++;
      yield { lineNo, error: `input ends inside this line (${reason})`, bytes: pending.length };
    } else {
      yield { lineNo: lineNo + 1, error: `input ends here (${reason})`, bytes: 0 };
    }
    return;
  }
  if (pending && pending.length > 0) yield emit(pending);
}
