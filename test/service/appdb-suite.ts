import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BACKED_UP_TABLES, NOT_BACKED_UP, backupAppDb, restoreAppDb } from '../../src/appdb/backup.ts';
import { numberedParameters, type AppDb } from '../../src/appdb/db.ts';
import { knownMigrations, migrate } from '../../src/appdb/migrate.ts';
import { Assessor } from '../../src/assessment/assessor.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { AlertInbox } from '../../src/monitoring/alerts.ts';
import { Monitor } from '../../src/monitoring/monitor.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { anchorAnew, appendAudit, openSealedTrail, sealAudit, verifyAudit } from '../../src/service/audit.ts';
import { loadAuditKey } from '../../src/service/audit-seal.ts';
import { ExchangeService } from '../../src/exchange/service.ts';
import { MatchCorrections } from '../../src/resolve/corrections.ts';
import { LoginThrottle } from '../../src/service/throttle.ts';
import { ConflictError, PreconditionRequiredError } from '../../src/errors.ts';
import { NotFoundError } from '../../src/service/authorize.ts';
import { CaseService } from '../../src/service/cases.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';

/** An application database under test: each call opens another handle, as another process would. */
export interface AppDbDriver {
  name: string;
  /** A handle on the database the suite shares. */
  open(): Promise<AppDb>;
  /** A new, empty database of this kind: a function that opens a handle on it. */
  newDatabase(): Promise<() => Promise<AppDb>>;
  stop(): Promise<void>;
}

const CASE = { title: 'Joint work with Tsinghua', partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } };
const PASSWORD = 'a long enough password';

/**
 * The service suite every application database runs (the embedded SQLite file and PostgreSQL):
 * the same migrations, the same core code, the same answers.
 */
export function appDbSuite(start: () => Promise<AppDbDriver>): void {
  let driver: AppDbDriver;
  let store: Store;
  let assessor: Assessor;

  before(async () => {
    driver = await start();
    store = await landscapeStore(tempDir());
    await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', level: 'very-high' }]))]);
    await screenPending(store, await screeningContext(store));
    assessor = new Assessor({ store, screening: await screeningContext(store), bundle: loadBundle() });
  });
  after(async () => {
    store.close();
    await driver.stop();
  });

  /** A new database, migrated, under a sealed trail; `fresh` opens another handle on it (another process), `raw` writes behind derisk. */
  const sealedTrail = async () => {
    const fresh = await driver.newDatabase();
    const dir = tempDir();
    const seal = { keyPath: join(dir, 'audit.key'), anchorPath: join(dir, 'audit.anchor.json') };
    const raw = await fresh();
    await migrate(raw);
    return { fresh, seal, raw, db: await openSealedTrail(raw, seal) };
  };

  test('the migrations apply once; accounts, cases, verdicts, tenants, sharing, tokens and the audit trail work', async () => {
    const db = await driver.open();
    try {
      assert.deepEqual(await migrate(db), knownMigrations());
      assert.deepEqual(await migrate(db), [], 'applied once');
      const accounts = new Accounts(db);
      for (const org of ['org-a', 'org-b']) {
        await accounts.createOrganisation(OPERATOR, org, org);
        await accounts.createUser(OPERATOR, { orgId: org, email: `officer@${org}.example`, name: 'Officer', role: 'officer', password: PASSWORD });
      }
      const a = (await accounts.login('officer@org-a.example', PASSWORD)).actor;
      const b = (await accounts.login('officer@org-b.example', PASSWORD)).actor;
      const cases = new CaseService(db, assessor);
      const { id } = await cases.create(a, CASE, 'key-1');
      assert.deepEqual(await cases.create(a, CASE, 'key-1'), { id, created: false }, 'a retried create with the same key is one case');
      const verdict = await cases.assess(a, id, '2026-11-22');
      assert.equal(verdict.overall, 'red');
      assert.deepEqual(await db.query('SELECT as_of, reassess_by FROM assessments WHERE id = $1', [verdict.id]), [{ as_of: '2026-11-22', reassess_by: verdict.result.reassessBy }], 'the dates stored beside the verdict');
      assert.deepEqual(
        (await cases.assessments(a, id)).map((v) => v.id),
        [verdict.id],
      );
      await assert.rejects(cases.get(b, id), NotFoundError);
      await cases.share(a, id, 'org-b');
      assert.equal((await cases.get(b, id)).own, false);
      await cases.share(a, id, 'org-b'); // sharing twice is one share
      assert.deepEqual((await cases.get(a, id)).sharedWith, ['org-b']);
      const token = await accounts.createToken(a, 'suite');
      assert.equal((await accounts.tokenActor(token.token))?.userId, a.userId);
      await accounts.revokeToken(a, token.id);
      assert.equal(await accounts.tokenActor(token.token), null, 'a revoked token no longer works');
      const audit = await verifyAudit(db);
      assert.deepEqual(audit.problems, []);
      assert.ok(audit.entries >= 6);
    } finally {
      await db.close();
    }
  });

  test('match corrections: a later one supersedes, a withdrawal ends one and refuses a second; authors by name; the trail verifies', async () => {
    const { raw, db } = await sealedTrail();
    try {
      const accounts = new Accounts(db);
      await accounts.createOrganisation(OPERATOR, 'org-m', 'Org M');
      await accounts.createUser(OPERATOR, { orgId: 'org-m', email: 'analyst@m.example', name: 'Ana Lyst', role: 'analyst', password: PASSWORD });
      const analyst = (await accounts.login('analyst@m.example', PASSWORD)).actor;
      const corrections = new MatchCorrections(db, () => ({ name: 'an institution' }));
      const first = await corrections.correct(analyst, { raw: 'Perception Lab, Beijing', verdict: 'is', rorId: '03cve4549', reason: 'its web page' });
      const second = await corrections.correct(analyst, { raw: 'PERCEPTION LAB; BEIJING', verdict: 'none', reason: 'a company lab' });
      assert.deepEqual(second.supersedes, [first.id]);
      assert.deepEqual([second.createdBy, second.createdByName], [analyst.userId, 'Ana Lyst']);
      const withdrawn = await corrections.withdraw(analyst, second.id, 'not checked well enough');
      assert.deepEqual([withdrawn.state, withdrawn.withdrawal?.byName], ['withdrawn', 'Ana Lyst']);
      await assert.rejects(corrections.withdraw(analyst, second.id, 'again'), ConflictError);
      assert.deepEqual(await corrections.inForce('org-m'), []);
      assert.deepEqual((await verifyAudit(db)).problems, []);
    } finally {
      await raw.close();
    }
  });

  test('booleans, whole numbers and NULL come back as they went in', async () => {
    const db = await driver.open();
    try {
      await migrate(db);
      const accounts = new Accounts(db);
      await accounts.createOrganisation(OPERATOR, 'org-types', 'Types');
      await accounts.createUser(OPERATOR, { orgId: 'org-types', email: 'viewer@types.example', name: 'Viewer', role: 'viewer', password: PASSWORD });
      const viewer = (await accounts.login('viewer@types.example', PASSWORD)).actor;
      const users = await db.query('SELECT u.*, u.disabled AS also FROM users u WHERE u.org_id = $1', ['org-types']);
      assert.equal(users[0]!.disabled, false, 'a BOOLEAN column reads as false, not 0');
      assert.equal(users[0]!.also, false, 'also under another name');
      await db.transaction((tx) => tx.query('UPDATE users SET disabled = $1 WHERE org_id = $2', [true, 'org-types']));
      assert.equal((await db.query('SELECT disabled FROM users WHERE org_id = $1', ['org-types']))[0]!.disabled, true);
      assert.deepEqual(await db.query('SELECT email FROM users WHERE disabled = $1 AND org_id = $2', [true, 'org-types']), [{ email: 'viewer@types.example' }], 'a boolean parameter matches');
      await assert.rejects(accounts.login('viewer@types.example', PASSWORD), 'a disabled user cannot log in');
      // Put back what was changed behind derisk's back, or the audit trail would (rightly) report it.
      await db.transaction((tx) => tx.query('UPDATE users SET disabled = $1 WHERE org_id = $2', [false, 'org-types']));
      // A whole number bound to a TEXT column is "3", as on PostgreSQL; numbers read back as numbers.
      await db.transaction((tx) => tx.query('INSERT INTO notes (id, case_id, org_id, author, created_at, body) VALUES ($1, $2, $3, $4, $5, $6)', ['n-types', 'c', 'org-types', viewer.userId, '2026-01-01T00:00:00.000Z', 3]));
      assert.deepEqual(await db.query('SELECT body, org_id FROM notes WHERE id = $1', ['n-types']), [{ body: '3', org_id: 'org-types' }]);
      const [row] = await db.query<{ n: number; missing: null }>('SELECT count(*) AS n, NULL AS missing FROM notes WHERE id = $1', ['n-types']);
      assert.deepEqual(row, { n: 1, missing: null });
      // The same parameter twice, and a parameter that looks like text in a LIMIT.
      assert.equal((await db.query('SELECT id FROM notes WHERE id = $1 OR case_id = $1 LIMIT $2', ['n-types', 5])).length, 1);
      // The note was written behind derisk's back: take it away again, or the audit trail would (rightly) report it.
      await db.transaction((tx) => tx.query('DELETE FROM notes WHERE id = $1', ['n-types']));
    } finally {
      await db.close();
    }
  });

  test('a failed transaction leaves nothing behind, and the audit chain carries on unbroken', async () => {
    const db = await driver.open();
    try {
      await migrate(db);
      const before = await verifyAudit(db);
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.query('INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)', ['org-gone', 'Gone', '2026-01-01']);
          await appendAudit(tx, { actor: 'test', orgId: null, action: 'org.create', target: 'org-gone', detail: {} });
          throw new Error('refused half-way');
        }),
        /refused half-way/,
      );
      assert.deepEqual(await db.query('SELECT id FROM organisations WHERE id = $1', ['org-gone']), []);
      const afterFailure = await verifyAudit(db);
      assert.equal(afterFailure.entries, before.entries);
      await db.transaction((tx) => appendAudit(tx, { actor: 'test', orgId: null, action: 'test.after-failure', target: 'x', detail: {} }));
      const next = await verifyAudit(db);
      assert.deepEqual([next.entries, next.problems], [before.entries + 1, []]);
      // A statement error inside a transaction rolls it back too.
      await assert.rejects(db.transaction(async (tx) => tx.query('INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)', ['org-types', 'duplicate', 'x'])));
      await db.transaction((tx) => tx.query('SELECT 1'));
    } finally {
      await db.close();
    }
  });

  test('two handles writing at once (two server processes) keep one unbroken audit chain', async () => {
    const [one, two] = [await driver.open(), await driver.open()];
    try {
      await migrate(one);
      const start = (await verifyAudit(one)).entries;
      const actor = { userId: 'u1', orgId: 'org-a', role: 'analyst' as const, name: 'Analyst' };
      const writes = [one, two].flatMap((db) => Array.from({ length: 15 }, (_, i) => new CaseService(db, assessor).create(actor, { ...CASE, title: `Concurrent ${i}` })));
      await Promise.all(writes);
      const audit = await verifyAudit(two);
      assert.deepEqual(audit.problems, []);
      assert.equal(audit.entries, start + 30);
      // A reader sees what the other handle committed.
      assert.equal((await two.query<{ n: number }>("SELECT count(*) AS n FROM cases WHERE title LIKE 'Concurrent %'"))[0]!.n, 30);
    } finally {
      await one.close();
      await two.close();
    }
  });

  test('two server processes editing one case from the same version: one edit wins, the other is refused naming the version, and a stale one changes nothing', async () => {
    const [one, two] = [await driver.open(), await driver.open()];
    try {
      await migrate(one);
      const actor = { userId: 'u1', orgId: 'org-a', role: 'analyst' as const, name: 'Analyst' };
      const [onOne, onTwo] = [new CaseService(one, assessor), new CaseService(two, assessor)];
      const { id } = await onOne.create(actor, { ...CASE, title: 'Edited twice at once' });
      const base = (await onTwo.get(actor, id)).version;
      assert.equal(base, 1);
      const edits = [
        { ...CASE, title: 'Edited twice at once', partners: [...CASE.partners, { name: 'Beihang University', country: 'CN' }] },
        { ...CASE, title: 'Edited twice at once, renamed' },
      ];
      const results = await Promise.allSettled([onOne.update(actor, id, edits[0], base), onTwo.update(actor, id, edits[1], base)]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected'], 'exactly one of the two wins');
      const winner = results.findIndex((r) => r.status === 'fulfilled');
      assert.deepEqual((results[winner] as PromiseFulfilledResult<unknown>).value, { version: 2, changed: true });
      const refusal = (results[1 - winner] as PromiseRejectedResult).reason as Error;
      assert.ok(refusal instanceof ConflictError, String(refusal));
      assert.match(refusal.message, /is at version 2, not 1/);
      const stored = await onOne.get(actor, id);
      assert.deepEqual([stored.version, stored.doc], [2, edits[winner]], "the stored case is the winner's");
      await assert.rejects(onTwo.update(actor, id, { ...CASE, title: 'From the old form' }, 1), ConflictError);
      await assert.rejects(onTwo.update(actor, id, { ...CASE, title: 'Naming no version' }, null), PreconditionRequiredError);
      await assert.rejects(onTwo.update({ ...actor, orgId: 'org-b' }, id, { ...CASE, title: 'Another organisation' }, 2), NotFoundError);
      assert.deepEqual(await onTwo.get(actor, id), stored, 'the refused edits changed nothing');
      assert.deepEqual((await verifyAudit(two)).problems, []);
    } finally {
      await one.close();
      await two.close();
    }
  });

  test('migration 018 gives the verdicts stored before it their as-of and re-assessment dates, read from each stored result', async () => {
    const db = await (await driver.newDatabase())();
    try {
      await migrate(db, new Set(knownMigrations().filter((m) => m < '018')));
      const insert = (id: string, result: unknown) =>
        db.query("INSERT INTO assessments (id, case_id, org_id, created_by, created_at, rulebook_id, rulebook_version, rulebook_hash, snapshot, overall, result) VALUES ($1, 'c', 'org-a', 'u', '2025-03-01T09:00:00.000Z', 'r', 'v', 'h', '{}', 'yellow', $2)", [id, JSON.stringify(result)]);
      await insert('dated', { overall: 'yellow', asOf: '2025-03-01', reassessBy: '2026-03-01', case: { title: 'A case with asOf in its text' } });
      await insert('undated', { overall: 'yellow', criteria: [] });
      assert.deepEqual(
        await migrate(db),
        knownMigrations().filter((m) => m >= '018'),
      );
      const dates = [
        { id: 'dated', as_of: '2025-03-01', reassess_by: '2026-03-01' },
        { id: 'undated', as_of: null, reassess_by: null },
      ];
      assert.deepEqual(await db.query('SELECT id, as_of, reassess_by FROM assessments ORDER BY id'), dates);
      // A backup made before the migration has the dates only in the results: a restore reads them there too.
      const dir = join(tempDir(), 'backup');
      await backupAppDb(db, dir);
      const file = join(dir, 'assessments.jsonl');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/,"as_of":(null|"[^"]*"),"reassess_by":(null|"[^"]*")/g, ''));
      assert.doesNotMatch(readFileSync(file, 'utf8'), /as_of/);
      // Nor did such a backup's manifest list its files' SHA-256.
      const { tableFiles: _tableFiles, store: _store, ...older } = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Record<string, unknown>;
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(older));
      const restored = await (await driver.newDatabase())();
      try {
        await migrate(restored);
        await restoreAppDb(restored, dir);
        assert.deepEqual(await restored.query('SELECT id, as_of, reassess_by FROM assessments ORDER BY id'), dates);
      } finally {
        await restored.close();
      }
    } finally {
      await db.close();
    }
  });

  test('migration 020 moves the items an organisation imported before they were kept under it to its key, and the sealed audit trail records the move', async () => {
    const dir = tempDir();
    const raw = await (await driver.newDatabase())();
    try {
      // 028's and 030's tables are tracked by the audit trail this version opens.
      await migrate(raw, new Set(knownMigrations().filter((m) => m < '020' || ['028_exchange_releases.sql', '030_match_withdrawals.sql'].includes(m))));
      const paths = { keyPath: join(dir, 'audit.key'), anchorPath: join(dir, 'audit.anchor.json') };
      const db = sealAudit(raw, { key: loadAuditKey(paths.keyPath), ...paths });
      // Anchored, as a home of a release before 020 is: only the trail's first anchor is made by itself.
      await anchorAnew(db, 'a home of the release before migration 020');
      const sha = 'ab'.repeat(32);
      const row = (kind: string, uuid: string, source: string) => [kind, uuid, source, 'Partner University', `unsigned:${sha.slice(0, 16)}`, '2026-11-30T21:00:00.000Z', '2026-11-30T21:00:00.000Z', 'partner', 'community', 'green', `subject of ${uuid}`, JSON.stringify({ uuid })];
      const rows = [
        // Imported by org-a when its source already named it, but under the bare uuid.
        row('correction', 'u-1', `file:org-a:${sha}`),
        row('namesake', 'u-2', `file:org-a:${sha}`),
        // The same file imported by org-b since: under org-b's key already.
        row('correction', 'org-b/u-1', `file:org-b:${sha}`),
        // Imported before the source named the organisation; and a feed's item.
        row('correction', 'u-3', `file:${sha}`),
        row('correction', 'u-4', 'subscription-1'),
      ];
      await db.transaction(async (tx) => {
        for (const r of rows) await tx.query(`INSERT INTO exchange_received (kind, uuid, subscription_id, publisher, key_id, published_at, pulled_at, origin_org, distribution, tlp, subject_key, doc) VALUES (${numberedParameters(r.length)})`, r);
        await appendAudit(tx, { actor: 'u1', orgId: 'org-a', action: 'exchange.import', target: `file:${sha}`, detail: {}, rows: rows.map((r) => ['exchange_received', r[0]!, r[1]!]) });
      });
      const officer = (orgId: string) => ({ userId: `officer-${orgId}`, orgId, role: 'officer' as const, name: 'Officer' });
      const seen = async (on: AppDb, orgId: string) => (await new ExchangeService(on, new Set()).received(officer(orgId))).map((r) => `${r.kind}/${r.uuid}`).sort();
      // What each organisation saw before: its own imports and the installation's items, by the uuids the file gave.
      const before = { a: ['correction/u-1', 'correction/u-3', 'correction/u-4', 'namesake/u-2'], b: ['correction/u-1', 'correction/u-3', 'correction/u-4'] };
      // A backup made by the schema before 020.
      const backup = join(dir, 'backup-before-020');
      await backupAppDb(db, backup);

      assert.deepEqual(
        await migrate(raw),
        knownMigrations().filter((m) => m >= '020' && !['028_exchange_releases.sql', '030_match_withdrawals.sql'].includes(m)),
      );
      const keysOf = async (on: AppDb) => (await on.query<{ kind: string; uuid: string; subscription_id: string }>('SELECT kind, uuid, subscription_id FROM exchange_received')).map((r) => `${r.kind} ${r.uuid} ${r.subscription_id}`).sort();
      const keys = [`correction org-a/u-1 file:org-a:${sha}`, `correction org-b/u-1 file:org-b:${sha}`, `correction u-3 file:${sha}`, 'correction u-4 subscription-1', `namesake org-a/u-2 file:org-a:${sha}`];
      assert.deepEqual(await keysOf(raw), keys);
      const moved = [
        [
          { kind: 'correction', from: 'u-1', to: 'org-a/u-1' },
          { kind: 'namesake', from: 'u-2', to: 'org-a/u-2' },
        ],
      ];
      const recordedMoves = async (on: AppDb) => (await on.query<{ detail: string }>("SELECT detail FROM audit WHERE action = 'migration.rekey'")).map((r) => (JSON.parse(r.detail) as { moved: unknown[] }).moved);
      // Opened as derisk opens it: the move is recorded once, and the trail verifies.
      const reopened = await openSealedTrail(raw, paths);
      const audit = await verifyAudit(reopened);
      assert.deepEqual(audit.problems, []);
      assert.equal(audit.sealed, true);
      assert.deepEqual(await recordedMoves(raw), moved);
      await openSealedTrail(raw, paths);
      assert.equal((await raw.query("SELECT seq FROM audit WHERE action = 'migration.rekey'")).length, 1, 'recorded once');
      // Each organisation sees what it saw before, by the uuids the file gave.
      assert.deepEqual({ a: await seen(reopened, 'org-a'), b: await seen(reopened, 'org-b') }, before);

      // The backup made before 020, restored into a database of this version (migrated while
      // empty): its items move as the migration moved them, the trail records the move and verifies.
      const restoredRaw = await (await driver.newDatabase())();
      try {
        await migrate(restoredRaw);
        await restoreAppDb(restoredRaw, backup);
        assert.deepEqual(await keysOf(restoredRaw), keys);
        // Opened and anchored as `derisk restore` does.
        const restored = await openSealedTrail(restoredRaw, { keyPath: paths.keyPath, anchorPath: join(dir, 'restored.anchor.json') });
        await anchorAnew(restored, 'restored from a backup made before migration 020');
        assert.deepEqual((await verifyAudit(restored)).problems, []);
        assert.deepEqual(await recordedMoves(restoredRaw), moved);
        assert.deepEqual({ a: await seen(restored, 'org-a'), b: await seen(restored, 'org-b') }, before);
      } finally {
        await restoredRaw.close();
      }
    } finally {
      await raw.close();
    }
  });

  test('migration 026 gives alerts recorded before it the web app’s page as their link, the JSON route kept as api; a backup made before is restored the same', async () => {
    const db = await (await driver.newDatabase())();
    try {
      // 028's and 030's tables are in the backup this version makes.
      await migrate(db, new Set(knownMigrations().filter((m) => m < '025' || ['028_exchange_releases.sql', '030_match_withdrawals.sql'].includes(m))));
      const old = [
        ['verdict', 'verdict-change', { assessment: 'a-1', case: 'case-1' }, '/api/assessments/a-1'],
        ['due', 'reassessment-due', { assessment: 'a-2', case: 'case-2' }, '/api/assessments/a-2'],
        ['kb-new', 'knowledge-change', { entry: 'cn-civil-code', version: 1 }, '/api/kb/entries/cn-civil-code'],
        ['kb-diff', 'knowledge-change', { entry: 'cn-civil-code', version: 3 }, '/api/kb/entries/cn-civil-code/diff?from=2&to=3'],
        ['upload', 'new-copublication', {}, '/api/portfolio?file=f-1'],
        ['works', 'new-copublication', {}, '/api/indicators/works?institution=05f950310'],
        ['patent', 'new-copublication', {}, '/api/indicators/applicant-pairs'],
        ['doi', 'new-copublication', {}, 'https://doi.org/10.1/x'],
      ] as const;
      for (const [id, kind, evidence, link] of old) {
        await db.query("INSERT INTO alerts (id, org_id, user_id, kind, dedup_key, created_at, title, subject, evidence, link) VALUES ($1, 'org-a', '', $2, $1, '2026-01-01T00:00:00.000Z', 't', 's', $3, $4)", [id, kind, JSON.stringify(evidence), link]);
      }
      const links = {
        doi: ['https://doi.org/10.1/x', null],
        due: ['/#/cases/case-2', '/api/assessments/a-2'],
        'kb-diff': ['/#/kb/diff/cn-civil-code/2/3', '/api/kb/entries/cn-civil-code/diff?from=2&to=3'],
        'kb-new': ['/#/kb/entry/cn-civil-code', '/api/kb/entries/cn-civil-code'],
        patent: ['/#/alerts', '/api/indicators/applicant-pairs'],
        upload: ['/#/screen/export/f-1', '/api/portfolio?file=f-1'],
        verdict: ['/#/cases/case-1', '/api/assessments/a-1'],
        works: ['/#/screen/portfolio/05f950310', '/api/indicators/works?institution=05f950310'],
      };
      const linksOf = async (on: AppDb) => Object.fromEntries((await on.query<{ id: string; link: string; api: string | null }>('SELECT id, link, api FROM alerts ORDER BY id')).map((r) => [r.id, [r.link, r.api]]));
      const backup = join(tempDir(), 'backup-before-025');
      await backupAppDb(db, backup);
      await migrate(db);
      assert.deepEqual(await linksOf(db), links);
      const restored = await (await driver.newDatabase())();
      try {
        await migrate(restored);
        await restoreAppDb(restored, backup);
        assert.deepEqual(await linksOf(restored), links);
      } finally {
        await restored.close();
      }
    } finally {
      await db.close();
    }
  });

  test('a backup holds every table the migrations make, but those it names as left out and why; sharing restrictions, mail settings, accepted and withdrawn corrections come back', async () => {
    const db = await (await driver.newDatabase())();
    try {
      await migrate(db);
      const tables = await db.query<{ name: string }>(db.kind === 'postgres' ? 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1' : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1");
      const decided = new Set<string>([...BACKED_UP_TABLES, ...Object.keys(NOT_BACKED_UP), 'schema_migrations']);
      assert.deepEqual(
        tables.map((t) => t.name).filter((t) => !decided.has(t)),
        [],
        'each table is backed up or named in NOT_BACKED_UP with the reason',
      );
      const rows = {
        exchange_recipients: ['verdict', 'item-1', 'peer-uuid', 'Peer University', 'org-a', 'u-1', '2026-01-01T00:00:00.000Z'],
        mail_subscriptions: ['u-1', 'daily', 'unsubscribe-token', '2026-01-01T00:00:00.000Z'],
        match_corrections_accepted: ['org-a', 'correction-uuid', 'u-1', '2026-01-01T00:00:00.000Z'],
        match_correction_withdrawals: ['correction-id', 'org-a', 'the group moved', 'u-1', '2026-01-02T00:00:00.000Z'],
      };
      for (const [table, values] of Object.entries(rows)) await db.query(`INSERT INTO ${table} VALUES (${numberedParameters(values.length)})`, values);
      const backup = join(tempDir(), 'backup-all-tables');
      await backupAppDb(db, backup);
      const restored = await (await driver.newDatabase())();
      try {
        await migrate(restored);
        await restoreAppDb(restored, backup);
        for (const table of Object.keys(rows)) assert.deepEqual(await restored.query(`SELECT * FROM ${table}`), await db.query(`SELECT * FROM ${table}`), table);
      } finally {
        await restored.close();
      }
    } finally {
      await db.close();
    }
  });

  test('the monitor re-checks each latest verdict from its case as assessed and finds those due for re-assessment, reading both in SQL', async () => {
    const db = await driver.open();
    try {
      await db.query("INSERT INTO monitor_seen (kind, ref, value, seen_at) VALUES ('bundle', 'policy', 'an earlier bundle', '2026-01-01') ON CONFLICT (kind, ref) DO UPDATE SET value = 'an earlier bundle'");
      const latest = Number((await db.query<{ n: number }>('SELECT count(DISTINCT case_id) AS n FROM assessments'))[0]!.n);
      assert.ok(latest > 0);
      const report = await new Monitor({ db, store, assessor: async () => assessor, today: () => '2099-01-01' }).check();
      assert.equal(report.reassessed, latest);
      // The same bundle and lists: a case misread would be a verdict that cannot be reached again, and an alert.
      assert.deepEqual(report.alerts, { 'reassessment-due': latest });
    } finally {
      await db.close();
    }
  });

  test('two processes starting at once on a new database apply each migration once', async () => {
    const open = await driver.newDatabase();
    const [first, second] = [await open(), await open()];
    try {
      // The second process migrates between the first one's look at what is applied and its own work.
      const late: AppDb = {
        kind: first.kind,
        query: async (sql, params) => {
          const rows = await first.query(sql, params);
          if (/SELECT name FROM schema_migrations/.test(sql)) assert.deepEqual(await migrate(second), knownMigrations());
          return rows as never;
        },
        transaction: (work) => first.transaction(work),
        close: () => first.close(),
      };
      assert.deepEqual(await migrate(late), [], 'everything was applied by the other process meanwhile');
      assert.equal((await first.query<{ n: number }>('SELECT count(*) AS n FROM schema_migrations'))[0]!.n, knownMigrations().length);
    } finally {
      await first.close();
      await second.close();
    }
  });
  test('two server processes on one database share the login throttle: forty guesses at once, split between them, get five tries', async () => {
    const [one, two] = [await driver.open(), await driver.open()];
    try {
      // A clock that stands still: the 1 s back-off after the fifth guess must not run out while the test runs.
      const now = () => Date.parse('2026-11-30T08:00:00Z');
      const [a, b] = [new Accounts(one, new LoginThrottle(one, undefined, now)), new Accounts(two, new LoginThrottle(two, undefined, now))];
      const results = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).login('officer@org-b.example', `wrong guess ${i}`, { address: `10.0.0.${i}` })));
      const reasons = results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'logged in'));
      assert.equal(reasons.filter((m) => /wrong e-mail or password/.test(m)).length, 5, reasons.join('; '));
      assert.equal(reasons.filter((m) => /too many failed logins/.test(m)).length, 35);
    } finally {
      await one.close();
      await two.close();
    }
  });

  test('a session or login code written into the database, or a session moved to another user, logs nobody in; verify names each', async () => {
    const { fresh, seal, raw, db } = await sealedTrail();
    // Another process, which remembers no session yet.
    const other = await openSealedTrail(await fresh(), seal);
    try {
      const accounts = new Accounts(db);
      await accounts.createOrganisation(OPERATOR, 'org-a', 'A');
      const admin = await accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'admin@org-a.example', name: 'Admin', role: 'admin', password: PASSWORD });
      await accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'viewer@org-a.example', name: 'Viewer', role: 'viewer', password: PASSWORD });
      const { session, actor } = await accounts.login('viewer@org-a.example', PASSWORD);
      assert.equal((await accounts.sessionActor(session))?.actor.userId, actor.userId, 'a session derisk opened logs in');
      assert.deepEqual((await verifyAudit(db)).problems, []);
      // With write access to the database alone: a session and a login code of one's choosing for the admin, and the viewer's session moved to the admin.
      const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
      const [now, later] = [new Date().toISOString(), new Date(Date.now() + 3600_000).toISOString()];
      await raw.query('INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at, origin) VALUES ($1, $2, $3, $4, $5, $6)', [sha256('planted session'), admin, 'csrf', now, later, 'password']);
      await raw.query('INSERT INTO login_codes (code_hash, user_id, origin, expires_at) VALUES ($1, $2, $3, $4)', [sha256('planted code'), admin, 'password', later]);
      await raw.query('UPDATE sessions SET user_id = $1 WHERE id_hash = $2', [admin, sha256(session)]);
      // API tokens alike: one planted for the admin, the viewer's moved to the admin, a revoked one switched back on.
      const moved = await accounts.createToken(actor, 'script');
      const revoked = await accounts.createToken(actor, 'old script');
      await accounts.revokeToken(actor, revoked.id);
      assert.equal((await new Accounts(other).tokenActor(moved.token))?.userId, actor.userId, 'a token derisk issued authenticates');
      await raw.query('INSERT INTO api_tokens (id, token_hash, user_id, label, revoked, created_at) VALUES ($1, $2, $3, $4, false, $5)', ['planted-token', sha256('drk_planted'), admin, 'planted', now]);
      await raw.query('UPDATE api_tokens SET user_id = $1 WHERE id = $2', [admin, moved.id]);
      await raw.query('UPDATE api_tokens SET revoked = false WHERE id = $1', [revoked.id]);
      // Feed tokens alike: one planted for the admin beside the viewer's own.
      const feed = await new AlertInbox(db).newFeedToken(actor);
      const plantedFeed = `drkf_${'p'.repeat(32)}`;
      await raw.query('INSERT INTO feed_tokens (id, user_id, token_hash, created_at, revoked) VALUES ($1, $2, $3, $4, false)', ['planted-feed', admin, sha256(plantedFeed), now]);
      assert.equal((await new AlertInbox(other).feedActor(feed))?.userId, actor.userId, 'a feed token derisk issued opens the feed');
      assert.equal(await new AlertInbox(other).feedActor(plantedFeed), null, 'a planted feed token');
      const fooled = new Accounts(other);
      assert.equal(await fooled.sessionActor('planted session'), null, 'a planted session');
      assert.equal(await fooled.sessionActor(session), null, 'a session moved to another user');
      await assert.rejects(fooled.redeemLoginCode('planted code'), /login code is unknown, used or expired/);
      assert.equal(await fooled.tokenActor('drk_planted'), null, 'a planted token');
      assert.equal(await fooled.tokenActor(moved.token), null, 'a token moved to another user');
      assert.equal(await fooled.tokenActor(revoked.token), null, 'a revoked token switched back on');
      const problems = (await verifyAudit(db)).problems.map((p) => p.problem);
      assert.equal(problems.filter((p) => new RegExp(`^a session of user ${admin} .* was written outside derisk: its MAC does not match`).test(p)).length, 2, problems.join('\n'));
      assert.ok(problems.some((p) => new RegExp(`^a login code for user ${admin} .* was written outside derisk`).test(p)));
      for (const [id, user] of [
        ['planted-token', admin],
        [moved.id, admin],
        [revoked.id, actor.userId],
      ])
        assert.ok(
          problems.some((p) => p.startsWith(`api_tokens/${id} (user ${user},`) && /, so it authenticates nobody/.test(p)),
          `${id}: ${problems.join('\n')}`,
        );
      assert.ok(
        problems.some((p) => p.startsWith(`feed_tokens/planted-feed (user ${admin},`) && /, so it opens no feed/.test(p)),
        problems.join('\n'),
      );
    } finally {
      await db.close();
      await other.close();
    }
  });

  test('API and feed tokens issued before they carried a MAC (migrations 021, 022) keep working where the audit trail records their creation; any other is refused and named by verify', async () => {
    const { fresh, seal, raw, db } = await sealedTrail();
    try {
      const accounts = new Accounts(db);
      await accounts.createOrganisation(OPERATOR, 'org-a', 'A');
      await accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'analyst@org-a.example', name: 'Analyst', role: 'analyst', password: PASSWORD });
      const { actor } = await accounts.login('analyst@org-a.example', PASSWORD);
      const issued = await accounts.createToken(actor, 'script');
      const changed = await accounts.createToken(actor, 'other script');
      const feed = await new AlertInbox(db).newFeedToken(actor);
      const plantedFeed = `drkf_${'p'.repeat(32)}`;
      await raw.query('UPDATE feed_tokens SET mac = NULL');
      await raw.query('INSERT INTO feed_tokens (id, user_id, token_hash, created_at, revoked) VALUES ($1, $2, $3, $4, false)', ['planted-feed', actor.userId, createHash('sha256').update(plantedFeed).digest('hex'), new Date().toISOString()]);
      // As migrations 021, 022 and 027 leave the tokens of an earlier release: no MAC, no expiry. Beside
      // them, one planted before the upgrade, and one whose label was changed behind derisk.
      await raw.query('UPDATE api_tokens SET mac = NULL, expires_at = NULL');
      await raw.query('INSERT INTO api_tokens (id, token_hash, user_id, label, revoked, created_at) VALUES ($1, $2, $3, $4, false, $5)', ['planted-before', createHash('sha256').update('drk_planted').digest('hex'), actor.userId, 'planted', new Date().toISOString()]);
      await raw.query("UPDATE api_tokens SET label = 'renamed' WHERE id = $1", [changed.id]);
      const upgraded = await openSealedTrail(await fresh(), seal);
      try {
        const afterUpgrade = new Accounts(upgraded);
        assert.equal((await afterUpgrade.tokenActor(issued.token))?.userId, actor.userId, 'a token the trail records works on');
        assert.equal(await afterUpgrade.tokenActor('drk_planted'), null, 'a planted token is refused');
        assert.equal(await afterUpgrade.tokenActor(changed.token), null, 'a token changed since its entry is refused');
        assert.equal((await new AlertInbox(upgraded).feedActor(feed))?.userId, actor.userId, 'a feed token the trail records opens the feed on');
        assert.equal(await new AlertInbox(upgraded).feedActor(plantedFeed), null, 'a planted feed token is refused');
        const problems = (await verifyAudit(upgraded)).problems.map((p) => p.problem);
        for (const id of ['planted-before', changed.id])
          assert.ok(
            problems.some((p) => p.startsWith(`api_tokens/${id} `) && /has no MAC: no audit entry records it as it stands/.test(p)),
            `${id}: ${problems.join('\n')}`,
          );
        assert.ok(!problems.some((p) => p.startsWith(`api_tokens/${issued.id} `)), problems.join('\n'));
        assert.ok(
          problems.some((p) => p.startsWith('feed_tokens/planted-feed ') && /has no MAC: no audit entry records it as it stands/.test(p)),
          problems.join('\n'),
        );
        assert.ok(
          problems.filter((p) => p.startsWith('feed_tokens/')).every((p) => p.startsWith('feed_tokens/planted-feed ')),
          problems.join('\n'),
        );
      } finally {
        await upgraded.close();
      }
    } finally {
      await db.close();
    }
  });

  test('a role change, a disable or a revoked token made by another process (the console beside the server) takes effect at the next request', async () => {
    const [server, beside] = [await driver.open(), await driver.open()];
    try {
      const [here, there] = [new Accounts(server), new Accounts(beside)];
      await there.createOrganisation(OPERATOR, 'org-live', 'Live');
      const id = await there.createUser(OPERATOR, { orgId: 'org-live', email: 'analyst@live.example', name: 'Analyst', role: 'analyst', password: PASSWORD });
      const { session, actor } = await here.login('analyst@live.example', PASSWORD);
      const [kept, dropped] = [await here.createToken(actor, 'kept'), await here.createToken(actor, 'dropped')];
      const roles = async () => [(await here.sessionActor(session))?.actor.role ?? null, (await here.tokenActor(kept.token))?.role ?? null];
      assert.deepEqual(await roles(), ['analyst', 'analyst']);
      assert.equal((await here.tokenActor(dropped.token))?.role, 'analyst');
      await there.setRole(OPERATOR, id, 'viewer');
      assert.deepEqual(await roles(), ['viewer', 'viewer'], 'the role changed by the other process');
      await there.revokeToken(OPERATOR, dropped.id);
      assert.equal(await here.tokenActor(dropped.token), null, 'the token the other process revoked');
      await there.setDisabled(OPERATOR, id, true);
      assert.deepEqual(await roles(), [null, null], 'the user the other process disabled');
    } finally {
      await server.close();
      await beside.close();
    }
  });

  test('two server processes sharing one audit key keep one sealed trail; each anchors what it wrote', async () => {
    const dir = tempDir();
    const keyPath = join(dir, 'shared-audit.key');
    const actor = { userId: 'u1', orgId: 'org-a', role: 'analyst' as const, name: 'Analyst' };
    const one = await openSealedTrail(await driver.open(), { keyPath, anchorPath: join(dir, 'one', 'audit.anchor.json') });
    // Sessions the tests before opened without the key (a sealed installation has none such).
    await one.query('DELETE FROM sessions');
    await new CaseService(one, assessor).create(actor, { ...CASE, title: 'Before the second process' });
    const two = await openSealedTrail(await driver.open(), { keyPath, anchorPath: join(dir, 'two', 'audit.anchor.json') });
    try {
      // The second finds a trail and no anchor of its own: its operator anchors it once, on purpose (as README says).
      assert.equal(existsSync(join(dir, 'two', 'audit.anchor.json')), false, 'not anchored by itself');
      await anchorAnew(two, 'a second server process on this database');
      await Promise.all([one, two].flatMap((db) => Array.from({ length: 10 }, (_, i) => new CaseService(db, assessor).create(actor, { ...CASE, title: `Sealed ${i}` }))));
      for (const db of [one, two]) {
        const r = await verifyAudit(db);
        assert.deepEqual(r.problems, []);
        assert.equal(r.sealed, true);
      }
      await one.query("UPDATE cases SET title = 'changed behind derisk' WHERE title = 'Sealed 3'");
      assert.ok((await verifyAudit(two)).problems.some((p) => /changed outside derisk/.test(p.problem)));
      await one.query("UPDATE cases SET title = 'Sealed 3' WHERE title = 'changed behind derisk'");
      assert.deepEqual((await verifyAudit(two)).problems, [], 'put back, the rows match their entries again');
    } finally {
      await one.close();
      await two.close();
    }
  });
}
