import { randomUUID } from 'node:crypto';
import type { AppDb, AppTx } from '../appdb/db.ts';
import { compareAssessments, type Assessment } from '../assessment/assess.ts';
import { sourceChanges, type Assessor, type SourceChanges, type Snapshot } from '../assessment/assessor.ts';
import type { PolicyBundle } from '../assessment/bundle.ts';
import { evidenceInWords } from '../assessment/evidence.ts';
import { canonicalJson } from '../canonical-json.ts';
import type { ReportMeta } from '../assessment/report.ts';
import { ConflictError, PreconditionRequiredError, ValidationError } from '../errors.ts';
import { safeCsvField } from '../ingest/csv.ts';
import { typedKey } from '../resolve/normalize.ts';
import { correctionsChanged } from '../resolve/org-view.ts';
import { appendAudit, rowDigest, TRACKED } from './audit.ts';
import { authorize, NotFoundError, OTHER_ORG_USER, type Actor } from './authorize.ts';

export interface StoredCase {
  id: string;
  orgId: string;
  title: string;
  doc: unknown;
  /** The author's user id; null to another organisation's reader (a stable id would tell who). */
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
  /** Counts the edits of title and document (not verdicts); an edit names the version it started from. */
  version: number;
  sharedWith: string[];
  /** Whether the actor's organisation owns it (else it was shared with them: read only). */
  own: boolean;
}

export interface StoredAssessment {
  id: string;
  caseId: string;
  createdAt: string;
  /** Null to another organisation's reader, as StoredCase.createdBy. */
  createdBy: string | null;
  overall: string;
  rulebook: { id: string; version: string; hash: string };
  /** The version of the case it assessed; null for a verdict stored before verdicts recorded it (migration 029). */
  caseVersion: number | null;
  /** The verdict with the case as assessed (`case`), its snapshot and the policy bundle. */
  result: StoredResult;
}

/** What an officer decided on a verdict: its sign-off. */
export const DECISIONS = ['approved', 'approved-with-conditions', 'rejected'] as const;
export type DecisionKind = (typeof DECISIONS)[number];
export interface Decision {
  assessmentId: string;
  decision: DecisionKind;
  conditions: string[];
  /** Null to another organisation's reader, as StoredCase.createdBy. */
  decidedBy: string | null;
  /** The decider's name, or "a user of another organisation" on a shared case. */
  decidedByName: string;
  decidedAt: string;
}

/** Where a case stands for the officer managing it. */
export type CaseStatus = 'not assessed' | 'awaiting sign-off' | 're-assessment due' | DecisionKind;
export interface CaseSummary {
  id: string;
  title: string;
  reference: string | null;
  own: boolean;
  updatedAt: string;
  /** The latest verdict (red, yellow, green), or null before the first assessment. */
  overall: string | null;
  status: CaseStatus;
  /** Who created it: a name in the actor's organisation, "another organisation" for a shared case. */
  owner: string;
  /** The latest verdict's re-assessment date. */
  reassessBy: string | null;
  /** Whether the case was edited after the version its latest verdict assessed: that verdict cannot be decided on. */
  editedSinceVerdict: boolean;
}
export const CASE_SORT_KEYS = ['updated', 'title', 'reassess', 'verdict', 'status'] as const;

const CASE_CSV_COLUMNS = ['id', 'reference', 'title', 'status', 'editedSinceVerdict', 'verdict', 'owner', 'reassessBy', 'updatedAt', 'shared'] as const;

/** The case list as CSV, as the list shows it (safeCsvField: never a formula, hidden characters shown). */
export function caseListCsv(rows: CaseSummary[]): string {
  const values = (c: CaseSummary): Record<(typeof CASE_CSV_COLUMNS)[number], unknown> => ({ ...c, verdict: c.overall, shared: c.own ? 'no' : 'shared with you', editedSinceVerdict: c.editedSinceVerdict ? 'yes' : 'no' });
  return [CASE_CSV_COLUMNS.join(','), ...rows.map((c) => CASE_CSV_COLUMNS.map((k) => safeCsvField(values(c)[k])).join(','))].join('\n') + '\n';
}
export interface CaseQuery {
  q?: string;
  sort?: (typeof CASE_SORT_KEYS)[number];
  limit?: number;
  offset?: number;
  /** Today (YYYY-MM-DD), against which a re-assessment is due; tests give their own. */
  today?: string;
}
const VERDICT_RANK: Record<string, number> = { red: 0, yellow: 1, green: 2 };
const CASE_SORTS: Record<(typeof CASE_SORT_KEYS)[number], ((a: CaseSummary, b: CaseSummary) => number) | null> = {
  updated: null,
  title: (a, b) => a.title.localeCompare(b.title) || a.id.localeCompare(b.id),
  // Soonest due first; cases never assessed last.
  reassess: (a, b) => (a.reassessBy ?? '9999').localeCompare(b.reassessBy ?? '9999') || a.id.localeCompare(b.id),
  verdict: (a, b) => (VERDICT_RANK[a.overall ?? ''] ?? 3) - (VERDICT_RANK[b.overall ?? ''] ?? 3) || a.id.localeCompare(b.id),
  status: (a, b) => a.status.localeCompare(b.status) || a.id.localeCompare(b.id),
};

/**
 * Refuses an as-of date that is no calendar day, or one after today: a verdict observes the lists,
 * registry and evidence of today, so it cannot speak for a day to come. (A past date is allowed:
 * the report says that the lists and rulebook were those of the day it was made.)
 */
export function checkAsOf(asOf: string, field = 'as_of', today = new Date().toISOString().slice(0, 10)): string {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(asOf) ? new Date(`${asOf}T00:00:00Z`) : null;
  if (!day || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== asOf) throw new ValidationError(`${field}: ${JSON.stringify(asOf)} is not a date (YYYY-MM-DD, a day of the calendar)`);
  if (asOf > today) throw new ValidationError(`${field}: ${asOf} is after today (${today}): a verdict reads today's lists and evidence, so it cannot be dated in the future`);
  return asOf;
}

/** What is stored of a verdict: everything needed to show, report and replay it, and the version of the case it assessed. */
export type StoredResult = Assessment & { case: unknown; caseVersion?: number; rerunOf?: string };

/**
 * Whether a verdict assessed the case as it stands: its recorded version is the case's. A verdict
 * stored before verdicts recorded the version assessed the current case only if the case it
 * assessed reads as the case does now.
 */
export function assessedCurrentVersion(a: Pick<StoredAssessment, 'caseVersion'> & { result: { case: unknown } }, c: Pick<StoredCase, 'version' | 'doc'>): boolean {
  return a.caseVersion === null ? canonicalJson(a.result.case) === canonicalJson(c.doc) : a.caseVersion === c.version;
}

/** The contract of `derisk assessments show <id> --json` and `GET /api/assessments/:id`. */
export function assessmentDocument(a: StoredAssessment) {
  const { case: doc, overall, categories, criteria: stored, bundle, snapshot, ...rest } = a.result;
  // Verdicts stored before facts were put in words get them here.
  const criteria = stored.map((r) => ({ ...r, evidence: r.evidence.map((e) => ({ ...e, words: e.words ?? evidenceInWords(e.path, e.value) })) }));
  return { id: a.id, case: doc, overall, categories, criteria, bundle, snapshot, created_at: a.createdAt, case_id: a.caseId, created_by: a.createdBy, ...rest };
}

/** A case the actor's organisation owns or was given a share of ($2: the organisation). */
const VISIBLE = '(c.org_id = $2 OR EXISTS (SELECT 1 FROM case_shares s WHERE s.case_id = c.id AND s.org_id = $2))';

type CaseRow = { id: string; org_id: string; title: string; doc: string; created_by: string; created_at: string; updated_at: string; version: number };
type AssessmentRow = { id: string; case_id: string; org_id: string; created_at: string; created_by: string; overall: string; rulebook_id: string; rulebook_version: string; rulebook_hash: string; result: string; case_version: number | null };

const caseVersionOf = (row: AssessmentRow): number | null => (row.case_version === null || row.case_version === undefined ? null : Number(row.case_version));

/**
 * A stored verdict, read from the application database alone: showing one (\`derisk assessments
 * show\`, \`GET /api/assessments/:id\`) needs no risk lists, registry or assessor, so an id that is
 * not there is "no assessment ID" even on a home where those are missing or slow to load. Another
 * organisation's assessment answers exactly like a missing one.
 */
export async function readAssessment(db: AppDb, actor: Actor, id: string): Promise<StoredAssessment> {
  authorize(actor, 'assessment.read');
  // One query, whether the verdict is missing or another organisation's: the same answer, the same work.
  const row = (await db.query<AssessmentRow>(`SELECT a.* FROM assessments a JOIN cases c ON c.id = a.case_id WHERE a.id = $1 AND ${VISIBLE}`, [id, actor.orgId]))[0];
  if (!row) throw new NotFoundError(`no assessment ${id}`);
  return {
    id: row.id,
    caseId: row.case_id,
    createdAt: row.created_at,
    createdBy: row.org_id === actor.orgId ? row.created_by : null,
    overall: row.overall,
    rulebook: { id: row.rulebook_id, version: row.rulebook_version, hash: row.rulebook_hash },
    caseVersion: caseVersionOf(row),
    result: JSON.parse(row.result),
  };
}

/**
 * The digest of a stored verdict's row, as the audit entry that stored it recorded it (and as
 * `derisk audit verify` checks it): printed on the report, so a printed copy can be checked against the trail.
 */
export async function verdictDigest(db: AppDb, id: string): Promise<string> {
  const row = (await db.query(`SELECT ${TRACKED.assessments.columns.join(', ')} FROM assessments WHERE id = $1`, [id]))[0];
  if (!row) throw new NotFoundError(`no assessment ${id}`);
  return rowDigest('assessments', row);
}

/**
 * Cases, verdicts and notes, kept per organisation. Every method takes the acting user and
 * checks role and tenant here, in the core, whichever door (CLI, HTTP, web) the call came
 * through. A case of another organisation that was not shared does not exist for the actor.
 */
export class CaseService {
  constructor(
    private readonly db: AppDb,
    private readonly assessor: Assessor,
  ) {}

  async create(actor: Actor, doc: unknown, clientKey: string | null = null): Promise<{ id: string; created: boolean }> {
    authorize(actor, 'case.create');
    const c = this.assessor.validate(doc);
    return this.db.transaction(async (tx) => {
      if (clientKey) {
        const existing = (await tx.query<{ id: string }>('SELECT id FROM cases WHERE org_id = $1 AND client_key = $2', [actor.orgId, clientKey]))[0];
        if (existing) return { id: existing.id, created: false };
      }
      const id = randomUUID();
      const now = new Date().toISOString();
      await tx.query('INSERT INTO cases (id, org_id, client_key, title, doc, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7)', [id, actor.orgId, clientKey, c.title, JSON.stringify(doc), actor.userId, now]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'case.create', target: id, detail: { title: c.title, clientKey }, rows: [['cases', id]] });
      return { id, created: true };
    });
  }

  /** The visible cases, most recently changed first (see `page` for search, sorting and paging). */
  async list(actor: Actor): Promise<CaseSummary[]> {
    return (await this.page(actor, {})).rows;
  }

  /**
   * A page of the cases the actor sees, as an officer manages them: each with its status, owner,
   * latest verdict and re-assessment date. `q` searches title and reference (a substring, any
   * letter case). An organisation's cases are hundreds, not millions: they are ranked here.
   */
  async page(actor: Actor, options: CaseQuery): Promise<{ total: number; rows: CaseSummary[] }> {
    authorize(actor, 'case.read');
    const today = options.today ?? new Date().toISOString().slice(0, 10);
    const needle = typedKey(options.q ?? '');
    const rows = await this.db.query<{ id: string; title: string; doc: string; org_id: string; created_by: string; updated_at: string; version: number; assessment_id: string | null; overall: string | null; reassess_by: string | null; case_version: number | null; decision: string | null }>(
      `WITH visible AS (
         SELECT id, title, doc, org_id, created_by, updated_at, version FROM cases WHERE org_id = $1
         UNION SELECT c.id, c.title, c.doc, c.org_id, c.created_by, c.updated_at, c.version FROM cases c JOIN case_shares s ON s.case_id = c.id WHERE s.org_id = $1
       ),
       latest AS (
         SELECT a.id, a.case_id, a.overall, a.reassess_by, a.case_version, row_number() OVER (PARTITION BY a.case_id ORDER BY a.created_at DESC) AS n
         FROM assessments a JOIN visible v ON v.id = a.case_id
       )
       SELECT v.id, v.title, v.doc, v.org_id, v.created_by, v.updated_at, v.version, l.id AS assessment_id, l.overall, l.reassess_by, l.case_version, d.decision
       FROM visible v LEFT JOIN latest l ON l.case_id = v.id AND l.n = 1
       LEFT JOIN assessment_decisions d ON d.assessment_id = l.id
       ORDER BY v.updated_at DESC, v.id`,
      [actor.orgId],
    );
    const names = new Map<string, string>();
    const out: CaseSummary[] = [];
    for (const r of rows) {
      const reference = (JSON.parse(r.doc) as { reference?: string }).reference ?? null;
      // Searched here, not in SQL: SQLite's lower() folds only ASCII ("École" would be missed).
      if (needle && !typedKey(r.title).includes(needle) && !typedKey(reference ?? '').includes(needle)) continue;
      const reassessBy = r.reassess_by;
      const own = r.org_id === actor.orgId;
      if (!names.has(r.created_by)) names.set(r.created_by, await this.personName(actor, r.created_by));
      const status: CaseStatus = !r.overall ? 'not assessed' : reassessBy && reassessBy <= today ? 're-assessment due' : r.decision ? (r.decision as DecisionKind) : 'awaiting sign-off';
      const editedSinceVerdict = r.assessment_id !== null && !(await this.latestOfCurrentVersion(r.assessment_id, r.case_version, { version: Number(r.version), doc: JSON.parse(r.doc) }));
      out.push({ id: r.id, title: r.title, reference, own, updatedAt: r.updated_at, overall: r.overall, status, owner: own ? names.get(r.created_by)! : 'another organisation', reassessBy, editedSinceVerdict });
    }
    const order = CASE_SORTS[options.sort ?? 'updated'];
    const sorted = order ? [...out].sort(order) : out;
    const offset = options.offset ?? 0;
    return { total: sorted.length, rows: sorted.slice(offset, options.limit === undefined ? undefined : offset + options.limit) };
  }

  /** assessedCurrentVersion for a case's latest verdict; the case it assessed is read only for a verdict stored before verdicts recorded the version. */
  private async latestOfCurrentVersion(assessmentId: string, caseVersion: number | null, c: Pick<StoredCase, 'version' | 'doc'>): Promise<boolean> {
    const result = caseVersion === null ? (JSON.parse((await this.db.query<{ result: string }>('SELECT result FROM assessments WHERE id = $1', [assessmentId]))[0]!.result) as StoredResult) : { case: null };
    return assessedCurrentVersion({ caseVersion: caseVersion === null ? null : Number(caseVersion), result }, c);
  }

  async get(actor: Actor, id: string): Promise<StoredCase> {
    authorize(actor, 'case.read');
    return this.visible(this.db, actor, id);
  }

  /** One query decides, so a case of another organisation answers exactly as a missing one. */
  private async visible(q: AppDb | AppTx, actor: Actor, id: string): Promise<StoredCase> {
    const row = (await q.query<CaseRow>(`SELECT id, org_id, title, doc, created_by, created_at, updated_at, version FROM cases c WHERE c.id = $1 AND ${VISIBLE}`, [id, actor.orgId]))[0];
    if (!row) throw new NotFoundError(`no case ${id}`);
    const own = row.org_id === actor.orgId;
    // Whom a case is shared with is the owner's business; a recipient sees only itself.
    const shares = own ? (await q.query<{ org_id: string }>('SELECT org_id FROM case_shares WHERE case_id = $1 ORDER BY org_id', [id])).map((r) => r.org_id) : [actor.orgId];
    return { id: row.id, orgId: row.org_id, title: row.title, doc: JSON.parse(row.doc), createdBy: own ? row.created_by : null, createdAt: row.created_at, updatedAt: row.updated_at, version: Number(row.version), sharedWith: shares, own };
  }

  /** Changes are for the owning organisation only; a shared case is read-only to others. */
  private async owned(q: AppDb | AppTx, actor: Actor, id: string): Promise<StoredCase> {
    const c = await this.visible(q, actor, id);
    if (!c.own) throw new NotFoundError(`no case ${id} of your organisation`);
    return c;
  }

  /**
   * Replaces a case's title and document. `baseVersion` is the version the edit started from: an
   * edit of a case someone changed since is refused rather than silently undoing their change (a
   * partner added meanwhile would drop out of the next verdict), and so is one that names no
   * version. Of two edits from the same version, the first to commit wins; transactions are
   * serialised (AppDb.transaction), so the other then meets the new version. An edit whose
   * document is the stored one (a retried request that already took effect) changes nothing.
   */
  async update(actor: Actor, id: string, doc: unknown, baseVersion: number | null): Promise<{ version: number; changed: boolean }> {
    authorize(actor, 'case.update');
    const c = this.assessor.validate(doc);
    return this.db.transaction(async (tx) => {
      const stored = await this.owned(tx, actor, id);
      const current = stored.version;
      if (baseVersion === null) throw new PreconditionRequiredError(`case ${id} is at version ${current}: an edit names the version it started from (over HTTP, If-Match with the ETag of GET /api/cases/${id}), so that it cannot undo a change made since`);
      // The same document with its keys in another order is no edit: it would count a version and
      // leave the verdict of the case as it stands undecidable.
      if (canonicalJson(doc) === canonicalJson(stored.doc)) return { version: current, changed: false };
      const text = JSON.stringify(doc);
      if (baseVersion !== current) throw new ConflictError(`case ${id} is at version ${current}, not ${baseVersion}: someone changed it since; reload it and edit again`);
      const version = current + 1;
      await tx.query('UPDATE cases SET title = $1, doc = $2, updated_at = $3, version = $4 WHERE id = $5', [c.title, text, new Date().toISOString(), version, id]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'case.update', target: id, detail: { title: c.title, version }, rows: [['cases', id]] });
      return { version, changed: true };
    });
  }

  /**
   * Runs the policy bundle on the case and stores the verdict with the case as assessed, every
   * observation it read and the bundle's record, so that report, re-run and reading replay it.
   */
  async assess(actor: Actor, id: string, asOf: string, bundle?: PolicyBundle, signal?: AbortSignal): Promise<StoredAssessment> {
    authorize(actor, 'assessment.run');
    checkAsOf(asOf);
    const stored = await this.owned(this.db, actor, id);
    const result = await this.assessor.run(this.assessor.validate(stored.doc, bundle), asOf, bundle, actor.orgId, signal);
    return this.store(actor, id, { ...result, case: stored.doc, caseVersion: stored.version });
  }

  /** Runs the policy bundle on a case given whole, without storing the case or its verdict. */
  async assessUnsaved(actor: Actor, doc: unknown, asOf: string, signal?: AbortSignal): Promise<Awaited<ReturnType<Assessor['run']>>> {
    authorize(actor, 'assessment.run');
    checkAsOf(asOf);
    return this.assessor.run(this.assessor.validate(doc), asOf, undefined, actor.orgId, signal);
  }

  private async store(actor: Actor, id: string, result: StoredResult): Promise<StoredAssessment> {
    return this.db.transaction(async (tx) => {
      await this.owned(tx, actor, id);
      const aid = randomUUID();
      const now = new Date().toISOString();
      await tx.query('INSERT INTO assessments (id, case_id, org_id, created_by, created_at, rulebook_id, rulebook_version, rulebook_hash, snapshot, overall, result, as_of, reassess_by, case_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)', [
        aid,
        id,
        actor.orgId,
        actor.userId,
        now,
        result.rulebook.id,
        result.rulebook.version,
        result.rulebook.hash,
        JSON.stringify(result.snapshot),
        result.overall,
        JSON.stringify(result),
        result.asOf,
        result.reassessBy,
        result.caseVersion ?? null,
      ]);
      await tx.query('UPDATE cases SET updated_at = $1 WHERE id = $2', [now, id]);
      await appendAudit(tx, {
        actor: actor.userId,
        orgId: actor.orgId,
        action: 'assessment.run',
        target: aid,
        detail: {
          case: id,
          overall: result.overall,
          rulebook: `${result.rulebook.version}/${result.rulebook.hash}`,
          bundle: `${result.bundle.version}/${result.bundle.hash}`,
          // The risk lists its screening read, as the snapshot records them: which edition of a list decided is read from the trail alone.
          lists: ((result.snapshot as Partial<Snapshot>).lists ?? []).map((l) => `${l.id}/${l.version}`),
          ...(result.rerunOf ? { rerunOf: result.rerunOf } : {}),
          criteria: result.criteria.filter((r) => r.status === 'holds').map((r) => r.id),
        },
        rows: [['assessments', aid]],
      });
      return { id: aid, caseId: id, createdAt: now, createdBy: actor.userId, overall: result.overall, rulebook: result.rulebook, caseVersion: result.caseVersion ?? null, result };
    });
  }

  async assessments(actor: Actor, caseId: string): Promise<StoredAssessment[]> {
    authorize(actor, 'assessment.read');
    const { own } = await this.visible(this.db, actor, caseId);
    const rows = await this.db.query<AssessmentRow>('SELECT * FROM assessments WHERE case_id = $1 ORDER BY created_at DESC', [caseId]);
    return rows.map((r) => ({ id: r.id, caseId: r.case_id, createdAt: r.created_at, createdBy: own ? r.created_by : null, overall: r.overall, rulebook: { id: r.rulebook_id, version: r.rulebook_version, hash: r.rulebook_hash }, caseVersion: caseVersionOf(r), result: JSON.parse(r.result) }));
  }

  /** A stored verdict (see readAssessment). */
  assessment(actor: Actor, id: string): Promise<StoredAssessment> {
    return readAssessment(this.db, actor, id);
  }

  /**
   * An old verdict replayed under another policy bundle: the case as it was assessed and what was
   * observed then, not today's case or today's lists. The diff names the criteria and files that
   * changed, the match corrections in force for the organisation that differ from those the
   * stored evidence was read through, and the lists (version, retrieval), alias file and registry
   * loaded now that differ from those it was screened against (the replay still reads both as they were then).
   */
  async rerun(actor: Actor, assessmentId: string, bundle: PolicyBundle): Promise<{ before: StoredAssessment; after: StoredAssessment; diff: ReturnType<typeof compareAssessments> & { corrections: ReturnType<typeof correctionsChanged>; sources: SourceChanges } }> {
    authorize(actor, 'assessment.run');
    const before = await this.assessment(actor, assessmentId);
    await this.owned(this.db, actor, before.caseId);
    const snapshot = before.result.snapshot as Snapshot;
    if (!before.result.case || !snapshot.observations) throw new NotFoundError(`assessment ${assessmentId} was stored before snapshots were kept: assess the case again instead`);
    const c = this.assessor.validate(before.result.case, bundle);
    const replayed = this.assessor.replay(c, snapshot, before.result.asOf, bundle);
    // The replay assesses the case as it was then: the version the replayed verdict assessed.
    const after = await this.store(actor, before.caseId, { ...replayed, case: before.result.case, ...(before.caseVersion === null ? {} : { caseVersion: before.caseVersion }), rerunOf: before.id });
    const corrections = correctionsChanged(snapshot.corrections, await this.assessor.correctionsFor(actor.orgId));
    // The replay screens as it did then; a list, alias file or registry loaded since would screen otherwise today.
    const sources = sourceChanges(snapshot, await this.assessor.versions());
    return { before, after, diff: { ...compareAssessments(before.result, after.result), corrections, sources } };
  }

  /**
   * Signs a verdict off: approved, approved with conditions (at least one) or rejected. Once
   * only, by an officer of the organisation that owns the case; deciding again needs a new verdict.
   * Only a verdict of the case as it stands: one of a version edited since (another partner, say)
   * would be filed against a case nobody assessed in that form. A verdict stored before verdicts
   * recorded their case version is decided only while the case reads as it assessed it.
   */
  async decide(actor: Actor, assessmentId: string, input: { decision: string; conditions?: string[] }): Promise<Decision> {
    authorize(actor, 'assessment.decide');
    const decision = input.decision as DecisionKind;
    if (!DECISIONS.includes(decision)) throw new ValidationError(`decision must be one of ${DECISIONS.join(', ')}, not ${JSON.stringify(input.decision)}`);
    const conditions = (input.conditions ?? []).map((c) => c.trim()).filter((c) => c !== '');
    if (decision === 'approved-with-conditions' && conditions.length === 0) throw new ValidationError('an approval with conditions names at least one condition');
    if (decision !== 'approved-with-conditions' && conditions.length > 0) throw new ValidationError(`a decision "${decision}" carries no conditions: approve with conditions instead`);
    const verdict = await this.assessment(actor, assessmentId);
    await this.db.transaction(async (tx) => {
      const c = await this.owned(tx, actor, verdict.caseId);
      if (!assessedCurrentVersion(verdict, c))
        throw new ConflictError(
          verdict.caseVersion === null
            ? `assessment ${assessmentId} was stored before verdicts recorded the case version they assessed, and case ${c.id} (now version ${c.version}) reads differently from the case it assessed: assess the current version first`
            : `assessment ${assessmentId} is of version ${verdict.caseVersion} of case ${c.id}, which was edited since (now version ${c.version}): assess the current version first`,
        );
      const before = await this.decisionRow(tx, assessmentId);
      if (before) throw new ConflictError(`this verdict was already decided (${before.decision}, ${before.decided_at}): assess the case again to decide anew`);
      await tx.query('INSERT INTO assessment_decisions (assessment_id, org_id, decision, conditions, decided_by, decided_at) VALUES ($1, $2, $3, $4, $5, $6)', [assessmentId, actor.orgId, decision, JSON.stringify(conditions), actor.userId, new Date().toISOString()]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'assessment.decide', target: assessmentId, detail: { case: verdict.caseId, caseVersion: c.version, decision, conditions }, rows: [['assessment_decisions', assessmentId]] });
    });
    return (await this.decision(actor, assessmentId))!;
  }

  /** A verdict's sign-off, or null while nobody decided on it. */
  async decision(actor: Actor, assessmentId: string): Promise<Decision | null> {
    await this.assessment(actor, assessmentId);
    const row = await this.decisionRow(this.db, assessmentId);
    if (!row) return null;
    return { assessmentId, decision: row.decision as DecisionKind, conditions: JSON.parse(row.conditions) as string[], decidedBy: row.org_id === actor.orgId ? row.decided_by : null, decidedByName: await this.personName(actor, row.decided_by), decidedAt: row.decided_at };
  }

  /** What the report prints beside the verdict: names, not user ids, and the sign-off. */
  async reportMeta(actor: Actor, a: StoredAssessment): Promise<ReportMeta> {
    return { caseId: a.caseId, assessmentId: a.id, assessedBy: await this.personName(actor, a.createdBy), decision: await this.decision(actor, a.id), digest: await verdictDigest(this.db, a.id) };
  }

  private async decisionRow(q: AppDb | AppTx, assessmentId: string) {
    return (await q.query<{ org_id: string; decision: string; conditions: string; decided_by: string; decided_at: string }>('SELECT org_id, decision, conditions, decided_by, decided_at FROM assessment_decisions WHERE assessment_id = $1', [assessmentId]))[0];
  }

  /**
   * A user's name as the actor may see it: their own organisation's users by name (and e-mail),
   * anyone else as "a user of another organisation" (a shared case names nobody across organisations).
   */
  async personName(actor: Actor, userId: string | null): Promise<string> {
    if (userId === null) return OTHER_ORG_USER;
    const row = (await this.db.query<{ name: string; email: string; org_id: string }>('SELECT name, email, org_id FROM users WHERE id = $1', [userId]))[0];
    if (!row) return 'a user no longer registered';
    if (row.org_id !== actor.orgId) return OTHER_ORG_USER;
    return row.name && row.name !== row.email ? `${row.name} (${row.email})` : row.email;
  }

  async share(actor: Actor, caseId: string, orgId: string): Promise<void> {
    authorize(actor, 'case.share');
    await this.db.transaction(async (tx) => {
      await this.owned(tx, actor, caseId);
      const org = (await tx.query('SELECT id FROM organisations WHERE id = $1', [orgId]))[0];
      if (!org) throw new NotFoundError(`no organisation ${orgId}`);
      await tx.query('INSERT INTO case_shares (case_id, org_id, shared_by, shared_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [caseId, orgId, actor.userId, new Date().toISOString()]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'case.share', target: caseId, detail: { with: orgId }, rows: [['case_shares', caseId, orgId]] });
    });
  }

  /** Takes a share back: the other organisation loses sight of the case at once. */
  async unshare(actor: Actor, caseId: string, orgId: string): Promise<void> {
    authorize(actor, 'case.share');
    await this.db.transaction(async (tx) => {
      await this.owned(tx, actor, caseId);
      if (!(await tx.query('SELECT 1 FROM case_shares WHERE case_id = $1 AND org_id = $2', [caseId, orgId]))[0]) throw new NotFoundError(`case ${caseId} is not shared with ${orgId}`);
      await tx.query('DELETE FROM case_shares WHERE case_id = $1 AND org_id = $2', [caseId, orgId]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'case.unshare', target: caseId, detail: { with: orgId }, rows: [['case_shares', caseId, orgId]] });
    });
  }

  async addNote(actor: Actor, caseId: string, body: string): Promise<string> {
    authorize(actor, 'note.create');
    return this.db.transaction(async (tx) => {
      await this.owned(tx, actor, caseId);
      const id = randomUUID();
      await tx.query('INSERT INTO notes (id, case_id, org_id, author, created_at, body) VALUES ($1, $2, $3, $4, $5, $6)', [id, caseId, actor.orgId, actor.userId, new Date().toISOString(), body]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'note.create', target: id, detail: { case: caseId }, rows: [['notes', id]] });
      return id;
    });
  }

  async notes(actor: Actor, caseId: string): Promise<{ id: string; author: string; createdAt: string; body: string }[]> {
    authorize(actor, 'note.read');
    await this.visible(this.db, actor, caseId);
    // Notes stay with the organisation that wrote them, even on a shared case.
    const rows = await this.db.query<{ id: string; author: string; created_at: string; body: string }>('SELECT id, author, created_at, body FROM notes WHERE case_id = $1 AND org_id = $2 ORDER BY created_at', [caseId, actor.orgId]);
    return rows.map((r) => ({ id: r.id, author: r.author, createdAt: r.created_at, body: r.body }));
  }
}
