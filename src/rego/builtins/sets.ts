// Set built-ins that are functions rather than operators: union, intersection, and the
// deprecated set_diff. (The operators |, & and - belong to the evaluator.)

import { RSet, type Value, typeName } from '../eval/values';
import { BuiltinTypeError, register } from './registry';
import { asSet } from './operands';

function setOfSets(v: Value): RSet[] {
  const outer = asSet(v, 1);
  const sets: RSet[] = [];
  for (const x of outer) {
    if (!(x instanceof RSet)) throw new BuiltinTypeError(`operand 1 must be set of sets but got set containing ${typeName(x)}`);
    sets.push(x);
  }
  return sets;
}

register(
  {
    name: 'union',
    args: ['set<set<any>>'],
    result: 'set<any>',
    impl: ([v]) => {
      const out = new RSet();
      for (const s of setOfSets(v)) for (const x of s) out.add(x);
      return out;
    },
  },
  {
    name: 'intersection',
    args: ['set<set<any>>'],
    result: 'set<any>',
    impl: ([v]) => {
      const sets = setOfSets(v);
      if (sets.length === 0) return new RSet();
      sets.sort((a, b) => a.size - b.size);
      const out = new RSet();
      for (const x of sets[0]) if (sets.every((s) => s.has(x))) out.add(x);
      return out;
    },
  },
  {
    name: 'set_diff',
    args: ['set<any>', 'set<any>'],
    result: 'set<any>',
    deprecated: true,
    impl: ([a, b]) => {
      const left = asSet(a, 1);
      const right = asSet(b, 2);
      const out = new RSet();
      for (const x of left) if (!right.has(x)) out.add(x);
      return out;
    },
  },
);
