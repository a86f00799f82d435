import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backupAppDb, restoreAppDb } from '../../src/appdb/backup.ts';
import type { AppDb } from '../../src/appdb/db.ts';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { loadRulebook } from '../../src/assessment/rulebook.ts';
import { POLICY_DIR } from '../../src/monitoring/bundled-entries.ts';
import type { EntryDoc } from '../../src/monitoring/entry.ts';
import { ConflictError } from '../../src/errors.ts';
import type { KnowledgeBase } from '../../src/monitoring/knowledge-base.ts';
import { verifyAudit } from '../../src/service/audit.ts';
import { ACTIONS, can, ForbiddenError, NotFoundError, ROLES } from '../../src/service/authorize.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { actors, knowledgeBase, storedVerdict } from '../helpers/kb.ts';

const who = actors(['org-a', 'org-b', 'org-c']);
let db: AppDb;
let kb: KnowledgeBase;
// A clock the tests move: "what changed since" is about when things were recorded.
let now = new Date('2026-01-10T09:00:00Z');
const clock = () => now;

async function freshDb(): Promise<AppDb> {
  const d = await EmbeddedDb.open(join(tempDir(), 'app.duckdb'));
  await migrate(d);
  return d;
}

before(async () => {
  db = await freshDb();
  kb = knowledgeBase(db, { clock });
});
after(async () => {
  await db.close();
});

const count = async (table: string) => Number((await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);
const current = async (id: string) => (await kb.get(who['org-a/viewer']!, id)).entry;
const edited = (doc: EntryDoc, change: (d: EntryDoc) => void): EntryDoc => {
  const d = structuredClone(doc);
  change(d);
  return d;
};

test('the bundled entries are imported once, as drafts of derisk, with one audit entry', async () => {
  const report = await kb.ready();
  assert.ok(report.added.length >= 25);
  assert.deepEqual([report.updated, report.kept, report.brokenLinks], [[], [], []]);
  const list = await kb.list(who['org-a/viewer']!);
  assert.equal(list.length, report.added.length);
  assert.ok(list.every((e) => e.version === 1 && e.review.state === 'draft'));
  const audit = await db.query<{ action: string; actor: string; org_id: string | null }>("SELECT action, actor, org_id FROM audit WHERE action = 'kb.import'");
  assert.deepEqual(audit, [{ action: 'kb.import', actor: 'derisk', org_id: null }]);
  // Another process starting on the same database finds nothing to do.
  assert.deepEqual(await knowledgeBase(db).importBundled(), { added: [], updated: [], kept: [], notices: [], brokenLinks: [] });
  assert.equal(await count('kb_versions'), report.added.length);
});

test('roles, checked in the core: viewers read, analysts add and edit, officers review', async () => {
  const kbActions = ACTIONS.filter((a) => a.startsWith('kb.'));
  assert.deepEqual([...kbActions].sort(), ['kb.edit', 'kb.read', 'kb.review']);
  const doc = await current('cn-civil-code');
  let version = 1;
  const calls: Record<string, (role: string) => Promise<unknown>> = {
    'kb.read': (role) => kb.list(who[`org-a/${role}`]!),
    'kb.edit': async (role) => {
      const r = await kb.edit(
        who[`org-a/${role}`]!,
        doc.id,
        edited(doc, (d) => (d.summary = `${doc.summary} (${role})`)),
        version,
      );
      version = r.version;
    },
    'kb.review': async (role) => {
      // Each officer gets a fresh version to review: a version is reviewed once.
      const fresh = await kb.edit(
        who['org-a/analyst']!,
        doc.id,
        edited(doc, (d) => (d.summary = `${doc.summary} (for ${role})`)),
        version,
      );
      version = fresh.version;
      await kb.review(who[`org-a/${role}`]!, doc.id, version);
    },
  };
  for (const action of kbActions) {
    for (const role of ROLES) {
      const allowed = can(who[`org-a/${role}`]!, action);
      try {
        await calls[action]!(role);
        assert.ok(allowed, `${role} was allowed to ${action}`);
      } catch (e) {
        if (!(e instanceof ForbiddenError)) throw e;
        assert.ok(!allowed, `${role} was refused ${action}`);
      }
    }
  }
  assert.ok(can(who['org-a/viewer']!, 'kb.read') && !can(who['org-a/viewer']!, 'kb.edit'));
  assert.ok(can(who['org-a/analyst']!, 'kb.edit') && !can(who['org-a/analyst']!, 'kb.review'));
  assert.ok(can(who['org-a/officer']!, 'kb.review'));
  await assert.rejects(kb.add(who['org-a/viewer']!, doc), ForbiddenError);
  await assert.rejects(kb.changes({ ...who['org-a/viewer']!, role: 'nobody' as never }, '2026-01-01'), ForbiddenError);
});

test('every change lands with its audit entry in one transaction; a change that fails leaves neither', async () => {
  const doc = await current('cn-deep-synthesis-provisions');
  const [audit, versions] = [await count('audit'), await count('kb_versions')];
  // A version 2 already stored out of band makes the edit's own insert fail after its audit entry is written.
  await db.query(
    "INSERT INTO kb_versions (entry_id, version, recorded_at, recorded_by, recorder_name, org_id, origin, note, status, title, jurisdiction, topics, changed, doc, doc_hash, audit_seq) VALUES ('cn-deep-synthesis-provisions', 2, 'x', 'x', 'x', NULL, 'edit', '', 'adopted', 'x', 'CN', '[]', '[]', '{}', 'x', 0)",
  );
  await assert.rejects(
    kb.edit(
      who['org-a/analyst']!,
      doc.id,
      edited(doc, (d) => (d.summary += ' Edited.')),
      1,
    ),
  );
  assert.equal(await count('audit'), audit, 'no audit entry for a change that did not happen');
  assert.equal((await kb.get(who['org-a/viewer']!, doc.id)).version, 1, 'the entry still stands at version 1');
  await db.query("DELETE FROM kb_versions WHERE entry_id = 'cn-deep-synthesis-provisions' AND version = 2");
  assert.equal(await count('kb_versions'), versions);
  const r = await kb.edit(
    who['org-a/analyst']!,
    doc.id,
    edited(doc, (d) => (d.summary += ' Edited.')),
    1,
    'clarified',
  );
  assert.equal(r.version, 2);
  const entry = (await db.query<{ actor: string; org_id: string; action: string; target: string; detail: string; seq: number }>("SELECT * FROM audit WHERE action = 'kb.edit' AND target = 'cn-deep-synthesis-provisions'"))[0]!;
  assert.equal(entry.org_id, 'org-a', 'audited with the organisation');
  assert.equal(JSON.parse(entry.detail).version, 2);
  const stored = (await db.query<{ audit_seq: number }>("SELECT audit_seq FROM kb_versions WHERE entry_id = 'cn-deep-synthesis-provisions' AND version = 2"))[0]!;
  assert.equal(Number(stored.audit_seq), Number(entry.seq), 'the version points at its audit entry');
  assert.deepEqual((await verifyAudit(db)).problems, []);
});

test('two analysts editing the same version at once: one is stored, the other is told to reload', async () => {
  const doc = await current('cn-ethical-norms-new-generation-ai');
  const results = await Promise.allSettled([
    kb.edit(
      who['org-a/analyst']!,
      doc.id,
      edited(doc, (d) => (d.summary += ' First.')),
      1,
    ),
    kb.edit(
      who['org-b/analyst']!,
      doc.id,
      edited(doc, (d) => (d.summary += ' Second.')),
      1,
    ),
  ]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
  assert.ok(refused.reason instanceof ConflictError);
  assert.match(refused.reason.message, /is at version 2, not 1: someone changed it since; reload it and edit again/);
  // An officer who read version 1 cannot vouch for version 2.
  await assert.rejects(kb.review(who['org-a/officer']!, doc.id, 1), /changed to version 2 since you read version 1/);
  await kb.review(who['org-a/officer']!, doc.id, 2, 'checked against the CSET translation');
  await assert.rejects(kb.review(who['org-b/officer']!, doc.id, 2), /version 2 of cn-ethical-norms-new-generation-ai was reviewed already/);
  // An edit after the review makes it a draft again; the review stays with version 2.
  const v2 = await current(doc.id);
  await kb.edit(
    who['org-a/analyst']!,
    doc.id,
    edited(v2, (d) => d.topics.push('global-governance')),
    2,
  );
  const view = await kb.get(who['org-a/viewer']!, doc.id);
  assert.equal(view.review.state, 'draft');
  assert.equal(view.review.last!.version, 2);
  assert.deepEqual(
    view.versions.map((v) => [v.version, v.review?.version ?? null]),
    [
      [3, null],
      [2, 2],
      [1, null],
    ],
  );
});

test('an edit keeps its id and links only to criteria that exist; an edit that changes nothing stores nothing', async () => {
  const doc = await current('cn-civil-code');
  const v = (await kb.get(who['org-a/viewer']!, doc.id)).version;
  await assert.rejects(kb.edit(who['org-a/analyst']!, doc.id, { ...doc, id: 'cn-other' }, v), /the entry edited is cn-civil-code, the text says cn-other/);
  await assert.rejects(kb.edit(who['org-a/analyst']!, doc.id, { ...doc, criteria: ['S-NO-SUCH-THING'] }, v), /criteria\[0\]: S-NO-SUCH-THING is not a criterion of the rulebook/);
  await assert.rejects(kb.edit(who['org-a/analyst']!, 'cn-nothing-here', { ...doc, id: 'cn-nothing-here' }, 1), NotFoundError);
  await assert.rejects(kb.add(who['org-a/analyst']!, doc), /cn-civil-code exists already/);
  const before = await count('kb_versions');
  assert.deepEqual(await kb.edit(who['org-a/analyst']!, doc.id, doc, v), { id: doc.id, version: v, changed: false });
  assert.equal(await count('kb_versions'), before);
  const added = await kb.add(who['org-b/analyst']!, { ...doc, id: 'nl-test-guideline', jurisdiction: 'NL', title: { en: 'Test guideline', original: 'Testrichtlijn', lang: 'en' } });
  assert.deepEqual(added, { id: 'nl-test-guideline', version: 1 });
});

test('what changed since a day: added, changed, changed in status, reviewed, in order; by topic with its sub-topics', async () => {
  now = new Date('2026-03-01T08:00:00Z');
  const csl = await current('cn-cyber-security-law');
  const v = (await kb.get(who['org-a/viewer']!, csl.id)).version;
  await kb.edit(
    who['org-a/analyst']!,
    csl.id,
    edited(csl, (d) => {
      d.status_history.push({ status: 'amended', date: '2026-01' });
      d.status = 'amended';
    }),
    v,
    'amendment',
  );
  now = new Date('2026-03-02T08:00:00Z');
  const pipl = await current('cn-personal-information-protection-law');
  await kb.edit(
    who['org-a/analyst']!,
    pipl.id,
    edited(pipl, (d) => (d.summary += ' More.')),
    1,
  );
  await kb.review(who['org-b/officer']!, pipl.id, 2);
  now = new Date('2026-03-05T08:00:00Z');
  const since = await kb.changes(who['org-a/viewer']!, '2026-03-01');
  assert.deepEqual(
    since.map((e) => [e.kind, e.entry, e.version]),
    [
      ['status-changed', 'cn-cyber-security-law', v + 1],
      ['changed', 'cn-personal-information-protection-law', 2],
      ['reviewed', 'cn-personal-information-protection-law', 2],
    ],
  );
  assert.deepEqual([since[0]!.statusBefore, since[0]!.status, since[0]!.fields], ['in-force', 'amended', ['status', 'status_history']]);
  assert.deepEqual(since[1]!.fields, ['summary']);
  assert.ok(
    since.every((e, i) => i === 0 || e.seq > since[i - 1]!.seq),
    'seq only grows: a cursor',
  );
  assert.deepEqual(
    (await kb.changes(who['org-a/viewer']!, '2026-03-02')).map((e) => e.kind),
    ['changed', 'reviewed'],
  );
  assert.deepEqual(await kb.changes(who['org-a/viewer']!, '2026-03-06'), []);
  // data-governance includes data-localisation and personal-information; cybersecurity alone only the CSL.
  assert.equal((await kb.changes(who['org-a/viewer']!, '2026-03-01', { topic: 'data-governance' })).length, 3);
  assert.deepEqual(
    (await kb.changes(who['org-a/viewer']!, '2026-03-01', { topic: 'cybersecurity' })).map((e) => e.entry),
    ['cn-cyber-security-law'],
  );
  await assert.rejects(kb.changes(who['org-a/viewer']!, '2026-02-30'), /since: "2026-02-30" is not a day/);
  await assert.rejects(kb.changes(who['org-a/viewer']!, '2026-03-01', { topic: 'astrology' }), /topic "astrology" is not one of/);
  // Reviewers of other organisations stay anonymous.
  assert.equal(since[2]!.by.name, 'a user of another organisation');
  assert.equal((await kb.changes(who['org-b/viewer']!, '2026-03-01'))[2]!.by.name, 'officer of org-b');
  assert.equal((await kb.get(who['org-a/viewer']!, pipl.id)).review.current!.by.name, 'a user of another organisation');
});

test('the diff between two versions, and the stored versions themselves', async () => {
  const d = await kb.diff(who['org-a/viewer']!, 'cn-cyber-security-law');
  assert.deepEqual(
    d.changes.map((c) => c.path),
    ['status', 'status_history[2]'],
  );
  const first = await kb.diff(who['org-a/viewer']!, 'cn-cyber-security-law', 0, 1);
  assert.ok(first.changes.every((c) => c.kind === 'added'));
  await assert.rejects(kb.diff(who['org-a/viewer']!, 'cn-cyber-security-law', 1, 9), /has no version 9 \(it has 1 to \d\)/);
  await assert.rejects(kb.diff(who['org-a/viewer']!, 'cn-cyber-security-law', 2, 1), /compare an earlier version with a later one/);
  const v1 = await kb.version(who['org-a/viewer']!, 'cn-cyber-security-law', 1);
  assert.equal(v1.entry.status, 'in-force');
  assert.equal(v1.info.by.name, 'derisk (bundled data)');
  await assert.rejects(kb.get(who['org-a/viewer']!, 'cn-no-such-entry'), NotFoundError);
});

test('links both ways: entry → criteria → the verdicts of your organisation that cited them → the entries behind a verdict', async () => {
  const own = await storedVerdict(db, { org: 'org-a', title: 'Joint lab with data transfer', holds: ['E-IMPORTANT-DATA-TO-CHINA'], notHolding: ['S-MILITARY-USE'] });
  const shared = await storedVerdict(db, { org: 'org-b', title: 'Shared with A', holds: ['E-DATA-STORED-IN-CHINA'], sharedWith: ['org-a'] });
  const foreign = await storedVerdict(db, { org: 'org-c', title: 'Confidential C', holds: ['E-IMPORTANT-DATA-TO-CHINA'] });
  await storedVerdict(db, { org: 'org-a', title: 'Not citing', holds: [], notHolding: ['E-IMPORTANT-DATA-TO-CHINA'] });
  const view = await kb.get(who['org-a/viewer']!, 'cn-national-intelligence-law');
  assert.deepEqual(
    view.criteria.map((c) => [c.id, c.missing]),
    [
      ['E-IMPORTANT-DATA-TO-CHINA', false],
      ['E-PERSONAL-DATA-TO-CHINA', false],
      ['E-DATA-STORED-IN-CHINA', false],
    ],
  );
  assert.deepEqual(view.verdicts.map((v) => v.caseTitle).sort(), ['Joint lab with data transfer', 'Shared with A']);
  assert.ok(!JSON.stringify(view).includes('Confidential C'), "another organisation's verdict does not show");
  assert.deepEqual(
    (await kb.get(who['org-c/viewer']!, 'cn-national-intelligence-law')).verdicts.map((v) => v.caseTitle),
    ['Confidential C'],
  );
  const criterion = await kb.criterion(who['org-a/viewer']!, 'E-IMPORTANT-DATA-TO-CHINA');
  assert.equal(criterion.criterion!.title, 'Transfer of important data to China');
  assert.ok(['cn-national-intelligence-law', 'cn-cyber-security-law', 'cn-data-security-law'].every((id) => criterion.entries.some((e) => e.id === id)));
  assert.deepEqual(
    criterion.verdicts.map((v) => v.assessment),
    [own.assessmentId],
  );
  const behind = await kb.verdictEntries(who['org-a/viewer']!, shared.assessmentId);
  assert.deepEqual(
    behind.criteria.map((c) => c.id),
    ['E-DATA-STORED-IN-CHINA'],
  );
  assert.ok(behind.criteria[0]!.entries.some((e) => e.id === 'cn-cyber-security-law'));
  await assert.rejects(kb.verdictEntries(who['org-a/viewer']!, foreign.assessmentId), NotFoundError, 'not yours: it does not exist for you');
  await assert.rejects(kb.criterion(who['org-a/viewer']!, 'X-NOTHING'), NotFoundError);
  // A verdict stored later is picked up on the next look.
  await storedVerdict(db, { org: 'org-a', title: 'Later case', holds: ['E-IMPORTANT-DATA-TO-CHINA'] });
  assert.equal((await kb.criterion(who['org-a/viewer']!, 'E-IMPORTANT-DATA-TO-CHINA')).verdicts.length, 2);
});

test('verdict links over many stored verdicts: each read once, in batches, none missed', async () => {
  const own = await freshDb();
  try {
    // 1,200 verdicts of org-a, written in a few statements; every third has the criterion holding.
    const ids = Array.from({ length: 1200 }, (_, i) => i);
    await own.transaction(async (tx) => {
      for (let i = 0; i < ids.length; i += 100) {
        const chunk = ids.slice(i, i + 100);
        await tx.query(`INSERT INTO cases (id, org_id, client_key, title, doc, created_by, created_at, updated_at) VALUES ${chunk.map((n) => `('c${n}', 'org-a', NULL, 'case ${n}', '{}', 'x', '2026-01-01', '2026-01-01')`).join(', ')}`);
        await tx.query(
          `INSERT INTO assessments (id, case_id, org_id, created_by, created_at, rulebook_id, rulebook_version, rulebook_hash, snapshot, overall, result) VALUES ${chunk
            .map(
              (n) =>
                `('a${n}', 'c${n}', 'org-a', 'x', '2026-01-01', 'r', 'v', 'h', '{}', 'red', '${JSON.stringify({
                  criteria: [
                    { id: 'E-IMPORTANT-DATA-TO-CHINA', status: n % 3 === 0 ? 'holds' : 'does-not-hold' },
                    { id: 'E-DATA-STORED-IN-CHINA', status: 'holds' },
                  ],
                })}')`,
            )
            .join(', ')}`,
        );
      }
    });
    const other = knowledgeBase(own);
    const c = await other.criterion(who['org-a/viewer']!, 'E-IMPORTANT-DATA-TO-CHINA');
    assert.equal(c.verdicts.length, 200, 'the first 200 of 400 (newest first, capped)');
    assert.equal(Number((await own.query<{ n: number }>("SELECT count(*) AS n FROM kb_verdict_criteria WHERE criterion_id = 'E-IMPORTANT-DATA-TO-CHINA'"))[0]!.n), 400);
    assert.equal(Number((await own.query<{ n: number }>('SELECT count(*) AS n FROM kb_verdicts_indexed'))[0]!.n), 1200);
    assert.equal(Number((await own.query<{ n: number }>('SELECT count(*) AS n FROM kb_verdict_criteria'))[0]!.n), 1600);
  } finally {
    await own.close();
  }
});

test('search and filters through the service: Chinese, topic with sub-topics, review state', async () => {
  const viewer = who['org-a/viewer']!;
  assert.deepEqual(
    (await kb.list(viewer, { q: '生成式' })).map((e) => e.id),
    ['cn-tc260-generative-ai-safety-requirements'],
  );
  const dataGov = await kb.list(viewer, { topic: 'data-governance' });
  assert.ok(
    dataGov.some((e) => e.id === 'cn-cyber-security-law'),
    'tagged data-localisation, under data-governance',
  );
  assert.ok(dataGov.every((e) => e.topics.some((t) => ['data-governance', 'data-localisation', 'personal-information', 'state-access-to-data'].includes(t))));
  const reviewed = await kb.list(viewer, { review: 'reviewed' });
  assert.ok(reviewed.some((e) => e.id === 'cn-personal-information-protection-law'));
  assert.ok(reviewed.every((e) => e.review.state === 'reviewed'));
  assert.ok((await kb.list(viewer, { review: 'draft' })).every((e) => e.review.state === 'draft' && !reviewed.some((r) => r.id === e.id)));
  const eu = await kb.list(viewer, { q: 'intelligence', jurisdiction: 'EU' });
  assert.ok(eu.some((e) => e.id === 'eu-ai-act') && eu.every((e) => e.jurisdiction === 'EU'), 'search and filters combine');
  assert.deepEqual(
    (await kb.list(viewer, { criterion: 'S-CRITICAL-TECH-DEFENCE-PARTNER' })).map((e) => e.id),
    ['eu-recommendation-2023-2113-critical-technologies'],
  );
  // An edit made by another process is found by this one's next search, and the words it removed are not.
  const other = knowledgeBase(db);
  const g20 = await current('int-g20-ai-principles');
  const v = (await kb.get(viewer, g20.id)).version;
  await other.edit(
    who['org-a/analyst']!,
    g20.id,
    edited(g20, (d) => (d.summary = 'Osaka 大阪 principles.')),
    v,
  );
  assert.deepEqual(
    (await kb.list(viewer, { q: '大阪' })).map((e) => e.id),
    ['int-g20-ai-principles'],
  );
  const old = (await kb.list(viewer, { q: 'subscribed' })).find((e) => e.id === g20.id)!;
  assert.deepEqual(old.matched, ['sources'], 'the old summary is no longer found, only the quote in its sources');
  const timeline = await kb.timeline(viewer, { from: '2025', to: '2025', jurisdiction: 'EU' });
  assert.deepEqual(
    timeline.map((e) => e.date),
    ['2025-02-02', '2025-08-02'],
  );
  await assert.rejects(kb.timeline(viewer, { from: 'last year' }), /from: "last year" is not a date/);
});

test('bundled data that changes comes in as a new version; an entry users edited is kept and reported', async () => {
  const dir = tempDir();
  cpSync(POLICY_DIR, dir, { recursive: true });
  const own = await freshDb();
  try {
    const first = knowledgeBase(own, { bundledDir: dir });
    await first.ready();
    const doc = (await first.get(who['org-a/viewer']!, 'cn-tc260')).entry;
    await first.edit(
      who['org-a/analyst']!,
      'cn-tc260',
      edited(doc, (d) => (d.summary += ' Local knowledge.')),
      1,
    );
    for (const id of ['cn-civil-code', 'cn-tc260']) {
      const file = join(dir, 'entries', `${id}.json`);
      const raw = JSON.parse(readFileSync(file, 'utf8'));
      raw.summary += ' Updated by derisk.';
      writeFileSync(file, JSON.stringify(raw));
    }
    const report = await knowledgeBase(own, { bundledDir: dir }).importBundled();
    assert.deepEqual(report.added, []);
    assert.deepEqual(report.updated, ['cn-civil-code']);
    assert.deepEqual(
      report.kept.map((k) => k.id),
      ['cn-tc260'],
    );
    assert.match(report.kept[0]!.reason, /version 2 is a user's edit/);
    assert.match((await first.get(who['org-a/viewer']!, 'cn-civil-code')).entry.summary, /Updated by derisk\.$/);
    assert.match((await first.get(who['org-a/viewer']!, 'cn-tc260')).entry.summary, /Local knowledge\.$/);
    assert.deepEqual((await knowledgeBase(own, { bundledDir: dir }).importBundled()).updated, [], 'and only once');
  } finally {
    await own.close();
  }
});

// Found in round 46: every organisation read in "what changed" (and each entry's versions) when the bundled entries were first seeded, that is when the installation was set up.
test("the bundled entries' first seeding shows no time to any organisation, only in the installation's audit trail; bundled entries a later derisk adds or changes are dated changes", async () => {
  const dir = tempDir();
  cpSync(POLICY_DIR, dir, { recursive: true });
  const own = await freshDb();
  let at = new Date('2026-02-03T04:05:06Z');
  try {
    const first = knowledgeBase(own, { bundledDir: dir, clock: () => at });
    await first.ready();
    const viewer = who['org-a/viewer']!;
    assert.deepEqual(await first.changes(viewer, '2000-01-01'), [], 'the starting point is no change');
    const view = await first.get(viewer, 'cn-civil-code');
    assert.deepEqual(
      view.versions.map((v) => [v.version, v.at, v.origin, v.by.name]),
      [[1, null, 'bundled', 'derisk (bundled data)']],
    );
    assert.equal((await first.version(viewer, 'cn-civil-code', 1)).info.at, null);
    assert.ok((await first.list(viewer)).every((e) => e.updatedAt === null));
    assert.ok(!JSON.stringify([await first.list(viewer), view]).includes('2026-02-03'), 'the seeding day nowhere');
    // The installation keeps it: the version's row and the import's entry in the operator's part of the trail.
    assert.deepEqual(await own.query("SELECT recorded_at FROM kb_versions WHERE entry_id = 'cn-civil-code'"), [{ recorded_at: '2026-02-03T04:05:06.000Z' }]);
    assert.deepEqual(await own.query("SELECT org_id FROM audit WHERE action = 'kb.import'"), [{ org_id: null }]);

    // A later derisk changes one bundled entry and adds another: both are changes, dated.
    at = new Date('2026-05-06T07:08:09Z');
    const file = join(dir, 'entries', 'cn-civil-code.json');
    const raw = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...raw, summary: `${raw.summary} Updated by derisk.` }));
    writeFileSync(join(dir, 'entries', 'cn-civil-code-copy.json'), JSON.stringify({ ...raw, id: 'cn-civil-code-copy' }));
    const later = knowledgeBase(own, { bundledDir: dir, clock: () => at });
    assert.deepEqual((await later.importBundled()).added, ['cn-civil-code-copy']);
    assert.deepEqual(
      (await later.changes(viewer, '2000-01-01')).map((e) => [e.seq, e.kind, e.entry, e.at]),
      [
        [1, 'changed', 'cn-civil-code', '2026-05-06T07:08:09.000Z'],
        [1, 'added', 'cn-civil-code-copy', '2026-05-06T07:08:09.000Z'],
      ],
    );
    assert.deepEqual(
      (await later.get(viewer, 'cn-civil-code')).versions.map((v) => [v.version, v.at]),
      [
        [2, '2026-05-06T07:08:09.000Z'],
        [1, null],
      ],
    );
  } finally {
    await own.close();
  }
});

test('links are checked against the rulebook in use when the knowledge base loads: a criterion renamed away shows as missing', async () => {
  const own = await freshDb();
  try {
    const renamed = () => {
      const rb = loadRulebook();
      return { ...rb, criteria: rb.criteria.filter((c) => c.id !== 'E-IMPORTANT-DATA-TO-CHINA') };
    };
    const other = knowledgeBase(own, { rulebook: renamed });
    const report = await other.ready();
    assert.ok(report.brokenLinks.includes('cn-national-intelligence-law → E-IMPORTANT-DATA-TO-CHINA'), report.brokenLinks.join('; '));
    const view = await other.get(who['org-a/viewer']!, 'cn-national-intelligence-law');
    assert.deepEqual(
      view.criteria.find((c) => c.id === 'E-IMPORTANT-DATA-TO-CHINA'),
      { id: 'E-IMPORTANT-DATA-TO-CHINA', title: null, missing: true },
    );
    // A new link to it is refused: the rulebook in use does not have it.
    await assert.rejects(other.edit(who['org-a/analyst']!, view.entry.id, view.entry, 1), /criteria\[0\]: E-IMPORTANT-DATA-TO-CHINA is not a criterion of the rulebook/);
  } finally {
    await own.close();
  }
});

test('backup and restore carry the knowledge base: versions, reviews and the audit chain', async () => {
  const dir = join(tempDir(), 'backup');
  const manifest = await backupAppDb(db, dir);
  assert.ok(manifest.tables.kb_versions! > 25 && manifest.tables.kb_reviews! >= 2);
  const target = await freshDb();
  try {
    await restoreAppDb(target, dir);
    assert.deepEqual((await verifyAudit(target)).problems, []);
    const restored = knowledgeBase(target);
    assert.deepEqual((await restored.ready()).added, [], 'nothing to import: the entries came with the backup');
    const [a, b] = await Promise.all([kb.get(who['org-a/viewer']!, 'cn-personal-information-protection-law'), restored.get(who['org-a/viewer']!, 'cn-personal-information-protection-law')]);
    assert.deepEqual(b.versions, a.versions);
    assert.deepEqual(b.entry, a.entry);
    // A backup made before the knowledge base existed still restores.
    const old = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    for (const t of ['kb_entries', 'kb_versions', 'kb_reviews']) delete old.tables[t];
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(old));
    const older = await freshDb();
    await restoreAppDb(older, dir);
    assert.equal(Number((await older.query<{ n: number }>('SELECT count(*) AS n FROM kb_versions'))[0]!.n), 0);
    await older.close();
  } finally {
    await target.close();
  }
});
