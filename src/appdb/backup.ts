import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { closeSync, constants, createReadStream, createWriteStream, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, type Stats } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { numberedParameters, type AppDb, type AppTx, type Param } from './db.ts';
import { distrust, OWNER_ONLY_DIR, OWNER_ONLY_FILE, writeOwnerOnly } from '../owner-only.ts';
import { moveRestoredRows } from './migrate.ts';
import { restoringTrailProblems } from '../service/audit.ts';
import { parseAuditKey } from '../service/audit-seal.ts';
import { canonicalJson } from '../canonical-json.ts';
import { keyIdOfSpki, publicIdentityOf, SPKI_ED25519 } from '../exchange/feed-key.ts';
import type { StoreImport } from '../store/store.ts';
import { ORG_VIEWS } from '../store/org-views.ts';
import { sha256Hex } from '../sha256.ts';

/** Tables a backup holds, parents before children. */
export const BACKED_UP_TABLES = [
  'organisations',
  'users',
  'api_tokens',
  'cases',
  'case_shares',
  'upload_shares',
  'assessments',
  'assessment_decisions',
  'notes',
  'audit',
  'kb_entries',
  'kb_versions',
  'kb_reviews',
  'entity_notes',
  'namesake_decisions',
  'match_corrections',
  'match_correction_withdrawals',
  'exchange_sharing',
  'exchange_recipients',
  'exchange_subscriptions',
  'exchange_received',
  'match_corrections_accepted',
  'exchange_releases',
  'watch_items',
  'alerts',
  'alert_reads',
  'feed_tokens',
  'mail_subscriptions',
  'webhooks',
  'alert_deliveries',
  'monitor_seen',
] as const;

/**
 * Tables a backup leaves out, and why: a restore starts them empty. Every other table is backed up
 * (test/service/appdb-suite.ts holds the migrations to this), so a table added later is not lost
 * from backups unnoticed.
 */
export const NOT_BACKED_UP: Readonly<Record<string, string>> = {
  sessions: 'a restore logs everyone out',
  login_codes: 'one-time and short-lived; the console mints new ones',
  login_devices: 'a browser seen before only spares its owner the login throttle',
  login_throttle: 'counts failed logins of the moment',
  alert_versions: "counters the restore's own inserts bump afresh",
  kb_verdict_criteria: 'derived from the verdicts, rebuilt when they are read',
  kb_verdicts_indexed: 'derived from the verdicts, rebuilt when they are read',
  exchange_received_moved: 'moves noted for the audit trail, emptied at the next start; a restore notes its own',
};

/** A file's size and SHA-256, as a manifest records it. */
export interface FileDigest {
  sha256: string;
  bytes: number;
}

export interface BackupManifest {
  format: 'derisk-appdb-backup/1';
  createdAt: string;
  source: AppDb['kind'];
  tables: Record<string, number>;
  auditHead: { seq: number; hash: string } | null;
  /**
   * The files carried beside the tables (the audit key, HOME_FILES), by their path in the backup's
   * app folder, each with its SHA-256: a restore checks them as it counts the rows. Absent from a
   * backup made before backups carried them.
   */
  files?: Record<string, FileDigest>;
  /** Each table's file (`<table>.jsonl`), as written. Absent from a backup made before manifests listed them. */
  tableFiles?: Record<string, FileDigest>;
  /**
   * The evidence store's export (the backup's `store/` folder, beside this app folder), by file
   * name; null when the installation had no evidence store. Absent with tableFiles.
   */
  store?: Record<string, FileDigest> | null;
}

/**
 * What of DERISK_HOME a backup carries beside the tables, so that the restored installation is the
 * same one to its partners, and why; a path ending in '/' is a folder, carried with every file in it.
 * Everything else in the home is made again or is not the installation's (serve.control.json, a
 * running server's; the audit anchor, which a restore sets anew; the evidence store, exported).
 */
export const HOME_FILES: Readonly<Record<string, string>> = {
  'exchange/feed-key.pem': "the exchange feed's signing key: partners pinned its public half and refuse a feed signed with another",
  'exchange/identity.json': 'the publisher name and the public key partners subscribed with',
  'exchange/published.json': 'the sequence last published: a subscriber refuses a feed whose sequence is not newer than the last it took',
  'exchange/feed/': 'the feed as last published, which a restored server serves until its next publish',
};

/** A file a backup carries: its path in the backup's app folder, and what it holds (read once). */
export interface CarriedFile {
  as: string;
  data: Buffer;
}

const kindOf = (s: Stats): string => (s.isSymbolicLink() ? 'a symbolic link' : s.isDirectory() ? 'a folder' : s.isFIFO() ? 'a named pipe' : s.isSocket() ? 'a socket' : s.isCharacterDevice() || s.isBlockDevice() ? 'a device' : 'not a plain file');

/**
 * Reads a file that must be a plain file, once. A link could lead anywhere, a named pipe would block
 * the read for ever, a device is no file of derisk's: each is refused before it is opened, and the
 * file opened (without following a link) must be the one looked at. `why` says what follows.
 */
export function readPlainFile(path: string, why: string): Buffer {
  const seen = lstatSync(path);
  if (!seen.isFile()) throw new Error(`${path} is ${kindOf(seen)}, not a plain file: ${why}`);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const opened = fstatSync(fd);
    if (!opened.isFile() || opened.ino !== seen.ino || opened.dev !== seen.dev) throw new Error(`${path} was replaced while it was read: ${why}`);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Parses a JSON file's contents, naming the file when they are not JSON. */
function parseJson<T>(data: Buffer, path: string): T {
  try {
    return JSON.parse(data.toString('utf8')) as T;
  } catch (e) {
    throw new Error(`${path} is not valid JSON (${(e as Error).message})`, { cause: e });
  }
}

/**
 * The feed identity of an exchange folder's files, from its key: identity.json must claim the key
 * feed-key.pem holds (an edited identity.json is no way to claim another installation's key).
 */
function identityOfFiles(key: Buffer | undefined, identity: Buffer | undefined, where: string): { publicKey: string; keyId: string } | null {
  if (!key && !identity) return null;
  if (!key || !identity) throw new Error(`${where} holds ${key ? 'feed-key.pem without identity.json' : 'identity.json without feed-key.pem'}: a feed identity is both files`);
  let derived: { publicKey: string; keyId: string };
  try {
    derived = publicIdentityOf(key);
  } catch (e) {
    throw new Error(`${join(where, 'feed-key.pem')} is not a feed key (${(e as Error).message})`, { cause: e });
  }
  const claimed = parseJson<{ publicKey?: unknown; keyId?: unknown }>(identity, join(where, 'identity.json'));
  if (claimed.publicKey !== derived.publicKey || claimed.keyId !== derived.keyId) throw new Error(`${join(where, 'identity.json')} does not match ${join(where, 'feed-key.pem')}: it claims key id ${JSON.stringify(claimed.keyId)}, the key's is ${derived.keyId}`);
  return derived;
}

/** The sequence a published.json records, naming the file when it records none. */
function sequenceOf(data: Buffer, path: string): number {
  const { sequence } = parseJson<{ sequence?: unknown }>(data, path);
  if (!Number.isSafeInteger(sequence) || (sequence as number) < 0) throw new Error(`${path} records no sequence (${JSON.stringify(sequence)})`);
  return sequence as number;
}

/** What of DERISK_HOME/exchange a backup carries: the files, read once and checked; the key id; what it left out. */
export interface HomeFiles {
  files: CarriedFile[];
  keyId: string | null;
  /** Files in the carried folders a backup does not carry (an editor's or a file manager's), by path. */
  leftOut: string[];
}

/**
 * The HOME_FILES that `home` holds, read and checked before a backup writes anything: a backup
 * its own restore would refuse (a link, an identity that is not its key's) is not made.
 */
export function homeFilesOf(home: string): HomeFiles {
  const found: HomeFiles = { files: [], keyId: null, leftOut: [] };
  for (const path of Object.keys(HOME_FILES)) {
    const from = join(home, path);
    const stat = lstatSync(from, { throwIfNoEntry: false });
    if (!stat) continue;
    if (path.endsWith('/') && !stat.isDirectory()) throw new Error(`${from} is ${kindOf(stat)}, not a folder: a backup carries ${path} only as a folder of plain files; move it out of ${home} and back up again`);
    for (const name of path.endsWith('/') ? readdirSync(from).sort() : ['']) {
      if (!carriable(path + name)) {
        found.leftOut.push(join(from, name));
        continue;
      }
      found.files.push({ as: path + name, data: readPlainFile(join(from, name), `a backup carries ${path}${name ? ' and the files in it' : ''} only as plain files; move it out of ${home} and back up again`) });
    }
  }
  const data = (as: string) => found.files.find((f) => f.as === as)?.data;
  found.keyId = identityOfFiles(data('exchange/feed-key.pem'), data('exchange/identity.json'), join(home, 'exchange'))?.keyId ?? null;
  const published = data('exchange/published.json');
  if (published) sequenceOf(published, join(home, 'exchange', 'published.json'));
  return found;
}

/** Whether a path a manifest lists is one a backup carries: a restore writes each into the home. */
const carriable = (as: string): boolean => as === 'audit.key' || (Object.hasOwn(HOME_FILES, as) && !as.endsWith('/')) || Object.keys(HOME_FILES).some((folder) => folder.endsWith('/') && as.startsWith(folder) && /^[\w-][\w.-]*$/.test(as.slice(folder.length)));

/**
 * Writes every table as JSON Lines plus a manifest; the same format whichever database it came
 * from. Owner-only, like the home: it holds password hashes and every organisation's cases.
 */
export async function backupAppDb(db: AppDb, dir: string, carried: CarriedFile[] = [], store: Record<string, FileDigest> | null = null): Promise<BackupManifest> {
  mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR });
  const files: BackupManifest['files'] = {};
  for (const { as, data } of carried) {
    writeOwnerOnly(join(dir, as), data);
    files[as] = { sha256: sha256Hex(data), bytes: data.length };
  }
  const tables: Record<string, number> = {};
  const tableFiles: Record<string, FileDigest> = {};
  // One transaction: the tables, and the head of the trail that records them, are read at one point in time.
  const head = await db.transaction(async (tx) => {
    for (const table of BACKED_UP_TABLES) {
      const rows = await tx.query(`SELECT * FROM ${table}`);
      const out = createWriteStream(join(dir, `${table}.jsonl`), { mode: OWNER_ONLY_FILE });
      // Hashed as written: the manifest records the bytes this backup wrote.
      const hash = createHash('sha256');
      let bytes = 0;
      for (const r of rows) {
        const line = Buffer.from(`${JSON.stringify(r)}\n`);
        hash.update(line);
        bytes += line.length;
        if (!out.write(line)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
      tables[table] = rows.length;
      tableFiles[table] = { sha256: hash.digest('hex'), bytes };
    }
    return (await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'))[0] ?? null;
  });
  const manifest: BackupManifest = { format: 'derisk-appdb-backup/1', createdAt: new Date().toISOString(), source: db.kind, tables, auditHead: head ? { seq: Number(head.seq), hash: head.hash } : null, files, tableFiles, store };
  writeOwnerOnly(join(dir, 'manifest.json'), manifestBytes(manifest));
  const key = carried.find((f) => f.as === 'exchange/feed-key.pem')?.data;
  if (key) writeOwnerOnly(join(dir, MANIFEST_SIGNATURE), JSON.stringify(signManifest(manifest, key), null, 2) + '\n');
  return manifest;
}

/** A manifest as a backup writes it to manifest.json. */
const manifestBytes = (manifest: BackupManifest): Buffer => Buffer.from(JSON.stringify(manifest, null, 2));

/**
 * The SHA-256 of the manifest.json a backup wrote, which `derisk backup` prints and records in the
 * audit trail. Kept apart from the backup, it is what shows that a backup is the one made: the
 * signature cannot, as the backup carries the key that made it.
 */
export const manifestSha256 = (manifest: BackupManifest): string => sha256Hex(manifestBytes(manifest));

/**
 * Beside a backup's manifest: its signature by the installation's exchange feed key, the key
 * partners pinned. The backup carries that key, so the signature shows only that manifest and key
 * agree: whoever holds the backup can change it and sign it again. What shows a backup is the one
 * made is its manifest's SHA-256 kept apart (manifestSha256, readBackupManifest).
 */
export const MANIFEST_SIGNATURE = 'manifest.json.sig';

interface ManifestSignature {
  format: 'derisk-backup-signature/1';
  keyId: string;
  /** `ed25519:…`, as `derisk exchange keys` prints it. */
  publicKey: string;
  /** Ed25519 over the manifest's canonical JSON (src/canonical-json.ts), base64. */
  signature: string;
}

function signManifest(manifest: BackupManifest, keyPem: Buffer): ManifestSignature {
  const { publicKey, keyId } = publicIdentityOf(keyPem);
  return { format: 'derisk-backup-signature/1', keyId, publicKey, signature: sign(null, Buffer.from(canonicalJson(manifest)), createPrivateKey(keyPem)).toString('base64') };
}

/** Who signed a backup's manifest (null: not signed — made before backups were signed, or by an installation with no feed key). */
export interface BackupSigner {
  keyId: string;
  publicKey: string;
}

/**
 * Checks the signature beside a backup's manifest: it must verify over the manifest as read, with
 * the key it names, and that key must be the feed key the backup carries. Says which key signed;
 * whether that key is this installation's is the caller's to judge.
 */
export function checkManifestSignature(dir: string, manifest: BackupManifest, carried: Map<string, Buffer>): BackupSigner | null {
  const path = join(dir, MANIFEST_SIGNATURE);
  if (!lstatSync(path, { throwIfNoEntry: false })) return null;
  const s = parseJson<Partial<ManifestSignature>>(readPlainFile(path, 'a backup holds only plain files'), path);
  const raw = /^ed25519:([A-Za-z0-9+/]{43}=)$/.exec(String(s.publicKey))?.[1];
  if (s.format !== 'derisk-backup-signature/1' || !raw || typeof s.signature !== 'string') throw new Error(`${path} is not a backup signature (format ${JSON.stringify(s.format)}, key ${JSON.stringify(s.publicKey)})`);
  const spki = Buffer.concat([SPKI_ED25519, Buffer.from(raw, 'base64')]);
  const keyId = keyIdOfSpki(spki);
  if (s.keyId !== keyId) throw new Error(`${path} claims key id ${JSON.stringify(s.keyId)}, its key's is ${keyId}`);
  if (!verify(null, Buffer.from(canonicalJson(manifest)), createPublicKey({ key: spki, format: 'der', type: 'spki' }), Buffer.from(s.signature, 'base64')))
    throw new Error(`${path}: the signature does not verify with key ${keyId}: the manifest was changed since the backup was made (or signed by another key)`);
  const carriedKey = carried.get('exchange/feed-key.pem');
  const carriedId = carriedKey ? publicIdentityOf(carriedKey).keyId : null;
  if (carriedId !== keyId) throw new Error(`${path}: the manifest is signed with key ${keyId}, but the backup carries ${carriedId ? `the feed key ${carriedId}` : 'no feed key'}: a backup is signed by the key it carries`);
  return { keyId, publicKey: s.publicKey! };
}

/** The folder of a backup that holds its manifest: `dir` is what `derisk backup` wrote (its app/ folder) or that folder itself. */
export function backupAppDir(dir: string): string {
  const app = [join(dir, 'app'), dir].find((d) => existsSync(join(d, 'manifest.json')));
  if (!app) throw new Error(`${dir}: no manifest.json, so not a derisk backup`);
  return app;
}

/** The manifest of a backup: `dir` is what `derisk backup` wrote (its app/ folder) or that folder itself. */
export function readBackupManifest(dir: string, expectedSha256?: string): BackupManifest {
  const manifestPath = join(backupAppDir(dir), 'manifest.json');
  const data = readPlainFile(manifestPath, 'a backup holds only plain files');
  // The bytes hashed are the bytes parsed: the one check of a backup that does not come from the backup itself.
  const actual = sha256Hex(data);
  if (expectedSha256 !== undefined && actual !== expectedSha256.toLowerCase())
    throw new Error(`${manifestPath} has SHA-256 ${actual}, not ${expectedSha256.toLowerCase()} (--manifest-sha256): it is not the manifest derisk backup printed when it made this backup, so the backup was changed since, or it is another backup`);
  const manifest = parseJson<BackupManifest>(data, manifestPath);
  if (manifest.format !== 'derisk-appdb-backup/1') throw new Error(`${manifestPath}: unknown backup format ${JSON.stringify(manifest.format)}`);
  return manifest;
}

/**
 * Reads the files a backup carries, each once, and checks each against the manifest (size and
 * SHA-256) before anything is written: a restore writes these very bytes (a file swapped after a
 * check would otherwise be written unchecked), and takes all of the backup or none of it. Only
 * plain files in the backup's own folders are read: a link could lead anywhere (a restored feed is
 * served publicly). A backup made before manifests listed files carries at most the audit key.
 */
export function readCarriedFiles(dir: string, manifest: BackupManifest): Map<string, Buffer> {
  const why = 'a backup holds only plain files in folders of its own: it was changed since it was made';
  const carried = new Map<string, Buffer>();
  const top = lstatSync(dir);
  if (!top.isDirectory()) throw new Error(`${dir} is ${kindOf(top)}, not a folder: ${why}`);
  if (manifest.files === undefined) {
    const key = join(dir, 'audit.key');
    if (lstatSync(key, { throwIfNoEntry: false })) carried.set('audit.key', readPlainFile(key, why));
    return carried;
  }
  const root = realpathSync(dir);
  for (const [as, { sha256: expected, bytes }] of Object.entries(manifest.files)) {
    if (!carriable(as)) throw new Error(`${dir}/manifest.json lists ${JSON.stringify(as)}, which is not a file a backup carries (${['audit.key', ...Object.keys(HOME_FILES)].join(', ')})`);
    const path = join(dir, as);
    const parts = as.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const on = join(dir, ...parts.slice(0, i));
      const stat = lstatSync(on, { throwIfNoEntry: false });
      if (!stat) throw new Error(`${path} is missing, the manifest lists it (${bytes} bytes): the backup is incomplete`);
      if (i < parts.length && !stat.isDirectory()) throw new Error(`${on} is ${kindOf(stat)}, not a folder: ${why}`);
      if (i === parts.length && !stat.isFile()) throw new Error(`${on} is ${kindOf(stat)}, not a plain file: ${why}`);
    }
    if (!realpathSync(path).startsWith(root + sep)) throw new Error(`${path} leads outside the backup: ${why}`);
    const data = readPlainFile(path, why);
    if (data.length !== bytes || sha256Hex(data) !== expected) throw new Error(`${path} is not the file the manifest lists (its ${data.length !== bytes ? 'size' : 'SHA-256'} differs): the backup was changed since it was made`);
    carried.set(as, data);
  }
  return carried;
}

/**
 * Refuses a backup of which anything (the folder itself, a folder or file in it) another user owns
 * or may write: they could have put in it the rows, keys and feed a restore takes as this
 * installation's, as derisk refuses such a home or key file.
 */
export function checkBackupTrusted(dir: string): void {
  const stat = lstatSync(dir);
  // A link's own mode means nothing (its target's does): readCarriedFiles refuses the links it meets.
  const problem = distrust(stat, stat.isSymbolicLink() ? 0 : 0o022);
  if (problem) throw new Error(`${dir} ${problem}: others could have changed the backup, so it is not restored (make it yours alone: chmod -R go-w, and check it)`);
  if (stat.isDirectory()) for (const name of readdirSync(dir)) checkBackupTrusted(join(dir, name));
}

/** Refuses a database that holds rows of any backed-up table: a restore goes only into a new one. */
export async function checkRestoreTarget(db: Pick<AppTx, 'query'>): Promise<void> {
  for (const table of BACKED_UP_TABLES) {
    const existing = await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
    if (Number(existing[0]?.n ?? 0) > 0) throw new Error(`the target database is not empty (${table} has rows): restore only into a new database`);
  }
}

/** A plain file of a backup, opened without following a link, as a stream of its bytes. */
function plainFileStream(path: string, why: string) {
  const seen = lstatSync(path);
  if (!seen.isFile()) throw new Error(`${path} is ${kindOf(seen)}, not a plain file: ${why}`);
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  const opened = fstatSync(fd);
  if (!opened.isFile() || opened.ino !== seen.ino || opened.dev !== seen.dev) {
    closeSync(fd);
    throw new Error(`${path} was replaced while it was read: ${why}`);
  }
  return createReadStream('', { fd });
}

const PLAIN = 'a backup holds only plain files in folders of its own: it was changed since it was made';

/** The error for a file whose bytes are not those its manifest lists. */
const differs = (path: string, expected: FileDigest, bytes: number, sha: string): Error | null =>
  bytes !== expected.bytes || sha !== expected.sha256 ? new Error(`${path} is not the file the manifest lists (its ${bytes !== expected.bytes ? 'size' : 'SHA-256'} differs): the backup was changed since it was made`) : null;

/** The lines of a plain file, split on its bytes, and its size and SHA-256 once the last line is read. */
async function* hashedLines(path: string, digest: { sha256: string; bytes: number }): AsyncGenerator<string> {
  const hash = createHash('sha256');
  let rest = Buffer.alloc(0);
  for await (const chunk of plainFileStream(path, PLAIN) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    digest.bytes += chunk.length;
    let data = Buffer.concat([rest, chunk]);
    // A newline byte never occurs inside a UTF-8 sequence: splitting on it splits between characters.
    for (let at = data.indexOf(10); at >= 0; at = data.indexOf(10)) {
      yield data.subarray(0, at).toString('utf8');
      data = data.subarray(at + 1);
    }
    rest = data;
  }
  if (rest.length > 0) yield rest.toString('utf8');
  digest.sha256 = hash.digest('hex');
}

/**
 * Each row of a backup's table file, parsed and checked, with its line number; the file holds as
 * many as the manifest says, and (a backup that lists its files) the very bytes it lists: the rows
 * a restore inserts are those this read hashed, and a restore commits only once they are checked.
 */
async function* backupRows(dir: string, manifest: BackupManifest, table: string): AsyncGenerator<{ row: Record<string, Param>; line: number }> {
  let n = 0;
  let line = 0;
  const path = join(dir, `${table}.jsonl`);
  const read = { sha256: '', bytes: 0 };
  for await (const text of hashedLines(path, read)) {
    line++;
    if (text.trim() === '') continue;
    let row: Record<string, Param>;
    try {
      row = JSON.parse(text) as Record<string, Param>;
    } catch (e) {
      throw new Error(`${dir}/${table}.jsonl line ${line} is not JSON (${(e as Error).message}): the backup was changed since it was made`, { cause: e });
    }
    const odd = Object.keys(row).find((c) => !/^[a-z_]{1,40}$/.test(c));
    if (odd) throw new Error(`${dir}/${table}.jsonl line ${line}: ${JSON.stringify(odd)} is not a column name`);
    n++;
    yield { row, line };
  }
  if (n !== manifest.tables[table]) throw new Error(`${dir}/${table}.jsonl holds ${n} rows, the manifest says ${manifest.tables[table]}: the backup is incomplete`);
  const listed = manifest.tableFiles?.[table];
  if (manifest.tableFiles && !listed) throw new Error(`${dir}/manifest.json counts rows of ${table} but lists no SHA-256 of ${table}.jsonl: the backup was changed since it was made`);
  const problem = listed && differs(path, listed, read.bytes, read.sha256);
  if (problem) throw problem;
}

/**
 * Reads every table file of a backup and checks it as a restore reads it (JSON rows, column names,
 * as many rows as the manifest says) without writing anything: a restore that would stop half-way
 * is refused before it starts.
 */
export async function checkBackupTables(dir: string, manifest: BackupManifest): Promise<void> {
  for (const table of BACKED_UP_TABLES) {
    if (!(table in manifest.tables)) continue;
    if (!existsSync(join(dir, `${table}.jsonl`))) throw new Error(`${dir}/${table}.jsonl is missing, the manifest lists ${manifest.tables[table]} rows of ${table}: the backup is incomplete`);
    for await (const _ of backupRows(dir, manifest, table));
  }
}

/** Every file (anything not a folder) under `dir`, by its path relative to `dir`; links are not followed. */
function filesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (lstatSync(path).isDirectory()) found.push(...filesUnder(path).map((p) => join(name, p)));
    else found.push(name);
  }
  return found;
}

/** The size and SHA-256 of a plain file, read as a stream (a store's Parquet files can be large). */
async function digestOf(path: string): Promise<FileDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of plainFileStream(path, PLAIN) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Copies a plain file of a backup to a new file `to`, owner-only (its folder made so too). */
async function copyPlainFile(from: string, to: string): Promise<void> {
  mkdirSync(dirname(to), { recursive: true, mode: OWNER_ONLY_DIR });
  await pipeline(plainFileStream(from, PLAIN), createWriteStream(to, { flags: 'wx', mode: OWNER_ONLY_FILE }));
}

/** Each file of an evidence store's export folder, with its size and SHA-256: what a backup's manifest records of it. */
export async function storeDigests(dir: string): Promise<Record<string, FileDigest>> {
  const digests: Record<string, FileDigest> = {};
  for (const name of filesUnder(dir)) digests[name] = await digestOf(join(dir, name));
  return digests;
}

/** A table as DuckDB's EXPORT DATABASE names it in load.sql: a plain or double-quoted identifier, with its schema or without. */
const IDENTIFIER = String.raw`(?:[A-Za-z_][A-Za-z0-9_]*|"(?:[^"]|"")+")`;
const COPY_STATEMENT = new RegExp(String.raw`^COPY (${IDENTIFIER}(?:\.${IDENTIFIER})?) FROM '((?:[^']|'')*)' \(FORMAT 'parquet'\);$`);

/**
 * The tables a store export's load.sql loads, and from which of its files. Only the COPY
 * statements EXPORT DATABASE writes are accepted, each naming a Parquet file of the folder: a
 * restore runs its own COPY statements from these, never the backup's SQL (a statement added to
 * load.sql would run with the restoring user's rights).
 */
function storeCopies(data: Buffer, path: string, files: ReadonlySet<string>): StoreImport['copies'] {
  const copies: StoreImport['copies'] = [];
  for (const [i, line] of data.toString('utf8').split('\n').entries()) {
    if (line.trim() === '') continue;
    const m = COPY_STATEMENT.exec(line);
    const file = m ? basename(m[2]!.replace(/''/g, "'")) : '';
    if (!m) throw new Error(`${path} line ${i + 1} is not a COPY statement of a store export (${JSON.stringify(line.slice(0, 80))}): the backup was changed since it was made, and a restore runs no other SQL from a backup`);
    if (!/^[\w.-]+\.parquet$/.test(file) || !files.has(file)) throw new Error(`${path} line ${i + 1} loads ${JSON.stringify(m[2])}, which is not a Parquet file of ${dirname(path)}: the backup was changed since it was made`);
    copies.push({ table: m[1]!, file });
  }
  return copies;
}

/** The macros derisk's own schema creates: the only ones a store export's schema.sql may create (open() then replaces them with derisk's). */
const OWN_MACROS: ReadonlySet<string> = new Set([...readFileSync(fileURLToPath(new URL('../store/schema.sql', import.meta.url)), 'utf8').matchAll(/^CREATE OR REPLACE MACRO (\w+)\(/gm)].map((m) => m[1]!));
const ORG_SCHEMA = 'org_[0-9a-f]{16}';
/** A table or index as the export names it: unqualified, or in an organisation's view. */
const OBJECT = String.raw`(?:${ORG_SCHEMA}\.)?${IDENTIFIER}`;
/** The statements EXPORT DATABASE writes of a derisk store, each on one line: a store's schema.sql holds nothing else. */
const SCHEMA_STATEMENTS = [
  new RegExp(`^CREATE SCHEMA ${ORG_SCHEMA};+$`),
  new RegExp(String.raw`^CREATE SEQUENCE ${OBJECT}(?: (?:INCREMENT BY|MINVALUE|MAXVALUE|START) -?\d+| NO CYCLE| CYCLE)*;+$`),
  new RegExp(String.raw`^CREATE TABLE ${OBJECT}\(.*\);+$`),
  new RegExp(String.raw`^CREATE (?:UNIQUE )?INDEX ${IDENTIFIER} ON ${OBJECT}\(.*\);+$`),
  new RegExp(String.raw`^CREATE MACRO (?:${[...OWN_MACROS].join('|')}) \((?!.*\) AS TABLE ).*\) AS \(.*\);+$`),
];
/** An organisation's view as the export writes it: its schema and name are kept, its body never run. */
const VIEW_STATEMENT = new RegExp(String.raw`^CREATE VIEW (${ORG_SCHEMA})\.(${Object.keys(ORG_VIEWS).join('|')}) AS .*;+$`);

/**
 * Why a line of schema.sql is not one statement alone, or null: a semicolon before its end, a
 * comment, a dollar-quoted or prefixed (E'…') string, or a quote left open could each hide a
 * second statement behind the one the line starts with. Strict on purpose: DuckDB's export writes
 * none of these (its strings and identifiers are '…' and "…", doubled quotes inside).
 */
function notOneStatement(line: string): string | null {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) {
        if (line[i + 1] === quote) i++;
        else quote = null;
      }
      continue;
    }
    if (c === "'" && /\w/.test(line[i - 1] ?? '')) return 'a prefixed string';
    if (c === "'" || c === '"') quote = c;
    else if (c === '$') return 'a dollar sign outside a string';
    else if ((c === '-' && line[i + 1] === '-') || (c === '/' && line[i + 1] === '*')) return 'a comment';
    else if (c === ';' && !/^;*$/.test(line.slice(i))) return 'a second statement';
  }
  return quote ? 'a quote left open' : null;
}

/**
 * Checks a store export's schema.sql before anything is written: each line must be one statement
 * of those EXPORT DATABASE writes of a derisk store (its tables, sequences, indexes, its own
 * macros, and organisations' views). Anything else — a macro that shadows a built-in
 * (`CREATE MACRO sum(x) AS 1000`), a view or type of its own, a statement of another kind — would
 * run with the restoring user's rights and stay in the restored store; it is refused, naming its line.
 * An organisation's view is taken by its schema and name only: its body could select anything
 * (another organisation's rows, a file), so the import makes it from derisk's own definition.
 */
function checkSchemaSql(schema: string, path: string): Pick<StoreImport, 'schema' | 'views'> {
  const kept: string[] = [];
  const views: StoreImport['views'] = [];
  for (const [i, line] of schema.split('\n').entries()) {
    if (line.trim() === '') continue;
    const hidden = notOneStatement(line);
    const view = VIEW_STATEMENT.exec(line);
    if (hidden || (!view && !SCHEMA_STATEMENTS.some((r) => r.test(line))))
      throw new Error(`${path} line ${i + 1} is not a statement derisk's store export writes (${hidden ? `${hidden}: ` : ''}${JSON.stringify(line.slice(0, 80))}): the backup was changed since it was made, and a restore runs no other SQL from a backup`);
    if (view) views.push({ schema: view[1]!, name: view[2]! });
    else kept.push(line);
  }
  return { schema: kept.join('\n'), views };
}

/** What checkBackupFiles found: whether the backup's files could be checked, and the evidence store to import. */
export interface CheckedBackup {
  /** False for a backup made before manifests listed a SHA-256 for every file: only its row counts and the files it carries were checked. */
  verified: boolean;
  /** The backup's evidence store, read and checked (null: it holds none). */
  store: StoreImport | null;
}

/**
 * Checks every file of a backup against its manifest before anything is written: nothing missing,
 * nothing added (a file the manifest does not list is refused, naming it), and each store file's
 * size and SHA-256 (the table files are checked as their rows are read, the carried files by
 * readCarriedFiles). The store's schema.sql and load.sql are read once here, and these checked
 * bytes are what the import runs. `app` is the backup's app folder; its store is `store/` beside it.
 * With `copyTo` (an empty folder of the caller's alone, mode 0700), the store's files are copied
 * there first and the copies are checked and imported: a backup's file changed after its check
 * would otherwise be imported unchecked.
 */
export async function checkBackupFiles(app: string, manifest: BackupManifest, copyTo?: string): Promise<CheckedBackup> {
  const top = dirname(app);
  const storeDir = join(top, 'store');
  const hasStore = basename(app) === 'app' && lstatSync(storeDir, { throwIfNoEntry: false }) !== undefined;
  const verified = manifest.tableFiles !== undefined && manifest.store !== undefined;
  if (verified) {
    const listed = new Set(['manifest.json', MANIFEST_SIGNATURE, ...Object.keys(manifest.tableFiles!).map((t) => `${t}.jsonl`), ...Object.keys(manifest.files ?? {})]);
    // A backup whose manifest lists no carried files kept the audit key beside it, unlisted.
    if (manifest.files === undefined) listed.add('audit.key');
    for (const file of filesUnder(app)) if (!listed.has(file.split(sep).join('/'))) throw new Error(`${join(app, file)} is not a file of this backup (its manifest does not list it): the backup was changed since it was made`);
    for (const table of Object.keys(manifest.tableFiles!)) if (!(table in manifest.tables)) throw new Error(`${join(app, 'manifest.json')} lists ${table}.jsonl but counts no rows of ${table}: the backup was changed since it was made`);
    if (basename(app) === 'app')
      for (const name of readdirSync(top))
        if (name !== 'app' && (name !== 'store' || manifest.store === null)) throw new Error(`${join(top, name)} is not part of this backup (its manifest ${name === 'store' ? 'lists no evidence store' : 'does not list it'}): the backup was changed since it was made`);
    if (manifest.store && !hasStore) throw new Error(`${storeDir} is missing, the manifest lists the evidence store's ${Object.keys(manifest.store).length} files: the backup is incomplete`);
  }
  if (!hasStore) return { verified, store: null };
  const folder = lstatSync(storeDir);
  if (!folder.isDirectory()) throw new Error(`${storeDir} is ${kindOf(folder)}, not a folder: ${PLAIN}`);
  const present = filesUnder(storeDir);
  if (copyTo) for (const file of present) await copyPlainFile(join(storeDir, file), join(copyTo, file));
  // Where the files checked and imported are: the copies, if made.
  const from = copyTo ?? storeDir;
  if (verified) {
    const listed = manifest.store!;
    for (const file of present) if (!Object.hasOwn(listed, file)) throw new Error(`${join(storeDir, file)} is not a file of this backup (its manifest does not list it): the backup was changed since it was made`);
    for (const [file, expected] of Object.entries(listed)) {
      if (!present.includes(file)) throw new Error(`${join(storeDir, file)} is missing, the manifest lists it (${expected.bytes} bytes): the backup is incomplete`);
      if (file.endsWith('.sql')) continue;
      const { sha256: sha, bytes } = await digestOf(join(from, file));
      const problem = differs(join(storeDir, file), expected, bytes, sha);
      if (problem) throw problem;
    }
  }
  // The SQL files are read once: the bytes checked are the bytes the import runs (schema.sql) or reads (load.sql).
  const sql = (name: string): Buffer => {
    const path = join(storeDir, name);
    if (!lstatSync(path, { throwIfNoEntry: false })) throw new Error(`${path} is missing: the evidence store's export is incomplete`);
    const data = readPlainFile(join(from, name), PLAIN);
    // Listed: every file present is (checked above).
    const problem = verified && differs(path, manifest.store![name]!, data.length, sha256Hex(data));
    if (problem) throw problem;
    return data;
  };
  const { schema, views } = checkSchemaSql(sql('schema.sql').toString('utf8'), join(storeDir, 'schema.sql'));
  const copies = storeCopies(sql('load.sql'), join(storeDir, 'load.sql'), new Set(present.filter((f) => lstatSync(join(from, f)).isFile())));
  return { verified, store: { dir: from, schema, views, copies } };
}

/**
 * Restores a backup into an empty, migrated database, in one transaction: all of it or none. A
 * caller that read the manifest and the carried files (readCarriedFiles) passes that manifest;
 * otherwise they are read and checked here. With `trail`, the backup's audit trail is checked
 * against its rows (under the audit key it carries) before the transaction commits: a backup
 * whose rows were changed since it was made is refused, and nothing of it is written.
 */
export async function restoreAppDb(db: AppDb, dir: string, read?: BackupManifest, trail?: { auditKey: Buffer | null }): Promise<BackupManifest> {
  if (!existsSync(join(dir, 'manifest.json'))) throw new Error(`${dir}: no manifest.json, so not a derisk backup`);
  const manifest = read ?? readBackupManifest(dir);
  if (!read) readCarriedFiles(dir, manifest);
  await db.transaction(async (tx) => {
    // Checked again in the transaction that writes: another process may have written since the caller looked.
    await checkRestoreTarget(tx);
    for (const table of BACKED_UP_TABLES) {
      // A backup made by an earlier version has no file for a table added since: it had no rows.
      if (!(table in manifest.tables)) continue;
      for await (const { row } of backupRows(dir, manifest, table)) {
        // A backup made before migration 018 has a verdict's dates only in its result, where the migration read them from.
        if (table === 'assessments' && !('as_of' in row)) {
          const { asOf, reassessBy } = JSON.parse(String(row.result)) as { asOf?: string; reassessBy?: string };
          Object.assign(row, { as_of: asOf ?? null, reassess_by: reassessBy ?? null });
        }
        const columns = Object.keys(row);
        await tx.query(
          `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${numberedParameters(columns.length)})`,
          columns.map((c) => row[c] ?? null),
        );
      }
    }
    if (trail) {
      const key = trail.auditKey && parseAuditKey(trail.auditKey.toString('utf8'), join(dir, 'audit.key'));
      const problems = await restoringTrailProblems(tx, key, manifest.auditHead, join(dir, 'manifest.json'));
      if (problems.length > 0)
        throw new Error(
          `the backup ${dir} does not agree with its own audit trail (${problems.length} problem(s): ${problems
            .slice(0, 3)
            .map((p) => `${p.seq === null ? '' : `entry ${p.seq}: `}${p.problem}`)
            .join('; ')}${problems.length > 3 ? '; …' : ''}): it was changed since it was made, so nothing of it is restored`,
        );
    }
    // A backup made before migration 020 holds items imported from a file under their old keys: they
    // move as the migration moved them, noted for the audit trail to record at the next open.
    await moveRestoredRows(tx, db);
  });
  return manifest;
}

/** What a restore does with the installation's exchange feed identity (DERISK_HOME/exchange/). */
export interface ExchangeRestore {
  /** The exchange files of the backup written into this home (none: the home's own are left as they were). */
  files: string[];
  /** The key id of the feed key the backup carried (from the key itself); null when it carried none. */
  restored: string | null;
  /** The sequence the backed-up installation had last published; null when it never published. */
  restoredSequence: number | null;
  /** False for a backup made before backups carried DERISK_HOME/exchange. */
  backupCarriesHome: boolean;
  /** The key id of this home's own feed key before the restore (from the key itself), if it had one. */
  own: string | null;
  /** The sequence this home had last published, if it had. */
  ownSequence: number | null;
  /** True when this home holds the backup's key already and published later than the backup: kept as it is. */
  kept: boolean;
  /** Where this home's own exchange folder is set aside, when the backup's identity replaces it. */
  setAside: string | null;
}

/** A restore of the exchange files, decided before anything is written: what it does, and the bytes it writes. */
export interface ExchangePlan {
  report: ExchangeRestore;
  writes: CarriedFile[];
}

/**
 * Decides what a restore does with DERISK_HOME/exchange from the backup's carried files (read and
 * checked) and this home's own, all read and parsed here, before anything is written: a file that
 * cannot be read stops the restore before it starts, naming the file. Identities are compared by
 * their keys, never by the ids files claim. A home whose own key is the backup's and that published
 * after the backup keeps its exchange folder (a restored older sequence would make every partner
 * that took the later one refuse the next publish); a home with another identity, or none that
 * can be told, has its folder set aside whole, never mixed with the backup's and never deleted.
 */
export function planExchangeRestore(dir: string, manifest: BackupManifest, carried: Map<string, Buffer>, home: string, now = new Date()): ExchangePlan {
  const exchange = join(home, 'exchange');
  const homeFile = (name: string): Buffer | undefined => (lstatSync(join(exchange, name), { throwIfNoEntry: false }) ? readPlainFile(join(exchange, name), `derisk keeps ${name} in ${exchange} as a plain file; move it out and restore again`) : undefined);
  const exists = lstatSync(exchange, { throwIfNoEntry: false }) !== undefined;
  const ownKey = exists ? homeFile('feed-key.pem') : undefined;
  let own: string | null = null;
  if (ownKey) {
    try {
      own = publicIdentityOf(ownKey).keyId;
    } catch (e) {
      throw new Error(`${join(exchange, 'feed-key.pem')} is not a feed key (${(e as Error).message}): move ${exchange} out of the home and restore again`, { cause: e });
    }
  }
  const ownIdentity = exists ? homeFile('identity.json') : undefined;
  if (ownIdentity) parseJson(ownIdentity, join(exchange, 'identity.json'));
  const ownPublished = exists ? homeFile('published.json') : undefined;
  const ownSequence = ownPublished ? sequenceOf(ownPublished, join(exchange, 'published.json')) : null;

  const writes = [...carried].filter(([as]) => as.startsWith('exchange/')).map(([as, data]) => ({ as, data }));
  const from = (as: string) => carried.get(as);
  const restored = identityOfFiles(from('exchange/feed-key.pem'), from('exchange/identity.json'), join(dir, 'exchange'))?.keyId ?? null;
  const published = from('exchange/published.json');
  const restoredSequence = published ? sequenceOf(published, join(dir, 'exchange', 'published.json')) : null;
  const report: ExchangeRestore = { files: [], restored, restoredSequence, backupCarriesHome: manifest.files !== undefined, own, ownSequence, kept: false, setAside: null };
  if (writes.length === 0) return { report, writes };
  const same = own !== null && own === restored;
  if (same && ownSequence !== null && ownSequence > (restoredSequence ?? 0)) return { report: { ...report, kept: true }, writes: [] };
  if (exists && !same) report.setAside = join(home, `exchange.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`);
  return { report: { ...report, files: writes.map((w) => w.as) }, writes };
}

/** Writes what planExchangeRestore decided, owner-only. */
export function applyExchangeRestore(home: string, plan: ExchangePlan): void {
  if (plan.report.setAside) renameSync(join(home, 'exchange'), plan.report.setAside);
  for (const { as, data } of plan.writes) writeOwnerOnly(join(home, as), data);
}
