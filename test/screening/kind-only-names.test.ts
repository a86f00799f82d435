import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { assess } from '../../src/assessment/assess.ts';
import { loadBundle } from '../../src/assessment/bundle.ts';
import { validateCase, type Case } from '../../src/assessment/case.ts';
import { deriveFacts, observe } from '../../src/assessment/evidence.ts';
import { TIER_RANK } from '../../src/resolve/matcher.ts';
import { INSTITUTION_KIND_WORDS } from '../../src/screening/names.ts';
import { derisk } from '../helpers/cli.ts';
import { writeTemp } from '../helpers/fixtures.ts';
import { realRegistry, realRegistryHome } from '../helpers/registry.ts';
import { realScreener } from '../helpers/screening.ts';

// An outside tester gave a partner as "Institute of Technology": screening recognised it as Institut Teknologi Del
// (Indonesia), whose English label "Del Institute of Technology" reads so once the Spanish "del" is left out as a stop
// word, and the case came out green; "University of Technology" was the Sudanese university of that name. Words that
// say only what kind of institution one is name none of them.

const CASE_FILE = new URL('../../examples/cases/open-basic-research.yaml', import.meta.url);
const AS_OF = '2026-12-01';

const cased = fc.constantFrom<(w: string) => string>(
  (w) => w,
  (w) => w.toUpperCase(),
  (w) => w[0]!.toUpperCase() + w.slice(1),
);
/** A phrase of kind words only, in any order and case, joined with or without "of" and "the" ("Technology of the RESEARCH Institute"). */
const kindPhrase = fc.array(fc.tuple(fc.constantFrom(...INSTITUTION_KIND_WORDS), cased, fc.constantFrom('', 'of', 'the', 'of the', 'and')), { minLength: 1, maxLength: 4 }).map((words) =>
  words
    .map(([word, write, joiner], i) => `${i === 0 ? '' : `${joiner} `}${write(word)}`)
    .join(' ')
    .replace(/\s+/g, ' '),
);

/** The open basic research example with its second partner named `name`. */
function caseWith(name: string): Case {
  const doc = parseYaml(readFileSync(CASE_FILE, 'utf8')) as { partners: object[] };
  return validateCase({ ...doc, partners: [doc.partners[0], { name, role: 'partner' }] }, null);
}

async function verdictFor(name: string): Promise<{ overall: string; notes: string }> {
  const [screener, { resolver }] = await Promise.all([realScreener(), realRegistry()]);
  const bundle = loadBundle();
  const c = caseWith(name);
  // A store that holds each partner's record well (20 works, none with a listed entity): the verdict turns on the screening alone.
  const observations = await observe(c, { screener, resolver, copubYears: async (rors) => new Map(rors.map((r) => [r, [{ year: 2024, works: 20, listed: 0 }]])) }, AS_OF);
  const result = assess(c, deriveFacts(c, observations, bundle), bundle.rulebook, AS_OF, { observations }, bundle.record);
  return { overall: result.overall, notes: result.criteria.flatMap((r) => r.evidence.map((e) => e.note ?? '')).join(' | ') };
}

test('a name of kind words only is never recognised as one institution, and never makes a case green', async () => {
  const screener = await realScreener();
  const { resolver } = await realRegistry();
  fc.assert(
    fc.property(kindPhrase, (phrase) => {
      const r = screener.screen(phrase);
      assert.notEqual(r.state, 'not-listed', `${phrase}: ${r.headline}`);
      const solid = resolver.resolve(phrase).institutions.filter((m) => TIER_RANK[m.tier] >= TIER_RANK.strong);
      assert.deepEqual(
        solid.map((m) => `${m.name} (${m.rorId}, ${m.tier})`),
        [],
        phrase,
      );
    }),
    { numRuns: 300 },
  );
  await fc.assert(
    fc.asyncProperty(kindPhrase, async (phrase) => {
      const { overall, notes } = await verdictFor(phrase);
      assert.notEqual(overall, 'green', `${phrase}: ${notes}`);
    }),
    { numRuns: 40 },
  );
  for (const phrase of ['Institute of Technology', 'University of Technology', 'Institute of Technology, Indonesia']) assert.notEqual(screener.screen(phrase).state, 'not-listed', phrase);
  // A place written beside kind words can be part of an institution's own name: "University of Technology - Iraq" (Baghdad).
  assert.equal(screener.screen('University of Technology, Iraq').institutions.find((i) => i.tier === 'exact')?.rorId, '01w1ehb86');
});

test('kind words identify a registry institution only as its own name, written where it is; a party on no list names the institution it was taken for', async () => {
  const { resolver } = await realRegistry();
  // Its own (display) name, placed where the registry places it: that university.
  const khartoum = resolver.resolve('University of Technology, Khartoum, Sudan');
  assert.deepEqual(
    khartoum.institutions.filter((m) => m.primary).map((m) => [m.rorId, m.tier]),
    [['04amnxx84', 'exact']],
    khartoum.institutions.map((m) => m.evidence).join(' | '),
  );
  // Placed, but only a label of another's name ("Del Institute of Technology"): not that institute.
  const indonesia = resolver.resolve('Institute of Technology, Indonesia');
  assert.ok(
    indonesia.institutions.every((m) => TIER_RANK[m.tier] < TIER_RANK.strong),
    indonesia.institutions.map((m) => `${m.name} ${m.tier}: ${m.evidence}`).join(' | '),
  );
  const { overall, notes } = await verdictFor('University of Technology, Khartoum, Sudan');
  assert.equal(overall, 'green', notes);
  assert.match(notes, /University of Technology, Khartoum, Sudan \(partner \(partner\)\): on no loaded list \(the registry resolves "University of Technology, Khartoum, Sudan" to University of Technology \(04amnxx84\)\)/, notes);
});

test('derisk assess: the tester\'s "Institute of Technology" and "University of Technology" partners are not green', () => {
  const env = { DERISK_HOME: realRegistryHome() };
  const loaded = derisk(['lists', 'load'], env);
  assert.equal(loaded.status, 0, loaded.stderr);
  const example = readFileSync(CASE_FILE, 'utf8');
  for (const [name, country] of [
    ['Institute of Technology', null],
    ['University of Technology', null],
    ['Institute of Technology', 'ID'],
  ] as const) {
    const file = writeTemp('case.yaml', example.replace(/name: Tsinghua University\n {4}role: partner\n {4}country: CN\n/, `name: ${name}\n    role: partner\n${country ? `    country: ${country}\n` : ''}`));
    assert.match(readFileSync(file, 'utf8'), new RegExp(`name: ${name}\\n`));
    const r = derisk(['assess', file, '--json', '--as-of', AS_OF], env);
    assert.equal(r.status, 0, r.stderr);
    const verdict = JSON.parse(r.stdout) as { overall: string; criteria: { evidence: { note?: string }[] }[] };
    const notes = verdict.criteria.flatMap((c) => c.evidence.map((e) => e.note ?? '')).join(' | ');
    assert.notEqual(verdict.overall, 'green', `${name}: ${notes}`);
    assert.match(notes, new RegExp(`${name} \\(partner \\(partner\\)\\): "${name}" resolves to no registry institution`), notes);
  }
});
