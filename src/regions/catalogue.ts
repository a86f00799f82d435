import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../errors.ts';
import type { RegionFile } from './regions.ts';
import { sha256Hex } from '../sha256.ts';

// Apart from regions.ts, which holds the region files' schema (TypeBox takes a while to load): the
// regions as commands use them, and the bundled file without its schema when the build checked it.

export const BUNDLED_REGIONS = fileURLToPath(new URL('../../data/regions/regions.json', import.meta.url));
/** The digest of the bundled region file as the build checked it against its schema (scripts/build.js); missing when running from the sources. */
export const BUNDLED_REGIONS_CHECKED = fileURLToPath(new URL('./bundled-regions.checked', import.meta.url));

export interface RegionSettings {
  chinaIncludesHongKong: boolean;
  chinaIncludesMacao: boolean;
}

export interface Region {
  id: string;
  name: string;
  countries: string[];
  note: string | null;
}

export interface RegionCatalogue {
  regions: Map<string, Region>;
  settings: RegionSettings;
  provenance: unknown;
}

export const SETTING_NAMES = ['chinaIncludesHongKong', 'chinaIncludesMacao'] as const;

export const regionsDigest = (text: string): string => sha256Hex(text);

/**
 * The bundled regions, if the file is the one the build checked (its digest unchanged); null
 * otherwise, so that loadRegions (regions.ts) reads it and checks it against its schema.
 */
export function bundledRegions(overrides: Partial<RegionSettings> = {}, file = BUNDLED_REGIONS, checked = BUNDLED_REGIONS_CHECKED): RegionCatalogue | null {
  if (!existsSync(checked)) return null;
  const text = readFileSync(file, 'utf8');
  if (readFileSync(checked, 'utf8').trim() !== regionsDigest(text)) return null;
  return expandRegions([JSON.parse(text) as RegionFile], overrides);
}

/**
 * The catalogue of region files already checked against their schema, in order (later files may
 * add or redefine regions): "@ID" references expanded and the HK/MO settings applied.
 */
export function expandRegions(parsedFiles: RegionFile[], overrides: Partial<RegionSettings> = {}): RegionCatalogue {
  const raw = new Map<string, RegionFile['regions'][number]>();
  let provenance: unknown = null;
  const settings: RegionSettings = { chinaIncludesHongKong: false, chinaIncludesMacao: false };
  for (const parsed of parsedFiles) {
    provenance ??= parsed.provenance;
    for (const key of SETTING_NAMES) {
      const given = parsed.settings?.[key];
      if (given) settings[key] = given.default;
    }
    for (const r of parsed.regions) raw.set(r.id.toUpperCase(), r);
  }
  Object.assign(settings, Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)));
  const expand = (id: string, seen: string[]): string[] => {
    const r = raw.get(id);
    if (!r) throw new Error(`region ${seen.at(-1) ?? id} refers to unknown region @${id}`);
    if (seen.includes(id)) throw new Error(`regions refer to each other in a cycle: ${[...seen, id].join(' → ')}`);
    const out = r.countries.flatMap((c) => {
      if (c.startsWith('@')) return expand(c.slice(1).toUpperCase(), [...seen, id]);
      return [c];
    });
    for (const [code, setting] of Object.entries(r.optional ?? {})) {
      if (settings[setting]) out.push(code);
    }
    return [...new Set(out)].sort();
  };
  const regions = new Map<string, Region>();
  for (const [id, r] of raw) regions.set(id, { id, name: r.name, countries: expand(id, []), note: r.note ?? null });
  return { regions, settings, provenance };
}

export function regionOf(catalogue: RegionCatalogue, id: string): Region {
  const r = catalogue.regions.get(id.toUpperCase());
  if (!r) throw new ValidationError(`unknown region ${JSON.stringify(id)}; known: ${[...catalogue.regions.keys()].join(', ')}`);
  return r;
}

/** The wording every figure carries so that the HK/MO choice is never silent. */
export function chinaScopeNote(settings: RegionSettings): string {
  const hk = settings.chinaIncludesHongKong ? 'includes' : 'excludes';
  const mo = settings.chinaIncludesMacao ? 'includes' : 'excludes';
  return `CN ${hk} Hong Kong and ${mo} Macao; Taiwan is never counted as CN`;
}
