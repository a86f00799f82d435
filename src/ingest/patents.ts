import type { Readable } from 'node:stream';
import type { Store } from '../store/store.ts';
import { csvRecords, requireColumns } from './csv.ts';
import { openInput } from './lines.ts';
import { RecordError, excerptOf, parseYear, type Rejected } from './records.ts';
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

const split = (v: string | undefined, sep: RegExp) => (v ?? '').split(sep).map((s) => s.trim()).filter(Boolean);

/** The Lens.org patent CSV export: one row per patent document, applicants and CPC joined by ";;". */
export async function* readLens(stream: Readable): AsyncGenerator<PatentItem> {
  for await (const r of csvRecords(stream, requireColumns(['Lens ID', 'Applicants']))) {
    if ('ok' in r) {
      yield r;
      continue;
    }
    try {
      const id = r.get.get('Lens ID') ?? '';
      if (!/^\d{3}-\d{3}-\d{3}-\d{3}-\d{3}$/.test(id)) throw new RecordError(`missing or malformed Lens ID: ${JSON.stringify(id)}`);
      const applicants = split(r.get.get('Applicants'), /;;/).map((name) => ({ name, countryCode: null }));
      if (applicants.length === 0) throw new RecordError('no applicants');
      const year = parseYear(r.get.get('Publication Year') || r.get.get('Application Date')?.slice(0, 4) || null, 'Publication Year');
      yield { ok: true, recordNo: r.recordNo, patent: { source: 'lens', patentId: id, year, title: r.get.get('Title') || null, applicants, cpc: split(r.get.get('CPC Classifications'), /;;/) } };
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
 * (applt_seq_nr > 0) count; rows of one application may be anywhere in the file.
 */
export async function* readPatstat(stream: Readable): AsyncGenerator<PatentItem> {
  const byAppln = new Map<string, { recordNo: number; patent: PatentRecord }>();
  for await (const r of csvRecords(stream, requireColumns(['appln_id', 'appln_filing_year', 'person_name', 'person_ctry_code', 'applt_seq_nr']))) {
    if ('ok' in r) {
      yield r;
      continue;
    }
    const id = r.get.get('appln_id') ?? '';
    const country = (r.get.get('person_ctry_code') ?? '').toUpperCase();
    const seq = r.get.get('applt_seq_nr') ?? '';
    const reason = !/^\d+$/.test(id) ? `appln_id is not a number: ${JSON.stringify(id)}`
      : !/^\d+$/.test(seq) ? `applt_seq_nr is not a number: ${JSON.stringify(seq)}`
      : country !== '' && !/^[A-Z]{2}$/.test(country) ? `person_ctry_code is not ISO 3166-1 alpha-2: ${JSON.stringify(country)}`
      : !(r.get.get('person_name') ?? '') ? 'person_name is empty'
      : null;
    let year: number | null = null;
    try {
      year = parseYear(r.get.get('appln_filing_year'), 'appln_filing_year');
    } catch (e) {
      yield { ok: false, recordNo: r.recordNo, lineNo: r.lineNo, reason: (e as Error).message, excerpt: excerptOf(r.raw) };
      continue;
    }
    if (reason) {
      yield { ok: false, recordNo: r.recordNo, lineNo: r.lineNo, reason, excerpt: excerptOf(r.raw) };
      continue;
    }
    if (Number(seq) === 0) continue;
    const entry = byAppln.get(id) ?? { recordNo: r.recordNo, patent: { source: 'patstat' as const, patentId: id, year, title: null, applicants: [], cpc: [] } };
    entry.patent.applicants.push({ name: r.get.get('person_name')!, countryCode: country || null });
    for (const c of split(r.get.get('cpc_class_symbol'), /;/)) if (!entry.patent.cpc.includes(c)) entry.patent.cpc.push(c);
    byAppln.set(id, entry);
  }
  for (const { recordNo, patent } of byAppln.values()) yield { ok: true, recordNo, patent };
}

const READERS: Record<PatentSource, (s: Readable) => AsyncGenerator<PatentItem>> = { lens: readLens, patstat: readPatstat };

/** Loads a patent file in one transaction; patents already held (same source and id) are kept as they were. */
export function ingestPatents(store: Store, source: PatentSource, path: string): Promise<WholeFileReport> {
  return ingestWholeFile(store, path, `patents-${source}`, () => READERS[source](openInput(path)), async (items, id) => {
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
  });
}
