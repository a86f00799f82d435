import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { diffLists } from '../../src/screening/diff.ts';
import { LIST_CATALOGUE, ListError, loadListCatalogue, readCatalogueList, readListFile, readWatchlist } from '../../src/screening/lists.ts';
import { MIRROR, tempDir, writeTemp } from '../helpers/fixtures.ts';
import { watchlist, WATCHLIST_PROVENANCE } from '../helpers/watchlist.ts';

test('the published lists in the mirror load with the record counts their READMEs state', () => {
  const counts = Object.fromEntries(loadListCatalogue().lists.map((spec) => [spec.id, readCatalogueList(spec, join(MIRROR, spec.mirror_path)).entries.length]));
  assert.deepEqual(counts, {
    'aspi-unitracker': 159,
    'us-bis-entity-list': 3409,
    'us-bis-meu': 70,
    'us-dow-1260h': 80,
    'us-dow-1286': 134,
    'us-ofac-nscmic': 68,
    'us-ofac-eo14032': 59,
    'us-fcc-covered': 15,
    'us-state-nonproliferation': 528,
    'ca-nro': 126,
  });
});

test('every loaded entry carries its list provenance, a level, names and (ASPI) the Chinese name and source text', () => {
  const spec = loadListCatalogue().lists.find((l) => l.id === 'aspi-unitracker')!;
  const aspi = readCatalogueList(spec, join(MIRROR, spec.mirror_path));
  assert.equal(aspi.provenance.retrieved, '2026-08-06');
  assert.match(aspi.provenance.licence, /CC0/);
  const hit = aspi.entries.find((e) => e.name === 'Harbin Institute of Technology')!;
  assert.equal(hit.level, 'very-high', 'one of the Seven Sons of National Defence');
  assert.ok(hit.names.some((n) => n.kind === 'chinese' && n.value === '哈尔滨工业大学'));
  assert.match(hit.sourceText!, /defence/i);
  const civilian = aspi.entries.find((e) => e.category === 'Civilian')!;
  assert.equal(civilian.level, 'medium');
  const nro = loadListCatalogue().lists.find((l) => l.id === 'us-dow-1286')!;
  const talent = readCatalogueList(nro, join(MIRROR, nro.mirror_path)).entries.find((e) => e.name === 'Thousand Talents Plan')!;
  assert.equal(talent.category, 'talent programme');
});

test('a watchlist without provenance, in the wrong shape or with an unknown level is refused naming file and entry', () => {
  const noSource = watchlist([{ name: 'Example Lab', level: 'high' }], { id: 'x-list', title: 'X', publisher: 'Y', retrieved: '2026-01-01', licence: 'internal' });
  assert.throws(
    () => readWatchlist(noSource),
    (e: Error) => e instanceof ListError && e.message.includes(noSource) && /provenance lacks source_url/.test(e.message),
  );
  const badLevel = watchlist([
    { name: 'Fine Lab', level: 'high' },
    { name: 'Example Lab', level: 'severe' },
  ]);
  assert.throws(() => readWatchlist(badLevel), /entry 2 \(Example Lab\): level "severe" is not one of/);
  const noName = watchlist([{ level: 'high' }]);
  assert.throws(() => readWatchlist(noName), /entry 1: entry has no name/);
  const badRor = watchlist([{ name: 'Example Lab', level: 'high', ror_ids: ['not-a-ror'] }]);
  assert.throws(() => readWatchlist(badRor), /ror_ids must be ROR ids/);
  assert.throws(() => readListFile(writeTemp('x.json', '{"something": []}')), /not a list format derisk knows/);
  assert.throws(() => readListFile(writeTemp('x.json', '{"list": ')), /not valid JSON/);
});

test('lists diff shows what was added, removed and changed between two versions', () => {
  const dir1 = tempDir();
  const dir2 = tempDir();
  const older = readWatchlist(
    watchlist(
      [
        { name: 'Alpha Institute of Robotics', level: 'medium' },
        { name: 'Beta Laboratory', level: 'high', aliases: ['BL'] },
        { name: 'Gamma Academy', level: 'low' },
      ],
      WATCHLIST_PROVENANCE,
      dir1,
    ),
  );
  const newer = readWatchlist(
    watchlist(
      [
        { name: 'ALPHA INSTITUTE OF ROBOTICS', level: 'high' },
        { name: 'Gamma Academy', level: 'low' },
        { name: 'Delta Centre', level: 'high' },
      ],
      WATCHLIST_PROVENANCE,
      dir2,
    ),
  );
  const diff = diffLists(older, newer);
  assert.deepEqual(diff.added, ['Delta Centre']);
  assert.deepEqual(diff.removed, ['Beta Laboratory']);
  assert.equal(diff.changed.length, 1, 'the renamed-case entry is the same entry with a new level');
  assert.deepEqual(diff.changed[0]!.changes, [{ field: 'level', old: 'medium', new: 'high' }]);
  assert.equal(diff.unchanged, 1);
  assert.notEqual(diff.oldVersion, diff.newVersion);
});

test('the shipped list catalogue passes its schema; each defect is refused naming the field and the reason', () => {
  const shipped = JSON.parse(readFileSync(LIST_CATALOGUE, 'utf8'));
  const refusal = (doc: unknown): string => {
    const file = writeTemp('catalog.json', JSON.stringify(doc));
    try {
      loadListCatalogue(file);
      return 'accepted';
    } catch (e) {
      assert.ok(e instanceof ListError && e.message.startsWith(`${file}: `), String(e));
      return e.message.slice(file.length + 2);
    }
  };
  assert.equal(refusal(shipped), 'accepted');
  const defects: [(d: typeof shipped) => void, RegExp][] = [
    [(d) => delete d.provenance, /^provenance: missing \(where the catalogue comes from/],
    [(d) => delete d.levels.medium, /^levels\.medium: /],
    [(d) => (d.levels.high.weight = 'three'), /^levels\.high\.weight: "three" is not a weight/],
    [(d) => (d.lists[1].format = 'csv'), /^lists\[1\]\.format: "csv" is not one of misp-galaxy, nsfreg, canada-nro$/],
    [(d) => (d.lists[2].level = 'severe'), /^lists\[2\]\.level: "severe" is not one of very-high, high, medium, low$/],
    [(d) => (d.lists[0].level_by_category.Civilian = 'none'), /^lists\[0\]\.level_by_category\.Civilian: "none" is not one of very-high, /],
    [(d) => (d.lists[3].retrieved = '6 August 2026'), /^lists\[3\]\.retrieved: "6 August 2026" is not a date \(YYYY-MM-DD\)$/],
    [(d) => delete d.lists[4].mirror_path, /^lists\[4\]\.mirror_path: required text is missing$/],
    [(d) => (d.lists[5].id = 'US OFAC'), /^lists\[5\]\.id: "US OFAC" is not a list id/],
    [(d) => (d.lists[6].levle = 'high'), /^lists\[6\]\.levle: unknown field \(known: id, short_name, /],
    [(d) => (d.lists = {}), /^lists: expected a list$/],
  ];
  for (const [edit, expected] of defects) {
    const doc = structuredClone(shipped);
    edit(doc);
    assert.match(refusal(doc), expected);
  }
  // A required field of any list, removed or given a value of the wrong kind, is refused by its place.
  const REQUIRED = ['id', 'short_name', 'source_url', 'retrieved', 'licence', 'format', 'mirror_path', 'level_rationale'];
  fc.assert(
    fc.property(fc.nat({ max: shipped.lists.length - 1 }), fc.constantFrom(...REQUIRED), fc.constantFrom(undefined, null, 7, true, '', ['x'], {}), (i, field, value) => {
      const doc = structuredClone(shipped);
      if (value === undefined) delete doc.lists[i][field];
      else doc.lists[i][field] = value;
      assert.ok(refusal(doc).startsWith(`lists[${i}].${field}: `), refusal(doc));
    }),
    { numRuns: 60, seed: 20261130 },
  );
});

test('the subsidiaries a 1260H note lists are read as names, commas inside legal forms kept, fragments left out', async () => {
  const { notedSubsidiaries } = await import('../../src/screening/lists.ts');
  const names = notedSubsidiaries('Listed together with subsidiaries: BGI Americas Corporation, BGI Genomics Co., Ltd. (BGI), Complete Genomics, Inc., and STomics Americas, Ltd. | other text');
  assert.deepEqual(
    names.map((n) => [n.value, n.kind]),
    [
      ['BGI Americas Corporation', 'subsidiary'],
      ['BGI Genomics Co., Ltd.', 'subsidiary'],
      ['BGI', 'subsidiary'],
      ['Complete Genomics, Inc.', 'subsidiary'],
      ['STomics Americas, Ltd.', 'subsidiary'],
    ],
  );
  assert.deepEqual(notedSubsidiaries('Listed together with subsidiaries: SMIC Holdings Limited, Americas.'), [{ value: 'SMIC Holdings Limited', kind: 'subsidiary' }]);
  assert.deepEqual(notedSubsidiaries('no such note'), []);
});

test('an Entity List address field is read as its separate addresses, a pointer elsewhere and a heading left out', async () => {
  const { splitAddresses } = await import('../../src/screening/lists.ts');
  assert.deepEqual(splitAddresses('Addresses for Huawei Technologies Co., Ltd.: Bantian Huawei Base, Longgang District, Shenzhen, 518129, China; and Tsim Sha Tsui, Kowloon, Hong Kong. Hangzhou New Longshine Information Technology Co., Ltd., Room 605, No. 21, Xinba, Hangzhou, China.'), [
    'Bantian Huawei Base, Longgang District, Shenzhen, 518129, China',
    'Tsim Sha Tsui, Kowloon, Hong Kong',
    'Hangzhou New Longshine Information Technology Co., Ltd., Room 605, No. 21, Xinba, Hangzhou, China',
  ]);
  assert.deepEqual(splitAddresses('Flat 12, 9/F, Kowloon Bay, Hong Kong (See alternate address under Singapore).'), ['Flat 12, 9/F, Kowloon Bay, Hong Kong']);
  assert.deepEqual(splitAddresses(null), []);
});
