import { existsSync, readdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { listValue } from '@duckdb/node-api';
import { Assessor } from '../src/assessment/assessor.ts';
import { readCaseDocument } from '../src/assessment/case.ts';
import { loadBundle } from '../src/assessment/bundle.ts';
import type { Config } from '../src/config.ts';
import { refreshInstitutionListedCopubs, screeningContext } from '../src/screening/store.ts';
import { Store } from '../src/store/store.ts';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * p) - 1)]!;
const EXAMPLES = new URL('../examples/cases/', import.meta.url).pathname;

/** A 10M-work evidence store for assessment look-ups: real ROR ids, a fifth of rows from 200 large institutions. */
async function assessmentStore(out: string, works: number, ids: string[], partners: string[]): Promise<string> {
  const path = join(out, `assessment-${works}.duckdb`);
  if (existsSync(path)) return path;
  const t = performance.now();
  const store = await Store.open(path);
  const big = [...partners, ...ids.filter((id) => !partners.includes(id)).slice(0, 200 - partners.length)];
  // Institutions are picked by position in constant lists: no join over the generated rows.
  await store.run(
    `CREATE OR REPLACE TABLE work_institutions AS
    WITH l AS (SELECT $1::VARCHAR[] AS big, $2::VARCHAR[] AS pool),
    w AS (SELECT i AS n, 2011 + (hash(i) % 15)::INTEGER AS year, 1 + (hash(i * 7) % 5)::INTEGER AS k FROM range(${works}) t(i)),
    rows AS (SELECT n, year, unnest(range(k)) AS j FROM w),
    picked AS (SELECT n, year, hash(n * 31 + j) AS hsh FROM rows)
    SELECT DISTINCT 'w:' || n AS work_id, year,
      CASE WHEN hsh % 5 = 0 THEN l.big[1 + ((hsh // 5) % ${big.length})::INTEGER] ELSE l.pool[1 + (hsh % ${ids.length})::INTEGER] END AS ror_id,
      'CN' AS country_code, 'exact' AS tier, 1.0 AS weight, 1 AS authors
    FROM picked, l
    ORDER BY year`,
    [listValue(big), listValue(ids)],
  );
  await store.run('CREATE INDEX work_institutions_ror ON work_institutions (ror_id)');
  await store.run(`CREATE OR REPLACE TABLE works AS SELECT DISTINCT work_id, year FROM work_institutions`);
  await store.run(`CREATE OR REPLACE TABLE listed_affiliations AS
    SELECT work_id, year, CASE WHEN hash(work_id) % 3 = 0 THEN NULL ELSE ror_id END AS ror_id FROM work_institutions WHERE hash(work_id || ror_id) % 33 = 0 ORDER BY work_id`);
  await refreshInstitutionListedCopubs(store);
  store.close();
  console.log(`generated a ${works.toLocaleString('en')}-work assessment store in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  return path;
}

/**
 * Assessment latency, screening and evidence look-up included, on the real data (the demo store)
 * and on a 10M-work store; beside it, the screening of the parties alone.
 */
export async function assessmentBench(config: Config, out: string, runs: number) {
  if (!existsSync(config.storePath)) throw new Error(`no store at ${config.storePath}: run npm run demo first`);
  const real = await Store.open(config.storePath);
  const results: Record<string, unknown> = {};
  try {
    const screening = await screeningContext(real);
    const parts = { screening, bundle: loadBundle() };
    const cases = readdirSync(EXAMPLES)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => ({ file: f, doc: readCaseDocument(join(EXAMPLES, f)) }));
    const partnerIds = ['03cve4549', '01yqg2h08', '00a2xv884', '052gg0110', '02e2c7k09'];
    const ids = (await real.all<{ ror_id: string }>(`SELECT ror_id FROM institutions WHERE status = 'active' ORDER BY ror_id`)).map((r) => r.ror_id);
    const stores: [string, Store][] = [['real data (demo store)', real]];
    const big = await Store.open(await assessmentStore(out, 10_000_000, ids, partnerIds));
    stores.push(['10M works', big]);
    try {
      console.log(`\nAssessment latency (${runs * 10} runs of each of ${cases.length} example cases; screening, evidence look-up and rulebook included)`);
      for (const [label, store] of stores) {
        const assessor = new Assessor({ store, ...parts });
        const ms: number[] = [];
        const screenMs: number[] = [];
        for (const { doc } of cases) {
          const c = assessor.validate(doc);
          await assessor.run(c, '2026-11-22');
          for (let i = 0; i < runs * 10; i++) {
            let t = performance.now();
            await assessor.run(c, '2026-11-22');
            ms.push(performance.now() - t);
            t = performance.now();
            for (const p of c.partners) if (p.ror || p.name) p.ror ? screening.screener.screenRor(p.ror) : screening.screener.screen(p.name!);
            screenMs.push(performance.now() - t);
          }
        }
        console.log(`  ${label.padEnd(24)} median ${median(ms).toFixed(1)} ms, p95 ${pct(ms, 0.95).toFixed(1)} ms; screening the partners alone: median ${median(screenMs).toFixed(2)} ms`);
        results[label] = { median: median(ms), p95: pct(ms, 0.95), screeningMedian: median(screenMs), runs: ms.length };
      }
    } finally {
      big.close();
    }
  } finally {
    real.close();
  }
  return results;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

interface Phase {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** p99 per path, to see which route holds the tail. */
  byPath: Record<string, { requests: number; p99: number }>;
}

/** Closed-loop load: `connections` keep-alive connections each sending the next request as soon as the last is answered. */
export async function phase(port: number, token: string, seconds: number, connections: number, next: (i: number) => { method: string; path: string; body?: string; headers?: Record<string, string> }): Promise<Phase> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  const perPath = new Map<string, number[]>();
  let errors = 0;
  let i = 0;
  const end = Date.now() + seconds * 1000;
  const one = (r: { method: string; path: string; body?: string; headers?: Record<string, string> }) =>
    new Promise<number>((resolve) => {
      const req = request({ host: '127.0.0.1', port, method: r.method, path: r.path, agent, headers: { authorization: `Bearer ${token}`, ...r.headers, ...(r.body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(r.body) } : {}) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(0));
      req.end(r.body);
    });
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        const t = performance.now();
        const r = next(i++);
        const status = await one(r);
        const ms = performance.now() - t;
        latencies.push(ms);
        const list = perPath.get(r.path) ?? [];
        list.push(ms);
        perPath.set(r.path, list);
        // 304: a conditional request answered "not modified", as asked.
        if ((status < 200 || status >= 300) && status !== 304) errors++;
      }
    }),
  );
  agent.destroy();
  const byPath = Object.fromEntries([...perPath].map(([path, ms]) => [path, { requests: ms.length, p99: pct(ms, 0.99) }]));
  return { requests: latencies.length, rps: latencies.length / seconds, p50: median(latencies), p99: pct(latencies, 0.99), errors, byPath };
}

/**
 * Load on loopback against a `derisk serve` process (its own process, as deployed): read
 * endpoints, the assessment endpoint, and /health as the server's own ceiling, side by side.
 */
/**
 * A `derisk serve` process on a home, and an API token for it: the console's one-time code opens
 * a session, and the session makes the token the benchmark sends. `bin` runs another build of
 * derisk (a baseline's tree), with `env` added to its environment.
 */
export async function serveWithToken(home: string, label: string, bin = new URL('../bin/derisk.js', import.meta.url).pathname, env: Record<string, string> = {}): Promise<{ port: number; token: string; server: ChildProcess }> {
  const port = await freePort();
  // DERISK_BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it stops (node refuses --cpu-prof in NODE_OPTIONS).
  const profile = process.env.DERISK_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.DERISK_BENCH_CPU_PROF}`] : [];
  const server = spawn(process.execPath, [...profile, bin, 'serve', '--port', String(port)], { env: { ...process.env, ...env, DERISK_HOME: home }, stdio: ['ignore', 'pipe', 'inherit'] });
  const code = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk;
      const m = /#code=([A-Za-z0-9_-]+)/.exec(out);
      if (!m) return;
      // The server goes on printing; nobody needs it.
      server.stdout!.off('data', onData).resume();
      resolve(m[1]!);
    };
    server.stdout!.on('data', onData);
    server.once('exit', () => reject(new Error(`the server did not start: ${out}`)));
  });
  const login = await fetch(`http://127.0.0.1:${port}/api/login/code`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) });
  const session = { cookie: String(login.headers.get('set-cookie')).split(';')[0]!, 'x-csrf-token': ((await login.json()) as { csrf: string }).csrf };
  const { token } = (await (await fetch(`http://127.0.0.1:${port}/api/tokens`, { method: 'POST', headers: { ...session, 'content-type': 'application/json' }, body: JSON.stringify({ label }) })).json()) as { token: string };
  return { port, token, server };
}

export async function loadBench(config: Config, seconds: number, connections: number) {
  const { port, token, server } = await serveWithToken(config.home, 'load bench');
  const doc = JSON.stringify(readCaseDocument(join(EXAMPLES, 'joint-lab-hit.yaml')));
  const reads = [
    '/api/indicators/copubs?regions=EU27AC,CN',
    '/api/indicators/top-institutions?regions=EU27AC,CN',
    '/api/indicators/publications',
    '/api/screen?q=Harbin%20Institute%20of%20Technology',
    '/api/screen?q=Beijing%20University%20of%20Technology',
    '/api/regions',
    '/api/cases',
    '/api/fields',
  ];
  try {
    // Warm every route once (first answers compute and are kept).
    await phase(port, token, 2, 4, (i) => (i % 2 ? { method: 'GET', path: reads[i % reads.length]! } : { method: 'POST', path: '/api/assess', body: doc }));
    const results: Record<string, Phase> = {};
    console.log(`\nLoad on loopback: ${connections} connections, ${seconds} s per phase, server in its own process (2 cores shared with this client)`);
    for (const [name, next] of [
      ['health (ceiling)', () => ({ method: 'GET', path: '/health' })],
      ['reads (indicators, screening, cases)', (i: number) => ({ method: 'GET', path: reads[i % reads.length]! })],
      ['assessment (POST /api/assess)', () => ({ method: 'POST', path: '/api/assess', body: doc })],
    ] as const) {
      const r = await phase(port, token, seconds, connections, next);
      results[name] = r;
      console.log(`  ${name.padEnd(38)} ${r.rps.toFixed(0).padStart(6)} req/s   p50 ${r.p50.toFixed(1)} ms   p99 ${r.p99.toFixed(1)} ms   errors ${r.errors} of ${r.requests}`);
      if (Object.keys(r.byPath).length > 1) for (const [path, x] of Object.entries(r.byPath)) console.log(`      ${path.padEnd(60)} p99 ${x.p99.toFixed(1)} ms`);
    }
    const ceiling = results['health (ceiling)']!.rps;
    console.log(`  reads reach ${((100 * results['reads (indicators, screening, cases)']!.rps) / ceiling).toFixed(0)}% of the server's /health ceiling`);
    return results;
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}
