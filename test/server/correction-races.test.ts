import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { organisationScope, SHARED } from '../../src/ingest/pipeline.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists } from '../../src/screening/store.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import type { Store } from '../../src/store/store.ts';
import { IngestWorkflow, type IngestEvent, type IngestStage } from '../../src/workflows/ingest.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { AFF, landscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

// A correction rebuilds its organisation's view of the evidence. Posted while an ingest is
// writing (the organisation's own upload, an administrator's ingest of the shared base), both
// must finish, and the view must afterwards count what the ingest brought in.
const TSINGHUA = '03cve4549';
const CAS = '034t30j35';
const X = 'Key Laboratory of Machine Perception, Beijing, China';
const work = (n: number, year: number, affs: string[]) => ({ id: `https://openalex.org/W${n}`, doi: `10.5555/race.${n}`, publication_year: year, authorships: affs.map((a, i) => ({ author_position: i === 0 ? 'first' : 'middle', raw_affiliation_strings: [a] })) });
const PASSWORD = 'correct horse battery staple';

let store: Store;
let service: TestService;
let home: string;
let token: string;

before(async () => {
  home = tempDir();
  store = await landscapeStore(home, [work(10, 2022, [AFF.delft, X])]);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Institute of Automation', level: 'high' }]))]);
  service = await testService(store, { home });
  await service.accounts.createOrganisation(OPERATOR, 'org-a', 'ORG-A');
  await service.accounts.createUser(OPERATOR, { orgId: 'org-a', email: 'analyst@org-a.example', name: 'analyst', role: 'analyst', password: PASSWORD });
  const { actor } = await service.accounts.login('analyst@org-a.example', PASSWORD);
  token = (await service.accounts.createToken(actor, 'test')).token;
});

after(async () => {
  await service.close();
  store.close();
});

const correct = (string: string, ror: string) => service.app.inject({ method: 'POST', url: '/api/match/corrections', headers: { authorization: `Bearer ${token}` }, payload: { string, verdict: 'is', ror, reason: 'checked on the lab’s web page' } });
const profileWorks = async (ror: string) => {
  const r = await service.app.inject({ method: 'GET', url: `/api/institutions/${ror}`, headers: { authorization: `Bearer ${token}` } });
  assert.equal(r.statusCode, 200, r.body);
  return (r.json() as { works: { workId: string }[] }).works.map((w) => w.workId).sort();
};

/** Runs an ingest and posts a correction at the start of each of its stages, while it writes. */
async function ingestWhileCorrecting(scope: Parameters<IngestWorkflow['run']>[0]['scope'], file: string, corrections: Partial<Record<IngestStage, [string, string]>>) {
  const workflow = new IngestWorkflow(store, { quarantineDir: join(home, `q-${Math.random()}`) });
  const posted: Promise<Awaited<ReturnType<typeof correct>>>[] = [];
  try {
    const onEvent = (e: IngestEvent) => {
      const c = e.type === 'stage' ? corrections[e.stage] : undefined;
      if (c) posted.push(correct(...c));
    };
    const outcome = await workflow.run({ scope, kind: 'openalex', files: [{ path: file }] }, onEvent);
    assert.equal(outcome.files[0]!.kept, 1);
  } finally {
    await workflow.close();
  }
  const answers = await Promise.all(posted);
  assert.equal(answers.length, Object.keys(corrections).length, 'a correction was posted at each stage named');
  for (const a of answers) assert.equal(a.statusCode, 201, a.body);
  return answers.map((a) => a.json() as { applied: { strings: number; works: number } });
}

test("a correction posted while the organisation's own upload is ingested: both finish, the view is right", async () => {
  const upload = writeTemp('upload.jsonl', JSON.stringify(work(20, 2022, [AFF.delft, 'Machine Perception Lab, Peking, China'])));
  await ingestWhileCorrecting(organisationScope('org-a'), upload, { read: [X, TSINGHUA], resolve: [X, TSINGHUA], refresh: [X, TSINGHUA] });
  assert.ok((await profileWorks(TSINGHUA)).includes('doi:10.5555/race.10'), 'the corrected shared work counts for Tsinghua in org-a’s view');
});

test("a correction posted while an administrator's ingest writes the shared base: the view counts the new work", async () => {
  const Y = 'Joint Lab for Perception Science, Huairou, Beijing, China';
  const shared = writeTemp('shared.jsonl', JSON.stringify(work(30, 2023, [AFF.delft, Y])));
  const answers = await ingestWhileCorrecting(SHARED, shared, { resolve: [Y, CAS], refresh: [Y, CAS] });
  (service.app as unknown as { sharedEvidenceChanged(): void }).sharedEvidenceChanged();
  // Both wait for the ingest; the first rebuild counts the new work, the second (the same decision again) changes nothing more.
  assert.equal(
    answers.reduce((n, a) => n + a.applied.works, 0),
    1,
    `the corrections counted the new work: ${JSON.stringify(answers)}`,
  );
  assert.ok((await profileWorks(CAS)).includes('doi:10.5555/race.30'), 'the work the ingest brought counts for the corrected institution');
  assert.ok((await profileWorks(TSINGHUA)).includes('doi:10.5555/race.10'), 'the earlier correction still holds');
});
