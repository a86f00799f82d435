import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { ingestWorks } from '../src/ingest/pipeline.ts';
import type { Institution } from '../src/ingest/ror.ts';
import { resolvePending } from '../src/resolve/apply.ts';
import { AffiliationResolver } from '../src/resolve/matcher.ts';
import { refreshAnalytics } from '../src/store/refresh.ts';
import { Store } from '../src/store/store.ts';
import { generateOpenAlex } from './generate-openalex.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

/** What both refreshes must agree on: every derived table's rows and weights, summed. */
const DIGEST = `SELECT
  (SELECT count(*) FROM works)::DOUBLE AS works, (SELECT count(*) FROM work_fields)::DOUBLE AS work_fields,
  (SELECT count(*) FROM work_affiliations)::DOUBLE AS work_affiliations, (SELECT count(*) FROM work_institutions)::DOUBLE AS work_institutions,
  round((SELECT sum(weight) FROM work_institutions), 6)::DOUBLE AS weight, (SELECT count(*) FROM source_institutions)::DOUBLE AS source_institutions,
  (SELECT count(*) FROM listed_affiliations)::DOUBLE AS listed, (SELECT sum(works) FROM institution_listed_copubs)::DOUBLE AS institution_works`;

/**
 * The refresh after an OpenAlex update: a store of `works` synthetic works, then an update file
 * giving `updated` of them again changed (other affiliations, years, DOIs), ingested and resolved
 * once; each run refreshes a copy of that store incrementally and another copy in full, in turn.
 */
export async function refreshBench(registry: Institution[], works: number, updated: number, runs: number, out: string): Promise<object> {
  const base = join(out, `openalex-synthetic-${works}.jsonl`);
  if (!existsSync(base)) await generateOpenAlex(base, works, registry);
  // The same ids as the first works of the base file (W4000000000…), with other contents.
  const update = join(out, `openalex-update-${updated}.jsonl`);
  if (!existsSync(update)) await generateOpenAlex(update, updated, registry, 99);
  const dir = join(out, 'refresh-bench');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const template = join(dir, 'updated.duckdb');
  const resolver = new AffiliationResolver(registry);
  const cache = join(out, 'resolution-cache');
  console.log(`\nRefresh after an update of ${updated.toLocaleString('en')} works to a store of ${works.toLocaleString('en')} (load ${load()})`);
  let store = await Store.open(template);
  await ingestWorks(store, 'openalex', base, { quarantineDir: join(dir, 'q') });
  await resolvePending(store, resolver, undefined, undefined, cache);
  const t = performance.now();
  await refreshAnalytics(store);
  console.log(`  the store's first (full) refresh: ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const report = await ingestWorks(store, 'openalex', update, { quarantineDir: join(dir, 'q') });
  await resolvePending(store, resolver, undefined, undefined, cache);
  await store.run('CHECKPOINT');
  store.close();
  const seconds: Record<'incremental' | 'full', number[]> = { incremental: [], full: [] };
  const digests: Record<string, unknown> = {};
  for (let i = 0; i < runs; i++) {
    for (const mode of ['incremental', 'full'] as const) {
      const copy = join(dir, `${mode}.duckdb`);
      rmSync(copy, { force: true });
      copyFileSync(template, copy);
      store = await Store.open(copy);
      const t0 = performance.now();
      const done = await refreshAnalytics(store, 'strong', undefined, { full: mode === 'full' });
      seconds[mode].push((performance.now() - t0) / 1000);
      if (done !== mode) throw new Error(`the ${mode} run refreshed ${done}`);
      digests[mode] = await store.one(DIGEST);
      store.close();
    }
  }
  const identical = JSON.stringify(digests.incremental) === JSON.stringify(digests.full);
  if (!identical) console.log('  derived tables differ:', digests);
  const [inc, full] = [median(seconds.incremental), median(seconds.full)];
  console.log(`  update file: ${report.kept} records kept (replacing those held), ${report.duplicates} duplicates`);
  console.log(`  incremental refresh: median ${inc.toFixed(2)} s (${seconds.incremental.map((s) => s.toFixed(2)).join(', ')})`);
  console.log(`  full refresh:        median ${full.toFixed(2)} s (${seconds.full.map((s) => s.toFixed(2)).join(', ')})`);
  console.log(`  full / incremental: ×${(full / inc).toFixed(1)}; derived tables identical: ${identical ? 'yes' : 'NO'} (load ${load()})`);
  rmSync(dir, { recursive: true, force: true });
  return { works, updated, runs, incrementalSeconds: seconds.incremental, fullSeconds: seconds.full, ratio: full / inc, identical, digest: digests.full, loadAfter: loadavg() };
}
