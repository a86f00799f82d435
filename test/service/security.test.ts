import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { screeningContext } from '../../src/screening/store.ts';
import { auditTrailOf, verifyAudit, verifyAuditOf } from '../../src/service/audit.ts';
import { ACTIONS, can, ForbiddenError, NotFoundError, ROLES, type Actor, type Role } from '../../src/service/authorize.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { listedLandscapeStore } from '../helpers/landscape.ts';
import { addMembers, PASSWORD, testService, type TestService } from '../helpers/service.ts';

let store: Store;
let service: TestService;
let actors: Record<string, Actor>;
let tokens: Record<string, string>;
let sessions: Record<string, Record<string, string>>;
const CASE = { title: 'Graph theory with Tsinghua', partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }], research: { type: 'basic', open_publication: 'yes' } };

before(async () => {
  store = await listedLandscapeStore(tempDir(), 'medium');
  service = await testService(store);
  ({ actors, tokens, sessions } = await addMembers(service.accounts, ['org-a', 'org-b']));
});
after(async () => {
  await service.close();
  store.close();
});

const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
const inject = (who: string, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) => service.app.inject({ method: method as 'GET', url, headers: { ...as(who), ...headers }, payload: payload as object });
/** A member's browser session: sharing a case takes one (an API token cannot). */
const inSession = (who: string, method: string, url: string, payload?: unknown) => service.app.inject({ method: method as 'GET', url, headers: sessions[who], payload: payload as object });

test('RBAC matrix: every role × every action, enforced in the core, as the permissions file says', async () => {
  // One real core call per action; each role either gets through or is refused with ForbiddenError.
  const owner = actors['org-a/analyst']!;
  const { cases: core } = await coreCases();
  const existing = (await core.create(owner, CASE)).id;
  const calls: Record<string, (a: Actor) => Promise<unknown>> = {
    'case.read': (a) => core.list(a),
    'assessment.read': (a) => core.assessments(a, existing),
    'note.read': (a) => core.notes(a, existing),
    'case.create': (a) => core.create(a, CASE),
    'case.update': (a) => core.update(a, existing, CASE, 1),
    'assessment.run': (a) => core.assess(a, existing, '2026-11-22'),
    'note.create': (a) => core.addNote(a, existing, 'checked'),
    'case.share': (a) => core.share(a, existing, 'org-b'),
    'user.manage': (a) => service.accounts.users(a),
    'audit.read': (a) => auditTrailOf(service.db, a, 5),
    'audit.verify': (a) => verifyAuditOf(service.db, a),
  };
  const checked: string[] = [];
  for (const action of ACTIONS) {
    const call = calls[action];
    if (!call) continue;
    for (const role of ROLES) {
      const actor = actors[`org-a/${role}`]!;
      const expected = can(actor, action);
      try {
        await call(actor);
        assert.ok(expected, `${role} was allowed to ${action}`);
      } catch (e) {
        if (!(e instanceof ForbiddenError)) throw e;
        assert.ok(!expected, `${role} was refused ${action}`);
      }
      checked.push(`${role}:${action}`);
    }
  }
  // Assessing a case without storing it is the same action as assessing a stored one.
  for (const role of ROLES) {
    const actor = actors[`org-a/${role}`]!;
    const expected = can(actor, 'assessment.run');
    await core.assessUnsaved(actor, CASE, '2026-11-22').then(
      () => assert.ok(expected, `${role} was allowed to assess unsaved`),
      (e: unknown) => {
        if (!(e instanceof ForbiddenError)) throw e;
        assert.ok(!expected, `${role} was refused assessing unsaved`);
      },
    );
  }
  assert.ok(checked.length >= 44, `${checked.length} role × action pairs checked`);
  const matrix = Object.fromEntries(ROLES.map((r) => [r, ACTIONS.filter((a) => can({ ...actors['org-a/viewer']!, role: r as Role }, a)).length]));
  assert.ok(matrix.viewer! < matrix.analyst! && matrix.analyst! < matrix.officer! && matrix.officer! < matrix.admin!, 'each role holds more than the one before');
  // Over HTTP too: a viewer cannot create, an analyst cannot share, an officer cannot manage users.
  assert.equal((await inject('org-a/viewer', 'POST', '/api/cases', CASE)).statusCode, 403);
  const created = (await inject('org-a/analyst', 'POST', '/api/cases', CASE)).json().id;
  assert.equal((await inSession('org-a/analyst', 'POST', `/api/cases/${created}/share`, { organisation: 'org-b' })).statusCode, 403);
  assert.equal((await inject('org-a/officer', 'GET', '/api/users')).statusCode, 403);
  assert.equal((await inject('org-a/admin', 'GET', '/api/users')).statusCode, 200);
});

let coreService: Promise<{ cases: import('../../src/service/cases.ts').CaseService }> | null = null;
async function coreCases() {
  coreService ??= (async () => {
    const { CaseService } = await import('../../src/service/cases.ts');
    const { Assessor } = await import('../../src/assessment/assessor.ts');
    const { loadBundle } = await import('../../src/assessment/bundle.ts');
    const assessor = new Assessor({ store, screening: await screeningContext(store), bundle: loadBundle() });
    return { cases: new CaseService(service.db, assessor) };
  })();
  return coreService;
}

test('tenant isolation: another organisation can neither read nor infer a case, unless it is shared (read only)', async () => {
  const created = await inject('org-a/analyst', 'POST', '/api/cases', { ...CASE, title: 'Confidential A' });
  assert.equal(created.statusCode, 201);
  const id = created.json().id as string;
  await inject('org-a/analyst', 'POST', `/api/cases/${id}/notes`, { body: 'internal remark of A' });
  assert.equal((await inject('org-a/analyst', 'POST', `/api/cases/${id}/assess`, {})).statusCode, 201);
  const missing = '00000000-0000-4000-8000-000000000000';
  for (const role of ROLES) {
    const who = `org-b/${role}`;
    const other = await inject(who, 'GET', `/api/cases/${id}`);
    const none = await inject(who, 'GET', `/api/cases/${missing}`);
    assert.equal(other.statusCode, 404, `${who} read A's case`);
    assert.equal(other.json().message.replace(id, 'ID'), none.json().message.replace(missing, 'ID'), 'the same answer as for a case that does not exist');
    assert.ok(!(await inject(who, 'GET', '/api/cases')).json().some((c: { id: string }) => c.id === id));
    for (const [method, url, body] of [
      ['POST', `/api/cases/${id}/assess`, {}],
      ['PUT', `/api/cases/${id}`, CASE],
      ['POST', `/api/cases/${id}/notes`, { body: 'x' }],
    ] as const) {
      assert.ok([403, 404].includes((await inject(who, method, url, body)).statusCode), `${who} ${method} ${url}`);
    }
    assert.ok([403, 404].includes((await inSession(who, 'POST', `/api/cases/${id}/share`, { organisation: 'org-b' })).statusCode), `${who} shares A's case`);
  }
  const assessmentId = (await inject('org-a/viewer', 'GET', `/api/cases/${id}`)).json().assessments[0].id;
  assert.equal((await inject('org-b/admin', 'GET', `/api/assessments/${assessmentId}`)).statusCode, 404);
  assert.equal((await inject('org-b/admin', 'GET', `/api/assessments/${assessmentId}/report`)).statusCode, 404);
  // Shared: B may read the case and its verdicts, not A's notes, and may not change it.
  assert.equal((await inSession('org-a/officer', 'POST', `/api/cases/${id}/share`, { organisation: 'org-b' })).statusCode, 200);
  const shared = await inject('org-b/viewer', 'GET', `/api/cases/${id}`);
  assert.equal(shared.statusCode, 200);
  assert.equal(shared.json().own, false);
  assert.deepEqual(shared.json().notes, [], "A's notes stay with A");
  assert.equal((await inject('org-b/viewer', 'GET', `/api/assessments/${assessmentId}`)).statusCode, 200);
  assert.equal((await inject('org-b/analyst', 'PUT', `/api/cases/${id}`, CASE)).statusCode, 404);
  assert.equal((await inject('org-b/admin', 'POST', `/api/cases/${id}/assess`, {})).statusCode, 404);
  await assert.rejects((await coreCases()).cases.get(actors['org-b/admin']!, missing), NotFoundError);
});

test('CSRF: a change made with the session cookie needs the session’s CSRF token', async () => {
  const login = await service.app.inject({ method: 'POST', url: '/api/login', payload: { email: 'analyst@org-a.example', password: PASSWORD } });
  assert.equal(login.statusCode, 200);
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  assert.match(String(login.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
  const csrf = login.json().csrf as string;
  const post = (headers: Record<string, string>) => service.app.inject({ method: 'POST', url: '/api/cases', headers: { cookie, ...headers }, payload: CASE });
  assert.equal((await post({})).statusCode, 403);
  assert.equal((await post({ 'x-csrf-token': 'forged' })).statusCode, 403);
  assert.equal((await post({ 'x-csrf-token': csrf })).statusCode, 201);
  assert.equal((await service.app.inject({ url: '/api/cases', headers: { cookie } })).statusCode, 200, 'reads need no CSRF token');
  assert.equal((await service.app.inject({ url: '/api/session', headers: { cookie } })).json().csrf, csrf);
});

test('injection attempts are data, not SQL; oversized bodies are refused; no stack traces reach clients', async () => {
  assert.equal((await service.app.inject({ method: 'POST', url: '/api/login', payload: { email: "' OR '1'='1' --", password: "' OR '1'='1" } })).statusCode, 401);
  assert.equal((await inject('org-a/analyst', 'GET', "/api/cases/' OR 1=1 --")).statusCode, 400);
  const title = "Robert'); DROP TABLE cases; --";
  const r = await inject('org-a/analyst', 'POST', '/api/cases', { ...CASE, title });
  assert.equal(r.statusCode, 201);
  assert.equal((await inject('org-a/analyst', 'GET', `/api/cases/${r.json().id}`)).json().title, title);
  assert.equal((await inject('org-a/viewer', 'GET', "/api/screen?q=x'%3B%20DROP%20TABLE%20screen_hits%3B%20--")).statusCode, 200);
  assert.ok((await store.one('SELECT count(*) AS n FROM screen_hits')) !== undefined);
  // Over the 1 MiB a case may take (round 50; 256 KiB before).
  const big = { ...CASE, title: 'x'.repeat(1100 * 1024) };
  assert.equal((await inject('org-a/analyst', 'POST', '/api/cases', big)).statusCode, 413);
  const bad = await inject('org-a/analyst', 'POST', '/api/assess', { title: 'no partners' });
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().message, /partners: expected a list/);
  assert.doesNotMatch(bad.body, /\n\s+at /, 'no stack trace');
  const headers = (await inject('org-a/viewer', 'GET', '/api/cases')).headers;
  for (const h of ['content-security-policy', 'x-content-type-options', 'x-frame-options', 'referrer-policy']) assert.ok(headers[h], `${h} missing`);
});

test('the audit trail records every change and verifies; an edited or deleted entry is detected', async () => {
  const before = await verifyAudit(service.db);
  assert.deepEqual(before.problems, []);
  const actions = new Set((await service.db.query<{ action: string }>('SELECT DISTINCT action FROM audit')).map((r) => r.action));
  for (const a of ['organisation.create', 'user.create', 'login', 'token.create', 'case.create', 'assessment.run', 'note.create', 'case.share', 'login.failed']) assert.ok(actions.has(a), `no audit entry for ${a}`);
  const officer = (await inject('org-a/officer', 'GET', '/api/audit')).json();
  assert.ok(officer.length > 0 && officer.every((e: { org_id: string }) => e.org_id === 'org-a'), 'an officer sees their own organisation’s trail');
  assert.equal((await inject('org-a/admin', 'GET', '/api/audit/verify')).json().problems.length, 0);
  await service.db.query('UPDATE audit SET detail = \'{"title":"innocent"}\' WHERE seq = 5');
  await service.db.query('DELETE FROM audit WHERE seq = 9');
  const after = await verifyAudit(service.db);
  assert.ok(after.problems.some((p) => p.seq === 5 && /edited/.test(p.problem)));
  assert.ok(after.problems.some((p) => p.seq === 10 && /missing/.test(p.problem)));
});
