import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AppDb, AppTx } from './db.ts';

const DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/**
 * A migration whose SQL cannot be written once for both databases (reading JSON, say) comes as two
 * files, NNN_name.sqlite.sql and NNN_name.postgres.sql; it is known and recorded as NNN_name.sql.
 */
const VARIANT = /\.(sqlite|postgres)\.sql$/;

/** The migrations this version of derisk knows, in the order they apply. */
export function knownMigrations(): string[] {
  return [...new Set(readdirSync(DIR).flatMap((f) => (f.endsWith('.sql') ? [f.replace(VARIANT, '.sql')] : [])))].sort();
}

/** The file of a migration for this database: its variant, where it has one. */
function migrationFile(name: string, db: Pick<AppDb, 'kind'>): string {
  const variant = name.replace(/\.sql$/, db.kind === 'postgres' ? '.postgres.sql' : '.sqlite.sql');
  return existsSync(DIR + variant) ? variant : name;
}

/** A migration's statements for this database, comments removed. */
function statementsOf(name: string, db: Pick<AppDb, 'kind'>): string[] {
  return readFileSync(DIR + migrationFile(name, db), 'utf8')
    .split(/;\s*$/m)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter(Boolean);
}

/**
 * Migrations that move rows to where the current schema expects them, rather than change the
 * schema. A restore fills a database migrated while empty, so these run again on the rows it put
 * there (a backup made before them holds the rows where they were); each leaves rows already moved as they are.
 */
const ROW_MIGRATIONS = ['020_exchange_import_keys.sql', '026_alert_web_links.sql'];

/** Runs the row-moving migrations again, in the restore's transaction (see ROW_MIGRATIONS). */
export async function moveRestoredRows(tx: AppTx, db: Pick<AppDb, 'kind'>): Promise<void> {
  for (const name of ROW_MIGRATIONS) for (const sql of statementsOf(name, db)) await tx.query(sql);
}

/**
 * Applies the migrations not yet applied, in order, each in its own transaction; with `only`,
 * just those named (importing an old database replays the schema it had, then its rows, then the
 * rest). Each is checked again inside its transaction, so two processes starting at once on a new
 * database apply it once.
 */
export async function migrate(db: AppDb, only?: ReadonlySet<string>): Promise<string[]> {
  await db.transaction((tx) => tx.query('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)'));
  const done = new Set((await db.query<{ name: string }>('SELECT name FROM schema_migrations')).map((r) => r.name));
  const applied: string[] = [];
  for (const name of knownMigrations()) {
    if (done.has(name) || (only && !only.has(name))) continue;
    const statements = statementsOf(name, db);
    const fresh = await db.transaction(async (tx) => {
      if ((await tx.query('SELECT 1 FROM schema_migrations WHERE name = $1', [name]))[0]) return false;
      for (const sql of statements) await tx.query(sql);
      await tx.query('INSERT INTO schema_migrations VALUES ($1, $2)', [name, new Date().toISOString()]);
      return true;
    });
    if (fresh) applied.push(name);
  }
  return applied;
}
