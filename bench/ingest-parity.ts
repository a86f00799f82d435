import { DuckDBInstance } from '@duckdb/node-api';

// Parity of two stores that ingested the same files (this tree's and a baseline's): every table of
// the store, rows compared as multisets (timestamps, which differ run to run, left out).
// Usage: node --import ./scripts/test-register.js bench/ingest-parity.ts A.duckdb B.duckdb

const [a, b] = process.argv.slice(2);
if (!a || !b) throw new Error('usage: ingest-parity.ts A.duckdb B.duckdb');
const instance = await DuckDBInstance.create(':memory:');
const c = await instance.connect();
await c.run(`ATTACH '${a}' AS a (READ_ONLY); ATTACH '${b}' AS b (READ_ONLY)`);
const rows = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJS();
const tables = await rows(`SELECT table_name FROM duckdb_tables() WHERE database_name = 'a' AND schema_name = 'main' ORDER BY 1`);
let differing = 0;
for (const { table_name: table } of tables as { table_name: string }[]) {
  const columns = (await rows(`SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'a' AND schema_name = 'main' AND table_name = '${table}' ORDER BY column_index`)) as { column_name: string; data_type: string }[];
  const kept = columns.filter((x) => !x.data_type.startsWith('TIMESTAMP')).map((x) => `"${x.column_name}"`);
  if (kept.length === 0) continue;
  const list = kept.join(', ');
  const [r] = (await rows(
    `SELECT (SELECT count(*) FROM a.main."${table}")::DOUBLE AS n_a, (SELECT count(*) FROM b.main."${table}")::DOUBLE AS n_b,
       (SELECT count(*) FROM (SELECT ${list} FROM a.main."${table}" EXCEPT ALL SELECT ${list} FROM b.main."${table}"))::DOUBLE AS only_a,
       (SELECT count(*) FROM (SELECT ${list} FROM b.main."${table}" EXCEPT ALL SELECT ${list} FROM a.main."${table}"))::DOUBLE AS only_b`,
  )) as { n_a: number; n_b: number; only_a: number; only_b: number }[];
  const same = r!.only_a === 0 && r!.only_b === 0;
  if (!same) differing++;
  if (!same || r!.n_a > 0) console.log(`${same ? 'same' : 'DIFFERS'} ${table}: ${r!.n_a} rows / ${r!.n_b} rows; only in A ${r!.only_a}, only in B ${r!.only_b}`);
}
console.log(differing === 0 ? `parity: all ${tables.length} tables the same` : `parity: ${differing} tables differ`);
c.closeSync();
instance.closeSync();
