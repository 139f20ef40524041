// A small bounded cache for values that are costly to derive from the same text again and again
// (parsed keys, built GraphQL schemas): policies pass the same JWKS or schema on every decision.

export class BoundedCache<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  /** The cached value for `key`, computing and remembering it on a miss (least recently used goes first). */
  get(key: string, compute: () => V): V {
    const hit = this.entries.get(key);
    if (hit !== undefined || this.entries.has(key)) {
      this.entries.delete(key);
      this.entries.set(key, hit as V);
      return hit as V;
    }
    const value = compute();
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    return value;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** Remembers failures too, so that a bad input is not re-parsed on every call. */
export type Outcome<V> = { ok: true; value: V } | { ok: false; error: Error };

export function outcome<V>(fn: () => V): Outcome<V> {
  try {
    return { ok: true, value: fn() };
  } catch (e) {
    if (e instanceof Error) return { ok: false, error: e };
    throw e;
  }
}

export function unwrap<V>(o: Outcome<V>): V {
  if (!o.ok) throw o.error;
  return o.value;
}
