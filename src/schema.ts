import { Compile, type TLocalizedValidationError, type TSchema } from './vendor/typebox.ts';

/**
 * One schema checks a document wherever it comes from (a file, an HTTP body): TypeBox finds what is
 * wrong, and this module says it the way every derisk refusal reads — the field (`partners[1].country`)
 * and the reason — so a file and the same body sent over HTTP are refused with the same words.
 *
 * A schema node may carry `description` (what a value must be: "a ROR id", so "\"x\" is not a ROR id")
 * and `x-messages` (a reason per JSON Schema keyword, for what no description can say).
 */
type Node = TSchema & {
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: Node[];
  items?: Node;
  properties?: Record<string, Node>;
  required?: string[];
  description?: string;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  pattern?: string;
  'x-messages'?: Record<string, string>;
};

const compiled = new WeakMap<TSchema, ReturnType<typeof Compile>>();

function validatorOf(schema: TSchema): ReturnType<typeof Compile> {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = Compile(schema)));
  return v;
}

/** Checks `value` against `schema`; on failure throws `refuse(message)` for the first defect, named by its field. */
export function checkSchema(schema: TSchema, value: unknown, refuse: (message: string) => Error, documentName = 'the document'): void {
  const validator = validatorOf(schema);
  if (validator.Check(value)) return;
  throw refuse(refusalMessage(schema, value, validator.Errors(value), documentName));
}

/** The message for the first defect among TypeBox's errors: `field: reason`. */
export function refusalMessage(schema: TSchema, value: unknown, errors: readonly TLocalizedValidationError[], documentName = 'the document'): string {
  const fieldName = (segments: string[]) => pathName(segments, documentName);
  // A union reports every branch; only the branch that fits the value's kind (a list for a list) speaks.
  const kept = errors.filter((e) => !inRejectedBranch(schema as Node, value, e));
  const error = kept.find((e) => e.keyword !== 'additionalProperties') ?? kept[0] ?? errors[0]!;
  const segments = pointer(error.instancePath);
  const node = nodeAt(schema as Node, error.schemaPath);
  const parentValue = valueAt(value, segments);
  if (error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties')) {
    const parent = nodeAt(schema as Node, error.schemaPath.slice(0, -'/additionalProperties'.length));
    return `${fieldName(segments)}: unknown field (known: ${Object.keys(parent?.properties ?? {}).join(', ')})`;
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperties?: string[] }).additionalProperties?.[0] ?? '';
    return `${fieldName([...segments, extra])}: unknown field (known: ${Object.keys(node?.properties ?? {}).join(', ')})`;
  }
  if (error.keyword === 'required') {
    const missing = (error.params as { requiredProperties?: string[] }).requiredProperties?.[0] ?? '';
    const expected = node?.properties?.[missing];
    return `${fieldName([...segments, missing])}: ${expected?.description ? `missing (${expected.description})` : reason(expected, undefined, 'required', false)}`;
  }
  return `${fieldName(segments)}: ${reason(node, parentValue, error.keyword, /^\d+$/.test(segments.at(-1) ?? ''))}`;
}

function reason(node: Node | undefined, value: unknown, keyword: string, isItem: boolean): string {
  const own = node?.['x-messages']?.[keyword];
  if (own) return own;
  if (node?.description) return `${show(value)} is not ${node.description}`;
  // A bound says how far over it the value is (round 50): "expected a list" would send the writer looking elsewhere.
  if (keyword === 'maxItems' && Array.isArray(value)) return `${value.length} items, at most ${node?.maxItems}`;
  if (keyword === 'maxLength' && typeof value === 'string') return `${[...value].length} characters, at most ${node?.maxLength}`;
  const choices = literals(node);
  if (choices) return `${show(value)} is not one of ${choices.join(', ')}`;
  const kinds = node ? kindsOf(node) : [];
  if (kinds.includes('array')) return 'expected a list';
  if (kinds.includes('object')) return 'expected an object';
  if (kinds.includes('string')) {
    if (kinds.includes('null')) return `expected text, got ${show(value)}`;
    return isItem ? 'expected a non-empty text' : 'required text is missing';
  }
  return value === undefined ? 'is missing' : `${show(value)} is not allowed here`;
}

const show = (v: unknown): string => (v === undefined ? 'nothing' : JSON.stringify(v));

/** The values a node admits when it is an enumeration (enum, const, or a union of them); null otherwise. */
export function literals(node: Node | undefined): string[] | null {
  if (!node) return null;
  if (node.enum) return node.enum.map(String);
  if (node.const !== undefined) return [String(node.const)];
  if (node.anyOf && node.anyOf.every((b) => b.const !== undefined || b.enum)) return node.anyOf.flatMap((b) => literals(b)!);
  return null;
}

export interface Choice {
  value: string;
  label: string;
}

/**
 * The choices a schema offers at a path (`['partners', '[]', 'role']`, `[]` for a list's items): an
 * enumeration's values with their titles (`title` on a const branch), for a form. Unions are looked
 * through, so an answer that may also be unknown, null or a boolean offers its words.
 */
export function choicesAt(schema: TSchema, path: readonly string[]): Choice[] {
  let node: Node | undefined = schema as Node;
  for (const step of path) {
    const branches: Node[] = node?.anyOf ?? (node ? [node] : []);
    node = step === '[]' ? branches.find((b) => b.items)?.items : branches.find((b) => b.properties?.[step])?.properties?.[step];
  }
  if (!node) throw new Error(`the schema has no choices at ${path.join('.')}`);
  return choicesOf(node);
}

function choicesOf(n: Node & { title?: string }): Choice[] {
  if (n.enum) return n.enum.map((v) => ({ value: String(v), label: String(v) }));
  if (n.const !== undefined) return [{ value: String(n.const), label: n.title ?? String(n.const) }];
  return (n.anyOf ?? []).flatMap((b) => (literals(b) ? choicesOf(b) : []));
}

function kindsOf(node: Node): string[] {
  if (node.anyOf) return node.anyOf.flatMap(kindsOf);
  if (node.const !== undefined) return [jsonKind(node.const)];
  if (node.enum) return node.enum.map(jsonKind);
  const t = node.type;
  return (Array.isArray(t) ? t : t ? [t] : []).map((k) => (k === 'integer' ? 'number' : k));
}

function jsonKind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v === 'bigint' ? 'number' : typeof v;
}

/**
 * True when the error comes from a union branch that is not the one the value's kind points to —
 * e.g. `["x", 5]` against `"unknown" | null | string[]` speaks of the list, not of "unknown".
 * When no single branch fits, the union's own error speaks for all of them.
 */
function inRejectedBranch(root: Node, value: unknown, error: TLocalizedValidationError): boolean {
  const steps = schemaSteps(error.schemaPath);
  const instance = pointer(error.instancePath);
  let node: Node | undefined = root;
  let v = value;
  let at = 0;
  for (let i = 0; i < steps.length && node; i++) {
    const s = steps[i]!;
    if (s === 'properties') {
      const key = steps[++i]!;
      node = node.properties?.[key];
      v = (v as Record<string, unknown> | undefined)?.[key];
      at++;
    } else if (s === 'items') {
      node = node.items;
      v = (v as unknown[] | undefined)?.[Number(instance[at])];
      at++;
    } else if (s === 'anyOf') {
      const branch = Number(steps[++i]);
      const fitting = (node.anyOf ?? []).map((b) => kindsOf(b).includes(jsonKind(v)));
      if (!(fitting[branch] && fitting.filter(Boolean).length === 1)) return true;
      node = node.anyOf![branch];
    } else return false;
  }
  return false;
}

function nodeAt(root: Node, schemaPath: string): Node | undefined {
  let node: Node | undefined = root;
  for (const s of schemaSteps(schemaPath)) node = node === undefined ? undefined : (node as unknown as Record<string, Node>)[s];
  return node;
}

function valueAt(value: unknown, segments: string[]): unknown {
  let v = value;
  for (const s of segments) v = v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[s];
  return v;
}

const schemaSteps = (path: string): string[] => path.replace(/^#\/?/, '').split('/').filter(Boolean).map(unescape);
const pointer = (path: string): string[] => path.split('/').slice(1).map(unescape);
const unescape = (s: string): string => s.replace(/~1/g, '/').replace(/~0/g, '~');

/** `partners[1].country` from its segments; the document itself when there are none. */
export function pathName(segments: string[], documentName: string): string {
  if (segments.length === 0) return documentName;
  return segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
