import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AppDb } from './db.ts';

const DIR = fileURLToPath(new URL('./migrations/', import.meta.url));

/** Applies the migrations not yet applied, in order, each in its own transaction. */
export async function migrate(db: AppDb): Promise<string[]> {
  await db.query('CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const done = new Set((await db.query<{ name: string }>('SELECT name FROM schema_migrations')).map((r) => r.name));
  const applied: string[] = [];
  for (const name of readdirSync(DIR).filter((f) => f.endsWith('.sql')).sort()) {
    if (done.has(name)) continue;
    const statements = readFileSync(DIR + name, 'utf8')
      .split(/;\s*$/m)
      .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
      .filter(Boolean);
    await db.transaction(async (tx) => {
      for (const sql of statements) await tx.query(sql);
      await tx.query('INSERT INTO schema_migrations VALUES ($1, $2)', [name, new Date().toISOString()]);
    });
    applied.push(name);
  }
  return applied;
}
