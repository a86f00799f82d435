import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AlertInbox } from '../../src/monitoring/alerts.ts';
import { Monitor } from '../../src/monitoring/monitor.ts';
import { StoreSubjects } from '../../src/monitoring/subjects.ts';
import { Watchlists } from '../../src/monitoring/watchlists.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import type { RiskList } from '../../src/screening/lists.ts';
import { saveLists, screeningContext } from '../../src/screening/store.ts';
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

test('a name screening matches to entries on several lists watches each of them, named with its id, as one item', async () => {
  // A second list gives the company under its registered name: "Megvii", the brand derived from it, screens both.
  const theirs = readWatchlist(watchlist([{ name: 'Megvii Technology Limited', country: 'China', level: 'high' }], { ...WATCHLIST_PROVENANCE, id: 'partner-watchlist', title: "A partner's watchlist" }));
  await saveLists(store, [ours, theirs]);
  const theirRef = `${theirs.id}/${theirs.entries[0]!.id}`;
  const screened = (await screeningContext(store)).screener.screen('Megvii').hits.map((h) => `${h.list}/${h.entryId}`);
  assert.deepEqual(screened.sort(), [megviiRef(), theirRef].sort(), 'screening reports both listings for the name');
  const monitor = new Monitor({ db: service.db, store });
  await monitor.check();
  const subjects = new StoreSubjects(store);
  const added = await new Watchlists(service.db, subjects).add(service.admin, { text: 'Megvii', kind: 'list-entry' });
  assert.ok(added.created);
  const item = added.item;
  assert.deepEqual(item.entries, [theirRef, megviiRef()].sort());
  assert.ok(item.label.includes('Megvii Technology Limited') && item.label.includes('Megvii Technology ('), item.label);
  const again = await new Watchlists(service.db, subjects).add(service.admin, { text: 'megvii', kind: 'list-entry' });
  assert.deepEqual([again.created, again.item.id], [false, item.id], 'the same entries are the same item');
  // A possible match screening only offers is not watched: a name no list gives, one letter off a short one.
  await assert.rejects(new Watchlists(service.db, subjects).add(service.admin, { text: 'Megvi', kind: 'list-entry' }), /names no list-entry/);

  // The partner's list raises the level of its entry: the watch on "Megvii" covers it.
  await saveLists(store, [ours, readWatchlist(watchlist([{ name: 'Megvii Technology Limited', country: 'China', level: 'very-high' }], { ...WATCHLIST_PROVENANCE, id: 'partner-watchlist', title: "A partner's watchlist" }))]);
  await monitor.check();
  const alerts = await new AlertInbox(service.db).list(service.admin);
  const changed = alerts.find((a) => a.kind === 'list-change' && a.subject === 'Megvii Technology Limited');
  assert.ok(changed, JSON.stringify(alerts.map((a) => a.title)));
  assert.deepEqual((changed.evidence as { occursIn: unknown[] }).occursIn, [{ kind: 'watchlist', item: item.label }]);
  await service.app.inject({ method: 'DELETE', url: `/api/watchlist/${item.id}`, headers: { authorization: `Bearer ${service.token}` } });
  await saveLists(store, [ours]);
});
