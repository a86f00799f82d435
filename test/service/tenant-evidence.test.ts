import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { Screener } from '../../src/screening/screener.ts';
import { ROLES } from '../../src/service/authorize.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { HIT, KU_LEUVEN, LEUVEN_AFF, leuvenStore, leuvenWork } from '../helpers/leuven.ts';
import { addMembers, testService, type TestService } from '../helpers/service.ts';

// Two organisations with every role over one store. The shared base holds 22 works of KU Leuven
// in 2021–2025, 2 of them with Tsinghua and Harbin Institute of Technology (on a watchlist).
// Organisation B uploads 8 more KU Leuven × Tsinghua × HIT works: they are B's evidence, and
// nothing A sees may move — A's case with KU Leuven and Tsinghua counts Tsinghua's listed co-publications.
const work = leuvenWork('tenant');

const SHARED_WORKS = [
  ...Array.from({ length: 20 }, (_, i) => work(`W1${String(i).padStart(3, '0')}`, 2021 + (i % 5), [i % 2 ? 'delft' : 'oxford', 'leuven'])),
  work('W2000', 2022, ['leuven', 'thu', 'hit']),
  work('W2001', 2024, ['leuven', 'thu', 'hit']),
  ...Array.from({ length: 6 }, (_, i) => work(`W3${String(i).padStart(3, '0')}`, 2021 + i, ['oxford', 'thu'])),
];
const UPLOADED = Array.from({ length: 8 }, (_, i) => work(`W9${String(i).padStart(3, '0')}`, 2021 + (i % 5), ['leuven', 'thu', 'hit'], `Uploaded joint work ${i}`)).join('\n') + '\n';
const CASE = {
  title: 'Vision research with KU Leuven and Tsinghua',
  partners: [
    { ror: KU_LEUVEN, role: 'partner', country: 'BE' },
    { ror: '03cve4549', role: 'partner', country: 'CN' },
  ],
  research: { type: 'basic', open_publication: 'yes' },
};
const AS_OF = '2026-06-01';

let home: string;
let store: Store;
let service: TestService;
let tokens: Record<string, string>;
let sessions: Record<string, Record<string, string>>;

before(async () => {
  home = tempDir();
  store = await leuvenStore(home, SHARED_WORKS);
  service = await testService(store, { home });
  ({ tokens, sessions } = await addMembers(service.accounts, ['org-a', 'org-b']));
});

after(async () => {
  await service.close();
  store.close();
});

const inject = (who: string, method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) => service.app.inject({ method: method as 'GET', url, headers: { authorization: `Bearer ${tokens[who]}`, ...headers }, payload: payload as object });
/** A member's browser session: sharing an upload takes one (an API token cannot). */
const inSession = (who: string, method: string, url: string, payload?: unknown) => service.app.inject({ method: method as 'GET', url, headers: sessions[who], payload: payload as object });
const upload = (who: string, body: string | Buffer, kind = 'openalex', headers: Record<string, string> = {}) => inject(who, 'POST', `/api/uploads?kind=${kind}`, body, { 'content-type': 'application/octet-stream', ...headers });

/** Everything organisation A reads that the shared base decides. */
async function whatAReads() {
  const urls = [
    '/api/indicators/copubs?regions=EU27AC,CN',
    '/api/indicators/publications',
    '/api/indicators/top-institutions?regions=EU27AC,CN',
    '/api/indicators/top-pairs?regions=EU27AC,CN',
    `/api/indicators/works?regions=EU27AC,CN&institution=${KU_LEUVEN}`,
    `/api/institutions/${KU_LEUVEN}`,
    `/api/institutions/${HIT}`,
    `/api/portfolio?ror=${KU_LEUVEN}`,
    `/api/brief?q=${encodeURIComponent('Harbin Institute of Technology')}`,
  ];
  const out: Record<string, unknown> = {};
  for (const url of urls) {
    const r = await inject('org-a/viewer', 'GET', url);
    assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
    out[url] = r.json();
  }
  return out;
}

async function sharedTables() {
  const out: Record<string, number> = {};
  for (const t of ['input_files', 'records', 'affiliations', 'works', 'work_institutions', 'listed_affiliations', 'institution_listed_copubs']) {
    out[t] = Number((await store.one<{ n: number }>(`SELECT count(*)::DOUBLE AS n FROM ${t}`))!.n);
  }
  return out;
}

async function assessAsA(caseId: string) {
  const r = await inject('org-a/analyst', 'POST', `/api/cases/${caseId}/assess`, { as_of: AS_OF });
  assert.equal(r.statusCode, 201, r.body);
  const result = r.json().result;
  return { overall: result.overall, listed: result.evidence.facts['copubs.listed_5y'], works: result.evidence.facts['copubs.partner_works_5y'], criteria: result.criteria.filter((c: { status: string }) => c.status === 'holds').map((c: { id: string }) => c.id) };
}

test("B's upload is B's evidence: A's verdict, indicators, profiles and portfolios do not move; A's roles cannot read it; counts reveal nothing", async () => {
  const created = await inject('org-a/analyst', 'POST', '/api/cases', CASE);
  assert.equal(created.statusCode, 201);
  const caseId = created.json().id as string;
  const verdictBefore = await assessAsA(caseId);
  assert.deepEqual([verdictBefore.listed, verdictBefore.works], [2, 7], "A sees Tsinghua's 2 listed co-publications of 7 works in the shared base");
  const readsBefore = await whatAReads();
  const tablesBefore = await sharedTables();

  // A viewer of B may not upload, and is told so before the body is read.
  assert.equal((await upload('org-b/viewer', UPLOADED)).statusCode, 403);
  const up = await upload('org-b/analyst', UPLOADED);
  assert.equal(up.statusCode, 201, up.body);
  const fileId = up.json().fileId as string;
  assert.deepEqual([up.json().status, up.json().kept, up.json().duplicates], ['ingested', 8, 0]);

  // Nothing A reads from the shared base moved: the verdict, every indicator, profile and portfolio.
  assert.deepEqual(await assessAsA(caseId), verdictBefore, "A's KU Leuven verdict and S-COPUBS-LISTED count are unchanged");
  assert.deepEqual(await whatAReads(), readsBefore);
  assert.deepEqual(await sharedTables(), tablesBefore, 'the shared tables hold no upload');

  // Every role of A: B's upload does not exist, exactly like an id nobody uploaded.
  const missing = 'f'.repeat(64);
  for (const role of ROLES) {
    const who = `org-a/${role}`;
    const foreign = await inject(who, 'GET', `/api/portfolio?file=${fileId}`);
    const none = await inject(who, 'GET', `/api/portfolio?file=${missing}`);
    assert.equal(foreign.statusCode, 404, `${who} read B's upload`);
    assert.equal(foreign.json().message.replace(fileId, 'ID'), none.json().message.replace(missing, 'ID'));
    assert.equal((await inject(who, 'GET', `/api/portfolio?file=${fileId}&format=csv`)).statusCode, 404);
    assert.equal((await inject(who, 'GET', `/api/uploads/${fileId}/quarantine`)).statusCode, 404);
    assert.equal((await inject(who, 'GET', `/api/uploads/jobs/${up.json().job}`)).statusCode, 404);
    assert.ok(!(await inject(who, 'GET', '/api/uploads')).json().some((u: { fileId: string }) => u.fileId === fileId));
    assert.equal((await inSession(who, 'POST', `/api/uploads/${fileId}/share`, { organisation: 'org-a' })).statusCode, role === 'officer' || role === 'admin' ? 404 : 403);
  }
  // Every role of B reads its own upload's portfolio: 8 works, each with the listed partner.
  for (const role of ROLES) {
    const p = await inject(`org-b/${role}`, 'GET', `/api/portfolio?file=${fileId}`);
    assert.equal(p.statusCode, 200, p.body);
    assert.deepEqual([p.json().works, p.json().flagged.length, p.json().partners[0].name], [8, 8, 'Harbin Institute of Technology']);
    assert.ok((await inject(`org-b/${role}`, 'GET', '/api/uploads')).json().some((u: { fileId: string; own: boolean }) => u.fileId === fileId && u.own));
  }

  // "Already ingested" speaks of one's own uploads only; records dedupe within an organisation.
  assert.equal((await upload('org-b/analyst', UPLOADED)).json().status, 'already ingested');
  const overlapping = await upload('org-a/analyst', `${UPLOADED}\n`);
  assert.deepEqual([overlapping.json().status, overlapping.json().kept, overlapping.json().duplicates], ['ingested', 8, 0], "B's records are not A's duplicates");
  const same = await upload('org-a/analyst', UPLOADED);
  assert.equal(same.statusCode, 201);
  assert.deepEqual([same.json().fileId, same.json().status, same.json().duplicates], [fileId, 'ingested', 8], 'the same bytes are ingested fresh for A (its own earlier upload holds the records)');
  assert.deepEqual(await assessAsA(caseId), verdictBefore, "A's own uploads do not feed its verdicts either");
  assert.deepEqual(await sharedTables(), tablesBefore);
  assert.ok(!up.body.includes(home) && !('quarantinePath' in up.json()), 'the answer carries ids, never a path on the server');
  // What an organisation uploads is kept owner-only, as the store it goes into.
  for (const dir of [join(home, 'uploads'), join(home, 'uploads', 'org-b')]) assert.equal(statSync(dir).mode & 0o777, 0o700, dir);
  for (const f of readdirSync(join(home, 'uploads', 'org-b'))) assert.equal(statSync(join(home, 'uploads', 'org-b', f)).mode & 0o777, 0o600, f);
});

test('sharing an upload: officers only, audited, read-only for the other organisation', async () => {
  const body = [work('W8000', 2023, ['delft', 'hit']), work('W8001', 2023, ['oxford', 'thu'])].join('\n');
  const up = await upload('org-b/analyst', body);
  assert.equal(up.statusCode, 201, up.body);
  const fileId = up.json().fileId as string;
  assert.equal((await inject('org-a/viewer', 'GET', `/api/portfolio?file=${fileId}`)).statusCode, 404);
  assert.equal((await inSession('org-b/analyst', 'POST', `/api/uploads/${fileId}/share`, { organisation: 'org-a' })).statusCode, 403);
  assert.equal((await inSession('org-b/officer', 'POST', `/api/uploads/${fileId}/share`, { organisation: 'org-nobody' })).statusCode, 404);
  assert.equal((await inSession('org-b/officer', 'POST', `/api/uploads/${fileId}/share`, { organisation: 'org-a' })).statusCode, 200);
  const shared = await inject('org-a/viewer', 'GET', `/api/portfolio?file=${fileId}`);
  assert.equal(shared.statusCode, 200);
  assert.deepEqual([shared.json().works, shared.json().flagged.length], [2, 1]);
  assert.ok((await inject('org-a/viewer', 'GET', '/api/uploads')).json().some((u: { fileId: string; own: boolean }) => u.fileId === fileId && !u.own));
  assert.equal((await inSession('org-a/officer', 'POST', `/api/uploads/${fileId}/share`, { organisation: 'org-a' })).statusCode, 404, 'a shared upload is not the reader’s to share');
  const audit = await service.db.query<{ action: string; org_id: string; target: string; detail: string }>("SELECT action, org_id, target, detail FROM audit WHERE action IN ('evidence.share', 'evidence.ingest') AND target = $1 ORDER BY seq", [fileId]);
  assert.deepEqual(
    audit.map((a) => [a.action, a.org_id]),
    [
      ['evidence.ingest', 'org-b'],
      ['evidence.share', 'org-b'],
    ],
  );
  assert.deepEqual(JSON.parse(audit[1]!.detail), { with: 'org-a' });
});

// The timeout only ends the run if the server waits for a body that never comes.
test("a viewer's large body is refused before it is read; an oversized one too", { timeout: 120_000 }, async () => {
  const address = await service.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = new URL(address);
  const refused = (token: string, declared: number) =>
    new Promise<{ status: number; sent: number }>((resolve, reject) => {
      let sent = 0;
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/api/uploads?kind=openalex', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'content-length': declared } });
      req.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode!, sent });
        req.destroy();
      });
      req.on('error', (e) => (sent > 0 ? undefined : reject(e)));
      // One MiB of a declared 150 MiB, then nothing: a server that reads the body first never answers.
      const chunk = Buffer.alloc(1 << 20, 0x20);
      req.write(chunk, () => (sent += chunk.length));
    });
  const viewer = await refused(tokens['org-b/viewer']!, 150 * 1024 * 1024);
  assert.equal(viewer.status, 403);
  const oversized = await refused(tokens['org-b/analyst']!, 300 * 1024 * 1024);
  assert.equal(oversized.status, 413);
});

test('reading, resolving and screening an upload run off the thread that answers requests', async () => {
  // Spies in this thread: the server runs here, the evidence worker does not.
  const marker = 'Institute for Unmistakable Markers 7f3a, Leuven, Belgium';
  const seen: string[] = [];
  const resolve = AffiliationResolver.prototype.resolve;
  const screen = Screener.prototype.screen;
  const parse = JSON.parse;
  AffiliationResolver.prototype.resolve = function (raw: string) {
    if (raw.includes('7f3a')) seen.push(`resolve ${raw}`);
    return resolve.call(this, raw);
  };
  Screener.prototype.screen = function (q: string) {
    if (q.includes('7f3a')) seen.push(`screen ${q}`);
    return screen.call(this, q);
  };
  JSON.parse = ((text: string, reviver?: never) => {
    if (typeof text === 'string' && text.includes('7f3a')) seen.push('parse');
    return parse(text, reviver);
  }) as typeof JSON.parse;
  let r;
  try {
    r = await upload('org-b/analyst', [work('W7000', 2023, ['leuven', 'hit']), JSON.stringify({ id: 'https://openalex.org/W7001', publication_year: 2023, authorships: [{ raw_affiliation_strings: [marker] }, { raw_affiliation_strings: [LEUVEN_AFF.hit] }] })].join('\n'));
  } finally {
    AffiliationResolver.prototype.resolve = resolve;
    Screener.prototype.screen = screen;
    JSON.parse = parse;
  }
  assert.equal(r.statusCode, 201, r.body);
  assert.equal(r.json().kept, 2);
  assert.deepEqual(seen, [], 'no reading, resolving or screening of the upload on the server thread');
  assert.ok(await store.one('SELECT 1 FROM resolutions WHERE raw = $1', [marker]), 'the marker was resolved (elsewhere)');
  assert.ok(await store.one('SELECT 1 FROM screened_strings WHERE raw = $1', [marker]), 'and screened');
});

test('records over the size limits are set aside with the reason; the rest is kept; the job reports its stages', async () => {
  const long = `Department of ${'Very '.repeat(20_000)}Long Names, KU Leuven, Leuven, Belgium`;
  const lines = [...Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: `https://openalex.org/W61${i}`, publication_year: 2023, authorships: [{ raw_affiliation_strings: [long] }] })), ...Array.from({ length: 5 }, (_, i) => work(`W62${i}`, 2023, ['leuven', 'thu']))];
  const started = await upload('org-b/analyst', lines.join('\n'), 'openalex', { prefer: 'respond-async' });
  assert.equal(started.statusCode, 202, started.body);
  const job = started.json().job as string;
  assert.equal(started.headers.location, `/api/uploads/jobs/${job}`);
  let view = (await inject('org-b/viewer', 'GET', `/api/uploads/jobs/${job}`)).json();
  while (view.status === 'queued' || view.status === 'running') {
    await new Promise((r) => setTimeout(r, 50));
    view = (await inject('org-b/viewer', 'GET', `/api/uploads/jobs/${job}`)).json();
  }
  assert.equal(view.status, 'done', JSON.stringify(view.error));
  assert.deepEqual([view.result.kept, view.result.quarantined], [5, 20]);
  assert.deepEqual(
    view.events.filter((e: { type: string }) => e.type === 'stage').map((e: { stage: string }) => e.stage),
    ['read', 'resolve', 'screen', 'refresh'],
  );
  assert.equal(view.progress.read.done, view.progress.read.total);
  assert.ok(!JSON.stringify(view).includes(home), 'no server path in the job');
  const quarantine = (await inject('org-b/viewer', 'GET', view.result.quarantine)).json();
  assert.equal(quarantine.length, 20);
  assert.match(quarantine[0].reason, /affiliation 1 of author 1 is 10005\d characters long \(limit 2000\)/);
  assert.equal((await inject('org-a/admin', 'GET', `/api/uploads/jobs/${job}`)).statusCode, 404, "another organisation's job does not exist for it");
});

test('an upload whose affiliations are invisible characters alone reads them as none: it is screened, and every work kept', async () => {
  const blank = ['\u200b', '\u00ad\u200d'].map((raw, i) => JSON.stringify({ id: `https://openalex.org/W64${i}`, publication_year: 2023, authorships: [{ raw_affiliation_strings: [raw] }] }));
  const up = await upload('org-b/analyst', [...blank, work('W642', 2023, ['leuven', 'thu'])].join('\n'));
  assert.equal(up.statusCode, 201, up.body);
  assert.deepEqual([up.json().kept, up.json().quarantined], [3, 0]);
  const strings = await store.all<{ raw: string }>("SELECT raw FROM upload_affiliations WHERE source_id IN ('W640', 'W641', 'W642')");
  assert.ok(strings.length > 0 && strings.every((s) => !/[\u00ad\u200b\u200d]/.test(s.raw)), JSON.stringify(strings));
});

test('a file that is not of its kind answers 422 naming the reason, not a server path or a bare 500', async () => {
  const r = await upload('org-b/analyst', 'this is not a Web of Science export\n', 'wos');
  assert.equal(r.statusCode, 422, r.body);
  assert.match(r.json().message, /not a Web of Science export/);
  assert.ok(!r.body.includes(home));
});

test('an empty upload answers 422 "the upload is empty", like every other unusable upload', async () => {
  for (const [body, headers] of [
    ['', {}],
    ['', { 'content-length': '0' }],
  ] as const) {
    const r = await upload('org-b/analyst', body, 'openalex', headers);
    assert.equal(r.statusCode, 422, r.body);
    assert.deepEqual(r.json(), { error: 'unprocessable', message: 'the upload is empty' });
  }
});

test('the same bytes uploaded as another kind are refused naming the kind they were ingested as, not "already ingested"', async () => {
  const body = [work('W6500', 2022, ['leuven', 'thu']), work('W6501', 2023, ['delft', 'hit'])].join('\n');
  const first = await upload('org-b/analyst', body);
  assert.deepEqual([first.statusCode, first.json().status, first.json().kept], [201, 'ingested', 2], first.body);
  for (const kind of ['wos', 'scopus']) {
    const again = await upload('org-b/analyst', body, kind);
    assert.equal(again.statusCode, 422, `${kind}: ${again.body}`);
    assert.match(again.json().message, new RegExp(`these bytes were ingested before as openalex \\(file [0-9a-f]{64}\\), not as ${kind}: `));
    assert.ok(!again.body.includes(home));
  }
  // The same kind again is the same upload.
  const same = await upload('org-b/analyst', body);
  assert.deepEqual([same.statusCode, same.json().status, same.json().fileId], [201, 'already ingested', first.json().fileId]);
  // Uploads list the file once, as what it was ingested as.
  const listed = (await inject('org-b/analyst', 'GET', '/api/uploads')).json().filter((u: { fileId: string }) => u.fileId === first.json().fileId);
  assert.deepEqual(
    listed.map((u: { kind: string }) => u.kind),
    ['openalex'],
  );
});
