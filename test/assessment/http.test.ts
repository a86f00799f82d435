import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { assessedCurrentVersion } from '../../src/service/cases.ts';
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

const call = (method: string, url: string, body?: object, token = service.token, headers: Record<string, string> = {}) => service.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${token}`, ...headers }, ...(body ? { payload: body } : {}) });

test('GET /api/assessments/:id and its report show the case as assessed, after the case was edited', async () => {
  const doc = { title: 'Joint lab as proposed', partners: [{ name: 'Tsinghua University', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } };
  const created = await call('POST', '/api/cases', doc);
  assert.equal(created.statusCode, 201);
  const caseId = created.json().id as string;
  const assessed = await call('POST', `/api/cases/${caseId}/assess`, { as_of: '2026-11-22' });
  assert.equal(assessed.statusCode, 201);
  const id = assessed.json().id as string;
  assert.equal((await call('PUT', `/api/cases/${caseId}`, { ...doc, title: 'Joint lab, edited', partners: [{ name: 'University of Oxford', country: 'GB' }] }, service.token, { 'if-match': '"1"' })).statusCode, 200);
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

// Found by an outside tester: an officer added a listed partner while an admin saved a title from
// the form as it was before; both were told "ok", and the partner silently vanished from the case
// and from its next verdict.
test('two edits of one case from the same version: the first wins, the other is refused (409) naming the current version', async () => {
  const doc = { title: 'Joint lab', partners: [{ name: 'University of Oxford', country: 'GB' }] };
  const caseId = (await call('POST', '/api/cases', doc)).json().id as string;
  const loaded = await call('GET', `/api/cases/${caseId}`);
  assert.equal(loaded.json().version, 1);
  const base = loaded.headers.etag as string;
  assert.equal(base, '"1"');
  const withPartner = { ...doc, partners: [...doc.partners, { name: 'Beihang University', country: 'CN' }] };
  const [partner, title] = await Promise.all([call('PUT', `/api/cases/${caseId}`, withPartner, service.token, { 'if-match': base }), call('PUT', `/api/cases/${caseId}`, { ...doc, title: 'Joint lab, renamed' }, service.token, { 'if-match': base })]);
  assert.deepEqual([partner.statusCode, title.statusCode].sort(), [200, 409], 'exactly one of the two wins');
  const [won, lost] = partner.statusCode === 200 ? [partner, title] : [title, partner];
  assert.deepEqual(won.json(), { ok: true, version: 2 });
  assert.equal(won.headers.etag, '"2"');
  assert.match(lost.json().message, new RegExp(`case ${caseId} is at version 2, not 1: someone changed it since`));
  const stored = await call('GET', `/api/cases/${caseId}`);
  assert.equal(stored.headers.etag, '"2"');
  assert.deepEqual(stored.json().doc, won === partner ? withPartner : { ...doc, title: 'Joint lab, renamed' }, "the stored case is the winner's");

  // The loser reloads and edits again from the new version: both changes are kept.
  const again = await call('PUT', `/api/cases/${caseId}`, { ...withPartner, title: 'Joint lab, renamed' }, service.token, { 'if-match': '"2"' });
  assert.deepEqual(again.json(), { ok: true, version: 3 });
  assert.deepEqual((await call('GET', `/api/cases/${caseId}`)).json().doc.partners, withPartner.partners);
});

test('an edit from a stale version, or naming none, changes nothing; another organisation still gets 404', async () => {
  const doc = { title: 'Sensor network', partners: [{ name: 'Beihang University', country: 'CN' }] };
  const caseId = (await call('POST', '/api/cases', doc)).json().id as string;
  assert.equal((await call('PUT', `/api/cases/${caseId}`, { ...doc, title: 'Sensor network, phase 2' }, service.token, { 'if-match': '"1"' })).statusCode, 200);
  const before = (await call('GET', `/api/cases/${caseId}`)).json();
  const trail = async () => (await service.db.query('SELECT count(*) AS n FROM audit'))[0]!.n;
  const entries = await trail();
  const stale = await call('PUT', `/api/cases/${caseId}`, { title: 'Sensor network', partners: [{ name: 'University of Oxford', country: 'GB' }] }, service.token, { 'if-match': '"1"' });
  assert.equal(stale.statusCode, 409);
  assert.match(stale.json().message, /is at version 2, not 1/);
  const missing = await call('PUT', `/api/cases/${caseId}`, { title: 'Sensor network', partners: [{ name: 'University of Oxford', country: 'GB' }] });
  assert.equal(missing.statusCode, 428);
  assert.match(missing.json().message, /at version 2: an edit names the version it started from \(over HTTP, If-Match/);
  for (const ifMatch of ['"bogus"', '*', 'W/"2"', '"2", "3"', '"02"']) {
    const r = await call('PUT', `/api/cases/${caseId}`, { title: 'Sensor network', partners: [{ name: 'University of Oxford', country: 'GB' }] }, service.token, { 'if-match': ifMatch });
    assert.equal(r.statusCode, 400, ifMatch);
    assert.match(r.json().message, /is not a version of the case/);
  }
  assert.deepEqual((await call('GET', `/api/cases/${caseId}`)).json(), before, 'nothing changed');
  assert.equal(await trail(), entries, 'nothing audited: a refused edit changes nothing, as a refused knowledge-base edit');

  // A retried request that already took effect is not a conflict: it changes nothing.
  const retried = await call('PUT', `/api/cases/${caseId}`, { ...doc, title: 'Sensor network, phase 2' }, service.token, { 'if-match': '"1"' });
  assert.deepEqual([retried.statusCode, retried.json()], [200, { ok: true, version: 2 }]);

  for (const ifMatch of [undefined, '"2"']) {
    const foreign = await call('PUT', `/api/cases/${caseId}`, doc, other, ifMatch ? { 'if-match': ifMatch } : {});
    assert.equal(foreign.statusCode, 404, `another organisation, If-Match ${ifMatch}`);
  }
  assert.equal((await call('GET', `/api/cases/${caseId}`)).json().version, 2);
});

test('the options the case form needs: every new answer, the case kinds, forums and topics', async () => {
  const o = (await call('GET', '/api/assessment/options')).json();
  assert.deepEqual(o.kinds, ['research', 'standards-engagement']);
  for (const k of ['partyKinds', 'dataSubjects', 'dataAccess', 'populations', 'mobility', 'forums', 'topics']) assert.ok(o[k].length > 0, k);
  assert.ok(o.partyKinds.includes('unknown') && o.dataAccess.includes('unknown'));
  assert.match(o.bundle.hash, /^[0-9a-f]{16}$/);
});

test('GET /api/cases?q= finds a case whatever a PDF pasted into the title or the query: invisible characters, full-width letters, spaces', async () => {
  const pasted = (await call('POST', '/api/cases', { title: 'Joint lab with Harbin Institute of Tech\u00adnology', reference: 'REF\u200b-2026\u00a0-17', partners: [{ name: 'University of Oxford', country: 'GB' }] })).json().id as string;
  const plain = (await call('POST', '/api/cases', { title: 'Sensor study with Harbin Institute of Technology', partners: [{ name: 'University of Oxford', country: 'GB' }] })).json().id as string;
  const found = async (q: string) => ((await call('GET', `/api/cases?q=${encodeURIComponent(q)}`)).json() as { id: string }[]).map((c) => c.id).sort();
  for (const q of ['harbin institute of technology', 'Harbin Institute of Tech\u200bnology', 'ＨＡＲＢＩＮ  institute']) assert.deepEqual(await found(q), [pasted, plain].sort(), JSON.stringify(q));
  for (const q of ['ref-2026 -17', 'REF-2026\u2060 -17']) assert.deepEqual(await found(q), [pasted], JSON.stringify(q));
});

// Found by an outside tester: a verdict of Beijing Normal University was approved after the case's
// partner had become the National University of Defence Technology; the list then showed the case
// approved, yellow, as if the new partner had been assessed.
test('a decision on a verdict of a case edited since is refused (409, both versions named); the list and the case say "edited since verdict"', async () => {
  const doc = { title: 'Verdict of an older version', partners: [{ name: 'Tsinghua University', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } };
  const caseId = (await call('POST', '/api/cases', doc)).json().id as string;
  const old = (await call('POST', `/api/cases/${caseId}/assess`, {})).json();
  assert.equal(old.caseVersion, 1, 'a verdict records the version it assessed');
  assert.equal((await call('PUT', `/api/cases/${caseId}`, { ...doc, partners: [{ name: 'University of Oxford', country: 'GB' }] }, service.token, { 'if-match': '"1"' })).statusCode, 200);
  const refused = await call('POST', `/api/assessments/${old.id}/decision`, { decision: 'approved' });
  assert.equal(refused.statusCode, 409, refused.body);
  assert.match(refused.json().message, new RegExp(`assessment ${old.id} is of version 1 of case ${caseId}, which was edited since \\(now version 2\\): assess the current version first`));
  assert.equal((await call('GET', `/api/assessments/${old.id}/decision`)).json(), null, 'nothing was recorded');
  const listed = (await call('GET', '/api/cases?q=older+version')).json()[0];
  assert.equal(listed.status, 'awaiting sign-off');
  assert.equal(listed.editedSinceVerdict, true);
  assert.deepEqual(
    (await call('GET', `/api/cases/${caseId}`)).json().assessments.map((a: { caseVersion: number; editedSince: boolean }) => [a.caseVersion, a.editedSince]),
    [[1, true]],
  );

  // Assessed again, the current version is decided, and the case no longer says it was edited since.
  const current = (await call('POST', `/api/cases/${caseId}/assess`, {})).json();
  assert.equal(current.caseVersion, 2);
  assert.equal((await call('POST', `/api/assessments/${current.id}/decision`, { decision: 'approved' })).statusCode, 201);
  assert.equal((await call('GET', '/api/cases?q=older+version')).json()[0].editedSinceVerdict, false);
});

// Found by a red team: the same case saved with its keys in another order (another client, a
// form that builds the object afresh) counted as an edit, and the verdict could no longer be decided.
test('a case saved again with its keys in another order keeps its version and its verdict decidable; a real edit still counts', async () => {
  const doc = { title: 'Reordered keys', partners: [{ name: 'Tsinghua University', country: 'CN', role: 'partner' }], technology: { fields: ['eu-artificial-intelligence'] } };
  const caseId = (await call('POST', '/api/cases', doc)).json().id as string;
  const verdict = (await call('POST', `/api/cases/${caseId}/assess`, {})).json();
  const reordered = { technology: { fields: ['eu-artificial-intelligence'] }, partners: [{ role: 'partner', country: 'CN', name: 'Tsinghua University' }], title: 'Reordered keys' };
  const saved = await call('PUT', `/api/cases/${caseId}`, reordered, service.token, { 'if-match': '"1"' });
  assert.deepEqual([saved.statusCode, saved.json()], [200, { ok: true, version: 1 }]);
  assert.equal((await call('GET', `/api/cases/${caseId}`)).json().version, 1);
  assert.equal((await call('GET', '/api/cases?q=reordered+keys')).json()[0].editedSinceVerdict, false);
  // A verdict stored before verdicts recorded their case version compares the case itself, in any key order.
  assert.ok(assessedCurrentVersion({ caseVersion: null, result: { case: reordered } }, { version: 1, doc }));
  assert.ok(!assessedCurrentVersion({ caseVersion: null, result: { case: { ...reordered, partners: [{ name: 'Tsinghua University', country: 'CN' }] } } }, { version: 1, doc }));
  assert.equal((await call('POST', `/api/assessments/${verdict.id}/decision`, { decision: 'approved' })).statusCode, 201);
  const two = { ...doc, partners: [...doc.partners, { name: 'University of Oxford', country: 'GB', role: 'partner' }] };
  assert.deepEqual((await call('PUT', `/api/cases/${caseId}`, two, service.token, { 'if-match': '"1"' })).json(), { ok: true, version: 2 });
  // The order of a list is content: partners swapped is an edit.
  assert.deepEqual((await call('PUT', `/api/cases/${caseId}`, { ...two, partners: [...two.partners].reverse() }, service.token, { 'if-match': '"2"' })).json(), { ok: true, version: 3 });
  assert.equal((await call('GET', '/api/cases?q=reordered+keys')).json()[0].editedSinceVerdict, true);
});

test('a verdict stored before verdicts recorded their case version is decided only while the case reads as it assessed it', async () => {
  const doc = { title: 'Verdict without a version', partners: [{ name: 'Tsinghua University', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } };
  const caseId = (await call('POST', '/api/cases', doc)).json().id as string;
  const unchanged = (await call('POST', `/api/cases/${caseId}/assess`, {})).json().id as string;
  const edited = (await call('POST', `/api/cases/${caseId}/assess`, {})).json().id as string;
  // As migration 029 left the verdicts stored before it (their results carry no version either).
  for (const id of [unchanged, edited]) {
    const { result } = (await service.db.query<{ result: string }>('SELECT result FROM assessments WHERE id = $1', [id]))[0]!;
    const { caseVersion: _dropped, ...old } = JSON.parse(result) as Record<string, unknown>;
    await service.db.query('UPDATE assessments SET case_version = NULL, result = $1 WHERE id = $2', [JSON.stringify(old), id]);
  }
  assert.equal((await call('POST', `/api/assessments/${unchanged}/decision`, { decision: 'rejected' })).statusCode, 201, 'the case reads as that verdict assessed it');
  assert.equal((await call('PUT', `/api/cases/${caseId}`, { ...doc, title: 'Verdict without a version, edited' }, service.token, { 'if-match': '"1"' })).statusCode, 200);
  const refused = await call('POST', `/api/assessments/${edited}/decision`, { decision: 'approved' });
  assert.equal(refused.statusCode, 409);
  assert.match(refused.json().message, /was stored before verdicts recorded the case version they assessed, and case .* \(now version 2\) reads differently from the case it assessed: assess the current version first/);
  assert.equal((await call('GET', '/api/cases?q=without+a+version')).json()[0].editedSinceVerdict, true);
});

// Found by an outside tester: as_of 2099-12-31 counted co-publications in 2094–2098, found none and
// said S-COPUBS-LISTED "does not hold"; 1990-01-01 backdated a verdict made with today's lists; 2026-02-30 was stored.
test('as_of: a day not on the calendar or after today is refused naming the field; a window the store holds no works of leaves co-publications unknown; a past date says whose lists decided', async () => {
  const doc = { title: 'Dated verdicts', partners: [{ name: 'Tsinghua University', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] }, research: { type: 'basic', open_publication: 'yes' } };
  const caseId = (await call('POST', '/api/cases', doc)).json().id as string;
  for (const [asOf, reason] of [
    ['2026-02-30', /^as_of: "2026-02-30" is not a date/],
    ['2099-12-31', /^as_of: 2099-12-31 is after today \(\d{4}-\d{2}-\d{2}\): a verdict reads today's lists and evidence/],
  ] as const) {
    for (const [url, body] of [
      [`/api/cases/${caseId}/assess`, { as_of: asOf }],
      [`/api/assess?as_of=${asOf}`, doc],
    ] as const) {
      const refused = await call('POST', url, body);
      assert.equal(refused.statusCode, 400, `${url}: ${refused.body}`);
      assert.match(refused.json().message, reason);
    }
  }
  assert.equal((await call('GET', `/api/cases/${caseId}`)).json().assessments.length, 0, 'nothing stored');

  const criterion = (a: { criteria: { id: string; status: string; evidence: { path: string; note?: string }[]; requests: string[] }[] }) => a.criteria.find((r) => r.id === 'S-COPUBS-LISTED')!;
  const today = (await call('POST', `/api/cases/${caseId}/assess`, {})).json();
  assert.notEqual(criterion(today.result).status, 'needs-information', 'the store covers the five years before today');
  const old = (await call('POST', `/api/cases/${caseId}/assess`, { as_of: '1990-01-01' })).json();
  const copubs = criterion(old.result);
  assert.equal(copubs.status, 'needs-information');
  assert.match(copubs.evidence.find((e) => e.path === 'copubs.listed_5y')!.note!, /the evidence store holds no works of 1985–1989/);
  assert.match(copubs.requests.join(' '), /load publications of 1985–1989/);
  const report = (await call('GET', `/api/assessments/${old.id}/report`)).body;
  assert.match(report, /Dated 1990-01-01, but made on \d{4}-\d{2}-\d{2}: the parties were screened against the lists as retrieved then \([^)]*retrieved [^)]*\)[^<]*not those in force on 1990-01-01/);
  assert.doesNotMatch((await call('GET', `/api/assessments/${today.id}/report`)).body, /data-testid="backdated"/);
});

test("the report carries the verdict's digest, the one its audit entry records, and each list's retrieval date", async () => {
  const doc = { title: 'Report with its digest', partners: [{ name: 'Tsinghua University', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } };
  const caseId = (await call('POST', '/api/cases', doc)).json().id as string;
  const id = (await call('POST', `/api/cases/${caseId}/assess`, {})).json().id as string;
  const entry = (await service.db.query<{ row_digests: string }>("SELECT row_digests FROM audit WHERE action = 'assessment.run' AND target = $1", [id]))[0]!;
  const audited = (JSON.parse(entry.row_digests) as Record<string, string>)[`assessments/${id}`]!;
  assert.match(audited, /^[0-9a-f]{64}$/);
  const report = (await call('GET', `/api/assessments/${id}/report`)).body;
  assert.ok(report.includes(`verdict digest ${audited}`), 'beside the assessment id at the top');
  assert.ok(report.includes(`<code>${audited}</code>`), 'and under Basis');
  assert.match(report, /Lists: [^<]*my-watchlist [0-9a-f]+ \(retrieved 2026-11-01\)/);
});
