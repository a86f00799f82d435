import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { chinaScopeNote, loadRegions, regionOf, BUNDLED_REGIONS, RegionFile } from '../src/regions/regions.ts';
import { bundledRegions, regionsDigest } from '../src/regions/catalogue.ts';
import { checkSchema } from '../src/schema.ts';
import { writeTemp } from './helpers/fixtures.ts';

test('EU27/AC is the 27 member states plus NO, CH and GB — 30 countries', () => {
  const eu = regionOf(loadRegions(), 'EU27AC');
  assert.equal(eu.countries.length, 30);
  for (const c of ['NO', 'CH', 'GB', 'DE', 'FR', 'PL']) assert.ok(eu.countries.includes(c));
  assert.ok(!eu.countries.includes('IS'), "Iceland is not in the brief's grouping");
});

test('Hong Kong and Macao count as China only when switched on, and the note says so', () => {
  const off = loadRegions();
  assert.deepEqual(regionOf(off, 'CN').countries, ['CN']);
  assert.match(chinaScopeNote(off.settings), /excludes Hong Kong and excludes Macao/);
  const on = loadRegions(undefined, { chinaIncludesHongKong: true, chinaIncludesMacao: true });
  assert.deepEqual(regionOf(on, 'CN').countries, ['CN', 'HK', 'MO']);
  assert.ok(!regionOf(on, 'CN').countries.includes('TW'));
});

test('user-defined regions can build on the bundled ones', () => {
  const file = writeTemp(
    'nordic.json',
    JSON.stringify({
      provenance: { source: 'test' },
      regions: [
        { id: 'NORDIC', name: 'Nordics', countries: ['DK', 'FI', 'IS', 'NO', 'SE'] },
        { id: 'EUPLUS', name: 'EU27 and Iceland', countries: ['@EU27', 'IS'] },
      ],
    }),
  );
  const cat = loadRegions([BUNDLED_REGIONS, file]);
  assert.equal(regionOf(cat, 'nordic').countries.length, 5);
  assert.equal(regionOf(cat, 'EUPLUS').countries.length, 28);
});

test('bad region files are refused with the file and the problem named', () => {
  const noProvenance = writeTemp('r.json', JSON.stringify({ regions: [] }));
  assert.throws(() => loadRegions([noProvenance]), /r\.json: provenance: missing \(where the grouping comes from/);
  const badCode = writeTemp('r.json', JSON.stringify({ provenance: 'x', regions: [{ id: 'X', name: 'X', countries: ['Germany'] }] }));
  assert.throws(() => loadRegions([badCode]), /not an ISO 3166-1 alpha-2 code/);
  const cycle = writeTemp(
    'r.json',
    JSON.stringify({
      provenance: 'x',
      regions: [
        { id: 'A', name: 'A', countries: ['@B'] },
        { id: 'B', name: 'B', countries: ['@A'] },
      ],
    }),
  );
  assert.throws(() => loadRegions([cycle]), /cycle/);
  assert.throws(() => regionOf(loadRegions(), 'ATLANTIS'), /unknown region "ATLANTIS"; known: /);
});

test('the shipped region file passes its schema; each defect is refused naming the field and the reason', () => {
  const shipped = JSON.parse(readFileSync(BUNDLED_REGIONS, 'utf8'));
  assert.doesNotThrow(() => checkSchema(RegionFile, shipped, (m) => new Error(m)));
  const refusal = (doc: unknown): string => {
    const file = writeTemp('regions.json', JSON.stringify(doc));
    try {
      loadRegions([file]);
      return 'accepted';
    } catch (e) {
      assert.ok((e as Error).message.startsWith(`${file}: `), (e as Error).message);
      return (e as Error).message.slice(file.length + 2);
    }
  };
  assert.equal(refusal(shipped), 'accepted');
  const defects: [(d: typeof shipped) => void, RegExp][] = [
    [(d) => (d.regions[0].countries = ['DE', 'Germany']), /^regions\[0\]\.countries\[1\]: "Germany" is not an ISO 3166-1 alpha-2 code or @REGION$/],
    [(d) => (d.regions[1].id = 'EU 27'), /^regions\[1\]\.id: "EU 27" is not a simple identifier/],
    [(d) => delete d.regions[2].name, /^regions\[2\]\.name: required text is missing$/],
    [(d) => (d.regions[3].countries = 'DE'), /^regions\[3\]\.countries: expected a list$/],
    [(d) => (d.regions[0].colour = 'blue'), /^regions\[0\]\.colour: unknown field \(known: id, name, countries, optional, note\)$/],
    [(d) => (d.regions[0].optional = { HK: 'chinaIncludesTaiwan' }), /^regions\[0\]\.optional\.HK: "chinaIncludesTaiwan" is not one of chinaIncludesHongKong, chinaIncludesMacao$/],
    [(d) => (d.settings.chinaIncludesHongKong.default = 'yes'), /^settings\.chinaIncludesHongKong\.default: /],
    [(d) => (d.settings.chinaIncludesTaiwan = { default: true }), /^settings\.chinaIncludesTaiwan: unknown field/],
    [(d) => (d.provenance = ''), /^provenance: "" is not where the grouping comes from/],
    [(d) => (d.regions = {}), /^regions: expected a list$/],
  ];
  for (const [edit, expected] of defects) {
    const doc = structuredClone(shipped);
    edit(doc);
    assert.match(refusal(doc), expected);
  }
  // A country of any other shape, anywhere in any region, is refused by its place.
  fc.assert(
    fc.property(
      fc.nat({ max: shipped.regions.length - 1 }),
      fc.string({ maxLength: 4 }).filter((c) => !/^([A-Z]{2}|@[A-Za-z0-9_-]+)$/.test(c)),
      (i, code) => {
        const doc = structuredClone(shipped);
        doc.regions[i].countries.push(code);
        assert.equal(refusal(doc), `regions[${i}].countries[${doc.regions[i].countries.length - 1}]: ${JSON.stringify(code)} is not an ISO 3166-1 alpha-2 code or @REGION`);
      },
    ),
    { numRuns: 50, seed: 20261130 },
  );
});

test('the bundled region file is read without its schema only while its bytes are the ones the build checked', () => {
  const text = readFileSync(BUNDLED_REGIONS, 'utf8');
  const file = writeTemp('regions.json', text);
  const checked = writeTemp('bundled-regions.checked', `${regionsDigest(text)}\n`);
  const settings = { chinaIncludesHongKong: true };
  assert.deepEqual(bundledRegions(settings, file, checked), loadRegions([BUNDLED_REGIONS], settings));
  const edited = JSON.parse(text);
  edited.regions[0].countries.push('Germany');
  writeFileSync(file, JSON.stringify(edited, null, 2));
  assert.equal(bundledRegions(settings, file, checked), null, 'an edited file is left to loadRegions, which checks it');
  assert.equal(bundledRegions(settings, BUNDLED_REGIONS, `${checked}.missing`), null, 'nothing checked (running from the sources): checked at run time');
});
