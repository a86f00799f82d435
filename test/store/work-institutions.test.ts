import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { workInstitutionStatements } from '../../src/store/refresh.ts';

// work_institutions takes the ordered sum and the distinct count of authors only for the keys of
// several rows, and joins them back on keys that hold NULLs (no institution, no year): each key
// must come out as the one aggregate over all of its rows gives it.
const AGGREGATE = `SELECT work_id, year, ror_id, country_code,
    CASE max(CASE tier WHEN 'exact' THEN 3 WHEN 'strong' THEN 2 WHEN 'possible' THEN 1 ELSE 0 END)
      WHEN 3 THEN 'exact' WHEN 2 THEN 'strong' WHEN 1 THEN 'possible' ELSE min(tier) END AS tier,
    sum(weight ORDER BY author_seq, aff_seq) AS weight, count(DISTINCT author_seq) AS authors
  FROM wa GROUP BY work_id, year, ror_id, country_code`;

test('work × institution rows: keys of one row and of several, with and without an institution or a year, as one aggregate over their rows', async () => {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run(`CREATE TABLE wa (work_id VARCHAR, year INTEGER, author_seq INTEGER, aff_seq INTEGER, ror_id VARCHAR, country_code VARCHAR, tier VARCHAR, matched_by VARCHAR, weight DOUBLE)`);
  await c.run(`INSERT INTO wa VALUES
    ('w1', 2020, 0, 0, '01abc', 'DE', 'exact', 'source', 0.1),
    ('w1', 2020, 2, 0, '01abc', 'DE', 'possible', 'derisk', 0.2),
    ('w1', 2020, 2, 1, '01abc', 'DE', 'strong', 'derisk', 0.3),
    ('w1', 2020, 1, 0, NULL, 'CN', 'country-only', NULL, 0.15),
    ('w1', 2020, 1, 1, NULL, 'CN', 'country-only', NULL, 0.25),
    ('w1', 2020, 3, 0, NULL, NULL, 'unresolved', NULL, 1.0 / 3),
    ('w2', NULL, 0, 0, NULL, NULL, 'unresolved', NULL, 0.5),
    ('w2', NULL, 1, 0, NULL, NULL, 'unresolved', NULL, 0.5),
    ('w3', 2021, 0, 0, '02xyz', 'FR', 'strong', 'derisk', 1.0)`);
  const tables = { works: 'w', resolutions: 'r', resolution_institutions: 'ri', resolution_companies: 'rc', counted_affiliations: 'a', work_affiliations: 'wa', work_institutions: 'wi' };
  const statement = workInstitutionStatements(tables).find((s) => s.sql.includes('TABLE wi '));
  assert.ok(statement, 'the statement building work_institutions');
  await c.run(statement.sql);
  const rows = async (sql: string) => (await c.runAndReadAll(sql)).getRowObjectsJS();
  for (const [a, b] of [
    ['wi', `(${AGGREGATE})`],
    [`(${AGGREGATE})`, 'wi'],
  ]) {
    assert.deepEqual(await rows(`SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b}`), []);
  }
  assert.deepEqual(await rows(`SELECT work_id, ror_id, country_code, tier, weight, authors FROM wi ORDER BY work_id, ror_id NULLS LAST, country_code NULLS LAST`), [
    { work_id: 'w1', ror_id: '01abc', country_code: 'DE', tier: 'exact', weight: 0.1 + 0.2 + 0.3, authors: 2n },
    { work_id: 'w1', ror_id: null, country_code: 'CN', tier: 'country-only', weight: 0.15 + 0.25, authors: 1n },
    { work_id: 'w1', ror_id: null, country_code: null, tier: 'unresolved', weight: 1 / 3, authors: 1n },
    { work_id: 'w2', ror_id: null, country_code: null, tier: 'unresolved', weight: 1, authors: 2n },
    { work_id: 'w3', ror_id: '02xyz', country_code: 'FR', tier: 'strong', weight: 1, authors: 1n },
  ]);
  c.closeSync();
  instance.closeSync();
});
