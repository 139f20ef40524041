// What the built-in unit tests share: a full evaluation context, a call through the registry that
// first checks the built-in is registered, and the message of an expected BuiltinError. Loads no
// family itself: each test file imports the families it exercises.
import assert from 'node:assert/strict';
import { BuiltinError, lookupBuiltin, type BuiltinContext } from '../../../src/rego/builtins/registry';
import type { Value } from '../../../src/rego/eval/values';

export function builtinContext(nowNs = 0n): BuiltinContext {
  return {
    nowNs,
    strict: true,
    cache: new Map(),
    env: {},
    print: () => undefined,
    checkBudget: () => undefined,
  };
}

export function callBuiltin(name: string, args: Value[], ctx: BuiltinContext = builtinContext()): Value | undefined {
  const decl = lookupBuiltin(name);
  assert.ok(decl, `built-in ${name} is registered`);
  return decl.impl(args, ctx) as Value | undefined;
}

/** The message of the BuiltinError that `fn` throws; fails the test if it throws nothing or something else. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof BuiltinError, `expected a BuiltinError, got ${String(e)}`);
    return e.message;
  }
  assert.fail('expected an error');
}
