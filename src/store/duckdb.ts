import { createRequire } from 'node:module';
import type * as DuckDB from '@duckdb/node-api';

// DuckDB's client is CommonJS re-exporting some forty files: imported as ESM, Node parses every
// one of them for its export names first (cjs-module-lexer), which cost more than loading them.
// Required, it is only loaded (measured: about 500 ms of CPU down to 200 for any command that
// opens the store), and bundled into one file (src/vendor/duckdb.cjs) about 100 ms less again.
// Values come from here; types are imported from '@duckdb/node-api' directly.
const duckdb = createRequire(import.meta.url)('../vendor/duckdb.cjs') as typeof DuckDB;

export const { LIST, VARCHAR, DOUBLE, BOOLEAN, listValue } = duckdb;
export const DuckDBInstance = duckdb.DuckDBInstance;
export type DuckDBInstance = DuckDB.DuckDBInstance;
