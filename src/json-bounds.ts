/**
 * What a JSON schema bounds, read from the schema itself (round 50, bound54): a route's body
 * limit is sized from its body schema, so a value the schema admits is never refused as too large,
 * and the route-enumeration test refuses a schema part that bounds nothing.
 */
type Schema = Record<string, unknown>;

/** UTF-8 writes a character (a code point, as JSON Schema's maxLength counts them) in at most 4 bytes. */
export const UTF8_BYTES_PER_CHAR = 4;
/** The longest number JSON.stringify writes (-1.7976931348623157e+308). */
const NUMBER_BYTES = 24;

const typesOf = (s: Schema): string[] => [s.type ?? []].flat() as string[];
const alternatives = (s: Schema): Schema[] | null => (s.anyOf ?? s.oneOf ?? null) as Schema[] | null;

/**
 * The parts of a request schema that bound nothing, as paths (`body.partners: an array without maxItems`):
 * an array without maxItems, a string without maxLength (an enum or const is bounded), a number without
 * minimum and maximum, and, in a body or query string, an object that admits properties it does not name.
 */
export function unboundedParts(schema: Schema, at: string, closedObjects = true): string[] {
  if ('const' in schema || 'enum' in schema) return [];
  const alts = alternatives(schema);
  if (alts) return alts.flatMap((s) => unboundedParts(s, at, closedObjects));
  const found: string[] = [];
  const types = typesOf(schema);
  if (types.includes('string') && schema.maxLength === undefined) found.push(`${at}: a string without maxLength`);
  if ((types.includes('integer') || types.includes('number')) && (schema.minimum === undefined || schema.maximum === undefined)) found.push(`${at}: a number without minimum and maximum`);
  if (types.includes('array')) {
    if (schema.maxItems === undefined) found.push(`${at}: an array without maxItems`);
    if (schema.items) found.push(...unboundedParts(schema.items as Schema, `${at}[]`, closedObjects));
  }
  if (types.includes('object') || schema.properties) {
    if (closedObjects && schema.additionalProperties !== false) found.push(`${at}: an object without additionalProperties: false`);
    for (const [name, part] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) found.push(...unboundedParts(part, `${at}.${name}`, closedObjects));
  }
  return found;
}

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/**
 * The most bytes a value the schema admits takes as JSON.stringify writes it, each character of a
 * string at UTF-8's worst (4 bytes): Infinity where the schema bounds nothing (see unboundedParts).
 * A client that escapes characters it need not (`\u0041`; JSON.stringify itself writes a control character
 * other than a line break or tab so, in 6 bytes) or pads with spaces may write more.
 */
export function worstJsonBytes(schema: Schema): number {
  if ('const' in schema) return jsonBytes(schema.const);
  if (Array.isArray(schema.enum)) return Math.max(0, ...schema.enum.map(jsonBytes));
  const alts = alternatives(schema);
  if (alts) return Math.max(0, ...alts.map(worstJsonBytes));
  const types = typesOf(schema);
  const sizes = types.map((type): number => {
    switch (type) {
      case 'string':
        return schema.maxLength === undefined ? Infinity : 2 + UTF8_BYTES_PER_CHAR * (schema.maxLength as number);
      case 'integer':
      case 'number':
        return NUMBER_BYTES;
      case 'boolean':
        return 5;
      case 'null':
        return 4;
      case 'array':
        return schema.maxItems === undefined || !schema.items ? Infinity : 2 + (schema.maxItems as number) * (worstJsonBytes(schema.items as Schema) + 1);
      case 'object': {
        if (schema.additionalProperties !== false) return Infinity;
        // {"name":value,…}: braces, and per property its quoted name, a colon and a comma.
        return 2 + Object.entries((schema.properties ?? {}) as Record<string, Schema>).reduce((n, [name, part]) => n + jsonBytes(name) + 2 + worstJsonBytes(part), 0);
      }
      default:
        return Infinity;
    }
  });
  return Math.max(0, ...sizes);
}

/**
 * The body limit a route needs: its body schema's worst case when that is more than the server's
 * limit (which stays the floor: a body's own refusals are clearer than a 413).
 */
export const bodyLimitFor = (body: Schema, serverLimit: number): number => {
  const worst = worstJsonBytes(body);
  return Number.isFinite(worst) && worst > serverLimit ? worst : serverLimit;
};
