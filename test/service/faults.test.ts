import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { organisationScope } from '../../src/ingest/pipeline.ts';
import { IngestWorkflow } from '../../src/workflows/ingest.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { Store } from '../../src/store/store.ts';
import { deriskAsync } from '../helpers/cli.ts';
import { freePort, syntheticWorks, tempDir, writeTemp } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';

// Kill -9 the server at 20 random points while it writes cases and verdicts, and at 20 while it
// ingests an uploaded export; after each restart nothing acknowledged is lost, nothing is
// duplicated, and the audit chain verifies. Delays come from a seeded generator: a failure
// names its round and delay, and the same seed replays it.
const ROUNDS = 20;
let template: string;

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

interface Running {
  proc: ChildProcess;
  base: string;
  token: string;
}

async function startServer(home: string): Promise<Running> {
  const proc = deriskAsync(['serve', '--port', String(await freePort())], { DERISK_HOME: home });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  for await (const chunk of proc.stdout!) {
    out += chunk;
    const m = /open (http:\/\/\S+)\/\?token=(\S+)/.exec(out);
    if (m) return { proc, base: m[1]!, token: m[2]! };
  }
  throw new Error(`the server did not start: ${out}${err}`);
}

const exited = async (proc: ChildProcess): Promise<void> => {
  if (proc.exitCode === null && proc.signalCode === null) await once(proc, 'exit');
};

async function stop(server: Running, signal: NodeJS.Signals): Promise<void> {
  if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill(signal);
  await exited(server.proc);
}

const api = async (server: Running, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const r = await fetch(`${server.base}${path}`, { method, headers: { authorization: `Bearer ${server.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => null) };
};

before(async () => {
  template = tempDir();
  const store = await landscapeStore(template);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', level: 'high' }]))]);
  await screenPending(store, await screeningContext(store));
  store.close();
});

const CASE = (title: string) => ({ title, partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }], research: { type: 'basic', open_publication: 'yes' } });

test(`kill -9 during case writes, ${ROUNDS} times: acknowledged cases and verdicts survive once, the audit chain verifies`, async () => {
  const home = tempDir();
  cpSync(template, home, { recursive: true });
  const next = random(20261122);
  const acked = new Map<string, string>();
  const attempted = new Set<string>();
  const verdicts = new Set<string>();
  const check = async (server: Running, round: number) => {
    const listed = (await api(server, 'GET', '/api/cases')).body as { id: string; title: string }[];
    const titles = listed.map((c) => c.title);
    assert.equal(new Set(titles).size, titles.length, `round ${round}: a case is duplicated`);
    for (const [key, id] of acked) assert.ok(listed.some((c) => c.id === id && c.title === key), `round ${round}: acknowledged case ${key} lost`);
    for (const v of verdicts) assert.equal((await api(server, 'GET', `/api/assessments/${v}`)).status, 200, `round ${round}: acknowledged verdict ${v} lost`);
    assert.deepEqual((await api(server, 'GET', '/api/audit/verify')).body.problems, [], `round ${round}: audit chain`);
  };
  for (let round = 0; round < ROUNDS; round++) {
    const server = await startServer(home);
    await check(server, round);
    const delay = 150 + Math.floor(next() * 1200);
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      server.proc.kill('SIGKILL');
    }, delay);
    try {
      for (let i = 0; !killed; i++) {
        const key = `r${round}-c${i}`;
        attempted.add(key);
        const r = await api(server, 'POST', '/api/cases', CASE(key), { 'idempotency-key': key });
        if (r.status !== 201 && r.status !== 200) throw new Error(`unexpected ${r.status}`);
        acked.set(key, r.body.id);
        if (i % 3 === 0) {
          const v = await api(server, 'POST', `/api/cases/${r.body.id}/assess`, {});
          if (v.status === 201) verdicts.add(v.body.id);
        }
      }
    } catch (e) {
      assert.ok(killed, `round ${round}: ${(e as Error).message} before the kill`);
    }
    clearTimeout(killer);
    await exited(server.proc);
  }
  const server = await startServer(home);
  try {
    await check(server, ROUNDS);
    // Retrying every request ever sent creates what was lost in flight and nothing twice.
    for (const key of attempted) assert.ok([200, 201].includes((await api(server, 'POST', '/api/cases', CASE(key), { 'idempotency-key': key })).status));
    const listed = (await api(server, 'GET', '/api/cases')).body as { title: string }[];
    assert.equal(listed.length, attempted.size);
    assert.ok(acked.size > ROUNDS, `${acked.size} cases acknowledged across the rounds`);
  } finally {
    await stop(server, 'SIGTERM');
  }
  assert.equal(server.proc.exitCode, 0, 'SIGTERM shuts the server down cleanly');
});

/** What the upload added: the organisation's own evidence (the server's token is the local admin's), and the shared base beside it. */
async function counts(home: string) {
  const store = await Store.open(join(home, 'derisk.duckdb'));
  try {
    const n = async (sql: string) => Number((await store.one<{ n: bigint }>(sql))!.n);
    return {
      records: await n("SELECT count(*) AS n FROM upload_records WHERE scope = 'local'"),
      affiliations: await n("SELECT count(*) AS n FROM upload_affiliations WHERE scope = 'local'"),
      quarantine: await n("SELECT count(*) AS n FROM upload_quarantine WHERE scope = 'local'"),
      files: await n("SELECT count(*) AS n FROM upload_files WHERE scope = 'local' AND finished_at IS NOT NULL"),
      works: await n("SELECT count(*) AS n FROM upload_works WHERE scope = 'local'"),
      sharedRecords: await n('SELECT count(*) AS n FROM records'),
    };
  } finally {
    store.close();
  }
}

test(`kill -9 during the ingest of an upload, ${ROUNDS} times: uploading again ends with exactly the counts of a clean run`, async () => {
  const file = writeTemp('upload.jsonl', syntheticWorks(15_000, 'Tsinghua University, Beijing'));
  const clean = tempDir();
  cpSync(template, clean, { recursive: true });
  const cleanStore = await Store.open(join(clean, 'derisk.duckdb'));
  const workflow = new IngestWorkflow(cleanStore, { quarantineDir: join(clean, 'q') });
  await workflow.run({ scope: organisationScope('local'), kind: 'openalex', files: [{ path: file }] });
  await workflow.close();
  cleanStore.close();
  const expected = await counts(clean);
  const body = readFileSync(file);
  const next = random(7);
  let interrupted = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const home = tempDir();
    cpSync(template, home, { recursive: true });
    const server = await startServer(home);
    const delay = 100 + Math.floor(next() * 2500);
    const killer = setTimeout(() => server.proc.kill('SIGKILL'), delay);
    const upload = await fetch(`${server.base}/api/uploads?kind=openalex`, { method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/octet-stream' }, body }).catch(() => null);
    clearTimeout(killer);
    if (!upload) interrupted++;
    await stop(server, 'SIGKILL');
    const again = await startServer(home);
    const r = await fetch(`${again.base}/api/uploads?kind=openalex`, { method: 'POST', headers: { authorization: `Bearer ${again.token}`, 'content-type': 'application/octet-stream' }, body });
    assert.equal(r.status, 201, `round ${round} (kill at ${delay} ms): ${await r.text()}`);
    assert.deepEqual((await (await fetch(`${again.base}/api/audit/verify`, { headers: { authorization: `Bearer ${again.token}` } })).json()).problems, []);
    await stop(again, 'SIGTERM');
    const got = await counts(home);
    assert.deepEqual(got, expected, `round ${round}: kill at ${delay} ms`);
  }
  assert.ok(interrupted > 0, 'at least one kill landed before the upload was answered');
});
