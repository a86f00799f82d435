import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { MAX_BATCH } from '../../src/screening/batch.ts';
import { Screener } from '../../src/screening/screener.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { listedLandscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';

// A red team's batch of 400 long lines held the event loop for over a minute: /health, and every
// other tenant, waited. Long loops over user input behind routes give the loop back between slices.
let store: Store;
let service: TestService;
let auth: { authorization: string };

before(async () => {
  store = await listedLandscapeStore(tempDir(), 'high');
  service = await testService(store);
  auth = { authorization: `Bearer ${service.token}` };
});
after(async () => {
  await service.close();
  store.close();
});

/** Runs `request` with /health sent from within its first screening; how many screenings were done when /health was answered, and in all. */
async function healthDuring<T>(request: () => Promise<T>): Promise<{ answer: T; screenedWhenHealthy: number; screened: number }> {
  const original = Screener.prototype.screen;
  let screened = 0;
  let screenedWhenHealthy = -1;
  let health: Promise<{ statusCode: number }> | undefined;
  Screener.prototype.screen = function (this: Screener, ...args: Parameters<Screener['screen']>) {
    if (screened++ === 0)
      health = service.app.inject({ url: '/health' }).then((r) => {
        screenedWhenHealthy = screened;
        return r;
      });
    return original.apply(this, args);
  };
  let answer: T;
  try {
    answer = await request();
  } finally {
    Screener.prototype.screen = original;
  }
  assert.ok(health, 'the request screened names');
  assert.equal((await health).statusCode, 200);
  return { answer, screenedWhenHealthy, screened };
}

test('while a batch is being screened, /health is answered before its last name is screened', async () => {
  // The index is built first, so the batch's first name is screened inside its loop.
  assert.equal((await service.app.inject({ url: '/api/screen?q=University%20of%20Oxford', headers: auth })).statusCode, 200);
  const names = Array.from({ length: MAX_BATCH }, (_, i) => `Institute ${i} of ${'applied and theoretical research '.repeat(6)}`.trim());
  const { answer: batch, screenedWhenHealthy, screened } = await healthDuring(() => service.app.inject({ method: 'POST', url: '/api/screen/batch', headers: auth, payload: { text: names.join('\n') } }));
  assert.equal(batch.statusCode, 200, batch.body);
  assert.equal(batch.json().rows.length, MAX_BATCH);
  assert.ok(screenedWhenHealthy > 0 && screenedWhenHealthy < screened, `/health answered after ${screenedWhenHealthy} of ${screened} screenings`);
});

test('while the parties of a case are being screened, /health is answered before the last one is', async () => {
  assert.equal((await service.app.inject({ url: '/api/screen?q=University%20of%20Oxford', headers: auth })).statusCode, 200);
  const partners = Array.from({ length: 300 }, (_, i) => ({ name: `Institute ${i} of ${'applied and theoretical research '.repeat(6)}`.trim(), role: 'partner' }));
  const { answer: assessed, screenedWhenHealthy, screened } = await healthDuring(() => service.app.inject({ method: 'POST', url: '/api/assess', headers: auth, payload: { title: 'Many partners', partners, technology: { fields: ['eu-artificial-intelligence'] } } }));
  assert.equal(assessed.statusCode, 200, assessed.body);
  assert.ok(screenedWhenHealthy > 0 && screenedWhenHealthy < screened, `/health answered after ${screenedWhenHealthy} of ${screened} screenings`);
});
