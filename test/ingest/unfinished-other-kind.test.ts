import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readHere, type BatchSource, type ReadRequest } from '../../src/ingest/batches.ts';
import { fileState, ingestWorks, OtherKindError, SHARED } from '../../src/ingest/pipeline.ts';
import { Store } from '../../src/store/store.ts';
import { derisk } from '../helpers/cli.ts';
import { INPUT, tempDir } from '../helpers/fixtures.ts';

// Round 50: `derisk ingest wos FILE` killed mid-run, then `derisk ingest scopus FILE` was refused "these bytes were
// ingested before as wos", though that run never finished. Only a finished ingest claims the bytes.

test('a run killed (kill -9) as one kind does not claim the bytes: another kind its reader refuses says the unfinished run is kept and how to resume it, and resuming it as its kind ends with the counts of a clean run', () => {
  const home = tempDir();
  const file = join(tempDir(), 'export.txt');
  copyFileSync(join(INPUT, 'wos-tagged.txt'), file);
  const killed = derisk(['ingest', '--no-resolve', '--batch-size', '1', 'wos', file], { DERISK_HOME: home, DERISK_CRASH_AT: 'ingest.batch-committed:1' });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  const other = derisk(['ingest', '--no-resolve', 'scopus', file], { DERISK_HOME: home });
  assert.equal(other.status, 1, `${other.stdout}\n${other.stderr}`);
  assert.match(other.stderr, /^derisk: export\.txt: not a Scopus CSV export: .*; a run that did not finish read these bytes as wos \(1 record\): it is kept, and ingesting them as wos resumes it$/m);
  assert.doesNotMatch(other.stderr, /ingested before/);
  const resumed = derisk(['ingest', '--no-resolve', 'wos', file], { DERISK_HOME: home });
  assert.equal(resumed.status, 3, resumed.stderr);
  assert.match(resumed.stdout, /export\.txt: resumed; 2 records kept, 0 already known, 1 quarantined /);
});

/** Reads `path` as `kind` (bytes two readers would both accept: none do today), then dies after the first batch, as a killed run does. */
const killedAfterFirstBatch =
  (kind: ReadRequest['kind'], path: string) =>
  (request: ReadRequest): BatchSource => {
    const source = readHere({ ...request, kind, path });
    let batches = 0;
    return {
      next: () => (batches++ === 0 ? source.next() : Promise.reject(new Error('killed'))),
      close: () => source.close(),
    };
  };

test('an unfinished run of another kind is replaced by a run of the kind now given that reads the bytes: none of its records, rows or quarantine stay counted, and the counts are those of a clean run', async () => {
  const scopus = join(INPUT, 'scopus-upload.csv');
  const fileId = 'f'.repeat(64);
  const clean = await Store.open(join(tempDir(), 'clean.duckdb'));
  const store = await Store.open(join(tempDir(), 'derisk.duckdb'));
  try {
    const expected = await ingestWorks(clean, 'scopus', scopus, { quarantineDir: tempDir(), fileId });
    await assert.rejects(ingestWorks(store, 'wos', scopus, { quarantineDir: tempDir(), fileId, batchSize: 1, open: killedAfterFirstBatch('wos', join(INPUT, 'wos-tagged.txt')) }), /killed/);
    assert.deepEqual(await store.one(`SELECT count(*)::DOUBLE AS n FROM records WHERE source = 'wos'`), { n: 1 });
    const r = await ingestWorks(store, 'scopus', scopus, { quarantineDir: tempDir(), fileId });
    assert.equal(r.status, 'ingested');
    assert.deepEqual([r.kept, r.duplicates, r.quarantined], [expected.kept, expected.duplicates, expected.quarantined]);
    const state = await fileState(store, SHARED, fileId);
    assert.deepEqual([state?.kind, state?.finished], ['scopus', true]);
    for (const table of ['records', 'authorships', 'affiliations']) assert.deepEqual(await store.one(`SELECT count(*) FILTER (WHERE source = 'wos')::DOUBLE AS wos, count(*)::DOUBLE AS n FROM ${table}`), await clean.one(`SELECT 0::DOUBLE AS wos, count(*)::DOUBLE AS n FROM ${table}`), table);
    assert.deepEqual(await store.one(`SELECT count(*)::DOUBLE AS n FROM quarantine`), { n: expected.quarantined });
  } finally {
    store.close();
    clean.close();
  }
});

test('an unfinished OpenAlex run of the shared base is not undone by another kind (it may have replaced works held from other files): the refusal says to finish it as openalex, and its records stay', async () => {
  const fileId = 'e'.repeat(64);
  const scopus = join(INPUT, 'scopus-upload.csv');
  const store = await Store.open(join(tempDir(), 'derisk.duckdb'));
  try {
    await assert.rejects(ingestWorks(store, 'openalex', scopus, { quarantineDir: tempDir(), fileId, batchSize: 1, open: killedAfterFirstBatch('openalex', join(INPUT, 'openalex-current.jsonl')) }), /killed/);
    const held = await store.one(`SELECT count(*)::DOUBLE AS n FROM records WHERE file_id = $1`, [fileId]);
    await assert.rejects(ingestWorks(store, 'scopus', scopus, { quarantineDir: tempDir(), fileId }), (e: Error) => e instanceof OtherKindError && /did not finish read these bytes as openalex \(1 record\), not as scopus, .*ingest them as openalex to finish it/.test(e.message));
    assert.deepEqual(await store.one(`SELECT count(*)::DOUBLE AS n FROM records WHERE file_id = $1`, [fileId]), held);
    assert.equal((await fileState(store, SHARED, fileId))?.kind, 'openalex');
  } finally {
    store.close();
  }
});

test('an unfinished run of another kind under a provisional id (hashed as read) is found by its prefix and replaced in the same way', async () => {
  const scopus = join(INPUT, 'scopus-upload.csv');
  const clean = await Store.open(join(tempDir(), 'clean.duckdb'));
  const store = await Store.open(join(tempDir(), 'derisk.duckdb'));
  try {
    const expected = await ingestWorks(clean, 'scopus', scopus, { quarantineDir: tempDir() });
    // The same bytes, read by the Scopus reader but recorded as a WoS run: the stand-in for two kinds' readers accepting them.
    await assert.rejects(ingestWorks(store, 'wos', scopus, { quarantineDir: tempDir(), batchSize: 1, open: killedAfterFirstBatch('scopus', scopus) }), /killed/);
    assert.deepEqual(await store.one(`SELECT kind, finished_at IS NULL AS unfinished, file_id LIKE 'partial-%' AS provisional FROM input_files`), { kind: 'wos', unfinished: true, provisional: true });
    const r = await ingestWorks(store, 'scopus', scopus, { quarantineDir: tempDir() });
    assert.deepEqual([r.status, r.fileId, r.kept, r.duplicates, r.quarantined], ['ingested', expected.fileId, expected.kept, expected.duplicates, expected.quarantined]);
    for (const table of ['input_files', 'records', 'quarantine', 'input_file_prefixes']) assert.deepEqual(await store.one(`SELECT count(*)::DOUBLE AS n FROM ${table}`), await clean.one(`SELECT count(*)::DOUBLE AS n FROM ${table}`), table);
  } finally {
    store.close();
    clean.close();
  }
});
