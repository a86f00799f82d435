import { Readable } from 'node:stream';
import type { ReadLimits } from './records.ts';

/** Stands in for a line longer than the cap: not UTF-8, so every reader sets its record aside. */
const OVERLONG_MARKER = Buffer.from([0xff]);
const NEWLINE = Buffer.from([0x0a]);

/** Output is handed on in pieces of whole lines of about this size, never byte by byte. */
const OUTPUT_CHUNK = 1 << 20;
/** How much of an overlong line's beginning is kept, for the quarantine to show where it is. */
const HEAD_BYTES = 240;

/** A line capLines left unread: its length, and its first bytes. */
export interface Overlong {
  bytes: number;
  head: Buffer;
}

/**
 * Where capLines's output carries its `overlong` map, so that readLines gives each stand-in back
 * as the overlong line it replaced (its number, length and beginning), whatever reader splits it.
 */
export const OVERLONG_LINES = Symbol('derisk.overlongLines');
export const overlongLinesOf = (stream: unknown): Map<number, Overlong> | undefined => (stream as { [OVERLONG_LINES]?: Map<number, Overlong> })[OVERLONG_LINES];

/** Whether `content`, line `lineNo` of capLines's output, is its stand-in for an overlong line. */
export const standInFor = (overlong: Map<number, Overlong> | undefined, lineNo: number, content: Buffer): Overlong | undefined => (content.length === OVERLONG_MARKER.length && content[0] === OVERLONG_MARKER[0] ? overlong?.get(lineNo) : undefined);

/**
 * Passes a byte stream on line by line, replacing each line longer than `maxLineBytes` by a
 * one-byte stand-in (its length and first bytes noted in `overlong` under its line number)
 * without keeping the rest of it. Lines are handed on whole, so splitting them later costs time linear in the input
 * however small the chunks of a decompressor are. A stream that fails hands on the unfinished
 * line before the error, as the line splitter expects.
 */
export function capLines(input: Readable, maxLineBytes: number, overlong: Map<number, Overlong>): Readable {
  async function* lines(): AsyncGenerator<Buffer> {
    let lineNo = 1;
    let parts: Buffer[] = [];
    let partBytes = 0;
    let skipped = -1;
    let head = Buffer.alloc(0);
    let out: Buffer[] = [];
    let outBytes = 0;
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        let start = 0;
        while (start < chunk.length) {
          const nl = chunk.indexOf(10, start);
          const end = nl === -1 ? chunk.length : nl;
          if (skipped >= 0) skipped += end - start;
          else if (partBytes + end - start > maxLineBytes) {
            skipped = partBytes + end - start;
            head = Buffer.concat([...parts, chunk.subarray(start, end)], Math.min(HEAD_BYTES, skipped));
            parts = [];
            partBytes = 0;
          } else if (end > start) {
            parts.push(chunk.subarray(start, end));
            partBytes += end - start;
          }
          if (nl === -1) break;
          if (skipped >= 0) {
            overlong.set(lineNo, { bytes: skipped, head });
            out.push(OVERLONG_MARKER, NEWLINE);
            outBytes += 2;
          } else {
            out.push(...parts, NEWLINE);
            outBytes += partBytes + 1;
          }
          parts = [];
          partBytes = 0;
          skipped = -1;
          lineNo++;
          start = nl + 1;
          if (outBytes >= OUTPUT_CHUNK) {
            yield Buffer.concat(out, outBytes);
            out = [];
            outBytes = 0;
          }
        }
        if (outBytes > 0) {
          yield Buffer.concat(out, outBytes);
          out = [];
          outBytes = 0;
        }
      }
    } catch (e) {
      if (skipped >= 0) overlong.set(lineNo, { bytes: skipped, head });
      const unfinished = skipped >= 0 ? [OVERLONG_MARKER] : parts;
      if (unfinished.length > 0) yield Buffer.concat(unfinished);
      throw e;
    }
    if (skipped >= 0) {
      overlong.set(lineNo, { bytes: skipped, head });
      yield OVERLONG_MARKER;
    } else if (parts.length > 0) yield Buffer.concat(parts, partBytes);
  }
  const output = Readable.from(lines(), { objectMode: false });
  output.on('close', () => input.destroy());
  return Object.assign(output, { [OVERLONG_LINES]: overlong });
}

/**
 * What the quarantine shows of a line set aside by capLines, in place of the reader's stand-in:
 * its beginning, cut on a character boundary (a character cut in two would show as nothing
 * useful), and its length, so that an officer can find the record in the file.
 */
export function overlongExcerpt({ bytes, head }: Overlong): string {
  // Streaming decode holds back an incomplete last character instead of replacing it.
  const text = new TextDecoder('utf-8').decode(head, { stream: true });
  return `${text}… (${bytes.toLocaleString('en')} bytes in all)`;
}

/** The reason a line set aside by capLines gives, in place of the reader's. */
export const overlongReason = (lineNo: number, bytes: number, limits: ReadLimits) => `line ${lineNo} is ${bytes.toLocaleString('en')} bytes, longer than the ${limits.maxRecordBytes.toLocaleString('en')} a record may take; set aside unread`;
