import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Calibration, fitCalibration, type Basis } from '../../src/resolve/calibration.ts';
import { Companies } from '../../src/resolve/companies.ts';
import { reliabilityTable } from '../../src/resolve/evaluate.ts';
import { tempDir } from '../helpers/fixtures.ts';

const basis = (over: Partial<Basis>): Basis => ({ how: 'exact', held: 'name', ambiguity: 'unique', place: 'none', generic: false, named: 'alone', ...over });
const meta = { title: 't', built: '2026-11-30', from: 'test', resolverVersion: 'x', registry: 'r', cuts: { exact: 0.95, strong: 0.7 }, priors: {} };

/** n observations of a basis, `right` of them right. */
const seen = (b: Basis, n: number, right: number) => Array.from({ length: n }, (_, i) => ({ basis: b, right: i < right }));

test('a basis is scored by how often matches made that way were right, and the tier is cut from the score', () => {
  const sure = basis({});
  const weak = basis({ how: 'inside' });
  const file = fitCalibration([...seen(sure, 1000, 980), ...seen(weak, 200, 100)], meta);
  const c = new Calibration(file);
  assert.ok(Math.abs(c.score(sure) - 0.98) < 0.005, `${c.score(sure)}`);
  assert.ok(Math.abs(c.score(weak) - 0.5) < 0.02, `${c.score(weak)}`);
  assert.equal(c.tier(sure, c.score(sure)), 'exact');
  // Right half the time is below what "strong" promises (7 in 10).
  assert.equal(c.tier(weak, c.score(weak)), 'possible');
  assert.equal(c.tier(basis({ how: 'reordered' }), 0.8), 'strong');
});

test('a basis seen rarely is pulled toward its coarser basis instead of trusting a handful of strings', () => {
  const common = basis({ place: 'none' });
  const rare = basis({ place: 'none', held: 'alias', generic: true });
  const c = new Calibration(fitCalibration([...seen(common, 500, 450), ...seen(rare, 2, 0)], meta));
  assert.ok(c.score(rare) > 0.5, `two wrong strings do not make a score of 0 (${c.score(rare)})`);
  assert.ok(c.score(rare) < c.score(common));
});

test('a rule seen rarely is pulled toward the rate of the rules that do not read a registry name whole, not toward the exact matches that dominate the set', () => {
  const c = new Calibration(fitCalibration([...seen(basis({}), 1000, 950), ...seen(basis({ how: 'inside' }), 300, 120), ...seen(basis({ how: 'fuzzy' }), 9, 6)], meta));
  assert.ok(c.score(basis({ how: 'fuzzy' })) < 0.7, `nine strings, six right, do not make a strong match (${c.score(basis({ how: 'fuzzy' }))})`);
});

test('acronyms, a place that disagrees, and a company without its country are never more than possible', () => {
  const c = new Calibration(fitCalibration(seen(basis({}), 100, 100), meta));
  assert.equal(c.tier(basis({ how: 'acronym-city' }), 1), 'possible');
  assert.equal(c.tier(basis({ place: 'conflict' }), 1), 'possible');
  assert.equal(c.tier(basis({ how: 'company-unplaced' }), 1), 'possible');
  assert.equal(c.tier(basis({ how: 'correction' }), 0), 'exact', 'a user correction decides');
  // Only a registry name can be "exact", however often another rule was right.
  assert.equal(c.tier(basis({ how: 'reordered' }), 0.99), 'strong');
});

test('the committed calibration is complete: provenance, cuts in order, and every cell consistent', () => {
  const { file } = Calibration.load();
  assert.ok(file.provenance.from.includes('crossref_train') && file.provenance.from.includes('openalex'), 'fitted on the tuning sets');
  assert.ok(!file.provenance.from.includes('ror_logs'), 'never on the held-out split');
  assert.ok(file.cuts.strong > 0 && file.cuts.strong <= file.cuts.exact && file.cuts.exact <= 1);
  for (const [key, cell] of Object.entries(file.cells)) assert.ok(cell.right <= cell.n && cell.n > 0, key);
});

test('reliability bins compare the mean score with the share right', () => {
  const table = reliabilityTable([
    { score: 0.92, right: true },
    { score: 0.93, right: false },
    { score: 0.55, right: false },
  ]);
  const bin = table.find((b) => b.from === 0.9)!;
  assert.equal(bin.matches, 2);
  assert.equal(bin.right, 1);
  assert.ok(Math.abs(bin.meanScore - 0.925) < 1e-9);
});

test('company data without provenance, or with a name matching cannot read (a number alone), is refused', () => {
  const dir = tempDir('derisk-companies-');
  const company = { id: 'x', names: ['Xcorp'], headquarters: 'US', nameAlone: 'headquarters', registry: {}, labs: [] };
  writeFileSync(join(dir, 'none.json'), JSON.stringify({ companies: [company] }));
  assert.throws(() => new Companies(join(dir, 'none.json')), /no provenance/);
  // A number alone is no name; a number with a word ("2012 Labs") is read with its number.
  writeFileSync(join(dir, 'number.json'), JSON.stringify({ provenance: { title: 't' }, companies: [{ ...company, labs: [{ names: ['2012'], countries: ['CN'] }] }] }));
  assert.throws(() => new Companies(join(dir, 'number.json')), /"2012" cannot be matched as written/);
});
