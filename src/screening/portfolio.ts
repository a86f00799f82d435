import { retractedWorks } from '../store/merges.ts';
import type { DuckDBValue } from '@duckdb/node-api';
import { listValue } from '../store/duckdb.ts';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Taxonomy } from '../fields/taxonomy.ts';
import { safeCsvField } from '../ingest/csv.ts';
import type { Store } from '../store/store.ts';
import { LEVELS, type Level, loadListCatalogue } from './lists.ts';

export const SENSITIVITY_FILE = fileURLToPath(new URL('../../data/screening/sensitivity.json', import.meta.url));

export interface Weights {
  level: Record<Level, number>;
  field: Map<string, { weight: number; why: string }>;
  defaultField: { weight: number; why: string };
  source: string;
}

/** Level weights from the list catalogue and field weights from the sensitivity file, checked against the taxonomy. */
export function loadWeights(taxonomy: Taxonomy, path = SENSITIVITY_FILE): Weights {
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  if (!doc.provenance?.source) throw new Error(`${path}: field sensitivity weights without provenance are refused`);
  const field = new Map<string, { weight: number; why: string }>();
  for (const [id, w] of Object.entries<{ weight: number; why: string }>(doc.fields ?? {})) {
    if (!taxonomy.fields.has(id)) throw new Error(`${path}: field ${JSON.stringify(id)} is not in the field taxonomy`);
    if (!(typeof w.weight === 'number' && w.weight > 0)) throw new Error(`${path}: field ${id}: weight must be a positive number`);
    field.set(id, w);
  }
  const catalogue = loadListCatalogue();
  const level = Object.fromEntries(LEVELS.map((l) => [l, catalogue.levels[l].weight])) as Record<Level, number>;
  return { level, field, defaultField: doc.default, source: `field weights in ${path.split('/').slice(-3).join('/')}, after Rec. (EU) 2023/2113` };
}

/**
 * Whose works: an institution (with rollUp its ROR children) in the shared base, a file of the
 * shared base, or an export an organisation uploaded (its own evidence, read from its tables).
 */
export type PortfolioScope = { institution: string; rollUp?: boolean } | { fileId: string; label: string } | { upload: { orgId: string; fileId: string }; label: string };

export interface FlaggedPartner {
  list: string;
  /** The list's title, as its publisher names it. */
  listName: string;
  entryId: string;
  entry: string;
  level: Level;
  match: string;
  inheritedVia: string | null;
  affiliation: string;
}

export interface FlaggedWork {
  workId: string;
  year: number | null;
  title: string | null;
  fields: string[];
  sensitivity: number;
  partners: FlaggedPartner[];
  homeAuthors: { name: string; department: string }[];
  /** A source of the shared base marks the work retracted (OpenAlex's is_retracted): it still counts (absent when none does). */
  retracted?: true;
}

export interface Ranked {
  name: string;
  volume: number;
  /** Mean field sensitivity of the flagged co-publications. */
  sensitivity: number;
  /** Weight of the highest risk level among the listed partners. */
  partnerRisk: number;
  partnerLevel: Level;
  weight: number;
  years: string;
}

export interface Portfolio {
  scope: string;
  works: number;
  flagged: FlaggedWork[];
  partners: Ranked[];
  researchers: Ranked[];
  departments: Ranked[];
  method: string;
}

export type FlagRow = {
  work_id: string;
  year: number | null;
  title: string | null;
  raw: string;
  list_id: string;
  list_name: string;
  entry_id: string;
  entry_name: string;
  level: Level;
  match: string;
  inherited_via: string | null;
};

/**
 * Where a scope's works are read: the shared analytics tables, or an organisation's upload
 * tables, narrowed to the organisation and the file ($1 and $2 in the statements below).
 */
interface WorkTables {
  scope: string;
  params: DuckDBValue[];
  works: string;
  affiliations: string;
  authorships: string;
  workFields: string;
  /** Joins a table of the set to the work's preferred record. */
  record: (alias: string, work: string) => string;
  /** Narrows a table of the set to the scope's tables (nothing for the shared base). */
  own: (alias: string) => string;
}

function tablesFor(scope: PortfolioScope): WorkTables {
  const record = (alias: string, work: string) => `${alias}.source = ${work}.source AND ${alias}.source_id = ${work}.source_id`;
  if ('upload' in scope) {
    const own = (alias: string) => `${alias}.scope = $1 AND ${alias}.file_id = $2`;
    return {
      scope: `SELECT work_id FROM upload_works w WHERE ${own('w')}`,
      params: [scope.upload.orgId, scope.upload.fileId],
      works: 'upload_works',
      affiliations: 'upload_affiliations',
      authorships: 'upload_authorships',
      workFields: 'upload_work_fields',
      record: (alias, work) => `${alias}.scope = $1 AND ${record(alias, work)}`,
      own,
    };
  }
  const shared = { works: 'works', affiliations: 'affiliations', authorships: 'authorships', workFields: 'work_fields', record, own: () => 'TRUE' };
  if ('fileId' in scope) return { ...shared, scope: `SELECT DISTINCT rw.work_id FROM records r JOIN record_works rw USING (source, source_id) WHERE r.file_id = $1`, params: [scope.fileId] };
  return {
    ...shared,
    scope: scope.rollUp ? `SELECT DISTINCT wi.work_id FROM work_institutions wi JOIN institution_rollup r USING (ror_id) WHERE r.top_id = $1 OR wi.ror_id = $1` : `SELECT DISTINCT work_id FROM work_institutions WHERE ror_id = $1`,
    params: [scope.institution],
  };
}

/** What a portfolio is built from, as one evidence store answers it. */
export interface PortfolioRows {
  /** The scope's works. */
  works: number;
  /** Each listed affiliation of the scope's works with its hit, ordered by year, work, affiliation, list, entry. */
  flags: FlagRow[];
  /** The field ids of each flagged work, in order. */
  fields: Map<string, string[]>;
  /** The home authors of each flagged work and the affiliation they wrote, in order. */
  homeAuthors: Map<string, { name: string; raw: string }[]>;
}

/**
 * Every co-publication of the scope with a listed entity. The scope is an institution (and with
 * rollUp its ROR children), the works of one file of the shared base, or those of an export an
 * organisation uploaded. A home author's own affiliation is never their partner: an
 * affiliation that names the home institution is not flagged.
 */
export async function portfolio(store: Store, scope: PortfolioScope, weights: Weights): Promise<Portfolio> {
  return flagRetracted(store, portfolioOf(await portfolioRows(store, scope), scope, weights));
}

/** The portfolio with its retracted works flagged, from the embedded store's shared base whichever store counted them. */
export async function flagRetracted(store: Store, p: Portfolio): Promise<Portfolio> {
  const retracted = await retractedWorks(store, [...new Set(p.flagged.map((w) => w.workId))]);
  return retracted.size === 0 ? p : { ...p, flagged: p.flagged.map((w) => (retracted.has(w.workId) ? { ...w, retracted: true as const } : w)) };
}

async function portfolioRows(store: Store, scope: PortfolioScope): Promise<PortfolioRows> {
  const t = tablesFor(scope);
  const homeIds = 'institution' in scope ? (scope.rollUp ? `SELECT ror_id FROM institution_rollup WHERE top_id = $1 OR ror_id = $1` : `SELECT $1::VARCHAR AS ror_id`) : null;
  const base = (scopeSql: string) => `
    WITH scope AS (${scopeSql}),
    aff AS (
      SELECT w.work_id, w.year, w.title, a.author_seq, a.aff_seq, a.raw
      FROM ${t.works} w JOIN scope USING (work_id) JOIN ${t.affiliations} a ON ${t.record('a', 'w')}
      WHERE ${t.own('w')}
    )${
      homeIds
        ? `,
    home AS (
      SELECT DISTINCT wa.work_id, wa.author_seq, wa.aff_seq FROM work_affiliations wa JOIN scope USING (work_id)
      WHERE wa.ror_id IN (${homeIds})
    )`
        : ''
    }`;
  const flags = await store.all<FlagRow>(
    `${base(t.scope)}
    SELECT aff.work_id, aff.year, aff.title, aff.raw, h.list_id, coalesce(l.title, h.list_id) AS list_name, h.entry_id, h.entry_name, h.level, h.match, h.inherited_via
    FROM aff JOIN screen_hits h ON h.raw = aff.raw LEFT JOIN risk_lists l ON l.list_id = h.list_id
    ${homeIds ? 'WHERE NOT EXISTS (SELECT 1 FROM home WHERE home.work_id = aff.work_id AND home.author_seq = aff.author_seq AND home.aff_seq = aff.aff_seq)' : ''}
    ORDER BY ${FLAG_ORDER}`,
    t.params,
  );
  const total = await store.one<{ n: bigint }>(`WITH scope AS (${t.scope}) SELECT count(*) AS n FROM scope`, t.params);
  const flaggedIds = [...new Set(flags.map((f) => f.work_id))];
  const fields = new Map<string, string[]>();
  const homeAuthors = new Map<string, { name: string; raw: string }[]>();
  if (flaggedIds.length > 0) {
    await store.run('CREATE OR REPLACE TEMP TABLE portfolio_works AS SELECT unnest($1::VARCHAR[]) AS work_id', [listValue(flaggedIds)]);
    for (const r of await store.all<{ work_id: string; field_id: string }>(`SELECT work_id, field_id FROM ${t.workFields} f JOIN portfolio_works USING (work_id) WHERE ${t.own('f')} ORDER BY work_id, field_id`, 'upload' in scope ? t.params : [])) {
      fields.set(r.work_id, [...(fields.get(r.work_id) ?? []), r.field_id]);
    }
    const flaggedScope = `SELECT work_id FROM portfolio_works INTERSECT ${t.scope}`;
    const authorsSql = `${base(flaggedScope)}
      SELECT DISTINCT aff.work_id, coalesce(au.author_name, 'author ' || aff.author_seq) AS name, aff.raw
      FROM aff ${homeIds ? 'JOIN home USING (work_id, author_seq, aff_seq)' : ''}
      JOIN ${t.works} w ON w.work_id = aff.work_id AND ${t.own('w')}
      LEFT JOIN ${t.authorships} au ON ${t.record('au', 'w')} AND au.author_seq = aff.author_seq
      ${homeIds ? '' : 'WHERE NOT EXISTS (SELECT 1 FROM screen_hits h WHERE h.raw = aff.raw)'}
      ORDER BY ${AUTHOR_ORDER}`;
    for (const r of await store.all<{ work_id: string; name: string; raw: string }>(authorsSql, t.params)) {
      homeAuthors.set(r.work_id, [...(homeAuthors.get(r.work_id) ?? []), { name: r.name, raw: r.raw }]);
    }
  }
  return { works: Number(total?.n ?? 0), flags, fields, homeAuthors };
}

/** The order of the flags and home authors, the same on every store (strings compared byte by byte on both engines) so that a portfolio reads the same wherever it is computed. */
export const FLAG_ORDER = 'year, work_id, raw, list_id, entry_id, match, inherited_via';
export const AUTHOR_ORDER = 'work_id, name, raw';

/** The portfolio of a scope from the rows an evidence store answered. */
export function portfolioOf(rows: PortfolioRows, scope: PortfolioScope, weights: Weights): Portfolio {
  const byWork = new Map<string, FlaggedWork>();
  for (const f of rows.flags) {
    let work = byWork.get(f.work_id);
    if (!work) {
      const workFields = rows.fields.get(f.work_id) ?? [];
      work = {
        workId: f.work_id,
        year: f.year,
        title: f.title,
        fields: workFields,
        sensitivity: Math.max(weights.defaultField.weight, ...workFields.map((id) => weights.field.get(id)?.weight ?? weights.defaultField.weight)),
        partners: [],
        homeAuthors: (rows.homeAuthors.get(f.work_id) ?? []).map((a) => ({ name: a.name, department: departmentOf(a.raw) })),
      };
      byWork.set(f.work_id, work);
    }
    if (!work.partners.some((p) => p.list === f.list_id && p.entryId === f.entry_id && p.affiliation === f.raw)) {
      work.partners.push({ list: f.list_id, listName: f.list_name, entryId: f.entry_id, entry: f.entry_name, level: f.level, match: f.match, inheritedVia: f.inherited_via, affiliation: f.raw });
    }
  }
  const flagged = [...byWork.values()];
  const label = 'institution' in scope ? `institution ${scope.institution}${scope.rollUp ? ' with its ROR children' : ''}` : scope.label;
  return {
    scope: label,
    works: rows.works,
    flagged,
    partners: rank(flagged, weights, (w) => w.partners.map((p) => ({ key: p.entry, level: p.level }))),
    researchers: rank(flagged, weights, (w) => w.homeAuthors.map((a) => ({ key: a.name, level: highest(w) }))),
    departments: rank(flagged, weights, (w) => w.homeAuthors.map((a) => ({ key: a.department, level: highest(w) }))),
    method: `weight = volume (flagged co-publications) × sensitivity (mean over them of the highest field weight of each work; ${weights.source}) × partner risk (weight of the highest list level: ${LEVELS.map((l) => `${l} ${weights.level[l]}`).join(', ')})`,
  };
}

const highest = (w: FlaggedWork): Level => LEVELS.find((l) => w.partners.some((p) => p.level === l)) ?? 'low';

/** The first part of an affiliation, where authors write their department ("School of Informatics, …"). */
function departmentOf(raw: string): string {
  const first = raw.split(/[,;]/)[0]!.trim();
  return raw.includes(',') && /(school|department|dept|faculty|institute|inst|centre|center|lab|group|division|college)\b/i.test(first) ? first : '(department not named)';
}

function rank(works: FlaggedWork[], weights: Weights, keysOf: (w: FlaggedWork) => { key: string; level: Level }[]): Ranked[] {
  const acc = new Map<string, { works: FlaggedWork[]; level: Level }>();
  for (const w of works) {
    const seen = new Set<string>();
    for (const { key, level } of keysOf(w)) {
      const a = acc.get(key) ?? { works: [], level };
      if (!seen.has(key)) a.works.push(w);
      seen.add(key);
      if (LEVELS.indexOf(level) < LEVELS.indexOf(a.level)) a.level = level;
      acc.set(key, a);
    }
  }
  return [...acc.entries()]
    .map(([name, a]) => {
      const volume = a.works.length;
      const sensitivity = a.works.reduce((s, w) => s + w.sensitivity, 0) / volume;
      const partnerRisk = weights.level[a.level];
      const years = a.works.map((w) => w.year).filter((y): y is number => y !== null);
      return {
        name,
        volume,
        sensitivity: Number(sensitivity.toFixed(3)),
        partnerRisk,
        partnerLevel: a.level,
        weight: Number((volume * sensitivity * partnerRisk).toFixed(3)),
        years: years.length ? `${Math.min(...years)}–${Math.max(...years)}` : '',
      };
    })
    .sort((x, y) => y.weight - x.weight || x.name.localeCompare(y.name));
}

/** Every flagged co-publication, one row per listed partner, for a spreadsheet. */
export function portfolioCsv(p: Portfolio): string {
  const rows = p.flagged.flatMap((w) =>
    w.partners.map((x) => ({
      work_id: w.workId,
      year: w.year,
      title: w.title,
      fields: w.fields.join(';'),
      sensitivity: w.sensitivity,
      list: x.list,
      entry: x.entry,
      level: x.level,
      match: x.match,
      inherited_via: x.inheritedVia,
      partner_affiliation: x.affiliation,
      home_authors: w.homeAuthors.map((a) => a.name).join(';'),
    })),
  );
  const columns = ['work_id', 'year', 'title', 'fields', 'sensitivity', 'list', 'entry', 'level', 'match', 'inherited_via', 'partner_affiliation', 'home_authors'] as const;
  return [columns.join(','), ...rows.map((r) => columns.map((c) => safeCsvField(r[c] ?? '')).join(','))].join('\n') + '\n';
}
