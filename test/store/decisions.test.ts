import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyOutcome, newDecisionId, timestampMicros } from '../../src/store/decisions';
import { canonicalJSON, parseJSONExact } from '../../src/store/json';
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
    for (const bad of ['2026-01-01', '2026-01-01T00:00:00', 'yesterday', '2026-02-30T00:00:00Z x'])
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
});
