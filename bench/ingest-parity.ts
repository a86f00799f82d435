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
const tablesOf = async (db: string) => new Set(((await rows(`SELECT table_name FROM duckdb_tables() WHERE database_name = '${db}' AND schema_name = 'main'`)) as { table_name: string }[]).map((r) => r.table_name));
const columnsOf = async (db: string, table: string) => (await rows(`SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = '${db}' AND schema_name = 'main' AND table_name = '${table}' ORDER BY column_index`)) as { column_name: string; data_type: string }[];
const [inA, inB] = [await tablesOf('a'), await tablesOf('b')];
const tables = [...new Set([...inA, ...inB])].sort();
let differing = 0;
for (const table of tables) {
  // A table one store has and the other lacks (a schema change between the two trees) differs, and is named, not compared.
  if (!inA.has(table) || !inB.has(table)) {
    differing++;
    console.log(`DIFFERS ${table}: only in ${inA.has(table) ? 'A' : 'B'}`);
    continue;
  }
  const columns = await columnsOf('a', table);
  const columnsB = new Set((await columnsOf('b', table)).map((x) => `${x.column_name} ${x.data_type}`));
  const missing = columns.filter((x) => !columnsB.has(`${x.column_name} ${x.data_type}`)).map((x) => x.column_name);
  if (missing.length > 0 || columnsB.size !== columns.length) {
    differing++;
    console.log(`DIFFERS ${table}: the columns differ (${missing.length > 0 ? `only in A: ${missing.join(', ')}` : 'B has more'})`);
    continue;
  }
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
