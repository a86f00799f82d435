import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { MAX_BATCH } from '../../src/screening/batch.ts';
import { Screener } from '../../src/screening/screener.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { listedLandscapeStore } from '../helpers/landscape.ts';
import { api, exited, startServer } from '../helpers/serve.ts';
import { addMembers, testService, type TestService } from '../helpers/service.ts';

// Round 50 (busy54), after an outside red team: a batch whose client had gone ran on for minutes, one user's heavy
// requests slowed everyone's /api/screen, and a busy server took ~45 s to stop on SIGTERM.
let store: Store;
let service: TestService;
let members: Awaited<ReturnType<typeof addMembers>>;
const bearer = (key: string) => ({ authorization: `Bearer ${members.tokens[key]}` });
const names = Array.from({ length: MAX_BATCH }, (_, i) => `Institute ${i} of ${'applied and theoretical research '.repeat(6)}`.trim());

before(async () => {
  store = await listedLandscapeStore(tempDir(), 'high');
  service = await testService(store);
  members = await addMembers(service.accounts, ['one', 'two'], ['viewer']);
  // The index is built first, so a batch's first name is screened inside its loop.
  assert.equal((await service.app.inject({ url: '/api/screen?q=University%20of%20Oxford', headers: bearer('one/viewer') })).statusCode, 200);
});
after(async () => {
  await service.close();
  store.close();
});

/** Counts the screenings done, calling `at(n)` after the n-th. */
function countScreenings(at: (n: number) => void): { count: () => number; restore: () => void } {
  const original = Screener.prototype.screen;
  let screened = 0;
  Screener.prototype.screen = function (this: Screener, ...args: Parameters<Screener['screen']>) {
    const r = original.apply(this, args);
    at(++screened);
    return r;
  };
  return { count: () => screened, restore: () => (Screener.prototype.screen = original) };
}

const smallBatch = (key: string) => service.app.inject({ method: 'POST', url: '/api/screen/batch', headers: bearer(key), payload: { text: 'Tsinghua University' } });

test('a batch whose client closes the connection stops screening at its next name; meanwhile a second heavy request of the same user is refused with 429 and Retry-After', async () => {
  await service.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = service.app.server.address() as AddressInfo;
  const body = JSON.stringify({ text: names.join('\n') });
  const client = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/api/screen/batch', headers: { ...bearer('one/viewer'), 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } });
  client.on('error', () => undefined);
  let closedAt = -1;
  let second: Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }> | undefined;
  const screenings = countScreenings((n) => {
    if (n === 3) second = smallBatch('one/viewer');
  });
  try {
    client.end(body);
    // The same user's next heavy request is refused while the first runs; it is admitted once the first has stopped.
    while (second === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    const refused = await second;
    closedAt = screenings.count();
    client.destroy();
    assert.equal(refused.statusCode, 429, refused.body);
    assert.ok(Number(refused.headers['retry-after']) > 0, JSON.stringify(refused.headers));
    assert.match(JSON.parse(refused.body).message, /heavy-requests\.json/);
    for (;;) {
      const r = await smallBatch('one/viewer');
      if (r.statusCode !== 429) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    screenings.restore();
  }
  // The small batches each screened one name; the big one stopped within a slice of the close.
  const afterClose = screenings.count() - closedAt;
  assert.ok(afterClose < MAX_BATCH / 10, `${afterClose} names screened after the client closed the connection (of ${MAX_BATCH})`);
});

test("while one user's batch runs, another organisation's /api/screen is answered before the batch ends", async () => {
  let screenedWhenAnswered = -1;
  let other: Promise<{ statusCode: number }> | undefined;
  const screenings = countScreenings((n) => {
    if (n === 2)
      other = service.app.inject({ url: '/api/screen?q=NUDT', headers: bearer('two/viewer') }).then((r) => {
        screenedWhenAnswered = screenings.count();
        return r;
      });
  });
  let batch;
  try {
    batch = await service.app.inject({ method: 'POST', url: '/api/screen/batch', headers: bearer('one/viewer'), payload: { text: names.join('\n') } });
  } finally {
    screenings.restore();
  }
  assert.equal(batch.statusCode, 200, batch.body);
  assert.equal((await other!).statusCode, 200);
  assert.ok(screenedWhenAnswered > 0 && screenedWhenAnswered < screenings.count(), `answered after ${screenedWhenAnswered} of ${screenings.count()} screenings`);
});

test('SIGTERM while a batch is screened: the batch stops unfinished (503, the server is stopping) and the server exits', async () => {
  const home = tempDir();
  (await listedLandscapeStore(home, 'high')).close();
  const server = await startServer(home);
  try {
    const batch = api(server, 'POST', '/api/screen/batch', { text: names.join('\n') });
    // Under way once the same session's next heavy request is refused.
    while ((await api(server, 'POST', '/api/screen/batch', { text: 'Tsinghua University' })).status !== 429) await new Promise((resolve) => setTimeout(resolve, 10));
    server.proc.kill('SIGTERM');
    const answer = await batch;
    assert.equal(answer.status, 503, JSON.stringify(answer.body));
    assert.match((answer.body as { message: string }).message, /the server is stopping/);
    await exited(server.proc);
    assert.equal(server.proc.exitCode, 0, server.stderr());
  } finally {
    if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
  }
});
