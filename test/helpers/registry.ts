import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRor, type Institution } from '../../src/ingest/ror.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { IndexFileError, openIndexFile, writeIndexFile } from '../../src/screening/index-file.ts';
import { RESOLVER_CLASSES } from '../../src/screening/persisted.ts';
import { derisk } from './cli.ts';
import { INPUT, MIRROR, tempDir } from './fixtures.ts';

export const ROR_DUMP = join(MIRROR, 'ror-records-union/ror_records_latest_v2.jsonl.gz');

type Registry = { institutions: Institution[]; resolver: AffiliationResolver };

let fixture: Promise<Registry> | null = null;

/** A small registry written for the tests (test/input/ror-small.jsonl): targets and their namesakes. */
export function fixtureRegistry(): Promise<Registry> {
  fixture ??= load(join(INPUT, 'ror-small.jsonl'));
  return fixture;
}

async function load(path: string): Promise<Registry> {
  const institutions: Institution[] = [];
  for await (const item of readRor(path)) if (item.ok) institutions.push(item.institution);
  return { institutions, resolver: new AffiliationResolver(institutions) };
}

const REAL_REGISTRY_SIGNATURE = 'real-registry';
const realRegistryPath = () => join(tmpdir(), `derisk-test-real-registry-${inputsDigest([ROR_DUMP])}`);

let cached: Promise<Registry> | null = null;

/**
 * The real (partial) ROR registry from the data mirror, read once per test run: reading and indexing
 * it costs a file about 8 s of CPU, so the first file to read it keeps the institutions and the
 * resolver in the temporary directory (the resolver as the screening index keeps it:
 * test/screening/persisted-index.test.ts shows a kept one resolves as one built afresh), and the
 * others read that. The file is named after the code, the data directory and the registry file.
 */
export function realRegistry(): Promise<Registry> {
  cached ??= Promise.resolve(keptRealRegistry() ?? freshRealRegistry());
  return cached;
}

/** The real registry read from the mirror, never from what a test kept; kept for realRegistry() in later files. */
export async function freshRealRegistry(): Promise<Registry> {
  const registry = await load(ROR_DUMP);
  // The institutions inside a plain object, which the index file keeps whole: the tests walk all of them.
  writeIndexFile(realRegistryPath(), REAL_REGISTRY_SIGNATURE, { read: { institutions: registry.institutions }, resolver: registry.resolver }, RESOLVER_CLASSES);
  return registry;
}

function keptRealRegistry(): Registry | null {
  const path = realRegistryPath();
  if (!existsSync(path)) return null;
  try {
    const { root } = openIndexFile(path, REAL_REGISTRY_SIGNATURE, RESOLVER_CLASSES);
    return { institutions: (root.read as { institutions: Institution[] }).institutions, resolver: root.resolver as AffiliationResolver };
  } catch (e) {
    if (e instanceof IndexFileError) return null;
    throw e;
  }
}

/**
 * A new home where `derisk ingest ror` has read the real registry: its store, and the matcher index
 * kept beside it. The ingest costs a process about 40 s of CPU, so the first test file to ask runs it
 * once and keeps the home in the temporary directory, named after the code, the data directory and
 * the registry file; every caller gets its own copy of that.
 */
export function realRegistryHome(): string {
  const kept = join(tmpdir(), `derisk-test-real-home-${inputsDigest([ROR_DUMP])}`);
  if (!existsSync(kept)) {
    // Built aside and renamed into place whole: a file running beside this one never copies half a home.
    const building = mkdtempSync(`${kept}.building-`);
    try {
      const r = derisk(['ingest', 'ror', ROR_DUMP], { DERISK_HOME: building });
      if (r.status !== 0) throw new Error(`derisk ingest ror ${ROR_DUMP} exited ${r.status}: ${r.stderr}`);
      try {
        renameSync(building, kept);
      } catch (e) {
        // Another file kept its own first: the same inputs, the same home.
        if (!existsSync(kept)) throw e;
      }
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
  }
  const home = tempDir();
  cpSync(kept, home, { recursive: true });
  return home;
}

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));

/** A digest of what a file the tests keep for each other is built from: the code, the data directory, the test helpers and `files` (by size and time). */
export function inputsDigest(files: string[], extra?: Buffer): string {
  const hash = createHash('sha256').update(process.versions.v8);
  const tree = (dir: string) => {
    for (const e of readdirSync(join(REPOSITORY, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, e.name);
      if (e.isDirectory()) tree(path);
      else hash.update(`${path}\u0000`).update(readFileSync(join(REPOSITORY, path)));
    }
  };
  tree('src');
  tree('data');
  tree('test/helpers');
  for (const file of files) {
    const { size, mtimeMs } = statSync(file);
    hash.update(`${file}|${size}|${mtimeMs}\u0000`);
  }
  if (extra) hash.update(extra);
  return hash.digest('hex').slice(0, 32);
}
