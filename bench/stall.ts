import { spawn, spawnSync } from 'node:child_process';
import { cpSync, createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createGzip, gzipSync } from 'node:zlib';
import type { Config } from '../src/config.ts';
import { ingestRegistry } from '../src/ingest/registry.ts';
import type { Institution } from '../src/ingest/ror.ts';
import { catalogueLists } from '../src/screening/lists.ts';
import { saveLists } from '../src/screening/store.ts';
import { locate, sourceById } from '../src/sources.ts';
import { Store } from '../src/store/store.ts';
import { baselineBin } from './baseline.ts';
import { generateOpenAlex } from './generate-openalex.ts';
import { serveWithToken } from './service.ts';

const BIN = new URL('../bin/derisk.js', import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Health {
  samples: number;
  p50: number;
  p99: number;
  max: number;
  /** When the slowest answers came (ms since the epoch), to tell which stage they fell in. */
  slowest: { at: number; ms: number }[];
}

// The sampler runs in a process of its own: a pause of this process (its collector, the
// registry it holds) must not count as the server's.
const SAMPLER = `
const { request, Agent } = require('node:http');
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const port = Number(process.argv[1]);
const ms = []; const slow = []; let done = false;
process.stdin.on('end', () => (done = true)); process.stdin.resume();
(async () => {
  while (!done) {
    const t = performance.now();
    await new Promise((resolve) => { const req = request({ host: '127.0.0.1', port, path: '/health', agent }, (res) => { res.resume(); res.on('end', resolve); }); req.on('error', resolve); req.end(); });
    const d = performance.now() - t; ms.push(d); slow.push({ at: Date.now(), ms: d });
    if (slow.length > 20) { slow.sort((a, b) => b.ms - a.ms); slow.length = 10; }
    await new Promise((r) => setTimeout(r, 10));
  }
  ms.sort((a, b) => a - b);
  const pct = (p) => ms[Math.min(ms.length - 1, Math.ceil(ms.length * p) - 1)];
  process.stdout.write(JSON.stringify({ samples: ms.length, p50: pct(0.5), p99: pct(0.99), max: ms[ms.length - 1], slowest: slow.sort((a, b) => b.ms - a.ms).slice(0, 5) }));
  agent.destroy();
})();`;

/** /health asked every 10 ms, one request in flight at a time, until `until` settles. */
async function sampleHealth(port: number, until: Promise<unknown>): Promise<Health> {
  const sampler = spawn(process.execPath, ['-e', SAMPLER, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  sampler.stdout!.on('data', (d) => (out += d));
  await until.catch(() => undefined);
  sampler.stdin!.end();
  await new Promise((r) => sampler.once('exit', r));
  return JSON.parse(out) as Health;
}

// CPU time (user + system, s) from /proc: the machine is shared, so wall time alone says little.
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;
const cpuOf = (stat: string, from: number) => {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[from]) + Number(fields[from + 1])) / TICKS;
};
/** A process's own CPU time so far. */
const processCpuSeconds = (pid: number) => cpuOf(readFileSync(`/proc/${pid}/stat`, 'utf8'), 11);
/** The CPU time of this process's children that ended and were waited for. */
const childrenCpuSeconds = () => cpuOf(readFileSync('/proc/self/stat', 'utf8'), 13);

async function startServer(home: string, bin?: string, env?: Record<string, string>): Promise<{ port: number; token: string; cpuSeconds: () => number; stop: () => Promise<void> }> {
  const { port, token, server } = await serveWithToken(home, 'stall bench', bin, env);
  return {
    port,
    token,
    cpuSeconds: () => processCpuSeconds(server.pid!),
    stop: async () => {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    },
  };
}

const call = (port: number, token: string, method: string, path: string, body?: { file: string; type: string }) =>
  new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { authorization: `Bearer ${token}`, prefer: 'respond-async', ...(body ? { 'content-type': body.type, 'content-length': statSync(body.file).size } : {}) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text || '{}') }));
    });
    req.on('error', reject);
    if (body) createReadStream(body.file).pipe(req);
    else req.end();
  });

interface Uploaded {
  seconds: number;
  kept: number;
  quarantined: number;
  /** When each stage began, and when the job was seen done (ms since the epoch). */
  stages: { stage: string; at: number }[];
  endedAt: number;
  /** Why the server refused the file whole (a 422), when it did: an all-zero file is binary, not an export. */
  refused: string | null;
}

/** Uploads a file as the server's admin (into its organisation's evidence) and polls its job to the end. */
async function upload(port: number, token: string, file: string): Promise<Uploaded> {
  const t = performance.now();
  const started = await call(port, token, 'POST', '/api/uploads?kind=openalex', { file, type: 'application/octet-stream' });
  if (started.status !== 202) throw new Error(`upload answered ${started.status}: ${JSON.stringify(started.json)}`);
  for (;;) {
    await sleep(250);
    const job = (await call(port, token, 'GET', String(started.json.poll))).json as { status: string; result: { kept: number; quarantined: number } | null; error: unknown; events: { type: string; stage?: string; at: string }[] };
    if (job.status === 'failed') {
      const error = job.error as { status?: number; message?: string } | null;
      if (error?.status !== 422) throw new Error(`upload failed: ${JSON.stringify(job.error)}`);
      return { seconds: (performance.now() - t) / 1000, kept: 0, quarantined: 0, stages: [], endedAt: Date.now(), refused: error.message ?? 'refused' };
    }
    if (job.status === 'done') {
      const stages = job.events.filter((e) => e.type === 'stage').map((e) => ({ stage: e.stage!, at: Date.parse(e.at) }));
      return { seconds: (performance.now() - t) / 1000, kept: job.result!.kept, quarantined: job.result!.quarantined, stages, endedAt: Date.now(), refused: null };
    }
  }
}

/**
 * The server as it was before resolve and screen wrote their rows through `insertColumns`:
 * appenders flushed on the server's thread (755 ms of it in resolve, 616 ms in screen, for a
 * 100k-work upload). Another revision with --baseline REV.
 */
export const APPENDER_BASELINE = '10b7df5';

/** What building a home takes, from one revision's code: this tree's, or a baseline's compiled `dist/`. */
interface TreeModules {
  Store: { open(path: string): Promise<{ close(): void }> };
  ingestRegistry(store: unknown, path: string): Promise<unknown>;
  saveLists(store: unknown, lists: unknown[]): Promise<unknown>;
  catalogueLists(config: Config): unknown[];
  locate(config: Config, source: unknown): string;
  sourceById(id: string): unknown;
}

const thisTreeModules = { Store, ingestRegistry, saveLists, catalogueLists, locate, sourceById } as unknown as TreeModules;

/** A baseline's modules; `catalogueLists` moved from the CLI to the screening core after 10b7df5. */
async function treeModules(dist: string): Promise<TreeModules> {
  const load = (path: string) => import(pathToFileURL(join(dist, path)).href) as Promise<Record<string, unknown>>;
  const [store, registry, lists, listStore, sources, cliScreening] = await Promise.all([load('store/store.js'), load('ingest/registry.js'), load('screening/lists.js'), load('screening/store.js'), load('sources.js'), load('cli/screening.js')]);
  return { Store: store.Store, ingestRegistry: registry.ingestRegistry, saveLists: listStore.saveLists, catalogueLists: lists.catalogueLists ?? cliScreening.catalogueLists, locate: sources.locate, sourceById: sources.sourceById } as TreeModules;
}

/** A home with the registry and the published lists, so that uploads are resolved and screened. */
async function buildTemplate(home: string, config: Config, code: TreeModules) {
  const store = await code.Store.open(join(home, 'derisk.duckdb'));
  await code.ingestRegistry(store, code.locate(config, code.sourceById('ror')));
  await code.saveLists(store, code.catalogueLists(config));
  store.close();
}

/** The stage an instant fell in ("receive" before the first). */
const stageAt = (stages: Uploaded['stages'], at: number) => stages.filter((s) => s.at <= at).at(-1)?.stage ?? 'receive';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** One upload to a fresh server on a copy of `template`, /health sampled meanwhile. */
async function uploadWhileSampled(template: string, home: string, file: string, bin?: string, env?: Record<string, string>) {
  rmSync(home, { recursive: true, force: true });
  cpSync(template, home, { recursive: true });
  const server = await startServer(home, bin, env);
  try {
    const cpu = server.cpuSeconds();
    const run = upload(server.port, server.token, file);
    const [health, r] = await Promise.all([sampleHealth(server.port, run), run]);
    return { health, upload: { ...r, worksPerSecond: r.kept / r.seconds, serverCpuSeconds: server.cpuSeconds() - cpu } };
  } finally {
    await server.stop();
  }
}

const healthLine = (h: Pick<Health, 'p50' | 'p99' | 'max'>) => `/health p50 ${h.p50.toFixed(1)} ms  p99 ${h.p99.toFixed(1)} ms  max ${h.max.toFixed(1)} ms`;

/**
 * Does the server keep answering while it ingests? A `derisk serve` process (its own process,
 * as deployed) gets uploads — the inputs the security review found stalling it (1,000 records,
 * 20 records with 100 KB affiliations, all-zero gzip of 8/16/32 MiB), then 100k synthetic works
 * `runs` times, each to a fresh server, beside the baseline's server (APPENDER_BASELINE) on the
 * same file in turn — while /health is asked every 10 ms: p50, p99 and max during each upload
 * (medians over runs), beside an idle server's. The upload's works/s stands beside the same
 * file ingested by `derisk ingest`.
 */
export async function stallBench(config: Config, registry: Institution[], out: string, works = 100_000, runs = 3, baseline = APPENDER_BASELINE) {
  const dir = join(out, 'stall');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const plain = join(out, `openalex-synthetic-${works}.jsonl`);
  if (!existsSync(plain)) await generateOpenAlex(plain, works, registry, 7);
  // Gzipped, as exports are sent: the plain file is larger than an upload may be.
  const big = `${plain}.gz`;
  if (!existsSync(big)) await pipeline(createReadStream(plain), createGzip(), createWriteStream(big));
  const inputs: [string, string][] = [];
  const small = join(dir, 'thousand.jsonl');
  await generateOpenAlex(small, 1_000, registry, 11);
  inputs.push(['1,000 synthetic works', small]);
  const longAffs = join(dir, 'long-affiliations.jsonl');
  const long = `Department of ${'Very '.repeat(20_000)}Long Names, KU Leuven, Leuven, Belgium`;
  writeFileSync(longAffs, Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: `https://openalex.org/W${i + 1}`, publication_year: 2023, authorships: [{ raw_affiliation_strings: [long] }] })).join('\n'));
  inputs.push(['20 records, 100 KB affiliations', longAffs]);
  for (const mib of [8, 16, 32]) {
    const zeros = join(dir, `zeros-${mib}.jsonl.gz`);
    writeFileSync(zeros, gzipSync(Buffer.alloc(mib << 20)));
    inputs.push([`all-zero gzip, ${mib} MiB`, zeros]);
  }

  const template = join(dir, 'template');
  await buildTemplate(template, config, thisTreeModules);
  const serverHome = join(dir, 'server');
  cpSync(template, serverHome, { recursive: true });

  const results: Record<string, unknown> = {};
  console.log(`\nThe server under uploads: /health every 10 ms during each upload (a derisk serve process; 2 cores shared with this client)`);
  const server = await startServer(serverHome);
  try {
    const idle = await sampleHealth(server.port, sleep(5_000));
    console.log(`  ${'idle server'.padEnd(36)} ${healthLine(idle)} (${idle.samples} samples)`);
    results.idle = idle;
    for (const [label, file] of inputs) {
      const run = upload(server.port, server.token, file);
      const [health, r] = await Promise.all([sampleHealth(server.port, run), run]);
      console.log(`  ${label.padEnd(36)} ${healthLine(health)} (${health.samples} samples); upload ${r.seconds.toFixed(1)} s, ${r.refused ? `refused: ${r.refused}` : `${r.kept} kept, ${r.quarantined} quarantined`}`);
      results[label] = { health, upload: r };
    }
  } finally {
    await server.stop();
  }
  // The screening index the first upload built, kept for the fresh servers below: built anew by
  // each, it would take most of every run.
  const index = join(serverHome, 'derisk.duckdb.screening-index');
  if (existsSync(index)) cpSync(index, join(template, 'derisk.duckdb.screening-index'));

  // The large upload, each run to a fresh server: the baseline's, then this tree's.
  const baselineBuild = baselineBin(out, baseline);
  // The baseline's server gets a home its own code built: a store from this tree's schema is not
  // one an older revision can write to (a column's type changed since 10b7df5).
  const baselineTemplate = join(dir, `template-${baseline}`);
  if (baselineBuild) await buildTemplate(baselineTemplate, config, await treeModules(join(dirname(dirname(baselineBuild)), 'dist')));
  const baselineLabel = `baseline ${baseline}`;
  const paths = [...(baselineBuild ? [[baselineLabel, baselineBuild, baselineTemplate] as const] : []), ['this tree', undefined, template] as const];
  const large: Record<string, Awaited<ReturnType<typeof uploadWhileSampled>>[]> = Object.fromEntries(paths.map(([label]) => [label, []]));
  console.log(`\n  ${works.toLocaleString('en')} synthetic works (gzip), ${runs} runs, each to a fresh server`);
  for (let i = 0; i < runs; i++) {
    for (const [label, bin, home] of paths) {
      // The baseline's tree has no mirror beside it: it reads this one's.
      const r = await uploadWhileSampled(home, join(dir, 'large'), big, bin, { DERISK_MIRROR: config.mirror });
      large[label]!.push(r);
      const u = r.upload;
      const stageSeconds = u.stages.map((st, j) => `${st.stage} ${(((u.stages[j + 1]?.at ?? u.endedAt) - st.at) / 1000).toFixed(1)} s`);
      console.log(`    ${label.padEnd(30)} run ${i + 1}: ${healthLine(r.health)} (${r.health.samples} samples); ${u.kept} kept, ${u.worksPerSecond.toFixed(0)} works/s, server ${u.serverCpuSeconds.toFixed(1)} s CPU`);
      console.log(`      stages: ${stageSeconds.join(', ')}; slowest /health answers: ${r.health.slowest.map((x) => `${x.ms.toFixed(0)} ms (${stageAt(u.stages, x.at)})`).join(', ')}`);
    }
  }
  const medians = Object.fromEntries(
    Object.entries(large).map(([label, rs]) => [
      label,
      { p50: median(rs.map((r) => r.health.p50)), p99: median(rs.map((r) => r.health.p99)), max: median(rs.map((r) => r.health.max)), worksPerSecond: median(rs.map((r) => r.upload.worksPerSecond)), serverCpuSeconds: median(rs.map((r) => r.upload.serverCpuSeconds)), runs: rs },
    ]),
  );
  for (const [label, m] of Object.entries(medians)) console.log(`    ${`median, ${label}`.padEnd(38)} ${healthLine(m)}; ${m.worksPerSecond.toFixed(0)} works/s, server ${m.serverCpuSeconds.toFixed(1)} s CPU`);
  const current = medians['this tree']!;
  const before = baselineBuild ? medians[baselineLabel]! : null;
  if (before)
    console.log(
      `    this tree / baseline: /health p50 ×${(current.p50 / before.p50).toFixed(2)}, p99 ×${(current.p99 / before.p99).toFixed(2)}, max ×${(current.max / before.max).toFixed(2)}; works/s ×${(current.worksPerSecond / before.worksPerSecond).toFixed(2)}, server CPU ×${(current.serverCpuSeconds / before.serverCpuSeconds).toFixed(2)}`,
    );
  results.large = { works, baseline: before ? baseline : null, medians };

  // The same file through the command line (the shared base: its refresh covers the whole store).
  const cliHome = join(dir, 'cli');
  cpSync(template, cliHome, { recursive: true });
  const t = performance.now();
  const cliCpu = childrenCpuSeconds();
  const cli = spawnSync(process.execPath, [BIN, 'ingest', 'openalex', big], { env: { ...process.env, DERISK_HOME: cliHome, CI: '1' }, encoding: 'utf8' });
  if (cli.status !== 0 && cli.status !== 3) throw new Error(`derisk ingest failed: ${cli.stderr}`);
  const cliSeconds = (performance.now() - t) / 1000;
  const cliCpuSeconds = childrenCpuSeconds() - cliCpu;
  const kept = Number(/(\d+) records kept/.exec(cli.stdout)?.[1] ?? 0);
  console.log(
    `  derisk ingest (CLI) of the same ${works.toLocaleString('en')} works: ${cliSeconds.toFixed(1)} s, ${(kept / cliSeconds).toFixed(0)} works/s (process start included), ${cliCpuSeconds.toFixed(1)} s CPU; upload/CLI throughput ratio ${(current.worksPerSecond / (kept / cliSeconds)).toFixed(2)}`,
  );
  results.cli = { seconds: cliSeconds, cpuSeconds: cliCpuSeconds, kept, worksPerSecond: kept / cliSeconds };
  return results;
}
