import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assess, type Assessment } from '../../src/assessment/assess.ts';
import type { Assessor, Snapshot } from '../../src/assessment/assessor.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import type { Evidence, ListedWork } from '../../src/assessment/evidence.ts';
import { copubWorksLines, reportHtml } from '../../src/assessment/report.ts';
import type { CaseService } from '../../src/service/cases.ts';
import { casesOverWatchlist, GREEN_CASE, OFFICER } from '../helpers/cases.ts';

const MIT = '042nb2s44';
// MIT (US: not European, so counted) co-authored W3 with Tsinghua, listed here; W4 and W6 with no listed entity.
const MIT_CASE = { ...GREEN_CASE, title: 'Graph theory with MIT', partners: [GREEN_CASE.partners[0]!, { ror: MIT, role: 'partner', country: 'US' }] };

let cases: CaseService;
let assessor: Assessor;
let close: () => Promise<void>;

before(async () => {
  ({ cases, assessor, close } = await casesOverWatchlist([{ name: 'Tsinghua University', level: 'high' }], [], { screen: true }));
});
after(() => close());

const copubs = (a: Assessment) => a.criteria.find((r) => r.id === 'S-COPUBS-LISTED')!;

test('a verdict names the works behind its count of co-publications with listed entities, and the listed affiliation that made each count', async () => {
  const { id } = await cases.create(OFFICER, MIT_CASE);
  const { result } = await cases.assess(OFFICER, id, '2026-11-22');
  assert.equal(result.evidence!.facts['copubs.listed_5y'], 1);
  assert.deepEqual(result.evidence!.copubWorks, [
    {
      partner: MIT,
      rorId: MIT,
      listed: 1,
      window: [2021, 2025],
      works: [{ workId: 'doi:10.5555/landscape.3', year: 2021, title: null, listed: [{ affiliation: 'Tsinghua University, Beijing, China', hits: [{ list: 'my-watchlist', entry: 'Tsinghua University', level: 'high' }] }] }],
    },
  ]);
  const html = reportHtml(assessor.validate(MIT_CASE), result);
  assert.match(html, /<h2>Co-publications with listed entities<\/h2>/);
  assert.match(html, /042nb2s44: 1 work in 2021–2025 co-authored with a listed entity other than itself/);
  assert.match(html, /2021 \(no title in the store\) \[doi:10\.5555\/landscape\.3\] — with &quot;Tsinghua University, Beijing, China&quot; \(Tsinghua University on my-watchlist, high\)/);
  assert.doesNotMatch(html, /and \d+ more/);
});

test('a report shows the first ten works and says how many more there are; a verdict made before verdicts kept them still renders', async () => {
  const { id } = await cases.create(OFFICER, MIT_CASE);
  const { result } = await cases.assess(OFFICER, id, '2026-11-22');
  const c = assessor.validate(MIT_CASE);
  const snapshot = result.snapshot as Snapshot;
  // 23 listed co-publications, of which the verdict kept 12 (as if the cap were 12).
  const works: ListedWork[] = Array.from({ length: 12 }, (_, i) => ({ workId: `W${100 + i}`, year: 2023, title: `Work ${i}`, listed: [{ affiliation: 'Tsinghua University, Beijing, China', hits: [{ list: 'my-watchlist', entry: 'Tsinghua University', level: 'high' }] }] }));
  const many = assessor.replay(c, { ...snapshot, observations: { ...snapshot.observations, copubs: { ...snapshot.observations.copubs, [MIT]: { works: 40, listed: 23 } }, listedWorks: { [MIT]: works } } }, '2026-11-22');
  const [lines] = copubWorksLines(many)!;
  assert.equal(lines!.works.length, 10);
  assert.match(lines!.works[9]!, /^2023 Work 9 \[W109\]/);
  assert.equal(lines!.more, `and 13 more (the verdict keeps 12 in its evidence; derisk screen --portfolio ${MIT} lists all)`);
  assert.match(reportHtml(c, many), /and 13 more/);
  // Observations without the works (a verdict stored before them): no list, and the report renders as it did.
  const { listedWorks: _, ...older } = snapshot.observations;
  const old = assessor.replay(c, { ...snapshot, observations: older }, '2026-11-22');
  assert.equal(old.evidence!.copubWorks, undefined);
  assert.equal(copubWorksLines(old), null);
  const html = reportHtml(c, old);
  assert.doesNotMatch(html, /Co-publications with listed entities/);
  assert.match(html, /Overall verdict: <span class="badge" style="background:#2e7d32">GREEN<\/span>/);
  assert.match(old.evidence!.notes['copubs.listed_5y']!, /042nb2s44 \(US\): 1 of its 3 works in 2021–2025/);
  // A stored verdict read as it was saved, without the field at all.
  const { copubWorks: __, ...evidence } = result.evidence!;
  assert.doesNotThrow(() => reportHtml(c, { ...result, evidence }));
});

test('too few works of a partner in the window cannot show that it does not co-publish with listed entities: needs information, naming why', async () => {
  const { id } = await cases.create(OFFICER, MIT_CASE);
  // 2017–2021: the store holds W1–W4, two of them MIT's.
  const { result } = await cases.assess(OFFICER, id, '2022-06-01');
  const criterion = copubs(result);
  assert.equal(criterion.status, 'needs-information');
  assert.deepEqual(criterion.missing, ['copubs.listed_5y']);
  assert.equal(criterion.requests.length, 1);
  assert.match(criterion.requests[0]!, /^only 2 works of 042nb2s44 in 2017–2021 in the store; at least 3 needed to say it does not hold: /);
  assert.match(result.evidence!.notes['copubs.listed_5y']!, /too few works to show absence: .* \(rulebook minimum_evidence\)/);
  assert.equal(result.overall, 'needs-information');
  assert.ok(result.whatWouldChange.some((w) => w.startsWith('S-COPUBS-LISTED') && /only 2 works of 042nb2s44/.test(w)));
  // Three works (2021–2025) are enough to say it does not hold.
  assert.equal(copubs((await cases.assess(OFFICER, id, '2026-11-22')).result).status, 'does-not-hold');
});

test('a thin record still proves presence: a count that meets the trigger holds', async () => {
  const bundle = loadBundle();
  const c = assessor.validate(MIT_CASE);
  const thin = { 'copubs.listed_5y': 'only 6 works of X in the store; at least 10 needed to say it does not hold' };
  const evidence = (listed: number, marked: boolean): Evidence => ({ facts: { 'copubs.listed_5y': listed, 'copubs.partner_works_5y': 6 }, notes: {}, parties: [], ...(marked ? { thin } : {}) });
  const status = (listed: number, marked: boolean) => copubs(assess(c, evidence(listed, marked), bundle.rulebook, '2026-11-22', {}, bundle.record)).status;
  assert.equal(status(5, true), 'holds');
  assert.equal(status(4, true), 'needs-information');
  assert.equal(status(4, false), 'does-not-hold');
  assert.deepEqual(copubs(assess(c, evidence(4, true), bundle.rulebook, '2026-11-22', {}, bundle.record)).requests, [thin['copubs.listed_5y']]);
});

test('the minimum is data: the rulebook gives it with its rationale and source', () => {
  const { minimumEvidence, sources } = loadBundle().rulebook;
  const partnerWorks = minimumEvidence!.copubsPartnerWorks!;
  assert.equal(partnerWorks.atLeast, 3);
  assert.match(partnerWorks.rationale, /no co-publication found is no evidence of none/);
  assert.ok(sources.has(partnerWorks.source.ref));
});
