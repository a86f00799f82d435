import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { feedIdentity, feedReader, publisherOf, readVerifiedFeed, recipientOf, writeFeed, type Identity } from '../../src/exchange/feed.ts';
import { nameUuid } from '../../src/exchange/marking.ts';
import { mispEvents, readMispEvent, type Publisher } from '../../src/exchange/misp.ts';
import { ExchangeService } from '../../src/exchange/service.ts';
import { stixBundle } from '../../src/exchange/stix.ts';
import { verifyAudit } from '../../src/service/audit.ts';
import { ForbiddenError, NotFoundError, type Actor } from '../../src/service/authorize.ts';
import { tempDir } from '../helpers/fixtures.ts';

const ME: Publisher = { name: 'Beta installation', uuid: nameUuid('publisher/beta') };
const OTHER = nameUuid('publisher/gamma');

const group = (id: string, members: string[]) => ({ id, uuid: nameUuid(`group/${id}`), name: `Group ${id}`, SharingGroupOrg: members.map((uuid, i) => ({ id: String(i + 1), sharing_group_id: id, org_id: String(i + 1), Organisation: { id: String(i + 1), name: `org ${i}`, uuid } })) });

/** A derisk note attribute as misp.ts writes it, with the distribution fields given. */
const note = (uuid: string, fields: Record<string, unknown>) => ({
  uuid,
  type: 'text',
  category: 'External analysis',
  value: 'Tsinghua University',
  ...fields,
  Tag: [{ name: 'tlp:green' }, { name: 'derisk:subject="name:Tsinghua University"' }],
  Note: [{ note: `note ${uuid}`, created: '2026-11-30 12:00:00' }],
});
const U = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

test("MISP sharing groups: an item for a group is taken only by a member; inherited distribution is the event's; a group without its members is refused with the reason", () => {
  const event = {
    Event: {
      uuid: U(99),
      info: 'x',
      distribution: '4',
      sharing_group_id: '7',
      SharingGroup: group('7', [ME.uuid, OTHER]),
      Orgc: { name: 'University A' },
      Tag: [{ name: 'tlp:green' }],
      Attribute: [
        note(U(1), { distribution: '4', sharing_group_id: '3', SharingGroup: group('3', [ME.uuid]) }),
        note(U(2), { distribution: '4', sharing_group_id: '4', SharingGroup: group('4', [OTHER]) }),
        note(U(3), { distribution: '5' }),
        note(U(4), { distribution: '4', sharing_group_id: '5' }),
        note(U(5), { distribution: '4', sharing_group_id: '0', SharingGroup: group('0', [ME.uuid]) }),
        note(U(6), { distribution: '4', sharing_group_id: '6', SharingGroup: group('8', [ME.uuid]) }),
        note(U(7), { distribution: '1', sharing_group_id: '0' }),
      ],
    },
  };
  const r = readMispEvent(event, 'e.json', 'feed', ME);
  assert.deepEqual(
    r.items.map((i) => [i.uuid, i.distribution]),
    [
      [U(1), '4'],
      [U(3), '4'],
      [U(7), '1'],
    ],
  );
  const why = Object.fromEntries(r.refused.map((x) => [x.uuid, x.reason]));
  assert.match(why[U(2)]!, /restricted to sharing group "Group 4", of which this installation \(Beta installation\) is not a member/);
  assert.match(why[U(4)]!, /distribution 4 \(sharing group 5\) but the attribute carries no SharingGroup/);
  assert.match(why[U(5)]!, /names no sharing_group_id/);
  assert.match(why[U(6)]!, /sharing_group_id 6 but the SharingGroup given is "8"/);

  // Read by an installation that is in no group, or that does not say who it is: nothing for groups is taken.
  for (const self of [{ name: 'Gamma', uuid: nameUuid('publisher/delta') }, undefined]) {
    assert.deepEqual(
      readMispEvent(event, 'e.json', 'feed', self).items.map((i) => i.uuid),
      [U(7)],
    );
  }
  // Inheriting an event meant for its organisation only is refused like the event.
  const own = readMispEvent({ Event: { ...event.Event, distribution: '0', Attribute: [note(U(8), { distribution: '5' })] } }, 'e.json', 'feed', ME);
  assert.match(own.refused[0]!.reason, /Your organisation only/);
  // Items are kept under their UUID (an organisation's imports under <org>/<UUID>): an attribute whose
  // uuid is anything else could take another item's key, so it is refused, naming it.
  const hostile = readMispEvent({ Event: { ...event.Event, distribution: '1', Attribute: [note(`uni-a/${U(9)}`, { distribution: '5' }), note(U(10).toUpperCase(), { distribution: '5' }), { ...note(U(11), { distribution: '5' }), uuid: undefined }] } }, 'e.json', 'feed', ME);
  assert.deepEqual(
    hostile.items.map((i) => i.uuid),
    [U(10)],
  );
  assert.deepEqual(
    hostile.refused.map((x) => x.reason),
    [`e.json attribute 1: its uuid "uni-a/${U(9)}" is not a UUID`, 'e.json attribute 3: its uuid is missing'],
  );
});

test('an item an administrator restricts to named partners leaves in a MISP sharing group: a member installation takes it, another refuses it; the restriction is audited', async () => {
  const db = await EmbeddedDb.open(':memory:');
  await migrate(db);
  const service = new ExchangeService(db, new Set(['NL']));
  const admin: Actor = { userId: 'admin@uni-a', orgId: 'uni-a', role: 'admin', name: 'admin' };
  const [homeA, homeB, homeC] = [tempDir(), tempDir(), tempDir()];
  const [a, b, c] = [feedIdentity(homeA, 'Alpha'), feedIdentity(homeB, 'Beta'), feedIdentity(homeC, 'Gamma')];

  const open = await service.addNote(admin, { kind: 'name', value: 'Open Lab', label: 'Open Lab' }, 'FOR-EVERY-SUBSCRIBER');
  const only = await service.addNote(admin, { kind: 'name', value: 'Closed Lab', label: 'Closed Lab' }, 'FOR-BETA-ONLY');
  for (const id of [open, only]) await service.share(admin, 'note', id, { distribution: 'community', tlp: 'green' });
  // Only an administrator, of the owning organisation, of an item already shared, restricts it.
  await assert.rejects(service.restrict({ ...admin, role: 'officer' }, 'note', only, [recipientOf(`Beta=${b.publicKey}`)]), ForbiddenError);
  await assert.rejects(service.restrict({ ...admin, orgId: 'uni-z' }, 'note', only, [recipientOf(`Beta=${b.publicKey}`)]), NotFoundError);
  const unshared = await service.addNote(admin, { kind: 'name', value: 'X', label: 'X' }, 'never shared');
  await assert.rejects(service.restrict(admin, 'note', unshared, [recipientOf(`Beta=${b.publicKey}`)]), /is not shared: share it with the community or everyone first/);
  assert.throws(() => recipientOf('Beta=ed25519:nonsense'), /not a derisk feed key/);
  assert.throws(() => recipientOf('just a name'), /write NAME=ed25519:<its feed key> or NAME=<its MISP organisation UUID>/);
  await service.restrict(admin, 'note', only, [recipientOf(`Beta University=${b.publicKey}`), recipientOf('A MISP partner=7c0b3e5e-2b1a-4d3f-9a4e-6f1d2c3b4a59')]);
  assert.deepEqual(
    (await service.items(admin)).notes
      .find((n) => n.id === only)!
      .recipients!.map((r) => r.name)
      .sort(),
    ['A MISP partner', 'Beta University'],
  );

  const events = mispEvents(publisherOf(a), await service.outgoing(admin, { maxTlp: 'green', audience: 'community', k: 3, to: 'file' }), []);
  const grouped = events.filter((e) => e.Event.distribution === '4');
  assert.equal(grouped.length, 1, 'the restricted note in an event of its own, for its sharing group');
  const g = grouped[0]!.Event as { sharing_group_id: string; SharingGroup: { id: string; SharingGroupOrg: { Organisation: { uuid: string; name: string } }[] }; Attribute: { distribution: string; Note: { note: string }[] }[] };
  assert.equal(g.SharingGroup.id, g.sharing_group_id);
  assert.deepEqual(g.SharingGroup.SharingGroupOrg.map((m) => m.Organisation.name).sort(), ['A MISP partner', 'Alpha', 'Beta University']);
  assert.deepEqual(
    g.Attribute.map((x) => [x.distribution, x.Note[0]!.note]),
    [['5', 'FOR-BETA-ONLY']],
  );
  assert.ok(events.filter((e) => e.Event.distribution !== '4').every((e) => !JSON.stringify(e).includes('FOR-BETA-ONLY')));
  assert.ok(!JSON.stringify(stixBundle(publisherOf(a), await service.outgoing(admin, { maxTlp: 'green', audience: 'community', k: 3, to: 'file' }), [])).includes('FOR-BETA-ONLY'), 'STIX cannot say who may read it: left out');

  // Through A's signed feed: Beta, a member, takes both notes; Gamma, not in the group, only the open one.
  const feed = join(tempDir(), 'feed');
  writeFeed(homeA, feed, events);
  const pull = (self: Identity) => readVerifiedFeed(feedReader(feed), { publicKey: a.publicKey, keyId: a.keyId, lastSequence: null, lastManifest: null }, publisherOf(self));
  const atB = await pull(b);
  assert.deepEqual(atB.items.map((i) => (i.doc as { body: string }).body).sort(), ['FOR-BETA-ONLY', 'FOR-EVERY-SUBSCRIBER']);
  const atC = await pull(c);
  assert.deepEqual(
    atC.items.map((i) => (i.doc as { body: string }).body),
    ['FOR-EVERY-SUBSCRIBER'],
  );
  assert.match(atC.refused.map((r) => r.reason).join('\n'), /restricted to sharing group "Alpha with [^"]*Beta University[^"]*", of which this installation \(Gamma\) is not a member/);

  // Audited: who restricted it to whom, and a recipient planted behind derisk's back is reported.
  const trail = await db.query<{ detail: string }>("SELECT detail FROM audit WHERE action = 'exchange.restrict'");
  assert.deepEqual(JSON.parse(trail[0]!.detail).from, []);
  assert.deepEqual((await verifyAudit(db)).problems, []);
  await db.query("INSERT INTO exchange_recipients VALUES ('note', $1, $2, 'Gamma', 'uni-a', 'intruder', '2026-11-30')", [only, publisherOf(c).uuid]);
  assert.match((await verifyAudit(db)).problems.map((p) => p.problem).join('\n'), /exchange_recipients\/note\/.* was written outside derisk/);
  await db.close();
});

test("TLP:AMBER+STRICT is for its recipient's organisation only: a feed never carries it, a feed that does has it refused, naming the item; a file imported into one organisation takes it", async () => {
  const db = await EmbeddedDb.open(':memory:');
  await migrate(db);
  const service = new ExchangeService(db, new Set(['NL']));
  const admin: Actor = { userId: 'admin@uni-a', orgId: 'uni-a', role: 'admin', name: 'admin' };
  const strict = await service.addNote(admin, { kind: 'name', value: 'Strict Lab', label: 'Strict Lab' }, 'AMBER-STRICT-TEXT');
  const amber = await service.addNote(admin, { kind: 'name', value: 'Amber Lab', label: 'Amber Lab' }, 'AMBER-TEXT');
  await service.share(admin, 'note', strict, { distribution: 'community', tlp: 'amber+strict' });
  await service.share(admin, 'note', amber, { distribution: 'community', tlp: 'amber' });
  await assert.rejects(service.outgoing(admin, { maxTlp: 'amber+strict', audience: 'community', k: 3, to: 'feed' }), /a feed carries markings up to TLP:AMBER, not TLP:AMBER\+STRICT/);
  const toFeed = await service.outgoing(admin, { maxTlp: 'amber', audience: 'community', k: 3, to: 'feed' });
  assert.deepEqual(
    toFeed.notes.map((n) => n.body),
    ['AMBER-TEXT'],
  );
  // An installation that published it anyway (another version, another tool): its subscribers refuse the item, naming it.
  const toFile = await service.outgoing(admin, { maxTlp: 'amber+strict', audience: 'community', k: 3, to: 'file' });
  assert.deepEqual(toFile.notes.map((n) => n.body).sort(), ['AMBER-STRICT-TEXT', 'AMBER-TEXT']);
  const [homeA, homeB] = [tempDir(), tempDir()];
  const [a, b] = [feedIdentity(homeA, 'Alpha'), feedIdentity(homeB, 'Beta')];
  const events = mispEvents(publisherOf(a), toFile, []);
  const feed = join(tempDir(), 'feed');
  writeFeed(homeA, feed, events);
  const pulled = await readVerifiedFeed(feedReader(feed), { publicKey: a.publicKey, keyId: a.keyId, lastSequence: null, lastManifest: null }, publisherOf(b));
  assert.deepEqual(
    pulled.items.map((i) => (i.doc as { body: string }).body),
    ['AMBER-TEXT'],
  );
  assert.equal(pulled.refused.length, 1);
  assert.match(pulled.refused[0]!.reason, /^[0-9a-f-]{36}\.json, attribute [0-9a-f-]{36}: marked TLP:AMBER\+STRICT: for its recipient's organisation only, and a feed is kept for every organisation of this installation/);
  // The same event handed over as a file is imported into the one organisation it was sent to.
  const asFile = events.map((e) => readMispEvent(e, 'sent.json', 'file', publisherOf(b)));
  assert.deepEqual(asFile.flatMap((r) => r.items.map((i) => (i.doc as { body: string }).body)).sort(), ['AMBER-STRICT-TEXT', 'AMBER-TEXT']);
  assert.deepEqual(
    asFile.flatMap((r) => r.refused),
    [],
  );
  await db.close();
});
