import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { capLines, overlongExcerpt, type Overlong } from '../../src/ingest/limits.ts';
import { checkFieldValues, DEFAULT_LIMITS, excerptOf } from '../../src/ingest/records.ts';
import fc from 'fast-check';
import { readLines } from '../../src/ingest/lines.ts';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { openAlexWork } from '../../src/ingest/openalex.ts';
import { Store } from '../../src/store/store.ts';
import { collect, tempDir, writeTemp } from '../helpers/fixtures.ts';

/** A stream that hands out `data` in pieces of `size` bytes, as a decompressor does. */
const pieces = (data: Buffer, size: number) =>
  Readable.from(
    (function* () {
      for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
    })(),
  );

test('long lines pass on whole, however small the pieces they arrive in: splitting stays linear', async () => {
  const line = Buffer.alloc(4 << 20, 0x61);
  const input = Buffer.concat([Buffer.from('first\n'), line, Buffer.from('\nlast')]);
  const out = await collect(capLines(pieces(input, 16 << 10), 8 << 20, new Map()) as AsyncIterable<Buffer>);
  // 4 MiB arriving in 16 KiB pieces reaches the line splitter as one chunk, not 256 it would
  // concatenate again and again.
  assert.ok(out.length <= 3, `${out.length} chunks`);
  assert.deepEqual(Buffer.concat(out), input, 'nothing under the cap is changed');
});

test('a line over the cap is set aside unread, with its length and line number; its neighbours are kept', async () => {
  const overlong = new Map<number, Overlong>();
  const input = Buffer.concat([Buffer.from('{"a":1}\n'), Buffer.alloc(3 << 20, 0x61), Buffer.from('\n{"b":2}\n')]);
  const lines = await collect(readLines(capLines(pieces(input, 16 << 10), 1 << 20, overlong)));
  assert.deepEqual(
    lines.map((l) => ('text' in l ? l.text : `error ${l.lineNo}`)),
    ['{"a":1}', 'error 2', '{"b":2}'],
  );
  assert.deepEqual([...overlong], [[2, { bytes: 3 << 20, head: Buffer.alloc(240, 0x61) }]]);
});

test("an overlong line's excerpt is its beginning, cut between characters, with its length", async () => {
  // 239 bytes of ASCII, then characters of 3 bytes: the 240 bytes kept end inside the first of them.
  const line = `{"id":"${'x'.repeat(231)}${'研'.repeat(200_000)}"}`;
  const overlong = new Map<number, Overlong>();
  await collect(readLines(capLines(pieces(Buffer.from(`${line}\n`), 7), 1 << 10, overlong)));
  const excerpt = overlongExcerpt(overlong.get(1)!);
  assert.equal(excerpt, `{"id":"${'x'.repeat(231)}… (${Buffer.byteLength(line).toLocaleString('en')} bytes in all)`);
  assert.ok(!excerpt.includes('\ufffd'));
});

test('an excerpt never cuts a character in two, and keeps all it can of the beginning', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.integer({ min: 1, max: 30 }), (text, max) => {
      const excerpt = excerptOf(text, max);
      const shown = excerpt.endsWith('…') && text.length > max ? excerpt.slice(0, -1) : excerpt;
      assert.equal(Buffer.from(shown).toString(), shown, 'no half of a surrogate pair');
      assert.ok(text.startsWith(shown) && shown.length >= Math.min(text.length, max - 1));
    }),
  );
});

test('a truncated stream still hands on the line it was in, as the splitter expects', async () => {
  const failing = Readable.from(
    (function* () {
      yield Buffer.from('{"a":1}\n{"b":');
      throw new Error('unexpected end of file');
    })(),
  );
  const lines = await collect(readLines(capLines(failing, 1 << 20, new Map())));
  assert.equal(lines.length, 2);
  assert.match('error' in lines[1]! ? lines[1].error : '', /input ends inside this line/);
});

test('an all-zero gzip is one record set aside with the reason; a 100 KB affiliation sets its record aside, naming the field', async () => {
  const home = tempDir();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  try {
    const zeros = writeTemp('zeros.jsonl.gz', gzipSync(Buffer.alloc(32 << 20)));
    const r = await ingestWorks(store, 'openalex', zeros, { quarantineDir: join(home, 'q'), limits: { ...DEFAULT_LIMITS, maxRecordBytes: 8 << 20 } });
    assert.deepEqual([r.kept, r.quarantined], [0, 1]);
    const reason = (await store.one<{ reason: string }>('SELECT reason FROM quarantine'))!.reason;
    assert.equal(reason, 'line 1 is 33,554,432 bytes, longer than the 8,388,608 a record may take; set aside unread');
    const title = 'Ünïcode title of a work whose abstract is far too long';
    const huge = writeTemp('huge.jsonl', `${JSON.stringify({ id: 'https://openalex.org/W7', display_name: title, abstract: 'é'.repeat(1 << 20) })}\n`);
    const h = await ingestWorks(store, 'openalex', huge, { quarantineDir: join(home, 'q'), limits: { ...DEFAULT_LIMITS, maxRecordBytes: 1 << 20 } });
    const { excerpt } = (await store.one<{ excerpt: string }>('SELECT excerpt FROM quarantine WHERE file_id = $1', [h.fileId]))!;
    // The officer sees which record it is: its id and title, not a replacement character.
    assert.match(excerpt, /^\{"id":"https:\/\/openalex\.org\/W7","display_name":"Ünïcode title[^\ufffd]*… \(2,097,\d{3} bytes in all\)$/);
    const long = 'x'.repeat(100_000);
    const file = writeTemp(
      'long.jsonl',
      [JSON.stringify({ id: 'https://openalex.org/W1', authorships: [{ raw_affiliation_strings: ['Oxford, UK'] }, { raw_affiliation_strings: ['Delft, Netherlands', long] }] }), JSON.stringify({ id: 'https://openalex.org/W2', authorships: [{ raw_affiliation_strings: ['Oxford, UK'] }] })].join('\n'),
    );
    const l = await ingestWorks(store, 'openalex', file, { quarantineDir: join(home, 'q') });
    assert.deepEqual([l.kept, l.quarantined], [1, 1]);
    assert.deepEqual(await store.all('SELECT record_no::INT AS record_no, reason FROM quarantine WHERE file_id = $1', [l.fileId]), [{ record_no: 1, reason: 'affiliation 2 of author 2 is 100000 characters long (limit 2000)' }]);
  } finally {
    store.close();
  }
});

test('field limits name the first field over them, and let real records through', () => {
  const record = openAlexWork({ id: 'https://openalex.org/W9', display_name: 't'.repeat(10_001), authorships: [] });
  assert.throws(() => checkFieldValues(record, DEFAULT_LIMITS), /title is 10001 characters long \(limit 10000\)/);
  checkFieldValues(openAlexWork({ id: 'https://openalex.org/W9', display_name: 'A title', authorships: [{ raw_affiliation_strings: ['a'.repeat(2_000)] }] }), DEFAULT_LIMITS);
  assert.throws(() => checkFieldValues(openAlexWork({ id: 'https://openalex.org/W9', display_name: 'A title', authorships: [{ raw_affiliation_strings: ['a'.repeat(2_001)] }] }), DEFAULT_LIMITS), /affiliation 1 of author 1 is 2001 characters long \(limit 2000\)/);
});

test('the institutions a source attaches are held to the field limit too, naming which', () => {
  const work = (institution: object) =>
    openAlexWork({ id: 'https://openalex.org/W9', display_name: 'A title', authorships: [{ raw_affiliation_strings: ['Oxford, UK'] }, { raw_affiliation_strings: ['KU Leuven'], institutions: [{ ror: 'https://ror.org/05f950310', display_name: 'KU Leuven', country_code: 'BE', ...institution }] }] });
  checkFieldValues(work({}), DEFAULT_LIMITS);
  assert.throws(() => checkFieldValues(work({ display_name: 'n'.repeat(10_001) }), DEFAULT_LIMITS), /^Error: institution name 1 of affiliation 1 of author 2 is 10001 characters long \(limit 10000\)$/);
  assert.throws(() => checkFieldValues(work({ ror: `https://ror.org/${'0'.repeat(10_001)}` }), DEFAULT_LIMITS), /^Error: ROR id 1 of affiliation 1 of author 2 is 10001 characters long/);
  assert.throws(() => checkFieldValues(work({ country_code: 'B'.repeat(10_001) }), DEFAULT_LIMITS), /^Error: country 1 of affiliation 1 of author 2 is 10001 characters long/);
});
