import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { Gazetteer } from '../../src/resolve/gazetteer.ts';
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

const gazetteer = new Gazetteer([
  { countryCode: 'GB', countryName: 'United Kingdom', city: 'Cambridge' },
  { countryCode: 'US', countryName: 'United States', city: 'Cambridge' },
]);
const country = (s: string) => gazetteer.detect(s).countryCode;

test('a British postcode written whole places the address in GB, wherever it stands; a room or a Canadian code does not', () => {
  assert.equal(country('Univ Shefeld, Dept Automat Control & Syst Engn, Shefeld S1 3JD'), 'GB');
  assert.equal(country('South Tyneside Council, South Shields NE33 2RL'), 'GB', 'NE is a US state only before a ZIP code');
  assert.equal(country('Univ Cambridge, Cambridge CB3 0FD, Dept Engn'), 'GB');
  assert.match(gazetteer.detect('Kent DA2 6SN').evidence, /"DA2 6SN" is a British postcode/);
  assert.equal(country('Glorp Institute, Room B12 3AC'), null, 'C is never an inward letter');
  assert.equal(country('Glorp Institute, Ottawa, ON K2K 3J1'), 'CA');
  const letter = fc.constantFrom(...'ABDEFGHJLNPQRSTUWXYZ'.split(''));
  const outward = fc.tuple(fc.constantFrom(...'ABCDEFGHJKLMNOPRSTUWYZ'.split('')), fc.constantFrom('', 'A', 'B', 'E', 'H', 'L', 'S', 'W'), fc.integer({ min: 1, max: 99 })).map(([a, b, n]) => `${a}${b}${n}`);
  const postcode = fc.tuple(outward, fc.integer({ min: 0, max: 9 }), letter, letter).map(([o, d, x, y]) => `${o} ${d}${x}${y}`);
  fc.assert(fc.property(postcode, (code) => country(`Glorp Institute, Glorptown ${code}`) === 'GB'));
});

test('the country letters before a Turkish, Argentine or Brazilian postcode name the country', () => {
  assert.equal(country('Bitlis Eren Univ, Dept Comp Engn, TR-13100 Bitlis'), 'TR');
  assert.equal(country('Univ Nacl Cordoba, RA-5000 Cordoba'), 'AR');
  assert.equal(country('Fed Univ Pampa, Dept Telecommun Engn, BR-97546550 Alegrete'), 'BR');
  assert.equal(country('Fed Univ Pampa, BR-97546-550 Alegrete'), 'BR');
  assert.equal(country('Glorp Lab, BR-305'), null, 'a room, not a postcode');
});

test('a first part of one word in capitals is an acronym, not the town it spells', { skip }, async () => {
  // "UNA": the Universidad Nacional de Asunción, not Una in Himachal Pradesh (the registry holds an institution there).
  const una = await resolve('UNA, Fac Politecn, San Lorenzo');
  assert.equal(una.countryCode, null);
  assert.match(una.countryEvidence, /"UNA", the first part, is written in capitals: an acronym, not the town of that name/);
  assert.equal((await resolve('Glorp Institute, Una')).countryCode, 'IN', 'written as a town after the institution, it is one');
  assert.equal((await resolve('KAIST, Daejeon')).countryCode, 'KR', 'the town after the acronym still places the string');
});
