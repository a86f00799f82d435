import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** Routes anyone may call; every other route needs the access token. */
export const PUBLIC_ROUTES = new Set(['GET /health']);

export const newToken = (): string => randomBytes(24).toString('base64url');

const COOKIE = 'derisk_token';

function presented(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  const cookie = request.headers.cookie?.split(/;\s*/).find((c) => c.startsWith(`${COOKIE}=`));
  return cookie ? decodeURIComponent(cookie.slice(COOKIE.length + 1)) : null;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Single-tenant access for `derisk serve` on one machine: a random token, shown once at start,
 * presented as a Bearer header or, for the browser, exchanged at `/?token=` for an httpOnly,
 * SameSite=Strict cookie. Accounts, roles and organisations are the multi-user service's job.
 */
export function registerAuth(app: FastifyInstance, token: string): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
    if (PUBLIC_ROUTES.has(route)) return;
    const query = request.query as { token?: unknown } | undefined;
    if (request.method === 'GET' && route === 'GET /' && typeof query?.token === 'string' && same(query.token, token)) {
      // Swap the token in the address bar for a cookie, so it does not linger in history.
      reply.header('set-cookie', `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`).redirect('/');
      return reply;
    }
    const given = presented(request);
    if (given === null || !same(given, token)) {
      reply.code(401).send({ error: 'unauthorised', message: 'open the address derisk serve printed, or send Authorization: Bearer <token>' });
      return reply;
    }
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'");
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
  });
}
