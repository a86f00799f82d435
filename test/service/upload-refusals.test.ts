import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { leuvenStore, leuvenWork } from '../helpers/leuven.ts';
import { addMembers, testService, type TestService } from '../helpers/service.ts';

// Whatever the server refuses of an upload leaves nothing in DERISK_HOME/uploads: only an export
// it ingested stays there (round 45, after an outside red team found refused bodies kept on disk).
const work = leuvenWork('refusals');
const EXPORT = Array.from({ length: 3 }, (_, i) => work(`W7${String(i).padStart(3, '0')}`, 2022, ['leuven', 'thu'], `Refusal test work ${i}`)).join('\n') + '\n';
const LIMIT = 64 * 1024;

let home: string;
let store: Store;
let service: TestService;
let tokens: Record<string, string>;

before(async () => {
  home = tempDir();
  store = await leuvenStore(home, [work('W1000', 2021, ['leuven', 'oxford'])]);
  service = await testService(store, { home, uploadLimit: LIMIT });
  ({ tokens } = await addMembers(service.accounts, ['org-a']));
});

after(async () => {
  await service.close();
  store.close();
});

const upload = (who: string, body: string | Buffer | Readable, kind = 'openalex', headers: Record<string, string> = {}) =>
  service.app.inject({ method: 'POST', url: `/api/uploads?kind=${kind}`, headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/octet-stream', ...headers }, payload: body as string });
const uploaded = () => {
  const dir = join(home, 'uploads', 'org-a');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};

test('an upload refused for its role, its size, its media type, its emptiness or its content leaves nothing on disk; an ingested one stays', async () => {
  const refusals: [string, () => ReturnType<typeof upload>, number][] = [
    ['a viewer', () => upload('org-a/viewer', EXPORT), 403],
    ['declared too big', () => upload('org-a/analyst', Buffer.alloc(LIMIT + 1, 'x')), 413],
    ['too big as it arrives (no length declared)', () => upload('org-a/analyst', Readable.from([Buffer.alloc(LIMIT / 2, 'x'), Buffer.alloc(LIMIT / 2, 'x'), Buffer.alloc(16, 'x')])), 413],
    ['not a raw body', () => upload('org-a/analyst', JSON.stringify({ works: EXPORT }), 'openalex', { 'content-type': 'application/json' }), 415],
    ['empty', () => upload('org-a/analyst', ''), 422],
    ['not of its kind', () => upload('org-a/analyst', 'this is not a Web of Science export\n', 'wos'), 422],
  ];
  for (const [what, send, status] of refusals) {
    const r = await send();
    assert.equal(r.statusCode, status, `${what}: ${r.body}`);
    assert.deepEqual(uploaded(), [], `${what}: the uploads directory holds nothing`);
  }
  const ok = await upload('org-a/analyst', EXPORT);
  assert.equal(ok.statusCode, 201, ok.body);
  const kept = uploaded();
  assert.deepEqual(kept, [`${ok.json().fileId}.jsonl`], 'the ingested export is kept');
  // An export whose every record was set aside is not refused: it is kept, as the quarantine names its lines.
  const quarantined = await upload('org-a/analyst', '{"id": \n{{{\n');
  assert.equal(quarantined.statusCode, 201, quarantined.body);
  assert.equal(quarantined.json().quarantined, 2);
  kept.push(`${quarantined.json().fileId}.jsonl`);
  kept.sort();
  assert.deepEqual(uploaded(), kept);
  // The same bytes sent again as another kind are refused: that copy goes, the ingested one stays.
  const again = await upload('org-a/analyst', EXPORT, 'scopus');
  assert.equal(again.statusCode, 422, again.body);
  assert.deepEqual(uploaded(), kept);
  // And sent again as their own kind, they are "already ingested", kept once.
  assert.equal((await upload('org-a/analyst', EXPORT)).json().status, 'already ingested');
  assert.deepEqual(uploaded(), kept);
});

test('a refused upload an earlier version kept is removed when the server starts; an ingested one and files not named as uploads stay', async () => {
  const before = uploaded();
  assert.ok(before.length > 0, 'the test above kept the ingested exports');
  const dir = join(home, 'uploads', 'org-a');
  writeFileSync(join(dir, `${'a'.repeat(64)}.txt`), 'refused before this version\n');
  writeFileSync(join(dir, `${'b'.repeat(64)}.jsonl.gz`), 'refused before this version\n');
  writeFileSync(join(dir, 'README.operator'), 'not an upload: left alone\n');
  const restarted = await testService(store, { home, uploadLimit: LIMIT });
  try {
    await restarted.app.ready();
    assert.deepEqual(uploaded(), [...before, 'README.operator'].sort());
  } finally {
    await restarted.close();
  }
});

test('an upload whose ingest a crash interrupted is not taken for a refused one at the next start: it stays, and the same bytes sent again finish it', async () => {
  const interrupted = Array.from({ length: 2 }, (_, i) => work(`W8${String(i).padStart(3, '0')}`, 2023, ['leuven', 'thu'], `Interrupted work ${i}`)).join('\n') + '\n';
  const first = await upload('org-a/analyst', interrupted);
  assert.equal(first.statusCode, 201, first.body);
  const { fileId } = first.json() as { fileId: string };
  // As a kill -9 between the records and the end of the ingest leaves it.
  await store.run('UPDATE upload_files SET finished_at = NULL WHERE file_id = $1', [fileId]);
  const files = uploaded();
  const restarted = await testService(store, { home, uploadLimit: LIMIT });
  try {
    await restarted.app.ready();
    assert.deepEqual(uploaded(), files, 'the interrupted upload is kept');
  } finally {
    await restarted.close();
  }
  const again = await upload('org-a/analyst', interrupted);
  assert.equal(again.statusCode, 201, again.body);
  assert.equal(((await service.app.inject({ method: 'GET', url: '/api/uploads', headers: { authorization: `Bearer ${tokens['org-a/analyst']}` } })).json() as { fileId: string; finishedAt: string | null }[]).find((u) => u.fileId === fileId)?.finishedAt !== null, true, 'finished once sent again');
  assert.deepEqual(uploaded(), files);
});
