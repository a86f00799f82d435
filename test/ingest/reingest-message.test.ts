import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { derisk } from '../helpers/cli.ts';
import { INPUT, tempDir } from '../helpers/fixtures.ts';

// Round 46: a file ingested again exited 3, "records quarantined", for the records the first run set aside.
test('a file ingested again is not read again: its line says when it was read and its file id, that nothing new was set aside, with the counts of the run that read it and where that run quarantined records; it exits 0', () => {
  const home = tempDir();
  const file = join(INPUT, 'wos-tab.txt');
  const first = derisk(['ingest', 'wos', file], { DERISK_HOME: home });
  assert.equal(first.status, 3, first.stderr);
  assert.match(first.stdout, /^ {2}quarantined records and reasons: \S+$/m);
  const again = derisk(['ingest', 'wos', file], { DERISK_HOME: home });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /wos-tab\.txt: already ingested on \d{4}-\d\d-\d\d \d\d:\d\d UTC \(file [0-9a-f]{64}\), not read again: nothing new set aside; when it was read, 3 records were kept, 0 already known, 1 quarantined\n/);
  const path = /records quarantined when it was read and reasons: (\S+)/.exec(again.stdout)?.[1];
  assert.ok(path && existsSync(path), again.stdout);
});
