// Array built-ins: array.concat, array.slice, array.reverse, array.flatten.

import { type Value } from '../eval/values';
import { register } from './registry';
import { asArray } from './operands';
import { intOperand } from './numbers';

register(
  {
    name: 'array.concat',
    args: ['array<any>', 'array<any>'],
    result: 'array<any>',
    impl: ([a, b]) => asArray(a, 1).concat(asArray(b, 2)),
  },
  {
    name: 'array.slice',
    args: ['array<any>', 'number', 'number'],
    result: 'array<any>',
    impl: ([a, start, stop]) => {
      const arr = asArray(a, 1);
      let from = intOperand(start, 2);
      let to = intOperand(stop, 3);
      // Clamped as OPA does: out-of-range bounds never fail, an inverted range is empty.
      to = Math.min(Math.max(to, 0), arr.length);
      from = Math.min(Math.max(from, 0), to);
      return arr.slice(from, to);
    },
  },
  {
    name: 'array.reverse',
    args: ['array<any>'],
    result: 'array<any>',
    impl: ([a]) => asArray(a, 1).slice().reverse(),
  },
  {
    name: 'array.flatten',
    args: ['array<any>'],
    result: 'array<any>',
    impl: ([a]) => {
      const out: Value[] = [];
      for (const x of asArray(a, 1)) {
        if (Array.isArray(x)) for (const y of x) out.push(y);
        else out.push(x);
      }
      return out;
    },
  },
);
