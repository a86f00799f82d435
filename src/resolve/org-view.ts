import { listValue } from '../store/duckdb.ts';
import { refreshListedIn } from '../screening/store.ts';
import { keepOwnCompanies, rebuildOrgWorks } from '../store/refresh.ts';
import { ORG_VIEWS } from '../store/org-views.ts';
import { EVIDENCE_STRINGS, orgSchemaOf, orgSchemas, type Store } from '../store/store.ts';
import { resolutionVersion } from './apply.ts';
import type { Resolution } from './matcher.ts';
import { correctionKey, type Correction } from './thesaurus.ts';
import { sha256Hex } from '../sha256.ts';

/** Resolves strings with an organisation's corrections in force: here, or on the evidence worker. */
export type ResolveWith = (raws: string[], corrections: Correction[]) => Resolution[] | Promise<Resolution[]>;

/** One correction as a verdict's snapshot records it: enough to say what decided the evidence and whose it was. */
export interface CorrectionRead {
  id: string;
  string: string;
  decision: Correction['verdict'];
  ror: string | null;
  org: string;
  /** The institution's registry name when the verdict was made (verdicts made before this was recorded have none). */
  rorName?: string | null;
  /** Who made it: their id, and their name where this installation knew it (another organisation's author is not named). */
  by?: string;
  byName?: string | null;
}

/** The corrections an organisation's evidence was read through, in the order they applied, and a hash of that set. */
export interface CorrectionsRead {
  hash: string;
  items: CorrectionRead[];
}

export function correctionsRead(corrections: readonly Correction[], names: ReadonlyMap<string, string> = new Map()): CorrectionsRead {
  const decided = corrections.map((c) => ({ id: c.id, string: c.raw, decision: c.verdict, ror: c.rorId || null, org: c.orgId }));
  // Order is part of the set: of two corrections on one string the later decides. Names are not: the
  // hash stays what verdicts made before they were recorded say, so a rerun compares like with like.
  const hash = sha256Hex(JSON.stringify(decided)).slice(0, 16);
  const items = decided.map((d, k) => ({ ...d, rorName: d.ror === null ? null : (names.get(d.ror) ?? null), by: corrections[k]!.createdBy, byName: corrections[k]!.createdByName ?? null }));
  return { hash, items };
}

/** What changed between the corrections a verdict's evidence was read through and those in force now. */
export function correctionsChanged(before: CorrectionsRead | undefined, now: CorrectionsRead): { recorded: boolean; changed: boolean; before: string | null; now: string; added: CorrectionRead[]; removed: CorrectionRead[] } {
  const was = before?.items ?? [];
  const ids = (xs: CorrectionRead[]) => new Set(xs.map((c) => c.id));
  const [wasIds, nowIds] = [ids(was), ids(now.items)];
  return {
    // A verdict stored before corrections were recorded says so rather than claim a change.
    recorded: before !== undefined,
    changed: before !== undefined && before.hash !== now.hash,
    before: before?.hash ?? null,
    now: now.hash,
    added: now.items.filter((c) => !wasIds.has(c.id)),
    removed: was.filter((c) => !nowIds.has(c.id)),
  };
}

/** The corrections the organisation's view was last built from (none while it has no view). */
export async function viewCorrections(store: Store, orgId: string): Promise<Correction[]> {
  const schema = orgSchemaOf(orgId);
  if (!(await store.one(`SELECT 1 AS x FROM duckdb_tables() WHERE schema_name = $1 AND table_name = 'corrections'`, [schema]))) return [];
  const doc = await store.one<{ doc: string }>(`SELECT doc FROM ${schema}.corrections`);
  return doc ? (JSON.parse(doc.doc) as { corrections: Correction[] }).corrections : [];
}

/**
 * The organisations whose views were built reading any of `ids`: when a correction ends (withdrawn,
 * superseded), every view it reached, the sharing organisation's and those it was shared with,
 * must be rebuilt, or their indicators and new verdicts would still read through it.
 */
export async function viewsReading(store: Store, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const ended = new Set(ids);
  const orgs: string[] = [];
  for (const schema of await orgSchemas(store)) {
    const doc = await store.one<{ doc: string }>(`SELECT doc FROM ${schema}.corrections`);
    if (!doc) continue;
    const view = JSON.parse(doc.doc) as { orgId: string; corrections: Correction[] };
    if (view.corrections.some((c) => ended.has(c.id))) orgs.push(view.orgId);
  }
  return orgs;
}

/** What the views are kept current against: a number that moves with every commit that may change the corrections in force, those in force, and whom some apply to. */
export interface InForceSource {
  generation: () => Promise<number>;
  inForce: (orgId: string) => Promise<Correction[]>;
  /** The organisations for which any of these corrections is in force now. */
  inForceFor: (ids: readonly string[]) => Promise<string[]>;
}

/**
 * Makes every read through an organisation's view (Store.viewOf) read the corrections in force for
 * it from the commit that changed them on, whichever process committed it: one shared with it,
 * accepted, withdrawn, superseded, unshared, retracted by the installation that published it or
 * rejected. Before a read, a view built from other corrections than those in force for its
 * organisation is rebuilt, and the reader waits for it. The generation (the audit trail's last
 * entry, written in every such commit) is read first, so a read after no change costs one query.
 * `rebuilt` is told of every view whose corrections changed since it was last read, here or by
 * another writer, so answers kept from it are forgotten. Returns `changed`, what a writer calls
 * with the corrections it changed, to bring the views they reach, or reached, up to date at once
 * rather than at their next read; and `stop`, which ends the checks (the server, on close).
 */
export function keepViewsCurrent(store: Store, source: InForceSource, resolve: () => Promise<ResolveWith>, rebuilt: (orgId: string) => void): { changed: (changed: readonly string[]) => Promise<void>; stop: () => void } {
  const checkedAt = new Map<string, number>();
  const seen = new Map<string, string>();
  const queue = new Map<string, Promise<void>>();
  const check = async (orgId: string) => {
    const generation = await source.generation();
    if (checkedAt.get(orgId) === generation) return;
    const inForce = await source.inForce(orgId);
    // The set and its order: of two corrections on one string the later decides.
    const wanted = correctionsRead(inForce).hash;
    const behind = (built: Correction[]) => correctionsRead(built).hash !== wanted;
    let built = await viewCorrections(store, orgId);
    if (behind(built)) {
      const read = await resolve();
      // Another writer may have rebuilt it meanwhile: asked again once the store is ours.
      built = await store.exclusive(async (writer) => {
        if (!behind(await viewCorrections(writer, orgId))) return viewCorrections(writer, orgId);
        await buildView(writer, orgId, inForce, read);
        return inForce;
      });
    }
    const hash = correctionsRead(built).hash;
    if (seen.has(orgId) && seen.get(orgId) !== hash) rebuilt(orgId);
    seen.set(orgId, hash);
    checkedAt.set(orgId, generation);
  };
  // One check at a time per organisation, each after the one before it: a reader never joins a check begun before its own start.
  const current = (orgId: string): Promise<void> => {
    const turn = (queue.get(orgId) ?? Promise.resolve()).then(() => check(orgId));
    queue.set(
      orgId,
      turn.catch(() => undefined),
    );
    return turn;
  };
  const stop = store.checkViewsWith(current);
  return {
    changed: async (changed) => {
      if (changed.length === 0) return;
      for (const orgId of await viewsReachedBy(store, source, changed)) await current(orgId);
    },
    stop,
  };
}

/** The organisations whose views read any of `ids` or should: those built through them, and those they are in force for now. */
export async function viewsReachedBy(store: Store, source: Pick<InForceSource, 'inForceFor'>, ids: readonly string[]): Promise<string[]> {
  return [...new Set([...(await viewsReading(store, ids)), ...(await source.inForceFor(ids))])].sort();
}

/** Files every evidence string not yet keyed under the key its corrections would be filed under. */
async function keyStrings(store: Store): Promise<void> {
  const raws = await store.all<{ raw: string }>(`SELECT DISTINCT raw FROM (${EVIDENCE_STRINGS}) a WHERE raw <> '' AND raw NOT IN (SELECT raw FROM string_keys)`);
  if (raws.length === 0) return;
  const keys = await store.connection.createAppender('string_keys');
  for (const { raw } of raws) {
    keys.appendVarchar(raw);
    keys.appendVarchar(correctionKey(raw));
    keys.endRow();
  }
  keys.closeSync();
}

/** Writes the organisation's resolutions of `raws` (replacing any it had of them). */
async function writeResolutions(store: Store, schema: string, version: string, resolutions: Resolution[]): Promise<void> {
  if (resolutions.length === 0) return;
  const raws = listValue(resolutions.map((r) => r.raw));
  await keepOwnCompanies(store, schema);
  await store.run(`DELETE FROM ${schema}.own_resolution_institutions WHERE list_contains($1::VARCHAR[], raw)`, [raws]);
  await store.run(`DELETE FROM ${schema}.own_resolution_companies WHERE list_contains($1::VARCHAR[], raw)`, [raws]);
  await store.run(`DELETE FROM ${schema}.own_resolutions WHERE list_contains($1::VARCHAR[], raw)`, [raws]);
  for (const r of resolutions) {
    await store.run(`INSERT INTO ${schema}.own_resolutions VALUES ($1, $2, $3, $4, $5)`, [r.raw, version, r.countryCode, r.countryEvidence, r.tier]);
    for (const m of r.institutions) {
      await store.run(`INSERT INTO ${schema}.own_resolution_institutions VALUES ($1, $2, $3, $4, $5, $6, NULL)`, [r.raw, m.rorId, m.tier, m.score, m.primary, m.evidence]);
      for (const u of m.units) await store.run(`INSERT INTO ${schema}.own_resolution_institutions VALUES ($1, $2, $3, $4, FALSE, $5, $6)`, [r.raw, u.rorId, m.tier, m.score, `unit of ${m.name} named in the string`, m.rorId]);
    }
    // A string a correction decides names the companies the corrected resolution names: none where it says which institution it is.
    for (const [seq, c] of (r.companies ?? []).entries()) {
      await store.run(`INSERT INTO ${schema}.own_resolution_companies (raw, resolver_version, seq, company_id, name, lab, country_code, ror_id, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [r.raw, version, seq, c.id, c.name, c.lab, c.countryCode, c.rorId, c.evidence]);
    }
  }
}

/** The evidence strings the corrections decide that the view has not resolved yet (all of them with `all`). */
async function stringsDecided(store: Store, schema: string, corrections: Correction[], all: boolean): Promise<string[]> {
  const keys = listValue([...new Set(corrections.map((c) => c.key))]);
  const rows = await store.all<{ raw: string }>(`SELECT raw FROM string_keys WHERE list_contains($1::VARCHAR[], string_key) ${all ? '' : `AND raw NOT IN (SELECT raw FROM ${schema}.own_resolutions)`} ORDER BY raw`, [keys]);
  return rows.map((r) => r.raw);
}

/**
 * Builds (or rebuilds) an organisation's corrected view of the shared evidence from the
 * corrections in force for it (its own and those shared with it, oldest first; see
 * MatchCorrections.inForce): every evidence string they decide is resolved again with them, and
 * the works those strings appear in are counted again from those resolutions, in a schema of its
 * own that only this organisation's reads go through (Store.viewOf). Nobody else's view changes.
 * Answers what changed in that view: the strings whose answer, and the works whose counted
 * institutions, differ from before the rebuild.
 */
export function applyCorrections(store: Store, orgId: string, corrections: Correction[], resolve: ResolveWith): Promise<{ strings: number; works: number }> {
  // After any ingest under way (it may bring strings the corrections decide), never beside it.
  return store.exclusive((writer) => buildView(writer, orgId, corrections, resolve));
}

async function buildView(store: Store, orgId: string, corrections: Correction[], resolve: ResolveWith): Promise<{ strings: number; works: number }> {
  const schema = orgSchemaOf(orgId);
  await keyStrings(store);
  const decided = corrections.length === 0 ? [] : await stringsDecided(store, schema, corrections, true);
  const resolutions = decided.length === 0 ? [] : await resolve(decided, corrections);
  const version = await resolutionVersion(store);
  return store.transaction(async () => {
    // What may change: the strings and works the view decided before, and those the corrections decide now.
    const before = await viewContents(store, schema);
    const raws = [...new Set([...before.raws, ...decided])];
    const works = [...new Set([...before.works, ...(await worksWith(store, decided))])];
    const answeredBefore = await viewAnswers(store, schema, raws, works);
    await store.run(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    if (corrections.length > 0) {
      await store.run(`CREATE SCHEMA ${schema}`);
      // What the view was built from, so an ingest can resolve new strings the same way.
      await store.run(`CREATE TABLE ${schema}.corrections (doc VARCHAR NOT NULL)`);
      await store.run(`INSERT INTO ${schema}.corrections VALUES ($1)`, [JSON.stringify({ orgId, corrections })]);
      await store.run(`CREATE TABLE ${schema}.own_resolutions AS SELECT * FROM main.resolutions LIMIT 0`);
      await store.run(`CREATE TABLE ${schema}.own_resolution_institutions AS SELECT * FROM main.resolution_institutions LIMIT 0`);
      await store.run(`CREATE TABLE ${schema}.own_resolution_companies AS SELECT * FROM main.resolution_companies LIMIT 0`);
      for (const table of ['resolutions', 'resolution_institutions', 'resolution_companies']) await store.run(`CREATE VIEW ${schema}.${table} AS ${ORG_VIEWS[table]!(schema)}`);
      await writeResolutions(store, schema, version, resolutions);
      await rebuildOrgWorks(store, schema);
      await refreshListedIn(store, schema);
    }
    const answeredAfter = await viewAnswers(store, schema, raws, works);
    const changed = (key: 'raws' | 'works') => [...answeredAfter[key]].filter(([id, answer]) => answeredBefore[key].get(id) !== answer).length;
    return { strings: changed('raws'), works: changed('works') };
  });
}

/** The strings an organisation's view resolves itself and the works it counts itself. */
async function viewContents(store: Store, schema: string): Promise<{ raws: Set<string>; works: Set<string> }> {
  const raws = (await hasTable(store, schema, 'own_resolutions')) ? await store.all<{ raw: string }>(`SELECT DISTINCT raw FROM ${schema}.own_resolutions`) : [];
  const works = (await hasTable(store, schema, 'corrected_works')) ? await store.all<{ work_id: string }>(`SELECT work_id FROM ${schema}.corrected_works`) : [];
  return { raws: new Set(raws.map((r) => r.raw)), works: new Set(works.map((w) => String(w.work_id))) };
}

const hasTable = async (store: Store, schema: string, table: string) => Boolean(await store.one(`SELECT 1 AS x FROM duckdb_tables() WHERE schema_name = $1 AND table_name = $2`, [schema, table]));

/** The works any of `raws` appears in. */
async function worksWith(store: Store, raws: readonly string[]): Promise<string[]> {
  if (raws.length === 0) return [];
  const rows = await store.all<{ work_id: string }>(`SELECT DISTINCT w.work_id FROM main.works w JOIN main.affiliations a ON a.source = w.source AND a.source_id = w.source_id WHERE list_contains($1::VARCHAR[], a.raw)`, [listValue([...raws])]);
  return rows.map((r) => String(r.work_id));
}

/**
 * What the organisation reads for `raws` (country, tier, institutions, companies, the source's ROR ids set aside) and `works` (the
 * institutions and countries counted, at which tier): through its view where it has one, the shared
 * answer where not. Compared before and after a rebuild, it tells what the rebuild changed for the
 * organisation rather than how much it resolved again. The evidence wording is left out: it names the correction.
 */
async function viewAnswers(store: Store, schema: string, raws: readonly string[], works: readonly string[]): Promise<{ raws: Map<string, string>; works: Map<string, string> }> {
  const from = (await hasTable(store, schema, 'own_resolutions')) ? schema : 'main';
  // Whether the view sets aside the ROR ids the source gave the string (all, or those "not" names): a "none" changes what it counts though the resolver answered nothing before either.
  const overruled = from === 'main' || !(await hasTable(store, schema, 'correction_keys')) ? 'NULL' : `(SELECT concat_ws(':', ck.decided, array_to_string(ck.not_ids, ',')) FROM main.string_keys sk JOIN ${schema}.correction_keys ck ON ck.key = sk.string_key WHERE sk.raw = s.raw)`;
  const strings =
    raws.length === 0
      ? []
      : await store.all<{ id: string; answer: string }>(
          `SELECT s.raw AS id, concat_ws(' | ', r.country_code, r.tier,
             (SELECT string_agg(concat_ws(':', i.ror_id, i.tier, i.is_primary, i.unit_of), ',' ORDER BY i.ror_id, i.unit_of, i.tier, i.is_primary) FROM ${from}.resolution_institutions i WHERE i.raw = s.raw),
             (SELECT string_agg(concat_ws(':', c.company_id, c.country_code, c.ror_id), ',' ORDER BY c.seq) FROM ${from}.resolution_companies c WHERE c.raw = s.raw),
             ${overruled}) AS answer
           FROM unnest($1::VARCHAR[]) s(raw) LEFT JOIN ${from}.resolutions r ON r.raw = s.raw`,
          [listValue([...raws])],
        );
  const counted = (await hasTable(store, schema, 'corrected_works')) ? schema : 'main';
  const workRows =
    works.length === 0
      ? []
      : await store.all<{ id: string; answer: string }>(
          `SELECT w.id, coalesce((SELECT string_agg(concat_ws(':', i.ror_id, i.country_code, i.tier), ',' ORDER BY i.ror_id, i.country_code, i.tier) FROM ${counted}.work_institutions i WHERE CAST(i.work_id AS VARCHAR) = w.id), '') AS answer
           FROM unnest($1::VARCHAR[]) w(id)`,
          [listValue([...works])],
        );
  return { raws: new Map(strings.map((r) => [r.id, r.answer ?? ''])), works: new Map(workRows.map((r) => [String(r.id), r.answer])) };
}

/**
 * After an ingest resolved the shared base's new strings: those an organisation's corrections
 * decide are resolved for its view too (its works are counted again by the refresh that follows).
 */
export async function resolveCorrectedPending(store: Store, resolve: ResolveWith): Promise<number> {
  const schemas = await orgSchemas(store);
  if (schemas.length === 0) return 0;
  await keyStrings(store);
  const version = await resolutionVersion(store);
  let resolved = 0;
  for (const schema of schemas) {
    const doc = await store.one<{ doc: string }>(`SELECT doc FROM ${schema}.corrections`);
    if (!doc) continue;
    const { corrections } = JSON.parse(doc.doc) as { corrections: Correction[] };
    const raws = await stringsDecided(store, schema, corrections, false);
    if (raws.length === 0) continue;
    const resolutions = await resolve(raws, corrections);
    await store.transaction(() => writeResolutions(store, schema, version, resolutions));
    resolved += resolutions.length;
  }
  return resolved;
}
