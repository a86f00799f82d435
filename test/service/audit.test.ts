import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backupAppDb } from '../../src/appdb/backup.ts';
import type { AppDb } from '../../src/appdb/db.ts';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { Assessor } from '../../src/assessment/assessor.ts';
import { AlertInbox } from '../../src/monitoring/alerts.ts';
import { MailSettings } from '../../src/monitoring/mail.ts';
import { Watchlists } from '../../src/monitoring/watchlists.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { screeningContext } from '../../src/screening/store.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { anchorAnew, auditTrailOf, openSealedTrail, verifyAudit } from '../../src/service/audit.ts';
import type { Actor } from '../../src/service/authorize.ts';
import { CaseService } from '../../src/service/cases.ts';
import type { Store } from '../../src/store/store.ts';
import { derisk } from '../helpers/cli.ts';
import { found, recomputeChain } from '../helpers/audit.ts';
import { api, startServer, stop } from '../helpers/serve.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { listedLandscapeStore } from '../helpers/landscape.ts';

// The audit trail against someone who can write to the application database but not to
// DERISK_HOME: each attack below is made on a fresh installation and each must be reported.
let store: Store;
let assessor: Assessor;
const PASSWORD = 'correct horse battery staple';
const CASE = { title: 'Joint lab with Tsinghua', partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } };

before(async () => {
  store = await listedLandscapeStore(tempDir(), 'high');
  assessor = new Assessor({ store, screening: await screeningContext(store), bundle: loadBundle() });
});
after(() => store.close());

interface Installation {
  home: string;
  db: AppDb;
  ids: { user: string; case: string; assessment: string; note: string };
}

const paths = (home: string) => ({ keyPath: join(home, 'audit.key'), anchorPath: join(home, 'audit.anchor.json') });

/** A sealed installation with a little of everything: organisations, users, a token, a case, a verdict, a share, a note, a role change. */
async function installation(): Promise<Installation> {
  const home = tempDir();
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(raw);
  const db = await openSealedTrail(raw, paths(home));
  const accounts = new Accounts(db);
  for (const org of ['org-a', 'org-b']) await accounts.createOrganisation(OPERATOR, org, org);
  const user = await accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'analyst@org-a.example', name: 'Analyst', role: 'analyst', password: PASSWORD });
  const { actor } = await accounts.login('analyst@org-a.example', PASSWORD);
  await accounts.createToken(actor, 'script');
  const officer = { ...actor, role: 'officer' as const };
  const cases = new CaseService(db, assessor);
  const { id } = await cases.create(actor, CASE);
  await cases.update(actor, id, { ...CASE, title: 'Joint lab with Tsinghua (revised)' }, 1);
  const verdict = await cases.assess(actor, id, '2026-11-22');
  await cases.share(officer, id, 'org-b');
  const note = await cases.addNote(actor, id, 'spoke to the partner');
  await accounts.setRole(OPERATOR, user, 'officer');
  return { home, db, ids: { user, case: id, assessment: verdict.id, note } };
}

test('a trail written through derisk verifies, sealed; key and anchor are owner-only files outside the database, and so is the database', async () => {
  const { db, home } = await installation();
  try {
    const r = await verifyAudit(db);
    assert.deepEqual(r.problems, []);
    assert.equal(r.sealed, true);
    // The database's write-ahead log and shared memory exist while it is open.
    for (const f of ['audit.key', 'audit.anchor.json', 'app.sqlite', 'app.sqlite-wal', 'app.sqlite-shm']) assert.equal(statSync(join(home, f)).mode & 0o777, 0o600, f);
    const anchor = JSON.parse(readFileSync(join(home, 'audit.anchor.json'), 'utf8'));
    assert.equal(anchor.seq, r.entries, 'the anchor holds the last entry');
    assert.equal(anchor.hash, r.head);
    rmSync(join(home, 'audit.key'));
    await assert.rejects(openSealedTrail(db, paths(home)), /audit key .* is missing/, 'a lost key is not silently replaced');
  } finally {
    await db.close();
  }
});

test('DELETE of the tail of the audit table is found', async () => {
  const { db } = await installation();
  try {
    const { entries } = await verifyAudit(db);
    await db.query('DELETE FROM audit WHERE seq > $1', [entries - 3]);
    found((await verifyAudit(db)).problems, /entries were deleted/);
  } finally {
    await db.close();
  }
});

test('DELETE of the whole audit table is found', async () => {
  const { db } = await installation();
  try {
    await db.query('DELETE FROM audit');
    const { problems } = await verifyAudit(db);
    found(problems, /entries were deleted/);
    found(problems, /written outside derisk/);
  } finally {
    await db.close();
  }
});

test('an edited entry with every later hash recomputed is found (its MAC, every later MAC and the anchored head)', async () => {
  const { db, ids } = await installation();
  try {
    const seq = Number((await db.query<{ seq: number }>("SELECT seq FROM audit WHERE action = 'user.role'"))[0]!.seq);
    await db.query('UPDATE audit SET detail = \'{"email":"analyst@org-a.example","from":"analyst","to":"analyst"}\' WHERE seq = $1', [seq]);
    await recomputeChain(db, seq);
    const { problems } = await verifyAudit(db);
    assert.ok(!problems.some((p) => /chain broken|edited/.test(p.problem)), 'the chain itself links again');
    found(problems, new RegExp(`MAC does not match`));
    assert.ok(
      problems.some((p) => p.seq === seq && /MAC/.test(p.problem)),
      'the edited entry is named',
    );
    found(problems, /the trail was rewritten/);
    assert.ok(ids.user);
  } finally {
    await db.close();
  }
});

test('a verdict’s audit entry names the risk lists and versions its screening read, as its snapshot records them', async () => {
  const { db, ids } = await installation();
  try {
    const stored = (await db.query<{ snapshot: string }>('SELECT snapshot FROM assessments WHERE id = $1', [ids.assessment]))[0]!;
    const lists = (JSON.parse(stored.snapshot) as { lists: { id: string; version: string }[] }).lists;
    assert.ok(lists.length > 0);
    // Where the trail is shown (GET /api/audit), with the entry's other details.
    const officer: Actor = { userId: ids.user, orgId: 'org-a', role: 'officer', name: 'Analyst' };
    const entry = (await auditTrailOf(db, officer)).find((e) => e.action === 'assessment.run' && e.target === ids.assessment)!;
    assert.deepEqual(
      JSON.parse(entry.detail).lists,
      lists.map((l) => `${l.id}/${l.version}`),
    );
  } finally {
    await db.close();
  }
});

test("UPDATE assessments SET overall = 'green' (and the digest in its entry, chain recomputed) is found", async () => {
  const { db, ids } = await installation();
  try {
    await db.query("UPDATE assessments SET overall = 'green' WHERE id = $1", [ids.assessment]);
    found((await verifyAudit(db)).problems, new RegExp(`assessments/${ids.assessment} was changed outside derisk`));
    // Covering it up: write the new row's digest into the entry and recompute the chain. The MACs and the anchor still tell.
    const { rowDigest } = await import('../../src/service/audit.ts');
    const row = (await db.query('SELECT * FROM assessments WHERE id = $1', [ids.assessment]))[0]!;
    const entry = (await db.query<{ seq: number; row_digests: string }>("SELECT seq, row_digests FROM audit WHERE action = 'assessment.run'"))[0]!;
    const digests = { ...JSON.parse(entry.row_digests), [`assessments/${ids.assessment}`]: rowDigest('assessments', row) };
    await db.query('UPDATE audit SET row_digests = $1 WHERE seq = $2', [JSON.stringify(digests), Number(entry.seq)]);
    await recomputeChain(db, Number(entry.seq));
    const { problems } = await verifyAudit(db);
    assert.ok(!problems.some((p) => /assessments\/.* was changed/.test(p.problem)), 'the digest now matches the row');
    found(problems, /MAC does not match/);
    found(problems, /rewritten/);
  } finally {
    await db.close();
  }
});

test('a verdict whose re-assessment date is moved behind derisk (the column the monitor selects by, repeating its result) is found', async () => {
  const { db, ids } = await installation();
  try {
    assert.deepEqual((await verifyAudit(db)).problems, []);
    await db.query("UPDATE assessments SET reassess_by = '2099-01-01' WHERE id = $1", [ids.assessment]);
    found((await verifyAudit(db)).problems, new RegExp(`assessments/${ids.assessment} was changed outside derisk \\(its reassess_by is not what its result says\\)`));
  } finally {
    await db.close();
  }
});

test('a changed case, a changed role, a case or upload share inserted, a note deleted, a user added behind derisk are each found', async () => {
  const { db, ids } = await installation();
  try {
    await db.query('UPDATE cases SET doc = \'{"title":"harmless"}\' WHERE id = $1', [ids.case]);
    await db.query("UPDATE users SET role = 'admin' WHERE id = $1", [ids.user]);
    await db.query("INSERT INTO case_shares (case_id, org_id, shared_by, shared_at) VALUES ($1, 'org-c', 'x', 'y')", [ids.case]);
    await db.query("INSERT INTO upload_shares (owner_org, file_id, org_id, shared_by, shared_at) VALUES ('org-b', 'f00d', 'org-a', 'x', 'y')");
    await db.query('DELETE FROM notes WHERE id = $1', [ids.note]);
    await db.query("INSERT INTO users (id, org_id, email, name, role, password_hash, disabled, created_at) VALUES ('intruder', 'org-a', 'intruder@example.org', 'I', 'admin', 'x', false, 'now')");
    const { problems } = await verifyAudit(db);
    found(problems, new RegExp(`cases/${ids.case} was changed outside derisk`));
    found(problems, new RegExp(`users/${ids.user} was changed outside derisk`));
    found(problems, new RegExp(`case_shares/${ids.case}/org-c was written outside derisk`));
    found(problems, /upload_shares\/org-b\/f00d\/org-a was written outside derisk/);
    found(problems, new RegExp(`notes/${ids.note} was deleted outside derisk`));
    found(problems, /users\/intruder was written outside derisk/);
    assert.equal(problems.find((p) => p.problem.includes(`cases/${ids.case}`))!.orgId, 'org-a', 'a row problem names its organisation');
  } finally {
    await db.close();
  }
});

test('where alerts go is under the trail: a webhook or feed token inserted, changed or deleted behind derisk is each found', async () => {
  const { db, ids } = await installation();
  try {
    const accounts = new Accounts(db);
    const { actor } = await accounts.login('analyst@org-a.example', PASSWORD);
    // receiver.example answers with a public address here, whatever the machine's DNS says (webhooks reach public addresses only).
    const lookup = ((_host: string, _options: unknown, callback: (e: null, found: { address: string; family: number }[]) => void) => process.nextTick(() => callback(null, [{ address: '93.184.215.14', family: 4 }]))) as never;
    const inbox = new AlertInbox(db, { lookup });
    const kept = await inbox.addWebhook(actor, 'https://receiver.example/kept');
    const removed = await inbox.addWebhook(actor, 'https://receiver.example/removed');
    await inbox.removeWebhook(actor, removed.id);
    await inbox.newFeedToken(actor);
    await inbox.newFeedToken(actor);
    await inbox.revokeFeedToken(actor);
    await inbox.newFeedToken(actor);
    assert.deepEqual((await verifyAudit(db)).problems, [], 'writes through derisk verify');
    const tokens = await db.query<{ id: string; revoked: number | boolean }>('SELECT id, revoked FROM feed_tokens ORDER BY created_at');
    const revoked = tokens.find((t) => Boolean(t.revoked))!;
    const live = tokens.find((t) => !t.revoked)!;
    // A planted endpoint, an endpoint pointed elsewhere, a revoked feed address brought back, a token of one's own.
    await db.query("INSERT INTO webhooks (id, org_id, url, secret, created_by, created_at, disabled, disabled_reason) VALUES ('planted', 'org-a', 'https://attacker.example/', 'whsec_x', $1, 'now', false, NULL)", [ids.user]);
    await db.query("UPDATE webhooks SET url = 'https://attacker.example/kept' WHERE id = $1", [kept.id]);
    await db.query('UPDATE feed_tokens SET revoked = false WHERE id = $1', [revoked.id]);
    await db.query("INSERT INTO feed_tokens (id, user_id, token_hash, created_at, revoked) VALUES ('planted-feed', $1, 'x', 'now', false)", [ids.user]);
    await db.query('DELETE FROM feed_tokens WHERE id = $1', [live.id]);
    const { problems } = await verifyAudit(db);
    found(problems, /webhooks\/planted was written outside derisk/);
    found(problems, new RegExp(`webhooks/${kept.id} was changed outside derisk`));
    found(problems, new RegExp(`feed_tokens/${revoked.id} was changed outside derisk`));
    found(problems, /feed_tokens\/planted-feed was written outside derisk/);
    found(problems, new RegExp(`feed_tokens/${live.id} was deleted outside derisk`));
    assert.equal(problems.find((p) => p.problem.includes('webhooks/planted'))!.orgId, 'org-a');
    // A webhook removed through derisk is not reported; one deleted behind it is.
    await db.query('DELETE FROM webhooks WHERE id = $1', [kept.id]);
    found((await verifyAudit(db)).problems, new RegExp(`webhooks/${kept.id} was deleted outside derisk`));
    assert.ok(!(await verifyAudit(db)).problems.some((p) => p.problem.includes(removed.id)));
  } finally {
    await db.close();
  }
});

test('what alerts are about is under the trail: a watch item deleted, changed or planted behind derisk is each found, naming the row', async () => {
  const { db } = await installation();
  try {
    const accounts = new Accounts(db);
    await accounts.createUser(OPERATOR, { orgId: 'org-b', email: 'analyst@org-b.example', name: 'B', role: 'analyst', password: PASSWORD });
    const a = (await accounts.login('analyst@org-a.example', PASSWORD)).actor;
    const b = (await accounts.login('analyst@org-b.example', PASSWORD)).actor;
    const finder = { find: async (_kind: string, text: string) => [{ kind: 'institution' as const, ref: text, label: `Institution ${text}` }] };
    const watch = new Watchlists(db, finder);
    const kept = (await watch.add(a, { text: '03cve4549', kind: 'institution' })).item;
    const other = (await watch.add(a, { text: '00f54p054', kind: 'institution' })).item;
    const ofB = (await watch.add(b, { text: '02mhbdp94', kind: 'institution' })).item;
    const removed = (await watch.add(a, { text: '05qbk4x57', kind: 'institution', scope: 'user' })).item;
    await watch.remove(a, removed.id);
    assert.deepEqual((await verifyAudit(db)).problems, [], 'items added and removed through derisk verify');
    // An organisation's item pointed elsewhere, another deleted, one of org A's copied into org B.
    await db.query("UPDATE watch_items SET ref = '05qbk4x57' WHERE id = $1", [kept.id]);
    await db.query('DELETE FROM watch_items WHERE id = $1', [other.id]);
    await db.query("INSERT INTO watch_items (id, org_id, user_id, kind, ref, label, created_by, created_at) SELECT 'planted', 'org-b', user_id, kind, ref, label, created_by, created_at FROM watch_items WHERE id = $1", [kept.id]);
    let { problems } = await verifyAudit(db);
    found(problems, new RegExp(`watch_items/${kept.id} was changed outside derisk`));
    found(problems, new RegExp(`watch_items/${other.id} was deleted outside derisk`));
    found(problems, /watch_items\/planted was written outside derisk/);
    assert.equal(problems.find((p) => p.problem.includes('watch_items/planted'))!.orgId, 'org-b', 'a planted item names the organisation it was planted in');
    assert.ok(!problems.some((p) => p.problem.includes(removed.id) || p.problem.includes(ofB.id)), 'items removed or left alone through derisk are not reported');
    // Everything deleted: each item is named.
    await db.query('DELETE FROM watch_items');
    ({ problems } = await verifyAudit(db));
    for (const id of [kept.id, ofB.id]) found(problems, new RegExp(`watch_items/${id} was deleted outside derisk`));
  } finally {
    await db.close();
  }
});

test('webhooks and feed tokens that exist when a trail is first opened by a version tracking them are recorded as they stand', async () => {
  const home = tempDir();
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  try {
    await migrate(raw);
    const first = await openSealedTrail(raw, paths(home));
    const accounts = new Accounts(first);
    await accounts.createOrganisation(OPERATOR, 'org-a', 'A');
    // As the version before wrote them: without row digests.
    await raw.query("INSERT INTO webhooks (id, org_id, url, secret, created_by, created_at, disabled, disabled_reason) VALUES ('older', 'org-a', 'https://receiver.example/', 'whsec_x', 'u', 'then', false, NULL)");
    // The trail of that version: no audit.track entry (as a home before sealing had it: no MAC, no key, no anchor).
    await raw.query("DELETE FROM audit WHERE action = 'audit.track'");
    await raw.query('UPDATE audit SET seq = seq - 1');
    await recomputeChain(raw, 1);
    await raw.query('UPDATE audit SET mac = NULL');
    for (const f of ['audit.anchor.json', 'audit.key']) rmSync(join(home, f));
    const sealed = await openSealedTrail(raw, paths(home));
    assert.deepEqual((await verifyAudit(sealed)).problems, []);
    assert.equal((await sealed.query("SELECT 1 AS one FROM audit WHERE action = 'audit.track'")).length, 1);
    await openSealedTrail(raw, paths(home));
    assert.equal((await sealed.query("SELECT 1 AS one FROM audit WHERE action = 'audit.track'")).length, 1, 'once');
    await raw.query("UPDATE webhooks SET url = 'https://attacker.example/' WHERE id = 'older'");
    found((await verifyAudit(sealed)).problems, /webhooks\/older was changed outside derisk/);
  } finally {
    await raw.close();
  }
});

test('a trail kept before sealing is sealed at first start with every row as it stands; later tampering shows', async () => {
  const home = tempDir();
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  try {
    await migrate(raw);
    // As earlier versions wrote it: no row digests, no MACs, the old hash.
    const accounts = new Accounts(raw);
    await accounts.createOrganisation(OPERATOR, 'org-a', 'A');
    const user = await accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'old@org-a.example', name: 'Old', role: 'viewer', password: PASSWORD });
    await raw.query('UPDATE audit SET row_digests = NULL, mac = NULL');
    await recomputeChain(raw, 1);
    const sealed = await openSealedTrail(raw, paths(home));
    const seal = (await sealed.query<{ seq: number }>("SELECT seq FROM audit WHERE action = 'audit.seal'"))[0];
    assert.ok(seal, 'a sealing entry records the rows');
    assert.equal(JSON.parse(readFileSync(join(home, 'audit.anchor.json'), 'utf8')).sealedFrom, Number(seal.seq));
    assert.deepEqual((await verifyAudit(sealed)).problems, []);
    await new Accounts(sealed).setDisabled(OPERATOR, user, true);
    assert.deepEqual((await verifyAudit(sealed)).problems, []);
    await raw.query('UPDATE users SET disabled = false WHERE id = $1', [user]);
    found((await verifyAudit(sealed)).problems, new RegExp(`users/${user} was changed outside derisk`));
  } finally {
    await raw.close();
  }
});

test('derisk audit verify: exit 0 on an intact trail, 1 naming the tampering; backup and restore carry the seal', async () => {
  // A home derisk creates is its owner's alone.
  const home = join(tempDir(), 'home');
  const env = { DERISK_HOME: home, DERISK_NEW_PASSWORD: PASSWORD };
  assert.equal(derisk(['users', 'add-org', 'org-a', 'Org', 'A'], env).status, 0);
  assert.equal(statSync(home).mode & 0o077, 0, 'no access for group or others to the home');
  assert.equal(derisk(['users', 'add', '--org', 'org-a', '--email', 'officer@org-a.example', '--role', 'officer'], env).status, 0);
  assert.equal(derisk(['users', 'role', 'officer@org-a.example', 'analyst'], env).status, 0);
  const clean = derisk(['audit', 'verify'], env);
  assert.equal(clean.status, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /verifies/);
  const backup = join(tempDir(), 'b');
  const b = derisk(['backup', backup], env);
  assert.equal(b.status, 0, b.stderr);
  assert.equal(statSync(backup).mode & 0o777, 0o700, 'a backup is as private as the home');
  for (const f of ['audit.key', 'manifest.json', 'users.jsonl', 'audit.jsonl']) assert.equal(statSync(join(backup, 'app', f)).mode & 0o777, 0o600, f);
  const restoredHome = tempDir();
  // An installation with no exchange feed key makes unsigned backups.
  const r = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: restoredHome });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /audit chain verifies/);
  assert.equal(derisk(['audit', 'verify'], { DERISK_HOME: restoredHome }).status, 0);
  // Tampering with the original, as with a database tool.
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await raw.query("UPDATE users SET role = 'admin' WHERE email = 'officer@org-a.example'");
  await raw.close();
  const tampered = derisk(['audit', 'verify'], env);
  assert.equal(tampered.status, 1);
  assert.match(tampered.stdout, /users\/.* was changed outside derisk/);
});

test('the anchor deleted with the tail of the trail is noticed: never anchored again by itself; verify, the server start and HTTP name it; a backup still holds the cut head; only an audited command anchors anew', async () => {
  const home = tempDir();
  const env = { DERISK_HOME: home };
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(raw);
  const db = await openSealedTrail(raw, paths(home));
  const accounts = new Accounts(db);
  await accounts.createOrganisation(OPERATOR, 'org-a', 'A');
  // Someone's failed guesses at an account: entries at the end of the trail that record no row.
  for (const guess of ['guess one', 'guess two']) await assert.rejects(accounts.login('admin@org-a.example', guess));
  const cut = Number((await db.query<{ seq: number }>("SELECT min(seq) AS seq FROM audit WHERE action = 'login.failed'"))[0]!.seq);
  const backup = join(tempDir(), 'b');
  await backupAppDb(db, join(backup, 'app'));
  // The guesser covers them up: the tail of the trail, and the anchor that would tell.
  await db.query('DELETE FROM audit WHERE seq >= $1', [cut]);
  await db.close();
  rmSync(join(home, 'audit.anchor.json'));
  const missing = /the audit anchor .*audit\.anchor\.json is missing, but the trail has entries \(up to \d+\)/;
  const verified = derisk(['audit', 'verify', '--backup', backup], env);
  assert.equal(verified.status, 1, verified.stdout);
  assert.match(verified.stdout, missing);
  assert.match(verified.stdout, new RegExp(`the backup .* recorded entry ${cut + 1} as the head of the trail, and the trail no longer has it: entries were deleted`));
  // Neither opening the trail again nor a change written to it anchors it.
  const reopened = await openSealedTrail(await EmbeddedDb.open(join(home, 'app.sqlite')), paths(home));
  try {
    await new Accounts(reopened).createOrganisation(OPERATOR, 'org-b', 'B');
    assert.ok(!existsSync(join(home, 'audit.anchor.json')));
    found((await verifyAudit(reopened)).problems, missing);
    await assert.rejects(anchorAnew(reopened, ''), /needs a reason/);
  } finally {
    await reopened.close();
  }
  const server = await startServer(home);
  try {
    const http = await api(server, 'GET', '/api/audit/verify');
    assert.ok(
      (http.body as { problems: { problem: string }[] }).problems.some((p) => /anchor .*is missing/.test(p.problem)),
      JSON.stringify(http.body),
    );
    assert.match(server.stderr(), /AUDIT TRAIL FAILURE: the audit anchor .*audit\.anchor\.json is missing/);
  } finally {
    await stop(server, 'SIGTERM');
  }
  const anchored = derisk(['audit', 'anchor', '--reason', 'anchor lost; trail checked against the backup of 1 December'], env);
  assert.equal(anchored.status, 0, anchored.stderr);
  const anchoredAnew = await openSealedTrail(await EmbeddedDb.open(join(home, 'app.sqlite')), paths(home));
  try {
    const entry = (await anchoredAnew.query<{ actor: string; action: string; detail: string }>('SELECT actor, action, detail FROM audit ORDER BY seq DESC LIMIT 1'))[0]!;
    assert.deepEqual([entry.actor, entry.action, JSON.parse(entry.detail).reason], ['operator', 'audit.anchor', 'anchor lost; trail checked against the backup of 1 December']);
    assert.deepEqual((await verifyAudit(anchoredAnew)).problems, []);
  } finally {
    await anchoredAnew.close();
  }
});

test('anchored anew by the console after a truncation, the trail is anchored on from there by the process that keeps writing (a server), so a later cut is found', async () => {
  const { db, home } = await installation();
  try {
    const { entries } = await verifyAudit(db);
    await db.query('DELETE FROM audit WHERE seq > $1', [entries - 3]);
    const anchored = derisk(['audit', 'anchor', '--reason', 'tail lost; checked against the backup of 1 December'], { DERISK_HOME: home });
    assert.equal(anchored.status, 0, anchored.stderr);
    await new Accounts(db).createOrganisation(OPERATOR, 'org-later', 'Later');
    const head = (await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'))[0]!;
    const anchor = JSON.parse(readFileSync(join(home, 'audit.anchor.json'), 'utf8')) as { seq: number; hash: string };
    assert.deepEqual([anchor.seq, anchor.hash], [Number(head.seq), head.hash], 'the anchor follows the trail past the new anchoring');
    await db.query('DELETE FROM audit WHERE seq = $1', [head.seq]);
    found((await verifyAudit(db)).problems, /entries were deleted/);
  } finally {
    await db.close();
  }
});

test('mail settings are under the trail: derisk audit verify finds a subscription switched on, pointed elsewhere, planted or deleted behind derisk', async () => {
  const home = join(tempDir(), 'home');
  const env = { DERISK_HOME: home, DERISK_NEW_PASSWORD: PASSWORD };
  assert.equal(derisk(['users', 'add-org', 'org-a', 'Org', 'A'], env).status, 0);
  for (const name of ['alice', 'bob', 'carol']) assert.equal(derisk(['users', 'add', '--org', 'org-a', '--email', `${name}@org-a.example`, '--role', 'analyst'], env).status, 0);
  const db = await openSealedTrail(await EmbeddedDb.open(join(home, 'app.sqlite')), paths(home));
  const accounts = new Accounts(db);
  const settings = new MailSettings(db, true);
  const user: Record<string, Actor> = {};
  for (const name of ['alice', 'bob', 'carol']) user[name] = (await accounts.login(`${name}@org-a.example`, PASSWORD)).actor;
  await settings.set(user.alice!, 'digest');
  await settings.set(user.bob!, 'immediate');
  await settings.set(user.carol!, 'immediate');
  const token = (await db.query<{ unsubscribe_token: string }>('SELECT unsubscribe_token FROM mail_subscriptions WHERE user_id = $1', [user.carol!.userId]))[0]!.unsubscribe_token;
  assert.equal(await settings.unsubscribe(token), true);
  await db.close();
  const clean = derisk(['audit', 'verify'], env);
  assert.equal(clean.status, 0, 'writes through derisk verify: ' + clean.stdout + clean.stderr);
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  // Carol's one-click unsubscribe undone, alice's digest made immediate, bob's subscription removed, one planted for an admin.
  await raw.query("UPDATE mail_subscriptions SET mode = 'immediate' WHERE user_id = $1", [user.carol!.userId]);
  await raw.query("UPDATE mail_subscriptions SET unsubscribe_token = 'drku_changed' WHERE user_id = $1", [user.alice!.userId]);
  await raw.query('DELETE FROM mail_subscriptions WHERE user_id = $1', [user.bob!.userId]);
  await raw.query("INSERT INTO mail_subscriptions (user_id, mode, unsubscribe_token, updated_at) VALUES ('planted', 'immediate', 'drku_planted', 'now')");
  await raw.close();
  const tampered = derisk(['audit', 'verify'], env);
  assert.equal(tampered.status, 1);
  assert.match(tampered.stdout, new RegExp(`mail_subscriptions/${user.carol!.userId} was changed outside derisk`));
  assert.match(tampered.stdout, new RegExp(`mail_subscriptions/${user.alice!.userId} was changed outside derisk`));
  assert.match(tampered.stdout, new RegExp(`mail_subscriptions/${user.bob!.userId} was deleted outside derisk`));
  assert.match(tampered.stdout, /mail_subscriptions\/planted was written outside derisk/);
});

test('mail settings written by a version that did not track them are recorded as they stand, once; later edits show', async () => {
  const home = tempDir();
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  try {
    await migrate(raw);
    const first = await openSealedTrail(raw, paths(home));
    const accounts = new Accounts(first);
    await accounts.createOrganisation(OPERATOR, 'org-a', 'A');
    await accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'analyst@org-a.example', name: 'Analyst', role: 'analyst', password: PASSWORD });
    await new MailSettings(first, true).set((await accounts.login('analyst@org-a.example', PASSWORD)).actor, 'immediate');
    // As the version before wrote the trail: the mail setting without a row digest, the tables it tracked recorded.
    await raw.query("UPDATE audit SET row_digests = '{}' WHERE action = 'mail.subscribe'");
    await raw.query("UPDATE audit SET target = 'webhooks,feed_tokens,kb_entries,kb_versions,kb_reviews' WHERE action = 'audit.track'");
    await recomputeChain(raw, 1);
    // As a home before sealing had it: no MAC, no key, no anchor (and no session: migration 019 ended those).
    await raw.query('UPDATE audit SET mac = NULL');
    await raw.query('DELETE FROM sessions');
    for (const f of ['audit.anchor.json', 'audit.key']) rmSync(join(home, f));
    found((await verifyAudit(raw)).problems, /mail_subscriptions\/.* was written outside derisk/);
    const sealed = await openSealedTrail(raw, paths(home));
    assert.deepEqual((await verifyAudit(sealed)).problems, []);
    const tracks = async () => (await sealed.query<{ target: string }>("SELECT target FROM audit WHERE action = 'audit.track' ORDER BY seq")).map((r) => r.target);
    assert.deepEqual(await tracks(), ['webhooks,feed_tokens,kb_entries,kb_versions,kb_reviews', 'mail_subscriptions,match_corrections_accepted,exchange_recipients,watch_items,exchange_releases']);
    await openSealedTrail(raw, paths(home));
    assert.equal((await tracks()).length, 2, 'once');
    await raw.query("UPDATE mail_subscriptions SET mode = 'digest'");
    found((await verifyAudit(sealed)).problems, /mail_subscriptions\/.* was changed outside derisk/);
  } finally {
    await raw.close();
  }
});

test('derisk users reset-password: the old password stops working, the new one works, the reset is audited', async () => {
  const home = join(tempDir(), 'home');
  const NEW = 'a different long passphrase here';
  assert.equal(derisk(['users', 'add-org', 'org-a', 'Org', 'A'], { DERISK_HOME: home }).status, 0);
  assert.equal(derisk(['users', 'add', '--org', 'org-a', '--email', 'admin@org-a.example', '--role', 'admin'], { DERISK_HOME: home, DERISK_NEW_PASSWORD: PASSWORD }).status, 0);
  const unknown = derisk(['users', 'reset-password', 'nobody@org-a.example'], { DERISK_HOME: home });
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /no user nobody@org-a\.example/);
  const printed = derisk(['users', 'reset-password', 'admin@org-a.example'], { DERISK_HOME: home });
  assert.equal(printed.status, 0, printed.stderr);
  const shown = /new password \(shown once\): (\S+)/.exec(printed.stdout)?.[1];
  assert.ok(shown, printed.stdout);
  assert.equal(derisk(['users', 'reset-password', 'admin@org-a.example'], { DERISK_HOME: home, DERISK_NEW_PASSWORD: NEW }).status, 0);
  // Sealed, as the server opens it: failed logins are audited too.
  const db = await openSealedTrail(await EmbeddedDb.open(join(home, 'app.sqlite')), paths(home));
  try {
    const accounts = new Accounts(db);
    await assert.rejects(accounts.login('admin@org-a.example', PASSWORD), /wrong e-mail or password/);
    await assert.rejects(accounts.login('admin@org-a.example', shown!), /wrong e-mail or password/);
    assert.equal((await accounts.login('admin@org-a.example', NEW)).actor.orgId, 'org-a');
    const resets = await db.query<{ action: string }>("SELECT action FROM audit WHERE action = 'user.password-reset'");
    assert.equal(resets.length, 2);
  } finally {
    await db.close();
  }
  assert.equal(derisk(['audit', 'verify'], { DERISK_HOME: home }).status, 0, 'the trail verifies over the changed rows');
});
