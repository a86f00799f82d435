import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { numberedParameters, type AppDb, type Param } from './db.ts';
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE } from '../owner-only.ts';
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
}

/**
 * Writes every table as JSON Lines plus a manifest; the same format whichever database it came
 * from. Owner-only, like the home: it holds password hashes and every organisation's cases.
 */
export async function backupAppDb(db: AppDb, dir: string): Promise<BackupManifest> {
  mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR });
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
  const manifest: BackupManifest = { format: 'derisk-appdb-backup/1', createdAt: new Date().toISOString(), source: db.kind, tables, auditHead: head ? { seq: Number(head.seq), hash: head.hash } : null };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2), { mode: OWNER_ONLY_FILE });
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

/** Restores a backup into an empty, migrated database, in one transaction: all of it or none. */
export async function restoreAppDb(db: AppDb, dir: string): Promise<BackupManifest> {
  if (!existsSync(join(dir, 'manifest.json'))) throw new Error(`${dir}: no manifest.json, so not a derisk backup`);
  const manifest = readBackupManifest(dir);
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
