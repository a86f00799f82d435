import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { openInput, readLines } from '../../src/ingest/lines.ts';
import { InputError } from '../../src/ingest/records.ts';
import { collect, streamOf, writeTemp } from '../helpers/fixtures.ts';

test('splits lines, drops a BOM and a CR, keeps a last line without newline', async () => {
  const lines = await collect(readLines(streamOf('\ufeffa\r\nb\nc')));
  assert.deepEqual(
    lines.map((l) => ('text' in l ? l.text : l.error)),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(
    lines.map((l) => l.lineNo),
    [1, 2, 3],
  );
});

test('an invalid UTF-8 line is reported with its number and its neighbours are kept', async () => {
  const bytes = Buffer.concat([Buffer.from('good one\n'), Buffer.from([0x62, 0xff, 0xfe, 0x0a]), Buffer.from('good two\n')]);
  const lines = await collect(readLines(streamOf(bytes)));
  assert.equal(lines.length, 3);
  const bad = lines[1]!;
  assert.ok('error' in bad && bad.kind === 'encoding' && bad.lineNo === 2);
  assert.equal(bad.error, 'invalid UTF-8 (byte 0xFF) at byte offset 10 (byte 2 of line 2)');
  assert.equal('text' in lines[2]! && lines[2].text, 'good two');
});

test('a truncated gzip yields every complete line, then the cut line as an error', async () => {
  const full = gzipSync(Buffer.from(Array.from({ length: 2000 }, (_, i) => `line number ${i} ${'x'.repeat(i % 50)}`).join('\n')));
  const path = writeTemp('cut.jsonl.gz', full.subarray(0, Math.floor(full.length * 0.6)));
  const lines = await collect(readLines(openInput(path)));
  const last = lines.at(-1)!;
  assert.ok('error' in last, 'the last item reports the truncation');
  assert.match(last.error, /input ends inside this line: the gzip file is cut short/);
  const good = lines.filter((l) => 'text' in l);
  assert.ok(good.length > 100);
  good.forEach((l, i) => assert.ok('text' in l && l.text.startsWith(`line number ${i} `)));
});

test('UTF-16 files are refused with a message that says what to do', async () => {
  await assert.rejects(collect(readLines(streamOf(Buffer.from([0xff, 0xfe, 0x41, 0x00])))), (e: Error) => e instanceof InputError && /UTF-16 encoded; export it again as UTF-8/.test(e.message));
});

test('property: any text split into any chunks gives back exactly its lines', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(
        fc.string({ unit: 'grapheme' }).map((s) => s.replace(/[\r\n\ufeff]/g, '')),
        { maxLength: 30 },
      ),
      fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }),
      async (lines, cuts) => {
        const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
        if (bytes.length === 0) return; // an empty file is refused (tested below)
        const chunks: Buffer[] = [];
        for (let at = 0, k = 0; at < bytes.length; k++) {
          const size = cuts[k % cuts.length]!;
          chunks.push(bytes.subarray(at, at + size));
          at += size;
        }
        const { Readable } = await import('node:stream');
        const out = await collect(readLines(Readable.from(chunks)));
        assert.deepEqual(
          out.map((l) => ('text' in l ? l.text : `ERR ${l.error}`)),
          lines,
        );
      },
    ),
    { numRuns: 200 },
  );
});

test('gzip is recognised by its first bytes, whatever the file is called (uploads are stored under a hash)', async () => {
  const path = writeTemp('0f3a9c.jsonl', gzipSync('first\nsecond\n'));
  const lines = await collect(readLines(openInput(path)));
  assert.deepEqual(
    lines.map((l) => ('text' in l ? l.text : l.error)),
    ['first', 'second'],
  );
});

test('a file that is not UTF-8 text is refused as a whole, saying what it is', async () => {
  const cases: [string, Buffer, RegExp][] = [
    ['empty', Buffer.alloc(0), /the file is empty/],
    ['UTF-16 without a BOM', Buffer.from('EID,Year\n2-s2.0-1,2020\n', 'utf16le'), /UTF-16 encoded \(without a byte-order mark\)/],
    ['UTF-16 big-endian', Buffer.from([0xfe, 0xff, 0x00, 0x41]), /UTF-16/],
    ['UTF-32', Buffer.from([0xff, 0xfe, 0x00, 0x00, 0x41, 0, 0, 0]), /UTF-32/],
    ['PDF', Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n', 'latin1'), /PDF document/],
    ['zip (an Excel workbook)', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0, 0, 0]), /zip archive/],
    ['binary', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]), /binary/],
  ];
  for (const [what, bytes, reason] of cases) {
    await assert.rejects(collect(readLines(streamOf(bytes))), (e: Error) => e instanceof InputError && e.statusCode === 422 && reason.test(e.message), what);
  }
});

test('a NUL byte, invalid UTF-8 or an over-long line is one bad line naming its byte offset; reading goes on', async () => {
  const bytes = Buffer.concat([Buffer.from('one\n'), Buffer.from([0x61, 0x00, 0x62, 0x0a]), Buffer.from(`${'x'.repeat(100)}\n`), Buffer.from([0x63, 0xed, 0xa0, 0x80, 0x0a]), Buffer.from('five\n')]);
  const lines = await collect(readLines(streamOf(bytes), { maxLineBytes: 50 }));
  assert.deepEqual(
    lines.map((l) => ('text' in l ? l.text : `${l.kind}: ${l.error}`)),
    ['one', 'encoding: NUL byte at byte offset 5 (byte 2 of line 2)', 'too-long: line 3 is 100 bytes long (limit 50)', 'encoding: invalid UTF-8 (byte 0xED) at byte offset 110 (byte 2 of line 4)', 'five'],
  );
});

test('a stream with no line break for many MB holds one capped line, not the whole stream', async () => {
  // All-zero gzip input used to grow quadratically; now the line is counted, not kept.
  const path = writeTemp('zeros.gz', gzipSync(Buffer.concat([Buffer.from('ok\n'), Buffer.alloc(16 << 20)])));
  const lines = await collect(readLines(openInput(path), { maxLineBytes: 1 << 20 }));
  assert.deepEqual(
    lines.map((l) => ('text' in l ? l.text : `${l.kind} ${l.bytes}`)),
    ['ok', `too-long ${16 << 20}`],
  );
});

test('BOMs at the start of any line, CRLF and CRCRLF endings are dropped; a last line without a break is flagged', async () => {
  const lines = await collect(readLines(streamOf('\ufeff\ufeffa\r\n\ufeffb\r\r\nc\nd')));
  assert.deepEqual(
    lines.map((l) => ('text' in l ? [l.text, l.terminated] : l.error)),
    [
      ['a', true],
      ['b', true],
      ['c', true],
      ['d', false],
    ],
  );
});
