import { bundledRegions, BUNDLED_REGIONS, type RegionCatalogue } from '../regions/catalogue.ts';
import { at } from './io.ts';

// Apart from common.ts, which every command loads (`derisk --help` too): the region files are
// checked by their schema, and TypeBox takes a while to load; only the commands that count by
// region load it, and only for a region file the build did not check (src/regions/catalogue.ts).

/** The regions in force: the bundled file, the user's --regions-file files, and the HK/MO options. */
export async function regionsFrom(values: { 'regions-file'?: string[]; 'china-includes-hk'?: boolean; 'china-includes-mo'?: boolean }): Promise<RegionCatalogue> {
  const settings = { chinaIncludesHongKong: values['china-includes-hk'], chinaIncludesMacao: values['china-includes-mo'] };
  const files = (values['regions-file'] ?? []).map(at);
  return (files.length === 0 ? bundledRegions(settings) : null) ?? (await import('../regions/regions.ts')).loadRegions([BUNDLED_REGIONS, ...files], settings);
}
