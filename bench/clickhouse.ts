import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { createClient } from '@clickhouse/client';
import { join } from 'node:path';
import type { Config } from '../src/config.ts';
import { loadTaxonomy } from '../src/fields/taxonomy.ts';
import { INDICATORS, runIndicator, type IndicatorRequest } from '../src/indicators/catalog.ts';
import { runClickHouseIndicator } from '../src/indicators/clickhouse.ts';
import { NO_FILTERS } from '../src/indicators/filters.ts';
import { ingestWorks } from '../src/ingest/pipeline.ts';
import { ingestRegistry } from '../src/ingest/registry.ts';
import type { Institution } from '../src/ingest/ror.ts';
import { loadRegions } from '../src/regions/regions.ts';
import { resolvePending } from '../src/resolve/apply.ts';
import { AffiliationResolver } from '../src/resolve/matcher.ts';
import { locate, sourceById } from '../src/sources.ts';
import { ClickHouseEvidence } from '../src/store/clickhouse.ts';
import { refreshAnalytics } from '../src/store/refresh.ts';
import { Store } from '../src/store/store.ts';
import { startClickHouseCluster } from '../test/helpers/clickhouse.ts';
import { baselineBin } from './baseline.ts';
import { generateOpenAlex } from './generate-openalex.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timed(runs: number, f: () => Promise<unknown>): Promise<number> {
  await f();
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await f();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

/** The revision whose publish and indicators the cluster's are set beside by default: rows converted to JSON in Node, patent sides joining the whole registry. */
const CLICKHOUSE_BASELINE = '551907a';

type ClickHouseModules = { evidence: typeof ClickHouseEvidence; run: typeof runClickHouseIndicator };

/**
 * DuckDB (one process) beside a 2-shard ClickHouse cluster on this machine for the same synthetic
 * works: ingest (DuckDB: read, resolve, refresh; the cluster: the same, then publish) and each
 * indicator (EU27AC–CN, no filters). The cluster is two clickhouse-server processes started here on
 * loopback (Debian's 18.16). The publish and the cluster's indicators of the baseline revision
 * (--baseline REV) run in the same run on the same store, into a database of their own on the same
 * cluster, each publish timed in turn (the snapshot's row dropped before each, so each writes it all).
 */
export async function clickhouseBench(config: Config, registry: Institution[], works: number, runs: number, out: string, baseline = CLICKHOUSE_BASELINE) {
  const file = join(out, `openalex-synthetic-${works}.jsonl`);
  if (!existsSync(file)) await generateOpenAlex(file, works, registry);
  const dir = join(out, 'clickhouse');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = await Store.open(join(dir, 'bench.duckdb'));
  await ingestRegistry(store, locate(config, sourceById('ror')));
  const t0 = performance.now();
  await ingestWorks(store, 'openalex', file, { quarantineDir: join(dir, 'quarantine') });
  const resolver = new AffiliationResolver(registry);
  await resolvePending(store, resolver);
  await refreshAnalytics(store);
  const duckIngest = (performance.now() - t0) / 1000;

  const baseBin = baselineBin(out, baseline);
  const started = await startClickHouseCluster('derisk_bench');
  const shardClients = started.httpPorts.map((p) => createClient({ url: `http://127.0.0.1:${p}` }));
  const urlOf = (database: string) => `${started.url.replace('/derisk_bench?', `/${database}?`)}&shards=${started.httpPorts.map((p) => `127.0.0.1:${p}`).join(',')}`;
  try {
    const load = [loadavg()[0]!];
    const trees: [string, ClickHouseModules, string][] = [['this tree', { evidence: ClickHouseEvidence, run: runClickHouseIndicator }, 'derisk_bench']];
    if (baseBin) {
      const dist = join(baseBin, '..', '..', 'dist');
      const [store, indicators] = await Promise.all([import(pathToFileURL(join(dist, 'store', 'clickhouse.js')).href), import(pathToFileURL(join(dist, 'indicators', 'clickhouse.js')).href)]);
      for (const c of shardClients) await c.command({ query: 'CREATE DATABASE IF NOT EXISTS derisk_bench_base' });
      trees.unshift([`baseline ${baseline}`, { evidence: store.ClickHouseEvidence, run: indicators.runClickHouseIndicator }, 'derisk_bench_base']);
    }
    const connected = await Promise.all(trees.map(async ([label, m, database]) => ({ label, run: m.run, evidence: await m.evidence.connect(urlOf(database)), database, publish: [] as number[] })));
    let report: Awaited<ReturnType<ClickHouseEvidence['publish']>> | undefined;
    for (let i = 0; i < runs; i++) {
      for (const t of connected) {
        if (report) for (const c of shardClients) await c.command({ query: `ALTER TABLE ${t.database}.snapshots DROP PARTITION '${report.snapshot}'` });
        const t1 = performance.now();
        report = await t.evidence.publish(store);
        t.publish.push((performance.now() - t1) / 1000);
        load.push(loadavg()[0]!);
      }
    }
    const publish = median(connected.at(-1)!.publish);
    const catalogue = loadRegions();
    const taxonomy = loadTaxonomy();
    const indicators: Record<string, { duckdbMs: number; clickhouseMs: number; ratio: number; baselineMs: number | null }> = {};
    console.log(`\nDuckDB (one process) and a ${connected[0]!.evidence.shardCount}-shard ClickHouse cluster on ${works.toLocaleString('en')} synthetic works (${report!.rows.work_institutions!.toLocaleString('en')} work × institution rows)`);
    console.log(`  ingest: DuckDB ${duckIngest.toFixed(1)} s (read, resolve, refresh); cluster ${(duckIngest + publish).toFixed(1)} s (the same, then publish ${publish.toFixed(1)} s): ${(duckIngest / (duckIngest + publish)).toFixed(2)}x`);
    for (const t of connected) console.log(`  publish, ${t.label}: median ${median(t.publish).toFixed(1)} s of ${t.publish.map((s) => s.toFixed(1)).join(', ')}`);
    if (connected.length > 1) console.log(`  publish this tree / baseline: ${(publish / median(connected[0]!.publish)).toFixed(3)}x`);
    console.log(`  indicators EU27AC–CN (median of ${runs} runs, ms): DuckDB / cluster (cluster ÷ DuckDB)${connected.length > 1 ? ' / cluster, baseline' : ''}`);
    for (const name of INDICATORS) {
      const request: IndicatorRequest = { name, regions: ['EU27AC', 'CN'], filters: NO_FILTERS, limit: 15, institution: null };
      const duckdbMs = await timed(runs, () => runIndicator(store, catalogue, taxonomy, request));
      const ms = [];
      for (const t of connected) ms.push(await timed(runs, () => t.run(t.evidence, catalogue, taxonomy, request)));
      const clickhouseMs = ms.at(-1)!;
      const baselineMs = ms.length > 1 ? ms[0]! : null;
      indicators[name] = { duckdbMs, clickhouseMs, ratio: clickhouseMs / duckdbMs, baselineMs };
      console.log(`    ${name.padEnd(18)} ${duckdbMs.toFixed(0).padStart(7)} ${clickhouseMs.toFixed(0).padStart(7)}  (${(clickhouseMs / duckdbMs).toFixed(2)}x)${baselineMs === null ? '' : ` ${baselineMs.toFixed(0).padStart(7)}`}`);
    }
    const update = await updateBench(store, resolver, registry, works, runs, out, connected.at(-1)!.evidence, urlOf, shardClients, load);
    load.push(loadavg()[0]!);
    const last = connected.at(-1)!.evidence;
    const bytes = await last.compressedBytes();
    console.log(
      `  on the cluster (compressed, all shards): ${Object.entries(bytes)
        .map(([t, n]) => `${t} ${(n / 1e6).toFixed(1)} MB`)
        .join(', ')}`,
    );
    console.log(`  load average (1 min) during the run: ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)}`);
    for (const t of connected) await t.evidence.close();
    return {
      bytes,
      works,
      shards: last.shardCount,
      rows: report!.rows,
      baseline: baseBin ? baseline : null,
      loadAverage: { min: Math.min(...load), max: Math.max(...load) },
      ingest: { duckdbSeconds: duckIngest, publishSeconds: publish, ratio: duckIngest / (duckIngest + publish), publishRuns: Object.fromEntries(connected.map((t) => [t.label, t.publish])) },
      indicators,
      update,
    };
  } finally {
    store.close();
    for (const c of shardClients) await c.close();
    await started.stop();
  }
}

/**
 * The publish of a 1% update (works given again changed: other affiliations, years, DOIs), each
 * run a new one, ingested, resolved and refreshed untimed; then published per snapshot (the
 * changed works sent, the rest copied on each shard from the snapshot the store last completed)
 * and, in turn on the same store, whole into a database of its own (whose current snapshot is
 * never the store's last, so each publish there sends everything).
 */
async function updateBench(store: Store, resolver: AffiliationResolver, registry: Institution[], works: number, runs: number, out: string, evidence: ClickHouseEvidence, urlOf: (database: string) => string, shardClients: ReturnType<typeof createClient>[], load: number[]) {
  const updated = Math.max(1, Math.round(works / 100));
  for (const c of shardClients) await c.command({ query: 'CREATE DATABASE IF NOT EXISTS derisk_bench_whole' });
  const whole = await ClickHouseEvidence.connect(urlOf('derisk_bench_whole'));
  // The runs above dropped the snapshot's row before each publish: published again, it is the one the store last completed.
  await evidence.publish(store);
  const seconds = { perSnapshot: [] as number[], whole: [] as number[] };
  let sent = 0;
  for (let i = 0; i < runs; i++) {
    const file = join(out, `openalex-update-${updated}-${i}.jsonl`);
    if (!existsSync(file)) await generateOpenAlex(file, updated, registry, 100 + i);
    await ingestWorks(store, 'openalex', file, { quarantineDir: join(out, 'clickhouse', 'quarantine') });
    await resolvePending(store, resolver);
    await refreshAnalytics(store);
    let t = performance.now();
    const report = await evidence.publish(store);
    seconds.perSnapshot.push((performance.now() - t) / 1000);
    if (report.touchedWorks === null) throw new Error(`the publish of update ${i} sent the whole store: no per-snapshot publish to measure`);
    sent = report.touchedWorks;
    load.push(loadavg()[0]!);
    t = performance.now();
    await whole.publish(store);
    seconds.whole.push((performance.now() - t) / 1000);
    load.push(loadavg()[0]!);
  }
  await whole.close();
  const [perSnapshot, all] = [median(seconds.perSnapshot), median(seconds.whole)];
  console.log(`  publish of a 1% update (${updated.toLocaleString('en')} works given again; ${sent.toLocaleString('en')} works sent), median of ${runs}, in turn:`);
  console.log(`    per snapshot ${perSnapshot.toFixed(1)} s (${seconds.perSnapshot.map((x) => x.toFixed(1)).join(', ')}), whole ${all.toFixed(1)} s (${seconds.whole.map((x) => x.toFixed(1)).join(', ')}): ${(perSnapshot / all).toFixed(3)}x`);
  return { updatedWorks: updated, sentWorks: sent, perSnapshotSeconds: seconds.perSnapshot, wholeSeconds: seconds.whole, ratio: perSnapshot / all };
}
