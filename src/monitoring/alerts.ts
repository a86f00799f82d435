import { randomBytes, randomUUID } from 'node:crypto';
import { numberedParameters, type AppDb, type AppTx } from '../appdb/db.ts';
import { ValidationError } from '../errors.ts';
import { appendAudit, sealOf, tokenMacFields, type RowRef } from '../service/audit.ts';
import { credentialMac, credentialMacMatches } from '../service/audit-seal.ts';
import { REVOKED } from '../service/accounts.ts';
import { authorize, NotFoundError, type Actor, type Role } from '../service/authorize.ts';
import { absoluteLink } from './alert-links.ts';
import { atomFeed } from './atom.ts';
import { checkDestination, type DestinationPolicy } from './destinations.ts';
import { digestDue, mailSubscribers, mailTarget, type MailMode } from './mail.ts';
import { sha256Hex } from '../sha256.ts';

export const ALERT_KINDS = ['new-copublication', 'list-change', 'verdict-change', 'knowledge-change', 'reassessment-due'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** The contract of `derisk alerts --json` and `GET /api/alerts`, with the reader's own read state. */
export interface AlertView {
  id: string;
  kind: AlertKind;
  created_at: string;
  title: string;
  subject: string;
  evidence: unknown;
  /** The page an officer opens: the web app's (absolute at DERISK_PUBLIC_URL when set) or another site's. */
  link: string;
  /** The JSON route of what the alert is about, for machines; null when there is none. */
  api: string | null;
  read: boolean;
}

/** An alert to record: for everyone in an organisation (userId '') or for one user. */
export interface NewAlert {
  orgId: string;
  userId: string;
  kind: AlertKind;
  /** The same fact seen again (a re-run, a restart) has the same key and is not recorded twice. */
  dedupKey: string;
  /** Keys the same fact was recorded under before (a work keyed by its record's id until the record gained a DOI). */
  earlierKeys?: string[];
  title: string;
  subject: string;
  evidence: unknown;
  /** The page an officer opens: a web app route (alert-links.ts) or another site's address. */
  link: string;
  /** The JSON route of what the alert is about, where there is one. */
  api?: string;
}

/**
 * Records alerts, each once, with a delivery job for every active webhook of its organisation and
 * every user who takes them by mail, in the same transaction: an alert is never recorded without its deliveries, nor delivered unrecorded.
 * Returns those that were new.
 */
export async function recordAlerts(tx: AppTx, alerts: NewAlert[], now = new Date().toISOString()): Promise<{ id: string; kind: AlertKind }[]> {
  const added: { id: string; kind: AlertKind }[] = [];
  const hooks = new Map<string, string[]>();
  const mailTo = new Map<string, { user_id: string; mode: MailMode }[]>();
  for (const a of alerts) {
    const keys = [a.dedupKey, ...(a.earlierKeys ?? [])];
    if ((await tx.query(`SELECT 1 FROM alerts WHERE org_id = $1 AND user_id = $2 AND dedup_key IN (${numberedParameters(keys.length, 3)})`, [a.orgId, a.userId, ...keys]))[0]) continue;
    const id = randomUUID();
    await tx.query('INSERT INTO alerts (id, org_id, user_id, kind, dedup_key, created_at, title, subject, evidence, link, api) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
      id,
      a.orgId,
      a.userId,
      a.kind,
      a.dedupKey,
      now,
      a.title,
      a.subject,
      JSON.stringify(a.evidence),
      a.link,
      a.api ?? null,
    ]);
    // Webhooks speak for the organisation: a user's own watch items reach that user's inbox and feed only.
    if (a.userId === '') {
      if (!hooks.has(a.orgId))
        hooks.set(
          a.orgId,
          (await tx.query<{ id: string }>('SELECT id FROM webhooks WHERE org_id = $1 AND NOT disabled ORDER BY id', [a.orgId])).map((r) => r.id),
        );
      for (const hook of hooks.get(a.orgId)!) await tx.query("INSERT INTO alert_deliveries (alert_id, webhook_id, status, attempts, next_attempt_at) VALUES ($1, $2, 'pending', 0, $3)", [id, hook, now]);
    }
    if (!mailTo.has(a.orgId)) mailTo.set(a.orgId, await mailSubscribers(tx, a.orgId));
    for (const s of mailTo.get(a.orgId)!) {
      if (a.userId !== '' && a.userId !== s.user_id) continue;
      await tx.query("INSERT INTO alert_deliveries (alert_id, webhook_id, status, attempts, next_attempt_at) VALUES ($1, $2, 'pending', 0, $3)", [id, mailTarget(s.user_id), s.mode === 'digest' ? digestDue(now) : now]);
    }
    added.push({ id, kind: a.kind });
  }
  return added;
}

type AlertRow = { id: string; kind: AlertKind; created_at: string; title: string; subject: string; evidence: string; link: string; api: string | null; read_at: string | null };

/** A page of the inbox, and the cursor of the next one (null: this was the last). */
export interface AlertPage {
  alerts: AlertView[];
  next: string | null;
}

/**
 * A page as the API sends it: the alerts as JSON (UTF-8 bytes, encoded once rather than for every
 * answer), that JSON's entity tag, and the next page's cursor.
 */
export interface ServedPage {
  body: Buffer;
  etag: string;
  next: string | null;
}

const served = (page: AlertPage): ServedPage => {
  const body = Buffer.from(JSON.stringify(page.alerts));
  return { body, etag: `"${sha256Hex(body).slice(0, 32)}"`, next: page.next };
};

/** An alert page's cursor: where the page ended, (created_at, id) in the inbox's order, opaque to the reader. */
const cursorOf = (a: { created_at: string; id: string }) => Buffer.from(JSON.stringify([a.created_at, a.id])).toString('base64url');

export class CursorError extends ValidationError {}

function readCursor(cursor: string): [string, string] {
  let at: unknown;
  try {
    at = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    at = null;
  }
  if (!Array.isArray(at) || at.length !== 2 || at.some((x) => typeof x !== 'string')) throw new CursorError(`the cursor ${JSON.stringify(cursor.slice(0, 80))} is not one this inbox gave: start again from the first page`);
  return at as [string, string];
}

/** The newest first, ties (one pass records its alerts at one time) in id order: the order of the alerts_page index. */
const PAGE_ORDER = 'ORDER BY a.created_at DESC, a.id';
/** After the cursor's alert in that order. */
const AFTER_CURSOR = '(a.created_at < $4 OR (a.created_at = $4 AND a.id > $5))';
const VISIBLE = "a.org_id = $1 AND (a.user_id = '' OR a.user_id = $2)";
/** How many users' rendered feeds are kept: a feed of FEED_ENTRIES alerts is some tens of kilobytes. */
const FEEDS_KEPT = 64;
/**
 * The inbox's page when the reader names none, and the feed's length. Readers poll the first page
 * and the feed again and again: each answer is rendered once and sent as it is while it holds, so
 * its size is what every poll costs. RFC 4287 feeds carry the latest entries; older alerts stay in
 * the inbox, a page at a time.
 */
export const INBOX_PAGE = 50;
export const FEED_ENTRIES = 50;
/** How much of the serialised first pages is kept, across users (a page of 1,000 alerts is about half a megabyte). */
const PAGES_KEPT_BYTES = 16 << 20;

export interface WebhookView {
  id: string;
  url: string;
  createdAt: string;
  disabled: boolean;
  disabledReason: string | null;
  deliveries: { pending: number; delivered: number; failed: number };
}

/**
 * The in-app inbox (read / unread per user), the feed tokens and the organisation's webhooks.
 * Everyone sees their organisation's alerts and their own; nobody another organisation's or another
 * user's (a 404 like an alert that does not exist).
 */
export class AlertInbox {
  constructor(
    private readonly db: AppDb,
    /** Where webhooks may point: public addresses, and the internal ranges an administrator allowed. */
    private readonly destinations: DestinationPolicy = {},
    /** DERISK_PUBLIC_URL: alerts' addresses start there; unset, they are this server's paths. */
    private readonly publicUrl: string | null = null,
  ) {}

  private view(r: AlertRow): AlertView {
    const api = r.api === null ? null : absoluteLink(this.publicUrl, r.api);
    return { id: r.id, kind: r.kind, created_at: r.created_at, title: r.title, subject: r.subject, evidence: JSON.parse(r.evidence), link: absoluteLink(this.publicUrl, r.link), api, read: r.read_at !== null };
  }

  /** The actor's alerts, newest first: the first `limit` (default 1,000); `page` goes on from a cursor. */
  async list(actor: Actor, options: { unread?: boolean; limit?: number } = {}): Promise<AlertView[]> {
    return (await this.page(actor, { ...options, limit: options.limit ?? 1000 })).alerts;
  }

  /**
   * A page of the actor's alerts, newest first, after `before` (the `next` of the page before):
   * read from the alerts_page index in its order, so a page costs its own rows however many
   * alerts the organisation has, and an alert recorded meanwhile never shifts a later page.
   */
  async page(actor: Actor, options: { unread?: boolean; limit: number; before?: string }): Promise<AlertPage> {
    authorize(actor, 'alert.read');
    const after = options.before === undefined ? null : readCursor(options.before);
    const rows = await this.db.query<AlertRow>(
      `SELECT a.id, a.kind, a.created_at, a.title, a.subject, a.evidence, a.link, a.api, r.read_at
       FROM alerts a LEFT JOIN alert_reads r ON r.alert_id = a.id AND r.user_id = $2
       WHERE ${VISIBLE} ${after ? `AND ${AFTER_CURSOR}` : ''} ${options.unread ? 'AND r.read_at IS NULL' : ''}
       ${PAGE_ORDER} LIMIT $3`,
      [actor.orgId, actor.userId, options.limit + 1, ...(after ?? [])],
    );
    const more = rows.length > options.limit;
    const alerts = rows.slice(0, options.limit).map((r) => this.view(r));
    return { alerts, next: more ? cursorOf(alerts[alerts.length - 1]!) : null };
  }

  /**
   * The counters of what a feed or a first page depends on (migration 023): the organisation's
   * alerts, and the reader's read marks. One row each, read at every request: the alerts
   * themselves are read only when a counter moved.
   */
  private async versions(actor: Actor): Promise<{ alerts: number; reads: number }> {
    const rows = await this.db.query<{ kind: string; version: number }>("SELECT kind, version FROM alert_versions WHERE (kind = 'alerts' AND ref = $1) OR (kind = 'reads' AND ref = $2)", [actor.orgId, actor.userId]);
    const of = (kind: string) => Number(rows.find((r) => r.kind === kind)?.version ?? 0);
    return { alerts: of('alerts'), reads: of('reads') };
  }

  private readonly firstPages = new Map<string, ServedPage & { key: string }>();
  private firstPagesBytes = 0;

  /**
   * A page of the actor's alerts as `GET /api/alerts` sends it: its JSON, its entity tag and the
   * next page's cursor. Alerts are never changed once recorded, so the first page, which readers
   * poll, is the same while the organisation's alerts and the reader's marks are: it is
   * serialised once and kept with their counters, read first (a page rendered after a change
   * made meanwhile is kept with the counters before it, and rendered again at the next request).
   * Later pages are read once while paging, and are not kept.
   */
  async servedPage(actor: Actor, options: { unread?: boolean; limit: number; before?: string }): Promise<ServedPage> {
    authorize(actor, 'alert.read');
    if (options.before !== undefined) return served(await this.page(actor, options));
    const slot = JSON.stringify([actor.userId, actor.orgId, options.unread === true, options.limit]);
    const v = await this.versions(actor);
    const key = JSON.stringify([v.alerts, v.reads]);
    const kept = this.firstPages.get(slot);
    if (kept?.key === key) return kept;
    const made = { ...served(await this.page(actor, options)), key };
    // Another request may have rendered this slot meanwhile: whichever is there now is replaced.
    const meanwhile = this.firstPages.get(slot);
    if (meanwhile) {
      this.firstPages.delete(slot);
      this.firstPagesBytes -= meanwhile.body.length;
    }
    this.firstPages.set(slot, made);
    this.firstPagesBytes += made.body.length;
    for (const [oldest, page] of this.firstPages) {
      if (this.firstPagesBytes <= PAGES_KEPT_BYTES) break;
      this.firstPages.delete(oldest);
      this.firstPagesBytes -= page.body.length;
    }
    return made;
  }

  private readonly feeds = new Map<string, { key: string; xml: string; body: Buffer; etag: string }>();

  /** The actor's newest `limit` alerts as an Atom feed (see `taggedFeed`). */
  async feed(actor: Actor, options: { self: string; base: string; limit: number }): Promise<string> {
    return (await this.taggedFeed(actor, options)).xml;
  }

  /**
   * The actor's newest `limit` alerts as an Atom feed, with its entity tag. Feed readers ask again
   * and again for a feed that has not changed: alerts are never changed once recorded, so the
   * feed is rendered again only when the organisation's alert counter moved (or the user's name,
   * or the address), and a poll reads that counter alone. The tag lets a reader that has the feed
   * be told "not modified" (HTTP 304) instead of being sent the same feed again.
   */
  async taggedFeed(actor: Actor, options: { self: string; base: string; limit: number }): Promise<{ xml: string; body: Buffer; etag: string }> {
    authorize(actor, 'alert.read');
    const key = JSON.stringify([actor.orgId, actor.name, options.self, options.base, options.limit, (await this.versions(actor)).alerts]);
    const kept = this.feeds.get(actor.userId);
    if (kept?.key === key) return kept;
    const alerts = (await this.page(actor, { limit: options.limit })).alerts;
    const xml = atomFeed({ userId: actor.userId, userName: actor.name, self: options.self, base: options.base, alerts });
    const body = Buffer.from(xml);
    const made = { key, xml, body, etag: `"${sha256Hex(body).slice(0, 32)}"` };
    this.feeds.delete(actor.userId);
    this.feeds.set(actor.userId, made);
    if (this.feeds.size > FEEDS_KEPT) this.feeds.delete(this.feeds.keys().next().value!);
    return made;
  }

  async get(actor: Actor, id: string): Promise<AlertView> {
    authorize(actor, 'alert.read');
    const row = (
      await this.db.query<AlertRow>(
        `SELECT a.id, a.kind, a.created_at, a.title, a.subject, a.evidence, a.link, a.api, r.read_at
       FROM alerts a LEFT JOIN alert_reads r ON r.alert_id = a.id AND r.user_id = $3
       WHERE a.id = $1 AND a.org_id = $2 AND (a.user_id = '' OR a.user_id = $3)`,
        [id, actor.orgId, actor.userId],
      )
    )[0];
    if (!row) throw new NotFoundError(`no alert ${id}`);
    return this.view(row);
  }

  /** Marks an alert read (or unread again) for the actor alone. */
  async mark(actor: Actor, id: string, read: boolean): Promise<void> {
    await this.get(actor, id);
    if (read) await this.db.query('INSERT INTO alert_reads (alert_id, user_id, read_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [id, actor.userId, new Date().toISOString()]);
    else await this.db.query('DELETE FROM alert_reads WHERE alert_id = $1 AND user_id = $2', [id, actor.userId]);
  }

  /**
   * A new token for the actor's Atom feed; the one before stops working. The token opens that
   * feed and nothing else, so it can sit in a feed reader's settings. Shown once.
   */
  async newFeedToken(actor: Actor): Promise<string> {
    authorize(actor, 'alert.read');
    const token = `drkf_${randomBytes(24).toString('base64url')}`;
    await this.db.transaction(async (tx) => {
      const live = await tx.query<{ id: string }>('SELECT id FROM feed_tokens WHERE user_id = $1 AND NOT revoked', [actor.userId]);
      await tx.query(`UPDATE feed_tokens SET ${REVOKED} WHERE user_id = $1 AND NOT revoked`, [actor.userId]);
      const row = { id: randomUUID(), user_id: actor.userId, token_hash: sha256Hex(token), created_at: new Date().toISOString() };
      const seal = sealOf(this.db);
      // Under the audit key, as API tokens are (see Accounts): a row planted with SQL opens no feed.
      const mac = seal ? credentialMac(seal, 'feed-token', tokenMacFields(row)) : null;
      await tx.query('INSERT INTO feed_tokens (id, user_id, token_hash, created_at, revoked, mac) VALUES ($1, $2, $3, $4, false, $5)', [row.id, row.user_id, row.token_hash, row.created_at, mac]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'feed-token.create', target: row.id, detail: {}, rows: [['feed_tokens', row.id], ...live.map((t): RowRef => ['feed_tokens', t.id])] });
    });
    return token;
  }

  async revokeFeedToken(actor: Actor): Promise<boolean> {
    authorize(actor, 'alert.read');
    return this.db.transaction(async (tx) => {
      const live = await tx.query<{ id: string }>('SELECT id FROM feed_tokens WHERE user_id = $1 AND NOT revoked', [actor.userId]);
      for (const t of live) {
        await tx.query(`UPDATE feed_tokens SET ${REVOKED} WHERE id = $1`, [t.id]);
        await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'feed-token.revoke', target: t.id, detail: {}, rows: [['feed_tokens', t.id]] });
      }
      return live.length > 0;
    });
  }

  /** Whose feed a token opens: a revoked token, one of a disabled user, or one planted in the database opens nothing. */
  async feedActor(token: string): Promise<Actor | null> {
    if (!/^drkf_[A-Za-z0-9_-]{32}$/.test(token)) return null;
    const row = (
      await this.db.query<{ id: string; org_id: string; role: Role; name: string; disabled: boolean | number; token_id: string; token_hash: string; created_at: string; mac: string | null }>(
        'SELECT u.id, u.org_id, u.role, u.name, u.disabled, t.id AS token_id, t.token_hash, t.created_at, t.mac FROM feed_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND NOT t.revoked',
        [sha256Hex(token)],
      )
    )[0];
    if (!row || row.disabled) return null;
    const seal = sealOf(this.db);
    if (seal && !credentialMacMatches(seal, 'feed-token', tokenMacFields({ id: row.token_id, token_hash: row.token_hash, user_id: row.id, created_at: row.created_at }), row.mac)) return null;
    return { userId: row.id, orgId: row.org_id, role: row.role, name: row.name };
  }

  /** An endpoint for the organisation's alerts; the whsec_ secret is shown here, once. */
  async addWebhook(actor: Actor, url: string): Promise<{ id: string; secret: string }> {
    authorize(actor, 'webhook.manage');
    // Refused here with the reason, and checked again at every delivery (a name can be re-pointed).
    const parsed = await checkDestination(url, this.destinations);
    const id = randomUUID();
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO webhooks (id, org_id, url, secret, created_by, created_at, disabled, disabled_reason) VALUES ($1, $2, $3, $4, $5, $6, false, NULL)', [id, actor.orgId, parsed.href, secret, actor.userId, new Date().toISOString()]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'webhook.add', target: id, detail: { url: parsed.origin + parsed.pathname }, rows: [['webhooks', id]] });
    });
    return { id, secret };
  }

  async webhooks(actor: Actor): Promise<WebhookView[]> {
    authorize(actor, 'webhook.manage');
    const rows = await this.db.query<{ id: string; url: string; created_at: string; disabled: boolean | number; disabled_reason: string | null; pending: number; delivered: number; failed: number }>(
      `SELECT w.id, w.url, w.created_at, w.disabled, w.disabled_reason,
         (SELECT count(*) FROM alert_deliveries d WHERE d.webhook_id = w.id AND d.status = 'pending') AS pending,
         (SELECT count(*) FROM alert_deliveries d WHERE d.webhook_id = w.id AND d.status = 'delivered') AS delivered,
         (SELECT count(*) FROM alert_deliveries d WHERE d.webhook_id = w.id AND d.status IN ('failed', 'gone')) AS failed
       FROM webhooks w WHERE w.org_id = $1 ORDER BY w.created_at, w.id`,
      [actor.orgId],
    );
    return rows.map((r) => ({ id: r.id, url: r.url, createdAt: r.created_at, disabled: Boolean(r.disabled), disabledReason: r.disabled_reason, deliveries: { pending: Number(r.pending), delivered: Number(r.delivered), failed: Number(r.failed) } }));
  }

  async removeWebhook(actor: Actor, id: string): Promise<void> {
    authorize(actor, 'webhook.manage');
    await this.db.transaction(async (tx) => {
      if (!(await tx.query('SELECT 1 FROM webhooks WHERE id = $1 AND org_id = $2', [id, actor.orgId]))[0]) throw new NotFoundError(`no webhook ${id}`);
      await tx.query("UPDATE alert_deliveries SET status = 'cancelled' WHERE webhook_id = $1 AND status = 'pending'", [id]);
      await tx.query('DELETE FROM webhooks WHERE id = $1', [id]);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'webhook.remove', target: id, detail: {}, rows: [['webhooks', id]] });
    });
  }
}
