import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AppDb } from '../../src/appdb/db.ts';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import type { EntryDoc } from '../../src/monitoring/entry.ts';
import { openSealedTrail, verifyAudit } from '../../src/service/audit.ts';
import { found, recomputeChain } from '../helpers/audit.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { actors, knowledgeBase } from '../helpers/kb.ts';

// Knowledge-base entries feed verdicts (criteria cite them): a version or review written, changed
// or deleted behind derisk must show in `derisk audit verify` like a changed verdict does.
const who = actors(['org-a']);
const ENTRY = 'cn-deep-synthesis-provisions';
const paths = (home: string) => ({ keyPath: join(home, 'audit.key'), anchorPath: join(home, 'audit.anchor.json') });

/** A sealed installation whose knowledge base was imported, one entry edited and reviewed through derisk. */
async function installation(): Promise<{ raw: EmbeddedDb; db: AppDb; home: string }> {
  const home = tempDir();
  const raw = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(raw);
  const db = await openSealedTrail(raw, paths(home));
  const kb = knowledgeBase(db);
  await kb.ready();
  const doc = structuredClone((await kb.get(who['org-a/viewer']!, ENTRY)).entry) as EntryDoc;
  doc.summary += ' Edited.';
  await kb.edit(who['org-a/analyst']!, ENTRY, doc, 1, 'clarified');
  await kb.review(who['org-a/officer']!, ENTRY, 2, 'checked against the official text');
  return { raw, db, home };
}

test('a knowledge base imported, edited and reviewed through derisk verifies', async () => {
  const { raw, db } = await installation();
  try {
    assert.deepEqual((await verifyAudit(db)).problems, []);
  } finally {
    await raw.close();
  }
});

test('kb_entries: a row inserted, changed or deleted behind derisk is each found', async () => {
  const { raw, db } = await installation();
  try {
    const other = (await db.query<{ id: string }>('SELECT id FROM kb_entries WHERE id <> $1 ORDER BY id LIMIT 1', [ENTRY]))[0]!.id;
    await db.query("INSERT INTO kb_entries (id, version, created_at, updated_at) VALUES ('planted', 1, 'now', 'now')");
    // Pointing an entry back at its unreviewed version.
    await db.query('UPDATE kb_entries SET version = 1 WHERE id = $1', [ENTRY]);
    await db.query('DELETE FROM kb_entries WHERE id = $1', [other]);
    const { problems } = await verifyAudit(db);
    found(problems, /kb_entries\/planted was written outside derisk/);
    found(problems, new RegExp(`kb_entries/${ENTRY} was changed outside derisk`));
    found(problems, new RegExp(`kb_entries/${other} was deleted outside derisk`));
  } finally {
    await raw.close();
  }
});

test('kb_versions: a version inserted, its text changed or a version deleted behind derisk is each found', async () => {
  const { raw, db } = await installation();
  try {
    await db.query("INSERT INTO kb_versions (entry_id, version, recorded_at, recorded_by, recorder_name, org_id, origin, note, status, title, jurisdiction, topics, changed, doc, doc_hash, audit_seq) VALUES ($1, 3, 'now', 'x', 'x', NULL, 'edit', '', 'adopted', 'x', 'CN', '[]', '[]', '{}', 'x', 0)", [
      ENTRY,
    ]);
    await db.query("UPDATE kb_versions SET doc = replace(doc, 'Edited.', 'Repealed.') WHERE entry_id = $1 AND version = 2", [ENTRY]);
    await db.query('DELETE FROM kb_versions WHERE entry_id = $1 AND version = 1', [ENTRY]);
    const { problems } = await verifyAudit(db);
    found(problems, new RegExp(`kb_versions/${ENTRY}/3 was written outside derisk`));
    found(problems, new RegExp(`kb_versions/${ENTRY}/2 was changed outside derisk`));
    found(problems, new RegExp(`kb_versions/${ENTRY}/1 was deleted outside derisk`));
  } finally {
    await raw.close();
  }
});

test('kb_reviews: a review inserted, changed or deleted behind derisk is each found, with the reviewing organisation', async () => {
  const { raw, db } = await installation();
  try {
    const other = (await db.query<{ id: string }>('SELECT id FROM kb_entries WHERE id <> $1 ORDER BY id LIMIT 1', [ENTRY]))[0]!.id;
    await db.query("INSERT INTO kb_reviews (entry_id, version, reviewed_at, reviewed_by, reviewer_name, org_id, note, audit_seq) VALUES ($1, 1, 'now', 'x', 'x', 'org-a', '', 0)", [other]);
    await db.query("UPDATE kb_reviews SET reviewer_name = 'Someone else' WHERE entry_id = $1 AND version = 2", [ENTRY]);
    let { problems } = await verifyAudit(db);
    found(problems, new RegExp(`kb_reviews/${other}/1 was written outside derisk`));
    found(problems, new RegExp(`kb_reviews/${ENTRY}/2 was changed outside derisk`));
    assert.equal(problems.find((p) => p.problem.includes(`kb_reviews/${other}/1`))!.orgId, 'org-a');
    await db.query('DELETE FROM kb_reviews WHERE entry_id = $1 AND version = 2', [ENTRY]);
    ({ problems } = await verifyAudit(db));
    found(problems, new RegExp(`kb_reviews/${ENTRY}/2 was deleted outside derisk`));
  } finally {
    await raw.close();
  }
});

test('knowledge-base rows written by a version that did not track them are recorded as they stand, once; later tampering shows', async () => {
  const { raw, home } = await installation();
  try {
    // As the version before wrote the trail: KB entries without row digests, webhooks and feed tokens tracked.
    await raw.query("UPDATE audit SET row_digests = '{}' WHERE action LIKE 'kb.%'");
    await raw.query("UPDATE audit SET target = 'webhooks,feed_tokens' WHERE action = 'audit.track'");
    await recomputeChain(raw, 1);
    // As a home before sealing had it: no MAC, no key, no anchor.
    await raw.query('UPDATE audit SET mac = NULL');
    for (const f of ['audit.anchor.json', 'audit.key']) rmSync(join(home, f));
    assert.ok(
      (await verifyAudit(raw)).problems.some((p) => /kb_versions\/.* was written outside derisk/.test(p.problem)),
      'untracked before',
    );
    const sealed = await openSealedTrail(raw, paths(home));
    assert.deepEqual((await verifyAudit(sealed)).problems, []);
    const tracks = async () => (await sealed.query<{ target: string }>("SELECT target FROM audit WHERE action = 'audit.track' ORDER BY seq")).map((r) => r.target);
    assert.deepEqual(await tracks(), ['webhooks,feed_tokens', 'kb_entries,kb_versions,kb_reviews,mail_subscriptions,match_corrections_accepted,exchange_recipients,watch_items,exchange_releases'], 'only the tables not tracked yet');
    await openSealedTrail(raw, paths(home));
    assert.equal((await tracks()).length, 2, 'once');
    await raw.query('UPDATE kb_entries SET version = 1 WHERE id = $1', [ENTRY]);
    found((await verifyAudit(sealed)).problems, new RegExp(`kb_entries/${ENTRY} was changed outside derisk`));
  } finally {
    await raw.close();
  }
});
