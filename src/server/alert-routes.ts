import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ALERT_KINDS, FEED_ENTRIES, INBOX_PAGE, type AlertInbox } from '../monitoring/alerts.ts';
import { MAIL_MODES, type MailMode, type MailSettings } from '../monitoring/mail.ts';
import { WatchRequest } from '../monitoring/watch-request.ts';
import { WatchError, type AddRequest, type Watchlists } from '../monitoring/watchlists.ts';
import { actorOf } from './auth.ts';
import { documentValidator } from './typebox.ts';

const uuid = { type: 'string', format: 'uuid', maxLength: 36 } as const;
const idParams = { type: 'object', properties: { id: uuid }, required: ['id'] } as const;

/** The feed's address names its token and nothing else: `/feeds/drkf_….atom`. */
export const FEED_ROUTE = '/feeds/:feed';

/**
 * Watchlists, the alert inbox, feed tokens and webhooks over HTTP, and the Atom feed. Roles and
 * organisations are checked in the core (Watchlists, AlertInbox); the feed is the one route that
 * a feed token opens, and a feed token opens nothing else.
 */
export function registerAlertRoutes(app: FastifyInstance, watchlists: Watchlists, inbox: AlertInbox, mail: MailSettings, publicUrl: string | null): void {
  // The Host header is the client's to write: a forged one must not become an address the server hands out.
  const baseOf = (request: FastifyRequest) => publicUrl ?? `${request.protocol}://${request.host}`;
  app.get('/api/watchlist', { schema: { description: "Your organisation's watch items and your own" } }, async (request) => watchlists.list(actorOf(request)));

  app.post(
    '/api/watchlist',
    {
      schema: {
        description: 'Watches an institution (name or ROR id), a list entry, a field, a country, a knowledge-base topic or a case; scope user keeps it to yourself (analysts and up change the organisation’s)',
        body: WatchRequest,
      },
      validatorCompiler: documentValidator('the watch request', (m) => new WatchError(m)),
    },
    async (request, reply) => {
      const r = await watchlists.add(actorOf(request), request.body as AddRequest);
      return reply.code(r.created ? 201 : 200).send(r.item);
    },
  );

  app.delete('/api/watchlist/:id', { schema: { description: 'Stops watching', params: idParams } }, async (request, reply) => {
    await watchlists.remove(actorOf(request), (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  app.get(
    '/api/alerts',
    {
      schema: {
        description: `Your alerts, newest first: ${ALERT_KINDS.join(', ')}; each with its evidence, a link to it, and whether you have read it. A page at a time (${INBOX_PAGE} unless limit says otherwise): when there are more, the Link header (rel="next") gives the next page's address. The ETag changes when an alert arrives or you read one; sent back in If-None-Match, an unchanged page is answered 304`,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { unread: { type: 'boolean' }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: INBOX_PAGE }, before: { type: 'string', minLength: 1, maxLength: 500, description: 'the cursor the previous page gave' } },
        },
      },
    },
    async (request, reply) => {
      const q = request.query as { unread?: boolean; limit: number; before?: string };
      const page = await inbox.servedPage(actorOf(request), q);
      if (page.next) {
        const next = new URLSearchParams({ ...(q.unread ? { unread: 'true' } : {}), limit: String(q.limit), before: page.next });
        reply.header('link', `</api/alerts?${next}>; rel="next"`);
      }
      reply.header('etag', page.etag);
      if (request.headers['if-none-match']?.split(/\s*,\s*/).includes(page.etag)) return reply.code(304).send();
      // Already JSON, and already bytes: sent as they are.
      return reply.type('application/json; charset=utf-8').send(page.body);
    },
  );

  app.get('/api/alerts/:id', { schema: { description: 'One alert', params: idParams } }, async (request) => inbox.get(actorOf(request), (request.params as { id: string }).id));

  app.put('/api/alerts/:id/read', { schema: { description: 'Marks an alert read, for you', params: idParams } }, async (request, reply) => {
    await inbox.mark(actorOf(request), (request.params as { id: string }).id, true);
    return reply.code(204).send();
  });

  app.delete('/api/alerts/:id/read', { schema: { description: 'Marks an alert unread again, for you', params: idParams } }, async (request, reply) => {
    await inbox.mark(actorOf(request), (request.params as { id: string }).id, false);
    return reply.code(204).send();
  });

  app.post('/api/alerts/feed', { config: { sessionOnly: 'make a feed address' }, schema: { description: 'A new address for your Atom feed (the one before stops working); shown once' } }, async (request, reply) => {
    const token = await inbox.newFeedToken(actorOf(request));
    return reply.code(201).send({ token, url: `${baseOf(request)}/feeds/${token}.atom` });
  });

  app.delete('/api/alerts/feed', { schema: { description: 'Revokes your Atom feed address' } }, async (request, reply) => {
    const revoked = await inbox.revokeFeedToken(actorOf(request));
    return reply.code(revoked ? 204 : 404).send();
  });

  app.get('/api/webhooks', { schema: { description: "The organisation's webhook endpoints and their deliveries (officer)" } }, async (request) => inbox.webhooks(actorOf(request)));

  app.post(
    '/api/webhooks',
    {
      config: { sessionOnly: 'add a webhook' },
      schema: {
        description: "Sends the organisation's alerts to an endpoint, signed as Standard Webhooks says; the whsec_ secret is shown once (officer)",
        body: { type: 'object', additionalProperties: false, required: ['url'], properties: { url: { type: 'string', minLength: 8, maxLength: 2000 } } },
      },
    },
    async (request, reply) => reply.code(201).send(await inbox.addWebhook(actorOf(request), (request.body as { url: string }).url)),
  );

  app.delete('/api/webhooks/:id', { schema: { description: 'Removes an endpoint; deliveries not yet made are cancelled (officer)', params: idParams } }, async (request, reply) => {
    await inbox.removeWebhook(actorOf(request), (request.params as { id: string }).id);
    return reply.code(204).send();
  });

  // Public in auth.ts: the token in the address is the credential, and it opens this feed only.
  app.get(
    FEED_ROUTE,
    {
      schema: {
        description: `A user's newest ${FEED_ENTRIES} alerts as an Atom feed (RFC 4287); the address from POST /api/alerts/feed`,
        security: [],
        params: { type: 'object', properties: { feed: { type: 'string', maxLength: 42, pattern: '^drkf_[A-Za-z0-9_-]{32}\\.atom$' } }, required: ['feed'] },
      },
    },
    async (request, reply) => {
      const token = (request.params as { feed: string }).feed.slice(0, -'.atom'.length);
      const actor = await inbox.feedActor(token);
      if (!actor) return reply.code(404).send({ error: 'not found', message: 'no such feed (the address may have been revoked)' });
      const base = baseOf(request);
      const { body, etag } = await inbox.taggedFeed(actor, { self: `${base}/feeds/${token}.atom`, base, limit: FEED_ENTRIES });
      reply.header('etag', etag);
      // A reader that has this feed already is told so (RFC 9110 If-None-Match), not sent it again.
      if (request.headers['if-none-match']?.split(/\s*,\s*/).includes(etag)) return reply.code(304).send();
      return reply.type('application/atom+xml; charset=utf-8').send(body);
    },
  );

  app.get('/api/alerts/mail', { schema: { description: 'How you take alerts by mail (off, immediate, digest) and whether this installation sends mail' } }, async (request) => mail.get(actorOf(request)));

  app.put(
    '/api/alerts/mail',
    {
      schema: { description: 'Your alerts by mail: off, immediate (one mail per alert) or digest (one mail a day)', body: { type: 'object', additionalProperties: false, required: ['mode'], properties: { mode: { type: 'string', enum: [...MAIL_MODES] } } } },
    },
    async (request, reply) => {
      await mail.set(actorOf(request), (request.body as { mode: MailMode }).mode);
      return reply.code(204).send();
    },
  );

  // RFC 8058 one-click unsubscribe, public in auth.ts: mail clients POST `List-Unsubscribe=One-Click`
  // as a form, without credentials; the token in the address opens this and nothing else.
  const tokenParams = { type: 'object', properties: { token: { type: 'string', maxLength: 100 } }, required: ['token'] } as const;
  app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    // A click on the mail's link is a GET, and so is a link scanner's fetch: it only asks, with a button that POSTs.
    scope.get('/unsubscribe/:token', { schema: { description: 'The page a click on the unsubscribe link in a mail opens: a button that stops alert mails (changes nothing itself)', security: [], params: tokenParams } }, async (request, reply) => {
      const known = await mail.knows((request.params as { token: string }).token);
      // The address is the credential: not sent on as a referrer, not kept in caches or indexes.
      reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store').header('x-robots-tag', 'noindex');
      return reply
        .code(known ? 200 : 404)
        .type('text/html; charset=utf-8')
        .send(known ? UNSUBSCRIBE_PAGE : unsubscribePage('<p>This address stops no alert mails: it may be from an older subscription. Choose Mail on your Account page in derisk.</p>'));
    });
    scope.post(
      '/unsubscribe/:token',
      {
        schema: { description: 'One-click unsubscribe from alert mails (RFC 8058); the address is in every mail', security: [], params: tokenParams },
      },
      async (request, reply) => {
        if (!(await mail.unsubscribe((request.params as { token: string }).token))) return reply.code(404).send({ error: 'not found', message: 'no such subscription (the address may be from an older subscription)' });
        return reply.type('text/plain; charset=utf-8').send('You will receive no more alert mails from derisk.\n');
      },
    );
  });
}

const unsubscribePage = (body: string) =>
  `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>derisk alert mails</title></head><body><h1>derisk alert mails</h1>${body}</body></html>\n`;
/** Posts to its own address the form RFC 8058 names, as a mail client's one-click does. */
const UNSUBSCRIBE_PAGE = unsubscribePage(
  '<p>Stop the alert mails derisk sends you? Your alerts stay in derisk; you can choose Mail again on your Account page.</p><form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Stop alert mails</button></form>',
);
