import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { INDICATORS } from '../../src/indicators/catalog.ts';
import { ingestRegistry } from '../../src/ingest/registry.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists } from '../../src/screening/store.ts';
import { verifyAudit } from '../../src/service/audit.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { rorRecord } from '../helpers/landscape.ts';
import { addMembers, testService, type TestService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

// Two organisations over one server: a correction one of them records over HTTP changes what
// GET /api/match/resolve answers it, and nothing the other is answered.
const TSINGHUA = '03cve4549';
const REGISTRY = [rorRecord(TSINGHUA, 'Tsinghua University', 'CN', 'Beijing'), rorRecord('052gg0110', 'University of Oxford', 'GB', 'Oxford')];
const RAW = 'Institute for Interdisciplinary Information Sciences, THU, Beijing';

let store: Store;
let service: TestService;
let tokens: Record<string, string>;

before(async () => {
  const home = tempDir();
  store = await Store.open(join(home, 'derisk.duckdb'));
  await ingestRegistry(store, writeTemp('ror.jsonl', REGISTRY.map((r) => JSON.stringify(r)).join('\n')));
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Harbin Institute of Technology', level: 'high' }]))]);
  service = await testService(store, { home });
  ({ tokens } = await addMembers(service.accounts, ['org-a', 'org-b'], ['viewer', 'analyst'] as const));
});

after(async () => {
  await service.close();
  store.close();
});

const inject = (who: string, method: 'GET' | 'POST', url: string, payload?: object) => service.app.inject({ method, url, headers: { authorization: `Bearer ${tokens[who]}` }, payload });
const resolved = async (who: string) => {
  const r = await inject(who, 'GET', `/api/match/resolve?q=${encodeURIComponent(RAW)}`);
  assert.equal(r.statusCode, 200, r.body);
  return r.json() as { institutions: { rorId: string; evidence: string }[]; countryCode: string | null };
};

test("a correction recorded over HTTP decides that organisation's resolution and no other's", async () => {
  assert.deepEqual(
    (await resolved('org-a/analyst')).institutions.map((m) => m.rorId),
    [],
    'THU alone is not matched before the correction',
  );
  const made = await inject('org-a/analyst', 'POST', '/api/match/corrections', { string: RAW, verdict: 'is', ror: `https://ror.org/${TSINGHUA}`, reason: 'THU is Tsinghua; IIIS is its institute' });
  assert.equal(made.statusCode, 201, made.body);
  const a = await resolved('org-a/viewer');
  assert.deepEqual(
    a.institutions.map((m) => m.rorId),
    [TSINGHUA],
  );
  assert.match(a.institutions[0]!.evidence, /corrected by .* \(org-a\)/);
  assert.equal(a.countryCode, 'CN');
  assert.deepEqual((await resolved('org-b/analyst')).institutions, [], "org-a's correction does not reach org-b");
  const listB = await inject('org-b/analyst', 'GET', '/api/match/corrections');
  assert.deepEqual(listB.json(), []);
  const listA = await inject('org-a/viewer', 'GET', '/api/match/corrections');
  assert.deepEqual(
    (listA.json() as { rorId: string; verdict: string }[]).map((c) => [c.rorId, c.verdict]),
    [[TSINGHUA, 'is']],
  );
  assert.deepEqual((await verifyAudit(service.db)).problems, []);
});

test('a viewer may not correct; a bad correction is a 400 naming the field; no token, no answer', async () => {
  const viewer = await inject('org-a/viewer', 'POST', '/api/match/corrections', { string: RAW, verdict: 'none', reason: 'x' });
  assert.equal(viewer.statusCode, 403, viewer.body);
  const unknown = await inject('org-a/analyst', 'POST', '/api/match/corrections', { string: RAW, verdict: 'is', ror: '0gxne0000', reason: 'x' });
  assert.equal(unknown.statusCode, 400);
  assert.match(unknown.body, /ror: 0gxne0000 is not in the loaded registry/);
  const badVerdict = await inject('org-a/analyst', 'POST', '/api/match/corrections', { string: RAW, verdict: 'maybe', reason: 'x' });
  assert.equal(badVerdict.statusCode, 400);
  assert.equal((await service.app.inject({ method: 'GET', url: `/api/match/resolve?q=x` })).statusCode, 401);
});

test('before any works are ingested, the routes the web app reads answer 200 with nothing, through a corrected view and without one', async () => {
  // org-a corrected a string in the first test: it reads through its own view of the (empty) evidence.
  for (const who of ['org-a/viewer', 'org-b/viewer']) {
    const ok = async (url: string) => {
      const r = await inject(who, 'GET', url);
      assert.equal(r.statusCode, 200, `${who} ${url}: ${r.body}`);
      return r.json() as Record<string, unknown>;
    };
    assert.equal((await ok('/api/corpus')).works, 0);
    for (const name of INDICATORS) assert.deepEqual((await ok(`/api/indicators/${name}?regions=EU27AC,CN`)).rows, [], `${who} ${name}`);
    assert.deepEqual((await ok(`/api/indicators/works?regions=EU27AC,CN&institution=${TSINGHUA}`)).rows, []);
    assert.deepEqual((await ok('/api/indicators/top-institutions?regions=EU27AC,CN&rollup=true')).rows, []);
    assert.ok(((await ok('/api/facts')) as unknown as { verdict: string }[]).every((f) => f.verdict === 'not enough data'));
    assert.equal(((await ok(`/api/institutions?q=${TSINGHUA}`)) as unknown as unknown[]).length, 1);
    await ok(`/api/institutions/${TSINGHUA}`);
    await ok(`/api/brief?q=${TSINGHUA}`);
    await ok(`/api/portfolio?ror=${TSINGHUA}`);
  }
});
