import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadListCatalogue, readCatalogueList, readListFile, type RiskList } from '../../src/screening/lists.ts';
import { INPUT, MIRROR } from '../helpers/fixtures.ts';

/** What the source's layout does to a name when it is read wrong; null for a whole name. */
function brokenShape(name: string): string | null {
  const count = (re: RegExp) => name.match(re)?.length ?? 0;
  if (count(/[(（]/g) !== count(/[)）]/g)) return 'unbalanced brackets';
  if (/^(?:formerly|former|f\/k\/a)\b/i.test(name)) return 'begins with "formerly"';
  if (/^(?:co|ltd|inc|limited|llc|plc|corp)\b/i.test(name)) return 'begins with a legal form';
  if (/\s\.\s/.test(name)) return 'a stray " . " inside';
  if (/^[\s,;.]|[,;]\s*$/.test(name)) return 'stray punctuation at an end';
  if (/\.\.\.|…/.test(name)) return 'cut short';
  if (/\b(?:Corporation|Inc\.|Ltd\.|Limited|LLC|PLC) (?!(?:Co|Ltd|Limited|Inc|Corp|Corporation|Company|LLC|PLC|No)\b)\p{Lu}/u.test(name)) return 'two names run together after a legal form';
  return null;
}

const subsidiaries = (list: RiskList, entry: string) =>
  list.entries
    .find((e) => e.name === entry)!
    .names.filter((n) => n.kind === 'subsidiary')
    .map((n) => n.value);

test('§1260H notes in the broken layouts of the source are read as whole names (fixture in the nsfreg format)', () => {
  const list = readListFile(join(INPUT, 'nsfreg-1260h', 'dow_1260h.json'));
  assert.equal(list.id, 'us-dow-1260h');
  // Nested brackets and "formerly": the name, its former name, that name's acronym.
  assert.deepEqual(subsidiaries(list, 'Aviation Industry Corporation of China, Ltd.'), [
    'Avicopter PLC',
    'AVIC Chengdu Aircraft Co., Ltd.',
    'Zhonghang Electronic Measuring Instruments Company Limited',
    'ZEMIC',
    "AVIC Xi'an Aircraft Industry Group Company Ltd.",
    "Xi'an Aircraft Industry Group Co., Ltd.",
    'Shenyang Aircraft Design Institute',
  ]);
  // A stray " . " between two names.
  assert.deepEqual(subsidiaries(list, 'China North Industries Group Corporation Limited'), ['Harbin First Machinery Group Ltd.', 'Inner Mongolia First Machinery Group Co., Ltd.', 'Kiekert USA Inc.', 'Merit Automotive Electronics Systems S.L.U', 'Yunnan Yuanjin Optical Instrument Co., Ltd.']);
  // Two names run together after a legal form; a legal form followed by a number is one name.
  assert.deepEqual(subsidiaries(list, 'Commercial Aircraft Corporation of China Limited'), ['Beijing Aeronautical Science & Technology Research Institute', 'COMAC America Corporation', 'Shanghai Aircraft Design and Research Institute', 'Shanghai Aircraft Manufacturing Co., Ltd.']);
  assert.deepEqual(subsidiaries(list, 'China South Industries Group Corporation'), ['China South Industries Group Corporation No. 59 Research Institute Co., Ltd.', "Sichuan Jian'an Industry Co., Ltd."]);
  // A legal form in brackets is no alias; two lone words with a comma are one name.
  const cccg = list.entries.find((e) => e.name === 'China Communications Construction Group')!;
  assert.deepEqual(
    cccg.names.filter((n) => n.kind !== 'subsidiary').map((n) => n.value),
    ['China Communications Construction Group', 'CCCG'],
  );
  assert.deepEqual(subsidiaries(list, 'Semiconductor Manufacturing International Corporation'), ['Semiconductor Manufacturing International (Beijing) Corporation', 'SMIC Beijing', 'SMIC Holdings Limited', 'SMIC Holdings', 'SMIC, Americas']);
  for (const e of list.entries) for (const n of e.names) assert.equal(brokenShape(n.value), null, `${e.name}: "${n.value}"`);
});

test('no §1260H name or alias read from the real list has a broken shape', () => {
  const spec = loadListCatalogue().lists.find((l) => l.id === 'us-dow-1260h')!;
  const list = readCatalogueList(spec, join(MIRROR, spec.mirror_path));
  const broken = list.entries.flatMap((e) => e.names.map((n) => [e.name, n.value, brokenShape(n.value)] as const)).filter(([, , why]) => why !== null);
  assert.deepEqual(broken, []);
  assert.ok(subsidiaries(list, 'Semiconductor Manufacturing International Corporation').includes('SMIC, Americas'));
  assert.ok(subsidiaries(list, 'China North Industries Group Corporation Limited').includes('Kiekert USA Inc.'));
});
