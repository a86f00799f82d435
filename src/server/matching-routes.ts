import type { FastifyInstance } from 'fastify';
import type { AppDb } from '../appdb/db.ts';
import { MatchCorrections } from '../resolve/corrections.ts';
import type { AffiliationResolver } from '../resolve/matcher.ts';
import { applyCorrections, viewsReading } from '../resolve/org-view.ts';
import { Thesaurus } from '../resolve/thesaurus.ts';
import { authorize } from '../service/authorize.ts';
import type { Store } from '../store/store.ts';
import { actorOf } from './auth.ts';

/**
 * Analysts' corrections to affiliation matching and a string resolved with them. Roles and
 * organisations are checked in the core (MatchCorrections); the resolver is the one the screening
 * index holds. A correction takes effect at once in its organisation's view of the evidence (and
 * nobody else's): `viewChanged` lets the server forget answers it kept.
 */
export function registerMatchingRoutes(app: FastifyInstance, db: AppDb, store: Store, resolver: () => Promise<AffiliationResolver>, viewChanged: () => void): void {
  const corrections = async () => {
    const r = await resolver();
    return { r, service: new MatchCorrections(db, (id) => r.institution(id)) };
  };
  const apply = async (orgId: string) => {
    const { r, service } = await corrections();
    const applied = await applyCorrections(store, orgId, await service.inForce(orgId), (raws, cs) => {
      const thesaurus = new Thesaurus(cs);
      return raws.map((raw) => r.resolve(raw, thesaurus));
    });
    viewChanged();
    return applied;
  };
  // Corrections that ended may have reached other organisations' views through sharing: those are rebuilt too, at once.
  // The caller learns its own counts and whether others' views were rebuilt, never their counts.
  const applyEnded = async (orgId: string, ended: string[]) => {
    const applied = await apply(orgId);
    for (const other of await viewsReading(store, ended)) await apply(other);
    return { ...applied, othersRebuilt: await new MatchCorrections(db, () => undefined).sharedBeyond(orgId, ended) };
  };

  app.get(
    '/api/match/corrections',
    {
      schema: {
        description:
          "Your organisation's corrections to affiliation matching, oldest first, each with its author (createdBy, createdByName), how far it is shared and whether it is in force (state: in force, superseded by a later one on the same string, or withdrawn, with who, when and why); then the corrections in force other organisations shared with yours (sharedBy: the organisation, never its author)",
      },
    },
    async (request) => new MatchCorrections(db, () => undefined).list(actorOf(request)),
  );

  app.post(
    '/api/match/corrections',
    {
      schema: {
        description:
          'Records a correction for your organisation (analysts and up; audited): verdict is ("this string is that institution"), not ("is not that one") or none ("names no registry institution", no ror). It supersedes your organisation\'s earlier corrections of the same string it contradicts (supersedes: their ids; they stay listed, superseded, and stop applying at once wherever they were shared). It applies to the same string however it is cased or punctuated, at once, to your organisation\'s indicators, institution profiles, portfolios and assessments (applied: the strings whose answer and the works whose counted institutions changed in your organisation\'s view; othersRebuilt: whether the corrections it supersedes were shared, so that the views of the organisations they reached were rebuilt too, whose counts are theirs), never to another organisation\'s.',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['string', 'verdict', 'reason'],
          properties: { string: { type: 'string', minLength: 1, maxLength: 2000 }, verdict: { type: 'string', enum: ['is', 'not', 'none'] }, ror: { type: 'string', maxLength: 40 }, reason: { type: 'string', minLength: 1, maxLength: 5000 } },
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { string: string; verdict: 'is' | 'not' | 'none'; ror?: string; reason: string };
      const { service } = await corrections();
      const actor = actorOf(request);
      const correction = await service.correct(actor, { raw: body.string, verdict: body.verdict, rorId: body.ror ?? null, reason: body.reason });
      return reply.code(201).send({ ...correction, applied: await applyEnded(actor.orgId, correction.supersedes) });
    },
  );

  app.post(
    '/api/match/corrections/:id/withdraw',
    {
      schema: {
        description:
          "Withdraws one of your organisation's corrections in force, saying why (analysts and up; audited): it stays listed as withdrawn and stops applying at once to your organisation's view (applied: the strings whose answer and the works whose counted institutions changed there, those it decided reading the shared answer again; the other corrections' strings and works, unchanged, are not counted) and to the views of those it was shared with, which are rebuilt too (applied.othersRebuilt: true when it was shared; their counts are theirs and never told). One withdrawn or superseded already answers 409 naming what ended it; another organisation's, 404",
        params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 100 } } },
        body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 5000 } } },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const withdrawn = await new MatchCorrections(db, () => undefined).withdraw(actor, (request.params as { id: string }).id, (request.body as { reason: string }).reason);
      return { ...withdrawn, applied: await applyEnded(actor.orgId, [withdrawn.id]) };
    },
  );

  app.post(
    '/api/match/apply',
    {
      schema: {
        description:
          "Resolves again every evidence string your organisation's corrections (and those shared with it) decide, and counts their works again, in your organisation's view only (analysts and up; strings, works: those whose answer changed, 0 when the view was current): sharing, accepting, rejecting, withdrawing and retracting corrections do this themselves, and every read checks it first",
      },
    },
    async (request) => {
      const actor = actorOf(request);
      authorize(actor, 'match.correct');
      return apply(actor.orgId);
    },
  );

  app.get(
    '/api/match/received',
    {
      schema: {
        description:
          'Match corrections other installations shared through the feeds this one pulls (or files your organisation imported), each saying whether your organisation accepted it, and, once its publisher retracted it (retractedAt; retraction: when, by whom, via whom, why as far as the feed tells, and the pull or import that brought it), that it applies to nobody',
      },
    },
    async (request) => (await corrections()).service.receivedFor(actorOf(request)),
  );

  app.post(
    '/api/match/received/:uuid/accept',
    {
      schema: {
        description: "Accepts a received correction for your organisation (analysts and up; audited): it joins the corrections in force, below your own, and applies at once to your organisation's view (applied: strings, works)",
        params: { type: 'object', required: ['uuid'], properties: { uuid: { type: 'string', maxLength: 100 } } },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const accepted = await (await corrections()).service.accept(actor, (request.params as { uuid: string }).uuid);
      return { ...accepted, applied: await apply(actor.orgId) };
    },
  );

  app.post(
    '/api/match/received/:uuid/reject',
    {
      schema: {
        description: "Rejects a received correction for your organisation, saying why (analysts and up; audited): it is not among your corrections in force; one accepted before is withdrawn and your organisation's view rebuilt (applied: strings, works). Accepting it later takes it back",
        params: { type: 'object', required: ['uuid'], properties: { uuid: { type: 'string', maxLength: 100 } } },
        body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 5000 } } },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const rejected = await (await corrections()).service.reject(actor, (request.params as { uuid: string }).uuid, (request.body as { reason: string }).reason);
      return { ...rejected, applied: await apply(actor.orgId) };
    },
  );

  app.get(
    '/api/match/resolve',
    {
      schema: {
        description: 'One affiliation string resolved for your organisation: its corrections (and those other organisations shared) decide before matching; each match says how it was made',
        querystring: { type: 'object', additionalProperties: false, required: ['q'], properties: { q: { type: 'string', minLength: 1, maxLength: 2000 } } },
      },
    },
    async (request) => {
      const { r, service } = await corrections();
      return service.resolveFor(actorOf(request), r, (request.query as { q: string }).q);
    },
  );
}
