import type { Readable } from 'node:stream';
import { Gazetteer } from '../resolve/gazetteer.ts';
import type { Store } from '../store/store.ts';
import { saveDataset, type AggregateDataset } from './aggregates.ts';
import { csvRecords } from './csv.ts';
import { openInput } from './lines.ts';
import type { Rejected } from './records.ts';
import { ingestWholeFile, type WholeFileReport } from './whole-file.ts';

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
  const checkHeader = (header: string[]) => {
    if (!header.includes('region_country_or_economy_full_path') || !header.some((h) => /^field_\d{4}$/.test(h))) throw new Error('not an NCSES row-hierarchical table: expected region_country_or_economy_full_path and field_YYYY columns');
  };
  for await (const r of csvRecords(stream, checkHeader)) {
    if ('ok' in r) {
      yield r;
      continue;
    }
    const { recordNo, lineNo } = r;
    const get = new Map([...r.get].map(([k, v]) => [k, decode(v)]));
    const path = (get.get('region_country_or_economy_full_path') ?? '').split(/\s*->\s*/);
    if (path.length < 3) continue; // a heading row ("World", "World -> China") holds no figures
    const [top, place, ...rest] = path as [string, string, ...string[]];
    const isTotal = !gazetteer.countryCodeOf(place) && top === 'World' && /articles/i.test(place);
    const countryCode = isTotal ? null : gazetteer.countryCodeOf(place);
    if (!isTotal && countryCode === null) {
      yield { ok: false, recordNo, lineNo, reason: `place ${JSON.stringify(place)} is not a recognised country`, excerpt: path.join(' -> ') };
      continue;
    }
    const attribute = (isTotal ? [place, ...rest] : rest).join(' / ');
    for (const [h, v] of get) {
      const year = /^field_(\d{4})$/.exec(h)?.[1];
      if (!year || v === '') continue;
      const value = Number(v.replace(/,/g, ''));
      if (!Number.isFinite(value)) {
        yield { ok: false, recordNo, lineNo, reason: `${h} is not a number: ${JSON.stringify(v)}`, excerpt: path.join(' -> ') };
        continue;
      }
      yield { ok: true, countryCode, place: isTotal ? top : place, attribute, year: Number(year), value };
    }
  }
}

export function ingestNsfSeries(store: Store, path: string, gazetteer: Gazetteer, dataset = NSF_AI_ARTICLES): Promise<WholeFileReport> {
  return ingestWholeFile(store, path, 'aggregate-series', () => readNsfSeries(openInput(path), gazetteer), async (values) => {
    await saveDataset(store, dataset, 'aggregate_country_series');
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
    return values.length;
  });
}
