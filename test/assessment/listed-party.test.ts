import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LEVELS } from '../../src/screening/lists.ts';
import { CaseService } from '../../src/service/cases.ts';
import { casesOverWatchlist, OFFICER, GREEN_CASE, GREEN_UNSENSITIVE_CASE } from '../helpers/cases.ts';
import { rorRecord } from '../helpers/landscape.ts';

// A listing at any level, with no list category, on a topic in no sensitive field: no criterion
// that reads the level, the category or the field applies, yet a loaded list names the party.
const HIT = rorRecord('01yqg2h08', 'Harbin Institute of Technology', 'CN', 'Harbin');
const HITSZ = { ...rorRecord('00hwfqh10', 'Harbin Institute of Technology Shenzhen Graduate School', 'CN', 'Shenzhen'), status: 'withdrawn', relationships: [{ type: 'successor', id: 'https://ror.org/01yqg2h08', label: 'Harbin Institute of Technology' }] };
const HIT_WEIHAI = rorRecord('02yxnh564', 'Harbin Institute of Technology at Weihai', 'CN', 'Weihai', '01yqg2h08');
// A hospital the registry marks as related to (not part of) the listed university.
const HIT_HOSPITAL = { ...rorRecord('05x9y8z76', 'Heilongjiang Teaching Hospital', 'CN', 'Harbin'), types: ['healthcare'], relationships: [{ type: 'related', id: 'https://ror.org/01yqg2h08', label: 'Harbin Institute of Technology' }] };

const ENTRIES: Record<(typeof LEVELS)[number], string> = {
  'very-high': 'Beihang University',
  high: 'Harbin Institute of Technology',
  medium: 'Huawei Technologies Co., Ltd.',
  low: 'National University of Defense Technology',
};

let cases: CaseService;
let close: () => Promise<void>;

before(async () => {
  ({ cases, close } = await casesOverWatchlist(
    Object.entries(ENTRIES).map(([level, name]) => ({ name, country: 'China', level })),
    [HIT, HITSZ, HIT_WEIHAI, HIT_HOSPITAL],
  ));
});
after(() => close());

const ROLES = {
  partner: (n: string) => ({ partners: [GREEN_UNSENSITIVE_CASE.partners[0], n.startsWith('ror:') ? { ror: n.slice(4), role: 'partner' } : { name: n, role: 'partner' }] }),
  funder: (n: string) => ({ funders: [{ name: n }] }),
  'in-kind provider': (n: string) => ({ in_kind: [{ from: n, what: 'GPU cluster' }] }),
  'personnel affiliation': (n: string) => ({ personnel: [{ name: 'C. Guest', affiliations: [n], talent_programmes: 'none', mobility: ['none'] }] }),
};

/** A party nobody lists leaves the case green: any other verdict below is the listing's doing. */
test('the open case in no sensitive field is green as written', async () => {
  const { id } = await cases.create(OFFICER, GREEN_UNSENSITIVE_CASE);
  assert.equal((await cases.assess(OFFICER, id, '2026-11-22')).result.overall, 'green');
});

async function assertYellowOrWorse(title: string, place: object, entry: string, level: string, relation?: string): Promise<void> {
  const { id } = await cases.create(OFFICER, { ...GREEN_UNSENSITIVE_CASE, title, ...place });
  const { result } = await cases.assess(OFFICER, id, '2026-11-22');
  assert.ok(result.overall === 'yellow' || result.overall === 'red', `${title}: ${result.overall}`);
  // A criterion that holds shows the listing: list, entry, level and the list's title and version.
  const holding = result.criteria.filter((r) => r.status === 'holds' && r.category === 'security');
  const shown = holding.flatMap((r) => r.evidence.map((e) => e.note ?? '')).join(' | ');
  const escaped = entry.replace(/[.()]/g, '\\$&');
  assert.match(shown, new RegExp(`${escaped} on my-watchlist \\(${level}, [^;]+; Our office watchlist, version [0-9a-f]+\\)`), `${title}: ${shown}`);
  // A party given by its ROR id is named in words, as the registry names it: never a bare id.
  assert.doesNotMatch(shown, /(^|\| )0[a-z0-9]{6}\d{2} \(/, `${title}: ${shown}`);
  if (relation) assert.match(shown, new RegExp(`${escaped} on my-watchlist \\(${level}, [a-z]+, inherited via [^;]+: ${relation}`), `${title}: ${shown}`);
}

for (const [level, entry] of Object.entries(ENTRIES)) {
  for (const [role, place] of Object.entries(ROLES)) {
    test(`a ${role} on a list at level ${level}, with no list category, is never green: yellow or worse, the listing in the evidence`, async () => {
      await assertYellowOrWorse(`${entry} as ${role}`, place(entry), entry, level);
    });
  }
}

test('a partner whose name hides a soft hyphen, zero-width space or joiner gets the verdict of its name written plainly: red for one listed very high in a sensitive field', async () => {
  const verdict = async (name: string) => {
    const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: `${name} as partner`, partners: [GREEN_CASE.partners[0], { name, role: 'partner' }] });
    return (await cases.assess(OFFICER, id, '2026-11-22')).result.overall;
  };
  assert.equal(await verdict(ENTRIES['very-high']), 'red');
  for (const hidden of ['Bei\u00adhang University', 'Beihang Uni\u200bversity', 'Bei\u200dhang University']) assert.equal(await verdict(hidden), 'red', JSON.stringify(hidden));
  const plainly = await verdict(ENTRIES.high);
  assert.notEqual(plainly, 'green');
  for (const hidden of ['Harbin Institute of Tech\u00adnology', 'Har\u200dbin Institute of Technology']) assert.equal(await verdict(hidden), plainly, JSON.stringify(hidden));
});

// Hits that are not the listed organisation itself: a part (a ROR child), a successor (a withdrawn
// record), a unit named after a listed company.
const RELATED = [
  ['ror:02yxnh564', 'Harbin Institute of Technology', 'high', 'part', 'a part of the listed entity'],
  ['Harbin Institute of Technology Shenzhen Graduate School', 'Harbin Institute of Technology', 'high', 'successor', 'the listed successor of a withdrawn record'],
  ["Huawei Noah's Ark Lab", 'Huawei Technologies Co., Ltd.', 'medium', 'company unit', 'a unit named after the listed company'],
] as const;

for (const [name, entry, level, relation, words] of RELATED) {
  for (const [role, place] of Object.entries(ROLES)) {
    if (name.startsWith('ror:') && role !== 'partner') continue;
    test(`a ${role} that is a ${relation} of an entity listed at level ${level} is never green`, async () => {
      await assertYellowOrWorse(`${name} as ${role}`, place(name), entry, level, words);
    });
  }
}

test('a listed party beside one nobody named yet is yellow, not only "needs information"', async () => {
  const low = ENTRIES.low;
  await assertYellowOrWorse('listed and unnamed partners', { partners: [GREEN_UNSENSITIVE_CASE.partners[0], { name: low, role: 'partner' }, { description: 'a partner university in Wuhan', role: 'partner' }] }, low, 'low');
  await assertYellowOrWorse('listed and unnamed funders', { funders: [{ name: low }, { name: 'a provincial innovation fund' }] }, low, 'low');
});

test('a partner the ROR registry marks as related to a listed university is never green, and the case says why; it is no direct listing', async () => {
  for (const partner of [
    { name: 'Heilongjiang Teaching Hospital', role: 'partner' },
    { ror: '05x9y8z76', role: 'partner' },
  ]) {
    const { id } = await cases.create(OFFICER, { ...GREEN_UNSENSITIVE_CASE, title: 'with a related hospital', partners: [GREEN_UNSENSITIVE_CASE.partners[0], partner] });
    const { result } = await cases.assess(OFFICER, id, '2026-11-22');
    assert.notEqual(result.overall, 'green', JSON.stringify(partner));
    assert.match(JSON.stringify(result), /related to Harbin Institute of Technology \(01yqg2h08\) in the ROR registry/);
    assert.ok(!result.criteria.some((r) => r.status === 'holds' && /on my-watchlist/.test(r.evidence.map((e) => e.note ?? '').join(' '))), 'counted as a listing');
    // What the officer is asked names the tie: which listed institution, which relation, what to establish.
    const asked = result.criteria.flatMap((r) => r.requests).join(' | ');
    assert.match(asked, /establish the tie: (Heilongjiang Teaching Hospital|05x9y8z76) is on no loaded list itself, but the ROR registry marks it as related to Harbin Institute of Technology \(ROR 01yqg2h08\), listed on Our office watchlist as Harbin Institute of Technology \(high\)/, asked);
    assert.match(asked, /whether .* is governed, funded or staffed by Harbin Institute of Technology/, asked);
    assert.doesNotMatch(asked, /identify the partner: its registered name or ROR id/, asked);
  }
});

// A ROR id written where the name goes is the registry institution, as `derisk screen` reads it.
test('a partner given as a ROR id in its name is identified by the registry, listed or not', async () => {
  for (const name of ['03cve4549', 'https://ror.org/03cve4549', 'https://ror.org/03cve4549/', 'ROR.org/03CVE4549']) {
    const { id } = await cases.create(OFFICER, { ...GREEN_UNSENSITIVE_CASE, title: `ROR id as name ${name}`, partners: [GREEN_UNSENSITIVE_CASE.partners[0], { name, role: 'partner' }] });
    assert.equal((await cases.assess(OFFICER, id, '2026-11-22')).result.overall, 'green', name);
  }
  await assertYellowOrWorse('listed ROR id as name', ROLES.partner('https://ror.org/01yqg2h08'), ENTRIES.high, 'high');
  for (const written of ['https://ror.org/01yqg2h08/', 'ror:01yqg2h08', 'https://ror.org/01yqg2h08?x', '\u200b01yqg2h08']) await assertYellowOrWorse(`listed ROR id as name, written ${JSON.stringify(written)}`, ROLES.partner(written), ENTRIES.high, 'high');
  await assertYellowOrWorse('listed ROR id as funder', ROLES.funder('01yqg2h08'), ENTRIES.high, 'high');
});

// Round 50 (ties54), an outside red team: a listed party written with a tie in a partner field ("University of Oxford,
// subcontractor Huawei") left partners.listed unknown (null), the listed party named nowhere.
test('a listed party written with a tie in a partner field is a listed partner', async () => {
  for (const name of ['University of Oxford, subcontractor Beihang University', 'ETH Zurich, with funding from Beihang University', 'ETH Zurich funded in part by Beihang University']) {
    const { id } = await cases.create(OFFICER, { ...GREEN_UNSENSITIVE_CASE, title: name, ...ROLES.partner(name) });
    const { result } = await cases.assess(OFFICER, id, '2026-11-22');
    assert.equal(result.evidence!.facts['partners.listed'], true, `${name}: ${result.evidence!.notes['partners.listed']}`);
  }
});
