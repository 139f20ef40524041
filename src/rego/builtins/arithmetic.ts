// Arithmetic operators (+ - * / %) and the set operators & and |. Integers stay exact: results
// beyond 2^53 are computed with bigint. Sums, differences and products of decimals are rounded to
// the number of decimal places the exact result has, so 0.1 + 0.2 == 0.3 as with OPA's
// big-number math; quotients are doubles, snapped to a nearby short decimal (3.3 / 1.1 == 3, while
// 1 / 3 == 0.3333333333333333).

import { RSet, isNumber, normNumber, type Value } from '../eval/values';
import { asSet } from './operands';
import { BuiltinError, operandError, register } from './registry';

type Num = number | bigint;

const isInt = (n: Num): boolean => typeof n === 'bigint' || Number.isInteger(n);

function toBig(n: Num): bigint {
  return typeof n === 'bigint' ? n : BigInt(n);
}

function toFloat(n: Num): number {
  return typeof n === 'bigint' ? Number(n) : n;
}

function finite(x: number): Num {
  if (!Number.isFinite(x)) throw new BuiltinError('arithmetic result is not a finite number');
  if (Number.isInteger(x)) return Number.isSafeInteger(x) ? x : normNumber(BigInt(x));
  return x;
}

/**
 * A quotient within 2 units in the last place of a 15-digit decimal is that decimal (3.3 / 1.1
 * is 3, not 2.9999999999999996): OPA divides with more precision than a double and rounds.
 */
function nearShortDecimal(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const short = Number(x.toPrecision(15));
  const ulp = 2 ** (Math.floor(Math.log2(Math.abs(x))) - 52);
  return Math.abs(short - x) <= 2 * ulp ? short : x;
}

/** Digits after the decimal point in the shortest text of n; null when it has an exponent. */
function decimals(n: Num): number | null {
  if (typeof n === 'bigint') return 0;
  const s = String(n);
  if (s.includes('e')) return null;
  const dot = s.indexOf('.');
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Rounds a double result to `places` decimals when the exact decimal result has no more. */
function roundTo(x: number, places: number | null): Num {
  if (places === null || places > 20 || !Number.isFinite(x)) return finite(x);
  return finite(Number(x.toFixed(places)));
}

function intOp(a: Num, b: Num, op: (x: bigint, y: bigint) => bigint, fast: (x: number, y: number) => number): Num {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = fast(a, b);
    if (Number.isSafeInteger(r)) return r;
  }
  return normNumber(op(toBig(a), toBig(b)));
}

function num(v: Value, pos: number): Num {
  if (!isNumber(v)) operandError(pos, 'number', v);
  return v;
}

export function plus(a: Num, b: Num): Num {
  if (isInt(a) && isInt(b)) return intOp(a, b, (x, y) => x + y, (x, y) => x + y);
  return roundTo(toFloat(a) + toFloat(b), maxDecimals(a, b));
}

function maxDecimals(a: Num, b: Num): number | null {
  const x = decimals(a);
  const y = decimals(b);
  return x === null || y === null ? null : Math.max(x, y);
}

export function minus(a: Num, b: Num): Num {
  if (isInt(a) && isInt(b)) return intOp(a, b, (x, y) => x - y, (x, y) => x - y);
  return roundTo(toFloat(a) - toFloat(b), maxDecimals(a, b));
}

export function mul(a: Num, b: Num): Num {
  if (isInt(a) && isInt(b)) return intOp(a, b, (x, y) => x * y, (x, y) => x * y);
  const x = decimals(a);
  const y = decimals(b);
  return roundTo(toFloat(a) * toFloat(b), x === null || y === null ? null : x + y);
}

function div(a: Num, b: Num): Num {
  if (b === 0 || b === 0n) throw new BuiltinError('divide by zero');
  if (isInt(a) && isInt(b)) {
    const x = toBig(a);
    const y = toBig(b);
    if (x % y === 0n) return normNumber(x / y);
  }
  return finite(nearShortDecimal(toFloat(a) / toFloat(b)));
}

function rem(a: Num, b: Num): Num {
  if (!isInt(a) || !isInt(b)) throw new BuiltinError('modulo on floating-point number');
  if (b === 0 || b === 0n) throw new BuiltinError('modulo by zero');
  return intOp(a, b, (x, y) => x % y, (x, y) => x % y);
}

register(
  {
    name: 'plus',
    infix: '+',
    args: ['number', 'number'],
    result: 'number',
    impl: ([a, b]) => plus(num(a, 1), num(b, 2)),
  },
  {
    name: 'minus',
    infix: '-',
    args: ['number|set<any>', 'number|set<any>'],
    result: 'number|set<any>',
    impl: ([a, b]) => {
      if (a instanceof RSet) {
        const other = asSet(b, 2);
        const out = new RSet();
        for (const x of a) if (!other.has(x)) out.add(x);
        return out;
      }
      if (isNumber(a)) return minus(a, num(b, 2));
      return operandError(1, 'number or set', a);
    },
  },
  { name: 'mul', infix: '*', args: ['number', 'number'], result: 'number', impl: ([a, b]) => mul(num(a, 1), num(b, 2)) },
  { name: 'div', infix: '/', args: ['number', 'number'], result: 'number', impl: ([a, b]) => div(num(a, 1), num(b, 2)) },
  { name: 'rem', infix: '%', args: ['number', 'number'], result: 'number', impl: ([a, b]) => rem(num(a, 1), num(b, 2)) },
  {
    name: 'and',
    infix: '&',
    args: ['set<any>', 'set<any>'],
    result: 'set<any>',
    impl: ([a, b]) => {
      const x = asSet(a, 1);
      const y = asSet(b, 2);
      const out = new RSet();
      for (const v of x) if (y.has(v)) out.add(v);
      return out;
    },
  },
  {
    name: 'or',
    infix: '|',
    args: ['set<any>', 'set<any>'],
    result: 'set<any>',
    impl: ([a, b]) => {
      const x = asSet(a, 1);
      const y = asSet(b, 2);
      const out = new RSet(x);
      for (const v of y) out.add(v);
      return out;
    },
  },
);
