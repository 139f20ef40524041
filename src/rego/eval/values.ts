// Rego values at run time.
//
// Representation (chosen so that JSON-shaped data costs little to carry around):
//   null, boolean, string  -> the JS primitive
//   number                 -> a JS number (integers within ±2^53 and floats), or a JS bigint for
//                             integers beyond Number.MAX_SAFE_INTEGER (see normNumber)
//   array                  -> a JS Array of Values (never mutated once built)
//   object                 -> RObject (keys may be any Value; string keys are the fast path)
//   set                    -> RSet
//   undefined              -> JS `undefined` (never stored inside a composite)
//
// Composite values are immutable once they are handed to the evaluator, so one `data` document
// can serve every request without copying. Builders (`new RObject()`, `set`, `add`) are used only
// while a value is being constructed.

import { setMember } from '../../json-member';

export type Value = null | boolean | number | bigint | string | Value[] | RObject | RSet;

/** The order of types in Rego's total order of values (as OPA's ast.Compare). */
export const enum TypeRank {
  Null = 0,
  Boolean = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
  Set = 6,
}

export function typeRank(v: Value): TypeRank {
  switch (typeof v) {
    case 'boolean':
      return TypeRank.Boolean;
    case 'number':
    case 'bigint':
      return TypeRank.Number;
    case 'string':
      return TypeRank.String;
    case 'object':
      if (v === null) return TypeRank.Null;
      if (Array.isArray(v)) return TypeRank.Array;
      return v instanceof RSet ? TypeRank.Set : TypeRank.Object;
  }
  throw new Error(`not a Rego value: ${String(v)}`);
}

/** Rego's type names as `type_name` reports them and as error messages use them. */
export function typeName(v: Value): string {
  return ['null', 'boolean', 'number', 'string', 'array', 'object', 'set'][typeRank(v)];
}

export const isNumber = (v: Value): v is number | bigint => typeof v === 'number' || typeof v === 'bigint';
export const isObject = (v: Value): v is RObject => v instanceof RObject;
export const isSet = (v: Value): v is RSet => v instanceof RSet;
export const isArray = (v: Value): v is Value[] => Array.isArray(v);

/** Keeps integers that fit a double as numbers, so only huge integers pay for bigint. */
export function normNumber(n: number | bigint): number | bigint {
  if (typeof n === 'bigint' && n >= -9007199254740991n && n <= 9007199254740991n) return Number(n);
  return n;
}

// ---------------------------------------------------------------------------------------------
// Structural keys: every value maps to a string that is equal for equal values. RObject and RSet
// use it to index their members. Strings map to themselves unless they start with \u0001, which is
// reserved as the prefix of every non-string key, so ordinary object lookups need no allocation.

const KEY_PREFIX = '\u0001';

export function keyOf(v: Value): string {
  if (typeof v === 'string') return v.length > 0 && v.charCodeAt(0) === 1 ? KEY_PREFIX + 's' + v : v;
  return KEY_PREFIX + structuralKey(v);
}

function structuralKey(v: Value): string {
  switch (typeof v) {
    case 'boolean':
      return v ? 't' : 'f';
    case 'number':
      return 'n' + numberKey(v);
    case 'bigint':
      return 'n' + v.toString();
    case 'string':
      return 's' + JSON.stringify(v);
    case 'object':
      if (v === null) return 'z';
      if (Array.isArray(v)) return '[' + v.map(structuralKey).join(',') + ']';
      if (v instanceof RSet) return '<' + v.sorted().map(structuralKey).join(',') + '>';
      return '{' + v.sortedEntries().map(([k, x]) => structuralKey(k) + ':' + structuralKey(x)).join(',') + '}';
  }
  throw new Error('not a Rego value');
}

function numberKey(n: number): string {
  // 1 and 1.0 are the same Rego number; integers print without exponent up to 2^53.
  return Number.isInteger(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER ? n.toFixed(0) : String(n);
}

// ---------------------------------------------------------------------------------------------
// Objects

export class RObject {
  /** map key (see keyOf) -> value */
  private readonly vals = new Map<string, Value>();
  /** map key -> original key, only for keys that are not plain strings */
  private otherKeys: Map<string, Value> | null = null;
  private sortedCache: [Value, Value][] | null = null;

  static fromEntries(entries: Iterable<[Value, Value]>): RObject {
    const o = new RObject();
    for (const [k, v] of entries) o.set(k, v);
    return o;
  }

  get size(): number {
    return this.vals.size;
  }

  get(key: Value): Value | undefined {
    return this.vals.get(typeof key === 'string' ? keyOf(key) : keyOf(key));
  }

  /** Fast path for the common case of a string key. */
  getStr(key: string): Value | undefined {
    return this.vals.get(key.length > 0 && key.charCodeAt(0) === 1 ? KEY_PREFIX + 's' + key : key);
  }

  has(key: Value): boolean {
    return this.vals.has(keyOf(key));
  }

  /** Builder only: adds or replaces a member. */
  set(key: Value, value: Value): this {
    const k = keyOf(key);
    if (typeof key !== 'string' || k !== key) {
      if (this.otherKeys === null) this.otherKeys = new Map();
      this.otherKeys.set(k, key);
    }
    this.vals.set(k, value);
    this.sortedCache = null;
    return this;
  }

  /** Builder only: the fast path of `set` for a string key. */
  setStr(key: string, value: Value): this {
    if (key.length > 0 && key.charCodeAt(0) === 1) return this.set(key, value);
    this.vals.set(key, value);
    if (this.sortedCache !== null) this.sortedCache = null;
    return this;
  }

  /** Builder only. */
  delete(key: Value): boolean {
    const k = keyOf(key);
    this.otherKeys?.delete(k);
    this.sortedCache = null;
    return this.vals.delete(k);
  }

  private decodeKey(k: string): Value {
    if (k.length > 0 && k.charCodeAt(0) === 1) return this.otherKeys!.get(k)!;
    return k;
  }

  /** Members in insertion order; cheapest when the order does not matter. */
  *entries(): IterableIterator<[Value, Value]> {
    for (const [k, v] of this.vals) yield [this.decodeKey(k), v];
  }

  forEach(fn: (value: Value, key: Value) => void): void {
    for (const [k, v] of this.vals) fn(v, this.decodeKey(k));
  }

  keys(): Value[] {
    return this.sortedEntries().map((e) => e[0]);
  }

  values(): Value[] {
    return this.sortedEntries().map((e) => e[1]);
  }

  /** Members sorted by key in Rego's order: the order of iteration and of output. Cached. */
  sortedEntries(): [Value, Value][] {
    if (this.sortedCache === null) {
      const out: [Value, Value][] = [];
      for (const [k, v] of this.vals) out.push([this.decodeKey(k), v]);
      if (this.otherKeys === null) out.sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : (a[0] as string) > (b[0] as string) ? 1 : 0));
      else out.sort((a, b) => compare(a[0], b[0]));
      this.sortedCache = out;
    }
    return this.sortedCache;
  }

  /** A shallow copy that may be modified with set/delete. */
  clone(): RObject {
    const o = new RObject();
    for (const [k, v] of this.vals) o.vals.set(k, v);
    if (this.otherKeys) o.otherKeys = new Map(this.otherKeys);
    return o;
  }
}

// ---------------------------------------------------------------------------------------------
// Sets

export class RSet {
  private readonly members = new Map<string, Value>();
  private sortedCache: Value[] | null = null;

  constructor(items?: Iterable<Value>) {
    if (items) for (const v of items) this.add(v);
  }

  get size(): number {
    return this.members.size;
  }

  has(v: Value): boolean {
    return this.members.has(keyOf(v));
  }

  /** Builder only. Returns true if the value was new. */
  add(v: Value): boolean {
    const k = keyOf(v);
    if (this.members.has(k)) return false;
    this.members.set(k, v);
    this.sortedCache = null;
    return true;
  }

  /** Builder only. */
  delete(v: Value): boolean {
    this.sortedCache = null;
    return this.members.delete(keyOf(v));
  }

  /** Members in insertion order. */
  values(): IterableIterator<Value> {
    return this.members.values();
  }

  [Symbol.iterator](): IterableIterator<Value> {
    return this.members.values();
  }

  /** Members in Rego's order: the order of iteration and of output. Cached. */
  sorted(): Value[] {
    if (this.sortedCache === null) this.sortedCache = [...this.members.values()].sort(compare);
    return this.sortedCache;
  }
}

// ---------------------------------------------------------------------------------------------
// Equality and order

export function equals(a: Value, b: Value): boolean {
  if (a === b) return true;
  const ta = typeof a;
  const tb = typeof b;
  if (ta === 'number' || ta === 'bigint') {
    if (tb !== 'number' && tb !== 'bigint') return false;
    return compareNumbers(a as number | bigint, b as number | bigint) === 0;
  }
  if (ta !== 'object' || tb !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!equals(a[i], b[i])) return false;
    return true;
  }
  if (a instanceof RSet) {
    if (!(b instanceof RSet) || a.size !== b.size) return false;
    for (const v of a.values()) if (!b.has(v)) return false;
    return true;
  }
  if (a instanceof RObject) {
    if (!(b instanceof RObject) || a.size !== b.size) return false;
    for (const [k, v] of a.entries()) {
      const w = b.get(k);
      if (w === undefined || !equals(v, w)) return false;
    }
    return true;
  }
  return false;
}

export function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  // Mixed: a bigint is always an integer beyond 2^53, so compare through bigint when the
  // number is an integer, and through doubles otherwise.
  const n = typeof a === 'number' ? a : (b as number);
  const big = typeof a === 'bigint' ? a : (b as bigint);
  let c: number;
  if (!Number.isFinite(n)) c = n > 0 ? 1 : -1;
  else if (Number.isInteger(n)) c = BigInt(n) < big ? -1 : BigInt(n) > big ? 1 : 0;
  else c = n < Number(big) ? -1 : 1;
  return typeof a === 'number' ? c : -c;
}

/** Rego's total order of values: null < booleans < numbers < strings < arrays < objects < sets. */
export function compare(a: Value, b: Value): number {
  if (a === b) return 0;
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case TypeRank.Null:
      return 0;
    case TypeRank.Boolean:
      return a === b ? 0 : a ? 1 : -1;
    case TypeRank.Number:
      return compareNumbers(a as number | bigint, b as number | bigint);
    case TypeRank.String:
      return compareStrings(a as string, b as string);
    case TypeRank.Array:
      return compareSequences(a as Value[], b as Value[]);
    case TypeRank.Object:
      return compareObjects(a as RObject, b as RObject);
    case TypeRank.Set:
      return compareSequences((a as RSet).sorted(), (b as RSet).sorted());
  }
}

/**
 * Strings compare by code point (Go compares UTF-8 bytes, which orders the same way). JS `<`
 * compares UTF-16 code units, which differs only for characters above U+FFFF against U+E000-U+FFFF.
 */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareSequences(a: Value[], b: Value[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compare(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length - b.length < 0 ? -1 : a.length > b.length ? 1 : 0;
}

function compareObjects(a: RObject, b: RObject): number {
  const ea = a.sortedEntries();
  const eb = b.sortedEntries();
  const n = Math.min(ea.length, eb.length);
  for (let i = 0; i < n; i++) {
    const c = compare(ea[i][0], eb[i][0]);
    if (c !== 0) return c;
    const d = compare(ea[i][1], eb[i][1]);
    if (d !== 0) return d;
  }
  return ea.length < eb.length ? -1 : ea.length > eb.length ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Conversion from and to JSON-shaped JS data

/**
 * Converts parsed JSON (or YAML) to a Value. Plain objects become RObjects, arrays are copied.
 * Non-JSON inputs (functions, symbols, undefined members) are rejected with an Error.
 */
export function fromJSON(x: unknown): Value {
  try {
    return convertJSON(x, 0);
  } catch (e) {
    if (e instanceof RangeError) throw new Error(`cannot convert a value nested more than ${MAX_JSON_DEPTH} levels deep`);
    throw e;
  }
}

const MAX_JSON_DEPTH = 2000;

function convertJSON(x: unknown, depth: number): Value {
  if (depth > MAX_JSON_DEPTH) throw new RangeError('too deep');
  switch (typeof x) {
    case 'string':
    case 'boolean':
      return x;
    case 'number':
      if (!Number.isFinite(x)) throw new Error(`cannot convert non-finite number ${x} to a Rego value`);
      return x;
    case 'bigint':
      return normNumber(x);
    case 'object': {
      if (x === null) return null;
      if (Array.isArray(x)) {
        const out = new Array<Value>(x.length);
        for (let i = 0; i < x.length; i++) out[i] = convertJSON(x[i], depth + 1);
        return out;
      }
      if (x instanceof RObject || x instanceof RSet) return x;
      const o = new RObject();
      for (const k in x as Record<string, unknown>) {
        const v = (x as Record<string, unknown>)[k];
        if (v !== undefined) o.setStr(k, convertJSON(v, depth + 1));
      }
      return o;
    }
  }
  throw new Error(`cannot convert ${typeof x} to a Rego value`);
}

/**
 * Converts a Value to JSON-shaped JS data, as OPA serialises results: sets become arrays in Rego
 * order, object members are emitted in key order, non-string object keys are rendered as their
 * JSON text. Integers beyond 2^53 stay bigint: use `stringifyJSON` to print them exactly.
 */
export function toJSON(v: Value): unknown {
  switch (typeof v) {
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) return v.map(toJSON);
      if (v instanceof RSet) return v.sorted().map(toJSON);
      const out: Record<string, unknown> = {};
      for (const [k, x] of v.sortedEntries()) setMember(out, typeof k === 'string' ? k : stringifyJSON(k), toJSON(x));
      return out;
    }
    default:
      return v;
  }
}

/** Compact JSON text of a Value (or of toJSON output), printing bigints exactly. */
export function stringifyJSON(v: unknown, indent?: number): string {
  if (v instanceof RObject || v instanceof RSet || Array.isArray(v)) v = toJSON(v as Value);
  if (!containsBigint(v)) return JSON.stringify(v, null, indent);
  // Mark bigints, then strip the quotes around the marks.
  const text = JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `\u0002${x.toString()}\u0002` : x), indent);
  // JSON.stringify escapes the mark as the six characters \u0002.
  return text.replace(/"\\u0002(-?\d+)\\u0002"/g, '$1');
}

function containsBigint(v: unknown): boolean {
  if (typeof v === 'bigint') return true;
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(containsBigint);
  for (const k in v as Record<string, unknown>) if (containsBigint((v as Record<string, unknown>)[k])) return true;
  return false;
}

/** Parses JSON text to a Value, keeping integers beyond 2^53 exact. */
export function parseJSON(text: string): Value {
  // Fast path: no long digit runs means no precision to lose.
  if (!/\d{16,}/.test(text)) return fromJSON(JSON.parse(text));
  return fromJSON(parseJSONExact(text));
}

/** JSON.parse that keeps big integers as bigint (a string scan marks them first). */
function parseJSONExact(text: string): unknown {
  const marked = text.replace(/("(?:[^"\\]|\\.)*")|(-?\d{16,})(?![\d.eE])/g, (m, str, big) =>
    str !== undefined ? str : `"\\u0002${big}"`,
  );
  return JSON.parse(marked, (_k, x) =>
    typeof x === 'string' && x.charCodeAt(0) === 2 ? normNumber(BigInt(x.slice(1))) : x,
  );
}
