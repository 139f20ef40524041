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
      if (Array.isArray(v)) return '[' + v.map((x) => (x === undefined ? 'null' : canonicalJSON(x))).join(',') + ']';
      const obj = v as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(obj).sort(compareCodePoints)) {
        const x = obj[k];
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        parts.push(JSON.stringify(k) + ':' + canonicalJSON(x));
      }
      return '{' + parts.join(',') + '}';
    }
  }
  throw new TypeError(`cannot encode ${typeof v} as JSON`);
}

// Sort by code point, not UTF-16 unit, so the order does not depend on the language's string model.
function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca - cb;
    if (ca > 0xffff) i++;
  }
  return a.length - b.length;
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
