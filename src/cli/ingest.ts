import { parseArgs } from './args.ts';
import { loadConfig, type Config } from '../config.ts';
import { OtherKindError, SHARED } from '../ingest/pipeline.ts';
import { describeSourceAgreement, sourceAgreement } from '../resolve/apply.ts';
import type { ClickHouseEvidence, PublishReport } from '../store/clickhouse.ts';
import { describeMergeSummary } from '../store/merges.ts';
import type { Store } from '../store/store.ts';
import { INGEST_KINDS, IngestWorkflow, quarantinedNow, type FileReport, type IngestEvent, type IngestKind, type IngestOutcome, type IngestRequest } from '../workflows/ingest.ts';
import { COMMON, connectEvidenceCluster, EXIT, UsageError, withStore, type ExitCode } from './common.ts';
import { asTyped, at, out } from './io.ts';
import { whole } from './option-values.ts';
import { ProgressReporter } from './progress.ts';

/** derisk ingest KIND FILE…: an administrator's ingest into the shared evidence base. */
export async function ingestCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args: argv, command: 'ingest', allowPositionals: true, takes: Infinity, options: { ...COMMON, 'no-resolve': { type: 'boolean' }, 'batch-size': { type: 'string' } }, checks: { 'batch-size': whole(1) } });
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  const [kind, ...files] = positionals;
  if (!kind || files.length === 0) throw new UsageError('ingest needs a kind (ror, openalex, wos, scopus) and at least one file');
  if (!(INGEST_KINDS as readonly string[]).includes(kind)) throw new UsageError(`unknown kind ${JSON.stringify(kind)}: use ror, openalex, wos, scopus, openalex-merged, lens, patstat, aggregate or nsf`);
  const config = loadConfig();
  return withStore(config, async (store) => {
    const [outcome] = await runIngest(store, config, [{ scope: SHARED, kind: kind as IngestKind, files: files.map((path) => ({ path: at(path) })), resolve: !values['no-resolve'], batchSize }]).catch((e: unknown) => {
      // The KIND given is the mistake: a usage error (exit 2), naming the kind the bytes were ingested as.
      throw e instanceof OtherKindError ? new UsageError(e.message) : e;
    });
    // Where this ingest's records assert an institution or country (OpenAlex does), how often derisk differs.
    const fileIds = outcome!.files.flatMap((f) => (f.fileId ? [f.fileId] : []));
    const agreement = await sourceAgreement(store, fileIds);
    if (agreement.institutionBoth + agreement.countryBoth + agreement.unregistered > 0) for (const line of describeSourceAgreement(agreement)) out.log(`  ${line}`);
    if (outcome!.merges?.merged) out.log(`  ${describeMergeSummary(outcome!.merges)}`);
    return quarantinedNow(outcome!.files) > 0 ? EXIT.quarantined : EXIT.ok;
  });
}

/** The line a publish to the ClickHouse evidence store prints: its snapshot, whether it was written and how long that took, its rows. */
function printPublished(report: PublishReport, seconds: number): void {
  const rows = Object.entries(report.rows)
    .map(([table, n]) => `${n} ${table}`)
    .join(', ');
  const sent = report.touchedWorks === null ? '' : ` (${report.touchedWorks} changed works sent, the rest copied from the previous snapshot)`;
  out.log(`ClickHouse (${report.shards} shards): snapshot ${report.snapshot} ${report.written ? `published in ${seconds.toFixed(1)} s${sent}` : 'already published'}: ${rows}`);
}

/**
 * Publishes the refreshed analytics to the ClickHouse evidence store when DERISK_EVIDENCE_URL
 * names one, after a change made outside the ingest workflow (`derisk lists load`); the same
 * content is written once. An ingest publishes within the workflow (runIngest).
 */
export async function publishToClickHouse(store: Store, config: Config): Promise<void> {
  const evidence = await connectEvidenceCluster(config);
  if (!evidence) return;
  try {
    const started = performance.now();
    printPublished(await evidence.publish(store), (performance.now() - started) / 1000);
  } finally {
    await evidence.close();
  }
}

/**
 * What `derisk ingest` says when the ingest is kept but the publish to the cluster failed: that the
 * evidence is in the local store, which cluster was not published to and why, and how to publish
 * (one line: the client's own stack is not printed, see ClickHouseEvidence.connect).
 */
export function publishFailureMessage(evidenceUrl: string, e: Error): string {
  let host: string;
  try {
    host = new URL(evidenceUrl).host;
  } catch {
    host = 'DERISK_EVIDENCE_URL';
  }
  const reason = e.message.split('\n')[0]!.trim() || e.name;
  return `the ingest is kept in the local store, but the ClickHouse evidence store at ${host} was not published to (${reason}); it keeps its last snapshot until an ingest publishes: run \`derisk ingest\` again once it answers`;
}

/**
 * Runs the ingest workflow (one after another) with its progress on stderr (a bar on a terminal,
 * JSON lines otherwise) and a line per file on stdout. With DERISK_EVIDENCE_URL the workflow
 * publishes after the last run, as the server's scheduled pull does; a failed publish fails the
 * command (connected only then, so an unreachable cluster fails it after the ingest, not before).
 */
export async function runIngest(store: Store, config: Config, requests: IngestRequest[]): Promise<IngestOutcome[]> {
  let evidence: ClickHouseEvidence | undefined;
  const evidenceUrl = config.evidenceUrl;
  const publish = evidenceUrl
    ? async (s: Store) => {
        try {
          return await (evidence ??= (await connectEvidenceCluster(config))!).publish(s);
        } catch (e) {
          throw new Error(publishFailureMessage(evidenceUrl, e as Error), { cause: e });
        }
      }
    : undefined;
  const workflow = new IngestWorkflow(store, { quarantineDir: config.quarantineDir, publish, publishFailure: 'error' });
  const printer = ingestPrinter();
  try {
    const outcomes: IngestOutcome[] = [];
    // The cluster gets the analytics (after the last run) before the monitor looks: its verdict re-checks read the cluster, as the indicators do.
    for (const [i, request] of requests.entries()) outcomes.push(await workflow.run({ ...request, publish: i === requests.length - 1 }, printer.onEvent));
    printer.end('done');
    // Then the monitor looks for alerts (loaded only then: it opens the application database).
    await (await import('./watch.ts')).checkAlerts(store, config, 'when-new').catch((e: Error) => out.error(`alerts not computed yet (the next check will): ${e.message}`));
    return outcomes;
  } catch (e) {
    printer.end('failed');
    throw e;
  } finally {
    await workflow.close();
    await evidence?.close();
  }
}

function ingestPrinter(): { onEvent: (e: IngestEvent) => void; end: (message: string) => void } {
  let bar: { key: string; progress: ProgressReporter; started: number } | null = null;
  const finish = (message: string) => {
    bar?.progress.finish(message);
    bar = null;
  };
  const onEvent = (e: IngestEvent) => {
    if (e.type === 'stage') {
      if (bar) finish('done');
      const label = e.stage === 'read' ? `reading ${asTyped(e.file!)}` : e.stage === 'resolve' ? 'resolving affiliations' : e.stage === 'screen' ? 'screening affiliations' : 'refreshing the analytics';
      bar = { key: `${e.stage}:${e.file}`, progress: new ProgressReporter(label), started: performance.now() };
    } else if (e.type === 'progress') {
      const detail = e.unit === 'bytes' ? `${e.records ?? 0} records` : `${e.done}/${e.total} ${e.unit}`;
      bar?.progress.update(e.done, e.total, detail);
    } else if (e.type === 'file') {
      finish(e.report.status);
      printFile({ ...e.report, file: asTyped(e.report.file) });
    } else if (e.type === 'published') {
      finish('done');
      printPublished(e.report, e.seconds);
    } else if (e.type === 'warning') {
      out.error(`derisk: ${asTyped(e.message)}`);
    }
    if (e.type === 'progress' && e.stage !== 'read' && e.done === e.total && bar) {
      const seconds = ((performance.now() - bar.started) / 1000).toFixed(1);
      finish(e.stage === 'resolve' ? `${e.total} distinct affiliation strings resolved in ${seconds} s` : `${e.total} strings screened (${seconds} s)`);
    }
  };
  return { onEvent, end: finish };
}

/** A file's counts in its kind's words: records, institutions, patents, merged ids, values or country-pair rows. */
function countsOf(r: FileReport): string {
  if (r.unit === 'records') return `${r.kept} records kept, ${r.duplicates} already known, ${r.quarantined} quarantined`;
  const aggregate = r.kind === 'aggregate' || r.kind === 'nsf' ? ' (aggregate evidence)' : '';
  const counts = r.unit === 'patents' || r.unit === 'merged ids' ? `${r.kept} ${r.unit === 'patents' ? 'patents kept' : 'merged ids recorded'}, ${r.duplicates} already known` : `${r.kept} ${r.unit}${aggregate}`;
  return `${counts}, ${r.quarantined} ${r.unit === 'values' || r.unit === 'merged ids' ? 'rows set aside' : 'quarantined'}`;
}

function printFile(r: FileReport): void {
  // A file ingested before is not read again, whatever its kind: the counts are those of the run that read it, and say so.
  if (r.status === 'already ingested') out.log(`${r.file}: already ingested${r.readAt ? ` on ${r.readAt} UTC` : ''} (file ${r.fileId}), not read again: nothing new set aside; when it was read, ${countsOf(r)}`);
  if (r.unit === 'records') {
    const mbps = r.seconds > 0 ? (r.bytes / 1e6 / r.seconds).toFixed(1) : '-';
    if (r.status !== 'already ingested') out.log(`${r.file}: ${r.status}; ${countsOf(r)} (${r.seconds.toFixed(1)} s, ${mbps} MB/s)`);
    if (r.doiGained) out.log(`  ${r.doiGained} records gained a DOI: kept before without one and given again with it, all else the same (among those already known; they now merge with other sources by it)`);
    if (r.quarantinePath) out.log(`  ${r.status === 'already ingested' ? 'records quarantined when it was read' : 'quarantined records'} and reasons: ${r.quarantinePath}`);
    for (const warning of r.warnings ?? []) out.log(`  warning: ${warning}`);
    return;
  }
  if (r.status !== 'already ingested') out.log(`${r.file}: ${r.status}; ${countsOf(r)}`);
  if (r.mergedAway !== undefined) out.log(`  ${r.mergedAway} works held merged away into their surviving works (removed from the evidence, the merge kept as the reason)`);
  if (r.survivorNotHeld) out.log(`  ${r.survivorNotHeld} of them merged into works the store does not hold: their surviving record is not in the evidence; ingest it to count them again`);
  const rows = r.kind === 'aggregate' || r.kind === 'nsf' || r.unit === 'merged ids';
  for (const q of r.rejected) out.error(`  quarantined ${r.file} ${rows ? 'row' : 'record'} ${q.recordNo} (line ${q.lineNo}): ${q.reason}`);
}
