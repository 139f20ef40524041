import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyOutcome, newDecisionId, timestampMicros } from '../../src/store/decisions';
import { canonicalJSON, canonicalJSONReference, parseJSONExact } from '../../src/store/json';
import { InvalidArgumentError } from '../../src/store/types';

describe('decision helpers', () => {
  it('classifies outcomes by the documented rule', () => {
    const cases: [unknown, unknown, string][] = [
      [true, undefined, 'allowed'],
      [false, undefined, 'denied'],
      [[], undefined, 'allowed'],
      [['image uses latest'], undefined, 'denied'],
      [{ allowed: true }, undefined, 'allowed'],
      [{ allowed: false }, undefined, 'denied'],
      [{ allow: false, reason: 'x' }, undefined, 'denied'],
      [{ deny: [] }, undefined, 'allowed'],
      [{ deny: ['x'] }, undefined, 'denied'],
      [{ violations: [{ msg: 'x' }] }, undefined, 'denied'],
      [{ apiVersion: 'admission.k8s.io/v1', response: { allowed: false } }, undefined, 'denied'],
      ['text', undefined, 'allowed'],
      [undefined, undefined, 'undefined'],
      [true, { code: 'eval_conflict_error' }, 'error'],
      [undefined, null, 'undefined'],
    ];
    for (const [result, error, want] of cases) assert.equal(classifyOutcome({ result, error }), want, JSON.stringify({ result, error }));
  });

  it('reads RFC 3339 timestamps to the microsecond in any offset', () => {
    assert.equal(timestampMicros('1970-01-01T00:00:01.000002999Z'), 1_000_002);
    assert.equal(timestampMicros('1970-01-01T01:00:00+01:00'), 0);
    assert.equal(timestampMicros('2026-01-01T00:00:00Z'), Date.parse('2026-01-01T00:00:00Z') * 1000);
    assert.equal(timestampMicros('2024-02-29T23:59:59Z'), Date.parse('2024-02-29T23:59:59Z') * 1000);
    const notOnTheCalendar = ['2026-02-29T00:00:00Z', '2026-02-30T00:00:00Z', '2026-04-31T12:00:00+02:00', '2026-01-01T24:00:00Z'];
    for (const bad of ['2026-01-01', '2026-01-01T00:00:00', 'yesterday', '2026-02-30T00:00:00Z x', ...notOnTheCalendar])
      assert.throws(() => timestampMicros(bad), InvalidArgumentError, bad);
  });

  it('makes time-ordered UUIDv7 ids', () => {
    const a = newDecisionId(1_700_000_000_000);
    const b = newDecisionId(1_700_000_000_001);
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(a < b);
    assert.equal(parseInt(a.replace(/-/g, '').slice(0, 12), 16), 1_700_000_000_000);
    assert.notEqual(newDecisionId(5), newDecisionId(5));
  });

  it('round-trips canonical JSON exactly, big integers and escapes included', () => {
    const v = { z: [1, -0.5, 1e21, null, 'a"\\\u0001'], a: { y: 12345678901234567890n, x: -9007199254740993n }, m: undefined };
    const text = canonicalJSON(v);
    assert.equal(text, '{"a":{"x":-9007199254740993,"y":12345678901234567890},"z":[1,-0.5,1e+21,null,"a\\"\\\\\\u0001"]}');
    assert.equal(canonicalJSON(parseJSONExact(text)), text);
    assert.throws(() => canonicalJSON({ n: NaN }), TypeError);
  });

  it('keeps a member named __proto__ when it sorts the members (JSON.parse makes it an ordinary member)', () => {
    const text = '{"b":1,"__proto__":{"z":[1]},"a":{"y":2,"__proto__":3}}';
    const want = '{"__proto__":{"z":[1]},"a":{"__proto__":3,"y":2},"b":1}';
    assert.equal(canonicalJSON(JSON.parse(text)), want);
    assert.equal(canonicalJSONReference(JSON.parse(text)), want);
  });

  it('prints the same text on its fast path as the reference encoder', () => {
    // A small deterministic generator: nested objects with unsorted, integer-like, empty and
    // non-ASCII keys, undefined members, bigints and floats.
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    // Every other value avoids bigints and integer-like keys, so the fast path prints it.
    const allKeys = ['b', 'a', '10', '9', '', 'é', 'Z', 'ab', '1', '\u{1F600}', 'zz'];
    const plainKeys = allKeys.filter((k) => !/^\d+$/.test(k));
    let plain = false;
    let keys = allKeys;
    const gen = (depth: number): unknown => {
      switch (depth > 3 ? rand(5) : rand(8)) {
        case 0: return rand(2) === 0;
        case 1: return rand(1000) - 500;
        case 2: return !plain && rand(7) === 0 ? 2n ** 70n : rand(1000) / 7;
        case 3: return keys[rand(keys.length)] + '"\n';
        case 4: return rand(9) === 0 ? undefined : null;
        case 5: return Array.from({ length: rand(4) }, () => gen(depth + 1));
        default: {
          const o: Record<string, unknown> = {};
          for (let i = rand(5); i > 0; i--) o[keys[rand(keys.length)]] = gen(depth + 1);
          return o;
        }
      }
    };
    for (let i = 0; i < 2000; i++) {
      plain = i % 2 === 0;
      keys = plain ? plainKeys : allKeys;
      const v = { record: gen(0), list: [gen(1), gen(1)] };
      assert.equal(canonicalJSON(v), canonicalJSONReference(v), JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)));
    }
  });
});
