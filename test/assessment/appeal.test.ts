import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assess, type Assessment } from '../../src/assessment/assess.ts';
import { loadBundle, type PolicyBundle } from '../../src/assessment/bundle.ts';
import { validateCase } from '../../src/assessment/case.ts';
import { deriveFacts, partnerRors, partyScreens } from '../../src/assessment/evidence.ts';
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
  // As USTC: a civilian university on ASPI's tracker (medium), on Sec. 1286 (high) and the Entity List.
  'Quantum Test University': { countryCode: 'CN', hits: [hit('aspi-unitracker', 'Quantum Test University', 'medium'), hit('us-dow-1286', 'Quantum Test University', 'high'), hit('us-bis-entity-list', 'Quantum Test University', 'high')] },
  // A security-system university on ASPI's tracker (high), on no government's list.
  'Security Test University': { countryCode: 'CN', hits: [hit('aspi-unitracker', 'Security Test University', 'high')] },
  // On Canada's Named Research Organizations only.
  'Named Test Institute': { countryCode: 'CN', hits: [hit('ca-nro', 'Named Test Institute', 'high')] },
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
  const parties = partyScreens(c, { screener: { screen, screenRor: screen }, resolver: { institution: () => undefined } }).map((party) => party());
  // A store that holds the partners' records well (20 works each in the window): no co-publication criterion is left open for want of evidence.
  const evidence = deriveFacts(c, { parties, copubs: Object.fromEntries(partnerRors(parties).map((id) => [id, { works: 20, listed: 0 }])), window: [2021, 2025] }, policy);
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

test('U.S. listings alone are a strong signal, not red; a very high level on another list is', () => {
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
  const aspi = verdict(partner('PLA Test University'));
  assert.equal(criterion(aspi, 'S-DEFENCE-VERY-HIGH').status, 'holds');
  const funder = { funders: [{ name: 'US Listed Vision Co.', kind: 'company' }] };
  const funded = verdict(funder);
  assert.equal(funded.overall, 'yellow');
  assert.equal(criterion(funded, 'S-FUNDING-DEFENCE').status, 'does-not-hold');
});

const AI = { technology: { fields: ['eu-artificial-intelligence'], dual_use: 'no', export_controlled: 'no' } };
const QUANTUM = { technology: { fields: ['eu-quantum'], dual_use: 'no', export_controlled: 'no' } };

test('in a most sensitive field, a third country’s designation alone is yellow with an export-control check; defence links ASPI rates high are red', () => {
  const partner = (name: string) => ({ partners: [OXFORD, { name, role: 'partner', kind: 'university' }] });
  // USTC in quantum: red through Sec. 1286 "high" alone before.
  const ustc = verdict({ ...partner('Quantum Test University'), ...QUANTUM });
  assert.equal(ustc.overall, 'yellow', JSON.stringify(ustc.categories));
  const red = criterion(ustc, 'S-CRITICAL-TECH-DEFENCE-PARTNER');
  assert.equal(red.status, 'does-not-hold');
  const level = red.evidence.find((e) => e.path === 'partners.defence_level_without_third_country')!;
  assert.equal(level.words, 'highest defence-link level of a partner, third-country lists aside: medium', 'ASPI’s tracker read at its own level');
  assert.match(level.note!, /Quantum Test University on us-dow-1286 \(high, exact/, 'the evidence names the designation it set aside');
  assert.match(red.rationale, /binds no EU institution/);
  const designated = criterion(ustc, 'S-CRITICAL-TECH-DESIGNATED-PARTNER');
  assert.equal(designated.status, 'holds');
  assert.equal(designated.effective, 'yellow', 'open basic research does not lower it: the check confirms the exemption');
  assert.match(designated.source.clause, /Art\. 4/);
  assert.ok(ustc.plan.regulatory.some((m) => m.id === 'export-control-check' && m.calledForBy.includes('S-CRITICAL-TECH-DESIGNATED-PARTNER')));
  assert.ok(ustc.plan['red-line'].length > 0 && ustc.plan['exit-option'].length > 0);
  // The same partner in no sensitive field: the designation criterion does not apply.
  assert.equal(criterion(verdict(partner('Quantum Test University')), 'S-CRITICAL-TECH-DESIGNATED-PARTNER').status, 'does-not-hold');
  // Huawei-like: very high on U.S. lists only, in AI.
  const usInAi = verdict({ ...partner('US Listed Vision Co.'), ...AI });
  assert.equal(usInAi.overall, 'yellow');
  assert.equal(criterion(usInAi, 'S-CRITICAL-TECH-DESIGNATED-PARTNER').status, 'holds');
  // What ASPI's tracker (no government's list) rates high stays red, with its conditional route.
  const security = verdict({ ...partner('Security Test University'), ...QUANTUM });
  assert.equal(security.overall, 'red');
  assert.equal(criterion(security, 'S-CRITICAL-TECH-DEFENCE-PARTNER').status, 'holds');
  assert.equal(criterion(security, 'S-CRITICAL-TECH-DESIGNATED-PARTNER').status, 'does-not-hold');
  // Funders alike: a U.S. designation alone in AI is yellow, with declining or replacing the funder as the exit.
  const fundedAi = verdict({ funders: [{ name: 'US Listed Vision Co.', kind: 'company' }], ...AI });
  assert.equal(fundedAi.overall, 'yellow', JSON.stringify(fundedAi.categories));
  assert.equal(criterion(fundedAi, 'S-FUNDING-DEFENCE-SENSITIVE').status, 'does-not-hold');
  assert.equal(criterion(fundedAi, 'S-FUNDING-DESIGNATED-SENSITIVE').status, 'holds');
  assert.ok(fundedAi.plan['exit-option'].some((m) => m.id === 'exit-funder' && m.calledForBy.includes('S-FUNDING-DESIGNATED-SENSITIVE')));
  const aspiFunded = verdict({ funders: [{ name: 'Security Test University', kind: 'university' }], ...AI });
  assert.equal(criterion(aspiFunded, 'S-FUNDING-DEFENCE-SENSITIVE').status, 'holds');
  assert.match(criterion(aspiFunded, 'S-FUNDING-DEFENCE-SENSITIVE').redRoute!.conditions[0]!, /declined or replaced/);
});

test('Canada’s Named Research Organizations is a third country’s list: a strong signal, set aside like the U.S. lists', () => {
  const named = { partners: [OXFORD, { name: 'Named Test Institute', role: 'partner', kind: 'research-institute' }] };
  const plain = verdict(named);
  assert.equal(plain.overall, 'yellow');
  assert.equal(criterion(plain, 'S-THIRD-COUNTRY-LISTED').status, 'holds');
  assert.equal(plain.evidence!.facts['partners.level_without_third_country'], 0);
  const inAi = verdict({ ...named, ...AI });
  assert.equal(inAi.overall, 'yellow', JSON.stringify(inAi.categories));
  assert.equal(criterion(inAi, 'S-CRITICAL-TECH-DESIGNATED-PARTNER').status, 'holds');
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
  assert.throws(
    () => verdict({ application: { uses: ['general-purpose-other'], populations: ['general'], languages: [], minorities_whole_project: 'yes' } }),
    /application\.minorities_whole_project is yes, yet the application is aimed at no minority \(populations: general\) and handles no language/,
  );
});

test('when the minority-language component is the whole project, the red route is a red line, and no sub-topic exclusion is offered', () => {
  const uyghur = (whole: string) => verdict({ application: { uses: ['general-purpose-other'], populations: ['minority-language-speakers'], languages: ['Uyghur'], minorities_whole_project: whole } });
  const whole = uyghur('yes');
  const c = criterion(whole, 'H-MINORITIES-CHINA');
  assert.equal(c.status, 'holds');
  assert.equal(c.redRoute!.kind, 'red-line');
  assert.deepEqual(c.redRoute!.conditions, []);
  assert.match(c.redRoute!.text, /whole project/);
  assert.ok(!whole.plan.restriction.some((m) => m.id === 'exclude-subtopic'));
  assert.ok(whole.withheld.some((w) => w.id === 'exclude-subtopic' && /minority-language or minority-targeted component is the whole project/.test(w.why)));
  // A minority component beside other work, or not said: the conditions stay, and the sub-topic can go.
  for (const answer of ['no', 'unknown']) {
    const part = uyghur(answer);
    assert.equal(criterion(part, 'H-MINORITIES-CHINA').redRoute!.kind, 'conditional', answer);
    assert.ok(
      part.plan.restriction.some((m) => m.id === 'exclude-subtopic'),
      answer,
    );
  }
});
