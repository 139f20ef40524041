// Built-ins behind syntax (`x in xs`, `k, v in xs`), print and the runtime information call.

import { RObject, RSet, equals, type Value } from '../eval/values';
import { register } from './registry';

function member(x: Value, coll: Value): boolean {
  if (Array.isArray(coll)) return coll.some((v) => equals(v, x));
  if (coll instanceof RSet) return coll.has(x);
  if (coll instanceof RObject) {
    for (const [, v] of coll.entries()) if (equals(v, x)) return true;
  }
  return false;
}

function memberKV(k: Value, v: Value, coll: Value): boolean {
  if (Array.isArray(coll)) {
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k >= coll.length) return false;
    return equals(coll[k], v);
  }
  if (coll instanceof RObject) {
    const x = coll.get(k);
    return x !== undefined && equals(x, v);
  }
  if (coll instanceof RSet) return equals(k, v) && coll.has(v);
  return false;
}

register(
  { name: 'internal.member_2', args: ['any', 'any'], result: 'boolean', impl: ([x, coll]) => member(x, coll) },
  { name: 'internal.member_3', args: ['any', 'any', 'any'], result: 'boolean', impl: ([k, v, coll]) => memberKV(k, v, coll) },
  // print's arguments are evaluated by the evaluator itself (undefined prints as <undefined>).
  { name: 'print', args: [], variadic: true, result: 'boolean', impl: () => true },
  { name: 'internal.print', args: ['array<set<any>>'], result: 'boolean', impl: () => true },
  {
    name: 'trace',
    args: ['string'],
    result: 'boolean',
    impl: () => true,
  },
  {
    name: 'opa.runtime',
    args: [],
    result: 'object<string, any>',
    nondeterministic: true,
    impl: (_args, ctx) => {
      // Without runtime information (no environment given), OPA returns an empty object.
      if (Object.keys(ctx.env).length === 0) return new RObject();
      const env = new RObject();
      for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined) env.set(k, v);
      return RObject.fromEntries([
        ['env', env],
        ['version', '0.61.0'],
        ['commit', ''],
      ]);
    },
  },
);
