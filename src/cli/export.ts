import { parseArgs } from './args.ts';
import { loadConfig } from '../config.ts';
import { EXIT, UsageError, withStore } from './common.ts';
import { at, out } from './io.ts';

export async function exportCommand(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals[0] !== 'parquet' || !positionals[1]) throw new UsageError('export parquet <dir>');
  const dir = positionals[1];
  return withStore(loadConfig(), async (store) => {
    await store.run(`COPY (SELECT * FROM work_institutions) TO '${at(dir).replace(/'/g, "''")}' (FORMAT parquet, PARTITION_BY (year), OVERWRITE_OR_IGNORE)`);
    out.log(`work_institutions written to ${dir}/year=…/ as Parquet`);
    return EXIT.ok;
  });
}
