import assert from 'node:assert/strict';
import { test } from 'node:test';
import { realScreener } from '../helpers/screening.ts';

// Names exactly as the U.S. lists of the mirror write them, each once screened "Recognised, not
// listed": the registry matcher read them as another country's institution (Huawei's German units
// as Huawei in China, Wuxi's centre as Singapore's), or a word of the name as a country ("Man." as
// the Isle of Man, "(Hong Kong)" as HK against an entry listed in China).
const LISTED_AS_WRITTEN = [
  'Huawei Technologies Deutschland GmbH',
  'Huawei Technologies Dusseldorf GmbH',
  'Huawei Cloud Berlin',
  'Huawei OpenLab Munich',
  'Huawei OpenLab Paris',
  'Huawei Technologies Switzerland AG',
  'Huawei Technologies Coöperatief U.A.',
  'Huawei Technologies Research & Development Belgium NV',
  'National Supercomputing Center Wuxi',
  'Shanghai Aerospace Equip. Man.',
  'Cambricon (Hong Kong) Co., Ltd.',
  'Huawei Device (Hong Kong) Co., Limited',
  'China Unicom (Hong Kong) Limited',
  'Huawei Cloud Hong Kong',
];

test('a string that is exactly a listed name is that entry, whatever country the registry matcher guesses', async () => {
  const screener = await realScreener();
  for (const name of LISTED_AS_WRITTEN) {
    const r = screener.screen(name);
    assert.equal(r.state, 'listed', `${name}: ${r.headline}`);
    assert.ok(
      r.hits.some((h) => h.entry === name && !h.inherited && h.match === 'exact'),
      `${name} hits its own entry: ${r.hits.map((h) => h.entry).join('; ')}`,
    );
  }
});

test('a country written in the string that contradicts the entry still sets a namesake apart', async () => {
  const screener = await realScreener();
  for (const q of ['Huawei, Hanoi, Vietnam', 'Northwestern Polytechnic University, Fremont, CA, USA', 'Northeastern University, Boston, MA 02115, USA', 'Huawei Technologies Dusseldorf GmbH, Hanoi, Vietnam', 'Cambricon (Hong Kong) Co., Ltd., Singapore']) {
    const r = screener.screen(q);
    assert.deepEqual(r.hits, [], `${q}: ${r.hits.map((h) => h.entry).join('; ')}`);
    assert.ok(
      r.similar.some((s) => /same name, but the string is in/.test(s.why)),
      `${q} shows the listed namesake apart`,
    );
  }
  // The listed name with its own country written after it is still the entry.
  for (const q of ['Huawei Technologies Dusseldorf GmbH, Germany', 'Huawei Cloud Hong Kong, Hong Kong', 'National Supercomputing Center Wuxi, Wuxi, China']) assert.equal(screener.screen(q).state, 'listed', q);
});
