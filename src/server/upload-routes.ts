import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Mutex } from '../appdb/db.ts';
import { ingestWorks } from '../ingest/pipeline.ts';
import type { SourceName } from '../ingest/records.ts';
import { loadRegistry } from '../ingest/registry.ts';
import { resolvePending } from '../resolve/apply.ts';
import { AffiliationResolver } from '../resolve/matcher.ts';
import { screenPending, screeningContext } from '../screening/store.ts';
import { appendAudit } from '../service/audit.ts';
import { authorize } from '../service/authorize.ts';
import type { AppDb } from '../appdb/db.ts';
import { refreshAnalytics } from '../store/refresh.ts';
import type { Store } from '../store/store.ts';
import { actorOf } from './auth.ts';

const EXTENSION: Record<SourceName, string> = { openalex: 'jsonl', wos: 'txt', scopus: 'csv' };

/**
 * Uploads of publication exports (OpenAlex JSON Lines, WoS, Scopus CSV): kept under their content
 * hash, ingested with the resumable pipeline, resolved, refreshed and screened, so the export can
 * be screened as a portfolio. One upload at a time: the server is the store's only writer.
 */
export function registerUploadRoutes(app: FastifyInstance, store: Store, db: AppDb, home: string, dataChanged: () => void, maxBytes: number): void {
  const writer = new Mutex();
  app.addContentTypeParser(['application/octet-stream', 'text/plain', 'text/csv', 'application/x-ndjson'], { parseAs: 'buffer', bodyLimit: maxBytes }, (_request, body, done) => done(null, body));
  app.post('/api/uploads', {
    bodyLimit: maxBytes,
    schema: {
      description: 'Ingests a publication export sent as the raw body; answers with the ingest report and the file id to screen as a portfolio',
      querystring: { type: 'object', additionalProperties: false, required: ['kind'], properties: { kind: { type: 'string', enum: ['openalex', 'wos', 'scopus'] } } },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    authorize(actor, 'evidence.ingest');
    const kind = (request.query as { kind: SourceName }).kind;
    const body = request.body;
    if (!Buffer.isBuffer(body) || body.length === 0) return reply.code(400).send({ error: 'bad request', message: 'send the export as the request body (Content-Type: application/octet-stream)' });
    const hash = createHash('sha256').update(body).digest('hex');
    const dir = join(home, 'uploads');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `${hash}.${EXTENSION[kind]}`);
    // Written whole, then renamed: a crash never leaves half a file under the final name.
    if (!existsSync(path)) {
      writeFileSync(`${path}.part`, body);
      renameSync(`${path}.part`, path);
    }
    const report = await writer.run(async () => {
      const r = await ingestWorks(store, kind, path, { quarantineDir: join(home, 'quarantine') });
      const lists = await store.one<{ n: bigint }>('SELECT count(*) AS n FROM risk_lists');
      if (Number(lists?.n ?? 0) > 0) {
        const context = await screeningContext(store);
        await resolvePending(store, context.resolver);
        await refreshAnalytics(store);
        await screenPending(store, context);
      } else {
        await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
        await refreshAnalytics(store);
      }
      dataChanged();
      return r;
    });
    await db.transaction((tx) => appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'evidence.ingest', target: report.fileId, detail: { kind, status: report.status, kept: report.kept, quarantined: report.quarantined } }));
    return reply.code(201).send({ fileId: report.fileId, kind, status: report.status, kept: report.kept, duplicates: report.duplicates, quarantined: report.quarantined, quarantinePath: report.quarantinePath });
  });
}
