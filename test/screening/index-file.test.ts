import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
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

/** Rows of one shape: made here, they share one hidden class, whose fields V8 widens for all of them. */
const row = (rate: number, name: string, ids: number[]) => ({ rate, name, ids });

/**
 * The same values as V8's heap may hold them after different histories: a whole number as a
 * small integer or a double (after a row of the same shape held a fraction, or in an array that
 * held one), and a Latin-1 string in one- or two-byte form (cut from a string with a wider character).
 */
function sameValues(heap: 'first' | 'second') {
  if (heap === 'second') row(0.25, '', []);
  const rows = Array.from({ length: 600 }, (_, i) => row(i % 3, `name ${i}`, [i, -i, 2 ** 31 + i]));
  const rates = rows.map((r) => r.rate);
  const word = (w: string) => (heap === 'first' ? w : `${w}\u4e2d`.slice(0, w.length));
  const shared = { why: word('a user said so'), at: 1.5, none: undefined, set: new Set([word('café'), NaN]), minusZero: -0 };
  const names = new Map(rows.map((r) => [word(r.name), r]));
  return { names, list: heap === 'first' ? rates : [0.5, ...rates].slice(1), small: { shared, again: shared, why: word('Zürich'), rates: heap === 'first' ? rates.slice(0, 5) : [0.5, ...rates.slice(0, 5)].slice(1) }, unicode: word('Tsinghua 清华') };
}

test('the same values give byte-identical index files, however the heap held them', () => {
  const dir = tempDir();
  try {
    const digests = (['first', 'second', 'first'] as const).map((heap, i) => {
      const path = join(dir, `kept-${i}.index`);
      writeIndexFile(path, 'sig', sameValues(heap), []);
      return createHash('sha256').update(readFileSync(path)).digest('hex');
    });
    assert.equal(new Set(digests).size, 1, digests.join(' '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a canonically written index file reads back the values written, shared references included', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'kept.index');
    const written = sameValues('second');
    writeIndexFile(path, 'sig', written, []);
    const file = openIndexFile(path, 'sig', [], Infinity);
    const root = file.root as ReturnType<typeof sameValues>;
    assert.deepEqual(
      [...written.names.keys()].map((k) => root.names.get(k)),
      [...written.names.values()],
    );
    assert.deepEqual(
      Array.from({ length: written.list.length }, (_, i) => root.list[i]),
      written.list,
    );
    assert.deepEqual(root.small, written.small);
    assert.equal(root.small.shared, root.small.again, 'a value kept twice is one value again');
    assert.ok(Object.is(root.small.shared.minusZero, -0));
    assert.equal(root.unicode, written.unicode);
    file.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('looking up names not kept, or reading an array of numbers, reads nothing more from the file', () => {
  const dir = tempDir();
  try {
    const path = join(dir, 'kept.index');
    const names = new Map(Array.from({ length: 2_000 }, (_, i) => [`name ${i}`, { id: i }]));
    const weights = Array.from({ length: 1_000 }, (_, i) => i / 7);
    writeIndexFile(path, 'sig', { names, weights }, []);
    const file = openIndexFile(path, 'sig', [], Infinity);
    const root = file.root as { names: Map<string, unknown>; weights: number[] };
    assert.deepEqual(root.names.get('name 1'), { id: 1 });
    const before = file.reads();
    // Each a new name, as a resolver asks for every phrase of every string it meets: none is in the file.
    assert.ok(Array.from({ length: 5_000 }, (_, i) => root.names.get(`other ${i}`)).every((v) => v === undefined));
    assert.deepEqual(
      Array.from({ length: weights.length }, (_, i) => root.weights[i]),
      weights,
    );
    assert.equal(file.reads(), before);
    file.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
