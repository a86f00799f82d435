import { createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { AppDb, AppRow, AppTx } from '../appdb/db.ts';
import { credentialMac, credentialMacMatches, loadAuditKey, readAnchor, writeAnchor, type Anchor, type AuditSeal } from './audit-seal.ts';
import { authorize, type Actor } from './authorize.ts';
import { sha256Hex } from '../sha256.ts';

/** A row of the application database an entry created, changed or deleted: its table and key values. */
export type RowRef = [table: TrackedTable, ...key: string[]];

export interface AuditEntry {
  actor: string;
  orgId: string | null;
  action: string;
  target: string;
  detail: Record<string, unknown>;
  /** The rows this change wrote; their digests go into the entry, and verify compares the rows with them. */
  rows?: RowRef[];
  /** The entry's number, when the rows already carry it (from nextAuditSeq): a mismatch is refused. */
  seq?: number;
}

type Stored = {
  seq: number;
  recorded_at: string;
  actor: string;
  org_id: string | null;
  action: string;
  target: string;
  detail: string;
  prev_hash: string;
  hash: string;
  row_digests: string | null;
  mac: string | null;
};

/**
 * The tables whose rows must match the audit trail, the columns that matter and, where the row
 * says it, its organisation. `cases.updated_at` is left out: it moves with every verdict.
 */
export const TRACKED = {
  organisations: { key: ['id'], columns: ['id', 'name', 'created_at'], org: 'id' },
  users: { key: ['id'], columns: ['id', 'org_id', 'email', 'name', 'role', 'password_hash', 'disabled', 'created_at'], org: 'org_id' },
  api_tokens: { key: ['id'], columns: ['id', 'token_hash', 'user_id', 'label', 'revoked', 'created_at'], org: null },
  cases: { key: ['id'], columns: ['id', 'org_id', 'client_key', 'title', 'doc', 'created_by', 'created_at'], org: 'org_id' },
  case_shares: { key: ['case_id', 'org_id'], columns: ['case_id', 'org_id', 'shared_by', 'shared_at'], org: null },
  upload_shares: { key: ['owner_org', 'file_id', 'org_id'], columns: ['owner_org', 'file_id', 'org_id', 'shared_by', 'shared_at'], org: 'owner_org' },
  assessments: { key: ['id'], columns: ['id', 'case_id', 'org_id', 'created_by', 'created_at', 'rulebook_id', 'rulebook_version', 'rulebook_hash', 'snapshot', 'overall', 'result'], org: 'org_id' },
  notes: { key: ['id'], columns: ['id', 'case_id', 'org_id', 'author', 'created_at', 'body'], org: 'org_id' },
  assessment_decisions: { key: ['assessment_id'], columns: ['assessment_id', 'org_id', 'decision', 'conditions', 'decided_by', 'decided_at'], org: 'org_id' },
  entity_notes: { key: ['id'], columns: ['id', 'org_id', 'subject_kind', 'subject', 'subject_label', 'body', 'opinion', 'author', 'created_at'], org: 'org_id' },
  namesake_decisions: { key: ['id'], columns: ['id', 'org_id', 'name', 'name_key', 'list_id', 'entry_id', 'entry_name', 'reason', 'author', 'created_at'], org: 'org_id' },
  match_corrections: { key: ['id'], columns: ['id', 'org_id', 'raw', 'string_key', 'ror_id', 'verdict', 'reason', 'author', 'created_at'], org: 'org_id' },
  exchange_sharing: { key: ['kind', 'item_id'], columns: ['kind', 'item_id', 'org_id', 'distribution', 'tlp', 'changed_by', 'changed_at'], org: 'org_id' },
  exchange_subscriptions: { key: ['id'], columns: ['id', 'source', 'public_key', 'key_id', 'added_by', 'added_at', 'publisher', 'last_sequence'], org: null },
  exchange_received: { key: ['kind', 'uuid'], columns: ['kind', 'uuid', 'subscription_id', 'publisher', 'key_id', 'published_at', 'pulled_at', 'origin_org', 'distribution', 'tlp', 'subject_key', 'doc'], org: null },
  // Where alerts go: a webhook planted behind derisk's back would receive an organisation's alerts.
  webhooks: { key: ['id'], columns: ['id', 'org_id', 'url', 'secret', 'created_by', 'created_at', 'disabled', 'disabled_reason'], org: 'org_id' },
  feed_tokens: { key: ['id'], columns: ['id', 'user_id', 'token_hash', 'created_at', 'revoked'], org: null },
  // Knowledge-base entries feed verdicts: a version or review written behind derisk would be cited as policy.
  kb_entries: { key: ['id'], columns: ['id', 'version', 'created_at', 'updated_at'], org: null },
  kb_versions: {
    key: ['entry_id', 'version'],
    columns: ['entry_id', 'version', 'recorded_at', 'recorded_by', 'recorder_name', 'org_id', 'origin', 'note', 'status', 'title', 'jurisdiction', 'topics', 'changed', 'doc', 'doc_hash', 'audit_seq'],
    org: null,
  },
  kb_reviews: { key: ['entry_id', 'version'], columns: ['entry_id', 'version', 'reviewed_at', 'reviewed_by', 'reviewer_name', 'org_id', 'note', 'audit_seq'], org: 'org_id' },
  // Who takes alerts by mail: a subscription switched on behind a user's back would mail them the organisation's alerts.
  mail_subscriptions: { key: ['user_id'], columns: ['user_id', 'mode', 'unsubscribe_token', 'updated_at'], org: null },
  // A received correction accepted behind derisk's back would change what an organisation's evidence says.
  match_corrections_accepted: { key: ['org_id', 'uuid'], columns: ['org_id', 'uuid', 'accepted_by', 'accepted_at'], org: 'org_id' },
  // A withdrawal deleted behind derisk's back would put a correction back in force, one planted would take it out.
  match_correction_withdrawals: { key: ['correction_id'], columns: ['correction_id', 'org_id', 'reason', 'withdrawn_by', 'withdrawn_at'], org: 'org_id' },
  // Who a shared item is restricted to: a recipient planted behind derisk's back would receive it.
  exchange_recipients: { key: ['kind', 'item_id', 'recipient_uuid'], columns: ['kind', 'item_id', 'recipient_uuid', 'recipient_name', 'org_id', 'added_by', 'added_at'], org: 'org_id' },
  // What each group of anonymised verdicts last released: a release rewritten behind derisk's back would let one organisation's verdict out alone.
  exchange_releases: { key: ['group_key'], columns: ['group_key', 'state', 'items', 'released_at'], org: null },
  // What alerts are about: an item deleted or changed behind derisk's back would silence an organisation's alerts, one planted would watch for it.
  watch_items: { key: ['id'], columns: ['id', 'org_id', 'user_id', 'kind', 'ref', 'label', 'created_by', 'created_at'], org: 'org_id' },
} as const;

/**
 * Columns that repeat a value of a tracked JSON column, for indexes: they are left out of the row
 * digest (verdicts audited before they existed would all differ) and checked against the document
 * instead — a re-assessment date moved behind derisk's back would silence its alert, a case version
 * moved would let a verdict of an edited case be decided.
 */
const REPEATED: Partial<Record<TrackedTable, { document: string; columns: Record<string, string> }>> = {
  assessments: { document: 'result', columns: { as_of: 'asOf', reassess_by: 'reassessBy', case_version: 'caseVersion' } },
};

/**
 * Tables tracked since a trail may have been sealed: their rows as they stand are recorded once,
 * by an `audit.track` entry, the first time a sealed trail is opened by a version that tracks them.
 */
const TRACKED_LATER: readonly TrackedTable[] = ['webhooks', 'feed_tokens', 'kb_entries', 'kb_versions', 'kb_reviews', 'mail_subscriptions', 'match_corrections_accepted', 'exchange_recipients', 'watch_items', 'exchange_releases'];
export type TrackedTable = keyof typeof TRACKED;

const GENESIS = '0'.repeat(64);

// Entries written before the trail was sealed have neither row digests nor a MAC; their hash keeps its old form.
const entryHash = (e: Omit<Stored, 'hash' | 'mac'>): string => sha256Hex(JSON.stringify([e.seq, e.recorded_at, e.actor, e.org_id, e.action, e.target, e.detail, e.prev_hash, ...(e.row_digests === null ? [] : [e.row_digests])]));

/** The same value whichever database returns it (a boolean may come back as 0/1, a BIGINT as a number). */
const canonical = (v: unknown): unknown => (v === null || v === undefined ? null : typeof v === 'boolean' ? Number(v) : typeof v === 'number' || typeof v === 'bigint' ? Number(v) : String(v));

export function rowDigest(table: TrackedTable, row: AppRow): string {
  return sha256Hex(JSON.stringify([table, ...TRACKED[table].columns.map((c) => canonical(row[c]))]));
}

const refName = (table: string, key: unknown[]) => [table, ...key.map(String)].join('/');

async function digestsOf(tx: AppTx, refs: RowRef[]): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const [table, ...key] of refs) {
    const spec = TRACKED[table];
    if (key.length !== spec.key.length) throw new Error(`audit: ${table} rows are named by ${spec.key.join(', ')}`);
    const row = (await tx.query(`SELECT ${spec.columns.join(', ')} FROM ${table} WHERE ${spec.key.map((k, i) => `${k} = $${i + 1}`).join(' AND ')}`, key))[0];
    out[refName(table, key)] = row ? rowDigest(table, row) : null;
  }
  return out;
}

/** Which seal a database or one of its transactions writes with (see sealAudit). */
const SEALS = new WeakMap<object, { seal: AuditSeal; appended?: (head: { seq: number; hash: string }) => void }>();

/**
 * Appends one entry to the audit chain, inside the caller's transaction: the change and its
 * record land together or not at all. Transactions serialise appends (see AppDb.transaction).
 */
export async function appendAudit(tx: AppTx, entry: AuditEntry): Promise<number> {
  const last = entry.action === 'audit.track' ? await headOf(tx) : await startedHead(tx);
  const seq = Number(last?.seq ?? 0) + 1;
  if (entry.seq !== undefined && entry.seq !== seq) throw new Error(`audit: the rows carry entry ${entry.seq}, but the next entry is ${seq}`);
  const row = {
    seq,
    recorded_at: new Date().toISOString(),
    actor: entry.actor,
    org_id: entry.orgId,
    action: entry.action,
    target: entry.target,
    detail: JSON.stringify(entry.detail),
    prev_hash: last?.hash ?? GENESIS,
    row_digests: JSON.stringify(await digestsOf(tx, entry.rows ?? [])),
  };
  const hash = entryHash(row);
  const sealed = SEALS.get(tx);
  const mac = sealed ? macOf(sealed.seal, hash) : null;
  await tx.query('INSERT INTO audit (seq, recorded_at, actor, org_id, action, target, detail, prev_hash, hash, row_digests, mac) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
    row.seq,
    row.recorded_at,
    row.actor,
    row.org_id,
    row.action,
    row.target,
    row.detail,
    row.prev_hash,
    hash,
    row.row_digests,
    mac,
  ]);
  sealed?.appended?.({ seq: row.seq, hash });
  return row.seq;
}

const headOf = async (tx: AppTx) => (await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'))[0];

/** The trail's last entry; a trail begins by saying which later-tracked tables it tracks from the start. */
async function startedHead(tx: AppTx): Promise<{ seq: number; hash: string } | undefined> {
  const last = await headOf(tx);
  if (last) return last;
  await appendAudit(tx, await trackEntry(tx, TRACKED_LATER));
  return headOf(tx);
}

/**
 * The number the next entry appended in this transaction takes, for rows that store their own
 * entry's number (the knowledge base's versions and reviews): write them, then append with `seq`,
 * so the entry records the rows as written. Transactions serialise appends, so the number holds.
 */
export async function nextAuditSeq(tx: AppTx): Promise<number> {
  return Number((await startedHead(tx))?.seq ?? 0) + 1;
}

const macOf = (seal: AuditSeal, hash: string) => createHmac('sha256', seal.key).update(hash).digest('hex');

/** Whether an entry's MAC is the one its hash has under the key. */
function entryMacHolds(seal: AuditSeal, hash: string, mac: string | null): boolean {
  const got = mac ? Buffer.from(mac, 'hex') : Buffer.alloc(0);
  const want = Buffer.from(macOf(seal, hash), 'hex');
  return got.length === want.length && timingSafeEqual(got, want);
}

/**
 * The database with its audit trail sealed: every entry appended through it carries a MAC under
 * the key outside the database, and after every transaction that appended, the new head is
 * written to the anchor file outside the database. Everything else passes through unchanged.
 */
export function sealAudit(db: AppDb, seal: AuditSeal): AppDb {
  const transaction = async <T>(work: (tx: AppTx) => Promise<T>): Promise<T> => {
    let head: { seq: number; hash: string } | null = null;
    const result = await db.transaction((tx) => {
      const sealedTx: AppTx = { query: (sql, params) => tx.query(sql, params) };
      SEALS.set(sealedTx, { seal, appended: (h) => (head = h) });
      return work(sealedTx);
    });
    // After the commit: a rolled-back entry is never anchored.
    if (head) writeAnchor(seal, head);
    return result;
  };
  const sealed = new Proxy(db, {
    get(target, prop) {
      if (prop === 'transaction') return transaction;
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  SEALS.set(sealed, { seal });
  return sealed;
}

export const sealOf = (db: AppDb): AuditSeal | null => SEALS.get(db)?.seal ?? null;

/**
 * Opens the seal of an installation's trail (creating key and anchor on first use) and returns the
 * database sealed with it. A trail kept before sealing gets one entry recording every row as it
 * stands, so that later changes made outside derisk show.
 */
export async function openSealedTrail(db: AppDb, paths: { keyPath: string; anchorPath: string }): Promise<AppDb> {
  const keyExisted = existsSync(paths.keyPath);
  if (!keyExisted && existsSync(paths.anchorPath)) {
    throw new Error(`the audit key ${paths.keyPath} is missing, but ${paths.anchorPath} says the trail was sealed with one: put the key back (from a backup), or remove the anchor to seal the trail anew`);
  }
  const seal: AuditSeal = { key: loadAuditKey(paths.keyPath), ...paths };
  const sealed = sealAudit(db, seal);
  if (!readAnchor(seal)) await anchorFirst(sealed, seal, keyExisted);
  await trackLaterTables(sealed);
  await recordMovedRows(sealed);
  await vouchForTokens(sealed, seal);
  return sealed;
}

/**
 * Anchors a trail that has no anchor where nothing can have been lost: an empty trail (a new
 * home), or a trail kept before sealing, opened for the first time (no key yet, no MAC), which an
 * `audit.seal` entry seals. Any other trail with entries is left without an anchor: the anchor was
 * lost or deleted — perhaps with the tail of the trail — and anchoring it now would hide that.
 * Verify reports it until an administrator anchors it on purpose (anchorAnew, audited).
 */
async function anchorFirst(sealed: AppDb, seal: AuditSeal, keyExisted: boolean): Promise<void> {
  const tail = (await sealed.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'))[0];
  if (!tail) {
    writeAnchor(seal, { seq: 0, hash: GENESIS }, 1);
    return;
  }
  if (keyExisted || (await firstSealedSeq(sealed)) !== null) return;
  let head: { seq: number; hash: string } | null = null;
  await sealed.transaction(async (tx) => {
    const seq = await appendAudit(tx, { actor: 'operator', orgId: null, action: 'audit.seal', target: 'audit', detail: { entriesBefore: Number(tail.seq) }, rows: await allRows(tx) });
    head = { seq, hash: (await headOf(tx))!.hash };
  });
  writeAnchor(seal, head!, head!.seq);
}

const firstSealedSeq = async (db: AppDb | AppTx): Promise<number | null> => {
  const seq = (await db.query<{ seq: number | null }>('SELECT min(seq) AS seq FROM audit WHERE mac IS NOT NULL'))[0]?.seq;
  return seq === null || seq === undefined ? null : Number(seq);
};

/**
 * Anchors the trail as it stands, on an administrator's word: after a restore, for another server
 * process on a shared database, or once an anchor reported missing has been accounted for. The
 * entry it appends says why, and which head and previous anchor it found; a trail never sealed
 * has its rows recorded by it, as `audit.seal` would. Rows changed outside derisk stay reported.
 */
export async function anchorAnew(sealed: AppDb, reason: string): Promise<{ seq: number; hash: string }> {
  const seal = sealOf(sealed);
  if (!seal) throw new Error('the audit trail is not sealed: open it with its key to anchor it');
  if (reason.trim().length < 3) throw new Error('anchoring the audit trail anew needs a reason (--reason), which the trail records');
  const previous = readAnchor(seal);
  let head: { seq: number; hash: string } | null = null;
  let sealedFrom = 0;
  await sealed.transaction(async (tx) => {
    const tail = await headOf(tx);
    const firstSealed = await firstSealedSeq(tx);
    const detail = { reason: reason.trim().slice(0, 500), head: tail ? { seq: Number(tail.seq), hash: tail.hash } : null, previousAnchor: previous ? { seq: previous.seq, hash: previous.hash, at: previous.at } : null };
    const seq = await appendAudit(tx, { actor: 'operator', orgId: null, action: 'audit.anchor', target: 'audit', detail, rows: firstSealed === null ? await allRows(tx) : [] });
    head = { seq, hash: (await headOf(tx))!.hash };
    sealedFrom = firstSealed ?? seq;
  });
  writeAnchor(seal, head!, sealedFrom);
  return head!;
}

/** What is wrong with the anchor of a sealed trail that has entries, or null (see openSealedTrail). */
export async function missingAnchor(db: AppDb | AppTx, seal: AuditSeal | null, anchor: Anchor | null = seal ? readAnchor(seal) : null): Promise<string | null> {
  if (!seal || anchor) return null;
  const tail = (await db.query<{ seq: number }>('SELECT seq FROM audit ORDER BY seq DESC LIMIT 1'))[0];
  if (!tail) return null;
  return `the audit anchor ${seal.anchorPath} is missing, but the trail has entries (up to ${Number(tail.seq)}): entries deleted from its end cannot be told apart, so it is not anchored again by itself; compare it with a backup (derisk audit verify --backup <dir>), then anchor it on purpose: derisk audit anchor --reason "…"`;
}

/**
 * Records, once, the rows migration 020 moved to another key (noted in exchange_received_moved):
 * the old key as gone, the new one as it stands. A migration is SQL and cannot append to a sealed
 * trail; without this entry verify would say both were changed outside derisk.
 */
async function recordMovedRows(sealed: AppDb): Promise<void> {
  await sealed.transaction(async (tx) => {
    const moved = await tx.query<{ kind: string; from_uuid: string; to_uuid: string }>('SELECT kind, from_uuid, to_uuid FROM exchange_received_moved ORDER BY kind, from_uuid');
    if (moved.length === 0) return;
    const rows = moved.flatMap((m): RowRef[] => [
      ['exchange_received', m.kind, m.from_uuid],
      ['exchange_received', m.kind, m.to_uuid],
    ]);
    await appendAudit(tx, { actor: 'operator', orgId: null, action: 'migration.rekey', target: 'exchange_received', detail: { migration: '020_exchange_import_keys', moved: moved.map((m) => ({ kind: m.kind, from: m.from_uuid, to: m.to_uuid })) }, rows });
    await tx.query('DELETE FROM exchange_received_moved');
  });
}

/** Tables of tokens that carry a MAC (migrations 021 and 022), with the kind their MAC is made under. */
export const TOKEN_TABLES = { api_tokens: 'api-token', feed_tokens: 'feed-token' } as const;

/**
 * Gives tokens issued before they carried a MAC (migrations 021, 022) theirs, where the trail is
 * the evidence they were issued: the last entry recording the row records it as it stands, and
 * that entry's hash and MAC hold under the key. Any other token without one (planted in the
 * database, or changed since) is left without: it authenticates nobody, and verify names it. The MAC
 * given covers no expiry, as such tokens have none (before 027): one given an expiry behind derisk is refused.
 */
async function vouchForTokens(sealed: AppDb, seal: AuditSeal): Promise<void> {
  for (const [table, kind] of Object.entries(TOKEN_TABLES) as [keyof typeof TOKEN_TABLES, string][]) {
    // Looked for first outside a transaction: nearly every open finds none, and takes no write lock for it.
    if (!(await sealed.query(`SELECT 1 AS one FROM ${table} WHERE mac IS NULL AND NOT revoked LIMIT 1`))[0]) continue;
    await sealed.transaction(async (tx) => {
      const tokens = await tx.query(`SELECT ${TRACKED[table].columns.join(', ')} FROM ${table} WHERE mac IS NULL AND NOT revoked`);
      if (tokens.length === 0) return;
      const recorded = new Map<string, string | null>();
      for (const e of await tx.query<Stored>(`SELECT * FROM audit WHERE row_digests LIKE '%"${table}/%' ORDER BY seq`)) {
        const seq = Number(e.seq);
        if (entryHash({ ...e, seq }) !== e.hash || !entryMacHolds(seal, e.hash, e.mac)) continue;
        for (const [ref, digest] of Object.entries(JSON.parse(e.row_digests!) as Record<string, string | null>)) if (ref.startsWith(`${table}/`)) recorded.set(ref, digest);
      }
      for (const t of tokens) {
        if (recorded.get(refName(table, [t.id])) !== rowDigest(table, t)) continue;
        await tx.query(`UPDATE ${table} SET mac = $1 WHERE id = $2`, [credentialMac(seal, kind, tokenMacFields(t)), String(t.id)]);
      }
    });
  }
}

/**
 * Records the rows of tables tracked since the trail was sealed, once (see TRACKED_LATER). An
 * empty trail gets its entry with its first (appendAudit), so a restore still finds it empty.
 */
async function trackLaterTables(sealed: AppDb): Promise<void> {
  await sealed.transaction(async (tx) => {
    if (!(await tx.query('SELECT 1 AS one FROM audit LIMIT 1'))[0]) return;
    // Each version records only the tables no earlier audit.track entry recorded: rows recorded once stay checked against that record.
    const tracked = new Set((await tx.query<{ target: string }>("SELECT target FROM audit WHERE action = 'audit.track'")).flatMap((r) => r.target.split(',')));
    const untracked = TRACKED_LATER.filter((t) => !tracked.has(t));
    if (untracked.length > 0) await appendAudit(tx, await trackEntry(tx, untracked));
  });
}

async function trackEntry(tx: AppTx, tables: readonly TrackedTable[]): Promise<AuditEntry> {
  const rows: RowRef[] = [];
  for (const table of tables) {
    const spec = TRACKED[table];
    for (const row of await tx.query(`SELECT ${spec.key.join(', ')} FROM ${table}`)) rows.push([table, ...spec.key.map((k) => String(row[k]))]);
  }
  return { actor: 'operator', orgId: null, action: 'audit.track', target: tables.join(','), detail: { rows: rows.length }, rows };
}

export interface AuditProblem {
  /** The entry concerned, or null for the trail as a whole. */
  seq: number | null;
  problem: string;
  /** The organisation the entry or row belongs to, where known (a tenant sees its own). */
  orgId: string | null;
  /** What an organisation's admin is told of a problem of the whole installation (without the console's details). */
  forEveryone?: string;
}

export interface AuditReport {
  entries: number;
  problems: AuditProblem[];
  head: string;
  /** Whether entries were checked against the key and anchor outside the database. */
  sealed: boolean;
}

/**
 * Walks the chain and the data: an edited entry breaks its hash, a deleted one leaves a gap, a
 * rewritten chain (every later hash recomputed) fails its MACs and the anchored head, a truncated
 * one ends before the anchor, and a row changed, added or deleted outside derisk no longer
 * matches the digest its last entry recorded.
 */
/**
 * `tables`: the tracked tables the database has, when it may predate some (an old home being
 * imported); by default all of them.
 */
export async function verifyAudit(db: AppDb, tables: ReadonlySet<string> = new Set(Object.keys(TRACKED))): Promise<AuditReport> {
  const seal = sealOf(db);
  // The trail and the rows it records are read in one transaction: transactions take turns (across
  // processes too), so no change commits between reading an entry and reading its row.
  return db.transaction((tx) => verifyIn(tx, seal, tables));
}

/**
 * What is wrong with a trail being restored, checked in the transaction that writes it, before it
 * commits: its chain, its MACs under the backup's audit key (null: the backup carries none), every
 * row against the entry that last recorded it, and its head against the one the backup's manifest
 * recorded (in place of the anchor, which a restore sets anew). Tables tracked later that the trail
 * has not tracked yet, tokens' MACs and rows a migration moved are left to the open after the
 * restore, which records and vouches for them.
 */
export async function restoringTrailProblems(tx: AppTx, key: Buffer | null, head: { seq: number; hash: string } | null, manifestPath: string): Promise<AuditProblem[]> {
  const seal = key ? { key, keyPath: '', anchorPath: manifestPath } : null;
  const sealedFrom = Number((await tx.query<{ seq: number | null }>('SELECT min(seq) AS seq FROM audit WHERE mac IS NOT NULL'))[0]?.seq ?? 0);
  const tracked = new Set((await tx.query<{ target: string }>("SELECT target FROM audit WHERE action = 'audit.track'")).flatMap((r) => r.target.split(',')));
  const tables = new Set(Object.keys(TRACKED).filter((t) => !TRACKED_LATER.includes(t as TrackedTable) || tracked.has(t)));
  const anchor = head ? { sealedFrom, seq: head.seq, hash: head.hash, at: '' } : null;
  return (await verifyIn(tx, seal, tables, { anchor, credentials: false })).problems;
}

async function verifyIn(db: AppTx, seal: ReturnType<typeof sealOf>, tables: ReadonlySet<string>, restoring?: { anchor: Anchor | null; credentials: false }): Promise<AuditReport> {
  // The anchor first: it is written after each commit, so the rows read next reach at least as far.
  const anchor = restoring ? restoring.anchor : seal ? readAnchor(seal) : null;
  // Every column: a trail kept before the columns for row digests and MACs existed verifies too.
  const rows = await db.query<Stored>('SELECT * FROM audit ORDER BY seq');
  // Without an anchor, MACs are checked from the first entry that has one.
  const macsFrom = seal ? (anchor?.sealedFrom ?? rows.find((r) => r.mac)?.seq) : undefined;
  const problems: AuditProblem[] = [];
  let prev = GENESIS;
  let expected = 1;
  const hashAt = new Map<number, string>();
  const latest = new Map<string, { digest: string | null; seq: number; orgId: string | null }>();
  for (const r of rows) {
    const seq = Number(r.seq);
    const at = (problem: string) => problems.push({ seq, problem, orgId: r.org_id });
    if (seq !== expected) problems.push({ seq, problem: `entries ${expected}–${seq - 1} are missing (deleted)`, orgId: null });
    if (r.prev_hash !== prev) at('does not follow the entry before it (chain broken)');
    if (entryHash({ ...r, seq }) !== r.hash) at('content does not match its hash (edited)');
    if (seal && macsFrom !== undefined && seq >= Number(macsFrom) && !entryMacHolds(seal, r.hash, r.mac)) at("its MAC does not match the installation's audit key (written or rewritten outside derisk)");
    if (r.row_digests) {
      try {
        for (const [ref, digest] of Object.entries(JSON.parse(r.row_digests) as Record<string, string | null>)) latest.set(ref, { digest, seq, orgId: r.org_id });
      } catch {
        at('its row digests are not readable');
      }
    }
    hashAt.set(seq, r.hash);
    prev = r.hash;
    expected = seq + 1;
  }
  if (anchor && anchor.seq > 0) {
    const last = rows.length ? Number(rows[rows.length - 1]!.seq) : 0;
    if (!hashAt.has(anchor.seq)) problems.push({ seq: anchor.seq, problem: `the trail ends at entry ${last} but entry ${anchor.seq} was recorded outside the database (${seal!.anchorPath}): entries were deleted`, orgId: null });
    else if (hashAt.get(anchor.seq) !== anchor.hash) problems.push({ seq: anchor.seq, problem: `entry ${anchor.seq} is not the one recorded outside the database (${seal!.anchorPath}): the trail was rewritten`, orgId: null });
  }
  const missing = restoring ? null : await missingAnchor(db, seal, anchor);
  if (missing) problems.push({ seq: null, problem: missing, orgId: null, forEveryone: "the audit trail's anchor outside the database is missing, so entries deleted from its end would go unnoticed: the operator checks it (derisk audit verify) and anchors it anew" });
  problems.push(...(await checkRows(db, latest, tables)));
  if (seal && !restoring) problems.push(...(await checkCredentials(db, seal)));
  return { entries: rows.length, problems, head: prev, sealed: Boolean(seal && anchor) };
}

/**
 * Sessions and login codes are not decisions, so no entry records them; each carries a MAC under
 * the audit key instead (see Accounts), and one that does not match was written outside derisk.
 * API and feed tokens are recorded by entries too, but their MAC refuses a planted one at once, before
 * anyone runs verify; verify names the tokens that authenticate nobody for want of it.
 */
async function checkCredentials(db: AppTx, seal: AuditSeal): Promise<AuditProblem[]> {
  const problems: AuditProblem[] = [];
  const sessions = await db.query('SELECT s.id_hash, s.user_id, s.csrf, s.created_at, s.expires_at, s.origin, s.mac, u.org_id FROM sessions s LEFT JOIN users u ON u.id = s.user_id');
  for (const s of sessions) {
    if (!credentialMacMatches(seal, 'session', sessionMacFields(s), s.mac))
      problems.push({ seq: null, problem: `a session of user ${String(s.user_id)} (created ${String(s.created_at)}) was written outside derisk: its MAC does not match the audit key (it does not log anyone in)`, orgId: s.org_id === null ? null : String(s.org_id) });
  }
  // A revoked token authenticates nobody whatever its MAC (revoking drops it).
  for (const [table, kind] of Object.entries(TOKEN_TABLES)) {
    const tokens = await db.query(`SELECT t.*, u.org_id FROM ${table} t LEFT JOIN users u ON u.id = t.user_id WHERE NOT t.revoked`);
    for (const t of tokens) {
      if (!credentialMacMatches(seal, kind, tokenMacFields(t), t.mac))
        problems.push({
          seq: null,
          problem: `${table}/${String(t.id)} (user ${String(t.user_id)}, created ${String(t.created_at)}) ${t.mac === null ? `has no MAC: no audit entry records it as it stands (written or changed outside derisk, or issued by a version before ${table === 'api_tokens' ? '021' : '022'} and not found in the trail)` : 'has a MAC that does not match the audit key (written or changed outside derisk)'}, so it ${table === 'api_tokens' ? 'authenticates nobody: revoke it and issue a new token' : 'opens no feed: make a new feed address'}`,
          orgId: t.org_id === null ? null : String(t.org_id),
        });
    }
  }
  const codes = await db.query('SELECT c.code_hash, c.user_id, c.origin, c.expires_at, c.mac, u.org_id FROM login_codes c LEFT JOIN users u ON u.id = c.user_id');
  for (const c of codes) {
    if (!credentialMacMatches(seal, 'login-code', loginCodeMacFields(c), c.mac))
      problems.push({ seq: null, problem: `a login code for user ${String(c.user_id)} (expiring ${String(c.expires_at)}) was written outside derisk: its MAC does not match the audit key (it does not log anyone in)`, orgId: c.org_id === null ? null : String(c.org_id) });
  }
  return problems;
}

/** The columns of a session its MAC covers: who, with which CSRF token, from when to when, opened how. */
export const sessionMacFields = (s: AppRow): unknown[] => [s.id_hash, s.user_id, s.csrf, s.created_at, s.expires_at, s.origin];
export const loginCodeMacFields = (c: AppRow): unknown[] => [c.code_hash, c.user_id, c.origin, c.expires_at];
/** The columns of an API or feed token its MAC covers: which token, whose, since when (revoking drops the MAC). */
/** An API token's expiry (migration 027) is covered where it has one: moved in the database, the token authenticates nobody. */
export const tokenMacFields = (t: AppRow): unknown[] => [t.id, t.token_hash, t.user_id, t.created_at, ...(t.expires_at == null ? [] : [t.expires_at])];

/**
 * Each backup's manifest records the head of the trail it copied, outside the database and
 * wherever the backup is kept: the trail must still hold that entry, or it was cut or rewritten.
 */
export async function backupHeadProblems(db: AppDb, backups: { dir: string; manifest: { createdAt: string; auditHead: { seq: number; hash: string } | null } }[]): Promise<AuditProblem[]> {
  const problems: AuditProblem[] = [];
  for (const { dir, manifest } of backups) {
    const head = manifest.auditHead;
    if (!head) continue;
    const held = (await db.query<{ hash: string }>('SELECT hash FROM audit WHERE seq = $1', [head.seq]))[0];
    if (!held) problems.push({ seq: head.seq, problem: `the backup ${dir} (made ${manifest.createdAt}) recorded entry ${head.seq} as the head of the trail, and the trail no longer has it: entries were deleted`, orgId: null });
    else if (held.hash !== head.hash) problems.push({ seq: head.seq, problem: `entry ${head.seq} is not the one the backup ${dir} (made ${manifest.createdAt}) recorded: the trail was rewritten (or this is another installation's trail)`, orgId: null });
  }
  return problems;
}

/** Every row of the tracked tables against the digest its last audit entry recorded. */
async function checkRows(db: AppTx, latest: Map<string, { digest: string | null; seq: number; orgId: string | null }>, tables: ReadonlySet<string>): Promise<AuditProblem[]> {
  const problems: AuditProblem[] = [];
  const seen = new Set<string>();
  for (const [table, spec] of Object.entries(TRACKED) as [TrackedTable, (typeof TRACKED)[TrackedTable]][]) {
    if (!tables.has(table)) continue;
    const repeated = REPEATED[table];
    // Every column where some repeat a document: a database moved from a release before them lacks them until migrated.
    const rows = await db.query(`SELECT ${repeated ? '*' : spec.columns.join(', ')} FROM ${table}`);
    for (const row of rows) {
      const ref = refName(
        table,
        spec.key.map((k) => row[k]),
      );
      seen.add(ref);
      const recorded = latest.get(ref);
      const orgId = spec.org ? String(row[spec.org]) : (recorded?.orgId ?? null);
      if (!recorded || recorded.digest === null) problems.push({ seq: recorded?.seq ?? null, problem: `${ref} was written outside derisk (no audit entry records it)`, orgId });
      else if (recorded.digest !== rowDigest(table, row)) problems.push({ seq: recorded.seq, problem: `${ref} was changed outside derisk (it differs from what the entry recorded)`, orgId });
      else if (repeated) {
        const stated = repeatedDiffering(row, repeated);
        if (stated) problems.push({ seq: recorded.seq, problem: `${ref} was changed outside derisk (its ${stated} is not what its ${repeated.document} says)`, orgId });
      }
    }
  }
  for (const [ref, r] of latest) {
    if (r.digest !== null && !seen.has(ref)) problems.push({ seq: r.seq, problem: `${ref} was deleted outside derisk (the entry recorded it)`, orgId: r.orgId });
  }
  return problems;
}

/** The first repeated column whose value is not the one its document holds, or null. */
function repeatedDiffering(row: AppRow, { document, columns }: { document: string; columns: Record<string, string> }): string | null {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(String(row[document])) as Record<string, unknown>;
  } catch {
    return document;
  }
  return Object.entries(columns).find(([column, field]) => column in row && canonical(row[column]) !== canonical(doc[field]))?.[0] ?? null;
}

/** Every row of the tracked tables, to record in the entry that seals a trail kept before sealing. */
export async function allRows(tx: AppTx): Promise<RowRef[]> {
  const refs: RowRef[] = [];
  for (const [table, spec] of Object.entries(TRACKED) as [TrackedTable, (typeof TRACKED)[TrackedTable]][]) {
    for (const row of await tx.query(`SELECT ${spec.key.join(', ')} FROM ${table}`)) refs.push([table, ...spec.key.map((k) => String(row[k]))]);
  }
  return refs;
}

/**
 * An entry as its organisation sees it. `seq` is the entry's number among the organisation's own
 * (1, 2, … without gaps): the trail's own number, and the hashes chaining it (from which that number
 * can be recomputed), would show by their gaps how much every other organisation does.
 */
export type OrgAuditEntry = {
  seq: number;
  recorded_at: string;
  actor: string;
  org_id: string;
  action: string;
  target: string;
  detail: string;
};

/** The organisation's entries, newest first, numbered within the organisation. */
export async function auditEntries(db: AppDb, orgId: string, limit = 200): Promise<OrgAuditEntry[]> {
  const rows = await db.query<OrgAuditEntry & { n: number }>('SELECT n, recorded_at, actor, org_id, action, target, detail FROM (SELECT row_number() OVER (ORDER BY seq) AS n, seq, recorded_at, actor, org_id, action, target, detail FROM audit WHERE org_id = $1) own ORDER BY seq DESC LIMIT $2', [
    orgId,
    limit,
  ]);
  return rows.map(({ n, recorded_at, actor, org_id, action, target, detail }) => ({ seq: Number(n), recorded_at, actor, org_id, action, target, detail }));
}

/** The audit trail of the actor's organisation, newest first (officers and admins). */
export async function auditTrailOf(db: AppDb, actor: Actor, limit = 200): Promise<OrgAuditEntry[]> {
  authorize(actor, 'audit.read');
  return auditEntries(db, actor.orgId, limit);
}

/** Verifies the whole trail and tells an admin their organisation's part of the outcome. */
export async function verifyAuditOf(db: AppDb, actor: Actor): Promise<Awaited<ReturnType<typeof verifyAuditFor>>> {
  authorize(actor, 'audit.verify');
  return verifyAuditFor(db, actor.orgId, await verifyAudit(db));
}

/**
 * What an organisation's admin sees of a verification: its own entries and rows; a problem of the
 * trail as a whole only as that (the details, which name other organisations' entries, are for
 * the console's `derisk audit verify`).
 */
export async function verifyAuditFor(db: AppDb, orgId: string, report: AuditReport): Promise<{ entries: number; problems: { seq: number | null; problem: string }[]; sealed: boolean }> {
  // A problem's entry by its number in the organisation's view (auditEntries); an entry of another or of the operator by none.
  const own = new Map((await db.query<{ seq: number }>('SELECT seq FROM audit WHERE org_id = $1 ORDER BY seq', [orgId])).map((r, i) => [Number(r.seq), i + 1]));
  const problems = report.problems.filter((p) => p.orgId === orgId).map(({ seq, problem }) => ({ seq: seq === null ? null : (own.get(seq) ?? null), problem }));
  for (const p of report.problems) if (p.orgId === null && p.forEveryone) problems.push({ seq: null, problem: p.forEveryone });
  if (report.problems.some((p) => p.orgId !== orgId && !p.forEveryone)) problems.push({ seq: null, problem: "the installation's audit trail has problems outside your organisation: the operator sees them with derisk audit verify" });
  return { entries: own.size, problems, sealed: report.sealed };
}
