import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { asTyped, asTypedKeepingSpaces, cleanAffiliation, nameTokens, ownLanguageReadings, segments, typedKey } from '../../src/resolve/normalize.ts';

const clean = (s: string, isPlace?: (w: string) => boolean) => cleanAffiliation(s, isPlace).text;

test('export artefacts (#TAB#, #N#, ¶, tabs, line breaks) separate parts instead of gluing words', () => {
  assert.deepEqual(segments(clean('Technische Universität Darmstadt, Deutschland#TAB#')), ['Technische Universität Darmstadt', 'Deutschland']);
  assert.deepEqual(segments(clean('#N#Ghent University#N#')), ['Ghent University']);
  assert.deepEqual(segments(clean('Department of Computer Science, ETH Zurich¶Zurich, Switzerland')), ['Department of Computer Science', 'ETH Zurich', 'Zurich', 'Switzerland']);
  assert.deepEqual(segments(clean('Fudan University\tShanghai\r\nChina')), ['Fudan University', 'Shanghai', 'China']);
});

test('accents PDF extraction detached from their letter are put back, and the word rejoined', () => {
  assert.equal(clean('Universit ´e Paris-Saclay'), 'Université Paris-Saclay');
  assert.equal(clean('´Ecole Polytechnique F ´ed´erale de Lausanne'), 'École Polytechnique Fédérale de Lausanne');
  assert.equal(clean('Technische Universit¨at Darmstadt'), 'Technische Universität Darmstadt');
  // The same accent as a combining mark after a space ("Universit ̈at"), as NFKC leaves "¨".
  assert.equal(clean('Eberhard Karls Universit \u0308at Tubingen'), 'Eberhard Karls Universität Tubingen');
  assert.equal(clean('Laboratoire de l’ ´Ecole'), 'Laboratoire de l’École');
});

test('e-mail addresses are removed, keeping a place glued to their front', () => {
  const isPlace = (w: string) => w === 'china';
  assert.equal(clean('Tsinghua University, Beijing 100084, Chinazhang.san@tsinghua.edu.cn', isPlace), 'Tsinghua University, Beijing 100084, China');
  assert.equal(clean('Universidad Politécnica de Madrid, Madrid, Spain. E-mail: jdoe@upm.es'), 'Universidad Politécnica de Madrid, Madrid, Spain.');
  // Without a known place at its front, the whole address goes.
  assert.equal(clean('Some Lab, Wuhan, Xyzzy.q@x.org'), 'Some Lab, Wuhan');
});

test('a legal form written in mixed case is one word, not split at its change of case', () => {
  assert.equal(clean('Forschungszentrum Jülich GmbH'), 'Forschungszentrum Jülich gmbh');
  assert.equal(clean('Helmholtz-Zentrum Berlin für Materialien und Energie gGmbH, Berlin'), 'Helmholtz-Zentrum Berlin für Materialien und Energie ggmbh, Berlin');
});

test('a postcode glued to a word is split off', () => {
  assert.equal(clean('Peking University, Beijing100871, China'), 'Peking University, Beijing 100871, China');
  assert.equal(clean('Ecole Centrale, 69134Ecully'), 'Ecole Centrale, 69134 Ecully');
});

test('footnote marks between institutions separate them', () => {
  assert.deepEqual(segments(clean('Zhejiang University, Hangzhou, China∗Alibaba Group, Hangzhou, China')), ['Zhejiang University', 'Hangzhou', 'China', 'Alibaba Group', 'Hangzhou', 'China']);
  assert.deepEqual(segments(clean('University of Oxford†Google DeepMind')), ['University of Oxford', 'Google DeepMind']);
  assert.deepEqual(segments(clean('Shanghai Jiao Tong University‡Shanghai AI Laboratory')), ['Shanghai Jiao Tong University', 'Shanghai AI Laboratory']);
  assert.deepEqual(segments(clean('University of Tokyo 2 Department of Physics, , Tokyo')), ['University of Tokyo', 'Department of Physics', 'Tokyo']);
});

test('HTML entities are decoded, accented ones included', () => {
  assert.equal(clean('Universit&eacute; de Montr&eacute;al'), 'Université de Montréal');
  assert.equal(clean('FSBEI of HE &quot;National Research Ogarev Mordovia State University&quot;'), 'FSBEI of HE "National Research Ogarev Mordovia State University"');
  assert.equal(clean('Texas A&amp;M University'), 'Texas A&M University');
});

test('every repair is named, so the evidence can say what was done to the string', () => {
  const { repairs } = cleanAffiliation('Universit ´e de Lille#TAB#, x@y.fr');
  assert.deepEqual(repairs.sort(), ['detached accents rejoined', 'e-mail address removed', 'export separators (#TAB#, #N#, ¶, tabs, line breaks) read as separators'].sort());
  assert.deepEqual(cleanAffiliation('Tsinghua University, Beijing, China').repairs, []);
});

test('property: cleaning is idempotent and never invents letters', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), (s) => {
      const once = clean(s);
      assert.equal(clean(once), once);
      const letters = (x: string) => x.normalize('NFKD').replace(/[^\p{L}]/gu, '').length;
      assert.ok(letters(once) <= letters(s) + 0, `${JSON.stringify(s)} → ${JSON.stringify(once)}`);
    }),
    { numRuns: 3000 },
  );
});

test('a typed name reads as written: full-width forms and ligatures folded, invisible characters removed, runs of spaces one', () => {
  assert.equal(asTyped(' ＮＵＤＴ\u200b '), 'NUDT');
  assert.equal(asTyped('Harbin\u00a0 Institute of Tech\u00adnology\u2060'), 'Harbin Institute of Technology');
  assert.equal(asTypedKeepingSpaces(' Of\ufb01ce  of\u200b Science '), ' Office  of Science ');
  assert.equal(typedKey('HARBIN  Institute of\u00a0Tech\u200bnology '), 'harbin institute of technology');
  // A zero-width space pasted between a letter and its accent: removed before NFKC, the two compose as they do unpasted.
  assert.equal(typedKey('Cafe\u200b\u0301'), typedKey('Café'));
});

test('property: the key of a typed name is its own key, and an invisible character inside a word changes no key', () => {
  // Letters with accents and marks that compose (Greek with its iota), full-width forms and ligatures, besides any text.
  const tricky = fc.constantFrom('e', 'E', 'é', '\u0301', '\u0308', '\u0345', 'Ά', 'Ω', 'İ', 'ß', 'Ａ', '\ufb01', '\u1100', '\u1161', '\u00a8', ' ', '\u00a0');
  const word = fc.oneof(fc.string({ unit: 'grapheme', minLength: 2, maxLength: 12 }), fc.string({ unit: tricky, minLength: 2, maxLength: 12 }));
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => assert.equal(typedKey(typedKey(s)), typedKey(s), JSON.stringify(s))),
    { numRuns: 3000 },
  );
  fc.assert(
    fc.property(word, fc.nat(), fc.constantFrom('\u200b', '\u00ad'), (w, at, invisible) => {
      const points = [...w];
      if (points.length < 2) return;
      const inside = 1 + (at % (points.length - 1));
      const pasted = [...points.slice(0, inside), invisible, ...points.slice(inside)].join('');
      assert.equal(typedKey(pasted), typedKey(w), JSON.stringify(pasted));
      assert.equal(typedKey(typedKey(w)), typedKey(w), JSON.stringify(w));
    }),
    { numRuns: 3000 },
  );
});

test('property: an own-language reading (round 48) reads each abbreviation as its word in that language or as usual, and keeps every other token', () => {
  const abbreviations = ['Polytech', 'Fed', 'Natl', 'Super', 'Cent', 'Nacl', 'Tecn', 'Technol'];
  const own = fc.constantFrom(...abbreviations);
  const other = fc.constantFrom('Ecole', 'Univ', 'Inst', 'Lausanne', 'Colombia', 'Normale', 'Sci', 'de', 'Mines');
  fc.assert(
    fc.property(fc.array(fc.oneof(own, other), { minLength: 1, maxLength: 6 }), (words) => {
      const s = words.join(' ');
      const usual = nameTokens(s);
      const readings = ownLanguageReadings(s);
      const hasOwn = words.some((w) => abbreviations.includes(w));
      if (!hasOwn) assert.deepEqual(readings, []);
      for (const { tokens } of readings) {
        assert.equal(tokens.length, usual.length, s);
        assert.notDeepEqual(tokens, usual, s);
        // Only an abbreviation's token differs, and never into an English word.
        tokens.forEach((t, k) => {
          if (t !== usual[k]) assert.ok(['polytechnic', 'federal', 'national', 'super', 'central', 'nacl', 'tecn', 'technology'].includes(usual[k]!), `${s}: ${usual[k]} → ${t}`);
        });
      }
    }),
  );
  assert.ok(ownLanguageReadings('Ecole Polytech Fed Lausanne').some((r) => r.language === 'fr' && r.tokens.join(' ') === 'ecole polytechnique federale lausanne'));
  assert.ok(ownLanguageReadings('Univ Nacl Colombia').some((r) => r.language === 'es' && r.tokens.join(' ') === 'university nacional colombia'));
});
