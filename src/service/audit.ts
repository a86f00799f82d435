import { createHash } from 'node:crypto';
import type { AppDb, AppTx } from '../appdb/db.ts';

export interface AuditEntry {
  actor: string;
  orgId: string | null;
  action: string;
  target: string;
  detail: Record<string, unknown>;
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
};

const GENESIS = '0'.repeat(64);

const entryHash = (e: Omit<Stored, 'hash'>): string =>
  createHash('sha256').update(JSON.stringify([e.seq, e.recorded_at, e.actor, e.org_id, e.action, e.target, e.detail, e.prev_hash])).digest('hex');

/**
 * Appends one entry to the audit chain, inside the caller's transaction: the change and its
 * record land together or not at all. Transactions serialise appends (see AppDb.transaction).
 */
export async function appendAudit(tx: AppTx, entry: AuditEntry): Promise<number> {
  const last = (await tx.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'))[0];
  const row = {
    seq: (last?.seq ?? 0) + 1,
    recorded_at: new Date().toISOString(),
    actor: entry.actor,
    org_id: entry.orgId,
    action: entry.action,
    target: entry.target,
    detail: JSON.stringify(entry.detail),
    prev_hash: last?.hash ?? GENESIS,
  };
  const hash = entryHash(row);
  await tx.query('INSERT INTO audit (seq, recorded_at, actor, org_id, action, target, detail, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [row.seq, row.recorded_at, row.actor, row.org_id, row.action, row.target, row.detail, row.prev_hash, hash]);
  return row.seq;
}

export interface AuditProblem {
  seq: number;
  problem: string;
}

/** Walks the chain: an edited entry breaks its own hash, a deleted one leaves a gap or a broken link. */
export async function verifyAudit(db: AppDb): Promise<{ entries: number; problems: AuditProblem[]; head: string }> {
  const rows = await db.query<Stored>('SELECT seq, recorded_at, actor, org_id, action, target, detail, prev_hash, hash FROM audit ORDER BY seq');
  const problems: AuditProblem[] = [];
  let prev = GENESIS;
  let expected = 1;
  for (const r of rows) {
    const seq = Number(r.seq);
    if (seq !== expected) problems.push({ seq, problem: `entries ${expected}–${seq - 1} are missing (deleted)` });
    if (r.prev_hash !== prev) problems.push({ seq, problem: 'does not follow the entry before it (chain broken)' });
    if (entryHash({ ...r, seq }) !== r.hash) problems.push({ seq, problem: 'content does not match its hash (edited)' });
    prev = r.hash;
    expected = seq + 1;
  }
  return { entries: rows.length, problems, head: prev };
}

export async function auditEntries(db: AppDb, orgId: string | null, limit = 200): Promise<Stored[]> {
  return orgId === null
    ? db.query<Stored>('SELECT * FROM audit ORDER BY seq DESC LIMIT $1', [limit])
    : db.query<Stored>('SELECT * FROM audit WHERE org_id = $1 ORDER BY seq DESC LIMIT $2', [orgId, limit]);
}
