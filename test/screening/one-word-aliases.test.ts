import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFtmList } from '../../src/screening/ftm.ts';
import { Screener, type ScreenResult } from '../../src/screening/screener.ts';
import { writeTemp } from '../helpers/fixtures.ts';
import { realScreener } from '../helpers/screening.ts';

// Round 9's rule for a list's one-word aliases (data/lists/aliases.json one_word_aliases), where it
// read too much or too little: a name of two words read as one, a place alias never indexed, an
// organisation read as a person.

const entries = (r: ScreenResult) => r.hits.map((h) => h.entry);
const answer = (r: ScreenResult) => `${r.state}: ${entries(r).join('; ') || r.headline}`;

test('a list alias of two words keeps a word written in capitals that is a stop word elsewhere: "LES Electronic" is Nanjing LES, "Electronic" is not', async () => {
  const screener = await realScreener();
  for (const q of ['LES Electronic', 'LES Electronics', 'LES Electronic, Nanjing, China']) {
    const r = screener.screen(q);
    assert.ok(r.state === 'listed' && entries(r).includes('Nanjing LES Electronic Equipment Co., Ltd.'), `${q}: ${answer(r)}`);
  }
  const electronic = screener.screen('Electronic');
  assert.ok(!entries(electronic).length && !electronic.choices.some((c) => /Nanjing LES/.test(c.label)), `Electronic: ${answer(electronic)} ${JSON.stringify(electronic.choices)}`);
  // Lower case, "les" is the French article it is in a name ("Université Paris Les …").
  assert.ok(!screener.screen('Les Electronic').hits.some((h) => /Nanjing LES/.test(h.entry)));
  // All in capitals, as exports write names, capitals mark no acronym: the word is kept only where the list writes the name so.
  for (const q of ['LES ELECTRONIC', 'LES ELECTRONICS, NANJING, CHINA']) {
    const r = screener.screen(q);
    assert.ok(r.state === 'listed' && entries(r).includes('Nanjing LES Electronic Equipment Co., Ltd.'), `${q}: ${answer(r)}`);
    assert.match(r.hits[0]!.evidence, /read "LES" as a word of the name, not a stop word/);
  }
  for (const q of ['ELECTRONIC', 'LES MILLS', 'LES MILLS INTERNATIONAL LTD', 'LA TROBE UNIV, MELBOURNE, VIC, AUSTRALIA']) {
    const r = screener.screen(q);
    assert.ok(!r.hits.length && !r.choices.some((c) => /Nanjing LES/.test(c.label)), `${q}: ${answer(r)}`);
  }
});

test('a place a list gives as a one-word alias ("Tula") is a question alone, the entry where the list places it, and the address elsewhere', async () => {
  const screener = await realScreener();
  const tula = screener.screen('Tula');
  assert.equal(tula.state, 'ambiguous', tula.headline);
  assert.deepEqual(entries(tula), []);
  assert.match(tula.headline, /one-word alias "Tula" .* no evidence on its own/);
  const offered = tula.choices.find((c) => c.listed && c.query === 'Tula Arms Plant');
  assert.ok(offered && screener.screen(offered.query).state === 'listed', JSON.stringify(tula.choices));
  assert.ok(entries(screener.screen('Tula, Russia')).includes('Tula Arms Plant'), answer(screener.screen('Tula, Russia')));
  // Tula de Allende is in Mexico; a place after the name is the address of what the string names.
  for (const q of ['Tula, Hidalgo, Mexico', 'Tula State University, Tula, Russia', 'Tula State Pedag Univ, Tula 300026, Russia', 'Kursk State University, Kursk, Russia']) {
    const r = screener.screen(q);
    assert.ok(!r.hits.some((h) => /Tula Arms|18th Central/.test(h.entry)) && !r.choices.some((c) => /Tula Arms|18th Central/.test(c.label)), `${q}: ${answer(r)}`);
  }
  // A place in brackets after another name ("ACM Research (Shanghai)", "… (China)") is where the entry is, not a name of it.
  for (const q of ['Shanghai', 'Shanghai, China', 'China', 'Shenzhen, Peoples R China']) {
    const r = screener.screen(q);
    assert.ok(!r.hits.length && !r.choices.some((c) => c.listed), `${q}: ${answer(r)} ${JSON.stringify(r.choices)}`);
  }
});

test('an entry the Entity List names with an acronym and a brand ("IC Kala", "Ickala") is no person: its one-word alias finds it', async () => {
  const screener = await realScreener();
  const r = screener.screen('Ickala');
  assert.ok(r.state === 'listed' && entries(r).includes('IC Kala'), answer(r));
  // Luo Jie is a person still: "Cherry" only asks.
  assert.match(screener.screen('Cherry').headline, /Luo Jie \(US Entity List \(BIS\), high; a person\)/);
});

test('what a FollowTheMoney list says an entity is decides whether it is a person; its names decide only where the schema does not say', () => {
  const line = (id: string, schema: string) => JSON.stringify({ id, schema, properties: { name: ['Ivan Petrov'], alias: ['Cherry'], country: ['ru'] } });
  const meta = { id: 'ftm-types', title: 'T', publisher: 'P', licence: 'L', source_url: 'https://example.org', retrieved: '2026-12-01', level: 'high' as const };
  const screen = (schema: string) => new Screener([readFtmList(writeTemp('types.ftm.json', `${line('e1', schema)}\n`), meta).list]).screen('Cherry');
  // A Company named like a person is a company: its alias is its name.
  assert.deepEqual(entries(screen('Company')), ['Ivan Petrov']);
  // A LegalEntity may be either: read by its names, a person's, whose nickname only asks.
  const legal = screen('LegalEntity');
  assert.equal(legal.state, 'ambiguous', legal.headline);
  assert.match(legal.headline, /a person/);
});

test("a person's one-word alias that is a place (\"Martin\", for Parviz Khaki on the State Department's list) lists nothing and asks nothing; the person's name finds the entry", async () => {
  const screener = await realScreener();
  for (const q of ['Parviz Khaki', 'Parviz Khaki, Tehran, Iran']) assert.ok(entries(screener.screen(q)).includes('Parviz Khaki'), `${q}: ${answer(screener.screen(q))}`);
  // A person's alias is never a listing, and a string that names a place is no question about the person.
  for (const q of ['Martin', 'Martin, Iran', 'Jessenius Fac Med Comenius Univ, Martin, Slovakia', 'Univ Tennessee, Martin, TN 38238 USA']) {
    const r = screener.screen(q);
    assert.ok(!entries(r).includes('Parviz Khaki') && !r.choices.some((c) => /Parviz Khaki/.test(c.label)) && !r.similar.some((s) => s.entry === 'Parviz Khaki'), `${q}: ${answer(r)}`);
  }
});
