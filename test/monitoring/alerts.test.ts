import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { loadRegistry } from '../../src/ingest/registry.ts';
import { casePage } from '../../src/monitoring/alert-links.ts';
import { AlertInbox, recordAlerts } from '../../src/monitoring/alerts.ts';
import { Monitor } from '../../src/monitoring/monitor.ts';
import { StoreSubjects } from '../../src/monitoring/subjects.ts';
import { Watchlists } from '../../src/monitoring/watchlists.ts';
import { WebhookSender } from '../../src/monitoring/webhooks.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { SESSION_COOKIE } from '../../src/server/auth.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { DELFT, HIT, KU_LEUVEN, LEUVEN_AFF, leuvenStore, leuvenWork } from '../helpers/leuven.ts';
import { addMembers, PASSWORD, testService, type TestService } from '../helpers/service.ts';
import { LOOPBACK_RECEIVERS } from '../helpers/receivers.ts';
import { watchlist } from '../helpers/watchlist.ts';

const TSINGHUA = '03cve4549';

// Two organisations with every role over one store. The shared base holds KU Leuven's works with
// Oxford; Harbin Institute of Technology is on a watchlist. New co-publications arrive by an
// administrator's ingest (shared: both organisations may see them) and by B's upload (B's alone).
const work = leuvenWork('alerts');

let home: string;
let store: Store;
let service: TestService;
let monitor: Monitor;
let tokens: Record<string, string>;
let userIds: Record<string, string>;
let sessions: Record<string, Record<string, string>>;

before(async () => {
  home = tempDir();
  store = await leuvenStore(
    home,
    Array.from({ length: 4 }, (_, i) => work(`W100${i}`, 2022, ['leuven', 'oxford'])),
  );
  // The server's own deliveries and checks wait an hour here: the tests drive them.
  service = await testService(store, { home, monitoring: { deliveryIntervalMs: 3_600_000, checkIntervalMs: 3_600_000, webhooks: { destinations: LOOPBACK_RECEIVERS } } });
  monitor = new Monitor({ db: service.db, store });
  ({ tokens, userIds, sessions } = await addMembers(service.accounts, ['org-a', 'org-b']));
  await service.app.ready();
});

after(async () => {
  await service.close();
  store.close();
});

const inject = (who: string, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) => service.app.inject({ method: method as 'GET', url, headers: { ...(who ? { authorization: `Bearer ${tokens[who]}` } : {}), ...headers }, payload: payload as object });
/** Feed addresses and webhooks are made in a browser session only (an API token may not). */
const inSession = (who: string, method: string, url: string, payload?: unknown) => service.app.inject({ method: method as 'GET', url, headers: sessions[who], payload: payload as object });
const alertsOf = async (who: string) => {
  const r = await inject(who, 'GET', '/api/alerts');
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as { id: string; kind: string; title: string; subject: string; evidence: Record<string, unknown>; link: string; read: boolean }[];
};

/** An administrator's ingest into the shared base, as `derisk ingest` runs it, then the monitor's pass. */
async function sharedIngest(name: string, lines: string[], kind: 'openalex' | 'scopus' = 'openalex') {
  await ingestWorks(store, kind, writeTemp(name, lines.join('\n') + '\n'), { quarantineDir: join(home, 'q') });
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
  await screenPending(store, await screeningContext(store));
  await refreshAnalytics(store);
  return monitor.check();
}

test('watchlists: anyone keeps their own, analysts the organisation’s; names and ids resolve to one subject; other organisations see nothing', async () => {
  const add = (who: string, body: object) => inject(who, 'POST', '/api/watchlist', body);
  assert.equal((await add('org-a/viewer', { text: 'KU Leuven' })).statusCode, 403, "a viewer may not change the organisation's watchlist");
  const mine = await add('org-a/viewer', { text: 'Delft University of Technology', scope: 'user' });
  assert.equal(mine.statusCode, 201, mine.body);
  assert.deepEqual([mine.json().kind, mine.json().ref, mine.json().scope], ['institution', DELFT, 'user']);

  const byName = await add('org-a/analyst', { text: 'KU Leuven' });
  assert.equal(byName.statusCode, 201, byName.body);
  assert.equal(byName.json().ref, KU_LEUVEN);
  const byId = await add('org-a/analyst', { text: `https://ror.org/${KU_LEUVEN}` });
  assert.equal(byId.statusCode, 200, 'the same institution by its ROR id is the item already there');
  assert.equal(byId.json().id, byName.json().id);

  const entry = await add('org-a/analyst', { text: 'harbin institute of technology', kind: 'list-entry' });
  assert.equal(entry.statusCode, 201, entry.body);
  assert.match(entry.json().ref, /^my-watchlist\//);
  assert.deepEqual((await add('org-a/analyst', { text: 'China', kind: 'country' })).json().ref, 'CN');
  assert.equal((await add('org-a/analyst', { text: 'Atlantis', kind: 'country' })).statusCode, 400);
  const invisible = await add('org-a/analyst', { text: '\u200b\u00ad' });
  assert.equal(invisible.statusCode, 400);
  assert.match(invisible.json().message, /give a name or an id to watch/, 'invisible characters alone are no name');
  const unknown = await add('org-a/analyst', { text: 'University of Nowhere' });
  assert.equal(unknown.statusCode, 400);
  assert.match(unknown.json().message, /names no institution and no list-entry/);
  assert.equal((await add('org-a/analyst', { text: 'not-a-topic', kind: 'topic' })).statusCode, 400);
  assert.equal((await add('org-a/analyst', { text: '00000000-0000-4000-8000-000000000000', kind: 'case' })).statusCode, 404);

  const listA = (await inject('org-a/viewer', 'GET', '/api/watchlist')).json() as { id: string; ref: string; scope: string }[];
  assert.deepEqual(listA.map((i) => i.ref).sort(), [DELFT, 'CN', KU_LEUVEN, entry.json().ref].sort(), "the organisation's items and the viewer's own");
  const listAnalyst = (await inject('org-a/analyst', 'GET', '/api/watchlist')).json() as { ref: string }[];
  assert.ok(!listAnalyst.some((i) => i.ref === DELFT), "another user's own items are theirs");
  assert.deepEqual((await inject('org-b/admin', 'GET', '/api/watchlist')).json(), [], "another organisation's watchlist is not visible");
  const country = listA.find((i) => i.ref === 'CN')!;
  assert.equal((await inject('org-b/admin', 'DELETE', `/api/watchlist/${country.id}`)).statusCode, 404, "another organisation's item answers like a missing one");
  assert.equal((await inject('org-a/admin', 'DELETE', `/api/watchlist/${mine.json().id}`)).statusCode, 404, "another user's own item too, even for an admin");
  assert.equal((await inject('org-a/viewer', 'DELETE', `/api/watchlist/${country.id}`)).statusCode, 403);
  assert.equal((await inject('org-a/analyst', 'DELETE', `/api/watchlist/${country.id}`)).statusCode, 204);
  assert.equal((await inject('', 'GET', '/api/watchlist')).statusCode, 401);
});

test('a new co-publication of a watched institution with a listed entity: an alert with its evidence, exactly once, for those who may see the evidence', async () => {
  assert.equal((await inject('org-b/analyst', 'POST', '/api/watchlist', { text: KU_LEUVEN })).statusCode, 201);

  // B uploads a KU Leuven × HIT work: B's own evidence, so B is told and A is not.
  const up = await inject('org-b/analyst', 'POST', '/api/uploads?kind=openalex', work('W9001', 2025, ['leuven', 'hit'], 'Uploaded joint work') + '\n', { 'content-type': 'application/octet-stream' });
  assert.equal(up.statusCode, 201, up.body);
  const b1 = await alertsOf('org-b/viewer');
  assert.equal(b1.length, 1, JSON.stringify(b1));
  assert.equal(b1[0]!.kind, 'new-copublication');
  assert.match(b1[0]!.title, /KU Leuven.*Harbin Institute of Technology/);
  assert.deepEqual(b1[0]!.evidence.evidence, { base: 'your upload', fileId: up.json().fileId, kind: 'openalex' });
  assert.equal(b1[0]!.link, 'https://doi.org/10.5555/alerts.w9001');
  assert.deepEqual(await alertsOf('org-a/admin'), [], "A never hears of B's upload, though A watches KU Leuven and the entry");

  // A shared ingest: a KU Leuven × HIT work, a Delft × HIT work, and works with no listed co-author.
  assert.equal((await inject('org-b/viewer', 'POST', '/api/watchlist', { text: DELFT, scope: 'user' })).statusCode, 201);
  const report = await sharedIngest('new.jsonl', [work('W2001', 2025, ['leuven', 'hit']), work('W2002', 2025, ['delft', 'hit']), work('W2003', 2025, ['leuven', 'oxford']), work('W2004', 2025, ['hit'])]);
  assert.equal(report.alerts['new-copublication'], 4, `A's two, B's one, B's viewer's own one: ${JSON.stringify(report)}`);
  const workOf = (x: { evidence: Record<string, unknown> }) => (x.evidence.work as { id: string }).id;
  const a = await alertsOf('org-a/analyst');
  assert.deepEqual(a.map(workOf).sort(), ['doi:10.5555/alerts.w2001', 'doi:10.5555/alerts.w2002'], 'A watches KU Leuven and the HIT entry; no alert without a listed co-author, none for a work of HIT alone');
  const w2001 = a.find((x) => workOf(x) === 'doi:10.5555/alerts.w2001')!;
  assert.deepEqual((w2001.evidence.watched as { kind: string }[]).map((w) => w.kind).sort(), ['institution', 'list-entry'], 'both of A’s items it touches are named, in one alert');
  assert.deepEqual(
    (w2001.evidence.listed as { name: string }[]).map((l) => l.name),
    ['Harbin Institute of Technology'],
  );
  assert.equal((w2001.evidence.evidence as { base: string }).base, 'shared');
  assert.deepEqual((await alertsOf('org-a/viewer')).map(workOf).sort(), a.map(workOf).sort(), "the viewer's own Delft item repeats nothing the organisation is told");
  assert.deepEqual((await alertsOf('org-b/analyst')).map(workOf).sort(), ['doi:10.5555/alerts.w2001', 'doi:10.5555/alerts.w9001']);
  assert.deepEqual((await alertsOf('org-b/viewer')).map(workOf).sort(), ['doi:10.5555/alerts.w2001', 'doi:10.5555/alerts.w2002', 'doi:10.5555/alerts.w9001'], "B's viewer's own Delft item adds the Delft × HIT work, for that viewer alone");

  // Nothing twice: another pass, the same file again, the same work from another file.
  const again = await monitor.check();
  assert.deepEqual(again.alerts, {});
  await sharedIngest('again.jsonl', [work('W2001', 2025, ['leuven', 'hit'])]);
  assert.equal((await alertsOf('org-a/analyst')).length, 2);
});

test('a file in which some affiliation has no text (institutions only, countries only, invisible characters, a mark alone) is still looked at: its listed co-publications alert', async () => {
  const textless = JSON.stringify({
    id: 'https://openalex.org/W3502',
    doi: '10.5555/alerts.w3502',
    display_name: 'Work with affiliations that carry no text',
    publication_year: 2025,
    authorships: [
      { author: { display_name: 'Institutions only' }, raw_affiliation_string: null, institutions: [{ id: 'https://openalex.org/I1', ror: `https://ror.org/${DELFT}`, display_name: 'Delft University of Technology', country_code: 'NL' }] },
      { author: { display_name: 'Countries only' }, countries: ['NL'] },
      { author: { display_name: 'Invisible' }, raw_affiliation_strings: ['\u200b\u00ad'] },
      { author: { display_name: 'A mark alone' }, raw_affiliation_strings: ['™'] },
    ],
  });
  const report = await sharedIngest('textless.jsonl', [work('W3501', 2025, ['leuven', 'hit']), textless]);
  assert.ok((report.alerts['new-copublication'] ?? 0) >= 1, `the file is not left waiting for strings no pass answers: ${JSON.stringify(report)}`);
  const workOf = (x: { evidence: Record<string, unknown> }) => (x.evidence.work as { id: string }).id;
  assert.ok((await alertsOf('org-a/analyst')).map(workOf).includes('doi:10.5555/alerts.w3501'));
  assert.deepEqual((await monitor.check()).alerts, {}, 'and it is looked at once');

  const up = await inject('org-b/analyst', 'POST', '/api/uploads?kind=openalex', [work('W9502', 2025, ['leuven', 'hit']), textless.replaceAll('W3502', 'W9503').replaceAll('w3502', 'w9503')].join('\n') + '\n', { 'content-type': 'application/octet-stream' });
  assert.equal(up.statusCode, 201, up.body);
  assert.ok((await alertsOf('org-b/analyst')).map(workOf).includes('doi:10.5555/alerts.w9502'), 'an upload with such an affiliation alerts too');
});

test('inbox: read and unread per user; another organisation’s alert is not found', async () => {
  const [alert] = await alertsOf('org-a/analyst');
  assert.ok(alert);
  assert.equal((await inject('org-a/analyst', 'PUT', `/api/alerts/${alert.id}/read`)).statusCode, 204);
  assert.equal((await alertsOf('org-a/analyst')).find((x) => x.id === alert.id)!.read, true);
  assert.equal((await alertsOf('org-a/admin')).find((x) => x.id === alert.id)!.read, false, 'read for that user only');
  assert.equal(
    ((await inject('org-a/analyst', 'GET', '/api/alerts?unread=true')).json() as { id: string }[]).some((x) => x.id === alert.id),
    false,
  );
  assert.equal((await inject('org-a/analyst', 'DELETE', `/api/alerts/${alert.id}/read`)).statusCode, 204);
  assert.equal((await alertsOf('org-a/analyst')).find((x) => x.id === alert.id)!.read, false);
  assert.equal((await inject('org-b/admin', 'GET', `/api/alerts/${alert.id}`)).statusCode, 404);
  assert.equal((await inject('org-b/admin', 'PUT', `/api/alerts/${alert.id}/read`)).statusCode, 404);

  // A page at a time: the Link header names the next page, and the pages make the whole list.
  const whole = await alertsOf('org-a/analyst');
  assert.ok(whole.length >= 2);
  const paged: string[] = [];
  for (let url: string | null = '/api/alerts?limit=1'; url;) {
    const r = await inject('org-a/analyst', 'GET', url);
    assert.equal(r.statusCode, 200, r.body);
    paged.push(...(r.json() as { id: string }[]).map((a) => a.id));
    url = /^<(\/api\/alerts\?[^>]+)>; rel="next"$/.exec(String(r.headers.link ?? ''))?.[1] ?? null;
    assert.ok(!url || url.includes('limit=1'));
  }
  assert.deepEqual(
    paged,
    whole.map((a) => a.id),
  );
  assert.equal((await inject('org-a/analyst', 'GET', '/api/alerts')).headers.link, undefined, 'one page holds them all');
  assert.equal((await inject('org-a/analyst', 'GET', '/api/alerts?before=bm90IGEgY3Vyc29y')).statusCode, 400);
});

test('Atom feed: a feed-only token opens the user’s feed and nothing else; a new token or a revocation closes the old address', async () => {
  const made = await inSession('org-a/viewer', 'POST', '/api/alerts/feed');
  assert.equal(made.statusCode, 201, made.body);
  const { token, url } = made.json() as { token: string; url: string };
  assert.match(url, /\/feeds\/drkf_[A-Za-z0-9_-]{32}\.atom$/);
  const feed = await inject('', 'GET', `/feeds/${token}.atom`);
  assert.equal(feed.statusCode, 200, feed.body);
  assert.match(String(feed.headers['content-type']), /^application\/atom\+xml/);
  const xml = feed.body;
  assert.match(xml, /^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
  for (const required of ['<id>urn:uuid:', '<title type="text">derisk alerts for viewer of org-a</title>', '<updated>', '<author><name>derisk</name></author>', '<link rel="self"']) assert.ok(xml.includes(required), required);
  const viewerAlerts = await alertsOf('org-a/viewer');
  assert.equal((xml.match(/<entry>/g) ?? []).length, viewerAlerts.length);
  for (const a of viewerAlerts) assert.ok(xml.includes(`<id>urn:uuid:${a.id}</id>`));
  assert.ok(!xml.includes(token.slice(5, 20)) || xml.split(token).length === 2, 'the token appears only in the self link');
  // A feed reader that has the feed is told it has not changed, and not sent it again.
  const etag = String(feed.headers.etag);
  assert.match(etag, /^"[0-9a-f]{32}"$/);
  const unchanged = await inject('', 'GET', `/feeds/${token}.atom`, undefined, { 'if-none-match': etag });
  assert.equal(unchanged.statusCode, 304);
  assert.equal(unchanged.body, '');
  assert.equal((await inject('', 'GET', `/feeds/${token}.atom`, undefined, { 'if-none-match': '"another feed"' })).body, xml);

  assert.equal((await inject('', 'GET', '/api/alerts', undefined, { authorization: `Bearer ${token}` })).statusCode, 401, 'a feed token is no API token');
  assert.equal((await inject('', 'GET', '/feeds/drkf_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.atom')).statusCode, 404);
  assert.equal((await inject('', 'GET', '/feeds/whatever.atom')).statusCode, 400);

  const second = (await inSession('org-a/viewer', 'POST', '/api/alerts/feed')).json() as { token: string };
  assert.equal((await inject('', 'GET', `/feeds/${token}.atom`)).statusCode, 404, 'a new address closes the old one');
  assert.equal((await inject('', 'GET', `/feeds/${second.token}.atom`)).statusCode, 200);
  await service.accounts.setDisabled(OPERATOR, userIds['org-a/viewer']!, true);
  assert.equal((await inject('', 'GET', `/feeds/${second.token}.atom`)).statusCode, 404, "a disabled user's feed is closed");
  await service.accounts.setDisabled(OPERATOR, userIds['org-a/viewer']!, false);
  assert.equal((await inject('', 'GET', `/feeds/${second.token}.atom`)).statusCode, 404, 'enabled again, the old address stays closed (it may have leaked)');
  // Disabling revoked the viewer's API tokens too.
  const again = await service.accounts.login('viewer@org-a.example', PASSWORD);
  tokens['org-a/viewer'] = (await service.accounts.createToken(again.actor, 'test')).token;
  sessions['org-a/viewer'] = { cookie: `${SESSION_COOKIE}=${again.session}`, 'x-csrf-token': again.csrf };
  assert.equal((await inject('org-a/viewer', 'DELETE', '/api/alerts/feed')).statusCode, 404, 'nothing left to revoke');
  const third = (await inSession('org-a/viewer', 'POST', '/api/alerts/feed')).json() as { token: string };
  assert.equal((await inject('', 'GET', `/feeds/${third.token}.atom`)).statusCode, 200, 'a new address works');
  assert.equal((await inject('org-a/viewer', 'DELETE', '/api/alerts/feed')).statusCode, 204);
  assert.equal((await inject('', 'GET', `/feeds/${third.token}.atom`)).statusCode, 404, 'revoked');
});

/** An HTTP receiver answering each request with the next status of its script (the last one repeats). */
async function receiver(statuses: number[], delayMs = 0): Promise<{ server: Server; url: string; got: { headers: IncomingHttpHeaders; body: string }[] }> {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      const status = statuses[Math.min(got.length - 1, statuses.length - 1)]!;
      setTimeout(() => res.writeHead(status).end(), delayMs).unref();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

test('webhooks: Standard Webhooks headers verified by the standardwebhooks package; retries with back-off; 410 disables; a hanging endpoint holds up no other', async () => {
  const add = (url: string) => inSession('org-a/officer', 'POST', '/api/webhooks', { url });
  assert.equal((await inSession('org-a/analyst', 'POST', '/api/webhooks', { url: 'http://127.0.0.1:9/x' })).statusCode, 403);
  assert.equal((await add('ftp://example.org/x')).statusCode, 400);
  const metadata = await add('http://169.254.169.254/latest/meta-data/');
  assert.equal(metadata.statusCode, 400, 'the cloud metadata service is no receiver, whatever the loopback opt-in');
  assert.match(metadata.json().message, /link-local \(cloud metadata\)/);
  const good = await receiver([200]);
  const flaky = await receiver([500, 503, 200]);
  const gone = await receiver([410]);
  const hanging = await receiver([200], 60_000);
  const hooks: Record<string, { id: string; secret: string }> = {};
  for (const [name, r] of Object.entries({ good, flaky, gone, hanging })) {
    const made = await add(r.url);
    assert.equal(made.statusCode, 201, made.body);
    assert.match(made.json().secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    hooks[name] = made.json();
  }
  let clock = 0;
  // The time limit is generous: only the hanging endpoint, which never answers, should reach it on a busy machine.
  const sender = new WebhookSender(service.db, { schedule: [5, 60], timeoutMs: 3000, now: () => clock, destinations: LOOPBACK_RECEIVERS });
  try {
    await sharedIngest('hooks.jsonl', [work('W3001', 2026, ['leuven', 'hit'])]);
    clock = Date.now();
    await sender.drain();
    assert.equal(good.got.length, 1);
    const sent = good.got[0]!;
    const payload = new Webhook(hooks.good!.secret).verify(sent.body, sent.headers as Record<string, string>) as { type: string; data: { id: string; kind: string; title: string } };
    assert.equal(payload.type, 'alert.new_copublication');
    assert.equal(payload.data.id, sent.headers['webhook-id']);
    assert.match(payload.data.title, /KU Leuven/);
    assert.throws(() => new Webhook(hooks.flaky!.secret).verify(sent.body, sent.headers as Record<string, string>), /signature/i, "another endpoint's secret does not verify it");
    assert.equal(gone.got.length, 1);
    assert.equal(hanging.got.length, 1, 'the hanging endpoint was tried, and timed out without holding the others');

    // The flaky endpoint is retried only when its back-off has passed, with the same webhook-id.
    await sender.drain();
    assert.equal(flaky.got.length, 1, 'not before 5 s');
    clock += 5_000;
    await sender.drain();
    assert.equal(flaky.got.length, 2);
    clock += 60_000;
    await sender.drain();
    assert.equal(flaky.got.length, 3);
    assert.deepEqual(new Set(flaky.got.map((g) => g.headers['webhook-id'])).size, 1, 'one id for every attempt');
    assert.notEqual(flaky.got[0]!.headers['webhook-timestamp'], flaky.got[2]!.headers['webhook-timestamp'], 'each attempt carries its own time');
    new Webhook(hooks.flaky!.secret).verify(flaky.got[2]!.body, flaky.got[2]!.headers as Record<string, string>);

    const list = (await inject('org-a/officer', 'GET', '/api/webhooks')).json() as { id: string; disabled: boolean; disabledReason: string | null; deliveries: Record<string, number> }[];
    const byId = new Map(list.map((w) => [w.id, w]));
    assert.equal(byId.get(hooks.gone!.id)!.disabled, true, '410 disables the endpoint');
    assert.match(byId.get(hooks.gone!.id)!.disabledReason!, /410/);
    assert.deepEqual(byId.get(hooks.good!.id)!.deliveries, { pending: 0, delivered: 1, failed: 0 });
    assert.deepEqual(byId.get(hooks.flaky!.id)!.deliveries, { pending: 0, delivered: 1, failed: 0 });
    assert.deepEqual(byId.get(hooks.hanging!.id)!.deliveries, { pending: 0, delivered: 0, failed: 1 }, 'three timeouts spend the schedule of two waits');
    assert.deepEqual((await inject('org-b/officer', 'GET', '/api/webhooks')).json(), [], "B does not see A's endpoints");

    // Nothing goes to a disabled endpoint again, and nothing twice to the others.
    await sharedIngest('hooks2.jsonl', [work('W3002', 2026, ['leuven', 'hit'])]);
    clock = Date.now() + 3_600_000;
    await sender.drain();
    assert.equal(gone.got.length, 1);
    assert.equal(good.got.length, 2);
    assert.equal(new Set(good.got.map((g) => g.headers['webhook-id'])).size, 2);
  } finally {
    await sender.stop();
    for (const r of [good, flaky, gone, hanging]) (r.server.closeAllConnections(), r.server.close());
  }
});

test("a large upload's works reach the monitor a chunk at a time: no result of the file's rows is converted in one synchronous call", async () => {
  // 1,500 KU Leuven × HIT works (one alert each for B, which watches KU Leuven) and 1,000 with no listed co-author.
  const watched = await inject('org-b/analyst', 'POST', '/api/watchlist', { text: KU_LEUVEN });
  assert.ok([200, 201].includes(watched.statusCode), watched.body);
  const lines = [...Array.from({ length: 1_500 }, (_, i) => work(`W5${String(i).padStart(4, '0')}`, 2024, ['leuven', 'hit', 'thu'])), ...Array.from({ length: 1_000 }, (_, i) => work(`W6${String(i).padStart(4, '0')}`, 2024, ['leuven', 'oxford']))];
  // DuckDB hands results over in chunks of 2,048 rows; the file has 6,500 affiliation rows.
  const all = store.all;
  let largest = 0;
  store.all = async function <T extends Record<string, unknown>>(this: Store, sql: string, params?: never) {
    const rows = (await all.call(this, sql, params)) as T[];
    largest = Math.max(largest, rows.length);
    return rows;
  } as typeof store.all;
  let up;
  try {
    up = await inject('org-b/analyst', 'POST', '/api/uploads?kind=openalex', lines.join('\n') + '\n', { 'content-type': 'application/octet-stream' });
  } finally {
    store.all = all;
  }
  assert.equal(up.statusCode, 201, up.body);
  assert.equal(up.json().kept, 2_500);
  const alerts = await service.db.query<{ n: number }>("SELECT count(*) AS n FROM alerts WHERE org_id = 'org-b' AND user_id = '' AND dedup_key LIKE 'copub:doi:10.5555/alerts.w5%'");
  assert.equal(Number(alerts[0]!.n), 1_500, 'every listed co-publication gave its alert');
  assert.equal(Number((await service.db.query<{ n: number }>("SELECT count(*) AS n FROM alerts WHERE dedup_key LIKE 'copub:doi:10.5555/alerts.w6%'"))[0]!.n), 0);
  assert.ok(largest <= 2_048, `one store.all returned ${largest} rows at once`);
});

test("an alert's link opens the web app's page, at DERISK_PUBLIC_URL in the inbox, the feed and the webhook payload, whatever Host the request names; the API address is given beside it", async () => {
  const pub = await testService(store, { publicUrl: 'https://derisk.example.org', monitoring: { deliveryIntervalMs: 3_600_000, checkIntervalMs: 3_600_000, webhooks: { destinations: LOOPBACK_RECEIVERS } } });
  const hook = await receiver([200]);
  try {
    const members = await addMembers(pub.accounts, ['org-a']);
    const call = (method: string, url: string, payload?: unknown) => pub.app.inject({ method: method as 'GET', url, headers: { ...members.sessions['org-a/officer'], host: 'attacker.example' }, payload: payload as object });
    const { secret } = (await call('POST', '/api/webhooks', { url: hook.url })).json() as { secret: string };
    await pub.db.transaction((tx) => recordAlerts(tx, [{ orgId: 'org-a', userId: '', kind: 'reassessment-due', dedupKey: 'links', title: 'A case: re-assessment due', subject: 'A case', evidence: {}, link: casePage('case-1'), api: '/api/assessments/verdict-1' }]));
    const page = '"https://derisk.example.org/#/cases/case-1"';
    const api = '"https://derisk.example.org/api/assessments/verdict-1"';

    const [listed] = (await call('GET', '/api/alerts')).json() as { link: string; api: string }[];
    assert.deepEqual([JSON.stringify(listed!.link), JSON.stringify(listed!.api)], [page, api]);
    const { token } = (await call('POST', '/api/alerts/feed')).json() as { token: string };
    assert.ok((await pub.app.inject({ url: `/feeds/${token}.atom`, headers: { host: 'attacker.example' } })).body.includes(`<link rel="alternate" href=${page}/>`));
    await new WebhookSender(pub.db, { destinations: LOOPBACK_RECEIVERS, publicUrl: 'https://derisk.example.org' }).drain();
    const sent = hook.got[0]!;
    const payload = new Webhook(secret).verify(sent.body, sent.headers as Record<string, string>) as { data: { link: string; api: string } };
    assert.deepEqual([JSON.stringify(payload.data.link), JSON.stringify(payload.data.api)], [page, api]);
  } finally {
    hook.server.closeAllConnections();
    hook.server.close();
    await pub.close();
  }
});

test('a co-publication alert names both sides, the watched side and the flagged partner, whatever the watched item is (an institution, a list entry, a country)', async () => {
  const more = await addMembers(service.accounts, ['org-c', 'org-d']);
  const as = (who: string, method: string, url: string, payload?: unknown) => service.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${more.tokens[who]}` }, payload: payload as object });
  assert.equal((await as('org-c/analyst', 'POST', '/api/watchlist', { text: 'harbin institute of technology', kind: 'list-entry' })).statusCode, 201);
  assert.equal((await as('org-d/analyst', 'POST', '/api/watchlist', { text: 'United Kingdom', kind: 'country' })).statusCode, 201);
  await sharedIngest('both-sides.jsonl', [work('W7001', 2025, ['leuven', 'hit']), work('W7002', 2025, ['oxford', 'hit'])]);
  const titles = async (who: string) => ((await as(who, 'GET', '/api/alerts')).json() as { title: string }[]).map((a) => a.title).sort();
  assert.deepEqual(await titles('org-c/viewer'), ['New co-publication of KU Leuven with Harbin Institute of Technology (2025)', 'New co-publication of University of Oxford with Harbin Institute of Technology (2025)']);
  assert.deepEqual(await titles('org-d/viewer'), ['New co-publication of University of Oxford with Harbin Institute of Technology (2025)']);
});

test('a co-publication that two watch items bring names each party on one side of its title; link and api open the same thing', async () => {
  // The registry's name and the listed one differ (the Entity List's "Megvii Technology" is the registry's "Megvii"): here in capitals, as OFAC writes names.
  await saveLists(store, [
    readWatchlist(
      watchlist([
        { name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HIT] },
        { name: 'TSINGHUA UNIVERSITY', level: 'high', ror_ids: [TSINGHUA] },
      ]),
    ),
  ]);
  const watchlists = new Watchlists(service.db, new StoreSubjects(store));
  // The listed entity watched itself, and as an institution whose listed co-author is news.
  await watchlists.add(service.admin, { text: 'TSINGHUA UNIVERSITY', kind: 'list-entry' });
  await watchlists.add(service.admin, { text: TSINGHUA, kind: 'institution' });
  await sharedIngest('two-items.jsonl', [work('W8001', 2025, ['thu', 'hit'])]);
  const alert = (await new AlertInbox(service.db).list(service.admin)).find((a) => (a.evidence as { work?: { id: string } }).work?.id === 'doi:10.5555/alerts.w8001');
  assert.ok(alert);
  assert.deepEqual(
    (alert.evidence as { watched: { kind: string }[] }).watched.map((w) => w.kind),
    ['list-entry', 'institution'],
  );
  assert.equal(alert.title, 'New co-publication of Harbin Institute of Technology with TSINGHUA UNIVERSITY (2025)');
  // The work's own page has no JSON route here: no api, rather than another object's (the watched institution's portfolio).
  assert.deepEqual([alert.link, alert.api], ['https://doi.org/10.5555/alerts.w8001', null]);
});

// A Scopus record read first without its DOI was alerted under its EID; completed with the DOI later, its work is keyed
// by the DOI, and an OpenAlex copy of it told officers of the same co-publication a second time.
test('a co-publication alerted before its record gained a DOI is not alerted again when another source brings the work under that DOI, in the shared base and in uploads', async () => {
  const SCOPUS_HEADER = 'Authors,Title,Year,DOI,Affiliations,Authors with affiliations,Document Type,EID';
  const scopus = (eid: string, title: string, doi: string) => [SCOPUS_HEADER, `"Peeters A.; Li B.","${title}","2025","${doi}","${LEUVEN_AFF.leuven}; ${LEUVEN_AFF.hit}","Peeters, A., ${LEUVEN_AFF.leuven}; Li, B., ${LEUVEN_AFF.hit}","Article","${eid}"`].join('\n');
  for (const who of ['org-a/analyst', 'org-b/analyst']) assert.ok([200, 201].includes((await inject(who, 'POST', '/api/watchlist', { text: KU_LEUVEN })).statusCode));
  const told = async (who: string, title: string) => (await alertsOf(who)).filter((a) => (a.evidence.work as { title: string } | undefined)?.title === title).map((a) => (a.evidence.work as { id: string }).id);

  await sharedIngest('al3.csv', [scopus('2-s2.0-85000000301', 'Gained a DOI in the shared base', '')], 'scopus');
  assert.deepEqual(await told('org-a/analyst', 'Gained a DOI in the shared base'), ['scopus:2-s2.0-85000000301']);
  await sharedIngest('al4.csv', [scopus('2-s2.0-85000000301', 'Gained a DOI in the shared base', '10.5555/alerts.gained')], 'scopus');
  const oa3 = JSON.parse(work('W7301', 2025, ['leuven', 'hit'], 'Gained a DOI in the shared base')) as { doi: string };
  oa3.doi = '10.5555/alerts.gained';
  await sharedIngest('oa3.jsonl', [JSON.stringify(oa3)]);
  assert.deepEqual(await told('org-a/analyst', 'Gained a DOI in the shared base'), ['scopus:2-s2.0-85000000301'], 'the same work, told once');

  const upload = async (kind: string, body: string) => {
    const r = await inject('org-b/analyst', 'POST', `/api/uploads?kind=${kind}`, body + '\n', { 'content-type': 'application/octet-stream' });
    assert.equal(r.statusCode, 201, r.body);
  };
  await upload('scopus', scopus('2-s2.0-85000000302', 'Gained a DOI in an upload', ''));
  assert.deepEqual(await told('org-b/analyst', 'Gained a DOI in an upload'), ['scopus:2-s2.0-85000000302']);
  await upload('scopus', scopus('2-s2.0-85000000302', 'Gained a DOI in an upload', '10.5555/alerts.gained-upload'));
  const copy = JSON.parse(work('W7302', 2025, ['leuven', 'hit'], 'Gained a DOI in an upload')) as { doi: string };
  copy.doi = '10.5555/alerts.gained-upload';
  await upload('openalex', JSON.stringify(copy));
  assert.deepEqual(await told('org-b/analyst', 'Gained a DOI in an upload'), ['scopus:2-s2.0-85000000302'], 'the same work, told once');
});
