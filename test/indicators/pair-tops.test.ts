import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { STANDARD_PAIRS } from '../../src/indicators/catalog.ts';
import { NO_FILTERS, parseFilters } from '../../src/indicators/filters.ts';
import { buildPairTops, PAIR_TOPS_KEPT, readsPairTops, regionKey } from '../../src/indicators/institution-sets.ts';
import { topInstitutions } from '../../src/indicators/landscape.ts';
import { loadRegions } from '../../src/regions/regions.ts';
import { COUNTRY_SET_STATEMENTS, INSTITUTION_SET_STATEMENTS, nextAnalyticsGeneration } from '../../src/store/refresh.ts';
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

/** The summaries rebuilt from the work × institution rows as they are, as a refresh's statements build them (no ranking kept). */
const countSummaries = async (store: Store) => {
  for (const sql of [...COUNTRY_SET_STATEMENTS, ...INSTITUTION_SET_STATEMENTS]) await store.run(sql);
};

/** What a refresh of this version writes after counting: its basis (marked as stamping its rankings), a new generation, and the rankings stamped with them. */
async function refreshedHere(store: Store) {
  await store.run(`INSERT OR REPLACE INTO meta VALUES ('analytics_basis', $1)`, [JSON.stringify({ minTier: 'strong', rules: 'r', resolution: 'v', stamped: 1 })]);
  await nextAnalyticsGeneration(store);
  await buildPairTops(store, loadRegions(), STANDARD_PAIRS);
}

/** A refresh by a version that keeps no rankings: it counts the summaries and writes its own basis, one without the mark, and leaves pair_tops as it was. */
async function refreshedByOlderVersion(store: Store) {
  await countSummaries(store);
  await store.run(`INSERT OR REPLACE INTO meta VALUES ('analytics_basis', $1)`, [JSON.stringify({ minTier: 'strong', rules: 'r', resolution: 'v' })]);
}

/** Some European institution given co-publications with China enough to lead EU27AC–CN: new works, in the rows the summaries count from. */
async function newLeader(store: Store, ror: string, works: number) {
  await store.run(`INSERT INTO work_institutions SELECT 'lead:' || $1 || ':' || i, 2020, unnest([$1, '0i000001']), unnest(['DE', 'CN']), 'exact', 0.5, 1 FROM range($2) t(i)`, [ror, works]);
  await store.run(`INSERT INTO works SELECT DISTINCT work_id, year FROM work_institutions WHERE work_id LIKE 'lead:' || $1 || ':%'`, [ror]);
}

test('a kept ranking answers only for the summaries it was ranked from: a refresh by an older version, by a round-45 one, or any write numbering the summaries anew leaves it unread, and the summary answers', async () => {
  const store = await generatedStore();
  const catalogue = loadRegions();
  const keys: [string, string] = [regionKey(catalogue, 'EU27AC'), regionKey(catalogue, 'CN')];
  const answer = () => topInstitutions(store, catalogue, 'EU27AC', 'CN', 15);
  const fromSummary = async () => {
    await aside(store, 'pair_top_keys', true);
    try {
      return await answer();
    } finally {
      await aside(store, 'pair_top_keys', false);
    }
  };
  const readsKept = () => readsPairTops(store, NO_FILTERS, keys, 15);
  try {
    await refreshedHere(store);
    assert.ok(await readsKept(), 'a refresh of this version reads its own ranking');
    assert.deepEqual(await answer(), await fromSummary());

    // A version before pair_tops refreshes, fully (the new works counted) and then incrementally (a count changed), its summaries ahead of the ranking.
    const before = await answer();
    await newLeader(store, '0older01', 40);
    await refreshedByOlderVersion(store);
    assert.equal(await readsKept(), false, 'an older full refresh leaves the ranking unread');
    assert.equal((await answer())[0]!.rorId, '0older01');
    assert.deepEqual(await answer(), await fromSummary());
    await store.run(`UPDATE institution_set_counts SET works = works + 60 WHERE ror_id = (SELECT ror_id FROM institution_set_counts WHERE ror_id <> '0older01' AND 'DE' IN inst_countries AND 'CN' IN countries LIMIT 1)`);
    await store.run(`INSERT OR REPLACE INTO meta VALUES ('analytics_basis', $1)`, [JSON.stringify({ minTier: 'strong', rules: 'r', resolution: 'v' })]);
    assert.equal(await readsKept(), false, 'an older incremental refresh too');
    assert.notEqual((await answer())[0]!.rorId, '0older01');
    assert.deepEqual(await answer(), await fromSummary());
    assert.notDeepEqual(await answer(), before);

    // This version refreshes again: its ranking is read, and answers as the summary does.
    await countSummaries(store);
    await refreshedHere(store);
    assert.ok(await readsKept());
    assert.deepEqual(await answer(), await fromSummary());

    // A round-45 version (rankings kept, without stamps) refreshes: its basis has no mark and its keys no stamp.
    await newLeader(store, '0round45', 80);
    await refreshedByOlderVersion(store);
    await store.run('CREATE OR REPLACE TABLE pair_top_keys AS SELECT a_key, b_key, kept, asked FROM pair_top_keys');
    assert.equal(await readsKept(), false, 'keys without stamps are not read');
    assert.equal((await answer())[0]!.rorId, '0round45');
    await store.run(`INSERT OR REPLACE INTO meta VALUES ('analytics_basis', $1)`, [JSON.stringify({ minTier: 'strong', rules: 'r', resolution: 'v', stamped: 1 })]);
    assert.deepEqual(await answer(), await fromSummary());

    // This version, then any of its writes to the summaries that does not rank again (it numbers them anew).
    await refreshedHere(store);
    assert.ok(await readsKept());
    await newLeader(store, '0nogen01', 120);
    await countSummaries(store);
    await nextAnalyticsGeneration(store);
    assert.equal(await readsKept(), false, 'a new generation without a new ranking is not read');
    assert.equal((await answer())[0]!.rorId, '0nogen01');
    assert.deepEqual(await answer(), await fromSummary());
    await buildPairTops(store, catalogue, STANDARD_PAIRS);
    assert.ok(await readsKept(), 'ranked again, it is read again');
    assert.deepEqual(await answer(), await fromSummary());
  } finally {
    store.close();
  }
});
