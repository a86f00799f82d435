import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { loadBundledEntries } from '../../src/monitoring/bundled-entries.ts';
import { diffEntries, wordDiff } from '../../src/monitoring/diff.ts';
import { indexTerms, queryTerms, SearchIndex } from '../../src/monitoring/search.ts';
import { timelineOf } from '../../src/monitoring/timeline.ts';
import { loadVocabulary } from '../../src/monitoring/vocabulary.ts';
import { MIRROR } from '../helpers/fixtures.ts';

const vocabulary = loadVocabulary();
const { entries } = loadBundledEntries({ vocabulary, mirror: MIRROR });
const index = new SearchIndex(entries, vocabulary);
const ids = (q: string) => index.search(q).map((h) => h.id);

test('Chinese text is indexed as characters and character pairs; a query asks for every pair', () => {
  assert.deepEqual(indexTerms('数据安全'), ['数', '据', '安', '全', '数据', '据安', '安全']);
  assert.deepEqual(queryTerms('数据安全'), ['数据', '据安', '安全']);
  assert.deepEqual(queryTerms('法'), ['法']);
  assert.deepEqual(queryTerms('ＡＩ 标准'), ['ai', '标准'], 'full-width letters are folded');
  assert.deepEqual(queryTerms('The standards of the EU'), ['standard', 'eu'], 'stop words dropped, plurals stemmed');
  assert.deepEqual(queryTerms('standardisation'), queryTerms('Standardization'));
  assert.deepEqual(queryTerms('Règlement'), ['reglement']);
  assert.deepEqual(queryTerms('Stand\u00adardi\u200bsation\ufeff 数据\u200d安全'), queryTerms('Standardisation 数据安全'), 'invisible characters split no word');
});

test('property: invisible characters anywhere in a text never change its index or query terms', () => {
  const invisible = fc.constantFrom('\u00ad', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u200e', '\u202e', '\u2066');
  const text = fc.array(fc.oneof(fc.stringMatching(/^[A-Za-z]{1,10}$/), fc.constantFrom('数据安全', '标准化', 'Règlement', 'ＡＩ', 'standardisation', 'the', '&')), { minLength: 1, maxLength: 6 }).map((words) => words.join(' '));
  fc.assert(
    fc.property(
      text.chain((clean) => fc.tuple(fc.constant(clean), fc.array(fc.tuple(fc.nat({ max: clean.length }), invisible), { minLength: 1, maxLength: 4 }))),
      ([clean, inserts]) => {
        let hidden = clean;
        for (const [at, c] of [...inserts].sort((a, b) => b[0] - a[0])) hidden = hidden.slice(0, at) + c + hidden.slice(at);
        assert.deepEqual(indexTerms(hidden), indexTerms(clean));
        assert.deepEqual(queryTerms(hidden), queryTerms(clean));
      },
    ),
  );
});

test('search finds entries by their Chinese titles', () => {
  assert.deepEqual(ids('标准化').sort(), ['cn-ai-industry-standardisation-guidelines-2024', 'cn-ai-standardization-white-paper', 'cn-national-standardisation-development-outline']);
  assert.deepEqual(ids('生成式人工智能'), ['cn-tc260-generative-ai-safety-requirements']);
  assert.deepEqual(ids('国家标准化发展纲要'), ['cn-national-standardisation-development-outline']);
  assert.deepEqual(ids('新一代人工智能发展规划'), ['cn-new-generation-ai-development-plan']);
  // Every pair must occur in one entry: 智能发展 is in the plan's title, 发展纲要 in the outline's, 智能发展纲要 in none.
  assert.deepEqual(ids('智能发展纲要'), []);
  assert.ok(ids('白皮书').includes('cn-ai-standardization-white-paper'));
});

test('search in English: stems, British and American spellings, every word required, best match first', () => {
  assert.equal(ids('Data Security Law')[0], 'cn-data-security-law');
  assert.equal(ids('intelligence law')[0], 'cn-national-intelligence-law');
  assert.equal(ids('standardization outline')[0], 'cn-national-standardisation-development-outline');
  assert.ok(ids('data localisation').includes('cn-cyber-security-law'));
  assert.ok(ids('Prohibited AI practices').includes('eu-ai-act'), 'article titles are searched');
  assert.ok(ids('Bletchley').includes('int-bletchley-declaration'));
  assert.ok(ids('PIPL').includes('cn-personal-information-protection-law'), 'short names are searched');
  assert.deepEqual(ids('Bletchley quantum teleportation'), [], 'every word must occur');
  const hit = index.search('generative AI')[0]!;
  assert.ok(hit.fields.includes('title'), `matched in ${hit.fields}`);
});

test('a hostile or empty query finds nothing and breaks nothing', () => {
  for (const q of ['', '   ', '()[]*+?.\\', '%_\'"; DROP TABLE kb_entries; --', '<script>alert(1)</script>', 'x'.repeat(10_000), '\u0000']) assert.doesNotThrow(() => index.search(q), q.slice(0, 20));
  assert.deepEqual(ids('   '), []);
  assert.deepEqual(ids('<script>'), []);
});

test('a diff names each changed field; text changes word by word, Chinese character by character', () => {
  assert.deepEqual(wordDiff('Issued in 2021 to set rules', 'Issued in 2021 to set strict rules'), [
    { op: 'same', text: 'Issued in 2021 to set ' },
    { op: 'add', text: 'strict ' },
    { op: 'same', text: 'rules' },
  ]);
  assert.deepEqual(wordDiff('数据安全法', '数据出境安全法'), [
    { op: 'same', text: '数据' },
    { op: 'add', text: '出境' },
    { op: 'same', text: '安全法' },
  ]);
  const before = entries.find((e) => e.id === 'cn-data-security-law')!;
  const after = structuredClone(before);
  after.topics = [...after.topics.filter((t) => t !== 'data-localisation'), 'cybersecurity'];
  after.status_history.push({ status: 'in-force', date: '2021-09' });
  after.status = 'in-force';
  after.summary = `${after.summary} Now in force.`;
  const changes = diffEntries(before, after);
  assert.deepEqual(
    changes.map((c) => [c.path, c.kind]),
    [
      ['status', 'changed'],
      ['status_history[1]', 'added'],
      ['summary', 'changed'],
      ['topics', 'added'],
      ['topics', 'removed'],
    ],
  );
  assert.ok(changes.find((c) => c.path === 'summary')!.words!.some((w) => w.op === 'add' && w.text.includes('Now in force.')));
  const act = entries.find((e) => e.id === 'eu-ai-act')!;
  const edited = structuredClone(act);
  edited.articles = edited.articles!.map((a) => (a.number === 5 ? { ...a, title: 'Forbidden AI practices' } : a));
  assert.deepEqual(
    diffEntries(act, edited).map((c) => c.path),
    ['articles[5].title'],
    'articles are compared by number, not by position',
  );
  assert.equal(diffEntries(null, before).length, Object.keys(before).length, 'a first version: every field is new');
});

test('the timeline puts every dated event of every entry in order, future application dates included', () => {
  const events = timelineOf(entries, vocabulary);
  const middle = (d: string) => (d.length === 10 ? d : d.length === 7 ? `${d}-15` : `${d}-07-01`);
  const dates = events.map((e) => middle(e.date));
  assert.deepEqual(
    [...dates].sort((a, b) => a.localeCompare(b)),
    dates,
    'in date order, a year-only date in the middle of its year',
  );
  assert.deepEqual(
    events.filter((e) => e.entry === 'cn-generative-ai-measures').map((e) => e.status),
    ['draft', 'adopted'],
    'the April 2023 draft before the 2023 adoption',
  );
  const ai = events.filter((e) => e.entry === 'eu-ai-act').map((e) => `${e.date} ${e.kind}`);
  assert.deepEqual(ai, ['2024-06-13 status', '2024-07-12 published', '2024-08-01 status', '2025-02-02 application', '2025-08-02 application', '2026-08-02 application', '2027-08-02 application']);
  assert.ok(events.some((e) => e.entry === 'cn-new-generation-ai-development-plan' && e.date === '2017-07'));
  const slice = timelineOf(entries, vocabulary, { from: '2025-01-01', to: '2025-12-31' });
  assert.ok(slice.length > 0 && slice.every((e) => e.date >= '2025' && e.date < '2026'), slice.map((e) => e.date).join(' '));
  // A year-only date overlaps any range inside that year.
  assert.ok(timelineOf(entries, vocabulary, { from: '2016-06-01', to: '2016-06-30' }).some((e) => e.entry === 'cn-cyber-security-law' && e.date === '2016'));
});
