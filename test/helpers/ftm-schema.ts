import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { FtmEntity } from '../../src/exchange/ftm.ts';

const SCHEMA_DIR = new URL('../../../shared/standards/followthemoney/schema/', import.meta.url).pathname;

interface SchemaDef {
  abstract?: boolean;
  extends?: string[];
  required?: string[];
  properties?: Record<string, { type?: string; range?: string }>;
}

/** The FtM model as its YAML files define it: each schema with the properties of its ancestors. */
export function ftmModel() {
  const schemata = new Map<string, SchemaDef>();
  for (const f of readdirSync(SCHEMA_DIR).filter((f) => /\.ya?ml$/.test(f))) {
    for (const [name, def] of Object.entries(parseYaml(readFileSync(join(SCHEMA_DIR, f), 'utf8')) as Record<string, SchemaDef>)) schemata.set(name, def);
  }
  const ancestry = (name: string): string[] => [name, ...(schemata.get(name)?.extends ?? []).flatMap(ancestry)];
  const property = (schema: string, prop: string) => {
    for (const s of ancestry(schema)) {
      const p = schemata.get(s)?.properties?.[prop];
      if (p) return p;
    }
    return undefined;
  };
  return { schemata, ancestry, property };
}

/** Every problem of one exported entity against the FtM schema files; none is the answer wanted. */
export function problems(e: FtmEntity, byId: Map<string, FtmEntity>, model: ReturnType<typeof ftmModel>, topics: Record<string, string>): string[] {
  const out: string[] = [];
  const def = model.schemata.get(e.schema);
  if (!def) return [`${e.id}: no schema ${e.schema}`];
  if (def.abstract) out.push(`${e.id}: ${e.schema} is abstract`);
  for (const r of model.ancestry(e.schema).flatMap((s) => model.schemata.get(s)?.required ?? [])) if (!e.properties[r]?.length) out.push(`${e.id}: required ${r} missing`);
  for (const [prop, values] of Object.entries(e.properties)) {
    const p = model.property(e.schema, prop);
    if (!p) {
      out.push(`${e.id}: ${e.schema} has no property ${prop}`);
      continue;
    }
    if (!Array.isArray(values) || values.length === 0) out.push(`${e.id}.${prop}: not a non-empty list`);
    for (const v of values) {
      if (typeof v !== 'string' || v.trim() === '') out.push(`${e.id}.${prop}: ${JSON.stringify(v)} is not a string`);
      else if (p.type === 'country' && !(/^[a-z]{2}$/.test(v) && new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' }).of(v.toUpperCase()))) out.push(`${e.id}.${prop}: ${v} is not an ISO country code`);
      else if (p.type === 'date' && !/^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2})?)?)?)?$/.test(v)) out.push(`${e.id}.${prop}: ${v} is not an ISO date`);
      else if (p.type === 'url' && !/^https?:$/.test(new URL(v).protocol)) out.push(`${e.id}.${prop}: ${v} is not a web address`);
      else if (p.type === 'number' && !Number.isFinite(Number(v))) out.push(`${e.id}.${prop}: ${v} is not a number`);
      else if (p.type === 'topic' && !(v in topics)) out.push(`${e.id}.${prop}: ${v} is not a FtM topic`);
      else if (p.type === 'entity') {
        const target = byId.get(v);
        if (!target) out.push(`${e.id}.${prop}: ${v} is not in the export`);
        else if (p.range && !model.ancestry(target.schema).includes(p.range)) out.push(`${e.id}.${prop}: ${target.schema} is not a ${p.range}`);
      }
    }
  }
  return out;
}
