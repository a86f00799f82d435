import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppDb } from '../appdb/db.ts';
import type { Assessor } from '../assessment/assessor.ts';
import { CASE_MAX_BYTES, caseAsAssessed, caseChoices, CaseDocument, CaseError } from '../assessment/case.ts';
import { reportHtml, reportPdf } from '../assessment/report.ts';
import { ValidationError } from '../errors.ts';
import { assessedCurrentVersion, assessmentDocument, CASE_SORT_KEYS, caseListCsv, DECISIONS, readAssessment, type CaseQuery, type CaseService } from '../service/cases.ts';
import { actorOf } from './auth.ts';
import type { HeavyRun } from './heavy-work.ts';
import { documentValidator } from './typebox.ts';

const id = { type: 'object', properties: { id: { type: 'string', format: 'uuid', maxLength: 36 } }, required: ['id'] } as const;
const asOf = { type: 'string', maxLength: 10, pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;
const today = () => new Date().toISOString().slice(0, 10);
/** A case in a body is refused as a case file is: the same schema, the same CaseError. */
const caseBody = documentValidator('the case', (m) => new CaseError(m));
/** A case's version as an entity tag: GET gives it, an edit sends it back in If-Match. */
const etag = (version: number) => `"${version}"`;

/**
 * The version an edit started from, read from If-Match (null without one). Only the one tag GET
 * gave matches: a list, "*" (any version) or a weak tag would let an edit through unchecked.
 */
function baseVersion(ifMatch: string | undefined): number | null {
  if (ifMatch === undefined) return null;
  const tag = /^\s*"(0|[1-9]\d{0,14})"\s*$/.exec(ifMatch);
  if (!tag) throw new ValidationError(`If-Match: ${JSON.stringify(ifMatch)} is not a version of the case: send the ETag that GET /api/cases/:id gave, like "3"`);
  return Number(tag[1]);
}

/**
 * Cases, verdicts, notes and sharing. Role and organisation are checked in the core (CaseService,
 * readAssessment), not here: these handlers only translate HTTP to the core and back. A stored
 * verdict is read from `db` before the services (which load the lists and registry) are asked for.
 */
export function registerCaseRoutes(app: FastifyInstance, db: AppDb, services: () => Promise<{ cases: CaseService; assessor: Assessor }>, heavy: HeavyRun): void {
  app.get('/api/assessment/options', { schema: { description: 'What a case may say: the fixed choices of the case schema with their labels (choices), technology fields, intended uses with their AI Act tier, standards forums and topics' } }, async (request) => {
    actorOf(request);
    const { assessor } = await services();
    const { bundle } = assessor.parts;
    // Fixed choices come from the case schema (the one that checks a case); the rest from the policy bundle.
    const choices = caseChoices();
    const values = (name: string) => choices[name]!.map((c) => c.value);
    return {
      choices,
      kinds: values('kind'),
      fields: [...bundle.taxonomy.fields.values()].map((f) => ({ id: f.id, name: f.name })),
      uses: [...bundle.uses.values()].map((u) => ({ id: u.id, label: u.label, tier: u.tier, cite: u.cite })),
      partyKinds: values('partyKind'),
      dataSubjects: values('dataSubjects'),
      dataAccess: values('dataAccess'),
      populations: values('populations'),
      mobility: values('mobility'),
      standardsRoles: values('standardsRole'),
      forums: [...bundle.standards.forums.values()].map((f) => ({ id: f.id, name: f.name, kind: f.kind })),
      topics: [...bundle.standards.topics.values()].map((t) => ({ id: t.id, name: t.name })),
      rulebook: { id: bundle.rulebook.id, version: bundle.rulebook.version, hash: bundle.rulebook.hash },
      bundle: { version: bundle.record.version, hash: bundle.record.hash },
    };
  });

  app.post(
    '/api/assess',
    { schema: { description: 'Assesses a case given in the body without storing it (the verdict, criteria, evidence and plan)', body: CaseDocument, querystring: { type: 'object', additionalProperties: false, properties: { as_of: asOf } } }, validatorCompiler: caseBody, bodyLimit: CASE_MAX_BYTES },
    async (request, reply) => {
      const { cases } = await services();
      return heavy(request, reply, (signal) => cases.assessUnsaved(actorOf(request), request.body, (request.query as { as_of?: string }).as_of ?? today(), signal));
    },
  );

  app.get(
    '/api/cases',
    {
      schema: {
        description:
          "Cases of the caller's organisation and cases shared with it, each with its status, owner, latest verdict and re-assessment date; q searches title and reference, sort orders them (default: last changed first), limit and offset page them (x-total-count: how many match); format=csv: every case that matches, as CSV",
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            q: { type: 'string', maxLength: 200 },
            sort: { type: 'string', enum: [...CASE_SORT_KEYS] },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
            offset: { type: 'integer', minimum: 0, maximum: 999_999_999 },
            format: { type: 'string', enum: ['json', 'csv'], default: 'json' },
          },
        },
      },
    },
    async (request, reply) => {
      const { format, ...query } = request.query as CaseQuery & { format: 'json' | 'csv' };
      const page = await (await services()).cases.page(actorOf(request), query);
      if (format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="cases.csv"').header('x-total-count', String(page.total)).send(caseListCsv(page.rows));
      return reply.header('x-total-count', String(page.total)).send(page.rows);
    },
  );

  app.post(
    '/api/cases',
    { schema: { description: 'Stores a new case; an Idempotency-Key header makes a retried request create it once', body: CaseDocument, headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 100 } } } }, validatorCompiler: caseBody, bodyLimit: CASE_MAX_BYTES },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const r = await (await services()).cases.create(actorOf(request), request.body, typeof key === 'string' ? key : null);
      return reply.code(r.created ? 201 : 200).send(r);
    },
  );

  app.get(
    '/api/cases/:id',
    { schema: { description: 'A case (with its version, also the ETag an edit sends back in If-Match), its verdicts (each with the case version it assessed; editedSince: the case was edited after it, so it cannot be decided on) and the notes of the caller’s organisation', params: id } },
    async (request, reply) => {
      const actor = actorOf(request);
      const { cases } = await services();
      const caseId = (request.params as { id: string }).id;
      const c = await cases.get(actor, caseId);
      const assessments = await cases.assessments(actor, caseId);
      const name = (userId: string | null) => cases.personName(actor, userId);
      const notes = await cases.notes(actor, caseId);
      reply.header('etag', etag(c.version));
      return {
        ...c,
        createdByName: await name(c.createdBy),
        assessments: await Promise.all(
          assessments.map(async (a) => ({
            id: a.id,
            createdAt: a.createdAt,
            createdBy: a.createdBy,
            createdByName: await name(a.createdBy),
            overall: a.overall,
            rulebook: a.rulebook,
            caseVersion: a.caseVersion,
            editedSince: !assessedCurrentVersion(a, c),
            decision: await cases.decision(actor, a.id),
          })),
        ),
        notes: await Promise.all(notes.map(async (n) => ({ ...n, authorName: await name(n.author) }))),
      };
    },
  );

  app.put(
    '/api/cases/:id',
    {
      schema: {
        description: 'Replaces a case (owning organisation only). If-Match names the version the edit started from (the ETag of GET): 428 without it, 409 if the case changed since; the answer carries the new version and ETag',
        params: id,
        body: CaseDocument,
        headers: { type: 'object', properties: { 'if-match': { type: 'string', maxLength: 100 } } },
      },
      validatorCompiler: caseBody,
      bodyLimit: CASE_MAX_BYTES,
    },
    async (request, reply) => {
      const ifMatch = request.headers['if-match'];
      const { version } = await (await services()).cases.update(actorOf(request), (request.params as { id: string }).id, request.body, baseVersion(typeof ifMatch === 'string' ? ifMatch : undefined));
      return reply.header('etag', etag(version)).send({ ok: true, version });
    },
  );

  app.post('/api/cases/:id/assess', { schema: { description: 'Runs the rulebook on a stored case and stores the verdict', params: id, body: { type: 'object', additionalProperties: false, properties: { as_of: asOf } } } }, async (request, reply) => {
    const { cases } = await services();
    const stored = await heavy(request, reply, (signal) => cases.assess(actorOf(request), (request.params as { id: string }).id, (request.body as { as_of?: string } | undefined)?.as_of ?? today(), undefined, signal));
    return reply.code(201).send(stored);
  });

  app.get('/api/assessments/:id', { schema: { description: 'A stored verdict as it was decided: {id, case (as assessed), overall, categories, criteria, bundle, snapshot, created_at}, with evidence, plan and sources', params: id } }, async (request) =>
    assessmentDocument(await readAssessment(db, actorOf(request), (request.params as { id: string }).id)),
  );

  const report = async (request: FastifyRequest) => {
    const actor = actorOf(request);
    const a = await readAssessment(db, actor, (request.params as { id: string }).id);
    const { cases } = await services();
    // The case as it was assessed, not as it reads today.
    return reportHtml(caseAsAssessed(a.result.case), a.result, await cases.reportMeta(actor, a));
  };
  app.get('/api/assessments/:id/report', { schema: { description: 'The report to file, as HTML', params: id } }, async (request, reply) =>
    // Inline styles only: the report is a document, served with its own strict policy.
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
      .send(await report(request)),
  );
  app.get('/api/assessments/:id/report.pdf', { schema: { description: 'The report to file, as PDF (printed by Chromium on the server)', params: id } }, async (request, reply) => {
    const pdf = await reportPdf(await report(request));
    return reply
      .type('application/pdf')
      .header('content-disposition', `attachment; filename="derisk-assessment-${(request.params as { id: string }).id}.pdf"`)
      .send(pdf);
  });

  app.get('/api/assessments/:id/decision', { schema: { description: "A verdict's sign-off: {decision, conditions, decidedBy, decidedByName, decidedAt}, or null", params: id } }, async (request) => {
    const actor = actorOf(request);
    const a = await readAssessment(db, actor, (request.params as { id: string }).id);
    return (await services()).cases.decision(actor, a.id);
  });
  app.post(
    '/api/assessments/:id/decision',
    {
      schema: {
        description: 'Signs a verdict off, once (officer): approved, approved-with-conditions (with conditions) or rejected; 409 when the case was edited after the version the verdict assessed (assess the current version first)',
        params: id,
        body: { type: 'object', additionalProperties: false, required: ['decision'], properties: { decision: { type: 'string', enum: [...DECISIONS] }, conditions: { type: 'array', maxItems: 50, items: { type: 'string', minLength: 1, maxLength: 2000 } } } },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const a = await readAssessment(db, actor, (request.params as { id: string }).id);
      const body = request.body as { decision: string; conditions?: string[] };
      return reply.code(201).send(await (await services()).cases.decide(actor, a.id, body));
    },
  );

  app.post(
    '/api/cases/:id/share',
    {
      config: { sessionOnly: 'share a case with another organisation' },
      schema: { description: 'Shares a case (read only) with another organisation (officer)', params: id, body: { type: 'object', additionalProperties: false, required: ['organisation'], properties: { organisation: { type: 'string', maxLength: 41, pattern: '^[a-z0-9][a-z0-9-]{1,40}$' } } } },
    },
    async (request) => {
      await (await services()).cases.share(actorOf(request), (request.params as { id: string }).id, (request.body as { organisation: string }).organisation);
      return { ok: true };
    },
  );

  app.delete(
    '/api/cases/:id/share/:organisation',
    {
      schema: {
        description: 'Takes back a share: the organisation loses sight of the case at once (officer)',
        params: { type: 'object', properties: { id: { type: 'string', format: 'uuid', maxLength: 36 }, organisation: { type: 'string', maxLength: 41, pattern: '^[a-z0-9][a-z0-9-]{1,40}$' } }, required: ['id', 'organisation'] },
      },
    },
    async (request) => {
      const { id: caseId, organisation } = request.params as { id: string; organisation: string };
      await (await services()).cases.unshare(actorOf(request), caseId, organisation);
      return { ok: true };
    },
  );

  app.post('/api/cases/:id/notes', { schema: { description: 'Adds a note to a case', params: id, body: { type: 'object', additionalProperties: false, required: ['body'], properties: { body: { type: 'string', minLength: 1, maxLength: 10000 } } } } }, async (request, reply) => {
    const noteId = await (await services()).cases.addNote(actorOf(request), (request.params as { id: string }).id, (request.body as { body: string }).body);
    return reply.code(201).send({ id: noteId });
  });
}
