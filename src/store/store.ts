import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Mutex } from '../appdb/db.ts';
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE } from '../owner-only.ts';
import type { DuckDBAppender, DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { BOOLEAN, DOUBLE, DuckDBInstance, LIST, listValue, VARCHAR } from './duckdb.ts';
import { LISTED_DEFINITION } from '../screening/listed-definition.ts';
import { ORG_SCHEMA, ORG_VIEWS } from './org-views.ts';
import { sha256Hex } from '../sha256.ts';
import type { Tier } from '../resolve/matcher.ts';

const SCHEMA = readFileSync(fileURLToPath(new URL('./schema.sql', import.meta.url)), 'utf8');
/** Noted in the store (meta key schema_digest) once the schema is applied, so opening a store already at it writes nothing. */
const SCHEMA_DIGEST = sha256Hex(SCHEMA).slice(0, 16);

export type Row = Record<string, unknown>;

/** An evidence store's export (EXPORT DATABASE), read and checked: its schema, and which table each of its Parquet files fills. */
export interface StoreImport {
  /** The export's folder. */
  dir: string;
  /** Its schema.sql, as checked, without the organisations' views. */
  schema: string;
  /** The organisations' views it holds, by schema and name: made from derisk's definitions (src/store/org-views.ts), never from the export's bodies. */
  views: { schema: string; name: string }[];
  /** Each table (as load.sql names it, a checked identifier) and its Parquet file in `dir`. */
  copies: { table: string; file: string }[];
}

/**
 * Every distinct string screening and resolution are asked about: affiliations of the shared
 * base and of every organisation's uploads, and patent applicants. Both caches are keyed by the
 * string alone and stay global: what a string resolves to or matches depends on the string, the
 * registry and the lists, never on who uploaded it, and every reader joins them from evidence
 * it may see (a cached string tells nobody where it came from).
 */
export const EVIDENCE_STRINGS = `SELECT raw FROM affiliations UNION ALL SELECT raw FROM upload_affiliations UNION ALL SELECT name AS raw FROM patent_applicants`;

/** The affiliation strings of one organisation's uploads: what its upload resolves and screens, leaving the shared base's to an administrator. */
export const uploadStrings = (orgId: string) => `SELECT raw FROM upload_affiliations WHERE scope = '${orgId.replace(/'/g, "''")}'`;

/**
 * The schema holding an organisation's corrected view of the shared evidence (src/resolve/org-view.ts):
 * its own resolutions of the strings its corrections decide and the works they touch, with views of
 * the shared tables' names over them. A connection reading for that organisation searches it first.
 */
export const orgSchemaOf = (orgId: string): string => `org_${sha256Hex(orgId).slice(0, 16)}`;

/** The lowest match tier the last refresh counted (strong before any): what the counting rules (schema.sql) are read at outside a refresh. */
export const countedTier = async (store: Store): Promise<Exclude<Tier, 'unresolved'>> => ((await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'analytics_min_tier'`))?.value ?? 'strong') as Exclude<Tier, 'unresolved'>;

/**
 * Rebuilds registry_ancestors (schema.sql) from the registry the store holds: each institution's parents,
 * their parents and so on (UNION, not UNION ALL: a cycle in the registry's relations ends the recursion).
 * Not a table macro in schema.sql: a restore refuses those from a backup (src/appdb/backup.ts).
 */
export async function rebuildRegistryAncestors(store: Store): Promise<void> {
  await store.run('DELETE FROM registry_ancestors');
  await store.run(`INSERT INTO registry_ancestors
    WITH RECURSIVE direct AS (SELECT ror_id, unnest(parents) AS ancestor FROM institutions),
    up(ror_id, ancestor) AS (SELECT ror_id, ancestor FROM direct UNION SELECT u.ror_id, d.ancestor FROM up u JOIN direct d ON d.ror_id = u.ancestor)
    SELECT DISTINCT ror_id, ancestor FROM up WHERE ror_id <> ancestor`);
}

/** Every organisation view the store holds. */
export async function orgSchemas(store: Store): Promise<string[]> {
  const rows = await store.all<{ schema_name: string }>(`SELECT schema_name FROM duckdb_schemas() WHERE database_name = current_database() AND regexp_matches(schema_name, '^org_[0-9a-f]{16}$') ORDER BY schema_name`);
  return rows.map((r) => r.schema_name);
}

/**
 * Appends rows for `items` in slices: after each slice other work gets its turn, and after every
 * `flushEvery` items the appenders hand their rows to DuckDB. Appending is synchronous, so a
 * server appending a large batch in one go (or flushing it all at close) would answer nobody
 * meanwhile; but each flush has a cost of its own, so it waits for a few slices' rows.
 */
export async function appendInSlices<T>(items: readonly T[], appenders: DuckDBAppender[], append: (item: T) => void, slice = 250, flushEvery = 2_000): Promise<void> {
  for (let i = 0; i < items.length; i++) {
    append(items[i]!);
    if (i % flushEvery === flushEvery - 1) for (const a of appenders) a.flushSync();
    if (i % slice === slice - 1) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const COLUMN_TYPES = { VARCHAR, DOUBLE, BOOLEAN };

/** Rows to insert, column by column: each column's type and its values, one per row, every column as long. */
export type Columns = Record<string, { type: keyof typeof COLUMN_TYPES; values: (string | number | boolean | null)[] }>;

/** A surrogate alone (in unicode mode a pair is one code point, never \p{Cs}). */
const LONE_SURROGATE = /\p{Cs}/gu;

/** A column's values as one JSON array. A lone surrogate becomes U+FFFD, as DuckDB stores it from a bound value; its JSON reader refuses one. */
const jsonColumn = (type: keyof typeof COLUMN_TYPES, values: Columns[string]['values']): string => JSON.stringify(type === 'VARCHAR' ? values.map((v) => (typeof v === 'string' ? v.replace(LONE_SURROGATE, '\ufffd') : v)) : values);

/** JSON has no NaN or infinity: a double column holding one goes as a typed list instead. */
const jsonSafe = (type: keyof typeof COLUMN_TYPES, values: Columns[string]['values']): boolean => type !== 'DOUBLE' || values.every((v) => v === null || Number.isFinite(v));

/**
 * Inserts rows given as columns, `slice` rows per statement, each statement one list per column
 * unnested side by side (zipped row by row). DuckDB runs a statement on a thread of its own; an
 * appender's flush runs on the caller's, and writing what an upload's strings resolve and screen
 * to held a server's thread for up to a second at a time (`npm run bench -- --only stall`).
 * Each column goes as one JSON string DuckDB parses on its own thread: binding a list value by
 * value cost the caller's thread about 5 µs a value (17 s of CPU for the 338,593 strings of
 * 200,000 synthetic works), JSON.stringify a small fraction of it.
 */
export async function insertColumns(store: Store, table: string, columns: Columns, slice = 10_000): Promise<void> {
  const names = Object.keys(columns);
  const rows = columns[names[0]!]!.values.length;
  for (let at = 0; at < rows; at += slice) {
    const parts = names.map((n) => ({ type: columns[n]!.type, values: columns[n]!.values.slice(at, at + slice) }));
    const asJson = parts.every((p) => jsonSafe(p.type, p.values));
    const column = (p: (typeof parts)[number], i: number) => (asJson ? `unnest(from_json($${i + 1}::VARCHAR, '["${p.type}"]'))` : `unnest($${i + 1})`);
    await store.connection.run(
      `INSERT INTO ${table} (${names.join(', ')}) SELECT ${parts.map(column).join(', ')}`,
      parts.map((p) => (asJson ? jsonColumn(p.type, p.values) : listValue(p.values))),
      asJson ? undefined : parts.map((p) => LIST(COLUMN_TYPES[p.type])),
    );
  }
}

/**
 * The embedded DuckDB store. One process owns the file read-write (DuckDB refuses any other,
 * even readers), so every command opens it, works, and closes it; readers elsewhere use the
 * Parquet export.
 */
export class Store {
  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly connection: DuckDBConnection,
    /** Whether close() ends the instance too (the store's own first connection) or only this connection. */
    private readonly ownsInstance = true,
    /** The organisation view this connection reads through (its schema searched before main), if any. */
    readonly view: string | null = null,
    /** Taken by every writer of the store, whichever connection it came through (see exclusive). */
    private readonly writes: Mutex = new Mutex(),
  ) {}

  private readonly views = new Map<string, Promise<Store>>();
  private readonly viewConnections: Store[] = [];
  private readonly viewChecks = new Set<(orgId: string) => Promise<void>>();

  /**
   * Run before each read through an organisation's view (viewOf): it may rebuild the view first,
   * so that what was decided elsewhere (a correction withdrawn, unshared, retracted) is true of
   * every answer from its commit on (see keepViewsCurrent). Returns what stops it: a server
   * closed over a store that lives on (tests, a restart in one process) must not leave a check
   * that reads its closed application database.
   */
  checkViewsWith(check: (orgId: string) => Promise<void>): () => void {
    this.viewChecks.add(check);
    return () => this.viewChecks.delete(check);
  }

  /**
   * The store as an organisation reads it: through its corrected view when its corrections decide
   * any evidence string, else the shared tables as they are. One connection per view, kept.
   */
  async viewOf(orgId: string): Promise<Store> {
    for (const check of this.viewChecks) await check(orgId);
    const schema = orgSchemaOf(orgId);
    if (!(await this.one(`SELECT 1 AS x FROM duckdb_schemas() WHERE database_name = current_database() AND schema_name = $1`, [schema]))) return this;
    let view = this.views.get(schema);
    if (!view) {
      view = this.connectTo(schema);
      view.catch(() => this.views.delete(schema));
      this.views.set(schema, view);
    }
    return view;
  }

  private async connectTo(view: string | null): Promise<Store> {
    const connection = await this.instance.connect();
    if (view) await connection.run(`SET search_path = '${view},main'`);
    const store = new Store(this.path, this.instance, connection, false, view, this.writes);
    if (view && view !== this.view) this.viewConnections.push(store);
    return store;
  }

  /**
   * Another connection to the same store. A long writer (an ingest) works on its own connection,
   * so its open transaction never mixes with the statements others run meanwhile: they see
   * the last committed state (DuckDB's MVCC).
   */
  async connect(): Promise<Store> {
    return this.connectTo(this.view);
  }

  /**
   * Runs `work` on a connection of its own to the shared tables, once every other writer of this
   * store finished: an ingest (an administrator's or an organisation's upload, through any
   * workflow) and the rebuild of an organisation's view take turns. DuckDB's transactions are
   * optimistic, so two writers of the same tables at once would see one refused; and a view built
   * while an ingest writes would miss what the ingest brings. Readers run beside them.
   */
  exclusive<T>(work: (writer: Store) => Promise<T>): Promise<T> {
    return this.writes.run(async () => {
      const writer = await this.connectTo(null);
      try {
        return await work(writer);
      } finally {
        writer.close();
      }
    });
  }

  /**
   * A new store file from a directory `EXPORT DATABASE` wrote, as a restore read and checked it
   * (src/appdb/backup.ts checkBackupFiles): its schema, then each table from its Parquet file. The
   * export creates its own tables, so it is imported before the schema is applied (which then adds
   * anything newer). The import reads nothing but the export's folder and writes nothing but the new
   * store: a schema.sql of a changed backup can reach no other file.
   */
  static async importFrom(path: string, from: StoreImport): Promise<Store> {
    if (existsSync(path)) throw new Error(`${path} exists: a store is imported into a new file only`);
    mkdirSync(dirname(path), { recursive: true, mode: OWNER_ONLY_DIR });
    const instance = await DuckDBInstance.create(path);
    // Owner-only before the import fills it, as open() makes a new store.
    chmodSync(path, OWNER_ONLY_FILE);
    const quoted = (p: string) => `'${p.replace(/'/g, "''")}'`;
    try {
      const connection = await instance.connect();
      // Locked, so that nothing the export's SQL runs can lift it.
      await connection.run(`SET allowed_directories = [${quoted(from.dir + sep)}, ${quoted(`${path}.tmp${sep}`)}]`);
      await connection.run(`SET enable_external_access = false`);
      await connection.run(`SET lock_configuration = true`);
      await connection.run('BEGIN TRANSACTION');
      await connection.run(from.schema);
      for (const { schema, name } of from.views) {
        const definition = ORG_SCHEMA.test(schema) && Object.hasOwn(ORG_VIEWS, name) ? ORG_VIEWS[name]! : null;
        if (!definition) throw new Error(`${schema}.${name} is not a view derisk makes`);
        await connection.run(`CREATE VIEW ${schema}.${name} AS ${definition(schema)}`);
      }
      for (const { table, file } of from.copies) await connection.run(`COPY ${table} FROM ${quoted(join(from.dir, file))} (FORMAT 'parquet')`);
      // What the export noted of its schema is not the imported store's: open() applies the schema to it.
      await connection.run(`DELETE FROM meta WHERE key = 'schema_digest'`);
      await connection.run('COMMIT');
      connection.closeSync();
    } finally {
      instance.closeSync();
    }
    return Store.open(path);
  }

  static async open(path: string): Promise<Store> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: OWNER_ONLY_DIR });
    const created = path !== ':memory:' && !existsSync(path);
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path);
      // The evidence store holds every organisation's uploads: its owner's alone, as the application database is. An existing file keeps its mode.
      if (created) chmodSync(path, OWNER_ONLY_FILE);
    } catch (e) {
      const message = (e as Error).message;
      if (/lock/i.test(message)) throw new Error(`the store ${path} is in use by another derisk process (DuckDB allows one writer): ${message}`);
      throw e;
    }
    const connection = await instance.connect();
    const store = new Store(path, instance, connection);
    // The schema's macros are created anew each time it runs, which writes the file: a store already
    // at this schema is left as it was, so a command that only reads leaves it unchanged (src/screening/kept.ts relies on it).
    const applied = (await store.one(`SELECT 1 FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'meta'`)) ? await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'schema_digest'`) : null;
    if (applied?.value !== SCHEMA_DIGEST) {
      await connection.run(SCHEMA);
      // A registry ingested before round 50 kept no families.
      await rebuildRegistryAncestors(store);
      await store.run(`INSERT OR REPLACE INTO meta VALUES ('schema_digest', $1)`, [SCHEMA_DIGEST]);
    }
    // A store no ingest has refreshed yet answers every question with nothing rather than a missing
    // table; one a version before counted listed co-publications in otherwise has them counted again.
    // Loaded only then: the refresh's module imports this one, and the matcher with it.
    if (!(await store.one(`SELECT 1 FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'work_institutions'`))) await (await import('./refresh.ts')).createEmptyAnalytics(store);
    else if ((await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'listed_definition'`))?.value !== LISTED_DEFINITION) {
      await (await import('../screening/store.ts')).upgradeListedAffiliations(store);
    }
    return store;
  }

  async run(sql: string, params?: DuckDBValue[] | Record<string, DuckDBValue>): Promise<void> {
    await this.connection.run(sql, params);
  }

  async all<T extends Row = Row>(sql: string, params?: DuckDBValue[] | Record<string, DuckDBValue>): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, params);
    return reader.getRowObjectsJS() as T[];
  }

  /**
   * The rows of a query that may be large, in chunks of about 2,048 rows, each fetched and
   * converted in a turn of its own: `all` converts a whole result in one synchronous call, which
   * for the works of a 100k-work upload held a server's thread for seconds. Runs on a connection
   * of its own, so the open result never mixes with the statements others run meanwhile.
   */
  async *chunks<T extends Row = Row>(sql: string, params?: DuckDBValue[] | Record<string, DuckDBValue>): AsyncGenerator<T[]> {
    const own = await this.connect();
    try {
      const result = await own.connection.stream(sql, params);
      for await (const rows of result.yieldRowObjectJs()) yield rows as T[];
    } finally {
      own.close();
    }
  }

  async one<T extends Row = Row>(sql: string, params?: DuckDBValue[] | Record<string, DuckDBValue>): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  /** Runs `work` in one transaction: all of it lands, or none of it. */
  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await this.connection.run('BEGIN TRANSACTION');
    try {
      const result = await work();
      await this.connection.run('COMMIT');
      return result;
    } catch (e) {
      await this.connection.run('ROLLBACK');
      throw e;
    }
  }

  close(): void {
    for (const view of this.viewConnections.splice(0)) view.close();
    this.views.clear();
    this.connection.closeSync();
    if (this.ownsInstance) this.instance.closeSync();
  }
}
