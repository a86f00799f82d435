import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

/**
 * The incremental refresh recomputes only the works whose records an ingest marked pending, and
 * rebuilds everything when `analytics_basis` changes. It is right only while every table the
 * refresh reads is one of these, each reviewed for what tells the refresh that it changed. A new
 * input in refresh.sql fails this test until it is added here, and to the basis if an ingest's
 * pending records do not cover it.
 */
const REVIEWED_INPUTS: Record<string, string> = {
  records: 'per record: an ingest marks the records it adds or replaces pending (refresh_pending)',
  counted_affiliations: "affiliations on the shared base: per record, as records; the ROR ids a replaced record gave are noted in refresh_pending_rors. In an organisation's view, affiliations with its corrections' keys, rebuilt for the works its corrections touch (src/store/refresh.ts)",
  given_affiliations: "per record: the affiliations naming a pending record's unregistered ROR ids",
  record_fields: 'per record, as records',
  work_records: 'built by the refresh itself from records',
  works: 'built by the refresh itself',
  work_affiliations: 'built by the refresh itself',
  set_works: 'built by the refresh itself: work_country_sets, over the country sets the refresh counts again (src/store/refresh.ts)',
  institution_set_works: 'built by the refresh itself: work_institution_sets, over the institution keys the refresh counts again (src/store/refresh.ts)',
  resolutions: 'in the basis: the resolution version (matcher, registry, the data and alias files it reads, stored format); a new string belongs to a pending record',
  resolution_institutions: 'in the basis, as resolutions',
  resolution_companies: 'in the basis, as resolutions',
  institutions: 'in the basis: the registry version',
  registry_ancestors: 'in the basis, as institutions: rebuilt from them in the transaction that ingests the registry (src/ingest/registry.ts)',
  field_rules: "in the basis: a hash of the taxonomy's rules",
  patents: 'in analytics_patents: patent files only add rows, counted',
  patent_applicants: 'in analytics_patents, as patents',
  patent_classes: 'in analytics_patents, as patents',
};

/** The tables a SQL script reads: names after FROM or JOIN, less the tables it writes and its own CTEs. */
function tablesRead(sql: string): Set<string> {
  const code = sql.replace(/--.*$/gm, '').replace(/'[^']*'/g, "''");
  const name = (s: string) => s.replace(/^\{\{|\}\}$/g, '');
  const read = [...code.matchAll(/\b(?:FROM|JOIN)\s+(\{\{\w+\}\}|[a-z_]\w*\b)(?!\s*\(|\.)/gi)].map((m) => name(m[1]!));
  const written = new Set([...code.matchAll(/\b(?:TABLE|INTO)\s+(\{\{\w+\}\}|[a-z_]\w*)/gi)].map((m) => name(m[1]!)));
  const ctes = new Set([...code.matchAll(/(?:\bWITH(?:\s+RECURSIVE)?|,)\s*([a-z_]\w*)(?:\([^)]*\))?\s+AS\s*\(/gi)].map((m) => m[1]!));
  return new Set(read.filter((t) => !ctes.has(t) && !/^(unnest|range|generate_series)$/i.test(t) && !(written.has(t) && !(t in REVIEWED_INPUTS))));
}

test('every table the analytics refresh reads is reviewed: marked pending by an ingest, or part of the basis that forces a full rebuild', () => {
  const sql = readFileSync(new URL('../../src/store/refresh.sql', import.meta.url), 'utf8');
  const read = tablesRead(sql);
  const unreviewed = [...read].filter((t) => !(t in REVIEWED_INPUTS));
  assert.deepEqual(unreviewed, [], `refresh.sql reads tables nobody checked the incremental refresh against: ${unreviewed.join(', ')}`);
  // And the review stays about what the refresh reads.
  assert.deepEqual(
    Object.keys(REVIEWED_INPUTS).filter((t) => !read.has(t)),
    [],
  );
});

test('the reader of tables finds an input a statement adds, so the review above can fail', () => {
  assert.deepEqual([...tablesRead(`CREATE OR REPLACE TABLE x AS WITH c AS (SELECT * FROM records) SELECT * FROM c JOIN screening_hits h USING (raw)`)], ['records', 'screening_hits']);
});
