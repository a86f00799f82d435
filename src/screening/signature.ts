import type { Store } from '../store/store.ts';
import { loadAliases } from './aliases.ts';
import { screeningDataDigest } from './names.ts';
import { sha256Hex } from '../sha256.ts';

// Apart from store.ts, which loads DuckDB: `derisk screen NAME` signs the kept screening index from
// the store's facts noted beside it (src/screening/store-facts.ts) without opening the store.

/** Bumped whenever screening behaviour changes, so stored screening results are redone. */
export const SCREENER_VERSION =
  '2026.12.01-14-names6-unk6-parent7-slips7-hk8-scr9-scr10-scr11-match12-fixmatch-fixscr-idem12-match13-fix13-cas14-country14-fixmatch14a-fixmatch14b-country15-company15-fixmatch15a-fixmatch15b-fixmatch15c-country16-match16-match17-country17-fixcountry17-fixsite17-fixmatch17-match18-country18-fixmatch18-fixscreen18-fixcountry18-match19-recall19-country19-mine19-fixmatch19-mine19c-match22-text22-text23-match23-match24-generic24-match25-watch25-match26-screen27-screen28-match28-match32-screen32-lists32-screen44-country44-oor44-resolve45-screen45-desc45-screen46-resolve46-fix47a-fix48-r48screen48-r48party-r49scr-r50net-r51names-r51party-r52sep-r52bound-r53sev-r54names-r54sev-r54ties-r54look';

/** What screening takes from the store: the loaded registry's version and each loaded list's version. */
export interface StoreFacts {
  registry: string | null;
  lists: { id: string; version: string }[];
}

export const registryVersion = async (store: Store): Promise<string | null> => (await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'registry_version'`))?.value ?? null;

export async function storeFacts(store: Store): Promise<StoreFacts> {
  const lists = (await store.all<{ list_id: string; version: string }>('SELECT list_id, version FROM risk_lists ORDER BY list_id')).map((r) => ({ id: r.list_id, version: r.version }));
  return { registry: await registryVersion(store), lists };
}

/** What screening results are computed under: the screener, the registry, the lists' versions, the aliases and the data files names are read through. */
export function screeningSignatureOf(registry: string | null, lists: { id: string; version: string }[]): string {
  const versions = lists.map((l) => `${l.id}@${l.version}`).join(',');
  return sha256Hex(`${SCREENER_VERSION}|${registry ?? ''}|${versions}|aliases@${loadAliases().version}|data@${screeningDataDigest()}`).slice(0, 16);
}
