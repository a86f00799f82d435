import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
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

type Read = { hash: string; items: { id: string; string: string; decision: string; ror: string | null; org: string; rorName?: string | null; by?: string; byName?: string | null }[] };

test('a stored verdict names the corrections its evidence was read through; a rerun names those changed since', async () => {
  const first = (await call('POST', '/api/match/corrections', { string: X, verdict: 'is', ror: TSINGHUA, reason: 'the lab is at Tsinghua (its web page)' })).json() as { id: string };
  const caseId = ((await call('POST', '/api/cases', CASE)).json() as { id: string }).id;
  const assessed = (await call('POST', `/api/cases/${caseId}/assess`, { as_of: '2023-06-01' })).json() as { id: string };
  const shown = (await call('GET', `/api/assessments/${assessed.id}`)).json() as { snapshot: { corrections: Read } };
  const read = shown.snapshot.corrections;
  assert.deepEqual(read.items, [{ id: first.id, string: X, decision: 'is', ror: TSINGHUA, org: 'org-a', rorName: 'Tsinghua University', by: actor.userId, byName: 'officer of org-a' }]);
  assert.match(read.hash, /^[0-9a-f]{16}$/);
  const report = (await call('GET', `/api/assessments/${assessed.id}/report`)).body;
  assert.match(report, new RegExp(`Evidence read through 1 match correction \\[${read.hash}\\]`));
  assert.ok(report.includes(first.id));
  // The institution by name beside its ROR id, and the author by name beside their id, as the verdict recorded them.
  assert.ok(report.includes(`is Tsinghua University (ROR ${TSINGHUA})`), report);
  assert.ok(report.includes(`by officer of org-a (${actor.userId})`));

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
  // The same case assessed by org-a reads the evidence through org-a's corrections: the two verdicts do not mean the same.
  const { id: aCase } = await cases.create(actor, CASE);
  const forA = (await cases.assess(actor, aCase, '2023-06-01')).result.snapshot as { corrections: Read; observations: unknown };
  assert.notEqual(forA.corrections.items.length, 0);
  assert.notDeepEqual(forA.observations, (stored.result.snapshot as { observations: unknown }).observations, "org-a's corrections change what its verdict observes");
  // So the README says what a verdict reads, not that it means the same for every organisation.
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
  assert.ok(!readme.includes('a verdict means the same for every organisation'));
  assert.ok(readme.includes('A verdict reads the shared base as its organisation sees it: through the match corrections in force for that organisation'));
});

test('corrections list their author by name beside the id; a withdrawal (409 a second time) and a superseding correction leave a filed verdict byte for byte as it was', async () => {
  const made = (await call('POST', '/api/match/corrections', { string: 'Perception Group, Haidian', verdict: 'is', ror: TSINGHUA, reason: 'checked its web page' })).json() as { id: string; createdBy: string; createdByName: string };
  assert.deepEqual([made.createdBy, made.createdByName], [actor.userId, 'officer of org-a']);
  const listed = (await call('GET', '/api/match/corrections')).json() as { id: string; createdByName: string; state: string }[];
  assert.deepEqual(
    listed.filter((c) => c.id === made.id).map((c) => [c.createdByName, c.state]),
    [['officer of org-a', 'in force']],
  );
  const caseId = ((await call('POST', '/api/cases', CASE)).json() as { id: string }).id;
  const filed = (await call('POST', `/api/cases/${caseId}/assess`, { as_of: '2023-06-01' })).json() as { id: string };
  const before = await filedVerdict(filed.id);

  const superseding = (await call('POST', '/api/match/corrections', { string: 'PERCEPTION GROUP; HAIDIAN', verdict: 'none', reason: 'a company lab after all' })).json() as { id: string; supersedes: string[] };
  assert.deepEqual(superseding.supersedes, [made.id]);
  assert.deepEqual(await filedVerdict(filed.id), before, 'a superseding correction leaves the filed verdict as it was');
  const withdrawn = await service.app.inject({ method: 'POST', url: `/api/match/corrections/${superseding.id}/withdraw`, headers: { authorization: `Bearer ${token}` }, payload: { reason: 'not checked well enough' } });
  assert.equal(withdrawn.statusCode, 200, withdrawn.body);
  const body = withdrawn.json() as { state: string; withdrawal: { by: string; byName: string; reason: string }; applied: { strings: number } };
  assert.deepEqual([body.state, body.withdrawal.by, body.withdrawal.byName, body.withdrawal.reason], ['withdrawn', actor.userId, 'officer of org-a', 'not checked well enough']);
  assert.deepEqual(await filedVerdict(filed.id), before, 'a withdrawal leaves the filed verdict as it was');
  const again = await service.app.inject({ method: 'POST', url: `/api/match/corrections/${superseding.id}/withdraw`, headers: { authorization: `Bearer ${token}` }, payload: { reason: 'again' } });
  assert.equal(again.statusCode, 409);
  assert.match((again.json() as { message: string }).message, /was withdrawn already, on \d{4}-\d\d-\d\d by officer of org-a: not checked well enough/);
  const superseded = await service.app.inject({ method: 'POST', url: `/api/match/corrections/${made.id}/withdraw`, headers: { authorization: `Bearer ${token}` }, payload: { reason: 'x' } });
  assert.equal(superseded.statusCode, 409);
  assert.match((superseded.json() as { message: string }).message, new RegExp(`correction ${superseding.id}, made later on the same string, superseded it`));
  const shown = ((await call('GET', '/api/match/corrections')).json() as { id: string; state: string }[]).filter((c) => [made.id, superseding.id].includes(c.id));
  assert.deepEqual(
    shown.map((c) => c.state),
    ['superseded', 'withdrawn'],
  );
});

const filedVerdict = async (id: string) => {
  const [json, report] = await Promise.all([call('GET', `/api/assessments/${id}`), call('GET', `/api/assessments/${id}/report`)]);
  return { json: json.body, report: report.body };
};
