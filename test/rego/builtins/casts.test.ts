import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RObject, RSet } from '../../../src/rego/eval/values';
import { assertFails, call } from './text-helpers';
import { lookupBuiltin } from '../../../src/rego/builtins/registry';

test('to_number converts null, booleans, numbers and numeric strings', () => {
  assert.equal(call('to_number', null), 0);
  assert.equal(call('to_number', true), 1);
  assert.equal(call('to_number', false), 0);
  assert.equal(call('to_number', 100.1), 100.1);
  assert.equal(call('to_number', '-42.0'), -42);
  assert.equal(call('to_number', '+3'), 3);
  assert.equal(call('to_number', '1e3'), 1000);
  assert.equal(call('to_number', '.5'), 0.5);
  assert.equal(call('to_number', '0x1p-2'), 0.25);
  assert.equal(call('to_number', '123456789012345678901234567890'), 123456789012345678901234567890n);
});

test('to_number rejects text that is not a number', () => {
  assertFails('BuiltinError', 'strconv.ParseFloat: parsing "broken": invalid syntax', 'to_number', 'broken');
  assertFails('BuiltinError', 'value out of range', 'to_number', '1e400');
  for (const s of ['nan', 'inf', '-Infinity', 'iNf', '-NaN']) {
    assertFails('BuiltinTypeError', 'operand 1 must be valid number string but got string', 'to_number', s);
  }
  assertFails('BuiltinTypeError', 'operand 1 must be one of {null, boolean, number, string} but got array', 'to_number', []);
});

test('v0 casts check the operand type', () => {
  assert.deepEqual(call('cast_array', new RSet([2, 1])), [1, 2]);
  assert.equal((call('cast_set', [1, 1, 2]) as RSet).size, 2);
  assert.equal(call('cast_string', 'a'), 'a');
  assert.equal(call('cast_boolean', false), false);
  assert.equal(call('cast_null', null), null);
  assert.ok(call('cast_object', new RObject()) instanceof RObject);
  assertFails('BuiltinTypeError', 'operand 1 must be one of {array, set} but got number', 'cast_array', 1);
  assertFails('BuiltinTypeError', 'operand 1 must be string but got number', 'cast_string', 1);
  assertFails('BuiltinTypeError', 'operand 1 must be null but got boolean', 'cast_null', true);
});

test('the v0 casts are marked deprecated, to_number is not', () => {
  for (const name of ['cast_array', 'cast_set', 'cast_string', 'cast_boolean', 'cast_null', 'cast_object']) {
    assert.equal(lookupBuiltin(name)?.deprecated, true, name);
  }
  assert.notEqual(lookupBuiltin('to_number')?.deprecated, true);
});
