import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../errors.ts';

export const BUNDLED_REGIONS = fileURLToPath(new URL('../../data/regions/regions.json', import.meta.url));

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

interface RegionFile {
  provenance?: unknown;
  settings?: Record<string, { default: boolean }>;
  regions: { id: string; name: string; countries: string[]; optional?: Record<string, string>; note?: string }[];
}

/**
 * Loads region definitions from the bundled file and any user files (later files may add or
 * redefine regions), expanding "@ID" references and applying the HK/MO settings.
 */
export function loadRegions(files: string[] = [BUNDLED_REGIONS], overrides: Partial<RegionSettings> = {}): RegionCatalogue {
  const raw = new Map<string, RegionFile['regions'][number]>();
  let provenance: unknown = null;
  const settings: RegionSettings = { chinaIncludesHongKong: false, chinaIncludesMacao: false };
  for (const file of files) {
    let parsed: RegionFile;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8')) as RegionFile;
    } catch (e) {
      throw new Error(`${file}: cannot read region file: ${(e as Error).message}`);
    }
    if (!parsed.provenance) throw new Error(`${file}: region file has no provenance; say where the grouping comes from`);
    if (!Array.isArray(parsed.regions)) throw new Error(`${file}: "regions" must be an array`);
    provenance ??= parsed.provenance;
    for (const [key, value] of Object.entries(parsed.settings ?? {})) {
      if (key in settings) settings[key as keyof RegionSettings] = Boolean(value.default);
    }
    for (const r of parsed.regions) {
      if (typeof r.id !== 'string' || !/^[A-Za-z0-9_-]+$/.test(r.id)) throw new Error(`${file}: region id ${JSON.stringify(r.id)} is not a simple identifier`);
      if (!Array.isArray(r.countries)) throw new Error(`${file}: region ${r.id} has no countries array`);
      raw.set(r.id.toUpperCase(), r);
    }
  }
  Object.assign(settings, Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)));
  const expand = (id: string, seen: string[]): string[] => {
    const r = raw.get(id);
    if (!r) throw new Error(`region ${seen.at(-1) ?? id} refers to unknown region @${id}`);
    if (seen.includes(id)) throw new Error(`regions refer to each other in a cycle: ${[...seen, id].join(' → ')}`);
    const out = r.countries.flatMap((c) => {
      if (c.startsWith('@')) return expand(c.slice(1).toUpperCase(), [...seen, id]);
      if (!/^[A-Z]{2}$/.test(c)) throw new Error(`region ${r.id}: ${JSON.stringify(c)} is not an ISO 3166-1 alpha-2 code`);
      return [c];
    });
    for (const [code, setting] of Object.entries(r.optional ?? {})) {
      if (settings[setting as keyof RegionSettings]) out.push(code);
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
