import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Gazetteer } from '../resolve/gazetteer.ts';
import type { Store } from '../store/store.ts';
import type { AggregateDataset } from './aggregates.ts';
import { readCsv } from './csv.ts';
import { fileId as contentId } from './file-id.ts';
import { openInput } from './lines.ts';
import type { Rejected } from './records.ts';

export const NSF_AI_ARTICLES: AggregateDataset = {
  id: 'nsf-sei2024-ai-articles',
  title: 'NSF NCSES Science & Engineering Indicators 2024, table 10067 (SPBS-99): AI-related articles by coauthorship attribute and country, 2003–22',
  source: 'National Center for Science and Engineering Statistics; Science-Metrix; Elsevier Scopus (accessed April 2023)',
  licence: 'U.S. Government work (public domain)',
  caveats: [
    'Scopus-based, and "AI" means journals classified as AI in the All Science Journal Classification, not a topic model',
    'whole counting: an article counts once for every country in its addresses, so country figures cannot be added into region totals',
  ],
};

export interface SeriesValue {
  countryCode: string | null;
  place: string;
  attribute: string;
  year: number;
  value: number;
}

const ENTITIES: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };
const decode = (s: string) => s.replace(/<sup>[^<]*<\/sup>/g, '').replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n))).replace(/&(\w+);/g, (m, n) => ENTITIES[n] ?? m);

/**
 * Reads an NCSES row-hierarchical table ("World -> China -> Total articles -> With international
 * institutions", one column per year). Places are mapped to ISO codes; "World" stays a named
 * total; footnote markers (<sup>a</sup>) are dropped. A row whose place is not recognised is set
 * aside, not guessed.
 */
export async function* readNsfSeries(stream: Readable, gazetteer: Gazetteer): AsyncGenerator<({ ok: true } & SeriesValue) | ({ ok: false } & Rejected)> {
  let header: string[] | null = null;
  let recordNo = 0;
  for await (const row of readCsv(stream)) {
    if ('error' in row) {
      if (!header) throw new Error(`header row cannot be read: ${row.error}`);
      yield { ok: false, recordNo: ++recordNo, lineNo: row.lineNo, reason: row.error, excerpt: row.excerpt };
      continue;
    }
    if (!header) {
      header = row.fields;
      if (!header.includes('region_country_or_economy_full_path') || !header.some((h) => /^field_\d{4}$/.test(h))) throw new Error('not an NCSES row-hierarchical table: expected region_country_or_economy_full_path and field_YYYY columns');
      continue;
    }
    recordNo++;
    const get = new Map(header.map((h, i) => [h, decode(row.fields[i] ?? '').trim()]));
    const path = (get.get('region_country_or_economy_full_path') ?? '').split(/\s*->\s*/);
    if (path.length < 3) continue; // a heading row ("World", "World -> China") holds no figures
    const [top, place, ...rest] = path as [string, string, ...string[]];
    const isTotal = !gazetteer.countryCodeOf(place) && top === 'World' && /articles/i.test(place);
    const countryCode = isTotal ? null : gazetteer.countryCodeOf(place);
    if (!isTotal && countryCode === null) {
      yield { ok: false, recordNo, lineNo: row.lineNo, reason: `place ${JSON.stringify(place)} is not a recognised country`, excerpt: path.join(' -> ') };
      continue;
    }
    const attribute = (isTotal ? [place, ...rest] : rest).join(' / ');
    for (const [h, v] of get) {
      const year = /^field_(\d{4})$/.exec(h)?.[1];
      if (!year || v === '') continue;
      const value = Number(v.replace(/,/g, ''));
      if (!Number.isFinite(value)) {
        yield { ok: false, recordNo, lineNo: row.lineNo, reason: `${h} is not a number: ${JSON.stringify(v)}`, excerpt: path.join(' -> ') };
        continue;
      }
      yield { ok: true, countryCode, place: isTotal ? top : place, attribute, year: Number(year), value };
    }
  }
}

export async function ingestNsfSeries(store: Store, path: string, gazetteer: Gazetteer, dataset = NSF_AI_ARTICLES): Promise<{ status: 'ingested' | 'already ingested'; values: number; quarantined: number; rejected: Rejected[] }> {
  const id = await contentId(path);
  const done = await store.one<{ n: number }>('SELECT records_kept::DOUBLE AS n FROM input_files WHERE file_id = $1 AND finished_at IS NOT NULL', [id]);
  if (done) return { status: 'already ingested', values: done.n, quarantined: 0, rejected: [] };
  const values: SeriesValue[] = [];
  const rejected: Rejected[] = [];
  try {
    for await (const item of readNsfSeries(openInput(path), gazetteer)) {
      if (item.ok) values.push(item);
      else rejected.push(item);
    }
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  await store.transaction(async () => {
    await store.run('INSERT OR REPLACE INTO aggregate_datasets VALUES ($1, $2, $3, $4, $5)', [dataset.id, dataset.title, dataset.source, dataset.licence, dataset.caveats.join('\n')]);
    await store.run('DELETE FROM aggregate_country_series WHERE dataset = $1', [dataset.id]);
    const a = await store.connection.createAppender('aggregate_country_series');
    for (const v of values) {
      a.appendVarchar(dataset.id);
      v.countryCode === null ? a.appendNull() : a.appendVarchar(v.countryCode);
      a.appendVarchar(v.place);
      a.appendVarchar(v.attribute);
      a.appendInteger(v.year);
      a.appendDouble(v.value);
      a.endRow();
    }
    a.closeSync();
    await store.run(
      `INSERT INTO input_files (file_id, path, kind, bytes, started_at, finished_at, last_record_no, records_kept, records_quarantined)
       VALUES ($1, $2, 'aggregate-series', $3, now(), now(), $4, $5, $6)`,
      [id, path, statSync(path).size, values.length + rejected.length, values.length, rejected.length],
    );
    for (const r of rejected) await store.run('INSERT INTO quarantine VALUES ($1, $2, $3, $4, $5)', [id, r.recordNo, r.lineNo, r.reason, r.excerpt]);
  });
  return { status: 'ingested', values: values.length, quarantined: rejected.length, rejected };
}
