import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { viewCorrections } from '../../src/resolve/org-view.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { AFF, landscapeStore } from '../helpers/landscape.ts';
import { addMembers, testService, type TestService } from '../helpers/service.ts';

// Found in round 46: withdrawing a correction shared with the community answered `applied: 0`
// although the string it decided was resolved again (back to the shared answer) in its own
// organisation's view and in every view it reached. The answer counts what changed in the caller's
// own view and says only that the others' views were rebuilt: what another organisation's view
// holds is its own to know.
const TSINGHUA = '03cve4549';
const X = 'Key Laboratory of Machine Perception, Beijing, China';
const work = (n: number, affs: string[]) => ({ id: `https://openalex.org/W${n}`, doi: `10.5555/withdrawn.${n}`, publication_year: 2022, authorships: affs.map((a, i) => ({ author_position: i === 0 ? 'first' : 'middle', raw_affiliation_strings: [a] })) });

let store: Store;
let service: TestService;
let members: Awaited<ReturnType<typeof addMembers>>;

before(async () => {
  const home = tempDir();
  store = await landscapeStore(home, [work(10, [AFF.delft, X]), work(11, [X, AFF.oxford]), work(12, [AFF.oxford])]);
  service = await testService(store, { home });
  members = await addMembers(service.accounts, ['org-a', 'org-b'], ['analyst', 'officer']);
});

after(async () => {
  await service.close();
  store.close();
});

const call = async (who: string, method: 'POST' | 'PUT', url: string, payload: object) => {
  const r = await service.app.inject({ method, url, headers: { authorization: `Bearer ${members.tokens[who]}` }, payload });
  assert.ok(r.statusCode < 300, `${who} ${method} ${url}: ${r.statusCode} ${r.body}`);
  return r.json() as Record<string, unknown>;
};

/** Org-a corrects X, shares it with the community (org-b's view reads through it) and withdraws it: what the withdrawal answers org-a. */
async function sharedThenWithdrawn(distribution: 'community' | 'organisation'): Promise<unknown> {
  const { id } = (await call('org-a/analyst', 'POST', '/api/match/corrections', { string: X, verdict: 'is', ror: TSINGHUA, reason: 'the lab is at Tsinghua (its web page)' })) as { id: string };
  if (distribution === 'community') {
    await call('org-a/officer', 'PUT', `/api/exchange/sharing/correction/${id}`, { distribution, tlp: 'green' });
    assert.ok(
      (await viewCorrections(store, 'org-b')).some((c) => c.id === id),
      "org-b's view reads through it",
    );
  }
  const withdrawn = await call('org-a/analyst', 'POST', `/api/match/corrections/${id}/withdraw`, { reason: 'the web page was out of date' });
  assert.ok(!(await viewCorrections(store, 'org-b')).some((c) => c.id === id), "org-b's view no longer reads it");
  return withdrawn.applied;
}

test("a withdrawal answers the strings and works whose answer changed in its own organisation's view, and that the views it reached were rebuilt, never how much another organisation's view holds", async () => {
  const alone = await sharedThenWithdrawn('community');
  assert.deepEqual(alone, { strings: 1, works: 2, othersRebuilt: true }, 'X went back to the shared answer in the two works it is in');
  // Org-b now holds corrections of its own, deciding other strings: org-a's answer is the same.
  for (const raw of [AFF.delft, AFF.oxford]) await call('org-b/analyst', 'POST', '/api/match/corrections', { string: raw, verdict: 'none', reason: 'org-b checked' });
  assert.deepEqual(await sharedThenWithdrawn('community'), alone);
  // Never shared, it was in no other view.
  assert.deepEqual(await sharedThenWithdrawn('organisation'), { strings: 1, works: 2, othersRebuilt: false });
});

// Found in round 47: with other corrections in force, a withdrawal answered the size of the whole
// view (every string and work any of them decides) rather than what the withdrawal changed.
test('with two corrections in force, withdrawing one answers the strings and works whose answer changed, those of the withdrawn one only', async () => {
  const other = (await call('org-a/analyst', 'POST', '/api/match/corrections', { string: AFF.oxford, verdict: 'none', reason: 'org-a checked' })) as { id: string; applied: unknown };
  assert.deepEqual(other.applied, { strings: 1, works: 6, othersRebuilt: false }, 'Oxford is in six works: four of the landscape, 11 and 12');
  const { id, applied } = (await call('org-a/analyst', 'POST', '/api/match/corrections', { string: X, verdict: 'is', ror: TSINGHUA, reason: 'the lab is at Tsinghua (its web page)' })) as { id: string; applied: unknown };
  assert.deepEqual(applied, { strings: 1, works: 2, othersRebuilt: false }, 'X is in works 10 and 11; Oxford reads as before');
  const withdrawn = await call('org-a/analyst', 'POST', `/api/match/corrections/${id}/withdraw`, { reason: 'the web page was out of date' });
  assert.deepEqual(withdrawn.applied, { strings: 1, works: 2, othersRebuilt: false }, 'X went back to the shared answer in works 10 and 11; Oxford and its other works read as before');
  assert.deepEqual(await call('org-a/analyst', 'POST', '/api/match/apply', {}), { strings: 0, works: 0 }, 'applying again changes nothing');
});
