import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AppDb } from '../appdb/db.ts';
import { crashPoint } from '../crash.ts';
import { appendAudit } from '../service/audit.ts';
import { absoluteLink } from './alert-links.ts';
import { DeliveryQueue, type QueueOptions } from './delivery-queue.ts';
import { checkLiteral, guardedLookup, type DestinationPolicy } from './destinations.ts';

export { RETRY_SCHEDULE } from './delivery-queue.ts';

export interface SenderOptions extends QueueOptions {
  /** How long one attempt may take before it counts as failed. */
  timeoutMs?: number;
  /** Internal ranges an administrator allowed (DERISK_WEBHOOK_ALLOW_INTERNAL); none by default. */
  destinations?: DestinationPolicy;
  /** DERISK_PUBLIC_URL: the alerts' addresses start there; unset, they are this server's paths. */
  publicUrl?: string | null;
}

/** The Standard Webhooks signature of one message: base64 HMAC-SHA256 of `id.timestamp.body` under the secret after `whsec_`. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

type Due = { rows: string[]; alert_id: string; webhook_id: string; attempts: number; url: string; secret: string; org_id: string; kind: string; created_at: string; title: string; subject: string; evidence: string; link: string; api: string | null };

/**
 * Delivers alerts to the organisations' webhook endpoints as the Standard Webhooks specification
 * says: the alert's id as `webhook-id` (the same on every retry, so a receiver can drop a repeat),
 * the attempt's time, an HMAC signature; a 2xx delivers, 410 Gone disables the endpoint, anything
 * else (a timeout, a reset, another status) is retried on the schedule, honouring Retry-After.
 * Each attempt has a time limit (the queue keeps it from holding up anything else).
 */
export class WebhookSender extends DeliveryQueue<Due> {
  private readonly timeoutMs: number;
  private readonly destinations: DestinationPolicy;
  private readonly publicUrl: string | null;

  constructor(
    private readonly db: AppDb,
    options: SenderOptions = {},
  ) {
    super('webhooks', options);
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.destinations = options.destinations ?? {};
    this.publicUrl = options.publicUrl ?? null;
  }

  protected async due(now: string): Promise<Due[]> {
    const due = await this.db.query<Omit<Due, 'rows'>>(
      `SELECT d.alert_id, d.webhook_id, d.attempts, w.url, w.secret, w.org_id, a.kind, a.created_at, a.title, a.subject, a.evidence, a.link, a.api
       FROM alert_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN alerts a ON a.id = d.alert_id
       WHERE d.status = 'pending' AND NOT w.disabled AND d.next_attempt_at <= $1
       ORDER BY d.next_attempt_at, d.alert_id LIMIT 200`,
      [now],
    );
    return due.map((d) => ({ ...d, rows: [`${d.alert_id}/${d.webhook_id}`] }));
  }

  protected async attempt(d: Due): Promise<void> {
    const body = JSON.stringify({
      type: `alert.${d.kind.replace(/-/g, '_')}`,
      timestamp: d.created_at,
      data: { id: d.alert_id, kind: d.kind, created_at: d.created_at, title: d.title, subject: d.subject, evidence: JSON.parse(d.evidence), link: absoluteLink(this.publicUrl, d.link), api: d.api === null ? null : absoluteLink(this.publicUrl, d.api) },
    });
    const timestamp = Math.floor(this.now() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    let retryAfter = 0;
    try {
      const response = await post(d.url, { 'content-type': 'application/json', 'user-agent': 'derisk-webhooks/1', 'webhook-id': d.alert_id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signWebhook(d.secret, d.alert_id, timestamp, body) }, body, this.timeoutMs, this.destinations);
      status = response.statusCode ?? 0;
      retryAfter = Number(response.headers['retry-after']) || 0;
      response.resume();
      // A redirect is not followed (it could point inside the network); the endpoint must answer itself.
      if (status >= 300 && status < 400) error = `HTTP ${status} redirect to ${String(response.headers.location ?? '?').slice(0, 200)} (derisk follows no redirects)`;
    } catch (e) {
      error = ['TimeoutError', 'AbortError'].includes((e as Error).name) ? `no answer within ${this.timeoutMs} ms` : (e as Error).message;
    }
    crashPoint('webhook.answered');
    const now = new Date(this.now()).toISOString();
    if (status !== null && status >= 200 && status < 300) {
      await this.db.query("UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = $1, last_error = NULL, delivered_at = $2 WHERE alert_id = $3 AND webhook_id = $4", [status, now, d.alert_id, d.webhook_id]);
      return;
    }
    if (status === 410) {
      // The receiver wants no more: the endpoint is disabled and nothing else is sent to it.
      await this.db.transaction(async (tx) => {
        await tx.query("UPDATE alert_deliveries SET status = 'gone', attempts = attempts + 1, last_status = 410 WHERE alert_id = $1 AND webhook_id = $2", [d.alert_id, d.webhook_id]);
        await tx.query("UPDATE alert_deliveries SET status = 'gone' WHERE webhook_id = $1 AND status = 'pending'", [d.webhook_id]);
        await tx.query('UPDATE webhooks SET disabled = true, disabled_reason = $1 WHERE id = $2', [`the endpoint answered 410 Gone on ${now}`, d.webhook_id]);
        await appendAudit(tx, { actor: 'derisk', orgId: d.org_id, action: 'webhook.disable', target: d.webhook_id, detail: { reason: '410 Gone' }, rows: [['webhooks', d.webhook_id]] });
      });
      return;
    }
    const attempts = Number(d.attempts) + 1;
    const next = this.retryAt(attempts, retryAfter);
    const reason = error ?? `HTTP ${status}`;
    if (next === null) {
      await this.db.query("UPDATE alert_deliveries SET status = 'failed', attempts = $1, last_status = $2, last_error = $3 WHERE alert_id = $4 AND webhook_id = $5", [attempts, status, reason, d.alert_id, d.webhook_id]);
      return;
    }
    await this.db.query('UPDATE alert_deliveries SET attempts = $1, last_status = $2, last_error = $3, next_attempt_at = $4 WHERE alert_id = $5 AND webhook_id = $6', [attempts, status, reason, next, d.alert_id, d.webhook_id]);
  }
}

/**
 * One POST, connected only to an address the destination policy allows: the host is resolved once,
 * by the guarded lookup, and the connection goes to the address checked (no second resolution a
 * rebinding DNS server could answer differently). No redirect is followed.
 */
function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number, policy: DestinationPolicy): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    checkLiteral(target.hostname, policy);
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method: 'POST', headers: { ...headers, 'content-length': Buffer.byteLength(body) }, lookup: guardedLookup(policy), signal: AbortSignal.timeout(timeoutMs), agent: false }, resolve);
    request.on('error', reject);
    request.end(body);
  });
}
