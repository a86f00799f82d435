import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { AppDb } from '../../src/appdb/db.ts';
import type { AuditProblem } from '../../src/service/audit.ts';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** What an attacker who read the source does (or a version before this one wrote): recompute every hash from `from` on, so the chain links again. */
export async function recomputeChain(db: AppDb, from: number): Promise<void> {
  const rows = await db.query<Record<string, string | number | null>>('SELECT * FROM audit ORDER BY seq');
  let prev = rows.find((r) => Number(r.seq) === from - 1)?.hash ?? '0'.repeat(64);
  for (const r of rows.filter((x) => Number(x.seq) >= from)) {
    const hash = sha256(JSON.stringify([Number(r.seq), r.recorded_at, r.actor, r.org_id, r.action, r.target, r.detail, prev, ...(r.row_digests === null ? [] : [r.row_digests])]));
    await db.query('UPDATE audit SET prev_hash = $1, hash = $2 WHERE seq = $3', [prev, hash, Number(r.seq)]);
    prev = hash;
  }
}

/** Asserts that verification named a problem matching `pattern`. */
export const found = (problems: AuditProblem[], pattern: RegExp) =>
  assert.ok(
    problems.some((p) => pattern.test(p.problem)),
    `expected ${pattern} among ${JSON.stringify(problems, null, 1)}`,
  );
