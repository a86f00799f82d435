import { join } from 'node:path';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { writeTemp } from './fixtures.ts';
import { rorRecord } from './landscape.ts';
import { watchlist } from './watchlist.ts';

// The two-organisation tests' small world: KU Leuven and Delft in Europe, Harbin Institute of
// Technology (on a watchlist) and Tsinghua in China, Oxford beside them.
export const KU_LEUVEN = '05f950310';
export const HIT = '01yqg2h08';
export const DELFT = '02e2c7k09';
export const LEUVEN_REGISTRY = [
  rorRecord(KU_LEUVEN, 'KU Leuven', 'BE', 'Leuven'),
  rorRecord(HIT, 'Harbin Institute of Technology', 'CN', 'Harbin'),
  rorRecord('03cve4549', 'Tsinghua University', 'CN', 'Beijing'),
  rorRecord(DELFT, 'Delft University of Technology', 'NL', 'Delft'),
  rorRecord('052gg0110', 'University of Oxford', 'GB', 'Oxford'),
];
export const LEUVEN_AFF = {
  leuven: 'KU Leuven, Department of Computer Science, Leuven, Belgium',
  hit: 'Harbin Institute of Technology, Harbin 150001, China',
  thu: 'Tsinghua University, Beijing, China',
  delft: 'Delft University of Technology, Delft, Netherlands',
  oxford: 'University of Oxford, Oxford, UK',
};

/** An OpenAlex work (one JSON line) whose DOI starts `10.5555/<doiPrefix>.`, one author at each affiliation. */
export const leuvenWork =
  (doiPrefix: string) =>
  (id: string, year: number, affs: (keyof typeof LEUVEN_AFF)[], title = `Work ${id}`): string =>
    JSON.stringify({ id: `https://openalex.org/${id}`, doi: `10.5555/${doiPrefix}.${id.toLowerCase()}`, display_name: title, publication_year: year, authorships: affs.map((a, i) => ({ author: { display_name: `Author ${i + 1} of ${id}` }, raw_affiliation_strings: [LEUVEN_AFF[a]] })) });

/** A store in `home` with the registry above and `works` in the shared base, resolved and refreshed, Harbin Institute of Technology on a watchlist, screened. */
export async function leuvenStore(home: string, works: string[]): Promise<Store> {
  const store = await Store.open(join(home, 'derisk.duckdb'));
  await ingestRegistry(store, writeTemp('ror.jsonl', LEUVEN_REGISTRY.map((r) => JSON.stringify(r)).join('\n')));
  await ingestWorks(store, 'openalex', writeTemp('shared.jsonl', works.join('\n')), { quarantineDir: join(home, 'q') });
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
  await refreshAnalytics(store);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HIT] }]))]);
  await screenPending(store, await screeningContext(store));
  return store;
}
