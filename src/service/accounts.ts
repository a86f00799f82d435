import { createHash, randomBytes, randomUUID, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { AppDb } from '../appdb/db.ts';
import { appendAudit } from './audit.ts';
import { authorize, ForbiddenError, NotFoundError, ROLES, type Actor, type Role } from './authorize.ts';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, options, (e, key) => (e ? reject(e) : resolve(key))));

// scrypt with N = 2^15, r = 8 (OWASP's minimum for scrypt): memory-hard, about 50 ms a guess here.
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, 32, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64');
  const got = await scrypt(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return timingSafeEqual(got, expected);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export class AuthError extends Error {
  readonly statusCode = 401;
}

export class PasswordPolicyError extends Error {
  readonly statusCode = 400;
}

export function checkPassword(password: string): void {
  if (password.length < 12) throw new PasswordPolicyError('a password needs at least 12 characters');
  if (password.length > 200) throw new PasswordPolicyError('a password may have at most 200 characters');
}

type UserRow = { id: string; org_id: string; email: string; name: string; role: Role; password_hash: string; disabled: boolean };

const actorOf = (u: UserRow): Actor => ({ userId: u.id, orgId: u.org_id, role: u.role, name: u.name });

/** The operator at the console of the installation: may set up organisations and their first admins. */
export const OPERATOR: Actor = { userId: 'operator', orgId: 'system', role: 'admin', name: 'installation operator' };

export const SESSION_HOURS = 12;
/** How long a verified session or token is trusted without asking the database again. */
const CACHE_MS = 5_000;

/**
 * Accounts, sessions and API tokens. Passwords are stored as scrypt hashes, sessions and tokens
 * as SHA-256 hashes of random secrets. Only an admin manages users, and only in their own
 * organisation (the operator, at the console, in any).
 */
export class Accounts {
  private readonly cache = new Map<string, { actor: Actor; csrf: string | null; until: number }>();

  constructor(private readonly db: AppDb) {}

  async createOrganisation(actor: Actor, id: string, name: string): Promise<void> {
    if (actor !== OPERATOR) throw new ForbiddenError('only the installation operator creates organisations');
    if (!/^[a-z0-9][a-z0-9-]{1,40}$/.test(id)) throw new PasswordPolicyError(`organisation id ${JSON.stringify(id)}: lower-case letters, digits and dashes`);
    await this.db.transaction(async (tx) => {
      if ((await tx.query('SELECT 1 FROM organisations WHERE id = $1', [id]))[0]) return;
      await tx.query('INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)', [id, name, new Date().toISOString()]);
      await appendAudit(tx, { actor: actor.userId, orgId: id, action: 'organisation.create', target: id, detail: { name } });
    });
  }

  async createUser(actor: Actor, user: { orgId: string; email: string; name: string; role: Role; password: string }): Promise<string> {
    if (actor !== OPERATOR) {
      authorize(actor, 'user.manage');
      if (user.orgId !== actor.orgId) throw new ForbiddenError('admins manage users of their own organisation only');
    }
    if (!ROLES.includes(user.role)) throw new PasswordPolicyError(`role ${JSON.stringify(user.role)} is not one of ${ROLES.join(', ')}`);
    if (!/^[^\s@]+@[^\s@]+$/.test(user.email)) throw new PasswordPolicyError(`${JSON.stringify(user.email)} is not an e-mail address`);
    checkPassword(user.password);
    const hash = await hashPassword(user.password);
    return this.db.transaction(async (tx) => {
      if (!(await tx.query('SELECT 1 FROM organisations WHERE id = $1', [user.orgId]))[0]) throw new NotFoundError(`no organisation ${user.orgId}`);
      if ((await tx.query('SELECT 1 FROM users WHERE email = $1', [user.email.toLowerCase()]))[0]) throw new PasswordPolicyError(`a user ${user.email} exists already`);
      const id = randomUUID();
      await tx.query('INSERT INTO users (id, org_id, email, name, role, password_hash, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, false, $7)', [id, user.orgId, user.email.toLowerCase(), user.name, user.role, hash, new Date().toISOString()]);
      await appendAudit(tx, { actor: actor.userId, orgId: user.orgId, action: 'user.create', target: id, detail: { email: user.email.toLowerCase(), role: user.role } });
      return id;
    });
  }

  async users(actor: Actor): Promise<{ id: string; email: string; name: string; role: string; disabled: boolean }[]> {
    authorize(actor, 'user.manage');
    return this.db.query('SELECT id, email, name, role, disabled FROM users WHERE org_id = $1 ORDER BY email', [actor.orgId]);
  }

  /** Checks a password and opens a session; the same answer for a wrong e-mail and a wrong password. */
  async login(email: string, password: string): Promise<{ session: string; csrf: string; actor: Actor }> {
    const user = (await this.db.query<UserRow>('SELECT * FROM users WHERE email = $1', [email.toLowerCase()]))[0];
    // A missing user costs as much time as a wrong password, so timing does not tell them apart.
    const ok = user ? await verifyPassword(password, user.password_hash) : (await hashPassword(password), false);
    if (!user || !ok || user.disabled) {
      await this.db.transaction((tx) => appendAudit(tx, { actor: 'anonymous', orgId: user?.org_id ?? null, action: 'login.failed', target: email.toLowerCase().slice(0, 200), detail: {} }));
      throw new AuthError('wrong e-mail or password');
    }
    return { ...(await this.sessionFor(actorOf(user), 'login')), actor: actorOf(user) };
  }

  /** Opens a browser session: after a password login, or for a valid API token (the address `derisk serve` prints). */
  async sessionFor(actor: Actor, how: 'login' | 'login.token' = 'login.token'): Promise<{ session: string; csrf: string }> {
    const session = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const now = new Date();
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [sha256(session), actor.userId, csrf, now.toISOString(), new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString()]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: how, target: actor.userId, detail: {} });
    });
    return { session, csrf };
  }

  async logout(session: string): Promise<void> {
    this.cache.delete(`s:${sha256(session)}`);
    await this.db.query('DELETE FROM sessions WHERE id_hash = $1', [sha256(session)]);
  }

  async sessionActor(session: string): Promise<{ actor: Actor; csrf: string } | null> {
    const key = `s:${sha256(session)}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return { actor: hit.actor, csrf: hit.csrf! };
    const row = (await this.db.query<UserRow & { csrf: string; expires_at: string }>('SELECT u.*, s.csrf, s.expires_at FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1', [sha256(session)]))[0];
    if (!row || row.disabled || row.expires_at < new Date().toISOString()) return null;
    this.cache.set(key, { actor: actorOf(row), csrf: row.csrf, until: Date.now() + CACHE_MS });
    return { actor: actorOf(row), csrf: row.csrf };
  }

  /** A new API token for the actor: shown once, stored only as its hash. */
  async createToken(actor: Actor, label: string): Promise<{ id: string; token: string }> {
    const token = `drk_${randomBytes(32).toString('base64url')}`;
    const id = randomUUID();
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO api_tokens (id, token_hash, user_id, label, revoked, created_at) VALUES ($1, $2, $3, $4, false, $5)', [id, sha256(token), actor.userId, label.slice(0, 100), new Date().toISOString()]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'token.create', target: id, detail: { label: label.slice(0, 100) } });
    });
    return { id, token };
  }

  async revokeToken(actor: Actor, id: string): Promise<void> {
    const row = (await this.db.query<{ user_id: string; org_id: string }>('SELECT t.user_id, u.org_id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1', [id]))[0];
    if (!row || (row.user_id !== actor.userId && !(actor.role === 'admin' && row.org_id === actor.orgId))) throw new NotFoundError(`no token ${id}`);
    await this.db.transaction(async (tx) => {
      await tx.query('UPDATE api_tokens SET revoked = true WHERE id = $1', [id]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'token.revoke', target: id, detail: {} });
    });
    this.cache.clear();
  }

  async tokenActor(token: string): Promise<Actor | null> {
    const key = `t:${sha256(token)}`;
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.actor;
    const row = (await this.db.query<UserRow>('SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND NOT t.revoked', [sha256(token)]))[0];
    if (!row || row.disabled) return null;
    this.cache.set(key, { actor: actorOf(row), csrf: null, until: Date.now() + CACHE_MS });
    return actorOf(row);
  }

  /** The installation's first admin, made at first start so `derisk serve` works on a fresh machine. */
  async ensureLocalAdmin(): Promise<{ actor: Actor; password: string | null }> {
    const existing = (await this.db.query<UserRow>("SELECT * FROM users WHERE org_id = 'local' AND role = 'admin' ORDER BY created_at LIMIT 1"))[0];
    if (existing) return { actor: actorOf(existing), password: null };
    const password = randomBytes(15).toString('base64url');
    await this.createOrganisation(OPERATOR, 'local', 'This installation');
    await this.createUser(OPERATOR, { orgId: 'local', email: 'admin@localhost', name: 'Local administrator', role: 'admin', password });
    const row = (await this.db.query<UserRow>("SELECT * FROM users WHERE email = 'admin@localhost'"))[0]!;
    return { actor: actorOf(row), password };
  }
}

/** Failed logins per e-mail and per address: after `limit` failures in `windowMs`, refuse until the window passes. */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit = 5,
    private readonly windowMs = 15 * 60_000,
  ) {}

  private recent(key: string): number[] {
    const now = Date.now();
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.windowMs);
    this.failures.set(key, list);
    return list;
  }

  blocked(keys: string[]): boolean {
    return keys.some((k) => this.recent(k).length >= this.limit);
  }

  fail(keys: string[]): void {
    for (const k of keys) this.recent(k).push(Date.now());
  }

  succeed(keys: string[]): void {
    for (const k of keys) this.failures.delete(k);
  }
}
