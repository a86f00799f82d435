import type { FastifyInstance } from 'fastify';
import type { AppDb } from '../appdb/db.ts';
import type { Rulebook } from '../assessment/rulebook.ts';
import { loadConfig } from '../config.ts';
import { ENTRY_ID } from '../monitoring/entry.ts';
import { KnowledgeBase, type ListFilter } from '../monitoring/knowledge-base.ts';
import { actorOf } from './auth.ts';

const entryId = { type: 'string', maxLength: 81, pattern: ENTRY_ID.source, description: 'an entry id, e.g. cn-data-security-law' } as const;
const version = { type: 'integer', minimum: 1, maximum: 999_999_999 } as const;
const day = { type: 'string', maxLength: 10, pattern: '^\\d{4}-\\d{2}-\\d{2}$' } as const;
const partialDate = { type: 'string', maxLength: 10, pattern: '^\\d{4}(-\\d{2}(-\\d{2})?)?$', description: 'YYYY, YYYY-MM or YYYY-MM-DD' } as const;
const code = { type: 'string', maxLength: 60, pattern: '^[A-Za-z0-9-]{1,60}$' } as const;
const note = { type: 'string', maxLength: 1000, description: 'why: kept with the version or review' } as const;
const idParams = { type: 'object', properties: { id: entryId }, required: ['id'] } as const;

/**
 * The knowledge base over HTTP. Role checks and validation of entries happen in the
 * KnowledgeBase; these handlers translate HTTP to the core and back.
 */
export function registerKbRoutes(app: FastifyInstance, db: AppDb, rulebook: () => Rulebook, mirror: string | null = loadConfig().mirror): void {
  const kb = new KnowledgeBase({ db, rulebook, mirror });

  app.get('/api/kb/vocabulary', { schema: { description: 'Knowledge base: topics, entry types, statuses, jurisdictions, languages, and the rulebook criteria an entry may link to' } }, async (request) => {
    actorOf(request);
    const v = kb.vocabulary;
    return {
      provenance: v.provenance,
      topics: [...v.topics.values()],
      types: [...v.types.values()],
      statuses: [...v.statuses.values()],
      jurisdictions: Object.fromEntries(v.jurisdictions),
      languages: Object.fromEntries(v.languages),
      criteria: rulebook().criteria.map((c) => ({ id: c.id, title: c.title })),
    };
  });

  app.get(
    '/api/kb/entries',
    {
      schema: {
        description: 'Knowledge-base entries; q searches titles (English and original language), summaries, sources and articles, best match first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { q: { type: 'string', maxLength: 300 }, topic: code, jurisdiction: code, type: code, status: code, review: { type: 'string', enum: ['draft', 'reviewed'] }, criterion: code },
        },
      },
    },
    async (request) => kb.list(actorOf(request), request.query as ListFilter),
  );

  app.get('/api/kb/entries/:id', { schema: { description: 'An entry with its versions, review state, linked criteria and the verdicts (yours) that cited them', params: idParams } }, async (request) => kb.get(actorOf(request), (request.params as { id: string }).id));

  app.get('/api/kb/entries/:id/versions/:version', { schema: { description: 'One stored version of an entry', params: { type: 'object', properties: { id: entryId, version }, required: ['id', 'version'] } } }, async (request) => {
    const p = request.params as { id: string; version: number };
    return kb.version(actorOf(request), p.id, p.version);
  });

  app.get(
    '/api/kb/entries/:id/diff',
    {
      schema: { description: 'What differs between two versions (default: the last change)', params: idParams, querystring: { type: 'object', additionalProperties: false, properties: { from: { type: 'integer', minimum: 0, maximum: 999_999_999 }, to: version } } },
    },
    async (request) => {
      const q = request.query as { from?: number; to?: number };
      return kb.diff(actorOf(request), (request.params as { id: string }).id, q.from, q.to);
    },
  );

  app.post(
    '/api/kb/entries',
    {
      schema: { description: 'Adds an entry as a draft (analyst)', body: { type: 'object', additionalProperties: false, required: ['entry'], properties: { entry: { type: 'object' }, note } } },
    },
    async (request, reply) => {
      const body = request.body as { entry: unknown; note?: string };
      return reply.code(201).send(await kb.add(actorOf(request), body.entry, body.note));
    },
  );

  app.put(
    '/api/kb/entries/:id',
    {
      schema: {
        description: 'Stores an edited entry as a new version (analyst); base_version is the version the edit started from (409 if it changed since)',
        params: idParams,
        body: { type: 'object', additionalProperties: false, required: ['entry', 'base_version'], properties: { entry: { type: 'object' }, base_version: version, note } },
      },
    },
    async (request) => {
      const body = request.body as { entry: unknown; base_version: number; note?: string };
      return kb.edit(actorOf(request), (request.params as { id: string }).id, body.entry, body.base_version, body.note);
    },
  );

  app.post(
    '/api/kb/entries/:id/review',
    {
      schema: { description: 'Marks the version read as reviewed (officer); 409 if the entry changed since', params: idParams, body: { type: 'object', additionalProperties: false, required: ['version'], properties: { version, note } } },
    },
    async (request) => {
      const body = request.body as { version: number; note?: string };
      return kb.review(actorOf(request), (request.params as { id: string }).id, body.version, body.note);
    },
  );

  app.get(
    '/api/kb/changes',
    {
      schema: { description: 'Entries added, changed, changed in status or reviewed since a day (UTC), in order; seq is a cursor', querystring: { type: 'object', additionalProperties: false, required: ['since'], properties: { since: day, topic: code } } },
    },
    async (request) => {
      const q = request.query as { since: string; topic?: string };
      return kb.changes(actorOf(request), q.since, q.topic ? { topic: q.topic } : {});
    },
  );

  app.get(
    '/api/kb/timeline',
    {
      schema: { description: 'Dated events of the landscape: adopted, in force, applying', querystring: { type: 'object', additionalProperties: false, properties: { from: partialDate, to: partialDate, topic: code, jurisdiction: code } } },
    },
    async (request) => kb.timeline(actorOf(request), request.query as { from?: string; to?: string; topic?: string; jurisdiction?: string }),
  );

  app.get(
    '/api/kb/criteria/:criterion',
    {
      schema: { description: 'A rulebook criterion, the entries it rests on, and your verdicts in which it held', params: { type: 'object', properties: { criterion: { type: 'string', maxLength: 81, pattern: '^[A-Z][A-Z0-9-]{0,80}$' } }, required: ['criterion'] } },
    },
    async (request) => kb.criterion(actorOf(request), (request.params as { criterion: string }).criterion),
  );

  app.get(
    '/api/kb/verdicts/:id',
    {
      schema: { description: 'The entries behind a stored verdict: those linked to the criteria that held in it', params: { type: 'object', properties: { id: { type: 'string', format: 'uuid', maxLength: 36 } }, required: ['id'] } },
    },
    async (request) => kb.verdictEntries(actorOf(request), (request.params as { id: string }).id),
  );
}
