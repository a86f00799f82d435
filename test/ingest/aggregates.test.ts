import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ingestCountryPairs, readCountryPairs } from '../../src/ingest/aggregates.ts';
import { aggregatePairs } from '../../src/indicators/landscape.ts';
import { parseFilters } from '../../src/indicators/filters.ts';
import { loadRegions } from '../../src/regions/regions.ts';
import { Store } from '../../src/store/store.ts';
import { MIRROR, collect, gzipTemp, streamOf, tempDir } from '../helpers/fixtures.ts';

const FIXTURE = 'year,country_a,country_b,coauthored_works\n2022,CN,DE,100\n2022,CN,FR,40\n2022,DE,FR,500\n2022,CN,US,300\n2023,CN,DE,120\n2023,Germany,CN,5\n2023,CN,FR,many\n';

test('bad rows are set aside with their line and reason; good rows are kept', async () => {
  const items = await collect(readCountryPairs(streamOf(FIXTURE)));
  assert.equal(items.filter((i) => i.ok).length, 5);
  const bad = items.filter((i) => !i.ok).map((i) => (!i.ok ? [i.lineNo, i.reason] : []));
  assert.deepEqual(bad.map((b) => b[0]), [7, 8]);
  assert.match(String(bad[0]![1]), /ISO 3166-1/);
  assert.match(String(bad[1]![1]), /not a count/);
  await assert.rejects(collect(readCountryPairs(streamOf('a,b\n1,2\n'))), /expected columns year, country_a, country_b, coauthored_works/);
});

test('a region pair sums its country pairs once each, caveats on every row, and re-ingest adds nothing', async () => {
  const store = await Store.open(join(tempDir(), 'derisk.duckdb'));
  const file = gzipTemp('pairs.csv.gz', FIXTURE);
  const first = await ingestCountryPairs(store, file);
  assert.deepEqual([first.status, first.rows, first.quarantined], ['ingested', 5, 2]);
  assert.equal((await ingestCountryPairs(store, file)).status, 'already ingested');
  const years = await aggregatePairs(store, loadRegions(), 'EU27', 'CN');
  assert.deepEqual(years.map((y) => [y.year, y.pairSum]), [[2022, 140], [2023, 120]]);
  assert.ok(years.every((y) => y.caveats.some((c) => /upper bound/.test(c))));
  // Within one region every pair counts once, not twice.
  assert.deepEqual((await aggregatePairs(store, loadRegions(), 'EU27', 'EU27')).map((y) => y.pairSum), [500]);
  assert.deepEqual((await aggregatePairs(store, loadRegions(), 'US', 'CN', parseFilters({ from: '2023' }))), []);
  store.close();
});

const REAL = join(MIRROR, 'openalex-country-coauthorship-1990-2023/country_pair_coauthored_works_1990_2023.csv.gz');

test('the real table in the mirror loads whole and gives the README\'s CN–GB figure for 2023', { skip: !existsSync(REAL) && 'data mirror not present' }, async () => {
  const store = await Store.open(join(tempDir(), 'derisk.duckdb'));
  const r = await ingestCountryPairs(store, REAL);
  assert.deepEqual([r.rows, r.quarantined], [265_281, 0]);
  const gb = await aggregatePairs(store, loadRegions(), 'GB', 'CN', parseFilters({ from: '2023', to: '2023' }));
  assert.equal(gb[0]!.pairSum, 30_679);
  store.close();
});
