import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
import { inputsDigest } from './registry.ts';
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
  // Extra works may be set aside, and a store names the quarantine file it wrote in its own home: such a store is built where it is used.
  if (extraWorks.length) return buildLandscape(home, extraWorks, extraRegistry);
  return keptStore(home, `landscape ${JSON.stringify(extraRegistry)}`, (dir) => buildLandscape(dir, [], extraRegistry));
}

async function buildLandscape(home: string, extraWorks: object[], extraRegistry: object[]): Promise<Store> {
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
  const build = async (dir: string) => {
    const store = await landscapeStore(dir, extraWorks);
    await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', level }]))]);
    await screenPending(store, await screeningContext(store));
    return store;
  };
  return extraWorks.length ? build(home) : keptStore(home, `listed landscape ${level}`, build);
}

let digest: string | null = null;

/**
 * The store `build` makes, in `home`: built once per test run and kept, and copied for every later
 * caller. A landscape store costs about 3 s of CPU to build, and some 40 test files build one, most
 * of them the same. Kept in the temporary directory, named after what it is built from: the code,
 * the data directory and the test helpers, `recipe` (what `build` makes of them), and the day (a
 * store records when its works were loaded). A home that already has a store gets `build` run on it.
 */
export async function keptStore(home: string, recipe: string, build: (home: string) => Promise<Store>): Promise<Store> {
  const path = join(home, 'derisk.duckdb');
  if (existsSync(path)) return build(home);
  digest ??= inputsDigest([]);
  const name = createHash('sha256')
    .update(`${digest}\n${recipe}\n${new Date().toISOString().slice(0, 10)}`)
    .digest('hex')
    .slice(0, 32);
  const kept = join(tmpdir(), `derisk-test-store-${name}`);
  if (!existsSync(kept)) {
    // Built aside and renamed into place whole: a file running beside this one never copies half a store.
    const building = mkdtempSync(`${kept}.building-`);
    try {
      (await build(building)).close();
      try {
        renameSync(building, kept);
      } catch (e) {
        // Another file kept its own first: the same inputs, the same store.
        if (!existsSync(kept)) throw e;
      }
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
  }
  cpSync(kept, home, { recursive: true });
  return Store.open(path);
}
