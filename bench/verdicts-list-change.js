// Re-checks the stored verdicts after a list change with one tree's compiled code: run as a child
// process by the verdicts benchmark (bench/monitor.ts), once per tree and round, so that a baseline
// revision re-checks the same verdicts after the same change in the same run. Usage:
//   node bench/verdicts-list-change.js <the tree's dist/ directory> <store file> <app database file> <changed list JSON>
// It builds the screener of the lists loaded (as a running server holds it), loads the changed list
// in place of its earlier version, times the monitor's pass (which builds the new lists' assessor,
// finds who the change concerns and re-checks every verdict), puts the lists back as they were, and
// says on stdout {"seconds", "cpuSeconds", "assessorSeconds", "reassessed", "alerts", "digest"}:
// `digest` is a hash of every alert the pass recorded (kind, key, title, evidence), to compare trees.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [distDir, storeFile, dbFile, changedFile] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(`${distDir}/${path}`).href);
const [{ Store }, { EmbeddedDb }, { Assessor }, { loadBundle }, { Monitor }, { loadedLists, saveLists, screeningContext }] = await Promise.all([
  load('store/store.js'),
  load('appdb/embedded.js'),
  load('assessment/assessor.js'),
  load('assessment/bundle.js'),
  load('monitoring/monitor.js'),
  load('screening/store.js'),
]);
const changed = JSON.parse(readFileSync(changedFile, 'utf8'));
const store = await Store.open(storeFile);
const db = await EmbeddedDb.open(dbFile);
try {
  const bundle = loadBundle();
  const before = await loadedLists(store);
  // What a server that has been answering holds: the screener of the lists loaded before the change.
  await screeningContext(store);
  await saveLists(store, [changed]);
  let assessorSeconds = 0;
  const monitor = new Monitor({
    db,
    store,
    assessor: async () => {
      const t = performance.now();
      const assessor = new Assessor({ store, screening: await screeningContext(store), bundle });
      assessorSeconds = (performance.now() - t) / 1000;
      return assessor;
    },
  });
  const cpu = process.cpuUsage();
  const t = performance.now();
  const report = await monitor.check();
  const seconds = (performance.now() - t) / 1000;
  const { user, system } = process.cpuUsage(cpu);
  await saveLists(
    store,
    before.filter((l) => l.id === changed.id),
  );
  const alerts = await db.query('SELECT kind, dedup_key, title, evidence FROM alerts ORDER BY kind, dedup_key');
  const digest = createHash('sha256').update(JSON.stringify(alerts)).digest('hex').slice(0, 16);
  process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds: (user + system) / 1e6, assessorSeconds, reassessed: report.reassessed, alerts: report.alerts, digest })}\n`);
} finally {
  await db.close();
  store.close();
}
