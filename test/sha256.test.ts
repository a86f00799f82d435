import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sha256Hex } from '../src/sha256.ts';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

test('sha256Hex is the SHA-256 of a string as UTF-8 and of bytes alike', () => {
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex(Buffer.from('é')), sha256Hex('é'));
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('no module of src hashes one value to hex by itself: each digest is computed by src/sha256.ts', () => {
  const oneLiner = /createHash\('sha256'\)\s*\.update\([^;]*?\)\s*\.digest\('hex'\)/;
  const offenders = (readdirSync(SRC, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.ts') && f !== 'sha256.ts')
    .filter((f) => {
      // A digest of several parts fed in turn (.update(a).update(b)) is not this one-liner.
      const m = oneLiner.exec(readFileSync(join(SRC, f), 'utf8'));
      return m !== null && m[0].split('.update(').length === 2;
    });
  assert.deepEqual(offenders, []);
});
