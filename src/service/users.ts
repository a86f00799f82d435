import type { AppDb } from '../appdb/db.ts';

/** Creates an organisation if it does not exist yet. */
export async function ensureOrganisation(db: AppDb, id: string, name: string): Promise<void> {
  await db.query('INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [id, name, new Date().toISOString()]);
}
