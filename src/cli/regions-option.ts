import { BUNDLED_REGIONS, loadRegions, type RegionCatalogue } from '../regions/regions.ts';
import { at } from './io.ts';

// Apart from common.ts, which every command loads (`derisk --help` too): the region files are
// checked by their schema, and TypeBox takes a while to load; only the commands that count by region load it.

/** The regions in force: the bundled file, the user's --regions-file files, and the HK/MO options. */
export function regionsFrom(values: { 'regions-file'?: string[]; 'china-includes-hk'?: boolean; 'china-includes-mo'?: boolean }): RegionCatalogue {
  return loadRegions([BUNDLED_REGIONS, ...(values['regions-file'] ?? []).map(at)], {
    chinaIncludesHongKong: values['china-includes-hk'],
    chinaIncludesMacao: values['china-includes-mo'],
  });
}
