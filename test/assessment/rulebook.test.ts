import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
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
  assert.throws(
    () => loadRulebook(syntax),
    (e: Error) => e instanceof RulebookError && e.message.startsWith(syntax) && /line \d+/.test(e.message) && /YAML syntax error/.test(e.message),
  );
  const evidence = variant('when: "partners.binding_listed"', 'when: "partners.binding_listed or partners.on_moon"');
  assert.throws(() => loadRulebook(evidence), /criterion S-BINDING-LISTED: reads evidence "partners.on_moon", which does not exist/);
  const condition = variant('when: "partners.level_without_third_country >= 4 or partners.military"', 'when: "partners.level_without_third_country >="');
  assert.throws(() => loadRulebook(condition), /criterion S-DEFENCE-VERY-HIGH: condition "partners.level_without_third_country >=": expected a value/);
  const source = variant('source: { ref: gdpr,', 'source: { ref: nowhere,');
  assert.throws(() => loadRulebook(source), /criterion E-PERSONAL-DATA-TO-CHINA: source "nowhere" is not one of the rulebook's sources/);
  const mitigation = variant('mitigations: [ip-clause, red-line-reciprocity, exit-reciprocity]', 'mitigations: [ip-clause, pray, red-line-reciprocity, exit-reciprocity]');
  assert.throws(() => loadRulebook(mitigation), /criterion E-NO-IP-AGREEMENT: mitigation "pray" is not in the catalogue/);
  const outcome = variant('    outcome: yellow\n    lowered_by: [L-OPEN-BASIC-RESEARCH]', '    outcome: amber\n    lowered_by: [L-OPEN-BASIC-RESEARCH]');
  assert.throws(() => loadRulebook(outcome), /criteria\[\d+\]\.outcome: "amber" is not one of green, yellow, red \(criterion [A-Z-]+\)/);
  const untested = variant('      - { given: { application.biometric: false }, expect: false }\n', '');
  assert.throws(() => loadRulebook(untested), /criterion H-BIOMETRIC: needs policy tests/);
  const lowered = variant('lowered_by: [L-NO-SENSITIVE-DATA]', 'lowered_by: [S-BINDING-LISTED]');
  assert.throws(() => loadRulebook(lowered), /lowered_by S-BINDING-LISTED, which is not a risk-lowering \(green\) criterion/);
  assert.throws(() => loadRulebook('/nonexistent/rulebook.yaml'), /cannot read/);
});

type Doc = Record<string, any>;
const parsedShipped = () => parseYaml(shipped) as Doc;
/** The document with `key` removed from every criterion. */
function withoutKey(doc: Doc, key: string) {
  for (const c of doc.criteria) delete c[key];
  return doc;
}
const refusal = (doc: unknown): string => {
  const file = writeTemp('rulebook.json', JSON.stringify(doc));
  try {
    loadRulebook(file);
  } catch (e) {
    assert.ok(e instanceof RulebookError, String(e));
    assert.ok(e.message.startsWith(`${file}: `), e.message);
    return e.message.slice(file.length + 2);
  }
  return 'accepted';
};

test('the shipped rulebook passes its schema; a defect in its shape is refused naming the field and the reason', () => {
  assert.equal(refusal(parsedShipped()), 'accepted');
  const defects: [(d: Doc) => void, RegExp][] = [
    [(d) => delete d.rulebook.version, /^rulebook\.version: required text is missing$/],
    [(d) => (d.rulebook.reassess_months.red = 0), /^rulebook\.reassess_months\.red: 0 is not a whole number of months$/],
    [(d) => (d.rulebook.reassess_months.yellow = 2.5), /^rulebook\.reassess_months\.yellow: 2\.5 is not a whole number of months$/],
    [(d) => delete d.categories.ethics, /^categories\.ethics: required text is missing$/],
    [(d) => (d.sources.gdpr.title = 5), /^sources\.gdpr\.title: /],
    [(d) => (d.sources.aia.quote_check = 'gdpr'), /^sources\.aia\.quote_check: "gdpr" is not one of ai-act$/],
    [(d) => (d.mitigations[2].kind = 'prayer'), /^mitigations\[2\]\.kind: "prayer" is not one of restriction, regulatory, advice, red-line, exit-option$/],
    [(d) => (d.mitigations[2].withheld_when = { when: 'application.all_prohibited' }), /^mitigations\[2\]\.withheld_when\.why: required text is missing$/],
    [(d) => (d.criteria[0].id = 'lower-case'), /^criteria\[0\]\.id: "lower-case" is not an id of upper-case letters, digits and dashes$/],
    [(d) => (d.criteria[1].category = 'economy'), /^criteria\[1\]\.category: "economy" is not one of security, competitiveness, ethics \(criterion [A-Z-]+\)$/],
    [(d) => (d.criteria[2].profiles = ['national-security', 'vibes']), /^criteria\[2\]\.profiles\[1\]\.?: "vibes" is not one of supply-chain-resilience, /],
    [(d) => (d.criteria[3].source.clause = ''), /^criteria\[3\]\.source\.clause: missing \(the article, annex or section it rests on\) \(criterion [A-Z-]+\)$/],
    [(d) => (d.criteria[4].applies_to = ['teaching']), /^criteria\[4\]\.applies_to\[0\]: "teaching" is not one of research, standards-engagement/],
    [(d) => (d.criteria[5].tests[0].expect = 'maybe'), /^criteria\[5\]\.tests\[0\]\.expect: "maybe" is not true, false or unknown/],
    [(d) => (d.criteria[6].when = '  '), /^criteria\[6\]\.when: required text is missing/],
    [(d) => (d.criteria[7].lowered_by = 'L-OPEN-BASIC-RESEARCH'), /^criteria\[7\]\.lowered_by: expected a list/],
    [(d) => (d.criteria[8].colour = 'red'), /^criteria\[8\]\.colour: unknown field \(known: id, title, /],
    [(d) => (d.budget = 1), /^budget: unknown field \(known: rulebook, categories, sources, mitigations, criteria, minimum_evidence\)$/],
    [(d) => delete d.criteria, /^criteria: /],
  ];
  for (const [edit, expected] of defects) {
    const doc = parsedShipped();
    edit(doc);
    assert.match(refusal(doc), expected);
  }
  assert.equal(refusal([]), 'the rulebook: expected an object');
  // Any field of any criterion given a value of the wrong kind is refused by its path and the criterion's id.
  const doc = parsedShipped();
  const FIELDS = ['id', 'title', 'category', 'profiles', 'when', 'outcome', 'rationale', 'source', 'mitigations', 'lowered_by', 'applies_to', 'tests'];
  fc.assert(
    fc.property(fc.nat({ max: doc.criteria.length - 1 }), fc.constantFrom(...FIELDS), fc.constantFrom(true, 42, { x: 1 }, [{}], null), (i, field, value) => {
      const edited = parsedShipped();
      edited.criteria[i][field] = value;
      const said = refusal(edited);
      assert.ok(said.startsWith(`criteria[${i}].${field}`), said);
      if (field !== 'id') assert.ok(said.endsWith(` (criterion ${doc.criteria[i].id})`), said);
    }),
    { numRuns: 40, seed: 20261130 },
  );
});

test('the rulebook version is its content hash: any edit is a new version', () => {
  const a = loadRulebook();
  const b = loadRulebook(variant('rationale: "Reciprocity requires equal access to data on both sides."', 'rationale: "Reciprocity requires equal access to data."'));
  assert.equal(a.version, b.version, 'the label is unchanged');
  assert.notEqual(a.hash, b.hash, 'the content hash is not');
  assert.equal(a.hash, loadRulebook().hash, 'the same file gives the same hash');
});

test('the policy tests run at every load: a failing test refuses the rulebook, naming criterion and test', () => {
  const failing = variant('      - { given: { partners.binding_listed: false }, expect: false }\n', '      - { given: { partners.binding_listed: false }, expect: false }\n      - { given: { partners.binding_listed: false }, expect: true }\n');
  assert.throws(
    () => loadRulebook(failing),
    (e: Error) => e instanceof RulebookError && /criterion S-BINDING-LISTED: policy test 3 fails: given \{"partners.binding_listed":false\}, expected true, got false/.test(e.message),
  );
  // The condition that turns a red route into a red line is tested the same way.
  const lineFailing = variant('          - { given: { application.minorities_whole: false }, expect: false }\n', '          - { given: { application.minorities_whole: false }, expect: false }\n          - { given: { application.minorities_whole: false }, expect: true }\n');
  assert.throws(() => loadRulebook(lineFailing), /criterion H-MINORITIES-CHINA: red_route\.red_line_when: policy test 3 fails: given \{"application\.minorities_whole":false\}, expected true, got false/);
  // The same through the command line: `derisk rulebook F` refuses it.
  const cli = derisk(['rulebook', failing]);
  assert.equal(cli.status, 1);
  assert.match(cli.stderr, /S-BINDING-LISTED: policy test 3 fails/);
});

test('a red criterion says whether it is a red line or which conditions could lift it; a yellow one names red lines and exit options', () => {
  const noRoute = variant('    red_route:\n      kind: red-line\n      text: "A military end use', '    red_routes:\n      kind: red-line\n      text: "A military end use');
  assert.throws(() => loadRulebook(noRoute), /criteria\[\d+\]\.red_routes: unknown field \(known: .*red_route.*\) \(criterion S-MILITARY-USE\)/);
  const dropped = variant('    red_route:\n      kind: red-line\n      text: "A military end use', '    unused_route:\n      kind: red-line\n      text: "A military end use');
  const withoutRoute = writeTemp('rulebook.yaml', JSON.stringify(withoutKey(parseYaml(readFileSync(dropped, 'utf8')), 'unused_route')));
  assert.throws(() => loadRulebook(withoutRoute), /criterion S-MILITARY-USE: a red criterion needs red_route/);
  const noExit = variant('mitigations: [export-control-check, red-line-military, exit-listing]\n    tests:\n      - { given: { technology.export_controlled: true', 'mitigations: [export-control-check, red-line-military]\n    tests:\n      - { given: { technology.export_controlled: true');
  assert.throws(() => loadRulebook(noExit), /criterion S-EXPORT-CONTROLLED: a yellow criterion names at least one exit-option mitigation/);
  for (const c of loadRulebook().criteria.filter((x) => x.outcome === 'red')) assert.ok(c.redRoute, c.id);
});

test('the policy bundle records every file that shapes a verdict; replacing one changes its hash and the bundle hash', () => {
  const a = loadBundle();
  assert.deepEqual(Object.keys(a.record.files).sort(), [
    'data/assessment/ai-act-uses.json',
    'data/assessment/languages.json',
    'data/assessment/list-categories.json',
    'data/assessment/placeholder-names.json',
    'data/assessment/rulebook.yaml',
    'data/assessment/standards.json',
    'data/fields/taxonomy.json',
    'data/lists/aliases.json',
    'data/lists/catalog.json',
    'data/regions/regions.json',
    'data/screening/sensitivity.json',
  ]);
  const edited = variant('rationale: "Reciprocity requires equal access to data on both sides."', 'rationale: "Reciprocity requires equal access to data."');
  const b = loadBundle({ rulebook: edited });
  assert.equal(a.record.version, b.record.version);
  assert.notEqual(a.record.hash, b.record.hash);
  assert.deepEqual(
    bundleChanges(a.record, b.record).map((c) => c.file),
    ['data/assessment/rulebook.yaml'],
  );
  assert.equal(b.record.overrides?.['data/assessment/rulebook.yaml'], edited);
  // The mapping of lists to categories is data in the bundle, checked on load.
  const categories = writeTemp('list-categories.json', readFileSync(new URL('../../data/assessment/list-categories.json', import.meta.url), 'utf8').replace('"us-bis-entity-list": ["third-country"]', '"us-bis-entity-list": ["binding-ish"]'));
  assert.throws(() => loadBundle({ 'list-categories': categories }), /list us-bis-entity-list: unknown category "binding-ish"/);
  assert.throws(() => loadBundle({ nonsense: edited }), /no file "nonsense" in the bundle/);
});

test('every example case is valid under the bundle, and the examples say every answer the case form added', () => {
  const bundle = loadBundle();
  const dir = new URL('../../examples/cases/', import.meta.url).pathname;
  const known = { fields: new Set(bundle.taxonomy.fields.keys()), uses: new Set(bundle.uses.keys()), forums: new Set(bundle.standards.forums.keys()), topics: new Set(bundle.standards.topics.keys()) };
  const cases = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => readCase(join(dir, f), known));
  const kinds = cases.map((c) => c.kind);
  assert.ok(kinds.includes('standards-engagement') && kinds.includes('research'));
  // The answers issue 10 asked the case form to say, each shown by an example an officer can copy.
  const people = cases.flatMap((c) => c.personnel ?? []);
  const said: Record<string, boolean> = {
    'funders unknown': cases.some((c) => c.funders === null),
    'a partner not yet named': cases.some((c) => c.partners.some((p) => p.name === null && p.ror === null)),
    'partner kind': cases.some((c) => c.partners.some((p) => p.kind !== 'unknown')),
    'company funding or in-kind support': cases.some((c) => [...(c.funders ?? []), ...(c.inKind ?? [])].some((f) => f.kind === 'company')),
    'data subjects': cases.some((c) => (c.data.subjects ?? []).some((s) => s !== 'none')),
    'direction of data access': cases.some((c) => c.data.access === 'partner-accesses-eu-data' || c.data.access === 'both'),
    'minority languages': cases.some((c) => (c.application.languages ?? []).length > 0),
    'minority component the whole project': cases.some((c) => c.application.minoritiesWholeProject === 'yes'),
    'personnel mobility': people.some((p) => (p.mobility ?? []).some((m) => m !== 'none')),
    'talent programme unknown for a person': people.some((p) => p.talentProgrammes === null),
    'no sensitive field': cases.some((c) => c.technology.fields?.length === 0),
  };
  assert.deepEqual(
    Object.keys(said).filter((k) => !said[k]),
    [],
    'answers no example says',
  );
});
