import { spawn, spawnSync } from 'node:child_process';
import { cpSync, createReadStream, createWriteStream, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { createGzip, gzipSync } from 'node:zlib';
import type { Config } from '../src/config.ts';
import { ingestRegistry } from '../src/ingest/registry.ts';
import type { Institution } from '../src/ingest/ror.ts';
import { catalogueLists } from '../src/cli/screening.ts';
import { saveLists } from '../src/screening/store.ts';
import { locate, sourceById } from '../src/sources.ts';
import { Store } from '../src/store/store.ts';
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

async function startServer(home: string): Promise<{ port: number; token: string; stop: () => Promise<void> }> {
  const { port, token, server } = await serveWithToken(home, 'stall bench');
  return {
    port,
    token,
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

/** The stage an instant fell in ("receive" before the first). */
const stageAt = (stages: Uploaded['stages'], at: number) => stages.filter((s) => s.at <= at).at(-1)?.stage ?? 'receive';

/**
 * Does the server keep answering while it ingests? A `derisk serve` process (its own process,
 * as deployed) gets uploads — 100k synthetic works, and the inputs the security review found
 * stalling it (1,000 records, 20 records with 100 KB affiliations, all-zero gzip of 8/16/32
 * MiB) — while /health is asked every 10 ms: its p50 and p99 during each upload, beside an idle
 * server's. The upload's works/s stands beside the same file ingested by `derisk ingest`.
 */
export async function stallBench(config: Config, registry: Institution[], out: string, works = 100_000) {
  const dir = join(out, 'stall');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const plain = join(out, `openalex-synthetic-${works}.jsonl`);
  if (!existsSync(plain)) await generateOpenAlex(plain, works, registry, 7);
  // Gzipped, as exports are sent: the plain file is larger than an upload may be.
  const big = `${plain}.gz`;
  if (!existsSync(big)) await pipeline(createReadStream(plain), createGzip(), createWriteStream(big));
  // The small inputs first: the large one holds their works, and records are deduplicated.
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
  inputs.push([`${works.toLocaleString('en')} synthetic works (gzip)`, big]);

  // A home with the registry and the published lists, so that uploads are resolved and screened.
  const template = join(dir, 'template');
  const store = await Store.open(join(template, 'derisk.duckdb'));
  await ingestRegistry(store, locate(config, sourceById('ror')));
  await saveLists(store, catalogueLists(config));
  store.close();
  const serverHome = join(dir, 'server');
  cpSync(template, serverHome, { recursive: true });

  const results: Record<string, unknown> = {};
  console.log(`\nThe server under uploads: /health every 10 ms during each upload (a derisk serve process; 2 cores shared with this client)`);
  const server = await startServer(serverHome);
  try {
    const idle = await sampleHealth(server.port, sleep(5_000));
    console.log(`  ${'idle server'.padEnd(36)} /health p50 ${idle.p50.toFixed(1)} ms  p99 ${idle.p99.toFixed(1)} ms  max ${idle.max.toFixed(1)} ms (${idle.samples} samples)`);
    results.idle = idle;
    for (const [label, file] of inputs) {
      const run = upload(server.port, server.token, file);
      const [health, r] = await Promise.all([sampleHealth(server.port, run), run]);
      const rate = r.kept / r.seconds;
      console.log(
        `  ${label.padEnd(36)} /health p50 ${health.p50.toFixed(1)} ms  p99 ${health.p99.toFixed(1)} ms  max ${health.max.toFixed(1)} ms (${health.samples} samples); upload ${r.seconds.toFixed(1)} s, ${r.refused ? `refused: ${r.refused}` : `${r.kept} kept, ${r.quarantined} quarantined`}${r.kept > 100 ? `, ${rate.toFixed(0)} works/s` : ''}`,
      );
      const stageSeconds = r.stages.map((st, i) => `${st.stage} ${(((r.stages[i + 1]?.at ?? r.endedAt) - st.at) / 1000).toFixed(1)} s`);
      if (r.kept > 100) console.log(`      stages: ${stageSeconds.join(', ')}; slowest /health answers: ${health.slowest.map((x) => `${x.ms.toFixed(0)} ms (${stageAt(r.stages, x.at)})`).join(', ')}`);
      results[label] = { health, upload: { ...r, worksPerSecond: rate } };
    }
  } finally {
    await server.stop();
  }

  // The same file through the command line (the shared base: its refresh covers the whole store).
  const cliHome = join(dir, 'cli');
  cpSync(template, cliHome, { recursive: true });
  const t = performance.now();
  const cli = spawnSync(process.execPath, [BIN, 'ingest', 'openalex', big], { env: { ...process.env, DERISK_HOME: cliHome, CI: '1' }, encoding: 'utf8' });
  if (cli.status !== 0 && cli.status !== 3) throw new Error(`derisk ingest failed: ${cli.stderr}`);
  const cliSeconds = (performance.now() - t) / 1000;
  const kept = Number(/(\d+) records kept/.exec(cli.stdout)?.[1] ?? 0);
  const uploaded = results[inputs.at(-1)![0]] as { upload: { worksPerSecond: number } };
  console.log(`  derisk ingest (CLI) of the same ${works.toLocaleString('en')} works: ${cliSeconds.toFixed(1)} s, ${(kept / cliSeconds).toFixed(0)} works/s (process start included); upload/CLI throughput ratio ${(uploaded.upload.worksPerSecond / (kept / cliSeconds)).toFixed(2)}`);
  results.cli = { seconds: cliSeconds, kept, worksPerSecond: kept / cliSeconds };
  return results;
}
