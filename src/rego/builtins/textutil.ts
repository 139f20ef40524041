// Helpers shared by the text and encoding families: OPA's integer operand check, the element
// check of string collections, and Go's notion of white space.

import { RSet, type Value, typeName } from '../eval/values';
import { BuiltinTypeError, operandError } from './registry';

/** OPA's builtins.IntOperand: a number that fits a Go int, with OPA's wording otherwise. */
export function asIntOperand(v: Value, pos: number): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v;
  } else if (typeof v === 'bigint') {
    if (v >= -(2n ** 63n) && v < 2n ** 63n) return Number(v);
  } else operandError(pos, 'number', v);
  throw new BuiltinTypeError(`operand ${pos} must be integer number but got floating-point number`);
}

/** The strings of an array or set (sets in Rego order), or the one-element list of a string. */
export function stringsOf(v: Value, pos: number, expected = 'one of {string, set, array}'): string[] {
  if (typeof v === 'string') return [v];
  let items: Value[];
  if (Array.isArray(v)) items = v;
  else if (v instanceof RSet) items = v.sorted();
  else operandError(pos, expected, v);
  return items.map((x) => elementString(v, x, pos));
}

/** One element of a collection that must hold strings ("must be array of strings but got array containing number"). */
export function elementString(collection: Value, x: Value, pos: number): string {
  if (typeof x === 'string') return x;
  const kind = Array.isArray(collection) ? 'array' : collection instanceof RSet ? 'set' : 'object';
  throw new BuiltinTypeError(
    `operand ${pos} must be ${kind} of strings but got ${kind} containing ${typeName(x)}`,
  );
}

/** Go's unicode.IsSpace. */
export function isGoSpace(cp: number): boolean {
  switch (cp) {
    case 0x09:
    case 0x0a:
    case 0x0b:
    case 0x0c:
    case 0x0d:
    case 0x20:
    case 0x85:
    case 0xa0:
    case 0x1680:
    case 0x2028:
    case 0x2029:
    case 0x202f:
    case 0x205f:
    case 0x3000:
      return true;
  }
  return cp >= 0x2000 && cp <= 0x200a;
}

/** Code points of a string, as Go ranges over runes. */
export function runes(s: string): string[] {
  return Array.from(s);
}

export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}
