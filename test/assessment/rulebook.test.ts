import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundleChanges, loadBundle } from '../../src/assessment/bundle.ts';
import { readCase } from '../../src/assessment/case.ts';
import { DEFAULT_RULEBOOK, loadRulebook, RulebookError } from '../../src/assessment/rulebook.ts';
import { derisk } from '../helpers/cli.ts';
import { writeTemp } from '../helpers/fixtures.ts';

const shipped = readFileSync(DEFAULT_RULEBOOK, 'utf8');
const variant = (from: string, to: string) => {
  assert.ok(shipped.includes(from), `fixture anchor ${from}`);
  return writeTemp('rulebook.yaml', shipped.replace(from, to));
};

test('a broken rulebook is refused whole, naming the file, the criterion and the problem', () => {
  const syntax = variant('  - id: S-BINDING-LISTED\n', '  - id: S-BINDING-LISTED\n   bad: [\n');
  assert.throws(() => loadRulebook(syntax), (e: Error) => e instanceof RulebookError && e.message.startsWith(syntax) && /line \d+/.test(e.message) && /YAML syntax error/.test(e.message));
  const evidence = variant('when: "partners.binding_listed"', 'when: "partners.binding_listed or partners.on_moon"');
  assert.throws(() => loadRulebook(evidence), /criterion S-BINDING-LISTED: reads evidence "partners.on_moon", which does not exist/);
  const condition = variant('when: "partners.max_level >= 4 or partners.military"', 'when: "partners.max_level >="');
  assert.throws(() => loadRulebook(condition), /criterion S-DEFENCE-VERY-HIGH: condition "partners.max_level >=": expected a value/);
  const source = variant('source: { ref: gdpr,', 'source: { ref: nowhere,');
  assert.throws(() => loadRulebook(source), /criterion E-PERSONAL-DATA-TO-CHINA: source "nowhere" is not one of the rulebook's sources/);
  const mitigation = variant('mitigations: [ip-clause, red-line-reciprocity, exit-reciprocity]', 'mitigations: [ip-clause, pray, red-line-reciprocity, exit-reciprocity]');
  assert.throws(() => loadRulebook(mitigation), /criterion E-NO-IP-AGREEMENT: mitigation "pray" is not in the catalogue/);
  const outcome = variant('    outcome: yellow\n    lowered_by: [L-OPEN-BASIC-RESEARCH]', '    outcome: amber\n    lowered_by: [L-OPEN-BASIC-RESEARCH]');
  assert.throws(() => loadRulebook(outcome), /outcome "amber" is not one of green, yellow, red/);
  const untested = variant("      - { given: { application.biometric: false }, expect: false }\n", '');
  assert.throws(() => loadRulebook(untested), /criterion H-BIOMETRIC: needs policy tests/);
  const lowered = variant('lowered_by: [L-NO-SENSITIVE-DATA]', 'lowered_by: [S-BINDING-LISTED]');
  assert.throws(() => loadRulebook(lowered), /lowered_by S-BINDING-LISTED, which is not a risk-lowering \(green\) criterion/);
  assert.throws(() => loadRulebook('/nonexistent/rulebook.yaml'), /cannot read/);
});

test('the rulebook version is its content hash: any edit is a new version', () => {
  const a = loadRulebook();
  const b = loadRulebook(variant('rationale: "Reciprocity requires equal access to data on both sides."', 'rationale: "Reciprocity requires equal access to data."'));
  assert.equal(a.version, b.version, 'the label is unchanged');
  assert.notEqual(a.hash, b.hash, 'the content hash is not');
  assert.equal(a.hash, loadRulebook().hash, 'the same file gives the same hash');
});

test('the policy tests run at every load: a failing test refuses the rulebook, naming criterion and test', () => {
  const failing = variant("      - { given: { partners.binding_listed: false }, expect: false }\n", "      - { given: { partners.binding_listed: false }, expect: false }\n      - { given: { partners.binding_listed: false }, expect: true }\n");
  assert.throws(() => loadRulebook(failing), (e: Error) => e instanceof RulebookError && /criterion S-BINDING-LISTED: policy test 3 fails: given \{"partners.binding_listed":false\}, expected true, got false/.test(e.message));
  // The same through the command line: `derisk rulebook F` refuses it.
  const cli = derisk(['rulebook', failing]);
  assert.equal(cli.status, 1);
  assert.match(cli.stderr, /S-BINDING-LISTED: policy test 3 fails/);
});

test('a red criterion says whether it is a red line or which conditions could lift it; a yellow one names red lines and exit options', () => {
  const noRoute = variant('    red_route:\n      kind: red-line\n      text: "A military end use', '    red_routes:\n      kind: red-line\n      text: "A military end use');
  assert.throws(() => loadRulebook(noRoute), /criterion S-MILITARY-USE: a red criterion needs red_route/);
  const noExit = variant('mitigations: [export-control-check, red-line-military, exit-listing]\n    tests:\n      - { given: { technology.export_controlled: true', 'mitigations: [export-control-check, red-line-military]\n    tests:\n      - { given: { technology.export_controlled: true');
  assert.throws(() => loadRulebook(noExit), /criterion S-EXPORT-CONTROLLED: a yellow criterion names at least one exit-option mitigation/);
  for (const c of loadRulebook().criteria.filter((x) => x.outcome === 'red')) assert.ok(c.redRoute, c.id);
});

test('the policy bundle records every file that shapes a verdict; replacing one changes its hash and the bundle hash', () => {
  const a = loadBundle();
  assert.deepEqual(Object.keys(a.record.files).sort(), ['data/assessment/ai-act-uses.json', 'data/assessment/languages.json', 'data/assessment/list-categories.json', 'data/assessment/rulebook.yaml', 'data/assessment/standards.json', 'data/fields/taxonomy.json', 'data/lists/aliases.json', 'data/lists/catalog.json', 'data/regions/regions.json', 'data/screening/sensitivity.json']);
  const edited = variant('rationale: "Reciprocity requires equal access to data on both sides."', 'rationale: "Reciprocity requires equal access to data."');
  const b = loadBundle({ rulebook: edited });
  assert.equal(a.record.version, b.record.version);
  assert.notEqual(a.record.hash, b.record.hash);
  assert.deepEqual(bundleChanges(a.record, b.record).map((c) => c.file), ['data/assessment/rulebook.yaml']);
  assert.equal(b.record.overrides?.['data/assessment/rulebook.yaml'], edited);
  // The mapping of lists to categories is data in the bundle, checked on load.
  const categories = writeTemp('list-categories.json', readFileSync(new URL('../../data/assessment/list-categories.json', import.meta.url), 'utf8').replace('"us-bis-entity-list": ["third-country"]', '"us-bis-entity-list": ["binding-ish"]'));
  assert.throws(() => loadBundle({ 'list-categories': categories }), /list us-bis-entity-list: unknown category "binding-ish"/);
  assert.throws(() => loadBundle({ nonsense: edited }), /no file "nonsense" in the bundle/);
});

test('every example case is valid under the bundle', () => {
  const bundle = loadBundle();
  const dir = new URL('../../examples/cases/', import.meta.url).pathname;
  const known = { fields: new Set(bundle.taxonomy.fields.keys()), uses: new Set(bundle.uses.keys()), forums: new Set(bundle.standards.forums.keys()), topics: new Set(bundle.standards.topics.keys()) };
  const kinds = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => readCase(join(dir, f), known).kind);
  assert.ok(kinds.includes('standards-engagement') && kinds.includes('research'));
});
