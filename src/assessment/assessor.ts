import { ScreenError } from '../screening/screener.ts';
import { loadAliases } from '../screening/aliases.ts';
import type { ScreeningContext } from '../screening/store.ts';
import { correctionsRead, viewCorrections, type CorrectionsRead } from '../resolve/org-view.ts';
import { registryKey } from '../ingest/registry-row.ts';
import type { ClickHouseEvidence } from '../store/clickhouse.ts';
import type { Store } from '../store/store.ts';
import { clickHouseEvidenceAt, type VerdictEvidence } from './clickhouse.ts';
import { assess, type Assessment } from './assess.ts';
import type { PolicyBundle } from './bundle.ts';
import { CaseError, validateCase, type Case, type KnownOptions } from './case.ts';
import { copubWindow, copubYears, deriveFacts, listedWorks, type CopubYears, type ListedWorks, observationsOf, withRecordNotes, observe, partnerRors, screenParties, type Observations, type PartyScreen } from './evidence.ts';
import type { ScreenResult } from '../screening/screener.ts';

export interface AssessorParts {
  store: Store;
  /** The evidence store on a ClickHouse cluster (DERISK_EVIDENCE_URL): the shared base's co-publications and size are read there; an organisation's corrected view stays on the embedded store. */
  clickhouse?: ClickHouseEvidence;
  screening: ScreeningContext;
  bundle: PolicyBundle;
}

/**
 * What an assessment rests on besides the policy: list and registry versions, the evidence store's
 * size, and everything observed (every party's screening, the co-publication counts).
 */
export interface Snapshot extends Record<string, unknown> {
  /** The day the world was observed (YYYY-MM-DD): lists, registry and rulebook are those of this day, whatever the verdict's as-of date. */
  observedOn?: string;
  lists: { id: string; version: string; retrieved: string }[];
  aliases: string;
  registry: string | null;
  works: number;
  /** The match corrections the evidence was read through (the organisation's view), with a hash of the set. */
  corrections?: CorrectionsRead;
  observations: Observations;
}

type ListVersion = Snapshot['lists'][number];
/** What screening reads from besides the lists' entries: how one edition differs from another. */
export interface SourceChanges {
  /** Each list whose version or retrieval differs, with null where it was (or is) not loaded. */
  lists: { id: string; before: Omit<ListVersion, 'id'> | null; after: Omit<ListVersion, 'id'> | null }[];
  aliases: [string, string] | null;
  registry: [string | null, string | null] | null;
}

/** The lists, aliases and registry a snapshot was screened against, beside those loaded now. */
export function sourceChanges(before: Pick<Snapshot, 'lists' | 'aliases' | 'registry'>, now: Pick<Snapshot, 'lists' | 'aliases' | 'registry'>): SourceChanges {
  const edition = (l: ListVersion | undefined) => (l ? { version: l.version, retrieved: l.retrieved } : null);
  const ids = [...new Set([...before.lists.map((l) => l.id), ...now.lists.map((l) => l.id)])].sort();
  const lists = ids.map((id) => ({ id, before: edition(before.lists.find((l) => l.id === id)), after: edition(now.lists.find((l) => l.id === id)) })).filter((l) => JSON.stringify(l.before) !== JSON.stringify(l.after));
  return { lists, aliases: before.aliases === undefined || before.aliases === now.aliases ? null : [before.aliases, now.aliases], registry: before.registry === now.registry ? null : [before.registry, now.registry] };
}

/** Parties screened during a re-check, by what was screened: the result, or why it could not be. */
export type ScreenMemo = Map<string, ScreenResult | ScreenError>;

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

  /**
   * Where `orgId` reads its co-publications, and the size of that store: the cluster when there is
   * one and no match corrections of the organisation apply (its view is the shared base, as the
   * server's indicators decide), else the embedded store through the organisation's view. `read`
   * gets both over one snapshot of the cluster (a publish between its counts and the size would
   * otherwise give a verdict the counts of one snapshot and the size of another).
   */
  private async evidenceFor(orgId: string | undefined): Promise<<T>(read: (evidence: VerdictEvidence) => Promise<T>) => Promise<T>> {
    const { clickhouse } = this.parts;
    const store = orgId === undefined ? this.parts.store : await this.parts.store.viewOf(orgId);
    // Retractions and other sources' records are the shared base's, read from the embedded store on either path.
    const noted = (listed: Promise<ListedWorks>) => listed.then((works) => withRecordNotes(this.parts.store, works));
    if (clickhouse && store.view === null)
      return (read) =>
        clickhouse.atSnapshot((snapshot) => {
          const cluster = clickHouseEvidenceAt(clickhouse, snapshot);
          return read({ ...cluster, listedWorks: (rorIds, from, to) => noted(cluster.listedWorks(rorIds, from, to)) });
        });
    const embedded: VerdictEvidence = {
      copubs: (rorIds, from, to) => copubYears(store, rorIds, from, to),
      works: async () => Number((await store.one<{ n: bigint }>('SELECT count(*) AS n FROM works'))?.n ?? 0),
      worksIn: async (from, to) => Number((await store.one<{ n: bigint }>('SELECT count(*) AS n FROM works WHERE year >= $1 AND year <= $2', [from, to]))?.n ?? 0),
      listedWorks: (rorIds, from, to) => noted(listedWorks(store, rorIds, from, to)),
    };
    return (read) => read(embedded);
  }

  /** Screens the parties and reads the evidence store (as `orgId` reads it): what the verdict observes, stored with it. */
  async snapshot(c: Case, asOf: string, orgId?: string, signal?: AbortSignal): Promise<Snapshot> {
    const { screening } = this.parts;
    const read = await this.evidenceFor(orgId);
    const { observations, works } = await read(async (evidence): Promise<{ observations: Observations; works: number }> => {
      try {
        const observed = await observe(c, { screener: screening.screener, copubYears: evidence.copubs, resolver: screening.resolver, signal }, asOf);
        return { observations: { ...observed, windowWorks: await evidence.worksIn(...observed.window), listedWorks: await evidence.listedWorks(partnerRors(observed.parties), ...observed.window) }, works: await evidence.works() };
      } catch (e) {
        if (e instanceof ScreenError) throw new CaseError(e.message);
        throw e;
      }
    });
    return { ...(await this.versions()), works, corrections: await this.correctionsFor(orgId), observations };
  }

  /** The match corrections an organisation's evidence is read through now (none for the shared base). */
  async correctionsFor(orgId: string | undefined): Promise<CorrectionsRead> {
    const corrections = orgId === undefined ? [] : await viewCorrections(this.parts.store, orgId);
    // The institutions' names as the registry gives them today: the report shows the verdict's, not a later registry's.
    const names = new Map<string, string>();
    for (const ror of new Set(corrections.map((c) => c.rorId).filter((id) => id !== ''))) {
      const found = await this.parts.store.one<{ name: string }>('SELECT name FROM institutions WHERE ror_id = $1', [ror]);
      if (found) names.set(ror, found.name);
    }
    return correctionsRead(corrections, names);
  }

  /** The versions of what the observations come from: lists, aliases, registry (the evidence store's size is read where the co-publications are). */
  async versions(): Promise<Pick<Snapshot, 'observedOn' | 'lists' | 'aliases' | 'registry'>> {
    const { store, screening } = this.parts;
    return {
      observedOn: new Date().toISOString().slice(0, 10),
      lists: screening.lists.map((l) => ({ id: l.id, version: l.version, retrieved: l.provenance.retrieved })),
      aliases: loadAliases().version,
      registry: await registryKey(store),
    };
  }

  /**
   * Many fresh verdicts at once, over one unchanging world (the monitor's re-check of every stored
   * verdict): each distinct party is screened once, every partner's co-publication rows are read
   * in one query, the versions once. Each verdict is the one `run` gives alone; a case that cannot
   * be assessed gets its error in its place. `screened` carries the screenings over to the next
   * call in the same world (the monitor runs its verdicts in chunks, partners recurring across them).
   */
  async runMany(items: { c: Case; asOf: string; orgId?: string }[], bundle: PolicyBundle = this.parts.bundle, screened: ScreenMemo = new Map()): Promise<(Assessment | Error)[]> {
    const { screening } = this.parts;
    const remember = (key: string, screen: () => ScreenResult): ScreenResult => {
      let r = screened.get(key);
      if (r === undefined) {
        try {
          r = screen();
        } catch (e) {
          if (!(e instanceof ScreenError)) throw e;
          r = e;
        }
        screened.set(key, r);
      }
      if (r instanceof ScreenError) throw r;
      return r;
    };
    const screener = { screen: (q: string) => remember(`name\u0000${q}`, () => screening.screener.screen(q)), screenRor: (id: string) => remember(`ror\u0000${id}`, () => screening.screener.screenRor(id)) };
    const parties: (PartyScreen[] | Error)[] = [];
    for (const { c } of items) {
      try {
        parties.push(await screenParties(c, { screener, resolver: screening.resolver }));
      } catch (e) {
        if (!(e instanceof ScreenError)) throw e;
        parties.push(new CaseError(e.message));
      }
    }
    // Each organisation's partners are read through its own view of the evidence, in one query per organisation.
    const yearsOf = new Map<string | undefined, CopubYears>();
    const worksOf = new Map<string | undefined, number>();
    // Per organisation, the works of each window its verdicts count (keyed by the window's first year), and the listed works behind the counts.
    const windowWorksOf = new Map<string | undefined, Map<number, number>>();
    const listedWorksOf = new Map<string | undefined, Map<number, ListedWorks>>();
    for (const orgId of new Set(items.map((item) => item.orgId))) {
      const mine = items.map((item, i) => ({ item, p: parties[i]! })).filter(({ item, p }) => item.orgId === orgId && !(p instanceof Error));
      const rors = mine.flatMap(({ p }) => partnerRors(p as PartyScreen[]));
      const windows = new Map(items.filter((item) => item.orgId === orgId).map((item) => [copubWindow(item.asOf)[0], copubWindow(item.asOf)] as const));
      const read = await this.evidenceFor(orgId);
      const [years, works, windowWorks, listed] = await read(
        async (evidence) =>
          [
            await evidence.copubs([...new Set(rors)]),
            await evidence.works(),
            new Map(await Promise.all([...windows].map(async ([from, w]) => [from, await evidence.worksIn(...w)] as const))),
            // Each window's own pick: the first works of a window are not the first of all years.
            new Map(await Promise.all([...windows].map(async ([from, w]) => [from, await evidence.listedWorks([...new Set(mine.filter(({ item }) => copubWindow(item.asOf)[0] === from).flatMap(({ p }) => partnerRors(p as PartyScreen[])))], ...w)] as const))),
          ] as const,
      );
      yearsOf.set(orgId, years);
      worksOf.set(orgId, works);
      windowWorksOf.set(orgId, windowWorks);
      listedWorksOf.set(orgId, listed);
    }
    const versions = await this.versions();
    const correctionsOf = new Map<string | undefined, CorrectionsRead>();
    for (const orgId of yearsOf.keys()) correctionsOf.set(orgId, await this.correctionsFor(orgId));
    return items.map(({ c, asOf, orgId }, i) => {
      const p = parties[i]!;
      if (p instanceof Error) return p;
      try {
        // Each verdict gets its own copy: nothing one verdict holds is shared with another.
        const observed = observationsOf(structuredClone(p), yearsOf.get(orgId)!, asOf);
        const listed = listedWorksOf.get(orgId)!.get(copubWindow(asOf)[0])!;
        const observations = {
          ...observed,
          windowWorks: windowWorksOf.get(orgId)!.get(copubWindow(asOf)[0])!,
          listedWorks: Object.fromEntries(
            partnerRors(observed.parties)
              .filter((id) => id in listed)
              .sort()
              .map((id) => [id, structuredClone(listed[id]!)]),
          ),
        };
        return this.replay(c, { ...versions, works: worksOf.get(orgId)!, corrections: correctionsOf.get(orgId)!, observations }, asOf, bundle);
      } catch (e) {
        return e as Error;
      }
    });
  }

  /** A fresh verdict: observes the world now (as `orgId` sees it, through its match corrections), then applies the bundle; its screening stops once `signal` is aborted. */
  async run(c: Case, asOf: string, bundle: PolicyBundle = this.parts.bundle, orgId?: string, signal?: AbortSignal): Promise<Assessment> {
    return this.replay(c, await this.snapshot(c, asOf, orgId, signal), asOf, bundle);
  }

  /** A verdict from a stored snapshot: the same case, observations and bundle give the same verdict. */
  replay(c: Case, snapshot: Snapshot, asOf: string, bundle: PolicyBundle = this.parts.bundle): Assessment {
    const evidence = deriveFacts(c, snapshot.observations, bundle);
    const result = assess(c, evidence, bundle.rulebook, asOf, snapshot, bundle.record);
    // partners and funders as before (the shape scripts read), every party beside them.
    const byRole = (test: (role: string) => boolean) => evidence.parties.filter((p) => test(p.role));
    return { ...result, evidence: { partners: byRole((r) => r.startsWith('partner')), funders: byRole((r) => r === 'funder' || r.startsWith('in kind')), parties: evidence.parties, facts: evidence.facts, notes: evidence.notes, ...(evidence.copubWorks ? { copubWorks: evidence.copubWorks } : {}) } };
  }
}
