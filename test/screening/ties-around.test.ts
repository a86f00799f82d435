import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { splitsIn, tie, tieAround } from '../../src/screening/placeholders.ts';
import { demoLists, realScreener } from '../helpers/screening.ts';

// Round 50 (ties54), an outside red team on int54: a listed party written with a tie went unnamed, a bare unknown
// ("University of Oxford, subcontractor Huawei"); tie wording named the wrong words ("wholly owned by NUDT": a party
// "wholly"); Chinese listed names written together answered unknown, naming no one (国防科技大学华为).

const direct = (hits: { entry: string; inherited: unknown; sameAs: unknown }[]) => new Set(hits.filter((h) => !h.inherited && !h.sameAs).map((h) => h.entry));
const HUAWEI = 'Huawei Technologies Co., Ltd.';
const NUDT = 'National University of Defense Technology';

test('a listed name the words around it tie to the party is listed', async () => {
  const screener = await realScreener();
  const cases: [string, string][] = [
    ['University of Oxford, subcontractor Huawei', HUAWEI],
    ['University of Oxford → subcontractor Huawei', HUAWEI],
    ['ETH Zurich funded in part by Huawei', HUAWEI],
    ['joint venture of Huawei', HUAWEI],
    ['ETH Zurich, a firm Huawei controls', HUAWEI],
    ['ETH Zurich, with funding from Huawei', HUAWEI],
    ['Stanford University, partner NUDT', NUDT],
    ['ETH Zurich (sponsor: Huawei)', HUAWEI],
    ["Huawei's subsidiary", HUAWEI],
  ];
  for (const [field, entry] of cases) {
    const r = screener.screen(field);
    assert.equal(r.state, 'listed', `${field}: ${r.headline}`);
    assert.ok(direct(r.hits).has(entry), `${field}: ${r.headline}`);
  }
});

test('a listed name written among words that tie it to nothing is named, never a bare unknown', async () => {
  const screener = await realScreener();
  const recognised = fc.constantFrom('ETH Zurich', 'University of Oxford', 'Stanford University', 'Acme Widgets Ltd');
  const filler = fc.array(fc.constantFrom('notes', 'mentions', 'room', 'see', 'reported', 'maybe', 'later'), { minLength: 1, maxLength: 3 });
  const listed = fc.constantFrom('Huawei', 'NUDT', 'Hikvision', 'iFlytek');
  fc.assert(
    fc.property(recognised, filler, listed, fc.constantFrom(', ', ' '), (name, words, other, sep) => {
      const field = `${name}${sep}${words.join(' ')} ${other}`;
      const r = screener.screen(field);
      assert.notEqual(r.state, 'not-listed', `${field}: ${r.headline}`);
      if (r.state === 'unknown') assert.match(r.headline, new RegExp(`mentions "${other}"`, 'u'), `${field}: ${r.headline}`);
    }),
    { numRuns: 25 },
  );
});

test('a word saying how much, and an article, belong to the tie, not to a party', async () => {
  assert.equal(tie('a Huawei-controlled firm')?.name, 'Huawei');
  assert.equal(tie("Huawei's subsidiary")?.name, 'Huawei');
  assert.equal(tie('Huawei majority-owned')?.name, 'Huawei');
  assert.equal(tieAround(['ETH', 'Zurich', 'funded', 'in', 'part', 'by'], []), 'funded by');
  assert.equal(tieAround(['a', 'firm'], ['controls']), 'controls');
  assert.equal(tieAround(['ETH', 'Zurich', 'mentions'], ['somewhere']), undefined);
  // Every modifier before or inside every link closing in "by": the cut is between the two names, the modifier the link's.
  const modifiers = fc.constantFrom('wholly', 'majority-', 'partly', 'jointly', 'fully', 'co-', 'part-');
  const links = fc.constantFrom('owned by', 'funded by', 'controlled by', 'financed by', 'backed by');
  fc.assert(
    fc.property(modifiers, links, fc.boolean(), (modifier, link, inside) => {
      const written = inside ? link.replace(/ by$/u, ` ${modifier.replace(/-$/u, '')} by`) : `${modifier}${modifier.endsWith('-') ? '' : ' '}${link}`;
      const field = `ETH Zurich, ${written} Huawei`;
      const rights = splitsIn(field).map((s) => s.right);
      assert.ok(rights.includes('Huawei'), `${field}: ${JSON.stringify(splitsIn(field))}`);
      assert.ok(!splitsIn(field).some((s) => /^(?:wholly|majority|partly|jointly|fully|co|part)$/u.test(s.left) || /^(?:wholly|majority|partly|jointly|fully|co|part)$/u.test(s.right)), field);
    }),
  );
  const screener = await realScreener();
  for (const [field, wrong] of [
    ['a Huawei-controlled firm', '"a Huawei"'],
    ['wholly owned by NUDT', '"wholly"'],
    ['majority-owned by Huawei', '"majority"'],
  ] as const) {
    const r = screener.screen(field);
    assert.equal(r.state, 'listed', r.headline);
    assert.ok(!r.headline.includes(wrong), `${field}: ${r.headline}`);
    assert.ok(!/not identified/u.test(r.headline), `${field}: ${r.headline}`);
  }
});

test('Chinese listed names written together show both, or at least name one', async () => {
  const screener = await realScreener();
  for (const [field, parties] of [
    ['国防科技大学华为', [NUDT, HUAWEI]],
    ['华为国防科技大学', [NUDT, HUAWEI]],
    ['北京理工大学华为', ['Beijing Institute of Technology', HUAWEI]],
  ] as const) {
    const r = screener.screen(field);
    assert.equal(r.state, 'listed', r.headline);
    for (const p of parties) assert.ok(direct(r.hits).has(p), `${field}: ${p} in ${r.headline}`);
  }
  const hit = screener.screen('哈工大复旦');
  assert.match(hit.headline, /哈工大/u, hit.headline);
  assert.notEqual(hit.state, 'not-listed', hit.headline);
  // Any two distinct listed Chinese names of the lists, written together: never not listed, never an unknown naming no one.
  const names = [...new Set(demoLists().flatMap((l) => l.entries.flatMap((e) => e.names.map((n) => n.value))))].filter((v) => /^[\u3400-\u9fff]+$/u.test(v) && screener.screen(v).state === 'listed');
  fc.assert(
    fc.property(fc.constantFrom(...names), fc.constantFrom(...names), (a, b) => {
      fc.pre(a !== b && !a.includes(b) && !b.includes(a));
      const r = screener.screen(`${a}${b}`);
      assert.notEqual(r.state, 'not-listed', `${a}${b}: ${r.headline}`);
      if (r.state === 'unknown') assert.match(r.headline, / mentions "/u, `${a}${b}: ${r.headline}`);
    }),
    { numRuns: 40 },
  );
});
