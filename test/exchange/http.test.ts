import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { after, before, test } from 'node:test';
import { feedIdentity } from '../../src/exchange/feed.ts';
import { parseFeedOrigins, type FeedOrigins } from '../../src/exchange/origins.ts';
import { EXCHANGE_SCHEDULER, pullDue } from '../../src/exchange/pull.ts';
import { ExchangeService, type ReceivedItem, type SharedCorrection } from '../../src/exchange/service.ts';
import { stixBundle } from '../../src/exchange/stix.ts';
import { mispEvents, receivedCorrection } from '../../src/exchange/misp.ts';
import { exchangeCommand } from '../../src/cli/exchange.ts';
import { runAs } from '../../src/cli/io.ts';
import { loadFtmTopics, type FtmEntity } from '../../src/exchange/ftm.ts';
import { GREEN_CASE } from '../helpers/cases.ts';
import { ftmModel, problems } from '../helpers/ftm-schema.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { EUROPE } from '../../src/regions/countries.ts';
import type { AppDb, Param } from '../../src/appdb/db.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { SESSION_COOKIE } from '../../src/server/auth.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { verifyAudit } from '../../src/service/audit.ts';
import { ROLES, type Actor } from '../../src/service/authorize.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { addMembers, testService, type TestService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

const PASSWORD = 'a very long password';
const ENTRIES = [{ id: 'tsinghua', name: 'Tsinghua University', level: 'very-high', country: 'CN' }];

interface Installation {
  store: Store;
  service: TestService;
  base: string;
  tokens: Record<string, string>;
  /** Each member's browser session (cookie and CSRF token): subscribing takes one, an API token cannot. */
  sessions: Record<string, Record<string, string>>;
  /** DERISK_HOME: the feed key and published feed. */
  home: string;
}

/** An installation with two organisations, a user of every role in each, listening on loopback. */
async function installation(monitoring?: { checkIntervalMs: number }, feeds?: FeedOrigins): Promise<Installation> {
  const home = tempDir();
  const store = await landscapeStore(home);
  await saveLists(store, [readWatchlist(watchlist(ENTRIES))]);
  await screenPending(store, await screeningContext(store));
  const service = await testService(store, { home, exchange: { feeds }, monitoring: { deliveryIntervalMs: 3_600_000, checkIntervalMs: monitoring?.checkIntervalMs ?? 3_600_000 } });
  const tokens: Record<string, string> = {};
  const sessions: Record<string, Record<string, string>> = {};
  for (const org of ['org-a', 'org-b']) {
    await service.accounts.createOrganisation(OPERATOR, org, org === 'org-a' ? 'University A' : 'University B');
    for (const role of ROLES) {
      const email = `${role}@${org}.example`;
      await service.accounts.createUser(OPERATOR, { orgId: org, email, name: `${role} of ${org}`, role, password: PASSWORD });
      const { actor, session, csrf } = await service.accounts.login(email, PASSWORD);
      tokens[`${org}/${role}`] = (await service.accounts.createToken(actor, 'test')).token;
      sessions[`${org}/${role}`] = { cookie: `${SESSION_COOKIE}=${session}`, 'x-csrf-token': csrf };
    }
  }
  const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
  return { store, service, base, tokens, sessions, home };
}

async function call(i: Installation, who: string, method: string, path: string, body?: unknown, credential: Record<string, string> = { authorization: `Bearer ${i.tokens[who]}` }): Promise<{ status: number; json: any }> {
  const res = await fetch(`${i.base}${path}`, { method, headers: { ...credential, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}
/** As `call`, in the member's browser session. */
const inSession = (i: Installation, who: string, method: string, path: string, body?: unknown) => call(i, who, method, path, body, i.sessions[who]);
const expect = async (p: Promise<{ status: number; json: any }>, status: number) => {
  const r = await p;
  assert.equal(r.status, status, JSON.stringify(r.json));
  return r.json;
};

let a: Installation;
let b: Installation;

before(async () => {
  a = await installation();
  // B's monitoring pass runs often: its scheduled pulls are seen without waiting a quarter of an hour; B pulls feeds from A's origin only.
  b = await installation({ checkIntervalMs: 150 }, parseFeedOrigins(a.base));
});
after(async () => {
  for (const i of [a, b]) {
    await i.service.close();
    i.store.close();
  }
});

test('sharing over HTTP: analysts write notes and decisions, officers and admins share and unshare, other organisations and viewers are refused, every change audited', async () => {
  const note = (await expect(call(a, 'org-a/analyst', 'POST', '/api/exchange/notes', { subject: { kind: 'entry', value: 'my-watchlist/tsinghua' }, text: 'Joint lab with defence links', opinion: 85 }), 201)).id as string;
  await expect(call(a, 'org-a/viewer', 'POST', '/api/exchange/notes', { subject: { kind: 'name', value: 'X' }, text: 'viewers write nothing' }), 403);
  assert.match((await expect(call(a, 'org-a/analyst', 'POST', '/api/exchange/notes', { subject: { kind: 'entry', value: 'my-watchlist/nobody' }, text: 'x' }), 400)).message, /list my-watchlist has no entry nobody/);
  const decision = (await expect(call(a, 'org-a/analyst', 'POST', '/api/exchange/namesakes', { name: 'Tsinghua University', entry: 'my-watchlist/tsinghua', reason: 'National Tsing Hua University in Hsinchu, Taiwan' }), 201)).id as string;

  // Sharing takes an officer (data/service/permissions.json): the analyst and viewer are refused.
  for (const who of ['org-a/viewer', 'org-a/analyst']) await expect(call(a, who, 'PUT', `/api/exchange/sharing/note/${note}`, { distribution: 'community', tlp: 'green' }), 403);
  // Another organisation's officer and admin: the note does not exist for them.
  for (const who of ['org-b/officer', 'org-b/admin']) {
    assert.match((await expect(call(a, who, 'PUT', `/api/exchange/sharing/note/${note}`, { distribution: 'everyone', tlp: 'clear' }), 404)).message, /no note .* of your organisation/);
    await expect(call(a, who, 'DELETE', `/api/exchange/sharing/note/${note}`), 404);
  }
  await expect(call(a, 'org-a/officer', 'PUT', `/api/exchange/sharing/note/${note}`, { distribution: 'purple', tlp: 'green' }), 400);
  await expect(call(a, 'org-a/officer', 'PUT', `/api/exchange/sharing/note/${note}`, { distribution: 'community', tlp: 'green' }), 200);
  await expect(call(a, 'org-a/admin', 'PUT', `/api/exchange/sharing/namesake/${decision}`, { distribution: 'everyone', tlp: 'clear' }), 200);

  const items = await expect(call(a, 'org-a/viewer', 'GET', '/api/exchange/items'), 200);
  assert.deepEqual(
    items.notes.map((n: any) => [n.id, n.distribution, n.tlp]),
    [[note, 'community', 'green']],
  );
  assert.deepEqual(
    items.namesakes.map((n: any) => [n.id, n.distribution, n.tlp]),
    [[decision, 'everyone', 'clear']],
  );
  assert.deepEqual((await expect(call(a, 'org-b/admin', 'GET', '/api/exchange/items'), 200)).notes, [], "org-b sees none of org-a's items");

  // Unsharing brings it back to the organisation only.
  const temporary = (await expect(call(a, 'org-a/analyst', 'POST', '/api/exchange/notes', { subject: { kind: 'name', value: 'Shadow Partner Ltd' }, text: 'shared by mistake' }), 201)).id as string;
  await expect(call(a, 'org-a/officer', 'PUT', `/api/exchange/sharing/note/${temporary}`, { distribution: 'everyone', tlp: 'clear' }), 200);
  await expect(call(a, 'org-a/officer', 'DELETE', `/api/exchange/sharing/note/${temporary}`), 204);
  const after = (await expect(call(a, 'org-a/viewer', 'GET', '/api/exchange/items'), 200)).notes.find((n: any) => n.id === temporary);
  assert.deepEqual([after.distribution, after.tlp], ['organisation', 'amber+strict']);

  const audit = await a.service.db.query<{ action: string; target: string; org_id: string; detail: string }>("SELECT action, target, org_id, detail FROM audit WHERE action LIKE 'exchange.%' ORDER BY seq");
  assert.deepEqual(
    audit.filter((e) => e.target.endsWith(temporary)).map((e) => e.action),
    ['exchange.note', 'exchange.share', 'exchange.unshare'],
  );
  const unshared = JSON.parse(audit.find((e) => e.action === 'exchange.unshare')!.detail);
  assert.deepEqual(unshared, { from: { distribution: 'everyone', tlp: 'clear' }, to: { distribution: 'organisation', tlp: 'amber+strict' } });
  assert.ok(
    audit.every((e) => e.org_id === 'org-a'),
    'the refused attempts changed nothing and recorded nothing as done',
  );
});

test('/api/screen shows shared namesake decisions beside the hit, which stands; an unshared decision of another organisation is not shown', async () => {
  const screen = async (who: string) => expect(call(a, who, 'GET', `/api/screen?q=${encodeURIComponent('Tsinghua University')}`), 200);
  const r = await screen('org-b/viewer');
  assert.equal(r.state, 'listed');
  assert.equal(r.hits.length, 1, 'a decision never removes a hit');
  assert.equal(r.namesake_decisions.length, 1);
  assert.equal(r.namesake_decisions[0].institutions, 1);
  assert.equal(r.namesake_decisions[0].entryId, 'tsinghua');
  assert.match(r.namesake_decisions[0].decisions[0].reason, /Hsinchu/);
  assert.equal(r.namesake_decisions[0].decisions[0].institution, 'University A');

  // org-b writes its own decision and keeps it: its users see it, org-a's do not.
  await expect(call(a, 'org-b/analyst', 'POST', '/api/exchange/namesakes', { name: 'TSINGHUA UNIVERSITY', entry: 'my-watchlist/tsinghua', reason: 'B-PRIVATE reason' }), 201);
  assert.equal((await screen('org-b/viewer')).namesake_decisions[0].institutions, 2);
  const seenByA = await screen('org-a/viewer');
  assert.equal(seenByA.namesake_decisions[0].institutions, 1);
  assert.ok(!JSON.stringify(seenByA).includes('B-PRIVATE'));
});

test('two servers on loopback: A serves its signed feed over HTTP, B subscribes by URL and pulls; a tampered file, an unknown key and a replayed manifest are refused with the reason', async () => {
  const published = await expect(call(a, 'org-a/admin', 'POST', '/api/exchange/publish', {}), 200);
  assert.equal(published.sequence, 1);
  assert.equal(published.notes, 1);
  assert.equal(published.namesakes, 1);
  await expect(call(a, 'org-a/officer', 'POST', '/api/exchange/publish', {}), 403);
  // TLP:AMBER+STRICT is for one recipient organisation; a feed is read for every organisation of each subscriber.
  await expect(call(a, 'org-a/admin', 'POST', '/api/exchange/publish', { tlp: 'amber+strict' }), 400);
  const url = `${a.base}${published.path}`;
  const key = feedIdentity(a.home).publicKey;
  assert.equal(published.key, key);
  // The feed's files are public, as a MISP feed's; nothing else is opened by the path.
  assert.equal((await fetch(`${url}manifest.json`)).status, 200);
  assert.equal((await fetch(`${url}..%2Fapp.sqlite`)).status, 400);
  assert.equal((await fetch(`${url}00000000-0000-5000-8000-000000000000.json`)).status, 404);

  await expect(inSession(b, 'org-a/officer', 'POST', '/api/exchange/subscriptions', { url, key }), 403);
  await expect(inSession(b, 'org-a/officer', 'POST', '/api/exchange/subscriptions', { url, key: 'not a key' }), 403);
  await expect(inSession(b, 'org-a/admin', 'POST', '/api/exchange/subscriptions', { url: '/etc', key }), 400);
  const sub = await expect(inSession(b, 'org-a/admin', 'POST', '/api/exchange/subscriptions', { url, key }), 201);
  assert.equal(sub.pullEveryMinutes, null);
  const pulled = await expect(call(b, 'org-a/admin', 'POST', `/api/exchange/subscriptions/${sub.id}/pull`), 200);
  assert.equal(pulled.status, 'pulled');
  assert.equal(pulled.report.added, 2);
  const received = await expect(call(b, 'org-b/viewer', 'GET', '/api/exchange/received'), 200);
  assert.deepEqual(received.map((r: any) => r.kind).sort(), ['namesake', 'note']);
  assert.ok(received.every((r: any) => r.originOrg === 'University A' && r.keyId === sub.keyId));
  // On B, the decision received from A is shown beside the hit.
  const screened = await expect(call(b, 'org-b/viewer', 'GET', `/api/screen?q=${encodeURIComponent('Tsinghua University')}`), 200);
  assert.equal(screened.hits.length, 1);
  assert.equal(screened.namesake_decisions[0].decisions[0].publisher, 'derisk installation');
  assert.equal((await expect(call(b, 'org-a/admin', 'POST', `/api/exchange/subscriptions/${sub.id}/pull`), 200)).status, 'up-to-date');

  const feedDir = join(a.home, 'exchange', 'feed');
  const firstCopy = join(tempDir(), 'first');
  cpSync(feedDir, firstCopy, { recursive: true });
  await expect(call(a, 'org-a/officer', 'PUT', `/api/exchange/sharing/note/${(await expect(call(a, 'org-a/analyst', 'POST', '/api/exchange/notes', { subject: { kind: 'ror', value: '03cve4549' }, text: 'second note' }), 201)).id}`, { distribution: 'community', tlp: 'amber' }), 200);
  assert.equal((await expect(call(a, 'org-a/admin', 'POST', '/api/exchange/publish', { tlp: 'amber' }), 200)).sequence, 2);

  // Tampered: an event edited on A's disk after signing.
  const event = readdirSync(feedDir).find((f) => /^[0-9a-f-]{36}\.json$/.test(f))!;
  const original = readFileSync(join(feedDir, event), 'utf8');
  writeFileSync(join(feedDir, event), original.replace('second note', 'edited note'));
  const tampered = await expect(call(b, 'org-a/admin', 'POST', `/api/exchange/subscriptions/${sub.id}/pull`), 422);
  assert.match(tampered.message, /\.json does not match its SHA-256 in the signed manifest \(tampered\)/);
  const kept = (await expect(call(b, 'org-a/admin', 'GET', '/api/exchange/subscriptions'), 200))[0];
  assert.match(kept.lastOutcome.refused, /tampered/, 'the reason stays on the subscription');
  assert.equal((await expect(call(b, 'org-b/viewer', 'GET', '/api/exchange/received'), 200)).length, 2, 'nothing of a refused feed is taken');
  writeFileSync(join(feedDir, event), original);
  assert.equal((await expect(call(b, 'org-a/admin', 'POST', `/api/exchange/subscriptions/${sub.id}/pull`), 200)).report.added, 1);

  // Replayed: A's first feed served again.
  cpSync(firstCopy, feedDir, { recursive: true, force: true });
  assert.match((await expect(call(b, 'org-a/admin', 'POST', `/api/exchange/subscriptions/${sub.id}/pull`), 422)).message, /manifest sequence 1 is not newer than 2, already pulled: a replayed older manifest/);

  // Unknown key: B subscribes to A's URL trusting B's own key.
  const other = await expect(inSession(b, 'org-b/admin', 'POST', '/api/exchange/subscriptions', { url: `${url}?again`, key: feedIdentity(b.home).publicKey }), 201);
  assert.match((await expect(call(b, 'org-b/admin', 'POST', `/api/exchange/subscriptions/${other.id}/pull`), 422)).message, /signed with an unknown key [0-9a-f]{16} \(this subscription trusts [0-9a-f]{16} only\)/);

  const refusals = await b.service.db.query<{ action: string; detail: string }>("SELECT action, detail FROM audit WHERE action = 'exchange.pull.refused' ORDER BY seq");
  assert.deepEqual(
    refusals.map((r) => /tampered|replayed|unknown key/.exec(JSON.parse(r.detail).reason)?.[0]),
    ['tampered', 'replayed', 'unknown key'],
  );
});

test("a scheduled pull is kept with the subscription and run by the server's monitoring pass", async () => {
  const url = `${a.base}/exchange/feed/`;
  const key = feedIdentity(a.home).publicKey;
  await expect(call(a, 'org-a/admin', 'POST', '/api/exchange/publish', { tlp: 'amber' }), 200);
  assert.match((await expect(inSession(b, 'org-a/admin', 'POST', '/api/exchange/subscriptions', { url: `${url}?scheduled`, key, every: 1 }), 400)).message, /every: a whole number of minutes from 5/);
  const sub = await expect(inSession(b, 'org-a/admin', 'POST', '/api/exchange/subscriptions', { url: `${url}?scheduled`, key, every: 60 }), 201);
  assert.equal(sub.pullEveryMinutes, 60);

  // The server's pass (every 150 ms here) finds it due (never pulled) and pulls it.
  let seen = sub;
  while (seen.lastAttemptAt === null) {
    await new Promise((r) => setTimeout(r, 50));
    seen = (await expect(call(b, 'org-a/admin', 'GET', '/api/exchange/subscriptions'), 200)).find((s: any) => s.id === sub.id);
  }
  // Every item was already received through the first subscription: conflicts, kept as first received.
  assert.equal(seen.lastOutcome.added, 0);
  assert.ok(seen.lastOutcome.conflicts > 0);

  // Not due again until its interval has passed since the last attempt.
  const service = new ExchangeService(b.service.db, new Set(), parseFeedOrigins(a.base));
  const last = Date.parse(seen.lastAttemptAt);
  assert.deepEqual(
    (await service.due(new Date(last + 59 * 60_000))).map((s) => s.id),
    [],
  );
  assert.deepEqual(
    (await service.due(new Date(last + 60 * 60_000))).map((s) => s.id),
    [sub.id],
  );
  const outcomes = await pullDue(service, EXCHANGE_SCHEDULER, () => undefined, new Date(last + 60 * 60_000));
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['up-to-date'],
  );

  // Unscheduled: never due.
  await expect(call(b, 'org-a/admin', 'PUT', `/api/exchange/subscriptions/${sub.id}/schedule`, { every: null }), 200);
  assert.deepEqual(
    (await service.due(new Date(last + 1e10))).map((s) => s.id),
    [],
  );
  const audit = await b.service.db.query<{ actor: string; action: string }>('SELECT actor, action FROM audit WHERE target = $1 ORDER BY seq', [sub.id]);
  assert.ok(
    audit.some((e) => e.actor === 'scheduler' && e.action === 'exchange.pull'),
    'the scheduled pull is in the audit trail as the scheduler',
  );
});

/** Sends the headers and a first few bytes of a body that never comes in full: the answer shows whether the server waited for it. */
function partialBody(i: Installation, who: string, method: string, path: string, contentType: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${i.base}${path}`, { method, headers: { authorization: `Bearer ${i.tokens[who]}`, 'content-type': contentType, 'content-length': '100000' } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
      req.destroy();
    });
    req.on('error', reject);
    req.write('{"recipi');
  });
}

async function sendFile(i: Installation, who: string, query: string, body: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${i.base}/api/exchange/import?${query}`, { method: 'POST', headers: { authorization: `Bearer ${i.tokens[who]}`, 'content-type': 'application/json' }, body });
  return { status: res.status, json: await res.json() };
}

const PARTNER_KEY = 'ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

test("restricting an item to named partners over HTTP: administrators of its organisation only; others refused before the body is read; another organisation's id is not found, as one nobody has", async () => {
  const made = await expect(call(a, 'org-a/analyst', 'POST', '/api/match/corrections', { string: 'Beijing Key Lab of Restricted Things', verdict: 'none', reason: 'a provincial label' }), 201);
  await expect(call(a, 'org-a/officer', 'PUT', `/api/exchange/sharing/correction/${made.id}`, { distribution: 'community', tlp: 'green' }), 200);
  const path = `/api/exchange/recipients/correction/${made.id}`;
  for (const who of ['org-a/viewer', 'org-a/analyst', 'org-a/officer']) assert.equal(await partialBody(a, who, 'PUT', path, 'application/json'), 403, `${who} is refused before sending the body`);
  const partner = { recipients: [{ name: 'University C', partner: PARTNER_KEY }] };
  // B's administrator: A's item does not exist for her, exactly like an id nobody made.
  const foreign = await expect(inSession(a, 'org-b/admin', 'PUT', path, partner), 404);
  const nobody = await expect(inSession(a, 'org-b/admin', 'PUT', '/api/exchange/recipients/correction/00000000-0000-4000-8000-000000000000', partner), 404);
  assert.equal(foreign.message.replace(made.id, 'ID'), nobody.message.replace('00000000-0000-4000-8000-000000000000', 'ID'));
  const bad = await expect(inSession(a, 'org-a/admin', 'PUT', path, { recipients: [{ name: 'University C', partner: 'University C' }] }), 400);
  assert.match(bad.message, /recipients\/0\/partner/);
  await expect(inSession(a, 'org-a/admin', 'PUT', '/api/exchange/recipients/assessment/x', partner), 400);

  const done = await expect(inSession(a, 'org-a/admin', 'PUT', path, partner), 200);
  assert.deepEqual(
    done.recipients.map((r: { name: string }) => r.name),
    ['University C'],
  );
  const rows = await a.service.db.query<{ recipient_name: string; org_id: string }>('SELECT recipient_name, org_id FROM exchange_recipients WHERE item_id = $1', [made.id]);
  assert.deepEqual(rows, [{ recipient_name: 'University C', org_id: 'org-a' }]);
  await expect(inSession(a, 'org-a/admin', 'PUT', path, { recipients: [] }), 200);
  assert.deepEqual(await a.service.db.query('SELECT 1 FROM exchange_recipients WHERE item_id = $1', [made.id]), []);
  const audit = await a.service.db.query<{ org_id: string; detail: string }>("SELECT org_id, detail FROM audit WHERE action = 'exchange.restrict' AND target = $1 ORDER BY seq", [`correction/${made.id}`]);
  assert.deepEqual(
    audit.map((e) => [e.org_id, JSON.parse(e.detail).to.length]),
    [
      ['org-a', 1],
      ['org-a', 0],
    ],
  );
});

test("importing a partner's file over HTTP: administrators only (refused before the body is read); a bad file refused naming why; a good one is the importing organisation's received corrections, which it accepts or rejects, and nobody else's", async () => {
  const correction: SharedCorrection = {
    id: '7a2b3c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d',
    orgId: 'uni-p',
    orgName: 'Partner University',
    string: 'Beijing Key Lab of Imported Things',
    verdict: 'none',
    rorId: '',
    reason: 'a provincial label, no institution',
    createdAt: '2026-11-20T10:00:00.000Z',
    distribution: 'community',
    tlp: 'green',
  };
  const file = JSON.stringify(stixBundle({ name: 'Partner platform', uuid: '0b0e4c1a-1111-4222-8333-444455556666' }, { notes: [], namesakes: [], corrections: [correction], assessments: [], heldBack: { groups: 0, assessments: 0, k: 3 }, keptAsReleased: 0 }, []));
  const query = 'format=stix&from=Partner%20University&name=partner.json';
  for (const who of ['org-a/viewer', 'org-a/analyst', 'org-a/officer']) assert.equal(await partialBody(a, who, 'POST', `/api/exchange/import?${query}`, 'application/json'), 403, `${who} is refused before sending the file`);

  assert.equal((await sendFile(a, 'org-a/admin', query, file.slice(0, 200))).json.message.match(/^partner\.json: not JSON/)?.length, 1, 'a truncated file');
  const notBundle = await sendFile(a, 'org-a/admin', query, JSON.stringify({ type: 'report', objects: [] }));
  assert.deepEqual([notBundle.status, notBundle.json.message], [400, 'partner.json: not a STIX 2.1 bundle (no "type": "bundle" with "objects")']);
  const asMisp = await sendFile(a, 'org-a/admin', 'format=misp&from=Partner%20University&name=partner.json', file);
  assert.deepEqual([asMisp.status, asMisp.json.message], [400, 'partner.json: not a MISP event (no "Event" object)']);
  const broken = JSON.parse(file);
  for (const o of broken.objects) if (o.type === 'note') o.x_derisk_match_correction.verdict = 'maybe';
  const allBad = await sendFile(a, 'org-a/admin', query, JSON.stringify(broken));
  assert.equal(allBad.status, 400);
  assert.match(allBad.json.message, /nothing in it could be taken: .*verdict "maybe" is not is, not or none/);
  // A bundle holding no item derisk takes (a note of another tool, a bare identity) is refused, not "added 0".
  const foreignNote = { type: 'note', spec_version: '2.1', id: 'note--3f1b2c4d-5e6f-4a1b-8c2d-3e4f5a6b7c8d', created: '2026-11-20T10:00:00.000Z', modified: '2026-11-20T10:00:00.000Z', content: 'another tool', object_refs: ['identity--0b0e4c1a-1111-4222-8333-444455556666'] };
  for (const objects of [[foreignNote], [{ type: 'note' }], []]) {
    const none = await sendFile(a, 'org-a/admin', query, JSON.stringify({ type: 'bundle', id: 'bundle--0b0e4c1a-1111-4222-8333-444455556666', objects }));
    assert.deepEqual([none.status, none.json.message], [400, 'partner.json: holds nothing derisk takes from STIX (a note carrying x_derisk_match_correction)'], JSON.stringify(objects));
  }
  const tooBig = await fetch(`${a.base}/api/exchange/import?${query}`, { method: 'POST', headers: { authorization: `Bearer ${a.tokens['org-a/admin']}`, 'content-type': 'application/json' }, body: ' '.repeat(4 * 1024 * 1024 + 1) });
  assert.equal(tooBig.status, 413);
  assert.equal((await a.service.db.query("SELECT 1 FROM audit WHERE action = 'exchange.import'")).length, 0, 'nothing refused was recorded as imported');

  const report = await expect(sendFile(a, 'org-a/admin', query, file), 200);
  assert.deepEqual([report.added, report.publisher, report.refused], [1, 'Partner University', []]);
  const sha = createHash('sha256').update(file).digest('hex');
  const audit = await a.service.db.query<{ org_id: string; detail: string }>("SELECT org_id, detail FROM audit WHERE action = 'exchange.import' AND target = $1", [`file:${sha}`]);
  assert.deepEqual(
    audit.map((e) => [e.org_id, JSON.parse(e.detail).file, JSON.parse(e.detail).from]),
    [['org-a', 'partner.json', 'Partner University']],
  );

  const listed = await expect(call(a, 'org-a/viewer', 'GET', '/api/match/received'), 200);
  const mine = listed.find((r: { uuid: string }) => r.uuid === correction.id);
  // The file says who wrote it, signed by nobody: a claim, never shown as the author.
  assert.deepEqual([mine.publisher, mine.originOrg, mine.claimedOrigin, mine.originVerified, mine.signed, mine.decision, mine.correction.raw], ['Partner University', null, 'Partner University', false, false, null, correction.string]);
  assert.match(mine.correction.orgId, /^"Partner University" \(unverified: an unsigned file's claim\) \(via Partner University\)$/);
  const asItem = (await expect(call(a, 'org-a/viewer', 'GET', '/api/exchange/received'), 200)).find((r: { uuid: string }) => r.uuid === correction.id);
  assert.deepEqual([asItem.originOrg, asItem.claimedOrigin, asItem.originVerified], [null, 'Partner University', false]);
  let cliLines = '';
  const home = process.env.DERISK_HOME;
  process.env.DERISK_HOME = a.service.home;
  try {
    await runAs({ cwd: tempDir(), stdout: { write: (t) => void (cliLines += t) }, stderr: { write: () => undefined }, progressBar: false, store: a.store }, () => exchangeCommand(['received', '--org', 'org-a']));
  } finally {
    if (home === undefined) delete process.env.DERISK_HOME;
    else process.env.DERISK_HOME = home;
  }
  assert.match(cliLines, new RegExp(`correction ${correction.id}  from "Partner University" \\(unverified: an unsigned file's claim\\) via Partner University`));
  // Organisation B: not in its received corrections, nor in what it sees received, and it cannot decide on it.
  assert.ok(!(await expect(call(a, 'org-b/admin', 'GET', '/api/match/received'), 200)).some((r: { uuid: string }) => r.uuid === correction.id));
  assert.ok(!(await expect(call(a, 'org-b/admin', 'GET', '/api/exchange/received'), 200)).some((r: { uuid: string }) => r.uuid === correction.id));
  await expect(call(a, 'org-b/analyst', 'POST', `/api/match/received/${correction.id}/accept`), 404);
  await expect(call(a, 'org-b/analyst', 'POST', `/api/match/received/${correction.id}/reject`, { reason: 'no' }), 404);

  // Decisions: rejected with a reason; accepted; rejected again withdraws the acceptance. A viewer decides nothing.
  await expect(call(a, 'org-a/viewer', 'POST', `/api/match/received/${correction.id}/reject`, { reason: 'no' }), 403);
  await expect(call(a, 'org-a/analyst', 'POST', `/api/match/received/${correction.id}/reject`, {}), 400);
  const rejected = await expect(call(a, 'org-a/analyst', 'POST', `/api/match/received/${correction.id}/reject`, { reason: 'our registry office says otherwise' }), 200);
  assert.deepEqual([rejected.accepted, rejected.decision.state, rejected.decision.reason], [false, 'rejected', 'our registry office says otherwise']);
  const accepted = await expect(call(a, 'org-a/analyst', 'POST', `/api/match/received/${correction.id}/accept`), 200);
  assert.deepEqual([accepted.accepted, accepted.decision.state], [true, 'accepted']);
  const withdrawn = await expect(call(a, 'org-a/analyst', 'POST', `/api/match/received/${correction.id}/reject`, { reason: 'changed our mind' }), 200);
  assert.deepEqual([withdrawn.accepted, withdrawn.decision.state, withdrawn.decision.reason], [false, 'rejected', 'changed our mind']);
  assert.equal((await a.service.db.query('SELECT 1 FROM match_corrections_accepted WHERE uuid = $1', [correction.id])).length, 0);
});

test("an organisation's case partners as FollowTheMoney over HTTP: a Project per case, each partner an Organization once (by ROR id), tied by ProjectParticipant with its role; valid against the FtM schema; admins only; never another organisation's", async () => {
  const first = await expect(call(a, 'org-a/analyst', 'POST', '/api/cases', GREEN_CASE), 201);
  const second = await expect(
    call(a, 'org-a/analyst', 'POST', '/api/cases', {
      ...GREEN_CASE,
      title: 'Joint lab on sensors',
      partners: [
        { ror: 'https://ror.org/03cve4549', role: 'lead', country: 'China' },
        { name: 'unknown', description: 'a company the lab will name', role: 'subcontractor', country: 'CN' },
        // Named as people write it: the registry's name is the entity's, this one an alias.
        { name: 'THU', ror: '03cve4549', role: 'host', country: 'CN' },
      ],
    }),
    201,
  );
  await expect(call(a, 'org-b/analyst', 'POST', '/api/cases', { ...GREEN_CASE, title: 'B only', partners: [{ name: 'Secret Partner of B', role: 'lead', country: 'DE' }] }), 201);
  await expect(call(a, 'org-a/officer', 'GET', '/api/exchange/ftm/partners'), 403);
  const res = await fetch(`${a.base}/api/exchange/ftm/partners`, { headers: { authorization: `Bearer ${a.tokens['org-a/admin']}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/x-ndjson/);
  const text = await res.text();
  assert.ok(!text.includes('Secret Partner of B') && !text.includes('B only'), "B's case is not in A's export");
  const entities = text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FtmEntity);
  const byId = new Map(entities.map((e) => [e.id, e]));
  assert.deepEqual(
    entities.flatMap((e) => problems(e, byId, ftmModel(), loadFtmTopics().vocabulary)),
    [],
  );
  const projects = entities.filter((e) => e.schema === 'Project');
  assert.deepEqual(projects.map((p) => p.properties.projectId![0]).sort(), [first.id, second.id].sort());
  const orgs = entities.filter((e) => e.schema === 'Organization');
  assert.deepEqual(orgs.map((o) => [o.properties.name![0], o.properties.country, o.properties.sourceUrl ?? null, o.properties.description ?? null, o.properties.alias ?? null, o.properties.notes ?? null]).sort(), [
    ['Partner not identified yet', ['cn'], null, ['a company the lab will name'], null, null],
    ['Tsinghua University', ['cn'], ['https://ror.org/03cve4549'], null, ['THU'], null],
    ['University of Oxford', ['gb'], null, null, null, null],
  ]);
  const tsinghua = orgs.find((o) => o.properties.name![0] === 'Tsinghua University')!;
  const links = entities.filter((e) => e.schema === 'ProjectParticipant' && e.properties.participant![0] === tsinghua.id);
  assert.deepEqual(links.map((l) => [byId.get(l.properties.project![0]!)!.properties.name![0], l.properties.role![0]]).sort(), [
    ['Joint lab on sensors', 'host'],
    ['Joint lab on sensors', 'lead'],
    ['Open basic research on graph theory', 'partner'],
  ]);

  // The command line gives the same bytes for the same organisation, to a file or to standard output.
  const dir = tempDir();
  const run = async (args: string[]) => {
    let stdout = '';
    const home = process.env.DERISK_HOME;
    process.env.DERISK_HOME = a.service.home;
    try {
      const status = await runAs({ cwd: dir, stdout: { write: (t) => void (stdout += t) }, stderr: { write: () => undefined }, progressBar: false, store: a.store }, () => exchangeCommand(args));
      return { status, stdout };
    } finally {
      if (home === undefined) delete process.env.DERISK_HOME;
      else process.env.DERISK_HOME = home;
    }
  };
  const written = await run(['ftm-partners', '--org', 'org-a', '--out', 'partners.ftm.json']);
  assert.deepEqual([written.status, written.stdout], [0, `written: partners.ftm.json (${entities.length} FollowTheMoney entities, one a line)\n`]);
  assert.equal(readFileSync(join(dir, 'partners.ftm.json'), 'utf8'), text);
  assert.deepEqual(await run(['ftm-partners', '--org', 'org-a']), { status: 0, stdout: text });
  await assert.rejects(run(['ftm-partners', '--org', 'org-a', '--outt', 'x']), /unknown option --outt — did you mean --out\?/);
});

test('the same file imported by two organisations: each holds its own copy, decides on it alone and is told nothing of the other; a re-import after a rejection changes nothing; imported namesake decisions are shown to the importer only', async () => {
  const at = '2026-11-21T09:00:00.000Z';
  const sent = { orgId: 'uni-q', orgName: 'Partner Q', createdAt: at, distribution: 'community' as const, tlp: 'green' as const };
  const correction: SharedCorrection = { ...sent, id: '5d1e6f70-8a9b-4c0d-9e1f-2a3b4c5d6e7f', string: 'Shenzhen Lab of Twice Imported Things', verdict: 'none', rorId: '', reason: 'a city label, no institution' };
  const namesake = { ...sent, id: '6e2f7a81-9bac-4d1e-8f20-3b4c5d6e7f80', name: 'Tsinghua University', listId: 'my-watchlist', entryId: 'tsinghua', entryName: 'Tsinghua University', reason: 'PARTNER-Q-NAMESAKE: the Hsinchu university' };
  // An item with the id of one of A's own corrections, kept to A (organisation only): local to A, to B just an item of the file.
  const own = (await expect(call(a, 'org-a/analyst', 'POST', '/api/match/corrections', { string: 'Shenzhen Lab of Private Things', verdict: 'none', reason: 'A-PRIVATE' }), 201)).id as string;
  const echo: SharedCorrection = { ...correction, id: own, string: 'Shenzhen Lab of Echoed Things' };
  const event = mispEvents({ name: 'Partner Q platform', uuid: '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f' }, { notes: [], namesakes: [namesake], corrections: [correction, echo], assessments: [], heldBack: { groups: 0, assessments: 0, k: 3 }, keptAsReleased: 0 }, [readWatchlist(watchlist(ENTRIES))]);
  const file = JSON.stringify(event[0]);
  const query = 'format=misp&from=Partner%20Q&name=q.json';
  const qDecisions = async (who: string) => ((await expect(call(a, who, 'GET', `/api/screen?q=${encodeURIComponent('Tsinghua University')}`), 200)).namesake_decisions as { decisions: { reason: string }[] }[]).flatMap((d) => d.decisions).filter((d) => d.reason.startsWith('PARTNER-Q'));
  const decisionOf = async (who: string) => (await expect(call(a, who, 'GET', '/api/match/received'), 200)).filter((r: { uuid: string }) => r.uuid === correction.id).map((r: { decision: { state: string } | null }) => r.decision?.state ?? 'undecided');

  assert.deepEqual(pick(await expect(sendFile(a, 'org-a/admin', query, file), 200)), { added: 2, updated: 0, unchanged: 0, conflicts: [{ kind: 'correction', uuid: own, reason: 'a local correction has this id: kept the local one, the received one was not taken' }] });
  assert.equal((await qDecisions('org-a/viewer')).length, 1, 'A sees the decision it imported beside the hit');
  assert.deepEqual(await qDecisions('org-b/viewer'), [], "B's screening shows nothing of what A imported");

  // B imports the same file: taken for B, nothing said of A's copy nor of A's own correction.
  assert.deepEqual(pick(await expect(sendFile(a, 'org-b/admin', query, file), 200)), { added: 3, updated: 0, unchanged: 0, conflicts: [] });
  assert.equal((await qDecisions('org-b/viewer')).length, 1);
  for (const org of ['org-a', 'org-b'])
    assert.deepEqual(
      (await expect(call(a, `${org}/viewer`, 'GET', '/api/exchange/received'), 200))
        .filter((r: { uuid: string }) => [correction.id, namesake.id].includes(r.uuid))
        .map((r: { uuid: string }) => r.uuid)
        .sort(),
      [correction.id, namesake.id].sort(),
      `${org} sees its copy once, by the file's uuids`,
    );

  // A rejects; B does not see it, and accepts its own copy; A's stays rejected.
  await expect(call(a, 'org-a/analyst', 'POST', `/api/match/received/${correction.id}/reject`, { reason: 'A-ONLY-REASON' }), 200);
  assert.deepEqual(await decisionOf('org-b/viewer'), ['undecided']);
  await expect(call(a, 'org-b/analyst', 'POST', `/api/match/received/${correction.id}/accept`), 200);
  assert.deepEqual([await decisionOf('org-a/viewer'), await decisionOf('org-b/viewer')], [['rejected'], ['accepted']]);

  // A imports the file again: nothing changes, its rejection holds; B's acceptance too.
  assert.deepEqual(pick(await expect(sendFile(a, 'org-a/admin', query, file), 200)), { added: 0, updated: 0, unchanged: 2, conflicts: [{ kind: 'correction', uuid: own, reason: 'a local correction has this id: kept the local one, the received one was not taken' }] });
  assert.deepEqual([await decisionOf('org-a/viewer'), await decisionOf('org-b/viewer')], [['rejected'], ['accepted']]);
  // B's view of what it received says nothing of A's decision or A's import.
  const seenByB = JSON.stringify([await expect(call(a, 'org-b/admin', 'GET', '/api/match/received'), 200), await expect(call(a, 'org-b/admin', 'GET', '/api/exchange/received'), 200)]);
  assert.ok(!seenByB.includes('A-ONLY-REASON') && !seenByB.includes('org-a'));
});

const pick = (r: { added: number; updated: number; unchanged: number; conflicts: unknown[] }) => ({ added: r.added, updated: r.updated, unchanged: r.unchanged, conflicts: r.conflicts });

test('a feed bringing an item an organisation imported from a file: taken for the installation, neither refused because of that import nor naming it; the importer keeps its own copy', async () => {
  const service = new ExchangeService(a.service.db, new Set());
  const adminOf = (org: string): Actor => ({ userId: `u-${org}`, orgId: org, role: 'admin', name: `admin of ${org}` });
  const item = (uuid: string, string: string, reason: string): ReceivedItem => ({ kind: 'correction', uuid, originOrg: 'Partner R', distribution: '1', tlp: 'green', ...receivedCorrection(string, 'none', '', reason, '2026-11-22T08:00:00.000Z') });
  const imported = '8f3a4b5c-6d7e-4f80-9a1b-2c3d4e5f6a7b';
  await service.importItems(adminOf('org-a'), { from: 'Partner R by mail', sha256: 'e'.repeat(64), name: 'r.json' }, [item(imported, 'Wuhan Lab of Feed Things', 'as the file says')]);
  const sub = await service.subscription(adminOf('org-b'), await service.subscribe(adminOf('org-b'), tempDir(), PARTNER_KEY, 'feed-r'));
  const report = await service.recordPull(adminOf('org-b'), sub, {
    publisher: 'Feed R',
    sequence: 1,
    publishedAt: '2026-11-22T09:00:00.000Z',
    manifestSha256: 'd'.repeat(64),
    items: [item(imported, 'Wuhan Lab of Feed Things', 'as the feed says')],
  });
  assert.deepEqual([report.added, report.conflicts], [1, []]);
  const reasons = async (who: string) => (await expect(call(a, who, 'GET', '/api/match/received'), 200)).filter((r: { uuid: string }) => r.uuid === imported).map((r: { publisher: string; correction: { reason: string } }) => [r.publisher, r.correction.reason]);
  assert.deepEqual(await reasons('org-b/viewer'), [['Feed R', 'as the feed says']]);
  assert.deepEqual(await reasons('org-a/viewer'), [['Partner R by mail', 'as the file says']]);
  // Imported again by A, the file's item stays A's, beside the feed's.
  const again = await service.importItems(adminOf('org-a'), { from: 'Partner R by mail', sha256: 'e'.repeat(64), name: 'r.json' }, [item(imported, 'Wuhan Lab of Feed Things', 'as the file says')]);
  assert.deepEqual([again.unchanged, again.conflicts], [1, []]);
});

/** Shares a verdict on GREEN_CASE's partners from each of `orgs` with the community. */
async function shareVerdicts(i: Installation, orgs: string[]): Promise<void> {
  for (const org of orgs) {
    const { id } = await expect(call(i, `${org}/analyst`, 'POST', '/api/cases', { ...GREEN_CASE, title: `CONFIDENTIAL graph theory of ${org}` }), 201);
    const verdict = await expect(call(i, `${org}/analyst`, 'POST', `/api/cases/${id}/assess`, { as_of: '2026-11-22' }), 201);
    await expect(call(i, `${org}/officer`, 'PUT', `/api/exchange/sharing/assessment/${verdict.id}`, { distribution: 'community', tlp: 'green' }), 200);
  }
}

test("an administrator cannot lower the installation's k, and a verdict group leaves only when k organisations besides any one of them assessed it: no organisation can set its own verdict aside to find another's", async () => {
  const c = await installation();
  try {
    Object.assign(c.tokens, (await addMembers(c.service.accounts, ['org-c', 'org-d'], ['analyst', 'officer'])).tokens);
    const publish = (body: unknown, status = 200) => expect(call(c, 'org-a/admin', 'POST', '/api/exchange/publish', body), status);
    await shareVerdicts(c, ['org-a', 'org-b']);
    assert.match((await publish({ k: 2 }, 400)).message, /k 2 is below this installation's k = 3 .*a publish may ask for a higher k, never a lower one/);
    // The admin is told of its own organisation's verdict only: the other one held back is not its to count.
    assert.deepEqual((await publish({})).heldBack, { groups: 1, assessments: 1, k: 3 });
    // Three organisations: the publisher (or any of them) sets its own aside and two remain, fewer than k.
    await shareVerdicts(c, ['org-c']);
    assert.deepEqual(await publish({}).then((r) => [r.assessments, r.heldBack]), [0, { groups: 1, assessments: 1, k: 3 }]);
    await shareVerdicts(c, ['org-d']);
    assert.equal((await publish({})).assessments, 1);
    assert.deepEqual(await publish({ k: 4 }).then((r) => [r.assessments, r.heldBack]), [0, { groups: 1, assessments: 1, k: 4 }], 'a higher k may be asked for');
  } finally {
    await c.service.close();
    c.store.close();
  }
});

// Found in round 45: an admin's publish reported the whole installation's counts, so any organisation's admin learnt how many verdicts others shared (held back below k) and when they withdrew corrections.
test("a publish tells an organisation's admin, and records in its audit trail, only what is its own: the same whether another organisation shared no verdict, one or two, or withdrew shared corrections", async () => {
  const seen: unknown[] = [];
  for (const b of [0, 1, 2]) {
    const c = await installation();
    try {
      Object.assign(c.tokens, (await addMembers(c.service.accounts, ['org-c'], ['analyst', 'officer'])).tokens);
      // Verdicts of org-b (and org-c) on one partner group, held back: too few organisations assessed it.
      if (b >= 1) await shareVerdicts(c, ['org-b']);
      if (b >= 2) await shareVerdicts(c, ['org-c']);
      for (let i = 0; i < b; i++) {
        const made = await expect(call(c, 'org-b/analyst', 'POST', '/api/match/corrections', { string: `Beijing Key Lab of Withdrawn Things ${i}`, verdict: 'none', reason: 'a provincial label' }), 201);
        await expect(call(c, 'org-b/officer', 'PUT', `/api/exchange/sharing/correction/${made.id}`, { distribution: 'community', tlp: 'green' }), 200);
        await expect(call(c, 'org-b/admin', 'POST', '/api/exchange/publish', { tlp: 'green', audience: 'community' }), 200);
        await expect(call(c, 'org-b/analyst', 'POST', `/api/match/corrections/${made.id}/withdraw`, { reason: 'not so after all' }), 200);
      }
      // What names the public feed (its sequence, manifest hash, this installation's key) is left aside.
      const { manifestSha256: _feed, sequence: _sequence, key: _key, publisher: _publisher, ...response } = await expect(call(c, 'org-a/admin', 'POST', '/api/exchange/publish', { tlp: 'green', audience: 'community' }), 200);
      const entry = (await c.service.db.query<{ detail: string }>("SELECT detail FROM audit WHERE action = 'exchange.publish' AND org_id = 'org-a' ORDER BY seq"))[0]!;
      const { manifestSha256: _sha, sequence: _seq, keyId: _keyId, ...detail } = JSON.parse(entry.detail) as Record<string, unknown>;
      if (b === 2) {
        const all = await c.service.db.query<{ detail: string }>("SELECT detail FROM audit WHERE action = 'exchange.publish' ORDER BY seq");
        assert.equal(all.length, 3, 'org-b published twice before');
        // The feed itself is as it was: org-b's retractions go out.
        const feedDir = join(c.home, 'exchange', 'feed');
        const feed = readdirSync(feedDir)
          .map((f) => readFileSync(join(feedDir, f), 'utf8'))
          .join('\n');
        assert.ok(feed.includes('Withdrawn Things 1'), 'the retraction is in the feed');
      }
      seen.push({ response, detail });
    } finally {
      await c.service.close();
      c.store.close();
    }
  }
  assert.deepEqual(seen[1], seen[0]);
  assert.deepEqual(seen[2], seen[0]);
  assert.deepEqual((seen[0] as { response: { heldBack: unknown; retractions: number } }).response.heldBack, { groups: 0, assessments: 0, k: 3 });
});

// Found in round 46: an admin's publish wrote the release and withdrawal of every verdict group, other organisations' included, into the publisher's own trail.
test("a publish records a verdict group's release and withdrawal in the operator's part of the trail and, in each organisation whose verdicts it concerns, with that organisation's own count only and no other organisation's user", async () => {
  const c = await installation();
  try {
    Object.assign(c.tokens, (await addMembers(c.service.accounts, ['org-c', 'org-d'], ['analyst', 'officer'])).tokens);
    await shareVerdicts(c, ['org-a', 'org-b', 'org-c', 'org-d']);
    await expect(call(c, 'org-a/admin', 'POST', '/api/exchange/publish', {}), 200);
    // org-c and org-d leave: fewer than k besides any one remain, and org-b's admin publishes the withdrawal.
    for (const org of ['org-c', 'org-d']) {
      const { id } = (await c.service.db.query<{ id: string }>('SELECT id FROM assessments WHERE org_id = $1', [org]))[0]!;
      await expect(call(c, `${org}/officer`, 'DELETE', `/api/exchange/sharing/assessment/${id}`), 204);
    }
    await expect(call(c, 'org-b/admin', 'POST', '/api/exchange/publish', {}), 200);
    const trail = async (org: string) =>
      ((await expect(call(c, `${org}/officer`, 'GET', '/api/audit'), 200)) as { action: string; actor: string; target: string; detail: string }[])
        .filter((e) => e.action === 'exchange.release' || e.action === 'exchange.withdraw')
        .reverse()
        .map((e) => [e.action, e.actor, e.target, typeof e.detail === 'string' ? JSON.parse(e.detail) : e.detail]);
    const group = 'assessments/03cve4549';
    const admin = async (org: string) => (await c.service.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [`admin@${org}.example`]))[0]!.id;
    assert.deepEqual(await trail('org-a'), [
      ['exchange.release', await admin('org-a'), group, { partners: '03cve4549', yours: 1 }],
      ['exchange.withdraw', 'derisk', group, { partners: '03cve4549', yours: 0, withdrawn: 1 }],
    ]);
    assert.deepEqual(await trail('org-b'), [
      ['exchange.release', 'derisk', group, { partners: '03cve4549', yours: 1 }],
      ['exchange.withdraw', await admin('org-b'), group, { partners: '03cve4549', yours: 0, withdrawn: 1 }],
    ]);
    const operator = await c.service.db.query<{ action: string; actor: string; detail: string }>("SELECT action, actor, detail FROM audit WHERE action IN ('exchange.release', 'exchange.withdraw') AND org_id IS NULL ORDER BY seq");
    assert.deepEqual(
      operator.map((e) => [e.action, JSON.parse(e.detail).items]),
      [
        ['exchange.release', 4],
        ['exchange.withdraw', 0],
      ],
    );
    assert.deepEqual((await verifyAudit(c.service.db)).problems, []);
  } finally {
    await c.service.close();
    c.store.close();
  }
});

/** Another organisation's verdict on the same partners: a copy of `assessmentId`'s case and verdict (its own case re-assessed, for the same organisation), shared with the community. */
async function copiedVerdict(db: AppDb, exchange: ExchangeService, assessmentId: string, org: string, at: string): Promise<string> {
  const verdict = (await db.query<Record<string, Param>>('SELECT * FROM assessments WHERE id = $1', [assessmentId]))[0]!;
  const kase = (await db.query<Record<string, Param>>('SELECT * FROM cases WHERE id = $1', [verdict.case_id!]))[0]!;
  const insert = (table: string, row: Record<string, Param>) => db.query(`INSERT INTO ${table} (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map((_, i) => `$${i + 1}`)})`, Object.values(row));
  const caseId = org === kase.org_id ? String(kase.id) : randomUUID();
  if (caseId !== kase.id) await insert('cases', { ...kase, id: caseId, org_id: org });
  const id = randomUUID();
  await insert('assessments', { ...verdict, id, case_id: caseId, org_id: org, created_at: at });
  await exchange.share({ userId: `officer@${org}`, orgId: org, role: 'officer', name: org }, 'assessment', id, { distribution: 'community', tlp: 'green' });
  return id;
}

/** A fresh installation with org-a's verdict on GREEN_CASE's partners and copies of it from `orgs`: a group of one verdict each. */
async function verdictGroup(orgs: string[]) {
  const c = await installation();
  // As the server builds it: Oxford, in Europe, is left out of the verdicts.
  const exchange = new ExchangeService(c.service.db, EUROPE);
  const admin: Actor = { userId: 'admin@org-a', orgId: 'org-a', role: 'admin', name: 'admin of org-a' };
  await shareVerdicts(c, ['org-a']);
  const first = (await c.service.db.query<{ id: string }>("SELECT id FROM assessments WHERE org_id = 'org-a'"))[0]!.id;
  const add = (org: string, at = '2026-11-22T10:00:00.000Z') => copiedVerdict(c.service.db, exchange, first, org, at);
  for (const org of orgs) await add(org);
  const publish = () => exchange.outgoing(admin, { maxTlp: 'green', audience: 'community', to: 'feed' });
  const officer = (org: string): Actor => ({ userId: `officer@${org}`, orgId: org, role: 'officer', name: org });
  return { c, exchange, publish, add, officer };
}

test("k-anonymity across successive publishes: one organisation's verdict added leaves its group as released, unchanged; it changes when k organisations besides any one of them were added, and the audit trail records each release without naming whose", async () => {
  const { c, publish, add } = await verdictGroup(['org-b', 'org-c', 'org-d']);
  try {
    const released = await publish();
    assert.equal(released.assessments.length, 4);
    // One organisation more: comparing the two publishes would single out its verdict.
    await add('org-e', '2026-11-23T10:00:00.000Z');
    const afterOne = await publish();
    assert.deepEqual(afterOne.assessments, released.assessments);
    assert.deepEqual([afterOne.keptAsReleased, afterOne.heldBack.groups], [1, 0]);
    assert.deepEqual(await publish().then((o) => o.assessments), released.assessments, 'and again at the next publish');
    // Three new organisations are k, but one of them can set its own verdict aside: two remain.
    for (const org of ['org-f', 'org-g']) await add(org, '2026-11-23T10:00:00.000Z');
    assert.deepEqual(await publish().then((o) => o.assessments), released.assessments);
    // The fourth: the change is k organisations' besides any one of them, and as many stayed as they were.
    await add('org-h', '2026-11-23T10:00:00.000Z');
    const grown = await publish();
    assert.equal(grown.assessments.length, 8);
    assert.deepEqual(
      released.assessments.map((v) => grown.assessments.find((g) => g.uuid === v.uuid)),
      released.assessments,
      'the verdicts released before keep their ids and content: an importer updates them',
    );
    const releases = await c.service.db.query<{ action: string; target: string; detail: string }>("SELECT action, target, detail FROM audit WHERE action LIKE 'exchange.re%' AND org_id IS NULL ORDER BY seq");
    assert.deepEqual(
      releases.map((r) => [r.action, r.target, JSON.parse(r.detail).items]),
      [
        ['exchange.release', 'assessments/03cve4549', 4],
        ['exchange.release', 'assessments/03cve4549', 8],
      ],
    );
    assert.ok(!releases.some((r) => r.detail.includes('org-')), 'no organisation named');
  } finally {
    await c.service.close();
    c.store.close();
  }
});

test('k-anonymity across successive publishes: a single changed or withdrawn verdict waits, the group published as released; organisations leaving so that fewer than k remain withdraw the whole group, which returns only as it was or after a change of k organisations', async () => {
  const { c, exchange, publish, add, officer } = await verdictGroup(['org-b', 'org-c', 'org-d', 'org-e']);
  try {
    const released = await publish();
    assert.equal(released.assessments.length, 5);
    // org-a re-assesses its case: a new verdict, the latest, in place of the one released.
    await add('org-a', new Date().toISOString());
    assert.deepEqual(await publish().then((o) => [o.assessments, o.keptAsReleased]), [released.assessments, 1]);
    const ofOrg = async (org: string) => (await c.service.db.query<{ id: string }>('SELECT id FROM assessments WHERE org_id = $1 ORDER BY created_at', [org]))[0]!.id;
    await exchange.unshare(officer('org-b'), 'assessment', await ofOrg('org-b'));
    assert.deepEqual(await publish().then((o) => o.assessments), released.assessments, 'a withdrawn verdict waits too');

    // org-c leaves as well: three organisations remain, fewer than k besides any one of them, and the group goes whole.
    await exchange.unshare(officer('org-c'), 'assessment', await ofOrg('org-c'));
    const gone = await publish();
    assert.deepEqual([gone.assessments, gone.heldBack.groups], [[], 1]);
    // A newcomer makes four again, but the group would return differing from its last release by too few organisations' verdicts.
    await add('org-f');
    assert.deepEqual(await publish().then((o) => o.assessments), []);
    const audited = await c.service.db.query<{ action: string; detail: string }>("SELECT action, detail FROM audit WHERE action IN ('exchange.release', 'exchange.withdraw') AND org_id IS NULL ORDER BY seq");
    assert.deepEqual(
      audited.map((r) => [r.action, JSON.parse(r.detail).items]),
      [
        ['exchange.release', 5],
        ['exchange.withdraw', 0],
      ],
    );
  } finally {
    await c.service.close();
    c.store.close();
  }
});

test('an anonymised verdict keeps only partners known to be outside Europe: written "UK" or "EL", named, anywhere in geographic Europe, or of a country no code names, each is left out', async () => {
  const c = await installation();
  try {
    Object.assign(c.tokens, (await addMembers(c.service.accounts, ['org-c', 'org-d'], ['analyst', 'officer'])).tokens);
    const partners = [
      { name: 'University of Oxford', role: 'lead', country: 'UK' },
      { name: 'National and Kapodistrian University of Athens', role: 'partner', country: 'EL' },
      { name: 'University of Belgrade', role: 'partner', country: 'RS' },
      { name: 'University of Iceland', role: 'partner', country: 'Iceland' },
      { name: 'Taras Shevchenko National University of Kyiv', role: 'partner', country: 'ua' },
      { name: 'Nowhere Institute', role: 'partner', country: 'QA' },
      { ror: '03cve4549', role: 'partner', country: 'CN' },
    ];
    for (const org of ['org-a', 'org-b', 'org-c', 'org-d']) {
      const { id } = await expect(call(c, `${org}/analyst`, 'POST', '/api/cases', { ...GREEN_CASE, title: `Graph theory of ${org}`, partners }), 201);
      const verdict = await expect(call(c, `${org}/analyst`, 'POST', `/api/cases/${id}/assess`, { as_of: '2026-11-22' }), 201);
      await expect(call(c, `${org}/officer`, 'PUT', `/api/exchange/sharing/assessment/${verdict.id}`, { distribution: 'community', tlp: 'green' }), 200);
    }
    // A case stored before countries were checked may name a country no code stands for.
    await c.service.db.query(`UPDATE assessments SET result = replace(result, '"country":"QA"', '"country":"Q1"')`);
    const published = await expect(call(c, 'org-a/admin', 'POST', '/api/exchange/publish', {}), 200);
    assert.equal(published.assessments, 1, 'org-a is told of its own verdict released among the four');
    const feedDir = join(c.home, 'exchange', 'feed');
    const feed = readdirSync(feedDir)
      .map((f) => readFileSync(join(feedDir, f), 'utf8'))
      .join('\n');
    for (const left of ['Oxford', 'Athens', 'Belgrade', 'Iceland', 'Kyiv', 'Nowhere', '\\"UK\\"', '\\"Q1\\"']) assert.ok(!feed.includes(left), `the feed must not carry ${left}`);
    assert.ok(feed.includes('03cve4549') && feed.includes('\\"country\\":\\"CN\\"'), 'the partner outside Europe stays, by its ISO code');
  } finally {
    await c.service.close();
    c.store.close();
  }
});

test('two servers on loopback exchange anonymised assessments through the signed feed, naming neither case nor organisation; a TLP:RED note never leaves A', async () => {
  Object.assign(a.tokens, (await addMembers(a.service.accounts, ['org-c', 'org-d'], ['analyst', 'officer'])).tokens);
  await shareVerdicts(a, ['org-a', 'org-b', 'org-c', 'org-d']);
  const red = await expect(call(a, 'org-a/analyst', 'POST', '/api/exchange/notes', { subject: { kind: 'ror', value: '03cve4549' }, text: 'RED-ONLY informant says so' }), 201);
  await expect(call(a, 'org-a/officer', 'PUT', `/api/exchange/sharing/note/${red.id}`, { distribution: 'everyone', tlp: 'red' }), 200);
  const published = await expect(call(a, 'org-a/admin', 'POST', '/api/exchange/publish', { tlp: 'amber' }), 200);
  assert.equal(published.assessments, 1, 'org-a is told of its own verdict released among the four');
  const feedDir = join(a.home, 'exchange', 'feed');
  const feed = readdirSync(feedDir)
    .map((f) => readFileSync(join(feedDir, f), 'utf8'))
    .join('\n');
  for (const secret of ['RED-ONLY', 'tlp:red', 'CONFIDENTIAL']) assert.ok(!feed.includes(secret), `the feed must not contain ${secret}`);

  const sub = await expect(inSession(b, 'org-b/admin', 'POST', '/api/exchange/subscriptions', { url: `${a.base}${published.path}?assessments`, key: feedIdentity(a.home).publicKey }), 201);
  assert.equal((await expect(call(b, 'org-b/admin', 'POST', `/api/exchange/subscriptions/${sub.id}/pull`), 200)).status, 'pulled');
  const received = (await expect(call(b, 'org-b/viewer', 'GET', '/api/exchange/received'), 200)) as { kind: string; originOrg: string; doc: { overall: string; partners: { ror: string | null }[]; criteria: string[] } }[];
  const anonymised = received.filter((r) => r.kind === 'assessment');
  assert.equal(anonymised.length, 4);
  for (const r of anonymised) {
    assert.ok(!['University A', 'University B', 'ORG-C', 'ORG-D'].includes(r.originOrg), 'an anonymised assessment names no organisation');
    assert.ok(['green', 'yellow', 'red'].includes(r.doc.overall) && Array.isArray(r.doc.criteria), JSON.stringify(r.doc));
  }
  assert.ok(!JSON.stringify(received).includes('RED-ONLY') && !JSON.stringify(received).includes('CONFIDENTIAL'));
});

test('a decision another institution sent under new ids or through several publishers counts once: institutions are distinct institutions', async () => {
  const name = 'Tsinghua University Beijing';
  for (const [i, from] of ['Partner S', 'Partner S by mail', 'Partner S, sent again'].entries()) {
    const decision = {
      orgId: 'uni-s',
      orgName: 'Partner S',
      createdAt: '2026-11-20T09:00:00.000Z',
      distribution: 'community' as const,
      tlp: 'green' as const,
      id: `7a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3${i}`,
      name,
      listId: 'my-watchlist',
      entryId: 'tsinghua',
      entryName: 'Tsinghua University',
      reason: 'PARTNER-S: a namesake',
    };
    const event = mispEvents({ name: 'Partner S platform', uuid: '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a' }, { notes: [], namesakes: [decision], corrections: [], assessments: [], heldBack: { groups: 0, assessments: 0, k: 3 }, keptAsReleased: 0 }, [readWatchlist(watchlist(ENTRIES))]);
    assert.equal((await expect(sendFile(a, 'org-a/admin', `format=misp&from=${encodeURIComponent(from)}&name=s${i}.json`, JSON.stringify(event[0])), 200)).added, 1);
  }
  const [info] = (await expect(call(a, 'org-a/viewer', 'GET', `/api/screen?q=${encodeURIComponent(name)}`), 200)).namesake_decisions;
  assert.equal(info.decisions.length, 3, 'each decision is shown, with who brought it');
  assert.equal(info.institutions, 1);
});

test('a publish over HTTP may be numbered above a sequence a partner took, as the CLI’s --sequence-after: a whole number, never one that moves the feed back', async () => {
  const c = await installation();
  try {
    const publish = (body: unknown, status = 200) => expect(call(c, 'org-a/admin', 'POST', '/api/exchange/publish', body), status);
    assert.equal((await publish({})).sequence, 1);
    // After a restore, a partner took sequence 7 from the feed as it was before: the next is 8.
    assert.equal((await publish({ sequence_after: 7 })).sequence, 8);
    const sig = JSON.parse(readFileSync(join(c.home, 'exchange', 'feed', 'manifest.json.sig'), 'utf8')) as { sequence: number };
    assert.equal(sig.sequence, 8, 'the signed manifest carries it');
    // A sequence below the last published never moves the feed back.
    assert.equal((await publish({ sequence_after: 2 })).sequence, 9);
    for (const bad of [-1, 1.5, 'seven', 1e15, null]) assert.match((await publish({ sequence_after: bad }, 400)).message, /sequence_after/, JSON.stringify(bad));
    await expect(call(c, 'org-a/officer', 'POST', '/api/exchange/publish', { sequence_after: 20 }), 403);
    assert.equal((await publish({})).sequence, 10, 'a refused publish numbers nothing');
  } finally {
    await c.service.close();
    c.store.close();
  }
});

// Found in round 32: publishing the feed left no entry in the audit trail, at the console or over HTTP.
test('every publish is audited, over HTTP and at the console: who, the sequence, the signing key and what it carried, counted', async () => {
  const c = await installation();
  try {
    await expect(call(c, 'org-a/officer', 'POST', '/api/exchange/publish', {}), 403);
    const published = await expect(call(c, 'org-a/admin', 'POST', '/api/exchange/publish', { tlp: 'amber', sequence_after: 4 }), 200);
    assert.equal(published.sequence, 5);
    const { keyId } = feedIdentity(c.home);
    let stdout = '';
    const home = process.env.DERISK_HOME;
    process.env.DERISK_HOME = c.service.home;
    try {
      const status = await runAs({ cwd: tempDir(), stdout: { write: (t) => void (stdout += t) }, stderr: { write: () => undefined }, progressBar: false, store: c.store }, () => exchangeCommand(['publish', join(c.home, 'exchange', 'feed')]));
      assert.equal(status, 0, stdout);
    } finally {
      if (home === undefined) delete process.env.DERISK_HOME;
      else process.env.DERISK_HOME = home;
    }
    const audit = await c.service.db.query<{ actor: string; org_id: string; target: string; detail: string }>("SELECT actor, org_id, target, detail FROM audit WHERE action = 'exchange.publish' ORDER BY seq");
    const admin = (await c.service.db.query<{ id: string }>("SELECT id FROM users WHERE email = 'admin@org-a.example'"))[0]!.id;
    const counts = { notes: 0, namesakes: 0, corrections: 0, retractions: 0, assessments: 0, heldBack: 0, k: 3 };
    assert.deepEqual(
      audit.map((e) => ({ ...e, detail: JSON.parse(e.detail) as unknown })),
      [
        { actor: admin, org_id: 'org-a', target: 'feed/5', detail: { sequence: 5, sequenceAfter: 4, keyId, manifestSha256: published.manifestSha256, tlp: 'amber', audience: 'community', ...counts } },
        {
          actor: `cli:${userInfo().username}`,
          org_id: 'local',
          target: 'feed/6',
          detail: { sequence: 6, sequenceAfter: 0, keyId: feedIdentity(c.service.home).keyId, manifestSha256: (JSON.parse(readFileSync(join(c.home, 'exchange', 'feed', 'manifest.json.sig'), 'utf8')) as { manifestSha256: string }).manifestSha256, tlp: 'green', audience: 'community', ...counts },
        },
      ],
      'the refused publish left no entry',
    );
  } finally {
    await c.service.close();
    c.store.close();
  }
});
