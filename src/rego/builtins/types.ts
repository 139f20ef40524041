// Type tests: each returns true or false (never undefined) for any operand.

import { type Value, isArray, isNumber, isObject, isSet, typeName } from '../eval/values';
import { register } from './registry';

const test = (name: string, check: (v: Value) => boolean) => ({
  name,
  args: ['any'],
  result: 'boolean',
  impl: ([v]: Value[]) => check(v),
});

register(
  test('is_number', isNumber),
  test('is_string', (v) => typeof v === 'string'),
  test('is_boolean', (v) => typeof v === 'boolean'),
  test('is_array', isArray),
  test('is_set', isSet),
  test('is_object', isObject),
  test('is_null', (v) => v === null),
  { name: 'type_name', args: ['any'], result: 'string', impl: ([v]) => typeName(v) },
);
