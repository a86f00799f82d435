import type { Config } from '../config.ts';
import type { AppDb } from './db.ts';
import { EmbeddedDb } from './embedded.ts';
import { migrate } from './migrate.ts';
import { PostgresDb } from './postgres.ts';
import { openSealedTrail } from '../service/audit.ts';

/**
 * The application database the configuration names (DERISK_DATABASE_URL), migrated to the current
 * schema, its audit trail sealed with the key and anchor outside it.
 */
export async function openAppDb(config: Config): Promise<AppDb> {
  const db = config.databaseUrl ? await PostgresDb.open(config.databaseUrl) : await EmbeddedDb.open(config.appDbPath);
  try {
    await migrate(db);
    return await openSealedTrail(db, { keyPath: config.auditKeyPath, anchorPath: config.auditAnchorPath });
  } catch (e) {
    await db.close();
    throw e;
  }
}
