// One `derisk screen NAME` / `derisk brief NAME`, taken apart: run as a child process by the
// start-up benchmark (bench/startup.ts), on the compiled code, printing how long each step took
// as one JSON line. The steps are those of screeningContext() (src/screening/store.ts) and of
// the CLI commands, timed one by one.
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
const [{ loadConfig }, { Store }, { loadedLists }, { loadRegistry }, { AffiliationResolver }, { linkEntries }, { Screener }, { briefing }, { loadRegions, regionOf, BUNDLED_REGIONS }] = await Promise.all([
  load('config.js'),
  load('store/store.js'),
  load('screening/store.js'),
  load('ingest/registry.js'),
  load('resolve/matcher.js'),
  load('screening/links.js'),
  load('screening/screener.js'),
  load('screening/briefing.js'),
  load('regions/regions.js'),
  load('cli/screening.js'),
]);
step('loading the modules');
const store = await Store.open(loadConfig().storePath);
step('opening the store');
const lists = await loadedLists(store);
step('reading the risk lists');
const registry = await loadRegistry(store);
step(`reading the registry (${registry.length} institutions)`);
const resolver = new AffiliationResolver(registry);
step('building the matcher index');
const links = linkEntries(lists, registry, resolver.gazetteer);
step('linking list entries to ROR');
const screener = new Screener(lists, resolver, links.links, links.countriesByName);
step('building the screener index');
const result = screener.screen(name);
step('screening the name');
if (command === 'brief') {
  await briefing(store, result, regionOf(loadRegions([BUNDLED_REGIONS]), 'EU27AC').countries);
  step('briefing queries');
}
store.close();
step('closing the store');
console.log(JSON.stringify(t));
