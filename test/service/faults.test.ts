import assert from 'node:assert/strict';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { organisationScope } from '../../src/ingest/pipeline.ts';
import { IngestWorkflow } from '../../src/workflows/ingest.ts';
import { Store } from '../../src/store/store.ts';
import { syntheticWorks, tempDir, writeTemp } from '../helpers/fixtures.ts';
import { listedLandscapeStore } from '../helpers/landscape.ts';
import { api, exited, startServer, stop, type Running } from '../helpers/serve.ts';

// The server is killed (SIGKILL, as kill -9) at named points armed with DERISK_CRASH_AT (see
// src/crash.ts): before and after the commit of application-database transactions while it writes
// cases and verdicts, and after each committed batch of an upload's ingest. After each restart
// nothing acknowledged is lost, nothing is duplicated, and the audit chain verifies.
//
// A start of the server commits 1–5 (migrations, the audit trail, revoked start tokens, the login
// code), the console login 6, the monitor's start-up pass and the audit check 7–8; then a case is
// one commit and its verdict the next (from 9: case, verdict, case, case, case, verdict, …). The
// rounds kill the server once at each place and on each side of the commit: 20 rounds at seeded
// random points hit the same places, many of them several times, at a server start (a few seconds) each.
const CRASHES = [
  'appdb.before-commit:4', // starting up: it never serves
  'appdb.committed:5', // starting up, the login code committed
  'appdb.committed:8', // during the first check (the monitor's pass or the audit check)
  'appdb.before-commit:9', // the first case, not committed
  'appdb.committed:10', // a verdict committed, never answered
  'appdb.before-commit:14', // a verdict, not committed
  'appdb.committed:17', // a case committed, never answered: retried, it must not come twice
  'appdb.before-commit:25', // a case after a dozen acknowledged
];
const ROUNDS = CRASHES.length;
let template: string;

/** Starts the server armed to crash; null when it crashed before it was serving (a start-up transaction). */
async function startArmed(home: string, crashAt: string): Promise<Running | null> {
  try {
    return await startServer(home, { DERISK_CRASH_AT: crashAt });
  } catch (e) {
    assert.match((e as Error).message, /the server did not start/);
    return null;
  }
}

before(async () => {
  template = tempDir();
  const store = await listedLandscapeStore(template, 'high');
  store.close();
  // The application database and its administrator exist: a start now costs the same few transactions each time.
  await stop(await startServer(template), 'SIGTERM');
});

const CASE = (title: string) => ({ title, partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }], research: { type: 'basic', open_publication: 'yes' } });

test(`killed before and after ${ROUNDS} commits of case writes: acknowledged cases and verdicts survive once, the audit chain verifies`, async () => {
  const home = tempDir();
  cpSync(template, home, { recursive: true });
  const acked = new Map<string, string>();
  const attempted = new Set<string>();
  const verdicts = new Set<string>();
  const check = async (server: Running, round: number) => {
    const listed = (await api(server, 'GET', '/api/cases')).body as { id: string; title: string }[];
    const titles = listed.map((c) => c.title);
    assert.equal(new Set(titles).size, titles.length, `round ${round}: a case is duplicated`);
    for (const [key, id] of acked)
      assert.ok(
        listed.some((c) => c.id === id && c.title === key),
        `round ${round}: acknowledged case ${key} lost`,
      );
    for (const v of verdicts) assert.equal((await api(server, 'GET', `/api/assessments/${v}`)).status, 200, `round ${round}: acknowledged verdict ${v} lost`);
    assert.deepEqual((await api(server, 'GET', '/api/audit/verify')).body.problems, [], `round ${round}: audit chain`);
  };
  let [duringWrites, diedStarting] = [0, 0];
  for (let round = 0; round < ROUNDS; round++) {
    const crashAt = CRASHES[round]!;
    const server = await startArmed(home, crashAt);
    if (!server) {
      diedStarting++; // the next start must cope with that too
      continue;
    }
    // The monitor's start-up check commits too: the armed commit may come before any write.
    const died = await check(server, round).then(
      () => false,
      async (e: Error) => {
        await exited(server.proc);
        assert.equal(server.proc.signalCode, 'SIGKILL', `round ${round} (${crashAt}): ${e.message} without the crash`);
        return true;
      },
    );
    if (died) continue;
    try {
      for (let i = 0; ; i++) {
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
      await exited(server.proc);
      assert.equal(server.proc.signalCode, 'SIGKILL', `round ${round} (${crashAt}): ${(e as Error).message} without the crash`);
      duringWrites++;
    }
  }
  assert.ok(duringWrites >= ROUNDS / 2, `${duringWrites} of ${ROUNDS} crashes came while cases were being written`);
  assert.ok(diedStarting > 0, 'a crash came while the server was starting up');
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

test('killed during the ingest of an upload, after it, before and after the audit commit: uploading again ends with exactly the counts of a clean run', async () => {
  const file = writeTemp('upload.jsonl', syntheticWorks(1_500, 'Tsinghua University, Beijing'));
  const clean = tempDir();
  cpSync(template, clean, { recursive: true });
  const cleanStore = await Store.open(join(clean, 'derisk.duckdb'));
  const workflow = new IngestWorkflow(cleanStore, { quarantineDir: join(clean, 'q') });
  await workflow.run({ scope: organisationScope('local'), kind: 'openalex', files: [{ path: file }] });
  await workflow.close();
  cleanStore.close();
  const [initial, expected] = [await counts(template), await counts(clean)];
  const body = readFileSync(file);
  const upload = (server: Running) => fetch(`${server.base}/api/uploads?kind=openalex`, { method: 'POST', headers: { ...server.headers, 'content-type': 'application/octet-stream' }, body });
  // The upload is one batch. The first commit of the application database is always at start;
  // the upload's own points come before and after its audit entry.
  const points = ['appdb.before-commit:1', 'ingest.batch-committed:1', 'upload.ingested:1', 'upload.audited:1'];
  const hit = new Set<string>();
  for (const crashAt of points) {
    const home = tempDir();
    cpSync(template, home, { recursive: true });
    const server = await startArmed(home, crashAt);
    if (!server) hit.add('start');
    else {
      const answer = await upload(server).catch(() => null);
      await stop(server, 'SIGKILL');
      if (answer) assert.equal(answer.status, 201, `${crashAt}: ${await answer.text()}`);
      else {
        assert.equal(server.proc.signalCode, 'SIGKILL');
        const partial = await counts(home);
        hit.add(partial.files === expected.files ? 'after the ingest' : partial.records > initial.records ? 'during the ingest' : 'before the ingest');
      }
    }
    const again = await startServer(home);
    const r = await upload(again);
    assert.ok([201].includes(r.status), `${crashAt}: ${await r.text()}`);
    assert.deepEqual((await api(again, 'GET', '/api/audit/verify')).body.problems, [], crashAt);
    await stop(again, 'SIGTERM');
    assert.deepEqual(await counts(home), expected, crashAt);
  }
  for (const where of ['after the ingest', 'during the ingest', 'start']) assert.ok(hit.has(where), `a crash ${where} (hit: ${[...hit].join(', ')})`);
});
