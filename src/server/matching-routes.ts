import type { FastifyInstance } from 'fastify';
import type { AppDb } from '../appdb/db.ts';
import { MatchCorrections } from '../resolve/corrections.ts';
import type { AffiliationResolver } from '../resolve/matcher.ts';
import { actorOf } from './auth.ts';

/**
 * Analysts' corrections to affiliation matching and a string resolved with them. Roles and
 * organisations are checked in the core (MatchCorrections); the resolver is the one the screening
 * index holds.
 */
export function registerMatchingRoutes(app: FastifyInstance, db: AppDb, resolver: () => Promise<AffiliationResolver>): void {
  const corrections = async () => {
    const r = await resolver();
    return { r, service: new MatchCorrections(db, (id) => r.institution(id)) };
  };

  app.get('/api/match/corrections', { schema: { description: "Your organisation's corrections to affiliation matching, oldest first, with how far each is shared" } }, async (request) => new MatchCorrections(db, () => undefined).list(actorOf(request)));

  app.post('/api/match/corrections', {
    schema: {
      description: 'Records a correction for your organisation (analysts and up; audited): verdict is ("this string is that institution"), not ("is not that one") or none ("names no registry institution", no ror). It applies to the same string however it is cased or punctuated.',
      body: { type: 'object', additionalProperties: false, required: ['string', 'verdict', 'reason'], properties: { string: { type: 'string', minLength: 1, maxLength: 2000 }, verdict: { type: 'string', enum: ['is', 'not', 'none'] }, ror: { type: 'string', maxLength: 40 }, reason: { type: 'string', minLength: 1, maxLength: 5000 } } },
    },
  }, async (request, reply) => {
    const body = request.body as { string: string; verdict: 'is' | 'not' | 'none'; ror?: string; reason: string };
    const { service } = await corrections();
    return reply.code(201).send(await service.correct(actorOf(request), { raw: body.string, verdict: body.verdict, rorId: body.ror ?? null, reason: body.reason }));
  });

  app.get('/api/match/resolve', {
    schema: { description: "One affiliation string resolved for your organisation: its corrections (and those other organisations shared) decide before matching; each match says how it was made", querystring: { type: 'object', additionalProperties: false, required: ['q'], properties: { q: { type: 'string', minLength: 1, maxLength: 2000 } } } },
  }, async (request) => {
    const { r, service } = await corrections();
    return service.resolveFor(actorOf(request), r, (request.query as { q: string }).q);
  });
}
