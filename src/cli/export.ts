import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseArgs } from './args.ts';
import { loadConfig } from '../config.ts';
import { exportFtm, ftmJsonLines } from '../exchange/ftm.ts';
import { ValidationError } from '../errors.ts';
import { loadedLists } from '../screening/store.ts';
import { EXIT, UsageError, withStore } from './common.ts';
import { at, out } from './io.ts';

const USAGE = 'export parquet <dir> | export ftm --out FILE [--list ID]...';

export async function exportCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, list: { type: 'string', multiple: true } } });
  if (positionals[0] === 'ftm') return exportFtmCommand(positionals.slice(1), values);
  if (positionals[0] !== 'parquet' || !positionals[1]) throw new UsageError(USAGE);
  const dir = positionals[1];
  return withStore(loadConfig(), async (store) => {
    await store.run(`COPY (SELECT * FROM work_institutions) TO '${at(dir).replace(/'/g, "''")}' (FORMAT parquet, PARTITION_BY (year), OVERWRITE_OR_IGNORE)`);
    out.log(`work_institutions written to ${dir}/year=…/ as Parquet`);
    return EXIT.ok;
  });
}

/** The loaded risk lists as FollowTheMoney JSON Lines, for FtM tools (yente, Aleph, nomenklatura). */
async function exportFtmCommand(rest: string[], values: { out?: string; list?: string[] }): Promise<number> {
  if (rest.length > 0 || !values.out) throw new UsageError('export ftm needs --out FILE (and takes no other argument)');
  // The console is the installation's operator: allowed what an admin is.
  const operator = { userId: `cli:${userInfo().username}`, orgId: 'local', role: 'admin' as const, name: `command line (${userInfo().username})` };
  return withStore(loadConfig(), async (store) => {
    let exported;
    try {
      exported = exportFtm(operator, await loadedLists(store), values.list ?? []);
    } catch (e) {
      throw e instanceof ValidationError ? new UsageError(`--list: ${e.message}`) : e;
    }
    if (exported.lists.length === 0) throw new UsageError('no risk lists loaded: run derisk lists load first');
    writeFileSync(at(values.out!), ftmJsonLines(exported.entities));
    out.log(`${exported.entities.length} FollowTheMoney entities (an Organization and a Sanction per entry) of ${exported.lists.join(', ')} written to ${values.out}`);
    return EXIT.ok;
  });
}
