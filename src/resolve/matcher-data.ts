import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aliasesFile } from '../screening/aliases.ts';

const digests = new Map<string, string>();

/**
 * A digest of the data files the matcher's answers depend on beyond its version and the registry:
 * data/geo, data/resolve and the alias file in use (the matcher reads its legal forms;
 * DERISK_ALIASES_FILE may name one outside the data directory). Read once per process for each alias file.
 */
export function matcherDataDigest(): string {
  const aliases = aliasesFile();
  const known = digests.get(aliases);
  if (known) return known;
  const hash = createHash('sha256');
  for (const folder of ['geo', 'resolve']) {
    const dir = fileURLToPath(new URL(`../../data/${folder}/`, import.meta.url));
    for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name))
      .sort()) {
      hash.update(`${f.slice(dir.length)}\n`).update(readFileSync(f));
    }
  }
  hash.update('aliases\n').update(readFileSync(aliases));
  const digest = hash.digest('hex').slice(0, 16);
  digests.set(aliases, digest);
  return digest;
}
