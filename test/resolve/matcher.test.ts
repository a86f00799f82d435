import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { nameTokens } from '../../src/resolve/normalize.ts';
import { ROR_DUMP, realRegistry } from '../helpers/registry.ts';
import { rorInstitution } from '../../src/ingest/ror.ts';

const skip = !existsSync(ROR_DUMP) && 'data mirror not present';

const names = async (s: string) => (await realRegistry()).resolver.resolve(s).institutions.map((m) => m.name);

test('a WoS address resolves to its institution and country', { skip }, async () => {
  const { resolver } = await realRegistry();
  const r = resolver.resolve('Huazhong Univ Sci & Technol, Sch Elect Informat & Commun, Wuhan 430074, Peoples R China');
  assert.deepEqual(r.institutions.map((m) => m.name), ['Huazhong University of Science and Technology']);
  assert.equal(r.countryCode, 'CN');
  assert.ok(['exact', 'strong'].includes(r.tier));
  assert.ok(r.institutions[0]!.evidence.length > 0, 'every match says why');
});

test('near-namesakes stay apart: BIT is not BJUT, HIT is not HEU', { skip }, async () => {
  assert.deepEqual(await names('Beijing Institute of Technology, Beijing, China'), ['Beijing Institute of Technology']);
  assert.deepEqual(await names('Beijing University of Technology, Beijing, China'), ['Beijing University of Technology']);
  assert.deepEqual(await names('Harbin Inst Technol, Harbin, Peoples R China'), ['Harbin Institute of Technology']);
  assert.deepEqual(await names('Harbin Engn Univ, Harbin, Peoples R China'), ['Harbin Engineering University']);
});

test('a Chinese-language name resolves; an institute named alone rolls up to CAS on request', { skip }, async () => {
  const { resolver } = await realRegistry();
  const both = resolver.resolve('中国科学院自动化研究所');
  assert.deepEqual(both.institutions.map((m) => m.name), ['Chinese Academy of Sciences']);
  assert.deepEqual(both.institutions[0]!.units.map((u) => u.name), ['Institute of Automation']);
  assert.equal(both.countryCode, 'CN');
  const alone = resolver.resolve('Institute of Automation, Beijing, China');
  assert.deepEqual(alone.institutions.map((m) => m.name), ['Institute of Automation']);
  assert.equal(resolver.institution(resolver.rollUp(alone.institutions[0]!.rorId))?.name, 'Chinese Academy of Sciences');
});

test('a string naming a unit and its parent resolves to the parent, keeping the unit as detail', { skip }, async () => {
  const { resolver } = await realRegistry();
  const r = resolver.resolve('Institute of Automation, Chinese Academy of Sciences, Beijing 100190, China');
  assert.deepEqual(r.institutions.map((m) => m.name), ['Chinese Academy of Sciences']);
  assert.match(r.institutions[0]!.units.map((u) => u.name).join(), /Automation/);
});

test('a string naming several institutions yields several, the university first', { skip }, async () => {
  const r = (await realRegistry()).resolver.resolve('Department of Physiology, Howard Hughes Medical Institute, University of Texas Southwestern Medical Center, Dallas, TX, USA');
  assert.equal(r.institutions.length, 2);
  assert.equal(r.institutions[0]!.primary, true);
  assert.match(r.institutions[0]!.name, /Southwestern/);
  assert.match(r.institutions[1]!.name, /Howard Hughes/);
});

test('an acronym alone decides nothing; with its city it is a possible match', { skip }, async () => {
  const { resolver } = await realRegistry();
  assert.deepEqual(resolver.resolve('MIT').institutions, []);
  const withCity = resolver.resolve('MIT, Cambridge, MA, USA').institutions;
  assert.equal(withCity.length, 1);
  assert.equal(withCity[0]!.tier, 'possible');
  assert.equal(withCity[0]!.name, 'Massachusetts Institute of Technology');
});

test('"Washington University" is not the University of Washington', { skip }, async () => {
  const r = (await realRegistry()).resolver.resolve('Washington University School of Medicine, St. Louis, MO, USA');
  assert.ok(!r.institutions.some((m) => m.name === 'University of Washington' && m.tier !== 'possible'));
});

test('a generic unit name never matches on its own', { skip }, async () => {
  assert.deepEqual(await names('Department of Biological Sciences'), []);
  assert.deepEqual(await names('Department of Biological Sciences, University of Alberta'), ['University of Alberta']);
});

test('no institution, but the country is still given', { skip }, async () => {
  const r = (await realRegistry()).resolver.resolve('Some Small Lab, Wuhan 430074, Peoples R China');
  assert.deepEqual(r.institutions, []);
  assert.equal(r.countryCode, 'CN');
  assert.equal(r.tier, 'unresolved');
});

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
      assert.deepEqual(r.institutions.map((m) => m.rorId), [inst.id]);
      assert.equal(r.countryCode, inst.countryCode);
    }),
  );
});

test('property: a name stated with another country than its record is kept only as possible, and the place gives the country', () => {
  fc.assert(
    fc.property(fc.constantFrom(...made), (inst) => {
      const [wrong, code] = inst.countryCode === 'CN' ? ['France', 'FR'] : ['Brazil', 'BR'];
      const r = small.resolve(`${inst.name}, ${wrong}`);
      assert.deepEqual(r.institutions.map((m) => [m.rorId, m.tier]), [[inst.id, 'possible']]);
      assert.equal(r.countryCode, code);
      assert.match(r.institutions[0]!.evidence, /the registry places it elsewhere/);
    }),
  );
});

test('property: normalisation is idempotent on its own output', () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => {
    const once = nameTokens(s).join(' ');
    assert.equal(nameTokens(once).join(' '), once);
  }), { numRuns: 5000 });
});
