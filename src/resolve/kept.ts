import { loadRegistry, registryKey } from '../ingest/registry-row.ts';
import { readIndexRoot, writeIndexFile } from '../screening/index-file.ts';
import { codeFingerprint, RESOLVER_CLASSES } from '../screening/persisted.ts';
import type { Store } from '../store/store.ts';
import { AffiliationResolver, resolutionVersionOf } from './matcher.ts';
import { sha256Hex } from '../sha256.ts';

/**
 * The matcher's index kept beside the store, as the screening index is (src/screening/index-file.ts):
 * reading the registry back from the store and building the matcher cost a process about 9 s of
 * CPU and most of its memory, for an index that changes only with the registry, the matcher or its
 * data. Every process that resolves reads it; a missing, damaged or outdated file is built again
 * and kept. Organisations' corrections are given at each call and are not part of it.
 */

/** Bumped when what the matcher index file holds changes shape. */
const FORMAT = 'matcher-index/1';

export const matcherIndexPath = (store: Store): string | null => (store.path === ':memory:' ? null : `${store.path}.matcher-index`);

/**
 * What the matcher's answers depend on: the version resolutions are kept under (its version, the
 * registry's digest and the data files it reads, the alias file in use among them) and the code.
 */
export const matcherIndexInputs = (registry: string | null): { resolution: string; code: string } => ({
  resolution: resolutionVersionOf(registry),
  code: codeFingerprint(),
});

/** The signature a matcher index is kept under: every input it was built from. */
export function matcherIndexSignature(registry: string | null, inputs = matcherIndexInputs(registry)): string {
  return sha256Hex(`${FORMAT}|${inputs.resolution}|${inputs.code}`).slice(0, 32);
}

/** Said on stderr when a kept index is refused: the rebuild takes a while, and a damaged file is worth knowing about. */
export const refusedMatcherIndex = (why: string): void => console.error(`derisk: the matcher index is not used (${why}); building it again`);

/** A matcher and how many institutions it was built from (none: no registry is loaded). */
export interface KeptMatcher {
  resolver: AffiliationResolver;
  institutions: number;
}

/** Keeps a matcher just built (before it resolved anything: what it remembers of its answers is not kept) as the index for `signature`. */
export function saveMatcherIndex(path: string, signature: string, matcher: KeptMatcher): void {
  writeIndexFile(path, signature, { resolver: matcher.resolver, institutions: matcher.institutions }, RESOLVER_CLASSES);
}

/** Keeps the matcher; why it could not be kept (the next reader builds it again), or null. */
export function keepMatcherIndex(path: string, signature: string, matcher: KeptMatcher): string | null {
  try {
    saveMatcherIndex(path, signature, matcher);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The matcher kept at `path`, if it was built for `signature` and every byte of it checks out;
 * null otherwise (a damaged or outdated file is removed, and `refused` hears why; a missing file is no news).
 */
export function loadMatcherIndex(path: string, signature: string, refused?: (why: string) => void): KeptMatcher | null {
  const root = readIndexRoot(path, signature, RESOLVER_CLASSES, refused);
  return root && { resolver: root.resolver as AffiliationResolver, institutions: root.institutions as number };
}

/** The matcher over the registry in the store: read from the kept index, or built from the registry and kept for the next process. */
export async function keptMatcher(store: Store, refused: (why: string) => void = refusedMatcherIndex): Promise<KeptMatcher> {
  const path = matcherIndexPath(store);
  const signature = matcherIndexSignature(await registryKey(store));
  const kept = path ? loadMatcherIndex(path, signature, refused) : null;
  if (kept) return kept;
  const registry = await loadRegistry(store);
  const built = { resolver: new AffiliationResolver(registry), institutions: registry.length };
  const unkept = path ? keepMatcherIndex(path, signature, built) : null;
  if (unkept) process.emitWarning(`the matcher index could not be kept in ${path} (${unkept}); the next call builds it again`);
  return built;
}
