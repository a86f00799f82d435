import { bundleChanges, type BundleRecord } from './bundle.ts';
import type { Case } from './case.ts';
import { EVIDENCE_LABELS, evidenceInWords, REQUESTS, type CopubWorks, type Evidence } from './evidence.ts';
import { evaluateTruth, type Value } from './expression.ts';
import { CATEGORIES, OUTCOMES, type Category, type Mitigation, type Outcome, type RedRoute, type Rulebook } from './rulebook.ts';

export type Verdict = Outcome | 'needs-information';

export interface CriterionResult {
  id: string;
  title: string;
  category: Category;
  profiles: string[];
  /** holds: the condition is true; needs-information: it depends on an unanswered question. */
  status: 'holds' | 'does-not-hold' | 'needs-information';
  outcome: Outcome;
  /** The outcome after risk-lowering factors, when they apply. */
  effective: Outcome;
  loweredBy: string[];
  condition: string;
  evidence: { path: string; value: Value; /** The fact in words: "export control: not answered". */ words?: string; note?: string }[];
  missing: string[];
  /** What to ask for, when the criterion needs information. */
  requests: string[];
  rationale: string;
  source: { title: string; where: string; clause: string };
  mitigations: string[];
  /** For a red criterion: a red line, or the conditions that could make the collaboration acceptable. */
  redRoute: (Omit<RedRoute, 'redLineWhen'> & { sourceTitle: string }) | null;
}

export interface Assessment {
  title: string;
  kind: Case['kind'];
  asOf: string;
  rulebook: { id: string; version: string; hash: string; title: string };
  /** The policy bundle that decided it: version, hash and every file's hash. */
  bundle: BundleRecord;
  snapshot: Record<string, unknown>;
  overall: Verdict;
  provisional: boolean;
  categories: Record<Category, { verdict: Verdict; holding: string[]; needsInformation: string[] }>;
  criteria: CriterionResult[];
  lowering: string[];
  whatWouldChange: string[];
  plan: Record<Mitigation['kind'], { id: string; text: string; calledForBy: string[] }[]>;
  /** Mitigations the criteria call for that this case does not allow, and why. */
  withheld: { id: string; text: string; why: string }[];
  reassessBy: string;
  /** The screening results and facts the criteria read (filled in by the Assessor). */
  evidence?: { partners: unknown[]; funders: unknown[]; parties: unknown[]; facts: Record<string, Value>; notes: Record<string, string>; /** The works behind each partner's co-publications with listed entities (absent before verdicts kept them). */ copubWorks?: CopubWorks[] };
}

const rank = (o: Outcome) => OUTCOMES.indexOf(o);
const worst = (os: Outcome[]): Outcome => os.reduce<Outcome>((w, o) => (rank(o) > rank(w) ? o : w), 'green');

/**
 * Applies a rulebook to a case and its evidence. Deterministic: the same case, evidence and
 * rulebook give the same verdict. An unanswered question never counts as green: a criterion it
 * decides is "needs information", and a verdict it could raise is provisional.
 */
export function assess(c: Case, evidence: Evidence, rulebook: Rulebook, asOf: string, snapshot: Record<string, unknown>, bundle: BundleRecord): Assessment {
  const lookup = (p: string): Value => evidence.facts[p] ?? null;
  const criteria = rulebook.criteria.filter((cr) => cr.appliesTo.includes(c.kind));
  const truths = new Map(criteria.map((cr) => [cr.id, evaluateTruth(cr.condition, lookup)]));
  const results: CriterionResult[] = criteria.map((cr) => {
    const truth = truths.get(cr.id)!;
    // A thin record proves presence, not absence: "does not hold" on it is a question still open.
    const thin = truth === false ? cr.reads.filter((p) => evidence.thin?.[p] !== undefined) : [];
    const t = thin.length > 0 ? null : truth;
    const lowered = cr.outcome !== 'green' && cr.loweredBy.length > 0 && cr.loweredBy.every((l) => truths.get(l) === true);
    const source = rulebook.sources.get(cr.source.ref)!;
    return {
      id: cr.id,
      title: cr.title,
      category: cr.category,
      profiles: cr.profiles,
      status: t === null ? 'needs-information' : t ? 'holds' : 'does-not-hold',
      outcome: cr.outcome,
      effective: lowered ? 'green' : cr.outcome,
      loweredBy: lowered ? cr.loweredBy : [],
      condition: cr.when,
      evidence: cr.reads.map((path) => ({ path, value: lookup(path), words: evidenceInWords(path, lookup(path)), ...(evidence.notes[path] ? { note: evidence.notes[path] } : {}) })),
      missing: cr.reads.filter((p) => lookup(p) === null || thin.includes(p)),
      requests: t === null ? [...new Set(cr.reads.filter((p) => lookup(p) === null || thin.includes(p)).map((p) => evidence.thin?.[p] ?? evidence.requests?.[p] ?? REQUESTS[p] ?? `answer the question on ${EVIDENCE_LABELS[p] ?? p} (${p.split('.')[0]})`))] : [],
      rationale: cr.rationale,
      source: { title: source.title, where: source.where, clause: cr.source.clause },
      mitigations: cr.mitigations,
      redRoute: routeOf(cr.redRoute, rulebook, lookup),
    };
  });
  const risky = (r: CriterionResult) => r.outcome !== 'green';
  const categories = Object.fromEntries(
    CATEGORIES.map((cat) => {
      const mine = results.filter((r) => r.category === cat && risky(r));
      const holding = mine.filter((r) => r.status === 'holds');
      const verdict = worst(holding.map((r) => r.effective));
      const open = mine.filter((r) => r.status === 'needs-information' && rank(r.outcome) > rank(verdict));
      return [cat, { verdict: verdict === 'green' && open.length > 0 ? 'needs-information' : verdict, holding: holding.map((r) => r.id), needsInformation: open.map((r) => r.id) }];
    }),
  ) as Assessment['categories'];
  const decided = worst(results.filter((r) => risky(r) && r.status === 'holds').map((r) => r.effective));
  const open = results.filter((r) => risky(r) && r.status === 'needs-information' && rank(r.outcome) > rank(decided));
  const overall: Verdict = decided === 'green' && open.length > 0 ? 'needs-information' : decided;
  const planned = plan(
    results.filter((r) => r.status === 'holds' && (r.effective !== 'green' || r.outcome === 'green')),
    rulebook,
    overall,
    lookup,
  );
  return {
    title: c.title,
    kind: c.kind,
    asOf,
    rulebook: { id: rulebook.id, version: rulebook.version, hash: rulebook.hash, title: rulebook.title },
    bundle,
    snapshot,
    overall,
    provisional: open.length > 0,
    categories,
    criteria: results,
    lowering: results.filter((r) => r.outcome === 'green' && r.status === 'holds').map((r) => r.id),
    whatWouldChange: whatWouldChange(results, decided, open),
    plan: planned.plan,
    withheld: planned.withheld,
    reassessBy: addMonths(asOf, rulebook.reassessMonths[overall]),
  };
}

/** A red criterion's route for this case: its conditions, or the red line the case makes it (no condition left to meet). */
function routeOf(route: RedRoute | null, rulebook: Rulebook, lookup: (p: string) => Value): CriterionResult['redRoute'] {
  if (!route) return null;
  const { redLineWhen, ...rest } = route;
  if (redLineWhen && evaluateTruth(redLineWhen.condition, lookup) === true) return { kind: 'red-line', text: redLineWhen.text, conditions: [], source: redLineWhen.source, sourceTitle: rulebook.sources.get(redLineWhen.source.ref)!.title };
  return { ...rest, sourceTitle: rulebook.sources.get(route.source.ref)!.title };
}

/** For each deciding criterion, the verdict without it; for each open question, what it could lead to. */
function whatWouldChange(results: CriterionResult[], decided: Outcome, open: CriterionResult[]): string[] {
  const out: string[] = [];
  const holding = results.filter((r) => r.outcome !== 'green' && r.status === 'holds');
  for (const r of holding.filter((x) => x.effective === decided && decided !== 'green')) {
    const without = worst(holding.filter((x) => x !== r).map((x) => x.effective));
    out.push(`${r.id} (${r.title}) decides ${decided}: if it ceased to hold, the verdict would be ${without === decided ? `still ${decided} because of other criteria` : without}.`);
  }
  const deciding = holding.filter((x) => x.effective === decided);
  if (deciding.length > 1 && decided !== 'green') {
    const below = worst(holding.filter((x) => x.effective !== decided).map((x) => x.effective));
    out.push(`All of ${deciding.map((x) => x.id).join(', ')} would have to cease to hold for the verdict to drop to ${below}.`);
  }
  for (const r of open) out.push(`${r.id} (${r.title}) cannot be decided: ${r.requests.join('; ')} (not known: ${r.missing.map((p) => EVIDENCE_LABELS[p] ?? p).join(', ')}) — the answer could make the verdict ${r.outcome}.`);
  for (const r of results.filter((x) => x.loweredBy.length > 0 && x.status === 'holds')) out.push(`${r.id} is lowered from ${r.outcome} to green by ${r.loweredBy.join(', ')}; if that ceased to hold, it would count as ${r.outcome}.`);
  return out;
}

function plan(results: CriterionResult[], rulebook: Rulebook, overall: Verdict, lookup: (p: string) => Value): { plan: Assessment['plan']; withheld: Assessment['withheld'] } {
  const out: Assessment['plan'] = { restriction: [], regulatory: [], advice: [], 'red-line': [], 'exit-option': [] };
  const withheld: Assessment['withheld'] = [];
  const add = (id: string, by: string) => {
    const m = rulebook.mitigations.get(id)!;
    // Restrictions only where the risk is unacceptably high (brief 004, recommendation 2).
    if (m.kind === 'restriction' && overall !== 'red') return;
    // A measure the case makes meaningless is not offered ("exclude the sub-topic" when the whole project is the practice).
    if (m.withheldWhen && evaluateTruth(m.withheldWhen.condition, lookup) === true) {
      if (!withheld.some((w) => w.id === id)) withheld.push({ id, text: m.text, why: m.withheldWhen.why });
      return;
    }
    const have = out[m.kind].find((x) => x.id === id);
    if (have) have.calledForBy.push(by);
    else out[m.kind].push({ id, text: m.text, calledForBy: [by] });
  };
  for (const r of results) for (const m of r.mitigations) add(m, r.id);
  if (rulebook.mitigations.has('reassess')) add('reassess', 'rulebook');
  return { plan: out, withheld };
}

function addMonths(date: string, months: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCMonth(d.getUTCMonth() + months);
  return d.toISOString().slice(0, 10);
}

/** What changed between two assessments of one case (e.g. under a new rulebook). */
export function compareAssessments(before: Assessment, after: Assessment): { overall: [Verdict, Verdict]; rulebooks: [string, string]; changed: { id: string; before: string; after: string }[]; files: { file: string; before: string | null; after: string | null }[] } {
  const describe = (r: CriterionResult | undefined) => (r ? `${r.status}${r.status === 'holds' ? ` → ${r.effective}` : ''}` : 'not in rulebook');
  const ids = [...new Set([...before.criteria.map((r) => r.id), ...after.criteria.map((r) => r.id)])];
  const changed = ids.map((id) => ({ id, before: describe(before.criteria.find((r) => r.id === id)), after: describe(after.criteria.find((r) => r.id === id)) })).filter((x) => x.before !== x.after);
  return { overall: [before.overall, after.overall], rulebooks: [`${before.rulebook.version} (${before.rulebook.hash})`, `${after.rulebook.version} (${after.rulebook.hash})`], changed, files: bundleChanges(before.bundle, after.bundle) };
}
