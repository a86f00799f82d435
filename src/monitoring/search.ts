import { typedKey } from '../resolve/normalize.ts';
import type { EntryDoc } from './entry.ts';
import type { Vocabulary } from './vocabulary.ts';

// Words too common to decide a match; dropped from entries and queries alike.
const STOP = new Set(['a', 'an', 'and', 'are', 'as', 'at', 'be', 'by', 'for', 'from', 'in', 'is', 'it', 'its', 'of', 'on', 'or', 'that', 'the', 'this', 'to', 'with']);
const HAN = /^\p{Script=Han}/u;
// Runs of Chinese characters, or of letters and digits in any other script.
const RUN = /\p{Script=Han}+|[\p{L}\p{N}]+/gu;

/**
 * A light English stemmer: plural endings and British -ise/-isation spellings, so "standards"
 * finds "standard" and "standardisation" finds "Standardization". Entries and queries go
 * through the same function, so a rough stem never hides a match.
 */
export function stem(word: string): string {
  let w = word;
  if (w.length > 5 && w.includes('is')) {
    if (w.endsWith('isation')) w = `${w.slice(0, -7)}ization`;
    else if (w.endsWith('isations')) w = `${w.slice(0, -8)}izations`;
    else if (w.endsWith('ised')) w = `${w.slice(0, -4)}ized`;
    else if (w.endsWith('ising')) w = `${w.slice(0, -5)}izing`;
    else if (w.endsWith('ise')) w = `${w.slice(0, -3)}ize`;
  }
  if (w.length > 4 && w.endsWith('ies')) return `${w.slice(0, -3)}y`;
  if (w.endsWith('sses')) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss') && !w.endsWith('us') && !w.endsWith('is')) return w.slice(0, -1);
  return w;
}

/** Invisible format characters go first: a soft hyphen or zero-width space pasted into a word does not split it. */
function normalise(text: string): string {
  return typedKey(text).normalize('NFD').replace(/\p{M}/gu, '');
}

/**
 * The terms of a text. Chinese has no spaces between words, so a run of Chinese characters is
 * indexed as its single characters and its overlapping character pairs (bigrams): "数据安全"
 * gives 数, 据, 安, 全, 数据, 据安, 安全. Other scripts are split into words.
 */
export function indexTerms(text: string): string[] {
  const out: string[] = [];
  for (const run of normalise(text).match(RUN) ?? []) {
    if (HAN.test(run)) {
      const chars = [...run];
      out.push(...chars);
      for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
    } else if (!STOP.has(run)) out.push(stem(run));
  }
  return out;
}

/** A query's terms: every one must occur. A Chinese run of two or more characters asks for each of its bigrams. */
export function queryTerms(query: string): string[] {
  const out: string[] = [];
  for (const run of normalise(query).match(RUN) ?? []) {
    if (HAN.test(run)) {
      const chars = [...run];
      if (chars.length === 1) out.push(chars[0]!);
      for (let i = 0; i + 1 < chars.length; i++) out.push(chars[i]! + chars[i + 1]!);
    } else if (!STOP.has(run)) out.push(stem(run));
  }
  return [...new Set(out)];
}

/** How much a match in each part of an entry counts. */
const WEIGHTS: [string, number, (e: EntryDoc, v: Vocabulary) => string[]][] = [
  ['title', 5, (e) => [e.title.en, e.title.original ?? '', e.title.short ?? '']],
  ['id', 3, (e) => [e.id]],
  ['authority', 2, (e) => [e.authority ?? '']],
  ['clause', 2, (e) => [e.clause ?? '']],
  ['summary', 1, (e) => [e.summary, e.binds ?? '']],
  ['topics', 1, (e, v) => e.topics.map((t) => v.topics.get(t)?.label ?? t)],
  ['criteria', 1, (e) => e.criteria],
  ['articles', 0.5, (e) => (e.articles ?? []).map((a) => a.title)],
  ['sources', 0.3, (e) => e.sources.flatMap((s) => [s.title ?? '', s.where ?? '', s.quote ?? '', ...(s.cites ?? []).map((c) => c.title)])],
  ['notes', 0.3, (e) => e.notes ?? []],
];

export interface SearchHit {
  id: string;
  score: number;
  /** The parts of the entry the query matched in. */
  fields: string[];
}

// A posting: the entry's score for a term, and in which fields it occurs (one bit per field of WEIGHTS).
type Posting = { score: number; fields: number };

/** A full-text index over entries, in English and Chinese, updated entry by entry as entries change. */
export class SearchIndex {
  private readonly postings = new Map<string, Map<string, Posting>>();
  /** The terms of each entry, to take it out again when it changes. */
  private readonly termsOf = new Map<string, string[]>();

  constructor(
    entries: EntryDoc[],
    private readonly vocabulary: Vocabulary,
  ) {
    for (const e of entries) this.put(e);
  }

  /** Adds an entry, or replaces what the index held for it. */
  put(e: EntryDoc): void {
    this.remove(e.id);
    // Terms are summed within the entry first: one update of the shared postings per distinct term.
    const own = new Map<string, Posting>();
    WEIGHTS.forEach(([, weight, texts], bit) => {
      for (const text of texts(e, this.vocabulary)) {
        for (const term of indexTerms(text)) {
          const p = own.get(term);
          if (p) ((p.score += weight), (p.fields |= 1 << bit));
          else own.set(term, { score: weight, fields: 1 << bit });
        }
      }
    });
    for (const [term, p] of own) {
      let byEntry = this.postings.get(term);
      if (!byEntry) this.postings.set(term, (byEntry = new Map()));
      byEntry.set(e.id, p);
    }
    this.termsOf.set(e.id, [...own.keys()]);
  }

  remove(id: string): void {
    for (const term of this.termsOf.get(id) ?? []) {
      const byEntry = this.postings.get(term)!;
      byEntry.delete(id);
      if (byEntry.size === 0) this.postings.delete(term);
    }
    this.termsOf.delete(id);
  }

  /** Entries holding every term of the query, best first; an empty query matches nothing. */
  search(query: string): SearchHit[] {
    const terms = queryTerms(query);
    if (terms.length === 0) return [];
    const lists = terms.map((t) => this.postings.get(t) ?? new Map<string, Posting>());
    lists.sort((a, b) => a.size - b.size);
    const hits: SearchHit[] = [];
    for (const id of lists[0]!.keys()) {
      if (!lists.every((l) => l.has(id))) continue;
      let fields = 0;
      let score = 0;
      for (const l of lists) {
        const p = l.get(id)!;
        score += p.score;
        fields |= p.fields;
      }
      hits.push({ id, score: Math.round(score * 10) / 10, fields: WEIGHTS.filter((_, bit) => fields & (1 << bit)).map(([name]) => name) });
    }
    return hits.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  }
}
