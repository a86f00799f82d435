import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openIndexFile, writeIndexFile } from '../../src/screening/index-file.ts';
import { tempDir } from '../helpers/fixtures.ts';

test('an index file looked up many times is read whole once, then answers from memory as it answered from the file', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'kept.index');
    const names = new Map(Array.from({ length: 2_000 }, (_, i) => [`name ${i}`, { id: i, words: [`w${i}`, `v${i % 7}`] }]));
    const list = Array.from({ length: 1_000 }, (_, i) => `entry ${i}`);
    writeIndexFile(path, 'sig', { names, list }, []);
    const lookUps = (root: Record<string, unknown>) => {
      const m = root.names as Map<string, unknown>;
      const a = root.list as string[];
      return [...names.keys(), 'not kept', 'name 2000'].map((k) => m.get(k)).concat(Array.from({ length: a.length }, (_, i) => a[i]));
    };
    const expected = [...names.values(), undefined, undefined, ...list];
    const lazy = openIndexFile(path, 'sig', [], Infinity);
    assert.deepEqual(lookUps(lazy.root), expected);
    // Two reads a record: thousands of reads while it stays on disk.
    assert.ok(lazy.reads() > 4_000, `${lazy.reads()} reads`);
    lazy.close();
    const resident = openIndexFile(path, 'sig', [], 100);
    assert.deepEqual(lookUps(resident.root), expected);
    assert.equal(resident.reads(), 101);
    resident.close();
    // A name not asked before: remembered answers stay, the file is not read once closed.
    assert.throws(() => (resident.root.names as Map<string, unknown>).get('never asked'), /closed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
