import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTaxonomy, type Taxonomy } from '../fields/taxonomy.ts';
import { loadRegions, type RegionCatalogue } from '../regions/regions.ts';
import { typedKey } from '../resolve/normalize.ts';
import { loadAliases } from '../screening/aliases.ts';
import { loadListCatalogue } from '../screening/lists.ts';
import { loadPlaceholders, type Placeholders } from '../screening/placeholders.ts';
import { loadWeights, type Weights } from '../screening/portfolio.ts';
import { readFileBytes, readTextFile } from '../text-file.ts';
import { loadAiUses, type AiUse } from './ai-act.ts';
import { loadRulebook, RulebookError, type Rulebook } from './rulebook.ts';
import { sha256Hex } from '../sha256.ts';

export const BUNDLE_MANIFEST = fileURLToPath(new URL('../../data/assessment/bundle.json', import.meta.url));
const REPO = resolve(dirname(BUNDLE_MANIFEST), '..', '..');

/** What an assessment records of the policy that decided it (the contract of `derisk assess --json`). */
export interface BundleRecord {
  version: string;
  /** Hash over every file's path and hash. */
  hash: string;
  /** Each file that shapes a verdict, by its path in the repository, with its content hash. */
  files: Record<string, string>;
  /** Files read from elsewhere than the repository path (e.g. `--rulebook new.yaml`). */
  overrides?: Record<string, string>;
}

export interface ListCategories {
  categories: Record<string, string>;
  byList: Map<string, string[]>;
  fallback: string[];
}

export interface StandardsCatalogue {
  forums: Map<string, { id: string; name: string; kind: string; note: string }>;
  topics: Map<string, { id: string; name: string; profiles: string[] }>;
}

/** One versioned unit of policy and data: the rulebook and every file a verdict depends on. */
export interface PolicyBundle {
  record: BundleRecord;
  rulebook: Rulebook;
  uses: Map<string, AiUse>;
  taxonomy: Taxonomy;
  weights: Weights;
  regions: RegionCatalogue;
  listCategories: ListCategories;
  standards: StandardsCatalogue;
  /** Language names by typedKey → language id (data/assessment/languages.json). */
  languages: Map<string, string>;
  /** Placeholder names ("TBD", "N/A") and descriptions ("a university in Hong Kong") that name nobody (data/assessment/placeholder-names.json). */
  placeholders: Placeholders;
}

const hashOf = (file: string) => sha256Hex(readFileBytes(file)).slice(0, 16);

function json(file: string): any {
  const text = readTextFile(file, (m) => new RulebookError(m));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RulebookError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

function loadListCategories(file: string): ListCategories {
  const doc = json(file);
  if (!doc.provenance) throw new RulebookError(`${file}: the list categories need provenance`);
  const categories = doc.categories as Record<string, string>;
  const byList = new Map<string, string[]>();
  for (const [list, cats] of Object.entries<string[]>(doc.lists ?? {})) {
    for (const c of cats) if (!(c in categories)) throw new RulebookError(`${file}: list ${list}: unknown category ${JSON.stringify(c)} (known: ${Object.keys(categories).join(', ')})`);
    byList.set(list, cats);
  }
  return { categories, byList, fallback: doc.default ?? ['signal'] };
}

function loadStandards(file: string): StandardsCatalogue {
  const doc = json(file);
  if (!doc.provenance?.source) throw new RulebookError(`${file}: the standards catalogue needs provenance`);
  return { forums: new Map(doc.forums.map((f: any) => [f.id, f])), topics: new Map(doc.topics.map((t: any) => [t.id, t])) };
}

function loadLanguages(file: string): Map<string, string> {
  const doc = json(file);
  if (!doc.provenance?.sources) throw new RulebookError(`${file}: the languages of concern need provenance`);
  return new Map((doc.languages as { id: string; names: string[] }[]).flatMap((l) => l.names.map((n) => [typedKey(n), l.id] as [string, string])));
}

/**
 * Loads the policy bundle named by the manifest. Any file may be replaced (`--rulebook x.yaml`
 * replaces "rulebook"); the record then keeps the repository path with the replacement's hash and
 * says where it was read from. A bad file refuses the whole bundle, naming the file.
 */
export function loadBundle(replace: Partial<Record<string, string>> = {}, manifest = BUNDLE_MANIFEST): PolicyBundle {
  const doc = json(manifest);
  if (typeof doc.version !== 'string' || typeof doc.files !== 'object') throw new RulebookError(`${manifest}: a bundle manifest needs version and files`);
  for (const role of Object.keys(replace)) if (!(role in doc.files)) throw new RulebookError(`${manifest}: no file "${role}" in the bundle to replace (known: ${Object.keys(doc.files).join(', ')})`);
  const path: Record<string, string> = {};
  const files: Record<string, string> = {};
  const overrides: Record<string, string> = {};
  for (const [role, rel] of Object.entries<string>(doc.files)) {
    path[role] = replace[role] ? resolve(replace[role]!) : join(REPO, rel);
    if (replace[role]) overrides[rel] = path[role];
    files[rel] = hashOf(path[role]);
  }
  const rulebook = loadRulebook(path.rulebook!);
  const taxonomy = loadTaxonomy(path['field-taxonomy']!);
  const record: BundleRecord = {
    version: doc.version,
    hash: sha256Hex(
      Object.keys(files)
        .sort()
        .map((p) => `${p}\t${files[p]}`)
        .join('\n'),
    ).slice(0, 16),
    files,
    ...(Object.keys(overrides).length ? { overrides } : {}),
  };
  // Read to be checked: the screener reads these two itself, from the same paths.
  loadListCatalogue(path['list-catalogue']!);
  loadAliases(path['list-aliases']!);
  return {
    record,
    rulebook,
    uses: loadAiUses(path['ai-act-uses']!).uses,
    taxonomy,
    weights: loadWeights(taxonomy, path['field-sensitivity']!),
    regions: loadRegions([path.regions!]),
    listCategories: loadListCategories(path['list-categories']!),
    standards: loadStandards(path.standards!),
    languages: loadLanguages(path.languages!),
    placeholders: loadPlaceholders(path['placeholder-names']!, (m) => new RulebookError(m)),
  };
}

/** Which files differ between two bundles, for a re-run. */
export function bundleChanges(before: BundleRecord | undefined, after: BundleRecord): { file: string; before: string | null; after: string | null }[] {
  const old = before?.files ?? {};
  return [...new Set([...Object.keys(old), ...Object.keys(after.files)])]
    .sort()
    .filter((f) => old[f] !== after.files[f])
    .map((f) => ({ file: f, before: old[f] ?? null, after: after.files[f] ?? null }));
}
