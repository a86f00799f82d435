import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { StoreSubjects } from '../../src/monitoring/subjects.ts';
import { Watchlists } from '../../src/monitoring/watchlists.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import type { RiskList } from '../../src/screening/lists.ts';
import { saveLists } from '../../src/screening/store.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { testService, type TestService } from '../helpers/service.ts';
import { WATCHLIST_PROVENANCE, watchlist } from '../helpers/watchlist.ts';

// Megvii Technology as the US Entity List gives it: no alias on the list; "Megvii" is the brand
// derisk adds to it (data/lists/aliases.json), by which `derisk screen Megvii` finds it.
const MEGVII = { name: 'Megvii Technology', country: 'China', level: 'high' };
let store: Store;
let service: TestService;
let ours: RiskList;

before(async () => {
  store = await Store.open(join(tempDir(), 'store.duckdb'));
  ours = readWatchlist(watchlist([MEGVII, { name: 'Harbin Institute of Technology', level: 'high' }]));
  await saveLists(store, [ours]);
  service = await testService(store);
});
after(async () => {
  await service.close();
  store.close();
});

const megviiRef = () => `${ours.id}/${ours.entries.find((e) => e.name === MEGVII.name)!.id}`;
const watch = (text: string) => service.app.inject({ method: 'POST', url: '/api/watchlist', headers: { authorization: `Bearer ${service.token}` }, payload: { text, kind: 'list-entry' } });

test('a list entry is watched by any name screening reads for it: an alias derisk adds, pasted with a zero-width space too', async () => {
  const byAlias = await watch('Megvii');
  assert.equal(byAlias.statusCode, 201, byAlias.body);
  assert.deepEqual([byAlias.json().kind, byAlias.json().ref], ['list-entry', megviiRef()]);
  const pasted = await watch('Meg\u200bvii');
  assert.equal(pasted.statusCode, 200, `the same entry, already watched: ${pasted.body}`);
  assert.equal(pasted.json().id, byAlias.json().id);
  // The CLI's door (`derisk watch add Megvii --kind list-entry`) reads the lists in the store the same way.
  const { item } = await new Watchlists(service.db, new StoreSubjects(store)).add(service.admin, { text: 'MEGVII', kind: 'list-entry', scope: 'user' });
  assert.equal(item.ref, megviiRef());
});

test('an alias two entries bear is ambiguous: the answer names each with its id, and picks none', async () => {
  const theirs = readWatchlist(watchlist([MEGVII], { ...WATCHLIST_PROVENANCE, id: 'partner-watchlist', title: "A partner's watchlist" }));
  await saveLists(store, [ours, theirs]);
  const theirRef = `${theirs.id}/${theirs.entries[0]!.id}`;
  await assert.rejects(new Watchlists(service.db, new StoreSubjects(store)).add(service.admin, { text: 'Megvii', kind: 'list-entry' }), (e: Error) => {
    assert.match(e.message, /^"Megvii" names 2 list entries: /);
    assert.ok(e.message.includes(`(${megviiRef()})`) && e.message.includes(`(${theirRef})`), e.message);
    assert.match(e.message, /; give the id$/);
    return true;
  });
});
