import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { loadRulebook } from '../../src/assessment/rulebook.ts';
import { chinaRules, loadBundledEntries, loadCitedDocuments, POLICY_DIR } from '../../src/monitoring/bundled-entries.ts';
import { EntryError, parseEntry, type EntryDoc } from '../../src/monitoring/entry.ts';
import { loadVocabulary } from '../../src/monitoring/vocabulary.ts';
import { MIRROR, tempDir } from '../helpers/fixtures.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const vocabulary = loadVocabulary();
const criteria = new Set(loadRulebook().criteria.map((c) => c.id));
const bundled = loadBundledEntries({ vocabulary, criteria, mirror: MIRROR });

// Quotes are compared as words: footnote marks, emphasis asterisks, typographic quotes and line breaks aside.
const words = (s: string) =>
  s
    .replace(/<sup>[^<]*<\/sup>/g, '')
    .replace(/\*/g, '')
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/\\_/g, '_')
    .replace(/\s+/g, ' ')
    .trim();

function heldText(s: EntryDoc['sources'][number], documents: ReturnType<typeof loadCitedDocuments>['documents']): string | null {
  if (s.seed) return readFileSync(join(REPO, documents.get(s.seed)!.file), 'utf8');
  if (s.mirror) {
    const bytes = readFileSync(join(MIRROR, s.mirror));
    return (s.mirror.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  }
  if (s.derisk) return readFileSync(join(REPO, s.derisk), 'utf8');
  return null;
}

test('every bundled entry is valid, links only to criteria of the rulebook, and reads the AI Act from the mirror', () => {
  assert.ok(bundled.entries.length >= 25, `${bundled.entries.length} entries`);
  assert.deepEqual(bundled.notices, []);
  const ids = bundled.entries.map((e) => e.id);
  for (const id of [
    'cn-national-intelligence-law',
    'cn-cyber-security-law',
    'cn-data-security-law',
    'cn-personal-information-protection-law',
    'cn-algorithmic-recommendation-provisions',
    'cn-deep-synthesis-provisions',
    'cn-generative-ai-measures',
    'cn-ethical-norms-new-generation-ai',
    'cn-new-generation-ai-development-plan',
    'cn-tc260-generative-ai-safety-requirements',
    'cn-ai-industry-standardisation-guidelines-2024',
    'cn-national-standardisation-development-outline',
    'cn-global-ai-governance-initiative',
    'int-bletchley-declaration',
    'eu-ai-act',
    'eu-council-recommendation-research-security-2024',
    'eu-recommendation-2023-2113-critical-technologies',
    'eu-regulation-1025-2012-standardisation',
    'eu-regulation-2022-2480-standardisation',
    'int-iso-iec-jtc1-sc42',
    'eu-cen-cenelec-jtc21',
    'int-itu-t-sg16',
    'cn-tc260',
  ])
    assert.ok(ids.includes(id), `${id} is bundled`);
  // The 2024 guidelines' goal, from seed 001: 50 core standards by 2026.
  assert.match(bundled.entries.find((e) => e.id === 'cn-ai-industry-standardisation-guidelines-2024')!.summary, /50 core standards .* by 2026/);
  for (const e of bundled.entries) for (const c of e.criteria) assert.ok(criteria.has(c), `${e.id} links to ${c}, which data/assessment/rulebook.yaml does not have`);
});

test('every quote stands in the text it names, and every held text has the checksum the data records', () => {
  const { documents } = loadCitedDocuments();
  for (const d of documents.values()) {
    const sha = createHash('sha256')
      .update(readFileSync(join(REPO, d.file)))
      .digest('hex');
    assert.equal(sha, d.sha256, `${d.file} changed since it was transcribed (documents.json says ${d.sha256.slice(0, 12)}…)`);
  }
  let quotes = 0;
  for (const e of bundled.entries) {
    for (const s of e.sources) {
      if (s.seed) assert.ok(documents.has(s.seed), `${e.id}: unknown document ${s.seed}`);
      if (!s.quote) continue;
      const text = heldText(s, documents);
      if (text === null) continue;
      assert.ok(words(text).includes(words(s.quote)), `${e.id}: "${s.quote.slice(0, 80)}…" is not in ${s.seed ?? s.mirror ?? s.derisk}`);
      quotes++;
    }
  }
  assert.ok(quotes >= 60, `${quotes} quotes checked`);
  const ai = bundled.entries.find((e) => e.id === 'eu-ai-act')!;
  const text = ai.sources.find((s) => s.mirror)!;
  assert.equal(
    text.checksum,
    `sha256:${createHash('sha256')
      .update(gunzipSync(readFileSync(join(MIRROR, text.mirror!))))
      .digest('hex')}`,
  );
});

// A Chinese title comes from a seed or from the official text it names (a page of the Chinese government or NPC).
const OFFICIAL = /^https?:\/\/(www\.)?(gov\.cn|npc\.gov\.cn)\//;

test('what the seeds do not say stays unknown: every null field is explained, no Chinese title is invented', () => {
  const seeds = loadCitedDocuments().documents;
  const allText = [...seeds.values()].map((d) => readFileSync(join(REPO, d.file), 'utf8')).join('\n');
  for (const e of bundled.entries) {
    const official = e.sources.some((s) => s.url && OFFICIAL.test(s.url) && s.quote === e.title.original);
    if (e.title.original && e.title.lang === 'zh') assert.ok(allText.includes(e.title.original) || official, `${e.id}: the Chinese title ${e.title.original} is in no seed and no official text`);
    for (const [field, value] of [
      ['title.original', e.title.original],
      ['authority', e.authority],
      ['dates.issued', e.dates.issued],
      ['dates.effective', e.dates.effective],
    ] as const) {
      if (value === null)
        assert.ok(
          e.unknown.some((u) => u.startsWith(field)),
          `${e.id}: ${field} is null without a reason`,
        );
    }
  }
  // The laws whose official text the seeds cite carry its Chinese title, with that text as the source.
  for (const [id, original] of [
    ['cn-data-security-law', '中华人民共和国数据安全法'],
    ['cn-cyber-security-law', '中华人民共和国网络安全法'],
    ['cn-personal-information-protection-law', '中华人民共和国个人信息保护法'],
  ]) {
    const law = bundled.entries.find((e) => e.id === id)!;
    assert.equal(law.title.original, original, id);
    assert.ok(
      law.sources.some((s) => s.url && OFFICIAL.test(s.url) && s.quote === original),
      `${id}: the official text is the title's source`,
    );
  }
  const nil = bundled.entries.find((e) => e.id === 'cn-national-intelligence-law')!;
  assert.equal(nil.dates.issued, null, 'the seeds date the National Intelligence Law nowhere');
  assert.equal(nil.clause, 'Art. 7');
  assert.ok(
    nil.notes!.some((n) => /Art\. 7/.test(n) && /speaks only of 'compulsory co-operation clauses'/.test(n)),
    'the article number is flagged as not from a seed',
  );
});

test('the Chinese rules a briefing lists come from the knowledge base (data/policy/china-rules.json folded in)', () => {
  const rules = chinaRules();
  const titles = rules.map((r) => r.title).join(' | ');
  for (const t of ['National Intelligence Law, Art. 7', 'Cyber Security Law', 'Data Security Law', 'Personal Information Protection Law', 'Algorithmic Recommendations', 'Deep Synthesis', 'Generative Artificial Intelligence Services']) assert.ok(titles.includes(t), `${t} in ${titles}`);
  for (const r of rules) {
    assert.ok(r.applies_to && r.summary && r.source, `${r.id} has whom it binds, a summary and a source`);
    assert.match(r.source, /seed-00\d/);
  }
});

const GOOD = () => structuredClone(bundled.entries.find((e) => e.id === 'cn-data-security-law')!) as unknown as Record<string, any>;

test('a bad entry is refused with the field and the reason', () => {
  const cases: [string, (d: Record<string, any>) => void, RegExp][] = [
    ['unknown field', (d) => (d.colour = 'red'), /colour: unknown field/],
    ['id', (d) => (d.id = 'Bad Id!'), /id: lower-case letters/],
    ['null without a reason', (d) => (d.unknown = []), /dates\.effective: is unknown: say why in unknown/],
    ['bad date', (d) => (d.dates.issued = '2021-02-30'), /dates\.issued: "2021-02-30" is not a date/],
    ['unknown status', (d) => (d.status_history[0].status = 'enacted'), /status_history\[0\]\.status: "enacted" is not one of/],
    ['stale status', (d) => (d.status = 'repealed'), /status: says "repealed" but the last status in status_history is "adopted"/],
    ['history out of order', (d) => d.status_history.push({ status: 'draft', date: '2019' }), /status_history\[1\]\.date: 2019 comes before 2021/],
    ['unknown topic', (d) => d.topics.push('astrology'), /topics\[\d\]: "astrology" is not a topic/],
    ['unknown criterion', (d) => d.criteria.push('X-NOPE'), /criteria\[\d\]: X-NOPE is not a criterion of the rulebook/],
    ['script address', (d) => (d.sources[0].cites[0].url = 'javascript:alert(1)'), /sources\[0\]\.cites\[0\]\.url: "javascript:alert\(1\)" is not an http\(s\) address/],
    ['no text named', (d) => (d.sources = [{ quote: 'trust me' }]), /sources\[0\]: names no text/],
    ['no sources', (d) => (d.sources = []), /sources: needs at least one source/],
    ['takes effect', (d) => delete d.dates.effective, /dates\.effective: a law takes effect/],
    ['control characters', (d) => (d.summary = 'a\u0000b'), /summary: contains control characters/],
    ['original title without language', (d) => ((d.title.original = '数据安全法'), (d.title.lang = null)), /title\.lang: says which language/],
  ];
  for (const [name, spoil, message] of cases) {
    const d = GOOD();
    spoil(d);
    assert.throws(
      () => parseEntry(d, vocabulary, criteria, 'upload.json'),
      (e: Error) => e instanceof EntryError && /^upload\.json: /.test(e.message) && message.test(e.message),
      name,
    );
  }
  assert.doesNotThrow(() => parseEntry(GOOD(), vocabulary, criteria));
});

test('a broken bundled file refuses the bundle, naming the file', () => {
  const dir = tempDir();
  cpSync(POLICY_DIR, dir, { recursive: true });
  writeFileSync(join(dir, 'entries', 'cn-civil-code.json'), '{"id": "cn-civil-code", ');
  assert.throws(() => loadBundledEntries({ dir }), /entries\/cn-civil-code\.json: not valid JSON/);
  writeFileSync(join(dir, 'entries', 'cn-civil-code.json'), JSON.stringify({ ...GOOD(), id: 'cn-other' }));
  assert.throws(() => loadBundledEntries({ dir }), /cn-civil-code\.json: id "cn-other" differs from the file name/);
  writeFileSync(join(dir, 'entries', 'cn-civil-code.json'), JSON.stringify({ ...GOOD(), id: 'cn-civil-code', sources: [{ seed: 'seed-999', quote: 'x' }] }));
  assert.throws(() => loadBundledEntries({ dir }), /cn-civil-code\.json: source quotes "seed-999", which data\/policy\/documents\.json does not list/);
});

test('without the official text in the mirror, the AI Act entry says its dates are unknown instead of guessing', () => {
  const without = loadBundledEntries({ vocabulary, criteria, mirror: tempDir() });
  const ai = without.entries.find((e) => e.id === 'eu-ai-act')!;
  assert.equal(ai.dates.effective, null);
  assert.equal(ai.articles, undefined);
  assert.ok(ai.unknown.some((u) => u.startsWith('dates.effective: the Official Journal text')));
  assert.match(without.notices.join('\n'), /eu-ai-act: official text not read .*cannot read \(ENOENT\)/);
});
