import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AppDb } from './db.ts';

const DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** The migrations this version of derisk knows, in the order they apply. */
export function knownMigrations(): string[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.sql'))
    .sort();
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
    const statements = readFileSync(DIR + name, 'utf8')
      .split(/;\s*$/m)
      .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
      .filter(Boolean);
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
