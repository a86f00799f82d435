import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isStopWord } from '../../src/resolve/normalize.ts';
import { cjkKey, editDistance, fuzzyScore, screenKey, screenTokens } from '../../src/screening/names.ts';

const word = fc.stringMatching(/^[a-z]{1,12}$/);

test('edit distance is symmetric, zero only for equal words, and counts a swap of neighbours as one', () => {
  fc.assert(
    fc.property(word, word, (a, b) => {
      const d = editDistance(a, b, 20);
      assert.equal(d, editDistance(b, a, 20));
      assert.equal(d === 0, a === b);
      assert.ok(d <= Math.max(a.length, b.length));
    }),
  );
  assert.equal(editDistance('academy', 'acaedmy', 2), 1);
});

test('a name matches itself whatever its case, punctuation and legal form', () => {
  // A name of stop words alone ("A A, Inc.") is no name: its key would be the legal form.
  fc.assert(
    fc.property(
      fc.array(
        word.filter((w) => !isStopWord(w)),
        { minLength: 2, maxLength: 6 },
      ),
      fc.constantFrom('', ' Co., Ltd.', ' Company Limited', ' Inc.'),
      fc.boolean(),
      (words, legal, upper) => {
        const name = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join(' ');
        const variant = `${upper ? name.toUpperCase() : name.toLowerCase()},${legal}`;
        assert.equal(screenKey(variant), screenKey(name));
      },
    ),
  );
});

test('different words never pass as spelling slips: Institute is not University, Hebei is not Hefei', () => {
  assert.equal(fuzzyScore(screenTokens('Beijing University of Technology'), screenTokens('Beijing Institute of Technology')), 0);
  assert.equal(fuzzyScore(screenTokens('Harbin Engineering University'), screenTokens('Harbin Institute of Technology')), 0);
  const places = new Set(['hebei', 'hefei']);
  assert.equal(
    fuzzyScore(screenTokens('Hebei University of Technology'), screenTokens('Hefei University of Technology'), (a, b) => places.has(a) && places.has(b)),
    0,
  );
  assert.ok(fuzzyScore(screenTokens('Harbin Institue of Technology'), screenTokens('Harbin Institute of Technology')) > 0.9);
  assert.equal(fuzzyScore(screenTokens('CSSC 702nd Research Institute'), screenTokens('CSSC 722nd Research Institute')), 0, 'numbers are never slips');
  fc.assert(
    fc.property(fc.array(word, { minLength: 2, maxLength: 5 }), word, (words, other) => {
      // Replacing a word by an unrelated one of another length by two or more never matches.
      const changed = [...words];
      fc.pre(Math.abs(other.length - words[0]!.length) >= 3);
      changed[0] = other;
      assert.equal(fuzzyScore(changed, words), 0);
    }),
  );
});

test('a Chinese name keeps a number written before Han characters, and drops one that ends it (a postcode)', () => {
  assert.equal(cjkKey('63820部队'), '63820部队');
  assert.equal(cjkKey('中国人民解放军63820部队'), '中国人民解放军63820部队');
  assert.equal(cjkKey('南京841研究所'), '南京841研究所');
  assert.equal(cjkKey('北京航空航天大学 100191'), '北京航空航天大学');
  assert.equal(cjkKey('華為'), '华为');
});
