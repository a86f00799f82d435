import type { Readable } from 'node:stream';
import { Gazetteer } from '../resolve/gazetteer.ts';
import type { Store } from '../store/store.ts';
import { aggregateCsvOptions, saveDataset, type AggregateDataset } from './aggregates.ts';
import { csvRecords } from './csv.ts';
import { openInput } from './lines.ts';
import type { ReadLimits, Rejected } from './records.ts';
import { ingestWholeFile, type WholeFileReport } from './whole-file.ts';

export const NSF_AI_ARTICLES: AggregateDataset = {
  id: 'nsf-sei2024-ai-articles',
  title: 'NSF NCSES Science & Engineering Indicators 2024, table 10067 (SPBS-99): AI-related articles by coauthorship attribute and country, 2003–22',
  source: 'National Center for Science and Engineering Statistics; Science-Metrix; Elsevier Scopus (accessed April 2023)',
  licence: 'U.S. Government work (public domain)',
  caveats: ['Scopus-based, and "AI" means journals classified as AI in the All Science Journal Classification, not a topic model', 'whole counting: an article counts once for every country in its addresses, so country figures cannot be added into region totals'],
};

export interface SeriesValue {
  countryCode: string | null;
  place: string;
  attribute: string;
  year: number;
  value: number;
}

const ENTITIES: Record<string, string> = { amp: '&', quot: '"', apos: "'", lt: '<', gt: '>' };
const decode = (s: string) =>
  s
    .replace(/<sup>[^<]*<\/sup>/g, '')
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&(\w+);/g, (m, n) => ENTITIES[n] ?? m);

/** A figure as NCSES prints it: digits, thousands separated by commas, perhaps a decimal part. */
const FIGURE = /^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$/;

/**
 * Reads an NCSES row-hierarchical table ("World -> China -> Total articles -> With international
 * institutions", one column per year). Places are mapped to ISO codes; "World" stays a named
 * total; footnote markers (<sup>a</sup>) are dropped. A row is kept whole or set aside whole: a
 * place not recognised, a figure that is not a number, or figures on a heading row that names no
 * attribute are reasons, never guesses. A row without figures (a heading, or no data for
 * any year) holds nothing to keep.
 */
export async function* readNsfSeries(stream: Readable, gazetteer: Gazetteer, options?: Partial<ReadLimits>): AsyncGenerator<({ ok: true; recordNo: number } & SeriesValue) | ({ ok: false } & Rejected)> {
  const checkHeader = (header: string[]) => {
    if (!header.includes('region_country_or_economy_full_path') || !header.some((h) => /^field_\d{4}$/.test(h))) throw new Error('not an NCSES row-hierarchical table: expected region_country_or_economy_full_path and field_YYYY columns');
  };
  for await (const r of csvRecords(stream, checkHeader, aggregateCsvOptions(options))) {
    if ('ok' in r) {
      yield r;
      continue;
    }
    const { recordNo, lineNo } = r;
    const get = new Map([...r.get].map(([k, v]) => [k, decode(v)]));
    const path = (get.get('region_country_or_economy_full_path') ?? '').split(/\s*->\s*/);
    const figures = [...get].flatMap(([h, v]) => {
      const year = /^field_(\d{4})$/.exec(h)?.[1];
      return year && v !== '' ? [{ column: h, year: Number(year), text: v }] : [];
    });
    const reject = (reason: string) => ({ ok: false as const, recordNo, lineNo, reason, excerpt: path.join(' -> ') });
    // The path is written twice, as one string and as level columns: a row damaged in one disagrees.
    const levels = [...get].filter(([h, v]) => /^region_country_or_economy_level_\d+$/.test(h) && v !== '').map(([, v]) => v);
    const depth = get.get('region_country_or_economy_hierarchy_depth');
    if (levels.length > 0 && levels.join(' -> ') !== path.join(' -> ')) {
      yield reject(`the full path disagrees with its level columns (${JSON.stringify(levels.join(' -> '))})`);
      continue;
    }
    if (depth !== undefined && depth !== '' && depth !== String(path.length)) {
      yield reject(`hierarchy depth ${JSON.stringify(depth)} is not the path's ${path.length} levels`);
      continue;
    }
    const [top, place, ...rest] = path as [string, string | undefined, ...string[]];
    // "World -> Total articles" is the world's own series; "World -> China" only heads China's rows.
    const isTotal = top === 'World' && place !== undefined && !gazetteer.countryCodeOf(place) && /articles/i.test(place);
    if (!isTotal && (place === undefined || rest.length === 0)) {
      if (figures.length > 0) yield reject(`a heading row (${JSON.stringify(path.join(' -> '))}) carries figures, but names no attribute they count`);
      continue;
    }
    const countryCode = isTotal ? null : gazetteer.countryCodeOf(place!);
    if (!isTotal && countryCode === null) {
      yield reject(`place ${JSON.stringify(place)} is not a recognised country`);
      continue;
    }
    const bad = figures.find((f) => !FIGURE.test(f.text));
    if (bad) {
      yield reject(`${bad.column} is not a number: ${JSON.stringify(bad.text)}`);
      continue;
    }
    const attribute = (isTotal ? [place!, ...rest] : rest).join(' / ');
    for (const f of figures) yield { ok: true, recordNo, countryCode, place: isTotal ? top : place!, attribute, year: f.year, value: Number(f.text.replace(/,/g, '')) };
  }
}

export function ingestNsfSeries(store: Store, path: string, gazetteer: Gazetteer, dataset = NSF_AI_ARTICLES): Promise<WholeFileReport> {
  return ingestWholeFile(
    store,
    path,
    'aggregate-series',
    () => readNsfSeries(openInput(path), gazetteer),
    async (values) => {
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
    },
  );
}
