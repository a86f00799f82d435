import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { citationHolds, loadAiUses, readRegulation } from '../../src/assessment/ai-act.ts';
import { evaluateTruth } from '../../src/assessment/expression.ts';
import { loadRulebook } from '../../src/assessment/rulebook.ts';
import { MIRROR } from '../helpers/fixtures.ts';

// The policy test suite: every criterion of the shipped rulebook against its own cases.
const rulebook = loadRulebook();
describe(`rulebook ${rulebook.id} ${rulebook.version}`, () => {
  for (const criterion of rulebook.criteria) {
    test(`${criterion.id}: ${criterion.title}`, () => {
      for (const t of criterion.tests) {
        const got = evaluateTruth(criterion.condition, (p) => t.given[p] ?? null);
        assert.equal(got === null ? 'unknown' : got, t.expect, `given ${JSON.stringify(t.given)}`);
      }
      const line = criterion.redRoute?.redLineWhen;
      for (const t of line?.tests ?? []) {
        const got = evaluateTruth(line!.condition, (p) => t.given[p] ?? null);
        assert.equal(got === null ? 'unknown' : got, t.expect, `red line: given ${JSON.stringify(t.given)}`);
      }
    });
  }
});

test('every AI Act citation (use catalogue and rulebook) quotes words that stand in the cited article or annex', () => {
  const regulation = readRegulation(join(MIRROR, 'eu-ai-act-eurlex/aia_2024_1689_formex_en.xml.gz'));
  assert.equal(regulation.articles.size, 113);
  assert.equal(regulation.annexes.size, 13);
  for (const use of loadAiUses().uses.values()) assert.ok(citationHolds(use, regulation), `${use.id}: "${use.quote}" not in ${use.cite}`);
  const aiActCriteria = rulebook.criteria.filter((c) => rulebook.sources.get(c.source.ref)?.quote_check === 'ai-act');
  assert.ok(aiActCriteria.length >= 4);
  for (const c of aiActCriteria) {
    const article = /Art\. (\d+)/.exec(c.source.clause)?.[1];
    const annex = /Annex ([IVX]+)/.exec(c.source.clause)?.[1];
    assert.ok(c.source.quote, `${c.id} cites the AI Act without quoting it`);
    assert.ok(citationHolds({ article: article ? Number(article) : undefined, annex, quote: c.source.quote! }, regulation), `${c.id}: "${c.source.quote}" not in ${c.source.clause}`);
  }
});

test('the rulebook covers what the briefs ask for, and standards engagement follows the four risk profiles', () => {
  const reads = new Set(rulebook.criteria.flatMap((c) => c.reads));
  for (const needed of [
    'partners.max_level',
    'partners.binding_listed',
    'partners.third_country_listed',
    'funding.level_without_third_country',
    'application.minorities',
    'partners.defence_level_without_third_country',
    'funding.defence_level_without_third_country',
    'data.partner_access',
    'personnel.long_mobility',
    'standards.reciprocity',
    'standards.sep_without_frand',
    'technology.most_sensitive',
    'application.ai_act_rank',
    'application.surveillance',
    'data.important',
    'data.personal',
    'terms.equal_access_to_data',
    'terms.equal_right_to_publish',
    'terms.ip_agreement',
    'funding.listed',
    'personnel.talent_programme',
    'copubs.listed_5y',
    'research.basic',
  ]) {
    assert.ok(reads.has(needed), `no criterion reads ${needed}`);
  }
  assert.ok(
    rulebook.criteria.some((c) => c.outcome === 'green'),
    'factors that lower risk',
  );
  for (const cat of ['security', 'competitiveness', 'ethics']) assert.ok(rulebook.criteria.some((c) => c.category === cat));
  const standards = rulebook.criteria.filter((c) => c.appliesTo.includes('standards-engagement') && !c.appliesTo.includes('research'));
  for (const profile of ['supply-chain-resilience', 'national-security', 'normative-aspirations', 'competitiveness'])
    assert.ok(
      standards.some((c) => c.profiles.includes(profile)),
      profile,
    );
  for (const c of standards) assert.equal(c.source.ref, 'standards-001', `${c.id} cites the standards brief`);
  // U.S. listings alone are a strong signal, not red: only binding lists make a partner's listing red by itself.
  const listingAlone = rulebook.criteria.filter((c) => c.outcome === 'red' && c.reads.length === 1 && c.reads[0]!.startsWith('partners.') && c.reads[0]!.endsWith('listed'));
  assert.deepEqual(
    listingAlone.map((c) => c.id),
    ['S-BINDING-LISTED'],
  );
  assert.equal(rulebook.criteria.find((c) => c.id === 'S-THIRD-COUNTRY-LISTED')!.outcome, 'yellow');
  // Nor does a level that third-country lists reach alone (Sec. 1260H and the MEU list very high, Sec. 1286 and Canada's
  // named research organisations high), whether the level of any list or of the lists assessing defence links.
  const levelAnyList = rulebook.criteria.filter((c) => c.outcome === 'red' && c.reads.some((p) => /^(partners|funding)\.(max_level|defence_level)$/.test(p)));
  assert.deepEqual(
    levelAnyList.map((c) => c.id),
    [],
  );
});
