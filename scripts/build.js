// Compiles src/ to dist/ (tsc, relative .ts imports rewritten to .js) and copies what is not
// TypeScript (SQL, migrations, the web app's files) beside it, so that bin/derisk.js runs plain
// JavaScript. Runs at `npm install` (prepare) and before the tests; incremental, so a build with
// nothing changed costs little. data/ is not copied: the compiled code reads it from the
// repository root, as the sources do (dist/x/y.js sits as deep as src/x/y.ts).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const built = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

const files = (dir) => readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? files(join(dir, name)) : [join(dir, name)]));

for (const file of files(src)) {
  if (file.endsWith('.ts')) continue;
  const target = join(dist, relative(src, file));
  if (existsSync(target) && statSync(target).mtimeMs >= statSync(file).mtimeMs) continue;
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(file, target);
}

// A package made of hundreds of small modules is bundled into one file, written over what was
// compiled or copied from its door in src/vendor/: Node 20 resolves, reads and compiles every file
// of it apart, which cost each process loading TypeBox about half a second of CPU; one file costs a
// few hundredths. A native binding cannot be bundled: it is loaded from where it is installed.
const { buildSync } = createRequire(import.meta.url)('esbuild');
for (const name of readdirSync(join(src, 'vendor'))) {
  const commonJs = name.endsWith('.cjs');
  const out = join(dist, 'vendor', commonJs ? name : name.replace(/\.ts$/, '.js'));
  buildSync({ entryPoints: [join(src, 'vendor', name)], outfile: out, bundle: true, format: commonJs ? 'cjs' : 'esm', platform: 'node', target: 'node20', external: ['@duckdb/node-bindings'], logLevel: 'warning' });
}

// What no longer has a source goes: a deleted migration must not be applied from an old build.
for (const file of files(dist)) {
  const rel = relative(dist, file);
  if (rel === '.tsbuildinfo') continue;
  const source = join(src, rel.endsWith('.js') ? rel.replace(/\.js$/, '.ts') : rel);
  if (!existsSync(source) && !existsSync(join(src, rel))) rmSync(file);
}

// The bundled region file is checked against its schema here, once: a command reads it then without
// loading the schema (TypeBox) as long as its bytes are the ones checked (src/regions/catalogue.ts).
const { loadRegions } = await import(pathToFileURL(join(dist, 'regions', 'regions.js')).href);
const { BUNDLED_REGIONS, BUNDLED_REGIONS_CHECKED, regionsDigest } = await import(pathToFileURL(join(dist, 'regions', 'catalogue.js')).href);
loadRegions([BUNDLED_REGIONS]);
writeFileSync(BUNDLED_REGIONS_CHECKED, `${regionsDigest(readFileSync(BUNDLED_REGIONS, 'utf8'))}\n`);
