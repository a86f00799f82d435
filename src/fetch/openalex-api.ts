import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface FetchOptions {
  filter: string;
  /** Contact address for OpenAlex's polite pool (docs.openalex.org: "mailto"). */
  mailto: string;
  /** An OpenAlex API key (api_key), which OpenAlex asks of every caller since February 2026; kept out of messages. */
  apiKey?: string;
  out: string;
  baseUrl?: string;
  perPage?: number;
  maxRecords?: number;
  /** Most requests per second; OpenAlex allows 10. */
  requestsPerSecond?: number;
  maxRetries?: number;
  onPage?: (fetched: number, total: number | null) => void;
  /** A page's request failed and is tried again after `waitMs` (the reason, and the attempt that failed). */
  onRetry?: (reason: string, attempt: number, waitMs: number) => void;
  /** Injected for tests; real runs use setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

export interface FetchReport {
  fetched: number;
  total: number | null;
  pages: number;
  resumed: boolean;
  complete: boolean;
}

interface CursorState {
  filter: string;
  cursor: string;
  fetched: number;
  total: number | null;
  complete: boolean;
}

interface ApiPage {
  meta?: { count?: number; next_cursor?: string | null };
  results?: unknown[];
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Pulls works from the OpenAlex API with cursor paging into a JSON Lines file. The cursor is
 * saved after every page, so an interrupted pull resumes where it stopped; a page written
 * twice after a crash is harmless because ingest merges records by OpenAlex id.
 */
export async function fetchOpenAlexWorks(options: FetchOptions): Promise<FetchReport> {
  if (!options.mailto.includes('@')) throw new Error('a contact e-mail (--mailto) is required by the OpenAlex polite pool');
  if (!options.filter.trim()) throw new Error('--filter is required (for example: institutions.country_code:CN,publication_year:2022)');
  const base = options.baseUrl ?? 'https://api.openalex.org';
  const perPage = Math.min(200, Math.max(1, options.perPage ?? 200));
  const minGap = 1000 / (options.requestsPerSecond ?? 10);
  const sleep = options.sleep ?? realSleep;
  const statePath = `${options.out}.cursor.json`;
  let state: CursorState = { filter: options.filter, cursor: '*', fetched: 0, total: null, complete: false };
  let resumed = false;
  if (existsSync(statePath)) {
    const saved = JSON.parse(readFileSync(statePath, 'utf8')) as CursorState;
    if (saved.filter !== options.filter) throw new Error(`${options.out} was started with another filter (${saved.filter}); use another --out or remove ${statePath}`);
    state = saved;
    resumed = true;
  } else if (existsSync(options.out)) {
    throw new Error(`${options.out} exists without a cursor file; refusing to overwrite it`);
  }
  let pages = 0;
  let lastRequest = 0;
  while (!state.complete && (options.maxRecords === undefined || state.fetched < options.maxRecords)) {
    const wait = lastRequest + minGap - Date.now();
    if (wait > 0) await sleep(wait);
    const url = new URL('/works', base);
    url.searchParams.set('filter', options.filter);
    url.searchParams.set('per-page', String(perPage));
    url.searchParams.set('cursor', state.cursor);
    url.searchParams.set('mailto', options.mailto);
    if (options.apiKey) url.searchParams.set('api_key', options.apiKey);
    lastRequest = Date.now();
    const page = await getWithRetries(url, options.maxRetries ?? 5, sleep, options.onRetry);
    const results = page.results!;
    if (results.length > 0) appendFileSync(options.out, results.map((r) => JSON.stringify(r)).join('\n') + '\n');
    pages++;
    const next = page.meta?.next_cursor ?? null;
    state = {
      filter: options.filter,
      cursor: next ?? state.cursor,
      fetched: state.fetched + results.length,
      total: page.meta?.count ?? state.total,
      complete: next === null || results.length === 0,
    };
    const tmp = `${statePath}.tmp`;
    writeFileSync(tmp, JSON.stringify(state));
    renameSync(tmp, statePath);
    options.onPage?.(state.fetched, state.total);
  }
  return { fetched: state.fetched, total: state.total, pages, resumed, complete: state.complete };
}

async function getWithRetries(url: URL, maxRetries: number, sleep: (ms: number) => Promise<void>, onRetry?: FetchOptions['onRetry']): Promise<ApiPage> {
  let attempt = 0;
  for (;;) {
    let retryable: string;
    let delay = 1000 * 2 ** attempt;
    try {
      const response = await fetch(url, { headers: { accept: 'application/json' } });
      if (response.ok) {
        // A page cut short or of another shape is fetched again, never read as the end of the list.
        const page = (await response.json()) as ApiPage;
        if (page && Array.isArray(page.results)) return page;
        throw new Error('an answer without a results list');
      }
      const body = (await response.text()).slice(0, 200);
      if (response.status !== 429 && response.status < 500) throw new FatalHttpError(`OpenAlex answered HTTP ${response.status} for ${redact(url)}: ${body}`);
      retryable = `HTTP ${response.status}`;
      const retryAfter = Number(response.headers.get('retry-after'));
      if (Number.isFinite(retryAfter) && retryAfter > 0) delay = retryAfter * 1000;
    } catch (e) {
      if (e instanceof FatalHttpError) throw e;
      retryable = (e as Error).message;
    }
    if (attempt >= maxRetries) throw new Error(`OpenAlex request failed after ${attempt + 1} attempts (${retryable}): ${redact(url)}`);
    attempt++;
    onRetry?.(retryable, attempt, delay);
    await sleep(delay);
  }
}

class FatalHttpError extends Error {}

const redact = (url: URL) =>
  url
    .toString()
    .replace(/mailto=[^&]*/, 'mailto=…')
    .replace(/api_key=[^&]*/, 'api_key=…');
