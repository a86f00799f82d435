import type { FastifyInstance } from 'fastify';
import { NotFoundError, ValidationError } from '../errors.ts';
import type { Taxonomy } from '../fields/taxonomy.ts';
import { briefing } from '../screening/briefing.ts';
import { clickHousePortfolio } from '../screening/clickhouse.ts';
import { flagRetracted, loadWeights, portfolio, portfolioCsv, type PortfolioScope } from '../screening/portfolio.ts';
import { batchCsv, MAX_BATCH, MAX_BATCH_CHARS, parseNames, screenBatch } from '../screening/batch.ts';
import { screenJson } from '../screening/screener.ts';
import { MAX_PARTY_CHARS } from '../screening/field-limit.ts';
import { rorIdWritten } from '../resolve/ror-id.ts';
import type { ScreeningContext } from '../screening/store.ts';
import type { Actor } from '../service/authorize.ts';
import type { NamesakeInfo } from '../exchange/service.ts';
import type { EvidenceAccess } from '../service/evidence.ts';
import type { ClickHouseEvidence } from '../store/clickhouse.ts';
import type { Store } from '../store/store.ts';
import type { UploadRef } from '../workflows/uploads.ts';
import { actorOf } from './auth.ts';
import type { HeavyRun } from './heavy-work.ts';

const ROR = '^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$';

/** Name screening, portfolios and briefing sheets over the lists loaded in the store. */
export function registerScreeningRoutes(
  app: FastifyInstance,
  evidence: EvidenceAccess,
  store: Store,
  taxonomy: Taxonomy,
  europe: () => string[],
  findUpload: (actor: Actor, fileId: string) => Promise<UploadRef>,
  screening: () => Promise<ScreeningContext>,
  namesakes: (actor: Actor, query: string, hits: { list: string; entryId: string; entry: string }[]) => Promise<NamesakeInfo[]>,
  /** The evidence store on a ClickHouse cluster, where an institution's portfolio in the shared base is read. */
  clickhouse: ClickHouseEvidence | undefined,
  /** Runs a batch: stopped when its client goes or the server stops, a few at once per user and organisation. */
  heavy: HeavyRun,
): void {
  const screen = async (q: string) => {
    const { screener } = await screening();
    const ror = rorIdWritten(q);
    return ror ? screener.screenRor(ror) : screener.screen(q);
  };
  const query = { type: 'object', additionalProperties: false, required: ['q'], properties: { q: { type: 'string', minLength: 1, maxLength: MAX_PARTY_CHARS, description: 'a name, an affiliation string or a ROR id' } } } as const;

  app.get(
    '/api/screen',
    {
      schema: {
        description:
          "Screens one name or ROR id against the loaded risk lists. `state`: listed, ambiguous (say which one: `choices`), not-listed (recognised by the registry, on no list) or unknown (neither the registry nor a list recognised it: identify it first); `organisations` gathers one organisation's listings across lists; `similar` and `registry_candidates` are the nearest names not taken, with why; `namesake_decisions`: institutions that judged the string not to be a hit's listed entity, with their reasons (information only: the hit stands)",
        querystring: query,
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const q = (request.query as { q: string }).q;
      const r = await evidence.screen(actor, async () => screen(q));
      // Beside the hits, never instead of them: what institutions decided about this string.
      return { ...screenJson(r), namesake_decisions: await namesakes(actor, q, r.hits) };
    },
  );

  const batchBody = { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: MAX_BATCH_CHARS, description: 'names, one per line, or a CSV with a name column' } } } as const;
  const batchQuery = { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['json', 'csv'], default: 'json' } } } as const;
  app.post(
    '/api/screen/batch',
    { schema: { description: `Screens up to ${MAX_BATCH} names at once (one per line, or a CSV with a name column): each name's state, highest level, organisations and lists, and the most severe state of all (CSV with format=csv)`, body: batchBody, querystring: batchQuery } },
    async (request, reply) =>
      evidence.screen(actorOf(request), async () => {
        const names = parseNames((request.body as { text: string }).text);
        const b = await heavy(request, reply, async (signal) => screenBatch((await screening()).screener, names, signal));
        if ((request.query as { format: string }).format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="screening.csv"').send(batchCsv(b));
        return { state: b.state, counts: b.counts, rows: b.rows };
      }),
  );

  app.get('/api/brief', { schema: { description: 'Briefing sheet on a partner: listings, co-publications, the Chinese rules that bind it', querystring: query } }, async (request) =>
    evidence.screen(actorOf(request), async (gated) => briefing(gated, await screen((request.query as { q: string }).q), europe())),
  );

  const portfolioQuery = {
    type: 'object',
    additionalProperties: false,
    properties: { ror: { type: 'string', maxLength: 9, pattern: ROR }, file: { type: 'string', maxLength: 64, pattern: '^[0-9a-f]{64}$', description: 'the file id of an uploaded export' }, rollup: { type: 'boolean' }, format: { type: 'string', enum: ['json', 'csv'], default: 'json' } },
  } as const;
  app.get('/api/portfolio', { schema: { description: "An institution's (ror) or an uploaded export's (file) co-publications with listed entities, partners/researchers/departments ranked by risk weight (CSV with format=csv)", querystring: portfolioQuery } }, async (request, reply) =>
    evidence.screen(actorOf(request), async (view) => {
      const q = request.query as { ror?: string; file?: string; rollup?: boolean; format: 'json' | 'csv' };
      if (!q.ror === !q.file) throw new ValidationError('give either ror (an institution) or file (an uploaded export)');
      await screening();
      if (q.ror && !(await store.one('SELECT 1 FROM institutions WHERE ror_id = $1', [q.ror]))) throw new NotFoundError(`no institution ${q.ror} in the loaded registry`);
      // An upload of another organisation is not found, like one nobody made (checked in the core).
      const upload = q.file ? await findUpload(actorOf(request), q.file) : null;
      const label = `uploaded export ${q.file?.slice(0, 12)}`;
      const scope: PortfolioScope = q.ror ? { institution: q.ror, rollUp: q.rollup } : upload!.scope.kind === 'shared' ? { fileId: upload!.fileId, label } : { upload: { orgId: upload!.scope.orgId, fileId: upload!.fileId }, label };
      const weights = loadWeights(taxonomy);
      // Corrections (a view) and uploads are only in the embedded store.
      const result = clickhouse && view.view === null && 'institution' in scope ? await flagRetracted(view, await clickHousePortfolio(clickhouse, scope, weights)) : await portfolio(view, scope, weights);
      if (q.format === 'csv')
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="portfolio-${q.ror ?? q.file!.slice(0, 12)}.csv"`)
          .send(portfolioCsv(result));
      return result;
    }),
  );
  // The shared evidence changed under the server (the console's ingest or list load): build the index again.
}
