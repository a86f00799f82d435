#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm install` or `npm run build` from src/).
import { existsSync } from 'node:fs';

// A reader that stops early (`derisk … | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('derisk: not built yet: run npm install (or npm run build) in the repository first');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
