import Type, { type Static } from '../vendor/typebox.ts';
import { checkSchema } from '../schema.ts';
import { readTextFile } from '../text-file.ts';
import { BUNDLED_REGIONS, expandRegions, SETTING_NAMES, type RegionCatalogue, type RegionSettings } from './catalogue.ts';

export { BUNDLED_REGIONS, chinaScopeNote, regionOf, type Region, type RegionCatalogue, type RegionSettings } from './catalogue.ts';

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
export type RegionFile = Static<typeof RegionFile>;

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
 * redefine regions), each checked against its schema, expanding "@ID" references and applying the HK/MO settings.
 */
export function loadRegions(files: string[] = [BUNDLED_REGIONS], overrides: Partial<RegionSettings> = {}): RegionCatalogue {
  const parsed = files.map((file) => {
    const text = readTextFile(file, (m) => new Error(m));
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${file}: not a region file (not JSON: ${(e as Error).message})`);
    }
    checkSchema(RegionFile, json, (m) => new Error(`${file}: ${m}`), 'the region file');
    return json as RegionFile;
  });
  return expandRegions(parsed, overrides);
}
