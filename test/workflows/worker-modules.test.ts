import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';

// A thread that imports one compiled module (the one the CLI runs) and answers with the CommonJS
// modules it then holds: DuckDB's client is CommonJS, whether it is required or imported.
const PROBE = `const { parentPort, workerData } = require('node:worker_threads');
import(workerData).then(() => parentPort.postMessage(Object.keys(require.cache)), (e) => parentPort.postMessage(String(e)));`;

async function requiredOnAThread(module: string): Promise<string[]> {
  const worker = new Worker(PROBE, { eval: true, workerData: new URL(`../../dist/${module}`, import.meta.url).href });
  try {
    const [answer] = (await new Promise((resolve, reject) => {
      worker.once('message', (m) => resolve([m]));
      worker.once('error', reject);
    })) as [string[] | string];
    assert.ok(Array.isArray(answer), `${module} loads: ${String(answer)}`);
    return answer;
  } finally {
    await worker.terminate();
  }
}

// The client as installed, or bundled by the build (dist/vendor/duckdb.cjs).
const duckdb = (paths: string[]) => paths.filter((p) => p.includes('/node_modules/@duckdb/') || p.endsWith('/dist/vendor/duckdb.cjs'));

test('the evidence worker loads no DuckDB: it reads, resolves and screens, and never queries the store', async () => {
  assert.notDeepEqual(duckdb(await requiredOnAThread('ingest/pipeline.js')), [], 'the probe sees DuckDB where the store is loaded');
  assert.deepEqual(duckdb(await requiredOnAThread('workflows/worker.js')), []);
});
