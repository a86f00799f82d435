import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { evaluate, evaluateTruth, ExpressionError, parse, pathsOf, type Value } from '../../src/assessment/expression.ts';

const facts = (o: Record<string, Value>) => (p: string) => (p in o ? o[p]! : null);

test('conditions parse and evaluate: comparisons, lists, functions, precedence', () => {
  const f = facts({ 'a.level': 3, 'a.lists': ['x', 'y'], 'a.flag': true, 'a.name': 'BIT' });
  assert.equal(evaluate(parse('a.level >= 3 and a.flag'), f), true);
  assert.equal(evaluate(parse('not a.flag or a.level < 2'), f), false);
  assert.equal(evaluate(parse("'x' in a.lists"), f), true);
  assert.equal(evaluate(parse("a.lists contains 'z'"), f), false);
  assert.equal(evaluate(parse("a.name == 'BIT' and count(a.lists) == 2"), f), true);
  assert.equal(evaluate(parse('a.level in [1, 2, 3]'), f), true);
  assert.equal(evaluate(parse('not (a.flag and a.level > 5)'), f), true);
  assert.deepEqual(pathsOf(parse('a.b and known(c.d) or e.f in [1]')), ['a.b', 'c.d', 'e.f']);
});

test('unknown answers give unknown, never false: Kleene three-valued logic', () => {
  const f = facts({ yes: true, no: false });
  assert.equal(evaluateTruth(parse('missing'), f), null);
  assert.equal(evaluateTruth(parse('not missing'), f), null);
  assert.equal(evaluateTruth(parse('missing and no'), f), false, 'false and unknown is false');
  assert.equal(evaluateTruth(parse('missing and yes'), f), null);
  assert.equal(evaluateTruth(parse('missing or yes'), f), true, 'true or unknown is true');
  assert.equal(evaluateTruth(parse('missing >= 3'), f), null);
  assert.equal(evaluateTruth(parse('known(missing)'), f), false);
  const tri = fc.constantFrom<Value>(true, false, null);
  fc.assert(
    fc.property(tri, tri, (a, b) => {
      const g = facts({ a, b });
      // De Morgan holds in Kleene logic.
      assert.equal(evaluateTruth(parse('not (a and b)'), g), evaluateTruth(parse('not a or not b'), g));
      assert.equal(evaluateTruth(parse('not not a'), g), a);
    }),
  );
});

test('bad conditions are refused with the position, and nothing but the language runs', () => {
  assert.throws(() => parse('a.level >= '), /expected a value, found the end/);
  assert.throws(() => parse('a.level >> 3'), ExpressionError);
  assert.throws(() => parse('process.exit(1)'), /unknown function/);
  assert.throws(() => parse("a == 'x' b"), /expected the end of the condition, found "b" at position 10/);
  assert.throws(() => parse(''), /empty condition/);
  assert.throws(() => evaluate(parse('a.name > 3'), facts({ 'a.name': 'x' })), /compares numbers/);
  fc.assert(
    fc.property(fc.string({ maxLength: 40 }), (s) => {
      try {
        parse(s);
      } catch (e) {
        assert.ok(e instanceof ExpressionError, `only ExpressionError escapes, got ${(e as Error).message}`);
      }
    }),
    { numRuns: 500 },
  );
});
