import type { RiskEntry, RiskList } from './lists.ts';
import { screenKey } from './names.ts';

export interface EntryChange {
  entry: string;
  changes: { field: string; old: string; new: string }[];
}

export interface ListDiff {
  list: string;
  oldVersion: string;
  newVersion: string;
  added: string[];
  removed: string[];
  changed: EntryChange[];
  unchanged: number;
}

/** Entries are the same entry across versions when their primary names agree (spelling folded). */
const identity = (e: RiskEntry): string => screenKey(e.name) || e.id;

const FIELDS: [string, (e: RiskEntry) => string][] = [
  ['level', (e) => e.level],
  ['category', (e) => e.category ?? ''],
  ['country', (e) => e.country ?? ''],
  [
    'aliases',
    (e) =>
      e.names
        .filter((n) => n.kind !== 'primary')
        .map((n) => n.value)
        .sort()
        .join(' | '),
  ],
  ['source text', (e) => e.sourceText ?? ''],
];

/** What was added, removed or changed between two versions of one list. */
export function diffLists(older: RiskList, newer: RiskList): ListDiff {
  if (older.id !== newer.id) throw new Error(`cannot compare different lists: ${older.file} holds ${older.id}, ${newer.file} holds ${newer.id}`);
  const before = new Map(older.entries.map((e) => [identity(e), e]));
  const after = new Map(newer.entries.map((e) => [identity(e), e]));
  const changed: EntryChange[] = [];
  let unchanged = 0;
  for (const [key, e] of after) {
    const old = before.get(key);
    if (!old) continue;
    const changes = FIELDS.filter(([, get]) => get(old) !== get(e)).map(([field, get]) => ({ field, old: get(old), new: get(e) }));
    if (changes.length > 0) changed.push({ entry: e.name, changes });
    else unchanged++;
  }
  return {
    list: newer.id,
    oldVersion: older.version,
    newVersion: newer.version,
    added: [...after.keys()].filter((k) => !before.has(k)).map((k) => after.get(k)!.name),
    removed: [...before.keys()].filter((k) => !after.has(k)).map((k) => before.get(k)!.name),
    changed,
    unchanged,
  };
}
