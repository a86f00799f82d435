import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Type, { type Static } from 'typebox';
import { ValidationError } from '../errors.ts';
import { checkSchema } from '../schema.ts';

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

const SETTING_NAMES = ['chinaIncludesHongKong', 'chinaIncludesMacao'] as const;
const setting = Type.Optional(Type.Object({ default: Type.Boolean(), note: Type.Optional(Type.String()) }, { additionalProperties: false }));
const PROVENANCE = { description: 'where the grouping comes from (a text or an object)' };

/** A region file as written (data/regions/regions.json, or a user's): one schema checks its shape. */
export const RegionFile = Type.Object(
  {
    provenance: Type.Union([Type.String({ minLength: 1, pattern: '\\S', ...PROVENANCE }), Type.Object({}, PROVENANCE)], PROVENANCE),
    settings: Type.Optional(Type.Object({ chinaIncludesHongKong: setting, chinaIncludesMacao: setting }, { additionalProperties: false })),
    regions: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: '^[A-Za-z0-9_-]+$', description: 'a simple identifier (letters, digits, _ and -)' }),
          name: Type.String({ minLength: 1, pattern: '\\S' }),
          countries: Type.Array(Type.String({ pattern: '^([A-Z]{2}|@[A-Za-z0-9_-]+)$', description: 'an ISO 3166-1 alpha-2 code or @REGION' })),
          /** Countries counted only when a setting is on (HK and MO in CN). */
          optional: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Z]{2}$' }), Type.Enum([...SETTING_NAMES]))),
          note: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'Region definitions' },
);
type RegionFile = Static<typeof RegionFile>;

/** What GET /api/regions answers: each region expanded to its countries under the settings in force. */
export const RegionCatalogueAnswer = Type.Object(
  {
    regions: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), countries: Type.Array(Type.String({ pattern: '^[A-Z]{2}$' })), note: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false })),
    settings: Type.Object({ chinaIncludesHongKong: Type.Boolean(), chinaIncludesMacao: Type.Boolean() }, { additionalProperties: false }),
    note: Type.String({ description: 'how Hong Kong, Macao and Taiwan are counted' }),
  },
  { additionalProperties: false },
);

/**
 * Loads region definitions from the bundled file and any user files (later files may add or
 * redefine regions), expanding "@ID" references and applying the HK/MO settings.
 */
export function loadRegions(files: string[] = [BUNDLED_REGIONS], overrides: Partial<RegionSettings> = {}): RegionCatalogue {
  const raw = new Map<string, RegionFile['regions'][number]>();
  let provenance: unknown = null;
  const settings: RegionSettings = { chinaIncludesHongKong: false, chinaIncludesMacao: false };
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`${file}: cannot read region file: ${(e as Error).message}`);
    }
    checkSchema(RegionFile, json, (m) => new Error(`${file}: ${m}`), 'the region file');
    const parsed = json as RegionFile;
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
