import { randomUUID } from 'node:crypto';
import { statSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { DuckDBAppender, DuckDBValue } from '@duckdb/node-api';
import { crashPoint } from '../crash.ts';
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE } from '../owner-only.ts';
import { appendInSlices, type Store } from '../store/store.ts';
import { readHere, type Batch, type BatchSource, type ReadRequest } from './batches.ts';
import { fileId as contentId, prefixId } from './file-id.ts';
import { DEFAULT_LIMITS, InputError, LIST_SEPARATOR, type ReadLimits, type SourceName } from './records.ts';
import { sha256Hex } from '../sha256.ts';

/**
 * Whose evidence a file becomes: the shared base every organisation reads (changed only by an
 * administrator's ingest), or one organisation's own uploads.
 */
export type EvidenceScope = { kind: 'shared' } | { kind: 'organisation'; orgId: string };
export const SHARED: EvidenceScope = { kind: 'shared' };
export const organisationScope = (orgId: string): EvidenceScope => ({ kind: 'organisation', orgId });

export interface Progress {
  file: string;
  bytesDone: number;
  bytesTotal: number;
  records: number;
}

export interface IngestOptions {
  quarantineDir: string;
  batchSize?: number;
  onProgress?: (p: Progress) => void;
  /** The shared base (default) or an organisation's uploads. */
  scope?: EvidenceScope;
  limits?: ReadLimits;
  /** The file's content hash when the caller already has it (an upload hashed as it arrived). */
  fileId?: string;
  /** An upload's file name as the user gave it: reasons name the file by it (never by the server's path). */
  name?: string;
  /** Reads the file; by default here, on the calling thread. */
  open?: (request: ReadRequest) => BatchSource;
}

/** A file that could not be read as the kind it was given as; the reason names what was wrong. */
export class IngestFileError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

export interface IngestReport {
  file: string;
  kind: SourceName;
  fileId: string;
  status: 'ingested' | 'resumed' | 'already ingested';
  /** Of a file already ingested: when the run that read it finished (UTC, to the minute); its counts are that run's. */
  readAt?: string;
  kept: number;
  duplicates: number;
  quarantined: number;
  /** Records kept before without a DOI that this file gave again with one, all else the same: they now carry it (counted among the duplicates). */
  doiGained: number;
  /** What was read all the same but weakens the evidence (a DOI column missing): said with the counts. */
  warnings: string[];
  /** The quarantine file on this machine (for the command line; never sent over HTTP). */
  quarantinePath: string | null;
  bytes: number;
  seconds: number;
}

/**
 * The tables a scope's evidence lives in. The organisation tables carry the scope as their
 * first column; every statement below names it when, and only when, the tables have it.
 */
interface Tables {
  files: string;
  quarantine: string;
  records: string;
  authorships: string;
  affiliations: string;
  fields: string;
  scoped: boolean;
}

const SHARED_TABLES: Tables = { files: 'input_files', quarantine: 'quarantine', records: 'records', authorships: 'authorships', affiliations: 'affiliations', fields: 'record_fields', scoped: false };
const UPLOAD_TABLES: Tables = { files: 'upload_files', quarantine: 'upload_quarantine', records: 'upload_records', authorships: 'upload_authorships', affiliations: 'upload_affiliations', fields: 'upload_record_fields', scoped: true };

const tablesOf = (scope: EvidenceScope): Tables => (scope.kind === 'shared' ? SHARED_TABLES : UPLOAD_TABLES);

/** Statements take the file id as $1 and, in an organisation's tables, the scope as $2. */
const paramsOf = (scope: EvidenceScope, id: string, ...more: DuckDBValue[]): DuckDBValue[] => (scope.kind === 'shared' ? [id, ...more] : [id, scope.orgId, ...more]);
/** The index of the first parameter after the file id (and the scope). */
const nextParam = (t: Tables) => (t.scoped ? 3 : 2);
const inScope = (t: Tables, alias?: string) => (t.scoped ? `${alias ? `${alias}.` : ''}scope = $2 AND ` : '');
const scopeColumn = (t: Tables) => (t.scoped ? '$2::VARCHAR, ' : '');

/** A file's progress row, with its counts: whose it is decides where it is looked up. */
export async function fileState(store: Store, scope: EvidenceScope, id: string): Promise<{ kind: string; finished: boolean; readAt: string | null; lastNo: number; kept: number; duplicates: number; quarantined: number; doiGained: number } | null> {
  const t = tablesOf(scope);
  const row = await store.one<{ kind: string; finished: boolean; read_at: string | null; last_no: number; kept: number; duplicates: number; quarantined: number; doi_gained: number }>(
    `SELECT kind, finished_at IS NOT NULL AS finished, strftime(finished_at, '%Y-%m-%d %H:%M') AS read_at, last_record_no::DOUBLE AS last_no, records_kept::DOUBLE AS kept, records_duplicate::DOUBLE AS duplicates, records_quarantined::DOUBLE AS quarantined,
       coalesce(records_doi_gained, 0)::DOUBLE AS doi_gained
     FROM ${t.files} WHERE ${inScope(t)}file_id = $1`,
    paramsOf(scope, id),
  );
  return row ? { kind: row.kind, finished: row.finished, readAt: row.read_at, lastNo: row.last_no, kept: row.kept, duplicates: row.duplicates, quarantined: row.quarantined, doiGained: row.doi_gained } : null;
}

/** The kind a file was stored as, in the words `derisk ingest KIND` takes. */
const KIND_GIVEN: Record<string, string> = { 'patents-lens': 'lens', 'patents-patstat': 'patstat', 'aggregate-series': 'nsf' };
const kindGiven = (stored: string) => KIND_GIVEN[stored] ?? stored;
const recordCount = (n: number) => `${n} record${n === 1 ? '' : 's'}`;

/**
 * Bytes stored before as one kind, given again as another: a mistake in the kind given (over HTTP,
 * a 422), refused unread. One file is one export of one kind, and the earlier run's figures are
 * never this kind's (round 49: `ingest lens` of an ingested WoS export answered "already
 * ingested" with the WoS run's counts).
 */
export class OtherKindError extends InputError {
  constructor(
    readonly earlierKind: string,
    kind: string,
    id: string,
    path: string,
    /** Records an unfinished run of the earlier kind committed, when that run is what holds the bytes. */
    unfinished?: number,
  ) {
    super(
      unfinished === undefined
        ? `these bytes were ingested before as ${kindGiven(earlierKind)} (file ${id}), not as ${kindGiven(kind)}: one file is one export of one kind; give the kind it was ingested as, or check the file`
        : `a run that did not finish read these bytes as ${kindGiven(earlierKind)} (${recordCount(unfinished)}), not as ${kindGiven(kind)}, and may have replaced works held from other files with newer versions, which undoing it would lose: ingest them as ${kindGiven(earlierKind)} to finish it`,
      path,
    );
  }
}

/** Refuses bytes the scope holds (or is reading) as another kind than `kind`. */
export function refuseOtherKind(existing: { kind: string } | null, kind: string, id: string, path: string): void {
  if (existing && existing.kind !== kind) throw new OtherKindError(existing.kind, kind, id, path);
}

/**
 * Reads one bibliographic file into the store, into the shared base or an organisation's
 * uploads. Batches commit together with the file's progress mark, so a run killed at any point
 * resumes from the last committed batch and ends with exactly the counts of an uninterrupted
 * run. A file already ingested in the same scope adds nothing; records are deduplicated within
 * the scope only, so the counts never reveal what another organisation uploaded.
 */
export async function ingestWorks(store: Store, kind: SourceName, path: string, options: IngestOptions): Promise<IngestReport> {
  const started = performance.now();
  const scope = options.scope ?? SHARED;
  const t = tablesOf(scope);
  const atStart = statSync(path);
  const bytes = atStart.size;
  const known = options.fileId ? ({ kind: 'hashed', id: options.fileId } as const) : await recognise(store, scope, path, bytes);
  // Bytes that may have been read before are hashed first (the exact id decides "already
  // ingested" and where a legacy run resumes); other files are hashed as they are read.
  const id = known.kind === 'hash first' ? await contentId(path) : known.id;
  const provisional = known.kind === 'new' || known.kind === 'resume';
  const existing = await fileState(store, scope, id);
  // A file already ingested is not read again: its warnings were given when it was.
  const warnings: string[] = [];
  const report = (status: IngestReport['status'], counts: { kept: number; duplicates: number; quarantined: number; doiGained: number }, quarantinePath: string | null, finalId = id): IngestReport => ({
    file: path,
    kind,
    fileId: finalId,
    status,
    kept: counts.kept,
    duplicates: counts.duplicates,
    quarantined: counts.quarantined,
    doiGained: counts.doiGained,
    warnings,
    quarantinePath,
    bytes,
    seconds: (performance.now() - started) / 1000,
  });
  // Only a finished ingest claims the bytes (round 50: a killed `ingest wos` refused `ingest scopus` of them). A run of
  // another kind that never finished is replaced once the kind now given reads them, and until then stays resumable as
  // its own kind: the kind given again is the user's correction, but a reader refusing the bytes shows it was not one.
  let unfinishedOther = existing && !existing.finished && existing.kind !== kind ? existing : null;
  // A shared OpenAlex run replaces works held from other files by newer versions (REPLACED_BY_BATCH): undone, they would be lost.
  if (unfinishedOther?.kind === 'openalex' && !t.scoped && unfinishedOther.lastNo > 0) throw new OtherKindError(unfinishedOther.kind, kind, id, path, unfinishedOther.lastNo);
  if (!unfinishedOther) refuseOtherKind(existing, kind, id, path);
  // Its quarantined records are still set aside: say where, as the run that read it did.
  if (existing?.finished) return { ...report('already ingested', existing, existing.quarantined > 0 ? await writeQuarantine(store, scope, id, path, options.quarantineDir) : null), ...(existing.readAt ? { readAt: existing.readAt } : {}) };
  const resumeAfter = unfinishedOther ? 0 : (existing?.lastNo ?? 0);
  const begin = async () => {
    if (t.scoped) await store.run(`INSERT INTO ${t.files} (scope, file_id, path, kind, bytes, started_at, name) VALUES ($2, $1, $3, $4, $5, now(), $6)`, paramsOf(scope, id, path, kind, bytes, options.name ?? null));
    else await store.run(`INSERT INTO ${t.files} (file_id, path, kind, bytes, started_at) VALUES ($1, $2, $3, $4, now())`, paramsOf(scope, id, path, kind, bytes));
    if (provisional) await store.run(`INSERT INTO input_file_prefixes VALUES ($1, $2, 0, $3)`, [scopeKey(scope), id, EMPTY_SHA256]);
  };
  if (!existing) await begin();
  /** Takes out the unfinished run of another kind, rows, records and quarantine, before this run's first commit. */
  const replaceUnfinished = async () => {
    if (!unfinishedOther) return;
    await forgetRun(store, scope, id);
    await begin();
    unfinishedOther = null;
  };
  await createStaging(store);
  const source = (options.open ?? readHere)({ kind, path, resumeAfter, batchSize: options.batchSize ?? 20_000, limits: options.limits ?? DEFAULT_LIMITS });
  let seen = 0;
  let lastNo = resumeAfter;
  let read = { bytes: 0, sha256: null as string | null };
  // Reading the next batch overlaps with DuckDB merging the last one; batches still commit in order.
  let committing: Promise<void> = Promise.resolve();
  // Works held from other files this run replaced (OpenAlex, gone from the store once replaced) or gave a DOI.
  let replacedHeld = 0;
  try {
    for (let batch = await source.next(); batch; batch = await source.next()) {
      warnings.push(...batch.warnings);
      seen += batch.seen;
      lastNo = batch.lastNo;
      read = { bytes: batch.bytesDone, sha256: batch.fileSha256 };
      const b = batch;
      if (b.records.length === 0 && b.rejects.length === 0) continue;
      await committing;
      await replaceUnfinished();
      committing = commitBatch(store, scope, id, b, provisional).then((replaced) => void (replacedHeld += replaced));
      options.onProgress?.({ file: path, bytesDone: b.bytesDone, bytesTotal: bytes, records: seen });
    }
    await committing;
    await replaceUnfinished();
  } catch (e) {
    await committing.catch(() => undefined);
    const other = unfinishedOther;
    // The rows are the unfinished run's until it is replaced: it stays, to be resumed as its kind.
    if (other)
      throw e instanceof InputError ? new InputError(`${e.reason}; a run that did not finish read these bytes as ${kindGiven(other.kind)} (${recordCount(other.lastNo)}): it is kept, and ingesting them as ${kindGiven(other.kind)} resumes it`, path) : new IngestFileError(path, (e as Error).message);
    if (resumeAfter === 0 && lastNo === 0) await forgetProvisional(store, scope, id);
    throw e instanceof InputError ? e.inFile(path) : new IngestFileError(path, (e as Error).message);
  } finally {
    await source.close();
  }
  options.onProgress?.({ file: path, bytesDone: bytes, bytesTotal: bytes, records: seen });
  // No id names bytes that were written while they were read: the run is undone, so that running
  // again on the file as it is then ends as a clean run of it.
  const atEnd = statSync(path, { throwIfNoEntry: false });
  if (read.bytes !== bytes || atEnd?.size !== bytes || atEnd.mtimeMs !== atStart.mtimeMs) {
    const sizes = `${bytes} bytes at the start, ${read.bytes} read, ${atEnd ? `${atEnd.size} now` : 'gone now'}`;
    // Undoing a run that replaced held works or gave them a DOI (or may have, before it resumed) would lose them: it is left unfinished instead, as a killed run is.
    if (replacedHeld > 0 || resumeAfter > 0)
      throw new IngestFileError(path, `changed while it was read: ${sizes}; not finished, and what it read is kept (it may have replaced works held from other files, or given them a DOI, which undoing it would lose) — ingest it again once it no longer changes`);
    await forgetRun(store, scope, id);
    throw new IngestFileError(path, `changed while it was read: ${sizes}; nothing was finished — ingest it again once it no longer changes`);
  }
  const finalId = provisional ? read.sha256! : id;
  if (provisional) await settleId(store, scope, id, finalId, path, bytes);
  else await store.run(`UPDATE ${t.files} SET finished_at = now() WHERE ${inScope(t)}file_id = $1`, paramsOf(scope, id));
  const counts = (await fileState(store, scope, finalId))!;
  const quarantinePath = counts.quarantined > 0 ? await writeQuarantine(store, scope, finalId, path, options.quarantineDir) : null;
  return report(resumeAfter > 0 ? 'resumed' : 'ingested', counts, quarantinePath, finalId);
}

const EMPTY_SHA256 = sha256Hex('');
/** A finished file keeps the hash of this many first bytes: enough to tell most exports apart. */
const HEAD_BYTES = 1 << 20;
const scopeKey = (scope: EvidenceScope) => (scope.kind === 'shared' ? '' : scope.orgId);

/**
 * What the scope's files say of these bytes before they are read: maybe ingested before (the
 * same size and first MiB as a finished file, or a file with no prefix kept), a killed run of
 * them to resume (a provisional id whose committed prefix they begin with), or new.
 */
async function recognise(store: Store, scope: EvidenceScope, path: string, bytes: number): Promise<{ kind: 'hash first' } | { kind: 'resume'; id: string } | { kind: 'new'; id: string }> {
  const t = tablesOf(scope);
  const key = scopeKey(scope);
  // A run killed before its first commit left nothing to resume.
  const stale = await store.all<{ file_id: string }>(`SELECT file_id FROM ${t.files} WHERE ${t.scoped ? 'scope = $1 AND ' : ''}file_id LIKE 'partial-%' AND finished_at IS NULL AND last_record_no = 0`, t.scoped ? [key] : []);
  for (const { file_id } of stale) await forgetProvisional(store, scope, file_id);
  const rows = await store.all<{ file_id: string; finished: boolean; prefix_bytes: number | null; prefix_sha256: string | null }>(
    `SELECT f.file_id, f.finished_at IS NOT NULL AS finished, p.prefix_bytes::DOUBLE AS prefix_bytes, p.prefix_sha256
     FROM ${t.files} f LEFT JOIN input_file_prefixes p ON p.scope = $1 AND p.file_id = f.file_id
     WHERE ${t.scoped ? 'f.scope = $1 AND ' : ''}(f.finished_at IS NULL OR f.bytes = $2)`,
    [key, bytes],
  );
  const prefixes = new Map<number, Promise<string>>();
  const begins = (n: number, sha: string) => n <= bytes && (prefixes.get(n) ?? prefixes.set(n, prefixId(path, n)).get(n)!).then((h) => h === sha);
  for (const r of rows) {
    if (r.prefix_bytes === null || r.prefix_sha256 === null) return { kind: 'hash first' };
    if (r.finished && (await begins(r.prefix_bytes, r.prefix_sha256))) return { kind: 'hash first' };
  }
  for (const r of rows) if (!r.finished && r.prefix_bytes! > 0 && (await begins(r.prefix_bytes!, r.prefix_sha256!))) return { kind: 'resume', id: r.file_id };
  return { kind: 'new', id: `partial-${randomUUID()}` };
}

async function forgetProvisional(store: Store, scope: EvidenceScope, provisionalId: string): Promise<void> {
  const t = tablesOf(scope);
  await store.run(`DELETE FROM input_file_prefixes WHERE scope = $1 AND file_id = $2`, [scopeKey(scope), provisionalId]);
  await store.run(`DELETE FROM ${t.files} WHERE ${inScope(t)}file_id = $1`, paramsOf(scope, provisionalId));
}

/**
 * Removes a run that did not finish, with the records, rows and quarantine it committed. The
 * shared records stay in refresh_pending (each batch put them there), so the next refresh drops
 * whatever it may already count of them.
 */
async function forgetRun(store: Store, scope: EvidenceScope, id: string): Promise<void> {
  const t = tablesOf(scope);
  const ofRun = (x: string) => `EXISTS (SELECT 1 FROM ${t.records} r WHERE ${inScope(t, 'r')}${t.scoped ? `r.scope = ${x}.scope AND ` : ''}r.file_id = $1 AND r.source = ${x}.source AND r.source_id = ${x}.source_id)`;
  await store.transaction(async () => {
    for (const table of [t.authorships, t.affiliations, t.fields]) await store.run(`DELETE FROM ${table} x WHERE ${ofRun('x')}`, paramsOf(scope, id));
    for (const table of [t.records, t.quarantine, ...(t.scoped ? ['upload_file_records'] : ['record_updated', 'record_retracted'])]) await store.run(`DELETE FROM ${table} WHERE ${inScope(t)}file_id = $1`, paramsOf(scope, id));
    await forgetProvisional(store, scope, id);
  });
}

/** Gives a file read under a provisional id its content hash, in one transaction with marking it finished. */
async function settleId(store: Store, scope: EvidenceScope, provisionalId: string, id: string, path: string, bytes: number): Promise<void> {
  const t = tablesOf(scope);
  const head = await prefixId(path, Math.min(bytes, HEAD_BYTES));
  await store.transaction(async () => {
    if (await fileState(store, scope, id)) throw new Error(`these bytes (file ${id}) were ingested meanwhile by another run`);
    const params = paramsOf(scope, provisionalId, id);
    const p = nextParam(t);
    await store.run(`INSERT INTO ${t.files} SELECT * REPLACE ($${p}::VARCHAR AS file_id, now()::TIMESTAMP AS finished_at) FROM ${t.files} WHERE ${inScope(t)}file_id = $1`, params);
    await store.run(`DELETE FROM ${t.files} WHERE ${inScope(t)}file_id = $1`, paramsOf(scope, provisionalId));
    for (const table of [t.records, t.quarantine, ...(t.scoped ? ['upload_file_records'] : ['record_updated', 'record_retracted'])]) await store.run(`UPDATE ${table} SET file_id = $${p} WHERE ${inScope(t)}file_id = $1`, params);
    await store.run(`UPDATE input_file_prefixes SET file_id = $3, prefix_bytes = $4, prefix_sha256 = $5 WHERE scope = $1 AND file_id = $2`, [scopeKey(scope), provisionalId, id, Math.min(bytes, HEAD_BYTES), head]);
  });
}

/** The quarantine file is written from the store, so it always matches what was committed. */
async function writeQuarantine(store: Store, scope: EvidenceScope, id: string, path: string, dir: string): Promise<string> {
  const t = tablesOf(scope);
  const out = scope.kind === 'shared' ? dir : join(dir, scope.orgId);
  // Excerpts of an organisation's records: owner-only, as the store they come from.
  mkdirSync(out, { recursive: true, mode: OWNER_ONLY_DIR });
  const rows = await store.all(`SELECT record_no::DOUBLE AS record_no, line_no::DOUBLE AS line_no, reason, excerpt FROM ${t.quarantine} WHERE ${inScope(t)}file_id = $1 ORDER BY record_no`, paramsOf(scope, id));
  const file = join(out, `${basename(path)}.${id.slice(0, 12)}.quarantine.jsonl`);
  writeFileSync(file, rows.map((r) => JSON.stringify({ file: path, recordNo: r.record_no, lineNo: r.line_no, reason: r.reason, excerpt: r.excerpt })).join('\n') + '\n', { mode: OWNER_ONLY_FILE });
  return file;
}

/**
 * Staging tables take lists as one unit-separated string: appending DuckDB LIST values from JS
 * costs more than the rest of a row, and the merge splits them in SQL.
 */
async function createStaging(store: Store): Promise<void> {
  await store.run(`
    CREATE TEMP TABLE IF NOT EXISTS stage_records AS SELECT * REPLACE (''::VARCHAR AS funders), NULL::VARCHAR AS updated, NULL::BOOLEAN AS retracted FROM records LIMIT 0;
    CREATE TEMP TABLE IF NOT EXISTS stage_authorships AS SELECT *, 0::BIGINT AS record_no FROM authorships LIMIT 0;
    CREATE TEMP TABLE IF NOT EXISTS stage_affiliations AS SELECT * REPLACE (''::VARCHAR AS given_ror_ids, ''::VARCHAR AS given_countries, ''::VARCHAR AS given_names), 0::BIGINT AS record_no FROM affiliations LIMIT 0;
    CREATE TEMP TABLE IF NOT EXISTS stage_fields AS SELECT *, 0::BIGINT AS record_no FROM record_fields LIMIT 0;
    CREATE TEMP TABLE IF NOT EXISTS stage_quarantine AS SELECT * FROM quarantine LIMIT 0;
  `);
}

// An empty list is staged as NULL: '' is the list of one empty string (an institution OpenAlex gives a ROR id but no name).
const splitList = (column: string) => `CASE WHEN ${column} IS NULL THEN []::VARCHAR[] ELSE string_split(${column}, chr(${LIST_SEPARATOR.charCodeAt(0)})) END`;

/** Of the versions of a record a batch holds, the one kept: the newest by the source's updated date, else the first. */
const NEWEST_IN_BATCH = `QUALIFY row_number() OVER (PARTITION BY s.source, s.source_id ORDER BY s.updated DESC NULLS LAST, s.record_no) = 1`;

/**
 * OpenAlex gives a changed work again under its id (a snapshot's updated_date partitions): in the
 * shared base, such a record replaces the one held, rows and all, and its ROR ids are noted for
 * the refresh. From another file it does unless it is older than the one held (partitions
 * ingested out of order); from the same file (a work given twice in one file, or a resumed run)
 * only when it is newer, so that without dates the first copy stays.
 */
const REPLACED_BY_BATCH = `SELECT DISTINCT r.source, r.source_id, r.file_id = $1 AS of_this_file
  FROM records r JOIN (SELECT * FROM stage_records s WHERE s.file_id = $1 ${NEWEST_IN_BATCH}) s ON s.source = r.source AND s.source_id = r.source_id
  LEFT JOIN record_updated u ON u.source = r.source AND u.source_id = r.source_id AND u.file_id = r.file_id AND u.record_no = r.record_no
  WHERE r.source = 'openalex' AND (r.file_id <> $1 AND (s.updated IS NULL OR u.updated IS NULL OR s.updated >= u.updated) OR r.file_id = $1 AND s.updated > u.updated)`;
/** Run only when the batch replaced something: each statement scans a whole table of the store. */
const REPLACE_HELD = [
  `INSERT INTO refresh_pending_rors SELECT DISTINCT unnest(a.given_ror_ids) FROM affiliations a JOIN stage_replaced USING (source, source_id)`,
  ...['records', 'authorships', 'affiliations', 'record_fields', 'record_updated', 'record_retracted'].map((table) => `DELETE FROM ${table} x WHERE EXISTS (SELECT 1 FROM stage_replaced p WHERE p.source = x.source AND p.source_id = x.source_id)`),
];

/**
 * Moves a staged batch into the scope's tables: records not seen before in it, and the rows that
 * belong to them. The batch's kept records are worked out once into stage_kept, so the rows that
 * follow them join the batch alone, never the whole (growing) records table.
 */
function mergeBatch(t: Tables): string[] {
  const kept = (x: string) => `JOIN stage_kept k ON k.source = ${x}.source AND k.source_id = ${x}.source_id AND k.record_no = ${x}.record_no`;
  // The scope rides along in stage_kept: a statement naming $2 but not $1 binds one parameter only.
  const keptScope = t.scoped ? 'k.scope, ' : '';
  return [
    `CREATE OR REPLACE TEMP TABLE stage_kept AS SELECT ${t.scoped ? '$2::VARCHAR AS scope, ' : ''}s.source, s.source_id, s.record_no FROM stage_records s
     WHERE s.file_id = $1 AND NOT EXISTS (SELECT 1 FROM ${t.records} r WHERE ${inScope(t, 'r')} r.source = s.source AND r.source_id = s.source_id)
     ${NEWEST_IN_BATCH}`,
    `INSERT INTO ${t.records}
     SELECT ${keptScope}s.* EXCLUDE (updated, retracted) REPLACE (${splitList('s.funders')} AS funders) FROM stage_records s ${kept('s')}`,
    ...(t.scoped
      ? []
      : [
          `INSERT INTO record_updated SELECT s.source, s.source_id, s.file_id, s.record_no, s.updated FROM stage_records s ${kept('s')} WHERE s.updated IS NOT NULL`,
          `INSERT INTO record_retracted SELECT s.source, s.source_id, s.file_id, s.record_no FROM stage_records s ${kept('s')} WHERE s.retracted`,
        ]),
    `INSERT INTO ${t.authorships} SELECT ${keptScope}x.* EXCLUDE (record_no) FROM stage_authorships x ${kept('x')}`,
    `INSERT INTO ${t.affiliations}
     SELECT ${keptScope}x.* EXCLUDE (record_no) REPLACE (${splitList('x.given_ror_ids')} AS given_ror_ids, ${splitList('x.given_countries')} AS given_countries, ${splitList('x.given_names')} AS given_names) FROM stage_affiliations x ${kept('x')}`,
    `INSERT INTO ${t.fields} SELECT ${keptScope}x.* EXCLUDE (record_no) FROM stage_fields x ${kept('x')}`,
    `INSERT INTO ${t.quarantine} SELECT ${scopeColumn(t)}* FROM stage_quarantine WHERE file_id = $1`,
    // The shared records the batch brought are the next refresh's to count.
    t.scoped ? `INSERT INTO upload_file_records SELECT DISTINCT $2::VARCHAR, $1::VARCHAR, source, source_id FROM stage_records WHERE file_id = $1` : `INSERT INTO refresh_pending SELECT source, source_id FROM stage_kept`,
  ];
}
const MERGE = new Map<boolean, string[]>([SHARED_TABLES, UPLOAD_TABLES].map((t) => [t.scoped, mergeBatch(t)]));

const text = (a: DuckDBAppender, v: string | null) => (v === null ? a.appendNull() : a.appendVarchar(v));
const list = (a: DuckDBAppender, v: string[]) => (v.length === 0 ? a.appendNull() : a.appendVarchar(v.join(LIST_SEPARATOR)));

/**
 * OpenAlex works of the batch given under an id OpenAlex merged into another work (merged_works)
 * are set aside with the merge as the reason, not counted: the survivor is the work, and a copy
 * under the old id would count it twice. The work named is the end of the chain of merges (W1 into
 * W2, W2 into W3: W3), where the paper now is. Answers how many.
 */
async function setAsideMerged(store: Store, id: string): Promise<number> {
  const merged = `FROM stage_records s JOIN merged_works m ON m.source = s.source AND m.source_id = s.source_id JOIN input_files f ON f.file_id = m.file_id WHERE s.file_id = $1`;
  // Bounded: a cycle recorded before cycles were set aside must not hold the ingest.
  const survivors = `WITH RECURSIVE chain(source, source_id, survivor, steps) AS (
      SELECT m.source, m.source_id, m.merged_into, 1 FROM stage_records s JOIN merged_works m ON m.source = s.source AND m.source_id = s.source_id WHERE s.file_id = $1
      UNION ALL SELECT c.source, c.source_id, m.merged_into, c.steps + 1 FROM chain c JOIN merged_works m ON m.source = c.source AND m.source_id = c.survivor WHERE c.steps < 1000)
    SELECT source, source_id, arg_max(survivor, steps) AS survivor FROM chain GROUP BY ALL`;
  // Counted first: most batches hold no merged work, and the chain of merges is not worth following for none.
  const n = (await store.one<{ n: number }>(`SELECT count(*)::DOUBLE AS n ${merged}`, [id]))!.n;
  if (n === 0) return 0;
  await store.run(
    `INSERT INTO stage_quarantine SELECT $1, s.record_no, NULL, 'OpenAlex merged ' || s.source_id || ' into ' || m.merged_into || ' on ' || m.merge_date || ' (' || f.path || ', row ' || m.record_no || '): the work is ' || e.survivor || CASE WHEN e.survivor <> m.merged_into THEN ' (' || m.merged_into || ' was merged on into it)' ELSE '' END || ', not counted twice', s.source_id
     ${merged.replace('WHERE', `JOIN (${survivors}) e ON e.source = s.source AND e.source_id = s.source_id WHERE`)}`,
    [id],
  );
  await store.run(`DELETE FROM stage_records s WHERE s.file_id = $1 AND EXISTS (SELECT 1 FROM merged_works m WHERE m.source = s.source AND m.source_id = s.source_id)`, [id]);
  return n;
}

/** A version of a record as a reason shows it, but for its DOI. */
const restOf = (x: string) => `', year ' || coalesce(${x}.year::VARCHAR, 'none') || ', title "' || coalesce(left(${x}.title, 120), '') || '", affiliations "' || left(${x}.affs, 200) || CASE WHEN length(${x}.affs) > 200 THEN '…' ELSE '' END || '"'`;
const versionOf = (x: string) => `'DOI ' || coalesce(${x}.doi, 'none') || ${restOf(x)}`;
/** A record's affiliation strings in author and affiliation order: a co-author's institution added or changed is content. */
const affiliationsOf = (table: string, keys: string) => `SELECT a.source, a.source_id${keys}, string_agg(a.raw, ' | ' ORDER BY a.author_seq, a.aff_seq) AS affs FROM ${table} a`;

/**
 * A record given under an id already kept (a Scopus EID, a Web of Science UT, an OpenAlex id without an updated date)
 * whose DOI, title, year or affiliation strings differ is no re-send of it: the first stays kept, and this one is set aside with both
 * versions in the reason, never counted with the duplicates. Save one difference: a DOI where the kept record has none,
 * all else the same, is the record completed (an export read first without its DOI column, then again with it): the
 * kept record takes the DOI, so that it merges with other sources' copies from now on, and this one is a duplicate. So
 * is a record without the DOI the kept one has, all else the same (such an export given again after it was completed).
 * Dated OpenAlex versions replace one another by date instead (REPLACED_BY_BATCH). Answers how many were set aside,
 * how many kept records gained a DOI, and how many of those another file holds.
 */
async function completeOrSetAside(store: Store, scope: EvidenceScope, id: string): Promise<{ conflicts: number; gained: number; otherFilesGained: number }> {
  const t = tablesOf(scope);
  const params = paramsOf(scope, id);
  // Only a record whose id is held already or given again in the batch has a kept version to be compared with: the
  // rest (all of a new file's records, mostly) are left out before their affiliation strings are put together.
  await store.run(
    `CREATE OR REPLACE TEMP TABLE stage_again AS SELECT s.* FROM stage_records s
     WHERE s.file_id = $1 AND (EXISTS (SELECT 1 FROM ${t.records} r WHERE ${inScope(t, 'r')}r.source = s.source AND r.source_id = s.source_id)
       OR EXISTS (SELECT 1 FROM stage_records o WHERE o.file_id = $1 AND o.source = s.source AND o.source_id = s.source_id AND o.record_no <> s.record_no))`,
    params,
  );
  if ((await store.one<{ n: number }>(`SELECT count(*)::DOUBLE AS n FROM stage_again`))!.n === 0) return { conflicts: 0, gained: 0, otherFilesGained: 0 };
  await store.run(
    `CREATE OR REPLACE TEMP TABLE stage_compared AS
     WITH staged_affs AS (${affiliationsOf('stage_affiliations', ', a.record_no')} SEMI JOIN stage_again s ON s.source = a.source AND s.source_id = a.source_id AND s.record_no = a.record_no GROUP BY ALL),
     held_affs AS (${affiliationsOf(t.affiliations, '')}
       WHERE ${inScope(t, 'a')}EXISTS (SELECT 1 FROM stage_again s WHERE s.source = a.source AND s.source_id = a.source_id) GROUP BY ALL),
     staged AS (SELECT s.*, coalesce(sa.affs, '') AS affs FROM stage_again s
       LEFT JOIN staged_affs sa ON sa.source = s.source AND sa.source_id = s.source_id AND sa.record_no = s.record_no),
     held AS (SELECT r.source, r.source_id, r.doi, r.title, r.year, r.file_id, r.record_no, coalesce(ha.affs, '') AS affs, true AS held FROM ${t.records} r
       LEFT JOIN held_affs ha ON ha.source = r.source AND ha.source_id = r.source_id
       WHERE ${inScope(t, 'r')}EXISTS (SELECT 1 FROM stage_again s WHERE s.source = r.source AND s.source_id = r.source_id)),
     firsts AS (SELECT s.source, s.source_id, s.doi, s.title, s.year, s.file_id, s.record_no, s.affs, false AS held FROM staged s
       WHERE NOT EXISTS (SELECT 1 FROM held h WHERE h.source = s.source AND h.source_id = s.source_id) ${NEWEST_IN_BATCH}),
     kept AS (SELECT * FROM held UNION ALL SELECT * FROM firsts)
     SELECT s.source, s.source_id, s.record_no, s.doi, k.held, k.file_id AS kept_file, k.record_no AS kept_no,
       (s.doi IS NOT NULL AND s.doi IS DISTINCT FROM k.doi) OR s.title IS DISTINCT FROM k.title OR s.year IS DISTINCT FROM k.year OR s.affs <> k.affs AS differs,
       k.doi IS NULL AND s.doi IS NOT NULL AND s.title IS NOT DISTINCT FROM k.title AND s.year IS NOT DISTINCT FROM k.year AND s.affs = k.affs AS completes,
       'same id, different content: ' || s.source_id || ' is kept as record ' || k.record_no
         || CASE WHEN k.file_id = $1 THEN ' of this file' ELSE ' of file ' || coalesce(${t.scoped ? 'f.name' : 'parse_filename(f.path)'} || ' (' || k.file_id || ')', k.file_id) END AS kept_as,
       k.doi AS kept_doi, ${restOf('k')} AS kept_rest, ${versionOf('s')} AS given
     FROM staged s JOIN kept k ON k.source = s.source AND k.source_id = s.source_id
       -- The earlier file as the user gave it: a command line's base name (not its directories), an upload's name.
       LEFT JOIN ${t.files} f ON ${inScope(t, 'f')}f.file_id = k.file_id
     WHERE s.updated IS NULL AND NOT (k.file_id = s.file_id AND k.record_no = s.record_no)`,
    params,
  );
  // The first record to give the DOI completes the kept one; a later one giving another DOI differs from it.
  await store.run(`CREATE OR REPLACE TEMP TABLE stage_gained AS SELECT source, source_id, held, kept_file, kept_no, arg_min(doi, record_no) AS doi FROM stage_compared WHERE completes GROUP BY ALL`);
  // The kept version named is the completed one.
  await store.run(`CREATE OR REPLACE TEMP TABLE stage_conflicts AS
    SELECT c.source, c.source_id, c.record_no, c.kept_as || ' (DOI ' || coalesce(c.kept_doi, g.doi, 'none') || c.kept_rest || '); this record gives ' || c.given || ': the first is kept, this one set aside' AS reason
    FROM stage_compared c LEFT JOIN stage_gained g USING (source, source_id) WHERE c.differs AND NOT (c.completes AND c.doi = g.doi)`);
  const { conflicts, gained, held } = (await store.one<{ conflicts: number; gained: number; held: number }>(`SELECT (SELECT count(*) FROM stage_conflicts)::DOUBLE AS conflicts, count(*)::DOUBLE AS gained, count(*) FILTER (WHERE kept_file <> $1)::DOUBLE AS held FROM stage_gained`, [id]))!;
  if (gained > 0) {
    // The kept record of this batch is completed before it is merged; one held is completed where it is, and its work
    // (keyed by its id until now, by the DOI from now on) is the next refresh's to move.
    await store.run(`UPDATE stage_records s SET doi = g.doi FROM stage_gained g WHERE NOT g.held AND s.file_id = $1 AND s.source = g.source AND s.source_id = g.source_id AND s.record_no = g.kept_no`, [id]);
    await store.run(`UPDATE ${t.records} r SET doi = g.doi FROM stage_gained g WHERE ${scope.kind === 'shared' ? '' : 'r.scope = $1 AND '}g.held AND r.source = g.source AND r.source_id = g.source_id AND r.doi IS NULL`, scope.kind === 'shared' ? undefined : [scope.orgId]);
    if (!t.scoped) await store.run(`INSERT INTO refresh_pending SELECT source, source_id FROM stage_gained WHERE held`);
  }
  if (conflicts > 0) {
    await store.run(`INSERT INTO stage_quarantine SELECT $1, c.record_no, NULL, c.reason, c.source_id FROM stage_conflicts c`, [id]);
    await store.run(`DELETE FROM stage_records s WHERE s.file_id = $1 AND EXISTS (SELECT 1 FROM stage_conflicts c WHERE c.source = s.source AND c.source_id = s.source_id AND c.record_no = s.record_no)`, [id]);
  }
  return { conflicts, gained, otherFilesGained: held };
}

/** Commits one batch; answers how many works held from other files its OpenAlex records replaced or its records gave a DOI. */
async function commitBatch(store: Store, scope: EvidenceScope, id: string, batch: Batch, provisional: boolean): Promise<number> {
  const t = tablesOf(scope);
  const { records, recordNos, rejects, lastNo } = batch;
  let replaced = 0;
  await store.transaction(async () => {
    for (const x of ['records', 'authorships', 'affiliations', 'fields', 'quarantine']) await store.run(`DELETE FROM stage_${x}`);
    const c = store.connection;
    const rec = await c.createAppender('stage_records');
    const aut = await c.createAppender('stage_authorships');
    const aff = await c.createAppender('stage_affiliations');
    const fld = await c.createAppender('stage_fields');
    await appendInSlices(
      records.map((r, i) => [r, recordNos[i]!] as const),
      [rec, aut, aff, fld],
      ([r, no]) => {
        text(rec, r.source);
        text(rec, r.sourceId);
        text(rec, r.doi);
        text(rec, r.pmid);
        text(rec, r.title);
        r.year === null ? rec.appendNull() : rec.appendInteger(r.year);
        text(rec, r.type);
        list(rec, r.funders);
        text(rec, id);
        rec.appendInteger(no);
        text(rec, r.updated ?? null);
        r.retracted === undefined || r.retracted === null ? rec.appendNull() : rec.appendBoolean(r.retracted);
        rec.endRow();
        r.authorships.forEach((a, authorSeq) => {
          text(aut, r.source);
          text(aut, r.sourceId);
          aut.appendInteger(authorSeq);
          text(aut, a.name);
          text(aut, a.position);
          a.isCorresponding === null ? aut.appendNull() : aut.appendBoolean(a.isCorresponding);
          aut.appendInteger(no);
          aut.endRow();
          a.affiliations.forEach((f, affSeq) => {
            text(aff, r.source);
            text(aff, r.sourceId);
            aff.appendInteger(authorSeq);
            aff.appendInteger(affSeq);
            text(aff, f.raw);
            list(aff, f.givenRorIds);
            list(aff, f.givenCountryCodes);
            list(aff, f.givenNames);
            aff.appendInteger(no);
            aff.endRow();
          });
        });
        for (const f of r.fields) {
          text(fld, r.source);
          text(fld, r.sourceId);
          text(fld, f.scheme);
          text(fld, f.id);
          text(fld, f.name);
          f.score === null ? fld.appendNull() : fld.appendDouble(f.score);
          fld.appendInteger(no);
          fld.endRow();
        }
      },
    );
    const qua = await c.createAppender('stage_quarantine');
    for (const q of rejects) {
      text(qua, id);
      qua.appendInteger(q.recordNo);
      q.lineNo === null ? qua.appendNull() : qua.appendInteger(q.lineNo);
      text(qua, q.reason);
      text(qua, q.excerpt);
      qua.endRow();
    }
    for (const a of [rec, aut, aff, fld, qua]) a.closeSync();
    const setAside = t.scoped ? 0 : await setAsideMerged(store, id);
    // A record of this file a newer copy replaced was counted kept: now the copy is, and it a duplicate.
    let replacedOwn = 0;
    if (!t.scoped) {
      await store.run(`CREATE OR REPLACE TEMP TABLE stage_replaced AS ${REPLACED_BY_BATCH}`, [id]);
      const r = (await store.one<{ held: number; own: number }>(`SELECT count(*) FILTER (WHERE NOT of_this_file)::DOUBLE AS held, count(*) FILTER (WHERE of_this_file)::DOUBLE AS own FROM stage_replaced`))!;
      [replaced, replacedOwn] = [r.held, r.own];
      if (replaced + replacedOwn > 0) for (const sql of REPLACE_HELD) await store.run(sql);
    }
    const { conflicts, gained, otherFilesGained } = await completeOrSetAside(store, scope, id);
    replaced += otherFilesGained;
    for (const sql of MERGE.get(t.scoped)!) await store.run(sql, /\$\d/.test(sql) ? paramsOf(scope, id) : undefined);
    const newlyKept = (await store.one<{ n: number }>(`SELECT count(*)::DOUBLE AS n FROM stage_kept`))!.n;
    const p = nextParam(t);
    await store.run(
      `UPDATE ${t.files} f SET last_record_no = $${p}, records_kept = records_kept + $${p + 1}, records_duplicate = records_duplicate + $${p + 2}, records_quarantined = records_quarantined + $${p + 3},
         records_doi_gained = coalesce(records_doi_gained, 0) + $${p + 4} WHERE ${inScope(t)}file_id = $1`,
      paramsOf(scope, id, lastNo, newlyKept - replacedOwn, records.length - setAside - conflicts - newlyKept + replacedOwn, rejects.length + setAside + conflicts, gained),
    );
    if (provisional) await store.run(`UPDATE input_file_prefixes SET prefix_bytes = $3, prefix_sha256 = $4 WHERE scope = $1 AND file_id = $2`, [scopeKey(scope), id, batch.bytesDone, batch.prefixSha256]);
  });
  crashPoint('ingest.batch-committed');
  return replaced;
}
