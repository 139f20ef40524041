import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedCache, outcome, unwrap } from '../../../src/rego/builtins/lru';

test('BoundedCache computes once per key and evicts the least recently used', () => {
  const cache = new BoundedCache<number>(2);
  let computed = 0;
  const get = (k: string) => cache.get(k, () => ++computed);
  assert.equal(get('a'), 1);
  assert.equal(get('a'), 1);
  assert.equal(get('b'), 2);
  get('a'); // a is now the most recent
  assert.equal(get('c'), 3); // evicts b
  assert.equal(cache.size, 2);
  assert.equal(get('a'), 1);
  assert.equal(get('b'), 4, 'b was evicted and is computed again');
});

test('outcomes remember failures and rethrow them', () => {
  const cache = new BoundedCache<ReturnType<typeof outcome<number>>>(4);
  let calls = 0;
  const failing = () => unwrap(cache.get('k', () => outcome(() => { calls++; throw new Error('bad input'); })));
  assert.throws(failing, /bad input/);
  assert.throws(failing, /bad input/);
  assert.equal(calls, 1);
});
