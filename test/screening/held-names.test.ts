import assert from 'node:assert/strict';
import { test } from 'node:test';
import { realScreener } from '../helpers/screening.ts';

// A red team screened "Northwestern University" and "University of Georgia": each was "Unknown
// organisation … is not in the loaded registry", yet two registry records hold each name (Evanston
// and Laoag; Athens, US, and Tbilisi, GE), so the matcher took neither. An officer told "not in
// the registry" stops looking: the answer is ambiguous, each holder a choice by its ROR id.
const HELD: [string, string[]][] = [
  ['Northwestern University', ['000e0be47', '00m6w7z96']],
  ['University of Georgia', ['00te3t702', '02bjhwk41']],
];

test('a bare name several registry records hold is ambiguous, the holders the choices, never "not in the registry"', async () => {
  const screener = await realScreener();
  for (const [name, ids] of HELD) {
    const r = screener.screen(name);
    assert.equal(r.state, 'ambiguous', `${name}: ${r.headline}`);
    assert.deepEqual(r.choices.map((c) => c.query).sort(), ids, name);
    assert.doesNotMatch(r.headline, /not in the loaded registry/, name);
    for (const id of ids) assert.match(r.headline, new RegExp(id), `${name}: the headline names the candidate ${id}`);
  }
});

test('a city or country the string writes decides between the holders: recognised, not listed', async () => {
  const screener = await realScreener();
  for (const [name, id] of [
    ['Northwestern University, Evanston', '000e0be47'],
    ['University of Georgia, USA', '00te3t702'],
    ['University of Georgia, Tbilisi', '02bjhwk41'],
  ] as const) {
    const r = screener.screen(name);
    assert.equal(r.state, 'not-listed', `${name}: ${r.headline}`);
    assert.match(r.headline, new RegExp(`ROR ${id}`), name);
  }
});

test('names sharing words with places or listed names keep their answers', async () => {
  const screener = await realScreener();
  for (const [name, state] of [
    ['University of Washington', 'not-listed'],
    ['Georgia Institute of Technology', 'not-listed'],
    ['University of Jordan', 'not-listed'],
    ['Southeast University', 'listed'],
    ['Northeastern University', 'ambiguous'],
  ] as const)
    assert.equal(screener.screen(name).state, state, name);
  // The listed namesake still decides the choices of "Northeastern University": China listed, the US not.
  assert.ok(screener.screen('Northeastern University').choices.some((c) => c.listed && c.countryCode === 'CN'));
});
