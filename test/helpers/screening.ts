import { join } from 'node:path';
import { buildScreeningContext } from '../../src/screening/context.ts';
import { loadListCatalogue, readCatalogueList, readWatchlist, type RiskList } from '../../src/screening/lists.ts';
import type { Screener } from '../../src/screening/screener.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { MIRROR } from './fixtures.ts';
import { landscapeStore, rorRecord } from './landscape.ts';
import { realRegistry } from './registry.ts';
import { watchlist, WATCHLIST_PROVENANCE } from './watchlist.ts';

/**
 * A store for the screening states: Tsinghua is listed, Oxford is in the registry and on no
 * list, "Northeastern University" is listed in China and also in the registry in the US, and
 * Dahua is on two lists under two spellings of one company.
 */
export async function statesStore(home: string) {
  const store = await landscapeStore(home, [], [rorRecord('03awzbc87', 'Northeastern University', 'CN', 'Shenyang'), rorRecord('04t5xt781', 'Northeastern University', 'US', 'Boston')]);
  const ours = readWatchlist(
    watchlist([
      { name: 'Tsinghua University', country: 'China', level: 'medium' },
      { name: 'Northeastern University', country: 'China', level: 'high' },
      { name: 'Dahua Technology', country: 'China', level: 'high', note: 'surveillance equipment' },
    ]),
  );
  const theirs = readWatchlist(watchlist([{ name: 'Dahua Technology Company', country: 'China', level: 'medium' }], { ...WATCHLIST_PROVENANCE, id: 'partner-watchlist', title: 'Partner office watchlist' }));
  await saveLists(store, [ours, theirs]);
  await screenPending(store, await screeningContext(store));
  return store;
}

/** A name for each state, and what it must answer. */
export const STATE_NAMES = { listed: 'Tsinghua University', 'not-listed': 'University of Oxford', unknown: 'Acme Widgets Ltd', ambiguous: 'Northeastern University' } as const;

/** The demo's lists: every list of the catalogue, read from the data mirror. */
export const demoLists = (): RiskList[] => loadListCatalogue().lists.map((spec) => readCatalogueList(spec, join(MIRROR, spec.mirror_path)));

let real: Promise<Screener> | null = null;

/** A screener over the demo's lists and the real registry, built once per test file (screening leaves it as it was). */
export function realScreener(): Promise<Screener> {
  real ??= realRegistry().then(({ institutions, resolver }) => buildScreeningContext(demoLists(), institutions, resolver).screener);
  return real;
}
