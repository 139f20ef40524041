// Object built-ins: object.get, object.keys, object.remove, object.filter, object.union,
// object.union_n, object.subset.

import { RObject, RSet, type Value, equals, typeName } from '../eval/values';
import { BuiltinTypeError, operandError, register } from './registry';
import { asArray, asObject } from './operands';

/** The key operand of object.remove/filter: the members of an array or set, or an object's keys. */
function keysOperand(v: Value, pos: number): RSet {
  if (Array.isArray(v)) return new RSet(v);
  if (v instanceof RSet) return v;
  if (v instanceof RObject) return new RSet(v.keys());
  operandError(pos, 'one of {object, set, array}', v);
}

/** object.filter (keep the named keys) and object.remove (drop them). */
function selectKeys(o: Value, k: Value, keep: boolean): RObject {
  const obj = asObject(o, 1);
  const keys = keysOperand(k, 2);
  const out = new RObject();
  for (const [key, v] of obj.entries()) if (keys.has(key) === keep) out.set(key, v);
  return out;
}

/** Follows a path of keys (objects), indices (arrays) and members (sets) as OPA's Value.Find. */
function find(v: Value, path: Value[]): Value | undefined {
  let cur: Value | undefined = v;
  for (const key of path) {
    if (cur instanceof RObject) cur = cur.get(key);
    else if (Array.isArray(cur)) cur = typeof key === 'number' && Number.isInteger(key) ? cur[key] : undefined;
    else if (cur instanceof RSet) cur = cur.has(key) ? key : undefined;
    else return undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** Right-biased deep merge: objects under the same key merge, anything else takes b's value. */
function mergeObjects(a: RObject, b: RObject): RObject {
  const out = a.clone();
  for (const [k, bv] of b.entries()) {
    const av = a.get(k);
    out.set(k, av instanceof RObject && bv instanceof RObject ? mergeObjects(av, bv) : bv);
  }
  return out;
}

function objectSubset(sup: RObject, sub: RObject): boolean {
  for (const [k, v] of sub.entries()) {
    const w = sup.get(k);
    if (w === undefined || !deepSubset(w, v)) return false;
  }
  return true;
}

/** Whether sub occurs in sup as a contiguous run of elements. */
function arraySubset(sup: Value[], sub: Value[]): boolean {
  if (sub.length === 0) return true;
  outer: for (let start = 0; start + sub.length <= sup.length; start++) {
    for (let i = 0; i < sub.length; i++) if (!equals(sup[start + i], sub[i])) continue outer;
    return true;
  }
  return false;
}

function deepSubset(sup: Value, sub: Value): boolean {
  if (sup instanceof RObject) return sub instanceof RObject && objectSubset(sup, sub);
  if (sup instanceof RSet) return sub instanceof RSet && [...sub].every((x) => sup.has(x));
  if (Array.isArray(sup)) {
    if (Array.isArray(sub)) return arraySubset(sup, sub);
    if (sub instanceof RSet) return [...sub].every((x) => sup.some((y) => equals(x, y)));
    return false;
  }
  return equals(sup, sub);
}

const isCollection = (v: Value): boolean => v instanceof RObject || v instanceof RSet || Array.isArray(v);

register(
  {
    name: 'object.get',
    args: ['object<any, any>', 'any', 'any'],
    result: 'any',
    impl: ([o, key, dflt]) => {
      const obj = asObject(o, 1);
      // A stored null is a value, not a miss: no `??` here.
      const found = Array.isArray(key) ? find(obj, key) : obj.get(key);
      return found === undefined ? dflt : found;
    },
  },
  {
    name: 'object.keys',
    args: ['object<any, any>'],
    result: 'set<any>',
    impl: ([o]) => new RSet(asObject(o, 1).keys()),
  },
  {
    name: 'object.remove',
    args: ['object<any, any>', 'array<any>|object<any, any>|set<any>'],
    result: 'any',
    impl: ([o, k]) => selectKeys(o, k, false),
  },
  {
    name: 'object.filter',
    args: ['object<any, any>', 'array<any>|object<any, any>|set<any>'],
    result: 'any',
    impl: ([o, k]) => selectKeys(o, k, true),
  },
  {
    name: 'object.union',
    args: ['object<any, any>', 'object<any, any>'],
    result: 'any',
    impl: ([a, b]) => mergeObjects(asObject(a, 1), asObject(b, 2)),
  },
  {
    name: 'object.union_n',
    args: ['array<object<any, any>>'],
    result: 'any',
    impl: ([a]) => {
      const arr = asArray(a, 1);
      // One builder for the top level, so n objects cost their total size, not n copies.
      const out = new RObject();
      for (const x of arr) {
        if (!(x instanceof RObject)) {
          throw new BuiltinTypeError(`operand 1 must be array of objects but got array containing ${typeName(x)}`);
        }
        for (const [k, xv] of x.entries()) {
          const ov = out.get(k);
          out.set(k, ov instanceof RObject && xv instanceof RObject ? mergeObjects(ov, xv) : xv);
        }
      }
      return out;
    },
  },
  {
    name: 'object.subset',
    args: ['array<any>|object<any, any>|set<any>', 'array<any>|object<any, any>|set<any>'],
    result: 'boolean',
    impl: ([sup, sub]) => {
      if (!isCollection(sup)) operandError(1, 'one of {object, set, array}', sup);
      if (!isCollection(sub)) operandError(2, 'one of {object, set, array}', sub);
      return deepSubset(sup, sub);
    },
  },
);
