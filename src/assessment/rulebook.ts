import { readTextFile } from '../text-file.ts';
import { fileURLToPath } from 'node:url';
import Type, { type Static } from '../vendor/typebox.ts';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { checkSchema } from '../schema.ts';
import { CASE_KINDS } from './case.ts';
import { EVIDENCE } from './evidence.ts';
import { evaluateTruth, ExpressionError, parse, pathsOf, type Node, type Value } from './expression.ts';
import { sha256Hex } from '../sha256.ts';

export const DEFAULT_RULEBOOK = fileURLToPath(new URL('../../data/assessment/rulebook.yaml', import.meta.url));

export const OUTCOMES = ['green', 'yellow', 'red'] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const CATEGORIES = ['security', 'competitiveness', 'ethics'] as const;
export type Category = (typeof CATEGORIES)[number];
export const PROFILES = ['supply-chain-resilience', 'national-security', 'normative-aspirations', 'competitiveness'] as const;
export const MITIGATION_KINDS = ['restriction', 'regulatory', 'advice', 'red-line', 'exit-option'] as const;

export interface Source {
  id: string;
  title: string;
  where: string;
  quote_check?: 'ai-act';
}

export interface Mitigation {
  id: string;
  kind: (typeof MITIGATION_KINDS)[number];
  text: string;
  /** Not offered when this condition holds (e.g. no sub-topic to exclude when the whole project is prohibited). */
  withheldWhen?: { when: string; condition: Node; why: string };
}

/** For a red criterion: a red line no condition lifts, or the conditions that could make it acceptable. */
export interface RedRoute {
  kind: 'red-line' | 'conditional';
  text: string;
  conditions: string[];
  source: { ref: string; clause: string };
  /** When this holds, no condition can lift the red (the practice is the whole project): the route is this red line instead. */
  redLineWhen?: { when: string; condition: Node; text: string; source: { ref: string; clause: string }; tests: PolicyTest[] };
}

export interface PolicyTest {
  given: Record<string, Value>;
  expect: boolean | 'unknown';
}

export interface Criterion {
  id: string;
  title: string;
  category: Category;
  profiles: string[];
  when: string;
  condition: Node;
  reads: string[];
  outcome: Outcome;
  rationale: string;
  source: { ref: string; clause: string; quote?: string };
  mitigations: string[];
  loweredBy: string[];
  appliesTo: (typeof CASE_KINDS)[number][];
  redRoute: RedRoute | null;
  tests: PolicyTest[];
}

/** How much evidence a fact needs before its "does not hold" is evidence of absence, with why (kept as data, cited). */
export interface MinimumEvidence {
  atLeast: number;
  rationale: string;
  source: { ref: string; clause: string };
}

export interface Rulebook {
  id: string;
  version: string;
  title: string;
  /** Content hash of the file: the version an assessment records. */
  hash: string;
  file: string;
  reassessMonths: Record<Outcome | 'needs-information', number>;
  sources: Map<string, Source>;
  mitigations: Map<string, Mitigation>;
  categories: Record<Category, string>;
  criteria: Criterion[];
  /** Thresholds below which the evidence store cannot show that something is absent (null: none set). */
  minimumEvidence: { copubsPartnerWorks?: MinimumEvidence } | null;
}

export class RulebookError extends Error {}

const text = Type.String({ minLength: 1, pattern: '\\S' });
const months = Type.Integer({ minimum: 1, description: 'a whole number of months' });
const citation = Type.Object(
  {
    ref: Type.String({ description: "the id of one of the rulebook's sources" }),
    clause: Type.String({ minLength: 1, pattern: '\\S', 'x-messages': { minLength: 'missing (the article, annex or section it rests on)', pattern: 'missing (the article, annex or section it rests on)' } }),
    quote: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
// On the word too: a word other than "unknown" is refused by that branch, which then says all three.
const EXPECT = { description: 'true, false or unknown' };
const evidenceValue = Type.Union([Type.Boolean(), Type.Number(), Type.String(), Type.Null(), Type.Array(Type.Union([Type.Boolean(), Type.Number(), Type.String(), Type.Null()]))]);
const policyTests = Type.Array(Type.Object({ given: Type.Record(Type.String(), evidenceValue), expect: Type.Union([Type.Boolean(), Type.Literal('unknown', EXPECT)], EXPECT) }, { additionalProperties: false }));

/**
 * The rulebook as written (data/assessment/rulebook.yaml): its shape, checked by one schema with the
 * refusal wording every derisk document has. What a schema cannot say (a condition that parses, the
 * evidence it reads, references between entries, the policy tests) is checked after it.
 */
export const RulebookDocument = Type.Object(
  {
    rulebook: Type.Object({ id: text, version: text, title: text, reassess_months: Type.Object({ red: months, yellow: months, green: months, 'needs-information': months }, { additionalProperties: false }) }, { additionalProperties: false }),
    categories: Type.Object({ security: text, competitiveness: text, ethics: text }, { additionalProperties: false }),
    sources: Type.Record(Type.String(), Type.Object({ title: text, where: text, quote_check: Type.Optional(Type.Literal('ai-act')) }, { additionalProperties: false })),
    mitigations: Type.Array(Type.Object({ id: text, kind: Type.Enum([...MITIGATION_KINDS]), text, withheld_when: Type.Optional(Type.Object({ when: text, why: text }, { additionalProperties: false })) }, { additionalProperties: false })),
    criteria: Type.Array(
      Type.Object(
        {
          id: Type.String({ pattern: '^[A-Z][A-Z0-9-]*$', description: 'an id of upper-case letters, digits and dashes' }),
          title: text,
          category: Type.Enum([...CATEGORIES]),
          profiles: Type.Optional(Type.Array(Type.Enum([...PROFILES]))),
          when: text,
          outcome: Type.Enum([...OUTCOMES]),
          rationale: text,
          source: citation,
          mitigations: Type.Optional(Type.Array(text)),
          lowered_by: Type.Optional(Type.Array(text)),
          applies_to: Type.Optional(Type.Array(Type.Enum([...CASE_KINDS]))),
          red_route: Type.Optional(
            Type.Object(
              {
                kind: Type.Enum(['red-line', 'conditional']),
                text,
                conditions: Type.Optional(Type.Array(text)),
                source: citation,
                red_line_when: Type.Optional(Type.Object({ when: text, text, source: citation, tests: policyTests }, { additionalProperties: false })),
              },
              { additionalProperties: false },
            ),
          ),
          tests: policyTests,
        },
        { additionalProperties: false },
      ),
    ),
    minimum_evidence: Type.Optional(
      Type.Object(
        {
          copubs_partner_works: Type.Optional(
            Type.Object(
              { at_least: Type.Integer({ minimum: 1, description: 'a whole number of works' }), rationale: text, source: citation },
              { additionalProperties: false, description: "the works of each non-European partner in the co-publication window below which the store's count cannot say the co-publication criteria do not hold" },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'A rulebook' },
);
type RulebookDocument = Static<typeof RulebookDocument>;

/** ` (criterion S-X)` after a refusal inside criteria[i] whose id can be read: the name an author searches for. */
function criterionNamed(doc: unknown, message: string): string {
  const index = /^criteria\[(\d+)\](?!\.id:)/.exec(message)?.[1];
  const id: unknown = index === undefined ? undefined : (doc as { criteria: { id?: unknown }[] }).criteria[Number(index)]?.id;
  return typeof id === 'string' && id !== '' ? ` (criterion ${id})` : '';
}

/** Loads and checks a whole rulebook; any error refuses all of it, naming file, criterion and problem. */
export function loadRulebook(file = DEFAULT_RULEBOOK): Rulebook {
  const text = readTextFile(file, (m) => new RulebookError(m));
  let parsed: unknown;
  try {
    parsed = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` line ${e.linePos[0].line}` : '';
    throw new RulebookError(`${file}:${where}: YAML syntax error: ${(e as Error).message.split('\n')[0]}`);
  }
  checkSchema(RulebookDocument, parsed, (m) => new RulebookError(`${file}: ${m}${criterionNamed(parsed, m)}`), 'the rulebook');
  const doc = parsed as RulebookDocument;
  const fail = (where: string, problem: string): never => {
    throw new RulebookError(`${file}: ${where}: ${problem}`);
  };
  const head = doc.rulebook;
  const reassess = head.reassess_months;
  const sources = new Map<string, Source>();
  for (const [id, s] of Object.entries(doc.sources)) sources.set(id, { id, title: s.title, where: s.where, ...(s.quote_check ? { quote_check: s.quote_check } : {}) });
  const mitigations = new Map<string, Mitigation>();
  for (const m of doc.mitigations) {
    if (mitigations.has(m.id)) fail(`mitigation ${m.id}`, 'defined twice');
    let withheldWhen: Mitigation['withheldWhen'];
    if (m.withheld_when !== undefined) {
      try {
        withheldWhen = { when: m.withheld_when.when, condition: parse(m.withheld_when.when), why: m.withheld_when.why };
      } catch (e) {
        if (e instanceof ExpressionError) fail(`mitigation ${m.id}`, `withheld_when "${m.withheld_when.when}": ${e.message}`);
        throw e;
      }
      for (const p of pathsOf(withheldWhen!.condition)) if (!(p in EVIDENCE)) fail(`mitigation ${m.id}`, `withheld_when reads evidence "${p}", which does not exist`);
    }
    mitigations.set(m.id, { id: m.id, kind: m.kind, text: m.text, ...(withheldWhen ? { withheldWhen } : {}) });
  }
  /** Needs a case where the condition holds and one where it does not, and refuses the rulebook at the first test that fails. */
  const runPolicyTests = (where: string, what: string, condition: Node, tests: PolicyTest[]) => {
    if (tests.length < 2 || !tests.some((t) => t.expect === true) || !tests.some((t) => t.expect === false)) fail(where, `${what}needs policy tests: at least one case where it holds and one where it does not`);
    for (const t of tests) for (const p of Object.keys(t.given)) if (!(p in EVIDENCE)) fail(where, `${what}a test gives evidence "${p}", which does not exist`);
    tests.forEach((t, n) => {
      let got: boolean | null;
      try {
        got = evaluateTruth(condition, (p) => t.given[p] ?? null);
      } catch (e) {
        if (e instanceof ExpressionError) return fail(where, `${what}policy test ${n + 1} (given ${JSON.stringify(t.given)}): ${e.message}`);
        throw e;
      }
      const shown = got === null ? 'unknown' : got;
      if (shown !== t.expect) fail(where, `${what}policy test ${n + 1} fails: given ${JSON.stringify(t.given)}, expected ${t.expect}, got ${shown}`);
    });
  };
  const categories = doc.categories;
  const seen = new Set<string>();
  const criteria: Criterion[] = doc.criteria.map((c) => {
    const where = `criterion ${c.id}`;
    if (seen.has(c.id)) fail(where, 'id used twice');
    seen.add(c.id);
    let condition: Node;
    try {
      condition = parse(c.when);
    } catch (e) {
      if (e instanceof ExpressionError) fail(where, `condition "${c.when}": ${e.message}`);
      throw e;
    }
    const reads = [...new Set(pathsOf(condition!))];
    for (const p of reads) if (!(p in EVIDENCE)) fail(where, `reads evidence "${p}", which does not exist (known: ${Object.keys(EVIDENCE).join(', ')})`);
    if (!sources.has(c.source.ref)) fail(where, `source ${JSON.stringify(c.source.ref)} is not one of the rulebook's sources`);
    for (const m of c.mitigations ?? []) if (!mitigations.has(m)) fail(where, `mitigation ${JSON.stringify(m)} is not in the catalogue`);
    const tests: PolicyTest[] = c.tests;
    // The criterion's own policy tests run at every load, as `opa test` does: a failing test refuses the rulebook.
    runPolicyTests(where, '', condition!, tests);
    const appliesTo = c.applies_to ?? ['research'];
    let redRoute: RedRoute | null = null;
    if (c.outcome === 'red') {
      const r = c.red_route ?? fail(where, 'a red criterion needs red_route: a red line, or the conditions that could make the collaboration acceptable');
      if (r.kind === 'conditional' && (r.conditions ?? []).length === 0) fail(where, 'a conditional red_route names its conditions');
      if (!sources.has(r.source.ref)) fail(where, "red_route.source must cite one of the rulebook's sources with a clause");
      redRoute = { kind: r.kind, text: r.text.trim(), conditions: r.conditions ?? [], source: r.source };
      const line = r.red_line_when;
      if (line) {
        if (r.kind !== 'conditional') fail(where, 'red_route.red_line_when belongs to a conditional route');
        if (!sources.has(line!.source.ref)) fail(where, "red_route.red_line_when.source must cite one of the rulebook's sources with a clause");
        let lineCondition: Node;
        try {
          lineCondition = parse(line!.when);
        } catch (e) {
          if (e instanceof ExpressionError) fail(where, `red_route.red_line_when "${line!.when}": ${e.message}`);
          throw e;
        }
        for (const p of pathsOf(lineCondition!)) if (!(p in EVIDENCE)) fail(where, `red_route.red_line_when reads evidence "${p}", which does not exist`);
        // The condition that takes every route away is policy too: tested at load like the criterion's own.
        runPolicyTests(where, 'red_route.red_line_when: ', lineCondition!, line!.tests);
        redRoute.redLineWhen = { when: line!.when, condition: lineCondition!, text: line!.text.trim(), source: line!.source, tests: line!.tests };
      }
    }
    // A yellow verdict carries the project's own red lines and exit options, not only mitigations.
    if (c.outcome === 'yellow') {
      for (const kind of ['red-line', 'exit-option'] as const) if (!(c.mitigations ?? []).some((m) => mitigations.get(m)?.kind === kind)) fail(where, `a yellow criterion names at least one ${kind} mitigation (what would end the project)`);
    }
    return {
      id: c.id,
      title: c.title,
      category: c.category,
      profiles: c.profiles ?? [],
      when: c.when,
      condition: condition!,
      reads,
      outcome: c.outcome,
      rationale: c.rationale.trim(),
      source: c.source,
      mitigations: c.mitigations ?? [],
      loweredBy: c.lowered_by ?? [],
      appliesTo,
      redRoute,
      tests,
    };
  });
  for (const c of criteria) {
    for (const l of c.loweredBy) {
      const factor = criteria.find((x) => x.id === l);
      if (!factor) fail(`criterion ${c.id}`, `lowered_by ${l}, which is not a criterion`);
      if (factor!.outcome !== 'green') fail(`criterion ${c.id}`, `lowered_by ${l}, which is not a risk-lowering (green) criterion`);
    }
  }
  const partnerWorks = doc.minimum_evidence?.copubs_partner_works;
  if (partnerWorks && !sources.has(partnerWorks.source.ref)) fail('minimum_evidence.copubs_partner_works', `source ${JSON.stringify(partnerWorks.source.ref)} is not one of the rulebook's sources`);
  return {
    id: head.id,
    version: head.version,
    title: head.title,
    hash: sha256Hex(text).slice(0, 16),
    file,
    reassessMonths: reassess,
    sources,
    mitigations,
    categories,
    criteria,
    minimumEvidence: doc.minimum_evidence ? { ...(partnerWorks ? { copubsPartnerWorks: { atLeast: partnerWorks.at_least, rationale: partnerWorks.rationale.trim(), source: partnerWorks.source } } : {}) } : null,
  };
}
