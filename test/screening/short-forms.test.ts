import assert from 'node:assert/strict';
import { test } from 'node:test';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { loadListCatalogue, readCatalogueList } from '../../src/screening/lists.ts';
import { buildScreeningContext } from '../../src/screening/context.ts';
import type { ScreenResult } from '../../src/screening/screener.ts';
import { openInput } from '../../src/ingest/lines.ts';
import { readWos } from '../../src/ingest/wos.ts';
import { MIRROR, collect } from '../helpers/fixtures.ts';
import { realRegistry } from '../helpers/registry.ts';

let built: ReturnType<typeof build> | null = null;
async function build() {
  const { institutions, resolver } = await realRegistry();
  const lists = loadListCatalogue().lists.map((spec) => readCatalogueList(spec, join(MIRROR, spec.mirror_path)));
  return buildScreeningContext(lists, institutions, resolver).screener;
}
const realScreener = () => (built ??= build());

const entries = (r: ScreenResult) => r.hits.map((h) => h.entry);
const finds = (r: ScreenResult, entry: RegExp) => r.state === 'listed' && r.hits.some((h) => entry.test(h.entry));
const missed = async (cases: [string, RegExp][]) => {
  const screener = await realScreener();
  return cases
    .map(([q, entry]) => ({ q, entry, r: screener.screen(q) }))
    .filter(({ r, entry }) => !finds(r, entry))
    .map(({ q, r }) => `${q}: ${r.state}: ${entries(r).join('; ') || r.headline}`);
};

test('Web of Science abbreviations of military, supercomputing and compass words find the listed entity', async () => {
  assert.deepEqual(
    await missed([
      ['Acad Mil Med Sci', /^Academy of Military Medical Sciences$/],
      ['Natl Supercomp Ctr Wuxi', /^National Supercomputing Center Wuxi$/],
      ['NW Polytech Univ', /^Northwestern Polytechnical University$/],
      ['Xijing Hosp, Fourth Mil Med Univ', /^Air Force Medical University$/],
    ]),
    [],
  );
});

test('the new abbreviations join nothing new in the real Web of Science export but military institutions', async () => {
  const screener = await realScreener();
  const items = await collect(readWos(openInput(join(MIRROR, 'wos-export-sample-ble-scientopy/wos_ble_2015_2026_tabdelimited.txt.gz'))));
  const addresses = new Set(items.flatMap((i) => (i.ok ? i.record.authorships.flatMap((a) => a.affiliations.map((f) => f.raw)) : [])));
  const compass = [...addresses].filter((a) => /\b(NW|NE|SW|SE)\b/.test(a));
  const military = [...addresses].filter((a) => /\bMil\b/.test(a));
  // Street directions ("Atlantic Dr NW"), Nebraska ("Omaha, NE"), Swedish postcodes ("SE-58183"), "TotalEnergies SE".
  assert.ok(compass.length >= 30, `${compass.length} addresses with a compass abbreviation`);
  assert.deepEqual(
    compass
      .map((a) => ({ a, r: screener.screen(a) }))
      .filter(({ r }) => r.hits.length > 0)
      .map(({ a, r }) => `${a}: ${entries(r).join('; ')}`),
    [],
  );
  // Each "Mil" in the export is military: only the Chinese military institutions are listed.
  const hit = military.map((a) => ({ a, r: screener.screen(a) })).filter(({ r }) => r.hits.length > 0);
  assert.deepEqual([...new Set(hit.flatMap(({ r }) => r.organisations.map((o) => o.name)))].sort(), ['Academy of Military Science', 'Air Force Medical University']);
  assert.ok(hit.every(({ a }) => /Peoples R China/.test(a)));
});

test('Chinese short names, former names and traditional characters find the listed entity', async () => {
  assert.deepEqual(
    await missed([
      ['中科院长春光机所', /^Chinese Academy of Sciences Changchun Institute of Optics/],
      ['長春光機所', /^Chinese Academy of Sciences Changchun Institute of Optics/],
      ['国防科学技术大学', /^National University of Defense Technology$/],
      ['國防科學技術大學', /^National University of Defense Technology$/],
      ['腾讯', /^Tencent Holdings Limited$/],
      ['騰訊', /^Tencent Holdings Limited$/],
      ['中芯国际', /^Semiconductor Manufacturing International Corporation$/i],
      ['中芯國際', /^Semiconductor Manufacturing International Corporation$/i],
      // A CAS institute the registry knows in simplified characters only.
      ['中國科學院計算技術研究所', /Institute of Computing Technology/],
      ['中國科學院長春光學精密機械與物理研究所', /^Chinese Academy of Sciences Changchun Institute of Optics/],
    ]),
    [],
  );
});

test('a research unit of a listed company is that company, reached through the unit; the guards hold', async () => {
  const screener = await realScreener();
  for (const [q, entry] of [
    ['Tencent AI Lab', /^Tencent Holdings Limited$/],
    ['Alibaba DAMO Academy', /^Alibaba Group Holding Limited$/],
    ['Baidu Research', /^Baidu, Inc\.$/],
    ["Huawei Noah's Ark Lab", /^Huawei/],
    ['Baidu Research, Sunnyvale, CA, USA', /^Baidu, Inc\.$/],
  ] as const) {
    const r = screener.screen(q);
    assert.ok(finds(r, entry), `${q}: ${r.state}: ${r.headline}`);
    assert.ok(
      r.hits.some((h) => entry.test(h.entry) && h.inherited?.relation === 'company-unit'),
      `${q}: ${r.hits.map((h) => h.evidence).join(' | ')}`,
    );
  }
  for (const q of ['Alibaba Street Community Center', 'Baidu University', 'Tencent, Hanoi, Vietnam']) assert.deepEqual(entries(screener.screen(q)), [], q);
});

test('a stock code is the listed company traded under it, found by its ticker', async () => {
  const screener = await realScreener();
  for (const [q, entry] of [
    ['002415.SZ', /Hikvision/],
    ['0981.HK', /^Semiconductor Manufacturing International Corporation$/i],
    ['688981.SS', /^Semiconductor Manufacturing International Corporation$/i],
    ['SH688981', /^Semiconductor Manufacturing International Corporation$/i],
    ['000063.SZ', /^ZTE Corporation$/],
    ['0700.HK', /^Tencent Holdings Limited$/],
    ['HKEX: 700', /^Tencent Holdings Limited$/],
  ] as const) {
    const r = screener.screen(q);
    assert.ok(finds(r, entry), `${q}: ${r.state}: ${r.headline}`);
    assert.ok(
      r.hits.some((h) => entry.test(h.entry) && h.match === 'ticker' && /stock code .* data\/screening\/tickers\.json/.test(h.evidence)),
      `${q}: ${r.hits.map((h) => h.evidence).join(' | ')}`,
    );
  }
  // A code the table lacks, a mainland code missing its zeros, or a code on another exchange is no company.
  for (const q of ['999999.SZ', '2415.SZ', '002415.HK', '0700.SZ']) assert.equal(screener.screen(q).state, 'unknown', q);
});

test('every stock code in the table finds a listed entry of its company', async () => {
  const screener = await realScreener();
  const { tickers } = JSON.parse(readFileSync(new URL('../../data/screening/tickers.json', import.meta.url), 'utf8')) as { tickers: { exchange: string; code: string; company: string }[] };
  const suffix: Record<string, string> = { SZSE: 'SZ', SSE: 'SS', HKEX: 'HK' };
  assert.deepEqual(
    tickers.filter((t) => !screener.screen(`${t.code}.${suffix[t.exchange]}`).hits.some((h) => h.match === 'ticker')).map((t) => `${t.exchange} ${t.code} ${t.company}`),
    [],
  );
});

// The US Entity List lists people too, with nicknames as one-word aliases: "Cherry" (Luo Jie)
// screened the German keyboard maker Cherry GmbH as listed. A place ("Kursk") or a word registry
// institutions abroad bear ("Yarmouk": Yarmouk University, Jordan) listed as well. data/lists/aliases.json one_word_aliases.
test('a one-word alias that is a person’s, a place or a word borne abroad is a question alone, and nothing where the string names a company', async () => {
  const screener = await realScreener();
  for (const [q, entry] of [
    ['Cherry', /^Luo Jie$/],
    ['Yarmouk', /^Khartoum Military Industrial Complex$/],
    ['Kursk', /^18th Central Scientific Research Institute/],
  ] as const) {
    const r = screener.screen(q);
    assert.equal(r.state, 'ambiguous', `${q}: ${r.headline}`);
    assert.deepEqual(entries(r), [], q);
    assert.match(r.headline, /one-word alias .* no evidence on its own/, q);
    const offered = r.choices.find((c) => c.listed && entry.test(c.query));
    assert.ok(offered && screener.screen(offered.query).state === 'listed', `${q}: ${JSON.stringify(r.choices)}`);
    assert.ok(
      r.choices.some((c) => !c.listed && c.query === q),
      `${q}: the name as written is a choice`,
    );
  }
  assert.match(screener.screen('Cherry').headline, /Luo Jie \(US Entity List \(BIS\), high; a person\)/);
  // A person's alias never lists an organisation, nor asks about one.
  for (const q of ['Cherry GmbH', 'Cherry Europe GmbH', 'Cherry Ltd', 'Cherry, Auerbach, Germany']) {
    const r = screener.screen(q);
    assert.deepEqual(entries(r), [], q);
    assert.ok(!r.choices.some((c) => /Luo Jie/.test(c.label)) && r.state !== 'listed', `${q}: ${r.state}: ${r.headline}`);
  }
  // Placed where the list places it, such an alias is the entry; a one-word brand of no other use still lists alone.
  assert.ok(finds(screener.screen('Yarmouk, Khartoum, Sudan'), /^Khartoum Military Industrial Complex$/));
  for (const [q, entry] of [
    ['Skoltech', /^Skolkovo Institute of Science and Technology$/],
    ['Kaspersky', /Kaspersky/],
    ['Dahua', /Dahua/],
    ['Sugon', /^Dawning Information Industry/],
    ['Unitree', /^Hangzhou Yushu Technology/],
  ] as const) {
    const r = screener.screen(q);
    assert.ok(finds(r, entry), `${q}: ${r.state}: ${entries(r).join('; ') || r.headline}`);
  }
});
