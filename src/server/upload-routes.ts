import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { WorkKind } from '../workflows/ingest.ts';
import type { Uploads } from '../workflows/uploads.ts';
import { actorOf } from './auth.ts';

const FILE_ID = { type: 'string', maxLength: 64, pattern: '^[0-9a-f]{64}$', description: 'the file id of an upload (its SHA-256)' } as const;

/**
 * Uploads of publication exports (OpenAlex JSON Lines, WoS, Scopus CSV) into the caller's
 * organisation's own evidence, their ingest jobs, quarantine and sharing. Roles and tenants are
 * checked in Uploads; these handlers translate HTTP to it and back. The role is checked before
 * the body is read, and the body goes to disk as it arrives.
 */
export function registerUploadRoutes(app: FastifyInstance, uploads: Uploads): void {
  // In a scope of their own: only these routes take raw bodies, as streams.
  app.register(async (scope) => {
    scope.addContentTypeParser(['application/octet-stream', 'text/plain', 'text/csv', 'application/x-ndjson', 'application/gzip'], (_request, payload, done) => done(null, payload));

    const refuseEarly = async (request: FastifyRequest, reply: FastifyReply) => {
      const declared = request.headers['content-length'] === undefined ? null : Number(request.headers['content-length']);
      try {
        uploads.mayUpload(actorOf(request), declared);
      } catch (e) {
        // The rest of the body is not wanted: the connection closes after the answer.
        reply.header('connection', 'close');
        throw e;
      }
    };

    scope.post(
      '/api/uploads',
      {
        onRequest: refuseEarly,
        schema: {
          description: "Ingests a publication export sent as the raw body into the caller's organisation's own evidence (never into the shared base, indicators or verdicts). Answers 201 with the result when done, or at once 202 with a job to poll when sent with Prefer: respond-async",
          querystring: { type: 'object', additionalProperties: false, required: ['kind'], properties: { kind: { type: 'string', enum: ['openalex', 'wos', 'scopus'] }, name: { type: 'string', minLength: 1, maxLength: 255, description: "the uploaded file's name, by which reasons name it" } } },
          headers: { type: 'object', properties: { prefer: { type: 'string', maxLength: 200 } } },
        },
      },
      async (request, reply) => {
        const { kind, name } = request.query as { kind: WorkKind; name?: string };
        if (!request.body || typeof (request.body as Readable).pipe !== 'function') return reply.code(415).send({ error: 'unsupported media type', message: 'send the export as the request body (Content-Type: application/octet-stream)' });
        const { job, done } = await uploads.upload(actorOf(request), kind, request.body as Readable, name);
        if (/\brespond-async\b/.test(String(request.headers.prefer ?? ''))) {
          return reply
            .code(202)
            .header('location', `/api/uploads/jobs/${job}`)
            .send({ job, status: uploads.jobs.get(actorOf(request).orgId, job)?.status ?? 'queued', poll: `/api/uploads/jobs/${job}` });
        }
        const view = await done;
        if (view.error) return reply.code(view.error.status).send({ error: view.error.status === 422 ? 'unprocessable' : 'failed', message: view.error.message, job });
        return reply.code(201).send({ ...view.result!, job });
      },
    );
  });

  app.get('/api/uploads', { schema: { description: "The caller's organisation's uploads and those shared with it" } }, async (request) => uploads.list(actorOf(request)));

  app.get(
    '/api/uploads/jobs/:id',
    {
      schema: { description: "An upload's ingest job: status, stage, progress per stage, the result or the error", params: { type: 'object', properties: { id: { type: 'string', format: 'uuid', maxLength: 36 } }, required: ['id'] } },
    },
    async (request) => uploads.job(actorOf(request), (request.params as { id: string }).id),
  );

  app.get(
    '/api/uploads/:fileId/quarantine',
    {
      schema: { description: 'The records of an upload that were set aside, with the reason for each', params: { type: 'object', properties: { fileId: FILE_ID }, required: ['fileId'] } },
    },
    async (request) => uploads.quarantine(actorOf(request), (request.params as { fileId: string }).fileId),
  );

  app.post(
    '/api/uploads/:fileId/share',
    {
      config: { sessionOnly: 'share an upload with another organisation' },
      schema: {
        description: "Shares one of the organisation's uploads read-only with another organisation (officers; audited)",
        params: { type: 'object', properties: { fileId: FILE_ID }, required: ['fileId'] },
        body: { type: 'object', additionalProperties: false, required: ['organisation'], properties: { organisation: { type: 'string', minLength: 1, maxLength: 64 } } },
      },
    },
    async (request) => {
      await uploads.share(actorOf(request), (request.params as { fileId: string }).fileId, (request.body as { organisation: string }).organisation);
      return { shared: true };
    },
  );
}
