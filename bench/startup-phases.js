// One `derisk screen NAME` / `derisk brief NAME`, taken apart: run as a child process by the
// start-up benchmark (bench/startup.ts), on the compiled code, printing how long each step took
// as one JSON line: loading, the store, the screening index (screeningContext in
// src/screening/store.ts: read from its file beside the store, or built when none is kept), the
// screening and the briefing queries.
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
const [{ loadConfig }, { Store }, { screeningContext }, { screeningIndexPath }, { briefing }, { loadRegions, regionOf, BUNDLED_REGIONS }] = await Promise.all([
  load('config.js'),
  load('store/store.js'),
  load('screening/store.js'),
  load('screening/persisted.js'),
  load('screening/briefing.js'),
  load('regions/regions.js'),
  load('cli/screening.js'),
]);
step('loading the modules');
const store = await Store.open(loadConfig().storePath);
step('opening the store');
const { existsSync } = await import('node:fs');
const kept = existsSync(screeningIndexPath(store));
const { screener } = await screeningContext(store);
step(kept ? 'reading the kept screening index' : 'building the screening index (none kept)');
const result = screener.screen(name);
step('screening the name');
if (command === 'brief') {
  await briefing(store, result, regionOf(loadRegions([BUNDLED_REGIONS]), 'EU27AC').countries);
  step('briefing queries');
}
store.close();
step('closing the store');
console.log(JSON.stringify(t));
