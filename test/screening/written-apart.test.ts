import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { lookAlikesRead } from '../../src/screening/look-alikes.ts';
import { ownerOf, spacesRead, writtenApartRead } from '../../src/screening/written-apart.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { testService } from '../helpers/service.ts';
import { entriesOf, realScreener, statesStore } from '../helpers/screening.ts';

// Outside red team, round 50: a listed name beside a recognised institution answered not-listed when written with a
// possessive, with look-alike letters of scripts the table lacked, with its letters spaced apart, or with a tab.

const HUAWEI = 'Huawei Technologies Co., Ltd.';

test('a possessive names its owner: the listed party beside a recognised institution is never not-listed', async () => {
  const screener = await realScreener();
  for (const field of ["ETH Zurich, Huawei's lab", 'ETH Zurich, Huawei\u2019s lab', 'ETH Zurich, Huawei\u02bcs lab', "ETH Zurich (Huawei's)", "KU Leuven, Huawei's lab"]) {
    const r = screener.screen(field);
    assert.equal(r.state, 'listed', `${field}: ${r.headline}`);
    assert.ok(
      r.hits.some((h) => /Huawei/.test(h.entry)),
      field,
    );
    assert.match(r.headline, /as its owner's name, "Huawei"/, field);
  }
  for (const [field, named] of [
    ["ETH Zurich, NUDT's lab", 'NUDT'],
    ["KU Leuven, HIT's Shenzhen campus", 'HIT'],
    ["ETH Zurich, Hikvision's unit", 'Hikvision'],
    // Without the apostrophe: the word without its s, when that is listed.
    ['ETH Zurich, Huaweis lab', 'Huawei'],
  ] as [string, string][]) {
    const r = screener.screen(field);
    assert.notEqual(r.state, 'not-listed', `${field}: ${r.headline}`);
    if (r.state === 'unknown') assert.match(r.headline, new RegExp(`mentions "${named}"`), field);
  }
  // A possessive in a recognised institution's own name is read as written, and told nothing.
  const kings = screener.screen("King's College London");
  assert.equal(kings.state, 'not-listed');
  assert.doesNotMatch(kings.headline, /owner/);
});

test('a possessive is taken off whatever apostrophe writes it, and nothing else is', () => {
  for (const w of ["Huawei's", 'Huawei\u2019s', 'Huawei\u02bcs', 'Huawei\u2018s', 'Huawei`s']) assert.equal(ownerOf(w), 'Huawei', w);
  assert.equal(ownerOf("Siemens'"), 'Siemens');
  for (const w of ["Xi'an", "O'Shea", 'Huawei', 'Harris']) assert.equal(ownerOf(w), w);
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Za-z]{1,12}$/u), (name) => {
      assert.equal(ownerOf(`${name}'s`), name);
      assert.equal(ownerOf(ownerOf(`${name}'s`)), name);
    }),
  );
});

const LOOK_ALIKES = [
  'ETH Zurich, \u0397\u03c5\u03b1w\u03b5\u03b9', // Greek capital and small letters around a Latin w
  'ETH Zurich, \u04ba\u03c5\u0430\u051d\u0435\u0456', // Cyrillic and Greek
  'ETH Zurich, \u13bbU\u13aa\u13b3\u13acI', // Cherokee
  'ETH Zurich, \u029c\u1d1c\u1d00\u1d21\u1d07\u026a', // Latin small capitals
];

test('look-alike letters of any script beside a recognised institution never answer not-listed', async () => {
  const screener = await realScreener();
  for (const field of LOOK_ALIKES) {
    const r = screener.screen(field);
    assert.notEqual(r.state, 'not-listed', `${field}: ${r.headline}`);
    assert.match(r.headline, /Huawei/, field);
  }
  // Read and told, the letters named by their scripts.
  const cherokee = screener.screen('ETH Zurich, \u13bbU\u13aa\u13b3\u13acI');
  assert.equal(cherokee.state, 'listed');
  assert.match(cherokee.headline, /Cherokee Ꮋ \(U\+13BB\) as H/);
  for (const name of ['\u13bbUAWEI', '\u029c\u1d1c\u1d00\u1d21\u1d07\u026a']) {
    const r = screener.screen(name);
    assert.equal(r.state, 'listed', `${name}: ${r.headline}`);
    assert.ok(entriesOf(r).includes(HUAWEI), name);
  }
  assert.match(screener.screen('\u029c\u1d1c\u1d00\u1d21\u1d07\u026a').headline, /Latin ʜ \(U\+029C\) as H/);
});

test('letters spaced apart are read joined, and told', async () => {
  const screener = await realScreener();
  for (const field of ['ETH Zurich, H-u-a-w-e-i', 'ETH Zurich, H u a w e i', 'ETH Zurich, H.U.A.W.E.I', 'ETH Zurich, H. U. A. W. E. I.', 'H-u-a-w-e-i']) {
    const r = screener.screen(field);
    assert.equal(r.state, 'listed', `${field}: ${r.headline}`);
    assert.ok(entriesOf(r).includes(HUAWEI), field);
    assert.match(r.headline, /read with the letters "H[-. ]/, field);
  }
  const any = () => true;
  assert.equal(writtenApartRead('Fraunhofer-Gesellschaft e. V.', any), undefined);
  assert.equal(writtenApartRead('ETH Zurich, Huawei', any), undefined);
  assert.equal(
    writtenApartRead('ETH Zurich, H-u-a-w-e-i', () => false),
    undefined,
  );
});

test('a tab or any other whitespace inside a field is read as a space', async () => {
  const screener = await realScreener();
  const spaced = screener.screen('ETH Zurich, Huawei');
  assert.equal(spaced.state, 'listed');
  for (const ws of ['\t', '\v', '\f', '\u2028', '\u2029', '\u3000', '\u00a0']) {
    const field = `ETH${ws}Zurich, Huawei`;
    const r = screener.screen(field);
    assert.equal(r.state, spaced.state, JSON.stringify(field));
    assert.deepEqual(entriesOf(r), entriesOf(spaced), JSON.stringify(field));
    assert.equal(r.query, field);
  }
  fc.assert(fc.property(fc.string(), (s) => assert.doesNotMatch(spacesRead(s), /[^\S ]/u)));
});

test('a lone Greek letter is a science symbol, not a look-alike', async () => {
  const screener = await realScreener();
  for (const name of ['\u03b3-ray lab', '\u03b1-Synuclein', 'Institute for \u03b2 decay']) {
    assert.equal(lookAlikesRead(name), undefined, name);
    assert.doesNotMatch(screener.screen(name).headline, /look-alike/, name);
  }
});

test('a headline with a note ends in one full stop', async () => {
  const screener = await realScreener();
  for (const field of ['北京理工大学华为', '清华大学华为']) {
    const r = screener.screen(field);
    assert.equal(r.state, 'listed', field);
    assert.doesNotMatch(r.headline, /\.\./u, `${field}: ${r.headline}`);
  }
});

test('derisk screen --batch and HTTP read names written apart as screen does', async () => {
  const home = tempDir();
  const store = await statesStore(home);
  const fields = ["University of Oxford, Dahua Technology's lab", 'University\tof Oxford, Dahua Technology', 'University of Oxford, D-a-h-u-a Technology', 'University of Oxford, Dahua Techn\u03bflogy'];
  const service = await testService(store);
  try {
    const auth = { authorization: `Bearer ${service.token}` };
    for (const q of fields) {
      const r = (await service.app.inject({ url: `/api/screen?q=${encodeURIComponent(q)}`, headers: auth })).json();
      assert.notEqual(r.state, 'not-listed', `${q}: ${r.headline}`);
    }
  } finally {
    await service.close();
    store.close();
  }
  const batch = derisk(['screen', '--batch', '-', '--json'], { DERISK_HOME: home }, `${fields.join('\n')}\n`);
  for (const r of JSON.parse(batch.stdout).results as { query: string; state: string; headline: string }[]) assert.notEqual(r.state, 'not-listed', `${r.query}: ${r.headline}`);
});
