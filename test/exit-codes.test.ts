import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { EXIT, EXIT_CODES } from '../src/cli/common.ts';
import { SCREEN_EXIT } from '../src/cli/screening.ts';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The rows of the README table whose header row is `header`, as trimmed cells. */
function table(header: RegExp): string[][] {
  const lines = README.split('\n');
  const start = lines.findIndex((l) => header.test(l));
  assert.ok(start >= 0, `README has a table headed ${header}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

test("README's table of exit codes is the codes the commands return, with what each means and who returns it", () => {
  assert.deepEqual(
    table(/^\| Code +\| Means +\| Returned by +\|$/),
    Object.values(EXIT_CODES).map((e) => [`\`${e.code}\``, e.means, e.commands]),
  );
});

test('every code a command returns is in the table: the general ones and each screening state', () => {
  const documented = new Set<number>(Object.values(EXIT_CODES).map((e) => e.code));
  for (const code of [...Object.values(EXIT), ...Object.values(SCREEN_EXIT)]) assert.ok(documented.has(code), `exit code ${code}`);
  // The screening section's table of states says the same codes.
  const states = table(/^\| State +\|.*\| `derisk screen` exits +\|$/);
  assert.deepEqual(Object.fromEntries(states.map((r) => [r[0]!.replaceAll('`', ''), Number(r.at(-1))])), SCREEN_EXIT);
});
