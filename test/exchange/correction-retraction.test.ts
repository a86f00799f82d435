import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { feedIdentity, publisherOf, writeFeed } from '../../src/exchange/feed.ts';
import { mispEvents } from '../../src/exchange/misp.ts';
import { pullSubscription } from '../../src/exchange/pull.ts';
import { ExchangeService } from '../../src/exchange/service.ts';
import { readStixBundle, stixBundle } from '../../src/exchange/stix.ts';
import { ConflictError } from '../../src/errors.ts';
import { MatchCorrections } from '../../src/resolve/corrections.ts';
import { verifyAudit } from '../../src/service/audit.ts';
import type { Actor } from '../../src/service/authorize.ts';
import { tempDir } from '../helpers/fixtures.ts';

// Installation A shares corrections through its signed feed; installation B pulls them and its
// organisation accepts them. When A withdraws, supersedes or unshares one, A's next feed carries its
// retraction and B's next pull takes it out of B's corrections in force (and so of B's views),
// audited; B's organisation cannot take it back by accepting it again.
const TSINGHUA = '03cve4549';
const registry = (id: string) => (id === TSINGHUA ? { name: 'Tsinghua University' } : undefined);
const as = (orgId: string, role: Actor['role'] = 'admin'): Actor => ({ userId: `${role}@${orgId}`, orgId, role, name: `${role} of ${orgId}` });

async function installation() {
  const db = await EmbeddedDb.open(':memory:');
  await migrate(db);
  return { db, home: tempDir(), corrections: new MatchCorrections(db, registry), exchange: new ExchangeService(db, new Set(['NL'])) };
}

test("a withdrawn, superseded or unshared correction a partner pulled leaves the partner's corrections in force at its next pull, audited", async () => {
  const A = await installation();
  const B = await installation();
  const feed = join(tempDir(), 'feed');
  const publish = async () => writeFeed(A.home, feed, mispEvents(publisherOf(feedIdentity(A.home, 'University A')), await A.exchange.outgoing(as('uni-a'), { maxTlp: 'green', audience: 'community', to: 'feed' }), []));
  const shared = async (raw: string) => {
    const c = await A.corrections.correct(as('uni-a', 'analyst'), { raw, verdict: 'is', rorId: TSINGHUA, reason: `checked ${raw}` });
    await A.exchange.share(as('uni-a', 'officer'), 'correction', c.id, { distribution: 'community', tlp: 'green' });
    return c.id;
  };
  const ids = { withdrawn: await shared('Lab W, Beijing'), superseded: await shared('Lab S, Beijing'), unshared: await shared('Lab U, Beijing'), live: await shared('Lab L, Beijing') };
  await publish();

  const key = feedIdentity(A.home);
  const subId = await B.exchange.subscribe(as('uni-x'), feed, key.publicKey, key.keyId);
  const pull = async () => {
    const outcome = await pullSubscription(B.exchange, as('uni-x'), await B.exchange.subscription(as('uni-x'), subId));
    assert.equal(outcome.status, 'pulled', JSON.stringify(outcome));
    return (outcome as { report: { added: number; retracted: string[] } }).report;
  };
  assert.equal((await pull()).added, 4);
  const analyst = as('uni-x', 'analyst');
  for (const id of Object.values(ids)) await B.corrections.accept(analyst, id);
  assert.equal((await B.corrections.inForce('uni-x')).length, 4);

  // A ends three of them, each its own way, and publishes.
  await A.corrections.withdraw(as('uni-a', 'analyst'), ids.withdrawn, 'the web page was out of date');
  await A.corrections.correct(as('uni-a', 'analyst'), { raw: 'LAB S, BEIJING', verdict: 'none', reason: 'a company lab after all' });
  await A.exchange.unshare(as('uni-a', 'officer'), 'correction', ids.unshared);
  await publish();

  const report = await pull();
  assert.deepEqual(report.retracted.sort(), [ids.withdrawn, ids.superseded, ids.unshared].sort());
  assert.deepEqual(
    (await B.corrections.inForce('uni-x')).map((c) => c.id),
    [ids.live],
    'only the one still in force at A applies at B',
  );
  const received = await B.corrections.receivedFor(analyst);
  assert.deepEqual(
    received
      .filter((r) => r.retractedAt !== null)
      .map((r) => r.uuid)
      .sort(),
    report.retracted.sort(),
  );
  const told = received.find((r) => r.uuid === ids.withdrawn)!;
  assert.deepEqual(
    { ...told.retraction, takenAt: typeof told.retraction?.takenAt },
    { at: told.retractedAt, by: told.originOrg, via: told.publisher, why: 'its publisher no longer shares it: withdrawn, superseded by a later correction or shared less widely there (a feed says no more)', takenAt: 'string', takenIn: `pull of ${feed}` },
  );
  assert.equal(received.find((r) => r.uuid === ids.live)!.retraction, null);
  await assert.rejects(B.corrections.accept(analyst, ids.withdrawn), ConflictError);
  // The pull that retracted them is in B's audit trail, naming them; the trail verifies.
  const pulls = await B.db.query<{ detail: string }>(`SELECT detail FROM audit WHERE action = 'exchange.pull' ORDER BY seq`);
  assert.deepEqual((JSON.parse(pulls.at(-1)!.detail) as { retracted: string[] }).retracted.sort(), report.retracted);
  assert.deepEqual((await verifyAudit(B.db)).problems, []);
  // Pulled again: nothing more to retract.
  await A.corrections.correct(as('uni-a', 'analyst'), { raw: 'Unrelated Lab', verdict: 'none', reason: 'moves the feed on' });
  await publish();
  assert.deepEqual((await pull()).retracted, []);
  await A.db.close();
  await B.db.close();
});

test("a retraction in an imported file reaches only the importing organisation's copy", async () => {
  const A = await installation();
  const B = await installation();
  const c = await A.corrections.correct(as('uni-a', 'analyst'), { raw: 'Lab F, Beijing', verdict: 'is', rorId: TSINGHUA, reason: 'checked' });
  await A.exchange.share(as('uni-a', 'officer'), 'correction', c.id, { distribution: 'community', tlp: 'green' });
  const options = { maxTlp: 'green', audience: 'community', to: 'file' } as const;
  const publisher = publisherOf(feedIdentity(A.home, 'University A'));
  const live = Buffer.from(JSON.stringify(stixBundle(publisher, await A.exchange.outgoing(as('uni-a'), options), [])));
  await A.corrections.withdraw(as('uni-a', 'analyst'), c.id, 'wrong lab');
  const revoked = stixBundle(publisher, await A.exchange.outgoing(as('uni-a'), options), []);
  assert.equal(readStixBundle(revoked, 'r.json').items[0]!.retractedAt !== undefined, true);
  const retraction = Buffer.from(JSON.stringify(revoked));
  for (const org of ['uni-x', 'uni-y']) {
    await B.exchange.importFile(as(org), { from: 'University A', name: 'live.json', format: 'stix', bytes: live });
    await B.corrections.accept(as(org, 'analyst'), c.id);
  }
  const report = await B.exchange.importFile(as('uni-x'), { from: 'University A', name: 'retraction.json', format: 'stix', bytes: retraction });
  assert.deepEqual(report.retracted, [c.id]);
  assert.deepEqual(await B.corrections.inForce('uni-x'), []);
  assert.deepEqual(
    (await B.corrections.inForce('uni-y')).map((x) => x.id),
    [c.id],
    "uni-y's own import stays until uni-y imports the retraction",
  );
  // An organisation that never took it takes nothing from the retraction.
  assert.deepEqual((await B.exchange.importFile(as('uni-z'), { from: 'University A', name: 'retraction.json', format: 'stix', bytes: retraction })).retracted, []);
  assert.deepEqual(await B.corrections.receivedFor(as('uni-z', 'analyst')), []);
  await A.db.close();
  await B.db.close();
});
