import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Assessor } from '../../src/assessment/assessor.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screeningContext } from '../../src/screening/store.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import type { Actor } from '../../src/service/authorize.ts';
import { CaseService } from '../../src/service/cases.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { AFF, landscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

// A stored verdict says which match corrections its evidence was read through; after the
// organisation corrects another string, a rerun names the correction added since, and the
// stored verdict (and its report) still say what they said.
const TSINGHUA = '03cve4549';
const X = 'Key Laboratory of Machine Perception, Beijing, China';
const work = (n: number, year: number, affs: string[]) => ({ id: `https://openalex.org/W${n}`, doi: `10.5555/vc.${n}`, publication_year: year, authorships: affs.map((a, i) => ({ author_position: i === 0 ? 'first' : 'middle', raw_affiliation_strings: [a] })) });
const PASSWORD = 'correct horse battery staple';
const CASE = { title: 'Joint lab', partners: [{ name: 'Tsinghua University', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } };

let store: Store;
let service: TestService;
let actor: Actor;
let token: string;

before(async () => {
  const home = tempDir();
  store = await landscapeStore(home, [work(10, 2022, [AFF.delft, X]), work(11, 2021, [X, AFF.delft])]);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Institute of Automation', level: 'high' }]))]);
  service = await testService(store, { home });
  await service.accounts.createOrganisation(OPERATOR, 'org-a', 'ORG-A');
  await service.accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'officer@org-a.example', name: 'officer of org-a', role: 'officer', password: PASSWORD });
  actor = (await service.accounts.login('officer@org-a.example', PASSWORD)).actor;
  token = (await service.accounts.createToken(actor, 'test')).token;
});

after(async () => {
  await service.close();
  store.close();
});

const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
  const r = await service.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  assert.ok(r.statusCode < 300, `${url}: ${r.statusCode} ${r.body}`);
  return r;
};

type Read = { hash: string; items: { id: string; string: string; decision: string; ror: string | null; org: string }[] };

test('a stored verdict names the corrections its evidence was read through; a rerun names those changed since', async () => {
  const first = (await call('POST', '/api/match/corrections', { string: X, verdict: 'is', ror: TSINGHUA, reason: 'the lab is at Tsinghua (its web page)' })).json() as { id: string };
  const caseId = ((await call('POST', '/api/cases', CASE)).json() as { id: string }).id;
  const assessed = (await call('POST', `/api/cases/${caseId}/assess`, { as_of: '2023-06-01' })).json() as { id: string };
  const shown = (await call('GET', `/api/assessments/${assessed.id}`)).json() as { snapshot: { corrections: Read } };
  const read = shown.snapshot.corrections;
  assert.deepEqual(read.items, [{ id: first.id, string: X, decision: 'is', ror: TSINGHUA, org: 'org-a' }]);
  assert.match(read.hash, /^[0-9a-f]{16}$/);
  const report = (await call('GET', `/api/assessments/${assessed.id}/report`)).body;
  assert.match(report, new RegExp(`Evidence read through 1 match correction \\[${read.hash}\\]`));
  assert.ok(report.includes(first.id));

  const second = (await call('POST', '/api/match/corrections', { string: 'Institute of Perception, Beijing', verdict: 'none', reason: 'a company lab, not in the registry' })).json() as { id: string };
  const cases = new CaseService(service.db, new Assessor({ store, screening: await screeningContext(store), bundle: loadBundle() }));
  const { after: rerun, diff } = await cases.rerun(actor, assessed.id, loadBundle());
  assert.equal(diff.corrections.changed, true);
  assert.equal(diff.corrections.before, read.hash);
  assert.notEqual(diff.corrections.now, read.hash);
  assert.deepEqual(
    diff.corrections.added.map((c) => [c.id, c.decision, c.ror]),
    [[second.id, 'none', null]],
  );
  assert.deepEqual(diff.corrections.removed, []);
  // The replay reads the evidence as it was: its snapshot keeps the corrections it was read through.
  assert.deepEqual((rerun.result.snapshot as { corrections: Read }).corrections, read);
  assert.deepEqual(((await call('GET', `/api/assessments/${assessed.id}`)).json() as { snapshot: unknown }).snapshot, shown.snapshot, 'the stored verdict is unchanged');

  // A fresh verdict reads through both, and a rerun of it finds nothing changed.
  const again = (await call('POST', `/api/cases/${caseId}/assess`, { as_of: '2023-06-01' })).json() as { id: string };
  assert.deepEqual(
    ((await call('GET', `/api/assessments/${again.id}`)).json() as { snapshot: { corrections: Read } }).snapshot.corrections.items.map((c) => c.id),
    [first.id, second.id],
  );
  assert.equal((await cases.rerun(actor, again.id, loadBundle())).diff.corrections.changed, false);
});

test('a verdict of an organisation without corrections records an empty set', async () => {
  await service.accounts.createOrganisation(OPERATOR, 'org-b', 'ORG-B');
  await service.accounts.createUser(OPERATOR, { orgId: 'org-b', email: 'officer@org-b.example', name: 'officer of org-b', role: 'officer', password: PASSWORD });
  const b = (await service.accounts.login('officer@org-b.example', PASSWORD)).actor;
  const cases = new CaseService(service.db, new Assessor({ store, screening: await screeningContext(store), bundle: loadBundle() }));
  const { id } = await cases.create(b, CASE);
  const stored = await cases.assess(b, id, '2023-06-01');
  assert.deepEqual((stored.result.snapshot as { corrections: Read }).corrections.items, [], "org-a's corrections are not org-b's");
});
