import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { copublications } from '../../src/indicators/copubs.ts';
import { loadRegions } from '../../src/regions/regions.ts';
import { PUBLIC_ROUTES } from '../../src/server/auth.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';

let TOKEN: string;
let auth: { authorization: string };
let store: Store;
let app: FastifyInstance;
let service: TestService;
const routes: [string, string][] = [];

before(async () => {
  store = await landscapeStore(tempDir());
  service = await testService(store, { onRoute: (m, u) => routes.push([m, u]), compileSchemasAtStart: true });
  app = service.app;
  TOKEN = service.token;
  auth = { authorization: `Bearer ${TOKEN}` };
  await app.ready();
});
after(async () => {
  await service.close();
  store.close();
});

test('a listing of works says how many there are and whether it was cut at its limit', async () => {
  const cut = (await app.inject({ url: '/api/indicators/works?regions=EU27AC,CN&limit=2', headers: auth })).json();
  assert.equal(cut.rows.length, 2);
  assert.equal(cut.total, 5);
  assert.equal(cut.truncated, true);
  const whole = (await app.inject({ url: '/api/indicators/works?regions=EU27AC,CN', headers: auth })).json();
  assert.deepEqual([whole.rows.length, whole.total, whole.truncated], [5, 5, false]);
  // Other indicators keep their shape.
  assert.equal('total' in (await app.inject({ url: '/api/indicators/copubs?regions=EU27AC,CN', headers: auth })).json(), false);
});

test('every route needs a session or a token unless it is on the public list', async () => {
  assert.ok(routes.length >= 25, `routes seen: ${routes.length}`);
  for (const [method, url] of routes) {
    const concrete = url.replace(':name', 'copubs').replace(':rorId', '052gg0110').replace(':id', '00000000-0000-4000-8000-000000000000');
    const response = await app.inject({ method: method as 'GET', url: concrete, payload: method === 'GET' || method === 'DELETE' ? undefined : {} });
    if (PUBLIC_ROUTES.has(`${method} ${url}`)) assert.notEqual(response.statusCode, 401, url);
    else assert.equal(response.statusCode, 401, `${method} ${url} answered ${response.statusCode} without credentials`);
  }
  assert.deepEqual(
    [...PUBLIC_ROUTES].filter((r) => !routes.some(([m, u]) => `${m} ${u}` === r)),
    [],
    'every public route exists',
  );
  assert.equal((await app.inject({ url: '/api/fields', headers: { authorization: 'Bearer wrong' } })).statusCode, 401);
});

test("the console's one-time login code opens an httpOnly, SameSite session once; an API token in the address logs nobody in; security headers on every answer", async () => {
  const code = await service.loginCode();
  const r = await app.inject({ method: 'POST', url: '/api/login/code', payload: { code } });
  assert.equal(r.statusCode, 200);
  assert.match(String(r.headers['set-cookie']), /derisk_session=.*HttpOnly; SameSite=Strict/);
  assert.doesNotMatch(String(r.headers['set-cookie']), /Secure/, 'plain HTTP: no Secure flag (the browser would drop the cookie)');
  const cookie = String(r.headers['set-cookie']).split(';')[0]!;
  assert.equal((await app.inject({ url: '/api/fields', headers: { cookie } })).statusCode, 200);
  assert.equal((await app.inject({ method: 'POST', url: '/api/login/code', payload: { code } })).statusCode, 401, 'a code works once');
  assert.equal((await app.inject({ method: 'POST', url: '/api/login/code', payload: { code: TOKEN } })).statusCode, 401, 'an API token is not a login code');
  const planted = await app.inject({ url: `/?token=${TOKEN}` });
  assert.equal(planted.headers['set-cookie'], undefined, 'the old /?token= address sets no session (login CSRF)');
  const page = await app.inject({ url: '/', headers: { cookie } });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal(page.headers['x-frame-options'], 'DENY');
});

test("indicators over HTTP equal the core's answers, with the China scope stated", async () => {
  const r = await app.inject({ url: '/api/indicators/copubs?regions=EU27AC,CN', headers: auth });
  assert.equal(r.statusCode, 200);
  const body = r.json();
  assert.deepEqual(body.rows, await copublications(store, loadRegions(), 'EU27AC', 'CN'));
  assert.match(body.chinaScope, /excludes Hong Kong/);
  const hk = (await app.inject({ url: '/api/indicators/copubs?regions=EU27AC,CN&china_hk=true', headers: auth })).json();
  assert.match(hk.chinaScope, /includes Hong Kong/);
  const profile = (await app.inject({ url: '/api/institutions/052gg0110', headers: auth })).json();
  assert.equal(profile.institution.name, 'University of Oxford');
  assert.deepEqual(profile.copublicationsByYear, [
    { year: 2021, copublications: 1 },
    { year: 2022, copublications: 1 },
  ]);
});

test('the registry suggests institutions as one types: every word, exact and prefix first; a ROR id finds its institution', async () => {
  const suggest = async (q: string) => (await app.inject({ url: `/api/institutions?q=${encodeURIComponent(q)}`, headers: auth })).json() as { rorId: string; name: string; countryCode: string }[];
  assert.deepEqual(
    (await suggest('tsing')).map((s) => [s.rorId, s.name, s.countryCode]),
    [['03cve4549', 'Tsinghua University', 'CN']],
  );
  assert.deepEqual(
    (await suggest('of tech')).map((s) => s.name),
    ['Delft University of Technology', 'Massachusetts Institute of Technology'],
    'every word, the shorter name first',
  );
  assert.deepEqual(
    (await suggest('institute')).map((s) => s.name),
    ['Institute of Automation', 'Massachusetts Institute of Technology'],
    'a name beginning with the text before one containing it',
  );
  assert.deepEqual(
    (await suggest('https://ror.org/052gg0110')).map((s) => s.name),
    ['University of Oxford'],
  );
  assert.deepEqual(await suggest('acme widgets'), []);
});

test('the registry suggests as one types a name pasted with invisible or full-width characters, and a ROR id however written', async () => {
  const suggest = async (q: string) => ((await app.inject({ url: `/api/institutions?q=${encodeURIComponent(q)}`, headers: auth })).json() as { rorId: string }[]).map((s) => s.rorId);
  for (const q of ['Tsing\u00adhua', 'tsinghua\u200b univ', '\ufeffTsinghua University\u200e', 'ｔｓｉｎｇ', 'ror:03cve4549', '<https://www.ror.org/03cve4549/>', '03CVE4549\u200b']) assert.deepEqual(await suggest(q), ['03cve4549'], JSON.stringify(q));
  assert.deepEqual(await suggest('of tech\u2060'), await suggest('of tech'));
});

test('bad input gets a 4xx that says what is wrong, never a 500 or an empty answer', async () => {
  const cases: [string, number, RegExp][] = [
    ['/api/indicators/copubs?regions=EU27AC,MARS', 400, /unknown region "MARS"/],
    ['/api/indicators/copubs?regions=EU27AC,CN&from=2030&to=2020', 400, /after/],
    ['/api/indicators/copubs?regions=EU27AC,CN&from=last', 400, /from/],
    ['/api/indicators/copubs?regions=EU27AC,CN&colour=red', 400, /additional properties/],
    ['/api/indicators/copubs?regions=EU27AC', 400, /two region ids/],
    // A pair counts works with an affiliation in each region: one region twice, or two that share a country, would count a single country's works.
    ['/api/indicators/copubs?regions=EU27AC,EU27AC', 400, /^regions: EU27AC is given twice; a pair is two regions with no country in common/],
    ['/api/indicators/top-institutions?regions=eu27ac,EU27AC', 400, /^regions: EU27AC is given twice/],
    ['/api/indicators/copubs?regions=EU27AC,GB', 400, /^regions: EU27AC and GB share GB: a work with an affiliation there alone would count as co-operation between them/],
    ['/api/indicators/copubs?regions=CN,HK&china_hk=true', 400, /^regions: CN and HK share HK/],
    ['/api/indicators/publications?regions=CN,US,CN', 400, /^regions: CN is given twice; name each region once/],
    ['/api/indicators/copubs?regions=EU27AC,CN&field=astrology', 400, /unknown field "astrology"/],
    ['/api/indicators/magic?regions=EU27AC,CN', 400, /name must be equal to one of the allowed values/],
    ['/api/indicators/works?regions=EU27AC,CN&institution=not-a-ror', 400, /institution/],
    ['/api/institutions/0abcdef12', 404, /no institution/],
    ['/api/indicators/copubs?regions=EU27AC,CN&limit=0', 400, /limit/],
  ];
  for (const [url, status, message] of cases) {
    const r = await app.inject({ url, headers: auth });
    assert.equal(r.statusCode, status, `${url}: ${r.body}`);
    assert.match(r.json().message, message, url);
    assert.doesNotMatch(r.body, /at .*\.ts:\d+/, 'no stack traces');
  }
});

test('a JSON body keeps its types: a mode written as true or 5 is refused, not stored as text; a query string is still read as numbers', async () => {
  for (const mode of [true, 5, null, ['off']]) {
    const r = await app.inject({ method: 'PUT', url: '/api/alerts/mail', headers: auth, payload: { mode } });
    assert.equal(r.statusCode, 400, `${JSON.stringify(mode)}: ${r.body}`);
    assert.match(r.json().message, /mode must be string/);
  }
  const set = await app.inject({ method: 'PUT', url: '/api/alerts/mail', headers: auth, payload: { mode: 'off' } });
  assert.equal(set.statusCode, 204, `a well-typed body passes validation: ${set.body}`);
  const limited = await app.inject({ url: '/api/indicators/copubs?regions=EU27AC,CN&limit=1', headers: auth });
  assert.equal(limited.statusCode, 200, limited.body);
});

test('the OpenAPI document describes the indicator route and its parameters', async () => {
  const doc = (await app.inject({ url: '/api/openapi.json', headers: auth })).json();
  const route = doc.paths['/api/indicators/{name}'].get;
  const names = route.parameters.map((p: { name: string }) => p.name);
  for (const p of ['name', 'regions', 'from', 'to', 'field', 'rollup', 'china_hk']) assert.ok(names.includes(p), p);
});
