import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ftmEntityId, loadFtmTopics, type FtmEntity } from '../../src/exchange/ftm.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { addOrganisations, derisk } from '../helpers/cli.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { ftmModel, problems } from '../helpers/ftm-schema.ts';
import { keptStore, landscapeStore } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';

const ENTRIES = [{ id: 'tsinghua', name: 'Tsinghua University', level: 'very-high', country: 'CN' }];

async function installation(): Promise<Record<string, string>> {
  const home = tempDir();
  const store = await keptStore(home, 'two installations', async (dir) => {
    const store = await landscapeStore(dir);
    await saveLists(store, [readWatchlist(watchlist(ENTRIES))]);
    await screenPending(store, await screeningContext(store));
    return store;
  });
  store.close();
  await addOrganisations({ DERISK_HOME: home }, ['uni-a', 'uni-b', 'uni-c', 'uni-d']);
  return { DERISK_HOME: home };
}

const ok = (r: ReturnType<typeof derisk>, status = 0) => {
  assert.equal(r.status, status, r.stderr + r.stdout);
  return r.stdout.trim();
};
/** `derisk screen` exits 10 when a list names the organisation. */
const LISTED = 10;

/** Every byte a feed holds, to look for what must not be in it. */
const feedText = (dir: string) =>
  readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n');

test('two installations exchange notes, namesake decisions and anonymised assessments through a signed feed', async () => {
  const [a, b] = await Promise.all([installation(), installation()]);
  const key = /key: (ed25519:\S+)/.exec(ok(derisk(['exchange', 'keys', '--publisher', 'Alpha research-security platform'], a)))![1]!;

  // Installation A: three universities. A note shared with the community, one marked RED (shared
  // to everyone by mistake), one never shared, and a namesake decision.
  const shared = ok(derisk(['exchange', 'note', '--entry', 'my-watchlist/tsinghua', '--text', 'Joint lab with defence links, see the 2024 annual report', '--opinion', '85', '--org', 'uni-a'], a));
  ok(derisk(['exchange', 'share', 'note', shared, '--distribution', 'community', '--tlp', 'green', '--org', 'uni-a'], a));
  const red = ok(derisk(['exchange', 'note', '--name', 'Shadow Partner Ltd', '--text', 'RED-ONLY informant says so', '--org', 'uni-a'], a));
  ok(derisk(['exchange', 'share', 'note', red, '--distribution', 'everyone', '--tlp', 'red', '--org', 'uni-a'], a));
  ok(derisk(['exchange', 'note', '--name', 'Someone', '--text', 'PRIVATE-ONLY never shared', '--org', 'uni-a'], a));
  const decision = ok(derisk(['exchange', 'namesake', 'Tsinghua University', '--entry', 'my-watchlist/tsinghua', '--reason', 'the Tsinghua University in Hsinchu, Taiwan (National Tsing Hua University)', '--org', 'uni-b'], a));
  ok(derisk(['exchange', 'share', 'namesake', decision, '--distribution', 'everyone', '--tlp', 'clear', '--org', 'uni-b'], a));
  // Another organisation cannot change how uni-a's note is shared: it does not exist for it.
  const foreign = derisk(['exchange', 'share', 'note', shared, '--distribution', 'organisation', '--tlp', 'clear', '--org', 'uni-c'], a);
  assert.equal(foreign.status, 1);
  assert.match(foreign.stderr, /no note .* of your organisation/);

  // Two universities assess the same partner and share the verdict: fewer than k = 3, held back.
  const caseFile = writeTemp('case.yaml', 'title: CONFIDENTIAL joint AI lab with Prof Wang\npartners:\n  - name: Delft University of Technology\n    country: NL\n    role: lead\n  - name: Tsinghua University\n    country: CN\ntechnology:\n  fields: [eu-artificial-intelligence]\n');
  const assess = (org: string) => {
    const id = JSON.parse(ok(derisk(['assess', caseFile, '--json', '--as-of', '2026-11-22', '--org', org], a))).assessment as string;
    ok(derisk(['exchange', 'share', 'assessment', id, '--distribution', 'community', '--tlp', 'green', '--org', org], a));
  };
  assess('uni-a');
  assess('uni-b');
  const feed = join(tempDir(), 'feed');
  const first = ok(derisk(['exchange', 'publish', feed], a));
  assert.match(first, /1 notes, 1 namesake decisions, 0 anonymised assessments/);
  assert.match(first, /held back: 2 assessments of 1 partner groups where fewer than 3 organisations besides any one of them assessed/);
  const lowered = derisk(['exchange', 'publish', feed, '--k', '2'], a);
  assert.equal(lowered.status, 1, lowered.stdout);
  assert.match(lowered.stderr, /k 2 is below this installation's k = 3/);
  const ftmFile = join(tempDir(), 'items.ftm.json');
  const ftmItems = () =>
    readFileSync(ftmFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as FtmEntity);
  assert.match(ok(derisk(['exchange', 'export', '--format', 'ftm', '--out', ftmFile], a)), /1 notes, 1 namesake decisions, 0 anonymised assessments[^]*written: .*FollowTheMoney entities/);
  assert.equal(ftmItems().filter((e) => e.properties.keywords?.includes('derisk:assessment')).length, 0, 'the FtM export holds back what the feed holds back');
  const firstCopy = join(tempDir(), 'old-feed');
  cpSync(feed, firstCopy, { recursive: true });

  // Installation B subscribes with A's key and pulls.
  ok(derisk(['exchange', 'subscribe', feed, '--key', key], b));
  const pulled = ok(derisk(['exchange', 'pull'], b));
  assert.match(pulled, /Alpha research-security platform, sequence 1: 2 new/);
  assert.match(ok(derisk(['exchange', 'pull'], b)), /up to date \(sequence 1\)/, 'the same manifest again is nothing new, not a replay');

  // A third university's verdict is not enough: each of the three could set its own aside and find two.
  assess('uni-c');
  assert.match(ok(derisk(['exchange', 'publish', feed], a)), /0 anonymised assessments[^]*held back: 3 assessments/);
  assess('uni-d');
  assert.match(ok(derisk(['exchange', 'publish', feed], a)), /1 notes, 1 namesake decisions, 4 anonymised assessments/);
  ok(derisk(['exchange', 'export', '--format', 'ftm', '--out', ftmFile], a));
  const entities = ftmItems();
  const byId = new Map(entities.map((e) => [e.id, e]));
  assert.deepEqual(
    entities.flatMap((e) => problems(e, byId, ftmModel(), loadFtmTopics().vocabulary)),
    [],
  );
  assert.equal(entities.filter((e) => e.properties.keywords?.includes('derisk:assessment')).length, 4);
  assert.ok(entities.some((e) => e.schema === 'Note' && e.properties.entity?.[0] === ftmEntityId('my-watchlist', 'tsinghua') && e.properties.keywords?.includes('derisk:namesake')));
  for (const secret of ['RED-ONLY', 'Shadow Partner', 'PRIVATE-ONLY', 'CONFIDENTIAL', 'Prof Wang', 'Delft', 'uni-c', 'tlp:red']) assert.ok(!readFileSync(ftmFile, 'utf8').includes(secret), `the FtM export must not contain ${secret}`);
  const text = feedText(feed);
  for (const secret of ['RED-ONLY', 'Shadow Partner', 'PRIVATE-ONLY', 'CONFIDENTIAL', 'Prof Wang', 'Delft', 'uni-c', 'tlp:red']) assert.ok(!text.includes(secret), `the feed must not contain ${secret}`);
  assert.match(ok(derisk(['exchange', 'pull'], b)), /sequence 3: 4 new, 0 updated, 2 unchanged/);

  const received = JSON.parse(ok(derisk(['exchange', 'received', '--json'], b))) as { kind: string; publisher: string; keyId: string; originOrg: string; tlp: string; doc: Record<string, unknown> }[];
  assert.deepEqual(received.map((r) => r.kind).sort(), ['assessment', 'assessment', 'assessment', 'assessment', 'namesake', 'note']);
  for (const r of received) assert.equal(r.publisher, 'Alpha research-security platform');
  const note = received.find((r) => r.kind === 'note')!;
  assert.equal(note.originOrg, 'uni-a');
  assert.equal(note.tlp, 'green');
  assert.equal(note.doc.opinion, 85);
  const anon = received.find((r) => r.kind === 'assessment')!;
  assert.equal(anon.originOrg, 'Alpha research-security platform', 'an anonymised assessment names no organisation');
  assert.deepEqual(anon.doc.partners, [{ name: 'Tsinghua University', ror: null, country: 'CN' }], 'the European institution is left out');
  assert.equal(anon.doc.overall, 'red');
  assert.ok((anon.doc.criteria as string[]).includes('S-DEFENCE-VERY-HIGH'));
  assert.match(String(anon.doc.month), /^\d{4}-\d{2}$/);
  assert.ok(!JSON.stringify(anon.doc).includes('CONFIDENTIAL'));

  // Screening at B shows A's decision as information; the hit stays.
  const screened = ok(derisk(['screen', 'Tsinghua University'], b), LISTED);
  assert.match(screened, /\[VERY-HIGH\] Tsinghua University/);
  assert.match(screened, /1 institution judged "Tsinghua University" not to be the listed entity Tsinghua University \(my-watchlist\)/);
  assert.match(screened, /uni-b \(via Alpha research-security platform\), TLP:CLEAR: the Tsinghua University in Hsinchu/);
  const json = JSON.parse(ok(derisk(['screen', 'Tsinghua University', '--json'], b), LISTED));
  assert.equal(json.hits.length, 1, 'a shared decision never removes a hit');
  assert.equal(json.namesake_decisions[0].institutions, 1);

  // The same items from a second feed (a copy, validly signed) are conflicts: kept as first received.
  const mirror = join(tempDir(), 'mirror');
  cpSync(feed, mirror, { recursive: true });
  ok(derisk(['exchange', 'subscribe', mirror, '--key', key], b));
  const again = derisk(['exchange', 'pull', '--json'], b);
  assert.equal(again.status, 0, again.stderr);
  const fromMirror = (JSON.parse(again.stdout) as { source: string; status: string; report: { conflicts: unknown[]; added: number } }[]).find((r) => r.source === mirror)!;
  assert.equal(fromMirror.status, 'pulled');
  assert.equal(fromMirror.report.added, 0);
  assert.equal(fromMirror.report.conflicts.length, 6);

  // A replayed older manifest: the first feed's files served again.
  cpSync(firstCopy, feed, { recursive: true, force: true });
  const replay = derisk(['exchange', 'pull'], b);
  assert.equal(replay.status, 1);
  assert.match(replay.stderr, /manifest sequence 1 is not newer than 3, already pulled: a replayed older manifest/);

  // A tampered file: one event edited after signing.
  const tampered = join(tempDir(), 'tampered');
  cpSync(mirror, tampered, { recursive: true });
  const event = readdirSync(tampered).find((f) => f !== 'manifest.json' && f.endsWith('.json'))!;
  // Every event names its distribution; which events land first depends on the publisher's uuid.
  const signed = readFileSync(join(tampered, event), 'utf8');
  const edited = signed.replace(/"distribution": ?"(\d)"/, (_m, d: string) => `"distribution":"${d === '3' ? '1' : '3'}"`);
  assert.notEqual(edited, signed, `${event} holds no distribution to tamper with`);
  writeFileSync(join(tampered, event), edited);
  const c = await installation();
  ok(derisk(['exchange', 'subscribe', tampered, '--key', key], c));
  const refusedTamper = derisk(['exchange', 'pull'], c);
  assert.equal(refusedTamper.status, 1);
  assert.match(refusedTamper.stderr, /\.json does not match its SHA-256 in the signed manifest \(tampered\)/);
  // A feed signed by a key nobody subscribed to.
  const otherKey = /key: (ed25519:\S+)/.exec(ok(derisk(['exchange', 'keys'], c)))![1]!;
  const d = await installation();
  ok(derisk(['exchange', 'subscribe', mirror, '--key', otherKey], d));
  const unknown = derisk(['exchange', 'pull'], d);
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /signed with an unknown key [0-9a-f]{16} \(this subscription trusts [0-9a-f]{16} only\)/);
  assert.equal(JSON.parse(ok(derisk(['exchange', 'received', '--json'], c))).length, 0, 'nothing of a refused feed is taken');

  // Every change on both sides is in the sealed audit trail.
  for (const env of [a, b, c]) ok(derisk(['audit', 'verify'], env));
});
