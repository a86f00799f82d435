import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { nameTokens } from '../../src/resolve/normalize.ts';
import { fixtureRegistry } from '../helpers/registry.ts';
import { rorInstitution } from '../../src/ingest/ror.ts';
import { matcherExamples } from './matcher-examples.ts';

// The examples on the small fixture registry: no data mirror needed (the same examples run on the
// real registry in matcher-real.test.ts).
matcherExamples(async () => (await fixtureRegistry()).resolver);

// A small registry of made-up institutions, to check properties independent of the real data.
const made = ['Aurora', 'Borealis', 'Cygnus', 'Draco', 'Eridanus', 'Fornax', 'Gemini', 'Hydra'].flatMap((star, k) => [
  rorInstitution({
    id: `https://ror.org/0prp000${k}${k}`,
    status: 'active',
    types: ['education'],
    names: [{ value: `${star} University of Technology`, types: ['ror_display', 'label'], lang: 'en' }],
    locations: [{ geonames_details: { country_code: k % 2 ? 'DE' : 'CN', country_name: k % 2 ? 'Germany' : 'China', name: `${star}ville` } }],
    relationships: [],
  }),
]);
const small = new AffiliationResolver(made);

test('property: a registry name, decorated with a department and its city and country, resolves to itself', () => {
  fc.assert(
    fc.property(fc.constantFrom(...made), fc.constantFrom('Department of Physics', 'School of Computing', 'Key Lab of Signals', ''), fc.boolean(), (inst, dept, upper) => {
      const name = upper ? inst.name.toUpperCase() : inst.name;
      const raw = [dept, name, inst.city, inst.countryName].filter(Boolean).join(', ');
      const r = small.resolve(raw);
      assert.deepEqual(
        r.institutions.map((m) => m.rorId),
        [inst.id],
      );
      assert.equal(r.countryCode, inst.countryCode);
    }),
  );
});

test('property: a name stated with another country than its record is kept only as possible, and the place gives the country', () => {
  fc.assert(
    fc.property(fc.constantFrom(...made), (inst) => {
      const [wrong, code] = inst.countryCode === 'CN' ? ['France', 'FR'] : ['Brazil', 'BR'];
      const r = small.resolve(`${inst.name}, ${wrong}`);
      assert.deepEqual(
        r.institutions.map((m) => [m.rorId, m.tier]),
        [[inst.id, 'possible']],
      );
      assert.equal(r.countryCode, code);
      assert.match(r.institutions[0]!.evidence, /the registry places it elsewhere/);
    }),
  );
});

test('property: normalisation is idempotent on its own output', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => {
      const once = nameTokens(s).join(' ');
      assert.equal(nameTokens(once).join(' '), once);
    }),
    { numRuns: 5000 },
  );
});

// A university, a school named after it and a hospital named after it, three records with no registry link between them (as ROR holds Stanford's).
const halcyon = [
  ['0hxcy0011', 'Halcyon University', ['education']],
  ['0hxcy0022', 'Halcyon University School of Medicine', ['education']],
  ['0hxcy0033', 'Halcyon University Medical Center', ['healthcare']],
].map(([id, name, types]) =>
  rorInstitution({
    id: `https://ror.org/${id as string}`,
    status: 'active',
    types: types as string[],
    names: [{ value: name as string, types: ['ror_display', 'label'], lang: 'en' }],
    locations: [{ geonames_details: { country_code: 'US', country_name: 'United States', name: 'Halcyon' } }],
    relationships: [],
  }),
);
const withAffiliates = new AffiliationResolver(halcyon);

test('a school named after its university names the university itself: scored as the university named alone, the school kept as detail', () => {
  const r = withAffiliates.resolve('Department of Pathology, Halcyon University School of Medicine');
  const primary = r.institutions.find((m) => m.primary)!;
  assert.equal(primary.rorId, '0hxcy0011');
  assert.deepEqual(
    primary.units.map((u) => u.rorId),
    ['0hxcy0022'],
  );
  assert.equal(primary.basis.named, 'alone');
});

test("a hospital named after a university is the author's institution, the university named beside it", () => {
  const r = withAffiliates.resolve('Eye Institute, Halcyon University Medical Center');
  assert.deepEqual(
    r.institutions.map((m) => [m.rorId, m.primary]),
    [
      ['0hxcy0033', true],
      ['0hxcy0011', false],
    ],
  );
  assert.equal(r.countryCode, 'US');
});
