import { parseArgs } from './args.ts';
import { loadConfig } from '../config.ts';
import { describeMerge, summariseMerges, workMerges, type WorkMerge } from '../store/merges.ts';
import { normalizeDoi } from '../ingest/records.ts';
import { COMMON, EXIT, UsageError, withStore, type ExitCode } from './common.ts';
import { out } from './io.ts';

/**
 * derisk merges [--differing] [--doi D] [--json]: the works several sources recorded, which record
 * each is counted by and what the others differ in (README: Works from several sources).
 */
export async function mergesCommand(argv: string[]): Promise<ExitCode> {
  const { values } = parseArgs({ args: argv, command: 'merges', options: { ...COMMON, differing: { type: 'boolean' }, doi: { type: 'string' } } });
  // Checked before the store opens: a mistyped DOI is a usage error at once, not after DuckDB's lock.
  const doi = values.doi === undefined ? null : normalizeDoi(values.doi);
  if (values.doi !== undefined && doi === null) throw new UsageError(`--doi ${JSON.stringify(values.doi)} is not a DOI`);
  return withStore(loadConfig(), async (store) => {
    const all = await workMerges(store, doi ? { workIds: [`doi:${doi}`] } : 'all');
    const shown = values.differing ? all.filter((m: WorkMerge) => m.others.some((o) => o.differs.length > 0)) : all;
    if (values.json) out.log(JSON.stringify({ summary: summariseMerges(all), works: shown }, null, 2));
    else {
      const s = summariseMerges(all);
      out.log(`${s.merged} works recorded by more than one source, each counted once by its preferred record (OpenAlex, then Web of Science, then Scopus); ${s.differing} differ (year ${s.year}, countries ${s.countries}, institutions ${s.institutions})`);
      for (const m of shown) out.log(describeMerge(m));
    }
    return EXIT.ok;
  });
}
