import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Config } from '../src/config.ts';
import { ingestWorks } from '../src/ingest/pipeline.ts';
import { locate, SOURCES } from '../src/sources.ts';
import { EVIDENCE_STRINGS, Store } from '../src/store/store.ts';
import { baselineBin } from './baseline.ts';

const CHILD = fileURLToPath(new URL('./screen-strings.js', import.meta.url));
const THIS_TREE = fileURLToPath(new URL('../dist', import.meta.url));

/** Before round 9's subsidiary and one-word-alias rules: the demo screened its strings in 9.7 s. */
export const SCREENING_DEMO_BASELINE = '6b20435';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');

/** One tree's screener in a child process (bench/screen-strings.js), answering one command at a time. */
class TreeScreener {
  private readonly lines: AsyncIterator<string>;
  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
  ) {
    this.lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }

  static async start(label: string, dist: string, strings: string, env: NodeJS.ProcessEnv): Promise<{ tree: TreeScreener; buildMs: number }> {
    const tree = new TreeScreener(label, spawn(process.execPath, [CHILD, dist, strings], { env, stdio: ['pipe', 'pipe', 'inherit'] }));
    const ready = (await tree.answer()) as { buildMs: number };
    return { tree, buildMs: ready.buildMs };
  }

  async ask(command: string): Promise<Record<string, number | string>> {
    this.child.stdin!.write(`${command}\n`);
    return this.answer();
  }

  private async answer(): Promise<Record<string, number | string>> {
    const next = await this.lines.next();
    if (next.done) throw new Error(`${this.label}: the screening child ended before answering (exit ${this.child.exitCode})`);
    return JSON.parse(next.value) as Record<string, number | string>;
  }

  stop(): void {
    this.child.stdin!.end();
  }
}

/**
 * Screening the demo's affiliation strings (every distinct string of the works the demo loads, as
 * `npm run demo` screens them: the registry and the catalogue's lists, no nearest names), with this
 * tree and with each baseline revision (--baseline REV[,REV…], 6b20435 by default) in the same
 * run: each tree's screener is built once in a process of its own, then the trees screen in turn,
 * `runs` times, so a busy machine weighs on all alike. Medians of wall and CPU time; then how many
 * strings each baseline answers otherwise than this tree (the whole answer: state, headline, hits
 * with their evidence, choices, namesakes), and the first few that differ.
 */
export async function screeningDemoBench(config: Config, runs: number, out: string, baselines = SCREENING_DEMO_BASELINE) {
  const store = await Store.open(':memory:');
  for (const source of SOURCES.filter((s) => s.inDemo && (s.kind === 'openalex' || s.kind === 'wos' || s.kind === 'scopus'))) {
    await ingestWorks(store, source.kind as 'openalex' | 'wos' | 'scopus', locate(config, source), { quarantineDir: join(out, 'quarantine') });
  }
  const strings = (await store.all<{ raw: string }>(`SELECT DISTINCT raw FROM (${EVIDENCE_STRINGS}) WHERE trim(raw) <> '' ORDER BY raw`)).map((r) => r.raw);
  store.close();
  const stringsFile = resolve(out, 'screening-demo-strings.json');
  writeFileSync(stringsFile, JSON.stringify(strings));

  const env = { ...process.env, DERISK_MIRROR: config.mirror };
  const trees: [string, string][] = [['this tree', THIS_TREE]];
  for (const rev of baselines.split(',').filter((r) => r !== '')) {
    const bin = baselineBin(out, rev);
    if (bin) trees.push([`baseline ${rev}`, resolve(bin, '..', '..', 'dist')]);
  }
  console.log(`\nScreening the demo's ${strings.length.toLocaleString('en')} affiliation strings (${stringsFile}), ${runs} runs, the trees in turn; load average before: ${load()}`);
  const started: TreeScreener[] = [];
  try {
    const builds: number[] = [];
    for (const [label, dist] of trees) {
      const { tree, buildMs } = await TreeScreener.start(label, dist, stringsFile, env);
      started.push(tree);
      builds.push(buildMs);
    }
    const timings = started.map(() => [] as { wallMs: number; cpuMs: number }[]);
    for (let i = 0; i < runs; i++) for (const [k, tree] of started.entries()) timings[k]!.push((await tree.ask('run')) as { wallMs: number; cpuMs: number });
    const outcomes: string[][] = [];
    for (const [k, tree] of started.entries()) {
      const file = resolve(out, `screening-demo-outcomes-${k}.jsonl`);
      await tree.ask(`outcomes ${file}`);
      outcomes.push(readFileSync(file, 'utf8').split('\n'));
    }
    const results: Record<string, unknown> = { strings: strings.length, runs, loadAfter: loadavg() };
    const ours = timings[0]!;
    console.log(`  tree                     build s   wall s (median)   CPU s (median)   CPU × this tree   list hits   answers unlike this tree's`);
    for (const [k, tree] of started.entries()) {
      const wall = median(timings[k]!.map((t) => t.wallMs)) / 1000;
      const cpu = median(timings[k]!.map((t) => t.cpuMs)) / 1000;
      const hits = outcomes[k]!.reduce((n, line) => n + (JSON.parse(line) as { hits: unknown[] }).hits.length, 0);
      const differing = outcomes[k]!.flatMap((line, i) => (line === outcomes[0]![i] ? [] : [i]));
      console.log(
        `  ${tree.label.padEnd(24)} ${(builds[k]! / 1000).toFixed(1).padStart(7)}   ${wall.toFixed(2).padStart(14)}   ${cpu.toFixed(2).padStart(14)}   ${(cpu / (median(ours.map((t) => t.cpuMs)) / 1000)).toFixed(2).padStart(15)}   ${String(hits).padStart(9)}   ${k === 0 ? '-' : differing.length}`,
      );
      for (const i of differing.slice(0, 5)) {
        const [now, then] = [JSON.parse(outcomes[0]![i]!), JSON.parse(outcomes[k]![i]!)] as ({ state: string; hits: { entry: string }[] } & Record<string, unknown>)[];
        const fields = Object.keys(now!).filter((f) => JSON.stringify(now![f]) !== JSON.stringify(then![f]));
        console.log(`      "${strings[i]}" (${fields.join(', ')}): ${then!.state} (${then!.hits.map((h) => h.entry).join('; ') || 'no hit'}) there, ${now!.state} (${now!.hits.map((h) => h.entry).join('; ') || 'no hit'}) here`);
      }
      results[tree.label] = { buildSeconds: builds[k]! / 1000, wallSeconds: wall, cpuSeconds: cpu, hits, differing: differing.length, runs: timings[k] };
    }
    console.log(`  (load average after: ${load()})`);
    return results;
  } finally {
    for (const tree of started) tree.stop();
  }
}
