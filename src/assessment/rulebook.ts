import { readTextFile } from '../text-file.ts';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { CASE_KINDS } from './case.ts';
import { EVIDENCE } from './evidence.ts';
import { evaluateTruth, ExpressionError, parse, pathsOf, type Node, type Value } from './expression.ts';

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
}

export class RulebookError extends Error {}

type Json = Record<string, any>;

/** Loads and checks a whole rulebook; any error refuses all of it, naming file, criterion and problem. */
export function loadRulebook(file = DEFAULT_RULEBOOK): Rulebook {
  const text = readTextFile(file, (m) => new RulebookError(m));
  let doc: Json;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` line ${e.linePos[0].line}` : '';
    throw new RulebookError(`${file}:${where}: YAML syntax error: ${(e as Error).message.split('\n')[0]}`);
  }
  const fail = (where: string, problem: string): never => {
    throw new RulebookError(`${file}: ${where}: ${problem}`);
  };
  if (typeof doc !== 'object' || doc === null) fail('top level', 'expected a mapping with rulebook, sources, mitigations and criteria');
  const head: Json = doc.rulebook ?? fail('rulebook', 'missing');
  for (const k of ['id', 'version', 'title']) if (typeof head[k] !== 'string' || head[k] === '') fail(`rulebook.${k}`, 'missing');
  const reassess = head.reassess_months ?? fail('rulebook.reassess_months', 'missing');
  for (const k of [...OUTCOMES, 'needs-information']) if (!Number.isInteger(reassess[k]) || reassess[k] < 1) fail(`rulebook.reassess_months.${k}`, 'must be a whole number of months');
  const sources = new Map<string, Source>();
  for (const [id, s] of Object.entries<Json>(doc.sources ?? fail('sources', 'missing'))) {
    if (typeof s?.title !== 'string' || typeof s?.where !== 'string') fail(`sources.${id}`, 'needs title and where');
    sources.set(id, { id, title: s.title, where: s.where, quote_check: s.quote_check });
  }
  const mitigations = new Map<string, Mitigation>();
  for (const m of (doc.mitigations ?? fail('mitigations', 'missing')) as Json[]) {
    if (typeof m?.id !== 'string' || typeof m?.text !== 'string') fail('mitigations', `an entry lacks id or text: ${JSON.stringify(m)}`);
    if (!(MITIGATION_KINDS as readonly string[]).includes(m.kind)) fail(`mitigation ${m.id}`, `kind ${JSON.stringify(m.kind)} is not one of ${MITIGATION_KINDS.join(', ')}`);
    if (mitigations.has(m.id)) fail(`mitigation ${m.id}`, 'defined twice');
    let withheldWhen: Mitigation['withheldWhen'];
    if (m.withheld_when !== undefined) {
      if (typeof m.withheld_when?.when !== 'string' || typeof m.withheld_when?.why !== 'string') fail(`mitigation ${m.id}`, 'withheld_when needs when and why');
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
  const categories = doc.categories ?? fail('categories', 'missing');
  for (const c of CATEGORIES) if (typeof categories[c] !== 'string') fail(`categories.${c}`, 'missing');
  const seen = new Set<string>();
  const criteria: Criterion[] = ((doc.criteria ?? fail('criteria', 'missing')) as Json[]).map((c, i) => {
    const where = `criterion ${typeof c?.id === 'string' ? c.id : `#${i + 1}`}`;
    if (typeof c?.id !== 'string' || !/^[A-Z][A-Z0-9-]*$/.test(c.id)) fail(where, 'id must be upper-case letters, digits and dashes');
    if (seen.has(c.id)) fail(where, 'id used twice');
    seen.add(c.id);
    for (const k of ['title', 'when', 'rationale']) if (typeof c[k] !== 'string' || c[k].trim() === '') fail(where, `${k} is missing`);
    if (!(CATEGORIES as readonly string[]).includes(c.category)) fail(where, `category ${JSON.stringify(c.category)} is not one of ${CATEGORIES.join(', ')}`);
    for (const p of c.profiles ?? []) if (!(PROFILES as readonly string[]).includes(p)) fail(where, `profile ${JSON.stringify(p)} is not one of ${PROFILES.join(', ')}`);
    if (!(OUTCOMES as readonly string[]).includes(c.outcome)) fail(where, `outcome ${JSON.stringify(c.outcome)} is not one of ${OUTCOMES.join(', ')}`);
    let condition: Node;
    try {
      condition = parse(c.when);
    } catch (e) {
      if (e instanceof ExpressionError) fail(where, `condition "${c.when}": ${e.message}`);
      throw e;
    }
    const reads = [...new Set(pathsOf(condition!))];
    for (const p of reads) if (!(p in EVIDENCE)) fail(where, `reads evidence "${p}", which does not exist (known: ${Object.keys(EVIDENCE).join(', ')})`);
    if (!c.source || !sources.has(c.source.ref)) fail(where, `source ${JSON.stringify(c.source?.ref)} is not one of the rulebook's sources`);
    if (typeof c.source.clause !== 'string' || c.source.clause === '') fail(where, 'source.clause is missing (the article, annex or section it rests on)');
    for (const m of c.mitigations ?? []) if (!mitigations.has(m)) fail(where, `mitigation ${JSON.stringify(m)} is not in the catalogue`);
    const tests: PolicyTest[] = c.tests ?? [];
    if (tests.length < 2 || !tests.some((t) => t.expect === true) || !tests.some((t) => t.expect === false)) fail(where, 'needs policy tests: at least one case where it holds and one where it does not');
    for (const t of tests) for (const p of Object.keys(t.given ?? {})) if (!(p in EVIDENCE)) fail(where, `a test gives evidence "${p}", which does not exist`);
    // The criterion's own policy tests run at every load, as `opa test` does: a failing test refuses the rulebook.
    tests.forEach((t, n) => {
      let got: boolean | null;
      try {
        got = evaluateTruth(condition!, (p) => t.given?.[p] ?? null);
      } catch (e) {
        if (e instanceof ExpressionError) return fail(where, `policy test ${n + 1} (given ${JSON.stringify(t.given)}): ${e.message}`);
        throw e;
      }
      const shown = got === null ? 'unknown' : got;
      if (shown !== t.expect) fail(where, `policy test ${n + 1} fails: given ${JSON.stringify(t.given ?? {})}, expected ${t.expect}, got ${shown}`);
    });
    const appliesTo = c.applies_to ?? ['research'];
    for (const k of appliesTo) if (!(CASE_KINDS as readonly string[]).includes(k)) fail(where, `applies_to ${JSON.stringify(k)} is not one of ${CASE_KINDS.join(', ')}`);
    let redRoute: RedRoute | null = null;
    if (c.outcome === 'red') {
      const r = c.red_route ?? fail(where, 'a red criterion needs red_route: a red line, or the conditions that could make the collaboration acceptable');
      if (r.kind !== 'red-line' && r.kind !== 'conditional') fail(where, 'red_route.kind must be red-line or conditional');
      if (typeof r.text !== 'string' || r.text.trim() === '') fail(where, 'red_route.text is missing');
      if (r.kind === 'conditional' && (!Array.isArray(r.conditions) || r.conditions.length === 0)) fail(where, 'a conditional red_route names its conditions');
      if (!r.source || !sources.has(r.source.ref) || typeof r.source.clause !== 'string') fail(where, 'red_route.source must cite one of the rulebook\'s sources with a clause');
      redRoute = { kind: r.kind, text: r.text.trim(), conditions: r.conditions ?? [], source: r.source };
    }
    // A yellow verdict carries the project's own red lines and exit options, not only mitigations.
    if (c.outcome === 'yellow') {
      for (const kind of ['red-line', 'exit-option'] as const) if (!(c.mitigations ?? []).some((m: string) => mitigations.get(m)?.kind === kind)) fail(where, `a yellow criterion names at least one ${kind} mitigation (what would end the project)`);
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
  return {
    id: head.id,
    version: head.version,
    title: head.title,
    hash: createHash('sha256').update(text).digest('hex').slice(0, 16),
    file,
    reassessMonths: reassess,
    sources,
    mitigations,
    categories,
    criteria,
  };
}
