// One `derisk screen NAME` / `derisk brief NAME`, taken apart: run as a child process by the
// start-up benchmark (bench/startup.ts), on the compiled code, printing how long each step took
// as one JSON line. `screen` reads the kept screening index without opening the store while the
// store is as it was when last screened (src/screening/kept.ts); `brief` opens the store, reads the
// index (screeningContext in src/screening/store.ts: read from its file beside the store, or built
// when none is kept), screens, and runs the briefing's queries.
import { performance } from 'node:perf_hooks';

const [command, name] = process.argv.slice(2);
const t = { 'node start-up': performance.now() };
let last = performance.now();
const step = (label) => {
  const now = performance.now();
  t[label] = now - last;
  last = now;
};
const dist = new URL('../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);
const [{ loadConfig }, { keptScreeningContext }] = await Promise.all([load('config.js'), load('screening/kept.js'), load('cli/screening.js')]);
step('loading the modules');
const config = loadConfig();
const kept = command === 'screen' ? keptScreeningContext(config.storePath) : null;
if (kept) {
  step('reading the kept screening index (store not opened)');
  kept.screener.screen(name);
  step('screening the name');
} else {
  const [{ Store }, { screeningContext }, { screeningIndexPath }, { briefing }, { bundledRegions, regionOf }] = await Promise.all([load('store/store.js'), load('screening/store.js'), load('screening/persisted.js'), load('screening/briefing.js'), load('regions/catalogue.js')]);
  step('loading the store and briefing modules');
  const europe = regionOf(bundledRegions(), 'EU27AC').countries;
  step('the bundled regions');
  const store = await Store.open(config.storePath);
  step('opening the store');
  const { existsSync } = await import('node:fs');
  const indexKept = existsSync(screeningIndexPath(store));
  const { screener } = await screeningContext(store);
  step(indexKept ? 'reading the kept screening index' : 'building the screening index (none kept)');
  const result = screener.screen(name);
  step('screening the name');
  if (command === 'brief') {
    await briefing(store, result, europe);
    step('briefing queries');
  }
  store.close();
  step('closing the store');
}
console.log(JSON.stringify(t));
