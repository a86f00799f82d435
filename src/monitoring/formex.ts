import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { ApplicationDate, Article } from './entry.ts';
import { sha256Hex } from '../sha256.ts';

/**
 * What an act of the Official Journal of the European Union says about itself, read from its
 * Formex XML (the Publications Office's format, https://op.europa.eu/en/web/eu-vocabularies/formex):
 * title, adoption and publication dates, entry into force, and from when each article applies.
 */
export interface OfficialAct {
  title: string;
  shortTitle: string | null;
  /** "2024/1689" */
  number: string;
  adopted: string;
  published: string;
  entryIntoForce: string;
  /** The general date of application first, then the exceptions, as the act lists them. */
  application: ApplicationDate[];
  articles: Article[];
  /** sha256:<hex> of the XML text. */
  checksum: string;
}

export class FormexError extends Error {}

const iso = (compact: string) => `${compact.slice(0, 4)}-${compact.slice(4, 6)}-${compact.slice(6, 8)}`;
const plain = (xml: string) =>
  xml
    .replace(/<NOTE[\s\S]*?<\/NOTE>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ')
    .replace(/\s+([,.;)])/g, '$1')
    .replace(/\(\s+/g, '(')
    .trim();

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth', 'eleventh', 'twelfth', 'thirteenth', 'fourteenth', 'fifteenth', 'sixteenth', 'seventeenth', 'eighteenth', 'nineteenth', 'twentieth'];

function addDays(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The day an act enters into force, from the words of its final article and its publication date. */
export function entryIntoForceFrom(sentence: string, published: string): string | null {
  if (/on the date of its publication/i.test(sentence)) return published;
  if (/on the day following (?:that of )?its publication/i.test(sentence)) return addDays(published, 1);
  const m = /on the (\w+) day following (?:that of )?its publication/i.exec(sentence);
  if (m) {
    const n = ORDINALS.indexOf(m[1]!.toLowerCase()) + 1;
    if (n > 0) return addDays(published, n);
  }
  return null;
}

type Selector = { kind: 'chapter'; chapter: string; section?: string } | { kind: 'article'; number: number; paragraph?: string };

/** "Chapter III Section 4, Chapter V … and Article 78" → what it names, in order. */
export function selectorsIn(scope: string): Selector[] {
  const out: Selector[] = [];
  const words = scope.replace(/[;.:]/g, ' ').replace(/,/g, ' , ').split(/\s+/).filter(Boolean);
  let mode: 'chapter' | 'article' | null = null;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (/^Chapters?$/i.test(w)) mode = 'chapter';
    else if (/^Articles?$/i.test(w)) mode = 'article';
    else if (/^Section$/i.test(w) && /^\d+$/.test(words[i + 1] ?? '') && out.at(-1)?.kind === 'chapter') (out.at(-1) as { section?: string }).section = words[++i]!;
    else if (w === ',' || /^and$/i.test(w)) continue;
    else if (mode === 'chapter' && /^[IVXLC]+$/.test(w)) out.push({ kind: 'chapter', chapter: w });
    else if (mode === 'article' && /^\d+(\(\d+\))?$/.test(w)) {
      const [, n, p] = /^(\d+)(?:\((\d+)\))?$/.exec(w)!;
      out.push(p ? { kind: 'article', number: Number(n), paragraph: p } : { kind: 'article', number: Number(n) });
    } else mode = null;
  }
  return out;
}

/** Reads an act from Formex XML (plain or gzip); anything it cannot find is an error naming the file. */
export function readFormexAct(file: string): OfficialAct {
  const fail = (problem: string): never => {
    throw new FormexError(`${file}: ${problem}`);
  };
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    return fail(`cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let xml: string;
  try {
    xml = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (e) {
    return fail(`not a readable gzip file (${(e as Error).message})`);
  }
  if (!xml.includes('</ACT>')) fail('no complete <ACT> element: truncated, or not an Official Journal act in Formex');
  const act = xml.slice(xml.indexOf('<ACT'), xml.lastIndexOf('</ACT>'));
  const published = /<BIB\.OJ>[\s\S]*?<DATE ISO="(\d{8})"/.exec(xml)?.[1] ?? fail('no publication date in the Official Journal header (BIB.OJ/DATE)');
  const year = /<BIB\.INSTANCE>[\s\S]*?<NO\.DOC[^>]*>\s*<YEAR>(\d{4})<\/YEAR>\s*<NO\.CURRENT>(\d+)<\/NO\.CURRENT>/.exec(act) ?? fail('no document number (BIB.INSTANCE/NO.DOC)');
  const titleXml = /<TITLE>\s*<TI>([\s\S]*?)<\/TI>\s*<\/TITLE>/.exec(act)?.[1] ?? fail('no title');
  const title = plain(titleXml).replace(/\s*\(Text with EEA relevance\)\s*$/i, '');
  const shortTitle = /\(([^()]+)\)$/.exec(title)?.[1] ?? null;
  const adopted = /<FINAL>[\s\S]*?<DATE ISO="(\d{8})"/.exec(act)?.[1] ?? /<DATE ISO="(\d{8})"/.exec(titleXml)?.[1] ?? fail('no date of adoption (FINAL/SIGNATURE or title)');
  const enacting = /<ENACTING\.TERMS>([\s\S]*)<\/ENACTING\.TERMS>/.exec(act)?.[1] ?? fail('no enacting terms');

  // Walk divisions and articles in document order: an article belongs to the chapter and section it sits in.
  const articles: (Article & { xml: string })[] = [];
  const divisions: string[] = [];
  const token = /<DIVISION>(?:\s*<TITLE>\s*<TI>([\s\S]*?)<\/TI>(?:\s*<STI>([\s\S]*?)<\/STI>)?)?|<\/DIVISION>|<ARTICLE IDENTIFIER="(\d+)">([\s\S]*?)<\/ARTICLE>/g;
  const heading = (ti: string, sti?: string) => `${plain(ti)}${sti ? ` — ${plain(sti)}` : ''}`;
  for (const m of enacting.matchAll(token)) {
    if (m[0] === '</DIVISION>') divisions.pop();
    else if (m[0].startsWith('<DIVISION>')) divisions.push(m[1] === undefined ? '' : heading(m[1], m[2]));
    else {
      const body = m[4]!;
      const number = Number(m[3]);
      const label = plain(/<TI\.ART>([\s\S]*?)<\/TI\.ART>/.exec(body)?.[1] ?? '');
      if (label !== `Article ${number}`) fail(`article ${m[3]}: its heading says ${JSON.stringify(label)}`);
      const chapter = divisions.find((d) => /^CHAPTER /i.test(d));
      const section = divisions.find((d) => /^SECTION /i.test(d));
      const article: Article & { xml: string } = { number, title: plain(/<STI\.ART>([\s\S]*?)<\/STI\.ART>/.exec(body)?.[1] ?? ''), chapter: chapter ?? '', applies_from: '', xml: body };
      if (section) article.section = section;
      articles.push(article);
    }
  }
  if (articles.length === 0) fail('no articles in the enacting terms');
  for (const [i, a] of articles.entries()) if (a.number !== i + 1) fail(`article ${i + 1} is missing (found article ${a.number} in its place)`);

  const final = [...articles].reverse().find((a) => /entry into force/i.test(a.title)) ?? fail('no article on entry into force and application');
  const alineas = [...final.xml.matchAll(/<ALINEA>([\s\S]*?)<\/ALINEA>/g)].map((m) => m[1]!);
  const inForceSentence = alineas.map(plain).find((a) => /enter into force/i.test(a)) ?? fail(`Article ${final.number}: no sentence on entry into force`);
  const entryIntoForce = entryIntoForceFrom(inForceSentence, iso(published)) ?? fail(`Article ${final.number}: cannot read the day of entry into force from "${inForceSentence}"`);
  const generalXml = alineas.find((a) => /shall apply from/i.test(plain(a)) && !/<LIST/.test(a));
  const generalDate = generalXml ? /<DATE ISO="(\d{8})"/.exec(generalXml)?.[1] : undefined;
  const application: ApplicationDate[] = [];
  if (generalDate) application.push({ date: iso(generalDate), scope: 'This Regulation (general date of application)' });
  const chapterOf = (a: Article) => /^CHAPTER ([IVXLC]+)/i.exec(a.chapter)?.[1];
  const sectionOf = (a: Article) => (a.section ? /^SECTION (\d+)/i.exec(a.section)?.[1] : undefined);
  // Each article applies from the date of the most specific rule that names it: article, then section, then chapter.
  const rules = new Map<number, { date: string; specificity: number }>();
  const notes = new Map<number, string[]>();
  for (const item of final.xml.matchAll(/<ITEM>([\s\S]*?)<\/ITEM>/g)) {
    const text = plain(item[1]!).replace(/^\([a-z]+\)\s*/, '');
    const date = /<DATE ISO="(\d{8})"/.exec(item[1]!)?.[1];
    if (!/shall apply from/i.test(text) || !date) continue;
    const named = text.split(/shall apply from/i)[0]!.split(/with the exception of/i)[0]!;
    const except = text.split(/with the exception of/i)[1] ?? '';
    const day = iso(date);
    application.push({ date: day, scope: text.replace(/;$|\.$/, '') });
    const excluded = new Set(selectorsIn(except).flatMap((s) => (s.kind === 'article' ? [s.number] : [])));
    for (const s of selectorsIn(named)) {
      if (s.kind === 'chapter' && !articles.some((a) => chapterOf(a) === s.chapter)) fail(`Article ${final.number}: names Chapter ${s.chapter}, which the act does not have`);
      if (s.kind === 'article' && !articles.some((a) => a.number === s.number)) fail(`Article ${final.number}: names Article ${s.number}, which the act does not have`);
      for (const a of articles) {
        if (excluded.has(a.number)) continue;
        if (s.kind === 'article' && s.number === a.number && s.paragraph) notes.set(a.number, [...(notes.get(a.number) ?? []), `paragraph ${s.paragraph} applies from ${day}`]);
        const specificity = s.kind === 'article' ? (s.number === a.number && !s.paragraph ? 3 : 0) : chapterOf(a) === s.chapter ? (s.section ? (sectionOf(a) === s.section ? 2 : 0) : 1) : 0;
        if (specificity > (rules.get(a.number)?.specificity ?? 0)) rules.set(a.number, { date: day, specificity });
      }
    }
  }
  if (!generalDate && articles.some((a) => !rules.has(a.number))) fail(`Article ${final.number}: no general date of application`);
  return {
    title,
    shortTitle,
    number: `${year[1]}/${Number(year[2])}`,
    adopted: iso(adopted),
    published: iso(published),
    entryIntoForce,
    application,
    articles: articles.map(({ xml: _xml, ...a }) => {
      const out: Article = { ...a, applies_from: rules.get(a.number)?.date ?? iso(generalDate!) };
      const note = notes.get(a.number);
      if (note) out.note = note.join('; ');
      return out;
    }),
    checksum: `sha256:${sha256Hex(xml)}`,
  };
}
