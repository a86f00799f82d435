import { registryKey } from '../ingest/registry-row.ts';
import { countedTier, EVIDENCE_STRINGS, insertColumns, type Store } from '../store/store.ts';
import { ResolutionCache } from './cache.ts';
import { sourceNamedSql } from '../indicators/unregistered.ts';
import { resolutionVersionOf, TIER_RANK, type AffiliationResolver, type Resolution } from './matcher.ts';

/** What the store keeps of a resolution; changed when it keeps more (the companies a string names, since round 14), so resolutions stored without it are redone. */
const STORED_FORMAT = 'companies14';

/** Version of resolutions in the store: the matcher's behaviour, the registry it matched against (with what it lacks: registryKey) and what is kept of each. */
export async function resolutionVersion(store: Store): Promise<string> {
  return `${resolutionVersionOf(await registryKey(store))}+${STORED_FORMAT}`;
}

/**
 * Writes the resolutions of `from` (a table of raw, country_code, country_evidence, tier) under version $1, an older
 * version's row of the same string rewritten in place: deleting and inserting the same keys costs the primary key
 * index far more (about 28 s against 7 s for 110,000 strings resolved before under another version).
 */
const writeResolutions = (from: string) =>
  `INSERT INTO resolutions (raw, resolver_version, country_code, country_evidence, tier) SELECT raw, $1, country_code, country_evidence, tier FROM ${from}
   ON CONFLICT (raw) DO UPDATE SET resolver_version = excluded.resolver_version, country_code = excluded.country_code, country_evidence = excluded.country_evidence, tier = excluded.tier`;

/** Resolves strings in batches, wherever that runs: here, or on a worker thread (src/workflows/offload.ts). */
export type ResolveMany = (raws: string[]) => Resolution[] | Promise<Resolution[]>;

/**
 * Resolves every distinct affiliation string (and patent applicant name) not yet resolved
 * under the current version. Each string is resolved once however many works use it.
 */
export async function resolvePending(
  store: Store,
  resolver: AffiliationResolver | ResolveMany,
  onProgress?: (done: number, total: number) => void,
  /** Which strings to look at (a query of `raw`s): by default every string of the evidence. */
  strings = EVIDENCE_STRINGS,
  /** The folder of resolutions kept across stores and runs (src/resolve/cache.ts); null for none. */
  cacheDir: string | null = ResolutionCache.locate(store),
): Promise<{ resolved: number; seconds: number; fromCache: number }> {
  const started = performance.now();
  const resolveMany: ResolveMany = typeof resolver === 'function' ? resolver : (raws) => raws.map((raw) => resolver.resolve(raw));
  const version = await resolutionVersion(store);
  await store.run(
    `CREATE OR REPLACE TEMP TABLE pending_resolution AS
     SELECT raw, row_number() OVER () AS n FROM (
       SELECT DISTINCT a.raw FROM (${strings}) a
       WHERE a.raw <> '' AND NOT EXISTS (SELECT 1 FROM resolutions r WHERE r.raw = a.raw AND r.resolver_version = $1))`,
    [version],
  );
  const cache = cacheDir === null ? null : new ResolutionCache(cacheDir, version);
  const fromCache = cache ? await takeFromCache(store, cache, version) : 0;
  const total = Number((await store.one<{ n: number }>('SELECT count(*)::DOUBLE AS n FROM pending_resolution'))!.n);
  // Strings come from the store and go to the resolver in small pieces (each takes this thread
  // a few milliseconds at most); results are written in transactions of `chunk` strings.
  const chunk = 20_000;
  const piece = 2_000;
  for (let from = 0; from < total; from += chunk) {
    const results: Resolution[] = [];
    for (let at = from; at < Math.min(from + chunk, total); at += piece) {
      const raws = (await store.all<{ raw: string }>('SELECT raw FROM pending_resolution WHERE n > $1 AND n <= $2 ORDER BY n', [at, Math.min(at + piece, from + chunk)])).map((r) => r.raw);
      results.push(...(await resolveMany(raws)));
    }
    await store.transaction(async () => {
      await store.run('CREATE TEMP TABLE IF NOT EXISTS stage_raw (raw VARCHAR)');
      await store.run('DELETE FROM stage_raw');
      await store.run('INSERT INTO stage_raw SELECT raw FROM pending_resolution WHERE n > $1 AND n <= $2', [from, from + chunk]);
      await store.run('DELETE FROM resolution_institutions WHERE raw IN (SELECT raw FROM stage_raw)');
      await store.run('DELETE FROM resolution_companies WHERE raw IN (SELECT raw FROM stage_raw)');
      const companies = results.flatMap((r) => (r.companies ?? []).map((c, seq) => ({ raw: r.raw, seq, ...c })));
      const institutions = results.flatMap((r) =>
        r.institutions.flatMap((m) => [
          { raw: r.raw, rorId: m.rorId, tier: m.tier, score: m.score, primary: m.primary, evidence: m.evidence, unitOf: null as string | null },
          ...m.units.map((u) => ({ raw: r.raw, rorId: u.rorId, tier: m.tier, score: m.score, primary: false, evidence: `unit of ${m.name} named in the string`, unitOf: m.rorId })),
        ]),
      );
      await store.run('CREATE TEMP TABLE IF NOT EXISTS stage_resolution (raw VARCHAR, country_code VARCHAR, country_evidence VARCHAR, tier VARCHAR)');
      await store.run('DELETE FROM stage_resolution');
      await insertColumns(store, 'stage_resolution', {
        raw: { type: 'VARCHAR', values: results.map((r) => r.raw) },
        country_code: { type: 'VARCHAR', values: results.map((r) => r.countryCode) },
        country_evidence: { type: 'VARCHAR', values: results.map((r) => r.countryEvidence) },
        tier: { type: 'VARCHAR', values: results.map((r) => r.tier) },
      });
      await store.run(writeResolutions('stage_resolution'), [version]);
      await insertColumns(store, 'resolution_institutions', {
        raw: { type: 'VARCHAR', values: institutions.map((i) => i.raw) },
        ror_id: { type: 'VARCHAR', values: institutions.map((i) => i.rorId) },
        tier: { type: 'VARCHAR', values: institutions.map((i) => i.tier) },
        score: { type: 'DOUBLE', values: institutions.map((i) => i.score) },
        is_primary: { type: 'BOOLEAN', values: institutions.map((i) => i.primary) },
        evidence: { type: 'VARCHAR', values: institutions.map((i) => i.evidence) },
        unit_of: { type: 'VARCHAR', values: institutions.map((i) => i.unitOf) },
      });
      await insertColumns(store, 'resolution_companies', {
        raw: { type: 'VARCHAR', values: companies.map((c) => c.raw) },
        resolver_version: { type: 'VARCHAR', values: companies.map(() => version) },
        seq: { type: 'DOUBLE', values: companies.map((c) => c.seq) },
        company_id: { type: 'VARCHAR', values: companies.map((c) => c.id) },
        name: { type: 'VARCHAR', values: companies.map((c) => c.name) },
        lab: { type: 'VARCHAR', values: companies.map((c) => c.lab) },
        country_code: { type: 'VARCHAR', values: companies.map((c) => c.countryCode) },
        ror_id: { type: 'VARCHAR', values: companies.map((c) => c.rorId) },
        evidence: { type: 'VARCHAR', values: companies.map((c) => c.evidence) },
      });
    });
    await cache?.keep(store, 'stage_raw');
    onProgress?.(Math.min(from + chunk, total), total);
  }
  return { resolved: total + fromCache, seconds: (performance.now() - started) / 1000, fromCache };
}

/**
 * Writes the cache's answers for pending strings into the store and leaves only the others
 * pending (numbered anew); returns how many the cache answered.
 */
async function takeFromCache(store: Store, cache: ResolutionCache, version: string): Promise<number> {
  const found = await cache.lookUp(store, 'pending_resolution', 'cached_resolution');
  if (found === 0) return 0;
  await store.transaction(async () => {
    await store.run('DELETE FROM resolution_institutions WHERE raw IN (SELECT raw FROM cached_resolution)');
    await store.run('DELETE FROM resolution_companies WHERE raw IN (SELECT raw FROM cached_resolution)');
    await store.run(writeResolutions('cached_resolution'), [version]);
    await store.run(
      `INSERT INTO resolution_institutions (raw, ror_id, tier, score, is_primary, evidence, unit_of)
       SELECT raw, i.ror_id, i.tier, i.score, i.is_primary, i.evidence, i.unit_of FROM (SELECT raw, unnest(institutions) AS i FROM cached_resolution)`,
    );
    await store.run(
      `INSERT INTO resolution_companies (raw, resolver_version, seq, company_id, name, lab, country_code, ror_id, evidence)
       SELECT raw, $1, c.seq, c.company_id, c.name, c.lab, c.country_code, c.ror_id, c.evidence FROM (SELECT raw, unnest(companies) AS c FROM cached_resolution)`,
      [version],
    );
  });
  await store.run(
    `CREATE OR REPLACE TEMP TABLE pending_resolution AS
     SELECT raw, row_number() OVER () AS n FROM pending_resolution WHERE raw NOT IN (SELECT raw FROM cached_resolution)`,
  );
  await store.run('DROP TABLE cached_resolution');
  return found;
}

/** How often the institution and country a source asserts for an affiliation (OpenAlex does) differ from derisk's own resolution of the same string. */
export interface SourceAgreement {
  /** Distinct strings where the source names an institution (in the loaded registry or not) and derisk resolves one (tier strong or better). */
  institutionBoth: number;
  /** Of those, the strings where none of derisk's institutions (nor a unit it finds) is one the source names, nor the parent or a child (in the registry) of one. */
  institutionDiffers: number;
  /** Of the differing strings, those derisk resolves at the exact tier: derisk's is counted there, the source's kept beside (elsewhere the source's counts). */
  institutionOverruled: number;
  /** The strings where derisk's institution is, in the registry, the parent or a child of one the source names (the university and its unit): the same institution family, not a disagreement (round 49). */
  institutionFamily: number;
  /** Distinct strings where both the source and derisk give a country. */
  countryBoth: number;
  countryDiffers: number;
  /** Distinct strings where the source names an institution the loaded registry does not hold (counted without the source's country). */
  unregistered: number;
  /** A few of the differing strings, first by string: what the source says, what derisk resolves and whether derisk's counts. */
  examples: { raw: string; source: string; derisk: string; overruled: boolean }[];
}

/** How many differing strings the summary names. */
const EXAMPLES = 3;

/**
 * Compares, per distinct affiliation string, what the source asserted (kept in
 * `affiliations.given_ror_ids` / `given_countries`) with derisk's resolution. Either may be the
 * wrong one; where they differ the count is derisk's (src/store/refresh.sql). A source's
 * institution the registry lacks is compared too (round 48: leaving it out hid a contradicted
 * one). Only the records kept from `fileIds` count, so an ingest's summary speaks of that ingest,
 * not of earlier ones.
 */
export async function sourceAgreement(store: Store, fileIds: readonly string[]): Promise<SourceAgreement> {
  const row = await store.one<{ ib: number; id: number; io: number; fam: number; cb: number; cd: number; un: number; examples: { raw: string; source: string; derisk: string; overruled: boolean }[] | null }>(
    // The file's affiliations are read once and each pair of counts taken in one pass: four scalar
    // subqueries over inlined CTEs read them four times, which cost an ingest of 50,000 works more
    // than any statement of its refresh.
    `WITH these AS MATERIALIZED (
       SELECT a.raw, a.given_ror_ids, a.given_names, a.given_countries FROM affiliations a JOIN records r ON r.source = a.source AND r.source_id = a.source_id
       WHERE r.file_id IN (SELECT unnest(from_json($1, '["VARCHAR"]'))) AND a.raw <> ''),
     given_named AS (SELECT DISTINCT raw, unnest(given_ror_ids) AS ror_id, unnest(given_names) AS name FROM these),
     given_ids AS (SELECT raw, list(DISTINCT ror_id) AS ids FROM given_named GROUP BY raw),
     given_countries AS (
       SELECT raw, list_distinct(list(code)) AS codes
       FROM (SELECT raw, unnest(given_countries) AS code FROM these)
       GROUP BY raw),
     ancestry AS (SELECT ror_id, list(ancestor) AS ancestors FROM registry_ancestors GROUP BY ror_id),
     given_up AS (
       SELECT g.ids, list_distinct(flatten(list(x.ancestors))) AS given_up
       FROM (SELECT DISTINCT ids, unnest(ids) AS ror_id FROM given_ids) g JOIN ancestry x USING (ror_id) GROUP BY g.ids),
     resolved AS (
       SELECT g.raw, g.ids, bool_or(list_contains(g.ids, o.ror_id)) AS agrees,
         first(o.ror_id ORDER BY o.is_primary DESC, o.score DESC, o.ror_id) FILTER (WHERE o.unit_of IS NULL AND o.tier IN ('exact', 'strong')) AS ror_id,
         list({'ror_id': o.ror_id, 'tier': o.tier, 'unit_of': o.unit_of, 'ancestors': coalesce(x.ancestors, [])}) AS found
       FROM given_ids g JOIN resolution_institutions o ON o.raw = g.raw LEFT JOIN ancestry x ON x.ror_id = o.ror_id
       GROUP BY g.raw, g.ids),
     -- Whether the store counts derisk's (the rule the refresh reads, at the tier it last counted), and whether the two are one family in the registry.
     ours AS (
       SELECT r.raw, r.ror_id, r.agrees OR r.ror_id IS NULL AS agrees, NOT r.agrees AND list_has_any(list_concat(coalesce(d.parents, []), coalesce(d.children, [])), r.ids) AS family,
         NOT source_counts(r.ids, u.given_up, r.found, $2) AS overruled
       FROM resolved r LEFT JOIN given_up u ON u.ids = r.ids LEFT JOIN institutions d ON d.ror_id = r.ror_id),
     institution AS (
       SELECT count(*) FILTER (WHERE ror_id IS NOT NULL)::DOUBLE AS ib, count(*) FILTER (WHERE NOT agrees AND NOT family)::DOUBLE AS id,
         count(*) FILTER (WHERE NOT agrees AND NOT family AND overruled)::DOUBLE AS io, count(*) FILTER (WHERE NOT agrees AND family)::DOUBLE AS fam FROM ours),
     differing AS (
       SELECT o.raw, (SELECT string_agg(coalesce(i.name, ${sourceNamedSql("coalesce(nullif(n.name, ''), 'unnamed')", 'n.ror_id')}), '; ' ORDER BY n.ror_id)
                      FROM given_named n LEFT JOIN institutions i ON i.ror_id = n.ror_id WHERE n.raw = o.raw) AS source,
         d.name || ' (ROR ' || d.ror_id || ')' AS derisk, o.overruled
       FROM ours o JOIN institutions d ON d.ror_id = o.ror_id WHERE NOT o.agrees AND NOT o.family
       ORDER BY o.raw LIMIT ${EXAMPLES}),
     unregistered AS (
       SELECT count(DISTINCT raw)::DOUBLE AS un FROM given_named g WHERE NOT EXISTS (SELECT 1 FROM institutions i WHERE i.ror_id = g.ror_id)),
     country AS (
       SELECT count(*)::DOUBLE AS cb, count(*) FILTER (WHERE NOT list_contains(g.codes, r.country_code))::DOUBLE AS cd
       FROM given_countries g JOIN resolutions r ON r.raw = g.raw WHERE r.country_code IS NOT NULL)
     SELECT ib, id, io, fam, cb, cd, un, (SELECT list({'raw': raw, 'source': source, 'derisk': derisk, 'overruled': overruled} ORDER BY raw) FROM differing) AS examples
     FROM institution, country, unregistered`,
    [JSON.stringify(fileIds), TIER_RANK[await countedTier(store)]],
  );
  return {
    institutionBoth: row?.ib ?? 0,
    institutionDiffers: row?.id ?? 0,
    institutionOverruled: row?.io ?? 0,
    institutionFamily: row?.fam ?? 0,
    countryBoth: row?.cb ?? 0,
    countryDiffers: row?.cd ?? 0,
    unregistered: row?.un ?? 0,
    examples: row?.examples ?? [],
  };
}

const share = (n: number, of: number) => (of === 0 ? 'n/a' : `${((100 * n) / of).toFixed(1)}%`);

/** The ingest summary's lines: the figures, then each differing string named. */
export const describeSourceAgreement = (a: SourceAgreement): string[] => [
  `source-asserted vs derisk: institution differs on ${a.institutionDiffers} of ${a.institutionBoth} strings (${share(a.institutionDiffers, a.institutionBoth)}; derisk's counted on the ${a.institutionOverruled} it resolves at the exact tier, the source's kept beside; elsewhere the source's), the same institution family (one the other's parent or unit in the registry, not counted as differing) on ${a.institutionFamily}, country on ${a.countryDiffers} of ${a.countryBoth} (${share(a.countryDiffers, a.countryBoth)}); ${a.unregistered} ${a.unregistered === 1 ? 'string names' : 'strings name'} an institution not in the loaded registry (counted without the source's country)`,
  ...a.examples.map((e) => `  ${JSON.stringify(e.raw)}: the source says ${e.source}; ${e.overruled ? `derisk counts ${e.derisk}` : `derisk resolves ${e.derisk} (not at the exact tier: the source's counts)`}`),
];
