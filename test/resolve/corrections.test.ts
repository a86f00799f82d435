import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import fc from 'fast-check';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { ExchangeService } from '../../src/exchange/service.ts';
import { rorInstitution } from '../../src/ingest/ror.ts';
import { CorrectionError, MatchCorrections } from '../../src/resolve/corrections.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { correctionKey, Thesaurus } from '../../src/resolve/thesaurus.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { openSealedTrail, verifyAudit } from '../../src/service/audit.ts';
import { ForbiddenError, NotFoundError, OTHER_ORG_USER, type Actor } from '../../src/service/authorize.ts';
import { ConflictError } from '../../src/errors.ts';
import { tempDir } from '../helpers/fixtures.ts';

const institution = (k: number, name: string, code: string, country: string) =>
  rorInstitution({
    id: `https://ror.org/0cxrr000${k}`,
    status: 'active',
    types: ['education'],
    names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }],
    locations: [{ geonames_details: { country_code: code, country_name: country, name: 'Someplace' } }],
    relationships: [],
  });
const registry = [institution(1, 'Aurora University of Technology', 'DE', 'Germany'), institution(2, 'Borealis Institute', 'FR', 'France')];
const [aurora, borealis] = registry as [(typeof registry)[0], (typeof registry)[0]];
const resolver = new AffiliationResolver(registry);

const actor = (orgId: string, role: Actor['role'] = 'analyst'): Actor => ({ userId: `${role}@${orgId}.example`, orgId, role, name: `${role} of ${orgId}` });

async function installation() {
  const home = tempDir();
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(raw);
  const db = await openSealedTrail(raw, { keyPath: join(home, 'audit.key'), anchorPath: join(home, 'audit.anchor.json') });
  const accounts = new Accounts(db);
  for (const org of ['org-a', 'org-b']) await accounts.createOrganisation(OPERATOR, org, org);
  return { db, corrections: new MatchCorrections(db, (id) => resolver.institution(id)), exchange: new ExchangeService(db, new Set(['DE', 'FR'])) };
}

const RAW = 'Lab of Polar Light, Someplace';

test("a correction decides its organisation's resolution only; shared, it decides the other's too, whose own correction still wins", async () => {
  const { db, corrections, exchange } = await installation();
  try {
    const [a, b] = [actor('org-a'), actor('org-b')];
    assert.deepEqual((await corrections.resolveFor(a, resolver, RAW)).institutions, []);
    const c = await corrections.correct(a, { raw: RAW, verdict: 'is', rorId: `https://ror.org/${borealis.id}`, reason: 'the author page says so' });
    assert.equal(c.rorId, borealis.id);
    const forA = await corrections.resolveFor(a, resolver, 'LAB OF POLAR LIGHT; Someplace');
    assert.deepEqual(
      forA.institutions.map((m) => [m.rorId, m.basis.how]),
      [[borealis.id, 'correction']],
    );
    assert.match(forA.institutions[0]!.evidence, /corrected by analyst@org-a\.example \(org-a\).*the author page says so/);
    assert.deepEqual((await corrections.resolveFor(b, resolver, RAW)).institutions, [], "org-a's unshared correction is not org-b's");
    assert.deepEqual(
      (await corrections.list(b)).map((x) => x.id),
      [],
      "org-b does not see org-a's corrections",
    );

    await assert.rejects(exchange.share(actor('org-b', 'officer'), 'correction', c.id, { distribution: 'community', tlp: 'green' }), /no correction/, 'another organisation cannot share it');
    await exchange.share(actor('org-a', 'officer'), 'correction', c.id, { distribution: 'community', tlp: 'green' });
    const sharedForB = (await corrections.resolveFor(b, resolver, RAW)).institutions[0];
    assert.equal(sharedForB?.rorId, borealis.id, 'shared, it applies to org-b');
    assert.match(sharedForB!.evidence, /corrected by a user of another organisation \(org-a\)/, "org-b is told the organisation its sharing names, not the author's id");
    assert.ok(!sharedForB!.evidence.includes(a.userId));
    assert.deepEqual(
      (await corrections.list(a)).map((x) => [x.id, x.distribution, x.tlp]),
      [[c.id, 'community', 'green']],
    );

    await corrections.correct(b, { raw: RAW, verdict: 'none', reason: 'a private lab, not in the registry' });
    const forB = await corrections.resolveFor(b, resolver, RAW);
    assert.deepEqual(forB.institutions, [], "org-b's own correction wins over the one shared with it");
    assert.match(forB.countryEvidence, /no registry institution: corrected by analyst@org-b\.example/);
    assert.equal((await corrections.resolveFor(a, resolver, RAW)).institutions[0]?.rorId, borealis.id, "org-b's correction is not org-a's");

    await exchange.share(actor('org-a', 'officer'), 'correction', c.id, { distribution: 'community', tlp: 'red' });
    assert.deepEqual((await corrections.resolveFor(actor('org-c'), resolver, RAW)).institutions, [], "marked TLP:RED it is the organisation's alone again");
    assert.deepEqual((await verifyAudit(db)).problems, []);
  } finally {
    await db.close();
  }
});

test('"not that one" removes the candidate for its organisation only', async () => {
  const { db, corrections } = await installation();
  try {
    const raw = 'Aurora University of Technology, Germany';
    await corrections.correct(actor('org-a'), { raw, verdict: 'not', rorId: aurora.id, reason: 'a namesake in Brazil' });
    const forA = await corrections.resolveFor(actor('org-a'), resolver, raw);
    assert.deepEqual(forA.institutions, []);
    assert.equal(forA.countryCode, 'DE');
    assert.equal((await corrections.resolveFor(actor('org-b'), resolver, raw)).institutions[0]?.rorId, aurora.id);
  } finally {
    await db.close();
  }
});

test('a correction is refused with the field and the reason: unknown or malformed ROR id, no reason, none with an id, a viewer', async () => {
  const { db, corrections } = await installation();
  try {
    const a = actor('org-a');
    await assert.rejects(corrections.correct(a, { raw: RAW, verdict: 'is', rorId: '0gxne0000', reason: 'x' }), (e: Error) => e instanceof CorrectionError && /ror: 0gxne0000 is not in the loaded registry/.test(e.message));
    await assert.rejects(corrections.correct(a, { raw: RAW, verdict: 'is', rorId: 'Borealis', reason: 'x' }), /ror: "Borealis" is not a ROR id/);
    await assert.rejects(corrections.correct(a, { raw: RAW, verdict: 'is', rorId: borealis.id, reason: '  ' }), /reason: say why/);
    await assert.rejects(corrections.correct(a, { raw: RAW, verdict: 'none', rorId: borealis.id, reason: 'x' }), /takes no ROR id/);
    await assert.rejects(corrections.correct(a, { raw: '#TAB# ; ,', verdict: 'none', reason: 'x' }), /string: .* has no letters or digits/);
    await assert.rejects(corrections.correct(a, { raw: 'x'.repeat(2001), verdict: 'none', reason: 'x' }), /string: at most 2000 characters/);
    await assert.rejects(corrections.correct(actor('org-a', 'viewer'), { raw: RAW, verdict: 'none', reason: 'x' }), ForbiddenError);
    assert.deepEqual(await corrections.list(a), []);
  } finally {
    await db.close();
  }
});

test('a correction edited, added or deleted in the database directly is caught by audit verify', async () => {
  for (const edit of [
    "UPDATE match_corrections SET ror_id = '0cxrr0001'",
    "INSERT INTO match_corrections (id, org_id, raw, string_key, ror_id, verdict, reason, author, created_at) VALUES ('forged', 'org-a', 'x', 'x', '0cxrr0001', 'is', 'r', 'someone', '2026-11-30T00:00:00Z')",
    'DELETE FROM match_corrections',
  ]) {
    const { db, corrections } = await installation();
    try {
      await corrections.correct(actor('org-a'), { raw: RAW, verdict: 'is', rorId: borealis.id, reason: 'checked' });
      assert.deepEqual((await verifyAudit(db)).problems, []);
      await db.transaction((tx) => tx.query(edit));
      const problems = (await verifyAudit(db)).problems;
      assert.ok(
        problems.some((p) => /match_corrections/.test(p.problem)),
        `${edit}: ${JSON.stringify(problems)}`,
      );
    } finally {
      await db.close();
    }
  }
});

test('property: a correction is found for its string written in any case, with any separators and export noise, and for no string with other words', () => {
  const word = fc.stringMatching(/^[a-z]{2,8}$/);
  const separator = fc.constantFrom(' ', ', ', '; ', ' #TAB# ', ',#N#', ' ¶ ', '\t');
  const casing = fc.constantFrom(
    (w: string) => w,
    (w: string) => w.toUpperCase(),
    (w: string) => w[0]!.toUpperCase() + w.slice(1),
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(word, casing, separator), { minLength: 1, maxLength: 6 }), fc.array(fc.tuple(casing, separator), { minLength: 6, maxLength: 6 }), word, (parts, rewrite, extra) => {
      const written = parts.map(([w, c, sep], k) => c(w) + (k < parts.length - 1 ? sep : '')).join('');
      const rewritten = parts.map(([w], k) => rewrite[k]![0](w) + (k < parts.length - 1 ? rewrite[k]![1] : '')).join('');
      const thesaurus = new Thesaurus([{ id: 'c', raw: written, key: correctionKey(written), rorId: borealis.id, verdict: 'is', reason: 'r', orgId: 'o', createdBy: 'u', createdAt: '2026-11-30T00:00:00Z' }]);
      assert.equal(thesaurus.lookup(rewritten)?.decided?.id, 'c', `${written} / ${rewritten}`);
      assert.equal(thesaurus.lookup(`${rewritten} ${extra}`), null);
    }),
  );
});

test('a later correction of the same string supersedes the earlier it contradicts; a withdrawal ends one, stays listed, and is audited with its reason', async () => {
  const { db, corrections } = await installation();
  try {
    const a = actor('org-a');
    const first = await corrections.correct(a, { raw: RAW, verdict: 'is', rorId: aurora.id, reason: 'the first look' });
    const keep = await corrections.correct(a, { raw: RAW, verdict: 'not', rorId: borealis.id, reason: 'not the French one' });
    const second = await corrections.correct(a, { raw: RAW, verdict: 'is', rorId: borealis.id, reason: 'the author page says Borealis' });
    assert.deepEqual(second.supersedes, [first.id, keep.id], '"is B" takes the place of "is A" and contradicts "not B"');
    const not = await corrections.correct(a, { raw: 'LAB OF POLAR LIGHT; SOMEPLACE', verdict: 'not', rorId: borealis.id, reason: 'Borealis denies it' });
    assert.deepEqual(not.supersedes, [second.id], '"not B" contradicts "is B", whichever spelling');
    assert.deepEqual(
      (await corrections.list(a)).map((c) => [c.id, c.state, c.supersededBy]),
      [
        [first.id, 'superseded', second.id],
        [keep.id, 'superseded', second.id],
        [second.id, 'superseded', not.id],
        [not.id, 'in force', null],
      ],
      'every correction stays listed, with what ended it',
    );
    assert.deepEqual(
      (await corrections.inForce('org-a')).map((c) => c.id),
      [not.id],
      'only the one in force applies',
    );
    assert.deepEqual((await corrections.resolveFor(a, resolver, RAW)).institutions, []);

    await assert.rejects(corrections.withdraw(a, second.id, 'x'), (e: Error) => e instanceof ConflictError && e.message.includes(`correction ${not.id}, made later on the same string, superseded it`));
    await assert.rejects(corrections.withdraw(actor('org-b'), not.id, 'x'), NotFoundError, "another organisation's correction is not found");
    await assert.rejects(corrections.withdraw(actor('org-a', 'viewer'), not.id, 'x'), ForbiddenError);
    await assert.rejects(corrections.withdraw(a, not.id, '  '), /reason: say why/);
    const withdrawn = await corrections.withdraw(a, not.id, 'Borealis confirmed it after all');
    assert.equal(withdrawn.state, 'withdrawn');
    assert.deepEqual([withdrawn.withdrawal?.by, withdrawn.withdrawal?.reason], [a.userId, 'Borealis confirmed it after all']);
    assert.deepEqual(await corrections.inForce('org-a'), [], 'withdrawing the latest brings no earlier one back');
    await assert.rejects(corrections.withdraw(a, not.id, 'again'), (e: Error) => e instanceof ConflictError && /was withdrawn already, on \d{4}-\d\d-\d\d by analyst@org-a\.example: Borealis confirmed/.test(e.message));
    assert.equal((await corrections.list(a)).length, 4, 'the history stays');

    const entries = await db.query<{ action: string; target: string; detail: string }>("SELECT action, target, detail FROM audit WHERE action IN ('match.correct', 'match.withdraw') ORDER BY seq");
    assert.deepEqual(JSON.parse(entries[0]!.detail), { string: RAW, verdict: 'is', ror: aurora.id, reason: 'the first look', supersedes: [] }, 'the reason the user gave is in the audit entry');
    assert.deepEqual(JSON.parse(entries[3]!.detail).supersedes, [second.id]);
    assert.deepEqual([entries[4]!.action, entries[4]!.target, JSON.parse(entries[4]!.detail)], ['match.withdraw', not.id, { string: 'LAB OF POLAR LIGHT; SOMEPLACE', verdict: 'not', ror: borealis.id, reason: 'Borealis confirmed it after all' }]);
    assert.deepEqual((await verifyAudit(db)).problems, []);
    await db.transaction((tx) => tx.query('DELETE FROM match_correction_withdrawals'));
    assert.ok((await verifyAudit(db)).problems.some((p) => /match_correction_withdrawals\/.* was deleted outside derisk/.test(p.problem)));
  } finally {
    await db.close();
  }
});

// Round 48: a new correction listed one withdrawn before it as superseded, though a withdrawn one is in force no longer (the audit entry did not name it).
test('a new correction supersedes only corrections in force: one withdrawn before is not listed as superseded by it', async () => {
  const { db, corrections } = await installation();
  try {
    const a = actor('org-a');
    const withdrawn = await corrections.correct(a, { raw: RAW, verdict: 'is', rorId: aurora.id, reason: 'the first look' });
    await corrections.withdraw(a, withdrawn.id, 'wrong after all');
    const inForce = await corrections.correct(a, { raw: RAW, verdict: 'not', rorId: borealis.id, reason: 'not the French one' });
    const later = await corrections.correct(a, { raw: RAW, verdict: 'is', rorId: borealis.id, reason: 'the author page says Borealis' });
    assert.deepEqual(later.supersedes, [inForce.id], 'the one in force it contradicts, not the withdrawn one');
    const audited = await db.query<{ detail: string }>("SELECT detail FROM audit WHERE action = 'match.correct' AND target = $1", [later.id]);
    assert.deepEqual(JSON.parse(audited[0]!.detail).supersedes, later.supersedes, 'what the command says is what the trail records');
    assert.deepEqual(
      (await corrections.list(a)).map((c) => [c.id, c.state]),
      [
        [withdrawn.id, 'withdrawn'],
        [inForce.id, 'superseded'],
        [later.id, 'in force'],
      ],
    );
  } finally {
    await db.close();
  }
});

test('"not A" beside "is B" or "none" on the same string both stay in force', async () => {
  const { db, corrections } = await installation();
  try {
    const a = actor('org-a');
    const is = await corrections.correct(a, { raw: RAW, verdict: 'is', rorId: borealis.id, reason: 'r' });
    const not = await corrections.correct(a, { raw: RAW, verdict: 'not', rorId: aurora.id, reason: 'r' });
    assert.deepEqual(not.supersedes, []);
    const none = await corrections.correct(a, { raw: RAW, verdict: 'none', reason: 'r' });
    assert.deepEqual(none.supersedes, [is.id]);
    assert.deepEqual(
      (await corrections.inForce('org-a')).map((c) => c.id),
      [not.id, none.id],
    );
  } finally {
    await db.close();
  }
});

test("the list shows the corrections other organisations shared, marked with the organisation and not its author; never another's private ones, nor one withdrawn", async () => {
  const { db, corrections, exchange } = await installation();
  try {
    await new Accounts(db).createOrganisation(OPERATOR, 'org-c', 'Org C');
    const shared = await corrections.correct(actor('org-a'), { raw: RAW, verdict: 'is', rorId: borealis.id, reason: 'checked' });
    await exchange.share(actor('org-a', 'officer'), 'correction', shared.id, { distribution: 'community', tlp: 'green' });
    const red = await corrections.correct(actor('org-a'), { raw: 'Borealis Lab', verdict: 'none', reason: 'r' });
    await exchange.share(actor('org-a', 'officer'), 'correction', red.id, { distribution: 'community', tlp: 'red' });
    const mine = await corrections.correct(actor('org-c'), { raw: 'Aurora Annex', verdict: 'is', rorId: aurora.id, reason: 'private' });
    const own = await corrections.correct(actor('org-b'), { raw: 'Boreal Station', verdict: 'none', reason: 'ours' });
    const listed = await corrections.list(actor('org-b'));
    assert.deepEqual(
      listed.map((c) => [c.id, c.sharedBy, c.createdBy, c.createdByName]),
      [
        [own.id, null, 'analyst@org-b.example', null],
        [shared.id, { org: 'org-a', name: 'org-a' }, OTHER_ORG_USER, null],
      ],
    );
    assert.ok(!JSON.stringify(listed).includes('analyst@org-a'), "no author of another organisation's");
    assert.ok(!listed.some((c) => c.id === mine.id || c.id === red.id), "org-c's private and org-a's TLP:RED ones never appear");
    assert.deepEqual(
      (await corrections.list(actor('org-c'))).map((c) => c.id),
      [mine.id, shared.id],
    );
    await corrections.withdraw(actor('org-a'), shared.id, 'it was wrong');
    assert.deepEqual(
      (await corrections.list(actor('org-b'))).map((c) => c.id),
      [own.id],
      'withdrawn, it is no longer shared',
    );
    assert.deepEqual((await corrections.resolveFor(actor('org-b'), resolver, RAW)).institutions, [], 'nor applied');
  } finally {
    await db.close();
  }
});
