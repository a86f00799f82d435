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
  assert.deepEqual(
    bad.map((b) => b[0]),
    [7, 8],
  );
  assert.match(String(bad[0]![1]), /ISO 3166-1/);
  assert.match(String(bad[1]![1]), /not a count/);
  await assert.rejects(collect(readCountryPairs(streamOf('a,b\n1,2\n'))), /expected columns year, country_a, country_b, coauthored_works/);
});

test('a count too large to be exact and a last row cut short are set aside, not rounded or shortened', async () => {
  const items = await collect(readCountryPairs(streamOf('year,country_a,country_b,coauthored_works\n2023,CN,GB,99999999999999999999\n2023,CN,IT,12\n2023,CN,ES,4')));
  assert.deepEqual(
    items.filter((i) => i.ok).map((i) => (i.ok ? i.works : 0)),
    [12],
  );
  const reasons = items.flatMap((i) => (i.ok ? [] : [i.reason]));
  assert.equal(reasons.length, 2);
  assert.match(reasons[0]!, /too large/);
  assert.match(reasons[1]!, /ends inside this row/);
});

test('a region pair sums its country pairs once each, caveats on every row, and re-ingest adds nothing', async () => {
  const store = await Store.open(join(tempDir(), 'derisk.duckdb'));
  const file = gzipTemp('pairs.csv.gz', FIXTURE);
  const first = await ingestCountryPairs(store, file);
  assert.deepEqual([first.status, first.kept, first.quarantined], ['ingested', 5, 2]);
  assert.equal((await ingestCountryPairs(store, file)).status, 'already ingested');
  const years = await aggregatePairs(store, loadRegions(), 'EU27', 'CN');
  assert.deepEqual(
    years.map((y) => [y.year, y.pairSum]),
    [
      [2022, 140],
      [2023, 120],
    ],
  );
  assert.ok(years.every((y) => y.caveats.some((c) => /upper bound/.test(c))));
  // Within one region every pair counts once, not twice.
  assert.deepEqual(
    (await aggregatePairs(store, loadRegions(), 'EU27', 'EU27')).map((y) => y.pairSum),
    [500],
  );
  assert.deepEqual(await aggregatePairs(store, loadRegions(), 'US', 'CN', parseFilters({ from: '2023' })), []);
  store.close();
});

const REAL = join(MIRROR, 'openalex-country-coauthorship-1990-2023/country_pair_coauthored_works_1990_2023.csv.gz');

test("the real table in the mirror loads whole and gives the README's CN–GB figure for 2023", { skip: !existsSync(REAL) && 'data mirror not present' }, async () => {
  const store = await Store.open(join(tempDir(), 'derisk.duckdb'));
  const r = await ingestCountryPairs(store, REAL);
  assert.deepEqual([r.kept, r.quarantined], [265_281, 0]);
  const gb = await aggregatePairs(store, loadRegions(), 'GB', 'CN', parseFilters({ from: '2023', to: '2023' }));
  assert.equal(gb[0]!.pairSum, 30_679);
  store.close();
});

const NSF = join(MIRROR, 'ncses-sei2024-ai-publication-indicators/10067/data.csv');

test('an NCSES row-hierarchical table: places mapped to ISO codes, footnotes dropped, unknown places set aside', async () => {
  const { readNsfSeries } = await import('../../src/ingest/nsf.ts');
  const { Gazetteer } = await import('../../src/resolve/gazetteer.ts');
  const csv = [
    'table_id,row_id,region_country_or_economy_full_path,region_country_or_economy_level_1,region_country_or_economy_level_2,region_country_or_economy_level_3,region_country_or_economy_level_4,region_country_or_economy_hierarchy_depth,field_2021,field_2022',
    '10067,r1,World -> China,World,China,,,2,,',
    '10067,r2,World -> China -> Total articles -> With international institutions,World,China,Total articles,With international institutions,4,"6,084",6833',
    '10067,r3,World -> United Kingdom<sup>a</sup> -> Total articles,World,United Kingdom<sup>a</sup>,Total articles,,3,100,',
    '10067,r4,World -> Georgia -> Total articles,World,Georgia,Total articles,,3,5,6',
    '10067,r5,World -> Atlantis -> Total articles,World,Atlantis,Total articles,,3,1,2',
    '',
  ].join('\n');
  const items = await collect(readNsfSeries(streamOf(csv), new Gazetteer([])));
  const ok = items.filter((i) => i.ok).map((i) => (i.ok ? [i.countryCode, i.attribute, i.year, i.value] : []));
  assert.deepEqual(ok, [
    ['CN', 'Total articles / With international institutions', 2021, 6084],
    ['CN', 'Total articles / With international institutions', 2022, 6833],
    ['GB', 'Total articles', 2021, 100],
    ['GE', 'Total articles', 2021, 5],
    ['GE', 'Total articles', 2022, 6],
  ]);
  const bad = items.filter((i) => !i.ok);
  assert.equal(bad.length, 1);
  assert.ok(!bad[0]!.ok && /"Atlantis" is not a recognised country/.test(bad[0]!.reason));
});

test("an NCSES table: the world's own series is kept; figures on a heading, figures that are not numbers and a cut last row are set aside whole", async () => {
  const { readNsfSeries } = await import('../../src/ingest/nsf.ts');
  const { Gazetteer } = await import('../../src/resolve/gazetteer.ts');
  const csv = [
    'table_id,row_id,region_country_or_economy_full_path,region_country_or_economy_level_1,region_country_or_economy_level_2,region_country_or_economy_level_3,region_country_or_economy_level_4,region_country_or_economy_hierarchy_depth,field_2021,field_2022',
    '10067,r1,World,World,,,,1,,',
    '10067,r2,World -> Total articles,World,Total articles,,,2,"113,981",123402',
    '10067,r3,World -> China,World,China,,,2,7,',
    '10067,r4,World -> China -> Total articles,World,China,Total articles,,3,0x10,5',
    '10067,r5,World -> China -> Total articles,World,China,Total articles,,3,1e3,5',
    '10067,r6,World -> France -> Total articles,World,France,Total articles,,3,12,13',
  ].join('\n');
  const items = await collect(readNsfSeries(streamOf(csv), new Gazetteer([])));
  const ok = items.filter((i) => i.ok).map((i) => (i.ok ? [i.countryCode, i.place, i.attribute, i.year, i.value] : []));
  assert.deepEqual(ok, [
    [null, 'World', 'Total articles', 2021, 113981],
    [null, 'World', 'Total articles', 2022, 123402],
  ]);
  const reasons = items.flatMap((i) => (i.ok ? [] : [[i.recordNo, i.reason]]));
  assert.equal(reasons.length, 4, 'one reason per bad row, not per figure');
  assert.match(String(reasons[0]![1]), /heading row .*World -> China.* carries figures/);
  assert.match(String(reasons[1]![1]), /field_2021 is not a number: "0x10"/);
  assert.match(String(reasons[2]![1]), /field_2021 is not a number: "1e3"/);
  assert.match(String(reasons[3]![1]), /ends inside this row/);
});

test("the real NSF AI table loads; China's internationally co-authored AI articles match its README", { skip: !existsSync(NSF) && 'data mirror not present' }, async () => {
  const { ingestNsfSeries } = await import('../../src/ingest/nsf.ts');
  const { Gazetteer } = await import('../../src/resolve/gazetteer.ts');
  const { aggregateSeries } = await import('../../src/indicators/landscape.ts');
  const store = await Store.open(join(tempDir(), 'derisk.duckdb'));
  const r = await ingestNsfSeries(store, NSF, new Gazetteer([]));
  assert.ok(r.kept > 10_000);
  assert.ok(
    r.rejected.every((x) => /Serbia and Montenegro|Gaza|West Bank|Unassigned/.test(x.reason)),
    r.rejected.map((x) => x.reason).join('; '),
  );
  const cn = (await aggregateSeries(store, loadRegions(), ['CN'])).filter((s) => s.attribute === 'Total articles / With international institutions');
  assert.deepEqual([cn[0]!.year, cn[0]!.value, cn.at(-1)!.year, cn.at(-1)!.value], [2003, 247, 2022, 6833]);
  assert.ok(cn.every((s) => s.caveats.some((c) => /All Science Journal Classification/.test(c))));
  store.close();
});
