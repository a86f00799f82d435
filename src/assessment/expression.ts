/**
 * The rulebook's condition language: small, safe (parsed here, never evaluated as code) and
 * three-valued, so an unanswered question yields "unknown" rather than a silent false.
 *
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := not ("and" not)*
 *   not     := "not" not | compare
 *   compare := value (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "contains") value)?
 *   value   := number | 'string' | true | false | null | path | "[" value ("," value)* "]"
 *            | name "(" expr ")" | "(" expr ")"
 *   path    := identifier ("." identifier)*
 *
 * Functions: known(x) is true when x has an answer; any(x) is true when a list has an item;
 * count(x) is a list's length.
 */

export type Value = boolean | number | string | null | Value[];

export type Node =
  | { kind: 'literal'; value: Value }
  | { kind: 'path'; path: string }
  | { kind: 'list'; items: Node[] }
  | { kind: 'not'; arg: Node }
  | { kind: 'logic'; op: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'compare'; op: CompareOp; left: Node; right: Node }
  | { kind: 'call'; fn: FunctionName; arg: Node };

type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'contains';
const FUNCTIONS = ['known', 'any', 'count'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

export class ExpressionError extends Error {}

interface Token {
  type: 'num' | 'str' | 'word' | 'op' | 'punct';
  text: string;
  at: number;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?)|'((?:[^'\\]|\\.)*)'|([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)|(==|!=|<=|>=|<|>)|([()[\],]))/y;
  let at = 0;
  while (at < source.length) {
    if (/^\s*$/.test(source.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(source);
    if (!m) throw new ExpressionError(`unexpected character ${JSON.stringify(source.slice(at).trim()[0])} at position ${at + (source.slice(at).length - source.slice(at).trimStart().length) + 1}`);
    const start = m.index + m[0].length - m[0].trimStart().length;
    if (m[1] !== undefined) tokens.push({ type: 'num', text: m[1], at: start });
    else if (m[2] !== undefined) tokens.push({ type: 'str', text: m[2].replace(/\\(.)/g, '$1'), at: start });
    else if (m[3] !== undefined) tokens.push({ type: 'word', text: m[3], at: start });
    else if (m[4] !== undefined) tokens.push({ type: 'op', text: m[4], at: start });
    else tokens.push({ type: 'punct', text: m[5]!, at: start });
    at = re.lastIndex;
  }
  return tokens;
}

/** Parses a condition, or throws an ExpressionError saying where it went wrong. */
export function parse(source: string): Node {
  const tokens = tokenize(source);
  let i = 0;
  const peek = () => tokens[i];
  const fail = (what: string): never => {
    const t = peek();
    throw new ExpressionError(t ? `${what}, found ${JSON.stringify(t.text)} at position ${t.at + 1}` : `${what}, found the end of the condition`);
  };
  const take = (text: string) => {
    if (peek()?.text !== text) fail(`expected ${JSON.stringify(text)}`);
    i++;
  };
  const orExpr = (): Node => {
    let left = andExpr();
    while (peek()?.text === 'or') {
      i++;
      left = { kind: 'logic', op: 'or', left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): Node => {
    let left = notExpr();
    while (peek()?.text === 'and') {
      i++;
      left = { kind: 'logic', op: 'and', left, right: notExpr() };
    }
    return left;
  };
  const notExpr = (): Node => {
    if (peek()?.text === 'not') {
      i++;
      return { kind: 'not', arg: notExpr() };
    }
    return compare();
  };
  const compare = (): Node => {
    const left = value();
    const t = peek();
    if (t && (t.type === 'op' || t.text === 'in' || t.text === 'contains')) {
      i++;
      return { kind: 'compare', op: t.text as CompareOp, left, right: value() };
    }
    return left;
  };
  const value = (): Node => {
    const t = peek() ?? fail('expected a value');
    i++;
    if (t.type === 'num') return { kind: 'literal', value: Number(t.text) };
    if (t.type === 'str') return { kind: 'literal', value: t.text };
    if (t.text === '(') {
      const inner = orExpr();
      take(')');
      return inner;
    }
    if (t.text === '[') {
      const items: Node[] = [];
      if (peek()?.text !== ']') {
        items.push(value());
        while (peek()?.text === ',') {
          i++;
          items.push(value());
        }
      }
      take(']');
      return { kind: 'list', items };
    }
    if (t.type === 'word') {
      if (t.text === 'true' || t.text === 'false') return { kind: 'literal', value: t.text === 'true' };
      if (t.text === 'null') return { kind: 'literal', value: null };
      if (['and', 'or', 'not', 'in', 'contains'].includes(t.text)) {
        i--;
        fail('expected a value');
      }
      if (peek()?.text === '(') {
        if (!(FUNCTIONS as readonly string[]).includes(t.text)) {
          i--;
          fail(`unknown function (known: ${FUNCTIONS.join(', ')})`);
        }
        i++;
        const arg = orExpr();
        take(')');
        return { kind: 'call', fn: t.text as FunctionName, arg };
      }
      return { kind: 'path', path: t.text };
    }
    i--;
    return fail('expected a value');
  };
  if (tokens.length === 0) throw new ExpressionError('empty condition');
  const node = orExpr();
  if (i < tokens.length) fail('expected the end of the condition');
  return node;
}

export function pathsOf(node: Node): string[] {
  switch (node.kind) {
    case 'path':
      return [node.path];
    case 'literal':
      return [];
    case 'list':
      return node.items.flatMap(pathsOf);
    case 'not':
    case 'call':
      return pathsOf(node.arg);
    default:
      return [...pathsOf(node.left), ...pathsOf(node.right)];
  }
}

/** Three-valued result: true, false, or null when an answer it needs is unknown. */
export type Truth = boolean | null;

const truth = (v: Value): Truth => (v === null ? null : Array.isArray(v) ? v.length > 0 : typeof v === 'boolean' ? v : typeof v === 'number' ? v !== 0 : v !== '');

export function evaluate(node: Node, lookup: (path: string) => Value): Value {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'path':
      return lookup(node.path);
    case 'list':
      return node.items.map((n) => evaluate(n, lookup));
    case 'not': {
      const v = truth(evaluate(node.arg, lookup));
      return v === null ? null : !v;
    }
    case 'logic': {
      const l = truth(evaluate(node.left, lookup));
      if (node.op === 'and' && l === false) return false;
      if (node.op === 'or' && l === true) return true;
      const r = truth(evaluate(node.right, lookup));
      if (node.op === 'and') return r === false ? false : l === null || r === null ? null : true;
      return r === true ? true : l === null || r === null ? null : false;
    }
    case 'call': {
      const v = evaluate(node.arg, lookup);
      if (node.fn === 'known') return v !== null;
      if (v === null) return null;
      const items = Array.isArray(v) ? v : [v];
      return node.fn === 'any' ? items.length > 0 : items.length;
    }
    case 'compare': {
      const l = evaluate(node.left, lookup);
      const r = evaluate(node.right, lookup);
      if (node.op === 'in' || node.op === 'contains') {
        const [item, list] = node.op === 'in' ? [l, r] : [r, l];
        if (item === null || list === null) return null;
        if (!Array.isArray(list)) throw new ExpressionError(`"${node.op}" needs a list, got ${JSON.stringify(list)}`);
        const items = Array.isArray(item) ? item : [item];
        return items.some((x) => list.some((y) => y === x));
      }
      if (l === null || r === null) return null;
      if (node.op === '==') return l === r;
      if (node.op === '!=') return l !== r;
      if (typeof l !== 'number' || typeof r !== 'number') throw new ExpressionError(`"${node.op}" compares numbers, got ${JSON.stringify(l)} and ${JSON.stringify(r)}`);
      return node.op === '<' ? l < r : node.op === '<=' ? l <= r : node.op === '>' ? l > r : l >= r;
    }
  }
}

export const evaluateTruth = (node: Node, lookup: (path: string) => Value): Truth => truth(evaluate(node, lookup));
