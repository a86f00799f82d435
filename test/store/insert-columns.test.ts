import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import type { Basis } from '../../src/resolve/calibration.ts';
import { AffiliationResolver, type Resolution } from '../../src/resolve/matcher.ts';
import type { StoredHit } from '../../src/screening/context.ts';
import { screenPending } from '../../src/screening/store.ts';
import { listValue } from '../../src/store/duckdb.ts';
import { insertColumns, Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { rorRecord } from '../helpers/landscape.ts';

// More strings than one insert statement takes (10,000), written the way people write them:
// quotes, commas, Chinese script; empty evidence, and nulls wherever a column takes them.
const raws = Array.from({ length: 12_345 }, (_, i) => (i % 3 === 0 ? `Dept. of "Physics", O'Neill Hall ${i}, 北京大学` : `Institute ${i}; Leuven, Belgium`));

const basis = { how: 'exact', held: 'name' } as Basis;

const resolutionOf = (raw: string, i: number): Resolution => ({
  raw,
  countryCode: i % 4 === 0 ? null : 'BE',
  countryEvidence: i % 4 === 0 ? '' : `city Leuven named (${i})`,
  tier: i % 4 === 0 ? 'unresolved' : 'strong',
  institutions:
    i % 4 === 0
      ? []
      : [
          { rorId: `0r${i}`, name: `Uni ${i}`, countryCode: 'BE', tier: 'strong', score: i / 7, evidence: `name ${i}`, basis, units: i % 5 === 0 ? [{ rorId: `0u${i}`, name: `Unit ${i}` }] : [], primary: true },
          ...(i % 2 === 0 ? [{ rorId: `0s${i}`, name: `Other ${i}`, countryCode: null, tier: 'possible' as const, score: 0.25, evidence: `also named`, basis, units: [], primary: false }] : []),
        ],
});

const hitsOf = (raw: string, i: number): StoredHit[] => (i % 6 === 0 ? [] : [{ list: 'L1', entryId: `e${i}`, entry: `Entry "${i}"`, level: 'high', match: raw.slice(0, 10), score: i / 11, inheritedVia: i % 2 ? null : `0p${i}`, evidence: `matched ${i}` }]);

test('what resolution and screening store is exactly what the resolver and the screener answered, row for row, across insert statements', async () => {
  const store = await Store.open(':memory:');
  try {
    await store.run(`INSERT INTO affiliations (source, source_id, author_seq, aff_seq, raw) SELECT 'openalex', 'W1', 0, 0, unnest($1::VARCHAR[])`, [listValue(raws)]);
    const index = new Map(raws.map((r, i) => [r, i]));
    await resolvePending(store, (batch) => batch.map((raw) => resolutionOf(raw, index.get(raw)!)));
    await screenPending(store, { lists: [{ id: 'L1', version: '1' }], screenMany: (batch) => batch.map((raw) => hitsOf(raw, index.get(raw)!)) });

    const expected = raws.map(resolutionOf);
    const stored = await store.all(`SELECT raw, resolver_version LIKE '%/no-registry+%' AS versioned, country_code, country_evidence, tier FROM resolutions ORDER BY raw`);
    assert.deepEqual(
      stored,
      expected.map((r) => ({ raw: r.raw, versioned: true, country_code: r.countryCode, country_evidence: r.countryEvidence, tier: r.tier })).sort((a, b) => (a.raw < b.raw ? -1 : 1)),
    );
    const institutions = await store.all(`SELECT raw, ror_id, tier, score, is_primary, evidence, unit_of FROM resolution_institutions ORDER BY raw, ror_id`);
    const expectedInstitutions = expected.flatMap((r) =>
      r.institutions.flatMap((m) => [
        { raw: r.raw, ror_id: m.rorId, tier: m.tier, score: m.score, is_primary: m.primary, evidence: m.evidence, unit_of: null },
        ...m.units.map((u) => ({ raw: r.raw, ror_id: u.rorId, tier: m.tier, score: m.score, is_primary: false, evidence: `unit of ${m.name} named in the string`, unit_of: m.rorId })),
      ]),
    );
    const key = (x: { raw: unknown; ror_id: unknown }) => `${String(x.raw)}\u0000${String(x.ror_id)}`;
    assert.deepEqual(
      institutions,
      expectedInstitutions.sort((a, b) => (key(a) < key(b) ? -1 : 1)),
    );

    assert.deepEqual(
      (await store.all<{ raw: string }>(`SELECT raw FROM screened_strings ORDER BY raw`)).map((r) => r.raw),
      [...raws].sort(),
    );
    const hits = await store.all(`SELECT raw, list_id, entry_id, entry_name, level, match, score, inherited_via, evidence FROM screen_hits ORDER BY raw`);
    const expectedHits = raws.flatMap((raw, i) => hitsOf(raw, i).map((h) => ({ raw, list_id: h.list, entry_id: h.entryId, entry_name: h.entry, level: h.level, match: h.match, score: h.score, inherited_via: h.inheritedVia, evidence: h.evidence }))).sort((a, b) => (a.raw < b.raw ? -1 : 1));
    assert.deepEqual(hits, expectedHits);
  } finally {
    store.close();
  }
});

/** The store's resolutions and their institutions, in one order. */
const storedResolutions = async (store: Store) => ({
  resolutions: await store.all(`SELECT raw, resolver_version, country_code, country_evidence, tier FROM resolutions ORDER BY raw`),
  institutions: await store.all(`SELECT raw, ror_id, tier, score, is_primary, evidence, unit_of FROM resolution_institutions ORDER BY raw, ror_id`),
});

test('a store answers from the resolution cache what another store resolved, row for row, and resolves only what is new; another registry resolves everything again', async () => {
  const cache = tempDir();
  const index = new Map(raws.map((r, i) => [r, i]));
  const run = async (strings: string[], registry: string, cacheDir: string | null) => {
    const store = await Store.open(':memory:');
    await store.run(`INSERT INTO affiliations (source, source_id, author_seq, aff_seq, raw) SELECT 'openalex', 'W1', 0, 0, unnest($1::VARCHAR[])`, [listValue(strings)]);
    await store.run(`INSERT OR REPLACE INTO meta VALUES ('registry_version', $1)`, [registry]);
    const asked: string[] = [];
    await resolvePending(
      store,
      (batch) => {
        asked.push(...batch);
        return batch.map((raw) => resolutionOf(raw, index.get(raw)!));
      },
      undefined,
      undefined,
      cacheDir,
    );
    const stored = await storedResolutions(store);
    store.close();
    return { asked: asked.sort(), stored };
  };
  const first = raws.slice(0, 2_000);
  const all = raws.slice(0, 3_000);
  assert.equal((await run(first, 'r1', cache)).asked.length, 2_000);
  const second = await run(all, 'r1', cache);
  assert.deepEqual(second.asked, raws.slice(2_000, 3_000).sort(), 'only the strings no run resolved before');
  assert.deepEqual(second.stored, (await run(all, 'r1', null)).stored, 'the cache gives what the resolver gives');
  // A new registry (or resolver) version never reads an older answer.
  assert.equal((await run(all, 'r2', cache)).asked.length, 3_000);
  // A damaged file is named with what to do, never read as answers.
  for (const folder of readdirSync(cache)) writeFileSync(join(cache, folder, 'damaged.parquet'), 'not parquet', { mode: 0o600 });
  await assert.rejects(run(all, 'r1', cache), /resolution cache .* cannot be read .*deleting that folder is safe/);
  // Answers are only as trustworthy as who can write them: a folder or file group or others may write is refused.
  for (const folder of readdirSync(cache)) rmSync(join(cache, folder, 'damaged.parquet'));
  const folders = readdirSync(cache).map((f) => join(cache, f));
  const files = folders.flatMap((folder) => readdirSync(folder).map((f) => join(folder, f)));
  for (const [paths, mode, refusal] of [
    [[cache], 0o777, /resolution cache folder .* has permissions 0777: someone other than you could write it .*chmod 700/],
    [folders, 0o770, /resolution cache folder .* has permissions 0770/],
    [files, 0o622, /resolution cache file .* has permissions 0622: .*delete it/],
  ] as const) {
    for (const path of paths) chmodSync(path, mode);
    await assert.rejects(run(all, 'r1', cache), refusal);
    for (const path of paths) chmodSync(path, path === cache || folders.includes(path) ? 0o700 : 0o600);
  }
  assert.equal((await run(all, 'r1', cache)).asked.length, 0, 'the cache as derisk leaves it is read');
  // Owner-checked too, where the test may give a file away (as root).
  if (process.getuid?.() === 0) {
    for (const file of files) chownSync(file, 4242, 4242);
    await assert.rejects(run(all, 'r1', cache), /resolution cache file .* belongs to user 4242, not to you/);
  }
});

test('the resolution cache is keyed by the registry a store holds, not by the last file ingested: a store with Tsinghua and Oxford does not answer for one with only Oxford', async () => {
  const cache = tempDir();
  const rorA = writeTemp('rorA.jsonl', JSON.stringify(rorRecord('03cve4549', 'Tsinghua University', 'CN', 'Beijing')));
  const rorB = writeTemp('rorB.jsonl', JSON.stringify(rorRecord('052gg0110', 'University of Oxford', 'GB', 'Oxford')));
  const resolveWith = async (files: string[]) => {
    const store = await Store.open(':memory:');
    for (const f of files) await ingestRegistry(store, f);
    await store.run(`INSERT INTO affiliations (source, source_id, author_seq, aff_seq, raw) VALUES ('openalex', 'W1', 0, 0, 'Tsinghua University, Beijing, China')`);
    const { fromCache } = await resolvePending(store, new AffiliationResolver(await loadRegistry(store)), undefined, undefined, cache);
    const found = (await store.all<{ ror_id: string }>('SELECT ror_id FROM resolution_institutions')).map((r) => r.ror_id);
    store.close();
    return { found, fromCache };
  };
  assert.deepEqual(await resolveWith([rorA, rorB]), { found: ['03cve4549'], fromCache: 0 });
  assert.deepEqual(await resolveWith([rorB]), { found: [], fromCache: 0 }, 'a registry without Tsinghua never finds it');
  assert.deepEqual(await resolveWith([rorB]), { found: [], fromCache: 1 }, 'the same registry reads what was kept');
});

test('columns go to DuckDB as a bound value would: a lone surrogate as U+FFFD, control characters and backslashes as written, a NaN score as NaN', async () => {
  const store = await Store.open(':memory:');
  try {
    await store.run('CREATE TEMP TABLE t (s VARCHAR, d DOUBLE, b BOOLEAN)');
    const strings = ['x\ud800y', 'a\u0000b\u001f"\\', '北京 😀', null];
    await insertColumns(store, 't', { s: { type: 'VARCHAR', values: strings }, d: { type: 'DOUBLE', values: [0.1 + 0.2, 1 / 3, null, 5] }, b: { type: 'BOOLEAN', values: [true, false, null, true] } });
    await insertColumns(store, 't', { s: { type: 'VARCHAR', values: ['nan'] }, d: { type: 'DOUBLE', values: [NaN] }, b: { type: 'BOOLEAN', values: [false] } });
    const rows = await store.all<{ s: string | null; d: number | null; b: boolean | null }>('SELECT s, d, b FROM t');
    assert.deepEqual(rows.slice(0, 4), [
      { s: 'x\ufffdy', d: 0.1 + 0.2, b: true },
      { s: 'a\u0000b\u001f"\\', d: 1 / 3, b: false },
      { s: '北京 😀', d: null, b: null },
      { s: null, d: 5, b: true },
    ]);
    assert.equal(rows[4]!.s, 'nan');
    assert.ok(Number.isNaN(rows[4]!.d));
  } finally {
    store.close();
  }
});

test('a new evidence store is its owner’s alone (it holds every organisation’s uploads); an existing file keeps its mode', async () => {
  const dir = tempDir();
  const path = join(dir, 'derisk.duckdb');
  (await Store.open(path)).close();
  assert.equal(statSync(path).mode & 0o777, 0o600);
  chmodSync(path, 0o640);
  (await Store.open(path)).close();
  assert.equal(statSync(path).mode & 0o777, 0o640);
});
