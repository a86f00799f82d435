import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { derisk } from '../helpers/cli.ts';
import { INPUT, tempDir } from '../helpers/fixtures.ts';

test('a file ingested again is not read again: its line says so, with the counts of the run that read it and where its quarantined records are', () => {
  const home = tempDir();
  const file = join(INPUT, 'wos-tab.txt');
  const first = derisk(['ingest', 'wos', file], { DERISK_HOME: home });
  assert.equal(first.status, 3, first.stderr);
  const again = derisk(['ingest', 'wos', file], { DERISK_HOME: home });
  assert.equal(again.status, 3, again.stderr);
  assert.match(again.stdout, /wos-tab\.txt: already ingested, not read again; when it was read, 3 records were kept, 0 already known, 1 quarantined\n/);
  const path = /quarantined records and reasons: (\S+)/.exec(again.stdout)?.[1];
  assert.ok(path && existsSync(path), again.stdout);
});
