import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../config.ts';
import { ingestCountryPairs } from '../ingest/aggregates.ts';
import { ingestNsfSeries } from '../ingest/nsf.ts';
import { ingestPatents } from '../ingest/patents.ts';
import { ingestWorks, type IngestReport } from '../ingest/pipeline.ts';
import type { SourceName } from '../ingest/records.ts';
import { ingestRegistry, loadRegistry } from '../ingest/registry.ts';
import { resolvePending } from '../resolve/apply.ts';
import { Gazetteer } from '../resolve/gazetteer.ts';
import { AffiliationResolver } from '../resolve/matcher.ts';
import { refreshAnalytics } from '../store/refresh.ts';
import type { Store } from '../store/store.ts';
import { COMMON, EXIT, UsageError, withStore } from './common.ts';
import { ProgressReporter } from './progress.ts';

const WORK_KINDS = new Set<SourceName>(['openalex', 'wos', 'scopus']);

export async function ingest(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { ...COMMON, 'no-resolve': { type: 'boolean' }, 'batch-size': { type: 'string' } } });
  const batchSize = values['batch-size'] === undefined ? undefined : Number(values['batch-size']);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) throw new UsageError('--batch-size takes a positive whole number');
  const [kind, ...files] = positionals;
  if (!kind || files.length === 0) throw new UsageError('ingest needs a kind (ror, openalex, wos, scopus) and at least one file');
  const config = loadConfig();
  return withStore(config, async (store) => {
    let quarantined = 0;
    if (kind === 'ror') {
      for (const file of files) {
        const progress = new ProgressReporter(`ror ${file}`);
        const report = await ingestRegistry(store, file, (n) => progress.update(n, n, `${n} records`));
        progress.finish(`${report.status}: ${report.institutions} institutions, ${report.quarantined} quarantined`);
        for (const r of report.rejected) console.error(`  quarantined ${file} record ${r.recordNo} (line ${r.lineNo}): ${r.reason}`);
        quarantined += report.quarantined;
      }
    } else if (kind === 'lens' || kind === 'patstat') {
      for (const file of files) {
        const r = await ingestPatents(store, kind, file);
        console.log(`${file}: ${r.status}; ${r.kept} patents kept, ${r.duplicates} already known, ${r.quarantined} quarantined`);
        for (const q of r.rejected) console.error(`  quarantined ${file} record ${q.recordNo} (line ${q.lineNo}): ${q.reason}`);
        quarantined += r.quarantined;
      }
    } else if (kind === 'nsf') {
      for (const file of files) {
        const r = await ingestNsfSeries(store, file, new Gazetteer(await loadRegistry(store)));
        console.log(`${file}: ${r.status}; ${r.kept} values, ${r.quarantined} rows set aside`);
        for (const q of r.rejected) console.error(`  quarantined ${file} row ${q.recordNo} (line ${q.lineNo}): ${q.reason}`);
        quarantined += r.quarantined;
      }
      return quarantined > 0 ? EXIT.quarantined : EXIT.ok;
    } else if (kind === 'aggregate') {
      for (const file of files) {
        const r = await ingestCountryPairs(store, file);
        console.log(`${file}: ${r.status}; ${r.kept} country-pair rows, ${r.quarantined} quarantined`);
        for (const q of r.rejected) console.error(`  quarantined ${file} row ${q.recordNo} (line ${q.lineNo}): ${q.reason}`);
        quarantined += r.quarantined;
      }
      return quarantined > 0 ? EXIT.quarantined : EXIT.ok;
    } else if (WORK_KINDS.has(kind as SourceName)) {
      for (const file of files) quarantined += printIngest(await ingestWithProgress(store, config, kind as SourceName, file, batchSize));
    } else throw new UsageError(`unknown kind ${JSON.stringify(kind)}: use ror, openalex, wos, scopus, lens, patstat, aggregate or nsf`);
    if (!values['no-resolve']) await resolveAndRefresh(store);
    return quarantined > 0 ? EXIT.quarantined : EXIT.ok;
  });
}

export async function ingestWithProgress(store: Store, config: Config, kind: SourceName, file: string, batchSize?: number): Promise<IngestReport> {
  const progress = new ProgressReporter(`${kind} ${file}`);
  const report = await ingestWorks(store, kind, file, {
    quarantineDir: config.quarantineDir,
    batchSize,
    onProgress: (p) => progress.update(p.bytesDone, p.bytesTotal, `${p.records} records`),
  });
  progress.finish(`${report.status}`);
  return report;
}

export function printIngest(r: IngestReport): number {
  const mbps = r.seconds > 0 ? (r.bytes / 1e6 / r.seconds).toFixed(1) : '-';
  console.log(`${r.file}: ${r.status}; ${r.kept} records kept, ${r.duplicates} already known, ${r.quarantined} quarantined (${r.seconds.toFixed(1)} s, ${mbps} MB/s)`);
  if (r.quarantinePath) console.log(`  quarantined records and reasons: ${r.quarantinePath}`);
  return r.quarantined;
}

export async function resolveAndRefresh(store: Store): Promise<void> {
  const registry = await loadRegistry(store);
  if (registry.length === 0) console.error('derisk: no ROR registry loaded yet (derisk ingest ror <dump>); affiliations get countries but no institutions');
  const resolver = new AffiliationResolver(registry);
  const progress = new ProgressReporter('resolving affiliations');
  const r = await resolvePending(store, resolver, (done, total) => progress.update(done, total, `${done}/${total} strings`));
  progress.finish(`${r.resolved} distinct affiliation strings resolved in ${r.seconds.toFixed(1)} s`);
  await refreshAnalytics(store);
}
