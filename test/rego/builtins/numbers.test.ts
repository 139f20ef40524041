import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupBuiltin } from '../../../src/rego/builtins/registry';
import { assertError, call, context } from './collection-helpers';

test('abs, round, ceil and floor', () => {
  assert.equal(call('abs', -3.5), 3.5);
  assert.equal(call('abs', -18446744073709551617n), 18446744073709551617n);
  assert.equal(call('round', 2.5), 3);
  assert.equal(call('round', -2.5), -3);
  assert.equal(call('round', 0.49999999999999994), 0);
  assert.ok(Object.is(call('round', -0.2), 0));
  assert.equal(call('ceil', 1.1), 2);
  assert.equal(call('floor', -1.1), -2);
  assert.equal(call('floor', 18446744073709551617n), 18446744073709551617n);
  assertError('BuiltinTypeError', 'operand 1 must be number but got string', 'abs', '1');
});

test('numbers.range counts up or down, inclusive, exactly for big integers', () => {
  assert.deepEqual(call('numbers.range', 0, 0), [0]);
  assert.deepEqual(call('numbers.range', 1, 4), [1, 2, 3, 4]);
  assert.deepEqual(call('numbers.range', 2, -1), [2, 1, 0, -1]);
  assert.deepEqual(call('numbers.range', 49649733057, 49649733059), [49649733057, 49649733058, 49649733059]);
  assert.deepEqual(call('numbers.range', 9007199254740992n, 9007199254740993n), [9007199254740992n, 9007199254740993n]);
  assertError('BuiltinTypeError', 'operand 1 must be integer number but got floating-point number', 'numbers.range', 3.14, 4);
  assertError('BuiltinTypeError', 'operand 2 must be integer but got string', 'numbers.range', 1, 'a');
  assertError('BuiltinError', 'range would have more than 10000000 elements', 'numbers.range', 0, 1e12);
});

test('numbers.range_step steps by a positive integer', () => {
  assert.deepEqual(call('numbers.range_step', 0, 10, 3), [0, 3, 6, 9]);
  assert.deepEqual(call('numbers.range_step', 10, 0, 4), [10, 6, 2]);
  assertError('BuiltinError', 'step must be a positive number above zero', 'numbers.range_step', 0, 10, 0);
  assertError('BuiltinError', 'step must be a positive number above zero', 'numbers.range_step', 0, 10, -2);
});

test('numbers.range checks the evaluation budget while generating', () => {
  let checks = 0;
  const ctx = {
    ...context(),
    checkBudget: () => {
      checks++;
      if (checks > 2) throw new Error('budget exhausted');
    },
  };
  assert.throws(() => lookupBuiltin('numbers.range')!.impl([0, 5_000_000], ctx), /budget exhausted/);
});

test('rand.intn stays below the bound and repeats for equal arguments within one evaluation', () => {
  const decl = lookupBuiltin('rand.intn')!;
  assert.equal(decl.nondeterministic, true);
  const ctx = context();
  const first = decl.impl(['key', 1000], ctx) as number;
  assert.ok(Number.isInteger(first) && first >= 0 && first < 1000);
  for (let i = 0; i < 20; i++) assert.equal(decl.impl(['key', 1000], ctx), first);
  const negative = decl.impl(['other', -5], ctx) as number;
  assert.ok(negative >= 0 && negative < 5);
  assert.equal(decl.impl(['x', 0], ctx), 0);
  const seen = new Set<number>();
  for (let i = 0; i < 50; i++) seen.add(decl.impl([`k${i}`, 1000], ctx) as number);
  assert.ok(seen.size > 1, 'different keys draw independently');
  assertError('BuiltinTypeError', 'operand 2 must be integer number but got floating-point number', 'rand.intn', 'k', 1.5);
});
