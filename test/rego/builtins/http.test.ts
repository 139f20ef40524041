import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../src/rego/builtins/http';
import { BuiltinError, BuiltinTypeError, type BuiltinContext, lookupBuiltin } from '../../../src/rego/builtins/registry';
import { fromJSON } from '../../../src/rego/eval/values';

const send = (req: unknown): unknown => lookupBuiltin('http.send')!.impl([fromJSON(req)], {} as BuiltinContext);

test('http.send refuses a well-formed request: no outbound network calls', () => {
  assert.throws(() => send({ method: 'GET', url: 'http://127.0.0.1:1/' }), (e: unknown) => {
    assert.ok(e instanceof BuiltinError);
    assert.match(e.message, /outbound network calls are disabled/);
    return true;
  });
});

test('http.send checks request parameters first, with OPA type errors', () => {
  assert.throws(() => send({ method: 'get' }), (e: unknown) => {
    assert.ok(e instanceof BuiltinTypeError);
    assert.equal(e.message, 'missing required request parameters(s): {"url"}');
    return true;
  });
  assert.throws(() => send({ method: 'get', url: 'x', bogus: 1, alpha: 2 }), (e: unknown) => {
    assert.ok(e instanceof BuiltinTypeError);
    assert.equal(e.message, 'invalid request parameters(s): {"alpha", "bogus"}');
    return true;
  });
  assert.throws(() => send('not an object'), BuiltinTypeError);
});
