import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { backupAppDb, restoreAppDb } from '../../src/appdb/backup.ts';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { PostgresDb } from '../../src/appdb/postgres.ts';
import { verifyAudit } from '../../src/service/audit.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.ts';
import { appDbSuite } from './appdb-suite.ts';

// The service suite on a real PostgreSQL server, started for this file.
let pgServer: RunningPostgres;
let databases = 0;
appDbSuite(async () => {
  pgServer = await startPostgres();
  return {
    name: 'PostgreSQL',
    open: () => PostgresDb.open(pgServer.url),
    newDatabase: async () => {
      const url = await pgServer.createDatabase(`derisk_fresh_${++databases}`);
      return () => PostgresDb.open(url);
    },
    stop: () => pgServer.stop(),
  };
});

test('backup from PostgreSQL restores into the embedded database (and back), the audit chain intact', async () => {
  const dir = join(tempDir(), 'backup');
  const source = await PostgresDb.open(pgServer.url);
  const manifest = await backupAppDb(source, dir);
  await source.close();
  assert.ok(manifest.tables.cases! >= 31);
  const target = await EmbeddedDb.open(join(tempDir(), 'restored.sqlite'));
  try {
    await migrate(target);
    await restoreAppDb(target, dir);
    const audit = await verifyAudit(target);
    assert.deepEqual(audit.problems, []);
    assert.equal(audit.head, manifest.auditHead!.hash);
    assert.equal((await target.query<{ n: number }>('SELECT count(*) AS n FROM cases'))[0]!.n, manifest.tables.cases);
    await assert.rejects(restoreAppDb(target, dir), /not empty/);
    // And back: the embedded database's backup restores into a new PostgreSQL database.
    const again = join(tempDir(), 'backup-again');
    await backupAppDb(target, again);
    const pgTarget = await PostgresDb.open(await pgServer.createDatabase('derisk_restored'));
    try {
      await migrate(pgTarget);
      await restoreAppDb(pgTarget, again);
      assert.deepEqual((await verifyAudit(pgTarget)).head, manifest.auditHead!.hash);
      assert.deepEqual(await pgTarget.query('SELECT id, disabled FROM users ORDER BY id'), await target.query('SELECT id, disabled FROM users ORDER BY id'), 'booleans survive the round trip');
    } finally {
      await pgTarget.close();
    }
  } finally {
    await target.close();
  }
});
