import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { copubYears, listedWorks } from '../../src/assessment/evidence.ts';
import { loadTaxonomy } from '../../src/fields/taxonomy.ts';
import { ingestWorks } from '../../src/ingest/pipeline.ts';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { resolvePending } from '../../src/resolve/apply.ts';
import { AffiliationResolver } from '../../src/resolve/matcher.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { loadWeights, portfolio } from '../../src/screening/portfolio.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { refreshAnalytics } from '../../src/store/refresh.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { rorRecord } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';

const WUHAN = '033vjfk17';
const ZHONGNAN = '01v5mqw79';
const HARBIN = '01yqg2h08';
const REGISTRY = [rorRecord(WUHAN, 'Wuhan University', 'CN', 'Wuhan'), { ...rorRecord(ZHONGNAN, 'Zhongnan Hospital of Wuhan University', 'CN', 'Wuhan'), types: ['healthcare'] }, rorRecord(HARBIN, 'Harbin Institute of Technology', 'CN', 'Harbin')];
const AFF = {
  wuhan: 'Wuhan Univ, Sch Comp Sci, Wuhan 430072, Peoples R China',
  // One string for two institutions, as OpenAlex ties it: the university and its hospital.
  hospital: 'Wuhan Univ, Zhongnan Hosp, Dept Nephrol, Wuhan 430072, Peoples R China',
  harbin: 'Harbin Inst Technol, Sch Comp Sci & Technol, Harbin 150001, Peoples R China',
};
const work = (id: string, affs: (keyof typeof AFF)[]) =>
  JSON.stringify({ id: `https://openalex.org/${id}`, doi: `10.5555/own.${id.toLowerCase()}`, display_name: `Work ${id}`, publication_year: 2023, authorships: affs.map((a, i) => ({ author: { display_name: `Author ${i + 1} of ${id}` }, raw_affiliation_strings: [AFF[a]] })) });

async function wuhanStore(works: string[]): Promise<Store> {
  const home = tempDir();
  const store = await Store.open(join(home, 'derisk.duckdb'));
  await ingestRegistry(store, writeTemp('ror.jsonl', REGISTRY.map((r) => JSON.stringify(r)).join('\n')));
  await ingestWorks(store, 'openalex', writeTemp('works.jsonl', works.join('\n')), { quarantineDir: join(home, 'q') });
  await resolvePending(store, new AffiliationResolver(await loadRegistry(store)));
  await refreshAnalytics(store);
  await saveLists(store, [
    readWatchlist(
      watchlist([
        { name: 'Wuhan University', level: 'medium', ror_ids: [WUHAN] },
        { name: 'Harbin Institute of Technology', level: 'high', ror_ids: [HARBIN] },
      ]),
    ),
  ]);
  await screenPending(store, await screeningContext(store));
  return store;
}

const listedIn = async (store: Store, rorId: string) => (await copubYears(store, [rorId], 2021, 2025)).get(rorId)!.reduce((n, y) => n + y.listed, 0);

test('a verdict counts the co-publications with listed entities that the partner’s portfolio flags, and no more', async () => {
  const store = await wuhanStore([work('W1', ['wuhan', 'hospital']), work('W2', ['wuhan', 'harbin'])]);
  try {
    const flagged = (await portfolio(store, { institution: WUHAN }, loadWeights(loadTaxonomy()))).flagged.map((w) => w.workId);
    assert.deepEqual(flagged, ['doi:10.5555/own.w2']);
    assert.equal(await listedIn(store, WUHAN), flagged.length);
  } finally {
    store.close();
  }
});

test('a partner whose own hospital is its only listed co-author has no co-publication with a listed entity other than itself', async () => {
  const store = await wuhanStore([work('W1', ['wuhan', 'hospital'])]);
  try {
    assert.equal(await listedIn(store, WUHAN), 0);
    // The hospital, for its part, co-published with the listed university.
    assert.equal(await listedIn(store, ZHONGNAN), 1);
  } finally {
    store.close();
  }
});

test('a store whose listed affiliations were kept per work and institution, by a version before, counts as this one does once opened', async () => {
  const built = await wuhanStore([work('W1', ['wuhan', 'hospital']), work('W2', ['wuhan', 'harbin'])]);
  // As such a version left it: no author affiliation in the rows, the partner's own hospital counted as another listed entity, no definition noted.
  await built.run('CREATE OR REPLACE TABLE listed_affiliations AS SELECT DISTINCT work_id, year, ror_id FROM listed_affiliations');
  await built.run('UPDATE institution_listed_copubs SET listed = works');
  await built.run(`DELETE FROM meta WHERE key = 'listed_definition'`);
  built.close();
  const store = await Store.open(built.path);
  try {
    assert.equal(await listedIn(store, WUHAN), 1);
    assert.ok(await store.one(`SELECT 1 FROM duckdb_columns() WHERE table_name = 'listed_affiliations' AND column_name = 'author_seq'`));
  } finally {
    store.close();
  }
});

test('a verdict keeps the works behind its count, each with the listed affiliation of another entity that made it count', async () => {
  const store = await wuhanStore([work('W1', ['wuhan', 'hospital']), work('W2', ['wuhan', 'harbin']), work('W3', ['wuhan']), work('W4', ['harbin', 'wuhan'])]);
  try {
    const works = await listedWorks(store, [WUHAN, ZHONGNAN], 2021, 2025);
    const harbin = [{ affiliation: AFF.harbin, hits: [{ list: 'my-watchlist', entry: 'Harbin Institute of Technology', level: 'high' }] }];
    assert.deepEqual(works[WUHAN], [
      { workId: 'doi:10.5555/own.w2', year: 2023, title: 'Work W2', listed: harbin },
      { workId: 'doi:10.5555/own.w4', year: 2023, title: 'Work W4', listed: harbin },
    ]);
    // The hospital's count is the university's work: the shared string is its own, the university's alone is another listed entity.
    assert.deepEqual(
      works[ZHONGNAN]?.map((w) => [w.workId, w.listed.map((l) => l.affiliation)]),
      [['doi:10.5555/own.w1', [AFF.wuhan]]],
    );
    assert.equal(works[WUHAN]!.length, await listedIn(store, WUHAN), 'as many works as the count');
    // Bounded: the first of each institution by year and id, the count telling how many there are.
    assert.deepEqual(await listedWorks(store, [WUHAN], 2024, 2025), {});
    assert.deepEqual(
      (await listedWorks(store, [WUHAN, ZHONGNAN], 2021, 2025, 1))[WUHAN]!.map((w) => w.workId),
      ['doi:10.5555/own.w2'],
    );
  } finally {
    store.close();
  }
});
