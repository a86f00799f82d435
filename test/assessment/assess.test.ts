import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { Assessor } from '../../src/assessment/assessor.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { caseAsAssessed, CaseError, readCaseDocument } from '../../src/assessment/case.ts';
import { reportHtml, writePdf } from '../../src/assessment/report.ts';
import { loadRulebook } from '../../src/assessment/rulebook.ts';
import { verifyAudit } from '../../src/service/audit.ts';
import type { Actor } from '../../src/service/authorize.ts';
import { CaseService } from '../../src/service/cases.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { saveLists, screeningContext } from '../../src/screening/store.ts';
import type { Store } from '../../src/store/store.ts';
import { casesOverWatchlist, OFFICER, GREEN_CASE } from '../helpers/cases.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { rorRecord } from '../helpers/landscape.ts';
import { WATCHLIST_PROVENANCE, watchlist } from '../helpers/watchlist.ts';

let db: EmbeddedDb;
let cases: CaseService;
let assessor: Assessor;
let close: () => Promise<void>;
let store: Store;

before(async () => {
  ({ db, cases, assessor, close, store } = await casesOverWatchlist(
    [
      { name: 'Chinese Academy of Sciences', name_zh: '中国科学院', level: 'very-high', ror_ids: ['034t30j35'] },
      { name: 'Thousand Talents Plan', level: 'high', category: 'talent programme' },
      { name: 'Huawei Technologies Co., Ltd.', country: 'China', level: 'high', note: 'listed for the test' },
    ],
    // Institutions a placeholder or a wrongly placed partner resolves to in the real registry ("TBD" is Thai Binh Duong University's acronym).
    [
      {
        ...rorRecord('017qs1m21', 'Thai Binh Duong University', 'VN', 'Nha Trang'),
        names: [
          { value: 'Thai Binh Duong University', types: ['ror_display', 'label'], lang: 'en' },
          { value: 'TBD', types: ['acronym'], lang: null },
        ],
      },
      rorRecord('02zhqgq86', 'University of Hong Kong', 'HK', 'Hong Kong'),
    ],
    { screen: true },
  ));
});
after(() => close());

test('a partner on a list at very high level makes the verdict red, with its evidence, source and a restriction', async () => {
  const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: 'Vision with CAS', partners: [{ name: 'Institute of Automation, Beijing, China', role: 'partner' }], technology: { fields: ['ai-image-processing'], dual_use: 'yes', export_controlled: 'unknown' } });
  const { result } = await cases.assess(OFFICER, id, '2026-11-22');
  assert.equal(result.overall, 'red');
  const c = result.criteria.find((r) => r.id === 'S-DEFENCE-VERY-HIGH')!;
  assert.equal(c.status, 'holds');
  assert.match(c.evidence[0]!.note!, /Chinese Academy of Sciences on my-watchlist \(very-high, registry, inherited via Chinese Academy of Sciences/);
  assert.match(c.source.title, /Risk lists/);
  assert.ok(result.plan.restriction.some((m) => /Do not proceed/.test(m.text)));
  assert.ok(result.plan['red-line'].length > 0 && result.plan['exit-option'].length > 0);
  assert.equal(result.reassessBy, '2027-02-22');
  assert.equal(result.rulebook.hash, loadRulebook().hash);
  assert.deepEqual(result.bundle, loadBundle().record);
  assert.deepEqual(
    (result.snapshot.lists as { id: string }[]).map((l) => l.id),
    ['my-watchlist'],
  );
  assert.equal(c.redRoute?.kind, 'conditional', 'red says which conditions could make it acceptable');
  assert.match(c.redRoute!.sourceTitle, /National Knowledge Security Guidelines/);
});

test('open basic research with an unlisted partner and no sensitive data is green, with no restriction', async () => {
  const { id } = await cases.create(OFFICER, GREEN_CASE);
  const { result } = await cases.assess(OFFICER, id, '2026-11-22');
  assert.equal(result.overall, 'green');
  assert.equal(result.provisional, false);
  assert.deepEqual(result.plan.restriction, []);
  assert.deepEqual(result.lowering.sort(), ['L-NO-SENSITIVE-DATA', 'L-OPEN-BASIC-RESEARCH']);
  assert.equal(result.reassessBy, '2027-11-22');
});

test('unanswered questions are reported as needing information, never as green', async () => {
  const { id } = await cases.create(OFFICER, { title: 'Early idea', partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }] });
  const { result } = await cases.assess(OFFICER, id, '2026-11-22');
  assert.equal(result.overall, 'needs-information');
  assert.equal(result.provisional, true);
  assert.ok(result.criteria.some((r) => r.id === 'E-NO-EQUAL-DATA-ACCESS' && r.status === 'needs-information' && r.missing.includes('terms.equal_access_to_data')));
  assert.ok(result.whatWouldChange.some((w) => /\(not known: equal access to data\) — the answer could make the verdict yellow/.test(w)));
  assert.ok(
    result.criteria.some((r) => r.id === 'S-FUNDING-LISTED' && r.status === 'needs-information' && r.requests.some((q) => /name every funder/.test(q))),
    'funders not given are unknown, not "none"',
  );
  assert.equal(result.reassessBy, '2026-12-22');
});

test("a participant's affiliation nobody identified is not taken as unlisted: the criterion asks for it and the verdict is not green", async () => {
  const doc = { ...GREEN_CASE, title: 'Unknown affiliation', personnel: [{ name: 'F. Guest', affiliations: ['a university in Changsha'], talent_programmes: 'none', mobility: ['none'] }] };
  const { id } = await cases.create(OFFICER, doc);
  const { result } = await cases.assess(OFFICER, id, '2026-11-22');
  const c = result.criteria.find((r) => r.id === 'S-PERSONNEL-LISTED-AFFILIATION')!;
  assert.equal(c.status, 'needs-information');
  assert.notEqual(result.overall, 'green');
});

test('verdicts are deterministic, stored with the rulebook hash, and a re-run under a new rulebook shows the difference', async () => {
  const doc = { ...GREEN_CASE, title: 'Talent case', personnel: [{ name: 'C. Fellow', affiliations: ['University of Oxford'], talent_programmes: ['Thousand Talents Plan'] }] };
  const { id } = await cases.create(OFFICER, doc);
  const first = await cases.assess(OFFICER, id, '2026-11-22');
  const second = await cases.assess(OFFICER, id, '2026-11-22');
  assert.deepEqual(second.result, first.result);
  assert.equal(first.overall, 'red', 'a listed talent programme');
  const rulebook = readFileSync(loadRulebook().file, 'utf8');
  const from = rulebook.indexOf('  - id: S-TALENT-PROGRAMME-LISTED');
  const block = rulebook.slice(from, rulebook.indexOf('  - id: S-TALENT-PROGRAMME\n'));
  const yellow = block
    .replace('outcome: red', 'outcome: yellow')
    .replace(/ {4}red_route:[\s\S]*?(?= {4}mitigations:)/, '')
    .replace('mitigations: [talent-disclosure, exclude-subtopic, milestone-review]', 'mitigations: [talent-disclosure, milestone-review, red-line-scope, exit-scope]');
  const stricter = writeTemp('rulebook.yaml', rulebook.replace(block, yellow));
  const { diff } = await cases.rerun(OFFICER, first.id, loadBundle({ rulebook: stricter }));
  assert.deepEqual(diff.overall, ['red', 'yellow']);
  assert.deepEqual(diff.changed, [{ id: 'S-TALENT-PROGRAMME-LISTED', before: 'holds → red', after: 'holds → yellow' }]);
  assert.notEqual(diff.rulebooks[0], diff.rulebooks[1]);
  assert.deepEqual(
    diff.files.map((f) => f.file),
    ['data/assessment/rulebook.yaml'],
    'the re-run says which file of the bundle changed',
  );
  const stored = await cases.assessments(OFFICER, id);
  assert.equal(stored.length, 3);
  assert.equal(new Set(stored.map((s) => s.rulebook.hash)).size, 2);
  assert.deepEqual((await verifyAudit(db)).problems, []);
});

test('invalid cases, unknown partners and contradictory answers are refused naming the field', async () => {
  const refuse = (doc: object, message: RegExp) => assert.rejects(cases.create(OFFICER, doc), (e: Error) => e instanceof CaseError && message.test(e.message));
  await refuse({ ...GREEN_CASE, budget: 3 }, /^budget: unknown field/);
  await refuse({ ...GREEN_CASE, partners: [] }, /partners: a case needs at least one partner/);
  await refuse({ ...GREEN_CASE, partners: [{ ror: '0abcdef12' }] }, /partners\[0\]\.ror: unknown ROR id 0abcdef12/);
  await refuse({ ...GREEN_CASE, partners: [{ ror: 'not-ror' }] }, /is not a ROR id/);
  await refuse({ ...GREEN_CASE, technology: { fields: ['alchemy'] } }, /technology.fields: unknown field "alchemy"/);
  await refuse({ ...GREEN_CASE, application: { uses: ['mind-reading'] } }, /application.uses: unknown use "mind-reading"/);
  await refuse({ ...GREEN_CASE, terms: { equal_access_to_data: 'maybe' } }, /terms.equal_access_to_data: "maybe" is not yes, no or unknown/);
  await refuse({ ...GREEN_CASE, data: { kinds: ['none', 'personal'] } }, /"none" contradicts personal/);
  await refuse({ ...GREEN_CASE, data: { storage: ['CN'], transfer_to_china: 'no' } }, /storage includes CN, yet data.transfer_to_china is no/);
  await refuse({ ...GREEN_CASE, terms: { equal_right_to_publish: 'yes', partner_veto_on_publication: 'yes' } }, /equal right to publish contradicts a partner veto/);
  assert.equal((await cases.list(OFFICER)).filter((c) => c.title === GREEN_CASE.title).length, 1, 'nothing half-written');
});

test('the report is self-contained HTML that renders hostile text inert; the PDF embeds a CJK font for Chinese names', async () => {
  const doc = { ...GREEN_CASE, title: '<script>alert(1)</script> & 中国科学院 project', partners: [{ name: '中国科学院', role: 'partner', country: 'CN' }] };
  const { id } = await cases.create(OFFICER, doc);
  const stored = await cases.assess(OFFICER, id, '2026-11-22');
  const html = reportHtml(assessor.validate(stored.result.case), stored.result, { caseId: id });
  assert.ok(!html.includes('<script>alert'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; 中国科学院 project'));
  assert.match(html, /Overall verdict: <span class="badge"[^>]*>RED/);
  assert.match(html, /version [0-9.]+, content hash [0-9a-f]{16}\. Policy bundle [0-9.]+ \[[0-9a-f]{16}\]: data\/assessment\/rulebook.yaml [0-9a-f]{16}/);
  const pdf = join(tempDir(), 'report.pdf');
  await writePdf(html, pdf);
  const bytes = readFileSync(pdf);
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  assert.match(bytes.toString('latin1'), /NotoSansCJK|NotoSerifCJK|Noto Sans CJK/, 'a CJK font is embedded for the Chinese name');
});

test('bug 1: a partner nobody identified is never "not listed": security needs information with the request to identify it', async () => {
  for (const partner of [
    { name: 'a partner university in Wuhan', country: 'CN' },
    { name: 'unknown', description: 'an unnamed company in Shenzhen', country: 'CN', kind: 'company' },
    { name: 'Evil\u202E Labs', country: 'CN' },
  ]) {
    const { id } = await cases.create(OFFICER, {
      ...GREEN_CASE,
      title: `Unidentified: ${partner.name}`,
      partners: [
        { name: 'University of Oxford', role: 'lead', country: 'GB' },
        { ...partner, role: 'partner' },
      ],
    });
    const { result } = await cases.assess(OFFICER, id, '2026-11-22');
    assert.equal(result.categories.security.verdict, 'needs-information', JSON.stringify(result.categories));
    assert.notEqual(result.overall, 'green');
    assert.equal(result.evidence!.facts['partners.identified'], false);
    assert.equal(result.evidence!.facts['partners.listed'], null, 'listing is unknown, not false');
    const open = result.criteria.find((r) => r.id === 'S-THIRD-COUNTRY-LISTED')!;
    assert.equal(open.status, 'needs-information');
    assert.ok(open.requests.some((q) => /identify every partner/.test(q)));
    assert.match(open.evidence[0]!.note!, /identify the partner/);
    assert.ok(!JSON.stringify(result.evidence!.notes).includes('no partner is on a loaded list'));
    // The report an officer files says it in the words the page and the CLI use.
    const html = reportHtml(assessor.validate(result.case), result, { caseId: id });
    assert.match(html, /<strong>unknown organisation<\/strong>: /);
    assert.match(html, /identify it before relying on this/);
    // A right-to-left override in a name is shown as a marker, never left to reverse the report's words after it.
    assert.ok(!/[\u202A-\u202E\u2066-\u2069]/.test(html));
    if (partner.name.includes('\u202E')) assert.match(html, /Evil⟨U\+202E⟩ Labs/);
  }
  // The same case with the partner identified (Tsinghua, in the registry) is green.
  const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: 'Identified partner' });
  assert.equal((await cases.assess(OFFICER, id, '2026-11-22')).result.overall, 'green');
});

test('bug 1 class: a placeholder name ("TBD", "N/A") is a partner not named yet, whatever the registry resolves it to', async () => {
  for (const name of ['TBD', 'tba', 'NN', 'N/A', 'to be named', '?', 'T\u200bBD', '\u00adN/A\u200e', 'ＴＢＤ', 'to  be\u2060 named']) {
    const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: `Placeholder ${name}`, partners: [GREEN_CASE.partners[0], { name, role: 'partner', country: 'CN' }] });
    const { result } = await cases.assess(OFFICER, id, '2026-11-22');
    assert.equal(result.categories.security.verdict, 'needs-information', `${name}: ${JSON.stringify(result.categories)}`);
    assert.notEqual(result.overall, 'green');
    assert.equal(result.evidence!.facts['partners.identified'], false, name);
    assert.equal(result.evidence!.facts['partners.chinese'], true, `${name}: the stated country stands`);
    const party = (result.evidence!.parties as { query: string; identified: boolean; rorId: string | null; why: string }[]).find((p) => p.query === name)!;
    assert.equal(party.rorId, null, `${name} is not screened as the institution it resembles`);
    assert.match(party.why, /^not named yet: ".*" is a placeholder \(.+\)/);
    assert.match(result.evidence!.notes['partners.listed']!, /placeholder.*identify the partner/);
  }
});

test('red team F1 class: a description ("a university in Hong Kong") is a partner not named yet, never the institution it resembles', async () => {
  for (const [name, country] of [
    ['a university in Hong Kong', 'HK'],
    ['university (Hong Kong)', 'HK'],
    ['University in Macau (TBD)', 'MO'],
    ['a university of Hong Kong', 'HK'],
    // Red team round 45: an article, a place and a kind; kind words and a country or region.
    ['a Hong Kong university', 'HK'],
    ['the Hong Kong university', 'HK'],
    ['University in Hong Kong', 'HK'],
    ['University, Hong Kong', 'HK'],
  ] as const) {
    const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: `Described ${name}`, partners: [GREEN_CASE.partners[0], { name, role: 'partner', country }] });
    const { result } = await cases.assess(OFFICER, id, '2026-11-22');
    assert.notEqual(result.overall, 'green', name);
    assert.equal(result.categories.security.verdict, 'needs-information', `${name}: ${JSON.stringify(result.categories)}`);
    const party = (result.evidence!.parties as { query: string; rorId: string | null; why: string }[]).find((p) => p.query === name)!;
    assert.equal(party.rorId, null, `${name} is not screened as the University of Hong Kong`);
    assert.match(party.why, /^not named yet: .*not a name/);
  }
  const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: 'Named HKU', partners: [GREEN_CASE.partners[0], { name: 'University of Hong Kong', role: 'partner', country: 'HK' }] });
  const party = ((await cases.assess(OFFICER, id, '2026-11-22')).result.evidence!.parties as { query: string; rorId: string | null }[]).find((p) => p.query === 'University of Hong Kong')!;
  assert.equal(party.rorId, '02zhqgq86', 'the name itself is identified');
});

test('red team round 47: a partner field naming more than one party is not identified, never green; a listed party it names is found', async () => {
  const ECNU = 'East China Normal University';
  for (const name of [`${ECNU}, subcontracting to a Huawei subsidiary`, `${ECNU} (second partner TBD)`, `${ECNU} and a Chinese company`, `${ECNU} et al.`, `${ECNU} – consortium of Chinese universities`]) {
    const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: `Several ${name}`, partners: [GREEN_CASE.partners[0], { name, role: 'partner', country: 'CN' }] });
    const { result } = await cases.assess(OFFICER, id, '2026-11-22');
    assert.notEqual(result.overall, 'green', name);
    assert.equal(result.evidence!.facts['partners.identified'], false, name);
    const party = (result.evidence!.parties as { query: string; rorId: string | null; why: string; hits: { entry: string }[] }[]).find((p) => p.query === name)!;
    assert.equal(party.rorId, null, `${name} is not screened as East China Normal University alone`);
    assert.match(party.why, /more than one party, or a party not identified .*name each partner on its own line/);
    if (name.includes('Huawei'))
      assert.ok(
        party.hits.some((h) => /huawei/i.test(h.entry)),
        `${name}: Huawei is found`,
      );
  }
});

test('bug 1 class: a partner the registry places in another country than the case says is not identified; the note names both', async () => {
  const partner = async (p: Record<string, string>) => {
    const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: `Placed: ${JSON.stringify(p)}`, partners: [GREEN_CASE.partners[0], { role: 'partner', ...p }] });
    return (await cases.assess(OFFICER, id, '2026-11-22')).result;
  };
  const vn = await partner({ name: 'Thai Binh Duong University', country: 'CN' });
  assert.equal(vn.categories.security.verdict, 'needs-information', JSON.stringify(vn.categories));
  assert.notEqual(vn.overall, 'green');
  assert.equal(vn.evidence!.facts['partners.identified'], false);
  assert.match(vn.evidence!.notes['partners.listed']!, /Thai Binh Duong University \(017qs1m21\), in Vietnam \(VN\), but the case places it in CN: .*identify the partner/);
  assert.equal(vn.evidence!.facts['partners.chinese'], true, 'the stated country stands');
  // Hong Kong is its own place (as in the regions): a Hong Kong university written as CN is asked about.
  const hkAsCn = await partner({ ror: '02zhqgq86', country: 'CN' });
  assert.equal(hkAsCn.evidence!.facts['partners.identified'], false);
  assert.match(hkAsCn.evidence!.notes['partners.listed']!, /in Hong Kong SAR China \(HK\), but the case places it in CN/);
  assert.notEqual(hkAsCn.overall, 'green');
  // The same places, written as a code or a name, and a party whose country is not given: no conflict.
  const agreeing: Record<string, string>[] = [{ ror: '02zhqgq86', country: 'HK' }, { ror: '02zhqgq86', country: 'Hong Kong' }, { name: 'Thai Binh Duong University', country: 'Vietnam' }, { name: 'Thai Binh Duong University' }, { ror: '03cve4549', country: 'China' }];
  for (const p of agreeing) {
    assert.equal((await partner(p)).evidence!.facts['partners.identified'], true, JSON.stringify(p));
  }
  // China as sources and people write it places a partner nobody identified in China, as "CN" does.
  for (const country of ['CN', 'China', 'Peoples R China', 'P. R. China', 'Chine', 'mainland China', '中华人民共和国', 'CN\u200b', '\u200eＣＮ', 'Chi\u00adna']) {
    const unidentified = await partner({ name: 'Great Future Robotics Lab', country });
    assert.equal(unidentified.evidence!.facts['partners.chinese'], true, JSON.stringify(country));
  }
});

test('bug 1 for funders: a funder given by a name nobody can resolve, or funders not given, leave security at needs information', async () => {
  const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: 'Unknown funder', funders: [{ name: 'Great Future Innovation Fund' }] });
  const { result } = await cases.assess(OFFICER, id, '2026-11-22');
  assert.equal(result.categories.security.verdict, 'needs-information');
  assert.equal(result.evidence!.facts['funding.identified'], false);
  assert.match(result.evidence!.notes['funding.listed']!, /Great Future Innovation Fund \(funder\): "Great Future Innovation Fund" resolves to no registry institution and no listed entity/);
  const { id: none } = await cases.create(OFFICER, { ...GREEN_CASE, title: 'Funders not given', funders: undefined, in_kind: undefined });
  const r2 = (await cases.assess(OFFICER, none, '2026-11-22')).result;
  assert.equal(r2.categories.security.verdict, 'needs-information');
  assert.equal(r2.evidence!.facts['funding.known'], false);
});

test("bug 3: a listed funder, in-kind provider and a participant's affiliation show list, entry, level, match and source in the verdict and the report", async () => {
  const doc = {
    ...GREEN_CASE,
    title: 'Funded by Huawei',
    funders: [{ name: 'Huawei', kind: 'company' }],
    in_kind: [{ from: '华为', what: 'GPU cluster', kind: 'company' }],
    personnel: [{ name: 'D. Guest', affiliations: ['Institute of Automation, Beijing, China'], talent_programmes: 'none', mobility: ['visit'] }],
  };
  const { id } = await cases.create(OFFICER, doc);
  const stored = await cases.assess(OFFICER, id, '2026-11-22');
  const funding = stored.result.criteria.find((r) => r.id === 'S-FUNDING-LISTED')!;
  assert.equal(funding.status, 'holds');
  const note = funding.evidence.find((e) => e.path === 'funding.listed')!.note!;
  assert.match(note, /Huawei \(funder\): Huawei Technologies Co\., Ltd\. on my-watchlist \(high, alias; Our office watchlist, version [0-9a-f]+\)/);
  assert.match(note, /华为 \(in kind: GPU cluster\): Huawei Technologies Co\., Ltd\. on my-watchlist/);
  assert.ok(stored.result.plan.restriction.length === 0, 'yellow: no restriction');
  assert.ok(stored.result.plan.regulatory.some((m) => m.id === 'funding-disclosure'));
  const affiliation = stored.result.criteria.find((r) => r.id === 'S-PERSONNEL-LISTED-AFFILIATION')!;
  assert.equal(affiliation.status, 'holds');
  assert.match(affiliation.evidence[0]!.note!, /Institute of Automation, Beijing, China \(affiliation of D\. Guest\): Chinese Academy of Sciences on my-watchlist \(very-high, registry, inherited via/);
  const html = reportHtml(assessor.validate(stored.result.case), stored.result, { caseId: id });
  assert.match(html, /Huawei <span class="muted">\(funder\)<\/span><\/td><td>the registry resolves|Huawei <span class="muted">\(funder\)<\/span><\/td><td>&quot;Huawei&quot; is the listed entity/);
  assert.match(html, /Huawei Technologies Co\., Ltd\. — my-watchlist, alias/);
  assert.match(html, /affiliation of D\. Guest/);
  // A yellow verdict carries the project's own red lines and exit options.
  assert.equal(stored.result.overall, 'yellow');
  assert.ok(stored.result.plan['red-line'].length > 0 && stored.result.plan['exit-option'].length > 0);
  assert.ok(stored.result.plan.restriction.every((m) => m.id !== 'decline-funder'));
});

test('a listed funder at very high level is red, with "decline or replace the funder" as the route', async () => {
  const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: 'Funded by CAS', funders: [{ name: 'Chinese Academy of Sciences', kind: 'research-institute' }] });
  const { result } = await cases.assess(OFFICER, id, '2026-11-22');
  assert.equal(result.overall, 'red');
  const c = result.criteria.find((r) => r.id === 'S-FUNDING-DEFENCE')!;
  assert.equal(c.status, 'holds');
  assert.equal(c.redRoute?.kind, 'conditional');
  assert.match(c.redRoute!.conditions[0]!, /declined or replaced/);
  assert.ok(result.plan.restriction.some((m) => m.id === 'decline-funder'));
});

test('bug 4: co-publications with listed entities count the non-European partners, each named, not the European lead', async () => {
  // TU Delft co-authored W6 with a CAS institute (listed); Tsinghua co-authored nothing with a listed entity.
  const { id } = await cases.create(OFFICER, {
    ...GREEN_CASE,
    title: 'Delft and Tsinghua',
    partners: [
      { ror: '02e2c7k09', role: 'lead', country: 'NL' },
      { ror: '03cve4549', role: 'partner', country: 'CN' },
    ],
  });
  const { result } = await cases.assess(OFFICER, id, '2026-11-22');
  assert.equal(result.evidence!.facts['copubs.listed_5y'], 0, "Delft's co-publication with the CAS institute is not the partner's");
  const note = result.evidence!.notes['copubs.listed_5y']!;
  assert.match(note, /03cve4549 \(CN\): 0 of its 4 works in 2021–2025/);
  assert.match(note, /02e2c7k09 \(NL\) not counted: a European partner/);
});

test('an edited case leaves its stored assessment unchanged: GET, report and re-run read the case as assessed', async () => {
  const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: 'Original title' });
  const first = await cases.assess(OFFICER, id, '2026-11-22');
  await cases.update(OFFICER, id, { ...GREEN_CASE, title: 'Edited title', partners: [{ name: 'Harbin Institute of Technology', country: 'CN' }] }, 1);
  const stored = await cases.assessment(OFFICER, first.id);
  assert.equal((stored.result.case as { title: string }).title, 'Original title');
  const html = reportHtml(assessor.validate(stored.result.case), stored.result, { caseId: id, assessmentId: stored.id });
  assert.ok(html.includes('Original title') && !html.includes('Edited title') && !html.includes('Harbin'));
  const { after } = await cases.rerun(OFFICER, first.id, loadBundle());
  assert.equal((after.result.case as { title: string }).title, 'Original title');
  assert.deepEqual(after.result.criteria, first.result.criteria, 'replayed from the snapshot: the same verdict');
  assert.equal(after.result.rerunOf, first.id);
  // A foreign organisation's assessment answers exactly like a missing one.
  const other: Actor = { userId: 'u-b', orgId: 'org-b', role: 'officer', name: 'Officer B' };
  const missing = await cases.assessment(other, '00000000-0000-4000-8000-000000000000').catch((e: Error) => e.message);
  const foreign = await cases.assessment(other, first.id).catch((e: Error) => e.message);
  assert.equal(foreign, String(missing).replace('00000000-0000-4000-8000-000000000000', first.id));
});

test("a stored verdict's report reads the case as it was assessed, after the bundle dropped a use the case names", async () => {
  const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: 'Assessed under an older use catalogue' });
  const stored = await cases.assess(OFFICER, id, '2026-11-22');
  const uses = JSON.parse(readFileSync(new URL('../../data/assessment/ai-act-uses.json', import.meta.url), 'utf8'));
  uses.uses = uses.uses.filter((u: { id: string }) => u.id !== 'scientific-research-only');
  const later = new Assessor({ ...assessor.parts, bundle: loadBundle({ 'ai-act-uses': writeTemp('ai-act-uses.json', JSON.stringify(uses)) }) });
  assert.throws(() => later.validate(stored.result.case), /unknown use "scientific-research-only"/, 'a new case may not name it');
  const html = reportHtml(caseAsAssessed(stored.result.case), stored.result, { caseId: id });
  assert.ok(html.includes('Assessed under an older use catalogue') && html.includes('scientific-research-only'));
});

test('new answers: minority-language technology, mobility, data subjects and access decide criteria; "none" fields and unknown per person', async () => {
  const { id } = await cases.create(OFFICER, {
    ...GREEN_CASE,
    title: 'Speech recognition for Uyghur',
    technology: { fields: 'none', dual_use: 'no', export_controlled: 'no' },
    application: { uses: ['general-purpose-other'], languages: ['Uyghur'], populations: ['minority-language-speakers'] },
    data: { kinds: ['personal'], storage: ['EU'], transfer_to_china: 'no', subjects: ['china-residents', 'groups-at-risk'], access: 'partner-accesses-eu-data' },
    personnel: [{ name: 'E. Student', affiliations: ['University of Oxford'], talent_programmes: 'unknown', mobility: ['co-supervised-doctorate'] }],
  });
  const { result } = await cases.assess(OFFICER, id, '2026-11-22');
  const status = (cid: string) => result.criteria.find((r) => r.id === cid)?.status;
  assert.equal(status('H-MINORITIES-CHINA'), 'holds');
  assert.equal(status('H-VULNERABLE-SUBJECTS'), 'holds');
  assert.equal(status('H-CHINA-RESIDENTS-DATA'), 'holds');
  assert.equal(status('E-PERSONAL-DATA-TO-CHINA'), 'holds', 'remote access from China is a transfer');
  assert.equal(status('S-MOBILITY-CRITICAL'), 'does-not-hold', 'fields: none is in no critical area');
  assert.equal(status('S-TALENT-PROGRAMME'), 'needs-information', 'talent programmes unknown for one person');
  assert.equal(result.overall, 'red');
  assert.match(result.evidence!.notes['application.minorities']!, /uyghur/);
});

test('a language of concern pasted with an invisible or full-width character, in another case or with extra spaces, is that language', async () => {
  const minorities = async (language: string) => {
    const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: `Speech recognition for ${language}`, application: { uses: ['general-purpose-other'], languages: [language], populations: ['general'] } });
    const { result } = await cases.assess(OFFICER, id, '2026-11-22');
    return result.criteria.find((r) => r.id === 'H-MINORITIES-CHINA')?.status;
  };
  assert.equal(await minorities('Uyghur'), 'holds');
  for (const pasted of ['Uy\u00adghur', 'UYGHUR\u200b', '\ufeffＵｙｇｈｕｒ', '维吾尔\u200d语', 'korean  (Yanbian)']) assert.equal(await minorities(pasted), 'holds', JSON.stringify(pasted));
});

test('a project that is itself a prohibited practice is not offered "exclude a sub-topic"', async () => {
  const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: 'Social scoring platform', application: { uses: ['social-scoring'], populations: ['general'] } });
  const { result } = await cases.assess(OFFICER, id, '2026-11-22');
  assert.equal(result.overall, 'red');
  assert.ok(!result.plan.restriction.some((m) => m.id === 'exclude-subtopic'));
  assert.ok(result.withheld.some((w) => w.id === 'exclude-subtopic' && /whole project/.test(w.why)));
  assert.equal(result.criteria.find((r) => r.id === 'H-AI-ACT-UNACCEPTABLE')!.redRoute!.kind, 'red-line');
  // With a prohibited use among others, the sub-topic can go.
  const { id: mixed } = await cases.create(OFFICER, { ...GREEN_CASE, title: 'Scoring among other uses', application: { uses: ['social-scoring', 'general-purpose-other'], populations: ['general'] } });
  assert.ok((await cases.assess(OFFICER, mixed, '2026-11-22')).result.plan.restriction.some((m) => m.id === 'exclude-subtopic'));
});

test('standards engagement: criteria of the four risk profiles apply, research criteria do not', async () => {
  const base = { kind: 'standards-engagement', title: 'Terminology in SC 42', partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }], funders: [], in_kind: [] };
  const green = { ...base, standards: { forum: 'iso-iec-jtc1-sc42', topics: ['terminology'], role: 'member', voting_rights: 'yes', access_to_drafts: 'yes', leadership_open: 'yes', fees_proportionate: 'yes', patents_declared: 'no' } };
  const { id } = await cases.create(OFFICER, green);
  const a = (await cases.assess(OFFICER, id, '2026-11-22')).result;
  assert.equal(a.overall, 'green', JSON.stringify(a.categories));
  assert.ok(a.lowering.includes('L-RULES-BASED-FORUM'));
  assert.ok(!a.criteria.some((r) => r.id === 'E-NO-EQUAL-DATA-ACCESS'), 'research criteria do not apply');
  const { id: red } = await cases.create(OFFICER, { ...base, title: 'Content control in TC260', standards: { forum: 'cn-tc260', topics: ['content-control'], voting_rights: 'no', patents_declared: 'yes', frand_commitment: 'no' } });
  const b = (await cases.assess(OFFICER, red, '2026-11-22')).result;
  assert.equal(b.overall, 'red');
  for (const cid of ['SE-CONTENT-CONTROL', 'SE-CHINESE-COMMITTEE', 'SE-NO-RECIPROCITY', 'SE-SEP-WITHOUT-FRAND']) assert.equal(b.criteria.find((r) => r.id === cid)?.status, 'holds', cid);
  await assert.rejects(cases.create(OFFICER, { ...base, standards: { forum: 'the-moon-committee' } }), /standards\.forum: unknown forum "the-moon-committee"/);
  await assert.rejects(cases.create(OFFICER, { ...base, standards: undefined }), /a standards-engagement case says at least which forum/);
});

test('verdicts run together (the monitor’s re-check) equal each run alone, parties shared or not, a bad case in its place', async () => {
  const examples = join(fileURLToPath(new URL('../../examples/cases/', import.meta.url)));
  const docs: unknown[] = [
    ...readdirSync(examples)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => readCaseDocument(join(examples, f))),
    GREEN_CASE,
    {
      ...GREEN_CASE,
      title: 'Delft and Tsinghua',
      partners: [
        { ror: '02e2c7k09', role: 'lead', country: 'NL' },
        { ror: '03cve4549', role: 'partner', country: 'CN' },
      ],
    },
    {
      ...GREEN_CASE,
      title: 'CAS by name',
      partners: [
        { name: 'Chinese Academy of Sciences', role: 'partner', country: 'CN' },
        { ror: '03cve4549', role: 'partner', country: 'CN' },
      ],
      funders: [{ name: 'Huawei Technologies Co., Ltd.' }],
    },
  ];
  // Every case on several days: the co-publication window moves with the day.
  const items = docs.flatMap((d) => ['2022-03-01', '2024-07-15', '2026-11-22'].map((asOf) => ({ c: assessor.validate(d), asOf })));
  const together = await assessor.runMany(items);
  assert.equal(together.length, items.length);
  for (const [i, { c, asOf }] of items.entries()) {
    const alone = await assessor.run(c, asOf);
    assert.deepEqual(together[i], alone, `${c.title} on ${asOf}`);
  }
  assert.ok(together.some((r) => !(r instanceof Error) && r.overall === 'red') && together.some((r) => !(r instanceof Error) && r.overall !== 'red'), 'the sample has verdicts of more than one colour');
  // A party the screener cannot take (an affiliation that is only a wide space) is that case's error, not the batch's.
  const valid = assessor.validate(GREEN_CASE);
  const blank = { ...valid, personnel: [{ ...valid.personnel![0]!, affiliations: ['\u3000'] }] };
  await assert.rejects(assessor.run(blank, '2026-11-22'), (e: Error) => e instanceof CaseError && /empty name/.test(e.message));
  const [bad, good] = await assessor.runMany([{ c: blank, asOf: '2026-11-22' }, items[0]!]);
  assert.ok(bad instanceof CaseError && /empty name/.test(bad.message), String(bad));
  assert.deepEqual(good, together[0]);
});

// Found by an outside tester: after the watchlist changed, `derisk assess --rerun` said "no criterion
// changed / no file of the policy bundle changed" though a fresh verdict differed. (Last: it changes the store's lists.)
test('a re-run names the lists loaded since that differ from those the verdict was screened against, by version and retrieval date', async () => {
  const { id } = await cases.create(OFFICER, { ...GREEN_CASE, title: 'Re-run after a list changed' });
  const first = await cases.assess(OFFICER, id, '2026-11-22');
  const unchanged = await cases.rerun(OFFICER, first.id, loadBundle());
  assert.deepEqual(unchanged.diff.sources, { lists: [], aliases: null, registry: null });
  const before = (first.result.snapshot as { lists: { id: string; version: string }[] }).lists.find((l) => l.id === WATCHLIST_PROVENANCE.id)!;
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Tsinghua University', level: 'very-high' }], { ...WATCHLIST_PROVENANCE, retrieved: '2026-12-01' }))]);
  const today = new CaseService(db, new Assessor({ store, screening: await screeningContext(store), bundle: loadBundle() }));
  const { diff } = await today.rerun(OFFICER, first.id, loadBundle());
  assert.deepEqual(diff.changed, [], 'the replay screens as it did then');
  assert.equal(diff.sources.lists.length, 1);
  const [list] = diff.sources.lists;
  assert.equal(list!.id, WATCHLIST_PROVENANCE.id);
  assert.deepEqual(list!.before, { version: before.version, retrieved: '2026-11-01' });
  assert.equal(list!.after?.retrieved, '2026-12-01');
  assert.notEqual(list!.after?.version, before.version);
});
