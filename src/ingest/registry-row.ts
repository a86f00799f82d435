// The registry's rows as the store holds them, and the institutions they make: pure, so that the
// evidence worker (src/workflows/worker.ts), which builds its resolver from rows streamed to it,
// loads no DuckDB. Ingesting the registry is src/ingest/registry.ts's.
import type { Store } from '../store/store.ts';
import type { Institution } from './ror.ts';

/**
 * The registry held in the store, one row per institution with its names, in ROR id order and each
 * record's names in the order it gave them: where two candidates tie, the resolver and the screener
 * keep the registry's order, so an unordered scan (a join, a parallel aggregate) would let a
 * verdict's evidence depend on how the store happened to read its rows.
 */
export const REGISTRY_ROWS = `SELECT i.*, n.names FROM institutions i
  LEFT JOIN (SELECT ror_id, list({'name': name, 'name_types': name_types, 'lang': lang} ORDER BY rowid) AS names FROM institution_names GROUP BY ror_id) n USING (ror_id)
  ORDER BY i.ror_id`;

export interface RegistryRow {
  ror_id: string;
  name: string;
  country_code: string | null;
  country_name: string | null;
  city: string | null;
  subdivision: string | null;
  status: Institution['status'];
  types: string[];
  parents: string[];
  children: string[];
  related: string[];
  successors: string[];
  established: number | null;
  /** Null in a store whose registry was ingested before round 49 kept children's labels (REGISTRY_FIELDS_SINCE). */
  child_names: string[] | null;
  names: { name: string; name_types: string[]; lang: string | null }[] | null;
}

export const institutionOf = (r: RegistryRow): Institution => ({
  id: r.ror_id,
  name: r.name,
  names: (r.names ?? []).map((n) => ({ value: n.name, types: n.name_types as Institution['names'][number]['types'], lang: n.lang })),
  countryCode: r.country_code,
  countryName: r.country_name,
  city: r.city,
  subdivision: r.subdivision,
  types: r.types,
  status: r.status,
  parents: r.parents,
  children: r.children,
  related: r.related,
  successors: r.successors,
  established: r.established,
  ...(r.child_names ? { childNames: r.child_names } : {}),
});

/** Rebuilds the registry held in the store as Institution objects, for the resolver. */
export async function loadRegistry(store: Store): Promise<Institution[]> {
  return (await store.all<RegistryRow & Record<string, unknown>>(REGISTRY_ROWS)).map(institutionOf);
}

/**
 * What the resolver reads of each registry record that an older version's ingest did not keep: a
 * column added later is null in the rows ingested before (a record ingested since holds a value,
 * an empty list at least). Such a store answers differently from a fresh one with the same dump,
 * so it is re-read (src/ingest/registry.ts rereadRegistry) and what it lacks is in its version.
 */
export const REGISTRY_FIELDS_SINCE = [{ column: 'child_names', what: 'the labels its records give their children', since: 'round 49', of: (i: Institution): string[] => i.childNames ?? [] }] as const;

export type RegistryField = (typeof REGISTRY_FIELDS_SINCE)[number];

/** The fields some record of the store's registry lacks (none in a store without a registry). */
export async function registryLacks(store: Store): Promise<RegistryField[]> {
  const lacking: RegistryField[] = [];
  for (const f of REGISTRY_FIELDS_SINCE) if (await store.one(`SELECT 1 FROM institutions WHERE ${f.column} IS NULL LIMIT 1`)) lacking.push(f);
  return lacking;
}

/**
 * The registry's version as resolutions and the matcher index are kept under: its digest (meta), marked
 * with what it lacks, so that nothing resolved against an incomplete registry is taken for a complete one's
 * answer (its re-read writes a new digest too). Null when no registry is loaded.
 */
export async function registryKey(store: Store): Promise<string | null> {
  const version = (await store.one<{ value: string }>(`SELECT value FROM meta WHERE key = 'registry_version'`))?.value ?? null;
  if (version === null) return null;
  const lacking = await registryLacks(store);
  return lacking.length === 0 ? version : `${version}+lacks:${lacking.map((f) => f.column).join(',')}`;
}

/** Said when a store's registry lacks fields: what, and how it is re-read. */
export const lacksMessage = (lacking: readonly RegistryField[]): string =>
  `the store's registry was ingested before derisk kept ${lacking.map((f) => `${f.what} (${f.since})`).join(' and ')}, which the resolver reads: its resolutions may differ from a fresh store's with the same dump until the registry is re-read, which the next \`derisk ingest\` does from the file it was read from (\`derisk ingest ror <that dump>\` if it moved)`;
