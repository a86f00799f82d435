import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('helpers/fixtures.ts', import.meta.url));
// Makes a directory with a file in it the way tests do, prints its path, and ends as a failed test file ends.
const SCRIPT = `import { tempDir, writeTemp } from ${JSON.stringify(FIXTURES)};
const dir = tempDir(); writeTemp('a.txt', 'x', dir); console.log(dir); process.exitCode = 1;`;

test('the temporary directories a test file makes are gone when its process exits, also when it failed', () => {
  const r = spawnSync(process.execPath, [...process.execArgv, '--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  const dir = r.stdout.trim();
  assert.match(dir, /derisk-test-/);
  assert.equal(existsSync(dir), false, `${dir} is left behind`);
});
