import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { organisationScope, SHARED } from '../../src/ingest/pipeline.ts';
import { Store } from '../../src/store/store.ts';
import { IngestWorkflow, type IngestEvent } from '../../src/workflows/ingest.ts';
import { derisk } from '../helpers/cli.ts';
import { syntheticWorks, tempDir, writeTemp } from '../helpers/fixtures.ts';
import { listedLandscapeStore } from '../helpers/landscape.ts';

const NEW_WORK = JSON.stringify({
  id: 'https://openalex.org/W500',
  doi: '10.5555/new.500',
  publication_year: 2023,
  authorships: [{ raw_affiliation_strings: ['Delft University of Technology, Delft, Netherlands'] }, { raw_affiliation_strings: ['Dept Comp Sci, Tsinghua University, Beijing 100084, China'] }],
});

let template: Promise<string> | undefined;

/** A home with the listed landscape store: built once, and copied for each test. */
async function listedHome(): Promise<string> {
  template ??= (async () => {
    const dir = tempDir();
    (await listedLandscapeStore(dir, 'high')).close();
    return dir;
  })();
  const home = tempDir();
  cpSync(await template, home, { recursive: true });
  return home;
}

test('derisk ingest runs the whole workflow: the new strings are resolved and screened, and the listed co-publications include the new work', async () => {
  const home = await listedHome();
  const file = writeTemp('new.jsonl', NEW_WORK);
  const r = derisk(['ingest', 'openalex', file], { DERISK_HOME: home });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /1 records kept, 0 already known, 0 quarantined/);
  // Progress as JSON lines when stderr is not a terminal: one per stage, ending in a summary.
  const progress = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { progress: string; finished?: boolean; message?: string });
  assert.deepEqual([...new Set(progress.map((p) => p.progress))], [`reading ${file}`, 'resolving affiliations', 'screening affiliations', 'refreshing the analytics']);
  assert.ok(
    progress.some((p) => p.finished && /1 strings screened/.test(p.message ?? '')),
    r.stderr,
  );
  const store = await Store.open(join(home, 'derisk.duckdb'));
  try {
    assert.ok(await store.one("SELECT 1 FROM screen_hits WHERE raw LIKE 'Dept Comp Sci, Tsinghua%'"), 'the new string was screened');
    assert.ok(await store.one("SELECT 1 FROM listed_affiliations WHERE work_id = 'doi:10.5555/new.500'"), 'and the assessment evidence counts the new work');
  } finally {
    store.close();
  }
});

test('the workflow reports its stages in order; an upload builds only its own works, and resolves and screens only its own strings', async () => {
  const home = await listedHome();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  const workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'q') });
  try {
    // A string of the shared base left unresolved and unscreened (an ingest with --no-resolve).
    const pending = JSON.stringify({ id: 'https://openalex.org/W600', publication_year: 2023, authorships: [{ raw_affiliation_strings: ['Tsinghua University, Dept Phys, Beijing, China'] }] });
    await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: writeTemp('pending.jsonl', pending) }], resolve: false });
    const before = await store.all('SELECT * FROM listed_affiliations ORDER BY ALL');
    const events: IngestEvent[] = [];
    const outcome = await workflow.run({ scope: organisationScope('org-b'), kind: 'openalex', files: [{ path: writeTemp('upload.jsonl', syntheticWorks(300, 'Tsinghua University, Beijing')) }] }, (e) => events.push(e));
    assert.deepEqual(
      events.filter((e) => e.type === 'stage').map((e) => (e as { stage: string }).stage),
      ['read', 'resolve', 'screen', 'refresh'],
    );
    const read = events.filter((e): e is Extract<IngestEvent, { type: 'progress' }> => e.type === 'progress' && e.stage === 'read');
    assert.equal(read.at(-1)!.done, read.at(-1)!.total);
    assert.deepEqual([outcome.files[0]!.kept, outcome.files[0]!.quarantined], [297, 3]);
    assert.equal(await store.one("SELECT 1 FROM resolutions WHERE raw = 'Tsinghua University, Dept Phys, Beijing, China'"), undefined, 'the shared base’s pending string waits for an administrator');
    assert.equal(await store.one("SELECT 1 FROM screened_strings WHERE raw = 'Tsinghua University, Dept Phys, Beijing, China'"), undefined);
    assert.deepEqual(await store.all('SELECT * FROM listed_affiliations ORDER BY ALL'), before, 'what verdicts read did not move');
    assert.equal(Number((await store.one<{ n: number }>("SELECT count(*)::DOUBLE AS n FROM upload_works WHERE scope = 'org-b'"))!.n), 297);
    await assert.rejects(workflow.run({ scope: organisationScope('org-b'), kind: 'ror', files: [] }), /an organisation uploads publication exports/);
  } finally {
    await workflow.close();
    store.close();
  }
});

test('the read progress counts each record once, also when the worker hands the file on in pieces', async () => {
  const home = await listedHome();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  const workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'q') });
  try {
    const events: IngestEvent[] = [];
    const outcome = await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: writeTemp('pieces.jsonl', syntheticWorks(2_500, 'Tsinghua University, Beijing')) }], resolve: false }, (e) => events.push(e));
    const read = events.filter((e): e is Extract<IngestEvent, { type: 'progress' }> => e.type === 'progress' && e.stage === 'read');
    const { kept, duplicates, quarantined } = outcome.files[0]!;
    assert.equal(kept + duplicates + quarantined, 2_500);
    assert.equal(read.at(-1)!.records, 2_500, 'records read, as the last progress event says them');
  } finally {
    await workflow.close();
    store.close();
  }
});

test('a file refused at its first batch, never read on, does not end the worker thread under the reads beside it', async () => {
  const { EvidenceWorker } = await import('../../src/workflows/offload.ts');
  const { DEFAULT_LIMITS } = await import('../../src/ingest/records.ts');
  const worker = new EvidenceWorker();
  const read = (kind: 'wos' | 'openalex', path: string) => worker.open({ kind, path, resumeAfter: 0, batchSize: 100, limits: DEFAULT_LIMITS });
  const good = read('openalex', writeTemp('good.jsonl', syntheticWorks(300)));
  // OpenAlex JSON Lines read as Web of Science: refused at once, and nobody asks for its batch.
  read('wos', writeTemp('not-wos.txt', syntheticWorks(3)));
  await new Promise((r) => setTimeout(r, 1_000));
  let records = 0;
  for (let batch = await good.next(); batch; batch = await good.next()) records += batch.records.length + batch.rejects.length;
  assert.equal(records, 300);
  await good.close();
});
