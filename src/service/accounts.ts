import { randomBytes, randomUUID, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { AppDb, AppTx } from '../appdb/db.ts';
import { appendAudit, loginCodeMacFields, sealOf, sessionMacFields, tokenMacFields, type RowRef } from './audit.ts';
import { credentialMac, credentialMacMatches } from './audit-seal.ts';
import { ConflictError, UnauthenticatedError } from '../errors.ts';
import { authorize, ForbiddenError, NotFoundError, ROLES, type Actor, type Role } from './authorize.ts';
import { checkPassword, PasswordPolicyError } from './passwords.ts';
import { LoginThrottle, type ThrottleKey } from './throttle.ts';
import { sha256Hex } from '../sha256.ts';

export { PasswordPolicyError } from './passwords.ts';

const scrypt = (password: string, salt: Buffer, keylen: number, options: ScryptOptions) => new Promise<Buffer>((resolve, reject) => scryptCb(password, salt, keylen, options, (e, key) => (e ? reject(e) : resolve(key))));

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

export class AuthError extends UnauthenticatedError {}

type UserRow = { id: string; org_id: string; email: string; name: string; role: Role; password_hash: string; disabled: boolean | number };

const actorOf = (u: UserRow): Actor => ({ userId: u.id, orgId: u.org_id, role: u.role, name: u.name });

/** The operator at the console of the installation: may set up organisations and their first admins. */
export const OPERATOR: Actor = { userId: 'operator', orgId: 'system', role: 'admin', name: 'installation operator' };

export const SESSION_HOURS = 12;
/**
 * Revoking a token also drops its MAC: a revoked row switched back with SQL then vouches for
 * nothing (the MAC does not cover the flag, so keeping it would let `revoked = false` revive it).
 */
export const REVOKED = 'revoked = true, mac = NULL';

/** How long a browser that logged in is remembered as the account's own (its device cookie). */
export const DEVICE_DAYS = 400;

/** An API token lives this long unless made for less: a forgotten or leaked one stops on its own. */
export const TOKEN_DAYS = 90;

/** When a token stops: its own date, or (made before tokens carried one, migration 027) TOKEN_DAYS after it was made. */
const tokenExpiry = (t: { created_at: string; expires_at: string | null }) => t.expires_at ?? new Date(Date.parse(t.created_at) + TOKEN_DAYS * 86_400_000).toISOString();

/** A login code printed at the console is good for this long, once. */
export const LOGIN_CODE_MINUTES = 10;

export type UserView = {
  id: string;
  email: string;
  name: string;
  role: string;
  disabled: boolean;
};

/** Where a login comes from: the address, and the device cookie of a browser that logged in before. */
export interface LoginContext {
  address?: string | null;
  device?: string | null;
}

/**
 * Accounts, sessions, API tokens and login codes. Passwords are stored as scrypt hashes,
 * sessions, tokens, codes and device cookies as SHA-256 hashes of random secrets; sessions and
 * codes and tokens carry a MAC under the audit key, so one planted in the database logs nobody in.
 * Only an admin manages users, and only in their own organisation (the operator, at the console,
 * in any). Every request reads its session or token with the user's current role and state (one
 * indexed query, nothing remembered), so a disabled user, a revoked token, an ended
 * session or a changed role takes effect at the next request, whichever process made the change.
 */
export class Accounts {
  readonly throttle: LoginThrottle;

  constructor(
    private readonly db: AppDb,
    throttle?: LoginThrottle,
  ) {
    this.throttle = throttle ?? new LoginThrottle(db);
  }

  /** A row's MAC under the audit key; null where the database is not sealed (no key to check against). */
  private mac(kind: string, fields: unknown[]): string | null {
    const seal = sealOf(this.db);
    return seal ? credentialMac(seal, kind, fields) : null;
  }

  private macMatches(kind: string, fields: unknown[], mac: unknown): boolean {
    const seal = sealOf(this.db);
    return !seal || credentialMacMatches(seal, kind, fields, mac);
  }

  async createOrganisation(actor: Actor, id: string, name: string): Promise<void> {
    if (actor !== OPERATOR) throw new ForbiddenError('only the installation operator creates organisations');
    if (!/^[a-z0-9][a-z0-9-]{1,40}$/.test(id)) throw new PasswordPolicyError(`organisation id ${JSON.stringify(id)}: lower-case letters, digits and dashes`);
    await this.db.transaction(async (tx) => {
      if ((await tx.query('SELECT 1 FROM organisations WHERE id = $1', [id]))[0]) return;
      await tx.query('INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)', [id, name, new Date().toISOString()]);
      await appendAudit(tx, { actor: actor.userId, orgId: id, action: 'organisation.create', target: id, detail: { name }, rows: [['organisations', id]] });
    });
  }

  /** An organisation's name, which its users' passwords must not be built on ('' for none: its existence is checked later). */
  private async organisationName(orgId: string): Promise<string> {
    return (await this.db.query<{ name: string }>('SELECT name FROM organisations WHERE id = $1', [orgId]))[0]?.name ?? '';
  }

  async createUser(actor: Actor, user: { orgId: string; email: string; name: string; role: Role; password: string }): Promise<string> {
    if (actor !== OPERATOR) {
      authorize(actor, 'user.manage');
      if (user.orgId !== actor.orgId) throw new ForbiddenError('admins manage users of their own organisation only');
    }
    if (!ROLES.includes(user.role)) throw new PasswordPolicyError(`role ${JSON.stringify(user.role)} is not one of ${ROLES.join(', ')}`);
    if (!/^[^\s@]+@[^\s@]+$/.test(user.email)) throw new PasswordPolicyError(`${JSON.stringify(user.email)} is not an e-mail address`);
    checkPassword(user.password, [user.email, user.name, user.orgId, await this.organisationName(user.orgId)]);
    const hash = await hashPassword(user.password);
    const email = user.email.toLowerCase();
    return this.db.transaction(async (tx) => {
      if (!(await tx.query('SELECT 1 FROM organisations WHERE id = $1', [user.orgId]))[0]) throw new NotFoundError(`no organisation ${user.orgId}`);
      // One address is one account in the installation; the answer does not say in which organisation.
      if ((await tx.query('SELECT 1 FROM users WHERE email = $1', [email]))[0]) throw new PasswordPolicyError(`the address ${email} cannot be used for a new account`);
      const id = randomUUID();
      await tx.query('INSERT INTO users (id, org_id, email, name, role, password_hash, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6, false, $7)', [id, user.orgId, email, user.name, user.role, hash, new Date().toISOString()]);
      await appendAudit(tx, { actor: actor.userId, orgId: user.orgId, action: 'user.create', target: id, detail: { email, role: user.role }, rows: [['users', id]] });
      return id;
    });
  }

  async users(actor: Actor): Promise<UserView[]> {
    authorize(actor, 'user.manage');
    const rows = await this.db.query<UserView & { disabled: boolean | number }>('SELECT id, email, name, role, disabled FROM users WHERE org_id = $1 ORDER BY email', [actor.orgId]);
    return rows.map((r) => ({ ...r, disabled: Boolean(r.disabled) }));
  }

  /**
   * Checks a password and opens a session; the same answer for a wrong e-mail and a wrong
   * password. The attempt is counted against the account (or the device that logged in to it
   * before) and the address before the password is checked.
   */
  async login(emailGiven: string, password: string, context: LoginContext = {}): Promise<{ session: string; csrf: string; actor: Actor; device: string | null }> {
    const email = emailGiven.toLowerCase();
    const user = (await this.db.query<UserRow>('SELECT * FROM users WHERE email = $1', [email]))[0];
    const knownDevice = user && context.device ? (await this.db.query('SELECT 1 FROM login_devices WHERE id_hash = $1 AND user_id = $2', [sha256Hex(context.device), user.id]))[0] : undefined;
    const keys: ThrottleKey[] = [knownDevice ? { kind: 'device', key: sha256Hex(context.device!) } : { kind: 'account', key: email }];
    if (context.address) keys.push({ kind: 'address', key: context.address });
    await this.throttle.reserve(keys);
    // A missing user costs as much time as a wrong password, so timing does not tell them apart.
    const ok = user ? await verifyPassword(password, user.password_hash) : (await hashPassword(password), false);
    if (!user || !ok || user.disabled) {
      await this.db.transaction((tx) => appendAudit(tx, { actor: 'anonymous', orgId: user?.org_id ?? null, action: 'login.failed', target: email.slice(0, 200), detail: context.address ? { address: context.address } : {} }));
      throw new AuthError('wrong e-mail or password');
    }
    await this.throttle.succeeded(keys);
    const device = knownDevice ? null : randomBytes(32).toString('base64url');
    if (device) {
      // A device cookie lives 400 days (the most a browser keeps one); older records are of no use.
      await this.db.query('DELETE FROM login_devices WHERE created_at < $1', [new Date(Date.now() - DEVICE_DAYS * 86_400_000).toISOString()]);
      await this.db.query('INSERT INTO login_devices (id_hash, user_id, created_at) VALUES ($1, $2, $3)', [sha256Hex(device), user.id, new Date().toISOString()]);
    }
    return { ...(await this.openSession(actorOf(user), 'password', 'login')), actor: actorOf(user), device };
  }

  private async openSession(actor: Actor, origin: string, action: string, tx?: AppTx): Promise<{ session: string; csrf: string }> {
    const session = randomBytes(32).toString('base64url');
    const csrf = randomBytes(24).toString('base64url');
    const now = new Date();
    const row = { id_hash: sha256Hex(session), user_id: actor.userId, csrf, created_at: now.toISOString(), expires_at: new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString(), origin };
    const write = async (t: AppTx) => {
      await t.query('INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at, origin, mac) VALUES ($1, $2, $3, $4, $5, $6, $7)', [row.id_hash, row.user_id, row.csrf, row.created_at, row.expires_at, row.origin, this.mac('session', sessionMacFields(row))]);
      await appendAudit(t, { actor: actor.userId, orgId: actor.orgId, action, target: actor.userId, detail: origin === 'password' ? {} : { origin } });
    };
    if (tx) await write(tx);
    else await this.db.transaction(write);
    return { session, csrf };
  }

  async logout(session: string): Promise<void> {
    await this.db.query('DELETE FROM sessions WHERE id_hash = $1', [sha256Hex(session)]);
  }

  async sessionActor(session: string): Promise<{ actor: Actor; csrf: string } | null> {
    const row = (
      await this.db.query<UserRow & { id_hash: string; user_id: string; csrf: string; session_created: string; expires_at: string; origin: string | null; mac: string | null }>(
        'SELECT u.*, s.id_hash, s.user_id, s.csrf, s.created_at AS session_created, s.expires_at, s.origin, s.mac FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1',
        [sha256Hex(session)],
      )
    )[0];
    if (!row || row.disabled || row.expires_at < new Date().toISOString()) return null;
    if (!this.macMatches('session', sessionMacFields({ ...row, created_at: row.session_created }), row.mac)) return null;
    return { actor: actorOf(row), csrf: row.csrf };
  }

  /** A new API token for the actor, good for `days` (at most TOKEN_DAYS): shown once, stored only as its hash, with its MAC (which covers its expiry). */
  async createToken(actor: Actor, label: string, days = TOKEN_DAYS): Promise<{ id: string; token: string; expiresAt: string }> {
    if (!Number.isInteger(days) || days < 1 || days > TOKEN_DAYS) throw new PasswordPolicyError(`days: a token lives from 1 to ${TOKEN_DAYS} days, got ${days}`);
    const token = `drk_${randomBytes(32).toString('base64url')}`;
    const now = Date.now();
    const row = { id: randomUUID(), token_hash: sha256Hex(token), user_id: actor.userId, created_at: new Date(now).toISOString(), expires_at: new Date(now + days * 86_400_000).toISOString() };
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO api_tokens (id, token_hash, user_id, label, revoked, created_at, expires_at, mac) VALUES ($1, $2, $3, $4, false, $5, $6, $7)', [row.id, row.token_hash, row.user_id, label.slice(0, 100), row.created_at, row.expires_at, this.mac('api-token', tokenMacFields(row))]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'token.create', target: row.id, detail: { label: label.slice(0, 100), expiresAt: row.expires_at }, rows: [['api_tokens', row.id]] });
    });
    return { id: row.id, token, expiresAt: row.expires_at };
  }

  /** The actor's own tokens (an admin: those of everyone in their organisation), never the secrets; expired ones until revoked, marked so. */
  async tokens(actor: Actor): Promise<{ id: string; label: string; userId: string; email: string; createdAt: string; expiresAt: string; expired: boolean }[]> {
    const rows = await this.db.query<{ id: string; label: string; user_id: string; email: string; created_at: string; expires_at: string | null }>(
      `SELECT t.id, t.label, t.user_id, u.email, t.created_at, t.expires_at FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE NOT t.revoked AND ${actor.role === 'admin' ? 'u.org_id = $1' : 't.user_id = $1'} ORDER BY t.created_at`,
      [actor.role === 'admin' ? actor.orgId : actor.userId],
    );
    const now = new Date().toISOString();
    return rows.map((r) => ({ id: r.id, label: r.label, userId: r.user_id, email: r.email, createdAt: r.created_at, expiresAt: tokenExpiry(r), expired: tokenExpiry(r) <= now }));
  }

  async revokeToken(actor: Actor, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = (await tx.query<{ user_id: string; org_id: string }>('SELECT t.user_id, u.org_id FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1', [id]))[0];
      if (!row || (actor !== OPERATOR && row.user_id !== actor.userId && !(actor.role === 'admin' && row.org_id === actor.orgId))) throw new NotFoundError(`no token ${id}`);
      await tx.query(`UPDATE api_tokens SET ${REVOKED} WHERE id = $1`, [id]);
      await appendAudit(tx, { actor: actor.userId, orgId: row.org_id, action: 'token.revoke', target: id, detail: {}, rows: [['api_tokens', id]] });
    });
  }

  async tokenActor(token: string): Promise<Actor | null> {
    const row = (
      await this.db.query<UserRow & { token_id: string; token_hash: string; user_id: string; token_created: string; token_expires: string | null; mac: string | null }>(
        'SELECT u.*, t.id AS token_id, t.token_hash, t.user_id, t.created_at AS token_created, t.expires_at AS token_expires, t.mac FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND NOT t.revoked',
        [sha256Hex(token)],
      )
    )[0];
    if (!row || row.disabled) return null;
    if (tokenExpiry({ created_at: row.token_created, expires_at: row.token_expires }) <= new Date().toISOString()) return null;
    if (!this.macMatches('api-token', tokenMacFields({ id: row.token_id, token_hash: row.token_hash, user_id: row.user_id, created_at: row.token_created, expires_at: row.token_expires }), row.mac)) return null;
    return actorOf(row);
  }

  /**
   * A one-time login code for a user, good for a few minutes. Only the console mints them (the
   * address `derisk serve` prints), so nobody can hand a victim a code to their own account.
   * Sessions opened with it carry its origin and end when that origin is ended (see endOrigin).
   */
  async mintLoginCode(actor: Actor, userId: string, origin: string): Promise<string> {
    if (actor !== OPERATOR) throw new ForbiddenError('login codes are minted at the console only');
    const code = randomBytes(24).toString('base64url');
    const row = { code_hash: sha256Hex(code), user_id: userId, origin, expires_at: new Date(Date.now() + LOGIN_CODE_MINUTES * 60_000).toISOString() };
    await this.db.query('INSERT INTO login_codes (code_hash, user_id, origin, expires_at, mac) VALUES ($1, $2, $3, $4, $5)', [row.code_hash, row.user_id, row.origin, row.expires_at, this.mac('login-code', loginCodeMacFields(row))]);
    return code;
  }

  /** Exchanges a login code for a session, once. */
  async redeemLoginCode(code: string): Promise<{ session: string; csrf: string; actor: Actor }> {
    return this.db.transaction(async (tx) => {
      const row = (
        await tx.query<UserRow & { code_hash: string; user_id: string; origin: string; expires_at: string; mac: string | null }>('SELECT u.*, c.code_hash, c.user_id, c.origin, c.expires_at, c.mac FROM login_codes c JOIN users u ON u.id = c.user_id WHERE c.code_hash = $1', [sha256Hex(code)])
      )[0];
      if (row) await tx.query('DELETE FROM login_codes WHERE code_hash = $1', [sha256Hex(code)]);
      if (!row || row.disabled || row.expires_at < new Date().toISOString() || !this.macMatches('login-code', loginCodeMacFields(row), row.mac)) throw new AuthError('this login code is unknown, used or expired: ask the console for a new one');
      return { ...(await this.openSession(actorOf(row), row.origin, 'login.code', tx)), actor: actorOf(row) };
    });
  }

  /** Ends every login code and session of one origin (a server run that stopped, or died). */
  async endOrigin(origin: string): Promise<number> {
    const ended = await this.db.transaction(async (tx) => {
      const n = Number((await tx.query<{ n: number }>('SELECT count(*) AS n FROM sessions WHERE origin = $1', [origin]))[0]?.n ?? 0);
      await tx.query('DELETE FROM login_codes WHERE origin = $1', [origin]);
      await tx.query('DELETE FROM sessions WHERE origin = $1', [origin]);
      await appendAudit(tx, { actor: OPERATOR.userId, orgId: null, action: 'login.origin.end', target: origin, detail: { sessions: n } });
      return n;
    });
    return ended;
  }

  /** The user an admin (or the operator) may manage: in the admin's own organisation, else it does not exist. */
  private async managed(tx: AppTx, actor: Actor, userId: string): Promise<UserRow> {
    if (actor !== OPERATOR) authorize(actor, 'user.manage');
    const row = (await tx.query<UserRow>('SELECT * FROM users WHERE id = $1', [userId]))[0];
    if (!row || (actor !== OPERATOR && row.org_id !== actor.orgId)) throw new NotFoundError(`no user ${userId}`);
    return row;
  }

  /** An organisation keeps at least one active admin, so nobody locks it out of its own users. */
  private async keepsAnAdmin(tx: AppTx, user: UserRow, change: string): Promise<void> {
    if (user.role !== 'admin' || user.disabled) return;
    const others = (await tx.query<{ n: number }>("SELECT count(*) AS n FROM users WHERE org_id = $1 AND role = 'admin' AND NOT disabled AND id <> $2", [user.org_id, user.id]))[0];
    if (Number(others?.n ?? 0) === 0) throw new ConflictError(`${user.email} is the last active admin of ${user.org_id}: make another admin before you ${change} them`);
  }

  /** Ends a user's sessions and revokes their tokens, in the caller's transaction; the refs of the tokens revoked. */
  private async cutOff(tx: AppTx, userId: string): Promise<RowRef[]> {
    const tokens = await tx.query<{ id: string }>('SELECT id FROM api_tokens WHERE user_id = $1 AND NOT revoked', [userId]);
    await tx.query(`UPDATE api_tokens SET ${REVOKED} WHERE user_id = $1`, [userId]);
    // The feed's address too: enabled again, the user asks for a new one; a leaked old one stays dead.
    const feeds = await tx.query<{ id: string }>('SELECT id FROM feed_tokens WHERE user_id = $1 AND NOT revoked', [userId]);
    await tx.query(`UPDATE feed_tokens SET ${REVOKED} WHERE user_id = $1 AND NOT revoked`, [userId]);
    await tx.query('DELETE FROM sessions WHERE user_id = $1', [userId]);
    await tx.query('DELETE FROM login_codes WHERE user_id = $1', [userId]);
    return [...tokens.map((t) => ['api_tokens', t.id] as RowRef), ...feeds.map((t) => ['feed_tokens', t.id] as RowRef)];
  }

  /** Disables (or enables again) a user: a disabled user's sessions end and tokens are revoked at once. */
  async setDisabled(actor: Actor, userId: string, disabled: boolean): Promise<void> {
    await this.db.transaction(async (tx) => {
      const user = await this.managed(tx, actor, userId);
      if (Boolean(user.disabled) === disabled) return;
      if (disabled) await this.keepsAnAdmin(tx, user, 'disable');
      // Booleans as literals: not every driver binds them.
      await tx.query(`UPDATE users SET disabled = ${disabled ? 'true' : 'false'} WHERE id = $1`, [userId]);
      const revoked = disabled ? await this.cutOff(tx, userId) : [];
      await appendAudit(tx, { actor: actor.userId, orgId: user.org_id, action: disabled ? 'user.disable' : 'user.enable', target: userId, detail: { email: user.email, tokensRevoked: revoked.length }, rows: [['users', userId], ...revoked] });
    });
  }

  /**
   * Gives a user a new password (the operator, when an administrator forgot theirs): the old
   * password stops working, and their browser sessions and login codes end and their API tokens
   * and feed address are revoked — a reset follows a suspicion, and a token taken with the old
   * password would otherwise outlive it. The number of tokens revoked.
   */
  async resetPassword(actor: Actor, userId: string, password: string): Promise<{ tokensRevoked: number }> {
    const user = await this.managed(this.db, actor, userId);
    checkPassword(password, [user.email, user.name, user.org_id, await this.organisationName(user.org_id)]);
    const hash = await hashPassword(password);
    return this.db.transaction(async (tx) => {
      await this.managed(tx, actor, userId);
      await tx.query('UPDATE users SET password_hash = $1 WHERE id = $2', [hash, userId]);
      const revoked = await this.cutOff(tx, userId);
      await appendAudit(tx, { actor: actor.userId, orgId: user.org_id, action: 'user.password-reset', target: userId, detail: { email: user.email, tokensRevoked: revoked.length }, rows: [['users', userId], ...revoked] });
      return { tokensRevoked: revoked.length };
    });
  }

  async setRole(actor: Actor, userId: string, role: Role): Promise<void> {
    if (!ROLES.includes(role)) throw new PasswordPolicyError(`role ${JSON.stringify(role)} is not one of ${ROLES.join(', ')}`);
    await this.db.transaction(async (tx) => {
      const user = await this.managed(tx, actor, userId);
      if (user.role === role) return;
      if (role !== 'admin') await this.keepsAnAdmin(tx, user, 'demote');
      await tx.query('UPDATE users SET role = $1 WHERE id = $2', [role, userId]);
      await appendAudit(tx, { actor: actor.userId, orgId: user.org_id, action: 'user.role', target: userId, detail: { email: user.email, from: user.role, to: role }, rows: [['users', userId]] });
    });
  }

  /** Deletes a user: their sessions, tokens and devices go with them; the audit trail keeps what they did. */
  async deleteUser(actor: Actor, userId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const user = await this.managed(tx, actor, userId);
      await this.keepsAnAdmin(tx, user, 'delete');
      const tokens = await tx.query<{ id: string }>('SELECT id FROM api_tokens WHERE user_id = $1', [userId]);
      const feeds = await tx.query<{ id: string }>('SELECT id FROM feed_tokens WHERE user_id = $1', [userId]);
      await this.cutOff(tx, userId);
      await tx.query('DELETE FROM api_tokens WHERE user_id = $1', [userId]);
      await tx.query('DELETE FROM feed_tokens WHERE user_id = $1', [userId]);
      await tx.query('DELETE FROM login_devices WHERE user_id = $1', [userId]);
      // Their mail setting too: its unsubscribe address would outlive them.
      await tx.query('DELETE FROM mail_subscriptions WHERE user_id = $1', [userId]);
      await tx.query('DELETE FROM users WHERE id = $1', [userId]);
      await appendAudit(tx, {
        actor: actor.userId,
        orgId: user.org_id,
        action: 'user.delete',
        target: userId,
        detail: { email: user.email, role: user.role },
        rows: [['users', userId], ['mail_subscriptions', userId], ...tokens.map((t) => ['api_tokens', t.id] as RowRef), ...feeds.map((t) => ['feed_tokens', t.id] as RowRef)],
      });
    });
  }

  /** A user of the installation by e-mail address, for the console. */
  async userByEmail(email: string): Promise<(UserView & { orgId: string }) | null> {
    const row = (await this.db.query<UserRow>('SELECT * FROM users WHERE email = $1', [email.toLowerCase()]))[0];
    return row ? { id: row.id, email: row.email, name: row.name, role: row.role, disabled: Boolean(row.disabled), orgId: row.org_id } : null;
  }

  /** The installation's first admin, made at first start so `derisk serve` works on a fresh machine. */
  async ensureLocalAdmin(): Promise<{ actor: Actor; password: string | null }> {
    const existing = (await this.db.query<UserRow>("SELECT * FROM users WHERE org_id = 'local' AND role = 'admin' AND NOT disabled ORDER BY created_at LIMIT 1"))[0];
    if (existing) return { actor: actorOf(existing), password: null };
    const password = randomBytes(15).toString('base64url');
    await this.createOrganisation(OPERATOR, 'local', 'This installation');
    await this.createUser(OPERATOR, { orgId: 'local', email: 'admin@localhost', name: 'Local administrator', role: 'admin', password });
    const row = (await this.db.query<UserRow>("SELECT * FROM users WHERE email = 'admin@localhost'"))[0]!;
    return { actor: actorOf(row), password };
  }
}
