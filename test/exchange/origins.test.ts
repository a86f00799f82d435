import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import type { AppDb } from '../../src/appdb/db.ts';
import { feedIdentity, keyIdOf, writeFeed } from '../../src/exchange/feed.ts';
import { parseFeedOrigins } from '../../src/exchange/origins.ts';
import { pullSubscription } from '../../src/exchange/pull.ts';
import { ExchangeService } from '../../src/exchange/service.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { openSealedTrail } from '../../src/service/audit.ts';
import type { Actor } from '../../src/service/authorize.ts';
import { tempDir } from '../helpers/fixtures.ts';

// Subscription URLs reach only the origins an administrator allowed (DERISK_EXCHANGE_ALLOW), at
// addresses checked when registering and again, on the address connected to, at every pull.
const PASSWORD = 'a very long password';
let db: AppDb;
let admin: Actor;
let feedServer: Server;
let port: number;
let key: string;
/** Where the test's resolver sends feeds.uni-a.example: a public address, or (rebinding) loopback. */
let answer = '93.184.215.14';
const lookup = ((_host: string, _options: unknown, callback: (e: null, found: { address: string; family: number }[]) => void) => process.nextTick(() => callback(null, [{ address: answer, family: 4 }]))) as never;

before(async () => {
  const home = tempDir();
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(raw);
  db = await openSealedTrail(raw, { keyPath: join(home, 'audit.key'), anchorPath: join(home, 'audit.anchor.json') });
  const accounts = new Accounts(db);
  await accounts.createOrganisation(OPERATOR, 'org-a', 'University A');
  await accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'admin@org-a.example', name: 'Admin', role: 'admin', password: PASSWORD });
  admin = (await accounts.login('admin@org-a.example', PASSWORD)).actor;
  // A publisher's feed (no items) served over HTTP on loopback.
  const publisherHome = tempDir();
  const dir = join(tempDir(), 'feed');
  writeFeed(publisherHome, dir, []);
  key = feedIdentity(publisherHome).publicKey;
  feedServer = createServer((req, res) => {
    try {
      res.end(readFileSync(join(dir, String(req.url).split('/').pop()!)));
    } catch {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise<void>((done) => feedServer.listen(0, '127.0.0.1', done));
  port = (feedServer.address() as AddressInfo).port;
});
after(async () => {
  feedServer.close();
  await db.close();
});

const subscribe = (service: ExchangeService, url: string) => service.subscribe(admin, url, key, keyIdOf(key));
const subscriptionAt = async (service: ExchangeService, url: string) => (await service.subscriptions()).find((s) => s.source === url)!;

test('the setting is read strictly: origins and ranges, a path or a bad entry named', () => {
  const allowed = parseFeedOrigins(' https://feeds.uni-a.example , http://10.1.2.3:8080,fd00::/8');
  assert.deepEqual(allowed.origins, ['https://feeds.uni-a.example', 'http://10.1.2.3:8080']);
  assert.deepEqual(allowed.destinations.allowInternal, ['10.1.2.3/32', 'fd00::/8'], 'an origin written as an address allows that address');
  assert.throws(() => parseFeedOrigins('https://feeds.uni-a.example/exchange/feed/'), /DERISK_EXCHANGE_ALLOW: "https:\/\/feeds.uni-a.example\/exchange\/feed\/" is not an origin/);
  assert.throws(() => parseFeedOrigins('feeds.uni-a.example'), /is not an address range/);
});

test('by default no URL is subscribed to; an origin not allowed is refused with the reason, and nothing is recorded', async () => {
  const url = `http://127.0.0.1:${port}/exchange/feed/`;
  await assert.rejects(subscribe(new ExchangeService(db, new Set()), url), /http:\/\/127\.0\.0\.1:\d+ is not an origin this installation pulls feeds from \(none is allowed; an administrator names them in DERISK_EXCHANGE_ALLOW\)/);
  await assert.rejects(subscribe(new ExchangeService(db, new Set(), parseFeedOrigins('https://feeds.uni-a.example')), url), /allowed: https:\/\/feeds\.uni-a\.example;/);
  // The same host on another port, or the other scheme, is another origin.
  await assert.rejects(subscribe(new ExchangeService(db, new Set(), parseFeedOrigins(`http://127.0.0.1:${port + 1}`)), url), /is not an origin/);
  assert.deepEqual(await new ExchangeService(db, new Set()).subscriptions(), []);
});

test('an allowed origin is subscribed to and pulled; taken off the list later, its next pull is refused with the reason', async () => {
  const url = `http://127.0.0.1:${port}/exchange/feed/`;
  const service = new ExchangeService(db, new Set(), parseFeedOrigins(`http://127.0.0.1:${port}`));
  await subscribe(service, url);
  const pulled = await pullSubscription(service, admin, await subscriptionAt(service, url));
  assert.equal(pulled.status, 'pulled', JSON.stringify(pulled));
  const later = new ExchangeService(db, new Set(), parseFeedOrigins('https://feeds.uni-a.example'));
  const refused = await pullSubscription(later, admin, await subscriptionAt(later, url));
  assert.equal(refused.status, 'refused');
  assert.match((refused as { reason: string }).reason, /is not an origin this installation pulls feeds from/);
  const kept = (await subscriptionAt(later, url)).lastOutcome as { refused?: string } | null;
  assert.match(kept?.refused ?? '', /not an origin/, 'the reason stays on the subscription');
});

test('an allowed origin whose name resolves inward is refused at registration, and at the pull when it starts to (DNS rebinding)', async () => {
  const origin = `http://feeds.uni-a.example:${port}`;
  const url = `${origin}/exchange/feed/`;
  const service = new ExchangeService(db, new Set(), parseFeedOrigins(origin, lookup));
  answer = '10.0.0.7';
  await assert.rejects(subscribe(service, url), /derisk pulls no feeds from feeds\.uni-a\.example: it resolves to 10\.0\.0\.7 is private \(an administrator may allow internal ranges with DERISK_EXCHANGE_ALLOW\)/);
  answer = '93.184.215.14';
  await subscribe(service, url);
  // Now the name answers with loopback: the connection is refused before it is made, on the address it would use.
  answer = '127.0.0.1';
  const refused = await pullSubscription(service, admin, await subscriptionAt(service, url));
  assert.equal(refused.status, 'refused');
  assert.match((refused as { reason: string }).reason, /derisk pulls no feeds from feeds\.uni-a\.example: it resolves to 127\.0\.0\.1 is loopback/);
  // Allowed to reach loopback, the same name is pulled from this very server.
  const inward = new ExchangeService(db, new Set(), parseFeedOrigins(`${origin},127.0.0.0/8`, lookup));
  assert.equal((await pullSubscription(inward, admin, await subscriptionAt(inward, url))).status, 'pulled');
});

test('an internal address literal is refused unless its origin names it; a redirect is not followed', async () => {
  const redirecting = createServer((_req, res) => {
    res.statusCode = 302;
    res.setHeader('location', `http://127.0.0.1:${port}/exchange/feed/manifest.json`);
    res.end();
  });
  await new Promise<void>((done) => redirecting.listen(0, '127.0.0.1', done));
  try {
    const other = (redirecting.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${other}/feed/`;
    const service = new ExchangeService(db, new Set(), parseFeedOrigins(`http://127.0.0.1:${other}`));
    await subscribe(service, url);
    const refused = await pullSubscription(service, admin, await subscriptionAt(service, url));
    assert.equal(refused.status, 'refused');
    assert.match((refused as { reason: string }).reason, /answered 302 \(a redirect, not followed\)/);
    // An origin given by name does not allow the loopback address it is reached at.
    const named = `http://localhost:${port}`;
    await assert.rejects(subscribe(new ExchangeService(db, new Set(), parseFeedOrigins(named)), `${named}/exchange/feed/`), /derisk pulls no feeds from localhost: a loopback name/);
  } finally {
    redirecting.close();
  }
});
