import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertError, call } from './collection-helpers';

test('and, or, xor, negate on integers, negative ones in two\'s complement', () => {
  assert.equal(call('bits.and', 50, 0), 0);
  assert.equal(call('bits.and', 12, 10), 8);
  assert.equal(call('bits.or', 7, 9), 15);
  assert.equal(call('bits.xor', 42, 3), 41);
  assert.equal(call('bits.xor', 42, 42), 0);
  assert.equal(call('bits.negate', 42), -43);
  assert.equal(call('bits.and', -1, 255), 255);
  assert.equal(call('bits.or', 18446744073709551616n, 1), 18446744073709551617n);
});

test('shifts are arbitrary precision', () => {
  assert.equal(call('bits.lsh', 9223372036854775807n, 1), 18446744073709551614n);
  assert.equal(call('bits.lsh', 1, 3), 8);
  assert.equal(call('bits.rsh', 8, 3), 1);
  assert.equal(call('bits.rsh', -8, 1), -4);
  assert.equal(call('bits.rsh', -1, 1000), -1);
  assert.equal(call('bits.rsh', 5, 1000), 0);
  assert.equal(call('bits.rsh', 18446744073709551616n, 64), 1);
});

test('operand errors use OPA wording', () => {
  assertError('BuiltinTypeError', 'operand 1 must be integer number but got floating-point number', 'bits.and', 7.2, 42);
  assertError('BuiltinTypeError', 'operand 1 must be integer number but got floating-point number', 'bits.negate', 7.2);
  assertError('BuiltinTypeError', 'operand 2 must be an unsigned integer number but got a negative integer', 'bits.lsh', 7, -1);
  assertError('BuiltinTypeError', 'operand 2 must be number but got string', 'bits.rsh', 7, 'a');
  assertError('BuiltinTypeError', 'operand 1 must be integer but got string', 'bits.or', 'a', 1);
});

test('a shift too wide for memory is an error, not a crash', () => {
  assertError('BuiltinError', 'result would exceed 1048576 bits', 'bits.lsh', 1, 1e12);
  assert.equal(call('bits.lsh', 0, 1e12), 0);
});
