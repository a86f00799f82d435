import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ROR_DUMP, realRegistry } from '../helpers/registry.ts';

// Where a string is placed when nothing in it names a country: one case per class of wrong country fixed (issue 15).
const skip = !existsSync(ROR_DUMP) && 'data mirror not present';

const resolve = async (s: string) => (await realRegistry()).resolver.resolve(s);

test('a firm written with words before a company name the registry holds with its country in brackets is not placed by that record', { skip }, async () => {
  // "Sustainable Innovations (United States)": LGI Sustainable Innovation is a firm in Paris, which the registry does not hold.
  const lgi = await resolve('LGI Sustainable Innovation');
  assert.equal(lgi.countryCode, null);
  assert.match(lgi.countryEvidence, /Sustainable Innovations \(United States\) is only a possible match, and the words written before its name make a longer firm's name/);
  // The company's name alone, or with its own place, still places the string.
  assert.equal((await resolve('Sustainable Innovations')).countryCode, 'US');
  assert.equal((await resolve('Deutsche Telekom')).countryCode, 'DE');
  assert.equal((await resolve('Infineon Technologies Dresden GmbH & Co. KG')).countryCode, 'DE', "words after the name (a town, a legal form) are the firm's own");
});
