import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AffiliationResolver } from '../../src/resolve/matcher.ts';

/**
 * Matcher examples, written the way people write affiliations, run against the small fixture
 * registry (test/input/ror-small.jsonl: each target with its namesakes and near-names, so every
 * example still has something to get wrong) and against the real registry in the data mirror.
 */
export function matcherExamples(registry: () => Promise<AffiliationResolver>, opts: { skip?: string | false } = {}): void {
  const names = async (s: string) => (await registry()).resolve(s).institutions.map((m) => m.name);

  test('a WoS address resolves to its institution and country', opts, async () => {
    const resolver = await registry();
    const r = resolver.resolve('Huazhong Univ Sci & Technol, Sch Elect Informat & Commun, Wuhan 430074, Peoples R China');
    assert.deepEqual(
      r.institutions.map((m) => m.name),
      ['Huazhong University of Science and Technology'],
    );
    assert.equal(r.countryCode, 'CN');
    assert.ok(['exact', 'strong'].includes(r.tier));
    assert.ok(r.institutions[0]!.evidence.length > 0, 'every match says why');
  });

  test('near-namesakes stay apart: BIT is not BJUT, HIT is not HEU', opts, async () => {
    assert.deepEqual(await names('Beijing Institute of Technology, Beijing, China'), ['Beijing Institute of Technology']);
    assert.deepEqual(await names('Beijing University of Technology, Beijing, China'), ['Beijing University of Technology']);
    assert.deepEqual(await names('Harbin Inst Technol, Harbin, Peoples R China'), ['Harbin Institute of Technology']);
    assert.deepEqual(await names('Harbin Engn Univ, Harbin, Peoples R China'), ['Harbin Engineering University']);
  });

  test('a Chinese-language name resolves; an institute named alone rolls up to CAS on request', opts, async () => {
    const resolver = await registry();
    const both = resolver.resolve('中国科学院自动化研究所');
    assert.deepEqual(
      both.institutions.map((m) => m.name),
      ['Chinese Academy of Sciences'],
    );
    assert.deepEqual(
      both.institutions[0]!.units.map((u) => u.name),
      ['Institute of Automation'],
    );
    assert.equal(both.countryCode, 'CN');
    const alone = resolver.resolve('Institute of Automation, Beijing, China');
    assert.deepEqual(
      alone.institutions.map((m) => m.name),
      ['Institute of Automation'],
    );
    assert.equal(resolver.institution(resolver.rollUp(alone.institutions[0]!.rorId))?.name, 'Chinese Academy of Sciences');
  });

  test('a string naming a unit and its parent resolves to the parent, keeping the unit as detail', opts, async () => {
    const resolver = await registry();
    const r = resolver.resolve('Institute of Automation, Chinese Academy of Sciences, Beijing 100190, China');
    assert.deepEqual(
      r.institutions.map((m) => m.name),
      ['Chinese Academy of Sciences'],
    );
    assert.match(r.institutions[0]!.units.map((u) => u.name).join(), /Automation/);
  });

  test("a unit's generic name named beside another parent, or in another city, is not a namesake unit elsewhere", opts, async () => {
    const resolver = await registry();
    // TU Dresden's "Institute of Automation" is in the registry; the University of Rostock's is not.
    const rostock = resolver.resolve('Univ Rostock, Inst Automat IAT, D-18119 Rostock, Germany');
    assert.deepEqual(
      rostock.institutions.map((m) => m.name),
      ['University of Rostock'],
    );
    assert.equal(rostock.countryCode, 'DE');
    const alone = resolver.resolve('Inst Automat, Ctr Life Sci Automat, D-18119 Rostock, Germany');
    assert.ok(!alone.institutions.some((m) => m.rorId === '056qj1t15'));
    // (The real registry's "Center for Life Sciences" in China is kept only as possible: the string says Germany.)
    assert.deepEqual(
      alone.institutions.filter((m) => m.tier !== 'possible').map((m) => m.rorId),
      [],
    );
    assert.equal(alone.countryCode, 'DE');
    // Its own city, or its own parent, still name it.
    assert.deepEqual(await names('Inst Automat, D-01062 Dresden, Germany'), ['Institute of Automation']);
    assert.equal(resolver.resolve('Inst Automat, D-01062 Dresden, Germany').institutions[0]!.rorId, '056qj1t15');
    assert.deepEqual(await names('Institute of Automation, Technische Universität Dresden, Dresden, Germany'), ['Technische Universität Dresden']);
  });

  test('a string naming several institutions yields several, the university first', opts, async () => {
    const r = (await registry()).resolve('Department of Physiology, Howard Hughes Medical Institute, University of Texas Southwestern Medical Center, Dallas, TX, USA');
    assert.equal(r.institutions.length, 2);
    assert.equal(r.institutions[0]!.primary, true);
    assert.match(r.institutions[0]!.name, /Southwestern/);
    assert.match(r.institutions[1]!.name, /Howard Hughes/);
  });

  test('an acronym alone decides nothing; with its city it is a possible match', opts, async () => {
    const resolver = await registry();
    assert.deepEqual(resolver.resolve('MIT').institutions, []);
    const withCity = resolver.resolve('MIT, Cambridge, MA, USA').institutions;
    assert.equal(withCity.length, 1);
    assert.equal(withCity[0]!.tier, 'possible');
    assert.equal(withCity[0]!.name, 'Massachusetts Institute of Technology');
  });

  test('"Washington University" is not the University of Washington', opts, async () => {
    const r = (await registry()).resolve('Washington University School of Medicine, St. Louis, MO, USA');
    assert.ok(!r.institutions.some((m) => m.name === 'University of Washington' && m.tier !== 'possible'));
  });

  test('a generic unit name never matches on its own', opts, async () => {
    assert.deepEqual(await names('Department of Biological Sciences'), []);
    assert.deepEqual(await names('Department of Biological Sciences, University of Alberta'), ['University of Alberta']);
  });

  test('no institution, but the country is still given', opts, async () => {
    const r = (await registry()).resolve('Some Small Lab, Wuhan 430074, Peoples R China');
    assert.deepEqual(r.institutions, []);
    assert.equal(r.countryCode, 'CN');
    assert.equal(r.tier, 'unresolved');
  });
}
