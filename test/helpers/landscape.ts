import { join } from 'node:path';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { writeTemp } from './fixtures.ts';
import { watchlist } from './watchlist.ts';

/** A ROR v2 record, as the registry dump has it. */
export const rorRecord = (id: string, name: string, country: string, city: string, parent?: string) => ({
  id: `https://ror.org/${id}`,
  status: 'active',
  types: ['education'],
  names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }],
  locations: [{ geonames_details: { country_code: country, country_name: country, name: city } }],
  relationships: parent ? [{ type: 'parent', id: `https://ror.org/${parent}`, label: '' }] : [],
});
// A small registry: CAS with one institute, Tsinghua, TU Delft, Oxford, MIT.
const REGISTRY = [
  rorRecord('034t30j35', 'Chinese Academy of Sciences', 'CN', 'Beijing'),
  rorRecord('022c3hy66', 'Institute of Automation', 'CN', 'Beijing', '034t30j35'),
  rorRecord('03cve4549', 'Tsinghua University', 'CN', 'Beijing'),
  rorRecord('02e2c7k09', 'Delft University of Technology', 'NL', 'Delft'),
  rorRecord('052gg0110', 'University of Oxford', 'GB', 'Oxford'),
  rorRecord('042nb2s44', 'Massachusetts Institute of Technology', 'US', 'Cambridge'),
];
export const AFF = {
  cas: 'Chinese Academy of Sciences, Beijing, China',
  casia: 'Institute of Automation, Beijing, China',
  thu: 'Tsinghua University, Beijing, China',
  delft: 'Delft University of Technology, Delft, Netherlands',
  oxford: 'University of Oxford, Oxford, UK',
  mit: 'Massachusetts Institute of Technology, Cambridge, MA 02139, USA',
};
export const WORKS: [number, number, (keyof typeof AFF)[]][] = [
  [1, 2021, ['oxford', 'casia']],
  [2, 2021, ['delft', 'thu']],
  [3, 2021, ['mit', 'thu']],
  [4, 2021, ['oxford', 'mit']],
  [5, 2022, ['oxford', 'cas']],
  [6, 2022, ['delft', 'casia', 'mit']],
  [7, 2022, ['oxford']],
  [8, 2022, ['thu']],
  [9, 2022, ['delft', 'thu']],
];

// W1 is computer vision; W2 wireless networking; W5 mentions computer vision too weakly to count.
const FIELDS: Record<number, object> = {
  1: { concepts: [{ id: 'https://openalex.org/C31972630', display_name: 'Computer vision', score: 0.55 }] },
  2: { topics: [{ id: 'https://openalex.org/T10796', display_name: 'Cooperative Communication and Network Coding', score: 0.9 }] },
  5: { concepts: [{ id: 'https://openalex.org/C31972630', display_name: 'Computer vision', score: 0.1 }], grants: [{ funder_display_name: 'National Natural Science Foundation of China' }] },
};

/** A store with the small registry (and any extra records) and the nine works above, resolved and refreshed. */
export async function landscapeStore(home: string, extraWorks: object[] = [], extraRegistry: object[] = []): Promise<Store> {
  const store = await Store.open(join(home, 'derisk.duckdb'));
  await ingestRegistry(store, writeTemp('ror.jsonl', [...REGISTRY, ...extraRegistry].map((r) => JSON.stringify(r)).join('\n')));
  const works = WORKS.map(([n, year, affs]) =>
    JSON.stringify({ id: `https://openalex.org/W${n}`, doi: `10.5555/landscape.${n}`, publication_year: year, authorships: affs.map((a, i) => ({ author_position: i === 0 ? 'first' : 'middle', is_corresponding: i === affs.length - 1, raw_affiliation_strings: [AFF[a]] })), ...FIELDS[n] }),
  );
  await ingestWorks(store, 'openalex', writeTemp('works.jsonl', [...works, ...extraWorks.map((w) => JSON.stringify(w))].join('\n')), { quarantineDir: join(home, 'q') });
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
  await refreshAnalytics(store);
  return store;
}

/** The landscape store with Tsinghua University on a watchlist at `level`, screened: the set-up of most service and server tests. */
export async function listedLandscapeStore(home: string, level: 'high' | 'medium' = 'high', extraWorks: object[] = []): Promise<Store> {
  const store = await landscapeStore(home, extraWorks);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', level }]))]);
  await screenPending(store, await screeningContext(store));
  return store;
}
