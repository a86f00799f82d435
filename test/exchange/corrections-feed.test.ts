import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists } from '../../src/screening/store.ts';
import { addOrganisations, derisk } from '../helpers/cli.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { AFF, landscapeStore } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';

// Installation A shares one match correction with the community (and keeps another to itself);
// installation B pulls A's signed feed. The correction changes nothing at B until an organisation
// there accepts it; then it decides the string for that organisation only, below its own.
const TSINGHUA = '03cve4549';
const X = 'Key Laboratory of Machine Perception, Beijing, China';
const WORK = { id: 'https://openalex.org/W10', doi: '10.5555/feed.10', publication_year: 2022, authorships: [AFF.delft, X].map((a, i) => ({ author_position: i === 0 ? 'first' : 'middle', raw_affiliation_strings: [a] })) };

async function installation(): Promise<Record<string, string>> {
  const home = tempDir();
  const store = await landscapeStore(home, [WORK]);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Institute of Automation', level: 'high' }]))]);
  store.close();
  await addOrganisations({ DERISK_HOME: home }, ['uni-a', 'uni-x', 'uni-y']);
  return { DERISK_HOME: home };
}

const ok = (r: ReturnType<typeof derisk>) => {
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return r.stdout.trim();
};
const resolved = (env: Record<string, string>, org: string, raw = X) => (JSON.parse(ok(derisk(['match', 'resolve', raw, '--org', org, '--json'], env))) as { institutions: { rorId: string; primary: boolean }[] }).institutions.filter((m) => m.primary).map((m) => m.rorId);

test('a shared match correction travels in the signed feed and applies where an organisation accepts it', async () => {
  const [a, b] = await Promise.all([installation(), installation()]);
  const key = /key: (ed25519:\S+)/.exec(ok(derisk(['exchange', 'keys', '--publisher', 'Alpha platform'], a)))![1]!;
  const shared = ok(derisk(['match', 'correct', X, TSINGHUA, '--reason', 'the lab is at Tsinghua (its web page)', '--org', 'uni-a'], a)).split(/\s/)[0]!;
  ok(derisk(['exchange', 'share', 'correction', shared, '--distribution', 'community', '--tlp', 'green', '--org', 'uni-a'], a));
  ok(derisk(['match', 'correct', 'PRIVATE-ONLY Lab, Beijing', 'none', '--reason', 'kept in house', '--org', 'uni-a'], a));
  const feed = join(tempDir(), 'feed');
  assert.match(ok(derisk(['exchange', 'publish', feed], a)), /1 match corrections/);
  const text = readdirSync(feed)
    .map((f) => readFileSync(join(feed, f), 'utf8'))
    .join('\n');
  assert.ok(text.includes(`derisk:match-correction=\\"is:${TSINGHUA}\\"`), 'the decision travels as a derisk tag');
  assert.ok(!text.includes('PRIVATE-ONLY'), 'an unshared correction never leaves its organisation');

  ok(derisk(['exchange', 'subscribe', feed, '--key', key], b));
  assert.match(ok(derisk(['exchange', 'pull'], b)), /1 new/);
  const before = resolved(b, 'uni-x');
  assert.ok(!before.includes(TSINGHUA), 'a received correction applies nowhere until accepted');

  const received = JSON.parse(ok(derisk(['match', 'received', '--org', 'uni-x', '--json'], b))) as { uuid: string; accepted: boolean; originOrg: string; publisher: string; correction: { raw: string; verdict: string; rorId: string; reason: string } }[];
  assert.equal(received.length, 1);
  assert.deepEqual(
    [received[0]!.uuid, received[0]!.accepted, received[0]!.correction.raw, received[0]!.correction.verdict, received[0]!.correction.rorId, received[0]!.correction.reason, received[0]!.publisher],
    [shared, false, X, 'is', TSINGHUA, 'the lab is at Tsinghua (its web page)', 'Alpha platform'],
  );
  assert.match(ok(derisk(['match', 'accept', shared, '--org', 'uni-x'], b)), /^accepted [\s\S]*applied to uni-x's view of the evidence: 1 string\(s\) answered differently, 1 work\(s\) counted differently/);
  assert.deepEqual(resolved(b, 'uni-x'), [TSINGHUA], 'accepted: it decides the string for uni-x');
  assert.deepEqual(resolved(b, 'uni-y'), before, 'and for no organisation that did not accept it');
  assert.match(ok(derisk(['audit', 'verify'], b)), /the chain verifies/);

  // uni-x's own correction of the same string wins over the accepted one.
  ok(derisk(['match', 'correct', X, 'none', '--reason', 'we checked: a company lab', '--org', 'uni-x'], b));
  assert.deepEqual(resolved(b, 'uni-x'), []);

  // Accepting something no feed brought is refused, naming it.
  const missing = derisk(['match', 'accept', '00000000-0000-4000-8000-000000000000', '--org', 'uni-x'], b);
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /no correction 00000000-0000-4000-8000-000000000000 received/);

  // A withdraws it: X goes back to the shared answer in uni-a's view (the organisations it was shared with are told of by no count),
  // its next feed retracts it, and B's listing says when, by whom, via whom, why and how it came.
  assert.match(
    ok(derisk(['match', 'withdraw', shared, '--reason', 'the web page was out of date', '--org', 'uni-a'], a)),
    /applied to uni-a's view of the evidence: 1 string\(s\) answered differently, 1 work\(s\) counted differently; the views of the organisations it was shared with were rebuilt too \(their counts are theirs\)$/,
  );
  ok(derisk(['exchange', 'publish', feed], a));
  assert.match(ok(derisk(['exchange', 'pull'], b)), /1 match correction\(s\) retracted by their publisher/);
  assert.match(
    ok(derisk(['match', 'received', '--org', 'uni-x'], b)),
    new RegExp(
      `^${shared}  retracted \\d{4}-\\d\\d-\\d\\d \\(applies to nobody\\)  signed .*\\n  retracted \\d{4}-\\d\\d-\\d\\d by .+ via Alpha platform, taken in by the pull of ${feed.replaceAll('/', '\\/')} on \\d{4}-\\d\\d-\\d\\d: its publisher no longer shares it: withdrawn, superseded by a later correction or shared less widely there`,
    ),
  );
});

test('a shared correction withdrawn or superseded goes out only as its retraction: a subscriber pulls nothing it could accept', async () => {
  const [a, b] = await Promise.all([installation(), installation()]);
  const key = /key: (ed25519:\S+)/.exec(ok(derisk(['exchange', 'keys', '--publisher', 'Alpha platform'], a)))![1]!;
  const share = (raw: string, reason: string) => {
    const id = ok(derisk(['match', 'correct', raw, TSINGHUA, '--reason', reason, '--org', 'uni-a'], a)).split(/\s/)[0]!;
    ok(derisk(['exchange', 'share', 'correction', id, '--distribution', 'community', '--tlp', 'green', '--org', 'uni-a'], a));
    return id;
  };
  const withdrawn = share(X, 'WITHDRAWN-REASON the lab is at Tsinghua');
  ok(derisk(['match', 'withdraw', withdrawn, '--reason', 'the web page was out of date', '--org', 'uni-a'], a));
  share('Perception Group, Haidian', 'SUPERSEDED-REASON checked its web page');
  // The later correction is not shared: it still ends the shared one.
  ok(derisk(['match', 'correct', 'PERCEPTION GROUP; HAIDIAN', 'none', '--reason', 'a company lab after all', '--org', 'uni-a'], a));

  const feed = join(tempDir(), 'feed');
  assert.match(ok(derisk(['exchange', 'publish', feed], a)), /0 match corrections/);
  const text = readdirSync(feed)
    .map((f) => readFileSync(join(feed, f), 'utf8'))
    .join('\n');
  // Each is in the feed only as its retraction (MISP `deleted`, STIX `revoked`), for a subscriber that pulled it before.
  // Objects holding the mark, each with whether it sits inside a retraction (itself or an enclosing object).
  const carrying = (node: unknown, mark: string, retracted = false): boolean[] => {
    if (Array.isArray(node)) return node.flatMap((n) => carrying(n, mark, retracted));
    if (node === null || typeof node !== 'object') return [];
    const o = node as Record<string, unknown>;
    const here = retracted || o.deleted === true || o.revoked === true;
    return Object.values(o).some((v) => typeof v === 'string' && v.includes(mark)) ? [here] : Object.values(o).flatMap((v) => carrying(v, mark, here));
  };
  const docs = readdirSync(feed)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(feed, f), 'utf8')) as unknown);
  for (const mark of ['WITHDRAWN-REASON', 'SUPERSEDED-REASON']) {
    const items = carrying(docs, mark);
    assert.ok(text.includes(mark) === items.length > 0, `${mark}: found where the feed's JSON holds it`);
    assert.ok(
      items.every((retracted) => retracted),
      `${mark} goes out only inside a retraction`,
    );
  }

  ok(derisk(['exchange', 'subscribe', feed, '--key', key], b));
  ok(derisk(['exchange', 'pull'], b));
  assert.deepEqual(JSON.parse(ok(derisk(['match', 'received', '--org', 'uni-x', '--json'], b))), []);
  const accept = derisk(['match', 'accept', withdrawn, '--org', 'uni-x'], b);
  assert.notEqual(accept.status, 0);
  assert.match(accept.stderr, new RegExp(`no correction ${withdrawn} received`));
});
