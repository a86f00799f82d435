import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { loadListCatalogue, readCatalogueList } from '../../src/screening/lists.ts';
import { buildScreeningContext } from '../../src/screening/context.ts';
import type { ScreenResult } from '../../src/screening/screener.ts';
import { openInput } from '../../src/ingest/lines.ts';
import { readWos } from '../../src/ingest/wos.ts';
import { MIRROR, collect } from '../helpers/fixtures.ts';
import { realRegistry } from '../helpers/registry.ts';

let built: ReturnType<typeof build> | null = null;
async function build() {
  const { institutions, resolver } = await realRegistry();
  const lists = loadListCatalogue().lists.map((spec) => readCatalogueList(spec, join(MIRROR, spec.mirror_path)));
  return buildScreeningContext(lists, institutions, resolver).screener;
}
const realScreener = () => (built ??= build());

const entries = (r: ScreenResult) => r.hits.map((h) => h.entry);
const finds = (r: ScreenResult, entry: RegExp) => r.state === 'listed' && r.hits.some((h) => entry.test(h.entry));
const missed = async (cases: [string, RegExp][]) => {
  const screener = await realScreener();
  return cases
    .map(([q, entry]) => ({ q, entry, r: screener.screen(q) }))
    .filter(({ r, entry }) => !finds(r, entry))
    .map(({ q, r }) => `${q}: ${r.state}: ${entries(r).join('; ') || r.headline}`);
};

test('Web of Science abbreviations of military, supercomputing and compass words find the listed entity', async () => {
  assert.deepEqual(
    await missed([
      ['Acad Mil Med Sci', /^Academy of Military Medical Sciences$/],
      ['Natl Supercomp Ctr Wuxi', /^National Supercomputing Center Wuxi$/],
      ['NW Polytech Univ', /^Northwestern Polytechnical University$/],
      ['Xijing Hosp, Fourth Mil Med Univ', /^Air Force Medical University$/],
    ]),
    [],
  );
});

test('the new abbreviations join nothing new in the real Web of Science export but military institutions', async () => {
  const screener = await realScreener();
  const items = await collect(readWos(openInput(join(MIRROR, 'wos-export-sample-ble-scientopy/wos_ble_2015_2026_tabdelimited.txt.gz'))));
  const addresses = new Set(items.flatMap((i) => (i.ok ? i.record.authorships.flatMap((a) => a.affiliations.map((f) => f.raw)) : [])));
  const compass = [...addresses].filter((a) => /\b(NW|NE|SW|SE)\b/.test(a));
  const military = [...addresses].filter((a) => /\bMil\b/.test(a));
  // Street directions ("Atlantic Dr NW"), Nebraska ("Omaha, NE"), Swedish postcodes ("SE-58183"), "TotalEnergies SE".
  assert.ok(compass.length >= 30, `${compass.length} addresses with a compass abbreviation`);
  assert.deepEqual(
    compass
      .map((a) => ({ a, r: screener.screen(a) }))
      .filter(({ r }) => r.hits.length > 0)
      .map(({ a, r }) => `${a}: ${entries(r).join('; ')}`),
    [],
  );
  // Each "Mil" in the export is military: only the Chinese military institutions are listed.
  const hit = military.map((a) => ({ a, r: screener.screen(a) })).filter(({ r }) => r.hits.length > 0);
  assert.deepEqual([...new Set(hit.flatMap(({ r }) => r.organisations.map((o) => o.name)))].sort(), ['Academy of Military Science', 'Air Force Medical University']);
  assert.ok(hit.every(({ a }) => /Peoples R China/.test(a)));
});
