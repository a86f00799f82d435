import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import type { SourceName } from '../src/ingest/records.ts';
import { baselineBin } from './baseline.ts';

// Ingest as users run it: `derisk ingest KIND FILE` in a process of its own (reading on the
// worker thread, resolving, screening and refreshing), in a home whose store already holds the
// registry, beside DuckDB reading the same file and beside the same command of --baseline REV.

const BIN = fileURLToPath(new URL('../bin/derisk.js', import.meta.url));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Timing {
  total: number;
  read: number;
  resolve: number;
  refresh: number;
  rssMb: number;
}

export interface IngestRun {
  medianSeconds: number;
  readSeconds: number;
  resolveSeconds: number;
  refreshSeconds: number;
  mbPerSecond: number;
  /** The command's peak resident memory over its runs. */
  peakRssMb: number;
  /** Throughput against DuckDB's median. */
  ratio: number;
}

export interface IngestComparison {
  bytes: number;
  /** Every DuckDB time, in run order: under load they can differ by more than the ratio's margin. */
  duckdb: { medianSeconds: number; mbPerSecond: number; runs: number[] };
  /** By tree ('this tree', 'baseline REV'): a first load (empty resolution cache), and the same file into a new store with the cache the cold run filled. */
  trees: Record<string, { cold: IngestRun; warm: IngestRun }>;
  loadAverage: number[];
}

interface Tree {
  label: string;
  bin: string;
  /** A home whose store holds the registry, copied for each run. */
  template: string;
}

/**
 * A home with the registry loaded by the tree's own command, so that its store is of the tree's
 * schema, and with the matcher index the tree's code reads: the index is keyed by the code (and
 * data) it was built from, so a home kept from an earlier bench of other code would have every
 * ingest copied from it build the matcher again inside its resolve stage (about a minute of CPU
 * on the mirror's registry). Resolving one string builds and keeps it when it is not current.
 */
async function templateHome(bin: string, dir: string, registry: string): Promise<string> {
  if (!existsSync(join(dir, 'derisk.duckdb'))) {
    rmSync(dir, { recursive: true, force: true });
    const r = await runCli(bin, dir, ['ingest', 'ror', registry]);
    if (r.code !== 0) throw new Error(`${bin} ingest ror: exit ${r.code}: ${r.output.slice(-2000)}`);
  }
  const csv = join(dir, 'index-check.csv');
  writeFileSync(csv, 'affiliation\nTsinghua University, Beijing, China\n');
  const r = await runCli(bin, dir, ['resolve', csv, '--column', 'affiliation', '--out', join(dir, 'index-check.out.csv')]);
  if (r.code !== 0) throw new Error(`${bin} resolve: exit ${r.code}: ${r.output.slice(-2000)}`);
  return dir;
}

function runCli(bin: string, home: string, args: string[], onLine: (line: string, at: number) => void = () => undefined): Promise<{ code: number; output: string; seconds: number; rssMb: number }> {
  const started = performance.now();
  // GNU time prints the peak RSS (kB) as the last line of stderr.
  const child = spawn('/usr/bin/time', ['-f', 'maxrss %M', process.execPath, bin, ...args], { env: { ...process.env, DERISK_HOME: home, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let pending = '';
  const take = (chunk: Buffer) => {
    const at = performance.now();
    output += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const l of lines) onLine(l, at);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (code) => {
      const rss = /maxrss (\d+)/.exec(output);
      done({ code: code ?? 1, output, seconds: (performance.now() - started) / 1000, rssMb: rss ? Number(rss[1]) / 1024 : NaN });
    });
  });
}

/** One `derisk ingest` into a copy of the template home (with the resolution cache of `cacheFrom`, when given); the stages are timed by when their end is printed. */
async function ingestOnce(tree: Tree, kind: SourceName, file: string, home: string, cacheFrom: string | null, batchSize: number | undefined): Promise<Timing> {
  rmSync(home, { recursive: true, force: true });
  cpSync(tree.template, home, { recursive: true });
  const cache = (h: string) => join(h, 'derisk.duckdb.resolution-cache');
  if (cacheFrom && existsSync(cache(cacheFrom))) cpSync(cache(cacheFrom), cache(home), { recursive: true });
  const started = performance.now();
  const ends: Record<string, number> = {};
  const r = await runCli(tree.bin, home, ['ingest', kind, file, ...(batchSize ? ['--batch-size', String(batchSize)] : [])], (line, at) => {
    if (!line.startsWith('{')) return;
    const e = JSON.parse(line) as { progress?: string; finished?: boolean };
    if (!e.finished || !e.progress) return;
    const stage = e.progress.startsWith('reading') ? 'read' : e.progress.startsWith('resolving') ? 'resolve' : e.progress.startsWith('refreshing') ? 'refresh' : null;
    if (stage) ends[stage] = (at - started) / 1000;
  });
  if (r.code !== 0) throw new Error(`${tree.label}: derisk ingest ${kind} ${file}: exit ${r.code}: ${r.output.slice(-2000)}`);
  const read = ends.read ?? NaN;
  const resolved = ends.resolve ?? read;
  return { total: r.seconds, read, resolve: resolved - read, refresh: (ends.refresh ?? resolved) - resolved, rssMb: r.rssMb };
}

/** The baseline: DuckDB reading the same file itself and writing Parquet, no validation or resolution. */
async function duckDirect(out: string, select: string): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const target = join(out, 'duckdb-direct.parquet');
  const t = performance.now();
  await c.run(`COPY (${select}) TO '${target}' (FORMAT parquet)`);
  const seconds = (performance.now() - t) / 1000;
  c.closeSync();
  instance.closeSync();
  return seconds;
}

/** The trees to compare: this one, and --baseline REV's when given (built once under `out`). */
export async function ingestTrees(out: string, registry: string, baseline: string | undefined): Promise<Tree[]> {
  const trees: Tree[] = [{ label: 'this tree', bin: BIN, template: await templateHome(BIN, resolve(out, 'ingest-home-this'), registry) }];
  const base = baseline ? baselineBin(out, baseline) : null;
  if (base) trees.push({ label: `baseline ${baseline}`, bin: base, template: await templateHome(base, resolve(out, `ingest-home-${baseline}`), registry) });
  return trees;
}

/**
 * `keepStore`: a directory to leave this tree's store of its last cold run in as `bench.duckdb` (the indicator sections read it), and the baseline's as `bench-baseline.duckdb`.
 * `batchSize`: works per batch (derisk's --batch-size), so that a small file merges in many batches as a large one does.
 */
export async function compareIngest(out: string, trees: Tree[], kind: SourceName, path: string, duckSelect: string, runs: number, keepStore?: string, batchSize?: number): Promise<IngestComparison> {
  const bytes = statSync(path).size;
  const timings = new Map(trees.map((t) => [t.label, { cold: [] as Timing[], warm: [] as Timing[] }]));
  const duck: number[] = [];
  const load = [loadavg()[0]!];
  for (let i = 0; i < runs; i++) {
    // DuckDB runs before each round, and the trees take turns, so that none always runs on a warmer page cache.
    duck.push(await duckDirect(out, duckSelect));
    for (const [k, tree] of trees.entries()) {
      const cold = resolve(out, `ingest-run-${k}-cold`);
      timings.get(tree.label)!.cold.push(await ingestOnce(tree, kind, path, cold, null, batchSize));
    }
    duck.push(await duckDirect(out, duckSelect));
    for (const [k, tree] of trees.entries()) {
      timings.get(tree.label)!.warm.push(await ingestOnce(tree, kind, path, resolve(out, `ingest-run-${k}-warm`), resolve(out, `ingest-run-${k}-cold`), batchSize));
    }
    load.push(loadavg()[0]!);
  }
  if (keepStore) {
    rmSync(keepStore, { recursive: true, force: true });
    mkdirSync(keepStore, { recursive: true });
    cpSync(resolve(out, 'ingest-run-0-cold', 'derisk.duckdb'), join(keepStore, 'bench.duckdb'));
    // The baseline's store beside it, for bench/ingest-parity.ts.
    if (trees.length > 1) cpSync(resolve(out, 'ingest-run-1-cold', 'derisk.duckdb'), join(keepStore, 'bench-baseline.duckdb'));
  }
  for (const k of trees.keys()) for (const w of ['cold', 'warm']) rmSync(resolve(out, `ingest-run-${k}-${w}`), { recursive: true, force: true });
  const d = median(duck);
  const summary = (xs: Timing[]): IngestRun => {
    const total = median(xs.map((x) => x.total));
    return {
      medianSeconds: total,
      readSeconds: median(xs.map((x) => x.read)),
      resolveSeconds: median(xs.map((x) => x.resolve)),
      refreshSeconds: median(xs.map((x) => x.refresh)),
      mbPerSecond: bytes / 1e6 / total,
      peakRssMb: Math.max(...xs.map((x) => x.rssMb)),
      ratio: d / total,
    };
  };
  return {
    bytes,
    duckdb: { medianSeconds: d, mbPerSecond: bytes / 1e6 / d, runs: duck },
    trees: Object.fromEntries([...timings].map(([label, t]) => [label, { cold: summary(t.cold), warm: summary(t.warm) }])),
    loadAverage: load,
  };
}

export function printIngest(name: string, r: IngestComparison): void {
  const line = (label: string, x: IngestRun) =>
    `    ${label.padEnd(34)} ${x.medianSeconds.toFixed(2).padStart(7)} s (${x.mbPerSecond.toFixed(1)} MB/s; read ${x.readSeconds.toFixed(2)} s, resolve ${x.resolveSeconds.toFixed(2)} s, refresh ${x.refreshSeconds.toFixed(2)} s; peak RSS ${x.peakRssMb.toFixed(0)} MB) | ratio to DuckDB ${x.ratio.toFixed(3)}`;
  console.log(`  ${name}: ${(r.bytes / 1e6).toFixed(1)} MB — DuckDB direct ${r.duckdb.medianSeconds.toFixed(2)} s (${r.duckdb.mbPerSecond.toFixed(1)} MB/s; runs ${r.duckdb.runs.map((x) => x.toFixed(2)).join(', ')} s); load average ${r.loadAverage.map((x) => x.toFixed(1)).join(' → ')}`);
  for (const [label, t] of Object.entries(r.trees)) {
    console.log(line(`${label}, cold resolution cache`, t.cold));
    console.log(line(`${label}, warm resolution cache`, t.warm));
  }
}
