import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { CaseError, validateCase } from '../../src/assessment/case.ts';
import { BatchError, parseNames } from '../../src/screening/batch.ts';
import { MAX_PARTY_CHARS } from '../../src/screening/field-limit.ts';
import { isLink, loadPlaceholders, PLACEHOLDERS_FILE } from '../../src/screening/placeholders.ts';
import { invisiblesRead, type Screener } from '../../src/screening/screener.ts';
import { GREEN_CASE } from '../helpers/cases.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { realScreener } from '../helpers/screening.ts';

// Outside red team on the round 49 build (bound52): 'ETH Zurich, ' written 100 times before 'NUDT' took 16 s to screen, 800
// times more than 90 s, a 100 KB field more than 120 s: each right side of a cut was read again with its own cuts.
const maxPieces = JSON.parse(readFileSync(PLACEHOLDERS_FILE, 'utf8')).descriptions.otherParties.several.maxPieces as number;

/** The answer to a field, and the pieces screened for it (the screener's screenOne, counted). */
function screened(screener: Screener, field: string) {
  const spy = screener as unknown as { screenOne: (...a: unknown[]) => unknown };
  const own = Object.getOwnPropertyDescriptor(spy, 'screenOne');
  const screenOne = spy.screenOne;
  let pieces = 0;
  spy.screenOne = function (this: unknown, ...a: unknown[]) {
    pieces++;
    return screenOne.apply(this, a);
  };
  try {
    return { r: screener.screen(field), pieces };
  } finally {
    if (own) Object.defineProperty(spy, 'screenOne', own);
    else delete (spy as { screenOne?: unknown }).screenOne;
  }
}

// Fields of 10 to 10,000 cuts: within the length bound, read within several.maxPieces (the field read whole and its
// tentative reading besides); over it, not read at all. Each answers the listed party, or unknown naming it: never clean.
const GROWING: [string, (cuts: number) => string, RegExp][] = [
  ['Latin, commas', (n) => `${'ETH Zurich, '.repeat(n)}NUDT`, /defense technology|NUDT/i],
  ['Latin, links', (n) => `ETH Zurich${' and Stanford University'.repeat(n)} and Huawei`, /huawei/i],
  ['Chinese, links', (n) => `华东师范大学${'和'.repeat(n)}华为`, /华为|huawei/i],
  ['Chinese, names', (n) => `华东师范大学${'和华东师范大学'.repeat(n)}和华为`, /华为|huawei/i],
];

for (const [kind, field, listed] of GROWING) {
  test(`a field of many cuts is read in bounded work, its listed party never clean (${kind})`, async () => {
    const screener = await realScreener();
    for (const cuts of [10, 40, 100, 1000, 10_000]) {
      const text = field(cuts);
      const { r, pieces } = screened(screener, text);
      assert.ok(pieces <= maxPieces + 2, `${kind}, ${cuts} cuts (${text.length} characters): ${pieces} pieces screened, over ${maxPieces} + 2`);
      if (text.length > MAX_PARTY_CHARS) assert.equal(pieces, 0, `${kind}, ${cuts} cuts: a field over the bound is not read`);
      assert.ok(r.state === 'listed' || r.state === 'unknown', `${kind}, ${cuts} cuts: ${r.state}: ${r.headline.slice(0, 300)}`);
      assert.match(r.headline, listed, `${kind}, ${cuts} cuts`);
      if (r.state === 'unknown') assert.match(r.headline, /names more parties than derisk reads in one field|over the 500 one may hold|names several parties/);
    }
  });
}

test('a field read within the budget answers as before: two parties, a group beside a name', async () => {
  const screener = await realScreener();
  for (const [field, state] of [
    ['ETH Zurich, Tsinghua University and Huawei', 'listed'],
    ['Huawei and Stanford University and partners', 'listed'],
    ['Stanford University and partners', 'unknown'],
  ] as const) {
    const { r } = screened(screener, field);
    assert.equal(r.state, state, `${field}: ${r.headline}`);
    assert.doesNotMatch(r.headline, /names more parties than derisk reads/);
  }
});

test('a party field over the bound is refused at every way in, naming the field and the limit, never cut', () => {
  const long = `ETH Zurich${' and Huawei'.repeat(60)}`;
  assert.ok(long.length > MAX_PARTY_CHARS);
  assert.throws(
    () => parseNames(`ETH Zurich\n${long}\n`, 'partners.txt'),
    (e: Error) => e instanceof BatchError && /partners\.txt: name 2 \("ETH Zurich and Huawei.*is 670 characters, over the 500 a party field may hold/.test(e.message),
  );
  const cli = derisk(['screen', long], { DERISK_HOME: tempDir() });
  assert.equal(cli.status, 2, cli.stderr);
  assert.match(cli.stderr, /derisk: the name to screen is 670 characters, over the 500 a party field may hold: name each partner on its own/);
  const known = { fields: new Set(['ai-ml-big-data']), uses: new Set<string>(), forums: new Set<string>(), topics: new Set<string>() };
  const doc = structuredClone(GREEN_CASE) as Record<string, unknown> & { partners: { name: string }[] };
  for (const [field, edit] of [
    ['partners[0].name', () => ({ ...doc, partners: [{ ...doc.partners[0], name: long }] })],
    ['funders[0].name', () => ({ ...doc, funders: [{ name: long }] })],
    ['personnel[0].affiliations[0]', () => ({ ...doc, personnel: [{ name: 'A. Researcher', affiliations: [long] }] })],
  ] as const) {
    assert.throws(
      () => validateCase(edit(), known),
      (e: Error) => e instanceof CaseError && e.message.startsWith(`${field} is 670 characters, over the 500`),
      field,
    );
    // A case stored with its verdict is read as it was assessed.
    assert.doesNotThrow(() => validateCase(edit(), null), field);
  }
});

test('several.maxPieces given must be a whole number of 1 or more', () => {
  const doc = JSON.parse(readFileSync(PLACEHOLDERS_FILE, 'utf8'));
  const bad = join(tempDir(), 'placeholders.json');
  doc.descriptions.otherParties.several.maxPieces = 0;
  writeFileSync(bad, JSON.stringify(doc));
  assert.throws(() => loadPlaceholders(bad, (m) => new Error(m)), /placeholders\.json: descriptions\.otherParties\.several\.maxPieces must be a whole number of 1 or more, found 0/);
});

test('invisible characters are read as before, looked at from the characters themselves (property)', () => {
  // The reading before round 49 (bound52; sep52's rule), whose letters before the invisible characters were tried again at every letter.
  const link = (w: string) => w.length >= 2 && w === w.toLowerCase() && isLink(w);
  const named = (w: string) => /^\p{Lu}/u.test(w.replace(/^(?:\s|\p{Cf})+/u, ''));
  const before = (field: string) => {
    const apart = (i: number) => i < 0 || i >= field.length || /\s/u.test(field[i]!);
    return field.replace(/(\p{L}*)\p{Cf}+(?=(\p{L}*))/gu, (m: string, b: string, a: string, at: number) => {
      const end = at + m.length + a.length;
      return (link(b) && a !== '' && (apart(at - 1) || named(a))) || (b !== '' && link(a) && (apart(end) || named(field.slice(end)))) ? `${b} ` : b;
    });
  };
  const pieces = fc.constantFrom('and', 'Huawei', 'ETH', ' ', '\u200B', '\u200D', '\uFEFF', '\u00AD', '\u200E', '和', '华为', 'i', ',', 'und', 'Oxf', 'or', 'd');
  fc.assert(
    fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => invisiblesRead(parts.join('')) === before(parts.join(''))),
    { numRuns: 500 },
  );
});
