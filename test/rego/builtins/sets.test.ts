import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toJSON } from '../../../src/rego/eval/values';
import { assertError, call, set } from './collection-helpers';

const members = (x: unknown): unknown => toJSON(x as never);

test('union and intersection of a set of sets', () => {
  assert.deepEqual(members(call('union', set())), []);
  assert.deepEqual(members(call('union', set(set(1, 2, 3), set(2), set(4, 5)))), [1, 2, 3, 4, 5]);
  assert.deepEqual(members(call('intersection', set())), []);
  assert.deepEqual(members(call('intersection', set(set(1, 2, 3), set(2, 3, 4), set(3, 2)))), [2, 3]);
  assert.deepEqual(members(call('intersection', set(set(1), set(2)))), []);
  assertError('BuiltinTypeError', 'operand 1 must be set of sets but got set containing number', 'union', set(1));
  assertError('BuiltinTypeError', 'operand 1 must be set of sets but got set containing array', 'intersection', set([1]));
  assertError('BuiltinTypeError', 'operand 1 must be set but got array', 'intersection', [set(1)]);
});

test('set_diff (deprecated) subtracts sets', () => {
  assert.deepEqual(members(call('set_diff', set(1, 2, 3, 4), set(1, 3))), [2, 4]);
  assertError('BuiltinTypeError', 'operand 2 must be set but got array', 'set_diff', set(1), [1]);
});
