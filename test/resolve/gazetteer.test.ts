import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Gazetteer } from '../../src/resolve/gazetteer.ts';

const registryPlaces = [
  { countryCode: 'US', countryName: 'United States', city: 'Boston' },
  { countryCode: 'US', countryName: 'United States', city: 'Atlanta' },
  { countryCode: 'ES', countryName: 'Spain', city: 'Barcelona' },
  { countryCode: 'GE', countryName: 'Georgia', city: 'Tbilisi' },
  { countryCode: 'CN', countryName: 'China', city: 'Wuhan' },
  { countryCode: 'HK', countryName: 'Hong Kong', city: 'Kowloon' },
  { countryCode: 'GB', countryName: 'United Kingdom', city: 'Cambridge' },
  { countryCode: 'US', countryName: 'United States', city: 'Cambridge' },
];
const gazetteer = new Gazetteer(registryPlaces);
const country = (s: string) => gazetteer.detect(s).countryCode;

test('a country named inside an institution name is not the country ("Beth Israel" is in Boston)', () => {
  assert.equal(country('Beth Israel Deaconess Medical Center, Boston, MA'), 'US');
  assert.equal(country('Department of Medicine, Beth Israel Deaconess Medical Center, Harvard Medical School, Boston, MA 02215, USA'), 'US');
});

test('a street named Palau is in Barcelona', () => {
  assert.equal(country('Hospital de la Santa Creu i Sant Pau, Carrer de Sant Quintí 89, Carrer de Palau, 08041 Barcelona'), 'ES');
  assert.equal(country('Institut de Ciències del Cosmos, Carrer Palau 4, Barcelona, Spain'), 'ES');
});

test('Georgia the US state and Georgia the country are told apart by the rest of the string', () => {
  assert.equal(country('Georgia Institute of Technology, Atlanta, Georgia, USA'), 'US');
  assert.equal(country('Georgia Inst Technol, Atlanta, GA 30332 USA'), 'US');
  assert.equal(country('Emory University, Atlanta, Georgia'), 'US');
  assert.equal(country('Ivane Javakhishvili Tbilisi State University, Tbilisi, Georgia'), 'GE');
  assert.equal(country('Georgian Technical University, 0175, Georgia'), 'GE');
});

test('Hong Kong, Macao and Taiwan are kept apart from mainland China', () => {
  assert.equal(country('Hong Kong Univ Sci & Technol, Dept Elect Engn, Kowloon, Hong Kong, Peoples R China'), 'HK');
  assert.equal(country('Univ Macau, Taipa, Macao, Peoples R China'), 'MO');
  assert.equal(country('National Taiwan University, Taipei, Taiwan'), 'TW');
  assert.equal(country('Huazhong Univ Sci & Technol, Wuhan 430074, Peoples R China'), 'CN');
  assert.equal(country('香港中文大学'), 'HK');
  assert.equal(country('中国科学院自动化研究所，北京'), 'CN');
});

test('a US city with a state and ZIP outranks any earlier part ("Norfolk, VA", "Angola, IN")', () => {
  assert.equal(country('Norfolk State Univ, Dept Elect Engn, Norfolk, VA 23504 USA'), 'US');
  assert.equal(country('Trine Univ, Angola, IN 46703 USA'), 'US');
});

test('a country glued to the previous word or at the end of a comma-free string is found', () => {
  assert.equal(country('Technische Universität BerlinGermany'), 'DE');
  assert.equal(country('University of Oxford United Kingdom'), 'GB');
});

test('a city that stands for one country decides; an ambiguous one does not', () => {
  assert.equal(country('Huazhong University of Science and Technology, Wuhan'), 'CN');
  assert.equal(country('Department of Physics, Cambridge'), null);
});

test('names in other languages (CLDR) count', () => {
  assert.equal(country('Technische Universität München, München, Deutschland'), 'DE');
  assert.equal(country('Université Paris-Saclay, Orsay, France'), 'FR');
});
