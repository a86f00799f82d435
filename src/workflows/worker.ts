// The evidence worker: a thread that reads and parses files, resolves affiliation strings and
// screens them, so none of that CPU work runs on the thread that answers requests. It holds no
// database: batches and results go back to the caller (src/workflows/offload.ts), which writes.
// Its resolver and screener come from the screening index kept beside the store when that file
// checks out; they are built from streamed rows (and kept there) only when it does not.
import { parentPort } from 'node:worker_threads';
import { institutionOf, type RegistryRow } from '../ingest/registry-row.ts';
import { readBatches, type Batch, type ReadRequest } from '../ingest/batches.ts';
import { InputError } from '../ingest/records.ts';
import type { Institution } from '../ingest/ror.ts';
import { keepMatcherIndex, loadMatcherIndex } from '../resolve/kept.ts';
import { AffiliationResolver, type Resolution } from '../resolve/matcher.ts';
import { isBlank } from '../resolve/normalize.ts';
import { Thesaurus } from '../resolve/thesaurus.ts';
import { buildScreeningContext, screenStrings, type ScreenRefusal, type StoredHit } from '../screening/context.ts';
import { keepScreeningIndex, loadScreeningIndex } from '../screening/persisted.ts';
import type { RiskList } from '../screening/lists.ts';
import type { Screener } from '../screening/screener.ts';
import type { Reply, Request } from './offload.ts';

const port = parentPort!;
const reads = new Map<number, { batches: AsyncGenerator<Batch>; ahead: Promise<IteratorResult<Batch>> }>();
let registry: Institution[] = [];
// The resolver read from a kept index comes without the registry's rows; building a screener needs them.
let registryRows = false;
let registryKey: string | null = null;
let resolver: AffiliationResolver | null = null;
let screener: { key: string; screener: Screener } | null = null;
// The hits of strings screened as an ingest resolved them (each string resolved once), waiting for
// its screening pass, which takes each once; only under the screener that found them.
let screenedEarly: { screener: Screener; hits: Map<string, StoredHit[] | ScreenRefusal> } | null = null;

function screenEarly(raws: string[], resolutions: Resolution[]): void {
  if (!screener) throw new Error('the lists are not loaded in the worker');
  if (screenedEarly?.screener !== screener.screener) screenedEarly = { screener: screener.screener, hits: new Map() };
  // A blank string (spaces and invisible characters alone) is left to the screening pass, which passes it over.
  const at = raws.flatMap((raw, i) => (isBlank(raw) ? [] : [i]));
  const hits = screenStrings(
    screener.screener,
    at.map((i) => raws[i]!),
    at.map((i) => resolutions[i]!),
  );
  at.forEach((i, k) => screenedEarly!.hits.set(raws[i]!, hits[k]!));
}

function screen(raws: string[]): (StoredHit[] | ScreenRefusal)[] {
  if (!screener) throw new Error('the lists are not loaded in the worker');
  const early = screenedEarly?.screener === screener.screener ? screenedEarly.hits : null;
  const taken = raws.map((raw) => early?.get(raw));
  for (const raw of raws) early?.delete(raw);
  const rest = screenStrings(
    screener.screener,
    raws.filter((_, i) => taken[i] === undefined),
  );
  let next = 0;
  return taken.map((hits) => hits ?? rest[next++]!);
}

async function handle(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'read-open': {
      const batches = readBatches(request.read as ReadRequest);
      // Always one batch ahead: the next is parsed here while the caller commits the last.
      const ahead = batches.next();
      // A file refused at its first batch rejects before anyone asks for it: unobserved, that
      // rejection would end the worker thread, and with it the next upload.
      ahead.catch(() => undefined);
      reads.set(request.readId, { batches, ahead });
      return null;
    }
    case 'read-next': {
      const read = reads.get(request.readId);
      if (!read) throw new Error(`no read ${request.readId}`);
      const r = await read.ahead;
      if (r.done) {
        reads.delete(request.readId);
        return null;
      }
      read.ahead = read.batches.next();
      read.ahead.catch(() => undefined);
      return r.value;
    }
    case 'read-close': {
      const read = reads.get(request.readId);
      reads.delete(request.readId);
      if (read) {
        await read.ahead.catch(() => undefined);
        await read.batches.return(undefined);
      }
      return null;
    }
    case 'state':
      return { registryKey, registryRows, screenerKey: screener?.key ?? null };
    case 'index': {
      let refused: string | null = null;
      const kept = loadScreeningIndex(request.path, request.signature, (why) => (refused = why));
      if (!kept) return { read: false, refused };
      registry = [];
      registryRows = false;
      registryKey = request.registryKey;
      resolver = kept.resolver;
      screener = { key: request.screenerKey, screener: kept.screener };
      return { read: true, refused: null };
    }
    case 'registry-rows':
      if (request.first) {
        registry = [];
        registryRows = false;
        registryKey = null;
        resolver = null;
        screener = null;
      }
      for (const row of request.rows as string[]) registry.push(institutionOf(JSON.parse(row) as RegistryRow));
      if (request.last) {
        // The kept matcher index spares building the matcher; the rows are still needed to build a screener.
        const kept = request.matcher ? loadMatcherIndex(request.matcher.path, request.matcher.signature) : null;
        resolver = kept?.resolver ?? new AffiliationResolver(registry);
        if (!kept && request.matcher) keepMatcherIndex(request.matcher.path, request.matcher.signature, { resolver, institutions: registry.length });
        registryRows = true;
        registryKey = request.key;
      }
      return null;
    case 'matcher-index': {
      let refused: string | null = null;
      const kept = loadMatcherIndex(request.path, request.signature, (why) => (refused = why));
      if (!kept) return { read: false, refused };
      registry = [];
      registryRows = false;
      registryKey = request.registryKey;
      resolver = kept.resolver;
      screener = null;
      return { read: true, refused: null };
    }
    case 'lists': {
      if (!resolver || !registryRows) throw new Error('the registry is not loaded in the worker');
      const lists = (request.docs as string[]).map((d) => JSON.parse(d) as RiskList);
      const context = buildScreeningContext(lists, registry, resolver);
      screener = { key: request.key, screener: context.screener };
      return { unkept: request.keep ? keepScreeningIndex(request.keep.path, request.keep.signature, context) : null };
    }
    case 'resolve': {
      if (!resolver) throw new Error('the registry is not loaded in the worker');
      if (request.screen && request.corrections) throw new Error('strings resolved under corrections are not screened with those resolutions');
      const thesaurus = request.corrections ? new Thesaurus(request.corrections) : undefined;
      const resolutions = (request.raws as string[]).map((raw) => resolver!.resolve(raw, thesaurus));
      if (request.screen) screenEarly(request.raws as string[], resolutions);
      return resolutions;
    }
    case 'screen':
      return screen(request.raws as string[]);
    case 'drop-screened':
      screenedEarly = null;
      return null;
  }
}

port.on('message', (request: Request) => {
  handle(request).then(
    (value) => port.postMessage({ id: request.id, ok: true, value } satisfies Reply),
    (e: Error) => port.postMessage({ id: request.id, ok: false, error: e.message, ...(e instanceof InputError ? { refusal: e.reason } : {}) } satisfies Reply),
  );
});
