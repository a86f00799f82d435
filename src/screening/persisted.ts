import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Calibration } from '../resolve/calibration.ts';
import { Companies } from '../resolve/companies.ts';
import { Gazetteer } from '../resolve/gazetteer.ts';
import { Thesaurus } from '../resolve/thesaurus.ts';
import { AffiliationResolver } from '../resolve/matcher.ts';
import { resolutionVersion } from '../resolve/apply.ts';
import type { Store } from '../store/store.ts';
import type { ScreeningContext } from './context.ts';
import { IndexFileError, openIndexFile, writeIndexFile } from './index-file.ts';
import type { RiskList } from './lists.ts';
import { Screener, type EntryLink } from './screener.ts';

/** Bumped when what the screening index file holds changes shape. */
const FORMAT = 'screening-index/1';
// Every class the resolver holds an instance of; a class missing here is refused when the index is written.
const CLASSES = [AffiliationResolver, Gazetteer, Calibration, Companies, Thesaurus];

/** Where the screening index of a store is kept: beside it, under DERISK_HOME (none for a store in memory). */
export const screeningIndexPath = (store: Store): string | null => (store.path === ':memory:' ? null : `${store.path}.screening-index`);

/**
 * The code and data that build the index: a new derisk version (or a changed matcher, screener,
 * reader or place list) never reads an index built by another, whatever its version constants say.
 */
let fingerprint: string | null = null;
function codeFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash('sha256').update(process.versions.v8);
  for (const dir of ['../resolve/', './', '../ingest/', '../../data/geo/', '../../data/lists/']) {
    const path = fileURLToPath(new URL(dir, import.meta.url));
    for (const name of readdirSync(path).sort()) {
      if (!/\.(js|ts|json)$/.test(name)) continue;
      hash.update(`${dir}${name}\u0000`).update(readFileSync(`${path}${name}`));
    }
  }
  return (fingerprint = hash.digest('hex').slice(0, 16));
}

/**
 * What a screening index is built from: the screener's and the matcher's versions, the
 * registry, the lists' versions and the aliases (`screening`, from screeningSignature), and the code itself.
 */
export async function screeningIndexSignature(store: Store, screening: string): Promise<string> {
  return createHash('sha256')
    .update(`${FORMAT}|${screening}|${await resolutionVersion(store)}|${codeFingerprint()}`)
    .digest('hex')
    .slice(0, 32);
}

/** Links point into the lists by position, so the lists are kept once. */
type KeptLinks = [string, { list: number; entry: number; how: string; by: EntryLink['by'] }[]][];

/** Keeps a screening context in the index file for `signature` (`lazyFrom`: the size from which a map or array is read lazily). */
export function saveScreeningIndex(path: string, signature: string, context: ScreeningContext, lazyFrom?: number): void {
  const links: KeptLinks = [...context.links.links].map(([rorId, ls]) => [
    rorId,
    ls.map((l) => {
      const list = context.lists.indexOf(l.list);
      return { list, entry: context.lists[list]!.entries.indexOf(l.entry), how: l.how, by: l.by };
    }),
  ]);
  if (links.some(([, ls]) => ls.some((l) => l.list < 0 || l.entry < 0))) throw new Error('a link points outside the screened lists');
  writeIndexFile(path, signature, { resolver: context.resolver, lists: context.lists, links, linked: context.links.linked, ambiguous: context.links.ambiguous, countriesByName: context.links.countriesByName }, CLASSES, lazyFrom);
}

/**
 * The screening context kept in the index file, if it was built for `signature` and every byte
 * of it checks out; null otherwise (a damaged or outdated file is removed, to be built again).
 */
export function loadScreeningIndex(path: string, signature: string): ScreeningContext | null {
  let root: Record<string, unknown>;
  try {
    root = openIndexFile(path, signature, CLASSES).root;
  } catch (e) {
    if (!(e instanceof IndexFileError)) throw e;
    rmSync(path, { force: true });
    return null;
  }
  const lists = root.lists as RiskList[];
  const resolver = root.resolver as AffiliationResolver;
  const links = new Map<string, EntryLink[]>((root.links as KeptLinks).map(([rorId, ls]) => [rorId, ls.map((l) => ({ list: lists[l.list]!, entry: lists[l.list]!.entries[l.entry]!, how: l.how, by: l.by }))]));
  const countriesByName = root.countriesByName as Map<string, Set<string>>;
  return {
    screener: new Screener(lists, resolver, links, countriesByName),
    resolver,
    links: { links, linked: root.linked as number, ambiguous: root.ambiguous as ScreeningContext['links']['ambiguous'], countriesByName },
    lists,
  };
}
