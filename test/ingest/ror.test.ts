import { test } from 'node:test';
import assert from 'node:assert/strict';
import { zipSync, strToU8 } from 'fflate';
import fc from 'fast-check';
import { join } from 'node:path';
import { ingestRegistry, loadRegistry } from '../../src/ingest/registry.ts';
import { readRor, rorInstitution } from '../../src/ingest/ror.ts';
import { buildScreeningContext } from '../../src/screening/context.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { screenJson } from '../../src/screening/screener.ts';
import { Store } from '../../src/store/store.ts';
import { collect, gzipTemp, tempDir, writeTemp } from '../helpers/fixtures.ts';
import { rorRecord } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';

export const V2 = {
  id: 'https://ror.org/0test0001',
  status: 'active',
  types: ['facility'],
  established: 1956,
  names: [
    { value: 'Institute of Automation', types: ['ror_display', 'label'], lang: 'en' },
    { value: '中国科学院自动化研究所', types: ['label'], lang: 'zh' },
    { value: 'CASIA', types: ['acronym'], lang: null },
  ],
  locations: [{ geonames_id: 1816670, geonames_details: { country_code: 'CN', country_name: 'China', name: 'Beijing', country_subdivision_name: 'Beijing' } }],
  relationships: [{ type: 'parent', id: 'https://ror.org/034t30j35', label: 'Chinese Academy of Sciences' }],
};

const V1 = {
  id: 'https://ror.org/0test0002',
  name: 'Old University',
  status: 'withdrawn',
  types: ['Education'],
  labels: [{ label: 'Alte Universität', iso639: 'de' }],
  aliases: ['OU'],
  acronyms: ['OLDU'],
  country: { country_code: 'DE', country_name: 'Germany' },
  addresses: [{ city: 'Berlin', geonames_city: { geonames_admin1: { name: 'Berlin' } } }],
  relationships: [{ type: 'Successor', id: 'https://ror.org/0test0001', label: 'X' }],
};

test('schema v2: names with types and languages, location, parent', () => {
  const i = rorInstitution(V2);
  assert.equal(i.id, '0test0001');
  assert.equal(i.name, 'Institute of Automation');
  assert.equal(i.countryCode, 'CN');
  assert.equal(i.city, 'Beijing');
  assert.deepEqual(i.parents, ['034t30j35']);
  assert.deepEqual(i.names.find((n) => n.lang === 'zh')?.value, '中国科学院自动化研究所');
});

test('schema v1: name, labels, aliases, acronyms, country, successor', () => {
  const i = rorInstitution(V1);
  assert.equal(i.name, 'Old University');
  assert.equal(i.status, 'withdrawn');
  assert.deepEqual(i.successors, ['0test0001']);
  assert.deepEqual(i.types, ['education']);
  assert.deepEqual(
    i.names.map((n) => n.types[0]),
    ['ror_display', 'label', 'alias', 'acronym'],
  );
  assert.equal(i.countryCode, 'DE');
});

test('reads the Zenodo zip (preferring the v2 file), a JSON array and gzipped JSON Lines', async () => {
  const zip = writeTemp(
    'v1.0-ror-data.zip',
    Buffer.from(
      zipSync({
        'v1.0-2026-ror-data.json': strToU8(JSON.stringify([V1])),
        'v1.0-2026-ror-data_schema_v2.json': strToU8(JSON.stringify([V2, { ...V2, id: 'https://ror.org/0test0003' }])),
      }),
    ),
  );
  const fromZip = await collect(readRor(zip));
  assert.deepEqual(
    fromZip.map((i) => i.ok && i.institution.id),
    ['0test0001', '0test0003'],
  );
  const array = await collect(readRor(writeTemp('dump.json', JSON.stringify([V2, V1], null, 2))));
  assert.deepEqual(
    array.map((i) => i.ok && i.institution.id),
    ['0test0001', '0test0002'],
  );
  const jsonl = await collect(readRor(gzipTemp('records.jsonl.gz', `${JSON.stringify(V2)}\n${JSON.stringify(V1)}\n`)));
  assert.equal(jsonl.filter((i) => i.ok).length, 2);
});

test('a bad record in a dump is reported with its reason; the rest loads', async () => {
  const items = await collect(readRor(writeTemp('dump.json', JSON.stringify([V2, { ...V2, id: 'not-a-ror-id' }, { ...V2, status: 'sleeping' }, V1]))));
  assert.equal(items.filter((i) => i.ok).length, 2);
  const reasons = items.filter((i) => !i.ok).map((i) => (!i.ok ? i.reason : ''));
  assert.match(reasons[0]!, /malformed ROR id/);
  assert.match(reasons[1]!, /unknown status/);
});

test('property: a JSON array dump split at any point loses only the element it was cut in', async () => {
  const records = Array.from({ length: 12 }, (_, k) => ({ ...V2, id: `https://ror.org/0test00${String(k + 10).padStart(2, '0')}` }));
  const text = JSON.stringify(records, null, 2);
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: text.length - 1 }), async (cut) => {
      const items = await collect(readRor(writeTemp('cut.json', text.slice(0, cut))));
      const ok = items.filter((i) => i.ok).length;
      const complete = records.filter((_, k) => text.slice(0, cut).includes(`"https://ror.org/0test00${String(k + 10).padStart(2, '0')}"`)).length;
      assert.ok(ok >= complete - 1 && ok <= complete, `kept ${ok} of ${complete} started`);
      assert.ok(
        items.some((i) => !i.ok),
        'the truncation is reported',
      );
    }),
    { numRuns: 60 },
  );
});

test('the registry read back from the store has one order, whatever order it was loaded in: equal candidates resolve and screen alike', async () => {
  // Two institutes of one name in one city, and a listed university's name in three countries: candidates that tie.
  const records = [
    rorRecord('034t30j35', 'Chinese Academy of Sciences', 'CN', 'Beijing'),
    rorRecord('022c3hy66', 'Institute of Automation', 'CN', 'Beijing', '034t30j35'),
    rorRecord('0test0003', 'Institute of Automation', 'CN', 'Beijing'),
    rorRecord('04t5xt781', 'Northeastern University', 'US', 'Boston'),
    rorRecord('03awzbc87', 'Northeastern University', 'CN', 'Shenyang'),
    rorRecord('0test0005', 'Northeastern University', 'PH', 'Manila'),
    {
      ...rorRecord('0test0004', 'Harbin Institute of Technology', 'CN', 'Harbin'),
      names: [
        { value: 'Harbin Institute of Technology', types: ['ror_display', 'label'], lang: 'en' },
        { value: 'HIT', types: ['acronym'], lang: null },
        { value: '哈尔滨工业大学', types: ['label'], lang: 'zh' },
      ],
    },
  ];
  const list = readWatchlist(
    watchlist([
      { name: 'Chinese Academy of Sciences', country: 'China', level: 'high' },
      { name: 'Northeastern University', country: 'China', level: 'high' },
    ]),
  );
  const queries = ['Institute of Automation', 'Institute of Automation, Beijing, China', 'Inst Automat, Beijing 100190, Peoples R China', 'Institute of Automaton, Beijing', 'Northeastern University', 'Northeastern Univ, Peoples R China', 'HIT, Harbin, China'];
  const answers = async (order: object[]) => {
    const store = await Store.open(join(tempDir(), 'derisk.duckdb'));
    try {
      await ingestRegistry(store, writeTemp('ror.jsonl', order.map((r) => JSON.stringify(r)).join('\n')));
      const registry = await loadRegistry(store);
      const { screener, resolver } = buildScreeningContext([list], registry);
      return { registry, answers: queries.map((q) => ({ q, resolved: resolver.resolve(q), screened: screenJson(screener.screen(q)) })) };
    } finally {
      store.close();
    }
  };
  const forward = await answers(records);
  const backward = await answers([...records].reverse());
  assert.deepEqual(backward.answers, forward.answers);
  assert.deepEqual(backward.registry, forward.registry);
});
