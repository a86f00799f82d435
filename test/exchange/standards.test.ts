import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { ftmEntityId, ftmListEntities, ftmOutgoingEntities, loadFtmTopics } from '../../src/exchange/ftm.ts';
import { nameUuid } from '../../src/exchange/marking.ts';
import { mispEvents, readMispEvent } from '../../src/exchange/misp.ts';
import { ExchangeService, type AnonymisedAssessment } from '../../src/exchange/service.ts';
import { readStixBundle, STIX_CORRECTION, stixBundle } from '../../src/exchange/stix.ts';
import { MatchCorrections } from '../../src/resolve/corrections.ts';
import { verifyAudit } from '../../src/service/audit.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { ForbiddenError, NotFoundError, type Actor } from '../../src/service/authorize.ts';
import { ftmModel, problems } from '../helpers/ftm-schema.ts';
import { watchlist } from '../helpers/watchlist.ts';

const STANDARDS = new URL('../../../shared/standards/', import.meta.url).pathname;
const MISP_CORE = readFileSync(join(STANDARDS, 'misp/misp-core-format.md'), 'utf8');
const STIX = join(STANDARDS, 'stix2-json-schemas/schemas');
const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void;

const admin = (orgId: string): Actor => ({ userId: `admin@${orgId}`, orgId, role: 'admin', name: orgId });
const publisher = { name: 'Test platform', uuid: '5b1f1c9e-8c1e-4d8e-9a47-1c6c3f0e2a10' };
const list = readWatchlist(watchlist([{ id: 'nudt', name: 'National University of Defense Technology', aliases: ['NUDT'], name_zh: '国防科技大学', level: 'very-high', country: 'CN', ror_ids: ['05d2yfz11'], url: 'https://example.org/nudt' }]));

async function sharedItems() {
  const db = await EmbeddedDb.open(':memory:');
  await migrate(db);
  const service = new ExchangeService(db, new Set(['NL', 'DE']));
  const a = admin('uni-a');
  const note = await service.addNote(a, { kind: 'entry', value: 'my-watchlist/nudt', label: 'National University of Defense Technology' }, 'Runs a joint lab with the PLA', 90);
  await service.share(a, 'note', note, { distribution: 'community', tlp: 'green' });
  const amber = await service.addNote(a, { kind: 'ror', value: '05d2yfz11', label: '05d2yfz11' }, 'AMBER-TEXT for partners only');
  await service.share(a, 'note', amber, { distribution: 'community', tlp: 'amber' });
  const red = await service.addNote(a, { kind: 'name', value: 'Shadow Ltd', label: 'Shadow Ltd' }, 'RED-TEXT for named recipients');
  await service.share(a, 'note', red, { distribution: 'everyone', tlp: 'red' });
  await service.addNote(a, { kind: 'name', value: 'Someone', label: 'Someone' }, 'PRIVATE-TEXT never shared');
  const decision = await service.decideNamesake(admin('uni-b'), { name: 'Defense Technology University, Boston', listId: 'my-watchlist', entryId: 'nudt', entryName: 'National University of Defense Technology', reason: 'a US college of the same words' });
  await service.share(admin('uni-b'), 'namesake', decision, { distribution: 'everyone', tlp: 'clear' });
  return { db, service, a, note };
}

test('sharing: nothing leaves by default, TLP:RED never, --tlp is a ceiling; only the owner may change it and only an officer', async () => {
  const { db, service, a, note } = await sharedItems();
  const green = await service.outgoing(a, { maxTlp: 'green', audience: 'community', k: 3, to: 'file' });
  assert.deepEqual(
    green.notes.map((n) => n.body),
    ['Runs a joint lab with the PLA'],
  );
  assert.equal(green.namesakes.length, 1);
  const amber = await service.outgoing(a, { maxTlp: 'amber+strict', audience: 'community', k: 3, to: 'file' });
  assert.deepEqual(amber.notes.map((n) => n.body).sort(), ['AMBER-TEXT for partners only', 'Runs a joint lab with the PLA']);
  const everyone = await service.outgoing(a, { maxTlp: 'amber+strict', audience: 'everyone', k: 3, to: 'file' });
  assert.deepEqual(everyone.notes, [], 'community items stay out of a feed for everyone; the RED one shared with everyone too');
  assert.equal(everyone.namesakes.length, 1);
  await assert.rejects(service.share({ ...a, role: 'analyst' }, 'note', note, { distribution: 'everyone', tlp: 'clear' }), ForbiddenError);
  await assert.rejects(service.share(admin('uni-b'), 'note', note, { distribution: 'everyone', tlp: 'clear' }), NotFoundError);
  await assert.rejects(service.outgoing({ ...a, role: 'officer' }, { maxTlp: 'green', audience: 'community', k: 3, to: 'file' }), ForbiddenError);
  const trail = await db.query<{ action: string; detail: string }>(`SELECT action, detail FROM audit WHERE action = 'exchange.share' ORDER BY seq`);
  assert.equal(trail.length, 4);
  assert.deepEqual(JSON.parse(trail[0]!.detail).from, { distribution: 'organisation', tlp: 'amber+strict' }, 'the level before is recorded');
  await db.close();
});

/** The fields a section of the MISP core format says MUST (or SHALL) be present. */
function required(section: string): string[] {
  const start = MISP_CORE.indexOf(`\n${section}\n`);
  assert.ok(start >= 0, section);
  const level = section.split(' ')[0]!.length;
  const rest = MISP_CORE.slice(start + section.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level}} `));
  const body = end < 0 ? rest : rest.slice(0, end);
  const out = new Set<string>();
  for (const part of body.split(/\n#### /).slice(1)) {
    const name = part.split('\n')[0]!.trim().replace(/\\_/g, '_');
    if (/\*\*(MUST|SHALL)\*\* be present/.test(part) || /\*\*MUST\*\* be present/.test(part.replace(/\n/g, ' '))) out.add(name);
  }
  for (const m of body.matchAll(/^(\w+) \*\*MUST\*\* be present/gm)) out.add(m[1]!);
  return [...out];
}

test('MISP export: every field the core format requires, valid against its JSON schema, galaxy clusters as the galaxy format asks', async () => {
  const { db, service, a } = await sharedItems();
  // One note an administrator restricted to a named partner: its event carries a sharing group.
  const restricted = await service.addNote(a, { kind: 'name', value: 'Closed Lab', label: 'Closed Lab' }, 'for one partner');
  await service.share(a, 'note', restricted, { distribution: 'community', tlp: 'green' });
  await service.restrict(a, 'note', restricted, [{ name: 'Partner University', uuid: nameUuid('publisher/partner') }]);
  const events = mispEvents(publisher, await service.outgoing(a, { maxTlp: 'amber+strict', audience: 'community', k: 3, to: 'file' }), [list], new Date('2026-11-30T10:00:00Z'), true);
  assert.deepEqual(
    events.filter(({ Event: e }) => e.distribution === '4').map(({ Event: e }) => [e.sharing_group_id, (e.SharingGroup as { id: string }).id]),
    [['1', '1']],
  );
  const text = JSON.stringify(events);
  for (const secret of ['RED-TEXT', 'PRIVATE-TEXT', 'tlp:red']) assert.ok(!text.includes(secret), secret);

  const eventFields = required('### Event Attributes');
  const attributeFields = required('### Attribute Attributes');
  const opinionFields = required('### Opinion');
  const noteFields = required('### Note');
  const sightingFields = required('## Sighting');
  assert.ok(eventFields.includes('uuid') && eventFields.includes('distribution') && eventFields.length >= 12, eventFields.join());
  assert.deepEqual(sightingFields.sort(), ['date_sighting', 'type', 'uuid']);
  let notes = 0,
    opinions = 0,
    sightings = 0,
    clusters = 0;
  for (const { Event: e } of events) {
    for (const f of [...eventFields, 'Org', 'Orgc']) assert.ok(f in e, `Event.${f}`);
    for (const o of [e.Org, e.Orgc] as Record<string, unknown>[]) for (const f of ['uuid', 'name', 'id']) assert.equal(typeof o[f], 'string', `Org.${f}`);
    for (const attr of e.Attribute as Record<string, unknown>[]) {
      for (const f of attributeFields.filter((x) => !['data', 'RelatedAttribute', 'ShadowAttribute', 'first_seen', 'last_seen'].includes(x))) assert.ok(f in attr, `Attribute.${f} (${attributeFields.join()})`);
      assert.ok(
        (attr.Tag as { name: string }[]).some((t) => /^tlp:(clear|green|amber|amber\+strict)$/.test(t.name)),
        'every attribute carries its TLP tag',
      );
      for (const n of (attr.Note as Record<string, unknown>[] | undefined) ?? []) {
        notes++;
        for (const f of noteFields) assert.ok(f in n, `Note.${f}`);
      }
      for (const o of (attr.Opinion as Record<string, unknown>[] | undefined) ?? []) {
        opinions++;
        for (const f of opinionFields) assert.ok(f in o, `Opinion.${f}`);
      }
      for (const s of (attr.Sighting as Record<string, unknown>[] | undefined) ?? []) {
        sightings++;
        assert.equal(s.type, '1', 'a namesake decision is a sighting confirmed as a false positive');
        for (const f of sightingFields) assert.ok(f in s, `Sighting.${f}`);
      }
    }
    const galaxies = [e, ...(e.Attribute as Record<string, unknown>[])].flatMap((x) => (x.Galaxy as Record<string, unknown>[] | undefined) ?? []);
    for (const g of galaxies) {
      for (const c of g.GalaxyCluster as Record<string, unknown>[]) {
        clusters++;
        for (const f of ['value', 'uuid', 'description']) assert.equal(typeof c[f], 'string', `cluster.${f}`);
        const meta = c.meta as Record<string, string[]>;
        assert.deepEqual(meta['derisk-risk-level'], ['very-high']);
        assert.deepEqual(meta['ror-id'], ['https://ror.org/05d2yfz11']);
        assert.deepEqual(meta.synonyms?.sort(), ['NUDT', '国防科技大学']);
        assert.ok(meta.refs!.includes('https://example.org/nudt'));
      }
    }
  }
  assert.deepEqual([notes, opinions, sightings], [4, 1, 1]);
  assert.ok(clusters >= 2, 'the lists as galaxies, and the entry a note is about on its attribute');
  assert.ok(events.some(({ Event: e }) => (e.Attribute as { distribution: string }[]).some((x) => x.distribution === '3')) && events.every(({ Event: e }) => (e.Attribute as { distribution: string }[]).every((x) => x.distribution !== '0')));

  const validate = mispCoreSchema();
  for (const e of events) assert.ok(validate(e), JSON.stringify(validate.errors?.slice(0, 5)));
  await db.close();
});

/**
 * The schema the core format gives (draft-04; its event and attribute predate analyst data, which
 * are added here with the fields the text requires of them).
 */
function mispCoreSchema() {
  const block = MISP_CORE.slice(MISP_CORE.indexOf('# JSON Schema'));
  const schema = JSON.parse(block.slice(block.indexOf('~~~~') + 4, block.indexOf('~~~~', block.indexOf('~~~~') + 4)));
  delete schema.$schema;
  delete schema.id;
  const analyst = (fields: string[]) => ({ type: 'array', items: { type: 'object', required: fields } });
  schema.defs.attribute.properties.Note = analyst(required('### Note'));
  schema.defs.attribute.properties.Opinion = analyst(required('### Opinion'));
  schema.defs.sighthing.required = required('## Sighting');
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

/** The official STIX 2.1 JSON schemas, and a check of one object against the schema of its id. */
function stixSchemas() {
  // The official schemas write `\\-` in patterns, which JavaScript's Unicode mode refuses.
  const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats(ajv);
  const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.json') ? [join(dir, d.name)] : []));
  for (const f of files(STIX)) ajv.addSchema(JSON.parse(readFileSync(f, 'utf8')));
  const base = 'http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/';
  const check = (id: string, doc: unknown) => {
    const v = ajv.getSchema(base + id)!;
    assert.ok(v, id);
    assert.ok(v(doc), `${id}: ${JSON.stringify(v.errors?.slice(0, 5))}`);
  };
  return { ajv, base, check };
}

test('STIX 2.1 export validates against the official JSON schemas, TLP 2.0 markings, no TLP:RED', async () => {
  const { db, service, a } = await sharedItems();
  const bundle = stixBundle(publisher, await service.outgoing(a, { maxTlp: 'amber+strict', audience: 'community', k: 3, to: 'file' }), [list], new Date('2026-11-30T10:00:00Z'));
  const { ajv, base, check } = stixSchemas();
  const types = new Map<string, number>();
  for (const o of bundle.objects) {
    const type = o.type as string;
    types.set(type, (types.get(type) ?? 0) + 1);
    check(type === 'relationship' ? 'sros/relationship.json' : type === 'marking-definition' ? 'common/marking-definition.json' : `sdos/${type}.json`, o);
  }
  // bundle.json at this commit lists no note, opinion, grouping or location among its objects, and
  // its branch for other objects needs exactly one of core and cyber-observable-core, which a note
  // satisfies both of: no bundle with a note passes it. So the envelope is checked with the object
  // types it knows, and every object above against the schema of its own type.
  const known = JSON.stringify(JSON.parse(readFileSync(join(STIX, 'common/bundle.json'), 'utf8')));
  check('common/bundle.json', { ...bundle, objects: bundle.objects.filter((o) => known.includes(`/${o.type}.json`)) });
  assert.deepEqual(Object.fromEntries(types), { identity: 6, note: 2, opinion: 2, relationship: 1, 'marking-definition': 3 });
  const text = JSON.stringify(bundle);
  for (const secret of ['RED-TEXT', 'PRIVATE-TEXT', 'TLP:RED', 'e828b379-4e03-4974-9ac4-e53a884c97c1']) assert.ok(!text.includes(secret), secret);
  const tlps = bundle.objects
    .filter((o) => o.type === 'marking-definition')
    .map((o) => o.name)
    .sort();
  assert.deepEqual(tlps, ['TLP:AMBER', 'TLP:CLEAR', 'TLP:GREEN']);
  // A bundle the schemas refuse is caught: the check can fail.
  assert.equal(ajv.getSchema(base + 'sdos/note.json')!({ ...bundle.objects.find((o) => o.type === 'note'), object_refs: [] }), false);
  await db.close();
});

test('FtM export: the items MISP and STIX carry as Notes on the listed Organization (the id export ftm gives it), valid against the FtM schema files; TLP and distribution in keywords; ids stable', async () => {
  const { db, service, a } = await sharedItems();
  const outgoing = await service.outgoing(a, { maxTlp: 'amber+strict', audience: 'community', k: 3, to: 'file' });
  // An anonymised verdict as outgoing lets one through (k organisations reached; that gate is outgoing's, for every format).
  const verdict: AnonymisedAssessment = {
    uuid: nameUuid('assessment/x'),
    partners: [
      { name: 'Harbin Institute of Technology', ror: '01yqg2h08', country: 'CN' },
      { name: 'Shadow Photonics Lab', ror: null, country: 'CN' },
    ],
    fields: ['eu-artificial-intelligence'],
    overall: 'red',
    categories: { partner: 'red', technology: 'yellow' },
    criteria: ['P-LISTED-VERY-HIGH'],
    lists: [{ id: 'my-watchlist', version: 'v1' }],
    rulebook: 'r1',
    bundle: 'b1',
    month: '2026-11',
    distribution: 'community',
    tlp: 'green',
  };
  const entities = ftmOutgoingEntities(publisher, { ...outgoing, assessments: [verdict] }, [list]);
  const byId = new Map(entities.map((e) => [e.id, e]));
  const model = ftmModel();
  const topics = loadFtmTopics().vocabulary;
  assert.deepEqual(
    entities.flatMap((e) => problems(e, byId, model, topics)),
    [],
  );
  const notes = entities.filter((e) => e.schema === 'Note');
  assert.equal(notes.length, outgoing.notes.length + outgoing.namesakes.length + 1, 'each note, decision and verdict the MISP and STIX exports carry, and nothing else');
  const text = JSON.stringify(entities);
  for (const secret of ['RED-TEXT', 'PRIVATE-TEXT', 'tlp:red']) assert.ok(!text.includes(secret), secret);

  const nudt = ftmEntityId('my-watchlist', 'nudt');
  assert.ok(
    ftmListEntities([list]).some((e) => e.id === nudt && byId.get(nudt)!.schema === 'Organization'),
    'the listed Organization has the id derisk export ftm gives it',
  );
  const onNudt = notes.find((n) => n.properties.description?.[0] === 'Runs a joint lab with the PLA')!;
  assert.deepEqual(onNudt.properties.entity, [nudt]);
  assert.deepEqual(onNudt.properties.keywords, ['tlp:green', 'distribution:community']);
  assert.match(onNudt.properties.publisher![0]!, /^uni-a \(via Test platform\)$/);
  const namesake = notes.find((n) => n.properties.keywords?.includes('derisk:namesake'))!;
  assert.equal(namesake.properties.entity![0], nudt);
  assert.equal(byId.get(namesake.properties.entity![1]!)!.properties.name![0], 'Defense Technology University, Boston');
  assert.match(namesake.properties.summary![0]!, /it is NOT that entity/);
  assert.deepEqual(namesake.properties.description, ['a US college of the same words']);
  assert.deepEqual(namesake.properties.keywords, ['derisk:namesake', 'tlp:clear', 'distribution:everyone']);
  const assessed = notes.find((n) => n.properties.keywords?.includes('derisk:assessment'))!;
  assert.deepEqual(
    assessed.properties.entity!.map((id) => byId.get(id)!.properties.country),
    [['cn'], ['cn']],
  );
  assert.deepEqual(byId.get('derisk-ror-01yqg2h08')!.properties.sourceUrl, ['https://ror.org/01yqg2h08']);

  // A feed for everyone leaves the community note out, keeps the decision shared with everyone.
  const everyone = ftmOutgoingEntities(publisher, await service.outgoing(a, { maxTlp: 'amber+strict', audience: 'everyone', k: 3, to: 'file' }), [list]);
  assert.ok(!everyone.some((e) => e.id === onNudt.id), 'the note shared with the community is not in an export for everyone');
  assert.ok(everyone.some((e) => e.id === namesake.id));
  assert.ok(!JSON.stringify(everyone).includes('AMBER-TEXT'));
  // Stable: the same items are the same entities at every export; each note's id is its own.
  assert.deepEqual(ftmOutgoingEntities(publisher, { ...(await service.outgoing(a, { maxTlp: 'amber+strict', audience: 'community', k: 3, to: 'file' })), assessments: [verdict] }, [list]), entities);
  assert.equal(onNudt.id, ftmOutgoingEntities(publisher, await service.outgoing(a, { maxTlp: 'green', audience: 'community', k: 3, to: 'file' }), [list]).find((e) => e.schema === 'Note' && e.properties.entity?.[0] === nudt && !e.properties.keywords!.includes('derisk:namesake'))!.id);
  // The checker can fail: Note has no author.
  assert.equal(problems({ ...onNudt, properties: { ...onNudt.properties, author: ['x'] } }, byId, model, topics).length, 1);
  await db.close();
});

test('STIX 2.1 carries shared match corrections (a note with x_derisk_match_correction, valid against the schemas); an imported bundle brings them as received corrections an organisation accepts', async () => {
  const TSINGHUA = '03cve4549';
  const registry = (id: string) => (id === TSINGHUA ? { name: 'Tsinghua University' } : undefined);
  const dbA = await EmbeddedDb.open(':memory:');
  await migrate(dbA);
  const a = admin('uni-a');
  const mine = new MatchCorrections(dbA, registry);
  const is = await mine.correct(a, { raw: 'Key Lab of Machine Perception, Beijing', verdict: 'is', rorId: TSINGHUA, reason: 'its web page says Tsinghua' });
  const none = await mine.correct(a, { raw: 'Beijing Key Lab', verdict: 'none', reason: 'a provincial label, no institution' });
  const kept = await mine.correct(a, { raw: 'PRIVATE-ONLY Lab', verdict: 'none', reason: 'kept in house' });
  const exchangeA = new ExchangeService(dbA, new Set(['NL']));
  await exchangeA.share(a, 'correction', is.id, { distribution: 'community', tlp: 'green' });
  await exchangeA.share(a, 'correction', none.id, { distribution: 'community', tlp: 'clear' });
  const bundle = stixBundle(publisher, await exchangeA.outgoing(a, { maxTlp: 'green', audience: 'community', k: 3, to: 'file' }), []);
  assert.ok(!JSON.stringify(bundle).includes('PRIVATE-ONLY') && !JSON.stringify(bundle).includes(kept.id));
  const { check } = stixSchemas();
  const notes = bundle.objects.filter((o) => o.type === 'note');
  assert.equal(notes.length, 2);
  for (const o of bundle.objects) check(o.type === 'marking-definition' ? 'common/marking-definition.json' : `sdos/${o.type as string}.json`, o);
  assert.deepEqual(notes.find((n) => n.id === `note--${is.id}`)![STIX_CORRECTION], { string: 'Key Lab of Machine Perception, Beijing', verdict: 'is', ror_id: TSINGHUA });

  // Read back: the two corrections; one marked RED or with a verdict that is not one refused, with the reason.
  const red = { ...notes[0]!, id: 'note--11111111-1111-4111-8111-111111111111', object_marking_refs: ['marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'] };
  const odd = { ...notes[0]!, id: 'note--22222222-2222-4222-8222-222222222222', [STIX_CORRECTION]: { string: 'X Lab', verdict: 'maybe', ror_id: TSINGHUA } };
  const read = readStixBundle({ ...bundle, objects: [...bundle.objects, red, odd] }, 'from-a.json');
  assert.deepEqual(
    read.items.map((i) => [i.uuid, i.tlp, i.originOrg]).sort(),
    [
      [is.id, 'green', 'uni-a'],
      [none.id, 'clear', 'uni-a'],
    ].sort(),
  );
  assert.match(read.refused.map((r) => r.reason).join('\n'), /11111111-.*marked TLP:RED[^]*22222222-.*verdict "maybe" is not is, not or none/);
  assert.throws(() => readStixBundle({ objects: [] }, 'x.json'), /x.json: not a STIX 2.1 bundle/);

  // Installation B imports the file: received, applying to nobody until an organisation accepts it.
  const dbB = await EmbeddedDb.open(':memory:');
  await migrate(dbB);
  const exchangeB = new ExchangeService(dbB, new Set(['NL']));
  await assert.rejects(exchangeB.importItems({ ...admin('uni-x'), role: 'officer' }, { from: 'University A', name: 'from-a.json', sha256: 'ab'.repeat(32) }, read.items), ForbiddenError);
  const report = await exchangeB.importItems(admin('uni-x'), { from: 'University A', name: 'from-a.json', sha256: 'ab'.repeat(32) }, read.items);
  assert.deepEqual([report.added, report.conflicts.length], [2, 0]);
  const theirs = new MatchCorrections(dbB, registry);
  const analyst = { ...admin('uni-x'), role: 'analyst' as const };
  assert.deepEqual(await theirs.inForce('uni-x'), []);
  const received = await theirs.receivedFor(analyst);
  assert.deepEqual(
    received.map((r) => [r.uuid, r.accepted, r.publisher, r.correction.verdict]).sort(),
    [
      [is.id, false, 'University A', 'is'],
      [none.id, false, 'University A', 'none'],
    ].sort(),
  );
  await theirs.accept(analyst, is.id);
  assert.deepEqual(
    (await theirs.inForce('uni-x')).map((c) => [c.raw, c.rorId, c.verdict]),
    [['Key Lab of Machine Perception, Beijing', TSINGHUA, 'is']],
  );
  assert.deepEqual(await theirs.inForce('uni-y'), [], 'for the organisation that accepted it only');
  assert.deepEqual((await verifyAudit(dbB)).problems, []);
  await dbA.close();
  await dbB.close();
});

test('a shared correction withdrawn, superseded or unshared goes out once more as its retraction: the MISP attribute deleted, the STIX note revoked and modified later, both valid against the schemas; one never shared at that level is not named', async () => {
  const TSINGHUA = '03cve4549';
  const db = await EmbeddedDb.open(':memory:');
  await migrate(db);
  const a = admin('uni-a');
  const mine = new MatchCorrections(db, (id) => (id === TSINGHUA ? { name: 'Tsinghua University' } : undefined));
  const exchange = new ExchangeService(db, new Set(['NL']));
  const made = async (raw: string, tlp: 'green' | 'amber' = 'green') => {
    const c = await mine.correct(a, { raw, verdict: 'is', rorId: TSINGHUA, reason: `checked ${raw}` });
    await exchange.share(a, 'correction', c.id, { distribution: 'community', tlp });
    return c.id;
  };
  const [withdrawn, superseded, unshared, live, amberOnly] = [await made('Lab W, Beijing'), await made('Lab S, Beijing'), await made('Lab U, Beijing'), await made('Lab L, Beijing'), await made('Lab A, Beijing', 'amber')];
  const green = { maxTlp: 'green', audience: 'community', k: 3, to: 'feed' } as const;
  assert.deepEqual((await exchange.outgoing(a, green)).retractions, [], 'nothing ended yet');
  await mine.withdraw(a, withdrawn, 'the web page was out of date');
  await mine.correct(a, { raw: 'LAB S, BEIJING', verdict: 'none', reason: 'a company lab' });
  await exchange.unshare(a, 'correction', unshared);
  await mine.withdraw(a, amberOnly, 'wrong');
  const out = await exchange.outgoing(a, green);
  assert.deepEqual(
    out.corrections.map((c) => c.id),
    [live],
  );
  // The AMBER one never went out at TLP:GREEN: a green publish does not name it.
  assert.deepEqual(out.retractions!.map((c) => c.id).sort(), [withdrawn, superseded, unshared].sort());
  for (const r of out.retractions!) assert.ok(r.retractedAt > r.createdAt && r.tlp === 'green', r.id);

  const events = mispEvents(publisher, out, [], new Date('2026-12-04T10:00:00Z'));
  const attributes = events.flatMap(({ Event: e }) => e.Attribute as Record<string, unknown>[]);
  assert.deepEqual(
    attributes
      .filter((x) => x.deleted === true)
      .map((x) => x.uuid)
      .sort(),
    [withdrawn, superseded, unshared].sort(),
  );
  const validate = mispCoreSchema();
  for (const e of events) assert.ok(validate(e), JSON.stringify(validate.errors?.slice(0, 5)));
  const back = events.flatMap((e) => readMispEvent(e, 'feed.json', 'feed').items);
  assert.deepEqual(
    back
      .filter((i) => i.retractedAt !== undefined)
      .map((i) => i.uuid)
      .sort(),
    [withdrawn, superseded, unshared].sort(),
  );
  assert.deepEqual(
    back.filter((i) => i.retractedAt === undefined).map((i) => i.uuid),
    [live],
  );

  const bundle = stixBundle(publisher, out, []);
  const { check } = stixSchemas();
  for (const o of bundle.objects) check(o.type === 'marking-definition' ? 'common/marking-definition.json' : `sdos/${o.type as string}.json`, o);
  const revoked = bundle.objects.filter((o) => o.revoked === true);
  assert.deepEqual(revoked.map((o) => o.id).sort(), [withdrawn, superseded, unshared].map((id) => `note--${id}`).sort());
  for (const o of revoked) assert.ok(String(o.modified) > String(o.created), 'a revoked object is re-issued with a newer modified');
  assert.deepEqual(readStixBundle(bundle, 'b.json').items.filter((i) => i.retractedAt !== undefined).length, 3);
  assert.deepEqual((await verifyAudit(db)).problems, []);
  await db.close();
});
