import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { placeholderReason } from '../../src/screening/placeholders.ts';
import { ROR_DUMP } from '../helpers/registry.ts';
import { realScreener } from '../helpers/screening.ts';

// Red team round 44 (F1): these came back as the University of Hong Kong, a Macau or a Tokyo
// university, and a case with them green.
const DESCRIPTIONS = [
  'a university in Hong Kong',
  'a university of Hong Kong',
  'university (Hong Kong)',
  'University (Hong Kong)',
  'University in Macau (TBD)',
  'a university in Macau',
  'a university in Tokyo',
  'university in Tokyo (to be chosen)',
  'A partner university in Wuhan',
  'some company in Shenzhen',
  'a Chinese university',
  'Huawei lab [TBC]',
  // Red team round 45 (F1): an article, a place and a kind came back as the university of that place, and green.
  'a Hong Kong university',
  'A Hong Kong University',
  'the Hong Kong university',
  'a Shanghai university',
  'a Wuhan university',
  'some Beijing institute',
  'University in Hong Kong',
  'University, Macau',
  'Institute in China',
];
const NAMES = [
  'University of Hong Kong',
  'Chinese University of Hong Kong',
  'An Giang University',
  'An Najah National University',
  'A Coruña University',
  'University at Albany',
  'University in Bitola',
  'Medical University in Lublin',
  'One Health Institute',
  'A*STAR',
  'Harbin Institute of Technology (HIT)',
  'Huawei - Shenzhen',
  'The Hong Kong Polytechnic University',
  'The Hong Kong University of Science and Technology',
  'the hong kong polytechnic university',
  'A Coruña University',
  'University at Buffalo',
];

test('a description of a kind of organisation and a place names nobody; a name written like one is still a name', () => {
  for (const d of DESCRIPTIONS) assert.ok(placeholderReason(d), `${d} should be a description`);
  for (const n of NAMES) assert.equal(placeholderReason(n), undefined, `${n} is a name`);
});

test('no name in the ROR registry is read as a description (only the placeholder words the registry also holds: TBD, NA, NN, TBA)', () => {
  const read = new Set<string>();
  for (const line of gunzipSync(readFileSync(ROR_DUMP)).toString('utf8').split('\n')) {
    if (line === '') continue;
    for (const { value } of (JSON.parse(line) as { names?: { value: string }[] }).names ?? []) if (placeholderReason(value) !== undefined) read.add(value);
  }
  assert.deepEqual([...read].sort(), ['NA', 'NN', 'TBA', 'TBD']);
});

test('a placeholder in brackets beside any words makes the whole a placeholder', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Z][a-z]{2,12}( [A-Z][a-z]{2,12}){0,3}$/), fc.constantFrom('TBD', 'tbc', 'N/A', 'to be chosen', 'to be confirmed'), (name, ph) => {
      assert.ok(placeholderReason(`${name} (${ph})`), `${name} (${ph})`);
    }),
  );
});

test('screening a description answers unknown, never the institution the registry reads in it', async () => {
  const screener = await realScreener();
  for (const d of ['a university in Hong Kong', 'university (Hong Kong)', 'University in Macau (TBD)', 'a Hong Kong university', 'University in Hong Kong', 'University, Hong Kong', 'a Shanghai university']) {
    const r = screener.screen(d);
    assert.equal(r.state, 'unknown', `${d}: ${r.headline}`);
    assert.deepEqual(r.institutions, [], d);
    assert.match(r.headline, /not a name: identify the partner/);
  }
  assert.equal(screener.screen('University of Hong Kong').state, 'not-listed');
  // Kind words and a place that an institution bears are its name.
  for (const n of ['University at Albany', 'University in Bitola']) assert.notEqual(screener.screen(n).state, 'unknown', n);
});
