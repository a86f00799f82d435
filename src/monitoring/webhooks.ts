import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AppDb } from '../appdb/db.ts';
import { crashPoint } from '../crash.ts';
import { appendAudit } from '../service/audit.ts';
import { checkLiteral, guardedLookup, type DestinationPolicy } from './destinations.ts';

/** The retry schedule of the Standard Webhooks specification, in seconds after each failed attempt (about three days in all). */
export const RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400] as const;

export interface SenderOptions {
  /** Seconds to wait after the n-th failed attempt; when it runs out the delivery has failed. */
  schedule?: readonly number[];
  /** How long one attempt may take before it counts as failed. */
  timeoutMs?: number;
  now?: () => number;
  /** Internal ranges an administrator allowed (DERISK_WEBHOOK_ALLOW_INTERNAL); none by default. */
  destinations?: DestinationPolicy;
}

/** The Standard Webhooks signature of one message: base64 HMAC-SHA256 of `id.timestamp.body` under the secret after `whsec_`. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

type Due = { alert_id: string; webhook_id: string; attempts: number; url: string; secret: string; org_id: string; kind: string; created_at: string; title: string; subject: string; evidence: string; link: string };

/**
 * Delivers alerts to the organisations' webhook endpoints as the Standard Webhooks specification
 * says: the alert's id as `webhook-id` (the same on every retry, so a receiver can drop a repeat),
 * the attempt's time, an HMAC signature; a 2xx delivers, 410 Gone disables the endpoint, anything
 * else (a timeout, a reset, another status) is retried on the schedule, honouring Retry-After.
 * Deliveries are rows written with their alert, so a restart picks up where a crash left off.
 * Each attempt runs on its own with a time limit: a slow or failing endpoint holds up neither
 * the server nor the other endpoints.
 */
export class WebhookSender {
  private readonly inFlight = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private readonly schedule: readonly number[];
  private readonly timeoutMs: number;
  private readonly now: () => number;
  private readonly destinations: DestinationPolicy;

  constructor(
    private readonly db: AppDb,
    options: SenderOptions = {},
  ) {
    this.schedule = options.schedule ?? RETRY_SCHEDULE;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.now = options.now ?? Date.now;
    this.destinations = options.destinations ?? {};
  }

  /** Starts the deliveries that are due and not already under way; resolves when they are started. */
  tick(): Promise<void> {
    this.ticking ??= this.startDue().finally(() => (this.ticking = null));
    return this.ticking;
  }

  /** Starts what is due and waits until nothing is under way (tests, and a clean stop). */
  async drain(): Promise<void> {
    await this.tick();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  start(intervalMs = 1000): void {
    this.timer ??= setInterval(() => void this.tick().catch((e: Error) => console.error(`webhooks: ${e.message}`)), intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([this.ticking, ...this.inFlight.values()]);
  }

  private async startDue(): Promise<void> {
    const due = await this.db.query<Due>(
      `SELECT d.alert_id, d.webhook_id, d.attempts, w.url, w.secret, w.org_id, a.kind, a.created_at, a.title, a.subject, a.evidence, a.link
       FROM alert_deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN alerts a ON a.id = d.alert_id
       WHERE d.status = 'pending' AND NOT w.disabled AND d.next_attempt_at <= $1
       ORDER BY d.next_attempt_at, d.alert_id LIMIT 200`,
      [new Date(this.now()).toISOString()],
    );
    for (const d of due) {
      const key = `${d.alert_id}/${d.webhook_id}`;
      if (this.inFlight.has(key)) continue;
      const run = this.attempt(d)
        .catch((e: Error) => console.error(`webhook ${d.webhook_id}: ${e.message}`))
        .finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, run);
    }
  }

  private async attempt(d: Due): Promise<void> {
    const body = JSON.stringify({ type: `alert.${d.kind.replace(/-/g, '_')}`, timestamp: d.created_at, data: { id: d.alert_id, kind: d.kind, created_at: d.created_at, title: d.title, subject: d.subject, evidence: JSON.parse(d.evidence), link: d.link } });
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
        await tx.query("UPDATE webhooks SET disabled = true, disabled_reason = $1 WHERE id = $2", [`the endpoint answered 410 Gone on ${now}`, d.webhook_id]);
        await appendAudit(tx, { actor: 'derisk', orgId: d.org_id, action: 'webhook.disable', target: d.webhook_id, detail: { reason: '410 Gone' }, rows: [['webhooks', d.webhook_id]] });
      });
      return;
    }
    const attempts = Number(d.attempts) + 1;
    const wait = this.schedule[attempts - 1];
    const reason = error ?? `HTTP ${status}`;
    if (wait === undefined) {
      await this.db.query("UPDATE alert_deliveries SET status = 'failed', attempts = $1, last_status = $2, last_error = $3 WHERE alert_id = $4 AND webhook_id = $5", [attempts, status, reason, d.alert_id, d.webhook_id]);
      return;
    }
    const next = new Date(this.now() + Math.max(wait, Math.min(retryAfter, 86_400)) * 1000).toISOString();
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
