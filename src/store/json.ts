// JSON text for the audit log. Records may hold integers beyond 2^53 as bigint (the Rego value
// model keeps them exact), so both directions keep them exact, and the canonical form (sorted keys,
// no whitespace, undefined members dropped) is what the hash chain is computed over.

export function canonicalJSON(v: unknown): string {
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
          out += x === undefined || typeof x === 'function' || typeof x === 'symbol' ? 'null' : canonicalJSON(x);
        }
        return out + ']';
      }
      const obj = v as Record<string, unknown>;
      // Keys in UTF-16 code unit order (JavaScript's default sort).
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const x = obj[k];
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        if (!first) out += ',';
        first = false;
        out += JSON.stringify(k) + ':' + canonicalJSON(x);
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
