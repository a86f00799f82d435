import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ingestPatents } from '../../src/ingest/patents.ts';
import { SHARED } from '../../src/ingest/pipeline.ts';
import { loadRegistry } from '../../src/ingest/registry.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists } from '../../src/screening/store.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import type { Store } from '../../src/store/store.ts';
import { IngestWorkflow } from '../../src/workflows/ingest.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { AFF, landscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

// Two organisations over one shared base. A string the matcher places in China without an
// institution appears in two Delft co-publications; org-a corrects it to Tsinghua. Its
// indicators, Tsinghua's profile, the portfolio and the co-publications its verdicts read count
// those works for Tsinghua at once; org-b's answers stay what they were, byte for byte.
const TSINGHUA = '03cve4549';
const X = 'Key Laboratory of Machine Perception, Beijing, China';
const work = (n: number, year: number, affs: string[]) => ({ id: `https://openalex.org/W${n}`, doi: `10.5555/corr.${n}`, publication_year: year, authorships: affs.map((a, i) => ({ author_position: i === 0 ? 'first' : 'middle', raw_affiliation_strings: [a] })) });
// Strings OpenAlex tied to Tsinghua (a ROR id of the source's): org-a corrects one to the Institute of Automation, one to none, one to not Tsinghua.
const CASIA = '022c3hy66';
const GIVEN = { is: 'Lab of Pattern Recognition, Haidian, Beijing, China', none: 'Visiting scholar, Hangzhou, China', not: 'Center for Intelligent Systems, Haidian, Beijing, China' };
const givenWork = (n: number, raw: string) => ({
  ...work(n, 2023, [AFF.delft]),
  authorships: [
    { author_position: 'first', raw_affiliation_strings: [AFF.delft] },
    { author_position: 'last', raw_affiliation_strings: [raw], institutions: [{ id: 'https://openalex.org/I99065089', ror: `https://ror.org/${TSINGHUA}`, display_name: 'Tsinghua University', country_code: 'CN' }] },
  ],
});
const APPLICANT = 'KEY LAB OF MACHINE PERCEPTION';
const NOAH = "Huawei Noah's Ark Lab, London, UK";
const PASSWORD = 'correct horse battery staple';

let store: Store;
let service: TestService;
let home: string;
const tokens: Record<string, string> = {};

before(async () => {
  home = tempDir();
  store = await landscapeStore(home, [work(10, 2022, [AFF.delft, X]), work(11, 2021, [X, AFF.delft]), work(13, 2024, [NOAH, AFF.thu]), givenWork(20, GIVEN.is), givenWork(21, GIVEN.none), givenWork(22, GIVEN.not)]);
  // A patent filed by Delft with an applicant the matcher cannot place (PATSTAT gives no country for it).
  await ingestPatents(store, 'patstat', writeTemp('patstat.csv', ['appln_id,appln_filing_year,person_name,person_ctry_code,applt_seq_nr,invt_seq_nr,cpc_class_symbol', `700001,2022,Delft University of Technology,NL,1,0,G06N 3/08`, `700001,2022,${APPLICANT},,2,0,G06N 3/08`].join('\n') + '\n'));
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
  await refreshAnalytics(store);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Institute of Automation', level: 'high' }]))]);
  service = await testService(store, { home });
  for (const org of ['org-a', 'org-b']) {
    await service.accounts.createOrganisation(OPERATOR, org, org.toUpperCase());
    await service.accounts.createUser(OPERATOR, { orgId: org, email: `analyst@${org}.example`, name: `analyst of ${org}`, role: 'analyst', password: PASSWORD });
    const { actor } = await service.accounts.login(`analyst@${org}.example`, PASSWORD);
    tokens[org] = (await service.accounts.createToken(actor, 'test')).token;
  }
});

after(async () => {
  await service.close();
  store.close();
});

const get = async (org: string, url: string) => {
  const r = await service.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${tokens[org]}` } });
  assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
  return r.json();
};
const post = (org: string, url: string, payload: object) => service.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${tokens[org]}` }, payload });

/** Everything an organisation reads that a match decides. */
async function evidenceOf(org: string) {
  const verdict = await post(org, '/api/assess?as_of=2023-06-01', { title: 'Joint lab', partners: [{ name: 'Tsinghua University', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } });
  assert.equal(verdict.statusCode, 200, verdict.body);
  return {
    topInstitutions: await get(org, '/api/indicators/top-institutions?regions=EU27AC,CN'),
    copubs: await get(org, '/api/indicators/copubs?regions=EU27AC,CN'),
    profile: await get(org, `/api/institutions/${TSINGHUA}`),
    portfolio: await get(org, `/api/portfolio?ror=${TSINGHUA}`),
    copubsObserved: (verdict.json() as { snapshot: { observations: { copubs: Record<string, { works: number }> } } }).snapshot.observations.copubs,
  };
}
const workIds = (profile: { works: { workId: string }[] }) => profile.works.map((w) => w.workId).sort();

test("one organisation's correction changes its own evidence at once and nobody else's", async () => {
  const beforeA = await evidenceOf('org-a');
  const beforeB = await evidenceOf('org-b');
  assert.deepEqual(beforeA, beforeB, 'without corrections both organisations read the shared base');
  assert.ok(!workIds(beforeA.profile).includes('doi:10.5555/corr.10'), 'the uncorrected string names no institution');

  const made = await post('org-a', '/api/match/corrections', { string: X, verdict: 'is', ror: TSINGHUA, reason: 'the lab is at Tsinghua (its web page)' });
  assert.equal(made.statusCode, 201, made.body);
  assert.deepEqual((made.json() as { applied: unknown }).applied, { strings: 1, works: 2, othersRebuilt: false });

  const afterA = await evidenceOf('org-a');
  const afterB = await evidenceOf('org-b');
  assert.deepEqual(afterB, beforeB, "org-a's correction changes nothing org-b reads");
  assert.deepEqual(workIds(afterA.profile), [...workIds(beforeA.profile), 'doi:10.5555/corr.10', 'doi:10.5555/corr.11'].sort());
  assert.equal(afterA.copubsObserved[TSINGHUA]!.works, beforeA.copubsObserved[TSINGHUA]!.works + 2, "org-a's verdicts count the corrected works");
  assert.notDeepEqual(afterA.topInstitutions, beforeA.topInstitutions);
  assert.notDeepEqual(afterA.portfolio, beforeA.portfolio);
  const delftA = (afterA.topInstitutions.rows as { rorId: string; copublications: number }[]).find((r) => r.rorId === '02e2c7k09')!;
  const delftB = (afterB.topInstitutions.rows as { rorId: string; copublications: number }[]).find((r) => r.rorId === '02e2c7k09')!;
  assert.equal(delftA.copublications, delftB.copublications, 'the works were co-publications with China before (country-only) and stay so');
});

test("a later ingest's new spelling of a corrected string is corrected for that organisation only", async () => {
  const beforeB = await evidenceOf('org-b');
  const workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'q2') });
  try {
    await workflow.run({ scope: SHARED, kind: 'openalex', files: [{ path: writeTemp('more.jsonl', JSON.stringify(work(12, 2022, [AFF.delft, 'KEY LABORATORY OF MACHINE PERCEPTION, Beijing, China.']))) }] });
  } finally {
    await workflow.close();
  }
  (service.app as unknown as { sharedEvidenceChanged(): void }).sharedEvidenceChanged();
  assert.ok(workIds((await evidenceOf('org-a')).profile).includes('doi:10.5555/corr.12'));
  const afterB = await evidenceOf('org-b');
  assert.ok(!workIds(afterB.profile).includes('doi:10.5555/corr.12'));
  assert.deepEqual(afterB.copubsObserved, beforeB.copubsObserved);
});

test("a correction places a patent applicant for that organisation's patent indicators only", async () => {
  const patents = async (org: string) => ({
    copatents: await get(org, '/api/indicators/copatents?regions=EU27AC,CN'),
    applicants: await get(org, '/api/indicators/applicants?regions=EU27AC,CN'),
  });
  const beforeA = await patents('org-a');
  const beforeB = await patents('org-b');
  assert.deepEqual(beforeA, beforeB);
  assert.deepEqual(beforeA.copatents.rows, [], 'the applicant is placed nowhere: no co-patent with China');

  const made = await post('org-a', '/api/match/corrections', { string: 'Key Lab of Machine Perception', verdict: 'is', ror: TSINGHUA, reason: 'the lab is at Tsinghua (its web page)' });
  assert.equal(made.statusCode, 201, made.body);

  const afterA = await patents('org-a');
  assert.deepEqual(afterA.copatents.rows, [{ year: 2022, copatents: 1 }], "org-a's co-patents count the applicant in China");
  assert.ok(JSON.stringify(afterA.applicants.rows).includes('Tsinghua University'), JSON.stringify(afterA.applicants.rows));
  assert.deepEqual(await patents('org-b'), beforeB, "org-a's correction changes nothing org-b reads");
});

test('a string an organisation corrects names the companies its corrected resolution names, for that organisation only', async () => {
  const companiesOn = async (org: string) => {
    const profile = (await get(org, `/api/institutions/${TSINGHUA}`)) as { works: { workId: string; companies: string[] }[]; affiliations: { raw: string; companies: { label: string }[] }[] };
    return { work: profile.works.find((w) => w.workId === 'doi:10.5555/corr.13')?.companies, string: profile.affiliations.find((a) => a.raw === NOAH)?.companies.map((c) => c.label) };
  };
  assert.deepEqual((await companiesOn('org-a')).work, ["Huawei (Noah's Ark Lab), GB"]);
  const beforeB = await companiesOn('org-b');

  const made = await post('org-a', '/api/match/corrections', { string: NOAH, verdict: 'none', reason: 'a visiting researcher, not the lab' });
  assert.equal(made.statusCode, 201, made.body);
  assert.deepEqual((await companiesOn('org-a')).work, [], "org-a's correction says the string names no institution: no company either");
  assert.deepEqual(await companiesOn('org-b'), beforeB);
});

test("an organisation's correction overrules the ROR id the source gave a string, for that organisation only", async () => {
  const read = async (org: string) => ({
    thu: workIds(await get(org, `/api/institutions/${TSINGHUA}`)),
    casia: workIds(await get(org, `/api/institutions/${CASIA}`)),
    top: await get(org, '/api/indicators/top-institutions?regions=EU27AC,CN'),
  });
  const given = ['doi:10.5555/corr.20', 'doi:10.5555/corr.21', 'doi:10.5555/corr.22'];
  const beforeA = await read('org-a');
  const beforeB = await read('org-b');
  for (const id of given) assert.ok(beforeA.thu.includes(id) && beforeB.thu.includes(id), `OpenAlex places ${id} at Tsinghua`);

  const applied = [];
  for (const [verdict, ror] of [
    ['is', CASIA],
    ['none', ''],
    ['not', TSINGHUA],
  ] as const) {
    const made = await post('org-a', '/api/match/corrections', { string: GIVEN[verdict], verdict, ror, reason: 'the source tied the string to the wrong institution' });
    assert.equal(made.statusCode, 201, made.body);
    applied.push((made.json() as { applied: { strings: number; works: number } }).applied);
  }
  assert.ok(
    applied.every((a) => a.strings >= 1 && a.works >= 1),
    JSON.stringify(applied),
  );

  const afterA = await read('org-a');
  for (const id of given) assert.ok(!afterA.thu.includes(id), `org-a's correction takes ${id} from Tsinghua`);
  assert.ok(afterA.casia.includes('doi:10.5555/corr.20'), '"is" places the work at the institution the correction names');
  assert.ok(!afterA.casia.includes('doi:10.5555/corr.21'));
  // Delft's main partner in org-a's top institutions was Tsinghua: three works fewer with it now (all three stay co-publications with China).
  type Row = { rorId: string; copublications: number; mainPartnerId: string; withMainPartner: number };
  const delft = (top: { rows: Row[] }) => top.rows.find((r) => r.rorId === '02e2c7k09')!;
  assert.equal(delft(beforeA.top).mainPartnerId, TSINGHUA);
  assert.equal(delft(afterA.top).copublications, delft(beforeA.top).copublications);
  const was = delft(beforeA.top).withMainPartner;
  const now = delft(afterA.top);
  assert.ok(now.mainPartnerId === TSINGHUA ? now.withMainPartner === was - 3 : now.withMainPartner <= was, `org-a's top institutions follow its corrections: ${JSON.stringify(now)}, was ${was} with Tsinghua`);
  assert.notDeepEqual(afterA.top, beforeA.top);
  assert.deepEqual(await read('org-b'), beforeB, "org-a's corrections change nothing org-b (the shared base) reads");
});
