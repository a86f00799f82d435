import type { FastifyInstance } from 'fastify';
import { auditEntries, verifyAudit } from '../service/audit.ts';
import { authorize, ROLES } from '../service/authorize.ts';
import { AuthError, LoginThrottle, SESSION_HOURS, type Accounts } from '../service/accounts.ts';
import type { AppDb } from '../appdb/db.ts';
import { actorOf, SESSION_COOKIE, sessionCookie } from './auth.ts';

/** Login, logout, the session, users of one's organisation, API tokens and the audit trail. */
export function registerAccountRoutes(app: FastifyInstance, accounts: Accounts, db: AppDb, throttle = new LoginThrottle()): void {
  const loginBody = {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password'],
    properties: { email: { type: 'string', minLength: 3, maxLength: 200 }, password: { type: 'string', minLength: 1, maxLength: 200 } },
  } as const;

  app.post('/api/login', { schema: { description: 'Opens a browser session (httpOnly cookie) and returns the CSRF token to send with changes', body: loginBody, security: [] } }, async (request, reply) => {
    const { email, password } = request.body as { email: string; password: string };
    const keys = [`ip:${request.ip}`, `email:${email.toLowerCase()}`];
    if (throttle.blocked(keys)) return reply.code(429).header('retry-after', '900').send({ error: 'too many requests', message: 'too many failed logins: try again in 15 minutes' });
    try {
      const { session, csrf, actor } = await accounts.login(email, password);
      throttle.succeed(keys);
      reply.header('set-cookie', sessionCookie(session, SESSION_HOURS * 3600));
      return { user: actor, csrf };
    } catch (e) {
      if (e instanceof AuthError) throttle.fail(keys);
      throw e;
    }
  });

  app.post('/api/logout', { schema: { description: 'Ends the browser session' } }, async (request, reply) => {
    const session = request.headers.cookie?.split(/;\s*/).find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.slice(SESSION_COOKIE.length + 1);
    if (session) await accounts.logout(decodeURIComponent(session));
    reply.header('set-cookie', sessionCookie('', 0));
    return { ok: true };
  });

  app.get('/api/session', { schema: { description: 'Who is logged in, and the CSRF token for changes' } }, async (request) => {
    const actor = actorOf(request);
    const session = request.headers.cookie?.split(/;\s*/).find((c) => c.startsWith(`${SESSION_COOKIE}=`))?.slice(SESSION_COOKIE.length + 1);
    const found = session ? await accounts.sessionActor(decodeURIComponent(session)) : null;
    return { user: actor, csrf: found?.csrf ?? null };
  });

  app.get('/api/users', { schema: { description: "Users of the caller's organisation (admin)" } }, async (request) => accounts.users(actorOf(request)));

  app.post('/api/users', {
    schema: {
      description: "Adds a user to the caller's organisation (admin)",
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['email', 'name', 'role', 'password'],
        properties: { email: { type: 'string', maxLength: 200 }, name: { type: 'string', minLength: 1, maxLength: 200 }, role: { type: 'string', enum: [...ROLES] }, password: { type: 'string', maxLength: 200 } },
      },
    },
  }, async (request, reply) => {
    const actor = actorOf(request);
    const body = request.body as { email: string; name: string; role: (typeof ROLES)[number]; password: string };
    const id = await accounts.createUser(actor, { ...body, orgId: actor.orgId });
    return reply.code(201).send({ id });
  });

  app.post('/api/tokens', { schema: { description: 'A new API token for the caller, shown once', body: { type: 'object', additionalProperties: false, required: ['label'], properties: { label: { type: 'string', minLength: 1, maxLength: 100 } } } } }, async (request, reply) => {
    return reply.code(201).send(await accounts.createToken(actorOf(request), (request.body as { label: string }).label));
  });

  app.delete('/api/tokens/:id', { schema: { description: 'Revokes an API token', params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] } } }, async (request) => {
    await accounts.revokeToken(actorOf(request), (request.params as { id: string }).id);
    return { ok: true };
  });

  app.get('/api/audit', { schema: { description: "The audit trail of the caller's organisation, newest first (officer)", querystring: { type: 'object', additionalProperties: false, properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } } } } }, async (request) => {
    const actor = actorOf(request);
    authorize(actor, 'audit.read');
    return auditEntries(db, actor.orgId, (request.query as { limit: number }).limit);
  });

  app.get('/api/audit/verify', { schema: { description: 'Checks the whole audit chain for edited or deleted entries (admin)' } }, async (request) => {
    authorize(actorOf(request), 'audit.verify');
    return verifyAudit(db);
  });
}
