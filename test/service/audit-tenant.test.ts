import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { auditTrailOf, openSealedTrail, verifyAudit, verifyAuditOf } from '../../src/service/audit.ts';
import type { Actor } from '../../src/service/authorize.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { knowledgeBase } from '../helpers/kb.ts';

// An organisation reading its audit trail (GET /api/audit, /api/audit/verify, the knowledge base's
// changes) must not learn from the numbers how much another organisation does.
const PASSWORD = 'correct horse battery staple';

/** One installation where org-a does the same things, with or without org-b busy in between. */
async function orgAView(orgBBusy: boolean) {
  const home = tempDir();
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(raw);
  const db = await openSealedTrail(raw, { keyPath: join(home, 'audit.key'), anchorPath: join(home, 'audit.anchor.json') });
  try {
    const accounts = new Accounts(db);
    const kb = knowledgeBase(db);
    await kb.ready();
    for (const org of ['org-a', 'org-b']) await accounts.createOrganisation(OPERATOR, org, org);
    let n = 0;
    const orgB = async () => {
      if (!orgBBusy) return;
      for (let i = 0; i < 3; i++, n++) await accounts.createUser(OPERATOR, { orgId: 'org-b', email: `u${n}@org-b.example`, name: `B ${n}`, role: 'analyst', password: PASSWORD });
      if (n === 3) await kb.review({ userId: 'officer@org-b', orgId: 'org-b', role: 'officer', name: 'B officer' }, 'eu-ai-act', 1);
    };
    const adminId = await accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'admin@org-a.example', name: 'Admin', role: 'admin', password: PASSWORD });
    const admin: Actor = { userId: adminId, orgId: 'org-a', role: 'admin', name: 'Admin' };
    await orgB();
    const analyst = await accounts.createUser(admin, { orgId: 'org-a', email: 'analyst@org-a.example', name: 'Analyst', role: 'analyst', password: PASSWORD });
    await orgB();
    await accounts.setRole(admin, analyst, 'officer');
    await kb.review(admin, 'cn-data-security-law', 1);
    await orgB();
    const trail = await auditTrailOf(db, admin);
    const kbChanges = [...new Set((await kb.changes(admin, '2000-01-01')).map((c) => c.seq))];
    // A row of org-a changed behind derisk's back: the verification points at org-a's own entry.
    await db.query("UPDATE users SET name = 'Someone else' WHERE id = $1", [analyst]);
    const verified = await verifyAuditOf(db, admin);
    const globalEntries = (await verifyAudit(db)).entries;
    return { trail, kbChanges, verified, globalEntries };
  } finally {
    await db.close();
  }
}

test("an organisation's audit trail is numbered 1, 2, … among its own entries, the same whatever another organisation does in between", async () => {
  const quiet = await orgAView(false);
  const busy = await orgAView(true);
  assert.ok(busy.globalEntries >= quiet.globalEntries + 9, 'org-b did act in between');
  const shape = (v: typeof quiet) => v.trail.map((e) => [e.seq, e.action]);
  assert.deepEqual(shape(busy), shape(quiet));
  assert.deepEqual(
    quiet.trail.map((e) => e.seq),
    quiet.trail.map((_, i) => quiet.trail.length - i),
    'newest first, without gaps',
  );
  // Neither the trail's own number nor the hashes chaining it (from which that number could be recomputed) reach the organisation.
  for (const e of busy.trail) {
    assert.deepEqual(Object.keys(e).sort(), ['action', 'actor', 'detail', 'org_id', 'recorded_at', 'seq', 'target']);
    assert.equal(e.org_id, 'org-a');
  }
  // The knowledge base's changes (every organisation's, shown to all) are numbered in its own history: org-b's review, org-a's (the first seeding is no change).
  assert.deepEqual(busy.kbChanges, [1, 2], "the knowledge base's changes are numbered in its own history, without gaps");
  const verification = (v: typeof quiet) => ({ ...v.verified, problems: v.verified.problems.map((p) => p.seq) });
  assert.deepEqual(verification(busy), verification(quiet));
  const roleEntry = quiet.trail.find((e) => e.action === 'user.role')!;
  assert.ok(
    quiet.verified.problems.some((p) => p.seq === roleEntry.seq && /changed outside derisk/.test(p.problem)),
    `the problem names org-a's own entry ${roleEntry.seq}: ${JSON.stringify(quiet.verified.problems)}`,
  );
  assert.equal(quiet.verified.entries, quiet.trail.length);
});
