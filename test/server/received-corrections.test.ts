import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mispEvents, readMispEvent } from '../../src/exchange/misp.ts';
import { ExchangeService, type SharedCorrection } from '../../src/exchange/service.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists } from '../../src/screening/store.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { AFF, landscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

// A correction another installation published (encoded as that installation encodes it, read back
// as a pull reads it) is listed for every organisation over HTTP, accepted by one analyst for her
// organisation only, and refused to a viewer; a feed naming no ROR id in the tag is refused.
const TSINGHUA = '03cve4549';
const X = 'Key Laboratory of Machine Perception, Beijing, China';
const PASSWORD = 'correct horse battery staple';
const work = { id: 'https://openalex.org/W10', doi: '10.5555/recv.10', publication_year: 2022, authorships: [AFF.delft, X].map((a, i) => ({ author_position: i === 0 ? 'first' : 'middle', raw_affiliation_strings: [a] })) };
const CORRECTION: SharedCorrection = { id: '6f1d2a4e-8b1c-4c55-9a0e-2f3b4c5d6e7f', orgId: 'uni-a', orgName: 'University A', string: X, verdict: 'is', rorId: TSINGHUA, reason: 'the lab is at Tsinghua (its web page)', createdAt: '2026-11-20T10:00:00.000Z', distribution: 'community', tlp: 'green' };
const publisher = { name: 'Alpha platform', uuid: '0b0e4c1a-1111-4222-8333-444455556666' };

let store: Store;
let service: TestService;
const tokens: Record<string, string> = {};

before(async () => {
  const home = tempDir();
  store = await landscapeStore(home, [work]);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Institute of Automation', level: 'high' }]))]);
  service = await testService(store, { home });
  for (const [org, role] of [
    ['org-a', 'analyst'],
    ['org-b', 'analyst'],
    ['org-v', 'viewer'],
  ] as const) {
    await service.accounts.createOrganisation(OPERATOR, org, org.toUpperCase());
    await service.accounts.createUser(OPERATOR, { orgId: org, email: `u@${org}.example`, name: org, role, password: PASSWORD });
    tokens[org] = (await service.accounts.createToken((await service.accounts.login(`u@${org}.example`, PASSWORD)).actor, 'test')).token;
  }
  const [event] = mispEvents(publisher, { notes: [], namesakes: [], corrections: [CORRECTION], assessments: [], heldBack: { groups: 0, assessments: 0, k: 3 }, keptAsReleased: 0 }, []);
  const { items, refused } = readMispEvent(event, 'event.json', 'feed');
  assert.deepEqual(refused, []);
  const exchange = new ExchangeService(service.db, new Set());
  const subId = await exchange.subscribe(service.admin, tempDir(), 'ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', 'k1');
  const sub = (await exchange.subscriptions()).find((s) => s.id === subId)!;
  await exchange.recordPull(service.admin, sub, { publisher: publisher.name, sequence: 1, publishedAt: '2026-11-21T00:00:00.000Z', manifestSha256: 'm1', items });
});

after(async () => {
  await service.close();
  store.close();
});

const call = (org: string, method: 'GET' | 'POST', url: string) => service.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[org]}` } });
const profileWorks = async (org: string) => ((await call(org, 'GET', `/api/institutions/${TSINGHUA}`)).json() as { works: { workId: string }[] }).works.map((w) => w.workId);

test('a received correction is accepted over HTTP for one organisation, applied to its view only', async () => {
  const listed = (await call('org-a', 'GET', '/api/match/received')).json() as { uuid: string; accepted: boolean; originOrg: string; publisher: string; correction: { raw: string; verdict: string; rorId: string } }[];
  assert.deepEqual(
    listed.map((r) => [r.uuid, r.accepted, r.originOrg, r.publisher, r.correction.raw, r.correction.verdict, r.correction.rorId]),
    [[CORRECTION.id, false, 'University A', 'Alpha platform', X, 'is', TSINGHUA]],
  );
  assert.ok(!(await profileWorks('org-a')).includes('doi:10.5555/recv.10'));

  const viewer = await call('org-v', 'POST', `/api/match/received/${CORRECTION.id}/accept`);
  assert.equal(viewer.statusCode, 403, viewer.body);
  const missing = await call('org-a', 'POST', '/api/match/received/00000000-0000-4000-8000-000000000000/accept');
  assert.equal(missing.statusCode, 404, missing.body);

  const accepted = await call('org-a', 'POST', `/api/match/received/${CORRECTION.id}/accept`);
  assert.equal(accepted.statusCode, 200, accepted.body);
  assert.deepEqual((accepted.json() as { accepted: boolean; applied: unknown }).applied, { strings: 1, works: 1 });
  assert.ok((await profileWorks('org-a')).includes('doi:10.5555/recv.10'), "the accepted correction decides the string in org-a's view");
  assert.ok(!(await profileWorks('org-b')).includes('doi:10.5555/recv.10'), 'org-b did not accept it');
  assert.equal(((await call('org-b', 'GET', '/api/match/received')).json() as { accepted: boolean }[])[0]!.accepted, false);
  const again = await call('org-a', 'POST', `/api/match/received/${CORRECTION.id}/accept`);
  assert.equal(again.statusCode, 200, 'accepting again changes nothing');
});

test('a feed whose correction tag names no decision is refused item by item, naming why', () => {
  const [event] = mispEvents(publisher, { notes: [], namesakes: [], corrections: [CORRECTION], assessments: [], heldBack: { groups: 0, assessments: 0, k: 3 }, keptAsReleased: 0 }, []);
  const attr = (event!.Event.Attribute as { Tag: { name: string }[] }[])[0]!;
  attr.Tag = attr.Tag.map((t) => (t.name.startsWith('derisk:match-correction') ? { ...t, name: 'derisk:match-correction="is:Tsinghua"' } : t));
  const { items, refused } = readMispEvent(event, 'event.json', 'feed');
  assert.deepEqual(items, []);
  assert.match(refused[0]!.reason, /event\.json, attribute [0-9a-f-]{36}: tag derisk:match-correction says "is:Tsinghua", not is:<ROR id>, not:<ROR id> or none/);
});
