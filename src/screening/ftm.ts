import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hasCjk } from '../resolve/normalize.ts';
import { readTextFile } from '../text-file.ts';
import { LEVELS, ListError, splitBracketed, type EntryName, type Level, type Provenance, type RiskEntry, type RiskList } from './lists.ts';

/** What a FtM file does not say about itself: the list's name, who publishes it, on what terms, and what a listing in it means. */
export interface FtmListMeta {
  id: string;
  title: string;
  publisher: string;
  licence: string;
  source_url: string;
  retrieved: string;
  level: Level;
}

export const FTM_META_OPTIONS = ['title', 'publisher', 'licence', 'source-url', 'retrieved', 'level'] as const;

/** A line of the file that was not taken, with why. */
export interface SetAsideLine {
  line: number;
  reason: string;
  excerpt: string;
}

export interface FtmRead {
  list: RiskList;
  setAside: SetAsideLine[];
  /** Entities of other schemata (people, addresses, ownerships…), counted per schema: derisk screens organisations. */
  leftOut: Record<string, number>;
}

/** The FtM schemata of organisations (LegalEntity and those extending it that are not people). */
const ORGANISATION_SCHEMATA = new Set(['LegalEntity', 'Organization', 'Company', 'PublicBody']);
/** Those that say the entity is an organisation: a LegalEntity may be a company or a person. */
const ORGANISATION_ONLY = new Set(['Organization', 'Company', 'PublicBody']);
/** How a file is read, in its list's version: a file read anew (the entries' types) is stored anew. */
const FTM_READER = '2026.12.01-scr10-ops46';
/** Schemata read for what they say about an organisation rather than as an entry. */
const SANCTION = 'Sanction';

/** Checks the options that stand in for the list metadata a FtM file lacks; every missing one is named. */
export function ftmListMeta(values: Partial<Record<(typeof FTM_META_OPTIONS)[number] | 'id', string | undefined>>): FtmListMeta {
  const missing = FTM_META_OPTIONS.filter((k) => typeof values[k] !== 'string' || values[k]!.trim() === '');
  if (missing.length) throw new ListError(`a FollowTheMoney file does not say what list it is: give ${missing.map((m) => `--${m}`).join(', ')}`);
  const level = values.level!;
  if (!(LEVELS as readonly string[]).includes(level)) throw new ListError(`--level ${JSON.stringify(level)} is not one of ${LEVELS.join(', ')}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(values.retrieved!)) throw new ListError(`--retrieved must be a date (YYYY-MM-DD), got ${JSON.stringify(values.retrieved)}`);
  if (!/^https?:\/\/\S+$/.test(values['source-url']!)) throw new ListError(`--source-url must be an http(s) address, got ${JSON.stringify(values['source-url'])}`);
  const id = values.id ?? slugOf(values.title!);
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(id)) throw new ListError(`list id ${JSON.stringify(id)} must be lower-case letters, digits and dashes (give --id)`);
  return { id, title: values.title!.trim(), publisher: values.publisher!.trim(), licence: values.licence!.trim(), source_url: values['source-url']!, retrieved: values.retrieved!, level: level as Level };
}

const slugOf = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 63);

// Made when a FtM file is read, not when the module loads: ICU's region names take a while to load, and `derisk screen` loads this module.
let countryNames: Intl.DisplayNames | undefined;

/** FtM writes ISO codes in lower case ("cn"); derisk's lists and screener read country names. */
function countryOf(codes: string[]): string | null {
  for (const c of codes) {
    const name = /^[a-z]{2}$/i.test(c) ? (countryNames ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' })).of(c.toUpperCase()) : undefined;
    if (name) return name;
  }
  return null;
}

function strings(properties: Record<string, unknown>, key: string): string[] {
  const v = properties[key];
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim()) : [];
}

// FollowTheMoney's own rule for an entity id (followthemoney.types.EntityType.ID_RE): what other
// tools reading the list (yente, Aleph, nomenklatura) would refuse is set aside here too.
const ENTITY_ID = /^[0-9a-zA-Z]([0-9a-zA-Z.-]*[0-9a-zA-Z])?$/;

/** Why an entity line cannot be taken, or null when it can. */
function problemOf(e: unknown): string | null {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) return 'not a JSON object';
  const o = e as Record<string, unknown>;
  if (!('id' in o) || o.id === null) return 'no "id"';
  if (typeof o.id !== 'string') return `"id" is ${Array.isArray(o.id) ? 'a list' : `a ${typeof o.id}`} (${JSON.stringify(o.id).slice(0, 40)}), not a string`;
  if (o.id.trim() === '') return '"id" is empty';
  if (!ENTITY_ID.test(o.id)) return `"id" ${JSON.stringify(o.id.length > 60 ? `${o.id.slice(0, 60)}…` : o.id)} is not a FollowTheMoney entity id (letters, digits, dots and dashes, beginning and ending with a letter or digit)`;
  if (typeof o.schema !== 'string' || o.schema === '') return 'no "schema"';
  if (typeof o.properties !== 'object' || o.properties === null || Array.isArray(o.properties)) return 'no "properties" object';
  for (const [k, v] of Object.entries(o.properties)) {
    if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) return `property "${k}" is not a list of strings`;
  }
  return null;
}

/**
 * A JSON Lines file of FollowTheMoney entities (OpenSanctions' `entities.ftm.json`) as a risk
 * list: each organisation an entry (its names and aliases screened, its country and topics
 * kept), a `Sanction` naming it giving the reason and source. A line that cannot be read is set
 * aside with its number and reason; the others are loaded. A file with no organisation at all
 * is refused.
 */
export function readFtmList(file: string, meta: FtmListMeta): FtmRead {
  const text = readTextFile(file, (m) => new ListError(m));
  const setAside: SetAsideLine[] = [];
  const leftOut: Record<string, number> = {};
  const organisations: { id: string; schema: string; properties: Record<string, unknown> }[] = [];
  const sanctions = new Map<string, Record<string, unknown>[]>();
  const firstLine = new Map<string, number>();
  const datasets = new Set<string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '') return;
    const excerpt = raw.length > 120 ? `${raw.slice(0, 120)}…` : raw;
    let entity: unknown;
    try {
      entity = JSON.parse(raw);
    } catch (e) {
      setAside.push({ line, reason: `not valid JSON (${(e as Error).message})`, excerpt });
      return;
    }
    const problem = problemOf(entity);
    if (problem) {
      setAside.push({ line, reason: problem, excerpt });
      return;
    }
    const e = entity as { id: string; schema: string; properties: Record<string, unknown>; datasets?: unknown };
    const seen = firstLine.get(e.id);
    if (seen !== undefined) {
      setAside.push({ line, reason: `id ${e.id} already on line ${seen}`, excerpt });
      return;
    }
    firstLine.set(e.id, line);
    if (e.schema === SANCTION) {
      for (const target of strings(e.properties, 'entity')) sanctions.set(target, [...(sanctions.get(target) ?? []), e.properties]);
      return;
    }
    if (!ORGANISATION_SCHEMATA.has(e.schema)) {
      leftOut[e.schema] = (leftOut[e.schema] ?? 0) + 1;
      return;
    }
    if (strings(e.properties, 'name').length === 0) {
      setAside.push({ line, reason: `${e.schema} ${e.id} has no name`, excerpt });
      return;
    }
    for (const d of Array.isArray(e.datasets) ? e.datasets : []) if (typeof d === 'string') datasets.add(d);
    organisations.push({ id: e.id, schema: e.schema, properties: e.properties });
  });
  if (organisations.length === 0) {
    throw new ListError(`${file}: no organisation to load (entities of schema ${[...ORGANISATION_SCHEMATA].join(', ')} with a name)${setAside.length ? `; ${setAside.length} lines set aside, the first: line ${setAside[0]!.line}: ${setAside[0]!.reason}` : ''}`);
  }
  const entries = organisations.map(({ id, schema, properties }): RiskEntry => {
    const [primary, ...otherNames] = strings(properties, 'name');
    const names: EntryName[] = splitBracketed(primary!);
    for (const value of [...otherNames, ...strings(properties, 'alias'), ...strings(properties, 'previousName')]) {
      for (const n of splitBracketed(value)) names.push({ value: n.value, kind: hasCjk(n.value) ? 'chinese' : 'alias' });
    }
    const seen = new Set<string>();
    const unique = names.filter((n) => !seen.has(n.value.toLowerCase()) && (seen.add(n.value.toLowerCase()), true));
    const listed = sanctions.get(id) ?? [];
    const reasons = [...new Set(listed.flatMap((s) => strings(s, 'reason')))];
    const notes = [...strings(properties, 'notes'), ...strings(properties, 'summary'), ...strings(properties, 'description')];
    const url = [...strings(properties, 'sourceUrl'), ...listed.flatMap((s) => strings(s, 'sourceUrl'))].find((u) => /^https?:\/\//.test(u)) ?? null;
    return {
      id,
      name: unique[0]!.value,
      names: unique,
      country: countryOf([...strings(properties, 'country'), ...strings(properties, 'jurisdiction'), ...strings(properties, 'mainCountry')]),
      category: strings(properties, 'classification')[0] ?? strings(properties, 'sector')[0] ?? null,
      level: meta.level,
      sourceText: [...reasons, ...notes].join(' — ') || null,
      url,
      rorIds: [],
      parentEntry: null,
      topics: strings(properties, 'topics'),
      ...(ORGANISATION_ONLY.has(schema) ? { type: 'organisation' as const } : {}),
    };
  });
  const provenance: Provenance = {
    title: meta.title,
    publisher: meta.publisher,
    source_url: meta.source_url,
    retrieved: meta.retrieved,
    licence: meta.licence,
    format: 'FollowTheMoney JSON Lines',
    ...(datasets.size ? { datasets: [...datasets].sort() } : {}),
    ...(setAside.length ? { lines_set_aside: setAside.length } : {}),
  };
  const version = createHash('sha256').update(`${FTM_READER}\u0000`).update(readFileSync(file)).update(JSON.stringify(meta)).digest('hex').slice(0, 16);
  return { list: { id: meta.id, provenance, version, file, levelRationale: `every entry given level ${meta.level} when loaded (--level)`, entries }, setAside, leftOut };
}
