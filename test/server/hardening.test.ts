import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import type { AppDb } from '../../src/appdb/db.ts';
import { hasChromium, launchChromium } from '../../src/chromium.ts';
import { render } from '../../src/cli/output.ts';
import { safeCsvField } from '../../src/ingest/csv.ts';
import { screeningContext } from '../../src/screening/store.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { NotFoundError } from '../../src/service/authorize.ts';
import { CaseService } from '../../src/service/cases.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { AFF, listedLandscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';

// The smaller holes: numbers that are not numbers, HEAD, percent-encoded paths past a role
// check, a report whose own policy was overridden, cookies behind a TLS proxy, formulas in CSV,
// verdict ids that tell another tenant's case from a missing one.
const SHOTS = 'test-output';
const FORMULA = "=cmd|' /C calc'!A0";
/** A title that a right-to-left override shows as "Joint lab pdf.exe" (U+202E turns what follows around). */
const BIDI = 'Joint lab \u202Eexe.fdp';
/** Bidirectional controls, invisible and control characters, as none may stand raw in a CSV. */
const HIDDEN_RAW = /(?![\t\n\r])[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u;
const PASSWORD = 'correct horse battery staple';
const CASE = { title: 'Joint lab with Tsinghua', partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }], technology: { fields: ['eu-artificial-intelligence'] } };
let store: Store;
let service: TestService;
let auth: { authorization: string };

before(async () => {
  store = await listedLandscapeStore(tempDir(), 'high', [
    { id: 'https://openalex.org/W77', doi: '10.5555/formula', title: FORMULA, publication_year: 2022, authorships: [{ author_position: 'first', raw_affiliation_strings: [AFF.oxford] }, { raw_affiliation_strings: [AFF.thu] }] },
    { id: 'https://openalex.org/W78', doi: '10.5555/bidi', title: BIDI, publication_year: 2022, authorships: [{ author_position: 'first', raw_affiliation_strings: [AFF.oxford] }, { raw_affiliation_strings: [AFF.thu] }] },
  ]);
  service = await testService(store);
  auth = { authorization: `Bearer ${service.token}` };
});
after(async () => {
  await service.close();
  store.close();
});

test('a number in a query is written in digits: 1e309, hexadecimal or padded numbers are a 400, never Infinity in SQL', async () => {
  for (const url of [
    '/api/indicators/copubs?regions=EU27AC,CN&from=1e309',
    '/api/indicators/copubs?regions=EU27AC,CN&to=-1e309',
    '/api/indicators/copubs?regions=EU27AC,CN&from=0x7E6',
    '/api/indicators/copubs?regions=EU27AC,CN&from=%202021',
    '/api/audit?limit=1e309',
    '/api/indicators/copubs?regions=EU27AC,CN&limit=1e3',
  ]) {
    const r = await service.app.inject({ url, headers: auth });
    assert.equal(r.statusCode, 400, `${url}: ${r.body}`);
    assert.match(r.json().message, /written in digits/);
  }
  assert.equal((await service.app.inject({ url: '/api/indicators/copubs?regions=EU27AC,CN&from=2021&to=2022', headers: auth })).statusCode, 200);
});

test('HEAD /health is public like GET /health; HEAD of a private route still needs a login', async () => {
  assert.equal((await service.app.inject({ method: 'HEAD', url: '/health' })).statusCode, 200);
  assert.equal((await service.app.inject({ method: 'HEAD', url: '/api/fields' })).statusCode, 401);
});

test('the role is checked in the core on the action: a percent-encoded or otherwise respelt path does not get past it', async () => {
  // A user whose role grants nothing (as a role renamed in the permissions file would).
  await service.accounts.createOrganisation(OPERATOR, 'org-x', 'X');
  const id = await service.accounts.createUser(OPERATOR, { orgId: 'org-x', email: 'nobody@org-x.example', name: 'Nobody', role: 'viewer', password: PASSWORD });
  const { token } = await service.accounts.createToken({ userId: id, orgId: 'org-x', role: 'viewer', name: 'Nobody' }, 'probe');
  await service.db.query("UPDATE users SET role = 'retired' WHERE id = $1", [id]);
  const paths = [
    '/api/indicators/copubs?regions=EU27AC,CN',
    '/api/%69ndicators/copubs?regions=EU27AC,CN',
    '/api/indicators/%63opubs?regions=EU27AC,CN',
    '/api/institutions/052gg0110',
    '/api/%69nstitutions/052gg0110',
    '/api/facts',
    '/api/f%61cts',
    '/api/screen?q=Tsinghua',
    '/api/scr%65en?q=Tsinghua',
    '/api/brief?q=Tsinghua',
    '/api/%62rief?q=Tsinghua',
    '/api/portfolio?ror=052gg0110',
    '/api/p%6Frtfolio?ror=052gg0110',
  ];
  for (const url of paths) {
    const r = await service.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
    assert.equal(r.statusCode, 403, `${url} answered ${r.statusCode}`);
  }
  // The same spellings reach the routes for a role that may.
  assert.equal((await service.app.inject({ url: '/api/%69ndicators/copubs?regions=EU27AC,CN', headers: auth })).statusCode, 200);
});

test("the HTML report keeps its own policy, so its inline styles apply: the verdict's colour renders in Chromium", { skip: !hasChromium() && 'Debian chromium is not installed' }, async () => {
  const created = await service.app.inject({ method: 'POST', url: '/api/cases', headers: auth, payload: CASE });
  const verdict = (await service.app.inject({ method: 'POST', url: `/api/cases/${created.json().id}/assess`, headers: auth, payload: {} })).json();
  const r = await service.app.inject({ url: `/api/assessments/${verdict.id}/report`, headers: auth });
  assert.equal(r.headers['content-security-policy'], "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'");
  const base = await service.app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const blocked: string[] = [];
    page.on('console', (m) => /Content Security Policy/.test(m.text()) && blocked.push(m.text()));
    await page.goto(`${base}/#code=${await service.loginCode()}`);
    await page.waitForSelector('body[data-ready=true]');
    await page.goto(`${base}/api/assessments/${verdict.id}/report`);
    const colour = await page.$eval('.verdict .badge', (b) => getComputedStyle(b).backgroundColor);
    assert.notEqual(colour, 'rgba(0, 0, 0, 0)', 'the badge has its colour');
    assert.deepEqual(blocked, [], 'no style was blocked');
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: `${SHOTS}/report-csp.png` });
  } finally {
    await browser.close();
  }
});

test('behind a trusted TLS proxy the cookies are Secure and the client address comes from X-Forwarded-For; an untrusted peer is not believed', async () => {
  const proxied = await testService(store, { trustProxy: '127.0.0.1' });
  try {
    await proxied.accounts.createOrganisation(OPERATOR, 'org-p', 'P');
    await proxied.accounts.createUser(OPERATOR, { orgId: 'org-p', email: 'user@org-p.example', name: 'User', role: 'viewer', password: PASSWORD });
    const login = (remoteAddress: string, headers: Record<string, string>) => proxied.app.inject({ method: 'POST', url: '/api/login', remoteAddress, headers, payload: { email: 'user@org-p.example', password: PASSWORD } });
    const viaProxy = await login('127.0.0.1', { 'x-forwarded-proto': 'https', 'x-forwarded-for': '192.0.2.44' });
    assert.equal(viaProxy.statusCode, 200);
    for (const c of [viaProxy.headers['set-cookie']].flat()) assert.match(String(c), /; Secure$/);
    const addresses = (await proxied.db.query<{ key: string }>("SELECT key FROM login_throttle WHERE key LIKE 'address:%'")).map((r) => r.key);
    assert.deepEqual(addresses, ['address:192.0.2.44'], 'throttled by the client behind the proxy');
    const spoofed = await login('198.51.100.9', { 'x-forwarded-proto': 'https', 'x-forwarded-for': '192.0.2.45' });
    assert.equal(spoofed.statusCode, 200);
    for (const c of [spoofed.headers['set-cookie']].flat()) assert.doesNotMatch(String(c), /Secure/);
    assert.ok((await proxied.db.query("SELECT 1 FROM login_throttle WHERE key = 'address:198.51.100.9'")).length === 1, 'an untrusted peer is its own address');
  } finally {
    await proxied.close();
  }
});

test('CSV never carries a live formula: portfolio CSV over HTTP, the CLI tables, any field', async () => {
  assert.equal(safeCsvField(FORMULA), `"'=cmd|' /C calc'!A0"`.replace(/^"|"$/g, ''));
  for (const hostile of ['=1+1', '+1+1', '-2+3', '@SUM(A1)', '\t=1', '\r=1', '=HYPERLINK("http://x","y")']) assert.ok(safeCsvField(hostile).replace(/^"/, '').startsWith("'"), hostile);
  for (const harmless of [-12, 3.5, '-12', '+44', 'Beijing', '']) assert.doesNotMatch(safeCsvField(harmless), /^'/, String(harmless));
  assert.match(render([{ name: '=cmd|x', n: -1 }], 'csv'), /^name,n\n'=cmd\|x,-1$/);
  const csv = (await service.app.inject({ url: '/api/portfolio?ror=052gg0110&format=csv', headers: auth })).body;
  assert.ok(csv.includes(`'=cmd|`), csv);
  for (const line of csv.split('\n')) for (const cell of line.split(',')) assert.doesNotMatch(cell.replace(/^"/, ''), /^[=+@]/, line);
});

// Found in round 32: a right-to-left override and other bidirectional or invisible characters
// reached the CSV raw, where a spreadsheet shows "Joint lab pdf.exe" for what reads otherwise.
test('CSV shows bidirectional, invisible and control characters as visible markers, by one rule for every CSV: the portfolio and batch screening over HTTP, the CLI tables, the web app', async () => {
  assert.equal(safeCsvField(BIDI), 'Joint lab ⟨U+202E⟩exe.fdp');
  // The second line: what an outside red team still found raw in round 32 (soft hyphen, a tag character that smuggles ASCII, interlinear annotation, line separator, variation selectors, fillers drawn as nothing).
  for (const c of [
    ...['\u200E', '\u200F', '\u202A', '\u202B', '\u202C', '\u202D', '\u2066', '\u2067', '\u2068', '\u2069', '\u061C', '\u200B', '\u200D', '\u2060', '\uFEFF', '\u0007', '\u009B'],
    ...['\u00AD', '\u{E0041}', '\uFFF9', '\u2028', '\u2029', '\u034F', '\u180B', '\u17B4', '\uFE0F', '\u{E0100}', '\u115F', '\u3164'],
  ]) {
    assert.equal(safeCsvField(`a${c}b`), `a⟨U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}⟩b`, JSON.stringify(c));
  }
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), (a, b) => {
      assert.doesNotMatch(safeCsvField(a + b), HIDDEN_RAW);
    }),
  );
  assert.equal(safeCsvField('Tsinghua University, 北京'), '"Tsinghua University, 北京"', 'other text as it is');
  assert.ok(safeCsvField('\t=1').startsWith("'"), 'a tab stays a formula character, neutralised as such');
  assert.equal(render([{ name: BIDI, n: 1 }], 'csv'), 'name,n\nJoint lab ⟨U+202E⟩exe.fdp,1');

  const portfolio = await service.app.inject({ url: '/api/portfolio?ror=052gg0110&format=csv', headers: auth });
  assert.equal(portfolio.statusCode, 200, portfolio.body);
  assert.ok(portfolio.body.includes('Joint lab ⟨U+202E⟩exe.fdp'), portfolio.body);
  assert.doesNotMatch(portfolio.body, HIDDEN_RAW);
  const batch = await service.app.inject({ method: 'POST', url: '/api/screen/batch?format=csv', headers: auth, payload: { text: `${BIDI}\nTsinghua\u200b University\n=\u2066cmd` } });
  assert.equal(batch.statusCode, 200, batch.body);
  // The names are read without their invisible characters (src/screening/batch.ts): nothing hidden reaches the CSV.
  assert.doesNotMatch(batch.body, HIDDEN_RAW);
  assert.match(batch.body, /^Joint lab exe\.fdp,/m);

  // The web app's tables write their CSV with the very file the server's CSV follows.
  const served = await service.app.inject({ url: '/csv-cell.js' });
  assert.equal(served.statusCode, 200, "public, as the page's other scripts");
  assert.equal(served.body, readFileSync(new URL('../../src/csv-cell.js', import.meta.url), 'utf8'));
  assert.match(readFileSync(new URL('../../src/web/app.js', import.meta.url), 'utf8'), /import \{ csvCell \} from '\.\/csv-cell\.js';/);
});

test('a verdict id of another organisation answers exactly as a missing one: the same message, the same work (no oracle, no timing)', async () => {
  await service.accounts.createOrganisation(OPERATOR, 'org-y', 'Y');
  await service.accounts.createOrganisation(OPERATOR, 'org-z', 'Z');
  const owner = { userId: 'u-y', orgId: 'org-y', role: 'analyst' as const, name: 'Y' };
  const other = { userId: 'u-z', orgId: 'org-z', role: 'admin' as const, name: 'Z' };
  let queries = 0;
  const counting = new Proxy(service.db, { get: (t, p) => (p === 'query' ? (sql: string, params?: never[]) => (queries++, t.query(sql, params)) : Reflect.get(t, p, t)) }) as AppDb;
  const { Assessor } = await import('../../src/assessment/assessor.ts');
  const { loadBundle } = await import('../../src/assessment/bundle.ts');
  const cases = new CaseService(counting, new Assessor({ store, screening: await screeningContext(store), bundle: loadBundle() }));
  const { id } = await cases.create(owner, CASE);
  const verdict = await cases.assess(owner, id, '2026-11-22');
  const missing = '00000000-0000-4000-8000-000000000000';
  const attempt = async (assessment: string) => {
    queries = 0;
    const e = await cases.assessment(other, assessment).then(
      () => null,
      (err: Error) => err,
    );
    return { e, queries };
  };
  const foreign = await attempt(verdict.id);
  const none = await attempt(missing);
  assert.ok(foreign.e instanceof NotFoundError && none.e instanceof NotFoundError);
  assert.equal(foreign.e.message.replace(verdict.id, 'ID'), none.e!.message.replace(missing, 'ID'));
  assert.doesNotMatch(foreign.e.message, new RegExp(id), 'the case id is not told');
  assert.equal(foreign.queries, none.queries, 'the same database work either way');
  const foreignCase = await cases.get(other, id).then(
    () => null,
    (err: Error) => err,
  );
  assert.ok(foreignCase instanceof NotFoundError);
});
