import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { backupAppDb } from '../../src/appdb/backup.ts';
import type { AppDb } from '../../src/appdb/db.ts';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { keptName } from '../../src/appdb/legacy.ts';
import { knownMigrations, migrate } from '../../src/appdb/migrate.ts';
import { Assessor } from '../../src/assessment/assessor.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { screeningContext } from '../../src/screening/store.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { openSealedTrail, verifyAudit } from '../../src/service/audit.ts';
import { CaseService } from '../../src/service/cases.ts';
import { derisk } from '../helpers/cli.ts';
import { DuckDbAppDb } from '../helpers/duckdb-appdb.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { listedLandscapeStore } from '../helpers/landscape.ts';

// Homes made before SQLite keep users, cases, verdicts and the audit trail in .derisk/app.duckdb.
// Such a home is written here by the DuckDB driver derisk had then, through the real services.
const PASSWORD = 'correct horse battery staple';
const TABLES = ['organisations', 'users', 'sessions', 'api_tokens', 'cases', 'case_shares', 'assessments', 'notes', 'audit', 'login_devices'];
/**
 * The DuckDB releases' schema: the migrations from 023 on add triggers, which SQLite and PostgreSQL have and DuckDB has
 * not. But 024, the case version, 027, the token expiry, 028, the anonymised verdicts' releases (a table the audit
 * trail tracks), 029, the case version a verdict assessed, and 030, match corrections' withdrawals (a table a backup holds): the services of today, which write the old home here, read and write them (a home without them is the
 * last test's, the later migrations applied after the move).
 */
const DUCKDB_MIGRATIONS = new Set(knownMigrations().filter((m) => m < '023' || ['024_case_versions.sql', '027_token_expiry.sql', '028_exchange_releases.sql', '029_assessment_case_versions.sql', '030_match_withdrawals.sql'].includes(m)));
let oldHome: string;
let oldToken: string;

before(async () => {
  oldHome = tempDir();
  const store = await listedLandscapeStore(oldHome, 'high');
  const assessor = new Assessor({ store, screening: await screeningContext(store), bundle: loadBundle() });
  // The schema the DuckDB releases had; the audit trail sealed as they sealed it. (A home at the first
  // release's schema, with the audit entries of that time, is the last test's.)
  const raw = await DuckDbAppDb.open(join(oldHome, 'app.duckdb'));
  await migrate(raw, DUCKDB_MIGRATIONS);
  const db = await openSealedTrail(raw, { keyPath: join(oldHome, 'audit.key'), anchorPath: join(oldHome, 'audit.anchor.json') });
  const accounts = new Accounts(db);
  await accounts.ensureLocalAdmin();
  for (const org of ['org-a', 'org-b']) {
    await accounts.createOrganisation(OPERATOR, org, org.toUpperCase());
    await accounts.createUser(OPERATOR, { orgId: org, email: `officer@${org}.example`, name: `Officer ${org}`, role: 'officer', password: PASSWORD });
  }
  await accounts.setDisabled(OPERATOR, await accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'gone@org-a.example', name: 'Left', role: 'viewer', password: PASSWORD }), true);
  const a = (await accounts.login('officer@org-a.example', PASSWORD)).actor;
  oldToken = (await accounts.createToken(a, 'kept')).token;
  await accounts.revokeToken(a, (await accounts.createToken(a, 'revoked')).id);
  const cases = new CaseService(db, assessor);
  const { id } = await cases.create(a, { title: 'Joint lab with Tsinghua', partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }], research: { type: 'basic', open_publication: 'yes' } }, 'key-1');
  await cases.assess(a, id, '2026-11-22');
  await cases.addNote(a, id, 'checked with the partner — 清华大学');
  await cases.share(a, id, 'org-b');
  await db.close();
  store.close();
});

async function rows(db: AppDb, table: string): Promise<unknown[]> {
  return (await db.query(`SELECT * FROM ${table}`)).map((r) => JSON.stringify(Object.entries(r).sort())).sort();
}

const home = () => {
  const h = tempDir();
  cpSync(oldHome, h, { recursive: true });
  return h;
};

test('an old home is moved to SQLite on first start: every row of every table, the audit chain verifying, the old file kept', async () => {
  const h = home();
  const legacy = join(h, 'app.duckdb');
  const first = derisk(['audit', 'verify'], { DERISK_HOME: h });
  assert.equal(first.status, 0, first.stderr + first.stdout);
  assert.match(first.stdout, /^\d+ audit entries; head [0-9a-f]{16}…\nthe chain verifies/);
  assert.match(first.stderr, /moved the application database from .*app\.duckdb to .*app\.sqlite \(\d+ rows in \d+ tables; the audit chain of \d+ entries verifies\); the old file is kept as .*app\.duckdb\.imported-into-sqlite/);
  assert.ok(!existsSync(legacy) && existsSync(keptName(legacy)) && existsSync(join(h, 'app.sqlite')));
  // Row for row what the old file holds: booleans as booleans, numbers as numbers, text as text.
  const old = await DuckDbAppDb.open(keptName(legacy));
  const now = await EmbeddedDb.open(join(h, 'app.sqlite'));
  try {
    for (const table of TABLES) {
      const before = await rows(old, table);
      assert.ok(before.length > 0, `${table} has rows to move`);
      assert.deepEqual(await rows(now, table), before, table);
    }
    assert.deepEqual(await verifyAudit(now), await verifyAudit(old));
    // And they still work: the old password, the old API token, not the revoked one, not the disabled user.
    const live = await openSealedTrail(now, { keyPath: join(h, 'audit.key'), anchorPath: join(h, 'audit.anchor.json') });
    const accounts = new Accounts(live);
    const { actor } = await accounts.login('officer@org-a.example', PASSWORD);
    assert.equal((await accounts.tokenActor(oldToken))?.userId, actor.userId);
    await assert.rejects(accounts.login('gone@org-a.example', PASSWORD));
    const listed = await new CaseService(now, null as never).list(actor);
    assert.deepEqual(listed, await new CaseService(old, null as never).list(actor));
    assert.equal(listed.length, 1);
    assert.ok(listed[0]!.overall, 'with its verdict');
  } finally {
    await old.close();
    await now.close();
  }
  // The second start finds nothing to move and says nothing about it.
  const second = derisk(['audit', 'verify'], { DERISK_HOME: h });
  assert.equal(second.status, 0, second.stdout);
  assert.equal(second.stderr, '');
  assert.match(second.stdout, /the chain verifies/);
});

test('an import killed half-way leaves the old file in place, and the next start imports it whole', () => {
  const h = home();
  // Die right after the rows are committed to the staging file, before it takes its final name.
  const killed = derisk(['audit', 'verify'], { DERISK_HOME: h, DERISK_CRASH_AT: 'appdb.committed:3' });
  assert.equal(killed.status, null);
  assert.ok(existsSync(join(h, 'app.duckdb')) && !existsSync(join(h, 'app.sqlite')));
  assert.ok(
    readdirSync(h).some((f) => f.startsWith('app.sqlite.importing-')),
    'the staging file of the killed import is there',
  );
  const again = derisk(['audit', 'verify'], { DERISK_HOME: h });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stderr, /moved the application database/);
  assert.deepEqual(
    readdirSync(h)
      .filter((f) => f.startsWith('app.'))
      .sort(),
    ['app.duckdb.imported-into-sqlite', 'app.sqlite'],
    'the abandoned staging file is gone',
  );
});

test('a start that stopped after the import but before renaming the old file finishes the rename; a different old file is refused', async () => {
  const h = home();
  assert.equal(derisk(['audit', 'verify'], { DERISK_HOME: h }).status, 0);
  const legacy = join(h, 'app.duckdb');
  copyFileSync(keptName(legacy), legacy);
  const r = derisk(['audit', 'verify'], { DERISK_HOME: h });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(!existsSync(legacy), 'the already imported file is set aside');
  // Another DuckDB file where the old one was: not what was imported, so neither is touched.
  const other = await DuckDbAppDb.open(legacy);
  await migrate(other, DUCKDB_MIGRATIONS);
  await other.close();
  const refused = derisk(['audit', 'verify'], { DERISK_HOME: h });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /both .*app\.duckdb .* and .*app\.sqlite exist, and the first was never imported into the second/);
  assert.ok(existsSync(legacy));
});

test('an old file in use by an older server is refused with the reason, and left as it was', async () => {
  const h = home();
  const running = await DuckDbAppDb.open(join(h, 'app.duckdb'));
  try {
    const r = derisk(['users', 'add-org', 'org-c', 'Org C'], { DERISK_HOME: h });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the old application database .*app\.duckdb is in use by another derisk process/);
    assert.ok(!existsSync(join(h, 'app.sqlite')));
  } finally {
    await running.close();
  }
});

test('an old file written by a newer derisk (a migration this one does not know) is refused', async () => {
  const h = home();
  const db = await DuckDbAppDb.open(join(h, 'app.duckdb'));
  await db.transaction((tx) => tx.query('INSERT INTO schema_migrations VALUES ($1, $2)', ['999_future.sql', '2030-01-01']));
  await db.close();
  const r = derisk(['audit', 'verify'], { DERISK_HOME: h });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /has migrations this derisk does not know \(999_future\.sql\): it was written by a newer version/);
  assert.ok(existsSync(join(h, 'app.duckdb')) && !existsSync(join(h, 'app.sqlite')));
});

test('the other way over: a backup the old version made restores into a new home on SQLite', async () => {
  // What `derisk backup` wrote before SQLite: the same JSON Lines, from the DuckDB file.
  const dir = join(tempDir(), 'backup');
  const h = home();
  const old = await DuckDbAppDb.open(join(h, 'app.duckdb'));
  const manifest = await backupAppDb(old, join(dir, 'app'));
  await old.close();
  copyFileSync(join(h, 'audit.key'), join(dir, 'app', 'audit.key'));
  // That version's manifest listed no carried files: the audit key lay beside it, unlisted.
  const { files: _files, ...older } = JSON.parse(readFileSync(join(dir, 'app', 'manifest.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'app', 'manifest.json'), JSON.stringify(older));
  const fresh = tempDir();
  // Made before backups were signed.
  const r = derisk(['restore', dir, '--allow-unsigned'], { DERISK_HOME: fresh });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /application database restored: .*audit chain verifies/);
  const db = await EmbeddedDb.open(join(fresh, 'app.sqlite'));
  try {
    assert.deepEqual(await db.query('SELECT hash FROM audit WHERE seq = $1', [manifest.auditHead!.seq]), [{ hash: manifest.auditHead!.hash }], 'the head the backup recorded, kept');
    assert.deepEqual(
      (await db.query<{ action: string }>('SELECT action FROM audit WHERE seq > $1 ORDER BY seq', [manifest.auditHead!.seq])).map((e) => e.action),
      ['audit.anchor', 'exchange.identity.restore'],
      'then the restore, anchoring the trail on purpose, and what it did with the exchange feed identity',
    );
    assert.deepEqual((await verifyAudit(db)).problems, []);
    assert.deepEqual(await db.query('SELECT email, disabled FROM users WHERE org_id = $1 ORDER BY email', ['org-a']), [
      { email: 'gone@org-a.example', disabled: true },
      { email: 'officer@org-a.example', disabled: false },
    ]);
  } finally {
    await db.close();
  }
});

test("a home at the first release's schema, its audit entries in the form of that time, is moved and the later migrations applied after", async () => {
  const h = tempDir();
  const db = await DuckDbAppDb.open(join(h, 'app.duckdb'));
  await migrate(db, new Set(['001_initial.sql']));
  // Two entries as the first release wrote them: the hash over the entry's fields, no MAC, no row digests.
  let prev = '0'.repeat(64);
  for (const [seq, id] of [
    [1, 'org-old'],
    [2, 'org-older'],
  ] as const) {
    const at = `2026-10-0${seq}T00:00:00.000Z`;
    const detail = JSON.stringify({ name: id });
    const hash = createHash('sha256')
      .update(JSON.stringify([seq, at, 'operator', id, 'organisation.create', id, detail, prev]))
      .digest('hex');
    await db.transaction(async (tx) => {
      await tx.query('INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)', [id, id, at]);
      await tx.query('INSERT INTO audit (seq, recorded_at, actor, org_id, action, target, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [seq, at, 'operator', id, 'organisation.create', id, detail, prev, hash]);
    });
    prev = hash;
  }
  await db.close();
  const r = derisk(['audit', 'verify'], { DERISK_HOME: h });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /moved the application database .*\(\d+ rows in \d+ tables; the audit chain of 2 entries verifies\)/);
  assert.match(r.stdout, /the chain verifies/);
  const now = await EmbeddedDb.open(join(h, 'app.sqlite'));
  try {
    assert.deepEqual(
      (await now.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')).map((m) => m.name),
      knownMigrations(),
      'the later migrations applied after the move',
    );
    assert.deepEqual(
      (await now.query<{ id: string }>('SELECT id FROM organisations ORDER BY id')).map((o) => o.id),
      ['org-old', 'org-older'],
    );
    const entries = await now.query<{ action: string }>('SELECT action FROM audit ORDER BY seq');
    assert.deepEqual(
      entries.map((e) => e.action),
      ['organisation.create', 'organisation.create', 'audit.seal', 'audit.track'],
      'the old trail kept as it was, then sealed, and the tables tracked since recorded',
    );
  } finally {
    await now.close();
  }
});
