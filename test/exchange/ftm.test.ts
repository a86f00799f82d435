import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ValidationError } from '../../src/errors.ts';
import { exportFtm, ftmEntityId, ftmListEntities, loadFtmTopics, type FtmEntity } from '../../src/exchange/ftm.ts';
import { readWatchlist, type RiskList } from '../../src/screening/lists.ts';
import { saveLists } from '../../src/screening/store.ts';
import { ForbiddenError, type Actor } from '../../src/service/authorize.ts';
import { OPERATOR } from '../../src/service/accounts.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { testService } from '../helpers/service.ts';
import { watchlist } from '../helpers/watchlist.ts';

const SCHEMA_DIR = new URL('../../../shared/standards/followthemoney/schema/', import.meta.url).pathname;

interface SchemaDef {
  abstract?: boolean;
  extends?: string[];
  required?: string[];
  properties?: Record<string, { type?: string; range?: string }>;
}

/** The FtM model as its YAML files define it: each schema with the properties of its ancestors. */
function ftmModel() {
  const schemata = new Map<string, SchemaDef>();
  for (const f of readdirSync(SCHEMA_DIR).filter((f) => /\.ya?ml$/.test(f))) {
    for (const [name, def] of Object.entries(parseYaml(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as Record<string, SchemaDef>)) schemata.set(name, def);
  }
  const ancestry = (name: string): string[] => [name, ...(schemata.get(name)?.extends ?? []).flatMap(ancestry)];
  const property = (schema: string, prop: string) => {
    for (const s of ancestry(schema)) {
      const p = schemata.get(s)?.properties?.[prop];
      if (p) return p;
    }
    return undefined;
  };
  return { schemata, ancestry, property };
}

const LIST_ENTRIES = [
  { id: 'nudt', name: 'National University of Defense Technology', aliases: ['NUDT'], name_zh: '国防科技大学', level: 'very-high', country: 'China', category: 'Military', note: 'Runs the PLA\'s supercomputing programme', url: 'https://unitracker.aspi.org.au/universities/national-university-of-defense-technology/' },
  { id: 'skoltech-like', name: 'Moscow Institute of Radar Physics', level: 'high', country: 'RU' },
  { id: 'nowhere', name: 'Unplaced Research Bureau', level: 'medium' },
];
const list = (id = 'my-watchlist'): RiskList => readWatchlist(watchlist(LIST_ENTRIES, { id, title: 'Our office watchlist', publisher: 'Research Security Office', source_url: 'https://example.org/watchlist', retrieved: '2026-11-01', licence: 'internal' }));

/** Every problem of one exported entity against the FtM schema files; none is the answer wanted. */
function problems(e: FtmEntity, byId: Map<string, FtmEntity>, model: ReturnType<typeof ftmModel>, topics: Record<string, string>): string[] {
  const out: string[] = [];
  const def = model.schemata.get(e.schema);
  if (!def) return [`${e.id}: no schema ${e.schema}`];
  if (def.abstract) out.push(`${e.id}: ${e.schema} is abstract`);
  for (const r of model.ancestry(e.schema).flatMap((s) => model.schemata.get(s)?.required ?? [])) if (!e.properties[r]?.length) out.push(`${e.id}: required ${r} missing`);
  for (const [prop, values] of Object.entries(e.properties)) {
    const p = model.property(e.schema, prop);
    if (!p) {
      out.push(`${e.id}: ${e.schema} has no property ${prop}`);
      continue;
    }
    if (!Array.isArray(values) || values.length === 0) out.push(`${e.id}.${prop}: not a non-empty list`);
    for (const v of values) {
      if (typeof v !== 'string' || v.trim() === '') out.push(`${e.id}.${prop}: ${JSON.stringify(v)} is not a string`);
      else if (p.type === 'country' && !(/^[a-z]{2}$/.test(v) && new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' }).of(v.toUpperCase()))) out.push(`${e.id}.${prop}: ${v} is not an ISO country code`);
      else if (p.type === 'date' && !/^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2})?)?)?)?$/.test(v)) out.push(`${e.id}.${prop}: ${v} is not an ISO date`);
      else if (p.type === 'url' && !/^https?:$/.test(new URL(v).protocol)) out.push(`${e.id}.${prop}: ${v} is not a web address`);
      else if (p.type === 'topic' && !(v in topics)) out.push(`${e.id}.${prop}: ${v} is not a FtM topic`);
      else if (p.type === 'entity') {
        const target = byId.get(v);
        if (!target) out.push(`${e.id}.${prop}: ${v} is not in the export`);
        else if (p.range && !model.ancestry(target.schema).includes(p.range)) out.push(`${e.id}.${prop}: ${target.schema} is not a ${p.range}`);
      }
    }
  }
  return out;
}

test('export: every entity is valid against the FtM schema files (schema, properties of it or its parents, country codes, dates, urls, topics, entity links)', () => {
  const model = ftmModel();
  assert.ok(model.schemata.has('Organization') && model.schemata.has('Sanction'), 'the schema files are read');
  const topics = loadFtmTopics();
  const catalogueLike: RiskList = { ...list('us-bis-entity-list'), provenance: { ...list().provenance, official_url: 'https://www.bis.gov/entity-list' } };
  const entities = ftmListEntities([list(), catalogueLike], topics);
  assert.equal(entities.length, 12, 'an Organization and a Sanction per entry');
  const byId = new Map(entities.map((e) => [e.id, e]));
  assert.deepEqual(entities.flatMap((e) => problems(e, byId, model, topics.vocabulary)), []);
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
  assert.deepEqual(ftmListEntities([list()]).map((e) => e.id), first);
  assert.equal(new Set(first).size, first.length);
  const other = ftmListEntities([list('other-list')]).map((e) => e.id);
  assert.equal(other.filter((id) => first.includes(id)).length, 0, 'the same entry id in another list is another entity');
  const admin: Actor = { userId: 'a', orgId: 'o', role: 'admin', name: 'A' };
  assert.throws(() => exportFtm(admin, [list()], ['no-such-list']), ValidationError);
  assert.throws(() => exportFtm({ ...admin, role: 'analyst' }, [list()]), ForbiddenError);
  assert.equal(exportFtm(admin, [list(), list('other-list')], ['other-list']).entities.length, 6);
});

test('HTTP: GET /api/exchange/ftm serves what the command writes, to an admin only; unknown lists are a bad request', async () => {
  const store = await landscapeStore(tempDir());
  await saveLists(store, [list()]);
  const service = await testService(store);
  try {
    const res = await service.app.inject({ method: 'GET', url: '/api/exchange/ftm?list=my-watchlist', headers: { authorization: `Bearer ${service.token}` } });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /application\/x-ndjson/);
    assert.deepEqual(res.body.trim().split('\n').map((l) => (JSON.parse(l) as FtmEntity).id), ftmListEntities([list()]).map((e) => e.id), 'the route serves what the command writes');
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
