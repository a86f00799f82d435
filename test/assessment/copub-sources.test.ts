import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Assessment } from '../../src/assessment/assess.ts';
import { Assessor } from '../../src/assessment/assessor.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { clickHouseCopubYears, clickHouseListedWorks } from '../../src/assessment/clickhouse.ts';
import { copubYears, listedWorks } from '../../src/assessment/evidence.ts';
import { copubWorksLines, reportHtml } from '../../src/assessment/report.ts';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { loadRegistry } from '../../src/ingest/registry.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import type { CaseService } from '../../src/service/cases.ts';
import { ClickHouseEvidence } from '../../src/store/clickhouse.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import type { Store } from '../../src/store/store.ts';
import { caseService, GREEN_CASE, OFFICER } from '../helpers/cases.ts';
import { startClickHouseCluster } from '../helpers/clickhouse.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { AFF, landscapeStore } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';

const MIT = '042nb2s44';
const MIT_CASE = { ...GREEN_CASE, title: 'Graph theory with MIT', partners: [GREEN_CASE.partners[0]!, { ror: MIT, role: 'partner', country: 'US' }] };
const DOI = '10.5555/two-sources.50';

// One work, three sources. OpenAlex (the preferred record, 2023): MIT and three Tsinghua authors with the one
// listed string. Scopus (2020, out of the window) and Web of Science (2023) name other Tsinghua strings: were
// records mixed, the work would count twice, move to 2020, or show those strings.
const OPENALEX = {
  id: 'https://openalex.org/W50',
  doi: `https://doi.org/${DOI}`,
  title: 'Graphs across three sources',
  publication_year: 2023,
  authorships: [AFF.mit, AFF.thu, AFF.thu, AFF.thu].map((a, i) => ({ author_position: i === 0 ? 'first' : 'middle', is_corresponding: i === 0, raw_affiliation_strings: [a] })),
};
// Each export ends in a line break, as exported: a last line without one may be cut short.
const SCOPUS = [
  'Authors,Title,Year,DOI,Affiliations,Authors with affiliations,Document Type,EID',
  `"Smith J., Li W.","Graphs across three sources","2020","${DOI.toUpperCase()}","${AFF.mit}; Tsinghua University, Department of Computer Science, Beijing, China","Smith, J., ${AFF.mit}; Li, W., Tsinghua University, Department of Computer Science, Beijing, China","Article","2-s2.0-85000000950"`,
  '',
].join('\n');
const WOS = [
  ['PT', 'AU', 'AF', 'TI', 'SO', 'DT', 'C1', 'PY', 'DI', 'UT'].join('\t'),
  ['J', 'Smith, J; Li, W', 'Smith, John; Li, Wei', 'Graphs across three sources', 'GRAPHS', 'Article', '[Smith, John] MIT, Cambridge, MA 02139 USA; [Li, Wei] Tsinghua Univ, Dept Comp Sci, Beijing 100084, Peoples R China', '2023', DOI, 'WOS:000800000000950'].join('\t'),
  '',
].join('\n');

let store: Store;
let cases: CaseService;
let assessor: Assessor;
let close: () => Promise<void>;

before(async () => {
  const home = tempDir();
  store = await landscapeStore(home, [OPENALEX]);
  await ingestWorks(store, 'scopus', writeTemp('scopus.csv', SCOPUS), { quarantineDir: `${home}/q` });
  await ingestWorks(store, 'wos', writeTemp('wos.txt', WOS), { quarantineDir: `${home}/q` });
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
  await refreshAnalytics(store);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', level: 'high' }]))]);
  await screenPending(store, await screeningContext(store));
  const service = await caseService(store, home);
  ({ cases, assessor } = service);
  close = async () => {
    await service.db.close();
    store.close();
  };
});
after(() => close());

const assessed = async (): Promise<Assessment> => (await cases.assess(OFFICER, (await cases.create(OFFICER, MIT_CASE)).id, '2026-11-22')).result;

test('the three records of the work are in the store, as one work of 2023 whose author list is OpenAlex’s', async () => {
  const records = await store.all<{ source: string }>(`SELECT source FROM record_works WHERE work_id = $1 ORDER BY source`, [`doi:${DOI}`]);
  assert.deepEqual(
    records.map((r) => r.source),
    ['openalex', 'scopus', 'wos'],
  );
  assert.deepEqual(await store.all(`SELECT work_id, source, year FROM works WHERE doi = $1`, [DOI]), [{ work_id: `doi:${DOI}`, source: 'openalex', year: 2023 }]);
});

test('a work arriving from OpenAlex, Scopus and Web of Science counts once, in its own year, with its own affiliations', async () => {
  const result = await assessed();
  // MIT in 2021–2025: W3 (listed), W4 and W6 of the landscape, and this work (listed).
  assert.equal(result.evidence!.facts['copubs.listed_5y'], 2);
  assert.equal(result.evidence!.facts['copubs.partner_works_5y'], 4);
  const [mit] = result.evidence!.copubWorks!;
  assert.equal(mit!.listed, 2);
  assert.deepEqual(
    mit!.works.map((w) => [w.workId, w.year]),
    [
      ['doi:10.5555/landscape.3', 2021],
      [`doi:${DOI}`, 2023],
    ],
  );
  assert.deepEqual(mit!.works[1], {
    workId: `doi:${DOI}`,
    year: 2023,
    title: 'Graphs across three sources',
    listed: [{ affiliation: AFF.thu, hits: [{ list: 'my-watchlist', entry: 'Tsinghua University', level: 'high' }], authors: 3 }],
    // Not counted, but never silent: the other sources' records and what they differ in (WoS's abbreviated strings resolve to other institutions).
    sources: {
      kept: 'openalex',
      others: [
        { source: 'wos', sourceId: 'WOS:000800000000950', differs: ['institutions'] },
        { source: 'scopus', sourceId: '2-s2.0-85000000950', differs: ['year'] },
      ],
    },
  });
});

test('the printout and the report show a listed affiliation once per work, with how many authors it names', async () => {
  const result = await assessed();
  const [lines] = copubWorksLines(result)!;
  assert.deepEqual(lines!.works, [
    `2021 (no title in the store) [doi:10.5555/landscape.3] — with "${AFF.thu}" (Tsinghua University on my-watchlist, high)`,
    `2023 Graphs across three sources [doi:${DOI}] — with "${AFF.thu}" (Tsinghua University on my-watchlist, high; 3 authors) (counted as OpenAlex records it; also recorded by Web of Science WOS:000800000000950, differs in institutions; Scopus 2-s2.0-85000000950, differs in year)`,
  ]);
  const html = reportHtml(assessor.validate(MIT_CASE), result);
  assert.equal(html.split('Tsinghua University, Beijing, China&quot; (Tsinghua University on my-watchlist, high; 3 authors)').length, 2);
  // A verdict stored before verdicts merged them keeps one entry per author affiliation: the report merges them.
  const kept = result.evidence!.copubWorks!;
  const one = { affiliation: AFF.thu, hits: [{ list: 'my-watchlist', entry: 'Tsinghua University', level: 'high' }] };
  const older = { ...result, evidence: { ...result.evidence!, copubWorks: kept.map((p) => ({ ...p, works: p.works.map((w) => (w.workId === `doi:${DOI}` ? { ...w, listed: [one, one, one] } : w)) })) } };
  assert.equal(copubWorksLines(older)![0]!.works[1], lines!.works[1]);
});

test('on a ClickHouse cluster the work counts once too, and the verdict is the embedded store’s', async () => {
  const cluster = await startClickHouseCluster();
  const evidence = await ClickHouseEvidence.connect(`${cluster.url}&shards=${cluster.httpPorts.map((p) => `127.0.0.1:${p}`).join(',')}`);
  try {
    await evidence.publish(store);
    assert.deepStrictEqual([...(await clickHouseCopubYears(evidence, [MIT], 2021, 2025))], [...(await copubYears(store, [MIT], 2021, 2025))]);
    const works = await listedWorks(store, [MIT], 2021, 2025);
    assert.equal(works[MIT]!.length, 2);
    assert.deepStrictEqual(await clickHouseListedWorks(evidence, [MIT], 2021, 2025), works);
    const parts = { store, screening: await screeningContext(store), bundle: loadBundle() };
    const c = assessor.validate(MIT_CASE);
    assert.deepStrictEqual(await new Assessor({ ...parts, clickhouse: evidence }).run(c, '2026-11-22'), await new Assessor(parts).run(c, '2026-11-22'));
  } finally {
    await evidence.close();
    await cluster.stop();
  }
});
