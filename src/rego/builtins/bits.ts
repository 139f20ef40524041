// Bitwise built-ins on integers of any size (two's complement semantics for negatives, as Go's
// big.Int and JS bigint both define them).

import { type Value, isNumber, normNumber } from '../eval/values';
import { BuiltinError, BuiltinTypeError, operandError, register } from './registry';
import { bigIntOperand } from './numbers';

/** Results wider than this are refused instead of exhausting memory (OPA has no limit). */
const MAX_RESULT_BITS = 1 << 20;

function shiftAmount(v: Value, pos: number): bigint {
  if (!isNumber(v)) operandError(pos, 'number', v);
  if (typeof v === 'number' && !Number.isInteger(v)) {
    throw new BuiltinTypeError(`operand ${pos} must be integer number but got floating-point number`);
  }
  const n = BigInt(v);
  if (n < 0n) throw new BuiltinTypeError(`operand ${pos} must be an unsigned integer number but got a negative integer`);
  return n;
}

function binary(name: string, f: (a: bigint, b: bigint) => bigint): void {
  register({
    name,
    args: ['number', 'number'],
    result: 'number',
    impl: ([a, b]) => normNumber(f(bigIntOperand(a, 1), bigIntOperand(b, 2))),
  });
}

binary('bits.and', (a, b) => a & b);
binary('bits.or', (a, b) => a | b);
binary('bits.xor', (a, b) => a ^ b);

register(
  {
    name: 'bits.negate',
    args: ['number'],
    result: 'number',
    impl: ([a]) => normNumber(~bigIntOperand(a, 1)),
  },
  {
    name: 'bits.lsh',
    args: ['number', 'number'],
    result: 'number',
    impl: ([a, b]) => {
      const x = bigIntOperand(a, 1);
      const s = shiftAmount(b, 2);
      if (x !== 0n && BigInt(x.toString(2).length) + s > BigInt(MAX_RESULT_BITS)) {
        throw new BuiltinError(`result would exceed ${MAX_RESULT_BITS} bits`);
      }
      return normNumber(x << s);
    },
  },
  {
    name: 'bits.rsh',
    args: ['number', 'number'],
    result: 'number',
    impl: ([a, b]) => {
      const x = bigIntOperand(a, 1);
      const s = shiftAmount(b, 2);
      const width = BigInt(x.toString(2).length);
      // Beyond the width, an arithmetic shift leaves only the sign.
      if (s >= width + 1n) return x < 0n ? -1 : 0;
      return normNumber(x >> s);
    },
  },
);
