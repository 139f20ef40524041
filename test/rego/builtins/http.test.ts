import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../src/rego/builtins/http';
import { BuiltinError, BuiltinTypeError, type BuiltinContext, lookupBuiltin } from '../../../src/rego/builtins/registry';
import { type Value, fromJSON, toJSON } from '../../../src/rego/eval/values';

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

test('with raise_error: false the refusal is reported in the response, as OPA reports network errors', () => {
  const resp = toJSON(send({ method: 'GET', url: 'http://127.0.0.1:1/', raise_error: false }) as Value) as {
    status_code: number;
    error: { code: string; message: string };
  };
  assert.equal(resp.status_code, 0);
  assert.equal(resp.error.code, 'eval_http_send_network_error');
  assert.match(resp.error.message, /outbound network calls are disabled/);
});
