import assert from 'node:assert/strict';
import { test } from 'node:test';
import { publishFailureMessage } from '../../src/cli/ingest.ts';
import { ClickHouseEvidence } from '../../src/store/clickhouse.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';

// An unreachable evidence cluster (nothing listens on port 1): derisk says so in one line of its
// own, and the ClickHouse client prints no stack dump of its own before it.
const UNREACHABLE = 'clickhouse://127.0.0.1:1/derisk?cluster=c1';

test('the ClickHouse client prints nothing of a failed request: the caller gets the error and reports it', async () => {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  try {
    await assert.rejects(ClickHouseEvidence.connect(UNREACHABLE), /ECONNREFUSED/);
  } finally {
    process.stderr.write = write;
  }
  assert.deepEqual(written, [], 'nothing printed on stderr');
});

test('the message of a failed publish: the ingest is kept, which cluster, why, what to do; one line, no credentials', () => {
  const e = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1\n    at TCPConnectWrap.afterConnect'), { code: 'ECONNREFUSED' });
  const m = publishFailureMessage('clickhouse://derisk:s3cret@127.0.0.1:1/derisk?cluster=c1', e);
  assert.match(m, /^the ingest is kept in the local store, but the ClickHouse evidence store at 127\.0\.0\.1:1 was not published to \(connect ECONNREFUSED 127\.0\.0\.1:1\); .*run `derisk ingest` again/);
  assert.doesNotMatch(m, /\n|s3cret|TCPConnectWrap/);
});

test('derisk ingest with the cluster unreachable: the works are kept, exit 1, one line saying so and no stack dump', () => {
  const home = tempDir();
  const works = writeTemp('works.jsonl', JSON.stringify({ id: 'https://openalex.org/W77', doi: '10.5555/cli.w77', display_name: 'Joint work', publication_year: 2026, authorships: [{ author: { display_name: 'A' }, raw_affiliation_strings: ['KU Leuven, Leuven, Belgium'] }] }) + '\n');
  const r = derisk(['ingest', 'openalex', works], { DERISK_HOME: home, DERISK_EVIDENCE_URL: UNREACHABLE });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /1 records kept/);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('derisk: ') && /ClickHouse|ECONNREFUSED/.test(l));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^derisk: the ingest is kept in the local store, but the ClickHouse evidence store at 127\.0\.0\.1:1 was not published to \(connect ECONNREFUSED 127\.0\.0\.1:1\)/);
  assert.doesNotMatch(r.stderr, /^\s+at |Caused by|\[ERROR\]/m, 'no stack dump');
});
