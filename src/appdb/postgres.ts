import pg from 'pg';
import type { AppDb, AppRow, AppTx, Param } from './db.ts';

/** PostgreSQL for shared deployments: many server processes, one database. */
export class PostgresDb implements AppDb {
  readonly kind = 'postgres' as const;
  private constructor(private readonly pool: pg.Pool) {}

  static async open(url: string): Promise<PostgresDb> {
    const pool = new pg.Pool({ connectionString: url, max: 10 });
    // BIGINT arrives as text by default; the app's counters fit in a double.
    pg.types.setTypeParser(20, (v) => Number(v));
    await pool.query('SELECT 1');
    return new PostgresDb(pool);
  }

  async query<T extends AppRow = AppRow>(sql: string, params: Param[] = []): Promise<T[]> {
    return (await this.pool.query(sql, params)).rows as T[];
  }

  async transaction<T>(work: (tx: AppTx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Appends to the audit chain must follow one another across server processes.
      await client.query('SELECT pg_advisory_xact_lock(7261)');
      const result = await work({ query: async (sql, params = []) => (await client.query(sql, params)).rows as never });
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
