import type { Readable } from 'node:stream';
import type { Store } from '../store/store.ts';
import { csvRecords } from './csv.ts';
import { openInput } from './lines.ts';
import { limitsOf, type ReadLimits, type Rejected } from './records.ts';
import { ingestWholeFile, type WholeFileReport } from './whole-file.ts';

/**
 * Aggregate evidence: counts published by others, kept apart from record-level data because
 * they cannot be broken down or re-counted. Each dataset carries its caveats to every figure.
 */
export interface AggregateDataset {
  id: string;
  title: string;
  source: string;
  licence: string;
  caveats: string[];
}

export const OPENALEX_COUNTRY_PAIRS: AggregateDataset = {
  id: 'openalex-country-pairs',
  title: 'OpenAlex country × country co-authored works per year, 1990–2023, all fields (V. Batagelj)',
  source: 'https://github.com/bavla/OpenAlex (Countries/27aug24), computed from the OpenAlex API in August 2024',
  licence: 'OpenAlex data CC0; counts only',
  caveats: [
    'all fields, not AI-specific',
    'country-pair counts summed over a region double-count works with several countries of that region: the sum is an upper bound, not a count of distinct works',
    'OpenAlex group-by returns at most 200 partner countries per query, so very small pairs may be missing',
  ],
};

export interface CountryPairCount {
  year: number;
  a: string;
  b: string;
  works: number;
}

const ISO2 = /^[A-Z]{2}$/;

/** Options every aggregate-table reader passes to the CSV reader: one line per row, and a cap on its length. */
export const aggregateCsvOptions = (options?: Partial<ReadLimits>) => ({ maxRecordBytes: limitsOf(options).maxRecordBytes, refuseUnterminated: true, lineBreaks: () => false });

/** Reads `year, country_a, country_b, coauthored_works` rows; a bad row is set aside with its reason. */
export async function* readCountryPairs(stream: Readable, options?: Partial<ReadLimits>): AsyncGenerator<({ ok: true; recordNo: number } & CountryPairCount) | ({ ok: false } & Rejected)> {
  const want = ['year', 'country_a', 'country_b', 'coauthored_works'];
  const checkHeader = (header: string[]) => {
    if (want.some((w, i) => header[i] !== w)) throw new Error(`expected columns ${want.join(', ')}; found ${header.join(', ')}`);
  };
  for await (const r of csvRecords(stream, checkHeader, aggregateCsvOptions(options))) {
    if ('ok' in r) {
      yield r;
      continue;
    }
    const [year, a, b, works] = want.map((w) => r.get.get(w) ?? '');
    const reason = !/^\d{4}$/.test(year!)
      ? `year is not a year: ${JSON.stringify(year)}`
      : !ISO2.test(a!) || !ISO2.test(b!)
        ? `country codes must be ISO 3166-1 alpha-2: ${JSON.stringify(a)}, ${JSON.stringify(b)}`
        : !/^\d+$/.test(works!)
          ? `coauthored_works is not a count: ${JSON.stringify(works)}`
          : !Number.isSafeInteger(Number(works))
            ? `coauthored_works is too large to be a count of works: ${works}`
            : null;
    if (reason) yield { ok: false, recordNo: r.recordNo, lineNo: r.lineNo, reason, excerpt: r.raw };
    else yield { ok: true, recordNo: r.recordNo, year: Number(year), a: a!, b: b!, works: Number(works) };
  }
}

/** Loads a country-pair table in one transaction; the same file twice adds nothing. */
export function ingestCountryPairs(store: Store, path: string, dataset = OPENALEX_COUNTRY_PAIRS): Promise<WholeFileReport> {
  return ingestWholeFile(
    store,
    path,
    'aggregate',
    () => readCountryPairs(openInput(path)),
    async (rows) => {
      await saveDataset(store, dataset, 'aggregate_country_pairs');
      const appender = await store.connection.createAppender('aggregate_country_pairs');
      const add = (year: number, country: string, partner: string, works: number) => {
        appender.appendVarchar(dataset.id);
        appender.appendInteger(year);
        appender.appendVarchar(country);
        appender.appendVarchar(partner);
        appender.appendBigInt(BigInt(works));
        appender.endRow();
      };
      // Pairs are stored both ways round so a region's side can be read with one join.
      for (const r of rows) {
        add(r.year, r.a, r.b, r.works);
        if (r.a !== r.b) add(r.year, r.b, r.a, r.works);
      }
      appender.closeSync();
      return rows.length;
    },
  );
}

/** Records a dataset's provenance and caveats and clears its earlier rows from `table`. */
export async function saveDataset(store: Store, dataset: AggregateDataset, table: string): Promise<void> {
  await store.run('INSERT OR REPLACE INTO aggregate_datasets VALUES ($1, $2, $3, $4, $5)', [dataset.id, dataset.title, dataset.source, dataset.licence, dataset.caveats.join('\n')]);
  await store.run(`DELETE FROM ${table} WHERE dataset = $1`, [dataset.id]);
}
