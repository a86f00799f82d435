// Runs the tests: `node scripts/run-tests.js [--fast] [file…]`. Node 20's test runner does not
// expand globs, so the files are found here. The CLI tests run the compiled code, so the build
// (incremental) comes first.
//
// --fast: the unit and property tests only — no server, no browser, no PostgreSQL, no CLI process,
// and no data mirror (DERISK_MIRROR points nowhere, so tests of the real data in these files say
// "data mirror not present"). A file belongs here when it needs none of those.
import { readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';

const FAST = [
  'test/assessment/expression.test.ts',
  'test/crash.test.ts',
  'test/assessment/rulebook.test.ts',
  'test/fetch/openalex-api.test.ts',
  'test/ingest/csv.test.ts',
  'test/ingest/lines.test.ts',
  'test/ingest/openalex.test.ts',
  'test/ingest/ror.test.ts',
  'test/ingest/scopus.test.ts',
  'test/ingest/wos.test.ts',
  'test/regions.test.ts',
  'test/resolve/gazetteer.test.ts',
  'test/resolve/matcher.test.ts',
  'test/screening/names.test.ts',
];

// The longest files, longest first (from a full run's durations): run-in-order.js starts the files
// in the order given, a few at a time (`node --test` would sort them by name), so these go first and
// the slots finish together instead of one of them starting a long file at the end. Every
// other file follows in name order. persisted-index.test.ts goes first also because it builds the
// real screener (test/helpers/screening.ts) and keeps it: the files using it, which come later, read it.
const LONGEST = [
  'test/screening/persisted-index.test.ts',
  'test/service/faults.test.ts',
  'test/service/beside-server.test.ts',
  'test/exchange/two-installations.test.ts',
  'test/store/ingest.test.ts',
  'test/service/audit.test.ts',
  'test/server/daily-web.test.ts',
  'test/cli.test.ts',
  'test/ingest/fuzz.test.ts',
  'test/server/exchange-web.test.ts',
  'test/store/clickhouse.test.ts',
  'test/server/report-web.test.ts',
  'test/monitoring/cli.test.ts',
  'test/monitoring/alerts-crash.test.ts',
  'test/server/layout-web.test.ts',
  'test/exchange/corrections-feed.test.ts',
  'test/screening/cas-institutes.test.ts',
  'test/assessment/cli.test.ts',
  'test/monitoring/mail-crash.test.ts',
  'test/server/upload-web.test.ts',
  'test/monitoring/alerts.test.ts',
  'test/server/cases-web.test.ts',
  'test/service/auth.test.ts',
  'test/monitoring/watch-cli.test.ts',
  'test/appdb/legacy.test.ts',
];

/** Every test file under `dir`, the longest first. */
function ordered(dir) {
  const all = testFiles(dir).sort();
  return [...LONGEST.filter((f) => all.includes(f)), ...all.filter((f) => !LONGEST.includes(f))];
}

function testFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return testFiles(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const fast = args.includes('--fast');
const only = args.filter((a) => a !== '--fast');
const files = only.length ? only : fast ? FAST : ordered('test');
const env = { ...process.env };
if (fast) env.DERISK_MIRROR = join(here, 'no-data-mirror-in-the-fast-tier');
else {
  const build = spawnSync(process.execPath, [join(here, 'build.js')], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
// One file more than there are cores: a file spends much of its time waiting on the processes and
// servers it starts (the CLI, PostgreSQL, ClickHouse, Chromium), and a third file on two cores uses
// that time. DERISK_TEST_CONCURRENCY sets another number.
const concurrency = process.env.DERISK_TEST_CONCURRENCY ?? String(availableParallelism() + 1);
if (!/^[1-9]\d*$/.test(concurrency)) {
  console.error(`run-tests: DERISK_TEST_CONCURRENCY must be a whole number of files at a time, not ${JSON.stringify(concurrency)}`);
  process.exit(2);
}
// After the build, the test files load the compiled code under test (scripts/test-hooks.js); the fast
// tier does not build, so it loads the sources through tsx.
const loader = fast ? 'tsx' : pathToFileURL(join(here, 'test-register.js')).href;
const result = spawnSync(process.execPath, ['--import', loader, join(here, 'run-in-order.js'), concurrency, ...files], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
