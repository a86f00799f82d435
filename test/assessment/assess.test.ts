import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EmbeddedDb } from '../../src/appdb/embedded.ts';
import { migrate } from '../../src/appdb/migrate.ts';
import { loadAiUses } from '../../src/assessment/ai-act.ts';
import { Assessor } from '../../src/assessment/assessor.ts';
import { CaseError } from '../../src/assessment/case.ts';
import { reportHtml, writePdf } from '../../src/assessment/report.ts';
import { loadRulebook } from '../../src/assessment/rulebook.ts';
import { loadTaxonomy } from '../../src/fields/taxonomy.ts';
import { readWatchlist } from '../../src/screening/lists.ts';
import { loadWeights } from '../../src/screening/portfolio.ts';
import { saveLists, screenPending, screeningContext } from '../../src/screening/store.ts';
import { verifyAudit } from '../../src/service/audit.ts';
import type { Actor } from '../../src/service/authorize.ts';
import { CaseService } from '../../src/service/cases.ts';
import { Accounts, OPERATOR } from '../../src/service/accounts.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir, writeTemp } from '../helpers/fixtures.ts';
import { landscapeStore } from '../helpers/landscape.ts';
import { watchlist } from '../helpers/watchlist.ts';

let store: Store;
let db: EmbeddedDb;
let cases: CaseService;
let assessor: Assessor;
const actor: Actor = { userId: 'u-officer', orgId: 'org-a', role: 'officer', name: 'Officer A' };

before(async () => {
  const home = tempDir();
  store = await landscapeStore(home);
  await saveLists(store, [readWatchlist(watchlist([{ name: 'Chinese Academy of Sciences', name_zh: '中国科学院', level: 'very-high', ror_ids: ['034t30j35'] }, { name: 'Thousand Talents Plan', level: 'high', category: 'talent programme' }]))]);
  await screenPending(store, await screeningContext(store));
  const taxonomy = loadTaxonomy();
  assessor = new Assessor({ store, screening: await screeningContext(store), taxonomy, weights: loadWeights(taxonomy), uses: loadAiUses().uses, rulebook: loadRulebook() });
  db = await EmbeddedDb.open(join(home, 'app.sqlite'));
  await migrate(db);
  await new Accounts(db).createOrganisation(OPERATOR, 'org-a', 'Org A');
  cases = new CaseService(db, assessor);
});
after(async () => {
  await db.close();
  store.close();
});

const OPEN_BASIC = {
  title: 'Open basic research on graph theory',
  partners: [{ name: 'University of Oxford', role: 'lead', country: 'GB' }, { ror: '03cve4549', role: 'partner', country: 'CN' }],
  technology: { fields: ['ai-ml-big-data'], dual_use: 'no', export_controlled: 'no' },
  application: { uses: ['scientific-research-only'] },
  research: { type: 'basic', open_publication: 'yes' },
  data: { kinds: ['public'], storage: ['EU'], transfer_to_china: 'no' },
  terms: { equal_access_to_data: 'yes', equal_right_to_publish: 'yes', ip_agreement: 'yes', partner_veto_on_publication: 'no' },
  personnel: [{ name: 'B. Scholar', affiliations: ['University of Oxford'] }],
};

test('a partner on a list at very high level makes the verdict red, with its evidence, source and a restriction', async () => {
  const { id } = await cases.create(actor, { ...OPEN_BASIC, title: 'Vision with CAS', partners: [{ name: 'Institute of Automation, Beijing, China', role: 'partner' }], technology: { fields: ['ai-image-processing'], dual_use: 'yes', export_controlled: 'unknown' } });
  const { result } = await cases.assess(actor, id, '2026-11-22');
  assert.equal(result.overall, 'red');
  const c = result.criteria.find((r) => r.id === 'S-DEFENCE-VERY-HIGH')!;
  assert.equal(c.status, 'holds');
  assert.match(c.evidence[0]!.note!, /Chinese Academy of Sciences on my-watchlist \(very-high, registry, inherited via Chinese Academy of Sciences/);
  assert.match(c.source.title, /Risk lists/);
  assert.ok(result.plan.restriction.some((m) => /Do not proceed/.test(m.text)));
  assert.ok(result.plan['red-line'].length > 0 && result.plan['exit-option'].length > 0);
  assert.equal(result.reassessBy, '2027-02-22');
  assert.equal(result.rulebook.hash, loadRulebook().hash);
  assert.deepEqual((result.snapshot.lists as { id: string }[]).map((l) => l.id), ['my-watchlist']);
});

test('open basic research with an unlisted partner and no sensitive data is green, with no restriction', async () => {
  const { id } = await cases.create(actor, OPEN_BASIC);
  const { result } = await cases.assess(actor, id, '2026-11-22');
  assert.equal(result.overall, 'green');
  assert.equal(result.provisional, false);
  assert.deepEqual(result.plan.restriction, []);
  assert.deepEqual(result.lowering.sort(), ['L-NO-SENSITIVE-DATA', 'L-OPEN-BASIC-RESEARCH']);
  assert.equal(result.reassessBy, '2027-11-22');
});

test('unanswered questions are reported as needing information, never as green', async () => {
  const { id } = await cases.create(actor, { title: 'Early idea', partners: [{ ror: '03cve4549', role: 'partner', country: 'CN' }] });
  const { result } = await cases.assess(actor, id, '2026-11-22');
  assert.equal(result.overall, 'needs-information');
  assert.equal(result.provisional, true);
  assert.ok(result.criteria.some((r) => r.id === 'E-NO-EQUAL-DATA-ACCESS' && r.status === 'needs-information' && r.missing.includes('terms.equal_access_to_data')));
  assert.ok(result.whatWouldChange.some((w) => /answering terms.equal_access_to_data could make the verdict yellow/.test(w)));
  assert.equal(result.reassessBy, '2026-12-22');
});

test('verdicts are deterministic, stored with the rulebook hash, and a re-run under a new rulebook shows the difference', async () => {
  const doc = { ...OPEN_BASIC, title: 'Talent case', personnel: [{ name: 'C. Fellow', affiliations: ['University of Oxford'], talent_programmes: ['Thousand Talents Plan'] }] };
  const { id } = await cases.create(actor, doc);
  const first = await cases.assess(actor, id, '2026-11-22');
  const second = await cases.assess(actor, id, '2026-11-22');
  assert.deepEqual(second.result, first.result);
  assert.equal(first.overall, 'red', 'a listed talent programme');
  const stricter = writeTemp('rulebook.yaml', readFileSync(loadRulebook().file, 'utf8').replace('when: "personnel.talent_programme_listed"\n    outcome: red', 'when: "personnel.talent_programme_listed"\n    outcome: yellow'));
  const { diff } = await cases.rerun(actor, first.id, loadRulebook(stricter));
  assert.deepEqual(diff.overall, ['red', 'yellow']);
  assert.deepEqual(diff.changed, [{ id: 'S-TALENT-PROGRAMME-LISTED', before: 'holds → red', after: 'holds → yellow' }]);
  assert.notEqual(diff.rulebooks[0], diff.rulebooks[1]);
  const stored = await cases.assessments(actor, id);
  assert.equal(stored.length, 3);
  assert.equal(new Set(stored.map((s) => s.rulebook.hash)).size, 2);
  assert.deepEqual((await verifyAudit(db)).problems, []);
});

test('invalid cases, unknown partners and contradictory answers are refused naming the field', async () => {
  const refuse = (doc: object, message: RegExp) => assert.rejects(cases.create(actor, doc), (e: Error) => e instanceof CaseError && message.test(e.message));
  await refuse({ ...OPEN_BASIC, budget: 3 }, /^budget: unknown field/);
  await refuse({ ...OPEN_BASIC, partners: [] }, /partners: a case needs at least one partner/);
  await refuse({ ...OPEN_BASIC, partners: [{ ror: '0abcdef12' }] }, /partners\[0\]\.ror: unknown ROR id 0abcdef12/);
  await refuse({ ...OPEN_BASIC, partners: [{ ror: 'not-ror' }] }, /is not a ROR id/);
  await refuse({ ...OPEN_BASIC, technology: { fields: ['alchemy'] } }, /technology.fields: unknown field "alchemy"/);
  await refuse({ ...OPEN_BASIC, application: { uses: ['mind-reading'] } }, /application.uses: unknown use "mind-reading"/);
  await refuse({ ...OPEN_BASIC, terms: { equal_access_to_data: 'maybe' } }, /terms.equal_access_to_data: "maybe" is not yes, no or unknown/);
  await refuse({ ...OPEN_BASIC, data: { kinds: ['none', 'personal'] } }, /"none" contradicts personal/);
  await refuse({ ...OPEN_BASIC, data: { storage: ['CN'], transfer_to_china: 'no' } }, /storage includes CN, yet data.transfer_to_china is no/);
  await refuse({ ...OPEN_BASIC, terms: { equal_right_to_publish: 'yes', partner_veto_on_publication: 'yes' } }, /equal right to publish contradicts a partner veto/);
  assert.equal((await cases.list(actor)).filter((c) => c.title === OPEN_BASIC.title).length, 1, 'nothing half-written');
});

test('the report is self-contained HTML that renders hostile text inert; the PDF embeds a CJK font for Chinese names', async () => {
  const doc = { ...OPEN_BASIC, title: '<script>alert(1)</script> & 中国科学院 project', partners: [{ name: '中国科学院', role: 'partner', country: 'CN' }] };
  const { id } = await cases.create(actor, doc);
  const stored = await cases.assess(actor, id, '2026-11-22');
  const html = reportHtml(assessor.validate(doc), stored.result, { caseId: id });
  assert.ok(!html.includes('<script>alert'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; 中国科学院 project'));
  assert.match(html, /Overall verdict: <span class="badge"[^>]*>RED/);
  assert.match(html, /version 2026\.11\.1, content hash [0-9a-f]{16}/);
  const pdf = join(tempDir(), 'report.pdf');
  await writePdf(html, pdf);
  const bytes = readFileSync(pdf);
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  assert.match(bytes.toString('latin1'), /NotoSansCJK|NotoSerifCJK|Noto Sans CJK/, 'a CJK font is embedded for the Chinese name');
});
