import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAppDb } from '../../src/appdb/open.ts';
import { loadConfig } from '../../src/config.ts';
import { Accounts } from '../../src/service/accounts.ts';
import { deriskAsync, loadedModules, recordingModules } from '../helpers/cli.ts';
import { CONSOLE_ADDRESS, consoleSession } from '../helpers/console.ts';
import { freePort, tempDir } from '../helpers/fixtures.ts';

// The credentials `derisk serve` hands out, across a kill -9 and a restart.
interface Running {
  proc: ChildProcess;
  base: string;
  code: string;
  output: () => string;
}

async function start(home: string, env: Record<string, string> = {}): Promise<Running> {
  const proc = deriskAsync(['serve', '--port', String(await freePort())], { DERISK_HOME: home, ...env });
  let out = '';
  proc.stderr!.on('data', (d) => (out += d));
  for await (const chunk of proc.stdout!) {
    out += chunk;
    const m = CONSOLE_ADDRESS.exec(out);
    if (m) {
      proc.stdout!.on('data', (d) => (out += d));
      return { proc, base: m[1]!, code: m[2]!, output: () => out };
    }
  }
  throw new Error(`the server did not start: ${out}`);
}

async function stop(server: Running, signal: NodeJS.Signals): Promise<void> {
  if (server.proc.exitCode === null && server.proc.signalCode === null) {
    server.proc.kill(signal);
    await once(server.proc, 'exit');
  }
}

const get = async (base: string, path: string, headers: Record<string, string>) => (await fetch(`${base}${path}`, { headers })).status;

test('serve prints a one-time login code, never a token; after kill -9 the next start ends the old run’s sessions and codes and revokes start tokens of earlier versions', async () => {
  const home = tempDir();
  const first = await start(home);
  try {
    assert.doesNotMatch(first.output(), /drk_/, 'no API token is printed (the console output is often a log)');
    assert.equal(statSync(join(home, 'serve.run')).mode & 0o777, 0o600);
    const session = await consoleSession(first.base, first.code);
    assert.equal(await get(first.base, '/api/tokens', session), 200);
    await assert.rejects(consoleSession(first.base, first.code), /401/, 'the code works once');
    const token = (await (await fetch(`${first.base}/api/tokens`, { method: 'POST', headers: { ...session, 'content-type': 'application/json' }, body: JSON.stringify({ label: 'my script' }) })).json()) as { token: string };
    await stop(first, 'SIGKILL');
    // An earlier version's start token, left behind by a kill -9 of that version.
    const db = await openAppDb(loadConfig({ DERISK_HOME: home }));
    const accounts = new Accounts(db);
    const admin = (await accounts.ensureLocalAdmin()).actor;
    const legacy = await accounts.createToken(admin, 'derisk serve 2026-11-20T10:00:00.000Z');
    await db.close();

    const modules = join(home, 'modules.txt');
    const second = await start(home, recordingModules(modules));
    try {
      // The first request: its route's schema is compiled now, and refuses a bad body as it always did.
      const bad = await fetch(`${second.base}/api/alerts/mail`, { method: 'PUT', headers: { authorization: `Bearer ${token.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'off', scope: 'all' }) });
      assert.deepEqual([bad.status, await bad.json()], [400, { error: 'bad request', message: 'body must NOT have additional properties' }]);
      assert.equal(await get(second.base, '/api/tokens', session), 401, 'the session from the killed run ended');
      assert.equal(await get(second.base, '/api/tokens', { authorization: `Bearer ${legacy.token}` }), 401, 'the old start token is revoked');
      assert.equal(await get(second.base, '/api/tokens', { authorization: `Bearer ${token.token}` }), 200, 'a token the user made for a script lives on');
      await assert.rejects(consoleSession(second.base, first.code), /401/);
      const fresh = await consoleSession(second.base, second.code);
      assert.deepEqual(((await (await fetch(`${second.base}/api/audit/verify`, { headers: fresh })).json()) as { problems: unknown[] }).problems, []);
      assert.doesNotMatch(second.output(), /drk_/);
      await stop(second, 'SIGTERM');
      assert.equal(second.proc.exitCode, 0);
      assert.ok(!existsSync(join(home, 'serve.run')), 'a clean stop ends its run');
      // A start loads no module only some requests need (the password checker, the mail client),
      // and requires CommonJS packages rather than importing them (Node parses each file of an imported one).
      const loaded = loadedModules(modules);
      assert.ok(loaded.some((m) => m.endsWith('/dist/server/app.js')) && loaded.some((m) => m.startsWith('required:') && m.includes('/node_modules/fastify/')), 'the modules are recorded');
      const heavy = /\/node_modules\/(@zxcvbn-ts|nodemailer)\//;
      const imported = /^file:.*\/node_modules\/(@duckdb\/node-api|better-sqlite3)\//;
      assert.deepEqual(
        loaded.filter((m) => heavy.test(m) || imported.test(m)),
        [],
      );
      const after = await openAppDb(loadConfig({ DERISK_HOME: home }));
      try {
        assert.equal((await after.query("SELECT count(*) AS n FROM sessions WHERE origin LIKE 'run:%'"))[0]!.n, 0, 'and its sessions');
      } finally {
        await after.close();
      }
    } finally {
      await stop(second, 'SIGKILL');
    }
  } finally {
    await stop(first, 'SIGKILL');
  }
});
