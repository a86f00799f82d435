import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { feedIdentity, writeFeed } from '../../src/exchange/feed.ts';
import { Store } from '../../src/store/store.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';

// Found by a red team: a restored installation made a new exchange feed key (partners who pinned the
// old one refused its feed), and the backup's Parquet files and the restored evidence store were
// readable by everyone.

/** Every file and folder under `dir`, with its permissions. */
function modes(dir: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    found.set(path, lstatSync(path).mode & 0o777);
    if (lstatSync(path).isDirectory()) for (const [p, m] of modes(path)) found.set(p, m);
  }
  return found;
}

function assertOwnerOnly(dir: string, what: string): void {
  assert.equal(lstatSync(dir).mode & 0o777, 0o700, dir);
  for (const [path, mode] of modes(dir)) assert.equal(mode, lstatSync(path).isDirectory() ? 0o700 : 0o600, `${what}: ${path} is ${mode.toString(8)}`);
}

/** A home with users, an evidence store, and a feed published twice. */
async function publishedHome(): Promise<{ home: string; env: Record<string, string>; keyId: string; publicKey: string }> {
  const home = join(tempDir(), 'home');
  const env = { DERISK_HOME: home };
  assert.equal(derisk(['users', 'add-org', 'org-a', 'Org', 'A'], env).status, 0);
  (await Store.open(join(home, 'derisk.duckdb'))).close();
  const id = feedIdentity(home, 'University A');
  writeFeed(home, join(home, 'exchange', 'feed'), []);
  assert.equal(writeFeed(home, join(home, 'exchange', 'feed'), []).sequence, 2);
  return { home, env, keyId: id.keyId, publicKey: id.publicKey };
}

const auditEntries = async (home: string, action: string) => {
  const db = await EmbeddedDb.open(join(home, 'app.sqlite'));
  try {
    return (await db.query<{ detail: string }>('SELECT detail FROM audit WHERE action = $1 ORDER BY seq', [action])).map((r) => JSON.parse(r.detail) as Record<string, unknown>);
  } finally {
    await db.close();
  }
};

test('every file and folder a backup writes, and every file a restore writes, is owner-only', async () => {
  const { env } = await publishedHome();
  const backup = join(tempDir(), 'backup');
  const b = derisk(['backup', backup], env);
  assert.equal(b.status, 0, b.stderr);
  assert.ok(
    [...modes(backup).keys()].some((p) => p.endsWith('.parquet')),
    'the evidence store is exported as Parquet',
  );
  assertOwnerOnly(backup, 'the backup');
  const restored = join(tempDir(), 'restored');
  const r = derisk(['restore', backup], { DERISK_HOME: restored });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.ok(existsSync(join(restored, 'derisk.duckdb')));
  assertOwnerOnly(restored, 'the restored home');
});

test('a backup carries the exchange feed identity, listed and hashed in its manifest; a restore is the same feed to partners', async () => {
  const { home, env, keyId, publicKey } = await publishedHome();
  const backup = join(tempDir(), 'backup');
  const b = derisk(['backup', backup], env);
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, new RegExp(`exchange feed identity included \\(key id ${keyId}\\)`));
  const manifest = JSON.parse(readFileSync(join(backup, 'app', 'manifest.json'), 'utf8')) as { files: Record<string, { sha256: string }> };
  for (const f of ['audit.key', 'exchange/feed-key.pem', 'exchange/identity.json', 'exchange/published.json', 'exchange/feed/manifest.json', 'exchange/feed/manifest.json.sig']) assert.ok(f in manifest.files, f);
  assert.deepEqual(readFileSync(join(backup, 'app', 'exchange', 'feed-key.pem')), readFileSync(join(home, 'exchange', 'feed-key.pem')));

  const restored = join(tempDir(), 'restored');
  const r = derisk(['restore', backup], { DERISK_HOME: restored });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`exchange feed identity restored \\(key id ${keyId}\\): partners subscribed to it read this installation's feed as before\\n`));
  assert.deepEqual(feedIdentity(restored), { publisher: 'University A', publicKey, keyId });
  assert.equal(writeFeed(restored, join(restored, 'exchange', 'feed'), []).sequence, 3, 'the next publish is newer than the last partners took');
  assert.deepEqual(await auditEntries(restored, 'exchange.identity.restore'), [{ files: 5, restored: keyId, backupCarriesHome: true, own: null, setAside: null, backup }]);
  for (const [h, e] of [
    [restored, { DERISK_HOME: restored }],
    [home, env],
  ] as const) {
    const verified = derisk(['audit', 'verify', '--backup', backup], e);
    assert.equal(verified.status, 0, `${h}: ${verified.stdout}`);
  }
});

test('a restore into a home with a feed identity of its own sets that aside, says so and audits it; one from a backup without the identity says it is not there', async () => {
  const { env, keyId } = await publishedHome();
  const backup = join(tempDir(), 'backup');
  assert.equal(derisk(['backup', backup], env).status, 0);

  const target = join(tempDir(), 'target');
  const own = feedIdentity(target, 'A home of its own');
  const r = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const aside = readdirSync(target).find((n) => n.startsWith('exchange.before-restore-'));
  assert.ok(aside, readdirSync(target).join(', '));
  assert.match(r.stdout, new RegExp(`exchange feed identity restored \\(key id ${keyId}\\).*; this home's own \\(key id ${own.keyId}\\) was set aside in ${join(target, aside).replace(/[.]/g, '\\.')}`));
  assert.equal(feedIdentity(target).keyId, keyId);
  assert.equal((JSON.parse(readFileSync(join(target, aside, 'identity.json'), 'utf8')) as { keyId: string }).keyId, own.keyId, 'the home’s own key is kept, not deleted');
  assert.deepEqual(await auditEntries(target, 'exchange.identity.restore'), [{ files: 5, restored: keyId, backupCarriesHome: true, own: own.keyId, setAside: join(target, aside), backup }]);

  // As a backup made before backups carried DERISK_HOME/exchange.
  const manifestPath = join(backup, 'app', 'manifest.json');
  const { files: _files, ...older } = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(manifestPath, JSON.stringify(older));
  for (const [home, says] of [
    [join(tempDir(), 'fresh'), /the exchange feed identity is not in the backup \(made by a derisk that did not carry DERISK_HOME\/exchange\): this installation's first publish makes a new feed key; partners who subscribed to the old feed must be given the new key/],
    [join(tempDir(), 'keyed'), /the exchange feed identity is not in the backup .*: this home keeps its own feed identity \(key id [0-9a-f]{16}\), not the backed-up installation's/],
  ] as const) {
    if (home.endsWith('keyed')) feedIdentity(home);
    const old = derisk(['restore', backup], { DERISK_HOME: home });
    assert.equal(old.status, 0, old.stdout + old.stderr);
    assert.match(old.stdout, says);
    assert.equal((await auditEntries(home, 'exchange.identity.restore'))[0]!.backupCarriesHome, false);
    assert.equal(derisk(['audit', 'verify', '--backup', backup], { DERISK_HOME: home }).status, 0);
  }
});

test('a backup whose carried files were changed, or that lists a file a backup does not carry, restores nothing', async () => {
  const { env } = await publishedHome();
  const backup = join(tempDir(), 'backup');
  assert.equal(derisk(['backup', backup], env).status, 0);
  const key = join(backup, 'app', 'exchange', 'feed-key.pem');
  const pem = readFileSync(key);
  writeFileSync(key, Buffer.concat([pem, Buffer.from('\n')]));
  const changed = join(tempDir(), 'changed');
  const r = derisk(['restore', backup], { DERISK_HOME: changed });
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`${key.replace(/[.]/g, '\\.')} is not the file the manifest lists \\(its SHA-256 differs\\): the backup was changed since it was made`));
  assert.ok(!existsSync(join(changed, 'derisk.duckdb')) && !existsSync(join(changed, 'exchange')), 'nothing restored');

  writeFileSync(key, pem);
  const manifestPath = join(backup, 'app', 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: Record<string, unknown> };
  manifest.files['exchange/feed/../../../.bashrc'] = manifest.files['exchange/identity.json'];
  writeFileSync(manifestPath, JSON.stringify(manifest));
  const escaping = derisk(['restore', backup], { DERISK_HOME: join(tempDir(), 'escaping') });
  assert.equal(escaping.status, 1);
  assert.match(escaping.stderr, /lists "exchange\/feed\/\.\.\/\.\.\/\.\.\/\.bashrc", which is not a file a backup carries/);
});
