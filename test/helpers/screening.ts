import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { aliasesFile } from '../../src/screening/aliases.ts';
import { buildScreeningContext, type ScreeningContext } from '../../src/screening/context.ts';
import type { Institution } from '../../src/ingest/ror.ts';
import { loadListCatalogue, readCatalogueList, readWatchlist, type RiskList } from '../../src/screening/lists.ts';
import { loadScreeningIndex, saveScreeningIndex } from '../../src/screening/persisted.ts';
import type { ScreenResult, Screener } from '../../src/screening/screener.ts';
import type { Store } from '../../src/store/store.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { MIRROR } from './fixtures.ts';
import { keptStore, landscapeStore, rorRecord } from './landscape.ts';
import { freshRealRegistry, inputsDigest, ROR_DUMP } from './registry.ts';
import { watchlist, WATCHLIST_PROVENANCE } from './watchlist.ts';

/**
 * A store for the screening states: Tsinghua is listed, Oxford is in the registry and on no
 * list, "Northeastern University" is listed in China and also in the registry in the US, and
 * Dahua is on two lists under two spellings of one company.
 */
export const statesStore = (home: string): Promise<Store> => keptStore(home, 'screening states', buildStatesStore);

async function buildStatesStore(home: string): Promise<Store> {
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

/** The signature the real screener's index is kept under. */
export const REAL_SCREENER_SIGNATURE = 'real-screener';

const realScreenerPath = () => join(tmpdir(), `derisk-test-real-screener-${realScreenerInputs()}`);

let real: Promise<Screener> | null = null;

/**
 * A screener over the demo's lists and the real registry, built once per test run (screening leaves
 * it as it was): the first test file to ask builds it and keeps it as a screening index in the
 * temporary directory, the others read that (test/screening/persisted-index.test.ts shows a kept
 * index screens as one built afresh). Building it costs each file about 20 s of CPU, reading it
 * a fraction of one. The file is named after everything it is built from: the code, the data
 * directory, the lists and registry in the mirror, the alias file in use.
 */
export function realScreener(): Promise<Screener> {
  real ??= (async () => {
    const path = realScreenerPath();
    const kept = existsSync(path) ? loadScreeningIndex(path, REAL_SCREENER_SIGNATURE) : null;
    return kept ? kept.screener : (await buildRealScreeningContext()).context.screener;
  })();
  return real;
}

/** The list entries a screening answer's hits name, each once. */
export const entriesOf = (r: ScreenResult): string[] => [...new Set(r.hits.map((h) => h.entry))];

/** Of [name, entry] pairs, those the real screener does not answer listed with `entry` among the entries found, with what it answered. */
export async function missedListings(cases: [string, string][]): Promise<string[]> {
  const screener = await realScreener();
  return cases.flatMap(([q, entry]) => {
    const r = screener.screen(q);
    return r.state === 'listed' && entriesOf(r).includes(entry) ? [] : [`${q}: ${r.state} ${entriesOf(r).join('; ')}`];
  });
}

/**
 * The real screener's context built afresh, and kept where realScreener() reads it: the test that
 * compares a kept index with a fresh one builds it, so the files after it read it instead of building it again.
 */
export async function buildRealScreeningContext(): Promise<{ context: ScreeningContext; path: string; institutions: Institution[] }> {
  const path = realScreenerPath();
  const { institutions, resolver } = await freshRealRegistry();
  const context = buildScreeningContext(demoLists(), institutions, resolver);
  saveScreeningIndex(path, REAL_SCREENER_SIGNATURE, context);
  return { context, path, institutions };
}

/** A digest of what the real screener is built from: the code, the data directory, the lists and registry in the mirror, the alias file in use. */
const realScreenerInputs = (): string => inputsDigest([ROR_DUMP, ...loadListCatalogue().lists.map((spec) => join(MIRROR, spec.mirror_path))], readFileSync(aliasesFile()));
