import { closeSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DuckDBInstance } from '../store/duckdb.ts';
import Database from 'better-sqlite3';
import { verifyAudit } from '../service/audit.ts';
import { numberedParameters, type AppDb, type AppRow, type AppTx, type Param } from './db.ts';
import { EmbeddedDb } from './embedded.ts';
import { knownMigrations, migrate } from './migrate.ts';
import { sha256Hex } from '../sha256.ts';

/**
 * Before SQLite, the embedded application database was a DuckDB file, `app.duckdb`, which only
 * one process at a time could open. A home that still has one is moved to SQLite on first start:
 * the old file is read (never written), its schema replayed, every row of every table copied in
 * one transaction, counts and the audit chain checked, and only then does the new file appear
 * (under its final name, atomically); the old file is kept beside it, renamed.
 */
export interface LegacyImport {
  from: string;
  keptAs: string;
  tables: Record<string, number>;
  auditEntries: number;
}

/** The old file's name once imported: kept, not deleted, and no longer picked up at start. */
export const keptName = (legacyPath: string) => `${legacyPath}.imported-into-sqlite`;

/** Where the import notes what it copied, so a start interrupted after the copy can finish. */
const IMPORT_TABLE = 'derisk_legacy_import';

/**
 * Imports `legacyPath` (an old `app.duckdb`) into a new SQLite file at `path` when the home has
 * one; returns what this call imported, or null when there was nothing to do.
 */
export async function importLegacyIfPresent(legacyPath: string, path: string): Promise<LegacyImport | null> {
  if (!existsSync(legacyPath)) return null;
  const digest = sha256File(legacyPath);
  if (existsSync(path)) {
    // Both: either an import that stopped before renaming the old file, or a mix-up to refuse.
    const db = await EmbeddedDb.open(path);
    try {
      const done = (await db.query<{ source_sha256: string }>(`SELECT source_sha256 FROM ${IMPORT_TABLE}`).catch(() => [])).some((r) => r.source_sha256 === digest);
      if (!done) throw new Error(`both ${legacyPath} (the old DuckDB application database) and ${path} exist, and the first was never imported into the second: move one of them out of the way`);
    } finally {
      await db.close();
    }
    retire(legacyPath);
    return null;
  }
  removeAbandoned(path);
  const staging = `${path}.importing-${process.pid}`;
  let copied: { tables: Record<string, number>; auditEntries: number };
  const legacy = await LegacyDuckDb.open(legacyPath);
  try {
    const target = await EmbeddedDb.open(staging);
    try {
      copied = await copy(legacy, target, digest);
    } finally {
      await target.close();
    }
    // A self-contained file (no -wal beside it), so that linking it into place moves all of it.
    const raw = new Database(staging);
    raw.pragma('journal_mode = DELETE');
    raw.close();
  } catch (e) {
    for (const f of [staging, `${staging}-wal`, `${staging}-shm`]) rmSync(f, { force: true });
    throw e;
  } finally {
    await legacy.close();
  }
  const fd = openSync(staging, 'r');
  fsyncSync(fd);
  closeSync(fd);
  try {
    linkSync(staging, path); // fails if another process finished its import first: theirs stands
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(staging, { force: true });
  }
  retire(legacyPath);
  return { from: legacyPath, keptAs: keptName(legacyPath), ...copied };
}

async function copy(legacy: LegacyDuckDb, target: EmbeddedDb, digest: string): Promise<{ tables: Record<string, number>; auditEntries: number }> {
  const applied = (await legacy.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')).map((r) => r.name);
  const known = new Set(knownMigrations());
  const unknown = applied.filter((m) => !known.has(m));
  if (unknown.length > 0) throw new Error(`${legacy.path} has migrations this derisk does not know (${unknown.join(', ')}): it was written by a newer version`);
  // The schema the old database had, so its rows fit; the later migrations run on them afterwards.
  await migrate(target, new Set(applied));
  const names = (await legacy.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'main' AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY table_name")).map((r) => r.name);
  const before = await verifyAudit(legacy, new Set(names));
  const tables: Record<string, number> = {};
  await target.transaction(async (tx) => {
    // Rows arrive table by table; foreign keys, if a migration declares any, are checked at commit.
    await tx.query('PRAGMA defer_foreign_keys = ON');
    for (const table of names) {
      const columns = (await tx.query<{ name: string }>(`SELECT name FROM pragma_table_info($1)`, [table])).map((c) => c.name);
      if (columns.length === 0) throw new Error(`${legacy.path}: table ${table} has no counterpart in the SQLite schema`);
      const rows = await legacy.query(`SELECT * FROM "${table}"`);
      for (const row of rows) {
        const names = Object.keys(row);
        const missing = names.find((c) => !columns.includes(c));
        if (missing) throw new Error(`${legacy.path}: column ${table}.${missing} has no counterpart in the SQLite schema`);
        await tx.query(
          `INSERT INTO "${table}" (${names.map((c) => `"${c}"`).join(', ')}) VALUES (${numberedParameters(names.length)})`,
          names.map((c) => row[c] as Param),
        );
      }
      const n = Number((await tx.query<{ n: number }>(`SELECT count(*) AS n FROM "${table}"`))[0]!.n);
      if (n !== rows.length) throw new Error(`${legacy.path}: ${table} has ${rows.length} rows, ${n} arrived`);
      tables[table] = n;
    }
    await tx.query(`CREATE TABLE ${IMPORT_TABLE} (source_path TEXT NOT NULL, source_sha256 TEXT NOT NULL, imported_at TEXT NOT NULL, tables TEXT NOT NULL)`);
    await tx.query(`INSERT INTO ${IMPORT_TABLE} VALUES ($1, $2, $3, $4)`, [legacy.path, digest, new Date().toISOString(), JSON.stringify(tables)]);
  });
  await migrate(target);
  const after = await verifyAudit(target);
  // The chain arrives as it was: the same head, and no problem that was not there before.
  if (after.head !== before.head || after.problems.length > before.problems.length) {
    throw new Error(`${legacy.path}: the audit chain does not verify after the import (head ${after.head.slice(0, 16)}… instead of ${before.head.slice(0, 16)}…, ${after.problems.length} problems): nothing was changed`);
  }
  return { tables, auditEntries: after.entries };
}

/** Staging files of imports whose process died (a crash or kill in the middle): nothing refers to them. */
function removeAbandoned(path: string): void {
  const prefix = `${basename(path)}.importing-`;
  for (const name of readdirSync(dirname(path))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).replace(/-(wal|shm)$/, ''));
    if (Number.isInteger(pid) && !alive(pid)) rmSync(join(dirname(path), name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function retire(legacyPath: string): void {
  for (const [from, to] of [
    [legacyPath, keptName(legacyPath)],
    [`${legacyPath}.wal`, `${keptName(legacyPath)}.wal`],
  ] as const) {
    try {
      renameSync(from, to);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // another process retired it first
    }
  }
}

function sha256File(path: string): string {
  return sha256Hex(readFileSync(path));
}

/** The old DuckDB file, read-only: enough of AppDb for reading rows and verifying the audit chain. */
class LegacyDuckDb implements AppDb {
  readonly kind = 'embedded' as const;
  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(path: string): Promise<LegacyDuckDb> {
    try {
      const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
      return new LegacyDuckDb(path, instance, await instance.connect());
    } catch (e) {
      if (/lock/i.test((e as Error).message)) throw new Error(`the old application database ${path} is in use by another derisk process (an older derisk serve?): stop it, then start again to move it to SQLite`);
      throw e;
    }
  }

  async query<T extends AppRow = AppRow>(sql: string, params: Param[] = []): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, params as never);
    return reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))) as T[];
  }

  /** Reads only (the file is opened READ_ONLY, so a write fails): nothing else writes to it, so every read is consistent. */
  async transaction<T>(work: (tx: AppTx) => Promise<T>): Promise<T> {
    return work(this);
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
