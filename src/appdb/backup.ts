import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { numberedParameters, type AppDb, type Param } from './db.ts';
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE, writeOwnerOnly } from '../owner-only.ts';
import { moveRestoredRows } from './migrate.ts';

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
  files?: Record<string, { sha256: string; bytes: number }>;
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

/** A file a backup carries: where it is now, and its path in the backup's app folder. */
export interface CarriedFile {
  from: string;
  as: string;
}

/** The HOME_FILES that `home` holds, as files to carry (the same paths in the backup's app folder). */
export function homeFilesOf(home: string): CarriedFile[] {
  const files: CarriedFile[] = [];
  for (const path of Object.keys(HOME_FILES)) {
    const from = join(home, path);
    if (!existsSync(from)) continue;
    const names = path.endsWith('/') ? readdirSync(from).sort() : [''];
    for (const name of names) {
      const file = join(from, name);
      // The folders hold what derisk wrote: anything else there (a link, a folder) is not carried unsaid.
      if (!lstatSync(file).isFile()) throw new Error(`${file} is not a plain file: a backup carries ${path}${name ? ' and the files in it' : ''} only as plain files; move it out of ${home} and back up again`);
      files.push({ from: file, as: path + name });
    }
  }
  return files;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** Whether a path a manifest lists is one a backup carries: a restore writes each into the home. */
const carriable = (as: string): boolean => as === 'audit.key' || (Object.hasOwn(HOME_FILES, as) && !as.endsWith('/')) || Object.keys(HOME_FILES).some((folder) => folder.endsWith('/') && as.startsWith(folder) && /^[\w-][\w.-]*$/.test(as.slice(folder.length)));

/**
 * Writes every table as JSON Lines plus a manifest; the same format whichever database it came
 * from. Owner-only, like the home: it holds password hashes and every organisation's cases.
 */
export async function backupAppDb(db: AppDb, dir: string, carried: CarriedFile[] = []): Promise<BackupManifest> {
  mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR });
  const files: BackupManifest['files'] = {};
  for (const { from, as } of carried) {
    const data = readFileSync(from);
    writeOwnerOnly(join(dir, as), data);
    files[as] = { sha256: sha256(data), bytes: data.length };
  }
  const tables: Record<string, number> = {};
  // One transaction: the tables are read at one point in time.
  await db.transaction(async (tx) => {
    for (const table of BACKED_UP_TABLES) {
      const rows = await tx.query(`SELECT * FROM ${table}`);
      const out = createWriteStream(join(dir, `${table}.jsonl`), { mode: OWNER_ONLY_FILE });
      for (const r of rows) if (!out.write(`${JSON.stringify(r)}\n`)) await once(out, 'drain');
      out.end();
      await once(out, 'finish');
      tables[table] = rows.length;
    }
  });
  const head = (await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'))[0] ?? null;
  const manifest: BackupManifest = { format: 'derisk-appdb-backup/1', createdAt: new Date().toISOString(), source: db.kind, tables, auditHead: head ? { seq: Number(head.seq), hash: head.hash } : null, files };
  writeOwnerOnly(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}

/** The manifest of a backup: `dir` is what `derisk backup` wrote (its app/ folder) or that folder itself. */
export function readBackupManifest(dir: string): BackupManifest {
  const manifestPath = [join(dir, 'app', 'manifest.json'), join(dir, 'manifest.json')].find((p) => existsSync(p));
  if (!manifestPath) throw new Error(`${dir}: no manifest.json, so not a derisk backup`);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as BackupManifest;
  if (manifest.format !== 'derisk-appdb-backup/1') throw new Error(`${manifestPath}: unknown backup format ${JSON.stringify(manifest.format)}`);
  return manifest;
}

/**
 * Checks the files a backup carries against its manifest before anything is written: a restore
 * takes all of the backup or none of it.
 */
export function checkCarriedFiles(dir: string, manifest: BackupManifest): void {
  for (const [as, { sha256: expected, bytes }] of Object.entries(manifest.files ?? {})) {
    if (!carriable(as)) throw new Error(`${dir}/manifest.json lists ${JSON.stringify(as)}, which is not a file a backup carries (${['audit.key', ...Object.keys(HOME_FILES)].join(', ')})`);
    const path = join(dir, as);
    if (!existsSync(path)) throw new Error(`${path} is missing, the manifest lists it (${bytes} bytes): the backup is incomplete`);
    if (sha256(readFileSync(path)) !== expected) throw new Error(`${path} is not the file the manifest lists (its SHA-256 differs): the backup was changed since it was made`);
  }
}

/** Restores a backup into an empty, migrated database, in one transaction: all of it or none. */
export async function restoreAppDb(db: AppDb, dir: string): Promise<BackupManifest> {
  if (!existsSync(join(dir, 'manifest.json'))) throw new Error(`${dir}: no manifest.json, so not a derisk backup`);
  const manifest = readBackupManifest(dir);
  checkCarriedFiles(dir, manifest);
  await db.transaction(async (tx) => {
    for (const table of BACKED_UP_TABLES) {
      const existing = await tx.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`);
      if (Number(existing[0]?.n ?? 0) > 0) throw new Error(`the target database is not empty (${table} has rows): restore only into a new database`);
    }
    for (const table of BACKED_UP_TABLES) {
      // A backup made by an earlier version has no file for a table added since: it had no rows.
      if (!(table in manifest.tables)) continue;
      let n = 0;
      const lines = createInterface({ input: createReadStream(join(dir, `${table}.jsonl`)), crlfDelay: Infinity });
      for await (const line of lines) {
        if (line.trim() === '') continue;
        const row = JSON.parse(line) as Record<string, Param>;
        // A backup made before migration 018 has a verdict's dates only in its result, where the migration read them from.
        if (table === 'assessments' && !('as_of' in row)) {
          const { asOf, reassessBy } = JSON.parse(String(row.result)) as { asOf?: string; reassessBy?: string };
          Object.assign(row, { as_of: asOf ?? null, reassess_by: reassessBy ?? null });
        }
        const columns = Object.keys(row);
        const odd = columns.find((c) => !/^[a-z_]{1,40}$/.test(c));
        if (odd) throw new Error(`${dir}/${table}.jsonl line ${n + 1}: ${JSON.stringify(odd)} is not a column name`);
        await tx.query(
          `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${numberedParameters(columns.length)})`,
          columns.map((c) => row[c] ?? null),
        );
        n++;
      }
      if (n !== manifest.tables[table]) throw new Error(`${dir}/${table}.jsonl holds ${n} rows, the manifest says ${manifest.tables[table]}: the backup is incomplete`);
    }
    // A backup made before migration 020 holds items imported from a file under their old keys: they
    // move as the migration moved them, noted for the audit trail to record at the next open.
    await moveRestoredRows(tx, db);
  });
  return manifest;
}

/** What a restore did with the installation's exchange feed identity (DERISK_HOME/exchange/). */
export interface ExchangeRestore {
  /** The exchange files the backup carried, now this home's (none: the home's own are left as they were). */
  files: string[];
  /** The key id of the feed identity the backup carried, now this home's; null when it carried none. */
  restored: string | null;
  /** False for a backup made before backups carried DERISK_HOME/exchange. */
  backupCarriesHome: boolean;
  /** The key id of this home's own feed identity before the restore, if it had one. */
  own: string | null;
  /** Where this home's own exchange folder was set aside, when the backup's identity replaced it. */
  setAside: string | null;
}

const keyIdIn = (path: string): string | null => (existsSync(path) ? ((JSON.parse(readFileSync(path, 'utf8')) as { keyId?: string }).keyId ?? null) : null);

/**
 * Writes the exchange files a restored backup carries (checked by restoreAppDb) into `home`,
 * owner-only. A home with an exchange folder of another identity has it set aside whole, never
 * mixed with the backup's, and never deleted: its key may be pinned by someone too.
 */
export function restoreExchange(dir: string, manifest: BackupManifest, home: string, now = new Date()): ExchangeRestore {
  const exchange = join(home, 'exchange');
  const own = keyIdIn(join(exchange, 'identity.json'));
  const carried = Object.keys(manifest.files ?? {}).filter((as) => as.startsWith('exchange/'));
  const report: ExchangeRestore = { files: carried, restored: null, backupCarriesHome: manifest.files !== undefined, own, setAside: null };
  if (carried.length === 0) return report;
  report.restored = keyIdIn(join(dir, 'exchange', 'identity.json'));
  if (existsSync(exchange) && (own === null || own !== report.restored)) {
    report.setAside = join(home, `exchange.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`);
    renameSync(exchange, report.setAside);
  }
  for (const as of carried) writeOwnerOnly(join(home, as), readFileSync(join(dir, as)));
  return report;
}
