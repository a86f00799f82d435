import { ScreenError } from '../screening/screener.ts';
import { loadAliases } from '../screening/aliases.ts';
import type { ScreeningContext } from '../screening/store.ts';
import type { Store } from '../store/store.ts';
import { assess, type Assessment } from './assess.ts';
import type { PolicyBundle } from './bundle.ts';
import { CaseError, validateCase, type Case, type KnownOptions } from './case.ts';
import { deriveFacts, observe, type Observations } from './evidence.ts';

export interface AssessorParts {
  store: Store;
  screening: ScreeningContext;
  bundle: PolicyBundle;
}

/**
 * What an assessment rests on besides the policy: list and registry versions, the evidence store's
 * size, and everything observed (every party's screening, the co-publication counts).
 */
export interface Snapshot extends Record<string, unknown> {
  lists: { id: string; version: string; retrieved: string }[];
  aliases: string;
  registry: string | null;
  works: number;
  observations: Observations;
}

/** Everything a verdict needs, loaded once: the evidence store, the screener, the policy bundle. */
export class Assessor {
  constructor(readonly parts: AssessorParts) {}

  knownFor(bundle: PolicyBundle = this.parts.bundle): KnownOptions {
    return { fields: new Set(bundle.taxonomy.fields.keys()), uses: new Set(bundle.uses.keys()), forums: new Set(bundle.standards.forums.keys()), topics: new Set(bundle.standards.topics.keys()) };
  }

  get known(): KnownOptions {
    return this.knownFor();
  }

  validate(doc: unknown, bundle: PolicyBundle = this.parts.bundle): Case {
    const c = validateCase(doc, this.knownFor(bundle));
    c.partners.forEach((p, i) => {
      if (p.ror && !this.parts.screening.resolver.institution(p.ror)) throw new CaseError(`partners[${i}].ror: unknown ROR id ${p.ror} (not in the loaded registry)`);
    });
    return c;
  }

  /** Screens the parties and reads the evidence store: what the verdict observes, stored with it. */
  async snapshot(c: Case, asOf: string): Promise<Snapshot> {
    const { store, screening } = this.parts;
    let observations: Observations;
    try {
      observations = await observe(c, { screener: screening.screener, store, resolver: screening.resolver }, asOf);
    } catch (e) {
      if (e instanceof ScreenError) throw new CaseError(e.message);
      throw e;
    }
    const registry = await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'registry_version'`);
    const works = await store.one<{ n: bigint }>('SELECT count(*) AS n FROM works');
    return {
      lists: screening.lists.map((l) => ({ id: l.id, version: l.version, retrieved: l.provenance.retrieved })),
      aliases: loadAliases().version,
      registry: registry?.value ?? null,
      works: Number(works?.n ?? 0),
      observations,
    };
  }

  /** A fresh verdict: observes the world now, then applies the bundle. */
  async run(c: Case, asOf: string, bundle: PolicyBundle = this.parts.bundle): Promise<Assessment> {
    return this.replay(c, await this.snapshot(c, asOf), asOf, bundle);
  }

  /** A verdict from a stored snapshot: the same case, observations and bundle give the same verdict. */
  replay(c: Case, snapshot: Snapshot, asOf: string, bundle: PolicyBundle = this.parts.bundle): Assessment {
    const evidence = deriveFacts(c, snapshot.observations, bundle);
    const result = assess(c, evidence, bundle.rulebook, asOf, snapshot, bundle.record);
    // partners and funders as before (the shape scripts read), every party beside them.
    const byRole = (test: (role: string) => boolean) => evidence.parties.filter((p) => test(p.role));
    return { ...result, evidence: { partners: byRole((r) => r.startsWith('partner')), funders: byRole((r) => r === 'funder' || r.startsWith('in kind')), parties: evidence.parties, facts: evidence.facts, notes: evidence.notes } };
  }
}
