/** A row as the database returns it; numbers arrive as numbers, text as strings. */
export type AppRow = Record<string, unknown>;
export type Param = string | number | boolean | null;

/**
 * The parameter markers for `count` values, numbered from `first`: "$1, $2, $3" — the form both
 * databases (and DuckDB) take, so that values never enter the SQL text.
 */
export const numberedParameters = (count: number, first = 1): string => Array.from({ length: count }, (_, i) => `$${first + i}`).join(', ');

/**
 * The application database: users, organisations, cases, verdicts, notes and the audit trail.
 * Two drivers run the same SQL and migrations: an embedded SQLite file by default (several
 * processes may open it at once), PostgreSQL for shared deployments. SQL is kept to what both
 * accept ($n parameters, TEXT/BIGINT/BOOLEAN/DOUBLE PRECISION, ISO timestamps as text, JSON as
 * text); both return booleans as booleans and numbers as numbers.
 */
export interface AppDb {
  readonly kind: 'embedded' | 'postgres';
  query<T extends AppRow = AppRow>(sql: string, params?: Param[]): Promise<T[]>;
  /**
   * Runs `work` in one transaction on one connection; transactions are serialised, within the
   * process and across processes, so appends to the audit chain follow one another.
   */
  transaction<T>(work: (tx: AppTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface AppTx {
  query<T extends AppRow = AppRow>(sql: string, params?: Param[]): Promise<T[]>;
}

export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  async run<T>(work: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise((r) => (release = r));
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }
}
