import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { SharedCorrection } from '../../src/exchange/service.ts';
import { ExchangeService } from '../../src/exchange/service.ts';
import { stixBundle } from '../../src/exchange/stix.ts';
import { MatchCorrections } from '../../src/resolve/corrections.ts';
import { viewCorrections } from '../../src/resolve/org-view.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists } from '../../src/screening/store.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { AFF, landscapeStore } from '../helpers/landscape.ts';
import { addMembers, testService, type TestService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

// Org-a shares a correction with the community; org-b's view reads through it from the share on.
// Sharing it, accepting one another installation sent, unsharing or withdrawing it, here or in
// another process (the console beside the server, another server on the same application
// database), is in or out of org-b's answers from the commit on, with no manual match apply and no
// rebuild by whoever committed it.
const TSINGHUA = '03cve4549';
const X = 'Key Laboratory of Machine Perception, Beijing, China';
const work = (n: number, year: number, affs: string[]) => ({ id: `https://openalex.org/W${n}`, doi: `10.5555/unshared.${n}`, publication_year: year, authorships: affs.map((a, i) => ({ author_position: i === 0 ? 'first' : 'middle', raw_affiliation_strings: [a] })) });
const CASE = { title: 'Joint lab', partners: [{ name: 'Tsinghua University', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } };

let store: Store;
let service: TestService;
let members: Awaited<ReturnType<typeof addMembers>>;

before(async () => {
  const home = tempDir();
  store = await landscapeStore(home, [work(10, 2022, [AFF.delft, X]), work(11, 2021, [X, AFF.delft])]);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Institute of Automation', level: 'high' }]))]);
  service = await testService(store, { home });
  members = await addMembers(service.accounts, ['org-a', 'org-b'], ['analyst', 'officer', 'admin']);
});

after(async () => {
  await service.close();
  store.close();
});

const request = (who: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => service.app.inject({ method, url, headers: { authorization: `Bearer ${members.tokens[who]}` }, ...(payload ? { payload } : {}) });
const call = async (who: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) => {
  const r = await request(who, method, url, payload);
  assert.ok(r.statusCode < 300, `${who} ${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.statusCode === 204 ? {} : (r.json() as Record<string, unknown>);
};

type Snapshot = { corrections: { items: { id: string }[] }; observations: { copubs: Record<string, { works: number }> } };

/** What org-b reads that the shared correction decides: Tsinghua's works, its co-publications and a new verdict. */
async function readOfB() {
  const verdict = (await call('org-b/officer', 'POST', '/api/assess?as_of=2023-06-01', CASE)) as { snapshot: Snapshot };
  return {
    copubs: await call('org-b/officer', 'GET', '/api/indicators/copubs?regions=EU27AC,CN'),
    tsinghuaWorks: ((await call('org-b/officer', 'GET', `/api/institutions/${TSINGHUA}`)) as { works: { workId: string }[] }).works.map((w) => w.workId).sort(),
    verdictReads: verdict.snapshot.corrections.items.map((c) => c.id),
  };
}

const correctedByA = async (): Promise<string> => ((await call('org-a/analyst', 'POST', '/api/match/corrections', { string: X, verdict: 'is', ror: TSINGHUA, reason: 'the lab is at Tsinghua (its web page)' })) as { id: string }).id;

/** Org-b's answers read through the correction: its verdict names it, and Tsinghua's works include those of the string it decides. */
async function assertBReads(id: string): Promise<void> {
  const read = await readOfB();
  assert.deepEqual(read.verdictReads, [id], "org-b's new verdict reads through the shared correction");
  assert.ok(read.tsinghuaWorks.includes('doi:10.5555/unshared.10'));
}

async function sharedIntoB(): Promise<string> {
  const id = await correctedByA();
  await call('org-a/officer', 'PUT', `/api/exchange/sharing/correction/${id}`, { distribution: 'community', tlp: 'green' });
  await assertBReads(id);
  return id;
}

test("a correction shared with the community is in the other organisation's view when the share commits, with no match apply", async () => {
  const before = await readOfB();
  const id = await correctedByA();
  assert.deepEqual(await readOfB(), before, "unshared, it is org-a's alone");
  await call('org-a/officer', 'PUT', `/api/exchange/sharing/correction/${id}`, { distribution: 'community', tlp: 'green' });
  // Built by the share itself, before org-b asked anything.
  assert.deepEqual(
    (await viewCorrections(store, 'org-b')).map((c) => c.id),
    [id],
  );
  await assertBReads(id);
  await call('org-a/officer', 'DELETE', `/api/exchange/sharing/correction/${id}`);
  assert.deepEqual(await readOfB(), before);
});

test('a share committed by another process reaches the next answers of the organisation it is shared with, with nobody rebuilding its view', async () => {
  const before = await readOfB();
  const id = await correctedByA();
  // As `derisk exchange share` on the same application database does when it cannot reach this server's store.
  await new ExchangeService(service.db, new Set()).share(members.actors['org-a/officer']!, 'correction', id, { distribution: 'community', tlp: 'green' });
  await assertBReads(id);
  await new ExchangeService(service.db, new Set()).unshare(members.actors['org-a/officer']!, 'correction', id);
  assert.deepEqual(await readOfB(), before);
});

test('unsharing a correction rebuilds the views of the organisations that read it, as a withdrawal does', async () => {
  const before = await readOfB();
  const id = await sharedIntoB();
  // Another organisation can neither unshare it nor reshare it: it answers like a missing one.
  assert.equal((await request('org-b/officer', 'DELETE', `/api/exchange/sharing/correction/${id}`)).statusCode, 404);
  assert.equal((await request('org-b/officer', 'PUT', `/api/exchange/sharing/correction/${id}`, { distribution: 'organisation', tlp: 'amber' })).statusCode, 404);
  await call('org-a/officer', 'DELETE', `/api/exchange/sharing/correction/${id}`);
  assert.deepEqual(await readOfB(), before, 'org-b reads the shared base again');
  // Org-a still reads through its own correction; org-b no longer sees it, nor can withdraw it.
  assert.ok(((await call('org-a/analyst', 'GET', '/api/match/corrections')) as unknown as { id: string; state: string }[]).some((c) => c.id === id && c.state === 'in force'));
  assert.ok(!((await call('org-b/analyst', 'GET', '/api/match/corrections')) as unknown as { id: string }[]).some((c) => c.id === id));
  assert.equal((await request('org-b/analyst', 'POST', `/api/match/corrections/${id}/withdraw`, { reason: 'not ours' })).statusCode, 404);
  const audit = await service.db.query<{ action: string; org_id: string }>(`SELECT action, org_id FROM audit WHERE target = $1 ORDER BY seq`, [`correction/${id}`]);
  assert.deepEqual(
    audit.map((a) => `${a.org_id} ${a.action}`),
    ['org-a exchange.share', 'org-a exchange.unshare'],
  );
});

test('a withdrawal committed by another process leaves the views it reached before the next answer, with nobody rebuilding them', async () => {
  const before = await readOfB();
  const id = await sharedIntoB();
  // As `derisk match withdraw` on the same application database does when it cannot reach this server's store.
  await new MatchCorrections(service.db, () => undefined).withdraw(members.actors['org-a/analyst']!, id, 'the web page was out of date');
  assert.deepEqual(await readOfB(), before, "org-b's very next answers are without it");
});

test('a correction another installation retracts leaves the view of the organisation that accepted it when the retraction comes in', async () => {
  const before = await readOfB();
  const correction: SharedCorrection = { id: '6f1d2c3b-4a59-4e87-9d10-2b3c4d5e6f70', orgId: 'uni-p', orgName: 'Partner University', string: X, verdict: 'is', rorId: TSINGHUA, reason: 'their lab list', createdAt: '2026-11-20T10:00:00.000Z', distribution: 'community', tlp: 'green' };
  const file = (retracted: boolean) =>
    JSON.stringify(
      stixBundle(
        { name: 'Partner platform', uuid: '0b0e4c1a-1111-4222-8333-444455556666' },
        { notes: [], namesakes: [], corrections: retracted ? [] : [correction], retractions: retracted ? [{ ...correction, retractedAt: '2026-12-01T09:00:00.000Z' }] : [], assessments: [], heldBack: { groups: 0, assessments: 0, k: 3 }, keptAsReleased: 0 },
        [],
      ),
    );
  const send = (retracted: boolean) => service.app.inject({ method: 'POST', url: '/api/exchange/import?format=stix&from=Partner%20University', headers: { authorization: `Bearer ${members.tokens['org-b/admin']}`, 'content-type': 'application/json' }, payload: file(retracted) });
  assert.equal((await send(false)).statusCode, 200);
  await call('org-b/analyst', 'POST', `/api/match/received/${correction.id}/accept`);
  assert.deepEqual((await readOfB()).verdictReads, [correction.id]);
  const retraction = await send(true);
  assert.deepEqual((retraction.json() as { retracted: string[] }).retracted, [correction.id]);
  assert.deepEqual(await readOfB(), before);
  // Org-a never imported it: the retraction in org-b's file is org-b's alone, and org-a's admin cannot see it.
  assert.deepEqual(await call('org-a/analyst', 'GET', '/api/match/received'), []);
});

test('an acceptance committed by another process reaches the next answers of the organisation that accepted, and its rejection leaves them', async () => {
  const before = await readOfB();
  const correction: SharedCorrection = { id: '7a2e3d4c-5b60-4f98-8e21-3c4d5e6f7081', orgId: 'uni-q', orgName: 'Other University', string: X, verdict: 'is', rorId: TSINGHUA, reason: 'their annual report', createdAt: '2026-11-21T10:00:00.000Z', distribution: 'community', tlp: 'green' };
  const file = JSON.stringify(stixBundle({ name: 'Other platform', uuid: '1c1f5d2b-2222-4333-8444-555566667777' }, { notes: [], namesakes: [], corrections: [correction], retractions: [], assessments: [], heldBack: { groups: 0, assessments: 0, k: 3 }, keptAsReleased: 0 }, []));
  const imported = await service.app.inject({ method: 'POST', url: '/api/exchange/import?format=stix&from=Other%20University', headers: { authorization: `Bearer ${members.tokens['org-b/admin']}`, 'content-type': 'application/json' }, payload: file });
  assert.equal(imported.statusCode, 200, imported.body);
  assert.deepEqual(await readOfB(), before, 'received, it applies to nobody until accepted');
  // As `derisk match accept` and `match reject` on the same application database do when they cannot reach this server's store.
  const elsewhere = new MatchCorrections(service.db, (ror) => (ror === TSINGHUA ? { name: 'Tsinghua University' } : undefined));
  await elsewhere.accept(members.actors['org-b/analyst']!, correction.id);
  assert.deepEqual((await readOfB()).verdictReads, [correction.id]);
  await elsewhere.reject(members.actors['org-b/analyst']!, correction.id, 'their report names another lab');
  assert.deepEqual(await readOfB(), before);
});
