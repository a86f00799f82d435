import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chinaScopeNote, loadRegions, regionOf, BUNDLED_REGIONS } from '../src/regions/regions.ts';
import { writeTemp } from './helpers/fixtures.ts';

test('EU27/AC is the 27 member states plus NO, CH and GB — 30 countries', () => {
  const eu = regionOf(loadRegions(), 'EU27AC');
  assert.equal(eu.countries.length, 30);
  for (const c of ['NO', 'CH', 'GB', 'DE', 'FR', 'PL']) assert.ok(eu.countries.includes(c));
  assert.ok(!eu.countries.includes('IS'), 'Iceland is not in the brief\'s grouping');
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
  const file = writeTemp('nordic.json', JSON.stringify({ provenance: { source: 'test' }, regions: [{ id: 'NORDIC', name: 'Nordics', countries: ['DK', 'FI', 'IS', 'NO', 'SE'] }, { id: 'EUPLUS', name: 'EU27 and Iceland', countries: ['@EU27', 'IS'] }] }));
  const cat = loadRegions([BUNDLED_REGIONS, file]);
  assert.equal(regionOf(cat, 'nordic').countries.length, 5);
  assert.equal(regionOf(cat, 'EUPLUS').countries.length, 28);
});

test('bad region files are refused with the file and the problem named', () => {
  const noProvenance = writeTemp('r.json', JSON.stringify({ regions: [] }));
  assert.throws(() => loadRegions([noProvenance]), /r\.json: region file has no provenance/);
  const badCode = writeTemp('r.json', JSON.stringify({ provenance: 'x', regions: [{ id: 'X', name: 'X', countries: ['Germany'] }] }));
  assert.throws(() => loadRegions([badCode]), /not an ISO 3166-1 alpha-2 code/);
  const cycle = writeTemp('r.json', JSON.stringify({ provenance: 'x', regions: [{ id: 'A', name: 'A', countries: ['@B'] }, { id: 'B', name: 'B', countries: ['@A'] }] }));
  assert.throws(() => loadRegions([cycle]), /cycle/);
  assert.throws(() => regionOf(loadRegions(), 'ATLANTIS'), /unknown region "ATLANTIS"; known: /);
});
