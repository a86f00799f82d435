import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { migrate } from '../../src/appdb/migrate.ts';
import { PostgresDb } from '../../src/appdb/postgres.ts';
import { ConflictError } from '../../src/errors.ts';
import { verifyAudit } from '../../src/service/audit.ts';
import { actors, knowledgeBase, storedVerdict } from '../helpers/kb.ts';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.ts';

let pgServer: RunningPostgres;
const who = actors(['org-a', 'org-b']);

before(async () => {
  pgServer = await startPostgres();
  const db = await PostgresDb.open(pgServer.url);
  await migrate(db);
  await db.close();
});
after(async () => {
  await pgServer.stop();
});

test('on PostgreSQL: two server processes import, edit, review and link the knowledge base without clashing', async () => {
  const [one, two] = [await PostgresDb.open(pgServer.url), await PostgresDb.open(pgServer.url)];
  try {
    const [kbOne, kbTwo] = [knowledgeBase(one), knowledgeBase(two)];
    // Both start at once: the bundled entries are imported exactly once.
    const reports = await Promise.all([kbOne.ready(), kbTwo.ready()]);
    assert.equal(reports.filter((r) => r.added.length > 0).length, 1, 'one process imports, the other finds it done');
    const n = Number((await one.query<{ n: number }>('SELECT count(*) AS n FROM kb_versions'))[0]!.n);
    assert.equal(n, reports[0].added.length + reports[1].added.length);
    const doc = (await kbOne.get(who['org-a/viewer']!, 'cn-data-security-law')).entry;
    const results = await Promise.allSettled([kbOne.edit(who['org-a/analyst']!, doc.id, { ...doc, summary: `${doc.summary} One.` }, 1), kbTwo.edit(who['org-b/analyst']!, doc.id, { ...doc, summary: `${doc.summary} Two.` }, 1)]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason instanceof ConflictError);
    await kbTwo.review(who['org-b/officer']!, doc.id, 2);
    const today = new Date().toISOString().slice(0, 10);
    const changes = await kbOne.changes(who['org-a/viewer']!, today, { topic: 'data-governance' });
    assert.deepEqual(
      changes.filter((c) => c.entry === doc.id).map((c) => c.kind),
      // The bundled first import is no change a tenant sees (it would date the installation).
      ['changed', 'reviewed'],
    );
    assert.equal((await kbOne.list(who['org-a/viewer']!, { q: '标准化 纲要' }))[0]!.id, 'cn-national-standardisation-development-outline');
    await storedVerdict(one, { org: 'org-a', title: 'A on PostgreSQL', holds: ['E-IMPORTANT-DATA-TO-CHINA'] });
    await storedVerdict(one, { org: 'org-b', title: 'B shared', holds: ['E-DATA-STORED-IN-CHINA'], sharedWith: ['org-a'] });
    await storedVerdict(one, { org: 'org-b', title: 'B private', holds: ['E-IMPORTANT-DATA-TO-CHINA'] });
    assert.deepEqual((await kbTwo.get(who['org-a/viewer']!, doc.id)).verdicts.map((v) => v.caseTitle).sort(), ['A on PostgreSQL', 'B shared']);
    assert.deepEqual((await verifyAudit(one)).problems, []);
  } finally {
    await one.close();
    await two.close();
  }
});
