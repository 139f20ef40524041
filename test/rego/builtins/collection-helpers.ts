// Direct calls into the built-in table for the collection and number families' unit tests.
import assert from 'node:assert/strict';
import '../../../src/rego/builtins';
import { lookupBuiltin, type BuiltinContext } from '../../../src/rego/builtins/registry';
import { RSet, type Value, fromJSON, toJSON } from '../../../src/rego/eval/values';

export function context(): BuiltinContext {
  return {
    nowNs: 0n,
    strict: true,
    cache: new Map(),
    env: {},
    print: () => undefined,
    checkBudget: () => undefined,
  };
}

export function call(name: string, ...args: Value[]): Value | undefined {
  const decl = lookupBuiltin(name);
  assert.ok(decl, `built-in ${name} is registered`);
  return decl.impl(args, context()) as Value | undefined;
}

/** JSON-shaped arguments in, JSON-shaped result out (sets become sorted arrays). */
export function callJSON(name: string, ...args: unknown[]): unknown {
  const out = call(name, ...args.map((a) => fromJSON(a)));
  return out === undefined ? undefined : toJSON(out);
}

export const set = (...xs: unknown[]): RSet => new RSet(xs.map((x) => fromJSON(x)));
export const v = (x: unknown): Value => fromJSON(x);

/** The call throws the given error class with exactly this message. */
export function assertError(kind: 'BuiltinTypeError' | 'BuiltinError', message: string, name: string, ...args: Value[]): void {
  assert.throws(
    () => call(name, ...args),
    (e: Error) => {
      assert.equal(e.name, kind);
      assert.equal(e.message, message);
      return true;
    },
  );
}
