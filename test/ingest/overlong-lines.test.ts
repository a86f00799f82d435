import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { readBatches } from '../../src/ingest/batches.ts';
import { capLines, type Overlong } from '../../src/ingest/limits.ts';
import { readLines, type Line } from '../../src/ingest/lines.ts';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { DEFAULT_LIMITS, type SourceName } from '../../src/ingest/records.ts';
import { Store } from '../../src/store/store.ts';
import { collect, tempDir, writeTemp } from '../helpers/fixtures.ts';

/*
 * A line over the record limit is replaced before the readers see it (src/ingest/limits.ts,
 * capLines). Every reader must still answer as if it had read the line itself: "line N is … bytes
 * long", never the stand-in's "invalid UTF-8 (byte 0xFF)" (round 49).
 */

const LIMIT = 1024;
const limits = { ...DEFAULT_LIMITS, maxRecordBytes: LIMIT };
const long = 'x'.repeat(2000);

const tagged = (...records: string[]) => `FN Clarivate Analytics Web of Science\nVR 1.0\n${records.join('\n')}\nEF\n`;
const wosRecord = (n: number, lines: string[] = []) => [`PT J`, `AU Author${n}, A`, `TI Title number ${n}`, ...lines, `C1 [Author${n}, A] Zhejiang Univ, Hangzhou, Peoples R China.`, `PY 2021`, `UT WOS:${String(n).padStart(15, '0')}`, 'ER', ''].join('\n');

async function read(kind: SourceName, content: string): Promise<string[]> {
  const path = writeTemp(`overlong.${kind === 'scopus' ? 'csv' : 'txt'}`, content);
  const out: string[] = [];
  for await (const b of readBatches({ kind, path, resumeAfter: 0, batchSize: 100, limits })) {
    out.push(...b.records.map((r) => `kept ${r.sourceId}`), ...b.rejects.map((r) => `set aside line ${r.lineNo}: ${r.reason}`));
  }
  return out;
}

test('Web of Science: an overlong first line is set aside with its length and the export after it is read', async () => {
  assert.deepEqual(await read('wos', `${long}\n${tagged(wosRecord(1), wosRecord(2))}`), ['kept WOS:000000000000001', 'kept WOS:000000000000002', 'set aside line 1: line 1 is 2,000 bytes, longer than the 1,024 a record may take; set aside unread']);
});

test('Web of Science tagged: an overlong field line sets its record aside as too long, naming the line; the next record is kept', async () => {
  assert.deepEqual(await read('wos', tagged(wosRecord(1, [`AB ${long}`]), wosRecord(2))), ['kept WOS:000000000000002', `set aside line 3: line 6: line 6 is ${long.length + 3} bytes long (limit ${LIMIT})`]);
});

test('Scopus: an overlong row is set aside, the rows around it are kept', async () => {
  const row = (n: number) => `"Li W.","Edge AI","2022","Li, W., Tsinghua University, Beijing, China",2-s2.0-8500000000${n}`;
  const csv = `Authors,Title,Year,Authors with affiliations,EID\n${row(1)}\n"${long}"\n${row(2)}\n`;
  assert.deepEqual(await read('scopus', csv), ['kept 2-s2.0-85000000001', 'kept 2-s2.0-85000000002', `set aside line 3: line 3 is 2,002 bytes, longer than the 1,024 a record may take; set aside unread`]);
});

test('a file of one overlong line, ingested as Web of Science or Scopus, is refused naming the file, the line and its length', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  try {
    const path = writeTemp('one-line.txt', long);
    for (const [kind, what] of [
      ['wos', 'the first line'],
      ['scopus', 'the Scopus header row'],
    ] as const) {
      await assert.rejects(ingestWorks(store, kind, path, { quarantineDir: join(dir, 'q'), limits }), (e: Error) => e.message === `one-line.txt: ${what} cannot be read: line 1 is 2000 bytes long (limit ${LIMIT})`);
    }
  } finally {
    store.close();
  }
});

test('property: lines read through capLines are the lines read without it (numbers, offsets, lengths, reasons)', async () => {
  const summary = (lines: Line[]) => lines.map((l) => ('text' in l ? [l.lineNo, l.offset, l.bytes, l.text] : [l.lineNo, l.offset, l.bytes, l.kind, l.error]));
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.oneof(
          fc.string({ unit: fc.constantFrom('a', 'b', ','), maxLength: 40 }),
          fc.integer({ min: 41, max: 200 }).map((n) => 'y'.repeat(n)),
        ),
        { minLength: 1, maxLength: 12 },
      ),
      fc.boolean(),
      fc.integer({ min: 1, max: 64 }),
      async (lines, finalBreak, piece) => {
        const input = Buffer.from(`z${lines.join('\n')}${finalBreak ? '\n' : ''}`);
        const pieces = () =>
          Readable.from(
            (function* () {
              for (let i = 0; i < input.length; i += piece) yield input.subarray(i, i + piece);
            })(),
          );
        const direct = await collect(readLines(pieces(), { maxLineBytes: 40 }));
        const capped = await collect(readLines(capLines(pieces(), 40, new Map<number, Overlong>()), { maxLineBytes: 40 }));
        assert.deepEqual(summary(capped), summary(direct));
      },
    ),
  );
});

// Round 50: a line capLines cut was recognised in the JSON reader by its shape (one bad byte), which a genuine short
// line of bad bytes has too: a file of such lines was set aside line by line as if they were overlong, never refused
// as binary. capLines now tells which lines it cut, by number, and only those are taken as too long.
const work = (n: number) => JSON.stringify({ id: `https://openalex.org/W${n}`, title: `Work ${n}`, publication_year: 2022, authorships: [] });

async function readBytes(kind: SourceName, content: Buffer): Promise<string[]> {
  const out: string[] = [];
  for await (const b of readBatches({ kind, path: writeTemp('overlong.jsonl', content), resumeAfter: 0, batchSize: 100, limits })) {
    out.push(...b.records.map((r) => `kept ${r.sourceId}`), ...b.rejects.map((r) => `set aside line ${r.lineNo}: ${r.reason}`));
  }
  return out;
}

test('OpenAlex: a genuine one-byte line of bad bytes is set aside as invalid UTF-8 and an overlong line as too long, each under its own line number', async () => {
  const content = Buffer.concat([Buffer.from([0xff, 0x0a]), Buffer.from(`${long}\n${work(1)}\n`), Buffer.from([0x80, 0x0a])]);
  assert.deepEqual((await readBytes('openalex', content)).sort(), [
    'kept W1',
    'set aside line 1: invalid UTF-8 (byte 0xFF) at byte offset 0 (byte 1 of line 1)',
    'set aside line 2: line 2 is 2,000 bytes, longer than the 1,024 a record may take; set aside unread',
    // Offsets after the overlong line count all its bytes, not its stand-in's one.
    `set aside line 4: invalid UTF-8 (byte 0x80) at byte offset ${2 + long.length + 1 + work(1).length + 1} (byte 1 of line 4)`,
  ]);
});

test('property: OpenAlex lines of one bad byte are never taken for overlong lines: a file of them and overlong lines only is refused as binary, naming the first bad one; of overlong lines only, each is set aside with its length', async () => {
  const line = fc.oneof(
    fc.constantFrom(0x80, 0xc0, 0xfe, 0xff).map((b) => ({ bad: true, bytes: Buffer.from([b]) })),
    fc.integer({ min: LIMIT + 1, max: 3 * LIMIT }).map((n) => ({ bad: false, bytes: Buffer.from('x'.repeat(n)) })),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 6 }), async (lines) => {
      const content = Buffer.concat(lines.flatMap((l) => [l.bytes, Buffer.from('\n')]));
      const firstBad = lines.findIndex((l) => l.bad);
      if (firstBad === -1) {
        assert.deepEqual(
          await readBytes('openalex', content),
          lines.map((l, i) => `set aside line ${i + 1}: line ${i + 1} is ${l.bytes.length.toLocaleString('en')} bytes, longer than the 1,024 a record may take; set aside unread`),
        );
        return;
      }
      const byte = `0x${lines[firstBad]!.bytes[0]!.toString(16).toUpperCase()}`;
      await assert.rejects(readBytes('openalex', content), (e: Error) => e.message.startsWith(`the file is binary, not JSON text (line ${firstBad + 1}: invalid UTF-8 (byte ${byte})`));
    }),
  );
});
