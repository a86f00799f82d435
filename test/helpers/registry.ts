import { join } from 'node:path';
import { readRor, type Institution } from '../../src/ingest/ror.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { INPUT, MIRROR } from './fixtures.ts';

export const ROR_DUMP = join(MIRROR, 'ror-records-union/ror_records_latest_v2.jsonl.gz');

let fixture: ReturnType<typeof realRegistry> | null = null;

/** A small registry written for the tests (test/input/ror-small.jsonl): targets and their namesakes. */
export function fixtureRegistry(): ReturnType<typeof realRegistry> {
  fixture ??= load(join(INPUT, 'ror-small.jsonl'));
  return fixture;
}

async function load(path: string): Promise<{ institutions: Institution[]; resolver: AffiliationResolver }> {
  const institutions: Institution[] = [];
  for await (const item of readRor(path)) if (item.ok) institutions.push(item.institution);
  return { institutions, resolver: new AffiliationResolver(institutions) };
}

let cached: Promise<{ institutions: Institution[]; resolver: AffiliationResolver }> | null = null;

/** The real (partial) ROR registry from the data mirror, read once per test file. */
export function realRegistry(): Promise<{ institutions: Institution[]; resolver: AffiliationResolver }> {
  cached ??= load(ROR_DUMP);
  return cached;
}
