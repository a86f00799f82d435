import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchError, MAX_BATCH, parseNames, screenBatch } from '../../src/screening/batch.ts';
import { realScreener } from '../helpers/screening.ts';

test('three states that never read as clear: listed, recognised and not listed, unknown organisation', async () => {
  const screener = await realScreener();
  const hit = screener.screen('Harbin Institute of Technology');
  assert.equal(hit.state, 'listed');
  assert.equal(hit.level, 'very-high');
  assert.match(hit.headline, /^Listed, very high: Harbin Institute of Technology on 4 lists \(ASPI China Defence Universities Tracker; /);
  const oxford = screener.screen('University of Oxford');
  assert.equal(oxford.state, 'not-listed');
  assert.match(oxford.headline, /Recognised, not listed: University of Oxford \(United Kingdom, ROR 052gg0110\)/);
  const acme = screener.screen('Acme Widgets Ltd');
  assert.equal(acme.state, 'unknown');
  assert.match(acme.headline, /neither the registry nor any loaded list recognised "Acme Widgets Ltd"\. Identify it before relying on this/);
  // A strong registry guess is a candidate, not a recognition.
  for (const r of [hit, oxford, acme]) assert.equal(r.state === 'listed', r.hits.length > 0);
});

test('a placeholder ("TBD", "N/A") is not a name: an unknown organisation, never the institution the registry reads it as', async () => {
  const screener = await realScreener();
  for (const [q, reason] of [
    ['TBD', 'to be determined'],
    ['n/a', 'not applicable or not available'],
  ]) {
    const r = screener.screen(q!);
    assert.equal(r.state, 'unknown', `${q}: ${r.headline}`);
    assert.deepEqual(r.institutions, [], q);
    assert.equal(r.headline, `Unknown organisation: "${q}" is a placeholder (${reason}; data/assessment/placeholder-names.json), not a name: identify the partner (its registered name or ROR id) before relying on this.`);
  }
});

test('two typing slips still find the listed name, and the answer says it matched by a near spelling', async () => {
  const screener = await realScreener();
  const r = screener.screen('Harbin Insitute of Technolgy');
  assert.equal(r.state, 'listed');
  assert.deepEqual(
    r.organisations.map((o) => o.name),
    ['Harbin Institute of Technology'],
  );
  assert.ok(r.hits.every((h) => h.match === 'fuzzy'));
  assert.match(r.headline, /near spelling of "Harbin Institute of Technology": check the name/);
});

test('the names people write: Huawei and iFLYTEK Co., Ltd. are listed, each organisation once with all its lists', async () => {
  const screener = await realScreener();
  const huawei = screener.screen('Huawei');
  assert.equal(huawei.state, 'listed');
  const tech = huawei.organisations.find((o) => o.listings.some((h) => h.entry === 'Huawei Technologies Co., Ltd.'))!;
  assert.ok(tech, huawei.organisations.map((o) => o.name).join('; '));
  // The Entity List, NS-CMIC, the E.O. 14032 annex (in capitals) and the FCC list name one company.
  const lists = new Set(tech.listings.map((h) => h.list));
  for (const l of ['us-bis-entity-list', 'us-ofac-nscmic', 'us-ofac-eo14032', 'us-fcc-covered']) assert.ok(lists.has(l), `${l} in ${[...lists].join(', ')}`);
  // A brand is not an organisation: Huawei's regional companies stay apart.
  assert.ok(huawei.organisations.some((o) => o.name === 'Chengdu Huawei Technologies Co., Ltd.'));
  const iflytek = screener.screen('iFLYTEK Co., Ltd.');
  assert.equal(iflytek.state, 'listed');
  assert.deepEqual(
    iflytek.organisations.map((o) => o.listings.map((h) => h.listName)),
    [['US Entity List (BIS)']],
  );
});

test('one organisation, one answer: Zhejiang Dahua and Dahua Technology give the same three listings', async () => {
  const screener = await realScreener();
  const listings = (q: string) => screener.screen(q).organisations.map((o) => [o.name, o.listings.map((h) => `${h.listName}: ${h.entry}`).sort()]);
  const full = listings('Zhejiang Dahua Technology Co., Ltd.');
  assert.deepEqual(full, [['Zhejiang Dahua Technology Co., Ltd.', ['US Entity List (BIS): Dahua Technology', 'US FCC Covered List: Dahua Technology Company', 'US §1260H Chinese Military Companies (DoD): Zhejiang Dahua Technology Co., Ltd.']]]);
  assert.deepEqual(listings('Dahua Technology'), full);
  const same = screener.screen('Zhejiang Dahua Technology Co., Ltd.').hits.find((h) => h.list === 'us-fcc-covered')!;
  assert.deepEqual(same.sameAs, { list: 'us-dow-1260h', entry: 'Zhejiang Dahua Technology Co., Ltd.' });
  assert.match(same.evidence, /lists the same organisation as "Dahua Technology Company"/);
  // A unit the Entity List gives its parent's name as an alias is not merged with the parent.
  const caep = screener.screen('Chinese Academy of Engineering Physics').organisations;
  assert.ok(
    caep.every((o) => o.listings.length <= 6),
    caep.map((o) => `${o.name}: ${o.listings.length}`).join('; '),
  );
});

test('Northeastern University asks which one; with its country it answers', async () => {
  const screener = await realScreener();
  const bare = screener.screen('Northeastern University');
  assert.equal(bare.state, 'ambiguous');
  assert.deepEqual(bare.hits, []);
  assert.match(bare.headline, /listed in China and is also the name of an institution in United States\. Say which one/);
  assert.deepEqual(
    bare.choices.map((c) => [c.query, c.listed]),
    [
      ['Northeastern University, China', true],
      ['Northeastern University, United States', false],
    ],
  );
  assert.equal(screener.screen(bare.choices[0]!.query).state, 'listed');
  assert.equal(screener.screen(bare.choices[1]!.query).state, 'not-listed');
});

test('the nearest listed names are always shown with why they were not taken', async () => {
  const screener = await realScreener();
  const bjut = screener.screen('Beijing University of Technology');
  assert.equal(bjut.state, 'not-listed');
  const chem = bjut.similar.find((s) => s.entry === 'Beijing University of Chemical Technology')!;
  assert.equal(chem.listName, 'ASPI China Defence Universities Tracker');
  assert.match(chem.why, /the listed name adds "chemical": a different name, not a spelling slip/);
  // With no hit, one shared distinctive word is enough to be shown.
  const unknown = screener.screen('Harbin Widget Factory');
  assert.equal(unknown.state, 'unknown');
  assert.ok(
    unknown.similar.some((s) => /Harbin/.test(s.entry)),
    unknown.similar.map((s) => s.entry).join('; '),
  );
});

test('batch screening: a pasted list or a CSV name column, each name with its state, the batch with the most severe', async () => {
  assert.deepEqual(parseNames('Huawei\n\n# our partners\nUniversity of Oxford\r\nHuawei\nNortheastern University, China\n'), ['Huawei', 'University of Oxford', 'Northeastern University, China']);
  assert.deepEqual(parseNames('id,Name,country\n1,"Zhejiang Dahua Technology Co., Ltd.",CN\n2,University of Oxford,GB\n'), ['Zhejiang Dahua Technology Co., Ltd.', 'University of Oxford']);
  // A line holding only invisible characters is blank; a name written with one is the name.
  assert.deepEqual(parseNames('Harbin Institute of Technology\n\u200b\n\u00ad \nHarbin Institute of Tech\u00adnology\n'), ['Harbin Institute of Technology']);
  assert.deepEqual(parseNames('name,note\n"Beihang University","said ""BUAA""\nin the call"\n'), ['Beihang University']);
  // A one-column CSV's header is no name; the names under it keep their commas.
  assert.deepEqual(parseNames('\uFEFFname\r\nHuawei\r\nNortheastern University, China\r\n'), ['Huawei', 'Northeastern University, China']);
  assert.deepEqual(parseNames('\n"Organisation"\nHuawei\n'), ['Huawei']);
  assert.deepEqual(parseNames('Huawei\nname\n'), ['Huawei', 'name'], 'only a first line is a header');
  // Excel in much of Europe saves CSV with semicolons; a tab-separated export is read the same way.
  assert.deepEqual(parseNames('name;country\r\nHuawei;CN\r\n"Zhejiang Dahua Technology Co.; Ltd.";CN\r\n'), ['Huawei', 'Zhejiang Dahua Technology Co.; Ltd.']);
  assert.deepEqual(parseNames('id\tOrganisation\tcountry\n1\tHuawei\tCN\n2\tUniversity of Oxford, UK\tGB\n'), ['Huawei', 'University of Oxford, UK']);
  assert.throws(
    () => parseNames('name,country\nHuawei,CN\n"Zhejiang "Dahua",CN\n', 'partners.csv'),
    (e: Error) => e instanceof BatchError && /partners\.csv, line 3: /.test(e.message),
  );
  assert.throws(
    () => parseNames('\n  \n# only a comment\n', 'partners.txt'),
    (e: Error) => e instanceof BatchError && /partners\.txt: no names to screen/.test(e.message),
  );
  assert.throws(() => parseNames(Array.from({ length: MAX_BATCH + 1 }, (_, i) => `Partner ${i}`).join('\n')), /501 names, at most 500/);
  const screener = await realScreener();
  const b = await screenBatch(screener, ['University of Oxford', 'Acme Widgets Ltd', 'Harbin Institute of Technology', '0abcdef12']);
  assert.deepEqual(
    b.rows.map((r) => r.state),
    ['not-listed', 'unknown', 'listed', 'unknown'],
  );
  assert.match(b.rows[3]!.headline, /unknown ROR id/);
  assert.deepEqual(b.counts, { listed: 1, ambiguous: 0, unknown: 2, 'not-listed': 1 });
  assert.equal(b.state, 'listed');
});
