import { join } from 'node:path';
import { parseArgs } from './args.ts';
import { openAppDb } from '../appdb/open.ts';
import { loadConfig } from '../config.ts';
import { SHARED } from '../ingest/pipeline.ts';
import { OpenAlexFetchJob } from '../monitoring/openalex-fetch.ts';
import { COMMON, EXIT, UsageError, withStore, type ExitCode } from './common.ts';
import { runIngest } from './ingest.ts';
import { out } from './io.ts';

export const MONITOR_USAGE = `derisk monitor fetch [--mailto E] [--base-url URL] [--json]   one pass of the OpenAlex fetch for watched institutions and countries`;

/** derisk monitor fetch: one pass of the scheduled OpenAlex fetch, at the console (or inside the running server). */
export async function monitorCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args: argv, command: 'monitor', allowPositionals: true, takes: { fetch: 0 }, options: { ...COMMON, mailto: { type: 'string' }, 'base-url': { type: 'string' } } });
  if (values.help || positionals[0] !== 'fetch' || positionals.length !== 1) {
    if (values.help) {
      out.log(`Usage:\n  ${MONITOR_USAGE}`);
      return EXIT.ok;
    }
    throw new UsageError('monitor takes one command: fetch');
  }
  const config = loadConfig();
  const mailto = values.mailto ?? config.openalex?.mailto;
  if (!mailto) throw new UsageError('the OpenAlex fetch needs a contact e-mail address: --mailto or DERISK_OPENALEX_MAILTO');
  const settings = { ...(config.openalex ?? { intervalMinutes: 24 * 60 }), mailto, ...(values['base-url'] ? { baseUrl: values['base-url'] } : {}) };
  const db = await openAppDb(config);
  try {
    const report = await withStore(config, (store) =>
      new OpenAlexFetchJob({
        db,
        settings,
        dir: join(config.home, 'openalex-fetch'),
        ingest: async (path) => (await runIngest(store, config, [{ scope: SHARED, kind: 'openalex', files: [{ path }] }]))[0]!.files[0]!,
        log: (line) => out.error(line),
      }).run(),
    );
    if (values.json) out.log(JSON.stringify(report, null, 2));
    else out.log(`OpenAlex fetch: ${report.targets.length} watched institution(s) and countries, ${report.kept} new works, ${report.quarantined} set aside, ${report.failed} pull(s) failed${report.failed ? ' (kept for the next pass)' : ''}`);
    return report.failed > 0 ? EXIT.failed : report.quarantined > 0 ? EXIT.quarantined : EXIT.ok;
  } finally {
    await db.close();
  }
}
