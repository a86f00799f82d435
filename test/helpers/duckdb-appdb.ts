import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Mutex, type AppDb, type AppRow, type AppTx, type Param } from '../../src/appdb/db.ts';

/**
 * The embedded application database as derisk had it before SQLite (one DuckDB file, owned by one
 * process), kept verbatim to write old-format homes for the tests of their import.
 */
export class DuckDbAppDb implements AppDb {
  readonly kind = 'embedded' as const;
  private readonly writes = new Mutex();
  private next = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    /** Transactions run here, one at a time: appends to the audit chain follow one another. */
    private readonly writer: DuckDBConnection,
    /** Single statements share these: DuckDB's MVCC shows each the committed state. */
    private readonly readers: DuckDBConnection[],
  ) {}

  static async open(path: string, readers = 4): Promise<DuckDbAppDb> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      const instance = await DuckDBInstance.create(path);
      const pool = await Promise.all(Array.from({ length: readers }, () => instance.connect()));
      return new DuckDbAppDb(instance, await instance.connect(), pool);
    } catch (e) {
      if (/lock/i.test((e as Error).message)) throw new Error(`the application database ${path} is in use by another derisk process (stop the server, or use its HTTP API)`);
      throw e;
    }
  }

  async query<T extends AppRow = AppRow>(sql: string, params: Param[] = []): Promise<T[]> {
    const connection = this.readers[this.next++ % this.readers.length]!;
    return run<T>(connection, sql, params);
  }

  async transaction<T>(work: (tx: AppTx) => Promise<T>): Promise<T> {
    return this.writes.run(async () => {
      await this.writer.run('BEGIN TRANSACTION');
      try {
        const result = await work({ query: (sql, params = []) => run(this.writer, sql, params) });
        await this.writer.run('COMMIT');
        return result;
      } catch (e) {
        await this.writer.run('ROLLBACK');
        throw e;
      }
    });
  }

  async close(): Promise<void> {
    for (const c of [this.writer, ...this.readers]) c.closeSync();
    this.instance.closeSync();
  }
}

async function run<T extends AppRow>(connection: DuckDBConnection, sql: string, params: Param[]): Promise<T[]> {
  const reader = await connection.runAndReadAll(sql, params as never);
  return reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))) as T[];
}
