import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assess, type Assessment } from '../../src/assessment/assess.ts';
import { loadBundle, type PolicyBundle } from '../../src/assessment/bundle.ts';
import { validateCase } from '../../src/assessment/case.ts';
import { deriveFacts, screenParties } from '../../src/assessment/evidence.ts';
import type { Level } from '../../src/screening/lists.ts';
import type { Hit, ScreenResult } from '../../src/screening/screener.ts';
import { GREEN_UNSENSITIVE_CASE } from '../helpers/cases.ts';
import { writeTemp } from '../helpers/fixtures.ts';

// Verdicts a research-security officer must defend on appeal, decided by the shipped policy bundle
// over parties screened by a screener that knows a few names: no store, no registry, no lists to load.

const bundle = loadBundle();

const hit = (list: string, entry: string, level: Level): Hit => ({
  list,
  listTitle: `${list} (test)`,
  listName: list,
  listVersion: 'v1',
  entry,
  entryId: entry,
  level,
  category: null,
  match: 'exact',
  score: 1,
  matchedName: entry,
  inherited: null,
  sameAs: null,
  organisation: entry,
  evidence: 'named by the test',
  sourceText: null,
  url: null,
});

/** What the test's screener knows: the registry places these names, the lists name these. */
const KNOWN: Record<string, { countryCode: string; hits: Hit[] }> = {
  'University of Oxford': { countryCode: 'GB', hits: [] },
  'East China Normal University': { countryCode: 'CN', hits: [] },
  // Very high on U.S. lists only: designated under Sec. 1260H and on the Entity List.
  'US Listed Vision Co.': { countryCode: 'CN', hits: [hit('us-dow-1260h', 'US Listed Vision Co.', 'very-high'), hit('us-bis-entity-list', 'US Listed Vision Co.', 'high')] },
  'PLA Test University': { countryCode: 'CN', hits: [hit('aspi-unitracker', 'PLA Test University', 'very-high')] },
  'Entity Listed Speech Co.': { countryCode: 'CN', hits: [hit('us-bis-entity-list', 'Entity Listed Speech Co.', 'high')] },
  'Sanctioned Institute': { countryCode: 'CN', hits: [hit('eu-sanctions-test', 'Sanctioned Institute', 'medium')] },
};

function screen(name: string): ScreenResult {
  const k = KNOWN[name];
  return {
    query: name,
    state: k ? (k.hits.length ? 'listed' : 'not-listed') : 'unknown',
    level: k?.hits[0]?.level ?? null,
    headline: k ? name : `No registry institution or list entry matches "${name}".`,
    institutions: k ? [{ rorId: `test-${name}`, name, countryCode: k.countryCode, tier: 'exact' }] : [],
    hits: k?.hits ?? [],
    organisations: [],
    choices: [],
    similar: [],
    registryCandidates: [],
    listedParts: [],
    related: [],
  };
}

const OXFORD = { name: 'University of Oxford', role: 'lead', kind: 'university' };
const known = { fields: new Set(bundle.taxonomy.fields.keys()), uses: new Set(bundle.uses.keys()), forums: new Set(bundle.standards.forums.keys()), topics: new Set(bundle.standards.topics.keys()) };

/** The verdict on a case (the open case in no sensitive field, with `changes`). */
function verdict(changes: object, policy: PolicyBundle = bundle): Assessment {
  const c = validateCase({ ...GREEN_UNSENSITIVE_CASE, partners: [OXFORD, { name: 'East China Normal University', role: 'partner', kind: 'university' }], ...changes }, known);
  const parties = screenParties(c, { screener: { screen, screenRor: screen }, resolver: { institution: () => undefined } });
  const evidence = deriveFacts(c, { parties, copubs: {}, window: [2021, 2025] }, policy);
  return { ...assess(c, evidence, policy.rulebook, '2026-12-01', {}, policy.record), evidence: { partners: [], funders: [], parties, facts: evidence.facts, notes: evidence.notes } };
}
const criterion = (a: Assessment, id: string) => a.criteria.find((r) => r.id === id)!;

test('the fixture: the open case with a placed, unlisted Chinese partner is green', () => {
  assert.equal(verdict({}).overall, 'green');
});

test('a partner nobody placed is not taken as outside China: criteria about partners in China need information', () => {
  const surveillance = { application: { uses: ['law-enforcement'], populations: ['general'] } };
  const unplaced = verdict({ ...surveillance, partners: [OXFORD, { name: 'unknown', description: 'a company in Shenzhen', role: 'partner' }] });
  assert.equal(unplaced.evidence!.facts['partners.chinese'], null);
  const c = criterion(unplaced, 'H-SURVEILLANCE-CHINA');
  assert.equal(c.status, 'needs-information', 'a surveillance use with a partner nobody placed is not cleared');
  assert.ok(unplaced.categories.ethics.needsInformation.includes('H-SURVEILLANCE-CHINA'));
  assert.ok(c.requests.some((q) => /in which country each partner is/.test(q)));
  // A country written in lower case is still China.
  const written = verdict({ ...surveillance, partners: [OXFORD, { name: 'a university in Wuhan', role: 'partner', country: 'china' }] });
  assert.equal(criterion(written, 'H-SURVEILLANCE-CHINA').status, 'holds');
});

test('U.S. listings alone are a strong signal, not red; a very high level on another list, or defence links in a most sensitive field, is', () => {
  const partner = (name: string) => ({ partners: [OXFORD, { name, role: 'partner', kind: 'company' }] });
  const usOnly = verdict(partner('US Listed Vision Co.'));
  assert.equal(usOnly.overall, 'yellow', JSON.stringify(usOnly.categories));
  assert.equal(criterion(usOnly, 'S-THIRD-COUNTRY-LISTED').status, 'holds');
  assert.match(criterion(usOnly, 'S-THIRD-COUNTRY-LISTED').rationale, /do not bind an EU institution/);
  assert.equal(criterion(usOnly, 'S-DEFENCE-VERY-HIGH').status, 'does-not-hold');
  const level = criterion(usOnly, 'S-DEFENCE-VERY-HIGH').evidence.find((e) => e.path === 'partners.level_without_third_country')!;
  assert.equal(level.words, 'highest risk level of a partner, third-country lists aside: none');
  assert.match(level.note!, /US Listed Vision Co\. on us-dow-1260h \(very-high, exact/, 'the evidence names the listings it set aside');
  assert.ok(
    usOnly.plan.regulatory.some((m) => m.id === 'export-control-check'),
    'an export-control check as mitigation',
  );
  const inAi = verdict({ ...partner('US Listed Vision Co.'), technology: { fields: ['eu-artificial-intelligence'], dual_use: 'no', export_controlled: 'no' } });
  assert.equal(inAi.overall, 'red');
  assert.deepEqual(
    inAi.categories.security.holding.filter((id) => criterion(inAi, id).effective === 'red'),
    ['S-CRITICAL-TECH-DEFENCE-PARTNER'],
  );
  const aspi = verdict(partner('PLA Test University'));
  assert.equal(criterion(aspi, 'S-DEFENCE-VERY-HIGH').status, 'holds');
  // Funders alike: a U.S. designation alone is yellow, in a most sensitive field red, with declining it as the route.
  const funder = { funders: [{ name: 'US Listed Vision Co.', kind: 'company' }] };
  const funded = verdict(funder);
  assert.equal(funded.overall, 'yellow');
  assert.equal(criterion(funded, 'S-FUNDING-DEFENCE').status, 'does-not-hold');
  const fundedAi = verdict({ ...funder, technology: { fields: ['eu-artificial-intelligence'], dual_use: 'no', export_controlled: 'no' } });
  assert.equal(criterion(fundedAi, 'S-FUNDING-DEFENCE-SENSITIVE').status, 'holds');
  assert.match(criterion(fundedAi, 'S-FUNDING-DEFENCE-SENSITIVE').redRoute!.conditions[0]!, /declined or replaced/);
});

test('a list that binds the institution makes a listed partner red as a red line, at any level', () => {
  const categories = JSON.parse(readFileSync(new URL('../../data/assessment/list-categories.json', import.meta.url), 'utf8'));
  categories.lists['eu-sanctions-test'] = ['binding'];
  const policy = loadBundle({ 'list-categories': writeTemp('list-categories.json', JSON.stringify(categories)) });
  const a = verdict({ partners: [OXFORD, { name: 'Sanctioned Institute', role: 'partner', kind: 'research-institute' }] }, policy);
  assert.equal(a.overall, 'red');
  const c = criterion(a, 'S-BINDING-LISTED');
  assert.equal(c.status, 'holds');
  assert.equal(c.redRoute!.kind, 'red-line');
  assert.match(c.evidence[0]!.note!, /Sanctioned Institute on eu-sanctions-test \(medium, exact; eu-sanctions-test \(test\), version v1\)/);
  assert.equal(criterion(a, 'S-THIRD-COUNTRY-LISTED').status, 'does-not-hold');
});

test('a yellow verdict with a listed funder offers declining or replacing it, as its rationale says', () => {
  const a = verdict({ funders: [{ name: 'Entity Listed Speech Co.', kind: 'company' }] });
  assert.equal(a.overall, 'yellow');
  const c = criterion(a, 'S-FUNDING-LISTED');
  assert.match(c.rationale, /the option of doing without it/);
  assert.ok(
    Object.values(a.plan)
      .flat()
      .some((m) => /Decline or replace the listed funder/.test(m.text) && m.calledForBy.includes('S-FUNDING-LISTED')),
    JSON.stringify(a.plan),
  );
});

test('a participant whose affiliations are not given is not taken as unaffiliated', () => {
  const person = { name: 'W. Physicist', talent_programmes: 'none', mobility: ['joint-appointment'] };
  const unstated = verdict({ personnel: [person] });
  assert.equal(criterion(unstated, 'S-PERSONNEL-LISTED-AFFILIATION').status, 'needs-information');
  assert.notEqual(unstated.overall, 'green');
  assert.match(unstated.evidence!.notes['personnel.affiliation_listed']!, /W\. Physicist: affiliations not given/);
  assert.equal(criterion(verdict({ personnel: [{ ...person, affiliations: 'none' }] }), 'S-PERSONNEL-LISTED-AFFILIATION').status, 'does-not-hold');
});

test('when every use is a prohibited surveillance practice, no red route offers to drop the surveillance use', () => {
  const whole = verdict({ application: { uses: ['social-scoring'], populations: ['general'] } });
  const route = criterion(whole, 'H-SURVEILLANCE-CHINA').redRoute!;
  assert.equal(route.kind, 'red-line');
  assert.deepEqual(route.conditions, []);
  assert.match(route.text, /whole project/);
  assert.ok(whole.withheld.some((w) => w.id === 'exclude-subtopic'));
  const mixed = verdict({ application: { uses: ['social-scoring', 'general-purpose-other'], populations: ['general'] } });
  assert.equal(criterion(mixed, 'H-SURVEILLANCE-CHINA').redRoute!.kind, 'conditional');
});

test('answers that contradict each other are refused, not read one way: no data, yet data about minors', () => {
  assert.throws(() => verdict({ data: { kinds: ['none'], subjects: ['minors'] } }), /data: no data is involved \(kinds: none\), yet data\.subjects names minors/);
});
