// Operand helpers shared by every built-in family: each checks one argument's type and throws
// the standard "operand N must be T but got U" error (OPA's wording) when it does not fit.

import { RObject, RSet, type Value, isNumber } from '../eval/values';
import { operandError } from './registry';

export function asString(v: Value, pos: number): string {
  if (typeof v !== 'string') operandError(pos, 'string', v);
  return v;
}

export function asNumber(v: Value, pos: number): number | bigint {
  if (!isNumber(v)) operandError(pos, 'number', v);
  return v;
}

/** A number that must be an integer; returned as a JS number (safe range) or bigint. */
export function asInteger(v: Value, pos: number): number | bigint {
  const n = asNumber(v, pos);
  if (typeof n === 'number' && !Number.isInteger(n)) operandError(pos, 'integer', v);
  return n;
}

export function asBoolean(v: Value, pos: number): boolean {
  if (typeof v !== 'boolean') operandError(pos, 'boolean', v);
  return v;
}

export function asArray(v: Value, pos: number): Value[] {
  if (!Array.isArray(v)) operandError(pos, 'array', v);
  return v;
}

export function asObject(v: Value, pos: number): RObject {
  if (!(v instanceof RObject)) operandError(pos, 'object', v);
  return v;
}

export function asSet(v: Value, pos: number): RSet {
  if (!(v instanceof RSet)) operandError(pos, 'set', v);
  return v;
}

/** Members of an array or a set, in Rego order for sets. */
export function asArrayOrSet(v: Value, pos: number): Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.sorted();
  operandError(pos, 'one of {array, set}', v);
}
