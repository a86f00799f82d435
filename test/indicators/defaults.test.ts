import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { Store } from '../../src/store/store.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { testService } from '../helpers/service.ts';

// An NCSES table in its real shape: China, the United States and two EU countries.
const NSF = [
  'table_id,row_id,region_country_or_economy_full_path,region_country_or_economy_level_1,region_country_or_economy_level_2,region_country_or_economy_level_3,region_country_or_economy_level_4,region_country_or_economy_hierarchy_depth,field_2021,field_2022',
  '10067,r1,World -> China -> Total articles,World,China,Total articles,,3,"6,084",6833',
  '10067,r2,World -> United States -> Total articles,World,United States,Total articles,,3,5000,5100',
  '10067,r3,World -> Germany -> Total articles,World,Germany,Total articles,,3,900,950',
  '10067,r4,World -> France -> Total articles,World,France,Total articles,,3,700,720',
  '',
].join('\n');

test('aggregate-series without regions gives the same series from the CLI and over HTTP (EU27AC, CN, US)', async () => {
  const home = tempDir();
  const ingest = derisk(['ingest', 'nsf', writeTemp('data.csv', NSF)], { DERISK_HOME: home });
  assert.equal(ingest.status, 0, ingest.stderr);
  const cli = derisk(['indicators', 'aggregate-series', '--json'], { DERISK_HOME: home });
  assert.equal(cli.status, 0, cli.stderr);
  const rows = JSON.parse(cli.stdout) as { region?: string; year: number; value: number }[];
  assert.ok(rows.length > 0, cli.stdout);

  const store = await Store.open(join(home, 'derisk.duckdb'));
  const service = await testService(store);
  try {
    const r = await service.app.inject({ url: '/api/indicators/aggregate-series', headers: { authorization: `Bearer ${service.token}` } });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json().rows, rows);
    const named = await service.app.inject({ url: '/api/indicators/aggregate-series?regions=EU27AC,CN,US', headers: { authorization: `Bearer ${service.token}` } });
    assert.deepEqual(named.json().rows, rows, 'the defaults are EU27AC, CN and US');
  } finally {
    await service.close();
    store.close();
  }
});
