import { before, mock, test } from 'node:test';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { indicatorsOf } from '../../src/indicators/catalog.ts';
import { loadTaxonomy } from '../../src/fields/taxonomy.ts';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { ingestMergedWorks } from '../../src/ingest/merged-ids.ts';
import { gzipSync } from 'node:zlib';
import { loadRegistry } from '../../src/ingest/registry.ts';
import { resolutionVersion, resolvePending } from '../../src/resolve/apply.ts';
import { ResolutionCache } from '../../src/resolve/cache.ts';
import { keptMatcher } from '../../src/resolve/kept.ts';
import { companiesOfWorks } from '../../src/indicators/companies.ts';
import { copublicationWorks } from '../../src/indicators/landscape.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { copublications, landscapeSummary, resolutionCounts } from '../../src/indicators/copubs.ts';
import { loadRegions } from '../../src/regions/regions.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { INPUT, tempDir, writeTemp, syntheticWorks } from '../helpers/fixtures.ts';
import { realRegistryHome, ROR_DUMP } from '../helpers/registry.ts';
import { derisk } from '../helpers/cli.ts';
import { runIndicator, STANDARD_PAIRS, type IndicatorName } from '../../src/indicators/catalog.ts';
import { buildPairTops, readsPairTops, regionKey } from '../../src/indicators/institution-sets.ts';
import { NO_FILTERS, parseFilters } from '../../src/indicators/filters.ts';
import { applyCorrections, resolveCorrectedPending } from '../../src/resolve/org-view.ts';
import { correctionKey, Thesaurus, type Correction } from '../../src/resolve/thesaurus.ts';
import { loadWeights, portfolio } from '../../src/screening/portfolio.ts';
import { screenPending, screeningContext } from '../../src/screening/store.ts';
import { AFF, listedLandscapeStore } from '../helpers/landscape.ts';

const skip = !existsSync(ROR_DUMP) && 'data mirror not present';

// The real registry is ingested once for the test run (test/helpers/registry.ts); each test that resolves against it opens its own copy.
let registryTemplate: string;

before(() => {
  if (skip) return;
  registryTemplate = join(realRegistryHome(), 'derisk.duckdb');
});

/** A copy of the real registry's store with the matcher index `derisk ingest ror` kept beside it: building the matcher again costs about 9 s of CPU each time. */
async function storeWithRegistry(): Promise<{ store: Store; dir: string }> {
  const dir = tempDir();
  copyFileSync(registryTemplate, join(dir, 'derisk.duckdb'));
  copyFileSync(`${registryTemplate}.matcher-index`, join(dir, 'derisk.duckdb.matcher-index'));
  return { store: await Store.open(join(dir, 'derisk.duckdb')), dir };
}

/** The matcher as every command that resolves gets it (test/resolve/kept-index.test.ts: a kept one answers as one built afresh). */
const keptResolver = async (store: Store) =>
  (
    await keptMatcher(store, (why) => {
      throw new Error(`the kept matcher index was refused: ${why}`);
    })
  ).resolver;

async function count(store: Store, table: string): Promise<number> {
  return (await store.one<{ n: number }>(`SELECT count(*)::DOUBLE AS n FROM ${table}`))!.n;
}

test('ingest, resolve and refresh: records merge on DOI, co-publications count by region pair', { skip }, async () => {
  const { store, dir } = await storeWithRegistry();
  const q = join(dir, 'quarantine');
  const a = await ingestWorks(store, 'openalex', join(INPUT, 'openalex-current.jsonl'), { quarantineDir: q });
  assert.deepEqual([a.status, a.kept, a.quarantined], ['ingested', 3, 0]);
  // The same work (same DOI) exported from Scopus: a second record, not a second work.
  const scopus = writeTemp('scopus.csv', 'Title,Year,DOI,Authors with affiliations,EID\n"Joint work on edge AI",2022,10.1109/TEST.2022.0001,"Li, W., Tsinghua University, Beijing, China",2-s2.0-85000000099\n');
  await ingestWorks(store, 'scopus', scopus, { quarantineDir: q });
  await resolvePending(store, await keptResolver(store));
  await refreshAnalytics(store);
  assert.equal(await count(store, 'records'), 4);
  assert.equal(await count(store, 'works'), 3);
  const merged = await store.one<{ records: string[] }>(`SELECT records FROM works WHERE work_id = 'doi:10.1109/test.2022.0001'`);
  assert.deepEqual([...merged!.records].sort(), ['openalex:W4300000001', 'scopus:2-s2.0-85000000099']);
  const regions = loadRegions();
  const euCn = await copublications(store, regions, 'EU27AC', 'CN');
  assert.deepEqual(euCn, [
    { year: 2022, full: 1, fractional: 1 },
    { year: 2023, full: 1, fractional: 0.6667 },
  ]);
  assert.deepEqual(await copublications(store, regions, 'US', 'CN'), [
    { year: 2021, full: 1, fractional: 1 },
    { year: 2023, full: 1, fractional: 0.6667 },
  ]);
  // Given ROR ids are used as they are; strings without one are resolved by derisk.
  const rows = await store.all<{ ror_id: string; tier: string }>(`SELECT ror_id, tier FROM work_institutions WHERE work_id = 'doi:10.1109/test.2022.0001' ORDER BY ror_id`);
  assert.deepEqual(
    rows.map((r) => r.ror_id),
    ['02kkvpp62', '03cve4549'],
  );
  const summary = await landscapeSummary(indicatorsOf(store, regions, loadTaxonomy()), await resolutionCounts(store), regions, [['EU27AC', 'CN']]);
  assert.equal(summary.works, 3);
  assert.equal(summary.affiliationsWithCountry, summary.affiliations);
  store.close();
});

/** One OpenAlex work: authors with affiliation strings only (no institution asserted), so derisk resolves them. */
const openAlexWork = (id: string, affiliations: string[]) =>
  JSON.stringify({
    id: `https://openalex.org/${id}`,
    title: 'Lab and university',
    publication_year: 2024,
    type: 'article',
    authorships: affiliations.map((raw, i) => ({
      author_position: i === 0 ? 'first' : 'last',
      author: { id: `https://openalex.org/A${i}`, display_name: `Author ${i}` },
      institutions: [],
      countries: [],
      raw_affiliation_strings: [raw],
      affiliations: [{ raw_affiliation_string: raw, institution_ids: [] }],
    })),
  });

test('a company lab placed abroad is kept with the resolution (company, lab, country, record, evidence) and its country counts for the work', { skip }, async () => {
  const noah = "Huawei Noah's Ark Lab, London, UK";
  const file = writeTemp('openalex-company.jsonl', `${openAlexWork('W4400000001', [noah, 'Tsinghua University, Beijing, China'])}\n${openAlexWork('W4400000002', ['Meta AI', 'Peking University, Beijing, China'])}\n`);
  const { store, dir } = await storeWithRegistry();
  await ingestWorks(store, 'openalex', file, { quarantineDir: join(dir, 'q') });
  await resolvePending(store, await keptResolver(store));
  await refreshAnalytics(store);
  const companies = `SELECT raw, resolver_version, seq, company_id, name, lab, country_code, ror_id, evidence FROM resolution_companies ORDER BY raw, seq`;
  const rows = await store.all<Record<string, unknown>>(companies);
  const version = await resolutionVersion(store);
  assert.deepEqual(
    rows.map((r) => [r.raw, r.name, r.lab, r.country_code, r.ror_id, r.resolver_version]),
    [
      [noah, 'Huawei', "Noah's Ark Lab", 'GB', null, version],
      ['Meta AI', 'Meta', 'Meta AI', null, null, version],
    ],
  );
  assert.match(String(rows[0]!.evidence), /Huawei at a site in GB.*the registry holds no record of Huawei in GB/);
  assert.match(String(rows[1]!.evidence), /^company known, country unknown/);
  // The lab's country is the work's: a UK–China co-publication, counted as EU27/AC–CN.
  const countries = await store.all<{ country_code: string }>(`SELECT DISTINCT country_code FROM work_institutions WHERE work_id = 'openalex:W4400000001' ORDER BY country_code`);
  assert.deepEqual(
    countries.map((c) => c.country_code),
    ['CN', 'GB'],
  );
  assert.deepEqual(
    (await copublicationWorks(store, loadRegions(), 'EU27AC', 'CN')).map((w) => w.workId),
    ['openalex:W4400000001'],
  );
  // Counting possible matches too, the lab's possible match to Huawei's Chinese record keeps the London place.
  await refreshAnalytics(store, 'possible');
  assert.deepEqual(await store.all(`SELECT i.name, wa.country_code, wa.tier FROM work_affiliations wa LEFT JOIN institutions i USING (ror_id) WHERE wa.work_id = 'openalex:W4400000001' AND wa.ror_id IS DISTINCT FROM '03cve4549'`), [
    { name: 'Huawei Technologies (China)', country_code: 'GB', tier: 'possible' },
  ]);
  assert.deepEqual(Object.fromEntries(await companiesOfWorks(store, ['openalex:W4400000001', 'openalex:W4400000002'])), {
    'openalex:W4400000001': ["Huawei (Noah's Ark Lab), GB"],
    'openalex:W4400000002': ['Meta (Meta AI): company known, country unknown'],
  });
  // The same data in another store, answered from the kept resolutions without resolving again: the same rows.
  const again = await storeWithRegistry();
  await ingestWorks(again.store, 'openalex', file, { quarantineDir: join(again.dir, 'q') });
  const kept = await resolvePending(
    again.store,
    () => {
      throw new Error('resolved again: the kept resolutions were not used');
    },
    undefined,
    undefined,
    ResolutionCache.locate(store),
  );
  assert.ok(kept.fromCache > 0);
  assert.deepEqual(await again.store.all(companies), rows);
  again.store.close();
  store.close();
});

test('strings resolved under an older resolver version are resolved anew, by the resolver or from the kept resolutions, each left with the current answer alone', { skip }, async () => {
  const file = writeTemp('openalex-versions.jsonl', `${openAlexWork('W4400000011', ["Huawei Noah's Ark Lab, London, UK", 'Tsinghua University, Beijing, China', 'Inst Automat, Chinese Acad Sci, Beijing, China'])}\n`);
  const { store, dir } = await storeWithRegistry();
  const resolver = await keptResolver(store);
  await ingestWorks(store, 'openalex', file, { quarantineDir: join(dir, 'q') });
  await resolvePending(store, resolver, undefined, undefined, null);
  const answers = async () => ({
    resolutions: await store.all('SELECT * FROM resolutions ORDER BY ALL'),
    institutions: await store.all('SELECT * FROM resolution_institutions ORDER BY ALL'),
    companies: await store.all('SELECT * FROM resolution_companies ORDER BY ALL'),
  });
  const current = await answers();
  assert.equal(current.resolutions.length, 3);
  const older = async () => {
    await store.run(`UPDATE resolutions SET resolver_version = 'older', country_code = NULL, tier = 'unresolved'`);
    await store.run(`UPDATE resolution_institutions SET tier = 'possible'`);
    await store.run(`UPDATE resolution_companies SET resolver_version = 'older'`);
  };
  await older();
  const cache = tempDir();
  assert.equal((await resolvePending(store, resolver, undefined, undefined, cache)).resolved, 3);
  assert.deepEqual(await answers(), current);
  await older();
  const kept = await resolvePending(
    store,
    () => {
      throw new Error('resolved again: the kept resolutions were not used');
    },
    undefined,
    undefined,
    cache,
  );
  assert.equal(kept.fromCache, 3);
  assert.deepEqual(await answers(), current);
  store.close();
});

test('re-ingesting the same file adds nothing, even under another name', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  const q = join(dir, 'quarantine');
  await ingestWorks(store, 'wos', join(INPUT, 'wos-tab.txt'), { quarantineDir: q });
  const before = [await count(store, 'records'), await count(store, 'affiliations'), await count(store, 'quarantine')];
  const again = await ingestWorks(store, 'wos', join(INPUT, 'wos-tab.txt'), { quarantineDir: q });
  assert.equal(again.status, 'already ingested');
  const copy = writeTemp('renamed.txt', readFileSync(join(INPUT, 'wos-tab.txt')));
  assert.equal((await ingestWorks(store, 'wos', copy, { quarantineDir: q })).status, 'already ingested');
  // Overlapping content in a different file: known records are recognised, not duplicated.
  const overlap = writeTemp('overlap.txt', `${readFileSync(join(INPUT, 'wos-tab.txt'), 'utf8')}\n`);
  const r = await ingestWorks(store, 'wos', overlap, { quarantineDir: q });
  assert.deepEqual([r.kept, r.duplicates], [0, 3]);
  assert.equal(await count(store, 'records'), before[0]);
  assert.equal(await count(store, 'affiliations'), before[1]);
  store.close();
});

test('a new file is read once: its id is the hash of the bytes as they were read, and no provisional id is left', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  const file = writeTemp('read-once.jsonl', syntheticWorks(300));
  const whole: unknown[] = [];
  const original = fs.createReadStream;
  const spy = mock.method(fs, 'createReadStream', (...args: Parameters<typeof fs.createReadStream>) => {
    const options = args[1];
    if (args[0] === file && !(typeof options === 'object' && options?.end !== undefined)) whole.push(args);
    return original(...args);
  });
  syncBuiltinESMExports();
  let report;
  try {
    report = await ingestWorks(store, 'openalex', file, { quarantineDir: join(dir, 'q') });
  } finally {
    spy.mock.restore();
    syncBuiltinESMExports();
  }
  assert.equal(whole.length, 1, 'the file is read whole once');
  const id = createHash('sha256').update(readFileSync(file)).digest('hex');
  assert.equal(report.fileId, id);
  for (const table of ['input_files', 'records', 'quarantine']) assert.equal(await count(store, `${table} WHERE file_id <> '${id}'`), 0, table);
  assert.equal((await ingestWorks(store, 'openalex', writeTemp('read-once-again.jsonl', readFileSync(file)), { quarantineDir: join(dir, 'q') })).status, 'already ingested');
  store.close();
});

/** What a store holds of ingested files and what the refresh derives from them. */
async function ingested(store: Store) {
  await refreshAnalytics(store);
  const out: Record<string, unknown> = await derived(store);
  for (const table of ['input_files', 'input_file_prefixes', 'records', 'authorships', 'affiliations', 'record_fields', 'quarantine']) {
    out[table] = await store.all(`SELECT * ${table === 'input_files' ? 'EXCLUDE (started_at, finished_at)' : ''} FROM ${table} ORDER BY ALL`);
  }
  return out;
}

test('a file truncated or appended to while it is read is not finished, and ingesting it again ends as a clean run of it', async () => {
  const lines = syntheticWorks(300);
  const changes = { truncated: (file: string) => fs.truncateSync(file, Math.floor(lines.length / 3)), appended: (file: string) => fs.appendFileSync(file, syntheticWorks(400).slice(lines.length)) };
  const [dir, cleanDir] = [tempDir(), tempDir()];
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  const clean = await Store.open(join(cleanDir, 'derisk.duckdb'));
  try {
    for (const [change, write] of Object.entries(changes)) {
      // Other works in each file: a file's run is undone alone (an OpenAlex work it gave again would have replaced the one held).
      const file = writeTemp(`changing-${change}.jsonl`, lines.replaceAll('openalex.org/W', `openalex.org/W${change}`));
      const [records, size] = [await count(store, 'records'), statSync(file).size];
      let changed = false;
      const onProgress = () => {
        if (!changed) write(file);
        changed = true;
      };
      await assert.rejects(ingestWorks(store, 'openalex', file, { quarantineDir: join(dir, 'q'), batchSize: 100, onProgress }), (e: Error) => {
        assert.match(e.message, new RegExp(`^${file}: changed while it was read: ${size} bytes at the start, .*nothing was finished`));
        return true;
      });
      assert.equal(await count(store, 'records'), records, `${change}: nothing of the unfinished run is kept`);
      assert.equal(await count(store, 'input_files WHERE finished_at IS NULL'), 0, change);
      const again = await ingestWorks(store, 'openalex', file, { quarantineDir: join(dir, 'q'), batchSize: 100 });
      assert.equal(again.fileId, createHash('sha256').update(readFileSync(file)).digest('hex'), change);
      const fresh = await ingestWorks(clean, 'openalex', file, { quarantineDir: join(cleanDir, 'q'), batchSize: 100 });
      assert.deepEqual([again.status, again.kept, again.duplicates, again.quarantined], ['ingested', fresh.kept, fresh.duplicates, fresh.quarantined], change);
    }
    assert.deepEqual(await ingested(store), await ingested(clean));
    // An update giving held works again replaces them as it reads: undoing it would lose them, so it is left unfinished with what it read.
    const update = writeTemp('changing-update.jsonl', syntheticWorks(400).slice(lines.length).replaceAll('"publication_year":', '"title":"updated","publication_year":'));
    const works = await count(store, 'records');
    let changed = false;
    const onProgress = () => {
      if (!changed) fs.truncateSync(update, 100);
      changed = true;
    };
    await assert.rejects(ingestWorks(store, 'openalex', update, { quarantineDir: join(dir, 'q'), batchSize: 25, onProgress }), /changed while it was read: .*not finished, and what it read is kept/);
    assert.equal(await count(store, 'records'), works, 'the held works replaced are kept in the versions read, none lost');
  } finally {
    store.close();
    clean.close();
  }
});

test('quarantined records are counted, kept in the store and written to a file naming file, line and reason', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  const r = await ingestWorks(store, 'openalex', join(INPUT, 'openalex-broken.jsonl'), { quarantineDir: join(dir, 'q') });
  assert.deepEqual([r.kept, r.quarantined], [2, 4]);
  const lines = readFileSync(r.quarantinePath!, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.lineNo),
    [2, 3, 4, 5],
  );
  assert.ok(lines.every((l) => l.file.endsWith('openalex-broken.jsonl') && l.reason));
  // Excerpts of the records: as private as the store they come from.
  assert.equal(statSync(join(dir, 'q')).mode & 0o777, 0o700);
  assert.equal(statSync(r.quarantinePath!).mode & 0o777, 0o600);
  store.close();
});

async function countsIn(home: string) {
  const store = await Store.open(join(home, 'derisk.duckdb'));
  const out = {
    records: await count(store, 'records'),
    authorships: await count(store, 'authorships'),
    affiliations: await count(store, 'affiliations'),
    quarantine: await count(store, 'quarantine'),
    files: await store.all('SELECT records_kept::DOUBLE AS kept, records_quarantined::DOUBLE AS q, finished_at IS NOT NULL AS done FROM input_files'),
  };
  store.close();
  return out;
}

test('killed (SIGKILL) right after any committed batch, even twice: re-running ends with exactly the counts of a clean run', async () => {
  // 6 batches of 50 lines, every 97th line broken (in the 2nd, 4th and 6th): killed after the first
  // and again after the 3rd, a middle one (the 2nd of the resumed run, so not its first nor its last),
  // then after the last. Each kill is a CLI run of its own (about 1.5 s of CPU), so the first kill
  // is also the "killed twice" case: every batch a kill can follow (first, middle, last) is covered.
  const [batches, batch] = [6, 50];
  const file = writeTemp('works.jsonl', syntheticWorks(batches * batch));
  const args = ['ingest', 'openalex', file, '--no-resolve', '--batch-size', String(batch)];
  const clean = tempDir();
  assert.equal(derisk(args, { DERISK_HOME: clean }).status, 3);
  const expected = await countsIn(clean);
  assert.equal(expected.records, batches * batch - Math.floor((batches * batch) / 97));
  const keptAfter = (committed: number) => committed * batch - Math.floor((committed * batch) / 97);
  for (const kills of [[1, 2], [batches]]) {
    const home = tempDir();
    let committed = 0;
    for (const n of kills) {
      const killed = derisk(args, { DERISK_HOME: home, DERISK_CRASH_AT: `ingest.batch-committed:${n}` });
      assert.equal(killed.signal, 'SIGKILL', `killed after batch ${committed + n}: ${killed.stderr}`);
      committed += n;
      const partial = await countsIn(home);
      assert.equal(partial.records, keptAfter(committed), `after ${committed} batches, exactly their records`);
      assert.deepEqual(
        partial.files.map((f) => f.done),
        [false],
        'the file is not marked finished',
      );
    }
    const rerun = derisk(args, { DERISK_HOME: home });
    assert.equal(rerun.status, 3, rerun.stderr);
    assert.match(rerun.stdout, /: resumed; /);
    assert.deepEqual(await countsIn(home), expected, `after kills at ${kills.join(', then ')}`);
  }
});

const WOS_SAMPLE = join(ROR_DUMP, '../../wos-export-sample-ble-scientopy/wos_ble_2015_2026_tabdelimited.txt.gz');

test('the real WoS export re-derives the counts its data README publishes (China with EU27, UK, Europe)', { skip: (!existsSync(WOS_SAMPLE) || skip) && 'data mirror not present' }, async () => {
  const { store, dir } = await storeWithRegistry();
  await ingestWorks(store, 'wos', WOS_SAMPLE, { quarantineDir: join(dir, 'q') });
  const resolver = await keptResolver(store);
  await resolvePending(store, resolver);
  await refreshAnalytics(store);
  const eu27 = loadRegions()
    .regions.get('EU27')!
    .countries.map((c) => `'${c}'`)
    .join(',');
  // Counted per record, as the README does, from the resolved country of each C1 address.
  const counts = await store.one<{ eu27: number; uk: number; europe: number }>(`
    WITH c AS (
      SELECT a.source_id,
        bool_or(r.country_code IN ('CN', 'HK', 'MO')) AS cn,
        bool_or(r.country_code IN (${eu27})) AS eu27,
        bool_or(r.country_code = 'GB') AS uk,
        bool_or(r.country_code IN ('NO', 'CH', 'IS', 'GB')) AS other_europe
      FROM affiliations a JOIN resolutions r USING (raw) WHERE a.source = 'wos' GROUP BY a.source_id)
    SELECT count(*) FILTER (WHERE cn AND eu27)::DOUBLE AS eu27, count(*) FILTER (WHERE cn AND uk)::DOUBLE AS uk,
           count(*) FILTER (WHERE cn AND (eu27 OR other_europe))::DOUBLE AS europe FROM c`);
  // "Peoples R China" includes Hong Kong and Macao in WoS addresses: 39 records with EU27, 14
  // with the UK, 54 with EU27+UK+NO+CH+IS.
  assert.deepEqual(counts, { eu27: 39, uk: 14, europe: 54 });
  // Two of the 4,071 records carry the same DOI: they are one work.
  assert.equal(await count(store, 'works'), 4070);

  // The indicators counting works by country read the refresh's summaries (country_set_counts, institution_set_counts) and
  // answer as every work × institution row does; an organisation's corrected view, which the
  // summary does not count, answers from its own rows. The correction puts a Chinese string in Germany.
  const chinese = (await store.one<{ raw: string }>(`SELECT wa.raw FROM affiliations wa JOIN resolutions r USING (raw) WHERE r.country_code = 'CN' GROUP BY wa.raw ORDER BY count(*) DESC, wa.raw LIMIT 1`))!.raw;
  const german = (await store.one<{ ror_id: string }>(`SELECT ror_id FROM work_institutions WHERE country_code = 'DE' AND ror_id IS NOT NULL GROUP BY ror_id ORDER BY count(*) DESC, ror_id LIMIT 1`))!.ror_id;
  const correction = { id: 'c1', raw: chinese, key: correctionKey(chinese), rorId: german, verdict: 'is' as const, reason: 'test', orgId: 'org-a', createdBy: 'test', createdAt: '2026-01-01' };
  await applyCorrections(store, 'org-a', [correction], (raws, cs) => raws.map((raw) => resolver.resolve(raw, new Thesaurus(cs))));
  const field = (await store.one<{ field_id: string }>(`SELECT field_id FROM work_fields GROUP BY ALL ORDER BY count(*) DESC, field_id LIMIT 1`))!.field_id;
  const [catalogue, taxonomy] = [loadRegions(), loadTaxonomy()];
  const answers = async (view: Store) => {
    const out: unknown[] = [];
    for (const filters of [NO_FILTERS, parseFilters({ from: '2018', to: '2022' }), parseFilters({ field }), parseFilters({ from: '2020', field, rollup: true })]) {
      for (const regions of [...STANDARD_PAIRS, ['CN', 'EU27AC']]) {
        for (const name of ['copubs', 'publications', 'fields', 'countries', 'top-institutions'] as const) out.push([name, regions, filters, await runIndicator(view, catalogue, taxonomy, { name, regions, filters, limit: 15, institution: null })]);
      }
    }
    return out;
  };
  const orgA = await store.viewOf('org-a');
  const [fromSummary, viewFromSummary] = [await answers(store), await answers(orgA)];
  assert.notDeepEqual(viewFromSummary, fromSummary, 'the correction changes org-a’s counts');
  for (const table of ['country_set_counts', 'institution_set_counts']) await store.run(`ALTER TABLE ${table} RENAME TO ${table}_aside`);
  assert.deepEqual(await answers(store), fromSummary);
  assert.deepEqual(await answers(orgA), viewFromSummary);
  // ...and the summary is what the shared answers were read from.
  for (const table of ['country_set_counts', 'institution_set_counts']) await store.run(`ALTER TABLE ${table}_aside RENAME TO ${table}`);
  await store.run(`UPDATE country_set_counts SET works = works + 1 WHERE country_code = 'DE'`);
  assert.notDeepEqual(await answers(store), fromSummary);
  store.close();
});

// An OpenAlex update (a snapshot's updated_date partition) over the landscape store: works come
// again under their ids, changed. X is a string org-a's correction places at Tsinghua.
const X = 'Key Laboratory of Machine Perception, Beijing, China';
const oaWork = (n: number, doi: string | null, year: number, affs: (string | { raw: string; ror: string; name: string })[], more: object = {}) => ({
  id: `https://openalex.org/W${n}`,
  doi,
  publication_year: year,
  authorships: affs.map((a) => (typeof a === 'string' ? { raw_affiliation_strings: [a] } : { raw_affiliation_strings: [a.raw], institutions: [{ id: 'https://openalex.org/I1', ror: `https://ror.org/${a.ror}`, display_name: a.name, country_code: 'CN' }] })),
  ...more,
});
const FOO = (name: string) => ({ raw: 'Foo Institute, Shanghai, China', ror: '0unreg001', name });
const BEFORE_UPDATE = [oaWork(12, '10.5555/incr.12', 2022, [X, AFF.oxford]), oaWork(13, null, 2022, [FOO('Foo Institute'), AFF.oxford]), oaWork(14, null, 2022, [FOO('Foo Institute'), AFF.delft])];
const UPDATE = [
  // Delft–Tsinghua becomes Delft–MIT: out of EU–CN, into EU–US.
  oaWork(2, '10.5555/landscape.2', 2021, [AFF.delft, AFF.mit]),
  // Oxford–CAS loses its Chinese author and moves to 2023: no longer an EU–CN work.
  oaWork(5, '10.5555/landscape.5', 2023, [AFF.oxford]),
  // Computer vision no more; wireless networking instead.
  oaWork(1, '10.5555/landscape.1', 2021, [AFF.oxford, AFF.casia], { title: 'Retitled', topics: [{ id: 'https://openalex.org/T10796', display_name: 'Cooperative Communication and Network Coding', score: 0.9 }] }),
  // A DOI corrected: the record moves to another work.
  oaWork(12, '10.5555/incr.12b', 2022, [X, AFF.oxford]),
  // The unregistered institution's name as OpenAlex now gives it.
  oaWork(13, null, 2022, [FOO('Foo Institute of Technology'), AFF.oxford]),
  // A new work with the corrected string and the listed Tsinghua.
  oaWork(20, '10.5555/incr.20', 2023, [AFF.oxford, AFF.thu, X]),
];
const ANSWERED: IndicatorName[] = ['copubs', 'publications', 'top-institutions', 'top-pairs', 'countries', 'fields', 'works'];

/** Every answer an update can change, for the shared base and for org-a's corrected view, and the derived tables themselves. */
async function everyAnswer(store: Store) {
  const [catalogue, taxonomy] = [loadRegions(), loadTaxonomy()];
  const json = (x: unknown) => JSON.parse(JSON.stringify(x, (_, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))) as unknown;
  const of = async (view: Store) => {
    const indicators: Record<string, unknown> = {};
    for (const name of ANSWERED) indicators[name] = json(await runIndicator(view, catalogue, taxonomy, { name, regions: ['EU27AC', 'CN'], filters: NO_FILTERS, limit: 20, institution: null }));
    const tables: Record<string, unknown> = {};
    for (const table of ['works', 'work_fields', 'work_affiliations', 'work_institutions', 'work_country_sets', 'country_set_counts', 'work_institution_sets', 'institution_set_counts', 'summary_keys', 'listed_affiliations', 'institution_listed_copubs', 'source_institutions', 'record_works'])
      tables[table] = json(await view.all(`SELECT * FROM ${table} ORDER BY ALL`));
    return { indicators, tables, oxford: json(await portfolio(view, { institution: '052gg0110' }, loadWeights(taxonomy))) };
  };
  return { shared: await of(store), orgA: await of(await store.viewOf('org-a')) };
}

/** The landscape store, Tsinghua listed, org-a's correction of X in force, then the update ingested and refreshed as the ingest workflow does. */
async function updatedStore(options: { full: boolean }) {
  const home = tempDir();
  const store = await listedLandscapeStore(home, 'high', BEFORE_UPDATE);
  const registry = await loadRegistry(store);
  const resolver = new AffiliationResolver(registry);
  const correction = { id: 'c1', raw: X, key: correctionKey(X), rorId: '03cve4549', verdict: 'is' as const, reason: 'the lab is at Tsinghua', orgId: 'org-a', createdBy: 'test', createdAt: '2026-01-01' };
  const resolveWith = (raws: string[], cs: Correction[]) => raws.map((raw) => resolver.resolve(raw, new Thesaurus(cs)));
  await applyCorrections(store, 'org-a', [correction], resolveWith);
  const report = await ingestWorks(store, 'openalex', writeTemp('update.jsonl', UPDATE.map((w) => JSON.stringify(w)).join('\n')), { quarantineDir: join(home, 'q') });
  await resolvePending(store, resolver);
  await resolveCorrectedPending(store, resolveWith);
  await screenPending(store, await screeningContext(store), undefined, { rebuildListed: false });
  const mode = await refreshAnalytics(store, 'strong', loadTaxonomy(), options);
  return { store, report, mode };
}

test('an OpenAlex update replaces the works it gives again, and the incremental refresh answers as a full refresh does', async () => {
  const incremental = await updatedStore({ full: false });
  const full = await updatedStore({ full: true });
  try {
    assert.deepEqual([incremental.report.kept, incremental.report.duplicates, incremental.mode, full.mode], [UPDATE.length, 0, 'incremental', 'full']);
    const pairOf = async (work: string) => (await incremental.store.all<{ c: string }>(`SELECT DISTINCT country_code AS c FROM work_institutions WHERE work_id = $1 ORDER BY c`, [`doi:10.5555/${work}`])).map((r) => r.c);
    assert.deepEqual(await pairOf('landscape.2'), ['NL', 'US'], 'the changed affiliation moves the work from EU–CN to EU–US');
    assert.deepEqual(await pairOf('landscape.5'), ['GB'], 'the work gone from the pair');
    assert.deepEqual(await pairOf('incr.12'), [], 'the old DOI names no work any more');
    assert.deepEqual(await pairOf('incr.20'), ['CN', 'GB'], 'the new work counts');
    assert.deepEqual(await incremental.store.all(`SELECT ror_id, name FROM source_institutions`), [{ ror_id: '0unreg001', name: 'Foo Institute' }], 'two affiliations against one give the name');
    assert.deepEqual(await incremental.store.all(`SELECT count(*)::DOUBLE AS n FROM refresh_pending`), [{ n: 0 }]);
    // Nothing was ever published to a cluster: the next publish is a full one, and no work is kept marked for it.
    assert.deepEqual(await incremental.store.all(`SELECT count(*)::DOUBLE AS n FROM publish_pending`), [{ n: 0 }], 'no publish pending without a cluster');
    const [a, b] = [await everyAnswer(incremental.store), await everyAnswer(full.store)];
    assert.notDeepEqual(a.orgA.tables.work_institutions, a.shared.tables.work_institutions, 'the correction decides org-a’s view');
    assert.deepEqual(a, b);
    // The summary of institutions, counted again for the changed, moved and new works only, answers as every row does...
    const both = await rankingsBothWays(incremental.store);
    assert.deepEqual(both.kept, both.summary);
    assert.deepEqual(both.summary, both.rows);
    // The first view's answers the incremental refresh kept are stamped with its generation, and are the summary's.
    const firstView = async () => {
      const out: unknown[] = [];
      for (const request of [...STANDARD_PAIRS.map((regions) => ({ name: 'copubs' as const, regions })), { name: 'fields' as const, regions: ['EU27AC', 'CN'] }, { name: 'publications' as const, regions: ['EU27AC', 'CN', 'US'] }])
        out.push(await runIndicator(incremental.store, loadRegions(), loadTaxonomy(), { ...request, filters: NO_FILTERS, limit: 15, institution: null }));
      return out;
    };
    assert.equal((await incremental.store.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM kept_answers WHERE generation = (SELECT value FROM meta WHERE key = 'analytics_generation')`))!.n, 2 * STANDARD_PAIRS.length + 1);
    const keptView = await firstView();
    await incremental.store.run('ALTER TABLE kept_answers RENAME TO kept_answers_aside');
    assert.deepEqual(keptView, await firstView());
    await incremental.store.run('ALTER TABLE kept_answers_aside RENAME TO kept_answers');
    // ...top pairs read the rows of only the institutions whose count in the summary can reach the pairs asked for: the leading pair's European side, its count there made nothing, drops out...
    const leadingPair = async () => ((await runIndicator(incremental.store, loadRegions(), loadTaxonomy(), { name: 'top-pairs', regions: ['EU27AC', 'CN'], filters: NO_FILTERS, limit: 1, institution: null })) as { aId: string }[])[0]?.aId;
    const leading = await leadingPair();
    await incremental.store.run(`UPDATE institution_set_counts SET works = 0 WHERE ror_id = '${leading}'`);
    assert.notEqual(await leadingPair(), leading);
    // ...and is what the answers come from: Oxford made to lead EU27AC–CN by its count in the summary alone, once the refresh's kept rankings are ranked from it again.
    await incremental.store.run(`UPDATE institution_set_counts SET works = works + 100 WHERE ror_id = '052gg0110'`);
    const leader = async () => (await runIndicator(incremental.store, loadRegions(), loadTaxonomy(), { name: 'top-institutions', regions: ['EU27AC', 'CN'], filters: NO_FILTERS, limit: 1, institution: null }))[0] as { rorId: string; copublications: number };
    assert.ok((await leader()).copublications < 100, 'the kept ranking is read until it is ranked again');
    await buildPairTops(incremental.store, loadRegions(), STANDARD_PAIRS);
    const top = await leader();
    assert.deepEqual([top.rorId, top.copublications > 100], ['052gg0110', true]);
    // A version that keeps no rankings refreshes (Oxford's made count gone from its summary) and writes its own basis, one without the mark
    // this version's has: the summary answers, not the ranking kept before; this version's next refresh is full and ranks again.
    await incremental.store.run(`UPDATE institution_set_counts SET works = works - 100 WHERE ror_id = '052gg0110'`);
    const basis = JSON.parse((await incremental.store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'analytics_basis'`))!.value) as Record<string, unknown>;
    assert.equal(basis.stamped, 1);
    await incremental.store.run(`INSERT OR REPLACE INTO meta VALUES ('analytics_basis', $1)`, [JSON.stringify({ ...basis, stamped: undefined })]);
    const keys: [string, string] = [regionKey(loadRegions(), 'EU27AC'), regionKey(loadRegions(), 'CN')];
    assert.equal(await readsPairTops(incremental.store, NO_FILTERS, keys, 1), false);
    assert.ok((await leader()).copublications < 100, 'the summary answers');
    assert.equal(await refreshAnalytics(incremental.store), 'full');
    assert.ok(await readsPairTops(incremental.store, NO_FILTERS, keys, 1));
    const kept = await leader();
    await incremental.store.run('ALTER TABLE pair_top_keys RENAME TO pair_top_keys_aside');
    const counted = await leader();
    await incremental.store.run('ALTER TABLE pair_top_keys_aside RENAME TO pair_top_keys');
    assert.deepEqual(kept, counted);
    assert.ok(kept.copublications < 100);
  } finally {
    incremental.store.close();
    full.store.close();
  }
});

test('of two versions of an OpenAlex work the newer by updated_date is kept: within a batch, across batches of one file, and when an older partition comes after a newer one', async () => {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  const version = (n: number, title: string, updated: string | null) => JSON.stringify({ id: `https://openalex.org/W${n}`, display_name: title, publication_year: 2024, updated_date: updated, authorships: [{ raw_affiliation_strings: ['University of Oxford, Oxford, UK'] }] });
  const titles = async () => Object.fromEntries((await store.all<{ source_id: string; title: string }>(`SELECT source_id, title FROM records ORDER BY source_id`)).map((r) => [r.source_id, r.title]));
  try {
    const first = await ingestWorks(
      store,
      'openalex',
      writeTemp(
        'partition.jsonl',
        [
          // W1: both copies in the first batch, the older first. W2: the newer copy in the next batch. W3: no dates, the first copy stays.
          version(1, 'W1 older', '2024-01-05'),
          version(1, 'W1 newer', '2024-03-01T10:00:00.123'),
          version(2, 'W2 older', '2024-01-05'),
          version(3, 'W3 first', null),
          version(2, 'W2 newer', '2024-02-01'),
          version(3, 'W3 second', null),
          version(4, 'W4 newer', '2024-06-01'),
        ].join('\n'),
      ),
      { quarantineDir: join(dir, 'q'), batchSize: 3 },
    );
    // W3's second copy has another title and no date to say it is newer: set aside as "same id, different content", no duplicate.
    assert.deepEqual([first.kept, first.duplicates, first.quarantined], [4, 2, 1]);
    assert.deepEqual(await titles(), { W1: 'W1 newer', W2: 'W2 newer', W3: 'W3 first', W4: 'W4 newer' });
    // An older partition ingested after the newer one replaces nothing newer; a newer or undated one replaces, as before.
    const older = await ingestWorks(store, 'openalex', writeTemp('older.jsonl', [version(4, 'W4 older', '2024-02-01'), version(1, 'W1 newest', '2024-04-01'), version(3, 'W3 again', null)].join('\n')), { quarantineDir: join(dir, 'q') });
    assert.deepEqual([older.kept, older.duplicates], [2, 1]);
    assert.deepEqual(await titles(), { W1: 'W1 newest', W2: 'W2 newer', W3: 'W3 again', W4: 'W4 newer' });
    const bad = await ingestWorks(store, 'openalex', writeTemp('bad-date.jsonl', version(5, 'W5', 'last Tuesday')), { quarantineDir: join(dir, 'q') });
    assert.equal(bad.quarantined, 1, 'a date that is not one is set aside with the record');
  } finally {
    store.close();
  }
});

async function derived(store: Store) {
  const out: Record<string, unknown> = { pending: await count(store, 'refresh_pending') };
  for (const table of ['record_works', 'works', 'work_fields', 'work_affiliations', 'work_institutions', 'source_institutions', 'work_institution_sets', 'institution_set_counts']) out[table] = await store.all(`SELECT * FROM ${table} ORDER BY ALL`);
  return out;
}

/**
 * Top institutions (with their main partners) and top institution pairs as the refresh's kept
 * rankings (pair_tops) and its summary answer them, and as every work × institution row does, with
 * the kept rankings, then the summary, set aside: both ways
 * round, filtered by years and by a field, and with roll-up (which the summary leaves to the rows);
 * pairs also with limits small enough that the summary's bound leaves institutions unread.
 */
async function rankingsBothWays(store: Store) {
  const [catalogue, taxonomy] = [loadRegions(), loadTaxonomy()];
  const field = (await store.one<{ field_id: string }>(`SELECT field_id FROM work_fields GROUP BY ALL ORDER BY count(*) DESC, field_id LIMIT 1`))!.field_id;
  const ask = async () => {
    const out: unknown[] = [];
    for (const filters of [NO_FILTERS, parseFilters({ from: '2022', to: '2023' }), parseFilters({ field }), parseFilters({ rollup: true })])
      for (const regions of [...STANDARD_PAIRS, ['CN', 'EU27AC'], ['CN', 'US']]) out.push([regions, filters, await runIndicator(store, catalogue, taxonomy, { name: 'top-institutions', regions, filters, limit: 20, institution: null })]);
    // Pairs cost a query each (~0.2 s under the suite's load): a limit the summary's bound acts on, unfiltered and filtered, both ways round, and one limit past every pair.
    for (const filters of [NO_FILTERS, parseFilters({ from: '2022', to: '2023' }), parseFilters({ field })])
      for (const regions of [
        ['EU27AC', 'CN'],
        ['CN', 'EU27AC'],
      ])
        out.push([regions, filters, await runIndicator(store, catalogue, taxonomy, { name: 'top-pairs', regions, filters, limit: 2, institution: null })]);
    out.push(await runIndicator(store, catalogue, taxonomy, { name: 'top-pairs', regions: ['EU27AC', 'CN'], filters: NO_FILTERS, limit: 20, institution: null }));
    return out;
  };
  const kept = await ask();
  await store.run('ALTER TABLE pair_top_keys RENAME TO pair_top_keys_aside');
  const summary = await ask();
  await store.run('ALTER TABLE institution_set_counts RENAME TO institution_set_counts_aside');
  try {
    return { kept, summary, rows: await ask() };
  } finally {
    await store.run('ALTER TABLE institution_set_counts_aside RENAME TO institution_set_counts');
    await store.run('ALTER TABLE pair_top_keys_aside RENAME TO pair_top_keys');
  }
}

test('killed (SIGKILL) inside the incremental refresh: the update is still pending, and re-running the ingest ends with the rows of a full refresh', async () => {
  const base = writeTemp('base.jsonl', syntheticWorks(40));
  const work = (n: number, places: string[]) => JSON.stringify({ id: `https://openalex.org/W${n}`, doi: `10.5555/crash.${n}`, publication_year: 2024, authorships: places.map((p) => ({ raw_affiliation_strings: [p] })) });
  const update = writeTemp('update.jsonl', [work(3, ['University of Oxford, Oxford, UK']), work(5, ['Lab 5, Zhejiang University, Hangzhou, China', 'ETH Zurich, Zurich, Switzerland']), work(41, ['Lab 1, Zhejiang University, Hangzhou, China', 'University of Oxford, Oxford, UK'])].join('\n'));
  const home = tempDir();
  assert.equal(derisk(['ingest', 'openalex', base], { DERISK_HOME: home }).status, 0);
  const kill = derisk(['ingest', 'openalex', update], { DERISK_HOME: home, DERISK_CRASH_AT: 'refresh.before-commit:1' });
  assert.equal(kill.signal, 'SIGKILL', kill.stderr);
  let store = await Store.open(join(home, 'derisk.duckdb'));
  assert.equal(await count(store, 'refresh_pending'), 3, 'the refresh left nothing half done');
  assert.equal(await count(store, "works WHERE work_id = 'doi:10.5555/crash.41'"), 0);
  store.close();
  const rerun = derisk(['ingest', 'openalex', update], { DERISK_HOME: home });
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stdout, /already ingested/);
  store = await Store.open(join(home, 'derisk.duckdb'));
  try {
    const incremental = await derived(store);
    assert.equal(await count(store, "works WHERE work_id = 'doi:10.5555/crash.41'"), 1);
    await refreshAnalytics(store, 'strong', loadTaxonomy(), { full: true });
    assert.deepEqual(incremental, await derived(store));
  } finally {
    store.close();
  }
});

// One paper under two OpenAlex ids (two DOIs, as a preprint and its article often are) until OpenAlex merged W31 into W30.
const twin = (n: number) => oaWork(n, `10.5555/merged.${n}`, 2022, [AFF.delft, AFF.thu]);
const TWINS = [twin(30), oaWork(31, '10.5555/merged.31', 2022, [AFF.delft, { raw: AFF.thu, ror: '03cve4549', name: 'Tsinghua University' }]), twin(9100), twin(9101), twin(9200), twin(9300), twin(9302)];
// A merged_ids/works/<date>.csv.gz file as the snapshot has it, with bad rows (a bad date, an institution, a cycle, a leading zero) and chains of merges.
const MERGED_IDS = [
  'merge_date,id,merged_into_id',
  '2024-03-01,W31,W30',
  '2024-03-01,W900,W901',
  '2024-02-30,W902,W30',
  '2024-03-01,W903,I1',
  '2024-03-01,W9100,W9101',
  '2024-03-01,W9101,W9100',
  '2024-03-01,W9200,W9201',
  '2024-03-01,W9201,W9202',
  '2024-03-01,W9300,W9301',
  '2024-03-01,W9301,W9302',
  '2024-03-01,W09600,W9600',
  '',
].join('\n');

test('OpenAlex merged_ids: a work merged into another leaves the evidence (counted once), the merge is kept as the reason, and a copy ingested later under its old id is set aside naming the work at the end of its chain of merges', async () => {
  const home = tempDir();
  const store = await listedLandscapeStore(home, 'high', TWINS);
  try {
    const euCn2022 = async () => (await copublications(store, loadRegions(), 'EU27AC', 'CN')).find((r) => r.year === 2022)!.full;
    const before = await euCn2022();
    const path = join(home, '2024-03-01.csv.gz');
    fs.writeFileSync(path, gzipSync(MERGED_IDS));
    const report = await ingestMergedWorks(store, path);
    // W9200 went (through W9201) to W9202, which the store does not hold; W9300 went through W9301 to W9302, which it holds.
    assert.deepEqual([report.status, report.kept, report.quarantined, report.removed, report.survivorNotHeld], ['ingested', 7, 4, 4, 1]);
    assert.deepEqual(
      report.rejected.map((r) => [r.recordNo, r.reason]),
      [
        [3, 'merge_date is not a date (YYYY-MM-DD): "2024-02-30"'],
        [4, 'merged_into_id is not an OpenAlex work id: "I1"'],
        [6, 'merging W9101 into W9100 would close a cycle, as W9100 was merged into W9101 (row 5): set aside, the first merge recorded stands'],
        [11, 'id is not an OpenAlex work id (a leading zero): "W09600"'],
      ],
    );
    assert.equal(await count(store, "records WHERE source_id = 'W31'"), 0);
    assert.equal(await count(store, "affiliations WHERE source_id = 'W31'"), 0);
    assert.equal(await count(store, "records WHERE source_id IN ('W9100', 'W9101')"), 1, 'one work of the cycle survives');
    const kept = await store.all(`SELECT m.source_id, m.merged_into, m.merge_date::VARCHAR AS merge_date, f.path, m.record_no::DOUBLE AS row_no, m.removed_file_id IS NOT NULL AS removed FROM merged_works m JOIN input_files f USING (file_id) ORDER BY ALL`);
    const merge = (source_id: string, merged_into: string, row_no: number, removed: boolean) => ({ source_id, merged_into, merge_date: '2024-03-01', path, row_no, removed });
    assert.deepEqual(kept, [merge('W31', 'W30', 1, true), merge('W900', 'W901', 2, false), merge('W9100', 'W9101', 5, true), merge('W9200', 'W9201', 7, true), merge('W9201', 'W9202', 8, false), merge('W9300', 'W9301', 9, true), merge('W9301', 'W9302', 10, false)]);
    assert.equal((await ingestMergedWorks(store, path)).status, 'already ingested');
    // A later file closing a cycle with a merge recorded before: set aside naming that merge's file and row.
    const later = join(home, '2024-04-01.csv');
    fs.writeFileSync(later, ['merge_date,id,merged_into_id', '2024-04-01,W30,W31', ''].join('\n'));
    const closing = await ingestMergedWorks(store, later);
    assert.deepEqual([closing.kept, closing.removed, closing.rejected.map((r) => r.reason)], [0, 0, [`merging W30 into W31 would close a cycle, as W31 was merged into W30 (${path}, row 1): set aside, the first merge recorded stands`]]);
    assert.equal(await count(store, "records WHERE source_id = 'W30'"), 1);
    // The incremental refresh takes the merged-away works out and answers as a full refresh does.
    assert.equal(await refreshAnalytics(store), 'incremental');
    assert.equal(await euCn2022(), before - 4, 'each paper is one co-publication: W31 and W9100 counted once with their twins, W9200 and W9300 gone');
    assert.equal(await count(store, "works WHERE work_id = 'doi:10.5555/merged.31'"), 0);
    const answers = async () => ({ ...(await derived(store)), listed: await store.all(`SELECT * FROM institution_listed_copubs ORDER BY ALL`), affiliations: await store.all(`SELECT * FROM listed_affiliations ORDER BY ALL`) });
    const incremental = await answers();
    const both = await rankingsBothWays(store);
    assert.deepEqual(both.kept, both.summary, 'the kept rankings, without the merged-away works, answer as the summary does');
    assert.deepEqual(both.summary, both.rows, 'the summary of institutions, without the merged-away works, answers as the rows do');
    await refreshAnalytics(store, 'strong', loadTaxonomy(), { full: true });
    assert.deepEqual(incremental, await answers());
    // An older partition giving W31 again: set aside, naming the merge; W30 stays the work. W9300 went through W9301 to W9302: the work is W9302.
    const late = await ingestWorks(store, 'openalex', writeTemp('older-partition.jsonl', [JSON.stringify(TWINS[1]), JSON.stringify(oaWork(32, null, 2023, [AFF.oxford])), JSON.stringify(TWINS[5])].join('\n')), { quarantineDir: join(home, 'q') });
    assert.deepEqual([late.kept, late.duplicates, late.quarantined], [1, 0, 2]);
    const aside = await store.all<{ reason: string }>(`SELECT reason FROM quarantine WHERE file_id = $1 ORDER BY record_no`, [late.fileId]);
    assert.deepEqual(
      aside.map((a) => a.reason),
      [`OpenAlex merged W31 into W30 on 2024-03-01 (${path}, row 1): the work is W30, not counted twice`, `OpenAlex merged W9300 into W9301 on 2024-03-01 (${path}, row 9): the work is W9302 (W9301 was merged on into it), not counted twice`],
    );
    assert.equal(await count(store, "records WHERE source_id = 'W31'"), 0);
  } finally {
    store.close();
  }
});
