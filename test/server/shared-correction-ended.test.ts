import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists } from '../../src/screening/store.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { AFF, landscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

// Org-a shares a correction with the community; org-b takes it into its view (match apply). When
// org-a withdraws it, or supersedes it with a later one of its own, org-b's indicators and its new
// verdicts stop reading through it at once: nobody has to run match apply again.
const TSINGHUA = '03cve4549';
const X = 'Key Laboratory of Machine Perception, Beijing, China';
const work = (n: number, year: number, affs: string[]) => ({ id: `https://openalex.org/W${n}`, doi: `10.5555/ended.${n}`, publication_year: year, authorships: affs.map((a, i) => ({ author_position: i === 0 ? 'first' : 'middle', raw_affiliation_strings: [a] })) });
const PASSWORD = 'correct horse battery staple';
const CASE = { title: 'Joint lab', partners: [{ name: 'Tsinghua University', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } };

let store: Store;
let service: TestService;
const tokens: Record<string, string> = {};

before(async () => {
  const home = tempDir();
  store = await landscapeStore(home, [work(10, 2022, [AFF.delft, X]), work(11, 2021, [X, AFF.delft])]);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Institute of Automation', level: 'high' }]))]);
  service = await testService(store, { home });
  for (const org of ['org-a', 'org-b']) {
    await service.accounts.createOrganisation(OPERATOR, org, org.toUpperCase());
    await service.accounts.createUser(OPERATOR, { orgId: org, email: `officer@${org}.example`, name: `officer of ${org}`, role: 'officer', password: PASSWORD });
    const { actor } = await service.accounts.login(`officer@${org}.example`, PASSWORD);
    tokens[org] = (await service.accounts.createToken(actor, 'test')).token;
  }
});

after(async () => {
  await service.close();
  store.close();
});

const call = async (org: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) => {
  const r = await service.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[org]}` }, ...(payload ? { payload } : {}) });
  assert.ok(r.statusCode < 300, `${org} ${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json() as Record<string, unknown>;
};

type Snapshot = { corrections: { items: { id: string }[] }; observations: { copubs: Record<string, { works: number }> } };

/** What org-b reads that the shared correction decides: its co-publications, Tsinghua's works, and a new verdict. */
async function readOfB() {
  const verdict = (await call('org-b', 'POST', '/api/assess?as_of=2023-06-01', CASE)) as { snapshot: Snapshot };
  return {
    copubs: await call('org-b', 'GET', '/api/indicators/copubs?regions=EU27AC,CN'),
    tsinghuaWorks: ((await call('org-b', 'GET', `/api/institutions/${TSINGHUA}`)) as { works: { workId: string }[] }).works.map((w) => w.workId).sort(),
    verdictReads: verdict.snapshot.corrections.items.map((c) => c.id),
    verdictCopubs: verdict.snapshot.observations.copubs[TSINGHUA]?.works ?? 0,
  };
}

/** Org-a's correction of X to Tsinghua, shared with the community, taken into org-b's view. */
async function sharedIntoB(): Promise<string> {
  const { id } = (await call('org-a', 'POST', '/api/match/corrections', { string: X, verdict: 'is', ror: TSINGHUA, reason: 'the lab is at Tsinghua (its web page)' })) as { id: string };
  await call('org-a', 'PUT', `/api/exchange/sharing/correction/${id}`, { distribution: 'community', tlp: 'green' });
  assert.deepEqual(await call('org-b', 'POST', '/api/match/apply'), { strings: 0, works: 0 }, "the share rebuilt org-b's view as it committed: applying again changes nothing");
  const read = await readOfB();
  assert.deepEqual(read.verdictReads, [id], "org-b's new verdict reads through the shared correction");
  assert.ok(read.tsinghuaWorks.includes('doi:10.5555/ended.10'), "org-b's view counts the corrected works for Tsinghua");
  return id;
}

test('a withdrawn shared correction stops applying to the organisations it was shared with, without a manual apply', async () => {
  const before = await readOfB();
  const id = await sharedIntoB();
  await call('org-a', 'POST', `/api/match/corrections/${id}/withdraw`, { reason: 'the web page was out of date' });
  assert.ok(!((await call('org-b', 'GET', '/api/match/corrections')) as unknown as { id: string }[]).some((c) => c.id === id));
  const now = await readOfB();
  assert.deepEqual(now.verdictReads, [], 'a new verdict never names a withdrawn correction');
  assert.deepEqual(now, before, "org-b reads the shared base again, as before org-a's correction");
});

test('a shared correction superseded by a later one of its organisation (unshared) stops applying to those it was shared with', async () => {
  const before = await readOfB();
  const id = await sharedIntoB();
  const later = (await call('org-a', 'POST', '/api/match/corrections', { string: X.toUpperCase(), verdict: 'none', reason: 'a company lab after all' })) as { supersedes: string[] };
  assert.deepEqual(later.supersedes, [id]);
  const now = await readOfB();
  assert.deepEqual(now.verdictReads, [], 'a new verdict never names a superseded correction');
  assert.deepEqual(now, before);
});
