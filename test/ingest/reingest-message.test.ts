import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { derisk } from '../helpers/cli.ts';
import { INPUT, tempDir, writeTemp } from '../helpers/fixtures.ts';

// Round 46: a file ingested again exited 3, "records quarantined", for the records the first run set aside.
test('a file ingested again is not read again: its line says when it was read and its file id, that nothing new was set aside, with the counts of the run that read it and where that run quarantined records; it exits 0', () => {
  const home = tempDir();
  const file = join(INPUT, 'wos-tab.txt');
  const first = derisk(['ingest', 'wos', file], { DERISK_HOME: home });
  assert.equal(first.status, 3, first.stderr);
  assert.match(first.stdout, /^ {2}quarantined records and reasons: \S+$/m);
  const again = derisk(['ingest', 'wos', file], { DERISK_HOME: home });
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /wos-tab\.txt: already ingested on \d{4}-\d\d-\d\d \d\d:\d\d UTC \(file [0-9a-f]{64}\), not read again: nothing new set aside; when it was read, 3 records kept, 0 already known, 1 quarantined\n/);
  const path = /records quarantined when it was read and reasons: (\S+)/.exec(again.stdout)?.[1];
  assert.ok(path && existsSync(path), again.stdout);
});

// Round 47: the kinds read whole (ROR, patents, merged ids, aggregate tables) said only "already
// ingested; 14080 values (aggregate evidence), 0 rows set aside": no date, no file id, and none of
// the rows the first run set aside.
const AGGREGATE = 'year,country_a,country_b,coauthored_works\n2022,CN,DE,100\n2023,Germany,CN,5\n2023,CN,FR,many\n';
const NSF = [
  'table_id,row_id,region_country_or_economy_full_path,region_country_or_economy_level_1,region_country_or_economy_level_2,region_country_or_economy_level_3,region_country_or_economy_level_4,region_country_or_economy_hierarchy_depth,field_2021,field_2022',
  '10067,r1,World -> China -> Total articles,World,China,Total articles,,3,"6,084",6833',
  '10067,r2,World -> Germany -> Total articles,World,Germany,Total articles,,3,900,950',
  '',
].join('\n');
const MERGED_IDS = 'merge_date,id,merged_into_id\n2024-03-01,W31,W30\n2024-02-30,W902,W30\n2024-03-01,W903,I1\n';
for (const [kind, file] of [
  ['ror', join(INPUT, 'ror-small.jsonl')],
  ['lens', join(INPUT, 'lens-export.csv')],
  ['patstat', join(INPUT, 'patstat-applicants.csv')],
  ['aggregate', writeTemp('pairs.csv', AGGREGATE)],
  ['nsf', writeTemp('data.csv', NSF)],
  ['openalex-merged', writeTemp('2024-03-01.csv', MERGED_IDS)],
] as const) {
  test(`ingest ${kind} of a file ingested before says, as every kind does, when it was read, its file id, that nothing new was set aside and the counts of the run that read it; it exits 0`, () => {
    const home = tempDir();
    const first = derisk(['ingest', kind, file], { DERISK_HOME: home });
    const counts = /: ingested; (.+)$/m.exec(first.stdout)?.[1];
    assert.ok([0, 3].includes(first.status ?? -1) && counts, `${first.stdout}\n${first.stderr}`);
    const again = derisk(['ingest', kind, file], { DERISK_HOME: home });
    assert.equal(again.status, 0, again.stderr);
    const said = /: already ingested on \d{4}-\d\d-\d\d \d\d:\d\d UTC \(file [0-9a-f]{64}\), not read again: nothing new set aside; when it was read, (.+)$/m.exec(again.stdout);
    assert.equal(said?.[1], counts, again.stdout);
    assert.doesNotMatch(again.stdout + again.stderr, /: ingested;|quarantined .* row/);
  });
}

// Round 49: `ingest lens` of a Web of Science export ingested before said "already ingested" with
// the WoS run's figures as if they were patents ("0 patents kept, … 1 quarantined"), exit 0.
for (const [earlier, kind, file] of [
  ['wos', 'lens', join(INPUT, 'wos-tagged.txt')],
  ['wos', 'scopus', join(INPUT, 'wos-tagged.txt')],
  ['lens', 'patstat', join(INPUT, 'lens-export.csv')],
  ['aggregate', 'nsf', writeTemp('pairs.csv', AGGREGATE)],
  ['nsf', 'aggregate', writeTemp('data.csv', NSF)],
] as const) {
  test(`ingest ${kind} of bytes ingested as ${earlier} is a usage error naming ${earlier}, with no figures; as ${earlier} again it is "already ingested"`, () => {
    const home = tempDir();
    const first = derisk(['ingest', '--no-resolve', earlier, file], { DERISK_HOME: home });
    assert.ok([0, 3].includes(first.status ?? -1), `${first.stdout}\n${first.stderr}`);
    const other = derisk(['ingest', '--no-resolve', kind, file], { DERISK_HOME: home });
    assert.equal(other.status, 2, `${other.stdout}\n${other.stderr}`);
    assert.match(other.stderr, new RegExp(`^derisk: ${basename(file).replace('.', '\\.')}: these bytes were ingested before as ${earlier} \\(file [0-9a-f]{64}\\), not as ${kind}: `, 'm'));
    assert.doesNotMatch(other.stdout, /already ingested|kept|quarantined/);
    const same = derisk(['ingest', '--no-resolve', earlier, file], { DERISK_HOME: home });
    assert.equal(same.status, 0, same.stderr);
    assert.match(same.stdout, /already ingested/);
  });
}
