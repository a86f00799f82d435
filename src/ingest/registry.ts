import { statSync } from 'node:fs';
import type { DuckDBAppender } from '@duckdb/node-api';
import { LIST, VARCHAR, listValue } from '../store/duckdb.ts';
import type { Store } from '../store/store.ts';
import { fileId as contentId } from './file-id.ts';
import type { Rejected } from './records.ts';
import { readRor, type Institution } from './ror.ts';

export interface RegistryReport {
  file: string;
  fileId: string;
  status: 'ingested' | 'already ingested';
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
  const done = await store.one<{ n: number }>('SELECT records_kept::DOUBLE AS n FROM input_files WHERE file_id = $1 AND finished_at IS NOT NULL', [id]);
  if (done) return { file: path, fileId: id, status: 'already ingested', institutions: done.n, quarantined: 0, rejected: [], seconds: 0 };
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
    await store.run(`INSERT OR REPLACE INTO meta VALUES ('registry_version', $1)`, [id.slice(0, 16)]);
  });
  return { file: path, fileId: id, status: 'ingested', institutions: institutions.length, quarantined: rejected.length, rejected, seconds: (performance.now() - started) / 1000 };
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
  a.endRow();
}

/**
 * The registry held in the store, one row per institution with its names, in ROR id order and each
 * record's names in the order it gave them: where two candidates tie, the resolver and the screener
 * keep the registry's order, so an unordered scan (a join, a parallel aggregate) would let a
 * verdict's evidence depend on how the store happened to read its rows.
 */
export const REGISTRY_ROWS = `SELECT i.*, n.names FROM institutions i
  LEFT JOIN (SELECT ror_id, list({'name': name, 'name_types': name_types, 'lang': lang} ORDER BY rowid) AS names FROM institution_names GROUP BY ror_id) n USING (ror_id)
  ORDER BY i.ror_id`;

export interface RegistryRow {
  ror_id: string;
  name: string;
  country_code: string | null;
  country_name: string | null;
  city: string | null;
  subdivision: string | null;
  status: Institution['status'];
  types: string[];
  parents: string[];
  children: string[];
  related: string[];
  successors: string[];
  established: number | null;
  names: { name: string; name_types: string[]; lang: string | null }[] | null;
}

export const institutionOf = (r: RegistryRow): Institution => ({
  id: r.ror_id,
  name: r.name,
  names: (r.names ?? []).map((n) => ({ value: n.name, types: n.name_types as Institution['names'][number]['types'], lang: n.lang })),
  countryCode: r.country_code,
  countryName: r.country_name,
  city: r.city,
  subdivision: r.subdivision,
  types: r.types,
  status: r.status,
  parents: r.parents,
  children: r.children,
  related: r.related,
  successors: r.successors,
  established: r.established,
});

/** Rebuilds the registry held in the store as Institution objects, for the resolver. */
export async function loadRegistry(store: Store): Promise<Institution[]> {
  return (await store.all<RegistryRow & Record<string, unknown>>(REGISTRY_ROWS)).map(institutionOf);
}

export interface InstitutionSuggestion {
  rorId: string;
  name: string;
  /** The registry name the text matched, when it is not the display name (an alias, an acronym, a name in Chinese). */
  matched: string | null;
  countryCode: string | null;
  city: string | null;
}

const ROR_ID = /^(?:https?:\/\/ror\.org\/)?(0[a-hj-km-np-tv-z0-9]{6}\d{2})$/i;

/**
 * Registry institutions whose names (any of them: labels, aliases, acronyms) contain every word
 * typed, for a picker that suggests as one types: an exact name first, then names that begin
 * with the text, active ones before withdrawn, shorter before longer. A ROR id finds its institution.
 */
export async function suggestInstitutions(store: Store, text: string, limit = 8): Promise<InstitutionSuggestion[]> {
  const id = ROR_ID.exec(text.trim())?.[1]?.toLowerCase();
  const words = text
    .toLowerCase()
    .split(/[\s,;()]+/)
    .filter(Boolean)
    .slice(0, 6);
  if (!id && words.length === 0) return [];
  const whole = words.join(' ');
  const rows = await store.all<{ ror_id: string; name: string; matched: string; country_code: string | null; city: string | null }>(
    id
      ? 'SELECT ror_id, name, name AS matched, country_code, city FROM institutions WHERE ror_id = $1'
      : `WITH named AS (SELECT ror_id, name FROM institution_names UNION SELECT ror_id, name FROM institutions),
         hits AS (
           SELECT ror_id, arg_min(name, rank * 10000 + length(name)) AS matched, min(rank) AS rank
           FROM (SELECT *, CASE WHEN lower(name) = $1 THEN 0 WHEN starts_with(lower(name), $1) THEN 1 ELSE 2 END AS rank FROM named) WHERE ${words.map((_, i) => `contains(lower(name), $${i + 3})`).join(' AND ')} GROUP BY ror_id)
         SELECT i.ror_id, i.name, h.matched, i.country_code, i.city FROM hits h JOIN institutions i USING (ror_id)
         ORDER BY h.rank, i.status = 'active' DESC, length(i.name), i.name LIMIT $2`,
    id ? [id] : [whole, limit, ...words],
  );
  return rows.map((r) => ({ rorId: r.ror_id, name: r.name, matched: r.matched === r.name ? null : r.matched, countryCode: r.country_code, city: r.city }));
}
