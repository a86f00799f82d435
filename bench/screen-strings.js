// Screens a fixed set of strings with one tree's compiled code, as the demo screens its affiliation
// strings (the store's registry and the catalogue's lists, each string without its nearest names):
// run as a child process by the screening-demo benchmark (bench/screening-demo.ts), once per tree,
// so a baseline revision screens the same strings in the same run. Usage:
//   node bench/screen-strings.js <the tree's dist/ directory> <strings.json>
// It builds its screener, says {"ready": …} on stdout, then answers each line on stdin:
//   "run"            screens every string and says {"wallMs", "cpuMs"} (this process's user + system time)
//   "outcomes FILE"  screens every string and writes each one's whole answer (screenJson) to FILE, one JSON line each
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const [distDir, stringsFile] = process.argv.slice(2);
const load = (path) => import(pathToFileURL(`${distDir}/${path}`).href);
const [{ loadConfig }, { locate, sourceById }, { Store }, { ingestRegistry }, { catalogueLists }, { saveLists, screeningContext }, { screenJson }] = await Promise.all([
  load('config.js'),
  load('sources.js'),
  load('store/store.js'),
  load('ingest/registry.js'),
  load('screening/lists.js'),
  load('screening/store.js'),
  load('screening/screener.js'),
]);
const strings = JSON.parse(readFileSync(stringsFile, 'utf8'));
const config = loadConfig();
const started = performance.now();
const store = await Store.open(':memory:');
await ingestRegistry(store, locate(config, sourceById('ror')));
await saveLists(store, catalogueLists(config));
const { screener } = await screeningContext(store);
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
say({ ready: true, strings: strings.length, buildMs: performance.now() - started });

for await (const line of createInterface({ input: process.stdin })) {
  const [command, file] = line.trim().split(' ');
  if (command === 'run') {
    const t = performance.now();
    const cpu = process.cpuUsage();
    for (const raw of strings) screener.screen(raw, { nearest: false });
    const used = process.cpuUsage(cpu);
    say({ wallMs: performance.now() - t, cpuMs: (used.user + used.system) / 1000 });
  } else if (command === 'outcomes') {
    writeFileSync(file, strings.map((raw) => JSON.stringify(screenJson(screener.screen(raw, { nearest: false })))).join('\n'));
    say({ written: file });
  } else break;
}
store.close();
