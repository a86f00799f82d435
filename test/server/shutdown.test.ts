import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { testService } from '../helpers/service.ts';

test('the server closes only once the store queries it started in the background are done (the store is closed next)', async () => {
  const store = await landscapeStore(tempDir());
  // The store's queries wait at a gate, so they are still running when the server is closed.
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const events: string[] = [];
  const gated = new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || !['all', 'one', 'run'].includes(String(key))) return value;
      return async (...args: unknown[]) => {
        await gate;
        const result = await value.apply(target, args);
        events.push('query done');
        return result;
      };
    },
  }) as Store;
  const service = await testService(gated);
  await service.app.ready(); // starts computing the dashboard's default answers
  const closed = service.close().then(() => events.push('closed'));
  await new Promise((resolve) => setImmediate(resolve));
  open();
  await closed;
  assert.ok(events.filter((e) => e === 'query done').length >= 6, events.join(', '));
  assert.equal(events.at(-1), 'closed', `closed before its background queries finished: ${events.join(', ')}`);
  store.close();
});
