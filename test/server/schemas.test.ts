import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { Assessor } from '../../src/assessment/assessor.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { CaseDocument, CaseError, readCase, type KnownOptions } from '../../src/assessment/case.ts';
import { RegionCatalogueAnswer } from '../../src/regions/regions.ts';
import { checkSchema } from '../../src/schema.ts';
import { screeningContext } from '../../src/screening/store.ts';
import { WatchError, Watchlists } from '../../src/monitoring/watchlists.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/fixtures.ts';
import { listedLandscapeStore } from '../helpers/landscape.ts';
import { testService, type TestService } from '../helpers/service.ts';

let store: Store;
let service: TestService;
let known: KnownOptions;
const dir = tempDir();

before(async () => {
  store = await listedLandscapeStore(tempDir(), 'high');
  service = await testService(store);
  known = new Assessor({ store, screening: await screeningContext(store), bundle: loadBundle() }).known;
});
after(async () => {
  await service.close();
  store.close();
});

const VALID = {
  kind: 'research',
  title: 'Joint lab on graph learning',
  reference: 'REF-1',
  partners: [
    { name: 'University of Oxford', role: 'lead', country: 'GB', kind: 'university' },
    { name: 'unknown', description: 'a partner university in Wuhan', role: 'partner', country: 'CN' },
  ],
  funders: [{ name: 'A foundation', kind: 'unknown' }],
  in_kind: 'none',
  technology: { fields: ['ai-ml-big-data'], dual_use: 'no', export_controlled: false },
  application: { uses: ['scientific-research-only'], populations: ['general'], languages: ['English'] },
  research: { type: 'basic', open_publication: 'yes' },
  data: { kinds: ['public'], storage: ['EU'], transfer_to_china: 'no', subjects: ['none'], access: 'none' },
  terms: { equal_access_to_data: 'yes', equal_right_to_publish: 'yes', ip_agreement: 'unknown', partner_veto_on_publication: 'no' },
  personnel: [{ name: 'B. Scholar', affiliations: ['University of Oxford'], talent_programmes: 'none', mobility: ['visit'] }],
  equipment: [{ item: 'GPU cluster', export_controlled: 'unknown' }],
  duration: { start: '2027-01-01', months: 36 },
};

/** Where a defect may go: each path names an object and one of its keys. */
const PATHS: (string | number)[][] = [
  ['kind'],
  ['title'],
  ['reference'],
  ['partners'],
  ['partners', 0, 'role'],
  ['partners', 1, 'country'],
  ['partners', 0, 'name'],
  ['partners', 1, 'kind'],
  ['partners', 0, 'ror'],
  ['partners', 0, 'colour'],
  ['funders'],
  ['funders', 0, 'name'],
  ['in_kind'],
  ['technology'],
  ['technology', 'fields'],
  ['technology', 'dual_use'],
  ['application', 'populations'],
  ['application', 'uses'],
  ['research', 'type'],
  ['data', 'kinds'],
  ['data', 'storage'],
  ['data', 'transfer_to_china'],
  ['data', 'access'],
  ['terms', 'ip_agreement'],
  ['terms', 'partner_veto_on_publication'],
  ['personnel', 0, 'mobility'],
  ['personnel', 0, 'affiliations'],
  ['equipment', 0, 'item'],
  ['duration', 'start'],
  ['duration', 'months'],
  ['budget'],
  ['standards'],
];
const BAD = fc.oneof(
  fc.constantFrom(undefined, null, '', '  ', 'unknown', 'none', 'yes', 'maybe', 'sponsor', '2027-13-01', '0abcdef12', true, 0, 300, 12.5, -1, [], ['none', 'personal'], ['CN'], [''], [5], {}, { x: 1 }),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
);

function mutate(doc: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let o = doc as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) {
    if (o[step] === null || typeof o[step] !== 'object') return;
    o = o[step] as Record<string | number, unknown>;
  }
  if (value === undefined) delete o[path.at(-1)!];
  else o[path.at(-1)!] = value;
}

/** The refusal the CLI gives for a case file (its message without the file name), or null when it reads it. */
function fromFile(doc: object, ext: 'yaml' | 'json'): string | null {
  const file = join(dir, `case.${ext}`);
  writeFileSync(file, ext === 'json' ? JSON.stringify(doc) : stringify(doc));
  try {
    readCase(file, known);
    return null;
  } catch (e) {
    assert.ok(e instanceof CaseError, String(e));
    return e.message.slice(`${file}: `.length);
  }
}

const NO_COUNTRY = 'is no country derisk knows: give its ISO 3166-1 alpha-2 code (GB for the United Kingdom, GR for Greece, CN for China; data/regions/countries.json lists them) or its name';

async function fromHttp(doc: object): Promise<string | null> {
  const r = await service.app.inject({ method: 'POST', url: '/api/cases', headers: { authorization: `Bearer ${service.token}` }, payload: doc });
  if (r.statusCode === 201) return null;
  assert.equal(r.statusCode, 400, r.body);
  return r.json().message as string;
}

test('a defect in a case is refused with the same words from a file (YAML or JSON) and from POST /api/cases', async () => {
  assert.equal(await fromHttp(VALID), null, 'the valid case is taken');
  assert.equal(fromFile(VALID, 'yaml'), null);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom(...PATHS), BAD), { minLength: 1, maxLength: 3 }), async (defects) => {
      const doc = structuredClone(VALID) as Record<string, unknown>;
      for (const [path, value] of defects) mutate(doc, path, value);
      const http = await fromHttp(doc);
      assert.equal(fromFile(doc, 'json'), http);
      assert.equal(fromFile(doc, 'yaml'), http);
      // Every refusal names the field first (partners[1].country: …), or the case itself.
      if (http !== null) assert.match(http, /^(the case|[a-z_]+(\[\d+\])?(\.[a-z_]+(\[\d+\])?)*): \S/);
    }),
    { numRuns: 150, seed: 20261130 },
  );
});

test('named defects: the field and the reason, from the file and over HTTP', async () => {
  const cases: [(d: Record<string, any>) => void, string][] = [
    [(d) => (d.partners[1].country = 5), 'partners[1].country: expected text, got 5'],
    [(d) => (d.partners[0].role = 'sponsor'), 'partners[0].role: "sponsor" is not one of lead, partner, subcontractor, host, funder'],
    [(d) => (d.terms.ip_agreement = 'maybe'), 'terms.ip_agreement: "maybe" is not yes, no or unknown'],
    [(d) => (d.data.kinds = ['public', 'secret']), 'data.kinds[1]: "secret" is not one of none, public, anonymised, personal, health, biometric, important, proprietary'],
    [(d) => (d.duration.months = 300), 'duration.months: 300 is not a number of months (1–240)'],
    [(d) => (d.partners[0].ror = 'not-ror'), 'partners[0].ror: "not-ror" is not a ROR id'],
    [(d) => delete d.title, 'title: required text is missing'],
    [(d) => (d.personnel[0].affiliations = ['']), 'personnel[0].affiliations[0]: expected a non-empty text'],
    [(d) => (d.budget = 3), 'budget: unknown field (known: kind, title, reference, partners, funders, in_kind, technology, application, research, data, terms, personnel, equipment, duration, standards)'],
    [(d) => (d.partners = []), 'partners: a case needs at least one partner'],
    [(d) => (d.partners[1].country = 'XX'), `partners[1].country: "XX" ${NO_COUNTRY}`],
    [(d) => (d.partners[0].country = 'Oxfordshire Republic'), `partners[0].country: "Oxfordshire Republic" ${NO_COUNTRY}`],
    [(d) => (d.funders[0].country = 'EU'), `funders[0].country: "EU" ${NO_COUNTRY}`],
  ];
  for (const [change, message] of cases) {
    const doc = structuredClone(VALID) as Record<string, any>;
    change(doc);
    assert.equal(await fromHttp(doc), message);
    assert.equal(fromFile(doc, 'yaml'), message);
  }
});

test("a country is an ISO 3166-1 alpha-2 code, the EU's own UK and EL (GB and GR), or a country's name: each is taken", async () => {
  for (const country of ['GB', 'gb', 'UK', 'EL', 'XK', 'United Kingdom', 'China', 'Peoples R China']) {
    const doc = structuredClone(VALID) as Record<string, any>;
    doc.partners[0].country = country;
    doc.funders[0].country = country;
    assert.equal(await fromHttp(doc), null, country);
    assert.equal(fromFile(doc, 'yaml'), null, country);
  }
});

test('the OpenAPI document carries the case schema for the bodies that are cases', async () => {
  const doc = (await service.app.inject({ method: 'GET', url: '/api/openapi.json', headers: { authorization: `Bearer ${service.token}` } })).json();
  const expected = JSON.parse(JSON.stringify(CaseDocument));
  for (const [path, method] of [
    ['/api/cases', 'post'],
    ['/api/cases/{id}', 'put'],
    ['/api/assess', 'post'],
  ] as const) {
    const schema = doc.paths[path][method].requestBody.content['application/json'].schema;
    assert.deepEqual(Object.keys(schema.properties), Object.keys(expected.properties), `${method} ${path}`);
    assert.deepEqual(schema.required, ['title', 'partners']);
    assert.deepEqual(schema.properties.partners.items.properties.role, expected.properties.partners.items.properties.role);
  }
});

test('the options of the case form are the case schema’s choices', async () => {
  const o = (await service.app.inject({ method: 'GET', url: '/api/assessment/options', headers: { authorization: `Bearer ${service.token}` } })).json();
  assert.deepEqual(o.choices.storage, [
    { value: 'EU', label: 'EU' },
    { value: 'CN', label: 'China' },
    { value: 'other', label: 'elsewhere' },
  ]);
  assert.deepEqual(
    o.choices.answer.map((c: { value: string }) => c.value),
    ['unknown', 'yes', 'no'],
  );
  assert.deepEqual(
    o.choices.dataKinds.map((c: { value: string }) => c.value),
    CaseDocument.properties.data.properties.kinds.anyOf[0].items.enum,
  );
  assert.deepEqual(o.kinds, ['research', 'standards-engagement']);
});

test('a watch request is refused alike by the core (the CLI’s door) and over HTTP, by the one schema', async () => {
  const watchlists = new Watchlists(service.db, { find: async () => [] });
  const defects: [object, string][] = [
    [{ text: 'Huawei', kind: 'planet' }, 'kind: "planet" is not one of institution, list-entry, field, country, topic, case'],
    [{ text: '   ' }, 'text: "   " is not a name or an id to watch (at most 300 characters)'],
    [{ text: 'x'.repeat(301) }, `text: ${JSON.stringify('x'.repeat(301))} is not a name or an id to watch (at most 300 characters)`],
    [{ text: 'Huawei', colour: 'red' }, 'colour: unknown field (known: text, kind, scope)'],
    [{ kind: 'country' }, 'text: missing (a name or an id to watch (at most 300 characters))'],
  ];
  for (const [body, message] of defects) {
    await assert.rejects(watchlists.add(service.admin, body as never), (e: Error) => e instanceof WatchError && e.message === message, message);
    const r = await service.app.inject({ method: 'POST', url: '/api/watchlist', headers: { authorization: `Bearer ${service.token}` }, payload: body });
    assert.equal(r.statusCode, 400);
    assert.equal(r.json().message, message);
  }
  const doc = (await service.app.inject({ method: 'GET', url: '/api/openapi.json', headers: { authorization: `Bearer ${service.token}` } })).json();
  assert.deepEqual(doc.paths['/api/watchlist'].post.requestBody.content['application/json'].schema.properties.kind.enum, ['institution', 'list-entry', 'field', 'country', 'topic', 'case']);
});

test('GET /api/regions answers by its schema, which the OpenAPI document shows', async () => {
  const headers = { authorization: `Bearer ${service.token}` };
  const r = await service.app.inject({ method: 'GET', url: '/api/regions?china_hk=true', headers });
  assert.equal(r.statusCode, 200);
  const answer = r.json();
  assert.doesNotThrow(() => checkSchema(RegionCatalogueAnswer, answer, (m) => new Error(m)));
  assert.deepEqual(answer.regions.find((x: { id: string }) => x.id === 'CN').countries, ['CN', 'HK']);
  const doc = (await service.app.inject({ method: 'GET', url: '/api/openapi.json', headers })).json();
  const shown = doc.paths['/api/regions'].get.responses['200'].content['application/json'].schema;
  assert.deepEqual(Object.keys(shown.properties), ['regions', 'settings', 'note']);
  assert.deepEqual(Object.keys(shown.properties.regions.items.properties), ['id', 'name', 'countries', 'note']);
});
