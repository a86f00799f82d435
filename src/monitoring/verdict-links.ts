import { numberedParameters, type AppDb, type AppTx, type Param } from '../appdb/db.ts';
import { NotFoundError, type Actor } from '../service/authorize.ts';

/** A stored verdict in which a criterion held. */
export interface VerdictRef {
  assessment: string;
  case: string;
  caseTitle: string;
  at: string;
  overall: string;
  /** The linked criteria that held in it. */
  criteria: string[];
}

// A verdict is visible to the organisation that owns its case and to those the case is shared with.
const VISIBLE = '(c.org_id = $1 OR EXISTS (SELECT 1 FROM case_shares s WHERE s.case_id = c.id AND s.org_id = $1))';
const BATCH = 500;

/** Many rows in few statements (a few hundred parameters each); a row already there is left alone. */
async function insertRows(tx: AppTx, into: string, rows: Param[][]): Promise<void> {
  const width = rows[0]?.length ?? 1;
  const per = Math.max(1, Math.floor(900 / width));
  for (let i = 0; i < rows.length; i += per) {
    const chunk = rows.slice(i, i + per);
    const values = chunk.map((_, r) => `(${numberedParameters(width, r * width + 1)})`).join(', ');
    await tx.query(`INSERT INTO ${into} VALUES ${values} ON CONFLICT DO NOTHING`, chunk.flat());
  }
}

/**
 * Links from criteria to the stored verdicts that found them to hold. Verdicts are never
 * changed once stored, so each is read once into kb_verdict_criteria and looked up from there.
 */
export class VerdictLinks {
  constructor(private readonly db: AppDb) {}

  /** Reads the verdicts stored since the last call. */
  private async catchUp(): Promise<void> {
    for (;;) {
      const rows = await this.db.query<{ id: string; result: string }>(`SELECT a.id, a.result FROM assessments a WHERE NOT EXISTS (SELECT 1 FROM kb_verdicts_indexed i WHERE i.assessment_id = a.id) LIMIT ${BATCH}`);
      if (rows.length === 0) return;
      const links = rows.flatMap((r) => ((JSON.parse(r.result) as { criteria?: { id: string; status: string }[] }).criteria ?? []).filter((c) => c.status !== 'does-not-hold').map((c) => [r.id, c.id, c.status]));
      await this.db.transaction(async (tx) => {
        await insertRows(tx, 'kb_verdict_criteria (assessment_id, criterion_id, status)', links);
        await insertRows(
          tx,
          'kb_verdicts_indexed (assessment_id)',
          rows.map((r) => [r.id]),
        );
      });
      if (rows.length < BATCH) return;
    }
  }

  /** The actor's organisation's verdicts (own or shared with it) in which any of the criteria held, newest first. */
  async citing(actor: Actor, criteria: string[]): Promise<VerdictRef[]> {
    if (criteria.length === 0) return [];
    await this.catchUp();
    const rows = await this.db.query<{ assessment_id: string; criterion_id: string; case_id: string; title: string; created_at: string; overall: string }>(
      `SELECT k.assessment_id, k.criterion_id, a.case_id, c.title, a.created_at, a.overall
       FROM kb_verdict_criteria k JOIN assessments a ON a.id = k.assessment_id JOIN cases c ON c.id = a.case_id
       WHERE k.status = 'holds' AND k.criterion_id IN (${numberedParameters(criteria.length, 2)}) AND ${VISIBLE}
       ORDER BY a.created_at DESC, k.assessment_id, k.criterion_id`,
      [actor.orgId, ...criteria],
    );
    const byVerdict = new Map<string, VerdictRef>();
    for (const r of rows) {
      const v = byVerdict.get(r.assessment_id) ?? { assessment: r.assessment_id, case: r.case_id, caseTitle: r.title, at: r.created_at, overall: r.overall, criteria: [] };
      v.criteria.push(r.criterion_id);
      byVerdict.set(r.assessment_id, v);
    }
    return [...byVerdict.values()].slice(0, 200);
  }

  /** One verdict, if the actor may see it, and the criteria that held in it. */
  async verdict(actor: Actor, assessmentId: string): Promise<{ verdict: VerdictRef; criteria: string[] }> {
    await this.catchUp();
    const row = (await this.db.query<{ id: string; case_id: string; title: string; created_at: string; overall: string }>(`SELECT a.id, a.case_id, c.title, a.created_at, a.overall FROM assessments a JOIN cases c ON c.id = a.case_id WHERE a.id = $2 AND ${VISIBLE}`, [actor.orgId, assessmentId]))[0];
    if (!row) throw new NotFoundError(`no assessment ${assessmentId}`);
    const criteria = (await this.db.query<{ criterion_id: string }>("SELECT criterion_id FROM kb_verdict_criteria WHERE assessment_id = $1 AND status = 'holds' ORDER BY criterion_id", [assessmentId])).map((r) => r.criterion_id);
    return { verdict: { assessment: row.id, case: row.case_id, caseTitle: row.title, at: row.created_at, overall: row.overall, criteria }, criteria };
  }
}
