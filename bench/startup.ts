import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONTROL_FILE } from '../src/cli/control-file.ts';
import type { Config } from '../src/config.ts';
import { baselineBin } from './baseline.ts';

const BIN = fileURLToPath(new URL('../bin/derisk.js', import.meta.url));
const PHASES = fileURLToPath(new URL('./startup-phases.js', import.meta.url));
// Reports the process's own CPU time on exit (through fd 3), so a busy machine's waiting is left out.
const CPU_REPORT = `data:text/javascript,${encodeURIComponent("import{writeSync}from'node:fs';process.on('exit',()=>{const u=process.cpuUsage();try{writeSync(3,JSON.stringify(u))}catch{}})")}`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** One run of a command in a new process: wall time from spawn to exit, and the process's CPU time. */
function time(args: string[], env: NodeJS.ProcessEnv): Promise<Timing & { stdout: string; status: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', CPU_REPORT, ...args], { env, stdio: ['ignore', 'pipe', 'ignore', 'pipe'] });
    let stdout = '';
    let cpu = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stdio[3]!.on('data', (d) => (cpu += d));
    child.on('error', reject);
    child.on('close', (status) => {
      const wallMs = performance.now() - started;
      const u = JSON.parse(cpu || '{"user":0,"system":0}') as { user: number; system: number };
      resolve({ wallMs, cpuMs: (u.user + u.system) / 1000, stdout, status });
    });
  });
}

/**
 * The CLI before round 8's start-up work: `derisk screen` loaded TypeBox (683 modules) for the list
 * catalogue's and the regions' schemas, and every list reader. Another revision with --baseline REV.
 */
export const STARTUP_BASELINE = '4f89994';

/**
 * Start-up: the CLI's commands as a user runs them, each a new process, beside `node -e ''` (the
 * floor no Node program goes under) and beside the same command of the baseline revision, run in
 * turn with this tree's on a copy of the demo home; medians over repeated runs, like hyperfine.
 * Then where `derisk screen` and `derisk brief` spend their time, step by step, on the demo store.
 */
export async function startupBench(config: Config, runs: number, out: string, baseline = STARTUP_BASELINE) {
  if (!existsSync(config.storePath)) throw new Error(`no store at ${config.storePath}: run npm run demo first`);
  if (!existsSync(new URL('../dist/cli/main.js', import.meta.url))) throw new Error('the CLI is not built: npm run build');
  const env = { ...process.env, DERISK_HOME: config.home, CI: '1' };
  const baselineCli = baselineBin(out, baseline);
  // The baseline answers from a home of its own: a screening index kept by one revision is rebuilt by the other.
  const baselineHome = join(out, 'startup-baseline-home');
  if (baselineCli) {
    rmSync(baselineHome, { recursive: true, force: true });
    cpSync(config.home, baselineHome, { recursive: true, filter: (f) => !f.endsWith('.screening-index') && !f.endsWith(CONTROL_FILE) });
  }
  // The baseline's tree has no mirror beside it: it reads this one's.
  const baselineEnv = { ...env, DERISK_HOME: baselineHome, DERISK_MIRROR: config.mirror };
  const light = Math.max(10, runs);
  const heavy = Math.max(3, runs);
  // Each with the arguments after the CLI, and the exit code it answers with: a listed name exits 10 (SCREEN_EXIT).
  const commands: [string, string[] | null, number, number][] = [
    ["node -e ''", null, light, 0],
    ['derisk --help', ['--help'], light, 0],
    ['derisk lists', ['lists'], light, 0],
    ['derisk screen "Harbin Institute of Technology"', ['screen', 'Harbin Institute of Technology'], heavy, 10],
    ['derisk brief "Harbin Engineering University"', ['brief', 'Harbin Engineering University'], heavy, 0],
  ];
  // The first screen of each tree keeps its screening index when none is kept: not counted.
  for (const [cli, cliEnv] of [[BIN, env], ...(baselineCli ? [[baselineCli, baselineEnv] as const] : [])] as const) await time([cli, 'screen', 'Harbin Institute of Technology'], cliEnv);
  const results: Record<string, { runs: number; wallMs: number; cpuMs: number; ratioToNode: number; baseline: { rev: string; wallMs: number; cpuMs: number; ratio: number } | null }> = {};
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(', ');
  console.log(`\nStart-up on the demo store (${config.home}): median of repeated runs, each a new process, this tree's and the baseline's (${baselineCli ? baseline : 'none'}) in turn; CPU = the process's user + system time; load average ${load()}`);
  console.log(`  command                                          runs   wall ms    CPU ms   CPU × node -e   baseline CPU ms   CPU × baseline`);
  let floor = 0;
  for (const [label, args, n, status] of commands) {
    const timings: Timing[] = [];
    const before: Timing[] = [];
    for (let i = 0; i < n; i++) {
      for (const [cli, cliEnv, into] of [[BIN, env, timings], ...(args && baselineCli ? [[baselineCli, baselineEnv, before] as const] : [])] as const) {
        const r = await time(args ? [cli, ...args] : ['-e', ''], cliEnv);
        if (r.status !== status) throw new Error(`${label}${cli === BIN ? '' : ` (baseline ${baseline})`} exited with ${r.status}`);
        into.push(r);
      }
    }
    const wallMs = median(timings.map((t) => t.wallMs));
    const cpuMs = median(timings.map((t) => t.cpuMs));
    if (!args) floor = cpuMs;
    const base = before.length ? { rev: baseline, wallMs: median(before.map((t) => t.wallMs)), cpuMs: median(before.map((t) => t.cpuMs)), ratio: 0 } : null;
    if (base) base.ratio = cpuMs / base.cpuMs;
    results[label] = { runs: n, wallMs, cpuMs, ratioToNode: cpuMs / floor, baseline: base };
    console.log(`  ${label.padEnd(48)} ${String(n).padStart(4)}  ${wallMs.toFixed(0).padStart(8)}  ${cpuMs.toFixed(0).padStart(8)}  ${(cpuMs / floor).toFixed(1).padStart(14)}  ${base ? `${base.cpuMs.toFixed(0).padStart(16)}  ${base.ratio.toFixed(2).padStart(15)}` : ''}`);
  }
  console.log(`  (load average after: ${load()})`);
  // The same read beside a running server: the command goes through its console link (the store is
  // the server's), so the client's CPU is small and the wall time is what the user waits.
  const copubs = [BIN, 'indicators', 'copubs', '--regions', 'EU27AC,CN'];
  const beside: Record<string, { runs: number; wallMs: number; cpuMs: number }> = {};
  if (!existsSync(join(config.home, CONTROL_FILE))) {
    for (const [label, running] of [
      ['derisk indicators copubs (store opened)', false],
      ['derisk indicators copubs (beside derisk serve)', true],
    ] as const) {
      const server = running ? await startServer(env) : null;
      try {
        const timings: Timing[] = [];
        for (let i = 0; i < light; i++) {
          const r = await time(copubs, env);
          if (r.status !== 0) throw new Error(`${label} exited with ${r.status}`);
          timings.push(r);
        }
        beside[label] = { runs: light, wallMs: median(timings.map((t) => t.wallMs)), cpuMs: median(timings.map((t) => t.cpuMs)) };
        console.log(`  ${label.padEnd(48)} ${String(light).padStart(4)}  ${beside[label]!.wallMs.toFixed(0).padStart(8)}  ${beside[label]!.cpuMs.toFixed(0).padStart(8)}  ${(beside[label]!.cpuMs / floor).toFixed(1).padStart(12)}`);
      } finally {
        if (server) {
          server.kill('SIGTERM');
          await once(server, 'exit');
        }
      }
    }
  } else console.log('  (a derisk serve runs on the demo store: the comparison with and without it is left out)');
  // A screen answers without opening the store only once a screen noted what it holds, with the
  // store's file settled (src/screening/kept.ts): the server above wrote to it.
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  await time([BIN, 'screen', 'Harbin Institute of Technology'], env);
  const phases: Record<string, Record<string, number>> = {};
  for (const [command, name] of [
    ['screen', 'Harbin Institute of Technology'],
    ['brief', 'Harbin Engineering University'],
  ] as const) {
    const samples: Record<string, number>[] = [];
    for (let i = 0; i < heavy; i++) {
      const r = await time([PHASES, command, name], env);
      if (r.status !== 0) throw new Error(`bench/startup-phases.js ${command} exited with ${r.status}`);
      samples.push(JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, number>);
    }
    phases[command] = Object.fromEntries(Object.keys(samples[0]!).map((k) => [k, median(samples.map((s) => s[k]!))]));
    const total = Object.values(phases[command]!).reduce((a, b) => a + b, 0);
    console.log(`\n  where derisk ${command} spends its time (median of ${heavy} runs, in-process wall ms):`);
    for (const [k, v] of Object.entries(phases[command]!)) console.log(`    ${k.padEnd(46)} ${v.toFixed(0).padStart(7)}  ${((100 * v) / total).toFixed(0).padStart(3)}%`);
  }
  return { baseline: baselineCli ? baseline : null, loadAverage: loadavg(), commands: results, beside, phases };
}

/** `derisk serve` on the demo store, once it listens. */
async function startServer(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const server = spawn(process.execPath, [BIN, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  for await (const chunk of server.stdout!) {
    out += chunk;
    if (/open http:/.test(out)) return server;
  }
  throw new Error(`derisk serve did not start: ${out}`);
}
