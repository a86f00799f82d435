#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm install` or `npm run build` from src/).
import { existsSync } from 'node:fs';

// A reader that stops early (`derisk … | head`) is not an error: the rest of the output is
// dropped, and the exit code still says what the command found (10: a listed organisation).
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') return;
  throw e;
});
const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('derisk: not built yet: run npm install (or npm run build) in the repository first');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
