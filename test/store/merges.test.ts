import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { listedWorks, withRecordNotes } from '../../src/assessment/evidence.ts';
import { copubWorksLines } from '../../src/assessment/report.ts';
import type { Assessment } from '../../src/assessment/assess.ts';
import { loadTaxonomy } from '../../src/fields/taxonomy.ts';
import { loadWeights, portfolio } from '../../src/screening/portfolio.ts';
import { readOpenAlex } from '../../src/ingest/openalex.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { describeMerge, retractedWorks, workMerges } from '../../src/store/merges.ts';
import { Store } from '../../src/store/store.ts';
import { IngestWorkflow, type IngestOutcome } from '../../src/workflows/ingest.ts';
import { derisk } from '../helpers/cli.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { AFF, landscapeStore } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';
import { Readable } from 'node:stream';

const MIT = '042nb2s44';
const THU = '03cve4549';
const OXFORD = '052gg0110';
const SPLIT = '10.5555/merge.split';
const SAME = '10.5555/merge.same';

// Web of Science has the split work in 2022 with MIT (US) and Tsinghua (CN) authors; OpenAlex, the preferred
// record, has it in 2023 with an Oxford (GB) author too: counted as OpenAlex records it, the WoS record differs in
// all three. The other work both sources give alike. OpenAlex marks the split work retracted.
const OPENALEX = [
  { id: 'https://openalex.org/W71', doi: `https://doi.org/${SPLIT}`, title: 'Split across sources', publication_year: 2023, is_retracted: true, authorships: [AFF.mit, AFF.thu, AFF.oxford].map((a) => ({ raw_affiliation_strings: [a] })) },
  { id: 'https://openalex.org/W72', doi: `https://doi.org/${SAME}`, title: 'Alike in both', publication_year: 2022, is_retracted: false, authorships: [AFF.mit, AFF.thu].map((a) => ({ raw_affiliation_strings: [a] })) },
];
const WOS = [
  ['PT', 'AU', 'AF', 'TI', 'SO', 'DT', 'C1', 'PY', 'DI', 'UT'].join('\t'),
  ['J', 'Smith, J; Li, W', 'Smith, John; Li, Wei', 'Split across sources', 'GRAPHS', 'Article', `[Smith, John] ${AFF.mit}; [Li, Wei] ${AFF.thu}`, '2022', SPLIT, 'WOS:000800000000071'].join('\t'),
  ['J', 'Smith, J; Li, W', 'Smith, John; Li, Wei', 'Alike in both', 'GRAPHS', 'Article', `[Smith, John] ${AFF.mit}; [Li, Wei] ${AFF.thu}`, '2022', SAME, 'WOS:000800000000072'].join('\t'),
  '',
].join('\n');

let home: string;
let store: Store;
let outcome: IngestOutcome;

before(async () => {
  home = tempDir();
  store = await landscapeStore(home, OPENALEX);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', level: 'high' }]))]);
  await screenPending(store, await screeningContext(store));
  const workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'q2') });
  try {
    outcome = await workflow.run({ scope: { kind: 'shared' }, kind: 'wos', files: [{ path: writeTemp('wos.txt', WOS) }] });
  } finally {
    await workflow.close();
  }
});
let closed = false;
after(() => closed || store.close());

test('the ingest says how many of its works another source recorded too, and how many of those differ and in what', () => {
  assert.deepEqual(outcome.merges, { merged: 2, differing: 1, year: 1, countries: 1, institutions: 1 });
});

// Found running the demo (round 32): its last ingest names no file, only resolves and refreshes, and the merge report
// asked DuckDB for an empty list parameter it cannot type ("Cannot create lists with item type of ANY").
test('an ingest that names no file reports no merges, and succeeds', async () => {
  assert.deepEqual(await workMerges(store, { fileIds: [] }), []);
  assert.deepEqual(await workMerges(store, { workIds: [] }), []);
  const workflow = new IngestWorkflow(store, { quarantineDir: join(home, 'q3') });
  try {
    const none = await workflow.run({ scope: { kind: 'shared' }, kind: 'openalex', files: [] });
    assert.deepEqual(none.merges, { merged: 0, differing: 0, year: 0, countries: 0, institutions: 0 });
  } finally {
    await workflow.close();
  }
});

test('the merge report lists each merged work: the record counted, and what the other record says that it does not', async () => {
  const merges = await workMerges(store, 'all');
  assert.deepEqual(merges, [
    {
      workId: `doi:${SAME}`,
      doi: SAME,
      kept: { source: 'openalex', sourceId: 'W72', year: 2022, countries: ['CN', 'US'], institutions: [THU, MIT].sort() },
      others: [{ source: 'wos', sourceId: 'WOS:000800000000072', year: 2022, countries: ['CN', 'US'], institutions: [THU, MIT].sort(), differs: [] }],
    },
    {
      workId: `doi:${SPLIT}`,
      doi: SPLIT,
      kept: { source: 'openalex', sourceId: 'W71', year: 2023, countries: ['CN', 'GB', 'US'], institutions: [OXFORD, THU, MIT].sort() },
      others: [{ source: 'wos', sourceId: 'WOS:000800000000071', year: 2022, countries: ['CN', 'US'], institutions: [THU, MIT].sort(), differs: ['year', 'countries', 'institutions'] }],
    },
  ]);
  assert.match(describeMerge(merges[1]!), /^doi:10\.5555\/merge\.split: counted as OpenAlex W71 records it \(year 2023, countries CN GB US, .*\); also recorded by Web of Science WOS:000800000000071, differs in year, countries, institutions \(year 2022, countries CN US, /);
  // The work counts once, as its preferred record gives it: in 2023, with its British author.
  assert.deepEqual(await store.all(`SELECT DISTINCT country_code, year FROM work_institutions WHERE work_id = $1 ORDER BY country_code`, [`doi:${SPLIT}`]), [
    { country_code: 'CN', year: 2023 },
    { country_code: 'GB', year: 2023 },
    { country_code: 'US', year: 2023 },
  ]);
});

test('OpenAlex’s is_retracted is read: the retracted work is flagged, and a work not retracted is not', async () => {
  assert.deepEqual([...(await retractedWorks(store, [`doi:${SPLIT}`, `doi:${SAME}`, 'doi:10.5555/landscape.3']))], [`doi:${SPLIT}`]);
  const read = async (work: object) => {
    for await (const item of readOpenAlex(Readable.from([Buffer.from(JSON.stringify(work))]))) return item;
    throw new Error('nothing read');
  };
  const base = { id: 'https://openalex.org/W9', authorships: [] };
  const retracted = async (work: object) => {
    const item = await read(work);
    return item.ok ? item.record.retracted : item.reason;
  };
  assert.equal(await retracted({ ...base, is_retracted: true }), true);
  assert.equal(await retracted({ ...base, is_retracted: false }), false);
  assert.equal(await retracted(base), null);
  assert.equal(await retracted({ ...base, is_retracted: 'yes' }), 'is_retracted is not true or false: "yes"');
});

test('a verdict’s listed works say a work is retracted and which other source recorded it, differing in what', async () => {
  const works = await withRecordNotes(store, await listedWorks(store, [MIT], 2021, 2025));
  const [same, split] = works[MIT]!.filter((w) => w.workId.startsWith('doi:10.5555/merge.'));
  assert.deepEqual([same!.retracted, same!.sources], [undefined, { kept: 'openalex', others: [{ source: 'wos', sourceId: 'WOS:000800000000072', differs: [] }] }]);
  assert.deepEqual([split!.retracted, split!.sources], [true, { kept: 'openalex', others: [{ source: 'wos', sourceId: 'WOS:000800000000071', differs: ['year', 'countries', 'institutions'] }] }]);
  const a = { evidence: { copubWorks: [{ partner: 'MIT', rorId: MIT, listed: 2, window: [2021, 2025], works: [same, split] }] } } as unknown as Assessment;
  assert.deepEqual(copubWorksLines(a)![0]!.works, [
    `2022 Alike in both [doi:${SAME}] — with "${AFF.thu}" (Tsinghua University on my-watchlist, high) (counted as OpenAlex records it; also recorded by Web of Science WOS:000800000000072)`,
    `RETRACTED 2023 Split across sources [doi:${SPLIT}] — with "${AFF.thu}" (Tsinghua University on my-watchlist, high) (marked retracted by its source: it counts, as the co-authorship happened, but the evidence is retracted; counted as OpenAlex records it; also recorded by Web of Science WOS:000800000000071, differs in year, countries, institutions)`,
  ]);
});

test('a portfolio flags its retracted co-publications, and only those', async () => {
  const p = await portfolio(store, { institution: MIT }, loadWeights(loadTaxonomy()));
  const mine = p.flagged.filter((w) => w.workId.startsWith('doi:10.5555/merge.')).map((w) => [w.workId, w.retracted]);
  assert.deepEqual(
    mine,
    [
      [`doi:${SPLIT}`, true],
      [`doi:${SAME}`, undefined],
    ].sort(),
  );
});

test('a store made before retractions were kept opens, and reads no work as retracted', async () => {
  const dir = tempDir();
  const old = await Store.open(join(dir, 'old.duckdb'));
  // As a store of the schema before: without the table, and with that schema's digest.
  await old.run(`DROP TABLE record_retracted; UPDATE meta SET value = 'before-retractions' WHERE key = 'schema_digest'`);
  old.close();
  const reopened = await Store.open(join(dir, 'old.duckdb'));
  try {
    assert.deepEqual(await reopened.all(`SELECT count(*)::INTEGER AS n FROM record_retracted`), [{ n: 0 }]);
  } finally {
    reopened.close();
  }
});

test('derisk merges lists the works whose sources differ, and one DOI’s records as JSON', () => {
  // Last: the command opens the store file itself.
  store.close();
  closed = true;
  const env = { DERISK_HOME: home, DERISK_MIRROR: process.env.DERISK_MIRROR ?? '' };
  const listed = derisk(['merges', '--differing'], env);
  assert.equal(listed.status, 0, listed.stderr);
  const lines = listed.stdout.trim().split('\n');
  assert.deepEqual([lines.length, lines[0]], [2, '2 works recorded by more than one source, each counted once by its preferred record (OpenAlex, then Web of Science, then Scopus); 1 differ (year 1, countries 1, institutions 1)']);
  assert.match(lines[1]!, /^doi:10\.5555\/merge\.split: counted as OpenAlex W71 .* differs in year, countries, institutions/);
  const one = derisk(['merges', '--doi', `https://doi.org/${SAME.toUpperCase()}`, '--json'], env);
  assert.equal(one.status, 0, one.stderr);
  const { works } = JSON.parse(one.stdout) as { works: { workId: string; others: { differs: string[] }[] }[] };
  assert.deepEqual(
    works.map((w) => [w.workId, w.others.map((o) => o.differs)]),
    [[`doi:${SAME}`, [[]]]],
  );
  assert.equal(derisk(['merges', '--doi', 'not-a-doi'], env).status, 2);
});
