import { parseArgs } from './args.ts';
import { loadConfig } from '../config.ts';
import { landscapeSummary, resolutionCounts } from '../indicators/copubs.ts';
import { loadTaxonomy } from '../fields/taxonomy.ts';
import { aggregatePairs } from '../indicators/landscape.ts';
import { SHARED } from '../ingest/pipeline.ts';
import { SOURCES, locate } from '../sources.ts';
import { COMMON, EXIT, REGION_OPTIONS, withStore, type ExitCode } from './common.ts';
import { regionsFrom } from './regions-option.ts';
import { out } from './io.ts';
import { runIngest } from './ingest.ts';
import { quarantinedNow } from '../workflows/ingest.ts';
import { indicatorsOf, STANDARD_PAIRS } from '../indicators/catalog.ts';
import { printSummary } from './landscape.ts';
import { catalogueLists } from '../screening/lists.ts';
import { loadAndScreen } from './screening.ts';
import { PORT, serveStore } from './serve.ts';
import { refuseBesideServer } from './control-file.ts';

export async function demo(argv: string[]): Promise<ExitCode> {
  const { values } = parseArgs({ args: argv, command: 'demo', options: { ...COMMON, ...REGION_OPTIONS, serve: { type: 'boolean' }, port: { type: 'string' } }, checks: { port: PORT } });
  const config = loadConfig();
  refuseBesideServer(config.home, 'use another DERISK_HOME for the demo');
  const catalogue = await regionsFrom(values);
  out.log(`derisk demo: data mirror ${config.mirror}, store ${config.storePath}`);
  return withStore(config, async (store) => {
    // Every file first, then resolve, screen and refresh once.
    const outcomes = await runIngest(store, config, [...SOURCES.filter((s) => s.inDemo).map((source) => ({ scope: SHARED, kind: source.kind, files: [{ path: locate(config, source) }], resolve: false })), { scope: SHARED, kind: 'openalex' as const, files: [] }]);
    // NSF rows set aside are the table's own totals and notes, not broken records.
    const quarantined = quarantinedNow(outcomes.flatMap((o) => o.files).filter((f) => f.kind !== 'nsf'));
    await loadAndScreen(store, catalogueLists(config));
    printSummary(await landscapeSummary(indicatorsOf(store, catalogue, loadTaxonomy()), await resolutionCounts(store), catalogue, STANDARD_PAIRS));
    const baseline = (await aggregatePairs(store, catalogue, 'EU27AC', 'CN')).filter((y) => y.year >= 2019);
    if (baseline.length > 0) {
      out.log(`\nAll-fields baseline, EU27AC–CN (${baseline[0]!.dataset}): ${baseline.map((y) => `${y.year}: ${y.pairSum.toLocaleString('en')}`).join(', ')}`);
      out.log(`  caveats: ${baseline[0]!.caveats.join('; ')}.`);
    }
    if (values.serve) await serveStore(store, Number(values.port ?? 8720), '127.0.0.1', values['regions-file'] ?? []);
    return quarantined > 0 ? EXIT.quarantined : EXIT.ok;
  });
}
