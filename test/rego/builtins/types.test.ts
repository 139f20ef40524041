import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RObject, RSet, type Value } from '../../../src/rego/eval/values';
import { call } from './text-helpers';

const samples: [Value, string][] = [
  [null, 'null'],
  [true, 'boolean'],
  [1.5, 'number'],
  [2n ** 70n, 'number'],
  ['s', 'string'],
  [[1], 'array'],
  [new RObject(), 'object'],
  [new RSet([1]), 'set'],
];

test('type_name names every kind of value', () => {
  for (const [v, name] of samples) assert.equal(call('type_name', v), name);
});

test('is_* return true for their own type and false for every other', () => {
  const fns: Record<string, string> = {
    is_null: 'null', is_boolean: 'boolean', is_number: 'number', is_string: 'string',
    is_array: 'array', is_object: 'object', is_set: 'set',
  };
  for (const [fn, kind] of Object.entries(fns)) {
    for (const [v, name] of samples) assert.equal(call(fn, v), name === kind, `${fn}(${name})`);
  }
});
