// Number built-ins: abs, round, ceil, floor, numbers.range, numbers.range_step, rand.intn.
// Also the exact arithmetic that sum/product share: OPA adds big integers exactly and floats in
// arbitrary precision, so 0.1 + 0.2 sums to 0.3 there, not to 0.30000000000000004.

import { randomInt } from 'node:crypto';
import { type Value, isNumber, keyOf, normNumber } from '../eval/values';
import { BuiltinError, BuiltinTypeError, operandError, register, type BuiltinContext } from './registry';
import { asNumber, asString } from './operands';

/** OPA's BigIntOperand: an integer of any size, with OPA's two distinct messages. */
export function bigIntOperand(v: Value, pos: number): bigint {
  if (!isNumber(v)) operandError(pos, 'integer', v);
  if (typeof v === 'bigint') return v;
  if (!Number.isInteger(v)) throw new BuiltinTypeError(`operand ${pos} must be integer number but got floating-point number`);
  return BigInt(v);
}

/** OPA's IntOperand: a number that must be an integer (machine-sized in OPA). */
export function intOperand(v: Value, pos: number): number {
  const n = asNumber(v, pos);
  if (typeof n === 'bigint') return Number(n);
  if (!Number.isInteger(n)) throw new BuiltinTypeError(`operand ${pos} must be integer number but got floating-point number`);
  return n;
}

const isIntegral = (n: number | bigint): boolean => typeof n === 'bigint' || Number.isSafeInteger(n);

// ---------------------------------------------------------------------------------------------
// Exact decimals: value = mant * 10^exp. Mantissas are capped at MAX_DIGITS significant digits,
// far beyond a double's 17, so the final rounding to a double is the correctly rounded result.

interface Decimal {
  mant: bigint;
  exp: number;
}

const MAX_DIGITS = 60;

function toDecimal(n: number | bigint): Decimal {
  if (typeof n === 'bigint') return { mant: n, exp: 0 };
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(n));
  if (!m) throw new BuiltinError(`cannot represent ${n} exactly`);
  const frac = m[3] ?? '';
  return { mant: BigInt(m[1] + m[2] + frac), exp: Number(m[4] ?? 0) - frac.length };
}

function trim(d: Decimal): Decimal {
  const digits = (d.mant < 0n ? -d.mant : d.mant).toString().length;
  if (digits <= MAX_DIGITS) return d;
  const drop = digits - MAX_DIGITS;
  return { mant: d.mant / 10n ** BigInt(drop), exp: d.exp + drop };
}

function addDecimal(a: Decimal, b: Decimal): Decimal {
  if (a.exp === b.exp) return trim({ mant: a.mant + b.mant, exp: a.exp });
  const [hi, lo] = a.exp > b.exp ? [a, b] : [b, a];
  return trim({ mant: hi.mant * 10n ** BigInt(hi.exp - lo.exp) + lo.mant, exp: lo.exp });
}

function decimalToNumber(d: Decimal): number {
  const n = Number(`${d.mant}e${d.exp}`);
  if (!Number.isFinite(n)) throw new BuiltinError('result is beyond the range of 64-bit floating-point numbers');
  return n === 0 ? 0 : n;
}

/** Sum as OPA computes it: exact for integers of any size, correctly rounded otherwise. */
export function exactSum(xs: Iterable<number | bigint>, ctx?: BuiltinContext): number | bigint {
  let small = 0;
  let big: bigint | null = null;
  let dec: Decimal | null = null;
  let i = 0;
  for (const x of xs) {
    if (ctx && (++i & 0x3ff) === 0) ctx.checkBudget();
    if (dec !== null) {
      dec = addDecimal(dec, toDecimal(x));
    } else if (!isIntegral(x)) {
      dec = addDecimal(big !== null ? { mant: big, exp: 0 } : toDecimal(small), toDecimal(x));
    } else if (big !== null) {
      big += BigInt(x);
    } else if (typeof x === 'number' && Number.isSafeInteger(small + x)) {
      small += x;
    } else {
      big = BigInt(small) + BigInt(x);
    }
  }
  if (dec !== null) return decimalToNumber(dec);
  return big !== null ? normNumber(big) : small;
}

/** Product as OPA computes it: exact for integers of any size, correctly rounded otherwise. */
export function exactProduct(xs: Iterable<number | bigint>, ctx?: BuiltinContext): number | bigint {
  let big = 1n;
  let dec: Decimal | null = null;
  let i = 0;
  for (const x of xs) {
    if (ctx && (++i & 0x3ff) === 0) ctx.checkBudget();
    if (dec === null && isIntegral(x)) {
      big *= BigInt(x);
      continue;
    }
    const d = toDecimal(x);
    dec = dec === null ? { mant: big, exp: 0 } : dec;
    dec = trim({ mant: dec.mant * d.mant, exp: dec.exp + d.exp });
  }
  return dec !== null ? decimalToNumber(dec) : normNumber(big);
}

// ---------------------------------------------------------------------------------------------

/** Ranges are materialised as arrays: refuse sizes that would exhaust memory rather than crash. */
const MAX_GENERATED_ELEMENTS = 10_000_000;

function generateRange(from: bigint, to: bigint, step: bigint, ctx: BuiltinContext): Value[] {
  const span = from <= to ? to - from : from - to;
  if (span / step + 1n > BigInt(MAX_GENERATED_ELEMENTS)) {
    throw new BuiltinError(`range would have more than ${MAX_GENERATED_ELEMENTS} elements`);
  }
  const out: Value[] = [];
  const down = from > to;
  if (from >= -9007199254740991n && to <= 9007199254740991n && to >= -9007199254740991n && from <= 9007199254740991n) {
    const [f, t, s] = [Number(from), Number(to), Number(step)];
    for (let i = f; down ? i >= t : i <= t; i = down ? i - s : i + s) {
      if ((out.length & 0xffff) === 0xffff) ctx.checkBudget();
      out.push(i);
    }
    return out;
  }
  for (let i = from; down ? i >= to : i <= to; i = down ? i - step : i + step) {
    if ((out.length & 0xffff) === 0xffff) ctx.checkBudget();
    out.push(normNumber(i));
  }
  return out;
}

function unaryRounding(name: string, f: (x: number) => number): void {
  register({
    name,
    args: ['number'],
    result: 'number',
    impl: ([x]) => {
      const n = asNumber(x, 1);
      if (typeof n === 'bigint') return n;
      const r = f(n);
      return r === 0 ? 0 : r;
    },
  });
}

register({
  name: 'abs',
  args: ['number'],
  result: 'number',
  impl: ([x]) => {
    const n = asNumber(x, 1);
    if (typeof n === 'bigint') return n < 0n ? -n : n;
    return Math.abs(n);
  },
});

// OPA rounds half away from zero.
unaryRounding('round', (x) => Math.sign(x) * Math.round(Math.abs(x)));
unaryRounding('ceil', Math.ceil);
unaryRounding('floor', Math.floor);

register(
  {
    name: 'numbers.range',
    args: ['number', 'number'],
    result: 'array<number>',
    impl: ([a, b], ctx) => generateRange(bigIntOperand(a, 1), bigIntOperand(b, 2), 1n, ctx),
  },
  {
    name: 'numbers.range_step',
    args: ['number', 'number', 'number'],
    result: 'array<number>',
    impl: ([a, b, s], ctx) => {
      const from = bigIntOperand(a, 1);
      const to = bigIntOperand(b, 2);
      const step = bigIntOperand(s, 3);
      if (step <= 0n) throw new BuiltinError('step must be a positive number above zero');
      return generateRange(from, to, step, ctx);
    },
  },
  {
    name: 'rand.intn',
    args: ['string', 'number'],
    result: 'number',
    nondeterministic: true,
    impl: ([str, n], ctx) => {
      asString(str, 1);
      let bound = intOperand(n, 2);
      if (bound === 0) return 0;
      if (bound < 0) bound = -bound;
      // Equal arguments give equal results within one evaluation, as in OPA.
      let memo = ctx.cache.get('rand.intn') as Map<string, number> | undefined;
      if (!memo) ctx.cache.set('rand.intn', (memo = new Map()));
      const key = keyOf([str, n]);
      let r = memo.get(key);
      if (r === undefined) {
        r = bound > 0xffffffffffff ? Math.floor(Math.random() * bound) : randomInt(bound);
        memo.set(key, r);
      }
      return r;
    },
  },
);
