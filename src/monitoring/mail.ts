import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Transporter } from 'nodemailer';
import type { AppDb, AppTx } from '../appdb/db.ts';
import { crashPoint } from '../crash.ts';
import { ValidationError } from '../errors.ts';
import { appendAudit } from '../service/audit.ts';
import { authorize, type Actor } from '../service/authorize.ts';
import { absoluteLink } from './alert-links.ts';
import { DeliveryQueue, type QueueOptions } from './delivery-queue.ts';
import { sha256Hex } from '../sha256.ts';

export const MAIL_MODES = ['off', 'immediate', 'digest'] as const;
export type MailMode = (typeof MAIL_MODES)[number];

/** A mail delivery's target in alert_deliveries, beside the webhooks' ids. */
export const mailTarget = (userId: string) => `mail:${userId}`;

/** A digest gathers a (UTC) day's alerts and goes out when the day is over. */
export function digestDue(now: string): string {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1)).toISOString();
}

const TOKEN = /^drku_[A-Za-z0-9_-]{32}$/;

/** The users of an organisation who take its alerts by mail, and how. */
export async function mailSubscribers(tx: AppTx, orgId: string): Promise<{ user_id: string; mode: MailMode }[]> {
  return tx.query("SELECT s.user_id, s.mode FROM mail_subscriptions s JOIN users u ON u.id = s.user_id WHERE u.org_id = $1 AND s.mode <> 'off' AND NOT u.disabled ORDER BY s.user_id", [orgId]);
}

/** A user's mail setting and the public one-click unsubscribe (RFC 8058). */
export class MailSettings {
  constructor(
    private readonly db: AppDb,
    /** False when the installation has no mail server configured: nobody can subscribe then. */
    private readonly configured: boolean,
  ) {}

  async get(actor: Actor): Promise<{ mode: MailMode; configured: boolean }> {
    authorize(actor, 'alert.read');
    const row = (await this.db.query<{ mode: MailMode }>('SELECT mode FROM mail_subscriptions WHERE user_id = $1', [actor.userId]))[0];
    return { mode: row?.mode ?? 'off', configured: this.configured };
  }

  /** Sets the actor's mail mode; alerts from now on follow it. Turning mail off cancels the mail not yet sent. */
  async set(actor: Actor, mode: MailMode): Promise<void> {
    authorize(actor, 'alert.read');
    if (!MAIL_MODES.includes(mode)) throw new ValidationError(`mode: expected one of ${MAIL_MODES.join(', ')}, got ${JSON.stringify(mode)}`);
    if (mode !== 'off' && !this.configured) throw new ValidationError('this installation sends no mail: an administrator sets DERISK_SMTP_URL, DERISK_MAIL_FROM and DERISK_PUBLIC_URL first');
    await this.db.transaction(async (tx) => {
      const now = new Date().toISOString();
      const old = (await tx.query<{ mode: MailMode }>('SELECT mode FROM mail_subscriptions WHERE user_id = $1', [actor.userId]))[0];
      if (!old) await tx.query('INSERT INTO mail_subscriptions (user_id, mode, unsubscribe_token, updated_at) VALUES ($1, $2, $3, $4)', [actor.userId, mode, newToken(), now]);
      // A new subscription gets a new unsubscribe address; the old one (in old mails) opens nothing.
      else if (old.mode === 'off' && mode !== 'off') await tx.query('UPDATE mail_subscriptions SET mode = $1, unsubscribe_token = $2, updated_at = $3 WHERE user_id = $4', [mode, newToken(), now, actor.userId]);
      else await tx.query('UPDATE mail_subscriptions SET mode = $1, updated_at = $2 WHERE user_id = $3', [mode, now, actor.userId]);
      if (mode === 'off') await cancelPending(tx, actor.userId);
      await appendAudit(tx, { actor: actor.userId, orgId: actor.orgId, action: 'mail.subscribe', target: actor.userId, detail: { mode, before: old?.mode ?? 'off' }, rows: [['mail_subscriptions', actor.userId]] });
    });
  }

  /** Whether the token is a subscription's unsubscribe address (it changes nothing: link scanners fetch addresses in mails). */
  async knows(token: string): Promise<boolean> {
    return TOKEN.test(token) && (await this.db.query('SELECT 1 FROM mail_subscriptions WHERE unsubscribe_token = $1', [token])).length > 0;
  }

  /** The one-click unsubscribe: the token is the credential. False when it opens nothing. */
  async unsubscribe(token: string): Promise<boolean> {
    if (!TOKEN.test(token)) return false;
    return this.db.transaction(async (tx) => {
      const row = (await tx.query<{ user_id: string; mode: MailMode; org_id: string }>('SELECT s.user_id, s.mode, u.org_id FROM mail_subscriptions s JOIN users u ON u.id = s.user_id WHERE s.unsubscribe_token = $1', [token]))[0];
      if (!row) return false;
      if (row.mode === 'off') return true;
      await tx.query("UPDATE mail_subscriptions SET mode = 'off', updated_at = $1 WHERE user_id = $2", [new Date().toISOString(), row.user_id]);
      await cancelPending(tx, row.user_id);
      await appendAudit(tx, { actor: row.user_id, orgId: row.org_id, action: 'mail.unsubscribe', target: row.user_id, detail: { via: 'one-click (RFC 8058)', before: row.mode }, rows: [['mail_subscriptions', row.user_id]] });
      return true;
    });
  }
}

const newToken = () => `drku_${randomBytes(24).toString('base64url')}`;
const cancelPending = (tx: AppTx, userId: string) => tx.query("UPDATE alert_deliveries SET status = 'cancelled' WHERE webhook_id = $1 AND status = 'pending'", [mailTarget(userId)]);

export interface MailOptions extends QueueOptions {
  /** smtp://user:pass@host:587 or smtps://…:465 (DERISK_SMTP_URL). */
  smtpUrl: string;
  /** The sender address (DERISK_MAIL_FROM). */
  from: string;
  /** The https address users reach derisk at (DERISK_PUBLIC_URL): links and the unsubscribe address start there. */
  publicUrl: string;
  /** How long the mail server may take to connect, greet or answer. */
  timeoutMs?: number;
}

type Row = { alert_id: string; webhook_id: string; attempts: number; email: string; name: string; mode: MailMode; unsubscribe_token: string; created_at: string; title: string; subject: string; link: string };
type Mail = { rows: string[]; items: Row[] };

/**
 * Sends alerts by mail: one mail per alert to users who take them immediately, one a day (the
 * day's alerts) to those who take the digest. Every mail carries RFC 8058 one-click unsubscribe
 * and a Message-ID fixed by what it holds, the same on every retry, so a copy sent again after a
 * crash between the server's acceptance and its recording is the same message. A 5xx answer is
 * final; anything else (server down, timeout, 4xx) is retried on the schedule.
 */
export class MailSender extends DeliveryQueue<Mail> {
  private readonly transport: Transporter;
  private readonly publicUrl: string;
  private readonly domain: string;

  constructor(
    private readonly db: AppDb,
    private readonly options: MailOptions,
  ) {
    super('mail', options);
    const timeout = options.timeoutMs ?? 30_000;
    // Loaded only by a server that sends mail: the mail client is forty modules for every start.
    const { createTransport } = createRequire(import.meta.url)('nodemailer') as typeof import('nodemailer');
    this.transport = createTransport({ url: options.smtpUrl, connectionTimeout: timeout, greetingTimeout: timeout, socketTimeout: timeout });
    const pub = new URL(options.publicUrl);
    if (pub.protocol !== 'https:') throw new ValidationError(`DERISK_PUBLIC_URL=${options.publicUrl}: must be an https address (RFC 8058 one-click unsubscribe needs one)`);
    this.publicUrl = pub.origin + pub.pathname.replace(/\/$/, '');
    this.domain = pub.hostname;
  }

  protected async due(now: string): Promise<Mail[]> {
    const rows = await this.db.query<Row>(
      `SELECT d.alert_id, d.webhook_id, d.attempts, u.email, u.name, s.mode, s.unsubscribe_token, a.created_at, a.title, a.subject, a.link
       FROM alert_deliveries d JOIN mail_subscriptions s ON d.webhook_id = 'mail:' || s.user_id JOIN users u ON u.id = s.user_id JOIN alerts a ON a.id = d.alert_id
       WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND s.mode <> 'off' AND NOT u.disabled
       ORDER BY d.webhook_id, a.created_at, d.alert_id LIMIT 1000`,
      [now],
    );
    const mails: Mail[] = [];
    const digests = new Map<string, Mail>();
    for (const r of rows) {
      const key = `${r.alert_id}/${r.webhook_id}`;
      if (r.mode !== 'digest') mails.push({ rows: [key], items: [r] });
      else {
        const digest = digests.get(r.webhook_id) ?? { rows: [], items: [] };
        if (!digests.has(r.webhook_id)) mails.push(digest);
        digests.set(r.webhook_id, digest);
        digest.rows.push(key);
        digest.items.push(r);
      }
    }
    return mails;
  }

  protected async attempt(mail: Mail): Promise<void> {
    const first = mail.items[0]!;
    const digest = first.mode === 'digest';
    const ids = mail.items.map((i) => i.alert_id);
    const unsubscribe = `${this.publicUrl}/unsubscribe/${first.unsubscribe_token}`;
    const text = [
      digest ? `${ids.length} derisk alert${ids.length === 1 ? '' : 's'}:` : '',
      ...mail.items.map((i) => `${i.title}\n${i.subject}\n${i.created_at}\n${absoluteLink(this.publicUrl, i.link)}\n`),
      `Your alerts: ${this.publicUrl}/`,
      `Stop these mails: ${unsubscribe} (or set Mail to off in derisk)`,
    ]
      .filter(Boolean)
      .join('\n');
    let error: Error | null = null;
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to: { name: first.name, address: first.email },
        subject: digest ? `derisk: ${ids.length} alert${ids.length === 1 ? '' : 's'} of ${first.created_at.slice(0, 10)}` : `derisk: ${first.title}`,
        text,
        messageId: `<${sha256Hex([first.webhook_id, ...ids].join('\n')).slice(0, 40)}@${this.domain}>`,
        headers: { 'List-Unsubscribe': `<${unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', 'Auto-Submitted': 'auto-generated' },
      });
    } catch (e) {
      error = e as Error;
    }
    crashPoint('mail.answered');
    const attempts = Number(first.attempts) + 1;
    const code = Number((error as { responseCode?: number } | null)?.responseCode) || null;
    const next = error === null ? null : code !== null && code >= 500 ? null : this.retryAt(attempts);
    await this.db.transaction(async (tx) => {
      for (const i of mail.items) {
        if (error === null) await tx.query("UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = 250, last_error = NULL, delivered_at = $1 WHERE alert_id = $2 AND webhook_id = $3", [new Date(this.now()).toISOString(), i.alert_id, i.webhook_id]);
        else if (next === null) await tx.query("UPDATE alert_deliveries SET status = 'failed', attempts = attempts + 1, last_status = $1, last_error = $2 WHERE alert_id = $3 AND webhook_id = $4", [code, error.message.slice(0, 500), i.alert_id, i.webhook_id]);
        else await tx.query('UPDATE alert_deliveries SET attempts = attempts + 1, last_status = $1, last_error = $2, next_attempt_at = $3 WHERE alert_id = $4 AND webhook_id = $5', [code, error.message.slice(0, 500), next, i.alert_id, i.webhook_id]);
      }
    });
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.transport.close();
  }
}
