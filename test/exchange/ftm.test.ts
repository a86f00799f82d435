import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ValidationError } from '../../src/errors.ts';
import { exportFtm, ftmCasePartnerEntities, ftmEntityId, ftmJsonLines, ftmListEntities, loadFtmTopics, type FtmEntity } from '../../src/exchange/ftm.ts';
import { ftmListMeta, readFtmList, type FtmListMeta } from '../../src/screening/ftm.ts';
import { ListError, readWatchlist, type RiskList } from '../../src/screening/lists.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { ForbiddenError, type Actor } from '../../src/service/authorize.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { derisk } from '../helpers/cli.ts';
import { ftmModel, problems } from '../helpers/ftm-schema.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { testService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

const FIXTURE = new URL('../input/ftm/entities.ftm.json', import.meta.url).pathname;
const META: FtmListMeta = { id: 'test-csl', title: 'US trade CSL extract', publisher: 'OpenSanctions', licence: 'CC-BY-NC-4.0', source_url: 'https://www.opensanctions.org/datasets/us_trade_csl/', retrieved: '2026-11-29', level: 'high' };

const LIST_ENTRIES = [
  {
    id: 'nudt',
    name: 'National University of Defense Technology',
    aliases: ['NUDT'],
    name_zh: '国防科技大学',
    level: 'very-high',
    country: 'China',
    category: 'Military',
    note: "Runs the PLA's supercomputing programme",
    url: 'https://unitracker.aspi.org.au/universities/national-university-of-defense-technology/',
  },
  { id: 'skoltech-like', name: 'Moscow Institute of Radar Physics', level: 'high', country: 'RU' },
  { id: 'nowhere', name: 'Unplaced Research Bureau', level: 'medium' },
];
const list = (id = 'my-watchlist'): RiskList => readWatchlist(watchlist(LIST_ENTRIES, { id, title: 'Our office watchlist', publisher: 'Research Security Office', source_url: 'https://example.org/watchlist', retrieved: '2026-11-01', licence: 'internal' }));

test('export: every entity is valid against the FtM schema files (schema, properties of it or its parents, country codes, dates, urls, topics, entity links)', () => {
  const model = ftmModel();
  assert.ok(model.schemata.has('Organization') && model.schemata.has('Sanction'), 'the schema files are read');
  const topics = loadFtmTopics();
  const catalogueLike: RiskList = { ...list('us-bis-entity-list'), provenance: { ...list().provenance, official_url: 'https://www.bis.gov/entity-list' } };
  const entities = ftmListEntities([list(), catalogueLike], topics);
  assert.equal(entities.length, 12, 'an Organization and a Sanction per entry');
  const byId = new Map(entities.map((e) => [e.id, e]));
  assert.deepEqual(
    entities.flatMap((e) => problems(e, byId, model, topics.vocabulary)),
    [],
  );
  const nudt = entities.find((e) => e.id === ftmEntityId('my-watchlist', 'nudt'))!;
  assert.equal(nudt.schema, 'Organization');
  assert.deepEqual(nudt.properties.name, ['National University of Defense Technology']);
  assert.deepEqual(nudt.properties.alias!.sort(), ['NUDT', '国防科技大学']);
  assert.deepEqual(nudt.properties.country, ['cn'], 'the name China becomes its code');
  assert.equal(entities.find((e) => e.id === ftmEntityId('my-watchlist', 'skoltech-like'))!.properties.country![0], 'ru');
  assert.equal(entities.find((e) => e.id === ftmEntityId('my-watchlist', 'nowhere'))!.properties.country, undefined, 'no country, no made-up one');
  const sanction = entities.find((e) => e.schema === 'Sanction' && e.properties.entity![0] === nudt.id)!;
  assert.deepEqual(sanction.properties.reason, ["Runs the PLA's supercomputing programme"]);
  assert.deepEqual(sanction.properties.program, ['Our office watchlist']);
  assert.match(sanction.properties.summary![0]!, /derisk risk level very-high/);
  assert.deepEqual(entities.find((e) => e.id === ftmEntityId('us-bis-entity-list', 'nudt'))!.properties.topics, ['export.control'], 'topics come from data/exchange/ftm.json');

  // A schema file is the judge: a property FtM does not define on Organization is caught.
  const planted = { ...nudt, properties: { ...nudt.properties, reason: ['x'], country: ['China'], retrievedAt: ['30/11/2026'] } };
  assert.equal(problems(planted, byId, model, topics.vocabulary).length, 3);
});

test('export: ids are stable across runs and distinct per list; unknown lists are refused; only an admin exports', () => {
  const first = ftmListEntities([list()]).map((e) => e.id);
  assert.deepEqual(
    ftmListEntities([list()]).map((e) => e.id),
    first,
  );
  assert.equal(new Set(first).size, first.length);
  const other = ftmListEntities([list('other-list')]).map((e) => e.id);
  assert.equal(other.filter((id) => first.includes(id)).length, 0, 'the same entry id in another list is another entity');
  const admin: Actor = { userId: 'a', orgId: 'o', role: 'admin', name: 'A' };
  assert.throws(() => exportFtm(admin, [list()], ['no-such-list']), ValidationError);
  assert.throws(() => exportFtm({ ...admin, role: 'analyst' }, [list()]), ForbiddenError);
  assert.equal(exportFtm(admin, [list(), list('other-list')], ['other-list']).entities.length, 6);
});

test('input: an OpenSanctions-shaped file loads its organisations; broken lines are set aside with line and reason, the rest kept', () => {
  const { list: l, setAside, leftOut } = readFtmList(FIXTURE, META);
  assert.deepEqual(
    setAside.map((s) => [s.line, s.reason.replace(/ \(.*/, '')]),
    [
      [6, 'not valid JSON'],
      [7, 'Company NK-noname has no name'],
      [8, 'property "name" is not a list of strings'],
      [9, 'id NK-9mRqvJx3b2aXyZ8LgT4kWp already on line 1'],
      [10, 'not a JSON object'],
    ],
  );
  assert.deepEqual(leftOut, { Person: 1, Address: 1 }, 'people and addresses are counted, not loaded');
  assert.deepEqual(
    l.entries.map((e) => e.name),
    ['Zhongke Quantum Photonics Co., Ltd.', 'Northwestern Institute of Radar Engineering', 'Shenyang Institute of Aeronautical Automation'],
  );
  const zqp = l.entries[0]!;
  assert.deepEqual(
    zqp.names.map((n) => [n.value, n.kind]),
    [
      ['Zhongke Quantum Photonics Co., Ltd.', 'primary'],
      ['ZQP Photonics', 'alias'],
      ['中科量子光子有限公司', 'chinese'],
    ],
  );
  assert.equal(zqp.country, 'China');
  assert.equal(zqp.level, 'high');
  assert.equal(zqp.sourceText, 'Acquiring U.S.-origin items in support of military modernisation', 'the Sanction naming it gives the reason');
  assert.deepEqual(zqp.topics, ['export.control']);
  assert.ok(
    l.entries[1]!.names.some((n) => n.value === 'Xibei Radar Research Institute'),
    'a previous name is screened too',
  );
  assert.equal(l.provenance.publisher, 'OpenSanctions');
  assert.deepEqual(l.provenance.datasets, ['us_trade_csl']);
  assert.equal(l.provenance.lines_set_aside, 5);
});

// Round 46: a line whose id was a number, a list or blank was set aside as having 'no "id"', and an id FollowTheMoney itself refuses was taken.
test('input: a bad entity id sets its line aside, naming the line, the id and what is wrong with it; the good lines are kept', () => {
  const line = (id: unknown, name: string) => JSON.stringify({ id, schema: 'Organization', properties: { name: [name] } });
  const file = writeTemp(
    'bad-ids.ftm.json',
    [
      line('NK-good.1', 'Good One Institute'),
      line(12345, 'Numeric Id Institute'),
      line(['NK-a'], 'Listed Id Institute'),
      line('  ', 'Blank Id Institute'),
      line('bad id/with slash', 'Slash Id Institute'),
      line('-dash-first', 'Dash Id Institute'),
      JSON.stringify({ schema: 'Organization', properties: { name: ['No Id Institute'] } }),
      line('Q42', 'Good Two Institute'),
    ].join('\n'),
  );
  const { list: l, setAside } = readFtmList(file, META);
  assert.deepEqual(
    setAside.map((s) => [s.line, s.reason]),
    [
      [2, '"id" is a number (12345), not a string'],
      [3, '"id" is a list (["NK-a"]), not a string'],
      [4, '"id" is empty'],
      [5, '"id" "bad id/with slash" is not a FollowTheMoney entity id (letters, digits, dots and dashes, beginning and ending with a letter or digit)'],
      [6, '"id" "-dash-first" is not a FollowTheMoney entity id (letters, digits, dots and dashes, beginning and ending with a letter or digit)'],
      [7, 'no "id"'],
    ],
  );
  assert.deepEqual(
    l.entries.map((e) => [e.id, e.name]),
    [
      ['NK-good.1', 'Good One Institute'],
      ['Q42', 'Good Two Institute'],
    ],
  );
  // At the console: each line named with its file and number and the reason, the good ones loaded, exit 3 (records set aside).
  const load = derisk(['lists', 'load', '--format', 'ftm', file, '--id', 'bad-ids', '--title', 'T', '--publisher', 'P', '--licence', 'L', '--source-url', 'https://x.org', '--retrieved', '2026-11-29', '--level', 'high'], { DERISK_HOME: tempDir() });
  assert.equal(load.status, 3, load.stderr);
  assert.match(load.stderr, /bad-ids\.ftm\.json, line 5: set aside: "id" "bad id\/with slash" is not a FollowTheMoney entity id/);
  assert.match(load.stdout, /list bad-ids: 2 entries/);
});

test('input: list metadata the file lacks must be given, every missing option named; a file with no organisation is refused', () => {
  assert.throws(
    () => ftmListMeta({ title: 'X' }),
    (e: Error) => e instanceof ListError && /--publisher, --licence, --source-url, --retrieved, --level/.test(e.message),
  );
  assert.throws(() => ftmListMeta({ title: 'X', publisher: 'P', licence: 'L', 'source-url': 'https://x.org', retrieved: '2026-11-29', level: 'severe' }), /--level "severe" is not one of/);
  assert.throws(() => ftmListMeta({ title: 'X', publisher: 'P', licence: 'L', 'source-url': 'https://x.org', retrieved: '29.11.2026', level: 'high' }), /--retrieved must be a date/);
  assert.equal(ftmListMeta({ title: 'OpenSanctions: US CSL', publisher: 'P', licence: 'L', 'source-url': 'https://x.org', retrieved: '2026-11-29', level: 'high' }).id, 'opensanctions-us-csl');
  const broken = writeTemp('broken.ftm.json', '{"id": "a", "schema": "Company", "prop\n{"id": "p", "schema": "Person", "properties": {"name": ["Someone"]}}\n');
  assert.throws(
    () => readFtmList(broken, META),
    (e: Error) => e instanceof ListError && /no organisation to load.*line 1: not valid JSON/.test(e.message),
  );
});

test('round trip: export → load as FtM → the same names and aliases screen as hits', async () => {
  const home = tempDir();
  const store = await landscapeStore(home);
  try {
    const exported = writeTemp('lists.ftm.json', ftmJsonLines(ftmListEntities([list()])));
    const { list: back, setAside } = readFtmList(exported, { ...META, id: 'round-trip' });
    assert.deepEqual(setAside, []);
    assert.deepEqual(
      back.entries.map((e) => e.country),
      ['China', 'Russia', null],
    );
    await saveLists(store, [back]);
    const { screener } = await screeningContext(store);
    for (const name of ['National University of Defense Technology', 'NUDT', '国防科技大学', 'Moscow Institute of Radar Physics', 'Unplaced Research Bureau']) {
      const r = screener.screen(name);
      assert.ok(
        r.hits.some((h) => h.list === 'round-trip'),
        `${name} screens as a hit of the loaded export (${r.state}: ${r.headline})`,
      );
    }
    assert.equal(back.entries[0]!.sourceText, "Runs the PLA's supercomputing programme", 'the reason travels on the Sanction');
  } finally {
    store.close();
  }
});

test('CLI: lists load --format ftm sets aside and names bad lines (exit 3), screen finds name and alias; export ftm writes a file that loads again', async () => {
  const home = tempDir();
  const env = { DERISK_HOME: home };
  const missing = derisk(['lists', 'load', '--format', 'ftm', FIXTURE, '--title', 'US trade CSL extract'], env);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /give --publisher, --licence, --source-url, --retrieved, --level/);
  const taken = derisk(['lists', 'load', '--format', 'ftm', FIXTURE, '--id', 'us-bis-entity-list', '--title', 'T', '--publisher', 'P', '--licence', 'L', '--source-url', 'https://x.org', '--retrieved', '2026-11-29', '--level', 'high'], env);
  assert.equal(taken.status, 2, 'a published list is not replaced by a FtM file under its id');
  assert.match(taken.stderr, /us-bis-entity-list is a published list/);
  const load = derisk(['lists', 'load', '--format', 'ftm', FIXTURE, '--title', 'US trade CSL extract', '--publisher', 'OpenSanctions', '--licence', 'CC-BY-NC-4.0', '--source-url', 'https://www.opensanctions.org/datasets/us_trade_csl/', '--retrieved', '2026-11-29', '--level', 'high'], env);
  assert.equal(load.status, 3, load.stderr);
  assert.match(load.stderr, /entities\.ftm\.json, line 6: set aside: not valid JSON/);
  assert.match(load.stderr, /line 9: set aside: id NK-9mRqvJx3b2aXyZ8LgT4kWp already on line 1/);
  assert.match(load.stdout, /list us-trade-csl-extract: 3 entries/);
  for (const name of ['Zhongke Quantum Photonics Co., Ltd.', 'ZQP Photonics', 'Northwestern Institute of Radar Engineering']) {
    const r = derisk(['screen', name, '--json'], env);
    assert.equal(r.status, 10, `${name}: ${r.stdout}${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).hits[0].list, 'us-trade-csl-extract');
  }
  const out = join(home, 'out.ftm.json');
  const exp = derisk(['export', 'ftm', '--out', out], env);
  assert.equal(exp.status, 0, exp.stderr);
  const lines = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FtmEntity);
  assert.equal(lines.length, 6);
  assert.equal(derisk(['export', 'ftm', '--out', out, '--list', 'nope'], env).status, 2);
  writeFileSync(join(home, 'again.ftm.json'), readFileSync(out));
  const again = derisk(['lists', 'load', '--format', 'ftm', join(home, 'again.ftm.json'), '--id', 'again', '--title', 'Again', '--publisher', 'derisk', '--licence', 'internal', '--source-url', 'https://example.org/again', '--retrieved', '2026-11-30', '--level', 'medium'], env);
  assert.equal(again.status, 0, again.stderr);
  const hit = JSON.parse(derisk(['screen', '中科量子光子有限公司', '--json'], env).stdout);
  assert.deepEqual(hit.hits.map((h: { list: string }) => h.list).sort(), ['again', 'us-trade-csl-extract']);
});

test('HTTP: GET /api/exchange/ftm serves what the command writes, to an admin only; unknown lists are a bad request', async () => {
  const store = await landscapeStore(tempDir());
  await saveLists(store, [list()]);
  const service = await testService(store);
  try {
    const res = await service.app.inject({ method: 'GET', url: '/api/exchange/ftm?list=my-watchlist', headers: { authorization: `Bearer ${service.token}` } });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /application\/x-ndjson/);
    assert.deepEqual(
      res.body
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as FtmEntity).id),
      ftmListEntities([list()]).map((e) => e.id),
      'the route serves what the command writes',
    );
    assert.equal((await service.app.inject({ method: 'GET', url: '/api/exchange/ftm?list=nope', headers: { authorization: `Bearer ${service.token}` } })).statusCode, 400);
    assert.equal((await service.app.inject({ method: 'GET', url: '/api/exchange/ftm' })).statusCode, 401);
    await service.accounts.createUser(OPERATOR, { orgId: service.admin.orgId, email: 'analyst@x.example', name: 'Analyst', role: 'analyst', password: 'a very long password' });
    const { actor } = await service.accounts.login('analyst@x.example', 'a very long password');
    const token = (await service.accounts.createToken(actor, 't')).token;
    assert.equal((await service.app.inject({ method: 'GET', url: '/api/exchange/ftm', headers: { authorization: `Bearer ${token}` } })).statusCode, 403);
  } finally {
    await service.close();
    store.close();
  }
});

test('CLI: export ftm --hits gives the shared evidence strings that hit a list as LegalEntity, each tied by a Similar to the listed Organization; valid against the schema files', async () => {
  const home = tempDir();
  const store = await landscapeStore(home);
  await saveLists(store, [
    readWatchlist(
      watchlist([
        { name: 'Tsinghua University', level: 'medium', country: 'China' },
        { name: 'Nowhere Listed Institute', level: 'high' },
      ]),
    ),
  ]);
  await screenPending(store, await screeningContext(store));
  const expected = (await store.all<{ raw: string }>(`SELECT DISTINCT raw FROM screen_hits ORDER BY raw`)).map((r) => r.raw);
  store.close();
  assert.ok(expected.length > 0, 'the landscape has Tsinghua affiliations');
  const out = join(home, 'hits.ftm.json');
  const r = derisk(['export', 'ftm', '--hits', '--out', out], { DERISK_HOME: home });
  assert.equal(r.status, 0, r.stderr);
  const entities = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FtmEntity);
  const byId = new Map(entities.map((e) => [e.id, e]));
  const model = ftmModel();
  assert.deepEqual(
    entities.flatMap((e) => problems(e, byId, model, loadFtmTopics().vocabulary)),
    [],
  );
  const tsinghua = ftmEntityId('my-watchlist', 'tsinghua-university');
  assert.ok(byId.has(tsinghua), 'the entry hit is in the file');
  assert.ok(!byId.has(ftmEntityId('my-watchlist', 'nowhere-listed-institute')), 'an entry nothing hit is not');
  const links = entities.filter((e) => e.schema === 'Similar');
  assert.deepEqual([...new Set(links.map((l) => byId.get(l.properties.candidate![0]!)!.properties.name![0]!))].sort(), expected);
  assert.ok(links.every((l) => l.properties.match![0] === tsinghua && /derisk screener/.test(l.properties.matcher![0]!)));
});

test('case partners: a ROR id the loaded registry lacks (a case kept from before the registry changed) is named as a case wrote it or by its id, placed as the cases say, and says so in its notes; one the registry has takes its name and country; valid against the FtM schema', () => {
  const cases = [
    {
      id: 'c1',
      title: 'Sensors',
      overall: 'yellow',
      doc: {
        partners: [
          { ror: 'https://ror.org/00f54p054', role: 'lead', country: 'US' },
          { ror: '03cve4549', name: 'Tsinghua Univ.', role: 'partner', country: 'Taiwan' },
        ],
      },
    },
    { id: 'c2', title: 'Robots', overall: null, doc: { partners: [{ ror: '00f54p054', name: 'Stanford', role: 'partner', country: 'GB' }] } },
  ];
  const entities = ftmCasePartnerEntities('org-a', cases, new Map([['03cve4549', { name: 'Tsinghua University', country: 'CN' }]]));
  const byId = new Map(entities.map((e) => [e.id, e]));
  assert.deepEqual(
    entities.flatMap((e) => problems(e, byId, ftmModel(), loadFtmTopics().vocabulary)),
    [],
  );
  assert.deepEqual(
    entities.filter((e) => e.schema === 'Organization').map((e) => e.properties),
    [
      {
        name: ['Stanford'],
        country: ['us', 'gb'],
        sourceUrl: ['https://ror.org/00f54p054'],
        notes: ['ROR id 00f54p054 is not in the ROR registry this installation loaded: its name and country are as the cases write them (its id where none names it)'],
      },
      { name: ['Tsinghua University'], country: ['cn'], sourceUrl: ['https://ror.org/03cve4549'], alias: ['Tsinghua Univ.'] },
    ],
  );
  assert.equal(entities.filter((e) => e.schema === 'ProjectParticipant').length, 3);
});
