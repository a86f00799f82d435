import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { testService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

// Round 50: a field whose comma-like separators (several.commaLike) were read as commas is quoted in the answer as the
// user typed it, at every way in; the headline quoted "University of Oxford, subcontractor Tsinghua University", a text
// never written.

const FIELDS = ['University of Oxford → subcontractor Tsinghua University', 'University of Oxford : subcontractor Tsinghua University', 'University of Oxford•subcontractor Tsinghua University'];
const READ = 'University of Oxford, subcontractor Tsinghua University';

test('the answer quotes a field with comma-like separators as typed: CLI, batch CSV and HTTP', async () => {
  const home = tempDir();
  const store = await landscapeStore(home);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', level: 'medium' }]))]);
  await screenPending(store, await screeningContext(store));
  const service = await testService(store);
  try {
    const auth = { authorization: `Bearer ${service.token}` };
    for (const field of FIELDS) {
      const api = (await service.app.inject({ url: `/api/screen?q=${encodeURIComponent(field)}`, headers: auth })).json();
      assert.equal(api.query, field);
      assert.ok(api.headline.includes(`"${field}"`), api.headline);
      assert.ok(!api.headline.includes(READ), api.headline);
    }
  } finally {
    await service.close();
    store.close();
  }
  const env = { DERISK_HOME: home };
  for (const field of FIELDS) {
    const one = derisk(['screen', field], env);
    assert.ok(one.stdout.includes(`"${field}"`), one.stdout);
    assert.ok(!one.stdout.includes(READ), one.stdout);
  }
  const names = join(home, 'names.txt');
  const csv = join(home, 'out.csv');
  writeFileSync(names, `${FIELDS.join('\n')}\n`);
  const batch = derisk(['screen', '--batch', names, '--csv', csv], env);
  assert.ok(batch.status !== 2, batch.stderr);
  const table = readFileSync(csv, 'utf8');
  for (const field of FIELDS) assert.ok(table.includes(`""${field}""`), table);
  assert.ok(!table.includes(READ), table);
});
