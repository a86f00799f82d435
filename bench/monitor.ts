import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EmbeddedDb } from '../src/appdb/embedded.ts';
import { migrate } from '../src/appdb/migrate.ts';
import { Assessor } from '../src/assessment/assessor.ts';
import { loadBundle } from '../src/assessment/bundle.ts';
import { readCaseDocument, type Case } from '../src/assessment/case.ts';
import { catalogueLists } from '../src/screening/lists.ts';
import type { Config } from '../src/config.ts';
import type { Institution } from '../src/ingest/ror.ts';
import { ingestRegistry } from '../src/ingest/registry.ts';
import { Monitor } from '../src/monitoring/monitor.ts';
import { saveLists, screeningContext } from '../src/screening/store.ts';
import { CaseService } from '../src/service/cases.ts';
import type { Actor } from '../src/service/authorize.ts';
import { locate, sourceById } from '../src/sources.ts';
import { refreshAnalytics } from '../src/store/refresh.ts';
import { Store } from '../src/store/store.ts';
import { SHARED } from '../src/ingest/pipeline.ts';
import { IngestWorkflow } from '../src/workflows/ingest.ts';
import { generateOpenAlex } from './generate-openalex.ts';
import { baselineBin } from './baseline.ts';
import { phase, serveWithToken } from './service.ts';

// The monitor notes the policy bundle only in a pass that has stored verdicts to re-check, and
// the benchmark's first pass has none: an UPDATE of that note changed nothing, and no verdict was
// re-checked. The note of an earlier bundle is planted whether or not it is there.
const PLANT_EARLIER_BUNDLE = "INSERT INTO monitor_seen (kind, ref, value, seen_at) VALUES ('bundle', 'policy', 'an earlier bundle', $1) ON CONFLICT (kind, ref) DO UPDATE SET value = 'an earlier bundle'";
const EXAMPLES = new URL('../examples/cases/', import.meta.url).pathname;
const middle = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const ANALYST: Actor = { userId: 'bench', orgId: 'bench', role: 'analyst', name: 'bench' };

/**
 * The monitor's cost beside what triggers it: the alert computation after an ingest of `works`
 * synthetic works (50 watched institutions, the published risk lists loaded) beside that ingest's
 * own time; and the verdict re-check over `verdicts` stored assessments after a new policy bundle.
 */
export async function monitorBench(config: Config, registry: Institution[], out: string, works = 100_000, verdicts = 1_000) {
  const file = join(out, `openalex-synthetic-${works}.jsonl`);
  if (!existsSync(file)) await generateOpenAlex(file, works, registry, 7);
  const dir = join(out, 'store-monitor');
  rmSync(dir, { recursive: true, force: true });
  const store = await Store.open(join(dir, 'bench.duckdb'));
  const db = await EmbeddedDb.open(join(dir, 'app.sqlite'));
  try {
    await migrate(db);
    await ingestRegistry(store, locate(config, sourceById('ror')));
    await saveLists(store, catalogueLists(config));
    const bundle = loadBundle();
    const assessor = async () => new Assessor({ store, screening: await screeningContext(store), bundle });
    const monitor = new Monitor({ db, store, assessor });
    await monitor.check();

    const workflow = new IngestWorkflow(store, { quarantineDir: join(dir, 'quarantine') });
    let t = performance.now();
    await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: file }] });
    const ingestSeconds = (performance.now() - t) / 1000;
    await workflow.close();
    // The 50 institutions with the most works: what an office would watch.
    const top = await store.all<{ ror_id: string }>('SELECT ror_id FROM work_institutions WHERE ror_id IS NOT NULL GROUP BY ror_id ORDER BY count(*) DESC, ror_id LIMIT 50');
    for (const [i, r] of top.entries()) await db.query("INSERT INTO watch_items (id, org_id, user_id, kind, ref, label, created_by, created_at) VALUES ($1, 'bench', '', 'institution', $2, $2, 'bench', $3)", [`w${i}`, r.ror_id, new Date().toISOString()]);
    t = performance.now();
    const report = await monitor.check();
    const checkSeconds = (performance.now() - t) / 1000;
    console.log(`\nMonitor: alerts after an ingest of ${works.toLocaleString('en')} synthetic works (50 watched institutions, the published lists)`);
    console.log(`  ingest (read, resolve, screen, refresh) ${ingestSeconds.toFixed(1)} s; alert computation ${checkSeconds.toFixed(2)} s = ${((checkSeconds / ingestSeconds) * 100).toFixed(1)}% of it (${report.alerts['new-copublication'] ?? 0} alerts)`);

    // One real verdict of the example joint lab, stored `verdicts` times, then a new policy bundle.
    const cases = new CaseService(db, await assessor());
    const { id: caseId } = await cases.create(ANALYST, readCaseDocument(join(EXAMPLES, 'joint-lab-hit.yaml')));
    const stored = await cases.assess(ANALYST, caseId, '2026-11-22');
    await db.transaction(async (tx) => {
      for (let i = 1; i < verdicts; i++) {
        const c = randomUUID();
        await tx.query("INSERT INTO cases (id, org_id, client_key, title, doc, created_by, created_at, updated_at) SELECT $1, org_id, NULL, title || ' ' || $2, doc, created_by, created_at, updated_at FROM cases WHERE id = $3", [c, String(i), caseId]);
        await tx.query(
          'INSERT INTO assessments (id, case_id, org_id, created_by, created_at, rulebook_id, rulebook_version, rulebook_hash, snapshot, overall, result, as_of, reassess_by) SELECT $1, $2, org_id, created_by, created_at, rulebook_id, rulebook_version, rulebook_hash, snapshot, overall, result, as_of, reassess_by FROM assessments WHERE id = $3',
          [randomUUID(), c, stored.id],
        );
      }
      await tx.query(PLANT_EARLIER_BUNDLE, [new Date().toISOString()]);
    });
    t = performance.now();
    const flips = await monitor.check();
    const flipSeconds = (performance.now() - t) / 1000;
    console.log(`  verdict re-check after a new policy bundle: ${flips.reassessed.toLocaleString('en')} stored verdicts in ${flipSeconds.toFixed(1)} s (${((flipSeconds * 1000) / flips.reassessed).toFixed(1)} ms each)`);
    return { works, ingestSeconds, checkSeconds, ratio: checkSeconds / ingestSeconds, alerts: report.alerts, verdicts: flips.reassessed, verdictCheckSeconds: flipSeconds };
  } finally {
    await db.close();
    store.close();
  }
}

/** Before the registry and its resolver were kept across a list change, and before a list change parsed only the snapshots naming the list. */
export const VERDICTS_BASELINE = 'f7ace18';
const LIST_CHANGE_CHILD = fileURLToPath(new URL('./verdicts-list-change.js', import.meta.url));
const THIS_TREE = fileURLToPath(new URL('../dist', import.meta.url));

/**
 * The verdict-flip check over `verdicts` stored assessments: after a new policy bundle, in this
 * tree (bundleRecheck); then after a list change, this tree beside the baseline revision
 * (--baseline REV, f7ace18 by default), each in a process of its own on the same store and a copy
 * of the same application database, in turn, `runs` rounds (listChangeRecheck).
 */
export async function verdictRecheckBench(config: Config, out: string, verdicts = 10_000, runs = 3, baseline = VERDICTS_BASELINE) {
  const bundle = await bundleRecheck(config, out, verdicts);
  return { ...bundle, listChange: await listChangeRecheck(config, join(out, 'store-verdicts'), runs, baseline, out) };
}

/**
 * After a list change (a new version of the first published list, its first entry dropped): each
 * tree's process builds the screener of the lists before (as a server holds it), loads the new
 * version and times the monitor's pass, which builds the new lists' assessor, finds who the change
 * concerns and re-checks every stored verdict (bench/verdicts-list-change.js). Medians of wall and
 * CPU time and of the assessor's build, the ratios, the load average, and whether both trees
 * recorded the same alerts.
 */
async function listChangeRecheck(config: Config, dir: string, runs: number, baseline: string, out: string) {
  const baselineBuild = baselineBin(out, baseline);
  const trees = [...(baselineBuild ? [{ label: `baseline ${baseline}`, dist: join(baselineBuild, '..', '..', 'dist') }] : []), { label: 'this tree', dist: THIS_TREE }];
  const [first] = catalogueLists(config);
  const changedFile = join(dir, 'changed-list.json');
  writeFileSync(changedFile, JSON.stringify({ ...first!, version: `${first!.version}-bench-change`, entries: first!.entries.slice(1) }));
  const env = { ...process.env, DERISK_MIRROR: config.mirror };
  const loadBefore = loadavg();
  const results = new Map<string, { seconds: number; cpuSeconds: number; assessorSeconds: number; reassessed: number; alerts: Record<string, number>; digest: string }[]>();
  for (let round = 0; round < runs; round++) {
    for (const tree of trees) {
      // Each run starts from the database as the bundle re-check left it: the old list seen, the verdicts stored.
      const db = join(dir, 'app-list-change.sqlite');
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${db}${suffix}`, { force: true });
      for (const suffix of ['', '-wal']) if (existsSync(join(dir, `app.sqlite${suffix}`))) copyFileSync(join(dir, `app.sqlite${suffix}`), `${db}${suffix}`);
      const child = spawnSync(process.execPath, [LIST_CHANGE_CHILD, tree.dist, join(dir, 'bench.duckdb'), db, changedFile], { env, encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
      if (child.status !== 0) throw new Error(`${tree.label}: the list-change re-check ended with ${child.status ?? child.signal}`);
      results.set(tree.label, [...(results.get(tree.label) ?? []), JSON.parse(child.stdout.trim().split('\n').at(-1)!)]);
    }
  }
  const loadAfter = loadavg();
  console.log(`  after a list change (${first!.id} without its first entry), each tree in its own process, ${runs} rounds; load average ${loadBefore.map((x) => x.toFixed(1)).join(' ')} → ${loadAfter.map((x) => x.toFixed(1)).join(' ')}`);
  const summary: Record<string, { seconds: number; cpuSeconds: number; assessorSeconds: number; reassessed: number; alerts: Record<string, number>; digests: string[] }> = {};
  for (const tree of trees) {
    const rs = results.get(tree.label)!;
    const m = { seconds: middle(rs.map((r) => r.seconds)), cpuSeconds: middle(rs.map((r) => r.cpuSeconds)), assessorSeconds: middle(rs.map((r) => r.assessorSeconds)), reassessed: rs[0]!.reassessed, alerts: rs[0]!.alerts, digests: [...new Set(rs.map((r) => r.digest))] };
    summary[tree.label] = m;
    console.log(
      `    ${tree.label.padEnd(20)} ${m.seconds.toFixed(1).padStart(6)} s (CPU ${m.cpuSeconds.toFixed(1)} s), of which the new lists' assessor ${m.assessorSeconds.toFixed(1)} s; ${m.reassessed.toLocaleString('en')} verdicts re-checked; alerts ${JSON.stringify(m.alerts)}; rounds ${rs.map((r) => r.seconds.toFixed(1)).join(', ')} s; alerts digest ${m.digests.join(', ')}`,
    );
  }
  const [before, current] = [summary[`baseline ${baseline}`], summary['this tree']!];
  if (before) {
    const same = before.digests.length === 1 && current.digests.length === 1 && before.digests[0] === current.digests[0];
    console.log(`    this tree / baseline: wall ×${(current.seconds / before.seconds).toFixed(2)}, CPU ×${(current.cpuSeconds / before.cpuSeconds).toFixed(2)}, assessor ×${(current.assessorSeconds / before.assessorSeconds).toFixed(2)}; the alerts recorded are ${same ? 'the same' : 'NOT the same'}`);
  }
  return { baseline: baselineBuild ? baseline : null, loadAverage: { before: loadBefore, after: loadAfter }, trees: summary };
}

/**
 * The verdict-flip check over `verdicts` stored assessments under a new policy bundle: the seven
 * example cases, each stored with one of 500 registry institutions as its partner and one of 60
 * assessment days, re-checked by the monitor (in batches) beside the baseline of running the same
 * verdicts one by one (`Assessor.run`, what the monitor did before; timed on a sample of `sample`).
 * The store (registry and published lists) is kept in `out/store-verdicts` between runs.
 */
async function bundleRecheck(config: Config, out: string, verdicts = 10_000, sample = 200) {
  const dir = join(out, 'store-verdicts');
  const fresh = !existsSync(join(dir, 'bench.duckdb'));
  const store = await Store.open(join(dir, 'bench.duckdb'));
  rmSync(join(dir, 'app.sqlite'), { force: true });
  const db = await EmbeddedDb.open(join(dir, 'app.sqlite'));
  try {
    await migrate(db);
    if (fresh) {
      await ingestRegistry(store, locate(config, sourceById('ror')));
      await saveLists(store, catalogueLists(config));
      await refreshAnalytics(store);
    }
    const bundle = loadBundle();
    let t = performance.now();
    const made = new Assessor({ store, screening: await screeningContext(store), bundle });
    const assessorSeconds = (performance.now() - t) / 1000;
    const monitor = new Monitor({ db, store, assessor: async () => made });
    await monitor.check();
    const cases = new CaseService(db, made);
    const examples = readdirSync(EXAMPLES)
      .filter((f) => f.endsWith('.yaml'))
      .sort();
    const stored: Record<string, string>[] = [];
    for (const f of examples) {
      const { id } = await cases.create(ANALYST, readCaseDocument(join(EXAMPLES, f)));
      const a = await cases.assess(ANALYST, id, '2026-11-22');
      stored.push((await db.query<Record<string, string>>('SELECT * FROM assessments WHERE id = $1', [a.id]))[0]!);
    }
    const partners = (await store.all<{ ror_id: string; country_code: string | null }>("SELECT ror_id, country_code FROM institutions WHERE status = 'active' AND country_code IS NOT NULL ORDER BY ror_id LIMIT 500")).map((r) => ({ ror: r.ror_id, country: r.country_code }));
    const items: { c: Case; asOf: string }[] = [];
    await db.transaction(async (tx) => {
      for (let i = stored.length; i < verdicts; i++) {
        const row = stored[i % stored.length]!;
        const result = JSON.parse(row.result!) as { case: { partners: Record<string, unknown>[] }; asOf: string };
        const p = partners[i % partners.length]!;
        result.case.partners = [{ ...result.case.partners[0], name: undefined, ror: p.ror, country: p.country }, ...result.case.partners.slice(1)].map((x) => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)));
        result.asOf = `${2021 + (i % 6)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 5) * 6).padStart(2, '0')}`;
        if (items.length < sample) items.push({ c: made.validate(result.case), asOf: result.asOf });
        const c = randomUUID();
        await tx.query("INSERT INTO cases (id, org_id, client_key, title, doc, created_by, created_at, updated_at) SELECT $1, org_id, NULL, title || ' ' || $2, doc, created_by, created_at, updated_at FROM cases WHERE id = $3", [c, String(i), row.case_id!]);
        await tx.query('INSERT INTO assessments (id, case_id, org_id, created_by, created_at, rulebook_id, rulebook_version, rulebook_hash, snapshot, overall, result, as_of, reassess_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)', [
          randomUUID(),
          c,
          row.org_id!,
          row.created_by!,
          row.created_at!,
          row.rulebook_id!,
          row.rulebook_version!,
          row.rulebook_hash!,
          row.snapshot!,
          row.overall!,
          JSON.stringify(result),
          result.asOf,
          row.reassess_by!,
        ]);
      }
      await tx.query(PLANT_EARLIER_BUNDLE, [new Date().toISOString()]);
    });

    t = performance.now();
    for (const { c, asOf } of items) await made.run(c, asOf);
    const oneByOneMs = (performance.now() - t) / items.length;
    t = performance.now();
    const cpu = process.cpuUsage();
    const report = await monitor.check();
    const recheckSeconds = (performance.now() - t) / 1000;
    const { user, system } = process.cpuUsage(cpu);
    const recheckCpuSeconds = (user + system) / 1e6;
    const batchMs = (recheckSeconds * 1000) / report.reassessed;
    console.log(`\nMonitor: verdict re-check of ${report.reassessed.toLocaleString('en')} stored verdicts under a new policy bundle (7 example cases × 500 partners × 60 days)`);
    console.log(`  baseline, one by one (Assessor.run, ${items.length} of them): ${oneByOneMs.toFixed(1)} ms each → ${((oneByOneMs * report.reassessed) / 1000).toFixed(0)} s for all`);
    console.log(
      `  the monitor's batched re-check: ${recheckSeconds.toFixed(1)} s, CPU (user+sys) ${recheckCpuSeconds.toFixed(1)} s (${batchMs.toFixed(2)} ms each, ${(oneByOneMs / batchMs).toFixed(1)}× faster; ${report.alerts['verdict-change'] ?? 0} verdicts would flip); the assessor was built in ${assessorSeconds.toFixed(1)} s`,
    );

    return {
      verdicts: report.reassessed,
      oneByOneMs,
      recheckSeconds,
      recheckCpuSeconds,
      batchMs,
      speedup: oneByOneMs / batchMs,
      flips: report.alerts['verdict-change'] ?? 0,
    };
  } finally {
    await db.close();
    store.close();
  }
}

/**
 * The server before the inbox's default page went from 200 alerts to 50 and its first page was
 * kept serialised, and before the feed went from 200 entries to 50. Another revision with --baseline REV.
 */
export const INBOX_BASELINE = '5e07178';

/** `alerts` new-co-publication alerts for the organisation of the server's admin, written into its application database. */
async function plantAlerts(home: string, alerts: number): Promise<void> {
  const db = await EmbeddedDb.open(join(home, 'app.sqlite'));
  try {
    const org = (await db.query<{ org_id: string }>("SELECT org_id FROM users WHERE email = 'admin@localhost'"))[0]!.org_id;
    await db.transaction(async (tx) => {
      for (let i = 0; i < alerts; i++) {
        const evidence = JSON.stringify({
          work: `https://openalex.org/W${9_000_000 + i}`,
          title: `A synthetic co-publication ${i}`,
          year: 2026,
          listed: [{ list: 'bench', entry: `e${i % 50}`, name: 'A listed institute', level: 'high' }],
          why: 'a watched institution co-authors with a listed entity',
        });
        const created = new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString();
        await tx.query("INSERT INTO alerts (id, org_id, user_id, kind, dedup_key, created_at, title, subject, evidence, link) VALUES ($1, $2, '', 'new-copublication', $3, $4, $5, $6, $7, $8)", [
          randomUUID(),
          org,
          `bench:${i}`,
          created,
          `Co-publication ${i} with a listed institute`,
          'KU Leuven',
          evidence,
          `/api/works/W${i}`,
        ]);
      }
    });
  } finally {
    await db.close();
  }
}

/**
 * The inbox (GET /api/alerts) and the Atom feed (GET /feeds/<token>.atom) under closed-loop load,
 * each against a `derisk serve` process holding `alerts` alerts for its organisation: this tree's
 * server beside the baseline revision's, both running, loaded in turn phase by phase (one idles
 * while the other is asked), `runs` rounds; /health is each server's own ceiling. Medians over the
 * rounds of requests a second, median latency and p99, the ratios, and the load average.
 */
export async function alertsLoadBench(config: Config, out: string, seconds: number, connections: number, runs = 3, baseline = INBOX_BASELINE, alerts = 5_000) {
  const baselineBuild = baselineBin(out, baseline);
  const trees = [...(baselineBuild ? [{ label: `baseline ${baseline}`, bin: baselineBuild }] : []), { label: 'this tree', bin: undefined }];
  const servers: { label: string; port: number; token: string; server: ChildProcess; feedPath: string; feedTag: string; inboxTag: string }[] = [];
  try {
    for (const [i, { label, bin }] of trees.entries()) {
      const home = join(out, `home-alerts-${i}`);
      rmSync(home, { recursive: true, force: true });
      // The baseline's tree has no mirror beside it: it reads this one's.
      const { port, token, server } = await serveWithToken(home, 'alerts load bench', bin, { DERISK_MIRROR: config.mirror });
      servers.push({ label, port, token, server, feedPath: '', feedTag: '', inboxTag: '' });
      await plantAlerts(home, alerts);
      const feed = (await (await fetch(`http://127.0.0.1:${port}/api/alerts/feed`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json()) as { url: string };
      const s = servers.at(-1)!;
      s.feedPath = new URL(feed.url).pathname;
      await phase(port, token, 2, 4, (n) => ({ method: 'GET', path: n % 2 ? '/api/alerts' : s.feedPath }));
      s.feedTag = (await fetch(`http://127.0.0.1:${port}${s.feedPath}`)).headers.get('etag') ?? '';
      s.inboxTag = (await fetch(`http://127.0.0.1:${port}/api/alerts`, { headers: { authorization: `Bearer ${token}` } })).headers.get('etag') ?? '';
    }
    type Server = (typeof servers)[number];
    const phases: [string, (s: Server) => { path: string; headers: Record<string, string> }][] = [
      ["health (the server's ceiling)", () => ({ path: '/health', headers: {} })],
      ['inbox GET /api/alerts (default page)', () => ({ path: '/api/alerts', headers: {} })],
      ['inbox GET /api/alerts?limit=200', () => ({ path: '/api/alerts?limit=200', headers: {} })],
      // What a client that has the page asks (a baseline without tags answers 200, the page again).
      ['inbox, If-None-Match', (s) => ({ path: '/api/alerts', headers: { 'if-none-match': s.inboxTag } })],
      ['Atom feed GET /feeds/<token>.atom', (s) => ({ path: s.feedPath, headers: {} })],
      // What a feed reader that has the feed asks: answered 304, not sent the feed again.
      ['Atom feed, If-None-Match (304)', (s) => ({ path: s.feedPath, headers: { 'if-none-match': s.feedTag } })],
    ];
    const loadBefore = loadavg();
    console.log(
      `\nMonitor: inbox and feed under load (${alerts.toLocaleString('en')} alerts in the organisation; ${connections} connections, ${seconds} s per phase, ${runs} rounds; each tree's server in its own process, loaded in turn; load average ${loadBefore.map((x) => x.toFixed(1)).join(' ')})`,
    );
    const rounds = new Map<string, Awaited<ReturnType<typeof phase>>[]>();
    for (let round = 0; round < runs; round++)
      for (const [name, ask] of phases)
        for (const s of servers) {
          const { path, headers } = ask(s);
          const r = await phase(s.port, s.token, seconds, connections, () => ({ method: 'GET', path, headers }));
          rounds.set(`${name}|${s.label}`, [...(rounds.get(`${name}|${s.label}`) ?? []), r]);
        }
    const loadAfter = loadavg();
    const results: Record<string, Record<string, { rps: number; median: number; p99: number; errors: number; rounds: Awaited<ReturnType<typeof phase>>[] }>> = {};
    for (const [name] of phases) {
      results[name] = {};
      console.log(`  ${name}`);
      for (const s of servers) {
        const rs = rounds.get(`${name}|${s.label}`)!;
        const m = { rps: middle(rs.map((r) => r.rps)), median: middle(rs.map((r) => r.p50)), p99: middle(rs.map((r) => r.p99)), errors: rs.reduce((n, r) => n + r.errors, 0), rounds: rs };
        results[name]![s.label] = m;
        const health = results["health (the server's ceiling)"]![s.label]!;
        console.log(
          `    ${s.label.padEnd(20)} ${m.rps.toFixed(0).padStart(6)} req/s   median ${m.median.toFixed(1).padStart(6)} ms   p99 ${m.p99.toFixed(1).padStart(6)} ms (${(m.p99 / health.p99).toFixed(2)}× its /health)   p99 of rounds ${rs.map((r) => r.p99.toFixed(0)).join(', ')}   errors ${m.errors}`,
        );
      }
      const [before, current] = [results[name]![`baseline ${baseline}`], results[name]!['this tree']!];
      if (before) console.log(`    this tree / baseline: median ×${(current.median / before.median).toFixed(2)}, p99 ×${(current.p99 / before.p99).toFixed(2)}, req/s ×${(current.rps / before.rps).toFixed(2)}`);
    }
    console.log(`  load average after: ${loadAfter.map((x) => x.toFixed(1)).join(' ')}`);
    return { alerts, baseline: baselineBuild ? baseline : null, loadAverage: { before: loadBefore, after: loadAfter }, phases: results };
  } finally {
    for (const { server } of servers) {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
  }
}
