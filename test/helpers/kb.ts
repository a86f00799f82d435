import { randomUUID } from 'node:crypto';
import type { AppDb } from '../../src/appdb/db.ts';
import { loadRulebook } from '../../src/assessment/rulebook.ts';
import { KnowledgeBase, type KnowledgeBaseOptions } from '../../src/monitoring/knowledge-base.ts';
import { appendAudit, type RowRef } from '../../src/service/audit.ts';
import { ROLES, type Actor, type Role } from '../../src/service/authorize.ts';
import { MIRROR } from './fixtures.ts';

/** One actor per organisation and role: "org-a/analyst". */
export function actors(orgs: string[]): Record<string, Actor> {
  const out: Record<string, Actor> = {};
  for (const org of orgs) for (const role of ROLES) out[`${org}/${role}`] = { userId: `${role}@${org}`, orgId: org, role: role as Role, name: `${role} of ${org}` };
  return out;
}

export const knowledgeBase = (db: AppDb, extra: Partial<KnowledgeBaseOptions> = {}) => new KnowledgeBase({ db, rulebook: () => loadRulebook(), mirror: MIRROR, ...extra });

/**
 * A stored case and verdict, written as CaseService writes them, with the given criteria holding:
 * the links from criteria to verdicts need only that, not a whole assessment run.
 */
export async function storedVerdict(db: AppDb, v: { org: string; title: string; holds: string[]; notHolding?: string[]; sharedWith?: string[]; at?: string }): Promise<{ caseId: string; assessmentId: string }> {
  const caseId = randomUUID();
  const assessmentId = randomUUID();
  const at = v.at ?? new Date().toISOString();
  const result = { title: v.title, overall: 'red', criteria: [...v.holds.map((id) => ({ id, status: 'holds' })), ...(v.notHolding ?? []).map((id) => ({ id, status: 'does-not-hold' }))] };
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO cases (id, org_id, client_key, title, doc, created_by, created_at, updated_at) VALUES ($1, $2, NULL, $3, $4, $5, $6, $6)', [caseId, v.org, v.title, JSON.stringify({ title: v.title }), `analyst@${v.org}`, at]);
    await tx.query('INSERT INTO assessments (id, case_id, org_id, created_by, created_at, rulebook_id, rulebook_version, rulebook_hash, snapshot, overall, result) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
      assessmentId,
      caseId,
      v.org,
      `analyst@${v.org}`,
      at,
      'derisk-eu-china-ai',
      'test',
      'test',
      '{}',
      'red',
      JSON.stringify(result),
    ]);
    for (const org of v.sharedWith ?? []) await tx.query('INSERT INTO case_shares (case_id, org_id, shared_by, shared_at) VALUES ($1, $2, $3, $4)', [caseId, org, `officer@${v.org}`, at]);
    // Recorded in the trail as derisk records a verdict, so audit verify holds with these fixtures.
    const shares: RowRef[] = (v.sharedWith ?? []).map((org) => ['case_shares', caseId, org]);
    await appendAudit(tx, { actor: `analyst@${v.org}`, orgId: v.org, action: 'assessment.create', target: assessmentId, detail: { fixture: true }, rows: [['cases', caseId], ['assessments', assessmentId], ...shares] });
  });
  return { caseId, assessmentId };
}
