import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance, type FastifySchema } from 'fastify';
import swagger from '@fastify/swagger';
import { NotFoundError, RefusalError, STATUS_LABEL, ValidationError } from '../errors.ts';
import type { Taxonomy } from '../fields/taxonomy.ts';
import { INDICATORS, IndicatorError, requestedRegions, runIndicator, STANDARD_PAIRS, workCountOf, type IndicatorName, type IndicatorRequest } from '../indicators/catalog.ts';
import { clickHouseWorkCount, runClickHouseIndicator } from '../indicators/clickhouse.ts';
import { affiliationsWithCompanies, withCompanies } from '../indicators/companies.ts';
import type { WorkListing } from '../indicators/landscape.ts';
import type { Filters } from '../indicators/filters.ts';
import { listValue } from '../store/duckdb.ts';
import { corpusNote } from '../indicators/corpus.ts';
import { checkFacts } from '../indicators/facts.ts';
import { chinaScopeNote, loadRegions, RegionCatalogueAnswer, type RegionCatalogue } from '../regions/regions.ts';
import { EUROPE } from '../regions/countries.ts';
import type { ClickHouseEvidence } from '../store/clickhouse.ts';
import type { Store } from '../store/store.ts';
import type { AppDb } from '../appdb/db.ts';
import { Assessor } from '../assessment/assessor.ts';
import { loadBundle, type PolicyBundle } from '../assessment/bundle.ts';
import { loadListCatalogue } from '../screening/lists.ts';
import { screeningContext, storeResolver, type ScreeningContext } from '../screening/store.ts';
import { MatchCorrections } from '../resolve/corrections.ts';
import { keepViewsCurrent } from '../resolve/org-view.ts';
import { Thesaurus } from '../resolve/thesaurus.ts';
import { Accounts } from '../service/accounts.ts';
import { EvidenceAccess } from '../service/evidence.ts';
import type { LoginThrottle } from '../service/throttle.ts';
import { CaseService } from '../service/cases.ts';
import { registerAccountRoutes } from './account-routes.ts';
import { registerAlertRoutes } from './alert-routes.ts';
import { AlertInbox } from '../monitoring/alerts.ts';
import { Monitor } from '../monitoring/monitor.ts';
import { OpenAlexFetchJob, type OpenAlexFetchSettings } from '../monitoring/openalex-fetch.ts';
import { StoreSubjects } from '../monitoring/subjects.ts';
import { Watchlists } from '../monitoring/watchlists.ts';
import { WebhookSender, type SenderOptions } from '../monitoring/webhooks.ts';
import { MailSender, MailSettings, type MailOptions } from '../monitoring/mail.ts';
import { actorOf, registerAuth } from './auth.ts';
import { registerCaseRoutes } from './case-routes.ts';
import { registerExchangeRoutes } from './exchange-routes.ts';
import { ExchangeService, type ExchangePolicy } from '../exchange/service.ts';
import { EXCHANGE_SCHEDULER, pullDue } from '../exchange/pull.ts';
import { feedIdentity, publisherOf } from '../exchange/feed.ts';
import { storeRegistry } from '../exchange/ftm.ts';
import type { FeedOrigins } from '../exchange/origins.ts';
import { registerKbRoutes } from './kb-routes.ts';
import { registerMatchingRoutes } from './matching-routes.ts';
import { registerScreeningRoutes } from './screening-routes.ts';
import { heavyRequests } from './heavy-work.ts';
import { registerUploadRoutes } from './upload-routes.ts';
import { IngestWorkflow } from '../workflows/ingest.ts';
import { SHARED } from '../ingest/pipeline.ts';
import { suggestInstitutions } from '../ingest/registry.ts';
import { migrateLegacyUploads } from '../workflows/legacy-uploads.ts';
import { findUpload, Uploads } from '../workflows/uploads.ts';
import { join } from 'node:path';
import { bodiesValidatedAsWritten, compileOnFirstUse } from './lazy-validation.ts';
import { bodyLimitFor } from '../json-bounds.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** Forgets what the server worked out from the shared evidence, after the console changed it. */
    sharedEvidenceChanged(): void;
  }
}

export interface ServerOptions {
  store: Store;
  /**
   * The evidence store on a ClickHouse cluster (DERISK_EVIDENCE_URL): the shared evidence's
   * indicators, institution works, institutions' portfolios and the co-publications verdicts
   * count are read there. An organisation whose corrections decide strings reads its corrected
   * view, and an upload's portfolio its upload, which only the embedded store holds.
   */
  clickhouse?: ClickHouseEvidence;
  regionFiles: string[];
  taxonomy: Taxonomy;
  /** Users, organisations, cases, verdicts, audit: embedded or PostgreSQL. */
  db: AppDb;
  bundle?: PolicyBundle;
  /** Login throttling over the application database (tests give their own back-off and clock). */
  loginThrottle?: (db: AppDb) => LoginThrottle;
  /** Largest request body accepted, in bytes (larger ones are refused with 413), unless the route's body schema admits more: then its worst case (json-bounds.ts). */
  bodyLimit?: number;
  /** DERISK_HOME: where uploaded exports and their quarantine files are kept (uploads are off without it). */
  home?: string;
  /** Largest upload accepted, in bytes. */
  uploadLimit?: number;
  /**
   * Reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (Fastify's trustProxy:
   * addresses or CIDRs, comma-separated): the client's address for login throttling, and https for
   * the cookies' Secure flag. Unset: the server is reached directly.
   */
  trustProxy?: string | null;
  /** DERISK_PUBLIC_URL: the absolute addresses the server gives start there; unset, at the request's own address. */
  publicUrl?: string | null;
  /** Watchlists and alerts: how often webhook deliveries and the monitor's checks run, the retry schedule, today's date (tests). */
  /** Where exchange feeds may be pulled from over HTTP (DERISK_EXCHANGE_ALLOW); by default nowhere. */
  exchange?: { feeds?: FeedOrigins; policy?: ExchangePolicy };
  monitoring?: { deliveryIntervalMs?: number; checkIntervalMs?: number; webhooks?: SenderOptions; mail?: MailOptions; today?: () => string; openalex?: OpenAlexFetchSettings };
  /** Told of every route as it is added, with what an API token cannot do there if it is session-only and what its caller must be allowed (the route-enumeration tests listen here). */
  onRoute?: (method: string, url: string, sessionOnly: string | undefined, requires: string | undefined, limits: { schema: FastifySchema | undefined; bodyLimit: number }) => void;
  /**
   * Compile every route's schemas at start, as Fastify does by default, instead of at each route's
   * first request: a schema that cannot compile then stops the start (the route-enumeration test
   * does this, so such a schema fails a test rather than a user's first request).
   */
  compileSchemasAtStart?: boolean;
}

/** How many distinct indicator answers the server keeps. */
const MAX_ANSWERS = 500;

const GLOSSARY = fileURLToPath(new URL('../../data/web/glossary.json', import.meta.url));
const WEB = (name: string) => fileURLToPath(new URL(`../web/${name}`, import.meta.url));
const CSV_CELL = fileURLToPath(new URL('../csv-cell.js', import.meta.url));
const ASSETS: Record<string, string> = {
  '/app.js': 'text/javascript; charset=utf-8',
  '/charts.js': 'text/javascript; charset=utf-8',
  '/cases.js': 'text/javascript; charset=utf-8',
  '/account.js': 'text/javascript; charset=utf-8',
  '/alerts.js': 'text/javascript; charset=utf-8',
  '/kb.js': 'text/javascript; charset=utf-8',
  '/exchange.js': 'text/javascript; charset=utf-8',
  '/style.css': 'text/css; charset=utf-8',
};

const indicatorQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    regions: { type: 'string', maxLength: 500, pattern: '^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$', description: 'region ids, comma-separated (two, or any number for publications)' },
    from: { type: 'integer', minimum: 1900, maximum: 2100 },
    to: { type: 'integer', minimum: 1900, maximum: 2100 },
    field: { type: 'string', maxLength: 100, pattern: '^[a-z0-9-]+$', description: 'a field id from /api/fields' },
    rollup: { type: 'boolean', description: 'count institutions at their topmost ROR parent' },
    limit: { type: 'integer', minimum: 1, maximum: 1000, default: 15 },
    institution: { type: 'string', maxLength: 9, pattern: '^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$', description: 'a ROR id (for works)' },
    china_hk: { type: 'boolean', description: 'count Hong Kong as China' },
    china_mo: { type: 'boolean', description: 'count Macao as China' },
  },
} as const;

/** The filter bar's settings, for the views that are not one indicator (an institution's profile, the facts). */
const viewFilters = {
  from: indicatorQuery.properties.from,
  to: indicatorQuery.properties.to,
  field: indicatorQuery.properties.field,
  rollup: indicatorQuery.properties.rollup,
  china_hk: indicatorQuery.properties.china_hk,
  china_mo: indicatorQuery.properties.china_mo,
  counting: { type: 'string', enum: ['full', 'fractional'], default: 'full', description: 'full: a work counts 1; fractional: its share of the authorship weight' },
} as const;

interface ViewFilters {
  from?: number;
  to?: number;
  field?: string;
  rollup?: boolean;
  china_hk?: boolean;
  china_mo?: boolean;
  counting: 'full' | 'fractional';
}

const viewFiltersOf = (q: ViewFilters): Filters => {
  if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw new IndicatorError(`from ${q.from} is after to ${q.to}`);
  return { from: q.from ?? null, to: q.to ?? null, rollUp: q.rollup ?? false, field: q.field ?? null };
};

interface IndicatorQuery {
  regions?: string;
  from?: number;
  to?: number;
  field?: string;
  rollup?: boolean;
  limit: number;
  institution?: string;
  china_hk?: boolean;
  china_mo?: boolean;
}

/**
 * The HTTP API and the web app over one store. Every route needs the access token unless it
 * is listed as public in auth.ts; every query is validated by its schema, which also makes
 * the OpenAPI document.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const serverLimit = options.bodyLimit ?? 256 * 1024;
  // Unknown query parameters are an error to report, not something to drop silently.
  const app = Fastify({
    logger: false,
    trustProxy: options.trustProxy ? options.trustProxy.split(',').map((s) => s.trim()) : false,
    bodyLimit: serverLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true }, onCreate: options.compileSchemasAtStart ? undefined : compileOnFirstUse },
    schemaController: bodiesValidatedAsWritten(),
  });
  app.addHook('onRoute', (r) => {
    // Round 50 (bound54): a body the route's schema admits is not refused as too large (a 300,000-character batch of Chinese names is ~900 KB).
    const body = r.schema?.body as Record<string, unknown> | undefined;
    if (body && r.bodyLimit === undefined) r.bodyLimit = bodyLimitFor(body, serverLimit);
    const tell = options.onRoute;
    if (tell) for (const m of [r.method].flat()) if (m !== 'HEAD') tell(m, r.url, r.config?.sessionOnly, r.config?.requires, { schema: r.schema, bodyLimit: r.bodyLimit ?? serverLimit });
  });
  await app.register(swagger, { openapi: { info: { title: 'derisk API', version: '0.1.0', description: 'Co-operation indicators over the loaded evidence.' }, components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } }, security: [{ token: [] }] } });
  const accounts = new Accounts(options.db, options.loginThrottle?.(options.db));
  const evidence = new EvidenceAccess(options.store);
  registerAuth(app, accounts);
  // Region files are read once per Hong Kong/Macao setting, not on every request.
  const catalogues = new Map<string, RegionCatalogue>();
  const catalogueFor = (q: { china_hk?: boolean; china_mo?: boolean }): RegionCatalogue => {
    const key = `${q.china_hk ?? ''}/${q.china_mo ?? ''}`;
    let catalogue = catalogues.get(key);
    if (!catalogue) {
      catalogue = loadRegions(options.regionFiles, { chinaIncludesHongKong: q.china_hk, chinaIncludesMacao: q.china_mo });
      catalogues.set(key, catalogue);
    }
    return catalogue;
  };

  // While the server runs it is the store's only writer, so an answer stays true until it stops:
  // answers are kept (a bounded number) and the dashboard's default view is computed at start.
  const answers = new Map<string, Promise<object[]>>();
  const indicator = (store: Store, catalogue: RegionCatalogue, request: IndicatorRequest): Promise<object[]> => (options.clickhouse && store.view === null ? runClickHouseIndicator(options.clickhouse, catalogue, options.taxonomy, request) : runIndicator(store, catalogue, options.taxonomy, request));
  const answer = (request: IndicatorRequest, settings: { china_hk?: boolean; china_mo?: boolean }, store: Store = options.store): Promise<object[]> => {
    // Another machine may publish to the cluster at any time: its answers are not kept.
    if (options.clickhouse && store.view === null) return indicator(store, catalogueFor(settings), request);
    // An organisation reading through its corrected view has answers of its own.
    const key = JSON.stringify([request, Boolean(settings.china_hk), Boolean(settings.china_mo), store.view]);
    let rows = answers.get(key);
    if (!rows) {
      rows = indicator(store, catalogueFor(settings), request);
      rows.catch(() => answers.delete(key));
      answers.set(key, rows);
      if (answers.size > MAX_ANSWERS) answers.delete(answers.keys().next().value!);
    }
    return rows;
  };
  app.addHook('onReady', async () => {
    const plain = { from: null, to: null, rollUp: false, field: null };
    const defaults: IndicatorRequest[] = [
      ...STANDARD_PAIRS.map((regions) => ({ name: 'copubs' as const, regions, filters: plain, limit: 15, institution: null })),
      { name: 'publications', regions: requestedRegions('publications', undefined), filters: plain, limit: 15, institution: null },
      { name: 'top-institutions', regions: ['EU27AC', 'CN'], filters: plain, limit: 15, institution: null },
      { name: 'fields', regions: ['EU27AC', 'CN'], filters: plain, limit: 15, institution: null },
    ];
    // Not awaited: the server answers at once, and these finish in the background.
    for (const request of defaults) answer(request, {}).catch(() => undefined);
  });
  // ...but before the server closes: the store is closed next, and DuckDB hangs (for good) when a
  // connection is closed under a running query.
  const retired: Promise<unknown>[] = [];
  app.addHook('onClose', async () => {
    await Promise.allSettled([...answers.values(), ...retired]);
  });

  // A number in a query is written in decimal digits: '1e309' (Infinity), '0x7E6' or ' 2021' is no year, and no limit.
  app.addHook('preValidation', async (request) => {
    const declared = (request.routeOptions.schema?.querystring as { properties?: Record<string, { type?: string }> } | undefined)?.properties ?? {};
    for (const [name, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
      const type = declared[name]?.type;
      if ((type === 'integer' || type === 'number') && typeof value === 'string' && !(type === 'integer' ? /^-?\d{1,15}$/ : /^-?\d{1,15}(\.\d{1,15})?$/).test(value)) {
        throw new ValidationError(`querystring/${name} must be ${type === 'integer' ? 'a whole number' : 'a number'} written in digits, not ${JSON.stringify(value.slice(0, 40))}`);
      }
    }
  });

  // The status comes from the kind of refusal (src/errors.ts) or from Fastify's own refusals (a
  // schema, a body too large or not JSON), which carry theirs the same way; anything else is a fault.
  app.setErrorHandler((error: Error & { validation?: unknown; statusCode?: number; code?: string }, request, reply) => {
    if (error.validation) return reply.code(400).send({ error: STATUS_LABEL[400], message: error.message });
    // Fastify's own words name no limit: the caller learns the route's, in bytes.
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      const limit = request.routeOptions.bodyLimit ?? serverLimit;
      return reply.code(413).send({ error: STATUS_LABEL[413], message: `the request body is over the ${limit.toLocaleString('en')} bytes ${request.method} ${request.routeOptions.url ?? request.url} accepts`, limit });
    }
    const status = error instanceof RefusalError ? error.statusCode : error.statusCode && error.statusCode < 500 ? error.statusCode : null;
    if (status) return reply.code(status).send({ error: STATUS_LABEL[status] ?? 'bad request', message: error.message });
    // No stack traces to clients; the server log keeps the detail.
    console.error(error);
    return reply.code(500).send({ error: 'internal error', message: 'the server could not answer this request' });
  });

  app.get('/health', { schema: { hide: true } }, async () => ({ status: 'ok' }));

  // Ready when both databases answer: a load balancer sends traffic only then.
  app.get('/ready', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await options.db.query('SELECT 1 AS ok');
      await options.store.one('SELECT 1 AS ok');
      return { status: 'ready' };
    } catch (e) {
      return reply.code(503).send({ status: 'not ready', message: (e as Error).message });
    }
  });

  app.get(
    '/api/regions',
    { schema: { description: 'Region definitions and the Hong Kong/Macao setting', querystring: { type: 'object', additionalProperties: false, properties: { china_hk: { type: 'boolean' }, china_mo: { type: 'boolean' } } }, response: { 200: RegionCatalogueAnswer } } },
    async (request) => {
      const catalogue = catalogueFor(request.query as IndicatorQuery);
      return { regions: [...catalogue.regions.values()], settings: catalogue.settings, note: chinaScopeNote(catalogue.settings) };
    },
  );

  app.get('/api/fields', { schema: { description: 'The technology field taxonomy' } }, async () => ({
    fields: [...options.taxonomy.fields.values()].map((f) => ({ id: f.id, name: f.name, family: f.family })),
    provenance: options.taxonomy.provenance,
  }));

  app.get(
    '/api/indicators/:name',
    {
      schema: {
        description: 'One indicator as rows; every response states the China scope it was computed with. works lists the first `limit` by year and id, with `total` (how many there are) and `truncated`',
        params: { type: 'object', properties: { name: { type: 'string', enum: [...INDICATORS] } }, required: ['name'] },
        querystring: indicatorQuery,
      },
    },
    async (request) => {
      const q = request.query as IndicatorQuery;
      const name = (request.params as { name: IndicatorName }).name;
      const catalogue = catalogueFor(q);
      if (q.from !== undefined && q.to !== undefined && q.from > q.to) throw new IndicatorError(`from ${q.from} is after to ${q.to}`);
      const asked: IndicatorRequest = {
        name,
        regions: requestedRegions(name, q.regions),
        filters: { from: q.from ?? null, to: q.to ?? null, rollUp: q.rollup ?? false, field: q.field ?? null },
        limit: q.limit,
        institution: q.institution ?? null,
      };
      const { rows, total } = await evidence.read(actorOf(request), async (store) => {
        const found = await answer(asked, q, store);
        if (name !== 'works') return { rows: found, total: null };
        // A listing of works is cut at its limit: how many there are says what it leaves out.
        const count = options.clickhouse && store.view === null ? await clickHouseWorkCount(options.clickhouse, catalogue, options.taxonomy, asked) : await workCountOf(store, catalogue, options.taxonomy)(asked);
        return { rows: await withCompanies(store, found as WorkListing[]), total: count };
      });
      return { indicator: name, chinaScope: chinaScopeNote(catalogue.settings), rows, ...(total === null ? {} : { total, truncated: rows.length < total }) };
    },
  );

  app.get(
    '/api/institutions',
    {
      schema: {
        description: 'Registry institutions whose names (labels, aliases, acronyms) contain every word of q, for pickers that suggest as one types; a ROR id finds its institution. `matched` is the name that matched when it is not the display name',
        querystring: { type: 'object', additionalProperties: false, required: ['q'], properties: { q: { type: 'string', minLength: 1, maxLength: 200 }, limit: { type: 'integer', minimum: 1, maximum: 25, default: 8 } } },
      },
    },
    async (request) => {
      const q = request.query as { q: string; limit: number };
      return evidence.read(actorOf(request), (store) => suggestInstitutions(store, q.q, q.limit));
    },
  );

  app.get(
    '/api/institutions/:rorId',
    {
      schema: {
        description: 'An institution: what the registry says, its co-publications with China by year (under the filters; fractional counting counts its share of each work), partners, works, and the affiliation strings matched to it (with how; at most 100)',
        params: { type: 'object', properties: { rorId: { type: 'string', maxLength: 9, pattern: '^0[a-hj-km-np-tv-z0-9]{6}[0-9]{2}$' } }, required: ['rorId'] },
        querystring: { type: 'object', additionalProperties: false, properties: { region: { type: 'string', maxLength: 100, pattern: '^[A-Za-z0-9_-]+$', default: 'EU27AC' }, partner: { type: 'string', maxLength: 100, pattern: '^[A-Za-z0-9_-]+$', default: 'CN' }, ...viewFilters } },
      },
    },
    async (request) =>
      evidence.read(actorOf(request), async (store) => {
        const { rorId } = request.params as { rorId: string };
        const q = request.query as { region: string; partner: string } & ViewFilters;
        const institution = await store.one('SELECT ror_id, name, country_code, city, status, types, parents, children FROM institutions WHERE ror_id = $1', [rorId]);
        if (!institution) throw new NotFoundError(`no institution ${rorId} in the loaded registry`);
        const catalogue = catalogueFor(q);
        const filters = viewFiltersOf(q);
        // The institution's co-publications between the two regions (it may sit on either side).
        const works = await indicator(store, catalogue, { name: 'works', regions: [q.region, q.partner], filters, limit: 1000, institution: rorId });
        const list = await withCompanies(store, works as WorkListing[]);
        // Fractional counting: the institution's share of each work's authorship weight (its units' too, rolled up).
        const shares =
          q.counting === 'fractional' && list.length
            ? new Map(
                (
                  await store.all<{ work_id: string; share: number }>(
                    `SELECT wi.work_id, sum(wi.weight)::DOUBLE AS share FROM work_institutions wi LEFT JOIN institution_rollup ru ON ru.ror_id = wi.ror_id
                     WHERE ${filters.rollUp ? 'coalesce(ru.top_id, wi.ror_id)' : 'wi.ror_id'} = $1 AND wi.work_id IN (SELECT unnest($2::VARCHAR[])) GROUP BY wi.work_id`,
                    [rorId, listValue(list.map((w) => w.workId))],
                  )
                ).map((r) => [r.work_id, r.share]),
              )
            : null;
        const byYear = new Map<number, number>();
        const partners = new Map<string, number>();
        for (const w of list) {
          byYear.set(w.year, (byYear.get(w.year) ?? 0) + (shares ? (shares.get(w.workId) ?? 0) : 1));
          for (const name of w.institutions) if (name !== institution.name) partners.set(name, (partners.get(name) ?? 0) + 1);
        }
        return {
          institution,
          regions: [q.region.toUpperCase(), q.partner.toUpperCase()],
          chinaScope: chinaScopeNote(catalogue.settings),
          counting: q.counting,
          copublicationsByYear: [...byYear.entries()].sort((a, b) => a[0] - b[0]).map(([year, n]) => ({ year, copublications: +n.toFixed(4) })),
          partners: [...partners.entries()]
            .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
            .slice(0, 20)
            .map(([name, n]) => ({ name, copublications: n })),
          works: list,
          // The shared base's affiliation strings matched to it (as the caller's corrections decide), each with how: what an analyst corrects.
          affiliations: await affiliationsWithCompanies(
            store,
            await store.all<{ raw: string; tier: string; evidence: string; uses: number }>(
              `SELECT ri.raw, ri.tier, ri.evidence, count(*)::INTEGER AS uses FROM resolution_institutions ri JOIN affiliations a ON a.raw = ri.raw
         WHERE ri.ror_id = $1 AND ri.unit_of IS NULL GROUP BY ALL ORDER BY uses DESC, ri.raw LIMIT 100`,
              [rorId],
            ),
          ),
        };
      }),
  );

  app.get('/api/glossary', { schema: { description: 'The words the web app uses, defined: the regions, the risk levels (from the list catalogue) and the terms of data/web/glossary.json, each with its source' } }, async () => {
    const terms = (JSON.parse(readFileSync(GLOSSARY, 'utf8')) as { terms: { id: string; term: string; definition: string; source: string }[] }).terms;
    const regions = [...catalogueFor({}).regions.values()].filter((r) => ['EU27AC', 'CN', 'US'].includes(r.id)).map((r) => ({ id: `region-${r.id}`, term: r.id === 'EU27AC' ? 'EU27/AC' : r.id, definition: `${r.name}${r.note ? `. ${r.note}` : ''}`, source: 'data/regions/regions.json' }));
    const levels = Object.entries(loadListCatalogue().levels).map(([level, l]) => ({ id: `level-${level}`, term: `${level.replace('-', ' ')} (risk level)`, definition: l.meaning, source: 'data/lists/catalog.json' }));
    return { terms: [...regions, ...terms, ...levels] };
  });

  app.get('/api/corpus', { schema: { description: 'What the figures are computed from: the sources loaded (file, kind, records, date), the number of works and their years, the partial year of the newest load and the sample size below which figures are flagged' } }, async (request) =>
    evidence.read(actorOf(request), (store) => corpusNote(store)),
  );

  app.get('/api/facts', { schema: { description: "The source brief's published facts against the loaded data, under the filters (years, field, Hong Kong and Macao, counting)", querystring: { type: 'object', additionalProperties: false, properties: viewFilters } } }, async (request) => {
    const q = request.query as ViewFilters;
    return evidence.read(actorOf(request), (store) => checkFacts((r) => indicator(store, catalogueFor(q), r), undefined, { filters: viewFiltersOf(q), counting: q.counting }));
  });

  // One screening index per process, for the screening routes and the assessor alike (read from its file beside the store when it is there).
  let screeningIndex: Promise<ScreeningContext> | null = null;
  const screening = () =>
    (screeningIndex ??= screeningContext(options.store).catch((e: Error) => {
      screeningIndex = null;
      throw e;
    }));
  const exchange = new ExchangeService(options.db, EUROPE, options.exchange?.feeds, options.exchange?.policy);
  const heavy = heavyRequests(app);
  registerScreeningRoutes(
    app,
    evidence,
    options.store,
    options.taxonomy,
    () => [...(catalogueFor({}).regions.get('EU27AC')?.countries ?? [])],
    (actor, fileId) => findUpload(options.store, options.db, actor, fileId),
    screening,
    (actor, query, hits) => exchange.namesakeVerdicts(actor.orgId, query, hits),
    options.clickhouse,
    heavy,
  );
  const forgetScreening = () => {
    screeningIndex = null;
  };
  const forgetAnswers = () => {
    retired.push(Promise.allSettled(answers.values()));
    answers.clear();
  };
  registerMatchingRoutes(app, options.db, options.store, () => storeResolver(options.store, screening), forgetAnswers);
  // A correction shared, accepted or ended is in, or out of, every view it concerns from its commit on,
  // wherever it was committed (here, at the console, through a feed's retraction): views are checked
  // before each read (keepViewsCurrent).
  const views = keepViewsCurrent(
    options.store,
    new MatchCorrections(options.db, () => undefined),
    async () => {
      const resolver = await storeResolver(options.store, screening);
      return (raws, cs) => {
        const thesaurus = new Thesaurus(cs);
        return raws.map((raw) => resolver.resolve(raw, thesaurus));
      };
    },
    forgetAnswers,
  );
  app.addHook('onClose', async () => views.stop());
  registerAccountRoutes(app, accounts, options.db);
  // The assessor loads the registry, lists and rulebook once, on first use.
  let servicesReady: Promise<{ cases: CaseService; assessor: Assessor }> | null = null;
  const services = () => {
    servicesReady ??= (async () => {
      const context = await screening().catch((e: unknown) => {
        servicesReady = null;
        throw e;
      });
      const assessor = new Assessor({ store: options.store, clickhouse: options.clickhouse, screening: context, bundle: options.bundle ?? loadBundle() });
      return { cases: new CaseService(options.db, assessor), assessor };
    })();
    return servicesReady;
  };

  // Watchlists and alerts: the monitor looks at what changed after every ingest, at start (a crash
  // may have cut a pass short) and periodically (re-assessment dates); webhooks go out on their own timer.
  const inbox = new AlertInbox(options.db, options.monitoring?.webhooks?.destinations, options.publicUrl ?? null);
  const monitor = new Monitor({ db: options.db, store: options.store, assessor: async () => (await services()).assessor, today: options.monitoring?.today });
  const sender = new WebhookSender(options.db, { ...options.monitoring?.webhooks, publicUrl: options.publicUrl ?? null });
  const mailer = options.monitoring?.mail ? new MailSender(options.db, options.monitoring.mail) : null;
  const checks = new Set<Promise<unknown>>();
  const check = (): Promise<void> => {
    const run = monitor
      .check()
      .then(
        () => Promise.all([sender.tick(), mailer?.tick()]),
        (e: Error) => console.error(`monitor: ${e.message}`),
      )
      // Subscribed feeds due a pull (their schedule is kept with the subscription).
      .then(() => pullDue(exchange, EXCHANGE_SCHEDULER, () => (options.home ? publisherOf(feedIdentity(options.home)) : undefined)))
      // Corrections retracted by their publisher leave the views that accepted them now, not at their next read.
      .then((outcomes) => views.changed(outcomes.flatMap((o) => (o.status === 'pulled' ? o.report.retracted : []))))
      .then(
        () => undefined,
        (e: Error) => console.error(`exchange pull: ${e.message}`),
      );
    checks.add(run);
    void run.finally(() => checks.delete(run));
    return run;
  };
  registerAlertRoutes(app, new Watchlists(options.db, new StoreSubjects(options.store, screening, options.taxonomy)), inbox, new MailSettings(options.db, mailer !== null), options.publicUrl ?? null);
  let checkTimer: NodeJS.Timeout | null = null;
  app.addHook('onReady', async () => {
    void check();
    sender.start(options.monitoring?.deliveryIntervalMs);
    mailer?.start(options.monitoring?.deliveryIntervalMs);
    checkTimer = setInterval(() => void check(), options.monitoring?.checkIntervalMs ?? 15 * 60_000);
    checkTimer.unref();
  });
  app.addHook('onClose', async () => {
    if (checkTimer) clearInterval(checkTimer);
    await Promise.allSettled([...checks]);
    await sender.stop();
    await mailer?.stop();
  });
  if (options.home) {
    // Uploads are each organisation's own evidence: they change no indicator, profile or
    // verdict, so the answers kept above stay true while organisations upload.
    const home = options.home;
    // An ingest into the shared base (the scheduled OpenAlex pull) is published to the cluster the indicators read, as derisk ingest does.
    const clickhouse = options.clickhouse;
    const publish = clickhouse ? (store: Store) => clickhouse.publish(store) : undefined;
    const workflow = new IngestWorkflow(options.store, { quarantineDir: join(home, 'quarantine'), taxonomy: options.taxonomy, afterRun: check, publish });
    app.addHook('onReady', async () => {
      if ((await migrateLegacyUploads(options.store, options.db, home)).moved.length > 0) answers.clear();
    });
    const openalex = options.monitoring?.openalex;
    if (openalex) {
      // Works of watched institutions and countries, pulled from OpenAlex on the schedule set, into the shared base.
      const job = new OpenAlexFetchJob({
        db: options.db,
        settings: openalex,
        dir: join(home, 'openalex-fetch'),
        ingest: async (path) => {
          const outcome = await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path }] }, (e) => {
            if (e.type === 'warning') console.error(`OpenAlex fetch: ${e.message}`);
          });
          app.sharedEvidenceChanged();
          return outcome.files[0]!;
        },
        log: (line) => console.log(line),
      });
      let fetching: Promise<unknown> = Promise.resolve();
      const fetchPass = () => (fetching = job.run().catch((e: Error) => console.error(`OpenAlex fetch: ${e.message}`)));
      let fetchTimer: NodeJS.Timeout | null = null;
      app.addHook('onReady', async () => {
        void fetchPass();
        fetchTimer = setInterval(() => void fetchPass(), openalex.intervalMinutes * 60_000);
        fetchTimer.unref();
      });
      app.addHook('onClose', async () => {
        if (fetchTimer) clearInterval(fetchTimer);
        await fetching;
      });
    }
    app.addHook('onClose', async () => workflow.close());
    const uploads = new Uploads(options.store, options.db, workflow, home, options.uploadLimit ?? 200 * 1024 * 1024);
    app.addHook('onReady', async () => {
      const removed = await uploads.removeRefusedEarlier();
      if (removed > 0) console.error(`derisk: removed ${removed} refused upload(s) that an earlier version kept in ${join(home, 'uploads')}`);
    });
    registerUploadRoutes(app, uploads);
  }
  registerCaseRoutes(app, options.db, services, heavy);
  registerExchangeRoutes(app, {
    service: exchange,
    correctionsChanged: views.changed,
    home: options.home,
    registry: storeRegistry(options.store),
    lists: () =>
      screening().then(
        (c) => c.lists,
        () => [],
      ),
  });

  // The console's ingest or list load (a command forwarded by src/cli/console-link.ts) changed the
  // shared evidence: answers, the screening index and the assessor are worked out again.
  app.decorate('sharedEvidenceChanged', () => {
    retired.push(Promise.allSettled(answers.values()));
    answers.clear();
    forgetScreening();
    servicesReady = null;
  });

  registerKbRoutes(app, options.db, () => (options.bundle ?? loadBundle()).rulebook);

  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  // The page never takes a credential in its address: the console's login code travels in the
  // fragment (#code=…), which browsers do not send, and the page exchanges it at /api/login/code.
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(readFileSync(WEB('index.html'))));
  for (const [path, type] of Object.entries(ASSETS)) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => reply.type(type).send(readFileSync(WEB(path.slice(1)))));
  }
  // The one rule for a CSV field, which the server's CSV follows too: the page's tables use this very file.
  app.get('/csv-cell.js', { schema: { hide: true } }, async (_request, reply) => reply.type('text/javascript; charset=utf-8').send(readFileSync(CSV_CELL)));
  return app;
}
