import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { STANDARD_PAIRS } from '../../src/indicators/catalog.ts';
import { NO_FILTERS, parseFilters } from '../../src/indicators/filters.ts';
import { buildPairTops, PAIR_TOPS_KEPT } from '../../src/indicators/institution-sets.ts';
import { topInstitutions } from '../../src/indicators/landscape.ts';
import { loadRegions } from '../../src/regions/regions.ts';
import { COUNTRY_SET_STATEMENTS, INSTITUTION_SET_STATEMENTS } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';

/**
 * A store of 6,000 generated works over 400 institutions (as the bench's analytics-only store,
 * smaller): most European institutions have a few co-publications with China, so the ranking is
 * mostly ties, and more than PAIR_TOPS_KEPT of them have some.
 */
async function generatedStore(): Promise<Store> {
  const store = await Store.open(join(tempDir(), 'generated.duckdb'));
  await store.run(`CREATE OR REPLACE TABLE work_institutions AS
    WITH w AS (SELECT i AS n, 2015 + (hash(i) % 8)::INTEGER AS year, 1 + (hash(i * 7) % 5)::INTEGER AS k FROM range(6000) t(i)),
    rows AS (SELECT n, year, k, unnest(range(k)) AS j FROM w)
    SELECT 'w:' || n AS work_id, year, printf('0i%06d', hash(n * 31 + j) % 400) AS ror_id,
      ['CN','CN','HK','US','DE','GB','FR','NL','IT','SE','CH','JP'][1 + (hash(n * 13 + j) % 12)::INTEGER] AS country_code,
      'exact' AS tier, 1.0 / k AS weight, 1 AS authors
    FROM rows ORDER BY year`);
  await store.run(`CREATE OR REPLACE TABLE works AS SELECT DISTINCT work_id, year FROM work_institutions`);
  await store.run(`CREATE OR REPLACE TABLE work_fields AS SELECT work_id, ['ai-ml-big-data','ai-image-processing'][1 + (hash(work_id) % 2)::INTEGER] AS field_id FROM works`);
  for (const sql of [...COUNTRY_SET_STATEMENTS, ...INSTITUTION_SET_STATEMENTS]) await store.run(sql);
  await buildPairTops(store, loadRegions(), STANDARD_PAIRS);
  return store;
}

const aside = (store: Store, table: string, away: boolean) => store.run(away ? `ALTER TABLE ${table} RENAME TO ${table}_aside` : `ALTER TABLE ${table}_aside RENAME TO ${table}`);

test("the top institutions kept at refresh for the dashboard's pairs answer as the summary and the rows do: ties, limits past what is kept, filters, other countries", async () => {
  const store = await generatedStore();
  try {
    const kept = await store.all<{ a_key: string; kept: number }>('SELECT a_key, kept FROM pair_top_keys');
    assert.equal(kept.length, STANDARD_PAIRS.length);
    assert.ok(
      kept.every((k) => k.kept === PAIR_TOPS_KEPT),
      'every pair has more ranked institutions than are kept',
    );
    const field = parseFilters({ field: 'ai-image-processing' });
    const [catalogue, withHongKong] = [loadRegions(), loadRegions(undefined, { chinaIncludesHongKong: true })];
    // Each pair as much as the kept ranking holds and one more; filtered (never kept); and China counted with Hong Kong, which the kept ranking did not count.
    const asks: [typeof catalogue, string, string, number, typeof NO_FILTERS][] = [[withHongKong, 'EU27AC', 'CN', 15, NO_FILTERS]];
    for (const [a, b] of [...STANDARD_PAIRS, ['CN', 'EU27AC']]) {
      for (const limit of [15, PAIR_TOPS_KEPT, PAIR_TOPS_KEPT + 1]) asks.push([catalogue, a!, b!, limit, NO_FILTERS]);
      for (const filters of [parseFilters({ from: '2017', to: '2020' }), field]) asks.push([catalogue, a!, b!, 15, filters]);
    }
    const answer = async () => {
      const out: unknown[] = [];
      for (const [catalogue, a, b, limit, filters] of asks) out.push(await topInstitutions(store, catalogue, a, b, limit, filters));
      return out;
    };
    const fromKept = await answer();
    const top = fromKept[1] as { copublications: number }[];
    assert.equal(top.length, 15);
    assert.ok(
      top.some((t, i) => i > 0 && t.copublications === top[i - 1]!.copublications),
      'the ranking has ties for ids to break',
    );
    await aside(store, 'pair_top_keys', true);
    const fromSummary = await answer();
    await aside(store, 'institution_set_counts', true);
    const fromRows = await answer();
    await aside(store, 'institution_set_counts', false);
    await aside(store, 'pair_top_keys', false);
    assert.deepEqual(fromKept, fromSummary);
    assert.deepEqual(fromSummary, fromRows);
    // ...and the kept ranking is what the unfiltered answers were read from.
    await store.run(`UPDATE pair_tops SET n = n + 100 WHERE rank = 1`);
    const [first] = await topInstitutions(store, loadRegions(), 'EU27AC', 'CN', 15);
    assert.equal(first!.copublications, top[0]!.copublications + 100);
  } finally {
    store.close();
  }
});
