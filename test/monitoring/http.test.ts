import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { AppDb, Param } from '../../src/appdb/db.ts';
import { loadConfig } from '../../src/config.ts';
import { AlertInbox, recordAlerts, type NewAlert } from '../../src/monitoring/alerts.ts';
import { loadBundledEntries } from '../../src/monitoring/bundled-entries.ts';
import { SESSION_COOKIE } from '../../src/server/auth.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { ROLES } from '../../src/service/authorize.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { storedVerdict } from '../helpers/kb.ts';
import { testService, type TestService } from '../helpers/service.ts';

const PASSWORD = 'correct horse battery staple';
let store: Store;
let service: TestService;
const tokens: Record<string, string> = {};
const sessions: Record<string, Record<string, string>> = {};

before(async () => {
  store = await Store.open(join(tempDir(), 'store.duckdb'));
  service = await testService(store);
  for (const org of ['org-a', 'org-b']) {
    await service.accounts.createOrganisation(OPERATOR, org, org);
    for (const role of ROLES) {
      await service.accounts.createUser(OPERATOR, { orgId: org, email: `${role}@${org}.example`, name: `${role} of ${org}`, role, password: PASSWORD });
      const { actor, session, csrf } = await service.accounts.login(`${role}@${org}.example`, PASSWORD);
      sessions[`${org}/${role}`] = { cookie: `${SESSION_COOKIE}=${session}`, 'x-csrf-token': csrf };
      tokens[`${org}/${role}`] = (await service.accounts.createToken(actor, 'test')).token;
    }
  }
});
after(async () => {
  await service.close();
  store.close();
});

/** A feed address is made in a browser session only (an API token may not). */
const inSession = (who: string, method: string, url: string) => service.app.inject({ method: method as 'GET', url, headers: sessions[who] });
const call = (who: string, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) => service.app.inject({ method: method as 'GET', url, headers: { ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}), ...headers }, payload: payload as object });
const civil = () => structuredClone(loadBundledEntries().entries.find((e) => e.id === 'cn-civil-code')!);

test('reading the knowledge base over HTTP: list, search in Chinese, an entry, the timeline; bad queries are 400s naming the problem', async () => {
  const list = await call('org-a/viewer', 'GET', '/api/kb/entries');
  assert.equal(list.statusCode, 200);
  assert.ok(list.json().length >= 25);
  const found = (await call('org-a/viewer', 'GET', `/api/kb/entries?q=${encodeURIComponent('生成式人工智能')}`)).json();
  assert.deepEqual(
    found.map((e: { id: string }) => e.id),
    ['cn-tc260-generative-ai-safety-requirements'],
  );
  const searched = async (q: string) => ((await call('org-a/viewer', 'GET', `/api/kb/entries?q=${encodeURIComponent(q)}`)).json() as { id: string }[]).map((e) => e.id);
  for (const [pasted, typed] of [
    ['生成式\u200b人工智能', '生成式人工智能'],
    ['gener\u00adative AI safety\u200e', 'generative AI safety'],
  ]) {
    const found = await searched(typed!);
    assert.ok(found.length > 0, typed);
    assert.deepEqual(await searched(pasted!), found, `${JSON.stringify(pasted)}: invisible characters pasted in split no word`);
  }
  const nil = (await call('org-a/viewer', 'GET', '/api/kb/entries/cn-national-intelligence-law')).json();
  assert.equal(nil.entry.clause, 'Art. 7');
  assert.equal(nil.review.state, 'draft');
  const timeline = (await call('org-a/viewer', 'GET', '/api/kb/timeline?from=2025&to=2025&jurisdiction=EU')).json();
  assert.deepEqual(
    timeline.map((e: { date: string }) => e.date),
    ['2025-02-02', '2025-08-02'],
  );
  const bad: [string, number, RegExp][] = [
    ['/api/kb/entries?review=maybe', 400, /review must be equal to one of the allowed values/],
    ['/api/kb/entries?colour=red', 400, /additional properties/],
    ['/api/kb/entries?topic=astrology', 400, /topic "astrology" is not one of/],
    ['/api/kb/entries/Not%20An%20Id', 400, /params\/id must match pattern/],
    ['/api/kb/entries/cn-no-such-law', 404, /no knowledge-base entry cn-no-such-law/],
    ['/api/kb/entries/cn-civil-code/versions/7', 404, /has no version 7/],
    ['/api/kb/changes', 400, /must have required property 'since'/],
    ['/api/kb/changes?since=yesterday', 400, /since must match pattern/],
    ['/api/kb/changes?since=2026-02-30', 400, /since: "2026-02-30" is not a day/],
    ['/api/kb/timeline?from=2025-13', 400, /from: "2025-13" is not a date/],
    ['/api/kb/criteria/X-NOTHING', 404, /no criterion X-NOTHING/],
    ['/api/kb/verdicts/not-a-uuid', 400, /must match format "uuid"/],
  ];
  for (const [url, status, message] of bad) {
    const r = await call('org-a/viewer', 'GET', url);
    assert.equal(r.statusCode, status, `${url}: ${r.body}`);
    assert.match(r.json().message, message, url);
  }
  assert.equal((await service.app.inject({ url: '/api/kb/entries' })).statusCode, 401);
  const openapi = (await call('org-a/viewer', 'GET', '/api/openapi.json')).json();
  for (const path of ['/api/kb/entries', '/api/kb/entries/{id}', '/api/kb/entries/{id}/review', '/api/kb/changes', '/api/kb/timeline', '/api/kb/criteria/{criterion}']) assert.ok(openapi.paths[path], `${path} in the OpenAPI document`);
});

test('changing the knowledge base over HTTP: roles enforced, bad entries named, stale edits and reviews refused', async () => {
  const doc = civil();
  assert.equal((await call('org-a/viewer', 'PUT', '/api/kb/entries/cn-civil-code', { entry: doc, base_version: 1 })).statusCode, 403);
  const bad = await call('org-a/analyst', 'POST', '/api/kb/entries', { entry: { ...doc, id: 'cn-new-rule', sources: [{ quote: 'no text named' }] } });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().message, /^entry: sources\[0\]: names no text/);
  const hostile = { ...doc, id: 'cn-hostile-entry', summary: '<img src=x onerror="window.__xss=1"> stays text' };
  const created = await call('org-a/analyst', 'POST', '/api/kb/entries', { entry: hostile, note: 'a test' });
  assert.equal(created.statusCode, 201);
  assert.deepEqual(created.json(), { id: 'cn-hostile-entry', version: 1 });
  assert.equal((await call('org-a/analyst', 'POST', '/api/kb/entries', { entry: hostile })).statusCode, 409);
  const edit = await call('org-a/analyst', 'PUT', '/api/kb/entries/cn-civil-code', { entry: { ...doc, summary: `${doc.summary} Edited.` }, base_version: 1 });
  assert.equal(edit.statusCode, 200, edit.body);
  assert.equal(edit.json().version, 2);
  const stale = await call('org-b/analyst', 'PUT', '/api/kb/entries/cn-civil-code', { entry: { ...doc, summary: `${doc.summary} Other.` }, base_version: 1 });
  assert.equal(stale.statusCode, 409);
  assert.match(stale.json().message, /is at version 2, not 1/);
  assert.equal((await call('org-a/analyst', 'POST', '/api/kb/entries/cn-civil-code/review', { version: 2 })).statusCode, 403);
  assert.equal((await call('org-a/officer', 'POST', '/api/kb/entries/cn-civil-code/review', { version: 1 })).statusCode, 409);
  const review = await call('org-a/officer', 'POST', '/api/kb/entries/cn-civil-code/review', { version: 2, note: 'checked' });
  assert.equal(review.statusCode, 200);
  assert.equal(review.json().by.name, 'officer of org-a');
  assert.equal((await call('org-b/officer', 'POST', '/api/kb/entries/cn-civil-code/review', { version: 2 })).statusCode, 409);
  const diff = (await call('org-b/viewer', 'GET', '/api/kb/entries/cn-civil-code/diff?from=1&to=2')).json();
  assert.deepEqual(
    diff.changes.map((c: { path: string }) => c.path),
    ['summary'],
  );
  const view = (await call('org-b/viewer', 'GET', '/api/kb/entries/cn-civil-code')).json();
  assert.equal(view.review.current.by.name, 'a user of another organisation', "another organisation's officer is not named");
  const since = new Date().toISOString().slice(0, 10);
  const changes = (await call('org-b/viewer', 'GET', `/api/kb/changes?since=${since}&topic=personal-information`)).json();
  assert.deepEqual(
    changes.filter((c: { entry: string }) => c.entry === 'cn-civil-code').map((c: { kind: string }) => c.kind),
    ['changed', 'reviewed'],
  );
  const audit = await service.db.query<{ action: string; org_id: string }>("SELECT action, org_id FROM audit WHERE action LIKE 'kb.%' AND action <> 'kb.import' ORDER BY seq");
  assert.deepEqual(audit, [
    { action: 'kb.add', org_id: 'org-a' },
    { action: 'kb.edit', org_id: 'org-a' },
    { action: 'kb.review', org_id: 'org-a' },
  ]);
});

test('verdict links over HTTP show only your organisation’s verdicts', async () => {
  const mine = await storedVerdict(service.db, { org: 'org-a', title: 'A: data to China', holds: ['E-IMPORTANT-DATA-TO-CHINA'] });
  const theirs = await storedVerdict(service.db, { org: 'org-b', title: 'B: private', holds: ['E-IMPORTANT-DATA-TO-CHINA'] });
  const a = (await call('org-a/viewer', 'GET', '/api/kb/criteria/E-IMPORTANT-DATA-TO-CHINA')).json();
  assert.deepEqual(
    a.verdicts.map((v: { caseTitle: string }) => v.caseTitle),
    ['A: data to China'],
  );
  assert.ok(a.entries.some((e: { id: string }) => e.id === 'cn-national-intelligence-law'));
  assert.equal((await call('org-a/viewer', 'GET', `/api/kb/verdicts/${mine.assessmentId}`)).json().criteria[0].id, 'E-IMPORTANT-DATA-TO-CHINA');
  const other = await call('org-a/viewer', 'GET', `/api/kb/verdicts/${theirs.assessmentId}`);
  assert.equal(other.statusCode, 404);
  assert.equal(other.json().message, `no assessment ${theirs.assessmentId}`);
});

test('the inbox over HTTP comes 50 alerts a page unless limit says otherwise, the Link header naming the next; the feed carries the newest 50; each ETag changes when an alert arrives, the inbox’s also when one is read', async () => {
  const alert = (n: number): NewAlert => ({ orgId: 'org-a', userId: '', kind: 'new-copublication', dedupKey: `http-${n}`, title: `Alert ${n}`, subject: 'KU Leuven', evidence: { work: `W${n}` }, link: `/api/works/W${n}` });
  const record = (at: string, ns: number[]) => service.db.transaction((tx) => recordAlerts(tx, ns.map(alert), at));
  await record(
    '2026-01-01T00:00:00.000Z',
    Array.from({ length: 60 }, (_, n) => n),
  );
  const whole = (await call('org-a/viewer', 'GET', '/api/alerts?limit=1000')).json() as { id: string; read: boolean }[];
  assert.equal(whole.length, 60);
  const viewer = (await service.accounts.login('viewer@org-a.example', PASSWORD)).actor;
  assert.equal((await new AlertInbox(service.db).list(viewer)).length, 60, 'derisk alerts (the database, not the API) still lists them all');

  const first = await call('org-a/viewer', 'GET', '/api/alerts');
  assert.equal(first.statusCode, 200, first.body);
  assert.match(String(first.headers['content-type']), /^application\/json/);
  assert.deepEqual(
    (first.json() as { id: string }[]).map((a) => a.id),
    whole.slice(0, 50).map((a) => a.id),
  );
  const next = /^<(\/api\/alerts\?limit=50&before=[^>]+)>; rel="next"$/.exec(String(first.headers.link))?.[1];
  assert.ok(next, String(first.headers.link));
  const second = await call('org-a/viewer', 'GET', next);
  assert.deepEqual(
    (second.json() as { id: string }[]).map((a) => a.id),
    whole.slice(50).map((a) => a.id),
  );
  assert.equal(second.headers.link, undefined, 'the last page');

  // Asked again with its tag, an unchanged page is not sent again; a read, or a new alert, changes it.
  const etag = String(first.headers.etag);
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  const unchanged = await call('org-a/viewer', 'GET', '/api/alerts', undefined, { 'if-none-match': etag });
  assert.equal(unchanged.statusCode, 304);
  assert.equal(unchanged.body, '');
  const analystTag = String((await call('org-a/analyst', 'GET', '/api/alerts')).headers.etag);
  const feedUrl = `/feeds/${((await inSession('org-a/viewer', 'POST', '/api/alerts/feed')).json() as { token: string }).token}.atom`;
  const feed = await call('', 'GET', feedUrl);
  const entries = (xml: string) => [...xml.matchAll(/<id>urn:uuid:([0-9a-f-]{36})<\/id>\n {4}<title/g)].map((m) => m[1]);
  assert.deepEqual(
    entries(feed.body),
    whole.slice(0, 50).map((a) => a.id),
    'the newest 50, newest first',
  );

  assert.equal((await call('org-a/viewer', 'PUT', `/api/alerts/${whole[3]!.id}/read`)).statusCode, 204);
  const read = await call('org-a/viewer', 'GET', '/api/alerts', undefined, { 'if-none-match': etag });
  assert.equal(read.statusCode, 200);
  assert.notEqual(read.headers.etag, etag);
  assert.equal((read.json() as { read: boolean }[])[3]!.read, true);
  assert.equal((await call('org-a/analyst', 'GET', '/api/alerts', undefined, { 'if-none-match': analystTag })).statusCode, 304, "the viewer's read is not the analyst's");
  assert.equal((await call('', 'GET', feedUrl, undefined, { 'if-none-match': String(feed.headers.etag) })).statusCode, 304, 'a feed has no read marks');
  const unread = await call('org-a/viewer', 'GET', '/api/alerts?unread=true');
  assert.ok(!(unread.json() as { id: string }[]).some((a) => a.id === whole[3]!.id));

  await record('2026-01-02T00:00:00.000Z', [60]);
  const arrived = await call('org-a/viewer', 'GET', '/api/alerts', undefined, { 'if-none-match': String(read.headers.etag) });
  assert.equal(arrived.statusCode, 200);
  assert.notEqual(arrived.headers.etag, read.headers.etag);
  assert.equal((arrived.json() as { title: string }[])[0]!.title, 'Alert 60');
  assert.equal((arrived.json() as unknown[]).length, 50);
  const newer = await call('', 'GET', feedUrl, undefined, { 'if-none-match': String(feed.headers.etag) });
  assert.equal(newer.statusCode, 200);
  assert.notEqual(newer.headers.etag, feed.headers.etag);
  assert.equal(entries(newer.body).length, 50);
  assert.match(newer.body, /<entry>\n {4}<id>[^<]+<\/id>\n {4}<title type="text">Alert 60<\/title>/);
});

test('a kept feed or first page remembers no one: each poll checks its token and reads one counter row, so a revoked token, a disabled user, a new alert or a read tells at the next request, and no other user is sent it', async () => {
  const alert = (n: number): NewAlert => ({ orgId: 'org-a', userId: '', kind: 'list-change', dedupKey: `kept-${n}`, title: `Kept ${n}`, subject: 'a list', evidence: {}, link: '/x' });
  const feedOf = async (who: string) => `/feeds/${((await inSession(who, 'POST', '/api/alerts/feed')).json() as { token: string }).token}.atom`;
  const viewerFeed = await feedOf('org-a/viewer');
  const kept = await call('', 'GET', viewerFeed);
  assert.equal(kept.statusCode, 200);

  // What a poll reads, its answer kept: the feed token (an API token sent along opens nothing more
  // there, and is not looked up) and the organisation's counter; the API token and the counters for the inbox.
  const statements: string[] = [];
  const query = service.db.query;
  service.db.query = ((sql: string, params?: Param[]) => {
    statements.push(sql.replace(/\s+/g, ' '));
    return query(sql, params);
  }) as AppDb['query'];
  try {
    assert.equal((await call('org-a/analyst', 'GET', viewerFeed, undefined, { 'if-none-match': String(kept.headers.etag) })).statusCode, 304);
    assert.deepEqual(
      statements.map((s) => /FROM (\w+)/.exec(s)?.[1]),
      ['feed_tokens', 'alert_versions'],
      statements.join('\n'),
    );
    const page = await call('org-a/viewer', 'GET', '/api/alerts');
    statements.length = 0;
    assert.equal((await call('org-a/viewer', 'GET', '/api/alerts', undefined, { 'if-none-match': String(page.headers.etag) })).statusCode, 304);
    assert.deepEqual(
      statements.map((s) => /FROM (\w+)/.exec(s)?.[1]),
      ['api_tokens', 'alert_versions'],
      statements.join('\n'),
    );
  } finally {
    Reflect.deleteProperty(service.db, 'query');
  }

  // A new alert right after a kept answer is in the next one; so is a read.
  await service.db.transaction((tx) => recordAlerts(tx, [alert(1)], '2026-02-01T00:00:00.000Z'));
  const arrived = await call('', 'GET', viewerFeed, undefined, { 'if-none-match': String(kept.headers.etag) });
  assert.equal(arrived.statusCode, 200);
  assert.match(arrived.body, /<entry>\n {4}<id>[^<]+<\/id>\n {4}<title type="text">Kept 1<\/title>/);
  const page = await call('org-a/viewer', 'GET', '/api/alerts');
  const top = (page.json() as { id: string }[])[0]!.id;
  assert.equal((await call('org-a/viewer', 'PUT', `/api/alerts/${top}/read`)).statusCode, 204);
  const read = await call('org-a/viewer', 'GET', '/api/alerts', undefined, { 'if-none-match': String(page.headers.etag) });
  assert.equal(read.statusCode, 200);
  assert.equal((read.json() as { read: boolean }[])[0]!.read, true);

  // Another user's feed, another organisation's, and a made-up token: never the kept one.
  assert.equal((await call('', 'GET', viewerFeed)).body, arrived.body);
  const analyst = await call('', 'GET', await feedOf('org-a/analyst'));
  assert.match(analyst.body, /derisk alerts for analyst of org-a/);
  assert.notEqual(analyst.headers.etag, arrived.headers.etag);
  const otherOrg = await call('', 'GET', await feedOf('org-b/viewer'));
  assert.match(otherOrg.body, /derisk alerts for viewer of org-b/);
  assert.doesNotMatch(otherOrg.body, /Kept 1|Alert \d/);
  assert.equal((await call('', 'GET', viewerFeed.replace(/drkf_.{6}/, 'drkf_AAAAAA'))).statusCode, 404);

  // Revoked right after a kept answer: closed at the next request; a disabled user's too.
  assert.equal((await call('org-a/viewer', 'DELETE', '/api/alerts/feed')).statusCode, 204);
  assert.equal((await call('', 'GET', viewerFeed)).statusCode, 404, 'revoked');
  assert.equal((await call('', 'GET', viewerFeed, undefined, { 'if-none-match': String(arrived.headers.etag) })).statusCode, 404, 'revoked, though the reader has the feed');
  const analystFeed = await feedOf('org-a/analyst');
  assert.equal((await call('', 'GET', analystFeed)).statusCode, 200);
  const analystId = (await service.accounts.login('analyst@org-a.example', PASSWORD)).actor.userId;
  await service.accounts.setDisabled(OPERATOR, analystId, true);
  try {
    assert.equal((await call('', 'GET', analystFeed)).statusCode, 404, "a disabled user's feed");
  } finally {
    await service.accounts.setDisabled(OPERATOR, analystId, false);
  }
});

test('with DERISK_PUBLIC_URL set, the feed address and the feed’s own links start there, whatever Host a request names', async () => {
  const exposed = await testService(store, { publicUrl: loadConfig({ DERISK_PUBLIC_URL: 'https://derisk.example.org/derisk/' }).publicUrl });
  try {
    const { session, csrf } = await exposed.accounts.redeemLoginCode(await exposed.loginCode());
    const forged = { cookie: `${SESSION_COOKIE}=${session}`, 'x-csrf-token': csrf, host: 'evil.example' };
    const { url } = (await exposed.app.inject({ method: 'POST', url: '/api/alerts/feed', headers: forged })).json() as { url: string };
    assert.match(url, /^https:\/\/derisk\.example\.org\/derisk\/feeds\/drkf_[A-Za-z0-9_-]{32}\.atom$/);
    const feed = await exposed.app.inject({ method: 'GET', url: url.slice('https://derisk.example.org/derisk'.length), headers: { host: 'evil.example' } });
    assert.equal(feed.statusCode, 200);
    assert.match(feed.body, /https:\/\/derisk\.example\.org\/derisk\/feeds\//);
    assert.doesNotMatch(feed.body, /evil\.example/);
  } finally {
    await exposed.close();
  }
  // Unset, the address is the request's own, as a server reached directly is.
  const direct = ((await inSession('org-a/viewer', 'POST', '/api/alerts/feed')).json() as { url: string }).url;
  assert.match(direct, /^http:\/\/localhost(:80)?\/feeds\/drkf_/);
});
