import { basename, dirname } from 'node:path';
import type { AppDb } from '../appdb/db.ts';
import { loadTaxonomy } from '../fields/taxonomy.ts';
import { appendAudit } from '../service/audit.ts';
import { refreshAnalytics, refreshUpload } from '../store/refresh.ts';
import type { Store } from '../store/store.ts';

/** How the server named an uploaded export before uploads had scopes: <home>/uploads/<sha256>.<ext>. */
const LEGACY_UPLOAD = /^[0-9a-f]{64}\.(jsonl|txt|csv)$/;

export interface LegacyMigration {
  /** Uploads moved out of the shared base, one per organisation that uploaded them. */
  moved: { fileId: string; orgId: string }[];
  /** Uploads no organisation was told had finished: removed from the shared base (upload them again). */
  dropped: string[];
  /** Shared files read after a legacy upload that counted records as already known: they may lack those records (ingest them again). */
  overlapping: string[];
}

/**
 * Stores from before uploads were scoped kept an organisation's uploads in the shared base,
 * where they leaked into every organisation's indicators, profiles and verdicts. Each is moved
 * into the organisation that uploaded it (every organisation the audit trail says uploaded those
 * bytes gets its own copy), its rows leave the shared base, and the shared analytics are rebuilt.
 * Runs once, at the first start of a server of this version; each file moves in one transaction,
 * so a crash part-way resumes where it stopped.
 */
export async function migrateLegacyUploads(store: Store, db: AppDb, home: string): Promise<LegacyMigration> {
  if (await scoped(store)) return { moved: [], dropped: [], overlapping: [] };
  // Nothing to move (a new store): marked without waiting for a writer's turn, which would hold a start up behind an ingest.
  if ((await legacyUploads(store, home)).length === 0) return moveUploads(store, db, home);
  // One writer of the store at a time: an ingest or a view rebuild under way finishes first.
  return store.exclusive((writer) => moveUploads(writer, db, home));
}

const scoped = async (store: Store) => Boolean(await store.one(`SELECT 1 FROM meta WHERE key = 'uploads_scoped'`));

async function legacyUploads(store: Store, home: string) {
  const uploadsDir = `${home.replace(/\/+$/, '')}/uploads`;
  return (await store.all<{ file_id: string; path: string; finished: boolean; started_at: Date }>(`SELECT file_id, path, finished_at IS NOT NULL AS finished, started_at FROM input_files WHERE kind IN ('openalex', 'wos', 'scopus') ORDER BY started_at`)).filter(
    (f) => dirname(f.path) === uploadsDir && LEGACY_UPLOAD.test(basename(f.path)),
  );
}

async function moveUploads(store: Store, db: AppDb, home: string): Promise<LegacyMigration> {
  const report: LegacyMigration = { moved: [], dropped: [], overlapping: [] };
  if (await scoped(store)) return report;
  const files = await legacyUploads(store, home);
  if (files.length > 0) {
    const uploaders = new Map<string, string[]>();
    for (const r of await db.query<{ target: string; org_id: string }>(`SELECT target, org_id FROM audit WHERE action = 'evidence.ingest' ORDER BY seq`)) {
      const orgs = uploaders.get(r.target) ?? [];
      if (r.org_id && !orgs.includes(r.org_id)) orgs.push(r.org_id);
      uploaders.set(r.target, orgs);
    }
    for (const f of files) {
      const orgs = f.finished ? (uploaders.get(f.file_id) ?? []) : [];
      await store.transaction(async () => {
        for (const org of orgs) await copyToScope(store, f.file_id, org);
        await removeFromShared(store, f.file_id);
      });
      if (orgs.length === 0) report.dropped.push(f.file_id);
      for (const org of orgs) report.moved.push({ fileId: f.file_id, orgId: org });
    }
    const first = new Date(files[0]!.started_at).toISOString();
    report.overlapping = (await store.all<{ path: string }>(`SELECT path FROM input_files WHERE records_duplicate > 0 AND started_at > $1::TIMESTAMP ORDER BY path`, [first])).map((r) => r.path);
    const taxonomy = loadTaxonomy();
    // Records left the shared base without an ingest: everything is counted again.
    await refreshAnalytics(store, 'strong', taxonomy, { full: true });
    for (const m of report.moved) await refreshUpload(store, m.orgId, m.fileId, taxonomy);
    for (const m of report.moved) {
      await db.transaction((tx) => appendAudit(tx, { actor: 'migration', orgId: m.orgId, action: 'evidence.scope', target: m.fileId, detail: { from: 'shared base', to: 'the organisation’s own uploads' } }));
    }
    console.error(`derisk: moved ${report.moved.length} uploaded export(s) out of the shared base into the organisations that uploaded them`);
    if (report.dropped.length > 0) console.error(`derisk: removed ${report.dropped.length} unfinished or unacknowledged upload(s) from the shared base; upload them again: ${report.dropped.join(', ')}`);
    if (report.overlapping.length > 0) console.error(`derisk: these files were read after an upload and may lack records it already held; ingest them again: ${report.overlapping.join(', ')}`);
  }
  await store.run(`INSERT OR REPLACE INTO meta VALUES ('uploads_scoped', $1)`, [new Date().toISOString()]);
  return report;
}

async function copyToScope(store: Store, fileId: string, org: string): Promise<void> {
  const ofFile = `JOIN records r USING (source, source_id) WHERE r.file_id = $1`;
  for (const sql of [
    `INSERT INTO upload_files SELECT $2, file_id, path, kind, bytes, started_at, finished_at, last_record_no, records_kept, records_duplicate, records_quarantined, records_doi_gained, NULL FROM input_files WHERE file_id = $1`,
    `INSERT INTO upload_records SELECT $2, r.* FROM records r WHERE r.file_id = $1`,
    `INSERT INTO upload_file_records SELECT $2, $1, r.source, r.source_id FROM records r WHERE r.file_id = $1`,
    `INSERT INTO upload_authorships SELECT $2, x.* FROM authorships x ${ofFile}`,
    `INSERT INTO upload_affiliations SELECT $2, x.* FROM affiliations x ${ofFile}`,
    `INSERT INTO upload_record_fields SELECT $2, x.* FROM record_fields x ${ofFile}`,
    `INSERT INTO upload_quarantine SELECT $2, q.* FROM quarantine q WHERE q.file_id = $1`,
  ]) {
    await store.run(sql, [fileId, org]);
  }
}

async function removeFromShared(store: Store, fileId: string): Promise<void> {
  for (const table of ['authorships', 'affiliations', 'record_fields']) {
    await store.run(`DELETE FROM ${table} WHERE EXISTS (SELECT 1 FROM records r WHERE r.file_id = $1 AND r.source = ${table}.source AND r.source_id = ${table}.source_id)`, [fileId]);
  }
  for (const table of ['records', 'quarantine', 'input_files']) await store.run(`DELETE FROM ${table} WHERE file_id = $1`, [fileId]);
}
