import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { feedIdentity, keyIdOf, publisherOf, recipientNamed, writeFeed } from '../exchange/feed.ts';
import { DISTRIBUTIONS, FEED_TLPS, TLPS, type Distribution, type ExportableTlp, type Tlp } from '../exchange/marking.ts';
import { exportFtm, ftmJsonLines, type RegistryLookup } from '../exchange/ftm.ts';
import { mispEvents } from '../exchange/misp.ts';
import { pullSubscription } from '../exchange/pull.ts';
import { findListEntry, IMPORT_MAX_BYTES, ITEM_KINDS, RESTRICTABLE, type ExchangeService, type ItemKind, type Subject } from '../exchange/service.ts';
import type { RiskList } from '../screening/lists.ts';
import { ConflictError } from '../errors.ts';
import { authorize } from '../service/authorize.ts';
import { actorOf } from './auth.ts';

/** The address another installation subscribes to: the files `derisk exchange publish` writes, served as they are. */
export const EXCHANGE_FEED_ROUTE = '/exchange/feed/:file';
const FEED_FILE = '^(manifest\\.json|manifest\\.json\\.sig|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.json)$';

const PARTNER = '^(ed25519:[A-Za-z0-9+/]{43}=|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$';
const itemParams = { type: 'object', required: ['kind', 'id'], properties: { kind: { type: 'string', enum: [...ITEM_KINDS] }, id: { type: 'string', minLength: 1, maxLength: 100 } } } as const;
const uuidParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid', maxLength: 36 } } } as const;
// Bounded loosely: the core's refusal names the range (5 to 10080).
const every = { type: ['integer', 'null'], minimum: -999_999_999, maximum: 999_999_999, description: 'minutes between scheduled pulls (5 to 10080); null: only when asked' } as const;

export interface ExchangeRouteOptions {
  service: ExchangeService;
  /** DERISK_HOME: the feed key and the published feed live there (publishing is off without it). */
  home?: string;
  /** The loaded risk lists (none when none are loaded): notes on entries and decisions name one of them. */
  lists: () => Promise<RiskList[]>;
  /** The loaded ROR registry: exported partners given by ROR id are named as it has them. */
  registry: RegistryLookup;
  /** Brings up to date at once the views of the organisations corrections changed here reach or reached (shared, unshared, retracted by a feed). */
  correctionsChanged?: (ids: readonly string[]) => Promise<void>;
}

/**
 * Sharing notes, namesake decisions and verdicts between institutions, the installation's signed
 * feed and its subscriptions. Roles and organisations are checked in ExchangeService; the feed's
 * files are public (as a MISP feed is), and hold only what an admin published.
 */
export function registerExchangeRoutes(app: FastifyInstance, options: ExchangeRouteOptions): void {
  const { service } = options;
  const feedDir = options.home ? join(options.home, 'exchange', 'feed') : null;

  app.get('/api/exchange/items', { schema: { description: "Your organisation's notes, namesake decisions and verdicts, with how far each may travel (distribution and TLP)" } }, async (request) => service.items(actorOf(request)));

  app.post(
    '/api/exchange/notes',
    {
      schema: {
        description: 'A note on an entity: a list entry (`<list>/<entry>`), a ROR id or a name as written, with an optional opinion (0–100, 50 neutral). Kept in your organisation until shared (analyst)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['subject', 'text'],
          properties: {
            subject: { type: 'object', additionalProperties: false, required: ['kind', 'value'], properties: { kind: { type: 'string', enum: ['entry', 'ror', 'name'] }, value: { type: 'string', minLength: 1, maxLength: 500 } } },
            text: { type: 'string', minLength: 1, maxLength: 20_000 },
            opinion: { type: ['integer', 'null'], minimum: 0, maximum: 100 },
          },
        },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      authorize(actor, 'exchange.note');
      const body = request.body as { subject: { kind: Subject['kind']; value: string }; text: string; opinion?: number | null };
      let subject: Subject = { kind: body.subject.kind, value: body.subject.value.trim(), label: body.subject.value.trim() };
      if (subject.kind === 'entry') {
        const { list, entry } = findListEntry(await options.lists(), subject.value);
        subject = { kind: 'entry', value: `${list.id}/${entry.id}`, label: entry.name };
      } else if (subject.kind === 'ror') {
        const ror = subject.value.replace(/^https?:\/\/ror\.org\//, '');
        if (!/^0[a-z0-9]{6}\d{2}$/.test(ror)) return reply.code(400).send({ error: 'bad request', message: `subject: ${JSON.stringify(subject.value)} is not a ROR id` });
        subject = { kind: 'ror', value: ror, label: ror };
      }
      return reply.code(201).send({ id: await service.addNote(actor, subject, body.text, body.opinion ?? null) });
    },
  );

  app.post(
    '/api/exchange/namesakes',
    {
      schema: {
        description: '"This string is not that listed entity", with the reason; shown beside the hit in screening, never removing it (analyst)',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'entry', 'reason'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 500 }, entry: { type: 'string', minLength: 3, maxLength: 300, description: '<list id>/<entry id>' }, reason: { type: 'string', minLength: 1, maxLength: 5000 } },
        },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      authorize(actor, 'exchange.note');
      const body = request.body as { name: string; entry: string; reason: string };
      const { list, entry } = findListEntry(await options.lists(), body.entry);
      return reply.code(201).send({ id: await service.decideNamesake(actor, { name: body.name, listId: list.id, entryId: entry.id, entryName: entry.name, reason: body.reason }) });
    },
  );

  app.put(
    '/api/exchange/sharing/:kind/:id',
    {
      schema: {
        description: "How far one of your organisation's items may travel: distribution (organisation, community, everyone) and TLP 2.0 marking; TLP:RED never leaves the installation. Audited (officer)",
        params: itemParams,
        body: { type: 'object', additionalProperties: false, required: ['distribution', 'tlp'], properties: { distribution: { type: 'string', enum: [...DISTRIBUTIONS] }, tlp: { type: 'string', enum: [...TLPS] } } },
      },
    },
    async (request) => {
      const { kind, id } = request.params as { kind: ItemKind; id: string };
      const sharing = request.body as { distribution: Distribution; tlp: Tlp };
      await service.share(actorOf(request), kind, id, sharing);
      // Shared more widely, the organisations it now reaches read through it; less widely, the others stop.
      if (kind === 'correction') await options.correctionsChanged?.([id]);
      return { kind, id, ...sharing };
    },
  );

  app.delete('/api/exchange/sharing/:kind/:id', { schema: { description: 'Stops sharing an item: back to your organisation only. Audited (officer)', params: itemParams } }, async (request, reply) => {
    const { kind, id } = request.params as { kind: ItemKind; id: string };
    await service.unshare(actorOf(request), kind, id);
    // The other organisations' views that read an unshared correction are rebuilt, as a withdrawal's are.
    if (kind === 'correction') await options.correctionsChanged?.([id]);
    return reply.code(204).send();
  });

  app.put(
    '/api/exchange/recipients/:kind/:id',
    {
      // An empty or longer list widens whom the item reaches, and it outlives a leaked token.
      // An administrator's decision: anyone else is refused before the body is read.
      config: { sessionOnly: 'change whom an exchange item is shared with', requires: 'exchange.publish' },
      schema: {
        description:
          "Restricts one of your organisation's shared items to named partner institutions (a MISP sharing group on export; STIX and FtM leave it out); an empty list lifts the restriction. Each partner is named by its derisk feed key (ed25519:…) or its MISP organisation UUID. Audited with the partners before (admin)",
        params: { type: 'object', required: ['kind', 'id'], properties: { kind: { type: 'string', enum: [...RESTRICTABLE] }, id: { type: 'string', minLength: 1, maxLength: 100 } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['recipients'],
          properties: {
            recipients: {
              type: 'array',
              maxItems: 100,
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['name', 'partner'],
                properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, partner: { type: 'string', maxLength: 52, pattern: PARTNER, description: 'ed25519:<its feed key> or <its MISP organisation UUID>' } },
              },
            },
          },
        },
      },
    },
    async (request) => {
      const { kind, id } = request.params as { kind: ItemKind; id: string };
      const recipients = (request.body as { recipients: { name: string; partner: string }[] }).recipients.map((r) => recipientNamed(r.name.trim(), r.partner));
      await service.restrict(actorOf(request), kind, id, recipients);
      return { kind, id, recipients };
    },
  );

  // A file comes as the raw body (its SHA-256 is its identity in the audit trail): only this route reads bodies so.
  app.register(async (scope) => {
    scope.removeContentTypeParser('application/json');
    scope.addContentTypeParser(['application/json', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: IMPORT_MAX_BYTES }, (_request, body, done) => done(null, body));
    const refuseEarly = async (request: FastifyRequest, reply: FastifyReply) => {
      const declared = request.headers['content-length'] === undefined ? null : Number(request.headers['content-length']);
      try {
        service.mayImport(actorOf(request), declared);
      } catch (e) {
        // The rest of the body is not wanted: the connection closes after the answer.
        reply.header('connection', 'close');
        throw e;
      }
    };
    scope.post(
      '/api/exchange/import',
      {
        config: { requires: 'exchange.subscribe' },
        onRequest: refuseEarly,
        bodyLimit: IMPORT_MAX_BYTES,
        schema: {
          description: `Imports a file another institution sent, as the raw body (at most ${IMPORT_MAX_BYTES / 1024 / 1024} MiB): a STIX 2.1 bundle or a MISP event. Its match corrections become your organisation's received corrections (accept or reject each); unsigned, kept with the file's SHA-256 and who sent it; audited. A file that cannot be read is refused naming why (admin)`,
          querystring: {
            type: 'object',
            additionalProperties: false,
            required: ['format', 'from'],
            properties: { format: { type: 'string', enum: ['stix', 'misp'] }, from: { type: 'string', minLength: 1, maxLength: 200, description: 'who sent the file' }, name: { type: 'string', minLength: 1, maxLength: 200, description: 'the file name, for the record' } },
          },
        },
      },
      async (request, reply) => {
        const q = request.query as { format: 'stix' | 'misp'; from: string; name?: string };
        if (!Buffer.isBuffer(request.body)) return reply.code(415).send({ error: 'unsupported media type', message: 'send the file as the request body (Content-Type: application/json)' });
        const self = options.home ? publisherOf(feedIdentity(options.home)) : undefined;
        const report = await service.importFile(actorOf(request), { from: q.from, name: q.name ?? `upload.${q.format}.json`, format: q.format, bytes: request.body }, self);
        await options.correctionsChanged?.(report.retracted);
        return report;
      },
    );
  });

  app.get('/api/exchange/received', { schema: { description: 'What subscribed feeds brought in, with publisher, key and times' } }, async (request) => {
    return service.received(actorOf(request));
  });

  app.post(
    '/api/exchange/publish',
    {
      config: { requires: 'exchange.publish' },
      schema: {
        description: `Publishes the installation's signed feed at ${EXCHANGE_FEED_ROUTE.replace(':file', '')} (public, as a MISP feed): items shared with the audience at markings up to tlp; anonymised verdicts only where k organisations besides any one of them (the publishing one included) assessed the partner; k is the installation's (data/exchange/policy.json): a higher one may be asked for, never a lower one. The answer counts only the caller's organisation's own items (held back, kept as released: its own verdicts' groups), never other organisations' (admin)`,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            tlp: { type: 'string', enum: [...FEED_TLPS], default: 'green' },
            audience: { type: 'string', enum: ['community', 'everyone'], default: 'community' },
            k: { type: 'integer', minimum: 2, maximum: 1000 },
            sequence_after: { type: 'integer', minimum: 0, maximum: 999_999_999_999_999, description: 'number the feed above this sequence: after a restore, the last sequence a partner took from a later feed (as derisk exchange publish --sequence-after)' },
          },
        },
      },
    },
    async (request) => {
      if (!feedDir || !options.home) throw new ConflictError('this server has no DERISK_HOME: nowhere to keep the feed key and feed');
      const body = (request.body ?? {}) as { tlp?: ExportableTlp; audience?: 'community' | 'everyone'; k?: number; sequence_after?: number };
      const identity = feedIdentity(options.home);
      const lists = await options.lists();
      const sequenceAfter = body.sequence_after ?? 0;
      const { own, written } = await service.publish(actorOf(request), { maxTlp: body.tlp ?? 'green', audience: body.audience ?? 'community', k: body.k, sequenceAfter }, identity, (out) => writeFeed(options.home!, feedDir, mispEvents(publisherOf(identity), out, lists), new Date(), sequenceAfter));
      // The feed itself is public; counts are the caller's organisation's own items only (OwnShare).
      return {
        sequence: written.sequence,
        manifestSha256: written.manifestSha256,
        publisher: identity.publisher,
        key: identity.publicKey,
        path: EXCHANGE_FEED_ROUTE.replace(':file', ''),
        ...own,
      };
    },
  );

  app.get(
    '/api/exchange/ftm',
    {
      config: { requires: 'exchange.publish' },
      schema: {
        description: 'The loaded risk lists (all, or those named) as FollowTheMoney entities, one JSON object a line: an Organization and a Sanction per entry (admin, as publishing)',
        querystring: { type: 'object', additionalProperties: false, properties: { list: { type: 'string', maxLength: 2000, description: 'list ids, separated by commas (default: every loaded list)' } } },
      },
    },
    async (request, reply) => {
      const only =
        (request.query as { list?: string }).list
          ?.split(',')
          .map((id) => id.trim())
          .filter(Boolean) ?? [];
      const { entities } = exportFtm(actorOf(request), await options.lists(), only);
      return reply.type('application/x-ndjson; charset=utf-8').header('content-disposition', 'attachment; filename="derisk-lists.ftm.json"').send(ftmJsonLines(entities));
    },
  );

  app.get(
    '/api/exchange/ftm/partners',
    {
      config: { requires: 'exchange.publish' },
      schema: {
        description:
          "Your organisation's own cases as FollowTheMoney entities, one JSON object a line: each case a Project, each partner an Organization (one per ROR id across cases, named and placed as the loaded ROR registry has it, or saying in its notes that the registry lacks it) tied to it by a ProjectParticipant with its role (admin, as every export)",
      },
    },
    async (request, reply) => {
      const entities = await service.casePartnersFtm(actorOf(request), options.registry);
      return reply.type('application/x-ndjson; charset=utf-8').header('content-disposition', 'attachment; filename="derisk-case-partners.ftm.json"').send(ftmJsonLines(entities));
    },
  );

  // Public in auth.ts: another installation reads it without an account here, and trusts it by its signature.
  app.get(
    EXCHANGE_FEED_ROUTE,
    {
      schema: { description: "A file of this installation's published feed (manifest.json, manifest.json.sig, <event uuid>.json)", security: [], params: { type: 'object', required: ['file'], properties: { file: { type: 'string', maxLength: 41, pattern: FEED_FILE } } } },
    },
    async (request, reply) => {
      const file = (request.params as { file: string }).file;
      const path = feedDir && join(feedDir, file);
      if (!path || !existsSync(path)) return reply.code(404).send({ error: 'not found', message: `no ${file} in this installation's feed (nothing published yet?)` });
      return reply.type('application/json').send(readFileSync(path));
    },
  );

  app.get('/api/exchange/subscriptions', { config: { requires: 'exchange.subscribe' }, schema: { description: 'Feeds this installation subscribes to, with their schedule and what the last pull came to (admin)' } }, async (request) => service.listSubscriptions(actorOf(request)));

  app.post(
    '/api/exchange/subscriptions',
    {
      // A trusted key stays behind the token: whatever it signs is taken in, pulled on its schedule.
      config: { sessionOnly: "subscribe to a feed (trust another installation's key)", requires: 'exchange.subscribe' },
      schema: {
        description: "Subscribes to another installation's feed by its URL, trusting only the given key (as its `derisk exchange keys` prints it); with every, the server pulls it on that schedule (admin)",
        body: { type: 'object', additionalProperties: false, required: ['url', 'key'], properties: { url: { type: 'string', pattern: '^https?://', maxLength: 2000 }, key: { type: 'string', maxLength: 100 }, every } },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const body = request.body as { url: string; key: string; every?: number | null };
      const keyId = keyIdOf(body.key);
      const id = await service.subscribe(actor, body.url, body.key.trim(), keyId, body.every ?? null);
      return reply.code(201).send(await service.subscription(actor, id));
    },
  );

  app.put(
    '/api/exchange/subscriptions/:id/schedule',
    {
      config: { requires: 'exchange.subscribe' },
      schema: { description: 'Pulls the feed every so many minutes, or (null) only when asked (admin)', params: uuidParams, body: { type: 'object', additionalProperties: false, required: ['every'], properties: { every } } },
    },
    async (request) => {
      const actor = actorOf(request);
      const id = (request.params as { id: string }).id;
      await service.schedule(actor, id, (request.body as { every: number | null }).every);
      return service.subscription(actor, id);
    },
  );

  app.post(
    '/api/exchange/subscriptions/:id/pull',
    {
      config: { requires: 'exchange.subscribe' },
      schema: { description: 'Pulls the feed now: verified against its key, its files against the signed manifest, its sequence against the last taken; a feed that fails is refused whole (422) with the reason (admin)', params: uuidParams },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const outcome = await pullSubscription(service, actor, await service.subscription(actor, (request.params as { id: string }).id), options.home ? publisherOf(feedIdentity(options.home)) : undefined);
      // Corrections their publisher retracted leave the views that accepted them at once.
      if (outcome.status === 'pulled') await options.correctionsChanged?.(outcome.report.retracted);
      return outcome.status === 'refused' ? reply.code(422).send({ error: 'feed refused', message: outcome.reason, outcome }) : outcome;
    },
  );
}
