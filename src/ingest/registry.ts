import { existsSync, statSync } from 'node:fs';
import type { DuckDBAppender } from '@duckdb/node-api';
import { asTypedKeepingSpaces } from '../resolve/normalize.ts';
import { rorIdWritten } from '../resolve/ror-id.ts';
import { LIST, VARCHAR, listValue } from '../store/duckdb.ts';
import { rebuildRegistryAncestors, type Store } from '../store/store.ts';
import { fileId as contentId } from './file-id.ts';
import type { Rejected } from './records.ts';
import { alreadyIngested } from './whole-file.ts';
import { readRor, type Institution } from './ror.ts';

import { lacksMessage, registryLacks } from './registry-row.ts';

export { loadRegistry } from './registry-row.ts';

export interface RegistryReport {
  file: string;
  fileId: string;
  status: 'ingested' | 'already ingested';
  /** Of a file already ingested: when it was read (UTC, to the minute); the counts are that run's. */
  readAt?: string;
  institutions: number;
  quarantined: number;
  rejected: Rejected[];
  seconds: number;
}

const STRING_LIST = LIST(VARCHAR);

/**
 * Loads a ROR dump into the store in one transaction (a kill leaves the registry as it was).
 * A record already present is replaced by the newer file's version.
 */
export async function ingestRegistry(store: Store, path: string, onProgress?: (n: number) => void): Promise<RegistryReport> {
  const started = performance.now();
  statSync(path);
  const id = await contentId(path);
  const done = await alreadyIngested(store, id, 'ror', path);
  if (done) return { file: path, fileId: id, status: 'already ingested', ...(done.readAt ? { readAt: done.readAt } : {}), institutions: done.kept, quarantined: done.quarantined, rejected: [], seconds: 0 };
  const institutions: Institution[] = [];
  const rejected: Rejected[] = [];
  for await (const item of readRor(path)) {
    if (item.ok) institutions.push(item.institution);
    else rejected.push(item);
    if ((institutions.length + rejected.length) % 10_000 === 0) onProgress?.(institutions.length);
  }
  await store.transaction(async () => {
    await store.run('CREATE TEMP TABLE IF NOT EXISTS stage_institutions AS SELECT * FROM institutions LIMIT 0');
    await store.run('DELETE FROM stage_institutions');
    const inst = await store.connection.createAppender('stage_institutions');
    for (const i of institutions) appendInstitution(inst, i, id);
    inst.closeSync();
    await store.run('DELETE FROM institution_names WHERE ror_id IN (SELECT ror_id FROM stage_institutions)');
    await store.run('DELETE FROM institutions WHERE ror_id IN (SELECT ror_id FROM stage_institutions)');
    await store.run('INSERT INTO institutions SELECT * FROM stage_institutions QUALIFY row_number() OVER (PARTITION BY ror_id) = 1');
    // Read by the counting rule (source_counts, src/store/schema.sql) with the registry it was built from.
    await rebuildRegistryAncestors(store);
    const names = await store.connection.createAppender('institution_names');
    const seen = new Set<string>();
    for (const i of institutions) {
      if (seen.has(i.id)) continue;
      seen.add(i.id);
      for (const n of i.names) {
        names.appendVarchar(i.id);
        names.appendVarchar(n.value);
        names.appendList(listValue(n.types), STRING_LIST);
        n.lang === null ? names.appendNull() : names.appendVarchar(n.lang);
        names.endRow();
      }
    }
    names.closeSync();
    await store.run(
      `INSERT INTO input_files (file_id, path, kind, bytes, started_at, finished_at, last_record_no, records_kept, records_quarantined)
       VALUES ($1, $2, 'ror', $3, now(), now(), $4, $5, $6)`,
      [id, path, statSync(path).size, institutions.length + rejected.length, institutions.length, rejected.length],
    );
    for (const r of rejected) {
      await store.run('INSERT INTO quarantine VALUES ($1, $2, $3, $4, $5)', [id, r.recordNo, r.lineNo, r.reason, r.excerpt]);
    }
    await store.run(`INSERT OR REPLACE INTO meta VALUES ('registry_version', (${REGISTRY_DIGEST}))`);
  });
  return { file: path, fileId: id, status: 'ingested', institutions: institutions.length, quarantined: rejected.length, rejected, seconds: (performance.now() - started) / 1000 };
}

export interface RegistryReread {
  /** The dumps read again, as the store recorded them or as given. */
  files: string[];
  /** Records whose lacking fields were filled. */
  institutions: number;
}

/**
 * Fills what the store's registry lacks (registryLacks: fields an older version's ingest did not keep)
 * by reading again each ROR dump its records came from, found by its bytes at the path the store
 * recorded or among `given`; the registry's version is then taken anew, so nothing kept under the
 * incomplete one is reused. Null when nothing is lacking. Refuses, naming the dump and the command that
 * fixes it, when a dump is gone or changed: a half-filled registry would answer like neither.
 */
export async function rereadRegistry(store: Store, given: readonly string[] = [], onProgress?: (path: string, records: number) => void): Promise<RegistryReread | null> {
  const lacking = await registryLacks(store);
  if (lacking.length === 0) return null;
  const sources = await store.all<{ file_id: string; path: string | null }>(
    `SELECT i.file_id, any_value(f.path) AS path FROM institutions i LEFT JOIN input_files f USING (file_id)
     WHERE ${lacking.map((f) => `i.${f.column} IS NULL`).join(' OR ')} GROUP BY i.file_id ORDER BY min(f.started_at), i.file_id`,
  );
  const ids = new Map<string, string>();
  const idOf = async (path: string) => {
    if (!ids.has(path)) ids.set(path, existsSync(path) && statSync(path).isFile() ? await contentId(path) : '');
    return ids.get(path)!;
  };
  const found: { fileId: string; path: string }[] = [];
  for (const s of sources) {
    let path: string | undefined;
    for (const p of [...(s.path === null ? [] : [s.path]), ...given]) if ((await idOf(p)) === s.file_id) path ??= p;
    if (path === undefined) throw new Error(`${lacksMessage(lacking)}; but ${s.path ?? 'the dump'} (file ${s.file_id}) is gone or holds other bytes now: give \`derisk ingest ror <that dump>\`, or ingest a newer ROR dump`);
    found.push({ fileId: s.file_id, path });
  }
  let filled = 0;
  await store.transaction(async () => {
    await store.run(`CREATE OR REPLACE TEMP TABLE reread_institutions (ror_id VARCHAR, ${lacking.map((f) => `${f.column} VARCHAR[]`).join(', ')})`);
    for (const { fileId, path } of found) {
      await store.run('DELETE FROM reread_institutions');
      onProgress?.(path, 0);
      const a = await store.connection.createAppender('reread_institutions');
      const seen = new Set<string>();
      for await (const item of readRor(path)) {
        if (!item.ok || seen.has(item.institution.id)) continue;
        seen.add(item.institution.id);
        a.appendVarchar(item.institution.id);
        for (const f of lacking) a.appendList(listValue(f.of(item.institution)), STRING_LIST);
        a.endRow();
        if (seen.size % 10_000 === 0) onProgress?.(path, seen.size);
      }
      a.closeSync();
      const set = lacking.map((f) => `${f.column} = r.${f.column}`).join(', ');
      const n = await store.one<{ n: number }>(`SELECT count(*)::DOUBLE AS n FROM institutions i JOIN reread_institutions r USING (ror_id) WHERE i.file_id = $1`, [fileId]);
      await store.run(`UPDATE institutions SET ${set} FROM reread_institutions r WHERE institutions.ror_id = r.ror_id AND institutions.file_id = $1`, [fileId]);
      filled += Number(n!.n);
    }
    await store.run('DROP TABLE reread_institutions');
    await store.run(`INSERT OR REPLACE INTO meta VALUES ('registry_version', (${REGISTRY_DIGEST}))`);
  });
  return { files: found.map((f) => f.path), institutions: filled };
}

function appendInstitution(a: DuckDBAppender, i: Institution, fileId: string): void {
  const text = (v: string | null) => (v === null ? a.appendNull() : a.appendVarchar(v));
  text(i.id);
  text(i.name);
  text(i.countryCode);
  text(i.countryName);
  text(i.city);
  text(i.subdivision);
  text(i.status);
  for (const l of [i.types, i.parents, i.children, i.related, i.successors]) a.appendList(listValue(l), STRING_LIST);
  i.established === null ? a.appendNull() : a.appendInteger(i.established);
  text(fileId);
  a.appendList(listValue(i.childNames ?? []), STRING_LIST);
  a.endRow();
}

/**
 * The registry's version: a digest of what the store holds as the resolver reads it (records, and
 * each record's names in their order; not which file gave them). Not the last file's hash: ingests
 * add up and a later dump replaces records, so two stores that last ingested the same file may hold
 * different registries, and resolutions (also in the shared cache), screening indexes and name
 * indexes kept under this version would be served from one to the other. Under a second for all of ROR.
 */
const REGISTRY_DIGEST = `SELECT md5(
    (SELECT coalesce(string_agg(to_json(i)::VARCHAR, chr(10) ORDER BY ror_id), '') FROM (SELECT * EXCLUDE (file_id) FROM institutions) i)
    || chr(10) || chr(10) ||
    (SELECT coalesce(string_agg(to_json(struct_pack(ror_id, name, name_types, lang))::VARCHAR, chr(10) ORDER BY ror_id, rowid), '') FROM institution_names))`;

export interface InstitutionSuggestion {
  rorId: string;
  name: string;
  /** The registry name the text matched, when it is not the display name (an alias, an acronym, a name in Chinese). */
  matched: string | null;
  countryCode: string | null;
  city: string | null;
}

/**
 * A name or a typed text as suggestions compare them: read as typed (compatibility forms folded, invisible format characters
 * removed, so that a name pasted with a soft hyphen or a zero-width space is the name), in lower case. Spacing as written:
 * the words are split out of it.
 */
const lowerName = (text: string): string => asTypedKeepingSpaces(text).toLowerCase();

/**
 * The words of a name or of a typed text, as lowerName reads it: runs of letters and digits. A run of
 * Chinese, Japanese or Korean characters, written without spaces, counts from each of its
 * characters on, so that typing a word inside it finds it.
 */
function wordsOf(text: string): string[] {
  return lowerName(text)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .flatMap((w) => (/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u.test(w) ? [...w].slice(0, 40).map((_, i) => [...w].slice(i).join('')) : [w]));
}

interface IndexedInstitution {
  rorId: string;
  name: string;
  active: boolean;
  countryCode: string | null;
  city: string | null;
}

/**
 * Every registry name (labels, aliases, acronyms, display names) by the words in it, sorted, so
 * that the names with a word beginning with what was typed are a range of the sorted words:
 * a suggestion looks up a few ranges instead of reading every name.
 */
class SuggestionIndex {
  private readonly institutions: IndexedInstitution[] = [];
  /** Each name: its institution (an index into `institutions`) and its text. */
  private readonly names: { of: number; text: string; lower: string }[] = [];
  private readonly words: string[];
  private readonly postings: number[][];

  constructor(institutions: IndexedInstitution[], names: { rorId: string; name: string }[]) {
    const at = new Map<string, number>();
    for (const i of institutions) at.set(i.rorId, this.institutions.push(i) - 1);
    const seen = new Set<string>();
    const byWord = new Map<string, number[]>();
    for (const n of [...institutions.map((i) => ({ rorId: i.rorId, name: i.name })), ...names]) {
      const of = at.get(n.rorId);
      if (of === undefined || seen.has(`${of}\u0000${n.name}`)) continue;
      seen.add(`${of}\u0000${n.name}`);
      const id = this.names.push({ of, text: n.name, lower: lowerName(n.name) }) - 1;
      for (const w of new Set(wordsOf(n.name))) {
        const list = byWord.get(w);
        if (list) list.push(id);
        else byWord.set(w, [id]);
      }
    }
    this.words = [...byWord.keys()].sort();
    this.postings = this.words.map((w) => byWord.get(w)!);
  }

  /** The words of the index that begin with `prefix`, as the range [from, to) of the sorted words. */
  private range(prefix: string): [number, number] {
    let lo = 0;
    let hi = this.words.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.words[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    let end = lo;
    while (end < this.words.length && this.words[end]!.startsWith(prefix)) end++;
    return [lo, end];
  }

  search(text: string, limit: number): InstitutionSuggestion[] {
    const typed = [...new Set(wordsOf(text))].slice(0, 6);
    if (typed.length === 0) return [];
    // The word with the fewest names gives the candidates; every other word must begin a word of the same name.
    const ranges = typed.map((w) => {
      const [from, to] = this.range(w);
      let size = 0;
      for (let i = from; i < to; i++) size += this.postings[i]!.length;
      return { w, from, to, size };
    });
    ranges.sort((a, b) => a.size - b.size);
    const [first, ...rest] = ranges;
    if (!first || first.size === 0) return [];
    const whole = lowerName(text)
      .split(/[\s,;()]+/)
      .filter(Boolean)
      .join(' ');
    // Each other word is checked in the index (the set of its names) when it has not many more names
    // than the candidates, else in the candidates' own words: "Tsinghua U" reads Tsinghua's few names, not every "U…".
    const inIndex = rest.filter((r) => r.size <= 4 * first.size);
    const inNames = rest.filter((r) => r.size > 4 * first.size).map((r) => r.w);
    const others = inIndex.map((r) => {
      const ids = new Set<number>();
      for (let i = r.from; i < r.to; i++) for (const id of this.postings[i]!) ids.add(id);
      return ids;
    });
    const best = new Map<number, { rank: number; name: string }>();
    for (let i = first.from; i < first.to; i++) {
      for (const id of this.postings[i]!) {
        if (!others.every((ids) => ids.has(id))) continue;
        const n = this.names[id]!;
        if (inNames.length) {
          const own = wordsOf(n.text);
          if (!inNames.every((w) => own.some((x) => x.startsWith(w)))) continue;
        }
        // An exact name first, then a name beginning with the text; the shortest such name of an institution is the one shown.
        const rank = (n.lower === whole ? 0 : n.lower.startsWith(whole) ? 1 : 2) * 10000 + Math.min(n.text.length, 9999);
        const had = best.get(n.of);
        if (!had || rank < had.rank) best.set(n.of, { rank, name: n.text });
      }
    }
    return [...best]
      .map(([of, b]) => ({ i: this.institutions[of]!, tier: Math.floor(b.rank / 10000), matched: b.name }))
      .sort((a, b) => a.tier - b.tier || Number(b.i.active) - Number(a.i.active) || a.i.name.length - b.i.name.length || (a.i.name < b.i.name ? -1 : a.i.name > b.i.name ? 1 : 0))
      .slice(0, limit)
      .map(({ i, matched }) => ({ rorId: i.rorId, name: i.name, matched: matched === i.name ? null : matched, countryCode: i.countryCode, city: i.city }));
  }
}

// The index of each registry version read (a few: a process may serve more than one store).
const indexes = new Map<string, Promise<SuggestionIndex>>();

async function suggestionIndex(store: Store): Promise<SuggestionIndex> {
  const version = (await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'registry_version'`))?.value ?? '';
  let index = indexes.get(version);
  if (!index) {
    index = (async () => {
      const [institutions, names] = await Promise.all([
        store.all<{ ror_id: string; name: string; status: string; country_code: string | null; city: string | null }>('SELECT ror_id, name, status, country_code, city FROM institutions'),
        store.all<{ ror_id: string; name: string }>('SELECT ror_id, name FROM institution_names'),
      ]);
      return new SuggestionIndex(
        institutions.map((r) => ({ rorId: r.ror_id, name: r.name, active: r.status === 'active', countryCode: r.country_code, city: r.city })),
        names.map((r) => ({ rorId: r.ror_id, name: r.name })),
      );
    })();
    index.catch(() => indexes.delete(version));
    indexes.set(version, index);
    if (indexes.size > 4) indexes.delete(indexes.keys().next().value!);
  }
  return index;
}

/**
 * Registry institutions with a name (any of them: labels, aliases, acronyms) in which every word
 * typed begins a word, for a picker that suggests as one types: an exact name first, then names
 * that begin with the text, active ones before withdrawn, shorter before longer. A ROR id finds
 * its institution. Answered from an index of the names, built once per registry version.
 */
export async function suggestInstitutions(store: Store, text: string, limit = 8): Promise<InstitutionSuggestion[]> {
  const id = rorIdWritten(text);
  if (id) {
    const rows = await store.all<{ ror_id: string; name: string; country_code: string | null; city: string | null }>('SELECT ror_id, name, country_code, city FROM institutions WHERE ror_id = $1', [id]);
    return rows.map((r) => ({ rorId: r.ror_id, name: r.name, matched: null, countryCode: r.country_code, city: r.city }));
  }
  return (await suggestionIndex(store)).search(text, limit);
}
