import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { Mutex, type AppDb, type AppRow, type AppTx, type Param } from './db.ts';

/** The embedded application database: one DuckDB file, owned by one process. */
export class EmbeddedDb implements AppDb {
  readonly kind = 'embedded' as const;
  private readonly writes = new Mutex();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(path: string): Promise<EmbeddedDb> {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    try {
      const instance = await DuckDBInstance.create(path);
      return new EmbeddedDb(instance, await instance.connect());
    } catch (e) {
      if (/lock/i.test((e as Error).message)) throw new Error(`the application database ${path} is in use by another derisk process (stop the server, or use its HTTP API)`);
      throw e;
    }
  }

  async query<T extends AppRow = AppRow>(sql: string, params: Param[] = []): Promise<T[]> {
    // One connection: a statement outside a transaction waits for a running transaction to end.
    return this.writes.run(() => this.run<T>(sql, params));
  }

  private async run<T extends AppRow>(sql: string, params: Param[]): Promise<T[]> {
    const reader = await this.connection.runAndReadAll(sql, params as never);
    return reader.getRowObjectsJS().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]))) as T[];
  }

  async transaction<T>(work: (tx: AppTx) => Promise<T>): Promise<T> {
    return this.writes.run(async () => {
      await this.connection.run('BEGIN TRANSACTION');
      try {
        const result = await work({ query: (sql, params = []) => this.run(sql, params) });
        await this.connection.run('COMMIT');
        return result;
      } catch (e) {
        await this.connection.run('ROLLBACK');
        throw e;
      }
    });
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
