// to_number, and the casts that Rego v0 still accepts (cast_array, cast_set, cast_string,
// cast_boolean, cast_null, cast_object): each checks its operand's type and converts.

import { RSet, type Value, normNumber } from '../eval/values';
import { asArrayOrSet, asBoolean, asObject, asString } from './operands';
import { BuiltinError, BuiltinTypeError, operandError, register } from './registry';

// Go's strconv.ParseFloat syntax: decimal with optional exponent, or hexadecimal with a binary exponent.
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^[+-]?0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+$/;

function parseNumber(s: string): number | bigint {
  if (/^[+-]?\d+$/.test(s)) return normNumber(BigInt(s));
  const special = s.replace(/^[+-]+/, '').toLowerCase();
  if (special === 'inf' || special === 'infinity' || special === 'nan') {
    throw new BuiltinTypeError('operand 1 must be valid number string but got string');
  }
  let n: number;
  if (DECIMAL.test(s)) n = Number(s);
  else if (HEX.test(s)) n = parseHexFloat(s);
  else throw new BuiltinError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
  if (!Number.isFinite(n)) throw new BuiltinError(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: value out of range`);
  return n;
}

function parseHexFloat(s: string): number {
  const m = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(s)!;
  const mant = parseInt((m[2] || '0') + m[3], 16);
  const n = mant * 2 ** (Number(m[4]) - 4 * m[3].length);
  return m[1] === '-' ? -n : n;
}

function toNumber([v]: Value[]): Value {
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return v;
    case 'boolean':
      return v ? 1 : 0;
    case 'string':
      return parseNumber(v);
  }
  if (v === null) return 0;
  operandError(1, 'one of {null, boolean, number, string}', v);
}

register(
  { name: 'to_number', args: ['null|boolean|number|string'], result: 'number', impl: toNumber },
  {
    name: 'cast_array',
    deprecated: true,
    args: ['any'],
    result: 'array<any>',
    impl: ([v]) => asArrayOrSet(v, 1),
  },
  {
    name: 'cast_set',
    deprecated: true,
    args: ['any'],
    result: 'set<any>',
    impl: ([v]) => (v instanceof RSet ? v : new RSet(asArrayOrSet(v, 1))),
  },
  { name: 'cast_string',
    deprecated: true, args: ['any'], result: 'string', impl: ([v]) => asString(v, 1) },
  { name: 'cast_boolean',
    deprecated: true, args: ['any'], result: 'boolean', impl: ([v]) => asBoolean(v, 1) },
  {
    name: 'cast_null',
    deprecated: true,
    args: ['any'],
    result: 'null',
    impl: ([v]) => (v === null ? null : operandError(1, 'null', v)),
  },
  { name: 'cast_object',
    deprecated: true, args: ['any'], result: 'object<any, any>', impl: ([v]) => asObject(v, 1) },
);
