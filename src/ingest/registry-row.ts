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
  /** Null in a store whose registry was ingested before round 49 kept children's labels. */
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
