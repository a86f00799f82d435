import { join } from 'node:path';
import { readRor, type Institution } from '../../src/ingest/ror.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { MIRROR } from './fixtures.ts';

export const ROR_DUMP = join(MIRROR, 'ror-records-union/ror_records_latest_v2.jsonl.gz');

let cached: Promise<{ institutions: Institution[]; resolver: AffiliationResolver }> | null = null;

/** The real (partial) ROR registry from the data mirror, read once per test file. */
export function realRegistry(): Promise<{ institutions: Institution[]; resolver: AffiliationResolver }> {
  cached ??= (async () => {
    const institutions: Institution[] = [];
    for await (const item of readRor(ROR_DUMP)) if (item.ok) institutions.push(item.institution);
    return { institutions, resolver: new AffiliationResolver(institutions) };
  })();
  return cached;
}
