// Arithmetic operators (+ - * / %) and the set operators & and |. Integers stay exact: results
// beyond 2^53 are computed with bigint; other results are doubles rounded to 15 significant digits
// so that decimal inputs give decimal answers (0.1 + 0.2 == 0.3), as OPA's big-number math does.

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

function roundFloat(x: number): Num {
  if (!Number.isFinite(x)) throw new BuiltinError('arithmetic result is not a finite number');
  if (Number.isInteger(x)) return Number.isSafeInteger(x) ? x : normNumber(BigInt(x));
  return Number(x.toPrecision(15));
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
  return roundFloat(toFloat(a) + toFloat(b));
}

export function minus(a: Num, b: Num): Num {
  if (isInt(a) && isInt(b)) return intOp(a, b, (x, y) => x - y, (x, y) => x - y);
  return roundFloat(toFloat(a) - toFloat(b));
}

export function mul(a: Num, b: Num): Num {
  if (isInt(a) && isInt(b)) return intOp(a, b, (x, y) => x * y, (x, y) => x * y);
  return roundFloat(toFloat(a) * toFloat(b));
}

function div(a: Num, b: Num): Num {
  if (b === 0 || b === 0n) throw new BuiltinError('divide by zero');
  if (isInt(a) && isInt(b)) {
    const x = toBig(a);
    const y = toBig(b);
    if (x % y === 0n) return normNumber(x / y);
  }
  return roundFloat(toFloat(a) / toFloat(b));
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
