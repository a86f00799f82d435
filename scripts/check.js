// The static checks of `npm test` — types (server and web), lint, formatting — run side by side:
// each is one process mostly on one core, so on two cores this takes about half as long as one
// after another. Every check runs to the end; all their findings are printed, each under its name.
import { spawn } from 'node:child_process';

const CHECKS = [
  ['types', 'npx', ['tsc', '--noEmit']],
  ['web types', 'npx', ['tsc', '-p', 'tsconfig.web.json']],
  ['lint', 'npx', ['eslint', '.']],
  ['format', 'npm', ['run', '-s', 'format:check']],
];

const results = await Promise.all(
  CHECKS.map(
    ([name, command, args]) =>
      new Promise((resolve) => {
        const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        child.on('error', (error) => resolve({ name, code: 1, output: `${output}${error.message}\n` }));
        child.on('close', (code) => resolve({ name, code: code ?? 1, output }));
      }),
  ),
);
for (const { name, code, output } of results) {
  process.stdout.write(`# ${name}: ${code === 0 ? 'ok' : `failed (exit ${code})`}\n${code === 0 ? '' : output}`);
}
process.exitCode = results.some((r) => r.code !== 0) ? 1 : 0;
