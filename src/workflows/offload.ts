import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Batch, BatchSource, ReadRequest } from '../ingest/batches.ts';
import { InputError } from '../ingest/records.ts';
import { REGISTRY_ROWS } from '../ingest/registry-row.ts';
import { resolutionVersion } from '../resolve/apply.ts';
import { matcherIndexPath, matcherIndexSignature } from '../resolve/kept.ts';
import type { Resolution } from '../resolve/matcher.ts';
import type { Correction } from '../resolve/thesaurus.ts';
import type { ScreenRefusal, StoredHit } from '../screening/context.ts';
import { screeningIndexPath, screeningIndexSignature } from '../screening/persisted.ts';
import { registryVersion } from '../screening/signature.ts';
import { screeningSignature, type StringScreening } from '../screening/store.ts';
import type { Store } from '../store/store.ts';

export type Request = { id: number } & (
  | { op: 'read-open'; readId: number; read: ReadRequest }
  | { op: 'read-next'; readId: number }
  | { op: 'read-close'; readId: number }
  | { op: 'state' }
  | { op: 'registry-rows'; key: string; rows: string[]; first: boolean; last: boolean; matcher: { path: string; signature: string } | null }
  | { op: 'matcher-index'; path: string; signature: string; registryKey: string }
  | { op: 'index'; path: string; signature: string; registryKey: string; screenerKey: string }
  | { op: 'lists'; key: string; docs: string[]; keep: { path: string; signature: string } | null }
  /** `screen`: screen the strings too, with the resolutions just made, for the screening pass to take (never with corrections: screening resolves without them). */
  | { op: 'resolve'; raws: string[]; corrections?: Correction[]; screen?: boolean }
  | { op: 'screen'; raws: string[] }
  | { op: 'drop-screened' }
);
/** A refusal of the whole file crosses as its reason, so it stays an InputError (a 422) on this side. */
export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string; refusal?: string };
type Op = Request extends infer R ? (R extends { op: infer O } ? O : never) : never;
type Payload<O extends Op> = Omit<Extract<Request, { op: O }>, 'id' | 'op'>;
/** Where the worker's screening index came from, for the job's log: a warning when a kept file was refused. */
export type IndexNote = (e: { type: 'note' | 'warning'; message: string }) => void;

/** Batches cross threads in pieces of this many records: each arrives here in a few milliseconds. */
const PIECE = 1_000;

/**
 * The worker thread (src/workflows/worker.ts) that reads, parses, resolves and screens for the
 * workflow, and the calls to it. It keeps the resolver and the screener between jobs, taken
 * anew only when the registry or the lists change: from the kept screening index, or, failing
 * that, built from the registry, which reaches it in pieces streamed from the store (nothing
 * large is converted or copied on the calling thread in one go).
 */
export class EvidenceWorker {
  private worker: Worker | null = null;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  /** Starts the thread if it is not running (it loads its code meanwhile; calls wait for it). */
  start(): Worker {
    if (this.worker) return this.worker;
    // Under tsx (sources run as TypeScript) the worker registers the same loader before loading.
    const here = fileURLToPath(import.meta.url);
    const entry = new URL(`./worker${extname(here)}`, import.meta.url);
    const worker = extname(here) === '.ts' ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true }) : new Worker(entry);
    worker.on('message', (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (!waiting) return;
      if (reply.ok) waiting.resolve(reply.value);
      else waiting.reject(reply.refusal === undefined ? new Error(reply.error) : new InputError(reply.refusal));
    });
    const fail = (e: Error) => {
      if (this.worker === worker) this.worker = null;
      for (const w of this.pending.values()) w.reject(new Error(`the evidence worker stopped: ${e.message}`));
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    // An idle worker does not keep the process alive.
    if (this.pending.size === 0) worker.unref();
    this.worker = worker;
    return worker;
  }

  private call<T, O extends Op>(op: O, payload: Payload<O>): Promise<T> {
    const worker = this.start();
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.ref();
      worker.postMessage({ id, op, ...payload });
    }).finally(() => {
      if (this.pending.size === 0) this.worker?.unref();
    });
  }

  /** Reads a file on the worker; batches of `request.batchSize` records are put together here from smaller pieces. */
  open(request: ReadRequest): BatchSource {
    const readId = this.next++;
    const opened = this.call('read-open', { readId, read: { ...request, batchSize: Math.min(PIECE, request.batchSize) } });
    let done = false;
    return {
      next: async () => {
        await opened;
        if (done) return null;
        let batch: Batch | null = null;
        while (!batch || batch.records.length + batch.rejects.length < request.batchSize) {
          const piece = await this.call<Batch | null, 'read-next'>('read-next', { readId });
          if (!piece) {
            done = true;
            break;
          }
          batch = batch ? { ...piece, records: batch.records.concat(piece.records), recordNos: batch.recordNos.concat(piece.recordNos), rejects: batch.rejects.concat(piece.rejects), seen: batch.seen + piece.seen } : piece;
        }
        return batch;
      },
      close: async () => {
        await opened.catch(() => undefined);
        if (!done && this.worker) await this.call('read-close', { readId }).catch(() => undefined);
      },
    };
  }

  /**
   * Makes sure the worker resolves against the registry now in the store; returns the batch resolver (with an organisation's corrections when given).
   * `screenNext`: the strings are screened next (an ingest), so the worker screens each as it resolves it, with that resolution, and
   * the screening pass takes those hits instead of resolving every string again; dropScreened() drops what it did not take.
   */
  async resolver(store: Store, note: IndexNote = () => undefined, options: { screenNext?: boolean } = {}): Promise<(raws: string[], corrections?: Correction[]) => Promise<Resolution[]>> {
    const lists = await this.prepare(store, note);
    const screen = options.screenNext === true && lists.length > 0;
    return (raws, corrections) => this.call<Resolution[], 'resolve'>('resolve', corrections ? { raws, corrections } : { raws, screen });
  }

  /** Drops the hits of strings screened as they were resolved that no screening pass took. */
  async dropScreened(): Promise<void> {
    if (this.worker) await this.call('drop-screened', {});
  }

  /** Screening on the worker under the lists now in the store, or null when no list is loaded. */
  async screening(store: Store, note: IndexNote = () => undefined): Promise<StringScreening | null> {
    const lists = await this.prepare(store, note);
    if (lists.length === 0) return null;
    return { lists, screenMany: (raws) => this.call<(StoredHit[] | ScreenRefusal)[], 'screen'>('screen', { raws }) };
  }

  /**
   * Gives the worker the resolver for the registry now in the store and the screener for its
   * lists: read from the screening index kept beside the store (the one every process of this
   * store reads) when it is sound and was built from these inputs; otherwise built from rows
   * streamed from the store, and kept there for the next reader. Returns the lists screened.
   */
  private async prepare(store: Store, note: IndexNote): Promise<{ id: string; version: string }[]> {
    const lists = (await store.all<{ list_id: string; version: string }>('SELECT list_id, version FROM risk_lists ORDER BY list_id')).map((r) => ({ id: r.list_id, version: r.version }));
    const registryKey = await resolutionVersion(store);
    const screenerKey = lists.length > 0 ? await screeningSignature(store, lists) : null;
    const state = await this.call<{ registryKey: string | null; registryRows: boolean; screenerKey: string | null }, 'state'>('state', {});
    if (state.registryKey === registryKey && (screenerKey === null || state.screenerKey === screenerKey)) return lists;
    const path = screenerKey ? screeningIndexPath(store) : null;
    const keep = path && screenerKey ? { path, signature: await screeningIndexSignature(store, screenerKey) } : null;
    // The job's log names no server path.
    const untold = (why: string) => why.replaceAll(`${path}: `, '').replaceAll(String(path), 'the index file');
    let refused: string | null = null;
    if (keep && screenerKey) {
      const read = await this.call<{ read: boolean; refused: string | null }, 'index'>('index', { ...keep, registryKey, screenerKey });
      if (read.read) {
        note({ type: 'note', message: 'screening index: read from the kept file' });
        return lists;
      }
      refused = read.refused;
    }
    if (state.registryKey !== registryKey || (screenerKey && !state.registryRows)) {
      const matcherPath = matcherIndexPath(store);
      const matcher = matcherPath ? { path: matcherPath, signature: matcherIndexSignature(await registryVersion(store)) } : null;
      // Resolving alone needs no registry rows: the kept matcher index is enough.
      if (!screenerKey && matcher) {
        const read = await this.call<{ read: boolean; refused: string | null }, 'matcher-index'>('matcher-index', { ...matcher, registryKey });
        if (read.read) return lists;
        if (read.refused) note({ type: 'warning', message: `matcher index: the kept file was not used (${read.refused.replaceAll(`${matcher.path}: `, '')}); built again` });
      }
      await this.sendRegistry(store, registryKey, matcher);
    }
    if (screenerKey) {
      const docs = (await store.all<{ doc: string }>('SELECT doc FROM risk_lists ORDER BY list_id')).map((r) => r.doc);
      const { unkept } = await this.call<{ unkept: string | null }, 'lists'>('lists', { key: screenerKey, docs, keep });
      if (refused) note({ type: 'warning', message: `screening index: the kept file was not used (${untold(refused)}); built again` });
      else note({ type: 'note', message: `screening index: built${keep ? ' (none was kept for these lists and registry yet)' : ''}` });
      if (unkept) note({ type: 'warning', message: `screening index: could not be kept (${untold(unkept)}); the next reader builds it again` });
    }
    return lists;
  }

  /**
   * Streams the registry to the worker chunk by chunk, on a connection of its own, each
   * institution as one JSON string DuckDB writes: turning nested rows into objects here would
   * hold this thread for seconds. In ROR id order, as loadRegistry reads it (an outer query need
   * not keep a subquery's order).
   */
  private async sendRegistry(store: Store, key: string, matcher: { path: string; signature: string } | null): Promise<void> {
    const connection = await store.connect();
    try {
      const result = await connection.connection.stream(`SELECT to_json(r)::VARCHAR AS j FROM (${REGISTRY_ROWS}) r ORDER BY r.ror_id`);
      let first = true;
      for await (const rows of result.yieldRowsJs()) {
        await this.call('registry-rows', { key, rows: rows.map((r) => r[0] as string), first, last: false, matcher });
        first = false;
      }
      await this.call('registry-rows', { key, rows: [], first, last: true, matcher });
    } finally {
      connection.close();
    }
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    await worker?.terminate();
  }
}
