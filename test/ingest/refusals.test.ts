import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { ingestPatents } from '../../src/ingest/patents.ts';
import { InputError } from '../../src/ingest/records.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';

/*
 * What the HTTP layer and the CLI see: a file refused as a whole is an InputError naming the file
 * (by its name only, never the server's path) and the reason, with status 422; nothing of it is
 * kept, and the same file can be tried again once fixed.
 */

/** Random bytes without NULs (the first bytes of a file are checked for those on their own), from a fixed seed. */
function binaryNoise(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let seed = 22;
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    bytes[i] = ((seed >>> 16) % 255) + 1;
  }
  return bytes;
}

const SCOPUS = 'Authors,Title,Year,Authors with affiliations,EID\n"Li W.","Edge AI","2022","Li, W., Tsinghua University, Beijing, China",2-s2.0-85000000099\n';

test('a Scopus export ingested as Web of Science, a PDF, an empty, a UTF-16 or a binary file: a 422 InputError naming the file', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  const cases: [string, string | Buffer, 'wos' | 'scopus' | 'openalex', RegExp][] = [
    ['scopus-as-wos.txt', SCOPUS, 'wos', /^scopus-as-wos\.txt: not a Web of Science export .*it looks like a Scopus CSV export/],
    ['report.pdf', '%PDF-1.5\n%\u00b5\u00b5\n', 'scopus', /^report\.pdf: the file is a PDF document/],
    ['empty.jsonl', '', 'openalex', /^empty\.jsonl: the file is empty$/],
    ['utf16.csv', Buffer.from(`\ufeff${SCOPUS}`, 'utf16le'), 'scopus', /^utf16\.csv: the file is UTF-16 encoded/],
    ['wos-as-scopus.csv', 'FN Clarivate Analytics Web of Science\nVR 1.0\nEF\n', 'scopus', /^wos-as-scopus\.csv: not a Scopus CSV export: it looks like a Web of Science export/],
    ['noise.jsonl', binaryNoise(300_000), 'openalex', /^noise\.jsonl: the file is binary, not JSON text \(line 1: invalid UTF-8 \(byte 0x[0-9A-F]{2}\) at byte offset \d+/],
    ['control.jsonl', Buffer.concat([Buffer.from('{\u0017\u0001\n'), binaryNoise(3_000)]), 'openalex', /^control\.jsonl: the file is binary, not JSON text \(line 1: a control character \(U\+0017\) at character 2\)$/],
  ];
  for (const [name, content, kind, message] of cases) {
    const path = writeTemp(name, content, dir);
    await assert.rejects(ingestWorks(store, kind, path, { quarantineDir: join(dir, 'q') }), (e: Error) => {
      assert.ok(e instanceof InputError, `${name}: ${e.message}`);
      assert.equal(e.statusCode, 422);
      assert.equal(e.file, path);
      assert.match(e.message, message);
      assert.ok(!e.message.includes(dir), 'the message names the file, not where the server keeps it');
      return true;
    });
  }
  assert.equal((await store.one<{ n: number }>('SELECT count(*)::DOUBLE AS n FROM input_files'))!.n, 0, 'a refused file leaves no trace to resume from');
  store.close();
});

test('an upload stored under a hash with a fixed extension is decompressed when it is gzip', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  const works = Array.from({ length: 50 }, (_, i) => JSON.stringify({ id: `https://openalex.org/W${i + 1}`, publication_year: 2020, authorships: [] })).join('\n');
  const report = await ingestWorks(store, 'openalex', writeTemp('9f86d081884c7d65.jsonl', gzipSync(works), dir), { quarantineDir: join(dir, 'q') });
  assert.deepEqual([report.kept, report.quarantined], [50, 0]);
  store.close();
});

test('a whole-file reader (patents) refuses a wrong file the same way', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  const path = writeTemp('lens.csv', SCOPUS, dir);
  await assert.rejects(ingestPatents(store, 'lens', path), (e: Error) => e instanceof InputError && e.file === path && /^lens\.csv: missing column\(s\): Lens ID, Applicants$/.test(e.message));
  store.close();
});
