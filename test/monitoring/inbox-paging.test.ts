import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AppDb, Param } from '../../src/appdb/db.ts';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { AlertInbox, CursorError, recordAlerts, type NewAlert } from '../../src/monitoring/alerts.ts';
import { atomFeed } from '../../src/monitoring/atom.ts';
import type { Actor } from '../../src/service/authorize.ts';

// One organisation's alerts as alert passes record them: several at one time (ties in
// created_at), one for a single user, and another organisation's beside them. The inbox is read
// through a database that notes every statement, as the server's inbox and feed would run them.
const VIEWER: Actor = { userId: 'u-viewer', orgId: 'org-a', role: 'viewer', name: 'Viewer of A' };
const OTHER: Actor = { userId: 'u-other', orgId: 'org-a', role: 'viewer', name: 'Other of A' };

let raw: EmbeddedDb;
const seen: { sql: string; params: Param[] }[] = [];
const noting: AppDb = {
  kind: 'embedded',
  query: (sql, params = []) => {
    seen.push({ sql, params });
    return raw.query(sql, params);
  },
  transaction: (work) => raw.transaction(work),
  close: async () => {},
};
const inbox = new AlertInbox(noting);

const alert = (orgId: string, userId: string, n: number): NewAlert => ({ orgId, userId, kind: 'new-copublication', dedupKey: `k${n}`, title: `Alert ${n}`, subject: 'KU Leuven', evidence: { work: `W${n}`, listed: [{ list: 'l', entry: `e${n}` }] }, link: `/api/works/W${n}` });
async function record(at: string, alerts: NewAlert[]) {
  await raw.transaction((tx) => recordAlerts(tx, alerts, at));
}

before(async () => {
  raw = await EmbeddedDb.open(':memory:');
  await migrate(raw);
  // Three passes: 4 alerts at one time, 3 at a later one (one of them the other user's), 2 at the latest.
  await record(
    '2026-01-01T00:00:00.000Z',
    [1, 2, 3, 4].map((n) => alert('org-a', '', n)),
  );
  await record('2026-01-02T00:00:00.000Z', [alert('org-a', '', 5), alert('org-a', OTHER.userId, 6), alert('org-a', '', 7)]);
  await record('2026-01-03T00:00:00.000Z', [alert('org-a', '', 8), alert('org-a', VIEWER.userId, 9)]);
  await record('2026-01-03T00:00:00.000Z', [alert('org-b', '', 10)]);
});

after(async () => {
  await raw.close();
});

test('inbox pages: every alert once, in the order of the whole list, ties in created_at split across pages; the last page has no cursor', async () => {
  const whole = await inbox.list(VIEWER);
  assert.equal(whole.length, 8, "the organisation's alerts and the viewer's own, not the other user's nor org-b's");
  for (const limit of [1, 2, 3, 5, 8, 9]) {
    const got: string[] = [];
    let before: string | undefined;
    for (let pages = 1; ; pages++) {
      const page = await inbox.page(VIEWER, { limit, before });
      assert.ok(page.alerts.length <= limit);
      got.push(...page.alerts.map((a) => a.id));
      if (!page.next) break;
      assert.ok(pages < 10, 'paging ends');
      before = page.next;
    }
    assert.deepEqual(
      got,
      whole.map((a) => a.id),
      `pages of ${limit}`,
    );
  }
  // An alert recorded while the reader pages sits before the cursor: the next page neither repeats nor skips one.
  const first = await inbox.page(VIEWER, { limit: 3 });
  await record('2026-01-04T00:00:00.000Z', [alert('org-a', '', 11)]);
  const second = await inbox.page(VIEWER, { limit: 3, before: first.next! });
  assert.deepEqual(
    second.alerts.map((a) => a.id),
    whole.slice(3, 6).map((a) => a.id),
  );
  // Unread alerts page the same way.
  await inbox.mark(VIEWER, whole[1]!.id, true);
  const unread = await inbox.page(VIEWER, { unread: true, limit: 2, before: first.next! });
  assert.deepEqual(
    unread.alerts.map((a) => a.id),
    whole.slice(3, 5).map((a) => a.id),
  );
});

test("a cursor positions, it does not open: another user's cursor shows the reader their own alerts only; a made-up cursor is refused", async () => {
  const theirs = await inbox.page(OTHER, { limit: 2 });
  const mine = await inbox.page(VIEWER, { limit: 20, before: theirs.next! });
  assert.ok(mine.alerts.every((a) => a.title !== 'Alert 6' && a.title !== 'Alert 10'));
  for (const bad of ['not-a-cursor', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('[1,2]').toString('base64url')])
    await assert.rejects(inbox.page(VIEWER, { limit: 2, before: bad }), (e) => e instanceof CursorError && e.statusCode === 400 && /is not one this inbox gave/.test(e.message));
});

test('a page is read from the alerts_page index in its order: SQLite sorts nothing, from the first page or a cursor', async () => {
  seen.length = 0;
  const first = await inbox.page(VIEWER, { limit: 2 });
  await inbox.page(VIEWER, { limit: 2, before: first.next! });
  await inbox.page(VIEWER, { limit: 2, before: first.next!, unread: true });
  assert.equal(seen.length, 3);
  for (const { sql, params } of seen) {
    const plan = (await raw.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, params)).map((r) => r.detail);
    assert.ok(
      plan.some((d) => /USING INDEX alerts_page/.test(d)),
      plan.join('; '),
    );
    assert.ok(!plan.some((d) => /TEMP B-TREE/.test(d)), `no sort: ${plan.join('; ')}`);
  }
});

/** Another process's connection to the same database: what it writes, it writes with plain SQL. */
async function elsewhere(sql: string, params: Param[]) {
  const other = await EmbeddedDb.open(raw.path);
  try {
    await other.query(sql, params);
  } finally {
    await other.close();
  }
}

test('the Atom feed is rendered again only when its alerts change: asked again, it reads one counter row and answers the same feed', async () => {
  const options = { self: 'https://derisk.example/feeds/drkf_x.atom', base: 'https://derisk.example', limit: 5 };
  const first = await inbox.feed(VIEWER, options);
  seen.length = 0;
  assert.equal(await inbox.feed(VIEWER, options), first);
  assert.equal(seen.length, 1);
  assert.match(seen[0]!.sql, /^SELECT kind, version FROM alert_versions /, 'no alert read, not even its id');
  // Another user of the organisation has a feed of their own; the first one's is still kept.
  assert.ok((await inbox.feed(OTHER, options)).includes('Other of A'));
  seen.length = 0;
  assert.equal(await inbox.feed(VIEWER, options), first);
  assert.equal(seen.length, 1);

  // A new alert is in the next answer, at the top; so is a renamed user, and another address.
  await record('2026-01-05T00:00:00.000Z', [alert('org-a', '', 12)]);
  const changed = await inbox.feed(VIEWER, options);
  assert.notEqual(changed, first);
  assert.ok(changed.indexOf('<title type="text">Alert 12</title>') < changed.indexOf('<entry>', changed.indexOf('<entry>') + 1));
  assert.equal((changed.match(/<entry>/g) ?? []).length, 5);
  assert.ok((await inbox.feed({ ...VIEWER, name: 'Renamed' }, options)).includes('derisk alerts for Renamed'));
  assert.ok((await inbox.feed(VIEWER, { ...options, self: 'https://derisk.example/feeds/drkf_y.atom' })).includes('drkf_y'));
  // An alert for the other user alone changes nothing in the viewer's feed.
  await record('2026-01-06T00:00:00.000Z', [alert('org-a', OTHER.userId, 13)]);
  assert.ok(!(await inbox.feed(VIEWER, options)).includes('Alert 13'));
  // One written by another process, with plain SQL, right after a feed was kept: in the next answer.
  const kept = await inbox.feed(VIEWER, options);
  assert.equal(await inbox.feed(VIEWER, options), kept);
  await elsewhere("INSERT INTO alerts (id, org_id, user_id, kind, dedup_key, created_at, title, subject, evidence, link) VALUES ('a-elsewhere', 'org-a', '', 'list-change', 'k-elsewhere', '2026-01-06T12:00:00.000Z', 'Alert from elsewhere', 'x', '{}', '/x')", []);
  assert.match(await inbox.feed(VIEWER, options), /<title type="text">Alert from elsewhere<\/title>/);
  // Another organisation's alert leaves the kept feed as it is.
  const again = await inbox.feed(VIEWER, options);
  await record('2026-01-06T13:00:00.000Z', [alert('org-b', '', 15)]);
  seen.length = 0;
  assert.equal(await inbox.feed(VIEWER, options), again);
  assert.equal(seen.length, 1);
});

test("the inbox's first page is serialised again only when its alerts or the reader's marks change: polled, it reads one counter row for each", async () => {
  const first = await inbox.servedPage(VIEWER, { limit: 3 });
  assert.deepEqual(JSON.parse(first.body.toString()), (await inbox.page(VIEWER, { limit: 3 })).alerts);
  seen.length = 0;
  assert.equal(await inbox.servedPage(VIEWER, { limit: 3 }), first);
  assert.equal(seen.length, 1);
  assert.match(seen[0]!.sql, /^SELECT kind, version FROM alert_versions /, 'no alert and no mark read');

  // Another reader's mark is theirs: the viewer's page stays; the viewer's own mark, or a new alert, changes it.
  const top = JSON.parse(first.body.toString()) as { id: string }[];
  await inbox.mark(OTHER, top[0]!.id, true);
  assert.equal(await inbox.servedPage(VIEWER, { limit: 3 }), first);
  await inbox.mark(VIEWER, top[0]!.id, true);
  const marked = await inbox.servedPage(VIEWER, { limit: 3 });
  assert.notEqual(marked.etag, first.etag);
  assert.equal((JSON.parse(marked.body.toString()) as { read: boolean }[])[0]!.read, true);
  assert.notEqual((await inbox.servedPage(VIEWER, { limit: 3, unread: true })).etag, marked.etag, 'unread pages are kept apart');
  await record('2026-01-07T00:00:00.000Z', [alert('org-a', '', 14)]);
  const arrived = await inbox.servedPage(VIEWER, { limit: 3 });
  assert.notEqual(arrived.etag, marked.etag);
  assert.equal((JSON.parse(arrived.body.toString()) as { title: string }[])[0]!.title, 'Alert 14');
  assert.equal(arrived.next, (await inbox.page(VIEWER, { limit: 3 })).next);
  // A mark made or taken back by another process, with plain SQL, right after the page was kept: in the next answer.
  const top14 = (JSON.parse(arrived.body.toString()) as { id: string }[])[0]!.id;
  assert.equal(await inbox.servedPage(VIEWER, { limit: 3 }), arrived);
  await elsewhere("INSERT INTO alert_reads (alert_id, user_id, read_at) VALUES ($1, $2, '2026-01-07T01:00:00.000Z')", [top14, VIEWER.userId]);
  const readElsewhere = await inbox.servedPage(VIEWER, { limit: 3 });
  assert.equal((JSON.parse(readElsewhere.body.toString()) as { read: boolean }[])[0]!.read, true);
  await elsewhere('DELETE FROM alert_reads WHERE alert_id = $1 AND user_id = $2', [top14, VIEWER.userId]);
  assert.equal((JSON.parse((await inbox.servedPage(VIEWER, { limit: 3 })).body.toString()) as { read: boolean }[])[0]!.read, false);
});

test('the feed escapes what XML needs escaped and no more: quotation marks only in attributes, so JSON evidence keeps its bytes', () => {
  const evidence = { work: 'W1', why: 'a "listed" <entity> & more ]]>', 中文: '清华大学' };
  const link = '/api/works/W1?x="y"&z=<1>';
  const xml = atomFeed({
    userId: 'u',
    userName: 'A "quoted" <name>',
    self: 'https://derisk.example/feeds/drkf_x.atom',
    base: 'https://derisk.example',
    alerts: [{ id: 'a1', kind: 'list-change', created_at: '2026-01-01T00:00:00.000Z', title: 'T & "t"', subject: 's', evidence, link, api: null, read: false }],
  });
  const unescape = (s: string) =>
    s
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&');
  const content = /<content type="text">([^<]*)<\/content>/.exec(xml)?.[1];
  assert.ok(content !== undefined, xml);
  assert.equal(unescape(content), JSON.stringify(evidence, null, 2));
  assert.ok(!content.includes('&quot;') && content.includes('"listed'), 'quotation marks as they are in element text');
  assert.equal(unescape(/<link rel="alternate" href="([^"]*)"\/>/.exec(xml)![1]!), `https://derisk.example${link}`);
  assert.match(xml, /<title type="text">derisk alerts for A "quoted" &lt;name&gt;<\/title>/);
  assert.match(xml, /<title type="text">T &amp; "t"<\/title>/);
  // Nothing but markup opens with < : every other one is escaped.
  assert.deepEqual([...new Set([...xml.matchAll(/<([^\s/>?]+)/g)].map((m) => m[1]))].sort(), ['author', 'category', 'content', 'entry', 'feed', 'generator', 'id', 'link', 'name', 'published', 'subtitle', 'summary', 'title', 'updated']);
});
