import { existsSync, mkdirSync, rmSync } from 'node:fs';
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

/**
 * DuckDB (one process) beside a 2-shard ClickHouse cluster on this machine for the same synthetic
 * works: ingest (DuckDB: read, resolve, refresh; the cluster: the same, then publish) and each
 * indicator (EU27AC–CN, no filters). The cluster is DERISK_EVIDENCE_URL when
 * set, else two clickhouse-server processes started here on loopback (Debian's 18.16).
 */
export async function clickhouseBench(config: Config, registry: Institution[], works: number, runs: number, out: string) {
  const file = join(out, `openalex-synthetic-${works}.jsonl`);
  if (!existsSync(file)) await generateOpenAlex(file, works, registry);
  const dir = join(out, 'clickhouse');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const store = await Store.open(join(dir, 'bench.duckdb'));
  await ingestRegistry(store, locate(config, sourceById('ror')));
  const t0 = performance.now();
  await ingestWorks(store, 'openalex', file, { quarantineDir: join(dir, 'quarantine') });
  await resolvePending(store, new AffiliationResolver(registry));
  await refreshAnalytics(store);
  const duckIngest = (performance.now() - t0) / 1000;

  const started = process.env.DERISK_EVIDENCE_URL ? null : await startClickHouseCluster('derisk_bench');
  const url = process.env.DERISK_EVIDENCE_URL ?? `${started!.url}&shards=${started!.httpPorts.map((p) => `127.0.0.1:${p}`).join(',')}`;
  try {
    const evidence = await ClickHouseEvidence.connect(url);
    const t1 = performance.now();
    const report = await evidence.publish(store);
    const publish = (performance.now() - t1) / 1000;
    const catalogue = loadRegions();
    const taxonomy = loadTaxonomy();
    const indicators: Record<string, { duckdbMs: number; clickhouseMs: number; ratio: number }> = {};
    console.log(`\nDuckDB (one process) and a ${evidence.shardCount}-shard ClickHouse cluster on ${works.toLocaleString('en')} synthetic works (${report.rows.work_institutions!.toLocaleString('en')} work × institution rows)`);
    console.log(`  ingest: DuckDB ${duckIngest.toFixed(1)} s (read, resolve, refresh); cluster ${(duckIngest + publish).toFixed(1)} s (the same, then publish ${publish.toFixed(1)} s): ${(duckIngest / (duckIngest + publish)).toFixed(2)}x`);
    console.log(`  indicators EU27AC–CN (median of ${runs} runs, ms): DuckDB / cluster (cluster ÷ DuckDB)`);
    for (const name of INDICATORS) {
      const request: IndicatorRequest = { name, regions: ['EU27AC', 'CN'], filters: NO_FILTERS, limit: 15, institution: null };
      const duckdbMs = await timed(runs, () => runIndicator(store, catalogue, taxonomy, request));
      const clickhouseMs = await timed(runs, () => runClickHouseIndicator(evidence, catalogue, taxonomy, request));
      indicators[name] = { duckdbMs, clickhouseMs, ratio: clickhouseMs / duckdbMs };
      console.log(`    ${name.padEnd(18)} ${duckdbMs.toFixed(0).padStart(7)} ${clickhouseMs.toFixed(0).padStart(7)}  (${(clickhouseMs / duckdbMs).toFixed(2)}x)`);
    }
    const bytes = await evidence.compressedBytes();
    console.log(
      `  on the cluster (compressed, all shards): ${Object.entries(bytes)
        .map(([t, n]) => `${t} ${(n / 1e6).toFixed(1)} MB`)
        .join(', ')}`,
    );
    await evidence.close();
    return {
      bytes,
      works,
      shards: evidence.shardCount,
      rows: report.rows,
      ingest: { duckdbSeconds: duckIngest, publishSeconds: publish, ratio: duckIngest / (duckIngest + publish) },
      indicators,
    };
  } finally {
    store.close();
    await started?.stop();
  }
}
