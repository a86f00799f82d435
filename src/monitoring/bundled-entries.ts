import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readTextFile } from '../text-file.ts';
import { EntryError, entryLabel, parseEntry, type EntryDoc, type Source } from './entry.ts';
import { FormexError, readFormexAct } from './formex.ts';
import { loadVocabulary, type Vocabulary } from './vocabulary.ts';

export const POLICY_DIR = fileURLToPath(new URL('../../data/policy/', import.meta.url));

/** A document the bundled entries quote: a seed, or derisk's domain summary. */
export interface CitedDocument {
  id: string;
  /** Relative to the repository. */
  file: string;
  sha256: string;
  title: string;
  authors: string | null;
  date: string | null;
}

export function loadCitedDocuments(dir = POLICY_DIR): { transcribed: string; documents: Map<string, CitedDocument> } {
  const file = join(dir, 'documents.json');
  const doc = JSON.parse(readTextFile(file, (m) => new EntryError(m)));
  if (!doc.provenance?.transcribed) throw new EntryError(`${file}: needs provenance with the date the documents were transcribed`);
  const documents = new Map<string, CitedDocument>();
  for (const d of doc.documents ?? []) {
    if (!d.id || !d.file || !/^[0-9a-f]{64}$/.test(d.sha256 ?? '') || !d.title) throw new EntryError(`${file}: document ${JSON.stringify(d.id)} needs id, file, sha256 and title`);
    documents.set(d.id, d);
  }
  return { transcribed: doc.provenance.transcribed, documents };
}

export interface BundledEntries {
  entries: EntryDoc[];
  /** What could not be read and was left unknown (an official text missing from the mirror). */
  notices: string[];
}

/**
 * The entries derisk ships in data/policy/entries/, one file each, in normal form: sources that
 * quote a document get its title, checksum and transcription date, and an entry whose official
 * text is in the data mirror gets its title, dates and articles read from that text.
 * `criteria` checks the links to the rulebook (null: not checked); a bad file refuses all.
 */
export function loadBundledEntries(options: { vocabulary?: Vocabulary; criteria?: Set<string> | null; mirror?: string | null; dir?: string } = {}): BundledEntries {
  const dir = options.dir ?? POLICY_DIR;
  const vocabulary = options.vocabulary ?? loadVocabulary(join(dir, 'topics.json'));
  const { transcribed, documents } = loadCitedDocuments(dir);
  const entriesDir = join(dir, 'entries');
  const notices: string[] = [];
  const entries = readdirSync(entriesDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((name) => {
      const file = join(entriesDir, name);
      let raw: Record<string, any>;
      try {
        raw = JSON.parse(readTextFile(file, (m) => new EntryError(m)));
      } catch (e) {
        if (e instanceof EntryError) throw e;
        throw new EntryError(`${file}: not valid JSON (${(e as Error).message})`);
      }
      if (raw?.id !== name.replace(/\.json$/, '')) throw new EntryError(`${file}: id ${JSON.stringify(raw?.id)} differs from the file name`);
      raw.sources = (Array.isArray(raw.sources) ? raw.sources : []).map((s: Source) => {
        if (!s?.seed) return s;
        const cited = documents.get(s.seed);
        if (!cited) throw new EntryError(`${file}: source quotes ${JSON.stringify(s.seed)}, which data/policy/documents.json does not list`);
        return { title: cited.title, ...s, retrieved: transcribed, checksum: `sha256:${cited.sha256}` };
      });
      if (raw.text) withOfficialText(raw, options.mirror ?? null, notices);
      return parseEntry(raw, vocabulary, options.criteria ?? null, file);
    });
  return { entries, notices };
}

/** Fills an EU act's title, dates, status and articles from its Official Journal text, or says they are unknown. */
function withOfficialText(raw: Record<string, any>, mirror: string | null, notices: string[]): void {
  const path = mirror ? join(mirror, raw.text.mirror) : null;
  let act;
  try {
    if (!path) throw new FormexError('no data mirror configured');
    act = readFormexAct(path);
  } catch (e) {
    if (!(e instanceof FormexError)) throw e;
    notices.push(`${raw.id}: official text not read (${e.message}); its title, dates and articles stay unknown`);
    const why = `the Official Journal text (${raw.text.mirror} in the data mirror) could not be read`;
    raw.unknown = [...(raw.unknown ?? []), `title.original: ${why}`, `dates.issued: ${why}`, `dates.effective: ${why}`, `status_history: ${why}`];
    return;
  }
  raw.title = { ...raw.title, original: act.title, lang: 'en' };
  raw.dates = { issued: act.adopted, published: act.published, effective: act.entryIntoForce };
  raw.status_history = [
    { status: 'adopted', date: act.adopted, note: 'date of signature in the Official Journal text' },
    { status: 'in-force', date: act.entryIntoForce, note: `entry into force as the final article sets it, counted from publication in the Official Journal on ${act.published}` },
  ];
  raw.application = act.application;
  raw.articles = act.articles;
  raw.sources = [{ mirror: raw.text.mirror, title: `Official Journal text of Regulation (EU) ${act.number} (Formex XML)`, url: raw.text.url, retrieved: raw.text.retrieved ?? null, checksum: act.checksum }, ...raw.sources];
}

/** The Chinese rules a briefing sheet lists: bundled entries for China that say whom they bind. */
export interface ChinaRule {
  id: string;
  title: string;
  applies_to: string;
  summary: string;
  source: string;
}

export function chinaRules(dir = POLICY_DIR): ChinaRule[] {
  const { documents } = loadCitedDocuments(dir);
  return loadBundledEntries({ dir })
    .entries.filter((e) => e.jurisdiction === 'CN' && e.binds)
    .map((e) => {
      const s = e.sources.find((x) => x.seed) ?? e.sources[0]!;
      const cited = s.seed ? documents.get(s.seed) : undefined;
      return { id: e.id, title: entryLabel(e), applies_to: e.binds!, summary: e.summary, source: `${cited ? `${cited.title} (${cited.id})` : (s.title ?? s.url ?? '')}${s.where ? `, ${s.where}` : ''}` };
    });
}
