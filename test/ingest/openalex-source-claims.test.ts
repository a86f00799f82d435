import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { describeSourceAgreement, resolvePending, sourceAgreement } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { INPUT, tempDir } from '../helpers/fixtures.ts';

// One work per case (test/input/openalex-source-claims.jsonl), each with a TU Dresden author the
// source and the string agree on, and one author whose string and asserted institution are the case.
const WORKS = join(INPUT, 'openalex-source-claims.jsonl');

async function ingested() {
  const dir = tempDir();
  const store = await Store.open(join(dir, 'derisk.duckdb'));
  await ingestRegistry(store, join(INPUT, 'ror-small.jsonl'));
  const report = await ingestWorks(store, 'openalex', WORKS, { quarantineDir: join(dir, 'q') });
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)), undefined, undefined, null);
  await refreshAnalytics(store);
  return { store, fileId: report.fileId };
}

/** The counted rows of the case's second author: institution, country, how matched, the source's claim kept beside. */
async function counted(store: Store, work: string) {
  return store.all<{ ror_id: string | null; country_code: string | null; matched_by: string | null; source_ror_ids: string[] | null }>(`SELECT ror_id, country_code, matched_by, source_ror_ids FROM work_affiliations WHERE work_id = $1 AND author_seq = 1 ORDER BY ror_id`, [`openalex:${work}`]);
}

test('where the author’s string names another registry institution than the source asserts, derisk’s is counted and the source’s kept beside', async () => {
  const { store } = await ingested();
  try {
    // The red team's case: Tsinghua written, Space Engineering University (not in the registry) asserted.
    assert.deepEqual(await counted(store, 'W9000000001'), [{ ror_id: '03cve4549', country_code: 'CN', matched_by: 'derisk-over-source', source_ror_ids: ['04rj1td02'] }]);
    // Oxford written, Harbin Engineering University (in the registry, in China) asserted: not a Chinese co-publication.
    assert.deepEqual(await counted(store, 'W9000000002'), [{ ror_id: '052gg0110', country_code: 'GB', matched_by: 'derisk-over-source', source_ror_ids: ['03x80pn82'] }]);
    const countries = await store.all<{ country_code: string }>(`SELECT DISTINCT country_code FROM work_institutions WHERE work_id = 'openalex:W9000000002' ORDER BY 1`);
    assert.deepEqual(
      countries.map((c) => c.country_code),
      ['DE', 'GB'],
    );
  } finally {
    store.close();
  }
});

test('the source’s institution counts where the string agrees with it or says nothing derisk resolves', async () => {
  const { store } = await ingested();
  try {
    assert.deepEqual(await counted(store, 'W9000000003'), [{ ror_id: '00a2xv884', country_code: 'CN', matched_by: 'source', source_ror_ids: null }]);
    assert.deepEqual(await counted(store, 'W9000000005'), [{ ror_id: '01yqg2h08', country_code: 'CN', matched_by: 'source', source_ror_ids: null }]);
  } finally {
    store.close();
  }
});

test('an institution the source asserts and the loaded registry lacks is marked so and not placed in the country only the source gives', async () => {
  const { store } = await ingested();
  try {
    // OpenAlex places Danfoss in China; "Danfoss Drives" names no country.
    assert.deepEqual(await counted(store, 'W9000000004'), [{ ror_id: '004hb4039', country_code: null, matched_by: 'source-unregistered', source_ror_ids: null }]);
    const cn = await store.one<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM work_institutions WHERE work_id = 'openalex:W9000000004' AND country_code = 'CN'`);
    assert.equal(cn!.n, 0);
  } finally {
    store.close();
  }
});

test('the ingest summary counts a disagreement with an institution the registry lacks, and names the strings that differ', async () => {
  const { store, fileId } = await ingested();
  try {
    const a = await sourceAgreement(store, [fileId]);
    // Both name an institution: Dresden (once: the same string in each work), Tsinghua, Oxford, Zhejiang and the two
    // strings of one family; two differ, both at the exact tier.
    assert.equal(a.institutionBoth, 6);
    assert.equal(a.institutionDiffers, 2);
    assert.equal(a.institutionOverruled, 2);
    // Space Engineering University and Danfoss.
    assert.equal(a.unregistered, 2);
    assert.deepEqual(a.examples, [
      { raw: 'Tsinghua University, Beijing, China', source: 'Space Engineering University (ROR 04rj1td02, not in the loaded registry)', derisk: 'Tsinghua University (ROR 03cve4549)', overruled: true },
      { raw: 'University of Oxford, Oxford, UK', source: 'Harbin Engineering University', derisk: 'University of Oxford (ROR 052gg0110)', overruled: true },
    ]);
    const lines = describeSourceAgreement(a);
    assert.match(
      lines[0]!,
      /institution differs on 2 of 6 strings \(33\.3%; derisk's counted on the 2 it resolves at the exact tier, the source's kept beside; elsewhere the source's\), the same institution family \(one the other's parent or unit in the registry, not counted as differing\) on 2,.*2 strings name an institution not in the loaded registry/,
    );
    assert.equal(lines[1], '  "Tsinghua University, Beijing, China": the source says Space Engineering University (ROR 04rj1td02, not in the loaded registry); derisk counts Tsinghua University (ROR 03cve4549)');
  } finally {
    store.close();
  }
});

test('where the source names a university and derisk its unit, or the reverse (parent and child in the registry), the summary counts them as one family, not as differing', async () => {
  const { store, fileId } = await ingested();
  try {
    // Case 6: TU Dresden asserted, "Institute of Automation, Dresden" resolved to TU Dresden's institute (its child);
    // case 7: the institute asserted, TU Dresden written (its parent).
    const parents = await store.all<{ ror_id: string; parents: string[] }>(`SELECT ror_id, parents FROM institutions WHERE ror_id IN ('056qj1t15', '042aqky30') ORDER BY ror_id`);
    assert.deepEqual(parents, [
      { ror_id: '042aqky30', parents: [] },
      { ror_id: '056qj1t15', parents: ['042aqky30'] },
    ]);
    const a = await sourceAgreement(store, [fileId]);
    assert.equal(a.institutionFamily, 2);
    assert.equal(a.institutionDiffers, 2, 'Tsinghua and Oxford only');
    assert.ok(!a.examples.some((e) => /Automation|01062/.test(e.raw)), JSON.stringify(a.examples));
  } finally {
    store.close();
  }
});

// Within one registry family the more specific institution counts (round 50): TU Dresden and its Institute of Automation.
const INSTITUTE = { ror_id: '056qj1t15', country_code: 'DE' };

test('derisk’s unit counts over the university the source asserts, even where derisk resolves the string only at the strong tier', async () => {
  const { store } = await ingested();
  try {
    // Case 6: TU Dresden asserted, "Institute of Automation, Dresden" resolved (strong) to its institute.
    assert.deepEqual(await counted(store, 'W9000000006'), [{ ...INSTITUTE, matched_by: 'derisk-over-source', source_ror_ids: ['042aqky30'] }]);
    // Where only exact matches count, derisk's unit is not counted: the source's university is, rather than nothing.
    await refreshAnalytics(store, 'exact');
    assert.deepEqual(await counted(store, 'W9000000006'), [{ ror_id: '042aqky30', country_code: 'DE', matched_by: 'source', source_ror_ids: null }]);
  } finally {
    store.close();
  }
});

test('the unit the source asserts counts over the university derisk resolves the string to at the exact tier', async () => {
  const { store } = await ingested();
  try {
    // Case 7: the institute asserted, "Technische Universität Dresden, 01062 Dresden" resolved exactly to TU Dresden.
    assert.deepEqual(await counted(store, 'W9000000007'), [{ ...INSTITUTE, matched_by: 'source', source_ror_ids: null }]);
  } finally {
    store.close();
  }
});

test('a disagreement outside one registry family is counted as before the family rule, at either counted tier', async () => {
  const { store } = await ingested();
  try {
    for (const tier of ['strong', 'exact'] as const) {
      await refreshAnalytics(store, tier);
      // Tsinghua written, an unregistered university asserted; Oxford written, Harbin asserted: derisk's, the source's kept beside.
      assert.deepEqual(await counted(store, 'W9000000001'), [{ ror_id: '03cve4549', country_code: 'CN', matched_by: 'derisk-over-source', source_ror_ids: ['04rj1td02'] }], tier);
      assert.deepEqual(await counted(store, 'W9000000002'), [{ ror_id: '052gg0110', country_code: 'GB', matched_by: 'derisk-over-source', source_ror_ids: ['03x80pn82'] }], tier);
      // The first author's string agrees with the source's TU Dresden: the source's.
      const first = await store.all<{ ror_id: string; matched_by: string }>(`SELECT ror_id, matched_by FROM work_affiliations WHERE work_id = 'openalex:W9000000001' AND author_seq = 0`);
      assert.deepEqual(first, [{ ror_id: '042aqky30', matched_by: 'source' }], tier);
    }
  } finally {
    store.close();
  }
});
