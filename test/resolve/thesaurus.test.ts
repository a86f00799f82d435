import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rorInstitution } from '../../src/ingest/ror.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { correctionKey, Thesaurus, type Correction } from '../../src/resolve/thesaurus.ts';

const institution = (k: number, name: string, code: string, country: string) =>
  rorInstitution({
    id: `https://ror.org/0thes000${k}`,
    status: 'active',
    types: ['education'],
    names: [{ value: name, types: ['ror_display', 'label'], lang: 'en' }],
    locations: [{ geonames_details: { country_code: code, country_name: country, name: 'Someplace' } }],
    relationships: [],
  });
const registry = [institution(1, 'Aurora University of Technology', 'DE', 'Germany'), institution(2, 'Borealis Institute', 'FR', 'France')];
const [aurora, borealis] = registry as [(typeof registry)[0], (typeof registry)[0]];

const correction = (raw: string, rorId: string, verdict: 'is' | 'not'): Correction => ({
  id: `c-${verdict}-${rorId}`,
  raw,
  key: correctionKey(raw),
  rorId,
  verdict,
  reason: 'checked the author page',
  orgId: 'org-a',
  createdBy: 'officer@a.example',
  createdAt: '2026-11-30T09:00:00Z',
});

test('"this string is that institution" decides the string before matching, with who, when and why', () => {
  const resolver = new AffiliationResolver(registry);
  const raw = 'Lab of Polar Light, Someplace';
  assert.deepEqual(resolver.resolve(raw).institutions, []);
  resolver.useThesaurus(new Thesaurus([correction(raw, borealis.id, 'is')]));
  const r = resolver.resolve(raw);
  assert.deepEqual(
    r.institutions.map((m) => [m.rorId, m.tier, m.basis.how]),
    [[borealis.id, 'exact', 'correction']],
  );
  assert.equal(r.countryCode, 'FR');
  assert.match(r.institutions[0]!.evidence, /corrected by officer@a\.example \(org-a\) on 2026-11-30: checked the author page/);
});

test('a correction applies to the same string however it is cased, punctuated or broken by export noise', () => {
  const resolver = new AffiliationResolver(registry, { thesaurus: new Thesaurus([correction('Lab of Polar Light, Someplace', borealis.id, 'is')]) });
  for (const variant of ['LAB OF POLAR LIGHT SOMEPLACE', 'Lab of Polar Light,#TAB#Someplace', '  lab of polar light;  someplace. ']) {
    assert.equal(resolver.resolve(variant).institutions[0]?.rorId, borealis.id, variant);
  }
  assert.deepEqual(resolver.resolve('Lab of Polar Light, Otherplace').institutions, [], 'another string is not corrected');
});

test('"not that one" removes the candidate and says so; the string then resolves as if the registry lacked it', () => {
  const raw = 'Aurora University of Technology, Germany';
  const resolver = new AffiliationResolver(registry);
  assert.equal(resolver.resolve(raw).institutions[0]?.rorId, aurora.id);
  resolver.useThesaurus(new Thesaurus([correction(raw, aurora.id, 'not')]));
  const r = resolver.resolve(raw);
  assert.deepEqual(r.institutions, []);
  assert.equal(r.countryCode, 'DE', 'the place still gives the country');
  assert.match(r.countryEvidence, /refused .*0thes0001/);
});

test('a correction naming an institution the registry does not hold is not applied', () => {
  const raw = 'Aurora University of Technology, Germany';
  const resolver = new AffiliationResolver(registry, { thesaurus: new Thesaurus([correction(raw, 'https://ror.org/0gone0000', 'is')]) });
  assert.equal(resolver.resolve(raw).institutions[0]?.rorId, aurora.id);
});
