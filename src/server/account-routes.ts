import type { FastifyInstance } from 'fastify';
import { auditTrailOf, verifyAuditOf } from '../service/audit.ts';
import { ROLES, type Role } from '../service/authorize.ts';
import { SESSION_HOURS, TOKEN_DAYS, type Accounts } from '../service/accounts.ts';
import { ThrottledError } from '../service/throttle.ts';
import type { AppDb } from '../appdb/db.ts';
import { actorOf, cookie, DEVICE_COOKIE, deviceCookie, SESSION_COOKIE, sessionCookie } from './auth.ts';

const userId = { type: 'object', properties: { id: { type: 'string', format: 'uuid', maxLength: 36 } }, required: ['id'] } as const;

/** Login, logout, the session, users of one's organisation, API tokens and the audit trail. */
export function registerAccountRoutes(app: FastifyInstance, accounts: Accounts, db: AppDb): void {
  const loginBody = {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password'],
    properties: { email: { type: 'string', minLength: 3, maxLength: 200 }, password: { type: 'string', minLength: 1, maxLength: 200 } },
  } as const;

  app.post('/api/login', { schema: { description: 'Opens a browser session (httpOnly cookie) and returns the CSRF token to send with changes. Failed attempts slow the account and the address down (429 with Retry-After)', body: loginBody, security: [] } }, async (request, reply) => {
    const { email, password } = request.body as { email: string; password: string };
    try {
      const { session, csrf, actor, device } = await accounts.login(email, password, { address: request.ip, device: cookie(request, DEVICE_COOKIE) });
      reply.header('set-cookie', [sessionCookie(request, session, SESSION_HOURS * 3600), ...(device ? [deviceCookie(request, device)] : [])]);
      return { user: actor, csrf };
    } catch (e) {
      if (e instanceof ThrottledError) return reply.code(429).header('retry-after', String(e.retryAfterSeconds)).send({ error: 'too many requests', message: e.message });
      throw e;
    }
  });

  app.post(
    '/api/login/code',
    { schema: { description: 'Exchanges a one-time login code printed at the console for a browser session', body: { type: 'object', additionalProperties: false, required: ['code'], properties: { code: { type: 'string', minLength: 1, maxLength: 100 } } }, security: [] } },
    async (request, reply) => {
      const { session, csrf, actor } = await accounts.redeemLoginCode((request.body as { code: string }).code);
      reply.header('set-cookie', sessionCookie(request, session, SESSION_HOURS * 3600));
      return { user: actor, csrf };
    },
  );

  app.post('/api/logout', { schema: { description: 'Ends the browser session' } }, async (request, reply) => {
    const session = cookie(request, SESSION_COOKIE);
    if (session) await accounts.logout(session);
    reply.header('set-cookie', sessionCookie(request, '', 0));
    return { ok: true };
  });

  app.get('/api/session', { schema: { description: 'Who is logged in, and the CSRF token for changes' } }, async (request) => {
    const actor = actorOf(request);
    const session = cookie(request, SESSION_COOKIE);
    const found = session ? await accounts.sessionActor(session) : null;
    return { user: actor, csrf: found?.csrf ?? null };
  });

  app.get('/api/users', { config: { requires: 'user.manage' }, schema: { description: "Users of the caller's organisation (admin)" } }, async (request) => accounts.users(actorOf(request)));

  app.post(
    '/api/users',
    {
      config: { sessionOnly: 'add a user', requires: 'user.manage' },
      schema: {
        description: "Adds a user to the caller's organisation (admin)",
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['email', 'name', 'role', 'password'],
          properties: { email: { type: 'string', maxLength: 200 }, name: { type: 'string', minLength: 1, maxLength: 200 }, role: { type: 'string', enum: [...ROLES] }, password: { type: 'string', maxLength: 200 } },
        },
      },
    },
    async (request, reply) => {
      const actor = actorOf(request);
      const body = request.body as { email: string; name: string; role: Role; password: string };
      const id = await accounts.createUser(actor, { ...body, orgId: actor.orgId });
      return reply.code(201).send({ id });
    },
  );

  app.patch(
    '/api/users/:id',
    {
      config: { sessionOnly: "change a user's role or access", requires: 'user.manage' },
      schema: {
        description: "Changes a user's role, or disables (enables) them: a disabled user's sessions end and tokens are revoked at once (admin, own organisation)",
        params: userId,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: { role: { type: 'string', enum: [...ROLES] }, disabled: { type: 'boolean' } } },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const { id } = request.params as { id: string };
      const body = request.body as { role?: Role; disabled?: boolean };
      if (body.role !== undefined) await accounts.setRole(actor, id, body.role);
      if (body.disabled !== undefined) await accounts.setDisabled(actor, id, body.disabled);
      return { ok: true };
    },
  );

  app.delete('/api/users/:id', { config: { sessionOnly: 'delete a user', requires: 'user.manage' }, schema: { description: 'Deletes a user with their sessions and tokens; the audit trail keeps what they did (admin, own organisation)', params: userId } }, async (request) => {
    await accounts.deleteUser(actorOf(request), (request.params as { id: string }).id);
    return { ok: true };
  });

  app.get('/api/tokens', { schema: { description: "The caller's API tokens (an admin's: their organisation's), without the secrets" } }, async (request) => accounts.tokens(actorOf(request)));

  app.post(
    '/api/tokens',
    {
      config: { sessionOnly: 'make another token' },
      schema: {
        description: `A new API token for the caller, shown once, good for days (at most and by default ${TOKEN_DAYS}). Only from a browser session (cookie and CSRF token): a token cannot make another, so a leaked one cannot outlive its own revocation`,
        body: { type: 'object', additionalProperties: false, required: ['label'], properties: { label: { type: 'string', minLength: 1, maxLength: 100 }, days: { type: 'integer', minimum: 1, maximum: TOKEN_DAYS } } },
      },
    },
    async (request, reply) => {
      const body = request.body as { label: string; days?: number };
      return reply.code(201).send(await accounts.createToken(actorOf(request), body.label, body.days));
    },
  );

  app.delete('/api/tokens/:id', { schema: { description: 'Revokes an API token', params: userId } }, async (request) => {
    await accounts.revokeToken(actorOf(request), (request.params as { id: string }).id);
    return { ok: true };
  });

  app.get('/api/audit', { schema: { description: "The audit trail of the caller's organisation, newest first (officer)", querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } } } } }, async (request) => {
    return auditTrailOf(db, actorOf(request), (request.query as { limit: number }).limit);
  });

  app.get('/api/audit/verify', { config: { requires: 'audit.verify' }, schema: { description: "Checks the audit chain, its anchor outside the database and the rows it records; an admin sees their organisation's part (the console sees all)" } }, async (request) => {
    return verifyAuditOf(db, actorOf(request));
  });
}
