import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ConflictError, NotFoundError, RefusalError, ValidationError } from '../../src/errors.ts';
import { IndicatorError } from '../../src/indicators/catalog.ts';
import { MatchCorrections } from '../../src/resolve/corrections.ts';
import { NoListsError, storeResolver } from '../../src/screening/store.ts';
import { SESSION_COOKIE } from '../../src/server/auth.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { LoginThrottle, type BackOff, type ThrottleKind } from '../../src/service/throttle.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore, listedLandscapeStore } from '../helpers/landscape.ts';
import { storedVerdict } from '../helpers/kb.ts';
import { testService, type TestService } from '../helpers/service.ts';

// Every status the API answers with, each from a real route: the kind of error the core throws
// decides it (src/errors.ts), never the wording of its message.
const PASSWORD = 'correct horse battery staple';
const POLICY: Record<ThrottleKind, BackOff> = {
  account: { free: 2, baseMs: 60_000, capMs: 60_000, forgetMs: 3600_000 },
  address: { free: 50, baseMs: 1_000, capMs: 60_000, forgetMs: 3600_000 },
  device: { free: 50, baseMs: 1_000, capMs: 60_000, forgetMs: 3600_000 },
};
let store: Store;
let bare: Store;
let service: TestService;
let noLists: TestService;
let auth: { authorization: string };
let viewer: { authorization: string };
/** The local admin's browser session: managing users takes one. */
let session: Record<string, string>;

before(async () => {
  store = await listedLandscapeStore(tempDir(), 'high');
  service = await testService(store, { home: tempDir(), uploadLimit: 4096, bodyLimit: 8192, loginThrottle: (db) => new LoginThrottle(db, POLICY) });
  auth = { authorization: `Bearer ${service.token}` };
  const opened = await service.accounts.redeemLoginCode(await service.loginCode());
  session = { cookie: `${SESSION_COOKIE}=${opened.session}`, 'x-csrf-token': opened.csrf };
  await service.accounts.createOrganisation(OPERATOR, 'org-v', 'V');
  const id = await service.accounts.createUser(OPERATOR, { orgId: 'org-v', email: 'viewer@org-v.example', name: 'Viewer', role: 'viewer', password: PASSWORD });
  viewer = { authorization: `Bearer ${(await service.accounts.createToken({ userId: id, orgId: 'org-v', role: 'viewer', name: 'Viewer' }, 'probe')).token}` };
  bare = await landscapeStore(tempDir());
  noLists = await testService(bare);
});
after(async () => {
  await service.close();
  await noLists.close();
  store.close();
  bare.close();
});

const call = (s: TestService, method: 'GET' | 'POST' | 'PATCH', url: string, headers: Record<string, string>, payload?: string | object) => s.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload }) });

test('the kinds of refusal carry their status, and the domain errors are kinds of them', () => {
  assert.ok(new IndicatorError('x') instanceof ValidationError);
  assert.ok(new NoListsError('x') instanceof ConflictError);
  for (const [e, status] of [
    [new ValidationError('x'), 400],
    [new NotFoundError('x'), 404],
    [new ConflictError('x'), 409],
  ] as const) {
    assert.ok(e instanceof RefusalError);
    assert.equal(e.statusCode, status);
  }
});

test('each status from a real route, with its label and a message that says what is wrong', async () => {
  const admin = await service.accounts.users(service.admin);
  const cases: [string, () => ReturnType<typeof call>, number, string, RegExp][] = [
    ['an unknown region', () => call(service, 'GET', '/api/indicators/copubs?regions=EU27AC,MARS', auth), 400, 'bad request', /unknown region "MARS"/],
    ['an unknown region on a profile', () => call(service, 'GET', '/api/institutions/052gg0110?region=MARS', auth), 400, 'bad request', /unknown region "MARS"/],
    ['a portfolio of both an institution and a file', () => call(service, 'GET', `/api/portfolio?ror=052gg0110&file=${'a'.repeat(64)}`, auth), 400, 'bad request', /either ror/],
    ['a batch with no names', () => call(service, 'POST', '/api/screen/batch', auth, { text: '\n\n' }), 400, 'bad request', /no names to screen/],
    ['a case that is not a case', () => call(service, 'POST', '/api/cases', auth, { title: 'x', colour: 'red' }), 400, 'bad request', /^partners: expected a list/],
    ["a body that is not JSON (Fastify's own refusal)", () => call(service, 'POST', '/api/cases', { ...auth, 'content-type': 'application/json' }, '{"title":'), 400, 'bad request', /JSON/i],
    ['no credential', () => call(service, 'GET', '/api/fields', {}), 401, 'unauthorised', /log in/],
    ['a viewer storing a case', () => call(service, 'POST', '/api/cases', viewer, { title: 'Joint lab', partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }] }), 403, 'forbidden', /viewer may not/],
    ['a viewer reading the audit trail', () => call(service, 'GET', '/api/audit', viewer), 403, 'forbidden', /viewer may not audit.read/],
    ['a viewer verifying the audit trail', () => call(service, 'GET', '/api/audit/verify', viewer), 403, 'forbidden', /viewer may not audit.verify/],
    ['a viewer assessing a case unsaved', () => call(service, 'POST', '/api/assess', viewer, { title: 'Joint lab', partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }] }), 403, 'forbidden', /viewer may not assessment.run/],
    ['a case nobody made', () => call(service, 'GET', '/api/cases/00000000-0000-4000-8000-000000000000', auth), 404, 'not found', /case/],
    ['an institution not in the registry', () => call(service, 'GET', '/api/portfolio?ror=0abcdef12', auth), 404, 'not found', /no institution 0abcdef12/],
    ['demoting the last admin', () => call(service, 'PATCH', `/api/users/${admin.find((u) => u.role === 'admin')!.id}`, session, { role: 'officer' }), 409, 'conflict', /last active admin/],
    ['screening before any list is loaded', () => call(noLists, 'GET', '/api/screen?q=Tsinghua', { authorization: `Bearer ${noLists.token}` }), 409, 'conflict', /no risk lists loaded yet/],
    ['assessing before any list is loaded', () => call(noLists, 'POST', '/api/assess', { authorization: `Bearer ${noLists.token}` }, { title: 'x', partners: [{ name: 'Tsinghua University', country: 'CN' }] }), 409, 'conflict', /no risk lists loaded yet/],
    ['a JSON body over the limit, naming it', () => call(service, 'POST', '/api/match/corrections', auth, { string: 'x', verdict: 'none', reason: 'x', ror: 'y'.repeat(30_000) }), 413, 'payload too large', /over the [\d,]+ bytes POST \/api\/match\/corrections accepts/],
    ['an upload over the limit', () => call(service, 'POST', '/api/uploads?kind=openalex', { ...auth, 'content-type': 'application/octet-stream' }, 'x'.repeat(5000)), 413, 'payload too large', /at most 4,096 bytes/],
    ['an upload that is no export', () => call(service, 'POST', '/api/uploads?kind=openalex', { ...auth, 'content-type': 'application/octet-stream' }, '\u0000\u0001\u0002 binary'), 422, 'unprocessable', /not a readable openalex export/],
  ];
  for (const [what, send, status, label, message] of cases) {
    const r = await send();
    assert.equal(r.statusCode, status, `${what}: ${r.body}`);
    assert.equal(r.json().error, label, what);
    assert.match(r.json().message, message, what);
  }
});

test("a verdict that is not there, or is another organisation's, is 404 no assessment ID, even where no risk list is loaded: read, its report, its sign-off read or given", async () => {
  const theirs = await storedVerdict(noLists.db, { org: 'org-b', title: 'B: private', holds: [] });
  const bearer = { authorization: `Bearer ${noLists.token}` };
  for (const [method, path, body] of [
    ['GET', ''],
    ['GET', '/report'],
    ['GET', '/decision'],
    ['POST', '/decision', { decision: 'approved' }],
  ] as const) {
    const [missing, other] = await Promise.all(['00000000-0000-4000-8000-000000000000', theirs.assessmentId].map(async (id) => ({ id, r: await call(noLists, method, `/api/assessments/${id}${path}`, bearer, body) })));
    for (const { id, r } of [missing!, other!]) {
      assert.equal(r.statusCode, 404, `${method} ${id}${path}: ${r.body}`);
      assert.equal(r.json().message, `no assessment ${id}`);
    }
    assert.equal(other!.r.body.replaceAll(other!.id, 'ID'), missing!.r.body.replaceAll(missing!.id, 'ID'), 'the same answer');
  }
});

test('a login throttled after repeated failures answers 429 with Retry-After', async () => {
  const login = () => call(service, 'POST', '/api/login', {}, { email: 'viewer@org-v.example', password: 'not the password at all' });
  const statuses: number[] = [];
  let last = await login();
  for (let i = 0; i < 5 && last.statusCode !== 429; i++) {
    statuses.push(last.statusCode);
    last = await login();
  }
  assert.ok(
    statuses.every((s) => s === 401),
    statuses.join(','),
  );
  assert.equal(last.statusCode, 429, last.body);
  assert.equal(last.json().error, 'too many requests');
  assert.ok(Number(last.headers['retry-after']) > 0);
});

test('on a home holding only the registry (no risk lists), a correction is recorded, applied and resolves as the CLI resolves it', async () => {
  const raw = 'Institute for Interdisciplinary Information Sciences, THU, Beijing';
  const admin = { authorization: `Bearer ${noLists.token}` };
  const made = await call(noLists, 'POST', '/api/match/corrections', admin, { string: raw, verdict: 'is', ror: '03cve4549', reason: 'THU is Tsinghua' });
  assert.equal(made.statusCode, 201, made.body);
  const resolved = await call(noLists, 'GET', `/api/match/resolve?q=${encodeURIComponent(raw)}`, admin);
  assert.equal(resolved.statusCode, 200, resolved.body);
  const server = resolved.json() as { institutions: { rorId: string }[]; countryCode: string | null };
  assert.deepEqual(
    server.institutions.map((m) => m.rorId),
    ['03cve4549'],
  );
  const cli = (await storeResolver(bare)).resolve(raw, await new MatchCorrections(noLists.db, () => undefined).thesaurusFor(noLists.admin.orgId));
  assert.deepEqual([server.institutions.map((m) => m.rorId), server.countryCode], [cli.institutions.map((m) => m.rorId), cli.countryCode]);
});
