import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { landscapeSummary } from '../indicators/copubs.ts';
import { aggregatePairs } from '../indicators/landscape.ts';
import { ingestCountryPairs } from '../ingest/aggregates.ts';
import { ingestNsfSeries } from '../ingest/nsf.ts';
import { ingestRegistry, loadRegistry } from '../ingest/registry.ts';
import { Gazetteer } from '../resolve/gazetteer.ts';
import { SOURCES, locate } from '../sources.ts';
import { COMMON, EXIT, regionsFrom, withStore } from './common.ts';
import { ingestWithProgress, printIngest, resolveAndRefresh } from './ingest.ts';
import { printSummary, STANDARD_PAIRS } from './landscape.ts';
import { ProgressReporter } from './progress.ts';
import { catalogueLists, loadAndScreen } from './screening.ts';
import { serveStore } from './serve.ts';

export async function demo(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...COMMON, serve: { type: 'boolean' }, port: { type: 'string' } } });
  const config = loadConfig();
  const catalogue = regionsFrom(values);
  console.log(`derisk demo: data mirror ${config.mirror}, store ${config.storePath}`);
  return withStore(config, async (store) => {
    let quarantined = 0;
    for (const source of SOURCES.filter((s) => s.inDemo)) {
      const path = locate(config, source);
      if (source.kind === 'ror') {
        const progress = new ProgressReporter('ROR registry');
        const r = await ingestRegistry(store, path, (n) => progress.update(n, 51_370, `${n} records`));
        progress.finish(`${r.status}: ${r.institutions} institutions`);
        quarantined += r.quarantined;
      } else if (source.kind === 'nsf') {
        const r = await ingestNsfSeries(store, path, new Gazetteer(await loadRegistry(store)));
        console.log(`${path}: ${r.status}; ${r.kept} values (aggregate evidence), ${r.quarantined} rows set aside`);
      } else if (source.kind === 'aggregate') {
        const r = await ingestCountryPairs(store, path);
        console.log(`${path}: ${r.status}; ${r.kept} country-pair rows (aggregate evidence)`);
        quarantined += r.quarantined;
      } else {
        quarantined += printIngest(await ingestWithProgress(store, config, source.kind, path));
      }
    }
    await resolveAndRefresh(store);
    await loadAndScreen(store, catalogueLists(config));
    printSummary(await landscapeSummary(store, catalogue, STANDARD_PAIRS));
    const baseline = (await aggregatePairs(store, catalogue, 'EU27AC', 'CN')).filter((y) => y.year >= 2019);
    if (baseline.length > 0) {
      console.log(`\nAll-fields baseline, EU27AC–CN (${baseline[0]!.dataset}): ${baseline.map((y) => `${y.year}: ${y.pairSum.toLocaleString('en')}`).join(', ')}`);
      console.log(`  caveats: ${baseline[0]!.caveats.join('; ')}.`);
    }
    if (values.serve) await serveStore(store, Number(values.port ?? 8720), '127.0.0.1', values['regions-file'] ?? []);
    return quarantined > 0 ? EXIT.quarantined : EXIT.ok;
  });
}
