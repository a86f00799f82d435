import assert from 'node:assert/strict';
import { after, before, mock, test } from 'node:test';
import { readFileSync } from 'node:fs';
import { feedIdentity } from '../../src/exchange/feed.ts';
import { parseFeedOrigins } from '../../src/exchange/origins.ts';
import { PUBLIC_ROUTES } from '../../src/server/auth.ts';
import { OPERATOR, PasswordPolicyError, TOKEN_DAYS } from '../../src/service/accounts.ts';
import { verifyAudit } from '../../src/service/audit.ts';
import { can, ForbiddenError, type Actor } from '../../src/service/authorize.ts';
import { checkPassword } from '../../src/service/passwords.ts';
import { LoginThrottle, waitMs, BACK_OFF, type BackOff, type ThrottleKind } from '../../src/service/throttle.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { listedLandscapeStore } from '../helpers/landscape.ts';
import { addMembers, PASSWORD, testService, type TestService } from '../helpers/service.ts';

// Accounts as an attacker meets them: guessing passwords in parallel and around the throttle,
// planting a login, keeping a session after being disabled, reading another tenant's directory.
let store: Store;
let service: TestService;
let clock = Date.parse('2026-11-30T08:00:00Z');
// Smaller numbers than the real policy, the same shape: the account slows after 5, the address after 8.
const POLICY: Record<ThrottleKind, BackOff> = {
  account: { free: 5, baseMs: 1_000, capMs: 60_000, forgetMs: 3600_000 },
  address: { free: 8, baseMs: 1_000, capMs: 60_000, forgetMs: 3600_000 },
  device: { free: 5, baseMs: 1_000, capMs: 60_000, forgetMs: 3600_000 },
};
let actors: Record<string, Actor>;
let tokens: Record<string, string>;
let sessions: Record<string, Record<string, string>>;
/** Every route the server registers, and what an API token cannot do there when it is session-only. */
const routes: { method: string; url: string; sessionOnly: string | undefined; requires: string | undefined }[] = [];
const CASE = { title: 'Graph theory with Tsinghua', partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }], research: { type: 'basic', open_publication: 'yes' } };

before(async () => {
  store = await listedLandscapeStore(tempDir(), 'medium');
  service = await testService(store, {
    loginThrottle: (db) => new LoginThrottle(db, POLICY, () => clock),
    // A home, so that every route is registered (uploads too); feeds from one public address, so that a subscription can be made.
    home: tempDir(),
    exchange: { feeds: parseFeedOrigins('https://8.8.8.8') },
    onRoute: (method, url, sessionOnly, requires) => routes.push({ method, url, sessionOnly, requires }),
  });
  ({ actors, tokens, sessions } = await addMembers(service.accounts, ['org-a', 'org-b', 'org-c']));
});
after(async () => {
  await service.close();
  store.close();
});

const as = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
const inject = (who: string, method: string, url: string, payload?: unknown) => service.app.inject({ method: method as 'GET', url, headers: as(who), payload: payload as object });
/** A member's browser session: what managing users, tokens, feed addresses and webhooks takes. */
const inSession = (who: string, method: string, url: string, payload?: unknown) => service.app.inject({ method: method as 'GET', url, headers: sessions[who], payload: payload as object });
const login = (email: string, password: string, remoteAddress = '10.0.0.1', cookie?: string) => service.app.inject({ method: 'POST', url: '/api/login', payload: { email, password }, remoteAddress, headers: cookie ? { cookie } : {} });
const tick = (ms: number) => (clock += ms);

test('login throttling: forty guesses sent at once get five tries; the rest wait (429 with Retry-After)', async () => {
  tick(2 * 3600_000);
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => login('viewer@org-a.example', `wrong guess number ${i}`, `10.1.0.${i}`)));
  const codes = answers.map((r) => r.statusCode);
  assert.equal(codes.filter((c) => c === 401).length, POLICY.account.free, `answers: ${codes.join(' ')}`);
  assert.equal(codes.filter((c) => c === 429).length, 40 - POLICY.account.free);
  const waited = answers.find((r) => r.statusCode === 429)!;
  assert.equal(waited.headers['retry-after'], '1');
  assert.equal((await verifyAudit(service.db)).problems.length, 0);
});

test('login throttling backs off exponentially instead of locking out; the owner’s own browser is never slowed by guesses at the account', async () => {
  tick(2 * 3600_000);
  const victim = 'admin@org-b.example';
  // The owner logged in from this browser before: it holds a device cookie for the account.
  const first = await login(victim, PASSWORD, '192.0.2.10');
  assert.equal(first.statusCode, 200);
  const device = String([first.headers['set-cookie']].flat().find((c) => String(c).startsWith('derisk_device='))).split(';')[0]!;
  assert.match(device, /^derisk_device=/);
  assert.match(String([first.headers['set-cookie']].flat().find((c) => String(c).startsWith('derisk_device='))), /HttpOnly; SameSite=Strict; Path=\/api\/login/);
  // Someone guesses at the admin's account from elsewhere: five tries, then 1 s, 2 s, 4 s … between guesses.
  for (let i = 0; i < POLICY.account.free; i++) assert.equal((await login(victim, `guess ${i} of the attacker`, `198.51.100.${i}`)).statusCode, 401);
  const waits: number[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await login(victim, `another guess ${i}`, `198.51.100.${50 + i}`);
    assert.equal(r.statusCode, 429);
    waits.push(Number(r.headers['retry-after']));
    tick(waits[i]! * 1000);
    assert.equal((await login(victim, `guess after waiting ${i}`, `198.51.100.${60 + i}`)).statusCode, 401, 'after the wait one more guess is tried, not refused outright');
  }
  assert.deepEqual(waits, [1, 2, 4, 8], 'each wait doubles');
  assert.deepEqual(
    [9, 30, 60].map((n) => waitMs(POLICY.account, n)),
    [16_000, 60_000, 60_000],
    'and stops at the cap: slowed, never locked out',
  );
  // The owner, from their own browser, gets in at once; a stranger with the right password still waits.
  assert.equal((await login(victim, PASSWORD, '192.0.2.10', device)).statusCode, 200);
  assert.equal((await login(victim, PASSWORD, '192.0.2.99')).statusCode, 429);
  // A forged or foreign device cookie counts as none.
  assert.equal((await login(victim, PASSWORD, '192.0.2.98', 'derisk_device=forged')).statusCode, 429);
});

test("login throttling: a successful login to one's own account does not reset the address's count of guesses at others", async () => {
  tick(2 * 3600_000);
  const address = '203.0.113.7';
  const targets = ['viewer@org-c.example', 'analyst@org-c.example', 'officer@org-c.example', 'admin@org-c.example'];
  const statuses: number[] = [];
  // Four guesses (each at a different account, so no account slows), then one's own good login, again and again.
  for (let round = 0; round < 4; round++) {
    for (const t of targets) statuses.push((await login(t, `guess ${round} at ${t}`, address)).statusCode);
    statuses.push((await login('viewer@org-a.example', PASSWORD, address)).statusCode);
  }
  assert.ok(statuses.includes(429), `the address was never slowed: ${statuses.join(' ')}`);
  assert.equal(statuses.filter((s) => s === 401).length, POLICY.address.free, 'the address got exactly its free guesses');
  // Another address is not affected.
  assert.equal((await login('viewer@org-a.example', PASSWORD, '203.0.113.8')).statusCode, 200);
});

test('login throttling is kept in the application database: two server processes share the counts', async () => {
  tick(2 * 3600_000);
  const { Accounts } = await import('../../src/service/accounts.ts');
  const [first, second] = [1, 2].map(() => new Accounts(service.db, new LoginThrottle(service.db, POLICY, () => clock)));
  for (let i = 0; i < 3; i++) await assert.rejects(first!.login('officer@org-a.example', `wrong ${i} here`, { address: '10.2.0.1' }), /wrong e-mail or password/);
  for (let i = 0; i < 2; i++) await assert.rejects(second!.login('officer@org-a.example', `wrong ${i} there`, { address: '10.2.0.2' }), /wrong e-mail or password/);
  await assert.rejects(first!.login('officer@org-a.example', PASSWORD, { address: '10.2.0.3' }), /too many failed logins/);
  const n = await service.db.query<{ failures: number }>("SELECT failures FROM login_throttle WHERE key = 'account:officer@org-a.example'");
  assert.equal(Number(n[0]!.failures), 5);
  assert.equal(BACK_OFF.account.free, 5, 'the shipped policy: five free guesses per account');
});

test('weak passwords are refused with the reason: length, only spaces, repetition, sequences, the breached list, one’s own name, organisation or this service', async () => {
  const refusal = (password: string, context: string[]) => {
    try {
      checkPassword(password, context);
      return null;
    } catch (err) {
      return err as Error;
    }
  };
  const curie = ['marie.curie@lab.example', 'Marie Curie', 'Institut du Radium'];
  const newbie = ['newbie@orga.example', 'Newbie Orga', 'Universiteit Voorbeeld'];
  const stein = ['m.stein7@alpha.eu', 'Margarete Stein', 'alpha', 'Universität Alpha'];
  const weak: [string, string[], RegExp][] = [
    ['short one', curie, /at least 12 characters/],
    [' '.repeat(12), curie, /only spaces/],
    ['aaaaaaaaaaaa', curie, /repeated characters/],
    ['abababababab', curie, /repeated characters/],
    ['password1234', curie, /commonly used|common word/],
    ['123456789012', curie, /commonly used|run of letters/],
    ['abcdefghijklm', curie, /run of letters/],
    ['qwertyuiopasdfgh', curie, /keyboard|commonly used/],
    ['iloveyou1234', curie, /commonly used|common word/],
    ['marie.curie@lab.example', curie, /your name/],
    // Built on the display name, the organisation, this service, or a few trivial pieces.
    ['newbieorga2026', newbie, /built on your name, e-mail address or organisation, a year/],
    ['VoorbeeldUniversiteit!', newbie, /your name, e-mail address or organisation/],
    ['derisk-derisk', newbie, /built on the name of this service/],
    ['Abcdefgh1234', newbie, /run of letters or digits/],
    ['Summer2024!!', newbie, /season or month, a year/],
    // An outside red team's: the name, the e-mail domain and the organisation folded, reordered or in leetspeak; a season in German.
    ['margarete.stein@alpha.eu', stein, /your name, e-mail address or organisation/],
    ['stein@alpha.eu!!', stein, /your name, e-mail address or organisation/],
    ['alpha.eu alpha.eu', stein, /your name, e-mail address or organisation/],
    ['universitat-alpha-2025', stein, /your name, e-mail address or organisation, a year/],
    ['UniversitaetAlpha!', stein, /your name, e-mail address or organisation/],
    ['Alpha Universität 2025', stein, /your name, e-mail address or organisation, a year/],
    ['D3r1sk-D3r1sk!', stein, /the name of this service/],
    ['Winter2025?!x', stein, /a season or month, a year/],
    ['Frühling2025!', stein, /a season or month, a year/],
    ['Herbst2023!!!', stein, /a season or month, a year/],
  ];
  for (const [password, context, why] of weak) {
    const e = refusal(password, context);
    assert.ok(e instanceof PasswordPolicyError, `${JSON.stringify(password)} was accepted`);
    assert.match(e.message, why, `${JSON.stringify(password)}: ${e.message}`);
  }
  for (const good of [PASSWORD, 'Zweiundvierzig Kühe grasen', '天地玄黄宇宙洪荒日月盈昃辰宿列张', 'tr0ub4dor&3 on a ferry', 'a long enough password']) {
    for (const context of [newbie, stein]) assert.equal(refusal(good, context), null, good);
  }
  const r = await inSession('org-a/admin', 'POST', '/api/users', { email: 'new@org-a.example', name: 'New', role: 'viewer', password: 'password1234' });
  assert.equal(r.statusCode, 400);
  assert.match(r.json().message, /password/);
  // Each place a password is set gives the check the organisation's name: adding a user, and the operator's reset.
  await service.accounts.createOrganisation(OPERATOR, 'ku-leuven', 'Katholieke Universiteit Leuven');
  const built = { orgId: 'ku-leuven', email: 'officer@kuleuven.example', name: 'Officer', role: 'officer' as const };
  await assert.rejects(service.accounts.createUser(OPERATOR, { ...built, password: 'KatholiekeLeuven2026' }), /your name, e-mail address or organisation/);
  const id = await service.accounts.createUser(OPERATOR, { ...built, password: PASSWORD });
  await assert.rejects(service.accounts.resetPassword(OPERATOR, id, 'UniversiteitLeuven!!'), /your name, e-mail address or organisation/);
  await service.accounts.resetPassword(OPERATOR, id, 'Zweiundvierzig Kühe grasen am Deich');
});

test('disable, enable, change role, delete: each takes effect at the next request, in sessions and tokens; audited; only within one’s organisation', async () => {
  const admin = actors['org-a/admin']!;
  const id = await service.accounts.createUser(admin, { orgId: 'org-a', email: 'leaver@org-a.example', name: 'Leaver', role: 'analyst', password: PASSWORD });
  tick(2 * 3600_000);
  const session = await login('leaver@org-a.example', PASSWORD, '10.3.0.1');
  const cookie = String([session.headers['set-cookie']].flat()[0]).split(';')[0]!;
  const csrf = session.json().csrf as string;
  const { token } = await service.accounts.createToken((await service.accounts.sessionActor(cookie.split('=')[1]!))!.actor, 'script');
  const bySession = (method: string, url: string, payload?: object) => service.app.inject({ method: method as 'GET', url, headers: { cookie, 'x-csrf-token': csrf }, payload });
  const byToken = (method: string, url: string, payload?: object) => service.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${token}` }, payload });
  assert.equal((await bySession('POST', '/api/cases', CASE)).statusCode, 201);
  // Demoted to viewer: the very next request may not create.
  assert.equal((await inSession('org-a/admin', 'PATCH', `/api/users/${id}`, { role: 'viewer' })).statusCode, 200);
  assert.equal((await bySession('POST', '/api/cases', CASE)).statusCode, 403);
  assert.equal((await byToken('POST', '/api/cases', CASE)).statusCode, 403);
  assert.equal((await byToken('GET', '/api/cases')).statusCode, 200);
  // Disabled: session and token end at once, and the password no longer opens one.
  assert.equal((await inSession('org-a/admin', 'PATCH', `/api/users/${id}`, { disabled: true })).statusCode, 200);
  assert.equal((await bySession('GET', '/api/cases')).statusCode, 401);
  assert.equal((await byToken('GET', '/api/cases')).statusCode, 401);
  assert.equal((await login('leaver@org-a.example', PASSWORD, '10.3.0.2')).statusCode, 401);
  const listed = (await inject('org-a/admin', 'GET', '/api/users')).json().find((u: { id: string }) => u.id === id);
  assert.equal(listed.disabled, true);
  // Enabled again: the password works; the revoked token stays revoked.
  assert.equal((await inSession('org-a/admin', 'PATCH', `/api/users/${id}`, { disabled: false })).statusCode, 200);
  assert.equal((await login('leaver@org-a.example', PASSWORD, '10.3.0.3')).statusCode, 200);
  assert.equal((await byToken('GET', '/api/cases')).statusCode, 401);
  // Another organisation's admin cannot touch the user: it does not exist for them.
  for (const [method, payload] of [
    ['PATCH', { disabled: true }],
    ['PATCH', { role: 'admin' }],
    ['DELETE', undefined],
  ] as const) {
    assert.equal((await inSession('org-b/admin', method, `/api/users/${id}`, payload)).statusCode, 404);
  }
  assert.equal((await inSession('org-a/officer', 'PATCH', `/api/users/${id}`, { role: 'admin' })).statusCode, 403, 'only an admin manages users');
  // Deleted: gone from the list, every way in closed, the address free again, the trail keeps the story.
  const again = await login('leaver@org-a.example', PASSWORD, '10.3.0.4');
  const cookie2 = String([again.headers['set-cookie']].flat()[0]).split(';')[0]!;
  assert.equal((await inSession('org-a/admin', 'DELETE', `/api/users/${id}`)).statusCode, 200);
  assert.equal((await service.app.inject({ url: '/api/cases', headers: { cookie: cookie2 } })).statusCode, 401);
  assert.ok(!(await inject('org-a/admin', 'GET', '/api/users')).json().some((u: { id: string }) => u.id === id));
  assert.equal((await login('leaver@org-a.example', PASSWORD, '10.3.0.5')).statusCode, 401);
  const actions = (await service.db.query<{ action: string }>('SELECT action FROM audit WHERE target = $1 ORDER BY seq', [id])).map((r) => r.action);
  for (const a of ['user.create', 'user.role', 'user.disable', 'user.enable', 'user.delete']) assert.ok(actions.includes(a), `no ${a} in ${actions.join(', ')}`);
  assert.deepEqual((await verifyAudit(service.db)).problems, [], 'every change is recorded with its rows');
});

test('API tokens: made only from a browser session, never by a token; revoked by a password reset, which says so; they expire (90 days, or fewer when asked), shown in the list and refused after', async () => {
  const admin = actors['org-a/admin']!;
  const id = await service.accounts.createUser(admin, { orgId: 'org-a', email: 'scripter@org-a.example', name: 'Scripter', role: 'analyst', password: PASSWORD });
  tick(2 * 3600_000);
  const session = await login('scripter@org-a.example', PASSWORD, '10.4.0.1');
  const cookie = String([session.headers['set-cookie']].flat()[0]).split(';')[0]!;
  const bySession = (method: string, url: string, payload?: object) => service.app.inject({ method: method as 'GET', url, headers: { cookie, 'x-csrf-token': session.json().csrf }, payload });
  const byToken = (token: string, method: string, url: string, payload?: object) => service.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${token}` }, payload });
  const days = (iso: string) => Math.round((Date.parse(iso) - Date.now()) / 86_400_000);

  const made = await bySession('POST', '/api/tokens', { label: 'nightly export' });
  assert.equal(made.statusCode, 201, made.body);
  const script = made.json() as { id: string; token: string; expiresAt: string };
  assert.equal(days(script.expiresAt), TOKEN_DAYS);
  const week = (await bySession('POST', '/api/tokens', { label: 'one week', days: 7 })).json() as { token: string; expiresAt: string };
  assert.equal(days(week.expiresAt), 7);
  assert.equal((await bySession('POST', '/api/tokens', { label: 'forever', days: TOKEN_DAYS + 1 })).statusCode, 400);
  const listed = (await byToken(script.token, 'GET', '/api/tokens')).json() as { label: string; expiresAt: string; expired: boolean }[];
  assert.deepEqual(
    listed.map((t) => [t.label, days(t.expiresAt), t.expired]),
    [
      ['nightly export', TOKEN_DAYS, false],
      ['one week', 7, false],
    ],
  );
  // A token, even an admin's, cannot mint one that would survive revoking it.
  for (const token of [script.token, tokens['org-a/admin']!]) {
    const minted = await byToken(token, 'POST', '/api/tokens', { label: 'second key' });
    assert.equal(minted.statusCode, 403, minted.body);
    assert.match(minted.json().message, /an API token cannot make another token: log in to the web app/);
  }

  // Past its expiry a token opens nothing; its date moved in the database, neither.
  mock.timers.enable({ apis: ['Date'], now: Date.parse(week.expiresAt) + 1000 });
  try {
    assert.equal((await byToken(week.token, 'GET', '/api/session')).statusCode, 401);
    assert.equal((await byToken(script.token, 'GET', '/api/session')).statusCode, 200);
  } finally {
    mock.timers.reset();
  }
  await service.db.query("UPDATE api_tokens SET expires_at = '2099-01-01T00:00:00.000Z' WHERE label = 'one week'");
  assert.equal((await byToken(week.token, 'GET', '/api/session')).statusCode, 401, 'the MAC covers the expiry');

  // The operator resets the password: the tokens end with the sessions, and the reset says how many.
  assert.deepEqual(await service.accounts.resetPassword(OPERATOR, id, 'Zweiundvierzig Kühe grasen am Deich'), { tokensRevoked: 2 });
  assert.equal((await byToken(script.token, 'GET', '/api/session')).statusCode, 401);
  assert.equal((await bySession('GET', '/api/session')).statusCode, 401);
  const reset = (await service.db.query<{ detail: string }>("SELECT detail FROM audit WHERE action = 'user.password-reset' AND target = $1", [id]))[0]!;
  assert.equal(JSON.parse(reset.detail).tokensRevoked, 2);
});

test('a leaked token leaves nothing behind that outlives its revocation: users, roles, tokens, feed addresses, webhooks, feed subscriptions and shares are made only in a browser session', async () => {
  const admin = actors['org-a/admin']!;
  const { id: leakedId, token: leaked } = await service.accounts.createToken(admin, 'leaked');
  const caseId = (await inSession('org-a/analyst', 'POST', '/api/cases', { ...CASE, title: 'Not for org-b' })).json().id as string;
  const byLeaked = (method: string, url: string, payload?: object) => service.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${leaked}` }, payload });
  const attempts: [string, string, object | undefined, RegExp][] = [
    ['POST', '/api/users', { email: 'backdoor@org-a.example', name: 'Backdoor', role: 'admin', password: PASSWORD }, /cannot add a user/],
    ['PATCH', `/api/users/${actors['org-a/viewer']!.userId}`, { role: 'admin' }, /cannot change a user's role or access/],
    ['DELETE', `/api/users/${actors['org-a/officer']!.userId}`, undefined, /cannot delete a user/],
    ['POST', '/api/tokens', { label: 'second key' }, /cannot make another token/],
    ['POST', '/api/alerts/feed', undefined, /cannot make a feed address/],
    ['POST', '/api/webhooks', { url: 'https://8.8.8.8/hook' }, /cannot add a webhook/],
    ['POST', '/api/exchange/subscriptions', { url: 'https://8.8.8.8/feed/', key: feedIdentity(tempDir()).publicKey, every: 60 }, /cannot subscribe to a feed/],
    ['POST', `/api/cases/${caseId}/share`, { organisation: 'org-b' }, /cannot share a case with another organisation/],
  ];
  for (const [method, url, payload, why] of attempts) {
    const r = await byLeaked(method, url, payload);
    assert.equal(r.statusCode, 403, `${method} ${url}: ${r.body}`);
    assert.match(r.json().message, why);
    assert.match(r.json().message, /log in to the web app \(a browser session\)/);
  }
  assert.equal((await inSession('org-a/viewer', 'POST', '/api/alerts/feed')).statusCode, 201, 'a browser session still makes them');
  // Reading, and revoking itself, stay open to the token; after that nothing it tried is left.
  assert.equal((await byLeaked('GET', '/api/users')).statusCode, 200);
  assert.equal((await byLeaked('DELETE', `/api/tokens/${leakedId}`)).statusCode, 200);
  assert.equal((await byLeaked('GET', '/api/users')).statusCode, 401);
  const users = (await inSession('org-a/admin', 'GET', '/api/users')).json() as { email: string; role: string }[];
  assert.ok(!users.some((u) => u.email === 'backdoor@org-a.example'));
  assert.equal(users.find((u) => u.email === 'viewer@org-a.example')!.role, 'viewer');
  assert.ok(users.some((u) => u.email === 'officer@org-a.example'));
  assert.deepEqual((await inSession('org-a/officer', 'GET', '/api/webhooks')).json(), []);
  assert.deepEqual((await inSession('org-a/admin', 'GET', '/api/exchange/subscriptions')).json(), []);
  assert.equal((await inSession('org-b/admin', 'GET', `/api/cases/${caseId}`)).statusCode, 404);
});

/**
 * Routes that change something and stay open to an API token, each with the reason a leaked token
 * may do it: it changes content the token's role may change anyway, it revokes or narrows, or it
 * is what a script is for. Everything else that changes something is marked sessionOnly where the
 * route is registered (the decision per route is in the README, under Security).
 */
const TOKEN_MAY: Record<string, string> = {
  'POST /api/login': 'a password opens the session, not the token',
  'POST /api/login/code': "a console's one-time code opens the session, not the token",
  'POST /api/logout': 'ends a session',
  'DELETE /api/tokens/:id': 'revokes a token (a leaked one, itself)',
  'DELETE /api/alerts/feed': 'revokes the feed address',
  'DELETE /api/webhooks/:id': 'removes a webhook',
  'PUT /api/alerts/mail': "alert mails go only to the user's own address, which this does not change",
  'POST /unsubscribe/:token': 'public, its token only turns mail off',
  'POST /api/watchlist': 'what alerts are about; they go only where the organisation already sends them',
  'DELETE /api/watchlist/:id': 'stops watching',
  'PUT /api/alerts/:id/read': "the caller's own read mark",
  'DELETE /api/alerts/:id/read': "the caller's own read mark",
  'POST /api/assess': 'assesses without storing',
  'POST /api/cases': 'case content, audited',
  'PUT /api/cases/:id': 'case content, audited',
  'POST /api/cases/:id/assess': 'a verdict, audited',
  'POST /api/assessments/:id/decision': "a sign-off, audited: the officer's decision, no access for anyone",
  'DELETE /api/cases/:id/share/:organisation': 'takes a share back',
  'POST /api/cases/:id/notes': 'case content, audited',
  'POST /api/screen/batch': 'reads',
  'POST /api/uploads': "evidence for the caller's organisation only, audited",
  'POST /api/match/corrections': 'content, audited',
  'POST /api/match/corrections/:id/withdraw': 'content (the correction stays, marked withdrawn), audited',
  'POST /api/match/apply': "recomputes the organisation's view",
  'POST /api/match/received/:uuid/accept': 'content from a feed already trusted, audited',
  'POST /api/match/received/:uuid/reject': 'content, audited',
  'POST /api/kb/entries': 'content, audited',
  'PUT /api/kb/entries/:id': 'content, audited',
  'POST /api/kb/entries/:id/review': 'content, audited',
  'POST /api/exchange/notes': 'content, audited',
  'POST /api/exchange/namesakes': 'content, audited',
  'PUT /api/exchange/sharing/:kind/:id': "one item's marking (what the token can read anyway), named to nobody, audited",
  'DELETE /api/exchange/sharing/:kind/:id': 'narrows',
  'POST /api/exchange/import': 'content for review (received corrections, accepted one by one), audited',
  'POST /api/exchange/publish': 'writes the feed from what is already marked shared',
  'PUT /api/exchange/subscriptions/:id/schedule': 'when an already trusted feed is pulled',
  'POST /api/exchange/subscriptions/:id/pull': 'pulls an already trusted feed',
};

test('every route that changes something is decided: session-only where it is registered, or open to API tokens here with the reason; each session-only route refuses a token', async () => {
  const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;
  const changing = routes.filter((r) => r.method !== 'GET');
  assert.deepEqual(changing.filter((r) => !r.sessionOnly && !(key(r) in TOKEN_MAY)).map(key), [], 'a new route that changes something: mark it config.sessionOnly where it is registered, or add it to TOKEN_MAY with the reason a leaked token may do it');
  assert.deepEqual(changing.filter((r) => r.sessionOnly && key(r) in TOKEN_MAY).map(key), [], 'session-only and open to tokens at once');
  assert.deepEqual(
    Object.keys(TOKEN_MAY).filter((k) => !changing.some((r) => key(r) === k)),
    [],
    'every route open to tokens here exists',
  );
  const sessionOnly = changing.filter((r) => r.sessionOnly);
  assert.ok(sessionOnly.length >= 9, `session-only routes seen: ${sessionOnly.length}`);
  for (const r of sessionOnly) {
    const url = r.url.replace(/:\w+/g, '00000000-0000-4000-8000-000000000000');
    const refused = await inject('org-a/admin', r.method, url, r.method === 'DELETE' ? undefined : {});
    assert.equal(refused.statusCode, 403, `${key(r)}: ${refused.body}`);
    assert.equal(refused.json().message, `an API token cannot ${r.sessionOnly}: log in to the web app (a browser session) and do it there, or send this request with that session's cookie and X-CSRF-Token`);
  }
});

/**
 * The /api routes any logged-in user may call, each with why no `config.requires` guards it (what
 * it shows or changes is the caller's own, or its organisation's that every role may read; the
 * service checks the rest). Data, so that a new route without `requires` fails the test below
 * until it is classified here or guarded.
 */
const ANY_USER: Record<string, string> = JSON.parse(readFileSync(new URL('any-user-routes.json', import.meta.url), 'utf8')) as Record<string, string>;

test('every /api route is public by declaration (PUBLIC_ROUTES), guarded by config.requires, or a documented any-user route', () => {
  const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;
  const api = routes.filter((r) => r.url.startsWith('/api/') || r.url === '/api');
  assert.ok(api.length >= 40, `/api routes seen: ${api.length}`);
  assert.deepEqual(api.filter((r) => !PUBLIC_ROUTES.has(key(r)) && !r.requires && !(key(r) in ANY_USER)).map(key), [], 'a new /api route: guard it with config.requires where it is registered, or add it to test/service/any-user-routes.json with the reason any user may call it');
  assert.deepEqual(
    Object.keys(ANY_USER).filter((k) => !api.some((r) => key(r) === k && !r.requires)),
    [],
    'every route listed as any-user exists and is not guarded',
  );
});

// Found in round 32: POST /api/users answered a non-admin's bad body with 400, telling them how the
// route validates before telling them they may not use it.

const NOT_A_UUID = 'not-a-uuid';
/**
 * Every admin-only route, with a request that fails its validation (body, parameters or query),
 * and what an admin is answered for it: 400 shows the request is invalid, 200 that the route has
 * nothing to validate. Whoever is not an admin is told 403 all the same.
 */
const ADMIN_ONLY: Record<string, { url: string; payload?: unknown; admin: number }> = {
  'GET /api/users': { url: '/api/users', admin: 200 },
  'POST /api/users': { url: '/api/users', payload: { email: 'x', role: 'emperor' }, admin: 400 },
  'PATCH /api/users/:id': { url: `/api/users/${NOT_A_UUID}`, payload: { role: 'emperor' }, admin: 400 },
  'DELETE /api/users/:id': { url: `/api/users/${NOT_A_UUID}`, admin: 400 },
  'GET /api/audit/verify': { url: '/api/audit/verify', admin: 200 },
  'PUT /api/exchange/recipients/:kind/:id': { url: '/api/exchange/recipients/verdict/1', payload: { recipients: 'everyone' }, admin: 400 },
  'POST /api/exchange/import': { url: '/api/exchange/import?format=docx', payload: {}, admin: 400 },
  'POST /api/exchange/publish': { url: '/api/exchange/publish', payload: { k: 1, tlp: 'red' }, admin: 400 },
  'GET /api/exchange/ftm': { url: '/api/exchange/ftm?list=x&unknown=1', admin: 400 },
  'GET /api/exchange/ftm/partners': { url: '/api/exchange/ftm/partners', admin: 200 },
  'GET /api/exchange/subscriptions': { url: '/api/exchange/subscriptions', admin: 200 },
  'POST /api/exchange/subscriptions': { url: '/api/exchange/subscriptions', payload: { url: 'ftp://x' }, admin: 400 },
  'PUT /api/exchange/subscriptions/:id/schedule': { url: `/api/exchange/subscriptions/${NOT_A_UUID}/schedule`, payload: { every: 'often' }, admin: 400 },
  'POST /api/exchange/subscriptions/:id/pull': { url: `/api/exchange/subscriptions/${NOT_A_UUID}/pull`, admin: 400 },
};

test('an admin-only route refuses anyone else with 403 before it validates what they sent: the same answer whatever the body, parameters or query', async () => {
  const key = (r: { method: string; url: string }) => `${r.method} ${r.url}`;
  const officer: Actor = { ...actors['org-a/officer']!, role: 'officer' };
  // Checked where the route is registered (config.requires), so a route is in this table when its action is an admin's alone.
  assert.deepEqual(
    routes
      .filter((r) => r.requires && !can(officer, r.requires))
      .map(key)
      .sort(),
    Object.keys(ADMIN_ONLY).sort(),
    'an admin-only route declares config.requires, and is listed here',
  );
  for (const [route, { url, payload, admin }] of Object.entries(ADMIN_ONLY)) {
    const method = route.split(' ')[0]!;
    for (const role of ['viewer', 'analyst', 'officer']) {
      const refused = await inSession(`org-b/${role}`, method, url, payload);
      assert.equal(refused.statusCode, 403, `${route} as ${role}: ${refused.body}`);
    }
    const answered = await inSession('org-b/admin', method, url, payload);
    assert.equal(answered.statusCode, admin, `${route} as admin: ${answered.body}`);
  }
});

test('an organisation keeps an active admin: the last one can be neither disabled, demoted nor deleted', async () => {
  const admin = actors['org-c/admin']!;
  await assert.rejects(service.accounts.setDisabled(admin, admin.userId, true), /last active admin/);
  await assert.rejects(service.accounts.setRole(admin, admin.userId, 'officer'), /last active admin/);
  const r = await inSession('org-c/admin', 'DELETE', `/api/users/${admin.userId}`);
  assert.equal(r.statusCode, 409);
});

test("a shared case gives another organisation's reader no stable id of its authors: the case, each verdict, its sign-off and the stored verdict name 'a user of another organisation'", async () => {
  const created = (await inject('org-a/analyst', 'POST', '/api/cases', { ...CASE, title: 'Shared with B' })).json().id as string;
  const verdict = await inject('org-a/analyst', 'POST', `/api/cases/${created}/assess`, { as_of: '2026-11-22' });
  assert.equal(verdict.statusCode, 201, verdict.body);
  assert.equal((await inject('org-a/officer', 'POST', `/api/assessments/${verdict.json().id}/decision`, { decision: 'approved' })).statusCode, 201);
  assert.equal((await inSession('org-a/officer', 'POST', `/api/cases/${created}/share`, { organisation: 'org-b' })).statusCode, 200);
  const own = (await inject('org-a/viewer', 'GET', `/api/cases/${created}`)).json();
  assert.equal(own.createdBy, actors['org-a/analyst']!.userId, 'the owner sees its own users');
  const seen = (await inject('org-b/viewer', 'GET', `/api/cases/${created}`)).json();
  assert.deepEqual([seen.createdBy, seen.createdByName], [null, 'a user of another organisation']);
  assert.deepEqual(
    seen.assessments.map((a: { createdBy: string | null; createdByName: string; decision: { decidedBy: string | null; decidedByName: string } }) => [a.createdBy, a.createdByName, a.decision.decidedBy, a.decision.decidedByName]),
    [[null, 'a user of another organisation', null, 'a user of another organisation']],
  );
  const answers = [seen, (await inject('org-b/viewer', 'GET', `/api/assessments/${verdict.json().id}`)).json(), (await inject('org-b/viewer', 'GET', `/api/assessments/${verdict.json().id}/decision`)).json()];
  const ids = (await service.db.query<{ id: string }>("SELECT id FROM users WHERE org_id = 'org-a'")).map((u) => u.id);
  for (const id of ids) assert.ok(!JSON.stringify(answers).includes(id), `org-a's user ${id} is not told to org-b`);
});

test('un-sharing a case takes effect at once; a recipient sees only itself in sharedWith', async () => {
  const created = (await inject('org-a/analyst', 'POST', '/api/cases', { ...CASE, title: 'Shared twice' })).json().id as string;
  for (const org of ['org-b', 'org-c']) assert.equal((await inSession('org-a/officer', 'POST', `/api/cases/${created}/share`, { organisation: org })).statusCode, 200);
  assert.deepEqual((await inject('org-a/viewer', 'GET', `/api/cases/${created}`)).json().sharedWith, ['org-b', 'org-c'], 'the owner sees every share');
  assert.deepEqual((await inject('org-b/viewer', 'GET', `/api/cases/${created}`)).json().sharedWith, ['org-b'], 'a recipient learns no other organisation');
  assert.equal((await inject('org-a/analyst', 'DELETE', `/api/cases/${created}/share/org-b`)).statusCode, 403, 'un-sharing is an officer’s');
  assert.equal((await inject('org-b/admin', 'DELETE', `/api/cases/${created}/share/org-b`)).statusCode, 404, 'a recipient cannot change the shares');
  assert.equal((await inject('org-a/officer', 'DELETE', `/api/cases/${created}/share/org-b`)).statusCode, 200);
  assert.equal((await inject('org-b/viewer', 'GET', `/api/cases/${created}`)).statusCode, 404);
  assert.equal((await inject('org-c/viewer', 'GET', `/api/cases/${created}`)).statusCode, 200);
  assert.equal((await inject('org-a/officer', 'DELETE', `/api/cases/${created}/share/org-b`)).statusCode, 404, 'not shared any more');
  assert.ok((await service.db.query("SELECT 1 FROM audit WHERE action = 'case.unshare' AND target = $1", [created])).length === 1);
  assert.deepEqual((await verifyAudit(service.db)).problems, []);
});

test('a tenant admin sees their own organisation only: users, audit count, verification; e-mail addresses of other tenants are not told', async () => {
  const users = (await inject('org-b/admin', 'GET', '/api/users')).json() as { email: string }[];
  assert.ok(users.length > 0 && users.every((u) => u.email.endsWith('@org-b.example')));
  const taken = await inSession('org-b/admin', 'POST', '/api/users', { email: 'viewer@org-a.example', name: 'X', role: 'viewer', password: PASSWORD });
  assert.equal(taken.statusCode, 400);
  assert.doesNotMatch(taken.json().message, /exists|organisation/);
  const verify = (await inject('org-b/admin', 'GET', '/api/audit/verify')).json();
  const own = (await service.db.query<{ n: number }>("SELECT count(*) AS n FROM audit WHERE org_id = 'org-b'"))[0]!.n;
  const all = (await verifyAudit(service.db)).entries;
  assert.equal(verify.entries, Number(own));
  assert.ok(verify.entries < all, 'not the installation-wide count');
  assert.equal(verify.head, undefined);
  assert.deepEqual(verify.problems, []);
  // A row of org-a changed behind derisk's back: org-b's admin is told only that the trail has problems elsewhere.
  await service.db.query("UPDATE cases SET title = 'retitled behind the trail' WHERE id = (SELECT id FROM cases WHERE org_id = 'org-a' LIMIT 1)");
  const b = (await inject('org-b/admin', 'GET', '/api/audit/verify')).json();
  assert.equal(b.problems.length, 1);
  assert.doesNotMatch(JSON.stringify(b.problems), /cases\//);
  const a = (await inject('org-a/admin', 'GET', '/api/audit/verify')).json();
  assert.ok(a.problems.some((p: { problem: string }) => /cases\/.* was changed outside derisk/.test(p.problem)));
});

test('login codes: minted only at the console, good once, and sessions opened with one end with their origin', async () => {
  await assert.rejects(service.accounts.mintLoginCode(actors['org-a/admin']!, actors['org-a/admin']!.userId, 'x'), ForbiddenError);
  const code = await service.accounts.mintLoginCode(OPERATOR, actors['org-a/viewer']!.userId, 'run:test-origin');
  const r = await service.app.inject({ method: 'POST', url: '/api/login/code', payload: { code } });
  assert.equal(r.statusCode, 200);
  const cookie = String(r.headers['set-cookie']).split(';')[0]!;
  assert.equal((await service.app.inject({ url: '/api/cases', headers: { cookie } })).statusCode, 200);
  const expired = await service.accounts.mintLoginCode(OPERATOR, actors['org-a/viewer']!.userId, 'run:test-origin');
  await service.accounts.endOrigin('run:test-origin');
  assert.equal((await service.app.inject({ url: '/api/cases', headers: { cookie } })).statusCode, 401, 'the session ended with its origin');
  assert.equal((await service.app.inject({ method: 'POST', url: '/api/login/code', payload: { code: expired } })).statusCode, 401, 'and so did its unused codes');
});
