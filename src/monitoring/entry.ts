import type { Vocabulary } from './vocabulary.ts';
import { ValidationError } from '../errors.ts';
import { canonicalJson } from '../canonical-json.ts';
import { sha256Hex } from '../sha256.ts';

/** A date as precise as the source gives it: a year, a month or a day. */
export type PartialDate = string;

export interface EntryTitle {
  en: string;
  /** The official title in the original language, when a source gives it. */
  original: string | null;
  lang: string | null;
  short?: string;
}

export interface StatusEvent {
  status: string;
  date: PartialDate | null;
  note?: string;
}

export interface Citation {
  title: string;
  url: string | null;
  accessed: PartialDate | null;
  note?: string;
}

/**
 * Where an entry's facts come from. A source names the text it quotes — a seed document
 * (`seed`), a file in the data mirror (`mirror`), a file of derisk's own data (`derisk`), an
 * issue of the project (`issue`) or a web page (`url`) — and the sources that text cites.
 */
export interface Source {
  seed?: string;
  mirror?: string;
  derisk?: string;
  issue?: number;
  title?: string;
  url?: string | null;
  where?: string;
  quote?: string;
  cites?: Citation[];
  retrieved?: PartialDate | null;
  /** sha256:<hex> of the text, where derisk holds it. */
  checksum?: string | null;
}

export interface Article {
  number: number;
  title: string;
  chapter: string;
  section?: string;
  applies_from: PartialDate;
  note?: string;
}

export interface ApplicationDate {
  date: PartialDate;
  scope: string;
}

export interface EntryDoc {
  id: string;
  title: EntryTitle;
  authority: string | null;
  jurisdiction: string;
  type: string;
  /** The last status of the history. */
  status: string;
  status_history: StatusEvent[];
  dates: { issued?: PartialDate | null; published?: PartialDate | null; effective?: PartialDate | null };
  summary: string;
  /** Who the entry binds, for briefing researchers on a partner's rules. */
  binds?: string;
  clause?: string;
  topics: string[];
  /** Ids of rulebook criteria that rest on this entry. */
  criteria: string[];
  sources: Source[];
  /** Fields left unknown, each with the reason ("dates.effective: the seeds give no date"). */
  unknown: string[];
  notes?: string[];
  /** The official text derisk reads articles and dates from. */
  text?: { mirror: string; format: 'formex'; url: string; retrieved?: PartialDate | null };
  articles?: Article[];
  application?: ApplicationDate[];
}

export class EntryError extends ValidationError {}

export const ENTRY_ID = /^[a-z0-9][a-z0-9-]{2,80}$/;
const CRITERION_ID = /^[A-Z][A-Z0-9-]*$/;
const DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;
const MAX_TEXT = 8000;

export function isPartialDate(s: unknown): s is PartialDate {
  const m = typeof s === 'string' ? DATE.exec(s) : null;
  if (!m) return false;
  const [, y, mo, d] = m;
  if (mo === undefined) return true;
  if (Number(mo) < 1 || Number(mo) > 12) return false;
  if (d === undefined) return true;
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)));
  return day.getUTCDate() === Number(d);
}

/** The first and last day a partial date may mean: "2017" is 2017-01-01 … 2017-12-31. */
export function dateRange(d: PartialDate): [string, string] {
  if (d.length === 10) return [d, d];
  if (d.length === 7) {
    const [y, m] = d.split('-').map(Number);
    const last = new Date(Date.UTC(y!, m!, 0)).getUTCDate();
    return [`${d}-01`, `${d}-${String(last).padStart(2, '0')}`];
  }
  return [`${d}-01-01`, `${d}-12-31`];
}

type Json = Record<string, unknown>;

/**
 * Checks an entry as a whole and returns it in normal form; the first problem refuses it,
 * naming the field. `criteria` is the set of rulebook criterion ids a link may name (null: not
 * checked here). A field left null must be explained in `unknown`: the knowledge base says
 * what it does not know rather than guess.
 */
export function parseEntry(input: unknown, vocabulary: Vocabulary, criteria: Set<string> | null, where = 'entry'): EntryDoc {
  const fail = (path: string, problem: string): never => {
    throw new EntryError(`${where}: ${path}: ${problem}`);
  };
  const object = (v: unknown, path: string, allowed: string[]): Json => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
    for (const k of Object.keys(v as Json)) if (!allowed.includes(k)) fail(path === '' ? k : `${path}.${k}`, `unknown field (known: ${allowed.join(', ')})`);
    return v as Json;
  };
  const text = (v: unknown, path: string, max = MAX_TEXT): string => {
    if (typeof v !== 'string' || v.trim() === '') fail(path, 'expected a non-empty text');
    const s = v as string;
    if (s.length > max) fail(path, `longer than ${max} characters`);
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(s)) fail(path, 'contains control characters');
    return s;
  };
  const optionalText = (v: unknown, path: string, max = MAX_TEXT): string | null => (v === null ? null : text(v, path, max));
  const date = (v: unknown, path: string): PartialDate | null => {
    if (v === null) return null;
    if (!isPartialDate(v)) fail(path, `${JSON.stringify(v)} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)`);
    return v as string;
  };
  const list = (v: unknown, path: string): unknown[] => {
    if (!Array.isArray(v)) fail(path, 'expected a list');
    return v as unknown[];
  };
  const url = (v: unknown, path: string): string | null => {
    if (v === null) return null;
    const s = text(v, path, 2000);
    let parsed: URL | null = null;
    try {
      parsed = new URL(s);
    } catch {
      // reported below
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) fail(path, `${JSON.stringify(s)} is not an http(s) address`);
    return s;
  };

  const doc = object(input, '', ['id', 'title', 'authority', 'jurisdiction', 'type', 'status', 'status_history', 'dates', 'summary', 'binds', 'clause', 'topics', 'criteria', 'sources', 'unknown', 'notes', 'text', 'articles', 'application']);
  if (typeof doc.id !== 'string' || !ENTRY_ID.test(doc.id)) fail('id', 'lower-case letters, digits and dashes, 3 to 81 characters');
  const id = doc.id as string;

  const t = object(doc.title, 'title', ['en', 'original', 'lang', 'short']);
  const title: EntryTitle = { en: text(t.en, 'title.en', 500), original: optionalText(t.original ?? null, 'title.original', 500), lang: t.lang === undefined || t.lang === null ? null : text(t.lang, 'title.lang', 10) };
  if (title.lang !== null && !vocabulary.languages.has(title.lang)) fail('title.lang', `${JSON.stringify(title.lang)} is not one of ${[...vocabulary.languages.keys()].join(', ')}`);
  if (title.original !== null && title.lang === null) fail('title.lang', 'says which language the original title is in');
  if (t.short !== undefined) title.short = text(t.short, 'title.short', 100);

  if (!('authority' in doc)) fail('authority', 'missing (null when unknown, explained in unknown)');
  const authority = optionalText(doc.authority, 'authority', 500);
  const jurisdiction = text(doc.jurisdiction, 'jurisdiction', 10);
  if (!vocabulary.jurisdictions.has(jurisdiction)) fail('jurisdiction', `${JSON.stringify(jurisdiction)} is not one of ${[...vocabulary.jurisdictions.keys()].join(', ')}`);
  const type = text(doc.type, 'type', 40);
  if (!vocabulary.types.has(type)) fail('type', `${JSON.stringify(type)} is not one of ${[...vocabulary.types.keys()].join(', ')}`);

  const history = list(doc.status_history, 'status_history').map((e, i): StatusEvent => {
    const path = `status_history[${i}]`;
    const o = object(e, path, ['status', 'date', 'note']);
    const status = text(o.status, `${path}.status`, 40);
    if (!vocabulary.statuses.has(status)) fail(`${path}.status`, `${JSON.stringify(status)} is not one of ${[...vocabulary.statuses.keys()].join(', ')}`);
    if (!('date' in o)) fail(`${path}.date`, 'missing (null when unknown)');
    const event: StatusEvent = { status, date: date(o.date, `${path}.date`) };
    if (o.note !== undefined) event.note = text(o.note, `${path}.note`, 1000);
    return event;
  });
  if (history.length === 0) fail('status_history', 'needs at least one status');
  let previous: string | null = null;
  for (const [i, e] of history.entries()) {
    if (e.date === null) continue;
    if (previous !== null && dateRange(e.date)[1] < dateRange(previous)[0]) fail(`status_history[${i}].date`, `${e.date} comes before ${previous}: list the history in order`);
    previous = e.date;
  }
  const status = history[history.length - 1]!.status;
  if (doc.status !== undefined && doc.status !== status) fail('status', `says ${JSON.stringify(doc.status)} but the last status in status_history is ${JSON.stringify(status)}`);

  const d = object(doc.dates ?? fail('dates', 'missing'), 'dates', ['issued', 'published', 'effective']);
  const dates: EntryDoc['dates'] = {};
  for (const k of ['issued', 'published', 'effective'] as const) if (k in d) dates[k] = date(d[k], `dates.${k}`);
  if (vocabulary.types.get(type)!.takes_effect && !('effective' in dates)) fail('dates.effective', `a ${type} takes effect: give the date, or null and say why in unknown`);

  const summary = text(doc.summary, 'summary');
  const topics = list(doc.topics, 'topics').map((x, i) => text(x, `topics[${i}]`, 60));
  if (topics.length === 0) fail('topics', 'needs at least one topic');
  for (const [i, x] of topics.entries()) {
    if (!vocabulary.topics.has(x)) fail(`topics[${i}]`, `${JSON.stringify(x)} is not a topic (see data/policy/topics.json)`);
    if (topics.indexOf(x) !== i) fail(`topics[${i}]`, `${x} is listed twice`);
  }
  const links = list(doc.criteria ?? [], 'criteria').map((x, i) => {
    if (typeof x !== 'string' || !CRITERION_ID.test(x)) fail(`criteria[${i}]`, 'a criterion id: upper-case letters, digits and dashes');
    return x as string;
  });
  for (const [i, x] of links.entries()) {
    if (links.indexOf(x) !== i) fail(`criteria[${i}]`, `${x} is listed twice`);
    if (criteria && !criteria.has(x)) fail(`criteria[${i}]`, `${x} is not a criterion of the rulebook`);
  }

  const sources = list(doc.sources, 'sources').map((s, i): Source => {
    const path = `sources[${i}]`;
    const o = object(s, path, ['seed', 'mirror', 'derisk', 'issue', 'title', 'url', 'where', 'quote', 'cites', 'retrieved', 'checksum']);
    const out: Source = {};
    if (o.seed !== undefined) out.seed = text(o.seed, `${path}.seed`, 100);
    if (o.mirror !== undefined) out.mirror = text(o.mirror, `${path}.mirror`, 300);
    if (o.derisk !== undefined) out.derisk = text(o.derisk, `${path}.derisk`, 300);
    if (o.issue !== undefined) {
      if (!Number.isInteger(o.issue) || (o.issue as number) < 1) fail(`${path}.issue`, 'an issue number');
      out.issue = o.issue as number;
    }
    if (o.title !== undefined) out.title = text(o.title, `${path}.title`, 1000);
    if (o.url !== undefined) out.url = url(o.url, `${path}.url`);
    if (o.where !== undefined) out.where = text(o.where, `${path}.where`, 500);
    if (o.quote !== undefined) out.quote = text(o.quote, `${path}.quote`, 3000);
    if (o.retrieved !== undefined) out.retrieved = date(o.retrieved, `${path}.retrieved`);
    if (o.checksum !== undefined && o.checksum !== null && !/^sha256:[0-9a-f]{64}$/.test(String(o.checksum))) fail(`${path}.checksum`, 'sha256:<64 hex digits>');
    if (o.checksum !== undefined) out.checksum = o.checksum as string | null;
    if (o.cites !== undefined) {
      out.cites = list(o.cites, `${path}.cites`).map((c, j) => {
        const cp = `${path}.cites[${j}]`;
        const co = object(c, cp, ['title', 'url', 'accessed', 'note']);
        const cite: Citation = { title: text(co.title, `${cp}.title`, 1000), url: co.url === undefined ? null : url(co.url, `${cp}.url`), accessed: co.accessed === undefined ? null : date(co.accessed, `${cp}.accessed`) };
        if (co.note !== undefined) cite.note = text(co.note, `${cp}.note`, 1000);
        return cite;
      });
    }
    if (!out.seed && !out.mirror && !out.derisk && out.issue === undefined && !out.url) fail(path, 'names no text: give seed, mirror, derisk, issue or url');
    return out;
  });
  if (sources.length === 0) fail('sources', 'needs at least one source');

  const unknown = list(doc.unknown ?? [], 'unknown').map((x, i) => text(x, `unknown[${i}]`, 1000));
  const explained = (field: string) => unknown.some((u) => u === field || u.startsWith(`${field}:`) || u.startsWith(`${field} `));
  const mustExplain: [boolean, string][] = [[title.original === null, 'title.original'], [authority === null, 'authority'], ...(['issued', 'published', 'effective'] as const).map((k): [boolean, string] => [dates[k] === null, `dates.${k}`]), [history.some((e) => e.date === null), 'status_history']];
  for (const [missing, field] of mustExplain) if (missing && !explained(field)) fail(field, `is unknown: say why in unknown ("${field}: …")`);

  const entry: EntryDoc = { id, title, authority, jurisdiction, type, status, status_history: history, dates, summary, topics, criteria: links, sources, unknown };
  if (doc.binds !== undefined) entry.binds = text(doc.binds, 'binds', 500);
  if (doc.clause !== undefined) entry.clause = text(doc.clause, 'clause', 200);
  if (doc.notes !== undefined) entry.notes = list(doc.notes, 'notes').map((x, i) => text(x, `notes[${i}]`, 2000));
  if (doc.text !== undefined) {
    const o = object(doc.text, 'text', ['mirror', 'format', 'url', 'retrieved']);
    if (o.format !== 'formex') fail('text.format', 'only "formex" (Official Journal XML) is read');
    entry.text = { mirror: text(o.mirror, 'text.mirror', 300), format: 'formex', url: url(o.url, 'text.url') ?? fail('text.url', 'missing') };
    if (o.retrieved !== undefined) entry.text.retrieved = date(o.retrieved, 'text.retrieved');
  }
  if (doc.articles !== undefined) {
    entry.articles = list(doc.articles, 'articles').map((a, i) => {
      const o = object(a, `articles[${i}]`, ['number', 'title', 'chapter', 'section', 'applies_from', 'note']);
      if (!Number.isInteger(o.number)) fail(`articles[${i}].number`, 'a whole number');
      const article: Article = { number: o.number as number, title: text(o.title, `articles[${i}].title`, 500), chapter: text(o.chapter, `articles[${i}].chapter`, 200), applies_from: date(o.applies_from, `articles[${i}].applies_from`) ?? fail(`articles[${i}].applies_from`, 'missing') };
      if (o.section !== undefined) article.section = text(o.section, `articles[${i}].section`, 200);
      if (o.note !== undefined) article.note = text(o.note, `articles[${i}].note`, 500);
      return article;
    });
  }
  if (doc.application !== undefined) {
    entry.application = list(doc.application, 'application').map((a, i) => {
      const o = object(a, `application[${i}]`, ['date', 'scope']);
      return { date: date(o.date, `application[${i}].date`) ?? fail(`application[${i}].date`, 'missing'), scope: text(o.scope, `application[${i}].scope`, 1000) };
    });
  }
  if (JSON.stringify(entry).length > 400_000) fail('', 'the entry is larger than 400 kB');
  return entry;
}

export const entryHash = (doc: EntryDoc): string => sha256Hex(canonicalJson(doc));

/** The entry's title as a line: English title, clause and the year it was issued when known. */
export function entryLabel(doc: EntryDoc): string {
  const year = doc.dates.issued?.slice(0, 4);
  return `${doc.title.en}${doc.clause ? `, ${doc.clause}` : ''}${year && !doc.title.en.includes(year) ? ` (${year})` : ''}`;
}
