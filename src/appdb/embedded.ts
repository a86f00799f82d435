import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { crashPoint } from '../crash.ts';
import { OWNER_ONLY_DIR, OWNER_ONLY_FILE } from '../owner-only.ts';
import { Mutex, type AppDb, type AppRow, type AppTx, type Param } from './db.ts';

// CommonJS, required rather than imported: an import has Node parse its files for their export
// names first (as for DuckDB's client, src/store/duckdb.ts), at every start of the server and CLI.
const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;

/**
 * How long a transaction waits for another process's write transaction (an administrative command
 * beside `derisk serve`, or the server beside it) before it fails. Transactions here are a few
 * statements long, so a wait this long means something is stuck.
 */
const LOCK_WAIT_MS = 10_000;
/** SQLite's own wait, which blocks the event loop: kept short, the rest is waited asynchronously. */
const BUSY_TIMEOUT_MS = 20;

/**
 * The embedded application database: one SQLite file that several derisk processes (the server
 * and administrative commands beside it) open at once.
 *
 * - WAL journal: readers never block the writer nor the writer readers, across processes.
 * - Transactions start with BEGIN IMMEDIATE, taking the file's write lock first: two processes
 *   never both read the audit head and then both append, and a transaction never fails half-way
 *   because another writer got in between (a deferred one would, with SQLITE_BUSY_SNAPSHOT).
 *   Within a process they queue on a mutex, since they share one connection.
 * - A transaction that finds the write lock taken waits for it, up to LOCK_WAIT_MS, instead of
 *   failing at once: SQLite's busy timeout (which blocks the event loop) is a few milliseconds,
 *   then it retries after a pause, so the server keeps answering while a command beside it writes.
 * - synchronous=FULL: a commit is on disk before it is acknowledged, even across a power cut
 *   (NORMAL would survive a killed process but could lose the last commits on power loss; an
 *   acknowledged verdict or audit entry must not vanish).
 * - foreign_keys=ON: SQLite enforces declared foreign keys only when asked; PostgreSQL always
 *   does, so a migration that declares one behaves the same on both.
 * - Reads outside transactions go to a second, query-only connection: they see committed data
 *   only, never a transaction in progress on the writer. A write outside a transaction is a
 *   transaction of one statement.
 */
export class EmbeddedDb implements AppDb {
  readonly kind = 'embedded' as const;
  private readonly writes = new Mutex();

  private constructor(
    readonly path: string,
    private readonly writer: Connection,
    private readonly reader: Connection,
    private readonly cleanup: () => void,
  ) {}

  static async open(path: string): Promise<EmbeddedDb> {
    // Two connections to one private database: ':memory:' would give each its own.
    let cleanup = () => {};
    if (path === ':memory:') {
      const dir = mkdtempSync(join(tmpdir(), 'derisk-appdb-'));
      path = join(dir, 'app.sqlite');
      cleanup = () => rmSync(dir, { recursive: true, force: true });
    } else mkdirSync(dirname(path), { recursive: true, mode: OWNER_ONLY_DIR });
    // Created before SQLite opens it: SQLite would create it with the umask's mode (0644), and gives its -wal and -shm files the database's mode.
    // Only when missing: closing any other descriptor of a file this process has open drops every POSIX lock the
    // process holds on it (a command forwarded to the server opens the server's database), and a database whose
    // locks are gone looks unused to the next process, which then deletes its write-ahead log under the server.
    if (!existsSync(path)) createOwnerOnly(path);
    const writer = new Connection(path, false);
    try {
      writer.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      return new EmbeddedDb(path, writer, new Connection(path, true), cleanup);
    } catch (e) {
      writer.close();
      throw e;
    }
  }

  async query<T extends AppRow = AppRow>(sql: string, params: Param[] = []): Promise<T[]> {
    if (this.reader.prepare(sql).statement.readonly) return this.reader.run<T>(sql, params);
    return this.transaction(async (tx) => tx.query<T>(sql, params));
  }

  async transaction<T>(work: (tx: AppTx) => Promise<T>): Promise<T> {
    return this.writes.run(async () => {
      await this.begin();
      try {
        const result = await work({ query: async (sql, params = []) => this.writer.run(sql, params) });
        crashPoint('appdb.before-commit');
        this.writer.db.exec('COMMIT');
        crashPoint('appdb.committed');
        return result;
      } catch (e) {
        if (this.writer.db.inTransaction) this.writer.db.exec('ROLLBACK');
        throw e;
      }
    });
  }

  /** BEGIN IMMEDIATE, waiting (without blocking the event loop) while another process writes. */
  private async begin(): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let pause = 2; ; pause = Math.min(2 * pause, 100)) {
      try {
        this.writer.db.exec('BEGIN IMMEDIATE');
        return;
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
        if (Date.now() > deadline) throw new Error(`the application database ${this.path} stayed locked by another process for ${LOCK_WAIT_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  async close(): Promise<void> {
    await this.writes.run(async () => {
      this.reader.close();
      this.writer.close();
    });
    this.cleanup();
  }
}

interface Prepared {
  statement: BetterSqlite3.Statement;
  /** Result columns declared BOOLEAN: SQLite stores 0/1, callers get false/true as from PostgreSQL. */
  booleans: string[];
}

/** One SQLite connection with its prepared statements. */
class Connection {
  readonly db: BetterSqlite3.Database;
  private readonly statements = new Map<string, Prepared>();

  constructor(path: string, queryOnly: boolean) {
    this.db = new Database(path, { timeout: LOCK_WAIT_MS });
    try {
      // The busy timeout is set (by the constructor) before the journal mode: switching to WAL needs the lock.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.pragma('foreign_keys = ON');
      if (queryOnly) this.db.pragma('query_only = ON');
    } catch (e) {
      this.db.close();
      throw e;
    }
  }

  prepare(sql: string): Prepared {
    let p = this.statements.get(sql);
    if (p) {
      // Most recently used last: the oldest is dropped when the cache is full.
      this.statements.delete(sql);
    } else {
      const statement = this.db.prepare(sql);
      const booleans = statement.reader
        ? statement
            .columns()
            .filter((c) => /^BOOL/i.test(c.type ?? ''))
            .map((c) => c.name)
        : [];
      p = { statement, booleans };
      if (this.statements.size >= 500) this.statements.delete(this.statements.keys().next().value!);
    }
    this.statements.set(sql, p);
    return p;
  }

  run<T extends AppRow>(sql: string, params: Param[]): T[] {
    const { statement, booleans } = this.prepare(sql);
    const args = params.length > 0 ? [bind(params)] : [];
    if (!statement.reader) {
      statement.run(...args);
      return [];
    }
    const rows = statement.all(...args) as T[];
    if (booleans.length > 0) for (const row of rows) for (const c of booleans) if (row[c] !== null) (row as AppRow)[c] = row[c] === 1;
    return rows;
  }

  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }
}

/**
 * `$n` parameters are SQLite named parameters called "n", bound from an object. Booleans become
 * 1/0 (SQLite has no boolean), whole numbers integers (a JavaScript number would bind as REAL:
 * 3 stored in a TEXT column would read back "3.0").
 */
function bind(params: Param[]): Record<number, string | number | bigint | null> {
  const out: Record<number, string | number | bigint | null> = {};
  params.forEach((v, i) => {
    out[i + 1] = typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
  });
  return out;
}

/** A new, empty file of the owner's alone; another process that created it meanwhile wins, and its file is kept. */
function createOwnerOnly(path: string): void {
  try {
    closeSync(openSync(path, 'wx', OWNER_ONLY_FILE));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}
