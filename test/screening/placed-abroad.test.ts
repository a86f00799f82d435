import assert from 'node:assert/strict';
import { test } from 'node:test';
import { realScreener } from '../helpers/screening.ts';

// A red team wrote listed companies with a foreign country; each was answered "Recognised, not
// listed" (exit 0) with nothing in the registry recognising it.
const PLACED_ABROAD: [string, RegExp, string][] = [
  ['Huawei Technologies (Sweden)', /^Huawei Technologies Co/, 'Sweden'],
  ['Huawei, Kista, Sweden', /^Huawei Technologies Co/, 'Sweden'],
  ['Huawei Technologies Co., Ltd., Munich, Germany', /^Huawei Technologies Co/, 'Germany'],
  ['Tencent America', /Tencent/, 'United States'],
  ['Tencent America LLC, Palo Alto, CA', /Tencent/, 'United States'],
  ['Hikvision (United States)', /Hikvision/, 'United States'],
  ['DJI (United States)', /DJI/, 'United States'],
  ['SenseTime Japan', /SenseTime/i, 'Japan'],
];

test('a listed company written with a foreign country and no registry record is ambiguous, never not-listed', async () => {
  const screener = await realScreener();
  const wrong = PLACED_ABROAD.map(([q, entry, where]) => ({ q, entry, where, r: screener.screen(q) })).filter(
    ({ r, entry, where }) => r.state !== 'ambiguous' || r.hits.length > 0 || !r.choices.some((c) => c.listed && entry.test(c.label)) || !r.headline.includes(where) || !/subsidiary/.test(r.headline),
  );
  assert.deepEqual(
    wrong.map(({ q, r }) => `${q}: ${r.state}: ${r.headline} ${JSON.stringify(r.choices)}`),
    [],
  );
});

test('not-listed always rests on a registry recognition; a registry namesake stays not-listed', async () => {
  const screener = await realScreener();
  for (const [q] of PLACED_ABROAD) {
    const r = screener.screen(q);
    if (r.state === 'not-listed') assert.ok(r.institutions.length > 0, `${q}: ${r.headline}`);
  }
  const boston = screener.screen('Northeastern University, Boston');
  assert.equal(boston.state, 'not-listed', boston.headline);
  assert.ok(
    boston.institutions.some((i) => i.rorId === '04t5xt781'),
    JSON.stringify(boston.institutions),
  );
  assert.match(boston.headline, /Northeastern University \(United States, ROR 04t5xt781\)/);
});

// Military and university hospitals the ROR registry marks as `related` to (not part of) a listed university.
test('a hospital the registry marks as related to a listed university is a visible related link, never not-listed, never a direct listing', async () => {
  const screener = await realScreener();
  for (const q of ['Changhai Hospital', 'Southwest Hospital', 'Xinqiao Hospital', 'West China Hospital of Sichuan University']) {
    const r = screener.screen(q);
    assert.equal(r.state, 'ambiguous', `${q}: ${r.headline}`);
    assert.deepEqual(r.hits, [], `${q}: counted as a listing`);
    assert.ok(r.related.length > 0, `${q}: ${JSON.stringify(r.related)}`);
    assert.match(r.headline, /related to .* in the ROR registry/, q);
    assert.ok(
      r.choices.some((c) => c.listed && c.query === r.related[0]!.rorId),
      JSON.stringify(r.choices),
    );
  }
});

test('a place written before a listed alias that puts it in another country is a namesake, not the listed entity', async () => {
  const screener = await realScreener();
  const r = screener.screen('Shanghai Institute of Technical Physics');
  assert.ok(!r.hits.some((h) => /All-Russian/.test(h.entry)), `${r.state}: ${r.hits.map((h) => h.entry).join('; ')}`);
  assert.equal(r.state, 'not-listed', r.headline);
  assert.match(r.headline, /Shanghai Institute of Technical Physics \(China, ROR 02txedb84\)/);
});
