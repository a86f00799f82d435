import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/store.ts';
import { distrust } from '../owner-only.ts';
import { sha256Hex } from '../sha256.ts';

/**
 * Resolutions kept outside the store, so that a rebuilt store, another store or another machine's
 * run resolves only the strings no run has resolved before: at ~0.2 ms of CPU per distinct string,
 * resolution is most of a first load's time.
 *
 * An answer is filed under its key: the resolution version (the matcher's version, the registry's
 * digest and a digest of the data files the matcher reads: data/geo, data/resolve, the alias file
 * in use), so a new matcher, registry, gazetteer or alias file reads another folder and never an older answer. Each
 * run adds Parquet files written aside and renamed into place: several processes may share one
 * cache, and a killed run leaves only whole files. Resolutions under an organisation's
 * corrections are not kept here (they depend on that organisation's corrections).
 *
 * An answer read from here is taken as the resolver's, so the cache is trusted only as far as who
 * can write it: a folder or file that is not the user's own, or that group or others may write, is
 * refused (anyone who can write it could plant answers).
 */
export class ResolutionCache {
  private readonly folder: string;

  constructor(
    readonly dir: string,
    readonly version: string,
  ) {
    this.folder = join(dir, sha256Hex(version).slice(0, 32));
  }

  /** Where the cache is: DERISK_RESOLUTION_CACHE (one folder shared by stores), else beside the store file; none for a store in memory. */
  static locate(store: Store): string | null {
    const shared = process.env.DERISK_RESOLUTION_CACHE;
    if (shared) return shared;
    return store.path === ':memory:' ? null : `${store.path}.resolution-cache`;
  }

  private files(): string[] {
    if (!existsSync(this.folder)) return [];
    this.checkFolders();
    const files = readdirSync(this.folder)
      .filter((f) => f.endsWith('.parquet'))
      .map((f) => join(this.folder, f));
    for (const f of files) {
      const stat = lstatSync(f);
      if (!stat.isFile()) throw new Error(`the resolution cache file ${f} is not a plain file: refusing the cache (derisk writes plain files); delete it, its strings are resolved again`);
      refuseUntrusted(stat, `the resolution cache file ${f}`, `delete it (its strings are resolved again)`);
    }
    return files;
  }

  private checkFolders(): void {
    for (const folder of [this.dir, this.folder]) {
      refuseUntrusted(statSync(folder), `the resolution cache folder ${folder}`, `make it yours alone (chmod 700 ${folder}) after checking that no one else wrote into it, or point DERISK_RESOLUTION_CACHE at a folder of your own`);
    }
  }

  /**
   * Fills `into` (raw, country_code, country_evidence, tier, institutions, companies) with the kept answers
   * for the strings of `pending` (a table with a `raw` column); returns how many were found.
   */
  async lookUp(store: Store, pending: string, into: string): Promise<number> {
    const files = this.files();
    if (files.length === 0) return 0;
    await store
      .run(
        `CREATE OR REPLACE TEMP TABLE ${into} AS
         SELECT c.* FROM read_parquet(${sqlList(files)}) c
         WHERE c.raw IN (SELECT raw FROM ${pending})
         QUALIFY row_number() OVER (PARTITION BY c.raw) = 1`,
      )
      .catch((e: Error) => {
        throw new Error(`the resolution cache ${this.folder} cannot be read (${e.message}); deleting that folder is safe: its strings are resolved again`);
      });
    return Number((await store.one<{ n: number }>(`SELECT count(*)::DOUBLE AS n FROM ${into}`))!.n);
  }

  /** Keeps the store's answers for the strings of `strings` (a table with a `raw` column). */
  async keep(store: Store, strings: string): Promise<void> {
    // Owner-only, as the store is: it holds every organisation's uploaded strings.
    mkdirSync(this.folder, { recursive: true, mode: 0o700 });
    this.checkFolders();
    const name = `${Date.now()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const aside = join(this.folder, `${name}.tmp`);
    await store.run(
      `COPY (
         SELECT r.raw, r.country_code, r.country_evidence, r.tier,
           coalesce(list({ror_id: i.ror_id, tier: i.tier, score: i.score, is_primary: i.is_primary, evidence: i.evidence, unit_of: i.unit_of}) FILTER (WHERE i.raw IS NOT NULL), []) AS institutions,
           coalesce((SELECT list({seq: c.seq, company_id: c.company_id, name: c.name, lab: c.lab, country_code: c.country_code, ror_id: c.ror_id, evidence: c.evidence} ORDER BY c.seq) FROM resolution_companies c WHERE c.raw = r.raw), []) AS companies
         FROM resolutions r LEFT JOIN resolution_institutions i ON i.raw = r.raw
         WHERE r.raw IN (SELECT raw FROM ${strings}) AND r.resolver_version = $1
         GROUP BY r.raw, r.country_code, r.country_evidence, r.tier
       ) TO ${sqlString(aside)} (FORMAT parquet)`,
      [this.version],
    );
    chmodSync(aside, 0o600);
    renameSync(aside, join(this.folder, `${name}.parquet`));
  }
}

/** Refuses what is not the user's own or what group or others may write: its content could have been planted. */
function refuseUntrusted(stat: Stats, what: string, remedy: string): void {
  const problem = distrust(stat, 0o022);
  if (problem) throw new Error(`${what} ${problem}: someone other than you could write it and plant answers, so the resolution cache is refused; ${remedy}`);
}

const sqlString = (s: string) => `'${s.replaceAll("'", "''")}'`;
const sqlList = (xs: string[]) => `[${xs.map(sqlString).join(', ')}]`;
