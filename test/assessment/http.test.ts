import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

let store: Store;
let service: TestService;
let other: string;

before(async () => {
  store = await landscapeStore(tempDir());
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', level: 'very-high' }]))]);
  await screenPending(store, await screeningContext(store));
  service = await testService(store);
  await service.accounts.createOrganisation(OPERATOR, 'org-b', 'Org B');
  const b = await service.accounts.createUser(OPERATOR, { orgId: 'org-b', email: 'b@example.org', name: 'B', role: 'officer', password: 'a very long password' });
  other = (await service.accounts.createToken({ userId: b, orgId: 'org-b', role: 'officer', name: 'B' }, 'test')).token;
});
after(async () => {
  await service.close();
  store.close();
});

const call = (method: string, url: string, body?: object, token = service.token) => service.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${token}` }, ...(body ? { payload: body } : {}) });

test('GET /api/assessments/:id and its report show the case as assessed, after the case was edited', async () => {
  const doc = { title: 'Joint lab as proposed', partners: [{ name: 'Tsinghua University', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } };
  const created = await call('POST', '/api/cases', doc);
  assert.equal(created.statusCode, 201);
  const caseId = created.json().id as string;
  const assessed = await call('POST', `/api/cases/${caseId}/assess`, { as_of: '2026-11-22' });
  assert.equal(assessed.statusCode, 201);
  const id = assessed.json().id as string;
  assert.equal((await call('PUT', `/api/cases/${caseId}`, { ...doc, title: 'Joint lab, edited', partners: [{ name: 'University of Oxford', country: 'GB' }] })).statusCode, 200);
  const got = await call('GET', `/api/assessments/${id}`);
  assert.equal(got.statusCode, 200);
  const a = got.json();
  for (const key of ['id', 'case', 'overall', 'categories', 'criteria', 'bundle', 'snapshot', 'created_at']) assert.ok(key in a, key);
  assert.equal(a.case.title, 'Joint lab as proposed');
  assert.equal(a.overall, 'red');
  assert.match(a.bundle.hash, /^[0-9a-f]{16}$/);
  const report = await call('GET', `/api/assessments/${id}/report`);
  assert.equal(report.statusCode, 200);
  assert.ok(report.body.includes('Joint lab as proposed'));
  assert.ok(!report.body.includes('Joint lab, edited') && !report.body.includes('University of Oxford'), 'the report is the verdict as decided');
  // Another organisation cannot tell this assessment from one that does not exist.
  const foreign = await call('GET', `/api/assessments/${id}`, undefined, other);
  const missing = await call('GET', '/api/assessments/00000000-0000-4000-8000-000000000000', undefined, other);
  assert.equal(foreign.statusCode, 404);
  assert.equal(foreign.json().message.replace(id, 'X'), missing.json().message.replace('00000000-0000-4000-8000-000000000000', 'X'));
});

test('the options the case form needs: every new answer, the case kinds, forums and topics', async () => {
  const o = (await call('GET', '/api/assessment/options')).json();
  assert.deepEqual(o.kinds, ['research', 'standards-engagement']);
  for (const k of ['partyKinds', 'dataSubjects', 'dataAccess', 'populations', 'mobility', 'forums', 'topics']) assert.ok(o[k].length > 0, k);
  assert.ok(o.partyKinds.includes('unknown') && o.dataAccess.includes('unknown'));
  assert.match(o.bundle.hash, /^[0-9a-f]{16}$/);
});
