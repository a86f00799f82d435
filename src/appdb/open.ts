import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config.ts';
import type { AppDb } from './db.ts';
import { EmbeddedDb } from './embedded.ts';
import { migrate } from './migrate.ts';
import { openSealedTrail } from '../service/audit.ts';

/**
 * The application database the configuration names (DERISK_DATABASE_URL, else the embedded SQLite
 * file), migrated to the current schema, its audit trail sealed with the key and anchor outside it.
 * A home that still has the DuckDB file of earlier versions is moved to SQLite first (see
 * legacy.ts), and says so on stderr.
 */
export async function openAppDb(config: Config): Promise<AppDb> {
  let db: AppDb;
  // Loaded only for PostgreSQL: the client costs every embedded-database command start-up time.
  if (config.databaseUrl) db = await (await import('./postgres.ts')).PostgresDb.open(config.databaseUrl);
  else {
    const legacy = join(config.home, 'app.duckdb');
    // The importer (and DuckDB with it) is loaded only for a home that still has the old file.
    const imported = existsSync(legacy) ? await (await import('./legacy.ts')).importLegacyIfPresent(legacy, config.appDbPath) : null;
    if (imported) {
      const rows = Object.values(imported.tables).reduce((a, b) => a + b, 0);
      console.error(`derisk: moved the application database from ${imported.from} to ${config.appDbPath} (${rows} rows in ${Object.keys(imported.tables).length} tables; the audit chain of ${imported.auditEntries} entries verifies); the old file is kept as ${imported.keptAs}`);
    }
    db = await EmbeddedDb.open(config.appDbPath);
  }
  try {
    await migrate(db);
    return await openSealedTrail(db, { keyPath: config.auditKeyPath, anchorPath: config.auditAnchorPath });
  } catch (e) {
    await db.close();
    throw e;
  }
}
