#!/usr/bin/env node
// Runs the TypeScript sources directly: tsx registers an ESM loader, so no build step stands
// between a fresh clone and a working CLI.
import { register } from 'tsx/esm/api';
register();
// A reader that stops early (`derisk … | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
