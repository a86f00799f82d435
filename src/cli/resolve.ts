import { parseArgs } from './args.ts';
import { loadConfig } from '../config.ts';
import { resolveCsv } from '../resolve/batch.ts';
import { keptMatcher } from '../resolve/kept.ts';
import type { Tier } from '../resolve/matcher.ts';
import { COMMON, EXIT, REGION_OPTIONS, UsageError, withStore, type ExitCode } from './common.ts';
import { regionsFrom } from './regions-option.ts';
import { at } from './io.ts';
import { oneOf } from './option-values.ts';
import { streamableFile, writableFile } from '../text-file.ts';
import { ProgressReporter } from './progress.ts';

export async function resolveCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: argv,
    command: 'resolve',
    allowPositionals: true,
    takes: [1, 'one input CSV at a time'],
    options: { ...COMMON, ...REGION_OPTIONS, column: { type: 'string' }, out: { type: 'string' }, rollup: { type: 'boolean' }, 'min-tier': { type: 'string' } },
    checks: { 'min-tier': oneOf(['exact', 'strong', 'possible']) },
  });
  const input = positionals[0];
  if (!input || !values.column || !values.out) throw new UsageError('resolve needs <in.csv> --column <name> --out <out.csv>');
  const minTier = (values['min-tier'] ?? 'strong') as Tier;
  // Both files are checked before the registry is read (seconds): a mistyped path is named at once.
  streamableFile(at(input));
  writableFile(at(values.out));
  const config = loadConfig();
  const { resolver, institutions } = await withStore(config, (store) => keptMatcher(store));
  if (institutions === 0) throw new Error(`no ROR registry in ${config.storePath}; run "derisk ingest ror <dump>" (or "derisk demo") first`);
  const progress = new ProgressReporter(`resolving ${input}`);
  const r = await resolveCsv(resolver, at(input), at(values.out), {
    column: values.column,
    rollUp: Boolean(values.rollup),
    minTier: minTier as Exclude<Tier, 'unresolved'>,
    regions: await regionsFrom(values),
    onProgress: (n) => progress.update(n, n, `${n} rows`),
  });
  progress.finish(`${r.rows} rows: ${r.resolved} with an institution, ${r.withCountry} with a country, ${r.unreadable} unreadable`);
  return r.unreadable > 0 ? EXIT.quarantined : EXIT.ok;
}
