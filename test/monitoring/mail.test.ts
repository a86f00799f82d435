import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { recordAlerts, type NewAlert } from '../../src/monitoring/alerts.ts';
import { MailSender, MailSettings } from '../../src/monitoring/mail.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import type { Actor } from '../../src/service/authorize.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { testService, type TestService } from '../helpers/service.ts';
import { TestSmtp } from '../helpers/smtp.ts';

// Alerts by mail against a local SMTP server: two users of one organisation and one of another.
// The sender runs on a clock the tests move, so retries and the digest's day are theirs to drive.
const PUBLIC = 'https://derisk.example';
const PASSWORD = 'correct horse battery staple';

let store: Store;
let service: TestService;
let smtp: TestSmtp;
let smtpUrl: string;
let settings: MailSettings;
const actors: Record<string, Actor> = {};
let clock = Date.parse('2026-03-02T09:00:00Z');
const iso = () => new Date(clock).toISOString();

before(async () => {
  store = await Store.open(join(tempDir(), 'derisk.duckdb'));
  // The server itself sends no mail here (no mail settings): the tests' senders do.
  service = await testService(store, { monitoring: { deliveryIntervalMs: 3_600_000, checkIntervalMs: 3_600_000 } });
  for (const [org, name] of [
    ['org-a', 'alice'],
    ['org-a', 'bob'],
    ['org-b', 'carol'],
  ] as const) {
    if (!(await service.db.query('SELECT 1 FROM organisations WHERE id = $1', [org]))[0]) await service.accounts.createOrganisation(OPERATOR, org, org.toUpperCase());
    await service.accounts.createUser(OPERATOR, { orgId: org, email: `${name}@${org}.example`, name, role: 'analyst', password: PASSWORD });
    actors[name] = (await service.accounts.login(`${name}@${org}.example`, PASSWORD)).actor;
  }
  smtp = new TestSmtp();
  smtpUrl = await smtp.start();
  settings = new MailSettings(service.db, true);
  await service.app.ready();
});

after(async () => {
  await smtp.stop();
  await service.close();
  store.close();
});

let n = 0;
const alert = (orgId: string, userId = ''): NewAlert => {
  n++;
  return { orgId, userId, kind: 'reassessment-due', dedupKey: `mail-test:${n}`, title: `Case ${n}: re-assessment due`, subject: `Case ${n}`, evidence: { n }, link: `/api/assessments/a${n}` };
};
const record = (alerts: NewAlert[]) => service.db.transaction((tx) => recordAlerts(tx, alerts, iso()));
const sender = (options: Partial<ConstructorParameters<typeof MailSender>[1]> = {}) => new MailSender(service.db, { smtpUrl, from: 'derisk <alerts@derisk.example>', publicUrl: PUBLIC, schedule: [5, 60], now: () => clock, ...options });
const mailsTo = (name: string) => smtp.received.filter((m) => m.to.some((t) => t.startsWith(`${name}@`)));
const token = async (name: string) => (await service.db.query<{ unsubscribe_token: string }>('SELECT unsubscribe_token FROM mail_subscriptions WHERE user_id = $1', [actors[name]!.userId]))[0]!.unsubscribe_token;

test('an alert is mailed once, immediately, to the subscribers of its organisation, with RFC 8058 one-click unsubscribe', async () => {
  await settings.set(actors.alice!, 'immediate');
  await settings.set(actors.carol!, 'immediate');
  const mailer = sender();
  try {
    const [org] = await record([alert('org-a')]);
    // Bob's own alert is bob's alone: it reaches no other user's mail (bob takes no mail either).
    await record([alert('org-a', actors.bob!.userId)]);
    await mailer.drain();
    await mailer.drain();
    const mails = mailsTo('alice');
    assert.equal(mails.length, 1, 'one mail, not repeated by a second pass');
    assert.equal(mailsTo('carol').length, 0, 'another organisation’s alert is not mailed to its users');
    assert.equal(mailsTo('bob').length, 0);
    const m = mails[0]!;
    assert.match(m.headers.get('subject')!, /^derisk: Case \d+: re-assessment due$/);
    assert.equal(m.headers.get('list-unsubscribe'), `<${PUBLIC}/unsubscribe/${await token('alice')}>`);
    assert.equal(m.headers.get('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
    assert.match(m.body, new RegExp(`${PUBLIC}/api/assessments/a\\d+`), 'a relative link is made absolute');
    const row = (await service.db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM alert_deliveries WHERE alert_id = $1 AND webhook_id = $2', [org!.id, `mail:${actors.alice!.userId}`]))[0]!;
    assert.deepEqual({ status: row.status, attempts: Number(row.attempts) }, { status: 'delivered', attempts: 1 });
  } finally {
    await mailer.stop();
    await settings.set(actors.alice!, 'off');
    await settings.set(actors.carol!, 'off');
  }
});

test('the digest gathers a day’s alerts into one mail, sent when the day is over', async () => {
  await settings.set(actors.bob!, 'digest');
  const mailer = sender();
  const before = mailsTo('bob').length;
  try {
    clock = Date.parse('2026-03-03T08:00:00Z');
    const first = await record([alert('org-a'), alert('org-a')]);
    clock = Date.parse('2026-03-03T17:30:00Z');
    const later = await record([alert('org-a', actors.bob!.userId)]);
    await mailer.drain();
    assert.equal(mailsTo('bob').length, before, 'nothing before the day is over');
    clock = Date.parse('2026-03-04T00:00:01Z');
    const next = await record([alert('org-a')]);
    await mailer.drain();
    await mailer.drain();
    const mails = mailsTo('bob').slice(before);
    assert.equal(mails.length, 1, 'one mail for the day');
    assert.equal(mails[0]!.headers.get('subject'), 'derisk: 3 alerts of 2026-03-03');
    const titles = [...first, ...later].map((a) => a.id);
    const delivered = await service.db.query<{ alert_id: string }>("SELECT alert_id FROM alert_deliveries WHERE webhook_id = $1 AND status = 'delivered'", [`mail:${actors.bob!.userId}`]);
    assert.deepEqual(delivered.map((r) => r.alert_id).sort(), titles.sort());
    for (const i of [n - 3, n - 2, n - 1]) assert.ok(mails[0]!.body.includes(`Case ${i}: re-assessment due`), `alert ${i} in the digest`);
    assert.ok(!mails[0]!.body.includes(`Case ${n}:`), 'the next day’s alert waits for the next digest');
    assert.equal((await service.db.query<{ status: string }>('SELECT status FROM alert_deliveries WHERE alert_id = $1', [next[0]!.id]))[0]!.status, 'pending');
  } finally {
    await mailer.stop();
  }
});

test('the one-click POST stops further mail, with an audit entry; a wrong or guessed token opens nothing', async () => {
  await settings.set(actors.bob!, 'immediate');
  const mailer = sender();
  try {
    const t = await token('bob');
    const post = (path: string) => service.app.inject({ method: 'POST', url: path, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    assert.equal((await post(`/unsubscribe/drku_${'A'.repeat(32)}`)).statusCode, 404);
    assert.equal((await post(`/unsubscribe/${t.slice(0, -1)}`)).statusCode, 404);
    const r = await post(`/unsubscribe/${t}`);
    assert.equal(r.statusCode, 200, r.body);
    assert.equal((await settings.get(actors.bob!)).mode, 'off');
    const audit = await service.db.query<{ actor: string; action: string }>("SELECT actor, action FROM audit WHERE action = 'mail.unsubscribe'");
    assert.deepEqual(
      audit.map((a) => [a.actor, a.action]),
      [[actors.bob!.userId, 'mail.unsubscribe']],
    );
    // Pending mail (yesterday's alert waiting for the digest) is cancelled, and new alerts queue none.
    const before = mailsTo('bob').length;
    await record([alert('org-a')]);
    clock += 2 * 86_400_000;
    await mailer.drain();
    assert.equal(mailsTo('bob').length, before);
    assert.equal(Number((await service.db.query<{ n: number }>("SELECT count(*) AS n FROM alert_deliveries WHERE webhook_id = $1 AND status = 'pending'", [`mail:${actors.bob!.userId}`]))[0]!.n), 0);
    // Again: the same answer, nothing more in the trail.
    assert.equal((await post(`/unsubscribe/${t}`)).statusCode, 200);
    assert.equal((await service.db.query("SELECT 1 FROM audit WHERE action = 'mail.unsubscribe'")).length, 1);
    // Subscribing again makes a new address; the old one no longer opens anything.
    await settings.set(actors.bob!, 'immediate');
    assert.notEqual(await token('bob'), t);
    assert.equal((await post(`/unsubscribe/${t}`)).statusCode, 404);
  } finally {
    await mailer.stop();
    await settings.set(actors.bob!, 'off');
  }
});

test('a click on the mail’s unsubscribe link (a GET, as a link scanner’s too) opens a page whose button POSTs; the GET itself changes nothing and shows nothing of the user', async () => {
  await settings.set(actors.alice!, 'immediate');
  try {
    const t = await token('alice');
    const page = await service.app.inject({ method: 'GET', url: `/unsubscribe/${t}` });
    assert.equal(page.statusCode, 200, page.body);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.match(page.body, /<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Stop alert mails<\/button><\/form>/);
    assert.doesNotMatch(page.body, /alice|org-a|ORG-A/i, 'nothing of the user is shown');
    assert.equal((await settings.get(actors.alice!)).mode, 'immediate', 'the GET unsubscribes nobody');
    assert.equal((await service.db.query("SELECT 1 FROM audit WHERE action = 'mail.unsubscribe' AND actor = $1", [actors.alice!.userId])).length, 0);
    for (const wrong of [`drku_${'A'.repeat(32)}`, t.slice(0, -1), 'x'.repeat(100)]) {
      const refused = await service.app.inject({ method: 'GET', url: `/unsubscribe/${wrong}` });
      assert.equal(refused.statusCode, 404);
      assert.doesNotMatch(refused.body, /<form/);
    }
    // The button's POST, as a browser sends the form, stops the mail.
    const posted = await service.app.inject({ method: 'POST', url: `/unsubscribe/${t}`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    assert.equal(posted.statusCode, 200, posted.body);
    assert.equal((await settings.get(actors.alice!)).mode, 'off');
  } finally {
    await settings.set(actors.alice!, 'off');
  }
});

test('a mail server that is down is retried on the schedule; one that hangs holds up neither the server nor the next tick', async () => {
  await settings.set(actors.alice!, 'immediate');
  // A server that takes connections and never greets.
  const sockets = new Set<Socket>();
  const hanging = createServer((s) => sockets.add(s));
  await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
  const hangPort = (hanging.address() as AddressInfo).port;
  const stuck = sender({ smtpUrl: `smtp://127.0.0.1:${hangPort}`, timeoutMs: 60_000 });
  // A port nobody listens on, then a server there.
  const down = new TestSmtp();
  const downUrl = await down.start();
  await down.stop();
  const mailer = sender({ smtpUrl: downUrl });
  try {
    const [a] = await record([alert('org-a')]);
    const target = `mail:${actors.alice!.userId}`;
    const row = async () => (await service.db.query<{ status: string; attempts: number; last_error: string | null; next_attempt_at: string }>('SELECT status, attempts, last_error, next_attempt_at FROM alert_deliveries WHERE alert_id = $1 AND webhook_id = $2', [a!.id, target]))[0]!;

    await stuck.tick();
    await new Promise<void>((r) => {
      const wait = () => (sockets.size > 0 ? r() : setTimeout(wait, 20));
      wait();
    });
    // The attempt is under way and unanswered; the server answers, and the tick that started it has returned.
    assert.equal((await service.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    assert.equal((await row()).status, 'pending');

    await mailer.drain();
    let r = await row();
    assert.equal(r.status, 'pending');
    assert.equal(Number(r.attempts), 1);
    assert.match(r.last_error ?? '', /ECONNREFUSED|connect/i);
    assert.equal(r.next_attempt_at, new Date(clock + 5000).toISOString());
    await mailer.drain();
    assert.equal(Number((await row()).attempts), 1, 'not retried before its time');

    const before = mailsTo('alice').length;
    await down.start(down.port);
    clock += 5000;
    const revived = sender({ smtpUrl: downUrl });
    await revived.drain();
    await revived.stop();
    r = await row();
    assert.equal(r.status, 'delivered');
    assert.equal(Number(r.attempts), 2);
    assert.equal(down.received.length, 1);
    assert.equal(mailsTo('alice').length, before, 'the mail went to the server that came back');
  } finally {
    for (const s of sockets) s.destroy();
    hanging.close();
    await stuck.stop();
    await mailer.stop();
    await down.stop();
    await settings.set(actors.alice!, 'off');
  }
});

test('HTTP: a user reads and sets their own mail mode; an installation without a mail server refuses a subscription and says what to set', async () => {
  const call = (method: 'GET' | 'PUT', payload?: object) => service.app.inject({ method, url: '/api/alerts/mail', headers: { authorization: `Bearer ${service.token}` }, payload });
  assert.deepEqual((await call('GET')).json(), { mode: 'off', configured: false });
  const refused = await call('PUT', { mode: 'digest' });
  assert.equal(refused.statusCode, 400);
  assert.match(refused.json().message, /DERISK_SMTP_URL/);
  assert.equal((await call('PUT', { mode: 'weekly' })).statusCode, 400);
  assert.equal((await call('PUT', { mode: 'off' })).statusCode, 204);
  assert.equal((await service.app.inject({ method: 'GET', url: '/api/alerts/mail' })).statusCode, 401);
});

test('configuration: all three mail settings or none; the public address must be https', () => {
  assert.equal(loadConfig({}).mail, null);
  // The public address alone is the server's address, not half a mail configuration; it must be one.
  assert.deepEqual([loadConfig({ DERISK_PUBLIC_URL: `${PUBLIC}/` }).publicUrl, loadConfig({ DERISK_PUBLIC_URL: PUBLIC }).mail], [PUBLIC, null]);
  for (const bad of ['derisk.example', 'ftp://derisk.example', `${PUBLIC}/?next=x`]) assert.throws(() => loadConfig({ DERISK_PUBLIC_URL: bad }), /DERISK_PUBLIC_URL=.*give the http\(s\) address users reach derisk at/);
  assert.throws(() => loadConfig({ DERISK_SMTP_URL: 'smtp://mail.example:587' }), /DERISK_MAIL_FROM and DERISK_PUBLIC_URL are not set/);
  assert.deepEqual(loadConfig({ DERISK_SMTP_URL: 'smtp://mail.example:587', DERISK_MAIL_FROM: 'derisk <d@example.org>', DERISK_PUBLIC_URL: PUBLIC }).mail, { smtpUrl: 'smtp://mail.example:587', from: 'derisk <d@example.org>', publicUrl: PUBLIC });
  assert.throws(() => sender({ publicUrl: 'http://derisk.example' }), /must be an https address/);
});
