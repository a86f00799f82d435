import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ALIASES_FILE, deriveShortName, loadAliases } from '../../src/screening/aliases.ts';
import { buildScreeningContext } from '../../src/screening/context.ts';
import { ListError, readWatchlist } from '../../src/screening/lists.ts';
import { writeTemp } from '../helpers/fixtures.ts';
import { WATCHLIST_PROVENANCE, watchlist } from '../helpers/watchlist.ts';

const rules = loadAliases().derive;
const places = new Set(['hangzhou', 'zhejiang', 'beijing', 'shenzhen', 'china', 'chengdu']);
const derive = (name: string, counts: Record<string, number> = {}) =>
  deriveShortName(
    name,
    rules,
    (w) => places.has(w),
    (w) => counts[w] ?? 0,
  );

test('a short name is derived only where the rule is sound', () => {
  assert.equal(derive('Hangzhou Hikvision Digital Technology Co., Ltd.'), 'Hikvision');
  assert.equal(derive('Huawei Investment & Holding Co., Ltd.'), 'Huawei');
  assert.equal(derive('SenseTime Group, Inc.'), 'SenseTime');
  assert.equal(derive('Huawei Cloud Beijing'), null, 'a word that is not a business word stays');
  assert.equal(derive('Huawei Technologies (Australia) Pty Ltd.'), null, 'a bracketed country: a subsidiary, not the brand');
  assert.equal(derive('Beijing Technology Co., Ltd.'), null, 'a place is no short name');
  assert.equal(derive('China Electronics Technology Group Corporation', { electronics: 400 }), null, 'a word many registry names use is no brand');
  assert.equal(derive('Harbin Institute of Technology'), null, 'universities keep their names');
  assert.equal(derive('Megvii'), null, 'nothing to derive');
});

test('an alias file without provenance, or a curated name without its source, is refused naming the name', () => {
  const doc = JSON.parse(readFileSync(ALIASES_FILE, 'utf8'));
  const { provenance: _p, ...bare } = doc;
  assert.throws(
    () => loadAliases(writeTemp('aliases.json', JSON.stringify(bare))),
    (e: Error) => e instanceof ListError && /no provenance/.test(e.message),
  );
  doc.curated[0].names[0].source = '';
  assert.throws(() => loadAliases(writeTemp('aliases.json', JSON.stringify(doc))), /curated\[0\] \(Huawei Technologies Co\., Ltd\.\)\.names\[0\] \(华为技术有限公司\): every curated name needs its source/);
});

test('a curated name marked unverified must say why, and the mark goes with its source into the lists', () => {
  const doc = JSON.parse(readFileSync(ALIASES_FILE, 'utf8'));
  doc.curated[0].names[0].unverified = ' ';
  assert.throws(() => loadAliases(writeTemp('aliases.json', JSON.stringify(doc))), /curated\[0\] \(Huawei Technologies Co\., Ltd\.\)\.names\[0\] \(华为技术有限公司\): unverified must say why/);
  doc.curated[0].names[0].unverified = 'no source names it so';
  const file = writeTemp('aliases.json', JSON.stringify(doc));
  const list = readWatchlist(watchlist([{ name: 'Huawei Technologies Co., Ltd.', country: 'China', level: 'high' }]));
  const prior = process.env.DERISK_ALIASES_FILE;
  process.env.DERISK_ALIASES_FILE = file;
  try {
    const { screener } = buildScreeningContext([list], []);
    const hit = screener.screen('华为技术有限公司').hits[0];
    assert.ok(hit);
    assert.match(hit.evidence, /ROR record 00cmhce21 \(Huawei Technologies \(China\)\), label 华为技术有限公司; UNVERIFIED: no source names it so/);
  } finally {
    if (prior === undefined) delete process.env.DERISK_ALIASES_FILE;
    else process.env.DERISK_ALIASES_FILE = prior;
  }
});

test('a city written by its initials in a listed Chinese company name ("SZ DJI Technology") is screened written out, and joins the entries of other lists that write it so; the initials alone name nothing', () => {
  const list = (id: string, entries: object[]) => readWatchlist(watchlist(entries, { ...WATCHLIST_PROVENANCE, id, title: id }));
  const { screener } = buildScreeningContext(
    [
      list('dod', [{ name: 'Shenzhen DJI Technology Co., Ltd.', country: 'China', level: 'very-high' }]),
      list('ofac', [
        { name: 'SZ DJI Technology Co., Ltd.', country: 'China', level: 'high' },
        { name: 'SZ Robotics', country: 'China', level: 'high' },
        { name: 'SZ Optics Imaging GmbH', country: 'Germany', level: 'high' },
      ]),
      list('other', [{ name: 'Shenzhen Optics Imaging Co., Ltd.', country: 'China', level: 'high' }]),
    ],
    [],
  );
  const listed = (q: string) =>
    screener
      .screen(q)
      .hits.map((h) => `${h.list}/${h.entry}`)
      .sort();
  assert.deepEqual(listed('SZ DJI Technology'), ['dod/Shenzhen DJI Technology Co., Ltd.', 'ofac/SZ DJI Technology Co., Ltd.'], 'one organisation, on both lists');
  assert.deepEqual(listed('Shenzhen DJI Technology Co., Ltd.'), ['dod/Shenzhen DJI Technology Co., Ltd.', 'ofac/SZ DJI Technology Co., Ltd.']);
  const dji = screener.screen('SZ DJI Technology Co., Ltd.');
  assert.equal(dji.organisations.length, 1);
  assert.match(screener.screen('Shenzhen DJI Technology').hits.find((h) => h.list === 'ofac')!.evidence, /city written out: "SZ" is Shenzhen/, 'the evidence says why');
  assert.deepEqual(listed('SZ'), [], 'the initials alone');
  assert.deepEqual(listed('Shenzhen Robotics'), [], 'a name of two words: the initials may be its own');
  assert.deepEqual(listed('Shenzhen Optics Imaging'), ['other/Shenzhen Optics Imaging Co., Ltd.'], 'a company listed outside China keeps its name as written');
});

test('a city written by its initials in a screened name ("SH DJI Technology") is read as the city where a place may stand around a name listed in China, in capitals only', () => {
  const list = (id: string, entries: object[]) => readWatchlist(watchlist(entries, { ...WATCHLIST_PROVENANCE, id, title: id }));
  const { screener } = buildScreeningContext(
    [
      list('bis', [
        { name: 'Shenzhen DJI Technology Co., Ltd.', aliases: ['DJI'], country: 'China', level: 'high' },
        { name: 'Quintara', country: 'Germany', level: 'high' },
      ]),
    ],
    [],
  );
  const listed = (q: string) => screener.screen(q).hits.map((h) => `${h.list}/${h.entry}`);
  for (const q of ['Shenzhen DJI Technology', 'SZ DJI Technology', 'SZ DJI Technology Co., Ltd.', 'DJI Technology SZ', 'DJI Technology SH', 'SZ DJI']) assert.deepEqual(listed(q), ['bis/Shenzhen DJI Technology Co., Ltd.'], q);
  assert.match(screener.screen('SZ DJI Technology').hits[0]!.evidence, /"SZ" is Shenzhen \(data\/lists\/aliases\.json city_abbreviations\)/, 'the evidence says how "SZ" was read');
  // Read as Shanghai and Beijing, the initials before the name write another city than the entry's: a question (leading_city).
  for (const q of ['SH DJI Technology', 'BJ DJI Technology Co., Ltd.']) {
    const r = screener.screen(q);
    assert.equal(r.state, 'ambiguous', q);
    assert.match(r.headline, new RegExp(`after "${q.slice(0, 2)}" \\((Shanghai|Beijing)\\)`), r.headline);
  }
  assert.deepEqual(listed('sh DJI Technology'), [], "in capitals only, as the lists' side reads them");
  assert.deepEqual(listed('SH'), [], 'the initials alone');
  assert.deepEqual(listed('DJI SH Technology Labs'), [], 'only where a place may stand: before or after the name, not inside other words');
  assert.deepEqual(listed('SZ Quintara'), [], 'read as Shenzhen, it places a name listed in Germany elsewhere');
});
