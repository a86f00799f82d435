import { userInfo } from 'node:os';
import { parseArgs } from './args.ts';
import { loadConfig } from '../config.ts';
import { exportFtm, ftmHitEntities, ftmJsonLines, type ScreenedHit } from '../exchange/ftm.ts';
import { ValidationError } from '../errors.ts';
import { loadedLists, SCREENER_VERSION } from '../screening/store.ts';
import type { Store } from '../store/store.ts';
import { EXIT, UsageError, withStore, type ExitCode } from './common.ts';
import { at, out } from './io.ts';
import { writableFile, writableFolder, writeTextFile } from '../text-file.ts';

const USAGE = 'export parquet <dir> | export ftm --out FILE [--list ID]... [--hits]';

export async function exportCommand(argv: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args: argv, command: 'export', allowPositionals: true, takes: { parquet: 1, ftm: 0 }, options: { out: { type: 'string' }, list: { type: 'string', multiple: true }, hits: { type: 'boolean' } } });
  if (positionals[0] === 'ftm') return exportFtmCommand(positionals.slice(1), values);
  if (positionals[0] !== 'parquet' || !positionals[1]) throw new UsageError(USAGE);
  const dir = positionals[1];
  writableFolder(at(dir));
  return withStore(loadConfig(), async (store) => {
    await store.run(`COPY (SELECT * FROM work_institutions) TO '${at(dir).replace(/'/g, "''")}' (FORMAT parquet, PARTITION_BY (year), OVERWRITE_OR_IGNORE)`);
    out.log(`work_institutions written to ${dir}/year=…/ as Parquet`);
    return EXIT.ok;
  });
}

/** Hits of the shared evidence base (bibliographic affiliations, patent applicants); an organisation's uploads stay its own. */
async function sharedBaseHits(store: Store, lists: string[]): Promise<ScreenedHit[]> {
  const rows = await store.all<{ raw: string; list_id: string; entry_id: string; match: string; score: number; evidence: string }>(
    `SELECT DISTINCT h.raw, h.list_id, h.entry_id, h.match, h.score, h.evidence FROM screen_hits h
     WHERE h.raw IN (SELECT raw FROM affiliations UNION SELECT name FROM patent_applicants) ORDER BY h.raw, h.list_id, h.entry_id`,
  );
  return rows.filter((r) => lists.includes(r.list_id)).map((r) => ({ raw: r.raw, list: r.list_id, entryId: r.entry_id, match: r.match, score: Number(r.score), evidence: r.evidence }));
}

/** The loaded risk lists as FollowTheMoney JSON Lines, for FtM tools (yente, Aleph, nomenklatura). */
async function exportFtmCommand(rest: string[], values: { out?: string; list?: string[]; hits?: boolean }): Promise<ExitCode> {
  if (rest.length > 0 || !values.out) throw new UsageError('export ftm needs --out FILE (and takes no other argument)');
  writableFile(at(values.out));
  // The console is the installation's operator: allowed what an admin is.
  const operator = { userId: `cli:${userInfo().username}`, orgId: 'local', role: 'admin' as const, name: `command line (${userInfo().username})` };
  return withStore(loadConfig(), async (store) => {
    let exported;
    try {
      exported = exportFtm(operator, await loadedLists(store), values.list ?? []);
    } catch (e) {
      throw e instanceof ValidationError ? new UsageError(`--list: ${e.message}`) : e;
    }
    // Nothing loaded is nothing to export, as every read command answers on a new home: an empty file, said so (round 48: it was a usage error).
    if (exported.lists.length === 0) {
      writeTextFile(at(values.out!), '');
      out.error(`no risk lists loaded (derisk lists load loads them): 0 FollowTheMoney entities written to ${values.out}`);
      return EXIT.ok;
    }
    if (values.hits) {
      const lists = (await loadedLists(store)).filter((l) => exported.lists.includes(l.id));
      const hits = await sharedBaseHits(store, exported.lists);
      const entities = ftmHitEntities(hits, lists, SCREENER_VERSION);
      writeTextFile(at(values.out!), ftmJsonLines(entities));
      out.log(`${hits.length} screening hits of the shared evidence as FollowTheMoney (the strings as LegalEntity, each hit a Similar to the listed Organization): ${entities.length} entities written to ${values.out}`);
      return EXIT.ok;
    }
    writeTextFile(at(values.out!), ftmJsonLines(exported.entities));
    out.log(`${exported.entities.length} FollowTheMoney entities (an Organization and a Sanction per entry) of ${exported.lists.join(', ')} written to ${values.out}`);
    return EXIT.ok;
  });
}
