import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { orgSchemaOf, Store } from '../../src/store/store.ts';
import { ORG_VIEWS } from '../../src/store/org-views.ts';
import { checkBackupFiles, readBackupManifest } from '../../src/appdb/backup.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';

// Found by a red team: a backup's manifest hashed only the files it carries; the evidence store's
// Parquet files and load.sql were not checked at all, nor the tables' content beyond their row
// counts. A risk list rewritten in the backup (entries removed, versions kept) was restored, and
// `audit verify --backup` passed it; a statement added to load.sql ran as SQL and, failing, left
// the application database and the audit key in the empty home.

const pattern = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const DOC = JSON.stringify({ entries: [{ name: 'Harbin Institute of Technology' }] });

/** A home with an organisation and an evidence store holding a risk list, backed up. */
async function backedUp(): Promise<{ env: Record<string, string>; backup: string }> {
  const home = join(tempDir(), 'home');
  const env = { DERISK_HOME: home };
  assert.equal(derisk(['users', 'add-org', 'org-a', 'Org', 'A'], env).status, 0);
  const store = await Store.open(join(home, 'derisk.duckdb'));
  await store.run(`INSERT INTO risk_lists VALUES ('test-list', 'v1', 'Test list', 1, TIMESTAMP '2026-11-01 00:00:00', $1)`, [DOC]);
  store.close();
  const backup = join(tempDir(), 'backup');
  const b = derisk(['backup', backup], env);
  assert.equal(b.status, 0, b.stderr);
  return { env, backup };
}

/** Rewrites a Parquet file of the backup's store through DuckDB, as someone who changed the backup would. */
async function rewriteParquet(path: string, select: string): Promise<void> {
  const scratch = await Store.open(':memory:');
  try {
    await scratch.run(`COPY (${select.replace('$file', `'${path}'`)}) TO '${path}.new' (FORMAT parquet)`);
  } finally {
    scratch.close();
  }
  renameSync(`${path}.new`, path);
  chmodSync(path, 0o600);
}

/** Records a store file's new contents in the manifest (an unsigned backup's manifest can be rewritten). */
function rehashStoreFile(backup: string, name: string): void {
  const manifestPath = join(backup, 'app', 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { store: Record<string, { sha256: string; bytes: number }> };
  const data = readFileSync(join(backup, 'store', name));
  manifest.store[name] = { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
  writeFileSync(manifestPath, JSON.stringify(manifest));
}

/** An empty home folder, which a refused restore must leave empty. */
function emptyHome(): string {
  const home = join(tempDir(), 'target');
  mkdirSync(home, { mode: 0o700 });
  return home;
}

// Unsigned backups (no exchange feed key in these homes), restored with --allow-unsigned: what is checked here is each file's SHA-256, which guards unsigned backups too.
test('a restore brings back the evidence store as backed up; audit verify --backup says every file was checked', async () => {
  const { env, backup } = await backedUp();
  const manifest = JSON.parse(readFileSync(join(backup, 'app', 'manifest.json'), 'utf8')) as { store: Record<string, unknown>; tableFiles: Record<string, unknown> };
  assert.ok('risk_lists.parquet' in manifest.store && 'load.sql' in manifest.store && 'schema.sql' in manifest.store, Object.keys(manifest.store).join(', '));
  assert.ok('organisations' in manifest.tableFiles);
  const home = join(tempDir(), 'restored');
  const r = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: home });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /unverified/);
  const store = await Store.open(join(home, 'derisk.duckdb'));
  try {
    assert.deepEqual(await store.all('SELECT list_id, version, doc FROM risk_lists'), [{ list_id: 'test-list', version: 'v1', doc: DOC }]);
  } finally {
    store.close();
  }
  const v = derisk(['audit', 'verify', '--backup', backup], env);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, new RegExp(`backup ${pattern(backup)}: every file is the one its manifest lists \\(size and SHA-256\\)`));
});

test("a risk list rewritten in the backup's store is refused by restore and by audit verify --backup, naming the file", async () => {
  const { env, backup } = await backedUp();
  const parquet = join(backup, 'store', 'risk_lists.parquet');
  await rewriteParquet(parquet, `SELECT * REPLACE ('{"entries":[]}' AS doc) FROM $file`);
  const home = emptyHome();
  const r = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: home });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`${pattern(parquet)} is not the file the manifest lists \\(its (size|SHA-256) differs\\): the backup was changed since it was made`));
  assert.deepEqual(readdirSync(home), [], 'nothing restored');
  const v = derisk(['audit', 'verify', '--backup', backup], env);
  assert.equal(v.status, 1, v.stdout + v.stderr);
  assert.match(v.stderr, new RegExp(`${pattern(parquet)} is not the file the manifest lists`));
});

test('a table file changed with its row count kept is refused, naming it', async () => {
  const { env, backup } = await backedUp();
  const organisations = join(backup, 'app', 'organisations.jsonl');
  writeFileSync(organisations, readFileSync(organisations, 'utf8').replace('"Org A"', '"Org B"'));
  const home = emptyHome();
  const r = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: home });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`${pattern(organisations)} is not the file the manifest lists \\(its SHA-256 differs\\)`));
  assert.deepEqual(readdirSync(home), []);
  assert.equal(derisk(['audit', 'verify', '--backup', backup], env).status, 1);
});

test('a backup whose rows were changed, its manifest rehashed, is refused before anything is written: its own audit trail disagrees', async () => {
  const { backup } = await backedUp();
  const organisations = join(backup, 'app', 'organisations.jsonl');
  writeFileSync(organisations, readFileSync(organisations, 'utf8').replace('"Org A"', '"Org B"'));
  const manifestPath = join(backup, 'app', 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { tableFiles: Record<string, { sha256: string; bytes: number }> };
  const data = readFileSync(organisations);
  manifest.tableFiles.organisations = { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
  writeFileSync(manifestPath, JSON.stringify(manifest));
  const home = emptyHome();
  const r = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: home });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /does not agree with its own audit trail \(1 problem\(s\): entry \d+: organisations\/org-a was changed outside derisk .*nothing of it is restored/);
  assert.deepEqual(readdirSync(home), [], 'the home is left as it was: no store, database or key');
});

test('the store files a restore imports are its own copies, checked: a file changed in the backup after the check is not what is imported', async () => {
  const { backup } = await backedUp();
  const app = join(backup, 'app');
  const manifest = readBackupManifest(app);
  const scratch = mkdtempSync(join(tempDir(), 'copies-'));
  const { store } = await checkBackupFiles(app, manifest, scratch);
  assert.equal(store!.dir, scratch);
  // Between the check and the import, someone who may write the backup's folder rewrites the risk list.
  await rewriteParquet(join(backup, 'store', 'risk_lists.parquet'), `SELECT * REPLACE ('{"entries":[]}' AS doc) FROM $file`);
  const imported = await Store.importFrom(join(tempDir(), 'imported.duckdb'), store!);
  try {
    assert.deepEqual(await imported.all('SELECT doc FROM risk_lists'), [{ doc: DOC }]);
  } finally {
    imported.close();
  }
});

test('a statement added to load.sql is refused before anything is written, even with the manifest rehashed; the home is left as it was', async () => {
  const { backup } = await backedUp();
  const load = join(backup, 'store', 'load.sql');
  const outside = join(tempDir(), 'written-by-the-backup.csv');
  writeFileSync(load, `${readFileSync(load, 'utf8')}COPY (SELECT 1) TO '${outside}';\n`);
  const home = emptyHome();
  const changed = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: home });
  assert.equal(changed.status, 1, changed.stdout + changed.stderr);
  assert.match(changed.stderr, new RegExp(`${pattern(load)} is not the file the manifest lists`));
  assert.deepEqual(readdirSync(home), []);

  rehashStoreFile(backup, 'load.sql');
  const rehashed = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: home });
  assert.equal(rehashed.status, 1, rehashed.stdout + rehashed.stderr);
  assert.match(rehashed.stderr, new RegExp(`${pattern(load)} line \\d+ is not a COPY statement of a store export .*a restore runs no other SQL from a backup`));
  assert.deepEqual(readdirSync(home), [], 'no app.sqlite, audit.key or audit.anchor.json left behind');
  assert.ok(!existsSync(outside));
});

test("the store's schema.sql of an old backup is refused with a statement derisk's export does not write, and the import reaches no file outside the export", async () => {
  const { backup } = await backedUp();
  const manifestPath = join(backup, 'app', 'manifest.json');
  const { tableFiles: _t, store: _s, ...older } = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(manifestPath, JSON.stringify(older));
  rmSync(join(backup, 'app', 'manifest.json.sig'), { force: true });
  const secret = join(tempDir(), 'secret.txt');
  writeFileSync(secret, 'not for the store');
  const schema = join(backup, 'store', 'schema.sql');
  writeFileSync(schema, `${readFileSync(schema, 'utf8')}CREATE TABLE stolen AS SELECT * FROM read_text('${secret}');\n`);
  const home = emptyHome();
  const r = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: home });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const line = readFileSync(schema, 'utf8').split('\n').length - 1;
  assert.match(r.stderr, new RegExp(`${pattern(schema)} line ${line} is not a statement derisk's store export writes \\("CREATE TABLE stolen AS`));
  assert.deepEqual(readdirSync(home), []);
  const fresh = join(tempDir(), 'fresh');
  derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: fresh });
  assert.ok(!existsSync(fresh), 'a refused restore makes no home');
  // Beneath that check, the import's own sandbox: what it runs reaches no file outside the export.
  const statement = `CREATE TABLE stolen AS SELECT * FROM read_text('${secret}');`;
  await assert.rejects(Store.importFrom(join(tempDir(), 'sandboxed.duckdb'), { dir: join(backup, 'store'), schema: statement, views: [], copies: [] }), new RegExp(pattern(secret)));

  // Without the added statement, the old backup restores, said to be unverified.
  writeFileSync(schema, readFileSync(schema, 'utf8').replace(/CREATE TABLE stolen.*\n/, ''));
  const ok = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: home });
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /restored unverified/);
  const v = derisk(['audit', 'verify', '--backup', backup], { DERISK_HOME: home });
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /made before backups listed a SHA-256 for each of their files: its tables and evidence store are unverified/);
});

test("an organisation view's body in schema.sql is never run: the restored view is derisk's own, whatever the backup says", async () => {
  const home = join(tempDir(), 'home');
  assert.equal(derisk(['users', 'add-org', 'org-a', 'Org', 'A'], { DERISK_HOME: home }).status, 0);
  const org = orgSchemaOf('org-a');
  const store = await Store.open(join(home, 'derisk.duckdb'));
  await store.run(`INSERT INTO risk_lists VALUES ('test-list', 'v1', 'Test list', 1, TIMESTAMP '2026-11-01 00:00:00', $1)`, [DOC]);
  // An organisation's view as src/resolve/org-view.ts makes one: its own resolutions, the shared base's name over them.
  await store.run(`CREATE SCHEMA ${org}`);
  await store.run(`CREATE TABLE ${org}.own_resolutions AS SELECT * FROM main.resolutions LIMIT 0`);
  await store.run(`CREATE VIEW ${org}.resolutions AS ${ORG_VIEWS.resolutions!(org)}`);
  store.close();
  const backup = join(tempDir(), 'backup');
  assert.equal(derisk(['backup', backup], { DERISK_HOME: home }).status, 0);
  const schema = join(backup, 'store', 'schema.sql');
  const exported = readFileSync(schema, 'utf8');
  assert.match(exported, new RegExp(`^CREATE VIEW ${org}\\.resolutions AS `, 'm'));
  // Someone who holds the backup makes the view read other rows (another organisation's, a file's) and rehashes the manifest.
  writeFileSync(schema, exported.replace(new RegExp(`^(CREATE VIEW ${org}\\.resolutions AS ).*$`, 'm'), '$1SELECT doc AS raw FROM main.risk_lists;'));
  rehashStoreFile(backup, 'schema.sql');
  const restored = join(tempDir(), 'restored');
  const r = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: restored });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const back = await Store.open(join(restored, 'derisk.duckdb'));
  try {
    const [view] = await back.all<{ sql: string }>(`SELECT sql FROM duckdb_views() WHERE schema_name = $1 AND view_name = 'resolutions'`, [org]);
    assert.doesNotMatch(view!.sql, /risk_lists/);
    assert.match(view!.sql, new RegExp(`FROM main\\.resolutions WHERE .* UNION ALL \\(SELECT \\* FROM ${org}\\.own_resolutions\\)`));
    assert.deepEqual(await back.all(`SELECT * FROM ${org}.resolutions`), []);
  } finally {
    back.close();
  }
});

test('a file missing from the backup, or one its manifest does not list, is refused by restore and audit verify --backup, naming it', async () => {
  const { env, backup } = await backedUp();
  const extra = join(backup, 'store', 'extra.parquet');
  writeFileSync(extra, 'PAR1', { mode: 0o600 });
  const home = emptyHome();
  const added = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: home });
  assert.equal(added.status, 1, added.stdout + added.stderr);
  assert.match(added.stderr, new RegExp(`${pattern(extra)} is not a file of this backup \\(its manifest does not list it\\)`));
  assert.match(derisk(['audit', 'verify', '--backup', backup], env).stderr, new RegExp(`${pattern(extra)} is not a file of this backup`));
  rmSync(extra);

  const beside = join(backup, 'app', 'users.jsonl.orig');
  writeFileSync(beside, '', { mode: 0o600 });
  assert.match(derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: home }).stderr, new RegExp(`${pattern(beside)} is not a file of this backup`));
  rmSync(beside);

  const works = join(backup, 'store', 'works.parquet');
  rmSync(works);
  const missing = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: home });
  assert.equal(missing.status, 1, missing.stdout + missing.stderr);
  assert.match(missing.stderr, new RegExp(`${pattern(works)} is missing, the manifest lists it \\(\\d+ bytes\\): the backup is incomplete`));
  assert.match(derisk(['audit', 'verify', '--backup', backup], env).stderr, new RegExp(`${pattern(works)} is missing`));
  assert.deepEqual(readdirSync(home), []);
});
