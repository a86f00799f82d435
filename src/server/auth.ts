import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UnauthenticatedError } from '../errors.ts';
import { DEVICE_DAYS, type Accounts } from '../service/accounts.ts';
import { authorize, type Action, type Actor } from '../service/authorize.ts';

/**
 * Routes anyone may call (HEAD as GET); every other route needs a session or an API token. The
 * Atom feed is here on purpose: feed readers send no credentials, so the feed-only token in its
 * address is the credential (src/server/alert-routes.ts), and it opens that feed and nothing else;
 * so is the one-click unsubscribe of alert mails (RFC 8058), whose token only turns that mail off
 * (its GET page only asks, with a button that POSTs).
 */
export const PUBLIC_ROUTES = new Set([
  'GET /feeds/:feed',
  'GET /unsubscribe/:token',
  'POST /unsubscribe/:token',
  'GET /health',
  'GET /ready',
  'POST /api/login',
  'POST /api/login/code',
  'GET /',
  'GET /app.js',
  'GET /charts.js',
  'GET /cases.js',
  'GET /account.js',
  'GET /alerts.js',
  'GET /kb.js',
  'GET /exchange.js',
  'GET /exchange/feed/:file',
  'GET /style.css',
  'GET /csv-cell.js',
]);

/**
 * The Atom feed's own token, in its address, is its one credential: an API token or a session
 * sent along opens nothing more there, so it is not looked up (feed readers poll; each poll
 * would cost a second credential check that decides nothing).
 */
const ATOM_FEED = 'GET /feeds/:feed';

export const SESSION_COOKIE = 'derisk_session';
/** A browser that logged in to an account before: its logins are throttled apart from strangers'. */
export const DEVICE_COOKIE = 'derisk_device';

declare module 'fastify' {
  /**
   * A route that makes or changes a credential, a grant of access or a standing channel into or out
   * of the installation declares it where it is registered: `config: { sessionOnly: 'add a user' }`,
   * what an API token cannot do, for the refusal. Such a route takes an interactive session (cookie
   * and CSRF token), never an API token, so a leaked token cannot leave behind something that
   * outlives revoking it. Revoking (DELETE of a token, feed address, webhook or share) stays open
   * to tokens. test/service/auth.test.ts makes every new changing route decide.
   */
  interface FastifyContextConfig {
    sessionOnly?: string;
    /**
     * What a route's caller must be allowed to do (an action of data/service/permissions.json),
     * checked before its body, query or parameters are read or validated: a caller without it is
     * told 403 whatever they sent, so validation tells nothing to those who may not use the route.
     * The core checks it again on the action.
     */
    requires?: Action;
  }
  interface FastifyRequest {
    actor: Actor | null;
    /** How the caller authenticated: some things (routes marked sessionOnly) take an interactive session. */
    credential: 'token' | 'session' | null;
  }
}

export function cookie(request: FastifyRequest, name: string): string | null {
  const found = request.headers.cookie?.split(/;\s*/).find((c) => c.startsWith(`${name}=`));
  return found ? decodeURIComponent(found.slice(name.length + 1)) : null;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * A cookie that scripts cannot read and other sites cannot send; Secure when the request came over
 * TLS (directly, or through a trusted reverse proxy that says so in X-Forwarded-Proto).
 */
function cookieHeader(request: FastifyRequest, name: string, value: string, maxAgeSeconds: number, path = '/'): string {
  return `${name}=${encodeURIComponent(value)}; HttpOnly; SameSite=Strict; Path=${path}; Max-Age=${maxAgeSeconds}${request.protocol === 'https' ? '; Secure' : ''}`;
}

export const sessionCookie = (request: FastifyRequest, value: string, maxAgeSeconds: number) => cookieHeader(request, SESSION_COOKIE, value, maxAgeSeconds);
export const deviceCookie = (request: FastifyRequest, value: string) => cookieHeader(request, DEVICE_COOKIE, value, DEVICE_DAYS * 24 * 3600, '/api/login');

/**
 * Who is calling: an API token (Authorization: Bearer drk_…) or a browser session cookie
 * (httpOnly, SameSite=Strict). A state-changing request made with the cookie must also carry
 * the session's CSRF token in X-CSRF-Token. The pages and their scripts are public; everything
 * they show comes from routes that are not.
 */
export function registerAuth(app: FastifyInstance, accounts: Accounts): void {
  app.decorateRequest('actor', null);
  app.decorateRequest('credential', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const route = `${method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
    if (route === ATOM_FEED) return;
    const header = request.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      request.actor = await accounts.tokenActor(header.slice(7));
      if (request.actor) request.credential = 'token';
    } else {
      const session = cookie(request, SESSION_COOKIE);
      const found = session ? await accounts.sessionActor(session) : null;
      if (found) {
        request.actor = found.actor;
        request.credential = 'session';
        const unsafe = !['GET', 'HEAD', 'OPTIONS'].includes(request.method);
        const given = request.headers['x-csrf-token'];
        if (unsafe && (typeof given !== 'string' || !same(given, found.csrf))) {
          reply.code(403).send({ error: 'forbidden', message: 'missing or wrong X-CSRF-Token for a request made with the session cookie' });
          return reply;
        }
      }
    }
    const sessionOnly = request.routeOptions.config.sessionOnly;
    if (sessionOnly && request.credential === 'token') {
      reply.code(403).send({ error: 'forbidden', message: `an API token cannot ${sessionOnly}: log in to the web app (a browser session) and do it there, or send this request with that session's cookie and X-CSRF-Token` });
      return reply;
    }
    if (request.actor) {
      const requires = request.routeOptions.config.requires;
      if (requires) authorize(request.actor, requires);
      return;
    }
    if (PUBLIC_ROUTES.has(route)) return;
    reply.code(401).send({ error: 'unauthorised', message: 'log in, or send Authorization: Bearer <API token>' });
    return reply;
  });
  app.addHook('onSend', async (_request, reply) => {
    // A document with its own policy (the HTML report) keeps it.
    if (!reply.hasHeader('content-security-policy')) reply.header('content-security-policy', "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cache-control', 'no-store');
  });
}

/** The caller, for routes behind authentication (the hook has already refused anonymous calls). */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError('not logged in');
  return request.actor;
}
