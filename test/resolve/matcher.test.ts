import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Calibration } from '../../src/resolve/calibration.ts';
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

test('a registry name glued to a longer proper name, or of common words, gives no country however well such matches score', () => {
  // Scored well enough for a possible match to tell the country, as a tuning set may make them.
  const priors = Object.fromEntries(['inside-glued', 'inside'].map((how) => [how, { rate: 0.6, why: 'test' }]));
  const trusting = new AffiliationResolver(made, { calibration: new Calibration({ provenance: { title: 't', built: '', from: 'test', resolverVersion: '', registry: '', method: '' }, cuts: { exact: 0.9, strong: 0.7 }, smoothing: 8, priors, cells: {} }) });
  const glued = trusting.resolve('Zenithal Aurora University of Technology');
  assert.equal(glued.institutions[0]!.basis.how, 'inside-glued');
  assert.equal(glued.countryCode, null, 'the Zenithal Aurora University of Technology may be anywhere');
  // The same name after a unit's word is the institution itself: its country follows.
  assert.equal(trusting.resolve('Laboratory Aurora University of Technology').countryCode, 'CN');
});

test("a name written without the city the registry adds is scored apart for a university's name and for a centre's, hospital's or institute's", () => {
  const inCity = (k: number, name: string, alias?: string) =>
    rorInstitution({
      id: `https://ror.org/0cty000${k}${k}`,
      status: 'active',
      types: ['education'],
      names: [{ value: `${name} Auroraville`, types: ['ror_display', 'label'], lang: 'en' }, ...(alias ? [{ value: `${alias} Auroraville`, types: ['alias'], lang: 'en' }] : [])],
      locations: [{ geonames_details: { country_code: 'DE', country_name: 'Germany', name: 'Auroraville' } }],
      relationships: [],
    });
  const cities = new AffiliationResolver([inCity(1, 'Radiant University'), inCity(2, 'Centre for Quantum Studies'), inCity(3, 'Lucent State College', 'Lucent University')]);
  assert.equal(cities.resolve('Radiant University').institutions[0]!.basis.how, 'fuzzy-city');
  assert.equal(cities.resolve('Centre for Quantum Studies').institutions[0]!.basis.how, 'fuzzy-city-other');
  // A university's name the registry gives a college ("Lamar University-Orange", Lamar State College–Orange).
  assert.equal(cities.resolve('Lucent University').institutions[0]!.basis.how, 'fuzzy-city-other');
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

// Two made-up universities, one with its acronym in the registry, and a namesake longer name.
const lyra = [
  ['0vega0011', 'Universidad de Lyra', 'UdeL'],
  ['0vega0022', 'Universidad Nacional de Vega', null],
].map(([id, name, acronym]) =>
  rorInstitution({
    id: `https://ror.org/${id!}`,
    status: 'active',
    types: ['education'],
    names: [{ value: name!, types: ['ror_display', 'label'], lang: 'es' }, ...(acronym ? [{ value: acronym, types: ['acronym'], lang: 'es' }] : [])],
    locations: [{ geonames_details: { country_code: 'CO', country_name: 'Colombia', name: 'Lyra' } }],
    relationships: [],
  }),
);
const withAcronyms = new AffiliationResolver(lyra);

test('a registry name followed by its own acronym or by its campus or street is that institution, as with a place after it', () => {
  const tierOf = (s: string) => withAcronyms.resolve(s).institutions.map((m) => [m.rorId, m.tier, m.basis.how]);
  // "U de A" is "UdeA" spaced: the registry's acronym of the institution named.
  assert.deepEqual(tierOf('Universidad de Lyra U de L'), [['0vega0011', 'exact', 'exact']]);
  assert.match(withAcronyms.resolve('Universidad de Lyra U de L').institutions[0]!.evidence, /"u de l" after it is its acronym in the registry/);
  assert.deepEqual(tierOf('Universidad Nacional de Vega—Medellin Campus'), [['0vega0022', 'exact', 'exact']]);
  assert.deepEqual(tierOf('Universidad Nacional de Vega Carrera Road'), [['0vega0022', 'exact', 'exact']]);
  // Another institution's acronym, or proper words after the name, still make a longer name the registry may not hold.
  assert.notEqual(tierOf('Universidad Nacional de Vega U de L')[0]![1], 'exact');
  assert.notEqual(tierOf('Universidad Nacional de Vega Jorge Basadre')[0]![1], 'exact');
});

// A made-up university with a campus abroad the registry holds apart, a cancer centre named after it, and a college abroad.
const borrow = new AffiliationResolver(
  [
    ['0brw00011', 'University of Borrow', 'GB', 'Borrow'],
    ['0brw00022', 'University of Borrow Quillan China', 'CN', 'Quillan'],
    ['0brw00033', 'University of Borrow Pellam Cancer Center', 'GB', 'Borrow'],
    ['0brw00044', 'Dunmore Polytechnic', 'AE', 'Dunmore'],
  ].map(([id, name, code, city]) =>
    rorInstitution({
      id: `https://ror.org/${id!}`,
      status: 'active',
      types: ['education'],
      names: [{ value: name!, types: ['ror_display', 'label'], lang: 'en' }],
      locations: [{ geonames_details: { country_code: code!, country_name: code!, name: city! } }],
      relationships: [],
    }),
  ),
);

test("a campus named by a place abroad or by another institution's words does not make the name exact", () => {
  const read = (s: string) => borrow.resolve(s);
  const exactIds = (s: string) =>
    read(s)
      .institutions.filter((m) => m.tier === 'exact')
      .map((m) => m.rorId);
  // Its own campus: the institution, as before.
  assert.deepEqual(exactIds('University of Borrow Elmfield Campus'), ['0brw00011']);
  // A campus in a city abroad is read as that city after the name: the registry's record there, or the city's country.
  const quillan = read('University of Borrow Quillan Campus');
  assert.deepEqual(
    quillan.institutions.filter((m) => m.primary).map((m) => m.rorId),
    ['0brw00022'],
  );
  assert.equal(quillan.countryCode, 'CN');
  assert.match(quillan.institutions[0]!.evidence, /"quillan campus" after it is a campus or a street in "quillan", read as that place/);
  const dunmore = read('University of Borrow Dunmore Campus');
  assert.deepEqual(exactIds('University of Borrow Dunmore Campus'), []);
  assert.notEqual(dunmore.countryCode, 'GB', 'the campus abroad does not place the string at home');
  // Words of another institution's name ("University of Borrow Pellam Cancer Center") are not a campus of the university.
  assert.deepEqual(exactIds('University of Borrow Pellam Campus'), []);
});

test('an elided article that lost its apostrophe reads as the registry writes it ("Pays de lAdour" is "Pays de l\'Adour")', () => {
  const adour = new AffiliationResolver([
    rorInstitution({
      id: 'https://ror.org/0pa000011',
      status: 'active',
      types: ['education'],
      names: [{ value: "Université de Pau et des Pays de l'Adour", types: ['ror_display', 'label'], lang: 'fr' }],
      locations: [{ geonames_details: { country_code: 'FR', country_name: 'France', name: 'Pau' } }],
      relationships: [],
    }),
  ]);
  for (const s of ['Univ de Pau et des Pays de lAdour', "Université de Pau et des Pays de l'Adour", 'Université de Pau et des Pays de l’Adour'])
    assert.deepEqual(
      adour.resolve(s).institutions.map((m) => [m.rorId, m.tier]),
      [['0pa000011', 'exact']],
      s,
    );
  // A capital after a small letter still parts two words glued ("BerlinGermany").
  assert.deepEqual(nameTokens('lAdour BerlinGermany'), ['ladour', 'berlin', 'germany']);
});

test("a ministry written before a university's name in one part is the sponsor of the author's unit, not a longer name", () => {
  // "Key Laboratory of …, Ministry of Education Shandong University": the words before the name are a unit's.
  const r = withAcronyms.resolve('Ministry of Education Universidad Nacional de Vega');
  assert.deepEqual(
    r.institutions.map((m) => [m.rorId, m.tier, m.basis.how]),
    [['0vega0022', 'strong', 'inside-unit']],
  );
});

test('namesakes told apart by their number each keep their own number, whichever is read first', () => {
  // The numbers of a registry name are kept once read: kept under anything but the name itself, the second would take the first's.
  const numbered = [3, 7].map((n) =>
    rorInstitution({
      id: `https://ror.org/0nvx0000${n}`,
      status: 'active',
      types: ['education'],
      names: [{ value: `Université Nova ${n}`, types: ['ror_display', 'label'], lang: 'fr' }],
      locations: [{ geonames_details: { country_code: 'FR', country_name: 'France', name: 'Novaville' } }],
      relationships: [],
    }),
  );
  const resolver = new AffiliationResolver(numbered);
  for (const n of [7, 3, 7]) {
    assert.deepEqual(
      resolver.resolve(`Université Nova ${n}, France`).institutions.map((m) => [m.rorId, m.basis.how]),
      [[`0nvx0000${n}`, 'exact']],
    );
  }
});

test("a withdrawn school's record with no successor counts for the university the registry names as its parent, not for a namesake of that university", () => {
  // "University of Maryland School of Medicine": withdrawn, no successor, a school of the University of Maryland, Baltimore;
  // College Park also holds "University of Maryland".
  const record = (k: number, name: string, status: string, types: string[], relationships: { type: string; id: string; label: string }[], alias?: string) =>
    rorInstitution({
      id: `https://ror.org/0sch0000${k}`,
      status,
      types,
      names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }, ...(alias ? [{ value: alias, types: ['alias'], lang: 'en' }] : [])],
      locations: [{ geonames_details: { country_code: 'US', country_name: 'United States', name: k === 1 ? 'Northtown' : 'Southtown' } }],
      relationships,
    });
  const parent = (k: number) => [{ type: 'parent', id: `https://ror.org/0sch0000${k}`, label: '' }];
  const schools = new AffiliationResolver([
    record(1, 'University of Aurora, Northtown', 'active', ['education'], [], 'University of Aurora'),
    record(2, 'University of Aurora, Southtown', 'active', ['education'], []),
    record(3, 'University of Aurora School of Medicine', 'withdrawn', ['education'], parent(2)),
    // A withdrawn consortium under the same university is no school of it: the registry's parent is not what it names.
    record(4, 'Aurora Data Consortium', 'withdrawn', ['other'], parent(2)),
  ]);
  const school = schools.resolve('Department of Pharmacology, University of Aurora School of Medicine');
  assert.deepEqual(
    school.institutions.map((m) => [m.rorId, m.tier, m.primary]),
    [['0sch00002', 'exact', true]],
  );
  assert.match(school.institutions[0]!.evidence, /withdrawn ROR record 0sch00003 \(University of Aurora School of Medicine\), a school of 0sch00002/);
  assert.equal(school.institutions[0]!.succeeds?.rorId, '0sch00003');
  assert.deepEqual(
    schools.resolve('Aurora Data Consortium').institutions.map((m) => [m.rorId, m.tier]),
    [['0sch00004', 'possible']],
  );
});

test("a withdrawn school's record whose successor is no school counts for the university its name spells; a school successor stands", () => {
  // "Johns Hopkins University School of Medicine": withdrawn, succeeded by Johns Hopkins Medicine, a health system; the string
  // names the university's school. "University of Alabama School of Medicine" is succeeded by a university, which stands.
  const record = (k: number, name: string, status: string, types: string[], successor?: number) =>
    rorInstitution({
      id: `https://ror.org/0scc0000${k}`,
      status,
      types,
      names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }],
      locations: [{ geonames_details: { country_code: 'US', country_name: 'United States', name: 'Northtown' } }],
      relationships: successor === undefined ? [] : [{ type: 'successor', id: `https://ror.org/0scc0000${successor}`, label: '' }],
    });
  const schools = new AffiliationResolver([
    record(1, 'Aurora University', 'active', ['education']),
    record(2, 'Aurora Medicine', 'active', ['healthcare']),
    record(3, 'Aurora University School of Medicine', 'withdrawn', ['education'], 2),
    record(4, 'Borealis University', 'active', ['education']),
    record(5, 'Borealis University at Northtown', 'active', ['education']),
    record(6, 'Borealis University School of Medicine', 'withdrawn', ['education'], 5),
  ]);
  const aurora = schools.resolve('Department of Neurology, Aurora University School of Medicine');
  assert.deepEqual(
    aurora.institutions.map((m) => [m.rorId, m.tier, m.primary]),
    [['0scc00001', 'exact', true]],
  );
  assert.match(aurora.institutions[0]!.evidence, /a school of 0scc00001 Aurora University, the university its name spells \(its registry successor 0scc00002 Aurora Medicine is no school\)/);
  assert.equal(aurora.institutions[0]!.succeeds?.rorId, '0scc00003');
  assert.equal(schools.resolve('Department of Neurology, Borealis University School of Medicine').institutions.find((m) => m.primary)?.rorId, '0scc00005');
});

test('a university of a system, named by a name its own record holds, is the institution, not the system whose name is read inside it', () => {
  // "University of Massachusetts Medical School": an alias of UMass Chan Medical School, a university of the UMass System,
  // which holds "University of Massachusetts". A system is a parent of two universities or more not named after it.
  const record = (k: number, names: string[], relationships: { type: string; id: string; label: string }[]) =>
    rorInstitution({
      id: `https://ror.org/0sys0000${k}`,
      status: 'active',
      types: ['education'],
      names: names.map((value, n) => ({ value, types: n === 0 ? ['ror_display', 'label'] : ['alias'], lang: 'en' })),
      locations: [{ geonames_details: { country_code: 'US', country_name: 'United States', name: `Town ${k}` } }],
      relationships,
    });
  const child = (k: number) => ({ type: 'child', id: `https://ror.org/0sys0000${k}`, label: '' });
  const parent = (k: number) => [{ type: 'parent', id: `https://ror.org/0sys0000${k}`, label: '' }];
  const systems = new AffiliationResolver([
    record(1, ['University of Aurora System', 'University of Aurora'], [child(2), child(3)]),
    record(2, ['University of Aurora Eastfield'], parent(1)),
    record(3, ['University of Aurora Chan Medical School', 'University of Aurora Medical School'], parent(1)),
    // A university with one school of its own record is no system: the school counts for it.
    record(4, ['Borealis University'], [child(5)]),
    record(5, ['Borealis University Law School'], parent(4)),
  ]);
  const member = systems.resolve('Department of Surgery, University of Aurora Medical School');
  assert.deepEqual(
    member.institutions.map((m) => [m.rorId, m.primary]),
    [['0sys00003', true]],
  );
  assert.match(member.institutions[0]!.evidence, /University of Aurora System, also read in the string, is the university system it belongs to and is not counted beside it/);
  assert.deepEqual(
    systems.resolve('Department of Surgery, Borealis University Law School').institutions.map((m) => [m.rorId, m.primary]),
    [['0sys00004', true]],
  );
});

test("a unit's name written before an organisation the registry does not hold is kept as possible, not read as the unit's namesake elsewhere", () => {
  // "Institute of Molecular and Cellular Biology, National Tsing Hua University": the registry holds a French institute of
  // that name (in English) and not the university.
  const record = (k: number, name: string, code: string, country: string) =>
    rorInstitution({
      id: `https://ror.org/0nhd0000${k}`,
      status: 'active',
      types: ['facility'],
      names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }],
      locations: [{ geonames_details: { country_code: code, country_name: country, name: 'Northtown' } }],
      relationships: [],
    });
  const units = new AffiliationResolver([record(1, 'Institute of Molecular and Cellular Biology', 'FR', 'France'), record(2, 'Aurora University', 'TW', 'Taiwan')]);
  const unheld = units.resolve('Institute of Molecular and Cellular Biology, National Borealis University');
  assert.deepEqual(
    unheld.institutions.map((m) => [m.rorId, m.tier]),
    [['0nhd00001', 'possible']],
  );
  assert.match(unheld.institutions[0]!.evidence, /is written as a unit of "National Borealis University", which the registry does not hold/);
  assert.equal(unheld.countryCode, null);
  // Alone, or before an organisation the registry holds, the name is read as it was.
  assert.equal(units.resolve('Institute of Molecular and Cellular Biology').institutions[0]!.tier, 'exact');
  assert.equal(units.resolve('Institute of Molecular and Cellular Biology, France').institutions[0]!.tier, 'exact');
});

test("a registry name read inside a unit's words, written before an organisation the registry does not hold, is kept as possible (round 50)", () => {
  // "Molecular Cardiovascular Biology Division and Heart Institute, Cincinnati Children's Hospital Medical Center" was the
  // Brazilian Heart Institute (InCor), whose English label is "Heart Institute".
  const record = (k: number, name: string, code: string, types: string[]) =>
    rorInstitution({
      id: `https://ror.org/0hrt0000${k}`,
      status: 'active',
      types,
      names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }],
      locations: [{ geonames_details: { country_code: code, name: 'Southtown' } }],
      relationships: [],
    });
  const hearts = new AffiliationResolver([record(1, 'Heart Institute', 'BR', ['facility']), record(2, 'Aurora University', 'US', ['education'])]);
  fc.assert(
    fc.property(fc.constantFrom('Molecular Cardiovascular Biology Division and', 'Division of Molecular Cardiology and', 'Department of Surgery and the'), fc.constantFrom("Borealis Children's Hospital Medical Center", 'Borealis College of Medicine'), (unit, organisation) => {
      const r = hearts.resolve(`${unit} Heart Institute, ${organisation}`);
      const m = r.institutions.find((i) => i.rorId === '0hrt00001');
      assert.ok(!m || m.tier === 'possible', m?.evidence);
      assert.notEqual(r.countryCode, 'BR');
    }),
  );
  const held = hearts.resolve('Molecular Cardiovascular Biology Division and Heart Institute, Aurora University');
  assert.equal(held.institutions.find((i) => i.rorId === '0hrt00001')?.tier !== 'possible', true, 'before an organisation the registry holds, read as before');
});

test('a name extended to the one institution of that name in the country named must be in the region the string names (round 50)', () => {
  // "Government of Saskatchewan - Ministry of Agriculture" was Québec's "Ministère de l'Agriculture, des Pêcheries et de l'Alimentation".
  const record = (k: number, name: string, code: string, country: string, region: string, city: string) =>
    rorInstitution({
      id: `https://ror.org/0ext0000${k}`,
      status: 'active',
      types: ['government'],
      names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }],
      locations: [{ geonames_details: { country_code: code, country_name: country, country_subdivision_name: region, name: city } }],
      relationships: [],
    });
  const ministries = new AffiliationResolver([record(1, 'Ministry of Agriculture and Fisheries', 'CA', 'Canada', 'Quebec', 'Quebec City'), record(2, 'Ministry of Agriculture', 'IN', 'India', 'Delhi', 'New Delhi')]);
  fc.assert(
    fc.property(fc.constantFrom('Government of Saskatchewan - Ministry of Agriculture', 'Ministry of Agriculture, Saskatchewan', 'Ministry of Agriculture, Regina, Saskatchewan, Canada'), (s) => {
      const r = ministries.resolve(s);
      assert.ok(!r.institutions.some((m) => m.rorId === '0ext00001' && m.tier !== 'possible'), JSON.stringify(r.institutions));
      assert.equal(r.countryCode, 'CA');
    }),
  );
  // In the region the record is in, or with no region named, the longer name is still read.
  for (const s of ['Ministry of Agriculture, Quebec, Canada', 'Ministry of Agriculture, Canada']) assert.equal(ministries.resolve(s).institutions.find((m) => m.primary)?.rorId, '0ext00001', s);
});

test("a unit's name written with an acronym, as a part, that only institutions in other countries hold is kept as possible (round 50)", () => {
  // "Institute of Neuroscience, CNR" was the Zurich "Institute for Neuroscience"; CNR is Italy's National Research Council.
  const record = (k: number, name: string, code: string, acronym?: string) =>
    rorInstitution({
      id: `https://ror.org/0acr0000${k}`,
      status: 'active',
      types: ['facility'],
      names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }, ...(acronym ? [{ value: acronym, types: ['acronym'], lang: null }] : [])],
      locations: [{ geonames_details: { country_code: code, name: 'Westtown' } }],
      relationships: [],
    });
  const acronyms = new AffiliationResolver([record(1, 'Institute for Neuroscience', 'CH'), record(2, 'National Research Council', 'IT', 'CNR'), record(3, 'Federal Research Board', 'CH', 'FRB')]);
  fc.assert(
    fc.property(fc.constantFrom('Institute of Neuroscience', 'Institute for Neuroscience'), fc.constantFrom('CNR', 'C.N.R.'), fc.constantFrom('', 'Laboratory of Vision, '), (unit, acronym, lab) => {
      const r = acronyms.resolve(`${lab}${unit}, ${acronym}`);
      const m = r.institutions.find((i) => i.rorId === '0acr00001');
      assert.ok(!m || m.tier === 'possible', m?.evidence);
      assert.notEqual(r.countryCode, 'CH');
    }),
  );
  const m = acronyms.resolve('Institute of Neuroscience, CNR').institutions.find((i) => i.rorId === '0acr00001')!;
  assert.match(m.evidence, /"CNR", written as a part with it, is held in the registry only in IT \(National Research Council\)/);
  // An acronym held where the record is, or none the registry knows, says nothing against it.
  for (const s of ['Institute of Neuroscience, FRB', 'Institute of Neuroscience, XQZ']) assert.notEqual(acronyms.resolve(s).institutions.find((i) => i.primary)?.tier, 'possible', s);
});

test('a university\'s name written with "at" and a town it is not in names its campus there, kept as possible', () => {
  // "University of Maine at Farmington" is not the University of Maine (Orono), nor "The State University of New York at
  // Buffalo" the SUNY system's record (Albany); "at" its own town, the name is the university's.
  const record = (k: number, name: string, types: string[], city: string) =>
    rorInstitution({
      id: `https://ror.org/0cmp0000${k}`,
      status: 'active',
      types,
      names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }],
      locations: [{ geonames_details: { country_code: 'US', country_name: 'United States', name: city } }],
      relationships: [],
    });
  const campuses = new AffiliationResolver([record(1, 'University of Aurora', ['education'], 'Northtown'), record(2, 'Borealis Hospital', ['healthcare'], 'Southtown')]);
  const campus = campuses.resolve('University of Aurora at Southtown');
  assert.deepEqual(
    campus.institutions.map((m) => [m.rorId, m.tier]),
    [['0cmp00001', 'possible']],
  );
  assert.match(campus.institutions[0]!.evidence, /"at southtown" after the name names its campus there, and the registry places its record in "northtown"/);
  assert.notEqual(campuses.resolve('University of Aurora at Northtown').institutions[0]!.tier, 'possible');
});

test("a system's name its campuses begin with is read as the campus the string names, and as a possible match when it names none", () => {
  // "Department of Physics, University of California": the University of California System's record holds the name, but a
  // department is one campus's, and ROR's labels give the campus (crossref_train: 30 such strings, none labelled the system).
  const record = (k: number, names: { value: string; types: string[] }[], city: string, relationships: { type: string; id: string }[]) =>
    rorInstitution({
      id: `https://ror.org/0sys0000${k}`,
      status: 'active',
      types: ['education'],
      names: names.map((n) => ({ ...n, lang: 'en' })),
      locations: [{ geonames_details: { country_code: 'US', country_name: 'United States', name: city } }],
      relationships,
    });
  const parent = [{ type: 'parent', id: 'https://ror.org/0sys00001' }];
  const systems = new AffiliationResolver([
    record(
      1,
      [
        { value: 'University of Aurora System', types: ['ror_display', 'label'] },
        { value: 'University of Aurora', types: ['label'] },
      ],
      'Capital City',
      [
        { type: 'child', id: 'https://ror.org/0sys00002' },
        { type: 'child', id: 'https://ror.org/0sys00003' },
      ],
    ),
    record(2, [{ value: 'University of Aurora, Northtown', types: ['ror_display', 'label'] }], 'Northtown', parent),
    record(3, [{ value: 'University of Aurora Medical Branch at Southtown', types: ['ror_display', 'label'] }], 'Southtown', parent),
  ]);
  const read = (raw: string) => systems.resolve(raw).institutions.map((m) => [m.rorId, m.tier]);
  const none = systems.resolve('Department of Physics, University of Aurora');
  assert.deepEqual(
    none.institutions.map((m) => [m.rorId, m.tier]),
    [['0sys00001', 'possible']],
  );
  assert.match(none.institutions[0]!.evidence, /begins the names of 2 of its campuses \(University of Aurora, Northtown, University of Aurora Medical Branch at Southtown\), and the string names none of them/);
  assert.equal(none.countryCode, 'US', 'the system still places the string');
  // The campus written after the name, whole or its first words, or its town named in the string.
  assert.deepEqual(read('Section of Pathology, University of Aurora, Northtown School of Dentistry'), [['0sys00002', 'exact']]);
  assert.deepEqual(read('Department of Surgery, University of Aurora Medical Branch'), [['0sys00003', 'strong']]);
  assert.deepEqual(read('Department of Chemistry, University of Aurora, Science Hall, Southtown'), [['0sys00003', 'exact']]);
  // The system named as such is the system.
  assert.deepEqual(read('University of Aurora System'), [['0sys00001', 'exact']]);
});

test("a school of a subject written after the first words of a university's name is that university's, unless namesakes, a place or another university say otherwise", () => {
  // "Harvard T.H. Chan School of Public Health", "Yale School of Engineering & Applied Sciences": the registry holds no record
  // of the school, and ROR's labels give the university (crossref_train: 10 such strings, all labelled so).
  const record = (k: number, name: string, city: string) =>
    rorInstitution({
      id: `https://ror.org/0sch0000${k}`,
      status: 'active',
      types: ['education'],
      names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }],
      locations: [{ geonames_details: { country_code: 'US', country_name: 'United States', name: city } }],
      relationships: [],
    });
  const schools = new AffiliationResolver([record(1, 'Aurora University', 'Northtown'), record(2, 'Borealis University', 'Southtown'), record(3, 'Borealis University', 'Easttown'), record(4, 'Boston University', 'Boston'), record(5, 'Cygnus State University', 'Westtown')]);
  const read = (raw: string) => schools.resolve(raw).institutions.map((m) => [m.rorId, m.tier]);
  const school = schools.resolve('Department of Nutrition, Aurora T.H. Chan School of Public Health');
  assert.deepEqual(
    school.institutions.map((m) => [m.rorId, m.tier]),
    [['0sch00001', 'strong']],
  );
  assert.match(school.institutions[0]!.evidence, /is a school written after "aurora", the first words of Aurora University, the one registry university so named/);
  assert.equal(school.countryCode, 'US');
  // Two universities so named, a place's name ("Boston School of Public Health"), or a university named beside the school: not read.
  assert.deepEqual(read('Borealis School of Medicine'), []);
  assert.deepEqual(read('Boston School of Public Health'), []);
  assert.deepEqual(read('Aurora School of Social Work, Cygnus State University'), [['0sch00005', 'exact']]);
  // A college with no subject is a name of its own ("Aurora College"), not the university's school.
  assert.deepEqual(read('Aurora College'), []);
});

test("a unit the registry names after its parent, written before its parent's whole name, is the parent's unit, not a match of its own", () => {
  // "BIO5 Institute, University of Arizona": the registry holds the institute as "BIO5 Institute" and "University of Arizona
  // BIO5 Institute"; read child-first across the parts, that name swallowed the university's, and the string named the
  // institute alone (crossref_train labels 13 such strings with the parent, 2 with the unit).
  const record = (k: number, names: { value: string; types: string[] }[], relationships: { type: string; id: string }[]) =>
    rorInstitution({
      id: `https://ror.org/0cyg0000${k}`,
      status: 'active',
      types: [k === 1 ? 'education' : 'facility'],
      names: names.map((n) => ({ ...n, lang: 'en' })),
      locations: [{ geonames_details: { country_code: 'US', country_name: 'United States', name: 'Northtown' } }],
      relationships,
    });
  const units = new AffiliationResolver([
    record(1, [{ value: 'Aurora University', types: ['ror_display', 'label'] }], [{ type: 'child', id: 'https://ror.org/0cyg00002' }]),
    record(
      2,
      [
        { value: 'Cygnus Institute', types: ['ror_display', 'label'] },
        { value: 'Aurora University Cygnus Institute', types: ['alias'] },
      ],
      [{ type: 'parent', id: 'https://ror.org/0cyg00001' }],
    ),
  ]);
  const both = units.resolve('Cygnus Institute, Aurora University');
  assert.deepEqual(
    both.institutions.map((m) => [m.rorId, m.primary]),
    [['0cyg00001', true]],
  );
  assert.deepEqual(
    both.institutions[0]!.units.map((u) => u.rorId),
    ['0cyg00002'],
  );
  // The registry's own order is the unit's name, read whole.
  assert.deepEqual(
    units.resolve('Aurora University Cygnus Institute').institutions.map((m) => m.rorId),
    ['0cyg00002'],
  );
});
