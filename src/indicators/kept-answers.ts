import type { RegionCatalogue } from '../regions/catalogue.ts';
import type { Store } from '../store/store.ts';
import { copublications } from './copubs.ts';
import { answerKey, STAMP, type KeptIndicator } from './country-sets.ts';
import { NO_FILTERS } from './filters.ts';
import { fieldBreakdown, publicationsByRegion } from './landscape.ts';

/**
 * Keeps the unfiltered answers of the dashboard's first view that count by country (co-publications
 * and fields of each pair, publications of the default regions), as JSON text of the rows the
 * summary gave (keptAnswer reads them back): a process opening the store then answers its first
 * view with a few small reads instead of scanning country_set_counts once per query (1M synthetic
 * works: 1.09M rows, the bulk of the first load). Built after every refresh, full or incremental,
 * from the summary just counted (the table is emptied first, so each answer is the summary's), and
 * stamped with the analytics basis and generation the refresh wrote, as pair_tops is.
 */
export async function buildKeptAnswers(store: Store, catalogue: RegionCatalogue, pairs: [string, string][], regions: string[]): Promise<void> {
  await store.run('CREATE OR REPLACE TABLE kept_answers (name VARCHAR, regions_key VARCHAR, rows VARCHAR, basis VARCHAR, generation VARCHAR)');
  const keep = (name: KeptIndicator, ids: string[], rows: object[]) => store.run(`INSERT INTO kept_answers SELECT $1, $2, $3, ${STAMP}`, [name, answerKey(catalogue, ids), JSON.stringify(rows)]);
  for (const [a, b] of pairs) {
    await keep('copubs', [a, b], await copublications(store, catalogue, a, b, NO_FILTERS));
    await keep('fields', [a, b], await fieldBreakdown(store, catalogue, a, b, NO_FILTERS));
  }
  await keep('publications', regions, await publicationsByRegion(store, catalogue, regions, NO_FILTERS));
}
