import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from './errors.ts';

export interface Config {
  home: string;
  storePath: string;
  quarantineDir: string;
  mirror: string;
  /** The embedded application database (users, cases, verdicts, audit). */
  appDbPath: string;
  /** PostgreSQL for shared deployments; when set it replaces the embedded application database. */
  databaseUrl: string | null;
  /** A ClickHouse cluster the analytics are published to and the indicators read (DERISK_EVIDENCE_URL=clickhouse://…); the embedded store when unset. */
  evidenceUrl: string | null;
  /** The audit trail's MAC key, outside the database (DERISK_AUDIT_KEY_FILE; the same file for every server process of one database). */
  auditKeyPath: string;
  /** The last audit head this installation wrote, outside the database. */
  auditAnchorPath: string;
  /** Addresses of reverse proxies whose X-Forwarded-For/-Proto are believed (DERISK_TRUST_PROXY). */
  trustProxy: string | null;
  /** Internal address ranges (CIDRs) webhooks may point at (DERISK_WEBHOOK_ALLOW_INTERNAL); by default only public addresses. */
  webhookAllowInternal: string | null;
  /** The origins (and internal ranges) exchange feeds may be pulled from over HTTP (DERISK_EXCHANGE_ALLOW); by default none. */
  exchangeAllow: string | null;
  /**
   * The address users reach derisk at (DERISK_PUBLIC_URL): every absolute address the server gives
   * (a feed's, a mail's links) starts there, never at the Host header a request brings.
   */
  publicUrl: string | null;
  /** Alerts by mail: the SMTP server (DERISK_SMTP_URL), the sender (DERISK_MAIL_FROM) and the https address users reach derisk at (DERISK_PUBLIC_URL); mail is off unless all three are set. */
  mail: { smtpUrl: string; from: string; publicUrl: string } | null;
  /** The scheduled OpenAlex fetch for watched institutions and countries (DERISK_OPENALEX_MAILTO, _API_KEY, _URL, _INTERVAL in minutes); off unless a contact address is set. */
  openalex: { mailto: string; apiKey?: string; baseUrl?: string; intervalMinutes: number } | null;
}

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Reads the environment once; everything else takes the normalised shape. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const home = resolve(env.DERISK_HOME ?? join(process.cwd(), '.derisk'));
  const mirror = resolve(env.DERISK_MIRROR ?? join(REPO_ROOT, '..', 'shared', 'data'));
  return {
    home,
    storePath: join(home, 'derisk.duckdb'),
    quarantineDir: join(home, 'quarantine'),
    mirror,
    appDbPath: join(home, 'app.sqlite'),
    databaseUrl: env.DERISK_DATABASE_URL || null,
    evidenceUrl: env.DERISK_EVIDENCE_URL || null,
    auditKeyPath: resolve(env.DERISK_AUDIT_KEY_FILE || join(home, 'audit.key')),
    auditAnchorPath: join(home, 'audit.anchor.json'),
    trustProxy: env.DERISK_TRUST_PROXY || null,
    webhookAllowInternal: env.DERISK_WEBHOOK_ALLOW_INTERNAL || null,
    exchangeAllow: env.DERISK_EXCHANGE_ALLOW || null,
    publicUrl: publicUrlOf(env.DERISK_PUBLIC_URL),
    mail: mailConfig(env),
    openalex: openAlexConfig(env),
  };
}

/** The OpenAlex fetch runs only with a contact address (OpenAlex's polite pool asks for one); once a day unless told otherwise. */
function openAlexConfig(env: NodeJS.ProcessEnv): Config['openalex'] {
  const mailto = env.DERISK_OPENALEX_MAILTO;
  const interval = env.DERISK_OPENALEX_INTERVAL;
  if (!mailto) {
    if (interval || env.DERISK_OPENALEX_API_KEY || env.DERISK_OPENALEX_URL) throw new ValidationError('the OpenAlex fetch needs DERISK_OPENALEX_MAILTO (a contact e-mail address) as well');
    return null;
  }
  if (!mailto.includes('@')) throw new ValidationError(`DERISK_OPENALEX_MAILTO must be an e-mail address, not ${JSON.stringify(mailto)}`);
  const intervalMinutes = interval === undefined ? 24 * 60 : Number(interval);
  if (!/^\d+$/.test(interval ?? '1') || !(intervalMinutes >= 1)) throw new ValidationError(`DERISK_OPENALEX_INTERVAL is whole minutes between passes (at least 1), not ${JSON.stringify(interval)}`);
  return { mailto, intervalMinutes, ...(env.DERISK_OPENALEX_API_KEY ? { apiKey: env.DERISK_OPENALEX_API_KEY } : {}), ...(env.DERISK_OPENALEX_URL ? { baseUrl: env.DERISK_OPENALEX_URL } : {}) };
}

/** An http(s) address without query or fragment, kept without its trailing slash so that paths append to it. */
function publicUrlOf(value: string | undefined): string | null {
  if (!value) return null;
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash) throw new ValidationError(`DERISK_PUBLIC_URL=${value}: give the http(s) address users reach derisk at, such as https://derisk.example.org`);
  return url.origin + url.pathname.replace(/\/$/, '');
}

const MAIL_ENV = ['DERISK_SMTP_URL', 'DERISK_MAIL_FROM', 'DERISK_PUBLIC_URL'] as const;

/**
 * All three mail settings, or no mail server nor sender: a mail server set without a sender or an
 * address to link to would silently send nothing. (DERISK_PUBLIC_URL alone is the server's address.)
 */
function mailConfig(env: NodeJS.ProcessEnv): Config['mail'] {
  const missing = MAIL_ENV.filter((k) => !env[k]);
  if (!env.DERISK_SMTP_URL && !env.DERISK_MAIL_FROM) return null;
  if (missing.length > 0) throw new ValidationError(`alerts by mail need ${MAIL_ENV.join(', ')}; ${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} not set`);
  return { smtpUrl: env.DERISK_SMTP_URL!, from: env.DERISK_MAIL_FROM!, publicUrl: env.DERISK_PUBLIC_URL! };
}
