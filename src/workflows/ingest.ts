import { statSync } from 'node:fs';
import { streamableFile } from '../text-file.ts';
import { loadTaxonomy, type Taxonomy } from '../fields/taxonomy.ts';
import { ingestCountryPairs } from '../ingest/aggregates.ts';
import { DEFAULT_LIMITS, type ReadLimits } from '../ingest/records.ts';
import { ingestMergedWorks } from '../ingest/merged-ids.ts';
import { ingestNsfSeries } from '../ingest/nsf.ts';
import { ingestPatents } from '../ingest/patents.ts';
import { ingestWorks, SHARED, type EvidenceScope, type IngestReport } from '../ingest/pipeline.ts';
import type { Rejected, SourceName } from '../ingest/records.ts';
import { ingestRegistry, loadRegistry, rereadRegistry } from '../ingest/registry.ts';
import { lacksMessage, registryLacks } from '../ingest/registry-row.ts';
import { Gazetteer } from '../resolve/gazetteer.ts';
import { resolvePending } from '../resolve/apply.ts';
import { resolveCorrectedPending } from '../resolve/org-view.ts';
import { screenPending, setAsideMessage } from '../screening/store.ts';
import { refreshAnalytics, refreshUpload } from '../store/refresh.ts';
import type { PublishReport } from '../store/clickhouse.ts';
import { summariseMerges, workMerges, type MergeSummary } from '../store/merges.ts';
import { EVIDENCE_STRINGS, uploadStrings, type Store } from '../store/store.ts';
import { EvidenceWorker } from './offload.ts';
import { ValidationError } from '../errors.ts';

export type WorkKind = SourceName;
export type IngestKind = WorkKind | 'openalex-merged' | 'ror' | 'lens' | 'patstat' | 'aggregate' | 'nsf';
export const WORK_KINDS: readonly WorkKind[] = ['openalex', 'wos', 'scopus'];
export const INGEST_KINDS: readonly IngestKind[] = ['ror', ...WORK_KINDS, 'openalex-merged', 'lens', 'patstat', 'aggregate', 'nsf'];

/** The steps of the workflow, in the order they run. */
export type IngestStage = 'read' | 'resolve' | 'screen' | 'refresh';

/**
 * What the workflow reports while it runs: a stage begins, progress within it, a file done, a
 * warning. Structured, so the CLI draws a bar (or logs JSON lines) and the HTTP API keeps them
 * on the upload's job for a client to poll.
 */
export type IngestEvent =
  | { type: 'stage'; stage: IngestStage; file: string | null }
  | { type: 'progress'; stage: IngestStage; file: string | null; done: number; total: number; unit: 'bytes' | 'strings' | 'records'; records?: number }
  | { type: 'file'; report: FileReport }
  | { type: 'warning'; message: string }
  /** The shared base's analytics published to the evidence store the indicators read (WorkflowOptions.publish). */
  | { type: 'published'; report: PublishReport; seconds: number }
  /** What the job did worth a line in its log but not a word on the console (where its screening index came from). */
  | { type: 'note'; message: string };

/** One file's outcome, whatever its kind. */
export interface FileReport {
  file: string;
  kind: IngestKind;
  fileId: string | null;
  status: 'ingested' | 'resumed' | 'already ingested';
  /** Of a file already ingested: when it was read (UTC, to the minute); the counts are that run's. */
  readAt?: string;
  /** What was counted: records, institutions, patents, values or country-pair rows. */
  unit: string;
  kept: number;
  duplicates: number;
  quarantined: number;
  /** Of a bibliographic file: records kept before without a DOI that it gave again with one, all else the same (they now carry it). */
  doiGained?: number;
  /** Of a bibliographic file: what was read all the same but weakens the evidence (a DOI column missing). */
  warnings?: string[];
  /** Rejected rows of the kinds read whole (their reasons are printed); bibliographic files keep theirs in the quarantine file. */
  rejected: Rejected[];
  /** The quarantine file on this machine, for the command line only. */
  quarantinePath: string | null;
  bytes: number;
  seconds: number;
  /** Of an OpenAlex merged_ids file: the works held that its merges took out of the shared base. */
  mergedAway?: number;
  /** Of those, the works whose final survivor the store does not hold (they left the evidence with nothing in their place). */
  survivorNotHeld?: number;
}

export interface IngestRequest {
  /** The shared base (an administrator's ingest) or an organisation's uploads (works kinds only). */
  scope: EvidenceScope;
  kind: IngestKind;
  /** Paths, with the content hash where the caller already computed it. */
  files: { path: string; fileId?: string; name?: string }[];
  /** Resolve, screen and refresh after reading (default true). */
  resolve?: boolean;
  batchSize?: number;
  /** Publish after this run (default true; shared base only): a command of several runs publishes once, after the last. */
  publish?: boolean;
}

export interface IngestOutcome {
  files: FileReport[];
  /** Distinct strings resolved and screened afterwards, and the list hits found. */
  resolved: number;
  screened: number;
  hits: number;
  quarantined: number;
  seconds: number;
  /** Of a shared ingest of works: how many works of its files other sources recorded too, counted once, and how many of those records differ (derisk merges lists them). */
  merges?: MergeSummary;
}

export class IngestError extends ValidationError {}

/** What this run set aside: a file already ingested was not read again, so its earlier quarantine is no news (exit 3 means new records set aside). */
export const quarantinedNow = (files: FileReport[]): number => files.reduce((n, f) => n + (f.status === 'already ingested' ? 0 : f.quarantined), 0);

export interface WorkflowOptions {
  quarantineDir: string;
  limits?: ReadLimits;
  taxonomy?: Taxonomy;
  /**
   * Runs after each ingest, when its evidence is resolved and screened (the monitor's alerts). Its
   * failure is reported as a warning, never as the ingest's: what it did not do, its next run does.
   */
  afterRun?: () => Promise<void>;
  /**
   * Publishes the shared base's refreshed analytics to the evidence store the indicators read (a
   * ClickHouse cluster), after an ingest into the shared base and before afterRun, whose verdict
   * re-checks read it. Its failure is a warning: the cluster keeps its last complete snapshot, and
   * the next shared ingest publishes the same content again.
   */
  publish?: (store: Store) => Promise<PublishReport>;
  /**
   * What a failed publish is: a warning (the server's scheduled pull, which has no one to fail
   * to), or the run's error (`derisk ingest`: a script must learn that the cluster lacks what it
   * ingested; the evidence stays ingested in the store and the next run publishes it).
   */
  publishFailure?: 'warning' | 'error';
  /** The thread that reads, resolves and screens; the workflow makes its own when not given (and ends it in close()). */
  worker?: EvidenceWorker;
}

/**
 * The one ingest → resolve → screen → refresh workflow, under the CLI (`derisk ingest`,
 * `derisk demo`) and the HTTP uploads alike. Reading, parsing, resolving and screening run on
 * a worker thread; the writes go through a connection of their own, one writer of the store at a
 * time (Store.exclusive), so a server keeps answering while it works.
 *
 * Scope decides where the evidence goes and what is rebuilt: an administrator's ingest goes to
 * the shared base and rebuilds the shared analytics (indicators, profiles, assessment
 * evidence); an organisation's upload goes to its own tables and builds only that export's
 * works and fields, for its portfolio. Uploads never feed indicators, institution profiles or
 * verdicts, so those mean the same for every organisation and are reproducible from the
 * shared base a verdict's snapshot names.
 */
export class IngestWorkflow {
  private readonly worker: EvidenceWorker;
  private readonly ownsWorker: boolean;

  constructor(
    private readonly store: Store,
    private readonly options: WorkflowOptions,
  ) {
    this.worker = options.worker ?? new EvidenceWorker();
    this.ownsWorker = !options.worker;
  }

  run(request: IngestRequest, onEvent: (e: IngestEvent) => void = () => undefined): Promise<IngestOutcome> {
    if (request.scope.kind === 'organisation' && !(WORK_KINDS as readonly string[]).includes(request.kind)) {
      return Promise.reject(new IngestError(`an organisation uploads publication exports (${WORK_KINDS.join(', ')}), not ${request.kind}`));
    }
    // The worker loads its code while the file is hashed and looked up.
    if (request.files.length > 0 && (WORK_KINDS as readonly string[]).includes(request.kind)) this.worker.start();
    // One writer at a time over the store, whichever workflow or view rebuild it is (Store.exclusive).
    const publish = request.scope.kind === 'shared' && request.publish !== false ? this.options.publish : undefined;
    const outcome = this.store.exclusive(async (writer) => {
      const o = await this.runOn(writer, request, onEvent);
      // Under the same turn as the writes, so what is published is what this run left.
      if (publish) {
        const started = performance.now();
        try {
          onEvent({ type: 'published', report: await publish(writer), seconds: (performance.now() - started) / 1000 });
        } catch (e) {
          if (this.options.publishFailure === 'error') throw e;
          onEvent({ type: 'warning', message: `the ClickHouse evidence store was not published to (it keeps its last snapshot; the next ingest publishes again): ${(e as Error).message}` });
        }
      }
      return o;
    });
    const after = this.options.afterRun;
    if (!after) return outcome;
    return outcome.then(async (o) => {
      await after().catch((e: Error) => onEvent({ type: 'warning', message: `alerts not computed yet (the next check will): ${e.message}` }));
      return o;
    });
  }

  private async runOn(store: Store, request: IngestRequest, emit: (e: IngestEvent) => void): Promise<IngestOutcome> {
    const started = performance.now();
    const reports: FileReport[] = [];
    // Every file is checked before the first is read, whatever its kind: a missing one or a directory is named ("<path>: cannot read (EISDIR)"), never Node's pathless message.
    for (const { path } of request.files) streamableFile(path);
    for (const { path, fileId, name } of request.files) {
      emit({ type: 'stage', stage: 'read', file: path });
      const report = await this.readFile(store, request, path, fileId, name, emit);
      reports.push(report);
      emit({ type: 'file', report });
    }
    await this.completeRegistry(store, request, emit);
    const outcome: IngestOutcome = { files: reports, resolved: 0, screened: 0, hits: 0, quarantined: reports.reduce((n, r) => n + r.quarantined, 0), seconds: 0 };
    // Aggregate tables carry no strings to resolve; --no-resolve leaves the rest for later.
    if ((request.resolve ?? true) && request.kind !== 'aggregate' && request.kind !== 'nsf') {
      const progress = (stage: IngestStage) => (done: number, total: number) => emit({ type: 'progress', stage, file: null, done, total, unit: 'strings' });
      emit({ type: 'stage', stage: 'resolve', file: null });
      if (Number((await store.one<{ n: number }>('SELECT count(*)::DOUBLE AS n FROM institutions'))!.n) === 0) {
        emit({ type: 'warning', message: 'no ROR registry loaded yet (derisk ingest ror <dump>); affiliations get countries but no institutions' });
      }
      // An upload resolves and screens its own strings; what else is pending in the shared base
      // waits for an administrator's ingest, so that an upload changes nothing others read.
      const strings = request.scope.kind === 'shared' ? EVIDENCE_STRINGS : uploadStrings(request.scope.orgId);
      // The strings resolved here are screened next: the worker screens each as it resolves it.
      const resolve = await this.worker.resolver(store, emit, { screenNext: true });
      try {
        outcome.resolved = (await resolvePending(store, resolve, progress('resolve'), strings)).resolved;
        // New shared strings an organisation's match corrections decide are resolved for its view too (the refresh counts them).
        if (request.scope.kind === 'shared') await resolveCorrectedPending(store, resolve);
        const screening = await this.worker.screening(store, emit);
        if (screening) {
          emit({ type: 'stage', stage: 'screen', file: null });
          // The shared refresh below rebuilds what screening feeds; an upload's strings do not feed it.
          const r = await screenPending(store, screening, progress('screen'), { rebuildListed: false, strings });
          outcome.screened = r.screened;
          outcome.hits = r.hits;
          for (const a of r.setAside) emit({ type: 'warning', message: setAsideMessage(a) });
        }
      } finally {
        await this.worker.dropScreened();
      }
      emit({ type: 'stage', stage: 'refresh', file: null });
      const taxonomy = (this.options.taxonomy ??= loadTaxonomy());
      if (request.scope.kind === 'shared') {
        await refreshAnalytics(store, 'strong', taxonomy);
        // A DOI several sources gave is counted once, by one record: how often the others differ is said, never left silent.
        if ((WORK_KINDS as readonly string[]).includes(request.kind)) outcome.merges = summariseMerges(await workMerges(store, { fileIds: reports.flatMap((r) => (r.fileId ? [r.fileId] : [])) }));
      } else for (const r of reports) if (r.fileId) await refreshUpload(store, request.scope.orgId, r.fileId, taxonomy);
    }
    outcome.seconds = (performance.now() - started) / 1000;
    return outcome;
  }

  /**
   * A registry an older version ingested lacks fields the resolver reads now (registryLacks): the shared base's
   * ingest reads its dumps again (recorded, or given to this run) before anything is resolved, or refuses, naming
   * the dump. An organisation's upload leaves the shared registry as it is: its strings are resolved under a
   * version that marks what the registry lacks (registryKey), and it is told.
   */
  private async completeRegistry(store: Store, request: IngestRequest, emit: (e: IngestEvent) => void): Promise<void> {
    if (request.scope.kind !== 'shared') {
      const lacking = await registryLacks(store);
      if (lacking.length > 0) emit({ type: 'warning', message: lacksMessage(lacking) });
      return;
    }
    let reading: string | null = null;
    const reread = await rereadRegistry(store, request.kind === 'ror' ? request.files.map((f) => f.path) : [], (path, records) => {
      if (path !== reading) emit({ type: 'stage', stage: 'read', file: (reading = path) });
      emit({ type: 'progress', stage: 'read', file: path, done: records, total: records, unit: 'records' });
    });
    if (reread) emit({ type: 'warning', message: `the registry was read again from ${reread.files.join(', ')} (${reread.institutions} records), as derisk keeps it now: what was resolved against it before is resolved again` });
  }

  private async readFile(store: Store, request: IngestRequest, path: string, fileId: string | undefined, name: string | undefined, emit: (e: IngestEvent) => void): Promise<FileReport> {
    const started = performance.now();
    const whole = (unit: string, r: { status: 'ingested' | 'already ingested'; fileId: string; readAt?: string; kept: number; duplicates: number; quarantined: number; rejected: Rejected[] }): FileReport => ({
      file: path,
      kind: request.kind,
      unit,
      quarantinePath: null,
      bytes: statSync(path).size,
      seconds: (performance.now() - started) / 1000,
      ...r,
    });
    switch (request.kind) {
      case 'ror': {
        const r = await ingestRegistry(store, path, (n) => emit({ type: 'progress', stage: 'read', file: path, done: n, total: n, unit: 'records' }));
        return whole('institutions', { status: r.status, fileId: r.fileId, ...(r.readAt ? { readAt: r.readAt } : {}), kept: r.institutions, duplicates: 0, quarantined: r.quarantined, rejected: r.rejected });
      }
      case 'lens':
      case 'patstat':
        return whole('patents', await ingestPatents(store, request.kind, path));
      case 'openalex-merged': {
        const { removed, survivorNotHeld, ...r } = await ingestMergedWorks(store, path);
        return { ...whole('merged ids', r), mergedAway: removed, survivorNotHeld };
      }
      case 'aggregate':
        return whole('country-pair rows', await ingestCountryPairs(store, path));
      case 'nsf':
        return whole('values', await ingestNsfSeries(store, path, new Gazetteer(await loadRegistry(store))));
      default: {
        const r: IngestReport = await ingestWorks(store, request.kind, path, {
          quarantineDir: this.options.quarantineDir,
          batchSize: request.batchSize,
          scope: request.scope ?? SHARED,
          limits: this.options.limits ?? DEFAULT_LIMITS,
          fileId,
          name,
          open: (read) => this.worker.open(read),
          onProgress: (p) => emit({ type: 'progress', stage: 'read', file: path, done: p.bytesDone, total: p.bytesTotal, unit: 'bytes', records: p.records }),
        });
        return { ...r, unit: 'records', rejected: [] };
      }
    }
  }

  async close(): Promise<void> {
    if (this.ownsWorker) await this.worker.close();
  }
}
