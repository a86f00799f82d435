import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backupAppDb, restoreAppDb } from '../../src/appdb/backup.ts';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { PostgresDb } from '../../src/appdb/postgres.ts';
import { Assessor } from '../../src/assessment/assessor.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import { verifyAudit } from '../../src/service/audit.ts';
import { NotFoundError } from '../../src/service/authorize.ts';
import { CaseService } from '../../src/service/cases.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { startPostgres, type RunningPostgres } from '../helpers/postgres.ts';
import { watchlist } from '../helpers/watchlist.ts';

let pgServer: RunningPostgres;
let store: Store;
let assessor: Assessor;

before(async () => {
  pgServer = await startPostgres();
  store = await landscapeStore(tempDir());
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', level: 'very-high' }]))]);
  await screenPending(store, await screeningContext(store));
  assessor = new Assessor({ store, screening: await screeningContext(store), bundle: loadBundle() });
});
after(async () => {
  store.close();
  await pgServer.stop();
});

const CASE = { title: 'Joint work with Tsinghua', partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } };

test('the same migrations and code run on a real PostgreSQL: accounts, cases, verdicts, tenants, audit', async () => {
  const db = await PostgresDb.open(pgServer.url);
  try {
    assert.deepEqual(await migrate(db), ['001_initial.sql']);
    assert.deepEqual(await migrate(db), [], 'applied once');
    const accounts = new Accounts(db);
    for (const org of ['org-a', 'org-b']) {
      await accounts.createOrganisation(OPERATOR, org, org);
      await accounts.createUser(OPERATOR, { orgId: org, email: `officer@${org}.example`, name: 'Officer', role: 'officer', password: 'a long enough password' });
    }
    const a = (await accounts.login('officer@org-a.example', 'a long enough password')).actor;
    const b = (await accounts.login('officer@org-b.example', 'a long enough password')).actor;
    const cases = new CaseService(db, assessor);
    const { id } = await cases.create(a, CASE, 'key-1');
    assert.deepEqual(await cases.create(a, CASE, 'key-1'), { id, created: false }, 'a retried create with the same key is one case');
    const verdict = await cases.assess(a, id, '2026-11-22');
    assert.equal(verdict.overall, 'red');
    await assert.rejects(cases.get(b, id), NotFoundError);
    await cases.share(a, id, 'org-b');
    assert.equal((await cases.get(b, id)).own, false);
    const token = await accounts.createToken(a, 'pg');
    assert.equal((await accounts.tokenActor(token.token))?.userId, a.userId);
    assert.deepEqual((await verifyAudit(db)).problems, []);
  } finally {
    await db.close();
  }
});

test('two server processes writing at once keep one unbroken audit chain', async () => {
  const [one, two] = [await PostgresDb.open(pgServer.url), await PostgresDb.open(pgServer.url)];
  try {
    const actor = { userId: 'u1', orgId: 'org-a', role: 'analyst' as const, name: 'Analyst' };
    const writes = [one, two].flatMap((db) => Array.from({ length: 15 }, (_, i) => new CaseService(db, assessor).create(actor, { ...CASE, title: `Concurrent ${i}` })));
    await Promise.all(writes);
    const audit = await verifyAudit(one);
    assert.deepEqual(audit.problems, []);
    assert.ok(audit.entries >= 30);
  } finally {
    await one.close();
    await two.close();
  }
});

test('backup from PostgreSQL restores into the embedded database (and back), the audit chain intact', async () => {
  const dir = join(tempDir(), 'backup');
  const source = await PostgresDb.open(pgServer.url);
  const manifest = await backupAppDb(source, dir);
  await source.close();
  assert.ok(manifest.tables.cases! >= 31);
  const target = await EmbeddedDb.open(join(tempDir(), 'restored.duckdb'));
  try {
    await migrate(target);
    await restoreAppDb(target, dir);
    const audit = await verifyAudit(target);
    assert.deepEqual(audit.problems, []);
    assert.equal(audit.head, manifest.auditHead!.hash);
    assert.equal((await target.query<{ n: number }>('SELECT count(*) AS n FROM cases'))[0]!.n, manifest.tables.cases);
    await assert.rejects(restoreAppDb(target, dir), /not empty/);
  } finally {
    await target.close();
  }
});
