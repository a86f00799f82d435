import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTaxonomy } from '../../src/fields/taxonomy.ts';
import { runIndicator, type IndicatorName } from '../../src/indicators/catalog.ts';
import { NO_FILTERS } from '../../src/indicators/filters.ts';
import { ingestPatents } from '../../src/ingest/patents.ts';
import { loadRegistry } from '../../src/ingest/registry.ts';
import { loadRegions } from '../../src/regions/regions.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { orgSchemaOf, Store } from '../../src/store/store.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { AFF, landscapeStore } from '../helpers/landscape.ts';

// An organisation with match corrections has a schema of its own in the evidence store (its
// corrected view). `derisk backup` and `derisk restore` carry it: after a restore into a new home
// the organisation reads its corrected answers, and the other organisation the shared ones.
const TSINGHUA = '03cve4549';
const X = 'Key Laboratory of Machine Perception, Beijing, China';
const work = (n: number, affs: string[]) => ({ id: `https://openalex.org/W${n}`, doi: `10.5555/backup.${n}`, publication_year: 2022, authorships: affs.map((a) => ({ raw_affiliation_strings: [a] })) });
const INDICATORS: IndicatorName[] = ['copubs', 'top-institutions', 'top-pairs', 'countries', 'copatents', 'applicants'];

/** What each organisation reads that its corrections decide: indicators, Tsinghua's works, the co-publications verdicts count. */
async function answers(home: string) {
  const store = await Store.open(join(home, 'derisk.duckdb'));
  const [catalogue, taxonomy] = [loadRegions(), loadTaxonomy()];
  try {
    const of = async (org: string) => {
      const view = await store.viewOf(org);
      const indicators: Record<string, object[]> = {};
      for (const name of INDICATORS) indicators[name] = await runIndicator(view, catalogue, taxonomy, { name, regions: ['EU27AC', 'CN'], filters: NO_FILTERS, limit: 10, institution: null });
      return {
        indicators: JSON.parse(JSON.stringify(indicators)) as object,
        tsinghuaWorks: (await view.all<{ work_id: string }>('SELECT DISTINCT work_id FROM work_institutions WHERE ror_id = $1 ORDER BY work_id', [TSINGHUA])).map((r) => r.work_id),
        applicantPlaces: (await view.all<{ name: string; ror_id: string | null; country_code: string | null }>('SELECT name, ror_id, country_code FROM patent_applicant_places ORDER BY source, patent_id, seq')).map((p) => [p.name, p.ror_id, p.country_code]),
        listedCopubs: JSON.parse(JSON.stringify(await view.all('SELECT ror_id, year, works::DOUBLE AS works, listed::DOUBLE AS listed FROM institution_listed_copubs ORDER BY ror_id, year'))) as object,
      };
    };
    return { schemas: (await store.all<{ schema_name: string }>(`SELECT schema_name FROM duckdb_schemas() WHERE schema_name LIKE 'org_%' ORDER BY 1`)).map((r) => r.schema_name), a: await of('org-a'), b: await of('org-b') };
  } finally {
    store.close();
  }
}

test("backup and restore carry an organisation's corrected view: its answers and the other organisation's are the same after a restore", async () => {
  const home = join(tempDir(), 'home');
  const store = await landscapeStore(home, [work(10, [AFF.delft, X]), work(11, [X, AFF.oxford])]);
  // A patent whose second applicant is the corrected string.
  await ingestPatents(store, 'patstat', writeTemp('patstat.csv', ['appln_id,appln_filing_year,person_name,person_ctry_code,applt_seq_nr,invt_seq_nr,cpc_class_symbol', '700001,2022,Delft University of Technology,NL,1,0,G06N 3/08', `700001,2022,"${X}",,2,0,G06N 3/08`].join('\n') + '\n'));
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
  await refreshAnalytics(store);
  store.close();
  const env = { DERISK_HOME: home };
  for (const org of ['org-a', 'org-b']) assert.equal(derisk(['users', 'add-org', org, org.toUpperCase()], env).status, 0);
  const corrected = derisk(['match', 'correct', X, TSINGHUA, '--reason', 'the lab is at Tsinghua (its web page)', '--org', 'org-a'], env);
  assert.equal(corrected.status, 0, corrected.stdout + corrected.stderr);

  const before = await answers(home);
  assert.deepEqual(before.schemas, [orgSchemaOf('org-a')], 'org-a has a view of its own');
  assert.ok(before.a.tsinghuaWorks.includes('doi:10.5555/backup.10') && !before.b.tsinghuaWorks.includes('doi:10.5555/backup.10'), 'the correction decides org-a’s answers only');
  assert.notDeepEqual(before.a.indicators, before.b.indicators);
  assert.deepEqual(
    [before.a.applicantPlaces[1], before.b.applicantPlaces[1]],
    [
      [X, TSINGHUA, 'CN'],
      [X, null, 'CN'],
    ],
    'the applicant is Tsinghua for org-a only',
  );

  const backup = join(tempDir(), 'backup');
  const b = derisk(['backup', backup], env);
  assert.equal(b.status, 0, b.stdout + b.stderr);
  const restored = join(tempDir(), 'restored');
  // An installation with no exchange feed key makes unsigned backups.
  const r = derisk(['restore', backup, '--allow-unsigned'], { DERISK_HOME: restored });
  assert.equal(r.status, 0, r.stdout + r.stderr);

  assert.deepEqual(await answers(restored), before);
  const listed = derisk(['match', 'list', '--org', 'org-a', '--json'], { DERISK_HOME: restored });
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual(
    (JSON.parse(listed.stdout) as { raw: string; rorId: string }[]).map((c) => [c.raw, c.rorId]),
    [[X, TSINGHUA]],
  );
  // The restored view is rebuilt like any other: applying the corrections again changes nothing.
  const applied = derisk(['match', 'apply', '--org', 'org-a'], { DERISK_HOME: restored });
  assert.equal(applied.status, 0, applied.stdout + applied.stderr);
  assert.deepEqual(await answers(restored), before);
});
