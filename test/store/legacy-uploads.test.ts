import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { ingestWorks, SHARED } from '../../src/ingest/pipeline.ts';
import { loadRegistry } from '../../src/ingest/registry.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { appendAudit } from '../../src/service/audit.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import type { Store } from '../../src/store/store.ts';
import { IngestWorkflow } from '../../src/workflows/ingest.ts';
import { migrateLegacyUploads, type LegacyMigration } from '../../src/workflows/legacy-uploads.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';

const works = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ id: `https://openalex.org/W${from + i}`, doi: `10.5555/legacy.${from + i}`, publication_year: 2022, authorships: [{ raw_affiliation_strings: ['Delft University of Technology, Delft, Netherlands'] }, { raw_affiliation_strings: ['Tsinghua University, Beijing, China'] }] }),
  ).join('\n');

/** An upload as servers before scoped uploads kept it: <home>/uploads/<sha256>.jsonl, read into the shared base. */
async function legacyUpload(store: Store, home: string, body: string): Promise<string> {
  const id = createHash('sha256').update(body).digest('hex');
  mkdirSync(join(home, 'uploads'), { recursive: true });
  const path = join(home, 'uploads', `${id}.jsonl`);
  writeFileSync(path, body);
  await ingestWorks(store, 'openalex', path, { quarantineDir: join(home, 'quarantine') });
  return id;
}

const count = async (store: Store, sql: string) => Number((await store.one<{ n: number }>(`SELECT count(*)::DOUBLE AS n FROM ${sql}`))!.n);

test('uploads a store of an earlier version kept in the shared base move to the organisations that uploaded them', async () => {
  const home = tempDir();
  const store = await landscapeStore(home);
  const db = await EmbeddedDb.open(join(home, 'app.duckdb'));
  try {
    await migrate(db);
    const before = { records: await count(store, 'records'), works: await count(store, 'works'), institutions: await count(store, 'work_institutions') };
    const acknowledged = await legacyUpload(store, home, works(100, 3));
    const unacknowledged = await legacyUpload(store, home, works(200, 2));
    await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
    await refreshAnalytics(store);
    assert.equal(await count(store, 'works'), before.works + 5, 'the leak as it was: uploads counted in the shared analytics');
    // Two organisations uploaded the same bytes (the second was told "already ingested").
    for (const org of ['org-b', 'org-c']) await db.transaction((tx) => appendAudit(tx, { actor: `analyst@${org}`, orgId: org, action: 'evidence.ingest', target: acknowledged, detail: {} }));

    const report = await migrateLegacyUploads(store, db, home);
    assert.deepEqual(report.moved, [
      { fileId: acknowledged, orgId: 'org-b' },
      { fileId: acknowledged, orgId: 'org-c' },
    ]);
    assert.deepEqual(report.dropped, [unacknowledged], 'an upload nobody was told had finished is removed (it can be uploaded again)');
    assert.deepEqual({ records: await count(store, 'records'), works: await count(store, 'works'), institutions: await count(store, 'work_institutions') }, before, 'the shared base is as before the uploads');
    assert.equal(await count(store, "input_files WHERE path LIKE '%/uploads/%'"), 0);
    for (const org of ['org-b', 'org-c']) {
      assert.equal(await count(store, `upload_records WHERE scope = '${org}'`), 3);
      assert.equal(await count(store, `upload_affiliations WHERE scope = '${org}'`), 6);
      assert.equal(await count(store, `upload_works WHERE scope = '${org}' AND file_id = '${acknowledged}'`), 3);
      assert.equal(await count(store, `upload_files WHERE scope = '${org}' AND finished_at IS NOT NULL`), 1);
    }
    const audit = await db.query<{ org_id: string; target: string }>("SELECT org_id, target FROM audit WHERE action = 'evidence.scope' ORDER BY seq");
    assert.deepEqual(
      audit.map((a) => [a.org_id, a.target]),
      [
        ['org-b', acknowledged],
        ['org-c', acknowledged],
      ],
    );
    const again = await migrateLegacyUploads(store, db, home);
    assert.deepEqual(again, { moved: [], dropped: [], overlapping: [] }, 'it runs once');
  } finally {
    await db.close();
    store.close();
  }
});

test('the move takes its turn as a writer of the store: an ingest under way when the server starts finishes, and so does the move', async () => {
  const home = tempDir();
  const store = await landscapeStore(home);
  const db = await EmbeddedDb.open(join(home, 'app.duckdb'));
  const workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'q-ingest') });
  try {
    await migrate(db);
    const before = await count(store, 'works');
    const legacy = await legacyUpload(store, home, works(300, 2));
    await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
    await refreshAnalytics(store);
    await db.transaction((tx) => appendAudit(tx, { actor: 'analyst@org-b', orgId: 'org-b', action: 'evidence.ingest', target: legacy, detail: {} }));
    // An administrator's ingest (the console beside the server) rebuilds the shared analytics when the move starts, as the move does.
    let moving: Promise<LegacyMigration> | null = null;
    const outcome = await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: writeTemp('shared.jsonl', works(400, 3)) }] }, (e) => {
      if (e.type === 'stage' && e.stage === 'refresh') moving = migrateLegacyUploads(store, db, home);
    });
    assert.equal(outcome.files[0]!.kept, 3);
    assert.ok(moving, 'the move started while the ingest was under way');
    const report = await (moving as Promise<LegacyMigration>);
    assert.deepEqual(report.moved, [{ fileId: legacy, orgId: 'org-b' }]);
    assert.equal(await count(store, 'works'), before + 3, 'the shared base holds what the ingest brought, not the legacy upload');
    assert.equal(await count(store, "upload_works WHERE scope = 'org-b'"), 2, 'org-b has its legacy upload');
  } finally {
    await workflow.close();
    await db.close();
    store.close();
  }
});
