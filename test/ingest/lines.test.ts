import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { openInput, readLines } from '../../src/ingest/lines.ts';
import { collect, streamOf, writeTemp } from '../helpers/fixtures.ts';

test('splits lines, drops a BOM and a CR, keeps a last line without newline', async () => {
  const lines = await collect(readLines(streamOf('\ufeffa\r\nb\nc')));
  assert.deepEqual(lines.map((l) => ('text' in l ? l.text : l.error)), ['a', 'b', 'c']);
  assert.deepEqual(lines.map((l) => l.lineNo), [1, 2, 3]);
});

test('an invalid UTF-8 line is reported with its number and its neighbours are kept', async () => {
  const bytes = Buffer.concat([Buffer.from('good one\n'), Buffer.from([0x62, 0xff, 0xfe, 0x0a]), Buffer.from('good two\n')]);
  const lines = await collect(readLines(streamOf(bytes)));
  assert.equal(lines.length, 3);
  assert.deepEqual(lines[1], { lineNo: 2, error: 'invalid UTF-8 byte sequence', bytes: 4 });
  assert.equal('text' in lines[2]! && lines[2].text, 'good two');
});

test('a truncated gzip yields every complete line, then the cut line as an error', async () => {
  const full = gzipSync(Buffer.from(Array.from({ length: 2000 }, (_, i) => `line number ${i} ${'x'.repeat(i % 50)}`).join('\n')));
  const path = writeTemp('cut.jsonl.gz', full.subarray(0, Math.floor(full.length * 0.6)));
  const lines = await collect(readLines(openInput(path)));
  const last = lines.at(-1)!;
  assert.ok('error' in last, 'the last item reports the truncation');
  assert.match(last.error, /input ends/);
  const good = lines.filter((l) => 'text' in l);
  assert.ok(good.length > 100);
  good.forEach((l, i) => assert.ok('text' in l && l.text.startsWith(`line number ${i} `)));
});

test('UTF-16 files are refused with a message that says what to do', async () => {
  const lines = await collect(readLines(streamOf(Buffer.from([0xff, 0xfe, 0x41, 0x00]))));
  assert.match('error' in lines[0]! ? lines[0].error : '', /UTF-16/);
});

test('property: any text split into any chunks gives back exactly its lines', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.string({ unit: 'grapheme' }).map((s) => s.replace(/[\r\n\ufeff]/g, '')), { maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1 }), async (lines, cuts) => {
      const bytes = Buffer.from(lines.map((l) => `${l}\n`).join(''));
      const chunks: Buffer[] = [];
      for (let at = 0, k = 0; at < bytes.length; k++) {
        const size = cuts[k % cuts.length]!;
        chunks.push(bytes.subarray(at, at + size));
        at += size;
      }
      const { Readable } = await import('node:stream');
      const out = await collect(readLines(Readable.from(chunks)));
      assert.deepEqual(out.map((l) => ('text' in l ? l.text : `ERR ${l.error}`)), lines);
    }),
    { numRuns: 200 },
  );
});
