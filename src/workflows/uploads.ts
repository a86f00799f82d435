import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { basename, join } from 'node:path';
import type { AppDb } from '../appdb/db.ts';
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE } from '../owner-only.ts';
import { fileState, IngestFileError, organisationScope, SHARED, type EvidenceScope } from '../ingest/pipeline.ts';
import { InputError } from '../ingest/records.ts';
import { appendAudit } from '../service/audit.ts';
import { authorize, NotFoundError, type Actor } from '../service/authorize.ts';
import type { Store } from '../store/store.ts';
import { IngestError, type IngestWorkflow, type WorkKind } from './ingest.ts';
import { Jobs, type JobView } from './jobs.ts';
import { PayloadTooLargeError, RefusalError } from '../errors.ts';
import { crashPoint } from '../crash.ts';

const EXTENSION: Record<WorkKind, string> = { openalex: 'jsonl', wos: 'txt', scopus: 'csv' };
const GZIP_MAGIC = [0x1f, 0x8b];
/** The longest upload name a reason quotes, in characters. */
const UPLOAD_NAME_CHARS = 200;

/**
 * The name an upload is given by (`?name=`) as reasons quote it: one plain line, its base name (never the directories of
 * the sender's machine), without control characters, line or paragraph separators and direction overrides, which would
 * break a reason across lines or reorder what it reads, and at most UPLOAD_NAME_CHARS characters. Undefined when nothing is left.
 */
function uploadName(given: string): string | undefined {
  const plain = basename(given.replace(/\\/g, '/'))
    .replace(/[\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...plain];
  if (chars.length === 0) return undefined;
  return chars.length > UPLOAD_NAME_CHARS ? `${chars.slice(0, UPLOAD_NAME_CHARS - 1).join('')}…` : plain;
}

/** Organisation ids are checked when organisations are created; checked again before one names a directory. */
const ORG_ID = /^[a-z0-9][a-z0-9-]{0,40}$/;

/** What an upload answers with: ids and counts, never a path on the server. */
export interface UploadResult {
  fileId: string;
  kind: WorkKind;
  status: 'ingested' | 'resumed' | 'already ingested';
  kept: number;
  duplicates: number;
  quarantined: number;
  /** Records uploaded before without a DOI that this export gave again with one, all else the same: they now carry it (counted among the duplicates). */
  doiGained: number;
  /** Where the quarantined records and their reasons can be read, when there are any. */
  quarantine: string | null;
  /** What was read all the same but weakens the evidence (a DOI column missing, so its works merge with no other source's). */
  warnings: string[];
}

export interface UploadSummary {
  fileId: string;
  kind: string;
  bytes: number;
  kept: number;
  duplicates: number;
  quarantined: number;
  finishedAt: string | null;
  /** The caller's organisation uploaded it (else it was shared with it: read only). */
  own: boolean;
}

/** A visible upload: the scope its evidence is read from. */
export interface UploadRef {
  fileId: string;
  scope: EvidenceScope;
}

/**
 * The upload the caller may read under this id: its organisation's own, one shared with it, or
 * a file of the shared base. Each is looked up the same way whether or not another
 * organisation holds the id.
 */
export async function findUpload(store: Store, db: AppDb, actor: Actor, fileId: string): Promise<UploadRef> {
  authorize(actor, 'evidence.read');
  if ((await fileState(store, organisationScope(actor.orgId), fileId))?.finished) return { fileId, scope: organisationScope(actor.orgId) };
  const owners = await db.query<{ owner_org: string }>('SELECT owner_org FROM upload_shares WHERE org_id = $1 AND file_id = $2 ORDER BY owner_org', [actor.orgId, fileId]);
  for (const { owner_org } of owners) if ((await fileState(store, organisationScope(owner_org), fileId))?.finished) return { fileId, scope: organisationScope(owner_org) };
  if ((await fileState(store, SHARED, fileId))?.finished) return { fileId, scope: SHARED };
  throw new NotFoundError(`no uploaded export ${fileId}`);
}

/**
 * An organisation's uploaded publication exports: received, ingested into its own evidence
 * through the ingest workflow, listed, shared and looked up, with roles and organisations
 * checked here for every caller. Another organisation's upload does not exist for you unless
 * it was shared with you: a 404, the same as an id nobody uploaded.
 */
export class Uploads {
  readonly jobs = new Jobs();

  constructor(
    private readonly store: Store,
    private readonly db: AppDb,
    private readonly workflow: IngestWorkflow,
    private readonly home: string,
    readonly maxBytes: number,
  ) {
    // Bodies a crash left half received are never ingested: they only take room.
    for (const dir of existsSync(this.root) ? readdirSync(this.root) : []) {
      for (const f of existsSync(join(this.root, dir)) && ORG_ID.test(dir) ? readdirSync(join(this.root, dir)) : []) if (f.endsWith('.part')) rmSync(join(this.root, dir, f), { force: true });
    }
  }

  private get root(): string {
    return join(this.home, 'uploads');
  }

  /** Checked before a byte of the body is read. */
  mayUpload(actor: Actor, declaredBytes: number | null): void {
    authorize(actor, 'evidence.ingest');
    if (declaredBytes !== null && declaredBytes > this.maxBytes) throw new PayloadTooLargeError(`an upload may have at most ${this.maxBytes.toLocaleString('en')} bytes`);
  }

  /**
   * Receives a body into the organisation's upload directory under its content hash, hashing
   * as it arrives (no copy of it in memory), and starts ingesting it. The job runs on; `done`
   * settles when it ends.
   */
  async upload(actor: Actor, kind: WorkKind, body: AsyncIterable<Buffer>, name?: string): Promise<{ job: string; done: Promise<JobView<UploadResult>> }> {
    this.mayUpload(actor, null);
    if (!ORG_ID.test(actor.orgId)) throw new Error(`organisation id ${JSON.stringify(actor.orgId)} cannot name an upload directory`);
    const dir = join(this.root, actor.orgId);
    // An organisation's uploaded records: owner-only, as the store they go into.
    mkdirSync(dir, { recursive: true, mode: OWNER_ONLY_DIR });
    const part = join(dir, `incoming-${randomUUID()}.part`);
    const hash = createHash('sha256');
    const out = createWriteStream(part, { mode: OWNER_ONLY_FILE });
    let bytes = 0;
    let head: Buffer | null = null;
    try {
      for await (const chunk of body) {
        bytes += chunk.length;
        if (bytes > this.maxBytes) throw new PayloadTooLargeError(`an upload may have at most ${this.maxBytes.toLocaleString('en')} bytes`);
        head ??= chunk.subarray(0, 2);
        hash.update(chunk);
        if (!out.write(chunk)) await once(out, 'drain');
      }
      out.end();
      await once(out, 'finish');
    } catch (e) {
      out.destroy();
      rmSync(part, { force: true });
      throw e;
    }
    if (bytes === 0) {
      rmSync(part, { force: true });
      throw new InputError('the upload is empty');
    }
    const fileId = hash.digest('hex');
    const gzipped = head !== null && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    const path = join(dir, `${fileId}.${EXTENSION[kind]}${gzipped ? '.gz' : ''}`);
    // Renamed whole: a crash never leaves half a file under the final name.
    if (existsSync(path)) rmSync(part);
    else renameSync(part, path);
    const { id, done } = this.jobs.start<UploadResult>(
      actor.orgId,
      async (emit) => {
        const outcome = await this.workflow.run({ scope: organisationScope(actor.orgId), kind, files: [{ path, fileId, name: name === undefined ? undefined : uploadName(name) }] }, emit).catch(async (e: unknown) => {
          await this.removeRefused(actor.orgId, kind, fileId, path);
          throw e;
        });
        const r = outcome.files[0]!;
        const result: UploadResult = { fileId, kind, status: r.status, kept: r.kept, duplicates: r.duplicates, quarantined: r.quarantined, doiGained: r.doiGained ?? 0, quarantine: r.quarantined > 0 ? `/api/uploads/${fileId}/quarantine` : null, warnings: r.warnings ?? [] };
        crashPoint('upload.ingested');
        await this.db.transaction((tx) => appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'evidence.ingest', target: fileId, detail: { kind, status: r.status, kept: r.kept, quarantined: r.quarantined } }));
        crashPoint('upload.audited');
        return result;
      },
      (e) => {
        if (e instanceof IngestFileError || e instanceof InputError) return { status: 422, message: `the upload is not a readable ${kind} export: ${e.reason}` };
        if (e instanceof RefusalError) return { status: e.statusCode, message: e.message };
        // The detail stays in the server's log; the client learns that it failed.
        console.error(`upload ${fileId} of ${actor.orgId} failed:`, e);
        return { status: 500, message: 'the upload could not be ingested; the server log has the detail' };
      },
    );
    return { job: id, done };
  }

  /**
   * A refused upload's bytes are not kept: the organisation did not get them as evidence, and the
   * server should not hold what it refused. Only a file the organisation's evidence holds as
   * ingested stays (the same bytes uploaded before, and ingested, under the same kind).
   */
  private async removeRefused(orgId: string, kind: WorkKind, fileId: string, path: string): Promise<void> {
    const held = await fileState(this.store, organisationScope(orgId), fileId);
    if (!held?.finished || held.kind !== kind) rmSync(path, { force: true });
  }

  /**
   * Removes what earlier versions kept of refused uploads: every file under an organisation's
   * upload directory, named as an upload is, that the organisation's evidence does not hold under
   * its kind. One it holds unfinished is an ingest a crash or a stop interrupted, not a refusal: it
   * stays, so the same bytes sent again resume it. Run before uploads are taken; returns how many went.
   */
  async removeRefusedEarlier(): Promise<number> {
    const kinds = new Map(Object.entries(EXTENSION).map(([kind, ext]) => [ext, kind as WorkKind]));
    let removed = 0;
    for (const dir of existsSync(this.root) ? readdirSync(this.root, { withFileTypes: true }) : []) {
      const org = dir.name;
      if (!dir.isDirectory() || !ORG_ID.test(org)) continue;
      for (const f of readdirSync(join(this.root, org))) {
        const m = /^([0-9a-f]{64})\.(\w+)(\.gz)?$/.exec(f);
        const kind = m ? kinds.get(m[2]!) : undefined;
        if (!m || !kind) continue;
        const path = join(this.root, org, f);
        if ((await fileState(this.store, organisationScope(org), m[1]!))?.kind === kind) continue;
        rmSync(path, { force: true });
        removed++;
      }
    }
    return removed;
  }

  job(actor: Actor, id: string): JobView {
    authorize(actor, 'evidence.read');
    const view = this.jobs.get(actor.orgId, id);
    if (!view) throw new NotFoundError(`no upload job ${id}`);
    return view;
  }

  find(actor: Actor, fileId: string): Promise<UploadRef> {
    return findUpload(this.store, this.db, actor, fileId);
  }

  /** The organisation's uploads and those shared with it. */
  async list(actor: Actor): Promise<UploadSummary[]> {
    authorize(actor, 'evidence.read');
    const shares = await this.db.query<{ owner_org: string; file_id: string }>('SELECT owner_org, file_id FROM upload_shares WHERE org_id = $1', [actor.orgId]);
    const rows = await this.store.all<{ scope: string; file_id: string; kind: string; bytes: number; kept: number; duplicates: number; quarantined: number; finished_at: Date | null }>(
      `SELECT scope, file_id, kind, bytes::DOUBLE AS bytes, records_kept::DOUBLE AS kept, records_duplicate::DOUBLE AS duplicates, records_quarantined::DOUBLE AS quarantined, finished_at
       FROM upload_files WHERE scope = $1 OR list_contains(string_split($2, ','), scope || '/' || file_id) ORDER BY started_at DESC`,
      // Organisation ids and file ids hold no commas.
      [actor.orgId, shares.map((s) => `${s.owner_org}/${s.file_id}`).join(',')],
    );
    return rows.map((r) => ({ fileId: r.file_id, kind: r.kind, bytes: r.bytes, kept: r.kept, duplicates: r.duplicates, quarantined: r.quarantined, finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null, own: r.scope === actor.orgId }));
  }

  /** Shares one of the organisation's uploads read-only with another organisation; audited with the share. */
  async share(actor: Actor, fileId: string, orgId: string): Promise<void> {
    authorize(actor, 'evidence.share');
    if (!(await fileState(this.store, organisationScope(actor.orgId), fileId))?.finished) throw new NotFoundError(`no uploaded export ${fileId}`);
    if (orgId === actor.orgId) throw new IngestError('an upload is already visible to its own organisation');
    await this.db.transaction(async (tx) => {
      if (!(await tx.query('SELECT id FROM organisations WHERE id = $1', [orgId]))[0]) throw new NotFoundError(`no organisation ${orgId}`);
      await tx.query('INSERT INTO upload_shares (owner_org, file_id, org_id, shared_by, shared_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [actor.orgId, fileId, orgId, actor.userId, new Date().toISOString()]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'evidence.share', target: fileId, detail: { with: orgId }, rows: [['upload_shares', actor.orgId, fileId, orgId]] });
    });
  }

  /** The records of a visible upload that were set aside, with the reasons. */
  async quarantine(actor: Actor, fileId: string): Promise<{ recordNo: number; lineNo: number | null; reason: string; excerpt: string | null }[]> {
    const { scope } = await this.find(actor, fileId);
    const [table, where, params] = scope.kind === 'shared' ? ['quarantine', 'file_id = $1', [fileId]] : ['upload_quarantine', 'scope = $2 AND file_id = $1', [fileId, scope.orgId]];
    const rows = await this.store.all<{ record_no: number; line_no: number | null; reason: string; excerpt: string | null }>(`SELECT record_no::DOUBLE AS record_no, line_no::DOUBLE AS line_no, reason, excerpt FROM ${table} WHERE ${where} ORDER BY record_no LIMIT 10000`, params);
    return rows.map((r) => ({ recordNo: r.record_no, lineNo: r.line_no, reason: r.reason, excerpt: r.excerpt }));
  }
}
