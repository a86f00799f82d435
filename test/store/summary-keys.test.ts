import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTaxonomy } from '../../src/fields/taxonomy.ts';
import { runIndicator, type IndicatorName } from '../../src/indicators/catalog.ts';
import { NO_FILTERS, parseFilters } from '../../src/indicators/filters.ts';
import { loadRegions } from '../../src/regions/regions.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';

const SUMMARY_READERS: IndicatorName[] = ['copubs', 'publications', 'fields', 'countries', 'top-institutions'];

async function answers(store: Store): Promise<unknown[]> {
  const [catalogue, taxonomy] = [loadRegions(), loadTaxonomy()];
  const out: unknown[] = [];
  for (const filters of [NO_FILTERS, parseFilters({ from: '2021', field: 'ai-image-processing' })]) {
    for (const name of SUMMARY_READERS) out.push([name, filters, await runIndicator(store, catalogue, taxonomy, { name, regions: ['EU27AC', 'CN'], filters, limit: 15, institution: null })]);
  }
  return out;
}

// A store refreshed by a version before the summaries' keys has country_set_counts and
// institution_set_counts without them, and no summary_keys: its indicators count every row
// until the next refresh, which rebuilds the summaries whole rather than recounting a few sets.
test('summaries built before their keys are not read, and the next refresh rebuilds them', async () => {
  const store = await landscapeStore(tempDir());
  try {
    const keyed = await answers(store);
    assert.ok(JSON.stringify(keyed).includes('"copublications"'), 'the landscape store has co-publications to count');
    for (const column of ['countries_key', 'fields_key', 'first_of_set']) await store.run(`ALTER TABLE country_set_counts DROP COLUMN ${column}`);
    for (const column of ['countries_key', 'inst_countries_key']) await store.run(`ALTER TABLE institution_set_counts DROP COLUMN ${column}`);
    await store.run('DROP TABLE summary_keys');
    // Were the old summaries read, every count would be off.
    await store.run('UPDATE country_set_counts SET works = works + 100');
    await store.run('UPDATE institution_set_counts SET works = works + 100');
    assert.deepEqual(await answers(store), keyed);
    assert.equal(await refreshAnalytics(store), 'full');
    assert.deepEqual(await answers(store), keyed);
    assert.equal(await refreshAnalytics(store), 'incremental');
  } finally {
    store.close();
  }
});
