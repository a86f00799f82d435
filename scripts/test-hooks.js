// Module hooks for the test processes, registered by scripts/test-register.js. A test file and its
// helpers are TypeScript, stripped here by esbuild. An import of `src/….ts` is answered by the
// `dist/….js` the build (run-tests.js) has just compiled from it, so the code under test is the
// code the CLI runs and is not transformed again in each test process: loading through tsx cost
// each of the ~120 test processes about 3 s of CPU more (tsx also hooks every CommonJS file
// of node_modules).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

const src = new URL('../src/', import.meta.url).href;
const dist = new URL('../dist/', import.meta.url).href;

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (!resolved.url.startsWith(src) || !resolved.url.endsWith('.ts')) return resolved;
  const compiled = `${dist}${resolved.url.slice(src.length, -'.ts'.length)}.js`;
  if (!existsSync(fileURLToPath(compiled))) throw new Error(`test hooks: ${resolved.url} has no compiled ${compiled}; run node scripts/build.js first`);
  return { url: compiled, format: 'module', shortCircuit: true };
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const path = fileURLToPath(url);
  const { code } = await transform(await readFile(path, 'utf8'), { loader: 'ts', format: 'esm', target: 'node20', sourcemap: 'inline', sourcefile: path });
  return { format: 'module', source: code, shortCircuit: true };
}
