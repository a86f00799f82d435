import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Calibration } from '../resolve/calibration.ts';
import { Companies } from '../resolve/companies.ts';
import { Gazetteer } from '../resolve/gazetteer.ts';
import { Thesaurus } from '../resolve/thesaurus.ts';
import { AffiliationResolver, resolutionVersionOf } from '../resolve/matcher.ts';
import type { Store } from '../store/store.ts';
import type { ScreeningContext } from './context.ts';
import { LAZY_FROM, readIndexRoot, writeIndexFile } from './index-file.ts';
import type { RiskList } from './lists.ts';
import type { UnitRule } from './aliases.ts';
import { Screener, type EntryLink, type ScreenerDerived } from './screener.ts';
import { registryVersion, screeningSignatureOf, type StoreFacts } from './signature.ts';
import { sha256Hex } from '../sha256.ts';

/** Bumped when what the screening index file holds changes shape. */
const FORMAT = 'screening-index/2';
// Every class the resolver holds an instance of; a class missing here is refused when the index is written.
export const RESOLVER_CLASSES = [AffiliationResolver, Gazetteer, Calibration, Companies, Thesaurus];

/** Where the screening index of a store is kept: beside it, under DERISK_HOME (none for a store in memory). */
export const screeningIndexPath = (store: Store): string | null => (store.path === ':memory:' ? null : indexFileOf(store.path));
export const indexFileOf = (storePath: string): string => `${storePath}.screening-index`;

/**
 * The code and data that build the index: a new derisk version (or a changed matcher, screener,
 * reader or place list) never reads an index built by another, whatever its version constants say.
 */
let fingerprint: string | null = null;
export function codeFingerprint(): string {
  if (fingerprint) return fingerprint;
  const hash = createHash('sha256').update(process.versions.v8);
  for (const dir of ['../resolve/', './', '../ingest/', '../../data/geo/', '../../data/lists/', '../../data/resolve/']) {
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
  return indexSignature(screening, await registryVersion(store));
}

/** The signature of the screening index for what the store holds (its registry and lists). */
export const indexSignatureOf = (facts: StoreFacts): string => indexSignature(screeningSignatureOf(facts.registry, facts.lists), facts.registry);

function indexSignature(screening: string, registry: string | null): string {
  return sha256Hex(`${FORMAT}|${screening}|${resolutionVersionOf(registry)}|${codeFingerprint()}`).slice(0, 32);
}

/** Said on stderr when a kept index is refused: the rebuild takes a while, and a damaged file is worth knowing about. */
export const refusedIndex = (why: string): void => console.error(`derisk: the screening index is not used (${why}); building it again`);

/** Links point into the lists by position, so the lists are kept once. */
type KeptLinks = [string, { list: number; entry: number; how: string; by: EntryLink['by'] }[]][];

/** A Screener's fields that are its constructor's inputs: kept on their own (links by position) and given back to it. */
type ScreenerInput = 'lists' | 'resolver' | 'links' | 'countriesByName';
/** Root fields holding one of the screener's own large maps of plain values, read lazily. */
const LAZY_FIELD = 'screener.';

/**
 * What the screener worked out from the lists (its name index, organisations, word counts…), every
 * own field but its inputs and functions, so a new process reads it instead of working it out again.
 * Kept with the lists in one piece, so entries are the same objects in both after reading; a large
 * map of plain values (no entry in it) is read lazily. Anything but plain data is refused.
 */
function screenerDerived(context: ScreeningContext, lazyFrom: number): { eager: ScreenerDerived; lazy: Record<string, Map<string, unknown>> } {
  const inputs: Record<ScreenerInput, unknown> = { lists: context.lists, resolver: context.resolver, links: context.links.links, countriesByName: context.links.countriesByName };
  const eager: ScreenerDerived = {};
  const lazy: Record<string, Map<string, unknown>> = {};
  for (const [field, value] of Object.entries(context.screener)) {
    if (typeof value === 'function') continue;
    if (Object.hasOwn(inputs, field)) {
      if (value !== inputs[field as keyof typeof inputs]) throw new Error(`the screener's ${field} is not the one it was built from`);
      continue;
    }
    assertPlain(value, `screener.${field}`, new Set());
    const primitive = (v: unknown) => v === null || typeof v !== 'object';
    if (value instanceof Map && value.size >= lazyFrom && [...value].every(([k, v]) => typeof k === 'string' && primitive(v))) lazy[`${LAZY_FIELD}${field}`] = value as Map<string, unknown>;
    else eager[field] = value;
  }
  return { eager, lazy };
}

/** Refuses what v8 serialization would not give back as it was (a class instance, a function). */
function assertPlain(value: unknown, where: string, seen: Set<object>): void {
  if (typeof value === 'function') throw new Error(`${where}: a function cannot be kept in the screening index`);
  if (value === null || typeof value !== 'object' || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      assertPlain(k, `${where} (a key)`, seen);
      assertPlain(v, `${where}.get(…)`, seen);
    }
  } else if (value instanceof Set || Array.isArray(value)) {
    for (const v of value) assertPlain(v, `${where}[…]`, seen);
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new Error(`${where}: an instance of ${(value as object).constructor?.name ?? 'a class'} cannot be kept in the screening index`);
    for (const [k, v] of Object.entries(value)) assertPlain(v, `${where}.${k}`, seen);
  }
}

/** Keeps a screening context in the index file for `signature` (`lazyFrom`: the size from which a map or array is read lazily). */
export function saveScreeningIndex(path: string, signature: string, context: ScreeningContext, lazyFrom = LAZY_FROM): void {
  const links: KeptLinks = [...context.links.links].map(([rorId, ls]) => [
    rorId,
    ls.map((l) => {
      const list = context.lists.indexOf(l.list);
      return { list, entry: context.lists[list]!.entries.indexOf(l.entry), how: l.how, by: l.by };
    }),
  ]);
  if (links.some(([, ls]) => ls.some((l) => l.list < 0 || l.entry < 0))) throw new Error('a link points outside the screened lists');
  const derived = screenerDerived(context, lazyFrom);
  writeIndexFile(
    path,
    signature,
    // The lists and what the screener derived from them in one plain object, which is kept whole: its entries stay one set of objects.
    { resolver: context.resolver, screening: { lists: context.lists, screener: derived.eager }, ...derived.lazy, links, linked: context.links.linked, ambiguous: context.links.ambiguous, countriesByName: context.links.countriesByName },
    RESOLVER_CLASSES,
    lazyFrom,
  );
}

/** Keeps `context` as the index for `signature` at `path`; why it could not be kept (the next reader builds it again), or null. */
export function keepScreeningIndex(path: string, signature: string, context: ScreeningContext): string | null {
  try {
    saveScreeningIndex(path, signature, context);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The screening context kept in the index file, if it was built for `signature` and every byte
 * of it checks out; null otherwise (a damaged or outdated file is removed, to be built again, and
 * `refused` hears why; a missing file is no news).
 */
export function loadScreeningIndex(path: string, signature: string, refused?: (why: string) => void): ScreeningContext | null {
  const root = readIndexRoot(path, signature, RESOLVER_CLASSES, refused);
  if (!root) return null;
  const screening = root.screening as { lists: RiskList[]; screener: ScreenerDerived };
  const lists = screening.lists;
  const resolver = root.resolver as AffiliationResolver;
  const links = new Map<string, EntryLink[]>((root.links as KeptLinks).map(([rorId, ls]) => [rorId, ls.map((l) => ({ list: lists[l.list]!, entry: lists[l.list]!.entries[l.entry]!, how: l.how, by: l.by }))]));
  const countriesByName = root.countriesByName as Map<string, Set<string>>;
  const derived: ScreenerDerived = { ...screening.screener };
  for (const [field, value] of Object.entries(root)) if (field.startsWith(LAZY_FIELD)) derived[field.slice(LAZY_FIELD.length)] = value;
  return {
    screener: new Screener(lists, resolver, links, countriesByName, derived.units as UnitRule, derived),
    resolver,
    links: { links, linked: root.linked as number, ambiguous: root.ambiguous as ScreeningContext['links']['ambiguous'], countriesByName },
    lists,
  };
}
