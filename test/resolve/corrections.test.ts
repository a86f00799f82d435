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
import { ForbiddenError, type Actor } from '../../src/service/authorize.ts';
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
