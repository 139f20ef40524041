import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RObject } from '../../../src/rego/eval/values';
import { assertError, call, set, v } from './collection-helpers';

test('count counts members of collections and code points of strings', () => {
  assert.equal(call('count', [1, 2, 3]), 3);
  assert.equal(call('count', set('a', 'b')), 2);
  assert.equal(call('count', v({ a: 1 })), 1);
  assert.equal(call('count', new RObject()), 0);
  assert.equal(call('count', 'åäö'), 3);
  assert.equal(call('count', '😀x'), 2);
  assertError('BuiltinTypeError', 'operand 1 must be one of {array, object, set, string} but got number', 'count', 1);
});

test('sum and product are exact for integers of any size', () => {
  assert.equal(call('sum', [1, 2, 3, 4]), 10);
  assert.equal(call('sum', set(1, 2, 3, 4)), 10);
  assert.equal(call('sum', []), 0);
  assert.equal(call('sum', [49649733057, 1]), 49649733058);
  assert.equal(call('sum', [9223372036854775807n, 1]), 9223372036854775808n);
  assert.equal(call('sum', [Number.MAX_SAFE_INTEGER, 1]), 9007199254740992n);
  assert.equal(call('sum', [-9223372036854775808n, -1]), -9223372036854775809n);
  assert.equal(call('product', [18446744073709551617n, 2]), 36893488147419103234n);
  assert.equal(call('product', set(1, 2, 3, 4)), 24);
  assert.equal(call('product', []), 1);
});

test('sum and product of decimals round once, as arbitrary-precision arithmetic does', () => {
  assert.equal(call('sum', [0.1, 0.2]), 0.3);
  assert.equal(call('sum', [1.5, 2.5]), 4);
  assert.equal(call('sum', [1, 2.5]), 3.5);
  assert.equal(call('sum', [1e300, 1e-300]), 1e300);
  assert.equal(call('product', [1.5, 2]), 3);
  assert.equal(call('product', [0.1, 3]), 0.3);
});

test('sum and product reject non-numbers with OPA wording, and results no double can hold', () => {
  assertError('BuiltinError', 'result is beyond the range of 64-bit floating-point numbers', 'product', [1e200, 1.5e200]);
  assertError('BuiltinTypeError', 'operand 1 must be array of numbers but got array containing string', 'sum', [1, 'a']);
  assertError('BuiltinTypeError', 'operand 1 must be set of numbers but got set containing string', 'product', set('a'));
  assertError('BuiltinTypeError', 'operand 1 must be one of {set, array} but got string', 'sum', 'abc');
});

test('max and min use the total order of values and are undefined when empty', () => {
  assert.equal(call('max', [1, 2, 3, 4]), 4);
  assert.equal(call('min', [3, 2, 1, 4, 6, -7, 10]), -7);
  assert.equal(call('max', set(1, 'a', null)), 'a');
  assert.equal(call('min', set(1, 'a', null)), null);
  assert.equal(call('max', []), undefined);
  assert.equal(call('min', set()), undefined);
  assertError('BuiltinTypeError', 'operand 1 must be one of {set, array} but got object', 'max', v({}));
});

test('sort orders arrays and sets without changing the argument', () => {
  const input = [4, 'b', 3, null, [1]];
  assert.deepEqual(call('sort', input), [null, 3, 4, 'b', [1]]);
  assert.deepEqual(input, [4, 'b', 3, null, [1]]);
  assert.deepEqual(call('sort', set(3, 1, 2)), [1, 2, 3]);
});

test('all and any look for the value true', () => {
  assert.equal(call('all', []), true);
  assert.equal(call('all', set(true)), true);
  assert.equal(call('all', [true, 1]), false);
  assert.equal(call('all', set(false, true)), false);
  assert.equal(call('any', set()), false);
  assert.equal(call('any', [false, true]), true);
  assert.equal(call('any', ['true']), false);
  assertError('BuiltinTypeError', 'operand 1 must be one of {array, set} but got string', 'all', 'x');
});
