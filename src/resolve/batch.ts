import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { cannotWrite, streamableFile, writeAtomically } from '../text-file.ts';
import { readCsv, safeCsvField } from '../ingest/csv.ts';
import { InputError } from '../ingest/records.ts';
import type { RegionCatalogue } from '../regions/regions.ts';
import { TIER_RANK, type AffiliationResolver, type Tier } from './matcher.ts';

export interface BatchOptions {
  column: string;
  rollUp: boolean;
  minTier: Exclude<Tier, 'unresolved'>;
  regions: RegionCatalogue;
  onProgress?: (rows: number) => void;
}

// A company or corporate lab named in the string ("Huawei Noah's Ark Lab, London": Huawei, GB) is a party the institution columns miss.
export const ADDED_COLUMNS = ['ror_id', 'name', 'country_code', 'region', 'tier', 'score', 'evidence', 'company', 'company_country', 'company_evidence'];

/**
 * Resolves one column of a CSV file and writes every input column plus the resolution. Rows
 * the reader cannot parse are written out as errors, not skipped, so row counts always match.
 */
export function resolveCsv(resolver: AffiliationResolver, inPath: string, outPath: string, options: BatchOptions): Promise<{ rows: number; resolved: number; withCountry: number; unreadable: number }> {
  // Whole or not at all: a failure midway (a header without the column, a disk error) leaves outPath as it was.
  return writeAtomically(outPath, async (part) => {
    const out = createWriteStream(part);
    try {
      return await resolveInto(out, resolver, inPath, outPath, options);
    } catch (e) {
      // The reader refuses a stream (empty, binary, UTF-16…) without knowing its path.
      throw e instanceof InputError ? e.inFile(inPath) : e;
    } finally {
      // Closed on failure too, before the part is removed (end() after finished() is a no-op).
      out.destroy();
    }
  });
}

async function resolveInto(out: WriteStream, resolver: AffiliationResolver, inPath: string, outPath: string, options: BatchOptions): Promise<{ rows: number; resolved: number; withCountry: number; unreadable: number }> {
  // Opened before any row is read: a write stream's failure names no path, and unheard it ends the process.
  await once(out, 'open').catch((e: unknown) => {
    throw new Error(cannotWrite(outPath, e));
  });
  // A write error between two waits for 'drain' is heard here, not left to end the process unheard.
  let failed: unknown = null;
  out.on('error', (e) => (failed ??= e));
  const write = async (line: string) => {
    if (failed) throw new Error(cannotWrite(outPath, failed));
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  let header: string[] | null = null;
  let column = -1;
  let rows = 0;
  let resolved = 0;
  let withCountry = 0;
  let unreadable = 0;
  for await (const row of readCsv(createReadStream(streamableFile(inPath)))) {
    if ('error' in row) {
      if (!header) throw new Error(`${inPath}: header row cannot be read: ${row.error}`);
      unreadable++;
      rows++;
      await write([...header.map(() => ''), '', '', '', '', 'unreadable', '', `line ${row.lineNo}: ${row.error}`, '', '', ''].map(safeCsvField).join(','));
      continue;
    }
    if (!header) {
      header = row.fields;
      column = header.indexOf(options.column);
      if (column < 0) throw new Error(`${inPath}: no column named ${JSON.stringify(options.column)}; columns are ${header.join(', ')}`);
      await write([...header, ...ADDED_COLUMNS].map(safeCsvField).join(','));
      continue;
    }
    rows++;
    const fields = header.map((_, i) => row.fields[i] ?? '');
    const r = resolver.resolve(fields[column] ?? '');
    const matches = r.institutions.filter((m) => TIER_RANK[m.tier] >= TIER_RANK[options.minTier]);
    const ids = matches.map((m) => (options.rollUp ? resolver.rollUp(m.rorId) : m.rorId));
    const unique = [...new Set(ids)];
    const names = unique.map((id) => resolver.institution(id)?.name ?? id);
    const country = r.countryCode;
    const region = country ? regionsOf(options.regions, country) : '';
    if (unique.length > 0) resolved++;
    if (country) withCountry++;
    const tier = unique.length > 0 ? matches[0]!.tier : 'unresolved';
    const score = unique.length > 0 ? Math.max(...matches.map((m) => m.score)) : '';
    const evidence = [...matches.map((m) => m.evidence), `country: ${r.countryEvidence}`].join(' | ');
    const companies = r.companies ?? [];
    const companyColumns = [companies.map((c) => (c.lab ? `${c.name} (${c.lab})` : c.name)).join(';'), companies.map((c) => c.countryCode ?? '').join(';'), companies.map((c) => c.evidence).join(' | ')];
    await write([...fields, unique.map((id) => `https://ror.org/${id}`).join(';'), names.join(';'), country ?? '', region, tier, score, evidence, ...companyColumns].map(safeCsvField).join(','));
    if (rows % 5000 === 0) options.onProgress?.(rows);
  }
  // Blank lines only: an output with no header would look like a resolved file of no rows.
  if (!header) throw new InputError('no header row', inPath);
  out.end();
  await finished(out).catch((e: unknown) => {
    throw new Error(cannotWrite(outPath, e));
  });
  return { rows, resolved, withCountry, unreadable };
}

/** Every region the country belongs to under the current settings ("EU27;EU27AC" for DE). */
export function regionsOf(catalogue: RegionCatalogue, country: string): string {
  return [...catalogue.regions.values()]
    .filter((r) => r.countries.includes(country))
    .map((r) => r.id)
    .join(';');
}
