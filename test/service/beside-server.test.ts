import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { before, test } from 'node:test';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { derisk, deriskAsync } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { api, startServer, stop } from '../helpers/serve.ts';
import { watchlist } from '../helpers/watchlist.ts';

// The application database is shared by processes: administrative commands run while
// `derisk serve` holds it, and the server sees what they wrote at once.
let template: string;

before(async () => {
  template = tempDir();
  const store = await landscapeStore(template);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', level: 'high' }]))]);
  await screenPending(store, await screeningContext(store));
  store.close();
});

const copy = () => {
  const home = tempDir();
  cpSync(template, home, { recursive: true });
  return home;
};

const run = (args: string[], env: Record<string, string>) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = deriskAsync(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });

test('users and audit commands run beside a running server, with the output they have without it, while it writes', async () => {
  // Without a server: the reference output.
  const alone = copy();
  const env = { DERISK_NEW_PASSWORD: 'a long enough password' };
  const expected = [
    derisk(['users', 'add-org', 'org-x', 'Org X'], { DERISK_HOME: alone, ...env }),
    derisk(['users', 'add', '--org', 'org-x', '--email', 'officer@x.example', '--role', 'officer'], { DERISK_HOME: alone, ...env }),
  ].map(({ status, stdout, stderr }) => ({ status, stdout, stderr }));
  assert.deepEqual(expected.map((r) => r.status), [0, 0]);

  const home = copy();
  const server = await startServer(home);
  try {
    // The server writes cases all the while the commands run.
    let writing = true;
    const writes = (async () => {
      let n = 0;
      while (writing) {
        const r = await api(server, 'POST', '/api/cases', { title: `During ${n}`, partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }] }, { 'idempotency-key': `during-${n}` });
        assert.equal(r.status, 201);
        n++;
      }
      return n;
    })();
    const got = [await run(['users', 'add-org', 'org-x', 'Org X'], { DERISK_HOME: home, ...env }), await run(['users', 'add', '--org', 'org-x', '--email', 'officer@x.example', '--role', 'officer'], { DERISK_HOME: home, ...env })];
    const verify = await run(['audit', 'verify'], { DERISK_HOME: home });
    writing = false;
    const written = await writes;
    assert.deepEqual(got, expected, 'the same output and exit codes as without the server');
    assert.equal(verify.status, 0, verify.stderr + verify.stdout);
    assert.match(verify.stdout, /the chain verifies/);
    // The server sees the user the command added, and every write of both is in one chain.
    const login = await fetch(`${server.base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'officer@x.example', password: env.DERISK_NEW_PASSWORD }) });
    assert.equal(login.status, 200);
    const audit = (await api(server, 'GET', '/api/audit/verify')).body as { entries: number; problems: unknown[] };
    assert.deepEqual(audit.problems, []);
    assert.ok(written > 0, 'the server wrote while the commands ran');
    const listed = (await api(server, 'GET', '/api/cases')).body as unknown[];
    assert.equal(listed.length, written);
  } finally {
    await stop(server, 'SIGTERM');
  }
  assert.equal(server.proc.exitCode, 0);
});
