import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { SHARED } from '../../src/ingest/pipeline.ts';
import { ingestRegistry } from '../../src/ingest/registry.ts';
import { Monitor } from '../../src/monitoring/monitor.ts';
import { OpenAlexFetchJob, type FetchPassReport } from '../../src/monitoring/openalex-fetch.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists } from '../../src/screening/store.ts';
import { Store } from '../../src/store/store.ts';
import { IngestWorkflow } from '../../src/workflows/ingest.ts';
import { testService } from '../helpers/service.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { rorRecord } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';

// KU Leuven is watched; Harbin Institute of Technology is on a list. OpenAlex (a stand-in on
// loopback) has four works of KU Leuven updated on 5 January 2026, two a page: one with HIT, one
// malformed (its year is words).
const KU_LEUVEN = '05f950310';
const HIT = '01yqg2h08';
const AFF = {
  leuven: 'KU Leuven, Department of Computer Science, Leuven, Belgium',
  hit: 'Harbin Institute of Technology, Harbin 150001, China',
  oxford: 'University of Oxford, Oxford, UK',
};
const work = (id: string, affs: (keyof typeof AFF)[], year: unknown = 2025) => ({
  id: `https://openalex.org/${id}`,
  doi: `10.5555/fetch.${id.toLowerCase()}`,
  display_name: `Work ${id}`,
  publication_year: year,
  updated_date: '2026-01-05T10:00:00.000000',
  authorships: affs.map((a, i) => ({ author: { display_name: `Author ${i + 1}` }, raw_affiliation_strings: [AFF[a]] })),
});
/** What a watch on Belgium brings: a work not seen before. */
const BELGIAN = [work('W9101', ['leuven', 'hit'])];
const WORKS = [work('W9001', ['leuven', 'oxford']), work('W9002', ['leuven', 'hit']), work('W9003', ['leuven'], 'twenty twenty-five'), work('W9004', ['leuven', 'oxford'])];

/** api.openalex.org's /works in its documented shape: filter (institutions.ror, from_updated_date), cursor paging; `faults` answer the next requests in turn (null: answered as usual). */
const faults: ({ status: number; retryAfter?: string } | null)[] = [];
const requests: URL[] = [];
const api = createServer((req, res) => {
  const url = new URL(req.url!, 'http://localhost');
  requests.push(url);
  const fault = faults.shift() ?? null;
  if (fault) {
    res.writeHead(fault.status, fault.retryAfter ? { 'retry-after': fault.retryAfter } : {});
    return res.end('{"error":"try later"}');
  }
  const filters = new Map(
    url.searchParams
      .get('filter')!
      .split(',')
      .map((f) => [f.slice(0, f.indexOf(':')), f.slice(f.indexOf(':') + 1)]),
  );
  const asked = filters.get('institutions.ror') === `https://ror.org/${KU_LEUVEN}` ? WORKS : filters.get('institutions.country_code') === 'be' ? BELGIAN : [];
  const matching = asked.filter((w) => w.updated_date >= filters.get('from_updated_date')!);
  const per = Number(url.searchParams.get('per-page'));
  const cursor = url.searchParams.get('cursor')!;
  const start = cursor === '*' ? 0 : Number(Buffer.from(cursor, 'base64url').toString());
  const results = matching.slice(start, start + per);
  const next = start + per < matching.length ? Buffer.from(String(start + per)).toString('base64url') : null;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ meta: { count: matching.length, per_page: per, next_cursor: results.length ? next : null }, results, group_by: [] }));
});

let home: string;
let store: Store;
let db: EmbeddedDb;
let workflow: IngestWorkflow;
let baseUrl: string;
const log: string[] = [];
const waits: number[] = [];

before(async () => {
  api.listen(0, '127.0.0.1');
  await once(api, 'listening');
  baseUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  home = tempDir();
  store = await Store.open(join(home, 'derisk.duckdb'));
  const registry = [rorRecord(KU_LEUVEN, 'KU Leuven', 'BE', 'Leuven'), rorRecord(HIT, 'Harbin Institute of Technology', 'CN', 'Harbin'), rorRecord('052gg0110', 'University of Oxford', 'GB', 'Oxford')];
  await ingestRegistry(store, writeTemp('ror.jsonl', registry.map((r) => JSON.stringify(r)).join('\n')));
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HIT] }]))]);
  db = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(db);
  await db.query("INSERT INTO watch_items (id, org_id, user_id, kind, ref, label, created_by, created_at) VALUES ('w1', 'org-a', '', 'institution', $1, 'KU Leuven', 'u', '2026-01-05T09:00:00.000Z')", [KU_LEUVEN]);
  // The one ingest workflow, with the monitor after it, as derisk ingest and derisk serve run it.
  const monitor = new Monitor({ db, store });
  workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'quarantine'), afterRun: async () => void (await monitor.check()) });
});

after(async () => {
  await workflow.close();
  await db.close();
  store.close();
  api.close();
});

const job = (now: string, maxRetries = 3) =>
  new OpenAlexFetchJob({
    db,
    settings: { mailto: 'office@example.org', baseUrl, intervalMinutes: 60 },
    dir: join(home, 'openalex-fetch'),
    ingest: async (path) => (await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path }] })).files[0]!,
    log: (line) => log.push(line),
    sleep: async (ms) => void waits.push(ms),
    perPage: 2,
    maxRetries,
    now: () => new Date(now),
  });
const alerts = () => db.query<{ kind: string; title: string; evidence: string }>('SELECT kind, title, evidence FROM alerts ORDER BY created_at');
const only = (r: FetchPassReport) => {
  assert.equal(r.targets.length, 1, JSON.stringify(r));
  return r.targets[0]!;
};

test('a pull that fails on page 2 keeps page 1 and its cursor and says so; the next pass resumes it, ingests every work, sets the malformed one aside and raises the alert once; a third pass brings nothing new', async () => {
  // Pass 1: a 429 with Retry-After before page 1; page 2 answers 500 four times (three retries, then given up).
  faults.push({ status: 429, retryAfter: '3' }, null, { status: 500 }, { status: 500 }, { status: 500 }, { status: 500 });
  const first = only(await job('2026-01-05T12:00:00.000Z').run());
  assert.equal(first.status, 'failed');
  assert.match(first.error!, /after 4 attempts \(HTTP 500\)/);
  assert.deepEqual([first.fetched, first.retries], [0, 4], 'page 1 was fetched but the pull is not complete');
  assert.equal(first.filter, `institutions.ror:https://ror.org/${KU_LEUVEN},from_updated_date:2026-01-04`, 'from the day before the watch began');
  assert.ok(
    requests.every((u) => u.searchParams.get('mailto') === 'office@example.org'),
    'every request carries the contact address',
  );
  assert.ok(waits.includes(3000), 'Retry-After is honoured');
  assert.ok(log.some((l) => l.includes('a page failed (HTTP 429)')) && log.some((l) => l.includes('fetch failed, kept for the next pass')), log.join('\n'));
  assert.deepEqual(await alerts(), [], 'nothing ingested from a pull cut short');
  const [pending] = await db.query<{ value: string }>("SELECT value FROM monitor_seen WHERE kind = 'openalex-fetch'");
  const file = (JSON.parse(pending!.value) as { pending: { file: string } }).pending.file;
  assert.deepEqual(
    readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).id),
    ['https://openalex.org/W9001', 'https://openalex.org/W9002'],
    "page 1's works are kept",
  );

  // Pass 2 (a day later): resumes at page 2's cursor with the same filter; one 500, then the page.
  requests.length = 0;
  faults.push({ status: 500 });
  const second = only(await job('2026-01-06T12:00:00.000Z').run());
  assert.equal(requests[0]!.searchParams.get('cursor'), Buffer.from('2').toString('base64url'), 'resumed where the failed pass stopped, not from the start');
  assert.equal(requests[0]!.searchParams.get('filter'), first.filter);
  assert.deepEqual([second.status, second.resumed, second.fetched, second.retries], ['ingested', true, 4, 1]);
  assert.deepEqual([second.kept, second.quarantined], [3, 1], JSON.stringify(second));
  assert.ok(second.quarantinePath && readFileSync(second.quarantinePath, 'utf8').includes('W9003'), 'the malformed work is set aside with its reason');
  assert.ok(!existsSync(`${file}.cursor.json`), 'the finished pull leaves no cursor behind');
  const raised = await alerts();
  assert.equal(raised.length, 1, JSON.stringify(raised));
  assert.equal(raised[0]!.kind, 'new-copublication');
  assert.match(raised[0]!.evidence, /W9002/);
  assert.match(raised[0]!.evidence, /Harbin Institute of Technology/);

  // Pass 3: asks from the day before the last pull began; what comes back is known already.
  requests.length = 0;
  const third = only(await job('2026-01-07T12:00:00.000Z').run());
  assert.ok(requests[0]!.searchParams.get('filter')!.endsWith('from_updated_date:2026-01-04'));
  assert.equal(third.status, 'nothing new', JSON.stringify(third));
  assert.equal(third.kept, 0);
  assert.equal((await alerts()).length, 1, 'no alert twice');
});

test('nobody watching an institution or a country: nothing is asked of OpenAlex', async () => {
  const other = await EmbeddedDb.open(join(tempDir(), 'app.sqlite'));
  await migrate(other);
  requests.length = 0;
  const r = await new OpenAlexFetchJob({ db: other, settings: { mailto: 'office@example.org', baseUrl, intervalMinutes: 60 }, dir: join(home, 'none'), ingest: () => assert.fail('nothing to ingest'), log: () => undefined }).run();
  await other.close();
  assert.deepEqual([r.targets, requests.length], [[], 0]);
});

test('derisk serve runs the fetch on its schedule, through its own ingest workflow: the alert is in the inbox', async () => {
  const service = await testService(store, { home: tempDir(), monitoring: { checkIntervalMs: 3_600_000, deliveryIntervalMs: 3_600_000, openalex: { mailto: 'office@example.org', baseUrl, intervalMinutes: 60 } } });
  try {
    await service.db.query("INSERT INTO watch_items (id, org_id, user_id, kind, ref, label, created_by, created_at) VALUES ('w2', $1, '', 'country', 'BE', 'Belgium', 'u', '2026-01-05T09:00:00.000Z')", [service.admin.orgId]);
    requests.length = 0;
    await service.app.ready();
    let inbox: { kind: string; evidence: Record<string, unknown> }[] = [];
    // The pass runs once the server is ready, in the background; its alert arrives when the ingest and the monitor are done.
    for (let i = 0; i < 600 && inbox.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      inbox = (await service.app.inject({ method: 'GET', url: '/api/alerts', headers: { authorization: `Bearer ${service.token}` } })).json();
    }
    assert.equal(requests[0]!.searchParams.get('filter'), 'institutions.country_code:be,from_updated_date:2026-01-04');
    assert.equal(inbox.length, 1, JSON.stringify(inbox));
    assert.equal(inbox[0]!.kind, 'new-copublication');
    assert.match(JSON.stringify(inbox[0]!.evidence), /W9101/);
  } finally {
    await service.close();
  }
});
