import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadRegions } from '../../src/regions/regions.ts';
import { Store } from '../../src/store/store.ts';
import { copublications } from '../../src/indicators/copubs.ts';
import { NO_FILTERS } from '../../src/indicators/filters.ts';
import { checkFacts, tooFewToJudge } from '../../src/indicators/facts.ts';
import { SMALL_SAMPLE } from '../../src/indicators/corpus.ts';
import { parseFilters } from '../../src/indicators/filters.ts';
import { copublicationWorks, countryBreakdown, fieldBreakdown, funders, leadership, publicationsByRegion, topInstitutions, topPairs } from '../../src/indicators/landscape.ts';
import { loadTaxonomy } from '../../src/fields/taxonomy.ts';
import { join } from 'node:path';
import { indicatorsOf } from '../../src/indicators/catalog.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { AFF, landscapeStore, rorRecord } from '../helpers/landscape.ts';
import { derisk } from '../helpers/cli.ts';

let store: Store;
const regions = loadRegions();
const home = tempDir();

before(async () => {
  store = await landscapeStore(home);
});
after(() => store.close());

test('co-publications by region pair, full and fractional', async () => {
  assert.deepEqual(await copublications(store, regions, 'EU27AC', 'CN'), [
    { year: 2021, full: 2, fractional: 2 },
    { year: 2022, full: 3, fractional: 2.6667 },
  ]);
  assert.deepEqual(await copublications(store, regions, 'US', 'CN'), [
    { year: 2021, full: 1, fractional: 1 },
    { year: 2022, full: 1, fractional: 0.6667 },
  ]);
  assert.deepEqual(await copublications(store, regions, 'EU27AC', 'CN', parseFilters({ from: '2022' })), [{ year: 2022, full: 3, fractional: 2.6667 }]);
});

test('publications per year by region', async () => {
  const rows = await publicationsByRegion(store, regions, ['CN', 'US']);
  assert.deepEqual(
    rows.map((r) => [r.region, r.year, r.full]),
    [
      ['CN', 2021, 3],
      ['CN', 2022, 4],
      ['US', 2021, 2],
      ['US', 2022, 1],
    ],
  );
});

test('top institutions with their main partner, with and without roll-up to parents', async () => {
  const plain = await topInstitutions(store, regions, 'EU27AC', 'CN', 5);
  assert.deepEqual(
    plain.map((t) => [t.name, t.copublications, t.mainPartnerName, t.withMainPartner]),
    [
      ['Delft University of Technology', 3, 'Tsinghua University', 2],
      ['University of Oxford', 2, 'Institute of Automation', 1],
    ],
  );
  const rolled = await topInstitutions(store, regions, 'EU27AC', 'CN', 5, parseFilters({ rollup: true }));
  assert.deepEqual(
    rolled.map((t) => [t.name, t.mainPartnerName, t.withMainPartner]),
    [
      ['Delft University of Technology', 'Tsinghua University', 2],
      ['University of Oxford', 'Chinese Academy of Sciences', 2],
    ],
  );
  const pairs = await topPairs(store, regions, 'EU27AC', 'CN', 1);
  assert.deepEqual(
    pairs.map((p) => [p.aName, p.bName, p.copublications]),
    [['Delft University of Technology', 'Tsinghua University', 2]],
  );
});

test('country breakdown within EU27/AC of its co-publications with China', async () => {
  const shares = await countryBreakdown(store, regions, 'EU27AC', 'CN');
  assert.deepEqual(
    shares.map((s) => [s.countryCode, s.copublications, s.share]),
    [
      ['NL', 3, 0.6],
      ['GB', 2, 0.4],
    ],
  );
});

test('works are tagged with fields by the taxonomy rules; indicators filter by field', async () => {
  const fields = await fieldBreakdown(store, regions, 'EU27AC', 'CN');
  const byId = new Map(fields.map((f) => [f.fieldId, f]));
  assert.equal(byId.get('ai-image-processing')?.copublications, 1, 'W5 scores below the concept threshold');
  assert.equal(byId.get('ai-image-processing')?.share, 0.2);
  assert.equal(byId.get('networking-telecommunications')?.copublications, 1);
  assert.deepEqual(await copublications(store, regions, 'EU27AC', 'CN', parseFilters({ field: 'ai-image-processing' })), [{ year: 2021, full: 1, fractional: 1 }]);
});

test('who leads: first and corresponding authors by region, funders, and the works behind a figure', async () => {
  // Co-publications W1, W2, W5, W6, W9: the European author is first in all five, the last
  // (corresponding) author is Chinese in W1, W2, W5, W9 and American in W6.
  const lead = await leadership(store, regions, 'EU27AC', 'CN');
  assert.deepEqual(
    lead.map((l) => [l.role, l.region, l.works, l.share]),
    [
      ['first author', 'EU27AC', 5, 1],
      ['corresponding author', 'CN', 4, 0.8],
    ],
  );
  assert.deepEqual(await funders(store, regions, 'EU27AC', 'CN', 5), [{ funder: 'National Natural Science Foundation of China', works: 1 }]);
  const oxford = await copublicationWorks(store, regions, 'EU27AC', 'CN', NO_FILTERS, '052gg0110');
  assert.deepEqual(
    oxford.map((w) => [w.workId, w.institutions]),
    [
      ['doi:10.5555/landscape.1', ['Institute of Automation', 'University of Oxford']],
      ['doi:10.5555/landscape.5', ['Chinese Academy of Sciences', 'University of Oxford']],
    ],
  );
  const viaParent = await copublicationWorks(store, regions, 'EU27AC', 'CN', parseFilters({ rollup: true }), '034t30j35');
  assert.deepEqual(
    viaParent.map((w) => w.workId),
    ['doi:10.5555/landscape.1', 'doi:10.5555/landscape.5', 'doi:10.5555/landscape.6'],
  );
});

test('an institution the source names by a ROR id the registry lacks is shown by the name the source gave, never as a bare id, in the country the string gives', async () => {
  // OpenAlex ties authorships to Danfoss (004hb4039, absent from the partial registry) and places it in China; another id it names without a name.
  const openalexWork = (n: number, institutions: object[], raw?: string) => ({
    id: `https://openalex.org/W${n}`,
    doi: `10.5555/unregistered.${n}`,
    publication_year: 2022,
    authorships: [
      { author_position: 'first', raw_affiliation_strings: [AFF.delft] },
      { author_position: 'last', institutions, countries: ['CN'], ...(raw ? { raw_affiliation_strings: [raw] } : {}) },
    ],
  });
  const danfoss = { id: 'https://openalex.org/I1', display_name: 'Danfoss', ror: 'https://ror.org/004hb4039', country_code: 'CN' };
  const nameless = { id: 'https://openalex.org/I2', ror: 'https://ror.org/0unnamed0', country_code: 'CN' };
  const own = await landscapeStore(tempDir(), [
    openalexWork(20, [danfoss], 'Danfoss Power Electronics, Tianjin, China'),
    openalexWork(21, [danfoss], 'Danfoss Power Electronics, Tianjin, China'),
    openalexWork(22, [nameless], 'Power Electronics Laboratory, Tianjin, China'),
    // Round 48: with no string, only the source places Danfoss in China, which the registry cannot confirm: not a Chinese partner.
    openalexWork(23, [danfoss]),
  ]);
  try {
    const top = await topInstitutions(own, regions, 'CN', 'EU27AC', 10);
    const byId = new Map(top.map((t) => [t.rorId, t]));
    assert.deepEqual([byId.get('004hb4039')?.name, byId.get('004hb4039')?.countryCode, byId.get('004hb4039')?.copublications], ['Danfoss (ROR 004hb4039, not in the loaded registry)', 'CN', 2]);
    assert.deepEqual([byId.get('0unnamed0')?.name, byId.get('0unnamed0')?.countryCode], ['ROR 0unnamed0 (not in the loaded registry)', 'CN']);
    const delft = (await topInstitutions(own, regions, 'EU27AC', 'CN', 1))[0]!;
    assert.equal(delft.name, 'Delft University of Technology');
    const pairs = await topPairs(own, regions, 'CN', 'EU27AC', 10);
    assert.ok(pairs.some((p) => p.aName === 'Danfoss (ROR 004hb4039, not in the loaded registry)' && p.aCountry === 'CN'));
    const works = await copublicationWorks(own, regions, 'EU27AC', 'CN', NO_FILTERS, '004hb4039');
    assert.deepEqual(
      works.map((w) => w.institutions),
      [
        ['Danfoss (ROR 004hb4039, not in the loaded registry)', 'Delft University of Technology'],
        ['Danfoss (ROR 004hb4039, not in the loaded registry)', 'Delft University of Technology'],
      ],
    );
  } finally {
    own.close();
  }
});

test('a taxonomy file with a bad rule is refused naming the file and the field', () => {
  const bad = (fields: unknown[]) => writeTemp('taxonomy.json', JSON.stringify({ provenance: 'test', fields }));
  assert.throws(() => loadTaxonomy(bad([{ id: 'x', name: 'X', family: 't', rules: [{ scheme: 'openalex-concept', pattern: '(' }] }])), /taxonomy\.json: field x: pattern "\(" is not a valid regular expression/);
  assert.throws(() => loadTaxonomy(bad([{ id: 'x', name: 'X', family: 't', rules: [{ scheme: 'dewey', names: ['000'] }] }])), /field x: unknown scheme "dewey"/);
  assert.throws(() => loadTaxonomy(writeTemp('t.json', JSON.stringify({ fields: [] }))), /must carry its provenance/);
  assert.ok(loadTaxonomy().fields.size >= 12, "the brief's fields and the EU's ten critical technology areas");
});

test("the brief's facts are each checked against the data, with what the data says", async () => {
  const facts = new Map((await checkFacts(indicatorsOf(store, regions, loadTaxonomy()))).map((f) => [f.id, f]));
  assert.equal(facts.size, 6);
  assert.equal(facts.get('eu-overtakes-us-2022')!.verdict, 'differs', 'EU27AC–CN was already ahead in 2021 here');
  assert.match(facts.get('eu-overtakes-us-2022')!.dataSays, /2021: EU27AC–CN 2, US–CN 1; 2022: EU27AC–CN 3, US–CN 1/);
  assert.equal(facts.get('uk-share-44')!.verdict, 'agrees', '40% is within 5 points of 44%');
  assert.equal(facts.get('copatents-telecoms')!.verdict, 'not enough data');
  for (const f of facts.values()) assert.match(f.source, /Policy Brief 2/);
});

test('each fact says how many works its verdict rests on, both sides of a comparison, and a handful of works is too few to judge', async () => {
  const facts = new Map((await checkFacts(indicatorsOf(store, regions, loadTaxonomy()))).map((f) => [f.id, f]));
  const overtakes = facts.get('eu-overtakes-us-2022')!;
  assert.deepEqual(overtakes.basis, [
    { of: 'EU27AC–CN co-publications in 2021', works: 2 },
    { of: 'EU27AC–CN co-publications in 2022', works: 3 },
    { of: 'US–CN co-publications in 2021', works: 1 },
    { of: 'US–CN co-publications in 2022', works: 1 },
  ]);
  assert.equal(overtakes.tooFew, true);
  assert.equal(overtakes.judgement, 'few works — too few to judge (the data leans: differs)');
  const share = facts.get('uk-share-44')!;
  assert.deepEqual(share.basis, [{ of: 'EU27AC–CN co-publications', works: 5 }]);
  assert.equal(share.tooFew, true, '"40% of 5 works" agrees by chance');
  // Fractional counting weighs the works, but a verdict still rests on whole works.
  const fractional = new Map((await checkFacts(indicatorsOf(store, regions, loadTaxonomy()), undefined, { filters: NO_FILTERS, counting: 'fractional' })).map((f) => [f.id, f]));
  assert.deepEqual(fractional.get('eu-overtakes-us-2022')!.basis, overtakes.basis);
  const none = facts.get('copatents-telecoms')!;
  assert.equal(none.tooFew, false, 'not enough data is already no judgement');
  assert.equal(none.judgement, 'not enough data');
  // The landscape's threshold, on each side: one small side is enough to withhold the verdict.
  assert.equal(
    tooFewToJudge('agrees', [
      { of: 'a', works: SMALL_SAMPLE },
      { of: 'b', works: SMALL_SAMPLE },
    ]),
    false,
  );
  assert.equal(
    tooFewToJudge('differs', [
      { of: 'a', works: 500 },
      { of: 'b', works: SMALL_SAMPLE - 1 },
    ]),
    true,
  );
});

test("the main-partner fact rests on the works behind each main partner, not on the institutions' co-publications", async () => {
  // 15 universities with 40 co-publications each, whose main partner (CAS) co-authored one of them.
  const top = Array.from({ length: 15 }, (_, i) => ({ rorId: `eu${i}`, name: `University ${i}`, countryCode: 'DE', copublications: 40, mainPartnerId: '034t30j35', mainPartnerName: 'Chinese Academy of Sciences', withMainPartner: i === 7 ? 1 : 2 }));
  const ask = async (request: { name: string }) => (request.name === 'top-institutions' ? top : []);
  const cas = (await checkFacts(ask)).find((f) => f.id === 'cas-main-partner')!;
  assert.equal(cas.verdict, 'differs');
  assert.deepEqual(cas.basis, [{ of: 'co-publications of University 7 with Chinese Academy of Sciences, the fewest behind a main partner of the top 15', works: 1 }]);
  assert.equal(cas.tooFew, true, 'main partners of one or two works are too few to judge');
});

test('bad filters and unknown regions are refused with a message, never an empty result', () => {
  assert.throws(() => parseFilters({ from: '2023', to: '2011' }), /--from 2023 is after --to 2011/);
  assert.throws(() => parseFilters({ from: 'last year' }), /--from must be a year/);
  // Another home: this file's own store is open, and DuckDB admits one process per file.
  const env = { DERISK_HOME: tempDir() };
  const bad = derisk(['indicators', 'copubs', '--regions', 'EU27AC,CN', '--from', '20x1'], env);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--from: "20x1" is not a year \(1900 to 2100\)/);
  const unknown = derisk(['indicators', 'top-institutions', '--regions', 'EU27AC,MARS'], env);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /"MARS" is not a region/);
});

test('`derisk facts` says on how many works each verdict rests, and which are too few to judge', async () => {
  // The CLI opens the store's file itself: this file's connection lets go of it for the run.
  store.close();
  try {
    const run = derisk(['facts'], { DERISK_HOME: home });
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stdout,
      /\[few works — too few to judge \(the data leans: differs\)\] EU27\/AC–China co-publications overtook[^\n]*\n {4}data: [^\n]*\n {4}works: EU27AC–CN co-publications in 2021: 2; EU27AC–CN co-publications in 2022: 3; US–CN co-publications in 2021: 1; US–CN co-publications in 2022: 1\n/,
    );
    assert.match(run.stdout, /\[not enough data\] Co-patents/);
  } finally {
    store = await Store.open(join(home, 'derisk.duckdb'));
  }
});

test("`derisk indicators works` names the companies a work's affiliations name, as the drill-down does", async () => {
  const own = tempDir();
  const noah = { id: 'https://openalex.org/W98', doi: '10.5555/noah', title: 'A London lab and Tsinghua', publication_year: 2024, authorships: [{ author_position: 'first', raw_affiliation_strings: ["Huawei Noah's Ark Lab, London, UK"] }, { raw_affiliation_strings: [AFF.thu] }] };
  // A company the registry holds as an institution counts among the work's companies too.
  const zteRecord = { ...rorRecord('03dvw6z92', 'ZTE (China)', 'CN', 'Shenzhen'), types: ['company'], locations: [{ geonames_details: { country_code: 'CN', country_name: 'China', name: 'Shenzhen' } }] };
  const zte = { id: 'https://openalex.org/W99', doi: '10.5555/zte', title: 'Delft and ZTE', publication_year: 2024, authorships: [{ author_position: 'first', raw_affiliation_strings: [AFF.delft] }, { raw_affiliation_strings: ['ZTE Corporation, Shenzhen, China'] }] };
  (await landscapeStore(own, [noah, zte], [zteRecord])).close();
  const json = derisk(['indicators', 'works', '--regions', 'EU27AC,CN', '--from', '2024', '--json'], { DERISK_HOME: own });
  assert.equal(json.status, 0, json.stderr);
  const rows = JSON.parse(json.stdout) as { workId: string; companies: string[] }[];
  assert.deepEqual(rows.map((r) => [r.workId, r.companies]).sort(), [
    ['doi:10.5555/noah', ["Huawei (Noah's Ark Lab), GB"]],
    ['doi:10.5555/zte', ['ZTE, CN']],
  ]);
  const csv = derisk(['indicators', 'works', '--regions', 'EU27AC,CN', '--from', '2024', '--csv'], { DERISK_HOME: own });
  assert.equal(csv.status, 0, csv.stderr);
  assert.match(csv.stdout.split('\n')[0]!, /,companies/);
  assert.match(csv.stdout, /Huawei \(Noah's Ark Lab\), GB/);
});

test('`derisk indicators works` says how many works there are when it shows fewer, and lists them all with --all', async () => {
  const own = tempDir();
  (await landscapeStore(own)).close();
  const env = { DERISK_HOME: own };
  const table = derisk(['indicators', 'works', '--regions', 'EU27AC,CN', '--limit', '2'], env);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /\n2 of 5 works shown \(the first by year and id\): --limit N for more, --all for every one\.\n/);
  assert.match(derisk(['indicators', 'works', '--regions', 'EU27AC,CN'], env).stdout, /\n5 works\.\n/);
  // JSON stays the rows alone, as scripts read it; the notice goes to stderr.
  const json = derisk(['indicators', 'works', '--regions', 'EU27AC,CN', '--limit', '2', '--json'], env);
  assert.equal((JSON.parse(json.stdout) as unknown[]).length, 2);
  assert.match(json.stderr, /2 of 5 works shown/);
  const all = derisk(['indicators', 'works', '--regions', 'EU27AC,CN', '--all', '--json'], env);
  assert.equal(all.status, 0, all.stderr);
  assert.equal((JSON.parse(all.stdout) as unknown[]).length, 5);
  assert.equal(all.stderr, '');
  assert.match(derisk(['indicators', 'works', '--regions', 'EU27AC,CN', '--all', '--limit', '2'], env).stderr, /give --limit or --all, not both/);
  assert.match(derisk(['indicators', 'copubs', '--regions', 'EU27AC,CN', '--all'], env).stderr, /--all lists every work/);
});
