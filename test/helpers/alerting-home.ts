import { join } from 'node:path';
import { ingestRegistry } from '../../src/ingest/registry.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists } from '../../src/screening/store.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from './fixtures.ts';
import { rorRecord } from './landscape.ts';
import type { Running } from './serve.ts';
import { watchlist } from './watchlist.ts';

// The set-up of the crash tests of alerting (webhooks, mail): a home whose registry knows KU Leuven
// and Harbin Institute of Technology, and whose watchlist lists the latter, so a co-publication of
// the two is an alert for whoever watches KU Leuven.
export const KU_LEUVEN = '05f950310';
export const HIT = '01yqg2h08';

/** A new home with the registry and the list, ready for `derisk serve`. */
export async function alertingHome(): Promise<string> {
  const home = tempDir();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  await ingestRegistry(store, writeTemp('ror.jsonl', [rorRecord(KU_LEUVEN, 'KU Leuven', 'BE', 'Leuven'), rorRecord(HIT, 'Harbin Institute of Technology', 'CN', 'Harbin')].map((r) => JSON.stringify(r)).join('\n')));
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HIT] }]))]);
  store.close();
  return home;
}

/** An OpenAlex line: work `id`, a co-publication of KU Leuven with HIT, its DOI `10.5555/<doiPrefix>.<id>`. */
export const coPublication = (id: string, doiPrefix: string) =>
  JSON.stringify({
    id: `https://openalex.org/${id}`,
    doi: `10.5555/${doiPrefix}.${id.toLowerCase()}`,
    display_name: `Joint work ${id}`,
    publication_year: 2026,
    authorships: [
      { author: { display_name: 'A' }, raw_affiliation_strings: ['KU Leuven, Department of Computer Science, Leuven, Belgium'] },
      { author: { display_name: 'B' }, raw_affiliation_strings: ['Harbin Institute of Technology, Harbin 150001, China'] },
    ],
  }) + '\n';

/** An OpenAlex upload to a running server, in its console session. */
export const uploadWorks = (server: Running, body: string) => fetch(`${server.base}/api/uploads?kind=openalex`, { method: 'POST', headers: { ...server.headers, 'content-type': 'application/octet-stream' }, body });

/** Polls `get` every 100 ms until it answers something, for at most a minute. */
export async function until<T>(what: string, get: () => Promise<T | null | undefined | false> | T | null | undefined | false): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const v = await get();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}
