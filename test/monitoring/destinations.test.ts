import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import type { AppDb } from '../../src/appdb/db.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { AlertInbox, recordAlerts } from '../../src/monitoring/alerts.ts';
import { checkDestination, parseAllowList, refusal, type DestinationPolicy } from '../../src/monitoring/destinations.ts';
import { WebhookSender } from '../../src/monitoring/webhooks.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { openSealedTrail } from '../../src/service/audit.ts';
import type { Actor } from '../../src/service/authorize.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { LOOPBACK_RECEIVERS } from '../helpers/receivers.ts';

/** A resolver answering from a table, and each name's answers in turn (a rebinding DNS server). */
function resolver(answers: Record<string, string[]>) {
  const asked = new Map<string, number>();
  return ((host: string, _options: unknown, callback: (e: NodeJS.ErrnoException | null, found: LookupAddress[]) => void) => {
    const list = answers[host];
    if (!list) return process.nextTick(() => callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' }), []));
    const n = asked.get(host) ?? 0;
    asked.set(host, n + 1);
    const address = list[Math.min(n, list.length - 1)]!;
    process.nextTick(() => callback(null, [{ address, family: address.includes(':') ? 6 : 4 }]));
  }) as unknown as DestinationPolicy['lookup'];
}

test('webhook destinations: loopback, private, link-local, metadata and their IPv6 and disguised forms are refused; public addresses pass', async () => {
  const refused = [
    'http://127.0.0.1/hook',
    'http://127.0.0.2:8080/',
    'http://2130706433/', // 127.0.0.1 in decimal
    'http://0177.0.0.1/', // octal
    'http://0x7f.1/', // hex, short form
    'http://127.1/',
    'http://0.0.0.0/',
    'http://[::1]/',
    'http://[::]/',
    'http://[::ffff:127.0.0.1]/', // IPv4-mapped loopback
    'http://[0:0:0:0:0:ffff:7f00:1]/',
    'http://[::ffff:169.254.169.254]/',
    'http://169.254.169.254/latest/meta-data/', // cloud metadata
    'http://[64:ff9b::a9fe:a9fe]/', // metadata through NAT64
    'http://[2002:a9fe:a9fe::]/', // metadata through 6to4
    'http://[fd00:ec2::254]/', // AWS metadata over IPv6 (unique local)
    'http://[fe80::1]/',
    'http://10.1.2.3/',
    'http://172.16.0.1/',
    'http://192.168.1.1/',
    'http://100.64.0.1/',
    'http://224.0.0.1/',
    'http://localhost/',
    'http://localhost./', // a trailing dot is the same name
    'http://LOCALHOST:8720/',
    'http://admin.localhost/',
    'http://intranet.example.org/', // a name that resolves to a private address
    'http://dual.example.org/', // one public and one loopback address: refused as a whole
  ];
  const lookup = resolver({ 'intranet.example.org': ['10.0.0.5'], 'dual.example.org': ['93.184.215.14', '::1'], 'receiver.example.org': ['93.184.215.14'] });
  // The dual-stack name answers both at once.
  const dual = ((host: string, o: unknown, cb: (e: null, f: LookupAddress[]) => void) =>
    host === 'dual.example.org'
      ? process.nextTick(() =>
          cb(null, [
            { address: '93.184.215.14', family: 4 },
            { address: '::1', family: 6 },
          ]),
        )
      : lookup!(host, o as never, cb as never)) as unknown as DestinationPolicy['lookup'];
  for (const url of refused) {
    await assert.rejects(checkDestination(url, { lookup: dual }), (e: Error & { statusCode?: number }) => e.statusCode === 400 && /sends no alerts|loopback/.test(e.message), url);
  }
  assert.equal((await checkDestination('https://receiver.example.org/hooks/derisk', { lookup: dual })).href, 'https://receiver.example.org/hooks/derisk');
  assert.equal((await checkDestination('http://93.184.215.14/x', {})).hostname, '93.184.215.14');
  assert.equal((await checkDestination('http://[2606:4700::1111]/x', {})).hostname, '[2606:4700::1111]');
  await assert.rejects(checkDestination('http://nowhere.invalid/', { lookup: dual }), /does not resolve/);
  await assert.rejects(checkDestination('ftp://example.org/x'), /http\(s\)/);
  await assert.rejects(checkDestination('https://user:pw@example.org/x'), /without credentials/);
  assert.match(refusal('169.254.169.254')!, /metadata/);
});

test('webhook destinations: an administrator allows named internal ranges, nothing more', async () => {
  assert.deepEqual(parseAllowList(' 127.0.0.1/32, fd12::/16 '), ['127.0.0.1/32', 'fd12::/16']);
  assert.deepEqual(parseAllowList(undefined), []);
  assert.throws(() => parseAllowList('127.0.0.1/33'), /not an address range/);
  assert.throws(() => parseAllowList('intranet'), /not an address range/);
  const policy = { allowInternal: ['127.0.0.1/32', '10.20.0.0/16'] };
  assert.equal(refusal('127.0.0.1', policy), null);
  assert.equal(refusal('::ffff:127.0.0.1', policy), null, 'the mapped form is the same address');
  assert.equal(refusal('10.20.3.4', policy), null);
  assert.match(refusal('127.0.0.2', policy)!, /loopback/);
  assert.match(refusal('10.21.0.1', policy)!, /private/);
  assert.match(refusal('169.254.169.254', policy)!, /metadata/);
  await assert.rejects(checkDestination('http://localhost:9/', { allowInternal: ['10.0.0.0/8'] }), /loopback/);
});

let db: AppDb;
let inbox: AlertInbox;
let officer: Actor;
let receiver: Server;
let port: number;
const received: string[] = [];

before(async () => {
  const home = tempDir();
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(raw);
  db = await openSealedTrail(raw, { keyPath: join(home, 'audit.key'), anchorPath: join(home, 'audit.anchor.json') });
  const accounts = new Accounts(db);
  await accounts.createOrganisation(OPERATOR, 'org-a', 'A');
  await accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'officer@a.example', name: 'Officer', role: 'officer', password: 'correct horse battery staple' });
  officer = (await accounts.login('officer@a.example', 'correct horse battery staple')).actor;
  inbox = new AlertInbox(db);
  receiver = createServer((req, res) => {
    received.push(req.url!);
    if (req.url === '/redirect') return res.writeHead(307, { location: `http://127.0.0.1:${port}/after-redirect` }).end();
    res.writeHead(200).end();
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  port = (receiver.address() as AddressInfo).port;
});

after(async () => {
  receiver.close();
  await db.close();
});

/** One alert for org-a, so every endpoint of org-a has a delivery to make. */
async function oneAlert(key: string): Promise<string> {
  const [added] = await db.transaction((tx) => recordAlerts(tx, [{ orgId: 'org-a', userId: '', kind: 'reassessment-due', dedupKey: key, title: key, subject: key, evidence: {}, link: '/x' }]));
  return added!.id;
}

const deliveryOf = async (alertId: string) => (await db.query<{ status: string; last_error: string | null }>('SELECT status, last_error FROM alert_deliveries WHERE alert_id = $1', [alertId]))[0]!;

test('webhook delivery: a name re-pointed at loopback after registration (DNS rebinding) is refused on the address it resolves to now', async () => {
  // Registered while the name answered with a public address; then it answers 127.0.0.1.
  const lookup = resolver({ 'rebind.example.org': ['93.184.215.14', '127.0.0.1'] });
  const { id: hook } = await new AlertInbox(db, { lookup }).addWebhook(officer, `http://rebind.example.org:${port}/rebound`);
  const alert = await oneAlert('rebind');
  await new WebhookSender(db, { destinations: { lookup } }).drain();
  assert.deepEqual(
    received.filter((u) => u === '/rebound'),
    [],
    'nothing reached the loopback receiver',
  );
  const refused = await deliveryOf(alert);
  assert.equal(refused.status, 'pending', 'kept for a retry: the name may point outside again');
  assert.match(refused.last_error!, /127\.0\.0\.1 is loopback/);

  // The same delivery with the administrator's opt-in for 127.0.0.1 reaches the receiver: the refusal above was the guard's.
  await db.query('UPDATE alert_deliveries SET next_attempt_at = $1 WHERE alert_id = $2', [new Date(0).toISOString(), alert]);
  await new WebhookSender(db, { destinations: { ...LOOPBACK_RECEIVERS, lookup } }).drain();
  assert.deepEqual(
    received.filter((u) => u === '/rebound'),
    ['/rebound'],
  );
  assert.equal((await deliveryOf(alert)).status, 'delivered');
  await inbox.removeWebhook(officer, hook);
});

test('webhook delivery: an endpoint stored with a loopback literal is refused at delivery too; a redirect is not followed', async () => {
  // As if written before the guard existed: registration would refuse it now.
  await assert.rejects(inbox.addWebhook(officer, `http://[::ffff:127.0.0.1]:${port}/literal`), /loopback/);
  await db.query('INSERT INTO webhooks (id, org_id, url, secret, created_by, created_at, disabled, disabled_reason) VALUES ($1, $2, $3, $4, $5, $6, false, NULL)', [
    '00000000-0000-4000-8000-000000000001',
    'org-a',
    `http://[::ffff:127.0.0.1]:${port}/literal`,
    `whsec_${Buffer.alloc(32).toString('base64')}`,
    officer.userId,
    new Date().toISOString(),
  ]);
  const alert = await oneAlert('literal');
  await new WebhookSender(db).drain();
  assert.deepEqual(
    received.filter((u) => u === '/literal'),
    [],
  );
  assert.match((await deliveryOf(alert)).last_error!, /loopback/);
  await inbox.removeWebhook(officer, '00000000-0000-4000-8000-000000000001');

  const { id: hook } = await new AlertInbox(db, LOOPBACK_RECEIVERS).addWebhook(officer, `http://127.0.0.1:${port}/redirect`);
  const redirected = await oneAlert('redirect');
  await new WebhookSender(db, { destinations: LOOPBACK_RECEIVERS }).drain();
  assert.deepEqual(
    received.filter((u) => u === '/redirect' || u === '/after-redirect'),
    ['/redirect'],
    'the redirect target was not requested',
  );
  const d = await deliveryOf(redirected);
  assert.equal(d.status, 'pending');
  assert.match(d.last_error!, /307 redirect .*follows no redirects/);
  await inbox.removeWebhook(officer, hook);
});
