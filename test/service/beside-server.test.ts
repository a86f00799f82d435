import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { before, test } from 'node:test';
import Database from 'better-sqlite3';
import { CONTROL_FILE, type ControlFile } from '../../src/cli/control-file.ts';
import { BIN, derisk, deriskAsync } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { AFF, listedLandscapeStore } from '../helpers/landscape.ts';
import { api, startServer, stop } from '../helpers/serve.ts';

// The application database is shared by processes: administrative commands run while
// `derisk serve` holds it, and the server sees what they wrote at once.
let template: string;

before(async () => {
  template = tempDir();
  const store = await listedLandscapeStore(template, 'high');
  store.close();
  // The index kept above was built by this test's TypeScript; the CLI runs the compiled code, whose
  // index it is: build that once here, so neither run below says it rebuilds one.
  assert.equal(derisk(['screen', 'Tsinghua University'], { DERISK_HOME: template }).status, 10);
  // A server started and stopped once, so every copy has its application database and administrator:
  // a run without the server and one beside it see the same home.
  await stop(await startServer(template), 'SIGTERM');
  assert.equal(existsSync(join(template, CONTROL_FILE)), false, 'a clean stop removes the control file');
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
  const expected = [derisk(['users', 'add-org', 'org-x', 'Org X'], { DERISK_HOME: alone, ...env }), derisk(['users', 'add', '--org', 'org-x', '--email', 'officer@x.example', '--role', 'officer'], { DERISK_HOME: alone, ...env })].map(({ status, stdout, stderr }) => ({ status, stdout, stderr }));
  assert.deepEqual(
    expected.map((r) => r.status),
    [0, 0],
  );

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
    // A role changed at the console reaches that open session at its very next request: the session
    // is kept busy (whatever the server remembered of it would be fresh), and asked again the moment
    // the change is committed (watched in the database file).
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const role = async () => ((await (await fetch(`${server.base}/api/session`, { headers: { cookie } })).json()) as { user?: { role: string } }).user?.role;
    assert.equal(await role(), 'officer');
    let asking = true;
    const busy = (async () => {
      while (asking) await role();
    })();
    const watched = new Database(join(home, 'app.sqlite'), { readonly: true });
    let exited = false;
    const demoting = run(['users', 'role', 'officer@x.example', 'viewer'], { DERISK_HOME: home }).finally(() => (exited = true));
    while (!exited && (watched.prepare('SELECT role FROM users WHERE email = ?').get('officer@x.example') as { role: string }).role !== 'viewer') await new Promise((resolve) => setTimeout(resolve, 2));
    const next = await role();
    watched.close();
    asking = false;
    await busy;
    const demoted = await demoting;
    assert.equal(demoted.status, 0, demoted.stderr);
    assert.equal(next, 'viewer', 'the very next request has the new role');
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

// Commands on the evidence store (DuckDB: one process per file) go through the server that owns it,
// found by the control file it keeps in DERISK_HOME, and print what they print without it.

/** The CLI typed in a directory (relative paths are the user's), as a user would. */
/** What each command gets on standard input: only `screen --batch -` reads it, beside the server as the console's. */
const STDIN = 'Tsinghua University\nDelft University of Technology\n';

const typed = (args: string[], cwd: string, env: Record<string, string>) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', input: STDIN, env: { ...process.env, CI: '1', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** A directory with the files the commands below read, named relatively. */
const workDir = () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'affiliations.csv'), `affiliation\n"${AFF.thu}"\n"${AFF.delft}"\nsomewhere unknown\n`);
  writeFileSync(join(dir, 'names.txt'), 'Tsinghua University\nDelft University of Technology\n');
  mkdirSync(join(dir, 'exchange'));
  writeFileSync(join(dir, 'case.yaml'), 'title: Joint AI lab\npartners:\n  - name: Tsinghua University\n    country: CN\ntechnology:\n  fields: [eu-artificial-intelligence]\n');
  return dir;
};

const READS: string[][] = [
  ['summary'],
  ['summary', '--json'],
  ['indicators', 'copubs', '--regions', 'EU27AC,CN'],
  ['indicators', 'copubs', '--regions', 'EU27AC,CN', '--json'],
  ['indicators', 'publications'],
  ['indicators', 'top-institutions', '--regions', 'EU27AC,CN', '--csv'],
  ['indicators', 'top-pairs', '--regions', 'EU27AC,CN', '--rollup'],
  ['indicators', 'countries', '--regions', 'EU27AC,CN'],
  ['indicators', 'fields', '--regions', 'EU27AC,CN'],
  ['indicators', 'works', '--regions', 'EU27AC,CN', '--institution', '03cve4549', '--json'],
  ['indicators', 'nonsense'],
  ['indicators', 'copubs', '--regions', 'EU27AC,CN', '--from', 'soon'],
  ['facts'],
  ['lists'],
  ['lists', '--json'],
  ['screen', 'Tsinghua University'],
  ['screen', '03cve4549', '--json'],
  ['screen', 'Delft University of Technology'],
  ['screen', '--portfolio', '02e2c7k09', '--csv', 'portfolio.csv'],
  ['screen', '--portfolio', 'not-a-ror-id'],
  ['screen', '--batch', 'names.txt', '--csv', 'batch.csv'],
  ['screen', '--batch', '-'],
  ['screen'],
  ['brief', 'Tsinghua University'],
  ['brief', 'Tsinghua University', '--json'],
  ['resolve', 'affiliations.csv', '--column', 'affiliation', '--out', 'resolved.csv'],
  ['assess', 'case.yaml', '--as-of', '2026-11-22'],
  ['assess', 'missing-case.yaml'],
  ['export', 'parquet', 'parquet'],
  ['users', 'list'],
  ['watch', 'list'],
  ['alerts', 'check'],
  ['alerts'],
  ['kb', 'list', '--jurisdiction', 'CN'],
  ['rulebook'],
  ['fields'],
  // The exchange reads the lists in the store for notes and decisions on list entries, and for what it exports.
  ['exchange', 'note', '--entry', 'my-watchlist/tsinghua-university', '--text', 'Joint lab with defence links'],
  ['exchange', 'namesake', 'Tsinghua Univ', '--entry', 'my-watchlist/tsinghua-university', '--reason', 'the one in Hsinchu'],
  ['exchange', 'export', '--format', 'stix', '--out', 'exchange/bundle.json'],
  ['exchange', 'ftm-partners'],
];

/** Each command's status and output; the ids of new verdicts, notes and decisions are the only things that may differ. */
const runAll = (home: string, cwd: string) =>
  READS.map((args) => {
    const before = new Date().toISOString().slice(0, 10);
    const r = typed(args, cwd, { DERISK_HOME: home });
    // The day a command ran (a verdict says when it was made) differs when the two passes straddle midnight.
    const days = new RegExp(`\\b(${before}|${new Date().toISOString().slice(0, 10)})\\b`, 'g');
    // A verdict's id and its digest (which covers the id and when it was made) are its own each run.
    const id = (t: string) =>
      t
        .replace(days, 'TODAY')
        .replace(/\(assessment [\w-]+\)/g, '(assessment ID)')
        .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, 'ID')
        .replace(/Verdict digest: [0-9a-f]{64}/g, 'Verdict digest: DIGEST');
    return { args: args.join(' '), status: r.status, stdout: id(r.stdout), stderr: id(r.stderr) };
  });

const files = (dir: string): Record<string, string> =>
  Object.fromEntries(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      // Parquet files and what the exchange writes carry the time they were written (and new ids).
      .filter((e) => e.isFile() && !e.name.endsWith('.parquet') && !join(e.parentPath, e.name).includes(`${sep}exchange${sep}`))
      .map((e) => [join(e.parentPath, e.name).slice(dir.length), readFileSync(join(e.parentPath, e.name), 'utf8')]),
  );

const consoleRuns = (home: string) => {
  const db = new Database(join(home, 'app.sqlite'), { readonly: true });
  try {
    return db.prepare("SELECT actor, target, detail FROM audit WHERE action = 'console.run' ORDER BY seq").all() as { actor: string; target: string; detail: string }[];
  } finally {
    db.close();
  }
};

test('every command on the store and every administrative command prints beside the server what it prints without it, with the same exit code', async () => {
  const home = copy();
  const aloneDir = workDir();
  const alone = runAll(home, aloneDir);
  // The reference covers success, usage errors and failures.
  for (const [status, args] of [
    [0, 'summary'],
    [0, 'assess case.yaml --as-of 2026-11-22'],
    [2, 'indicators nonsense'],
    [2, 'screen'],
    [1, 'assess missing-case.yaml'],
  ] as const) {
    assert.equal(alone.find((r) => r.args === args)!.status, status, args);
  }

  const server = await startServer(home);
  try {
    const control = JSON.parse(readFileSync(join(home, CONTROL_FILE), 'utf8')) as ControlFile;
    assert.equal(control.pid, server.proc.pid);
    const besideDir = workDir();
    const beside = runAll(home, besideDir);
    for (let i = 0; i < READS.length; i++) assert.deepEqual(beside[i], alone[i], READS[i]!.join(' '));
    // Files named relatively are written where the command was typed, with the same content.
    assert.deepEqual(files(besideDir), files(aloneDir));
    assert.ok(existsSync(join(besideDir, 'portfolio.csv')) && existsSync(join(besideDir, 'resolved.csv')) && existsSync(join(besideDir, 'batch.csv')) && readdirSync(join(besideDir, 'parquet')).length > 0);
    assert.ok(existsSync(join(besideDir, 'exchange', 'bundle.json')));
    // Each command on the store went through the server, audited as the operator's; the others did not.
    const onStore = READS.filter((a) => !['users', 'kb', 'rulebook', 'fields'].includes(a[0]!));
    assert.deepEqual(
      consoleRuns(home).map((r) => JSON.parse(r.detail).argv),
      onStore,
    );
    assert.ok(consoleRuns(home).every((r) => r.actor === 'operator'));

    // A backup beside the server restores into a new home that answers as the original does.
    const backup = typed(['backup', 'backup'], besideDir, { DERISK_HOME: home });
    assert.equal(backup.status, 0, backup.stderr);
    assert.match(backup.stdout, /evidence store exported to backup\/store/);
    const restored = tempDir();
    const restore = typed(['restore', join(besideDir, 'backup')], besideDir, { DERISK_HOME: restored });
    assert.equal(restore.status, 0, restore.stderr);
    // (What the original answers is `alone`: beside the server it answered the same, above.)
    for (const args of [['summary'], ['lists'], ['indicators', 'top-pairs', '--regions', 'EU27AC,CN', '--rollup']]) {
      assert.deepEqual({ args: args.join(' '), ...typed(args, aloneDir, { DERISK_HOME: restored }) }, alone[READS.findIndex((a) => a.join(' ') === args.join(' '))], args.join(' '));
    }
  } finally {
    await stop(server, 'SIGTERM');
  }
  assert.equal(server.proc.exitCode, 0);
  assert.equal(existsSync(join(home, CONTROL_FILE)), false);
});

test('an ingest through the server prints what it prints without it, with its progress, and the server answers from the new evidence at once', async () => {
  const dir = tempDir();
  const work = (n: number, affs: string[]) => JSON.stringify({ id: `https://openalex.org/W${n}`, doi: `10.5555/beside.${n}`, publication_year: 2023, authorships: affs.map((a) => ({ raw_affiliation_strings: [a] })) });
  // Three co-publications and a damaged record, which is set aside (exit code 3).
  writeFileSync(join(dir, 'more-works.jsonl'), [work(101, [AFF.delft, AFF.thu]), work(102, [AFF.oxford, AFF.cas]), '{"id": "https://openalex.org/W103", "publication_year": ', work(104, [AFF.delft, AFF.casia])].join('\n') + '\n');
  const args = ['ingest', 'openalex', 'more-works.jsonl'];
  const alone = copy();
  const expected = typed(args, dir, { DERISK_HOME: alone });
  assert.equal(expected.status, 3, expected.stderr);

  const home = copy();
  const server = await startServer(home);
  try {
    const copubs = '/api/indicators/copubs?regions=EU27AC,CN';
    const before = await api(server, 'GET', copubs);
    const got = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, CI: '1', DERISK_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (d) => (stdout += d));
      child.stderr!.on('data', (d) => (stderr += d));
      child.on('exit', (status) => resolve({ status, stdout, stderr }));
    }).catch((e) => assert.fail(e));
    // The same lines (the time taken aside, and the quarantine file in each home), the same exit code.
    const same = (text: string, at: string) => text.replaceAll(at, '<home>').replace(/\(\d+\.\d s, [\d.-]+ MB\/s\)/g, '(time)');
    assert.equal(got.status, 3, got.stderr);
    assert.equal(same(got.stdout, home), same(expected.stdout, alone));
    assert.match(got.stdout, /^more-works\.jsonl: ingested; 3 records kept, 0 already known, 1 quarantined/);
    // Its progress, stage by stage, as without the server.
    const stages = (stderr: string) =>
      stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { progress: string; finished?: boolean })
        .filter((p) => p.finished)
        .map((p) => p.progress);
    assert.deepEqual(stages(got.stderr), stages(expected.stderr));
    assert.deepEqual(stages(got.stderr), ['reading more-works.jsonl', 'resolving affiliations', 'screening affiliations', 'refreshing the analytics']);
    // The server forgot what it had worked out from the evidence before: its answer is the new one.
    const after = await api(server, 'GET', copubs);
    const now = JSON.parse(typed(['indicators', 'copubs', '--regions', 'EU27AC,CN', '--json'], dir, { DERISK_HOME: alone }).stdout) as { year: number }[];
    assert.notDeepEqual((after.body as { rows: unknown }).rows, (before.body as { rows: unknown }).rows);
    assert.deepEqual((after.body as { rows: unknown }).rows, now);
    assert.ok(now.some((y) => y.year === 2023));

    // A match correction through the server rebuilds the organisation's view in the store: the
    // server's answers from that view are worked out again (the console's session is the local organisation's).
    const top = async () => ((await api(server, 'GET', '/api/indicators/top-institutions?regions=EU27AC,CN')).body as { rows: unknown[] }).rows;
    const correct = (raw: string) => typed(['match', 'correct', raw, 'none', '--reason', 'a company lab of that name'], dir, { DERISK_HOME: home });
    assert.equal(correct(AFF.thu).status, 0);
    const corrected = await top();
    assert.equal(correct(AFF.casia).status, 0);
    assert.notDeepEqual(await top(), corrected, 'the second correction is in the answer');
  } finally {
    await stop(server, 'SIGTERM');
  }
  assert.equal(server.proc.exitCode, 0);
});

test("a correction shared or unshared at the console beside the server is in, then out of, the other organisation's next answers", async () => {
  const home = copy();
  const dir = tempDir();
  const env = { DERISK_HOME: home, DERISK_NEW_PASSWORD: 'a long enough password' };
  const server = await startServer(home);
  try {
    // Org-b, with an analyst, added at the console beside the server; the console's session is the local organisation's.
    assert.equal(typed(['users', 'add-org', 'org-b', 'Org B'], dir, env).status, 0);
    assert.equal(typed(['users', 'add', '--org', 'org-b', '--email', 'analyst@b.example', '--role', 'analyst'], dir, env).status, 0);
    const login = await fetch(`${server.base}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'analyst@b.example', password: env.DERISK_NEW_PASSWORD }) });
    assert.equal(login.status, 200);
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const path = '/api/indicators/top-institutions?regions=EU27AC,CN';
    const ofB = async () => ((await (await fetch(`${server.base}${path}`, { headers: { cookie } })).json()) as { rows: unknown[] }).rows;
    const ofLocal = async () => ((await api(server, 'GET', path)).body as { rows: unknown[] }).rows;
    const before = await ofB();

    const corrected = typed(['match', 'correct', AFF.thu, 'none', '--reason', 'a company lab of that name'], dir, env);
    assert.equal(corrected.status, 0, corrected.stderr);
    const id = corrected.stdout.split(/\s/)[0]!;
    assert.notDeepEqual(await ofLocal(), before, "the local organisation's view reads its correction");
    assert.deepEqual(await ofB(), before, 'not shared: org-b reads the shared base');

    const shared = typed(['exchange', 'share', 'correction', id, '--distribution', 'community', '--tlp', 'green'], dir, env);
    assert.equal(shared.status, 0, shared.stderr);
    assert.deepEqual(await ofB(), await ofLocal(), "shared: org-b's next answer reads through it, with no match apply");

    assert.equal(typed(['exchange', 'share', 'correction', id, '--distribution', 'organisation', '--tlp', 'amber'], dir, env).status, 0);
    assert.deepEqual(await ofB(), before, "shared with the organisation only again: out of org-b's next answer");
  } finally {
    await stop(server, 'SIGTERM');
  }
  assert.equal(server.proc.exitCode, 0);
});

test('the control file: one left by kill -9 is ignored, one others may read or another user owns is refused; a forged credential, a session or a token does not open the console link', async () => {
  const home = copy();
  const dir = tempDir();
  const copubs = ['indicators', 'copubs', '--regions', 'EU27AC,CN'];
  const reference = typed(copubs, dir, { DERISK_HOME: home });
  assert.equal(reference.status, 0, reference.stderr);
  const path = join(home, CONTROL_FILE);

  const killed = await startServer(home);
  await stop(killed, 'SIGKILL');
  assert.ok(existsSync(path), 'kill -9 leaves the control file behind');
  assert.deepEqual(typed(copubs, dir, { DERISK_HOME: home }), reference, 'the command runs here: the process the file names is gone');

  const server = await startServer(home);
  try {
    const control = JSON.parse(readFileSync(path, 'utf8')) as ControlFile;
    assert.equal(control.pid, server.proc.pid, 'a new start replaces the stale file');
    const written = readFileSync(path, 'utf8');

    chmodSync(path, 0o644);
    const open = typed(copubs, dir, { DERISK_HOME: home });
    assert.equal(open.status, 1);
    assert.equal(open.stdout, '');
    assert.match(open.stderr, /serve\.control\.json has permissions 0644: refusing the server's control file, since another user could read/);
    chmodSync(path, 0o600);
    if (process.getuid?.() === 0) {
      chownSync(path, 65534, 65534);
      assert.match(typed(copubs, dir, { DERISK_HOME: home }).stderr, /serve\.control\.json belongs to user 65534, not to you \(0\): refusing/);
      chownSync(path, 0, 0);
    }

    // A credential the server did not make is refused, and nothing runs.
    writeFileSync(path, JSON.stringify({ ...control, credential: randomBytes(32).toString('base64url') }));
    const forged = typed(copubs, dir, { DERISK_HOME: home });
    assert.equal(forged.status, 1);
    assert.equal(forged.stdout, '');
    assert.match(forged.stderr, /the running server \(pid \d+\) refused the command: the console link takes the credential in serve\.control\.json, nothing else/);
    writeFileSync(path, written);

    const send = (headers: Record<string, string>, argv = ['summary'], base = control.address) => fetch(`${base}/run`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ argv, cwd: dir, progressBar: false }) });
    // The console's own web session (cookie and CSRF token) and an admin's API token open nothing.
    assert.equal((await send(server.headers)).status, 401);
    const token = (await api(server, 'POST', '/api/tokens', { label: 'script' })).body as { token: string };
    assert.equal((await send({ authorization: `Bearer ${token.token}` })).status, 401);
    // ...nor does the web app's address, where the endpoint is not.
    assert.equal((await send(server.headers, ['summary'], server.base)).status, 404);
    // A page in a browser is not the console, even one that got hold of the credential.
    const credential = { authorization: `Derisk-Console ${control.credential}` };
    assert.equal((await send({ ...credential, origin: 'http://evil.example' })).status, 403);
    // With the credential: commands on the store only.
    assert.equal((await send(credential, ['users', 'add-org', 'evil', 'Evil'])).status, 400);
    const ran = await send(credential);
    assert.equal(ran.status, 200);
    assert.match(await ran.text(), /\{"exit":0\}\n$/);
    // Only that one ran, audited as the operator's; the credential is kept nowhere but in the file.
    assert.deepEqual(
      consoleRuns(home).map((r) => JSON.parse(r.detail).argv),
      [['summary']],
    );
    for (const f of readdirSync(home, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name))
      if (f !== CONTROL_FILE && !f.endsWith('.duckdb') && !f.endsWith('.wal')) assert.ok(!readFileSync(join(home, f)).includes(control.credential), f);
  } finally {
    await stop(server, 'SIGTERM');
  }
  assert.equal(existsSync(path), false);
});
