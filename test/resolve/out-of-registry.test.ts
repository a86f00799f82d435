import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rorInstitution } from '../../src/ingest/ror.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';

// A registry that lacks the institution a string names but holds a near name: the resolver must not
// count the near name, and must still show it as the best candidate ("possible") where it may be meant.
const record = (id: string, name: string, countryCode: string, city: string, types = ['education']) =>
  rorInstitution({
    id: `https://ror.org/${id}`,
    status: 'active',
    types,
    names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }],
    locations: [{ geonames_details: { country_code: countryCode, name: city } }],
    relationships: [],
  });
const resolver = new AffiliationResolver([
  record('041pakw92', 'Renmin University of China', 'CN', 'Beijing'),
  record('02v51f717', 'Peking University', 'CN', 'Beijing'),
  record('010zh7098', "Saint Mary's University", 'CA', 'Halifax'),
  record('017zqws13', 'University of Minnesota', 'US', 'Minneapolis'),
  record('00cmhce21', 'Huawei Technologies (China)', 'CN', 'Shenzhen', ['company']),
  record('03v83q278', 'Cancers et Préventions', 'FR', 'Caen', ['facility']),
]);

test('an abbreviation of an organisation word counts as the word for a near name: "Renmin Univ" is shown as a possible Renmin University of China', () => {
  for (const raw of ['Renmin Univ, DEKE Lab', 'Renmin Univ']) {
    const r = resolver.resolve(raw);
    assert.deepEqual(
      r.institutions.map((m) => [m.name, m.tier]),
      [['Renmin University of China', 'possible']],
      raw,
    );
    assert.match(r.institutions[0]!.evidence, /is close to "Renmin University of China"/);
  }
});

test('a region written after "of" that the registry name is not in keeps the namesake possible: Saint Mary\'s University of Minnesota is not the Canadian one', () => {
  const r = resolver.resolve("Saint Mary's University of Minnesota");
  assert.deepEqual(
    r.institutions.map((m) => [m.name, m.tier]),
    [["Saint Mary's University", 'possible']],
  );
  assert.match(r.institutions[0]!.evidence, /"minnesota", a place in US/);
  assert.notEqual(r.countryCode, 'CA');
  // Its own town, or nothing after the name, keeps the match.
  for (const raw of ["Saint Mary's University, Halifax", "Saint Mary's University"]) assert.ok(['exact', 'strong'].includes(resolver.resolve(raw).institutions[0]?.tier ?? ''), raw);
  assert.deepEqual(
    resolver.resolve('University of Minnesota').institutions.map((m) => m.name),
    ['University of Minnesota'],
  );
  // A country's name after "at" may be a town of the institution's own country ("Indiana University at Jordan"): not read so.
  const at = resolver.resolve('University of Minnesota at Jordan');
  assert.deepEqual(
    at.institutions.map((m) => m.name),
    ['University of Minnesota'],
  );
  assert.ok(['exact', 'strong'].includes(at.tier));
});

test('a unit\'s name "of" a place around a registry name is only where that place may be: the Cancer Prevention Institute of California is not the French "Cancers et Préventions"', () => {
  const r = resolver.resolve('Cancer Prevention Institute of California');
  assert.deepEqual(r.institutions, []);
  assert.equal(r.countryCode, 'US');
  assert.deepEqual(
    resolver.resolve('Cancer Prevention Institute of Caen').institutions.map((m) => m.name),
    ['Cancers et Préventions'],
  );
});

test("a company's lab named with a number is read with it: Huawei's 2012 Labs is Huawei; the year or the word alone is nothing", () => {
  for (const raw of ['2012 Labs', 'Theory Lab, Central Research Institute, 2012 Labs, Huawei Technologies Co., Ltd.', '2012 Laboratories, Shenzhen']) {
    const r = resolver.resolve(raw);
    assert.deepEqual(
      r.companies?.map((c) => [c.name, c.lab]),
      raw.includes('Huawei')
        ? [
            ['Huawei', '2012 Labs'],
            ['Huawei', null],
          ]
        : [['Huawei', '2012 Labs']],
      raw,
    );
    assert.equal(r.institutions[0]?.rorId, '00cmhce21', raw);
    assert.equal(r.countryCode, 'CN', raw);
  }
  for (const raw of ['2012', 'Labs 2012', 'Lab 2012']) assert.deepEqual(resolver.resolve(raw).companies ?? [], [], raw);
});
