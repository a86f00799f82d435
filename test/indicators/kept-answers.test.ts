import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DEFAULT_REGIONS, STANDARD_PAIRS } from '../../src/indicators/catalog.ts';
import { copublications } from '../../src/indicators/copubs.ts';
import { NO_FILTERS, parseFilters, type Filters } from '../../src/indicators/filters.ts';
import { buildKeptAnswers } from '../../src/indicators/kept-answers.ts';
import { fieldBreakdown, publicationsByRegion } from '../../src/indicators/landscape.ts';
import type { RegionCatalogue } from '../../src/regions/catalogue.ts';
import { loadRegions } from '../../src/regions/regions.ts';
import { COUNTRY_SET_STATEMENTS, INSTITUTION_SET_STATEMENTS, nextAnalyticsGeneration } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';

/** 3,000 generated works (as the bench's analytics-only store, smaller), Hong Kong among the countries, with the country summary counted and the first view's answers kept. */
async function generatedStore(): Promise<Store> {
  const store = await Store.open(join(tempDir(), 'generated.duckdb'));
  await store.run(`CREATE OR REPLACE TABLE work_institutions AS
    WITH w AS (SELECT i AS n, 2015 + (hash(i) % 8)::INTEGER AS year, 1 + (hash(i * 7) % 5)::INTEGER AS k FROM range(3000) t(i)),
    rows AS (SELECT n, year, k, unnest(range(k)) AS j FROM w)
    SELECT 'w:' || n AS work_id, year, printf('0i%06d', hash(n * 31 + j) % 300) AS ror_id,
      ['CN','CN','HK','US','DE','GB','FR','NL','IT','SE','CH','JP'][1 + (hash(n * 13 + j) % 12)::INTEGER] AS country_code,
      'exact' AS tier, 1.0 / k AS weight, 1 AS authors
    FROM rows ORDER BY year`);
  await store.run(`CREATE OR REPLACE TABLE works AS SELECT DISTINCT work_id, year FROM work_institutions`);
  await store.run(`CREATE OR REPLACE TABLE work_fields AS SELECT work_id, ['ai-ml-big-data','ai-image-processing'][1 + (hash(work_id) % 2)::INTEGER] AS field_id FROM works`);
  await refreshedHere(store);
  return store;
}

/** What a refresh of this version does after its statements: a new generation, and the answers kept, stamped with it. */
async function refreshedHere(store: Store) {
  for (const sql of [...COUNTRY_SET_STATEMENTS, ...INSTITUTION_SET_STATEMENTS]) await store.run(sql);
  await nextAnalyticsGeneration(store);
  await buildKeptAnswers(store, loadRegions(), STANDARD_PAIRS, DEFAULT_REGIONS);
}

const aside = (store: Store, table: string, away: boolean) => store.run(away ? `ALTER TABLE ${table} RENAME TO ${table}_aside` : `ALTER TABLE ${table}_aside RENAME TO ${table}`);

/** The first view's country-counting answers and others around them: filtered (never kept), China counted with Hong Kong (other countries), a pair the other way round, other regions. */
async function answers(store: Store) {
  const [plain, withHongKong] = [loadRegions(), loadRegions(undefined, { chinaIncludesHongKong: true })];
  const filters: Filters[] = [NO_FILTERS, parseFilters({ rollup: true }), parseFilters({ from: '2017', to: '2020' }), parseFilters({ to: '2021' }), parseFilters({ field: 'ai-image-processing' })];
  const out: unknown[] = [];
  for (const catalogue of [plain, withHongKong] as RegionCatalogue[]) {
    for (const f of filters) {
      for (const [a, b] of [...STANDARD_PAIRS, ['CN', 'EU27AC'] as [string, string]]) out.push(await copublications(store, catalogue, a, b, f), await fieldBreakdown(store, catalogue, a, b, f));
      for (const regions of [DEFAULT_REGIONS, ['US', 'CN'], ['EU27AC', 'CN', 'US', 'GB']]) out.push(await publicationsByRegion(store, catalogue, regions, f));
    }
  }
  return out;
}

test("the first view's answers kept at refresh are the summary's and the rows' for every filter, region setting and order", async () => {
  const store = await generatedStore();
  try {
    assert.equal((await store.one<{ n: number }>('SELECT count(*)::INTEGER AS n FROM kept_answers'))!.n, 2 * STANDARD_PAIRS.length + 1);
    const kept = await answers(store);
    assert.ok((kept[0] as unknown[]).length > 0 && (kept[1] as unknown[]).length > 0, 'the pair has co-publications in fields');
    await aside(store, 'kept_answers', true);
    const summary = await answers(store);
    await aside(store, 'country_set_counts', true);
    const rows = await answers(store);
    await aside(store, 'country_set_counts', false);
    await aside(store, 'kept_answers', false);
    assert.deepEqual(kept, summary);
    assert.deepEqual(summary, rows);
    // ...and the unfiltered answers of the first view are read from what was kept, the others not.
    await store.run(`UPDATE kept_answers SET rows = '[{"marked":1}]'`);
    const catalogue = loadRegions();
    assert.deepEqual(await copublications(store, catalogue, 'EU27AC', 'CN'), [{ marked: 1 }]);
    assert.deepEqual(await copublications(store, catalogue, 'US', 'CN', parseFilters({ rollup: true })), [{ marked: 1 }], 'roll-up does not change what counts by country');
    assert.deepEqual(await fieldBreakdown(store, catalogue, 'EU27AC', 'CN'), [{ marked: 1 }]);
    assert.deepEqual(await publicationsByRegion(store, catalogue, DEFAULT_REGIONS), [{ marked: 1 }]);
    // Unfiltered and rolled up: the 7 kept answers, and with Hong Kong counted in China the 2 of EU27AC–US, whose countries it leaves alone.
    assert.equal((await answers(store)).filter((x) => JSON.stringify(x) === '[{"marked":1}]').length, 2 * (7 + 2));
  } finally {
    store.close();
  }
});

test('a kept answer is read only while its stamp is the summary’s: a write numbering the summaries anew, or another basis, leaves it unread and the summary answers', async () => {
  const store = await generatedStore();
  const catalogue = loadRegions();
  const firstView = async () => [await copublications(store, catalogue, 'EU27AC', 'CN'), await fieldBreakdown(store, catalogue, 'US', 'CN'), await publicationsByRegion(store, catalogue, DEFAULT_REGIONS)];
  const fromSummary = async () => {
    await aside(store, 'kept_answers', true);
    try {
      return await firstView();
    } finally {
      await aside(store, 'kept_answers', false);
    }
  };
  try {
    await store.run(`INSERT OR REPLACE INTO meta VALUES ('analytics_basis', 'b1')`);
    await refreshedHere(store);
    const before = await firstView();
    assert.deepEqual(before, await fromSummary());
    // New works between China and Europe and the US, counted by a write that keeps no answers but numbers the summaries anew.
    await store.run(`INSERT INTO work_institutions SELECT 'new:' || i, 2020, unnest(['0inew001', '0inew002', '0inew003']), unnest(['DE', 'CN', 'US']), 'exact', 1 / 3, 1 FROM range(50) t(i)`);
    await store.run(`INSERT INTO works SELECT DISTINCT work_id, year FROM work_institutions WHERE work_id LIKE 'new:%'`);
    await store.run(`INSERT INTO work_fields SELECT DISTINCT work_id, 'ai-image-processing' FROM work_institutions WHERE work_id LIKE 'new:%'`);
    for (const sql of [...COUNTRY_SET_STATEMENTS, ...INSTITUTION_SET_STATEMENTS]) await store.run(sql);
    await nextAnalyticsGeneration(store);
    const counted = await fromSummary();
    assert.notDeepEqual(counted, before);
    assert.deepEqual(await firstView(), counted, 'a new generation without answers kept again');
    // Kept again: read again (the same answers); then another basis written (a refresh by a version keeping none) leaves them unread.
    await buildKeptAnswers(store, catalogue, STANDARD_PAIRS, DEFAULT_REGIONS);
    await store.run(`UPDATE kept_answers SET rows = '[{"marked":1}]'`);
    assert.deepEqual(await firstView(), [[{ marked: 1 }], [{ marked: 1 }], [{ marked: 1 }]]);
    await store.run(`INSERT OR REPLACE INTO meta VALUES ('analytics_basis', 'b2')`);
    assert.deepEqual(await firstView(), counted, 'another basis');
  } finally {
    store.close();
  }
});
