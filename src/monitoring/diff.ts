import type { EntryDoc } from './entry.ts';

export type WordOp = { op: 'same' | 'add' | 'del'; text: string };

export interface FieldChange {
  /** Where in the entry: "summary", "status_history[1].date", "articles[6].title", "topics". */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
  /** For a changed text: the words kept, removed and added. */
  words?: WordOp[];
}

// Lists of records are compared by what identifies a record, not by position, where there is such a key.
const KEYS: Record<string, string> = { articles: 'number' };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The fields that differ between two versions of an entry (`before` null: everything is new). */
export function diffEntries(before: EntryDoc | null, after: EntryDoc): FieldChange[] {
  const out: FieldChange[] = [];
  walk(before ?? {}, after, '', out);
  return out;
}

function walk(a: unknown, b: unknown, path: string, out: FieldChange[]): void {
  if (same(a, b)) return;
  if (a === undefined) return void out.push({ path, kind: 'added', after: b });
  if (b === undefined) return void out.push({ path, kind: 'removed', before: a });
  if (isRecord(a) && isRecord(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if ([...a, ...b].every((x) => !isRecord(x) && !Array.isArray(x))) {
      // A list of plain values (topics, criteria, unknown): what was added and what was removed.
      for (const x of b) if (!a.some((y) => same(x, y))) out.push({ path, kind: 'added', after: x });
      for (const x of a) if (!b.some((y) => same(x, y))) out.push({ path, kind: 'removed', before: x });
      return;
    }
    const key = KEYS[path];
    if (key) {
      const index = (list: unknown[]) => new Map(list.map((x) => [String((x as Record<string, unknown>)[key]), x]));
      const [ia, ib] = [index(a), index(b)];
      for (const k of new Set([...ia.keys(), ...ib.keys()])) walk(ia.get(k), ib.get(k), `${path}[${k}]`, out);
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], `${path}[${i}]`, out);
    return;
  }
  const change: FieldChange = { path, kind: 'changed', before: a, after: b };
  if (typeof a === 'string' && typeof b === 'string' && (a.length > 40 || b.length > 40)) change.words = wordDiff(a, b);
  out.push(change);
}

// Words, and each Chinese character on its own, with the spaces kept so the text reads back.
const tokens = (s: string) => s.match(/\p{Script=Han}|[^\s\p{Script=Han}]+|\s+/gu) ?? [];

/** A word-level diff (longest common subsequence) of two texts. */
export function wordDiff(a: string, b: string): WordOp[] {
  const x = tokens(a);
  const y = tokens(b);
  // Very long texts are shown as replaced rather than spending quadratic time on them.
  if (x.length * y.length > 4_000_000)
    return [
      { op: 'del', text: a },
      { op: 'add', text: b },
    ];
  const lcs: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) for (let j = y.length - 1; j >= 0; j--) lcs[i]![j] = x[i] === y[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const ops: WordOp[] = [];
  const push = (op: WordOp['op'], text: string) => {
    const last = ops.at(-1);
    if (last?.op === op) last.text += text;
    else ops.push({ op, text });
  };
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) (push('same', x[i]!), i++, j++);
    else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) push('del', x[i++]!);
    else push('add', y[j++]!);
  }
  while (i < x.length) push('del', x[i++]!);
  while (j < y.length) push('add', y[j++]!);
  return ops;
}

/** The top-level fields a change touched: "summary", "status_history", "dates". */
export const changedFields = (changes: FieldChange[]): string[] => [...new Set(changes.map((c) => c.path.split(/[.[]/)[0]!))];
