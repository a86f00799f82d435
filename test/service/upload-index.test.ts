import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { buildScreeningContext, screenStrings } from '../../src/screening/context.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { loadScreeningIndex, screeningIndexPath, screeningIndexSignature } from '../../src/screening/persisted.ts';
import { loadedLists, saveLists, screeningContext, screeningSignature } from '../../src/screening/store.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { rorRecord } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

// The evidence worker that resolves and screens an upload takes its resolver and screener from the
// screening index kept beside the store, the file the server's own screening reads: it builds one
// only when that file is missing, damaged or built from other inputs, and says which in the job's log.
const HIT = '01yqg2h08';
const REGISTRY = [rorRecord('05f950310', 'KU Leuven', 'BE', 'Leuven'), rorRecord(HIT, 'Harbin Institute of Technology', 'CN', 'Harbin'), rorRecord('03cve4549', 'Tsinghua University', 'CN', 'Beijing')];
const PASSWORD = 'correct horse battery staple';

async function listedStore(): Promise<{ home: string; store: Store }> {
  const home = tempDir();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  await ingestRegistry(store, writeTemp('ror.jsonl', REGISTRY.map((r) => JSON.stringify(r)).join('\n')));
  await saveLists(store, [
    readWatchlist(
      watchlist([
        { name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HIT] },
        { name: 'Tsinghua University', level: 'medium' },
      ]),
    ),
  ]);
  return { home, store };
}

async function indexSignature(store: Store): Promise<string> {
  const lists = (await store.all<{ list_id: string; version: string }>('SELECT list_id, version FROM risk_lists ORDER BY list_id')).map((r) => ({ id: r.list_id, version: r.version }));
  return screeningIndexSignature(store, await screeningSignature(store, lists));
}

/** A server over the store with an analyst of org-b; uploads wait for their job and give its view. */
async function serve(home: string, store: Store): Promise<{ service: TestService; upload: (lines: string[]) => Promise<{ status: string; events: { type: string; message?: string }[]; error: unknown }> }> {
  const service = await testService(store, { home });
  await service.accounts.createOrganisation(OPERATOR, 'org-b', 'ORG-B');
  await service.accounts.createUser(OPERATOR, { orgId: 'org-b', email: 'analyst@org-b.example', name: 'Analyst', role: 'analyst', password: PASSWORD });
  const { token } = await service.accounts.createToken((await service.accounts.login('analyst@org-b.example', PASSWORD)).actor, 'test');
  const get = (url: string) => service.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
  const upload = async (lines: string[]) => {
    const started = await service.app.inject({ method: 'POST', url: '/api/uploads?kind=openalex', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', prefer: 'respond-async' }, payload: lines.join('\n') });
    assert.equal(started.statusCode, 202, started.body);
    let view = (await get(`/api/uploads/jobs/${started.json().job}`)).json();
    while (view.status === 'queued' || view.status === 'running') {
      await new Promise((r) => setTimeout(r, 50));
      view = (await get(`/api/uploads/jobs/${started.json().job}`)).json();
    }
    return view;
  };
  return { service, upload };
}

const work = (id: string, affiliations: string[]) => JSON.stringify({ id: `https://openalex.org/${id}`, publication_year: 2023, authorships: affiliations.map((a) => ({ raw_affiliation_strings: [a] })) });
const indexEvents = (events: { type: string; message?: string }[]) => events.filter((e) => e.message?.startsWith('screening index:'));

test('an upload through the server screens with the index the server keeps: read from its file, never built again', async () => {
  const { home, store } = await listedStore();
  const { service, upload } = await serve(home, store);
  try {
    // The server's own screening builds the index once and keeps it beside the store.
    await screeningContext(store);
    const path = screeningIndexPath(store)!;
    const kept = statSync(path);
    const view = await upload([work('W1', ['Harbin Institute of Technology, School of Computing, Harbin 150001, China', 'KU Leuven, Leuven, Belgium'])]);
    assert.equal(view.status, 'done', JSON.stringify(view.error));
    assert.deepEqual(
      indexEvents(view.events).map((e) => [e.type, e.message]),
      [['note', 'screening index: read from the kept file']],
    );
    const after = statSync(path);
    assert.deepEqual([after.ino, after.mtimeMs], [kept.ino, kept.mtimeMs], 'the kept file was read, not written again');
    assert.ok(await store.one("SELECT 1 FROM screen_hits WHERE raw LIKE 'Harbin Institute of Technology, School of Computing%' AND entry_name = 'Harbin Institute of Technology'"), 'and the upload was screened with it');
    // A second upload finds the worker holding that screener: nothing is read or built again.
    const again = await upload([work('W2', ['Tsinghua University, Beijing, China'])]);
    assert.equal(again.status, 'done', JSON.stringify(again.error));
    assert.deepEqual(indexEvents(again.events), []);
  } finally {
    await service.close();
    store.close();
  }
});

test('with no index kept, the worker builds it once and keeps it: the server reads that file instead of building its own', async () => {
  const { home, store } = await listedStore();
  const { service, upload } = await serve(home, store);
  try {
    const path = screeningIndexPath(store)!;
    assert.equal(existsSync(path), false);
    const view = await upload([work('W1', ['Harbin Institute of Technology, Harbin, China'])]);
    assert.equal(view.status, 'done', JSON.stringify(view.error));
    assert.deepEqual(
      indexEvents(view.events).map((e) => [e.type, e.message]),
      [['note', 'screening index: built (none was kept for these lists and registry yet)']],
    );
    assert.ok(loadScreeningIndex(path, await indexSignature(store)), 'the worker kept what it built, for these inputs');
    const kept = statSync(path);
    const warnings: string[] = [];
    const error = console.error;
    console.error = (...args: unknown[]) => void warnings.push(args.join(' '));
    try {
      await screeningContext(store);
    } finally {
      console.error = error;
    }
    assert.deepEqual(warnings, [], 'the server read the kept file');
    assert.deepEqual([statSync(path).ino, statSync(path).mtimeMs], [kept.ino, kept.mtimeMs], 'and did not write one of its own');
  } finally {
    await service.close();
    store.close();
  }
});

test('a damaged kept index makes the worker say why and build again, with the same results, and keep a sound one', async () => {
  const { home, store } = await listedStore();
  await screeningContext(store);
  const path = screeningIndexPath(store)!;
  // One byte of the body changed, past the header: only the checksum can tell.
  const bytes = readFileSync(path);
  bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0xff, bytes.length - 10);
  writeFileSync(path, bytes);
  const { service, upload } = await serve(home, store);
  const raws = ['Harbin Institute of Technology, School of Computing, Harbin 150001, China', 'Dept of Physics, Tsinghua University, Beijing, China', 'KU Leuven, Leuven, Belgium'];
  try {
    const view = await upload([work('W1', raws)]);
    assert.equal(view.status, 'done', JSON.stringify(view.error));
    const told = indexEvents(view.events);
    assert.equal(told.length, 1, JSON.stringify(view.events));
    assert.equal(told[0]!.type, 'warning');
    assert.match(told[0]!.message!, /^screening index: the kept file was not used \(its content is damaged \(checksum differs\)\); built again$/);
    assert.ok(!JSON.stringify(view).includes(home), 'no server path in the job');
    // What the worker stored is what a screener built here from the same lists and registry finds.
    const expected = screenStrings(buildScreeningContext(await loadedLists(store), await loadRegistry(store)).screener, raws).map((a) => ('refused' in a ? assert.fail(a.refused) : a));
    for (const [i, raw] of raws.entries()) {
      const stored = await store.all<{ list: string; entryId: string; level: string; score: number; evidence: string }>('SELECT list_id AS list, entry_id AS "entryId", level, score, evidence FROM screen_hits WHERE raw = $1 ORDER BY list_id, entry_id', [raw]);
      const want = expected[i]!.map((h) => ({ list: h.list, entryId: h.entryId, level: h.level, score: h.score, evidence: h.evidence })).sort((a, b) => a.list.localeCompare(b.list) || a.entryId.localeCompare(b.entryId));
      assert.deepEqual(
        stored.map((s) => ({ ...s, score: Number(s.score) })),
        want,
        raw,
      );
    }
    assert.ok(expected[0]!.length > 0, 'a listed name was among them');
    assert.ok(loadScreeningIndex(path, await indexSignature(store)), 'a sound index is kept in its place');
  } finally {
    await service.close();
    store.close();
  }
});
