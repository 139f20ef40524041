// Aggregates over collections: count, sum, product, max, min, sort, and the deprecated all/any.

import { RObject, RSet, type Value, compare, isNumber, typeName } from '../eval/values';
import { BuiltinTypeError, operandError, register } from './registry';
import { exactProduct, exactSum } from './numbers';

/** Members of an array or set (sets in Rego order); OPA names the kinds "set, array" here. */
function collection(v: Value, pos: number): Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.sorted();
  operandError(pos, 'one of {set, array}', v);
}

/** The numbers of an array or set, or OPA's "must be array of numbers" element error. */
function numbers(v: Value, pos: number): (number | bigint)[] {
  const items = collection(v, pos);
  for (const x of items) {
    if (!isNumber(x)) {
      throw new BuiltinTypeError(
        `operand ${pos} must be ${typeName(v)} of numbers but got ${typeName(v)} containing ${typeName(x)}`,
      );
    }
  }
  return items as (number | bigint)[];
}

/** The item that wins every replacement test against the best so far (max and min); undefined when empty. */
function extreme(items: Value[], replaces: (candidate: Value, best: Value) => boolean): Value | undefined {
  if (items.length === 0) return undefined;
  let best = items[0];
  for (const v of items) if (replaces(v, best)) best = v;
  return best;
}

function countRunes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A surrogate pair is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

register(
  {
    name: 'count',
    args: ['array<any>|object<any, any>|set<any>|string'],
    result: 'number',
    impl: ([x]) => {
      if (Array.isArray(x)) return x.length;
      if (x instanceof RObject || x instanceof RSet) return x.size;
      if (typeof x === 'string') return countRunes(x);
      operandError(1, 'one of {array, object, set, string}', x);
    },
  },
  {
    name: 'sum',
    args: ['array<number>|set<number>'],
    result: 'number',
    impl: ([x], ctx) => exactSum(numbers(x, 1), ctx),
  },
  {
    name: 'product',
    args: ['array<number>|set<number>'],
    result: 'number',
    impl: ([x], ctx) => exactProduct(numbers(x, 1), ctx),
  },
  {
    name: 'max',
    args: ['array<any>|set<any>'],
    result: 'any',
    impl: ([x]) => extreme(collection(x, 1), (v, best) => compare(best, v) <= 0),
  },
  {
    name: 'min',
    args: ['array<any>|set<any>'],
    result: 'any',
    impl: ([x]) => extreme(collection(x, 1), (v, best) => compare(v, best) < 0),
  },
  {
    name: 'sort',
    args: ['array<any>|set<any>'],
    result: 'array<any>',
    impl: ([x]) => {
      if (x instanceof RSet) return x.sorted().slice();
      return collection(x, 1).slice().sort(compare);
    },
  },
  {
    name: 'all',
    args: ['array<any>|set<any>'],
    result: 'boolean',
    deprecated: true,
    impl: ([x]) => {
      if (x instanceof RSet) return x.size === 0 || (x.size === 1 && x.has(true));
      if (!Array.isArray(x)) operandError(1, 'one of {array, set}', x);
      return x.every((v) => v === true);
    },
  },
  {
    name: 'any',
    args: ['array<any>|set<any>'],
    result: 'boolean',
    deprecated: true,
    impl: ([x]) => {
      if (x instanceof RSet) return x.has(true);
      if (!Array.isArray(x)) operandError(1, 'one of {array, set}', x);
      return x.includes(true);
    },
  },
);
