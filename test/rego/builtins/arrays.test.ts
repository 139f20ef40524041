import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, call, v } from './collection-helpers';

test('array.concat joins two arrays', () => {
  assert.deepEqual(call('array.concat', [1, 2], [3, 4]), [1, 2, 3, 4]);
  assert.deepEqual(call('array.concat', [], []), []);
  assertError('BuiltinTypeError', 'operand 1 must be array but got object', 'array.concat', v({}), []);
  assertError('BuiltinTypeError', 'operand 2 must be array but got object', 'array.concat', [], v({}));
});

test('array.slice clamps its bounds', () => {
  const arr = [1, 2, 3, 4, 5];
  assert.deepEqual(call('array.slice', arr, 1, 3), [2, 3]);
  assert.deepEqual(call('array.slice', arr, 0, 0), []);
  assert.deepEqual(call('array.slice', arr, -4, -1), []);
  assert.deepEqual(call('array.slice', arr, 4, 1), []);
  assert.deepEqual(call('array.slice', arr, -1, 2), [1, 2]);
  assert.deepEqual(call('array.slice', arr, 3, 1000), [4, 5]);
  assert.deepEqual(call('array.slice', [], 1000, 2000), []);
  assertError('BuiltinTypeError', 'operand 2 must be integer number but got floating-point number', 'array.slice', arr, 1.5, 2);
});

test('array.reverse returns a new reversed array', () => {
  const arr = [1, 2, 3];
  assert.deepEqual(call('array.reverse', arr), [3, 2, 1]);
  assert.deepEqual(arr, [1, 2, 3]);
  assertError('BuiltinTypeError', 'operand 1 must be array but got object', 'array.reverse', v({ a: 1 }));
});

test('array.flatten removes one level of nesting', () => {
  assert.deepEqual(call('array.flatten', [[1, 2], 'x', [3, [4]], []]), [1, 2, 'x', 3, [4]]);
  assertError('BuiltinTypeError', 'operand 1 must be array but got number', 'array.flatten', 42);
});
