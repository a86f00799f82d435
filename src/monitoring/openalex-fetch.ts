import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AppDb } from '../appdb/db.ts';
import { Mutex } from '../appdb/db.ts';
import { fetchOpenAlexWorks } from '../fetch/openalex-api.ts';
import type { FileReport } from '../workflows/ingest.ts';

export interface OpenAlexFetchSettings {
  /** Contact address for OpenAlex's polite pool (mailto). */
  mailto: string;
  /** OpenAlex API key (api_key), asked of every caller since February 2026. */
  apiKey?: string;
  /** Another OpenAlex (a mirror, a test's stand-in); https://api.openalex.org by default. */
  baseUrl?: string;
  /** How often the server runs a pass. */
  intervalMinutes: number;
}

export interface FetchJobOptions {
  db: AppDb;
  settings: OpenAlexFetchSettings;
  /** Where fetched pages and their cursors are kept (DERISK_HOME/openalex-fetch). */
  dir: string;
  /**
   * The one ingest workflow (the CLI's runIngest, the server's IngestWorkflow) into the shared
   * base; the monitor's alerts follow it as after any ingest.
   */
  ingest: (path: string) => Promise<FileReport>;
  log: (line: string) => void;
  /** Injected by tests; real runs wait. */
  sleep?: (ms: number) => Promise<void>;
  perPage?: number;
  maxRetries?: number;
  /** Now, for the dates asked for; tests give their own. */
  now?: () => Date;
}

/** What one pass did for one watched institution or country. */
export interface TargetReport {
  kind: 'institution' | 'country';
  ref: string;
  filter: string;
  status: 'ingested' | 'nothing new' | 'failed';
  fetched: number;
  pages: number;
  resumed: boolean;
  retries: number;
  kept?: number;
  duplicates?: number;
  quarantined?: number;
  quarantinePath?: string | null;
  error?: string;
}

export interface FetchPassReport {
  targets: TargetReport[];
  failed: number;
  kept: number;
  quarantined: number;
}

/** A pull under way: its filter and file are fixed when it starts, so a pass cut short resumes the same pull. */
interface Pending {
  filter: string;
  file: string;
  startedAt: string;
}

interface TargetState {
  /** When the last pull that was ingested whole started. */
  lastStartedAt: string | null;
  pending: Pending | null;
}

const STATE_KIND = 'openalex-fetch';
/** Works are asked for from a day before the last pull began: OpenAlex indexes with some delay, and a work seen twice is merged. */
const OVERLAP_MS = 24 * 3600_000;
/** One pass at a time in a process: the server's timer and a command forwarded to it share the cursors. */
const passes = new Mutex();

/**
 * The scheduled OpenAlex fetch: for every institution and country someone watches, the works
 * OpenAlex updated since the last pull (filter from_updated_date), by cursor paging at a polite
 * pace (mailto, at most 10 requests a second, 429 and 5xx answers retried with back-off), ingested
 * into the shared base through the one ingest workflow, after which the monitor raises alerts as
 * for any new evidence. A pull that fails keeps its cursor and the works fetched so far; the next
 * pass resumes it, and the date moves on only once a pull is ingested whole.
 */
export class OpenAlexFetchJob {
  constructor(private readonly options: FetchJobOptions) {}

  run(): Promise<FetchPassReport> {
    return passes.run(() => this.pass());
  }

  private async pass(): Promise<FetchPassReport> {
    const { db, log } = this.options;
    const targets = await db.query<{ kind: 'institution' | 'country'; ref: string; first: string }>("SELECT kind, ref, min(created_at) AS first FROM watch_items WHERE kind IN ('institution', 'country') GROUP BY kind, ref ORDER BY kind, ref");
    const report: FetchPassReport = { targets: [], failed: 0, kept: 0, quarantined: 0 };
    if (targets.length === 0) {
      log('OpenAlex: no institution or country is watched; nothing to fetch');
      return report;
    }
    mkdirSync(this.options.dir, { recursive: true });
    for (const target of targets) {
      const r = await this.pull(target);
      report.targets.push(r);
      if (r.status === 'failed') report.failed++;
      report.kept += r.kept ?? 0;
      report.quarantined += r.quarantined ?? 0;
    }
    return report;
  }

  private async pull(target: { kind: 'institution' | 'country'; ref: string; first: string }): Promise<TargetReport> {
    const { db, log, settings } = this.options;
    const key = `${target.kind}:${target.ref}`;
    const state = await readState(db, key);
    let pending = state.pending;
    if (!pending) {
      const startedAt = (this.options.now?.() ?? new Date()).toISOString();
      const since = new Date(Date.parse(state.lastStartedAt ?? target.first) - OVERLAP_MS).toISOString().slice(0, 10);
      const filter = `${target.kind === 'institution' ? `institutions.ror:https://ror.org/${target.ref}` : `institutions.country_code:${target.ref.toLowerCase()}`},from_updated_date:${since}`;
      pending = { filter, file: join(this.options.dir, `${startedAt.replace(/[:.]/g, '-')}-${target.kind}-${target.ref.replace(/[^A-Za-z0-9-]/g, '_')}.jsonl`), startedAt };
      // Kept before the first request: a pass cut short resumes this pull, with this filter and file.
      await writeState(db, key, { ...state, pending });
    }
    const report: TargetReport = { kind: target.kind, ref: target.ref, filter: pending.filter, status: 'failed', fetched: 0, pages: 0, resumed: false, retries: 0 };
    const label = `OpenAlex ${target.kind} ${target.ref}`;
    let pulled;
    try {
      pulled = await fetchOpenAlexWorks({
        filter: pending.filter,
        mailto: settings.mailto,
        apiKey: settings.apiKey,
        out: pending.file,
        baseUrl: settings.baseUrl,
        perPage: this.options.perPage,
        maxRetries: this.options.maxRetries,
        sleep: this.options.sleep,
        onPage: (fetched, total) => log(`${label}: ${fetched}${total === null ? '' : ` of ${total}`} works fetched`),
        onRetry: (reason, attempt, waitMs) => {
          report.retries++;
          log(`${label}: a page failed (${reason}); try ${attempt + 1} in ${Math.round(waitMs / 1000)} s`);
        },
      });
    } catch (e) {
      report.error = (e as Error).message;
      log(`${label}: fetch failed, kept for the next pass (the works fetched so far and the cursor are kept): ${report.error}`);
      return report;
    }
    Object.assign(report, { fetched: pulled.fetched, pages: pulled.pages, resumed: pulled.resumed });
    if (pulled.fetched > 0) {
      try {
        const ingested = await this.options.ingest(pending.file);
        // The same answer as an earlier pull (the overlap) is the same file: nothing in it is new.
        const again = ingested.status === 'already ingested';
        Object.assign(report, again ? { kept: 0, duplicates: pulled.fetched, quarantined: 0 } : { kept: ingested.kept, duplicates: ingested.duplicates, quarantined: ingested.quarantined, quarantinePath: ingested.quarantinePath });
        log(`${label}: ${ingested.status}; ${report.kept} new works, ${report.duplicates} already known, ${report.quarantined} set aside${report.quarantined && report.quarantinePath ? ` (${report.quarantinePath})` : ''}`);
      } catch (e) {
        report.error = `ingest: ${(e as Error).message}`;
        log(`${label}: the fetched works were not ingested, tried again at the next pass: ${(e as Error).message}`);
        return report;
      }
    } else log(`${label}: nothing updated since ${pending.filter.slice(pending.filter.lastIndexOf(':') + 1)}`);
    report.status = report.kept ? 'ingested' : 'nothing new';
    await writeState(db, key, { lastStartedAt: pending.startedAt, pending: null });
    rmSync(`${pending.file}.cursor.json`, { force: true });
    return report;
  }
}

async function readState(db: AppDb, key: string): Promise<TargetState> {
  const row = (await db.query<{ value: string }>('SELECT value FROM monitor_seen WHERE kind = $1 AND ref = $2', [STATE_KIND, key]))[0];
  return row ? (JSON.parse(row.value) as TargetState) : { lastStartedAt: null, pending: null };
}

async function writeState(db: AppDb, key: string, state: TargetState): Promise<void> {
  await db.query('INSERT INTO monitor_seen (kind, ref, value, seen_at) VALUES ($1, $2, $3, $4) ON CONFLICT (kind, ref) DO UPDATE SET value = excluded.value, seen_at = excluded.seen_at', [STATE_KIND, key, JSON.stringify(state), new Date().toISOString()]);
}
