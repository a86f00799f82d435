import { parseArgs } from './args.ts';
import { fetchOpenAlexWorks } from '../fetch/openalex-api.ts';
import { EXIT, UsageError, type ExitCode } from './common.ts';
import { whole } from './option-values.ts';
import { ProgressReporter } from './progress.ts';
import { writableFile } from '../text-file.ts';

export async function fetchCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args: argv,
    command: 'fetch',
    allowPositionals: true,
    takes: { openalex: [0, 'the works are chosen with --filter'] },
    options: { filter: { type: 'string' }, mailto: { type: 'string' }, out: { type: 'string' }, max: { type: 'string' }, 'base-url': { type: 'string' } },
    checks: { max: whole(1) },
  });
  if (positionals[0] !== 'openalex') throw new UsageError('fetch supports: openalex');
  if (!values.filter || !values.mailto || !values.out) throw new UsageError('fetch openalex needs --filter, --mailto and --out');
  writableFile(values.out);
  const progress = new ProgressReporter('OpenAlex');
  const r = await fetchOpenAlexWorks({
    filter: values.filter,
    mailto: values.mailto,
    out: values.out,
    baseUrl: values['base-url'],
    maxRecords: values.max === undefined ? undefined : Number(values.max),
    onPage: (n, total) => progress.update(n, total ?? n, `${n} works`),
  });
  progress.finish(`${r.fetched} works in ${values.out}${r.resumed ? ' (resumed)' : ''}${r.complete ? '' : ' (stopped at --max; run again to continue)'}`);
  return EXIT.ok;
}
