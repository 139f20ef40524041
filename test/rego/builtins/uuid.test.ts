import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../src/rego/builtins';
import { lookupBuiltin } from '../../../src/rego/builtins/registry';
import { call, callJSON, newContext } from './text-helpers';

test('uuid.rfc4122 returns a v4 UUID, stable per key within one evaluation', () => {
  const impl = lookupBuiltin('uuid.rfc4122')!;
  assert.equal(impl.nondeterministic, true);
  const ctx = newContext();
  const a = impl.impl(['key'], ctx) as string;
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(impl.impl(['key'], ctx), a);
  assert.notEqual(impl.impl(['other'], ctx), a);
  assert.notEqual(impl.impl(['key'], newContext()), a);
});

test('uuid.parse reports version and variant, and time fields for v1/v2', () => {
  assert.deepEqual(callJSON('uuid.parse', '00000000-0000-4000-8000-000000000000'), { variant: 'RFC4122', version: 4 });
  const v2 = {
    clocksequence: 12800, domain: 'Person', id: 1000, macvariables: 'local:unicast', nodeid: '32-50-96-b3-9f-47',
    time: 1693566990121469600n, variant: 'RFC4122', version: 2,
  };
  assert.deepEqual(callJSON('uuid.parse', '000003e8-48b9-21ee-b200-325096b39f47'), v2);
  assert.deepEqual(callJSON('uuid.parse', 'URN:UUID:000003e8-48b9-21ee-b200-325096b39f47'), v2);
  assert.deepEqual(callJSON('uuid.parse', '{00000000-0000-4000-8000-000000000000}'), { variant: 'RFC4122', version: 4 });
  assert.deepEqual(callJSON('uuid.parse', '38074da40b00388d9c3c362de965547a'), { variant: 'RFC4122', version: 3 });
  assert.deepEqual(callJSON('uuid.parse', '00000000-0000-4000-c000-000000000000'), { variant: 'Microsoft', version: 4 });
  assert.equal(call('uuid.parse', '123'), undefined);
  assert.equal(call('uuid.parse', '00000000-0000-4000-8000_000000000000'), undefined);
});
