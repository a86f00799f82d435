import type { Taxonomy } from '../fields/taxonomy.ts';
import type { Weights } from '../screening/portfolio.ts';
import { ScreenError } from '../screening/screener.ts';
import type { ScreeningContext } from '../screening/store.ts';
import type { Store } from '../store/store.ts';
import type { AiUse } from './ai-act.ts';
import { assess, type Assessment } from './assess.ts';
import { CaseError, validateCase, type Case } from './case.ts';
import { gatherEvidence } from './evidence.ts';
import type { Rulebook } from './rulebook.ts';

export interface AssessorParts {
  store: Store;
  screening: ScreeningContext;
  taxonomy: Taxonomy;
  weights: Weights;
  uses: Map<string, AiUse>;
  rulebook: Rulebook;
}

/** Everything a verdict needs, loaded once: the evidence store, the screener, the rulebook. */
export class Assessor {
  constructor(readonly parts: AssessorParts) {}

  get known(): { fields: Set<string>; uses: Set<string> } {
    return { fields: new Set(this.parts.taxonomy.fields.keys()), uses: new Set(this.parts.uses.keys()) };
  }

  validate(doc: unknown): Case {
    const c = validateCase(doc, this.known);
    c.partners.forEach((p, i) => {
      if (p.ror && !this.parts.screening.resolver.institution(p.ror)) throw new CaseError(`partners[${i}].ror: unknown ROR id ${p.ror} (not in the loaded registry)`);
    });
    return c;
  }

  /** What the verdict rests on besides the case: list versions, registry, evidence store size. */
  async snapshot(): Promise<Record<string, unknown>> {
    const { store, screening } = this.parts;
    const registry = await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'registry_version'`);
    const works = await store.one<{ n: bigint }>('SELECT count(*) AS n FROM works');
    return {
      lists: screening.lists.map((l) => ({ id: l.id, version: l.version, retrieved: l.provenance.retrieved })),
      registry: registry?.value ?? null,
      works: Number(works?.n ?? 0),
    };
  }

  async run(c: Case, asOf: string, rulebook: Rulebook = this.parts.rulebook, snapshot?: Record<string, unknown>): Promise<Assessment> {
    let evidence;
    try {
      evidence = await gatherEvidence(c, { screener: this.parts.screening.screener, store: this.parts.store, taxonomy: this.parts.taxonomy, weights: this.parts.weights, uses: this.parts.uses }, asOf);
    } catch (e) {
      if (e instanceof ScreenError) throw new CaseError(e.message);
      throw e;
    }
    const result = assess(c, evidence, rulebook, asOf, snapshot ?? (await this.snapshot()));
    return { ...result, evidence: { partners: evidence.partners, funders: evidence.funders, facts: evidence.facts } };
  }
}
