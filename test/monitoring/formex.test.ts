import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { entryIntoForceFrom, FormexError, readFormexAct, selectorsIn } from '../../src/monitoring/formex.ts';
import { INPUT, MIRROR, writeTemp } from '../helpers/fixtures.ts';

const AI_ACT = join(MIRROR, 'eu-ai-act-eurlex/aia_2024_1689_formex_en.xml.gz');

test('the AI Act: title, adoption, publication, entry into force and application dates read from the Official Journal text', () => {
  const act = readFormexAct(AI_ACT);
  assert.equal(act.number, '2024/1689');
  assert.equal(act.shortTitle, 'Artificial Intelligence Act');
  assert.match(act.title, /^Regulation \(EU\) 2024\/1689 of the European Parliament and of the Council of 13 June 2024 laying down harmonised rules on artificial intelligence/);
  assert.equal(act.adopted, '2024-06-13');
  assert.equal(act.published, '2024-07-12');
  // "the twentieth day following that of its publication": 12 July + 20 days.
  assert.equal(act.entryIntoForce, '2024-08-01');
  assert.deepEqual(
    act.application.map((a) => a.date),
    ['2026-08-02', '2025-02-02', '2025-08-02', '2027-08-02'],
  );
  assert.equal(act.articles.length, 113);
  assert.match(act.checksum, /^sha256:[0-9a-f]{64}$/);
});

test('each AI Act article applies from the date of the most specific rule naming it', () => {
  const articles = new Map(readFormexAct(AI_ACT).articles.map((a) => [a.number, a]));
  const expect: [number, string, string, RegExp][] = [
    [3, 'Definitions', '2025-02-02', /^CHAPTER I —/], // Chapters I and II
    [5, 'Prohibited AI practices', '2025-02-02', /^CHAPTER II —/],
    [6, 'Classification rules for high-risk AI systems', '2026-08-02', /^CHAPTER III —/], // Chapter III is not listed; 6(1) is
    [10, 'Data and data governance', '2026-08-02', /^CHAPTER III —/],
    [28, 'Notifying authorities', '2025-08-02', /^CHAPTER III —/], // Chapter III Section 4
    [50, 'Transparency obligations for providers and deployers of certain AI systems', '2026-08-02', /^CHAPTER IV —/],
    [53, 'Obligations for providers of general-purpose AI models', '2025-08-02', /^CHAPTER V —/],
    [64, 'AI Office', '2025-08-02', /^CHAPTER VII —/],
    [78, 'Confidentiality', '2025-08-02', /^CHAPTER IX —/], // Article 78 named alone
    [99, 'Penalties', '2025-08-02', /^CHAPTER XII —/],
    [101, 'Fines for providers of general-purpose AI models', '2026-08-02', /^CHAPTER XII —/], // the exception
    [113, 'Entry into force and application', '2026-08-02', /^CHAPTER XIII —/],
  ];
  for (const [n, title, date, chapter] of expect) {
    const a = articles.get(n)!;
    assert.equal(a.title, title, `Art. ${n}`);
    assert.equal(a.applies_from, date, `Art. ${n} applies from`);
    assert.match(a.chapter, chapter, `Art. ${n} chapter`);
  }
  assert.equal(articles.get(6)!.note, 'paragraph 1 applies from 2027-08-02');
  assert.match(articles.get(28)!.section!, /^SECTION 4 — Notifying authorities and notified bodies/);
});

test('a small act in the same format: sections, an exception inside the sentence, a paragraph rule, the third day after publication', () => {
  const act = readFormexAct(join(INPUT, 'formex-act.xml'));
  assert.equal(act.title, 'Regulation (EU) 2030/77 of the European Parliament and of the Council of 15 January 2030 on testing research security & safeguards (Test Act)');
  assert.equal(act.entryIntoForce, '2030-02-03');
  assert.deepEqual(
    act.articles.map((a) => [a.number, a.applies_from]),
    [
      [1, '2030-06-01'],
      [2, '2030-06-01'],
      [3, '2031-01-01'],
      [4, '2030-09-01'],
      [5, '2031-01-01'],
      [6, '2031-01-01'],
    ],
  );
  assert.equal(act.articles[2]!.note, 'paragraph 2 applies from 2032-01-01');
  assert.equal(act.articles[1]!.title, 'Definitions', 'footnotes are not part of a title');
  // The same text gzipped reads the same.
  assert.deepEqual(readFormexAct(writeTemp('act.xml.gz', gzipSync(readFileSync(join(INPUT, 'formex-act.xml'))))), act);
});

test('a truncated, edited or foreign file is refused with the file and the reason', () => {
  const xml = readFileSync(join(INPUT, 'formex-act.xml'), 'utf8');
  const bad: [string, string, RegExp][] = [
    ['truncated.xml', xml.slice(0, xml.length / 2), /truncated\.xml: no complete <ACT> element/],
    ['no-final.xml', xml.replace('Entry into force and application', 'Closing words'), /no-final\.xml: no article on entry into force and application/],
    ['gap.xml', xml.replace(/<ARTICLE IDENTIFIER="004">[\s\S]*?<\/ARTICLE>/, ''), /gap\.xml: article 4 is missing \(found article 5 in its place\)/],
    ['chapter.xml', xml.replace('Chapter I shall apply', 'Chapter IX shall apply'), /chapter\.xml: Article 6: names Chapter IX, which the act does not have/],
    ['heading.xml', xml.replace('<TI.ART>Article 2</TI.ART>', '<TI.ART>Article 20</TI.ART>'), /heading\.xml: article 002: its heading says "Article 20"/],
    ['force.xml', xml.replace('on the third day following that of its publication', 'when the Commission says so'), /force\.xml: Article 6: cannot read the day of entry into force/],
    ['published.xml', xml.replace(/<BIB\.OJ>[\s\S]*?<\/BIB\.OJ>/, ''), /published\.xml: no publication date/],
  ];
  for (const [name, text, message] of bad)
    assert.throws(
      () => readFormexAct(writeTemp(name, text)),
      (e: Error) => e instanceof FormexError && message.test(e.message),
      name,
    );
  assert.throws(() => readFormexAct(writeTemp('broken.xml.gz', Buffer.from([0x1f, 0x8b, 1, 2, 3]))), /broken\.xml\.gz: not a readable gzip file/);
  assert.throws(() => readFormexAct('/nonexistent/act.xml'), /\/nonexistent\/act\.xml: cannot read \(ENOENT\)/);
});

test('the words of entry into force and of application rules', () => {
  assert.equal(entryIntoForceFrom('This Regulation shall enter into force on the twentieth day following that of its publication in the Official Journal', '2024-07-12'), '2024-08-01');
  assert.equal(entryIntoForceFrom('shall enter into force on the day following its publication', '2023-12-31'), '2024-01-01');
  assert.equal(entryIntoForceFrom('shall enter into force on the date of its publication', '2023-10-11'), '2023-10-11');
  assert.equal(entryIntoForceFrom('shall enter into force on 1 January 2030', '2023-10-11'), null);
  assert.deepEqual(selectorsIn('Chapters I and II'), [
    { kind: 'chapter', chapter: 'I' },
    { kind: 'chapter', chapter: 'II' },
  ]);
  assert.deepEqual(selectorsIn('Chapter III Section 4, Chapter V, Chapter VII and Chapter XII and Article 78'), [
    { kind: 'chapter', chapter: 'III', section: '4' },
    { kind: 'chapter', chapter: 'V' },
    { kind: 'chapter', chapter: 'VII' },
    { kind: 'chapter', chapter: 'XII' },
    { kind: 'article', number: 78 },
  ]);
  assert.deepEqual(selectorsIn('Article 6(1) and the corresponding obligations in this Regulation'), [{ kind: 'article', number: 6, paragraph: '1' }]);
});
