import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { hasNoLetterOrDigit, isBlank } from '../resolve/normalize.ts';
import type { Store } from '../store/store.ts';
import { csvRecords, requireColumns } from './csv.ts';
import { openInput } from './lines.ts';
import { RecordError, excerptOf, limitsOf, parseYear, type ReadLimits, type Rejected } from './records.ts';
import { ingestWholeFile, type WholeFileReport } from './whole-file.ts';

export type PatentSource = 'lens' | 'patstat';

export interface Applicant {
  name: string;
  /** Where the source gives it (PATSTAT's person_ctry_code); Lens exports do not. */
  countryCode: string | null;
}

export interface PatentRecord {
  source: PatentSource;
  patentId: string;
  year: number | null;
  title: string | null;
  applicants: Applicant[];
  cpc: string[];
}

export type PatentItem = { ok: true; recordNo: number; patent: PatentRecord } | ({ ok: false } & Rejected);

const split = (v: string | undefined, sep: RegExp) =>
  (v ?? '')
    .split(sep)
    .map((s) => s.trim())
    .filter(Boolean);

/** A name without a letter or digit as a reason shows it: its invisible characters and lone marks escaped ("\\u200b,\\u200b"). */
const shownName = (name: string) => JSON.stringify(excerptOf(name, 60)).replace(/[\p{Cf}\p{M}]/gu, (c) => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`);

/** data/fields/patent-classification.json: the shape of a CPC symbol, as WIPO ST.8 and the CPC scheme write it. */
const { cpc: CPC } = JSON.parse(readFileSync(fileURLToPath(new URL('../../data/fields/patent-classification.json', import.meta.url)), 'utf8')) as {
  cpc: { sections: string; mainGroupDigits: [number, number]; subgroupDigits: [number, number] };
};
const CPC_SYMBOL = new RegExp(`^[${CPC.sections}]\\d{2}[A-Z] *\\d{${CPC.mainGroupDigits.join(',')}}/\\d{${CPC.subgroupDigits.join(',')}}$`);

/**
 * Why a patent's CPC classes are not all CPC symbols, if one is not. The patent is set aside whole, as one with a
 * nameless applicant is: the piece is damage to the row (a byte flipped, a cell cut), its technology fields would be
 * incomplete without the class it stood for (perhaps the sensitive one), and the rest of the row is suspect too.
 */
function badCpc(codes: string[], where: string): string | null {
  const i = codes.findIndex((c) => !CPC_SYMBOL.test(c));
  if (i === -1) return null;
  return `${where} ${i + 1} of ${codes.length} is no CPC symbol: ${shownName(codes[i]!)} (a section letter, two digits, a letter, a main group and a subgroup: "G06N 3/08", "G06N3/08"); a class unread would leave the patent's technology fields incomplete, so it is set aside whole`;
}

/** Names are resolved to institutions like affiliations, so they get the same length limit. */
function checkPatent(p: PatentRecord, maxChars: number): void {
  const values: [string, string | null][] = [['title', p.title], ...p.applicants.map((a, i): [string, string] => [`applicant ${i + 1}`, a.name]), ...p.cpc.map((c, i): [string, string] => [`CPC class ${i + 1}`, c])];
  for (const [what, v] of values) if (v !== null && v.length > maxChars) throw new RecordError(`${what} is ${v.length} characters long (limit ${maxChars})`);
  const bad = badCpc(p.cpc, `patent ${p.patentId}: CPC class`);
  if (bad) throw new RecordError(bad);
}

/**
 * Lens joins a patent's applicants with ";;". A longer run of ";" is that separator with a stray ";" ("A;;;B"), not a
 * name beginning ";B", and a blank piece between two separators ("A;;;;B") is the separator doubled, not an applicant
 * the export lost. A blank piece at either end is kept, to be told as a lost applicant: nothing shows it was doubled.
 */
const lensApplicants = (field: string): string[] => {
  const pieces = field.split(/;{2,}/).map((s) => s.trim());
  return pieces.filter((piece, i) => i === 0 || i === pieces.length - 1 || !isBlank(piece));
};

/** Lens columns that never hold a line break (titles and abstracts may). */
const LENS_SINGLE_LINE = new Set(['Lens ID', 'Publication Year', 'Publication Date', 'Application Date', 'Jurisdiction', 'Kind', 'Display Key', 'Applicants', 'Inventors', 'CPC Classifications', 'IPCR Classifications']);

/**
 * The Lens.org patent CSV export: one row per patent document, applicants and CPC joined by ";;". A patent with an
 * applicant whose name has no letter or digit is set aside whole, as PATSTAT's application is: its applicants would
 * be incomplete.
 */
export async function* readLens(stream: Readable, options?: Partial<ReadLimits>): AsyncGenerator<PatentItem> {
  const limits = limitsOf(options);
  for await (const r of csvRecords(stream, requireColumns(['Lens ID', 'Applicants']), { maxRecordBytes: limits.maxRecordBytes, refuseUnterminated: true, lineBreaks: (c) => !LENS_SINGLE_LINE.has(c) })) {
    if ('ok' in r) {
      yield r;
      continue;
    }
    try {
      const id = r.get.get('Lens ID') ?? '';
      if (!/^\d{3}-\d{3}-\d{3}-\d{3}-\d{3}$/.test(id)) throw new RecordError(`missing or malformed Lens ID: ${JSON.stringify(excerptOf(id, 60))}`);
      const names = lensApplicants(r.get.get('Applicants') ?? '');
      if (names.every(hasNoLetterOrDigit)) throw new RecordError('no applicants');
      const nameless = names.findIndex(hasNoLetterOrDigit);
      if (nameless !== -1) throw new RecordError(`applicant ${nameless + 1} of ${names.length} has no name (no letter or digit: ${shownName(names[nameless]!)}): which applicant the export lost cannot be told, so the patent is set aside whole`);
      const applicants = names.map((name) => ({ name, countryCode: null }));
      const year = parseYear(r.get.get('Publication Year') || r.get.get('Application Date')?.slice(0, 4) || null, 'Publication Year');
      const patent: PatentRecord = { source: 'lens', patentId: id, year, title: r.get.get('Title') || null, applicants, cpc: split(r.get.get('CPC Classifications'), /;{2,}/) };
      checkPatent(patent, limits.maxFieldChars);
      yield { ok: true, recordNo: r.recordNo, patent };
    } catch (e) {
      if (!(e instanceof RecordError)) throw e;
      yield { ok: false, recordNo: r.recordNo, lineNo: r.lineNo, reason: e.message, excerpt: excerptOf(r.raw) };
    }
  }
}

/**
 * A PATSTAT-like applicant table: one row per application × person, as PATSTAT's tls201,
 * tls206 and tls207 give it joined (`appln_id, appln_filing_year, person_name,
 * person_ctry_code, applt_seq_nr`, optional `cpc_class_symbol` with ";"). Only applicants
 * (applt_seq_nr > 0) count; rows of one application may be anywhere in the file. An application
 * with a row that is set aside (a person_name with no letter or digit among them) is set aside
 * whole: without that applicant its countries would be wrong. So is one with no applicant row.
 */
export async function* readPatstat(stream: Readable, options?: Partial<ReadLimits>): AsyncGenerator<PatentItem> {
  const limits = limitsOf(options);
  const byAppln = new Map<string, { recordNo: number; lineNo: number | null; patent: PatentRecord; fault: string | null }>();
  const applicationOf = (id: string, recordNo: number, lineNo: number | null) => {
    let entry = byAppln.get(id);
    if (!entry) byAppln.set(id, (entry = { recordNo, lineNo, patent: { source: 'patstat', patentId: id, year: null, title: null, applicants: [], cpc: [] }, fault: null }));
    return entry;
  };
  for await (const r of csvRecords(stream, requireColumns(['appln_id', 'appln_filing_year', 'person_name', 'person_ctry_code', 'applt_seq_nr']), { maxRecordBytes: limits.maxRecordBytes, refuseUnterminated: true, lineBreaks: () => false })) {
    if ('ok' in r) {
      // A row set aside whose application is known sets the application aside: kept without it, its
      // applicants and countries would be incomplete (a file cut short loses its last applicant).
      const lost = r.partial?.get('appln_id');
      if (lost !== undefined && /^\d+$/.test(lost)) applicationOf(lost, r.recordNo, r.lineNo).fault ??= `line ${r.lineNo}: ${r.reason}`;
      else yield { ok: false, recordNo: r.recordNo, lineNo: r.lineNo, reason: r.reason, excerpt: r.excerpt };
      continue;
    }
    const id = r.get.get('appln_id') ?? '';
    if (!/^\d+$/.test(id)) {
      yield { ok: false, recordNo: r.recordNo, lineNo: r.lineNo, reason: `appln_id is not a number: ${JSON.stringify(excerptOf(id, 60))}`, excerpt: excerptOf(r.raw) };
      continue;
    }
    const country = (r.get.get('person_ctry_code') ?? '').toUpperCase();
    const seq = r.get.get('applt_seq_nr') ?? '';
    const name = r.get.get('person_name') ?? '';
    let year: number | null = null;
    let reason = !/^\d+$/.test(seq)
      ? `applt_seq_nr is not a number: ${JSON.stringify(excerptOf(seq, 60))}`
      : country !== '' && !/^[A-Z]{2}$/.test(country)
        ? `person_ctry_code is not ISO 3166-1 alpha-2: ${JSON.stringify(excerptOf(country, 60))}`
        : hasNoLetterOrDigit(name)
          ? name.trim() === ''
            ? 'person_name is empty'
            : `person_name has no letter or digit: ${shownName(name)}`
          : name.length > limits.maxFieldChars
            ? `person_name is ${name.length} characters long (limit ${limits.maxFieldChars})`
            : null;
    try {
      year = parseYear(r.get.get('appln_filing_year'), 'appln_filing_year');
    } catch (e) {
      reason ??= (e as Error).message;
    }
    const entry = applicationOf(id, r.recordNo, r.lineNo);
    entry.patent.year ??= year;
    if (reason) {
      entry.fault ??= `line ${r.lineNo}: ${reason}`;
      continue;
    }
    if (Number(seq) === 0) continue;
    const classes = split(r.get.get('cpc_class_symbol'), /;/);
    const bad = badCpc(classes, `cpc_class_symbol`);
    if (bad) {
      entry.fault ??= `line ${r.lineNo}: ${bad}`;
      continue;
    }
    entry.patent.applicants.push({ name, countryCode: country || null });
    for (const c of classes) if (!entry.patent.cpc.includes(c)) entry.patent.cpc.push(c);
  }
  for (const { recordNo, lineNo, patent, fault } of byAppln.values()) {
    if (fault) yield { ok: false, recordNo, lineNo, reason: `application ${patent.patentId} has a row set aside: ${fault}`, excerpt: '' };
    else if (patent.applicants.length > 0) yield { ok: true, recordNo, patent };
    else yield { ok: false, recordNo, lineNo, reason: `application ${patent.patentId} has no applicant row (every row has applt_seq_nr 0: inventors only)`, excerpt: '' };
  }
}

const READERS: Record<PatentSource, (s: Readable, options?: Partial<ReadLimits>) => AsyncGenerator<PatentItem>> = { lens: readLens, patstat: readPatstat };

/** Loads a patent file in one transaction; patents already held (same source and id) are kept as they were. */
export function ingestPatents(store: Store, source: PatentSource, path: string): Promise<WholeFileReport> {
  return ingestWholeFile(
    store,
    path,
    `patents-${source}`,
    () => READERS[source](openInput(path)),
    async (items, id) => {
      const known = new Set((await store.all<{ patent_id: string }>('SELECT patent_id FROM patents WHERE source = $1', [source])).map((r) => r.patent_id));
      const p = await store.connection.createAppender('patents');
      const a = await store.connection.createAppender('patent_applicants');
      const c = await store.connection.createAppender('patent_classes');
      let kept = 0;
      for (const { patent } of items) {
        if (known.has(patent.patentId)) continue;
        known.add(patent.patentId);
        kept++;
        p.appendVarchar(source);
        p.appendVarchar(patent.patentId);
        patent.year === null ? p.appendNull() : p.appendInteger(patent.year);
        patent.title === null ? p.appendNull() : p.appendVarchar(patent.title);
        p.appendVarchar(id);
        p.endRow();
        patent.applicants.forEach((ap, seq) => {
          a.appendVarchar(source);
          a.appendVarchar(patent.patentId);
          a.appendInteger(seq);
          a.appendVarchar(ap.name);
          ap.countryCode === null ? a.appendNull() : a.appendVarchar(ap.countryCode);
          a.endRow();
        });
        for (const cpc of patent.cpc) {
          c.appendVarchar(source);
          c.appendVarchar(patent.patentId);
          c.appendVarchar(cpc);
          c.endRow();
        }
      }
      for (const x of [p, a, c]) x.closeSync();
      return kept;
    },
  );
}
