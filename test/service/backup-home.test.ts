import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { chmodSync, cpSync, existsSync, lstatSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyExchangeRestore, planExchangeRestore, readBackupManifest, readCarriedFiles } from '../../src/appdb/backup.ts';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { canonicalJson } from '../../src/canonical-json.ts';
import { keyIdOfSpki } from '../../src/exchange/feed-key.ts';
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
  assert.match(
    r.stdout,
    new RegExp(
      `exchange feed identity restored \\(key id ${keyId}\\), last published at sequence 2 when backed up: partners subscribed to it take its next publish \\(sequence 3\\) unless they pulled a feed it published after this backup, which makes them refuse its feeds until its sequence passes theirs; ask them for the last sequence they took and publish once with derisk exchange publish <dir> --sequence-after <that sequence>\\n`,
    ),
  );
  assert.doesNotMatch(r.stdout, /as before/, 'a restore cannot know what partners took since the backup');
  assert.deepEqual(feedIdentity(restored), { publisher: 'University A', publicKey, keyId });
  assert.equal(writeFeed(restored, join(restored, 'exchange', 'feed'), []).sequence, 3, 'the next publish is newer than the last partners took');
  assert.deepEqual(await auditEntries(restored, 'exchange.identity.restore'), [{ files: 5, restored: keyId, restoredSequence: 2, backupCarriesHome: true, own: null, ownSequence: null, kept: false, setAside: null, backup }]);
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
  assert.deepEqual(await auditEntries(target, 'exchange.identity.restore'), [{ files: 5, restored: keyId, restoredSequence: 2, backupCarriesHome: true, own: own.keyId, ownSequence: null, kept: false, setAside: join(target, aside), backup }]);

  // As a backup made before backups carried DERISK_HOME/exchange (which listed no file's SHA-256 either).
  const manifestPath = join(backup, 'app', 'manifest.json');
  const { files: _files, tableFiles: _tableFiles, store: _store, ...older } = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(manifestPath, JSON.stringify(older));
  // Nor was such a backup signed.
  rmSync(join(backup, 'app', 'manifest.json.sig'));
  for (const [home, says] of [
    [join(tempDir(), 'fresh'), /the exchange feed identity is not in the backup \(made by a derisk that did not carry DERISK_HOME\/exchange\): this installation's first publish makes a new feed key; partners who subscribed to the old feed must be given the new key/],
    [join(tempDir(), 'keyed'), /the exchange feed identity is not in the backup .*: this home keeps its own feed identity \(key id [0-9a-f]{16}\), not the backed-up installation's/],
  ] as const) {
    if (home.endsWith('keyed')) feedIdentity(home);
    const old = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: home });
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
  assert.match(r.stderr, new RegExp(`${key.replace(/[.]/g, '\\.')} is not the file the manifest lists \\(its size differs\\): the backup was changed since it was made`));
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

// Found by a red team in the first version of the above: a restore followed links out of the
// backup, wrote files it had read again after checking them, trusted the key id identity.json
// claims, moved a feed's sequence back, and died half done on a home file it could not parse.

const pattern = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Nothing of a backup was written into `home`. */
const nothingRestored = (home: string) => ['derisk.duckdb', 'app.sqlite', 'audit.key'].every((f) => !existsSync(join(home, f)));

/** Records a carried file's new contents in the manifest, as someone who changed the backup would. */
function rehash(backup: string, as: string): void {
  const manifestPath = join(backup, 'app', 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { files: Record<string, { sha256: string; bytes: number }> };
  const data = readFileSync(join(backup, 'app', as));
  manifest.files[as] = { sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
  writeFileSync(manifestPath, JSON.stringify(manifest));
}

async function backedUp(): Promise<{ home: string; env: Record<string, string>; keyId: string; backup: string }> {
  const published = await publishedHome();
  const backup = join(tempDir(), 'backup');
  const b = derisk(['backup', backup], published.env);
  assert.equal(b.status, 0, b.stderr);
  return { ...published, backup };
}

test('a restore refuses a link in the backup, to a file or a folder, even one whose target matches the manifest, and restores nothing', async () => {
  const { backup } = await backedUp();
  const outside = tempDir();
  const feedManifest = join(backup, 'app', 'exchange', 'feed', 'manifest.json');
  cpSync(feedManifest, join(outside, 'manifest.json'));
  rmSync(feedManifest);
  symlinkSync(join(outside, 'manifest.json'), feedManifest);
  const linkedFile = join(tempDir(), 'home');
  const r = derisk(['restore', backup], { DERISK_HOME: linkedFile });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`${pattern(feedManifest)} is a symbolic link, not a plain file: a backup holds only plain files in folders of its own`));
  assert.ok(nothingRestored(linkedFile) && !existsSync(join(linkedFile, 'exchange')));

  rmSync(feedManifest);
  cpSync(join(outside, 'manifest.json'), feedManifest);
  const exchange = join(backup, 'app', 'exchange');
  renameSync(exchange, join(outside, 'exchange'));
  symlinkSync(join(outside, 'exchange'), exchange);
  const linkedFolder = join(tempDir(), 'home');
  const f = derisk(['restore', backup], { DERISK_HOME: linkedFolder });
  assert.equal(f.status, 1, f.stdout + f.stderr);
  assert.match(f.stderr, new RegExp(`${pattern(exchange)} is a symbolic link, not a folder`));
  assert.ok(nothingRestored(linkedFolder) && !existsSync(join(linkedFolder, 'exchange')));
});

test('a named pipe in a backup is refused unopened (reading it would block for ever)', async () => {
  const { backup } = await backedUp();
  const app = join(backup, 'app');
  const published = join(app, 'exchange', 'published.json');
  rmSync(published);
  execFileSync('mkfifo', [published]);
  assert.throws(() => readCarriedFiles(app, readBackupManifest(app)), new RegExp(`${pattern(published)} is a named pipe, not a plain file`));
});

test('a restore writes the bytes it checked: a file swapped in the backup after the check is not what is written', async () => {
  const { backup } = await backedUp();
  const app = join(backup, 'app');
  const manifest = readBackupManifest(app);
  const carried = readCarriedFiles(app, manifest);
  const home = join(tempDir(), 'home');
  const plan = planExchangeRestore(app, manifest, carried, home);
  writeFileSync(join(app, 'exchange', 'feed', 'manifest.json'), '{"swapped": true}');
  applyExchangeRestore(home, plan);
  assert.deepEqual(readFileSync(join(home, 'exchange', 'feed', 'manifest.json')), carried.get('exchange/feed/manifest.json'));
});

test("identities are compared by their keys: a backup's identity.json claiming another key is refused, a home's claiming the backup's is set aside", async () => {
  const { backup, keyId } = await backedUp();
  const target = join(tempDir(), 'target');
  const own = feedIdentity(target, 'A home of its own');
  const ownKey = readFileSync(join(target, 'exchange', 'feed-key.pem'));

  // The backup's identity.json edited to claim the target's key, its hash in the manifest too.
  const identityPath = join(backup, 'app', 'exchange', 'identity.json');
  const identity = readFileSync(identityPath);
  writeFileSync(identityPath, JSON.stringify({ publisher: 'University A', publicKey: own.publicKey, keyId: own.keyId }));
  rehash(backup, 'exchange/identity.json');
  const claimed = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(claimed.status, 1, claimed.stdout + claimed.stderr);
  assert.match(claimed.stderr, new RegExp(`${pattern(identityPath)} does not match ${pattern(join(backup, 'app', 'exchange', 'feed-key.pem'))}: it claims key id "${own.keyId}", the key's is ${keyId}`));
  assert.deepEqual(readFileSync(join(target, 'exchange', 'feed-key.pem')), ownKey, "the home's key is untouched");
  assert.ok(nothingRestored(target));

  // The home's identity.json claiming the backup's key id: its own key is still another, set aside.
  writeFileSync(identityPath, identity);
  rehash(backup, 'exchange/identity.json');
  const ownIdentity = JSON.parse(readFileSync(join(target, 'exchange', 'identity.json'), 'utf8')) as Record<string, string>;
  writeFileSync(join(target, 'exchange', 'identity.json'), JSON.stringify({ ...ownIdentity, keyId }));
  const r = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const aside = readdirSync(target).find((n) => n.startsWith('exchange.before-restore-'));
  assert.ok(aside, r.stdout);
  assert.match(r.stdout, new RegExp(`this home's own \\(key id ${own.keyId}\\) was set aside`));
  assert.deepEqual(readFileSync(join(target, aside, 'feed-key.pem')), ownKey, "the home's key is kept");
  assert.equal((await auditEntries(target, 'exchange.identity.restore'))[0]!.own, own.keyId);
});

test('a restore into a home of the same key that published since keeps its later sequence; elsewhere, --sequence-after moves it past a partner', async () => {
  const { home, keyId, backup } = await backedUp();
  assert.equal(writeFeed(home, join(home, 'exchange', 'feed'), []).sequence, 3, 'published after the backup');
  const target = join(tempDir(), 'target');
  cpSync(join(home, 'exchange'), join(target, 'exchange'), { recursive: true });
  const r = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`this home holds the backup's key already \\(key id ${keyId}\\), last published at sequence 3, later than the backup \\(last published at sequence 2\\): its exchange folder is kept as it is`));
  assert.deepEqual(readFileSync(join(target, 'exchange', 'published.json')), readFileSync(join(home, 'exchange', 'published.json')));
  assert.equal(writeFeed(target, join(target, 'exchange', 'feed'), []).sequence, 4, 'newer than the 3 partners took');
  assert.deepEqual(await auditEntries(target, 'exchange.identity.restore'), [{ files: 0, restored: keyId, restoredSequence: 2, backupCarriesHome: true, own: keyId, ownSequence: 3, kept: true, setAside: null, backup }]);

  // A fresh home cannot know what partners took since the backup: the operator moves the sequence past it.
  const fresh = join(tempDir(), 'fresh');
  assert.equal(derisk(['restore', backup], { DERISK_HOME: fresh }).status, 0);
  assert.equal(derisk(['exchange', 'publish', join(fresh, 'exchange', 'feed'), '--sequence-after', 'x'], { DERISK_HOME: fresh }).status, 2);
  const p = derisk(['exchange', 'publish', join(fresh, 'exchange', 'feed'), '--sequence-after', '7'], { DERISK_HOME: fresh });
  assert.equal(p.status, 0, p.stdout + p.stderr);
  assert.match(p.stdout, /manifest sequence 8,/);
});

test('a home whose exchange state cannot be read stops a restore before it writes anything, naming the file; once fixed, it restores', async () => {
  const { backup } = await backedUp();
  const target = join(tempDir(), 'target');
  feedIdentity(target);
  const identityPath = join(target, 'exchange', 'identity.json');
  writeFileSync(identityPath, readFileSync(identityPath, 'utf8').slice(0, 20));
  const r = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`${pattern(identityPath)} is not valid JSON \\(`));
  assert.ok(nothingRestored(target), readdirSync(target).join(', '));
  rmSync(join(target, 'exchange'), { recursive: true });
  const again = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(again.status, 0, again.stdout + again.stderr);
});

test('a backup leaves out, and names, files in the exchange folders that derisk does not write there, so its restore takes it', async () => {
  const { home, env } = await publishedHome();
  for (const stray of ['.DS_Store', 'manifest.json~']) writeFileSync(join(home, 'exchange', 'feed', stray), 'x');
  const backup = join(tempDir(), 'backup');
  const b = derisk(['backup', backup], env);
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, new RegExp(`left out, not files derisk writes there: ${pattern(join(home, 'exchange', 'feed', '.DS_Store'))}, ${pattern(join(home, 'exchange', 'feed', 'manifest.json~'))}`));
  const r = derisk(['restore', backup], { DERISK_HOME: join(tempDir(), 'restored') });
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('a home whose feed identity cannot be read makes no backup, and says which file', async () => {
  const { home, env } = await publishedHome();
  const identityPath = join(home, 'exchange', 'identity.json');
  writeFileSync(identityPath, readFileSync(identityPath, 'utf8').slice(0, 20));
  const backup = join(tempDir(), 'backup');
  const b = derisk(['backup', backup], env);
  assert.equal(b.status, 1, b.stdout);
  assert.match(b.stderr, new RegExp(`${pattern(identityPath)} is not valid JSON`));
  assert.ok(!existsSync(backup), 'no half-made backup');
});

test('a backup that others may write is not restored', async () => {
  const { backup } = await backedUp();
  const exchange = join(backup, 'app', 'exchange');
  chmodSync(exchange, 0o777);
  const home = join(tempDir(), 'home');
  const r = derisk(['restore', backup], { DERISK_HOME: home });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`${pattern(exchange)} has permissions 0777: others could have changed the backup, so it is not restored`));
  assert.ok(nothingRestored(home));
});

test('audit verify --backup checks the files a backup carries, as a restore does', async () => {
  const { backup, env } = await backedUp();
  const published = join(backup, 'app', 'exchange', 'published.json');
  writeFileSync(published, '{"sequence": 1}\n');
  const v = derisk(['audit', 'verify', '--backup', backup], env);
  assert.notEqual(v.status, 0, v.stdout);
  assert.match(v.stderr, new RegExp(`${pattern(published)} is not the file the manifest lists`));
});

test('exchange keys and publish write the feed identity, the sequence and the feed in the home owner-only (test/exchange/http.test.ts: the server still serves it)', async () => {
  const home = join(tempDir(), 'home');
  assert.equal(derisk(['exchange', 'keys', '--publisher', 'University A'], { DERISK_HOME: home }).status, 0);
  const p = derisk(['exchange', 'publish', join(home, 'exchange', 'feed')], { DERISK_HOME: home });
  assert.equal(p.status, 0, p.stdout + p.stderr);
  assertOwnerOnly(join(home, 'exchange'), 'the exchange folder');
});

// Found in round 28: a restore imported the evidence store, then found the application database not
// empty and stopped, leaving the home with a store of another installation beside its own database.

/** Every file of a home with its SHA-256: what "left unchanged" is checked against. */
const digests = (dir: string): Map<string, string> => new Map([...modes(dir).keys()].filter((p) => lstatSync(p).isFile()).map((p) => [p, createHash('sha256').update(readFileSync(p)).digest('hex')]));

test('a restore into a database with rows is refused before it writes anything: no store is imported, the database is unchanged byte for byte', async () => {
  const { backup } = await backedUp();
  const target = join(tempDir(), 'target');
  assert.equal(derisk(['users', 'add-org', 'org-b', 'Org', 'B'], { DERISK_HOME: target }).status, 0);
  const before = digests(target);
  const r = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /the target database is not empty \(organisations has rows\): restore only into a new database/);
  assert.doesNotMatch(r.stdout, /evidence store restored/);
  assert.ok(!existsSync(join(target, 'derisk.duckdb')), readdirSync(target).join(', '));
  assert.deepEqual(digests(target), before);
});

test('a backup whose table file lacks rows the manifest counts restores nothing, naming the file; nor does one with a line that is not JSON', async () => {
  const { backup } = await backedUp();
  const organisations = join(backup, 'app', 'organisations.jsonl');
  const rows = readFileSync(organisations, 'utf8');
  writeFileSync(organisations, '');
  const target = join(tempDir(), 'target');
  const r = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, new RegExp(`${pattern(organisations)} holds 0 rows, the manifest says 1: the backup is incomplete`));
  assert.ok(nothingRestored(target), existsSync(target) ? readdirSync(target).join(', ') : 'no home');
  writeFileSync(organisations, `${rows.trimEnd()}\n{"id": "org-c",\n`);
  const broken = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(broken.status, 1, broken.stdout + broken.stderr);
  assert.match(broken.stderr, new RegExp(`${pattern(organisations)} line 2 is not JSON \\(`));
  assert.ok(nothingRestored(target), existsSync(target) ? readdirSync(target).join(', ') : 'no home');
  writeFileSync(organisations, rows);
  const again = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(again.status, 0, again.stdout + again.stderr);
});

test("a backup's manifest is signed with the exchange feed key it carries; audit verify --backup checks the signature and says which key signed it", async () => {
  const { env, keyId, backup } = await backedUp();
  const sigPath = join(backup, 'app', 'manifest.json.sig');
  assert.equal((JSON.parse(readFileSync(sigPath, 'utf8')) as { keyId: string }).keyId, keyId);
  assert.equal(lstatSync(sigPath).mode & 0o777, 0o600);
  const v = derisk(['audit', 'verify', '--backup', backup], env);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, new RegExp(`backup ${pattern(backup)}: manifest signed by the exchange feed key ${keyId}, this installation's\\n`));
  const json = derisk(['audit', 'verify', '--json', '--backup', backup], env);
  assert.deepEqual((JSON.parse(json.stdout) as { backupSignatures: unknown }).backupSignatures, [{ backup, signedBy: keyId, thisInstallationsKey: true, manifestSha256: null }]);

  // Another installation, with a key of its own, is told the backup is not signed by its key.
  const other = join(tempDir(), 'other');
  const otherKey = feedIdentity(other, 'University B').keyId;
  const elsewhere = derisk(['audit', 'verify', '--backup', backup], { DERISK_HOME: other });
  assert.equal(elsewhere.status, 1, elsewhere.stdout + elsewhere.stderr);
  assert.match(elsewhere.stdout, new RegExp(`the backup ${pattern(backup)} is signed by the feed key ${keyId}, not this installation's \\(${otherKey}\\)`));

  // A manifest changed after the backup was made (here the row count of a table) no longer verifies.
  const manifestPath = join(backup, 'app', 'manifest.json');
  const manifest = readFileSync(manifestPath, 'utf8');
  assert.match(manifest, /"organisations": 1,/);
  writeFileSync(manifestPath, manifest.replace('"organisations": 1,', '"organisations": 2,'));
  const changed = derisk(['audit', 'verify', '--backup', backup], env);
  assert.equal(changed.status, 1, changed.stdout);
  assert.match(changed.stderr, new RegExp(`${pattern(sigPath)}: the signature does not verify with key ${keyId}: the manifest was changed since the backup was made`));
  writeFileSync(manifestPath, manifest);

  // Re-signed with a key of someone else's: it is not the feed key the backup carries.
  const { privateKey } = generateKeyPairSync('ed25519');
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const forged = { format: 'derisk-backup-signature/1', keyId: keyIdOfSpki(spki), publicKey: `ed25519:${spki.subarray(12).toString('base64')}`, signature: sign(null, Buffer.from(canonicalJson(JSON.parse(manifest))), privateKey).toString('base64') };
  writeFileSync(sigPath, JSON.stringify(forged));
  const reSigned = derisk(['audit', 'verify', '--backup', backup], env);
  assert.equal(reSigned.status, 1, reSigned.stdout);
  assert.match(reSigned.stderr, new RegExp(`the manifest is signed with key ${forged.keyId}, but the backup carries the feed key ${keyId}: a backup is signed by the key it carries`));
});

test('a backup of an installation with no exchange feed key is not signed, and audit verify --backup says so', async () => {
  const home = join(tempDir(), 'home');
  const env = { DERISK_HOME: home };
  assert.equal(derisk(['users', 'add-org', 'org-a', 'Org', 'A'], env).status, 0);
  const backup = join(tempDir(), 'backup');
  assert.equal(derisk(['backup', backup], env).status, 0);
  assert.ok(!existsSync(join(backup, 'app', 'manifest.json.sig')));
  const v = derisk(['audit', 'verify', '--backup', backup], env);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /manifest not signed \(made before backups were signed, or by an installation with no exchange feed key\)/);
});

// Found in round 32: a restore did not check the manifest's signature that audit verify --backup
// checks, so a backup whose manifest was edited (or re-signed, or unsigned) restored quietly.

test('a restore refuses a manifest edited since it was signed, signed by another backup or by a key the backup does not carry, and restores nothing', async () => {
  const { backup, keyId } = await backedUp();
  const manifestPath = join(backup, 'app', 'manifest.json');
  const sigPath = join(backup, 'app', 'manifest.json.sig');
  const manifest = readFileSync(manifestPath, 'utf8');
  const signature = readFileSync(sigPath);
  const refused = (why: RegExp) => {
    const target = join(tempDir(), 'target');
    const r = derisk(['restore', backup], { DERISK_HOME: target });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, why);
    assert.ok(nothingRestored(target) && !existsSync(join(target, 'exchange')), existsSync(target) ? readdirSync(target).join(', ') : 'no home');
  };

  // Edited where nothing else looks: only the signature tells.
  const edited = JSON.parse(manifest) as { createdAt: string };
  writeFileSync(manifestPath, JSON.stringify({ ...edited, createdAt: '2020-01-01T00:00:00.000Z' }));
  refused(new RegExp(`${pattern(sigPath)}: the signature does not verify with key ${keyId}: the manifest was changed since the backup was made`));
  writeFileSync(manifestPath, manifest);

  // The signature of another installation's backup.
  const other = await backedUp();
  writeFileSync(sigPath, readFileSync(join(other.backup, 'app', 'manifest.json.sig')));
  refused(new RegExp(`${pattern(sigPath)}: the signature does not verify with key ${other.keyId}`));

  // Signed anew, by a key that is not the feed key the backup carries.
  const { privateKey } = generateKeyPairSync('ed25519');
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const forged = { format: 'derisk-backup-signature/1', keyId: keyIdOfSpki(spki), publicKey: `ed25519:${spki.subarray(12).toString('base64')}`, signature: sign(null, Buffer.from(canonicalJson(JSON.parse(manifest))), privateKey).toString('base64') };
  writeFileSync(sigPath, JSON.stringify(forged));
  refused(new RegExp(`the manifest is signed with key ${forged.keyId}, but the backup carries the feed key ${keyId}: a backup is signed by the key it carries`));

  writeFileSync(sigPath, signature);
  const target = join(tempDir(), 'target');
  const r = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`backup manifest signed by the exchange feed key ${keyId}, the key the backup carries\\n`));
});

test('an unsigned backup restores only on --allow-unsigned, which the restore says and the audit trail records; a stripped signature is named as possible', async () => {
  const { backup, keyId } = await backedUp();
  rmSync(join(backup, 'app', 'manifest.json.sig'));
  const target = join(tempDir(), 'target');
  const r = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `the backup ${pattern(backup)} is not signed \\(no app/manifest\\.json\\.sig\\): it carries the exchange feed key, and derisk signs every backup that carries one: its signature was removed, or it was made before backups were signed, so nothing shows that its manifest is the one derisk wrote\\. Give the manifest SHA-256 derisk backup printed with --manifest-sha256, or, if you know where it came from, restore it with --allow-unsigned`,
    ),
  );
  assert.ok(nothingRestored(target) && !existsSync(join(target, 'exchange')));

  const allowed = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: target });
  assert.equal(allowed.status, 0, allowed.stdout + allowed.stderr);
  assert.match(allowed.stdout, /backup manifest not signed \(restored on --allow-unsigned\)\n/);
  assert.equal(feedIdentity(target).keyId, keyId);
  const anchors = await auditEntries(target, 'audit.anchor');
  assert.match(JSON.stringify(anchors.at(-1)), /not signed \(restored on --allow-unsigned\)/);

  // An installation with no feed key makes unsigned backups: the same flag, another likely reason.
  const home = join(tempDir(), 'keyless');
  assert.equal(derisk(['users', 'add-org', 'org-a', 'Org', 'A'], { DERISK_HOME: home }).status, 0);
  const keyless = join(tempDir(), 'keyless-backup');
  assert.equal(derisk(['backup', keyless], { DERISK_HOME: home }).status, 0);
  const k = derisk(['restore', keyless], { DERISK_HOME: join(tempDir(), 'k') });
  assert.equal(k.status, 1, k.stdout + k.stderr);
  assert.match(k.stderr, /is not signed \(no app\/manifest\.json\.sig\): it was made before backups were signed, or by an installation with no exchange feed key, or its signature was removed/);
  assert.equal(derisk(['restore', keyless, '--allow-unsigned'], { DERISK_HOME: join(tempDir(), 'k') }).status, 0);
  // The manifest's SHA-256 that derisk backup printed shows what no signature can: such a backup restores with it, and not with another's.
  const made = derisk(['backup', join(tempDir(), 'keyless-2')], { DERISK_HOME: home });
  const digest = /manifest SHA-256 ([0-9a-f]{64})/.exec(made.stdout)![1]!;
  const wrong = derisk(['restore', keyless, '--manifest-sha256', digest], { DERISK_HOME: join(tempDir(), 'k2') });
  assert.equal(wrong.status, 1, wrong.stdout + wrong.stderr);
  const own = createHash('sha256')
    .update(readFileSync(join(keyless, 'app', 'manifest.json')))
    .digest('hex');
  const given = derisk(['restore', keyless, '--manifest-sha256', own], { DERISK_HOME: join(tempDir(), 'k3') });
  assert.equal(given.status, 0, given.stdout + given.stderr);
  assert.match(given.stdout, /backup manifest not signed \(its manifest SHA-256 given\)\n/);
});

// Found by an outside red team (round 33): the backup carries the key that signs its manifest, so
// whoever holds a backup can change it, rehash it and sign it again; the restore then said "signed
// by the exchange feed key". And the store's schema.sql ran whatever it held: a macro appended to it
// shadowed a built-in in the restored store for good.

/** Changes a backup as someone holding it can: a store file rewritten, the manifest rehashed and signed again with the key the backup carries. */
function tamper(backup: string, file: string, data: string): void {
  writeFileSync(join(backup, 'store', file), data);
  const manifestPath = join(backup, 'app', 'manifest.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { store: Record<string, { sha256: string; bytes: number }> };
  manifest.store[file] = { sha256: createHash('sha256').update(data).digest('hex'), bytes: Buffer.byteLength(data) };
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  const key = readFileSync(join(backup, 'app', 'exchange', 'feed-key.pem'));
  const privateKey = createPrivateKey(key);
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const signature = { format: 'derisk-backup-signature/1', keyId: keyIdOfSpki(spki), publicKey: `ed25519:${spki.subarray(12).toString('base64')}`, signature: sign(null, Buffer.from(canonicalJson(manifest)), privateKey).toString('base64') };
  writeFileSync(join(backup, 'app', 'manifest.json.sig'), JSON.stringify(signature));
}

test("a schema.sql statement derisk's export does not write (a macro shadowing a built-in) is refused, naming its line, though the backup is signed again with its own key", async () => {
  const { env, backup } = await backedUp();
  const schemaPath = join(backup, 'store', 'schema.sql');
  const schema = readFileSync(schemaPath, 'utf8');
  const lines = schema.split('\n').length;
  for (const added of ['CREATE MACRO sum(x) AS 1000;', "CREATE MACRO lower(a) AS 'pwned';", "CREATE TABLE t(a INTEGER); CREATE MACRO upper(a) AS 'pwned';", "CREATE MACRO work_key (a) AS ('x'); CREATE MACRO lower(a) AS ('pwned');"]) {
    tamper(backup, 'schema.sql', `${schema}${added}\n`);
    const target = join(tempDir(), 'target');
    const r = derisk(['restore', backup], { DERISK_HOME: target });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, new RegExp(`${pattern(schemaPath)} line ${lines} is not a statement derisk's store export writes \\(.*${pattern(JSON.stringify(added.slice(0, 30)).slice(1, -1))}`));
    assert.ok(nothingRestored(target) && !existsSync(join(target, 'exchange')), existsSync(target) ? readdirSync(target).join(', ') : 'no home');
    const v = derisk(['audit', 'verify', '--backup', backup], env);
    assert.equal(v.status, 1, v.stdout + v.stderr);
    assert.match(v.stderr, new RegExp(`${pattern(schemaPath)} line ${lines} is not a statement`));
  }
  // The export as derisk wrote it restores, its own macros with it.
  tamper(backup, 'schema.sql', schema);
  const target = join(tempDir(), 'target');
  const r = derisk(['restore', backup], { DERISK_HOME: target });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const store = await Store.open(join(target, 'derisk.duckdb'));
  try {
    assert.deepEqual(await store.all(`SELECT sum(x)::INTEGER AS s, lower('AB') AS l, work_key('openalex', 'W1', NULL, NULL) AS k FROM (VALUES (1), (2)) v(x)`), [{ s: 3, l: 'ab', k: 'openalex:W1' }]);
  } finally {
    store.close();
  }
});

test("derisk backup prints its manifest's SHA-256 and records it in the audit trail; restore and audit verify --backup refuse another manifest with --manifest-sha256 and say when none was given", async () => {
  const { env, backup: first } = await backedUp();
  const backup = join(tempDir(), 'backup');
  const b = derisk(['backup', backup], env);
  assert.equal(b.status, 0, b.stderr);
  const digest = /manifest SHA-256 ([0-9a-f]{64}) /.exec(b.stdout)?.[1];
  assert.ok(digest, b.stdout);
  assert.equal(
    createHash('sha256')
      .update(readFileSync(join(backup, 'app', 'manifest.json')))
      .digest('hex'),
    digest,
  );
  const recorded = await auditEntries(env.DERISK_HOME!, 'backup.create');
  assert.deepEqual(recorded.at(-1)?.manifestSha256, digest);

  // Without it, each says the backup was checked only against itself.
  const v = derisk(['audit', 'verify', '--backup', backup], env);
  assert.equal(v.status, 0, v.stdout + v.stderr);
  assert.match(v.stdout, new RegExp(`backup ${pattern(backup)}: manifest checked only against the backup itself \\(its signature is by the key the backup carries`));

  // Changed and signed again with its own key: the signature passes, the SHA-256 kept apart does not.
  const manifestPath = join(backup, 'app', 'manifest.json');
  const manifest = readFileSync(manifestPath, 'utf8');
  const signature = readFileSync(join(backup, 'app', 'manifest.json.sig'));
  const schema = readFileSync(join(backup, 'store', 'schema.sql'), 'utf8');
  tamper(backup, 'schema.sql', `${schema}\n`);
  const mismatch = new RegExp(`${pattern(manifestPath)} has SHA-256 [0-9a-f]{64}, not ${digest} \\(--manifest-sha256\\): it is not the manifest derisk backup printed`);
  const target = join(tempDir(), 'target');
  const refused = derisk(['restore', backup, '--manifest-sha256', digest], { DERISK_HOME: target });
  assert.equal(refused.status, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, mismatch);
  assert.ok(nothingRestored(target) && !existsSync(join(target, 'exchange')));
  const changed = derisk(['audit', 'verify', '--backup', backup, '--manifest-sha256', digest], env);
  assert.equal(changed.status, 1, changed.stdout + changed.stderr);
  assert.match(changed.stderr, mismatch);
  // Another backup's SHA-256 is refused the same way.
  writeFileSync(manifestPath, manifest);
  writeFileSync(join(backup, 'app', 'manifest.json.sig'), signature);
  writeFileSync(join(backup, 'store', 'schema.sql'), schema);
  const other = derisk(['audit', 'verify', '--backup', first, '--manifest-sha256', digest], env);
  assert.equal(other.status, 1, other.stdout + other.stderr);
  assert.match(other.stderr, /has SHA-256 [0-9a-f]{64}, not [0-9a-f]{64} \(--manifest-sha256\)/);
  assert.equal(derisk(['restore', backup, '--manifest-sha256', 'abc'], { DERISK_HOME: target }).status, 2);

  // The manifest as made: accepted, and said so (by restore, in the audit trail too).
  const ok = derisk(['audit', 'verify', '--backup', backup, '--manifest-sha256', digest.toUpperCase()], env);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, new RegExp(`backup ${pattern(backup)}: manifest has the SHA-256 given with --manifest-sha256 \\(${digest}\\): it is the manifest derisk backup made`));
  const r = derisk(['restore', backup, '--manifest-sha256', digest], { DERISK_HOME: target });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`backup manifest has the SHA-256 given with --manifest-sha256 \\(${digest}\\)`));
  assert.match(JSON.stringify((await auditEntries(target, 'audit.anchor')).at(-1)), new RegExp(`manifest SHA-256 ${digest}, as given with --manifest-sha256`));
});
