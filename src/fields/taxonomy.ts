import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../errors.ts';
import type { Store } from '../store/store.ts';

export const BUNDLED_TAXONOMY = fileURLToPath(new URL('../../data/fields/taxonomy.json', import.meta.url));

/** The classification schemes a rule can read: the sources' own (see ingest/records.ts) and CPC for patents. */
const SCHEMES = new Set(['openalex-topic', 'openalex-concept', 'wos-category', 'wos-research-area', 'scopus-keyword', 'cpc']);

export interface FieldRule {
  scheme: string;
  kind: 'name' | 'pattern' | 'prefix';
  value: string;
  minScore: number;
}

export interface Field {
  id: string;
  name: string;
  family: string;
  rules: FieldRule[];
}

export interface Taxonomy {
  fields: Map<string, Field>;
  provenance: unknown;
}

interface TaxonomyFile {
  provenance?: unknown;
  defaults?: { minScore?: Record<string, number> };
  fields?: { id: string; name: string; family: string; rules: { scheme: string; names?: string[]; pattern?: string; prefixes?: string[] }[] }[];
}

/** Loads field definitions; every problem is reported with the file and the field it is in. */
export function loadTaxonomy(file = BUNDLED_TAXONOMY): Taxonomy {
  let parsed: TaxonomyFile;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8')) as TaxonomyFile;
  } catch (e) {
    throw new Error(`${file}: cannot read field taxonomy: ${(e as Error).message}`);
  }
  if (!parsed.provenance) throw new Error(`${file}: a field taxonomy must carry its provenance`);
  if (!Array.isArray(parsed.fields)) throw new Error(`${file}: "fields" must be an array`);
  const fields = new Map<string, Field>();
  for (const f of parsed.fields) {
    if (!/^[a-z0-9-]+$/.test(f.id ?? '')) throw new Error(`${file}: field id ${JSON.stringify(f.id)} must be lower-case letters, digits and dashes`);
    if (fields.has(f.id)) throw new Error(`${file}: field ${f.id} is defined twice`);
    const rules: FieldRule[] = [];
    for (const r of f.rules ?? []) {
      if (!SCHEMES.has(r.scheme)) throw new Error(`${file}: field ${f.id}: unknown scheme ${JSON.stringify(r.scheme)}`);
      const minScore = parsed.defaults?.minScore?.[r.scheme] ?? 0;
      for (const name of r.names ?? []) rules.push({ scheme: r.scheme, kind: 'name', value: name.toLowerCase(), minScore });
      for (const prefix of r.prefixes ?? []) rules.push({ scheme: r.scheme, kind: 'prefix', value: prefix.toUpperCase(), minScore });
      if (r.pattern !== undefined) {
        try {
          new RegExp(r.pattern);
        } catch (e) {
          throw new Error(`${file}: field ${f.id}: pattern ${JSON.stringify(r.pattern)} is not a valid regular expression: ${(e as Error).message}`);
        }
        rules.push({ scheme: r.scheme, kind: 'pattern', value: r.pattern.toLowerCase(), minScore });
      }
    }
    fields.set(f.id, { id: f.id, name: f.name, family: f.family, rules });
  }
  return { fields, provenance: parsed.provenance };
}

export function fieldOf(taxonomy: Taxonomy, id: string): Field {
  const f = taxonomy.fields.get(id);
  if (!f) throw new ValidationError(`unknown field ${JSON.stringify(id)}; known: ${[...taxonomy.fields.keys()].join(', ')}`);
  return f;
}

/** Puts the rules where the refresh SQL can join on them. */
export async function loadFieldRules(store: Store, taxonomy: Taxonomy): Promise<void> {
  await store.run('CREATE OR REPLACE TEMP TABLE field_rules (field_id VARCHAR, scheme VARCHAR, kind VARCHAR, value VARCHAR, min_score DOUBLE)');
  const appender = await store.connection.createAppender('field_rules');
  for (const f of taxonomy.fields.values()) {
    for (const r of f.rules) {
      appender.appendVarchar(f.id);
      appender.appendVarchar(r.scheme);
      appender.appendVarchar(r.kind);
      appender.appendVarchar(r.value);
      appender.appendDouble(r.minScore);
      appender.endRow();
    }
  }
  appender.closeSync();
}
