import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_RULEBOOK, loadRulebook, RulebookError } from '../../src/assessment/rulebook.ts';
import { writeTemp } from '../helpers/fixtures.ts';

const shipped = readFileSync(DEFAULT_RULEBOOK, 'utf8');
const variant = (from: string, to: string) => {
  assert.ok(shipped.includes(from), `fixture anchor ${from}`);
  return writeTemp('rulebook.yaml', shipped.replace(from, to));
};

test('a broken rulebook is refused whole, naming the file, the criterion and the problem', () => {
  const syntax = variant('  - id: S-SANCTIONED\n', '  - id: S-SANCTIONED\n   bad: [\n');
  assert.throws(() => loadRulebook(syntax), (e: Error) => e instanceof RulebookError && e.message.startsWith(syntax) && /line \d+/.test(e.message) && /YAML syntax error/.test(e.message));
  const evidence = variant('when: "partners.sanctioned"', 'when: "partners.sanctioned or partners.on_moon"');
  assert.throws(() => loadRulebook(evidence), /criterion S-SANCTIONED: reads evidence "partners.on_moon", which does not exist/);
  const condition = variant('when: "partners.max_level >= 4"', 'when: "partners.max_level >="');
  assert.throws(() => loadRulebook(condition), /criterion S-DEFENCE-VERY-HIGH: condition "partners.max_level >=": expected a value/);
  const source = variant('source: { ref: gdpr,', 'source: { ref: nowhere,');
  assert.throws(() => loadRulebook(source), /criterion E-PERSONAL-DATA-TO-CHINA: source "nowhere" is not one of the rulebook's sources/);
  const mitigation = variant('mitigations: [ip-clause]', 'mitigations: [ip-clause, pray]');
  assert.throws(() => loadRulebook(mitigation), /criterion E-NO-IP-AGREEMENT: mitigation "pray" is not in the catalogue/);
  const outcome = variant('    outcome: yellow\n    lowered_by: [L-OPEN-BASIC-RESEARCH]', '    outcome: amber\n    lowered_by: [L-OPEN-BASIC-RESEARCH]');
  assert.throws(() => loadRulebook(outcome), /outcome "amber" is not one of green, yellow, red/);
  const untested = variant("      - { given: { application.biometric: false }, expect: false }\n", '');
  assert.throws(() => loadRulebook(untested), /criterion H-BIOMETRIC: needs policy tests/);
  const lowered = variant('lowered_by: [L-NO-SENSITIVE-DATA]', 'lowered_by: [S-SANCTIONED]');
  assert.throws(() => loadRulebook(lowered), /lowered_by S-SANCTIONED, which is not a risk-lowering \(green\) criterion/);
  assert.throws(() => loadRulebook('/nonexistent/rulebook.yaml'), /cannot read/);
});

test('the rulebook version is its content hash: any edit is a new version', () => {
  const a = loadRulebook();
  const b = loadRulebook(variant('rationale: "Reciprocity requires equal access to data on both sides."', 'rationale: "Reciprocity requires equal access to data."'));
  assert.equal(a.version, b.version, 'the label is unchanged');
  assert.notEqual(a.hash, b.hash, 'the content hash is not');
  assert.equal(a.hash, loadRulebook().hash, 'the same file gives the same hash');
});
