import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const CRASH = fileURLToPath(new URL('../src/crash.ts', import.meta.url));
// Passes two points five times each, writing (synchronously, so nothing is lost to the kill) after each pass.
const SCRIPT = `import { writeSync } from 'node:fs'; import { crashPoint } from ${JSON.stringify(CRASH)};
for (let i = 1; i <= 5; i++) { crashPoint('other.point'); crashPoint('test.point'); writeSync(1, i + '\\n'); }`;

const run = (crashAt?: string) => {
  const env = { ...process.env };
  delete env.DERISK_CRASH_AT;
  if (crashAt !== undefined) env.DERISK_CRASH_AT = crashAt;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { env, encoding: 'utf8' });
};

test('DERISK_CRASH_AT=<point>:<n> kills the process (SIGKILL) the n-th time it passes that point, and only then', () => {
  for (const n of [1, 3, 5]) {
    const r = run(`test.point:${n}`);
    assert.equal(r.signal, 'SIGKILL');
    assert.deepEqual(
      r.stdout.trim().split('\n').filter(Boolean).map(Number),
      Array.from({ length: n - 1 }, (_, i) => i + 1),
      `armed at ${n}`,
    );
  }
  const never = run('test.point:6');
  assert.deepEqual([never.status, never.signal, never.stdout], [0, null, '1\n2\n3\n4\n5\n'], 'a sixth pass never comes');
  const unset = run();
  assert.deepEqual([unset.status, unset.stdout], [0, '1\n2\n3\n4\n5\n'], 'unset, nothing happens');
});

test('a malformed DERISK_CRASH_AT is refused, naming the variable and the form it takes', () => {
  for (const spec of ['test.point', 'test.point:0', 'test.point:x', ':3']) {
    const r = run(spec);
    assert.equal(r.status, 1, spec);
    assert.match(r.stderr, /DERISK_CRASH_AT=.*expected <point>:<n>/, spec);
    assert.equal(r.stdout, '', spec);
  }
});
