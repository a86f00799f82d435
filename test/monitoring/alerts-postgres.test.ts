import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { migrate } from '../../src/appdb/migrate.ts';
import { PostgresDb } from '../../src/appdb/postgres.ts';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { AlertInbox } from '../../src/monitoring/alerts.ts';
import { Monitor } from '../../src/monitoring/monitor.ts';
import { StoreSubjects } from '../../src/monitoring/subjects.ts';
import { Watchlists } from '../../src/monitoring/watchlists.ts';
import { WebhookSender } from '../../src/monitoring/webhooks.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { actors } from '../helpers/kb.ts';
import { rorRecord } from '../helpers/landscape.ts';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.ts';
import { watchlist } from '../helpers/watchlist.ts';
import { LOOPBACK_RECEIVERS } from '../helpers/receivers.ts';

const KU_LEUVEN = '05f950310';
const HIT = '01yqg2h08';
const who = actors(['org-a', 'org-b']);
let pgServer: RunningPostgres;
let store: Store;

before(async () => {
  pgServer = await startPostgres();
  const db = await PostgresDb.open(pgServer.url);
  await migrate(db);
  await db.close();
  const home = tempDir();
  store = await Store.open(join(home, 'derisk.duckdb'));
  await ingestRegistry(store, writeTemp('ror.jsonl', [rorRecord(KU_LEUVEN, 'KU Leuven', 'BE', 'Leuven'), rorRecord(HIT, 'Harbin Institute of Technology', 'CN', 'Harbin')].map((r) => JSON.stringify(r)).join('\n')));
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HIT] }]))]);
});
after(async () => {
  store.close();
  await pgServer.stop();
});

test('on PostgreSQL: watchlist, two monitors at once record each alert once, inbox read state, a verified webhook delivery', async () => {
  const [one, two] = [await PostgresDb.open(pgServer.url), await PostgresDb.open(pgServer.url)];
  const got: { headers: Record<string, string>; body: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => (got.push({ headers: req.headers as Record<string, string>, body }), res.writeHead(200).end()));
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  try {
    await new Watchlists(one, new StoreSubjects(store)).add(who['org-a/analyst']!, { text: 'KU Leuven' });
    const inbox = new AlertInbox(one, LOOPBACK_RECEIVERS);
    const { secret } = await inbox.addWebhook(who['org-a/officer']!, `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/x`);
    const work = JSON.stringify({
      id: 'https://openalex.org/W1',
      doi: '10.5555/pg.w1',
      display_name: 'Joint',
      publication_year: 2026,
      authorships: [
        { author: { display_name: 'A' }, raw_affiliation_strings: ['KU Leuven, Leuven, Belgium'] },
        { author: { display_name: 'B' }, raw_affiliation_strings: ['Harbin Institute of Technology, Harbin, China'] },
      ],
    });
    await ingestWorks(store, 'openalex', writeTemp('w.jsonl', work + '\n'), { quarantineDir: tempDir() });
    await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
    await screenPending(store, await screeningContext(store));
    await refreshAnalytics(store);
    // The feed as a server keeps it (migration 023's counters are PostgreSQL triggers here).
    const feedOptions = { self: 'https://derisk.example/feeds/drkf_x.atom', base: 'https://derisk.example', limit: 50 };
    const emptyFeed = await inbox.taggedFeed(who['org-a/viewer']!, feedOptions);
    const reports = await Promise.all([new Monitor({ db: one, store }).check(), new Monitor({ db: two, store }).check()]);
    assert.equal(
      reports.reduce((n, r) => n + (r.alerts['new-copublication'] ?? 0), 0),
      1,
      JSON.stringify(reports),
    );
    const list = await inbox.list(who['org-a/viewer']!);
    assert.equal(list.length, 1);
    assert.match((await inbox.taggedFeed(who['org-a/viewer']!, feedOptions)).xml, new RegExp(`<id>urn:uuid:${list[0]!.id}</id>`));
    assert.equal(emptyFeed.xml.includes('<entry>'), false);
    // A read marked through another server process is in this one's kept first page at the next request.
    const page = await inbox.servedPage(who['org-a/viewer']!, { limit: 50 });
    await new AlertInbox(two).mark(who['org-a/viewer']!, list[0]!.id, true);
    const marked = await inbox.servedPage(who['org-a/viewer']!, { limit: 50 });
    assert.notEqual(marked.etag, page.etag);
    assert.deepEqual(
      (JSON.parse(marked.body.toString()) as { read: boolean }[]).map((a) => a.read),
      [true],
    );
    assert.equal((await inbox.list(who['org-a/viewer']!, { unread: true })).length, 0);
    assert.equal((await inbox.list(who['org-a/admin']!, { unread: true })).length, 1);
    assert.deepEqual(await inbox.list(who['org-b/admin']!), []);
    await new WebhookSender(two, { destinations: LOOPBACK_RECEIVERS }).drain();
    assert.equal(got.length, 1);
    new Webhook(secret).verify(got[0]!.body, got[0]!.headers);
    assert.deepEqual((await inbox.webhooks(who['org-a/officer']!))[0]!.deliveries, { pending: 0, delivered: 1, failed: 0 });
  } finally {
    receiver.close();
    await one.close();
    await two.close();
  }
});
