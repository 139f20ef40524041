// JSON text for the audit log. Records may hold integers beyond 2^53 as bigint (the Rego value
// model keeps them exact), so both directions keep them exact, and the canonical form (sorted keys,
// no whitespace, undefined members dropped) is what the hash chain is computed over.

export function canonicalJSON(v: unknown): string {
  let prepared: unknown;
  try {
    prepared = sortedView(v);
  } catch (e) {
    if (e === NEEDS_SLOW_PATH) return canonicalSlow(v);
    throw e;
  }
  return JSON.stringify(prepared);
}

// Thrown by sortedView for what native JSON.stringify cannot print canonically: bigints, and
// objects whose integer-like keys JavaScript would reorder ahead of the others.
const NEEDS_SLOW_PATH = Symbol('canonical JSON needs the slow path');
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;

/**
 * v itself when it is already canonical (sorted keys, nothing to drop), otherwise a copy with
 * sorted keys that shares every subtree that is. Values from the Rego engine's toJSON are sorted
 * already, so the usual cost is one walk plus one native JSON.stringify.
 */
function sortedView(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) {
    if (typeof v === 'bigint') throw NEEDS_SLOW_PATH;
    if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError(`cannot encode non-finite number ${v} as JSON`);
    return v;
  }
  if (Array.isArray(v)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const y = x === undefined || typeof x === 'function' || typeof x === 'symbol' ? null : sortedView(x);
      if (y !== x && !copy) copy = v.slice(0, i);
      if (copy) copy.push(y);
    }
    return copy ?? v;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1] > keys[i]) {
      sorted = false;
      break;
    }
  }
  if (!sorted && keys.some((k) => INDEX_KEY.test(k))) throw NEEDS_SLOW_PATH;
  const order = sorted ? keys : keys.sort();
  let copy: Record<string, unknown> | undefined = sorted ? undefined : memberCopy();
  for (let i = 0; i < order.length; i++) {
    const k = order[i];
    const x = o[k];
    const y = x === undefined || typeof x === 'function' || typeof x === 'symbol' ? undefined : sortedView(x);
    if (!copy && y !== x) {
      copy = memberCopy();
      for (let j = 0; j < i; j++) copy[order[j]] = o[order[j]];
    }
    if (copy && y !== undefined) copy[k] = y;
  }
  return copy ?? o;
}

/**
 * An object for copied members. Without a prototype, a member named "__proto__" (which JSON.parse
 * makes an ordinary member) is stored as one instead of replacing the prototype and vanishing.
 */
function memberCopy(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

function canonicalSlow(v: unknown): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`cannot encode non-finite number ${v} as JSON`);
      return JSON.stringify(v);
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) out += ',';
          const x = v[i];
          out += x === undefined || typeof x === 'function' || typeof x === 'symbol' ? 'null' : canonicalSlow(x);
        }
        return out + ']';
      }
      const obj = v as Record<string, unknown>;
      // Keys in UTF-16 code unit order (JavaScript's default sort), as in sortedView.
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const x = obj[k];
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        if (!first) out += ',';
        first = false;
        out += JSON.stringify(k) + ':' + canonicalSlow(x);
      }
      return out + '}';
    }
  }
  throw new TypeError(`cannot encode ${typeof v} as JSON`);
}

const LONG_INTEGER = /("(?:[^"\\]|\\.)*")|(-?\d{16,})(?![\d.eE])/g;

// Long integers are first turned into strings starting with this marker. JSON text cannot hold raw
// control characters, so a real string can only start with it if the text spells the escapes out.
const MARK = '\u0001\u0002';
const MARK_ESCAPED = '\\u0001\\u0002';

/** JSON.parse that returns integers beyond 2^53 as bigint instead of rounding them. */
export function parseJSONExact(text: string): unknown {
  if (!/\d{16,}/.test(text)) return JSON.parse(text);
  // Pathological input that spells the marker out: parse it plainly (long integers get rounded).
  if (text.includes(MARK_ESCAPED)) return JSON.parse(text);
  const marked = text.replace(LONG_INTEGER, (_m, quoted: string | undefined, digits: string | undefined) =>
    quoted !== undefined ? quoted : `"${MARK_ESCAPED}${digits}"`,
  );
  return JSON.parse(marked, (_k, x) => {
    if (typeof x !== 'string' || !x.startsWith(MARK)) return x;
    const big = BigInt(x.slice(MARK.length));
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  });
}

/** The reference encoder, exported for tests that check the fast path against it. */
export const canonicalJSONReference = canonicalSlow;
