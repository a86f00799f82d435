import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { STANDARD_PAIRS, DEFAULT_REGIONS } from '../../src/indicators/catalog.ts';
import { copublications } from '../../src/indicators/copubs.ts';
import { buildPairTops } from '../../src/indicators/institution-sets.ts';
import { buildKeptAnswers } from '../../src/indicators/kept-answers.ts';
import { topInstitutions } from '../../src/indicators/landscape.ts';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { loadRegions } from '../../src/regions/regions.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { COUNTRY_SET_STATEMENTS, INSTITUTION_SET_STATEMENTS, nextAnalyticsGeneration, refreshAnalytics } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { INPUT, tempDir } from '../helpers/fixtures.ts';

// A store counted by an earlier counting rule (the store's basis names the rule: src/store/refresh.ts, COUNTING) is
// counted again by the next refresh, however little an ingest touched; one counted by this rule is not. Works of
// test/input/openalex-source-claims.jsonl: in W9000000002 the string is Oxford, OpenAlex asserts Harbin Engineering
// University (China); the rule of round 48 counts Oxford, the rule before it the source's Chinese university.
const HARBIN_ENGINEERING = '03x80pn82';

async function ingested() {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  await ingestRegistry(store, join(INPUT, 'ror-small.jsonl'));
  await ingestWorks(store, 'openalex', join(INPUT, 'openalex-source-claims.jsonl'), { quarantineDir: join(dir, 'q') });
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)), undefined, undefined, null);
  assert.equal(await refreshAnalytics(store), 'full');
  return store;
}

/** The landscape's first view as a reader gets it: EU27/AC–CN co-publications (kept at refresh) and the pair's top institutions (kept rankings). */
async function landscape(store: Store) {
  const catalogue = loadRegions();
  return { copubs: await copublications(store, catalogue, 'EU27AC', 'CN'), tops: await topInstitutions(store, catalogue, 'EU27AC', 'CN', 10) };
}

/** What a refresh by the earlier rule left: the Oxford author counted at the source's Chinese university, the summaries and kept answers counted from that. */
async function countedByEarlierRule(store: Store) {
  await store.run(`UPDATE work_affiliations SET ror_id = $1, country_code = 'CN', matched_by = 'source', source_ror_ids = NULL WHERE work_id = 'openalex:W9000000002' AND author_seq = 1`, [HARBIN_ENGINEERING]);
  await store.run(`UPDATE work_institutions SET ror_id = $1, country_code = 'CN' WHERE work_id = 'openalex:W9000000002' AND ror_id = '052gg0110'`, [HARBIN_ENGINEERING]);
  for (const sql of [...COUNTRY_SET_STATEMENTS, ...INSTITUTION_SET_STATEMENTS]) await store.run(sql);
  await nextAnalyticsGeneration(store);
  await buildPairTops(store, loadRegions(), STANDARD_PAIRS);
  await buildKeptAnswers(store, loadRegions(), STANDARD_PAIRS, DEFAULT_REGIONS);
}

const basis = async (store: Store) => JSON.parse((await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'analytics_basis'`))!.value) as Record<string, unknown>;

test('a store counted by an earlier counting rule is counted again by the next refresh, its kept answers and rankings too', async () => {
  const store = await ingested();
  try {
    const now = await landscape(store);
    assert.deepEqual(now.copubs, [{ year: 2023, full: 3, fractional: 3 }]);
    await countedByEarlierRule(store);
    // The earlier rule makes the Oxford author's work a fourth EU27/AC–CN co-publication, TU Dresden's too.
    const earlier = await landscape(store);
    assert.deepEqual(earlier.copubs, [{ year: 2023, full: 4, fractional: 4 }]);
    assert.deepEqual(
      earlier.tops.map((t) => [t.rorId, t.copublications]),
      [['042aqky30', 4]],
    );
    // Only the counting rule differs from this version's basis, which names it.
    const stored = await basis(store);
    assert.equal(typeof stored.counting, 'string');
    await store.run(`INSERT OR REPLACE INTO meta VALUES ('analytics_basis', $1)`, [JSON.stringify({ ...stored, counting: 'an-earlier-rule' })]);
    assert.equal(await refreshAnalytics(store), 'full');
    assert.deepEqual(await basis(store), stored);
    assert.deepEqual(await landscape(store), now);
  } finally {
    store.close();
  }
});

test('with the counting rule unchanged and nothing ingested, a refresh counts nothing again: the kept answers and rankings are served as kept', async () => {
  const store = await ingested();
  try {
    await countedByEarlierRule(store);
    const kept = await landscape(store);
    assert.equal(await refreshAnalytics(store), 'incremental');
    assert.deepEqual(await landscape(store), kept);
  } finally {
    store.close();
  }
});
