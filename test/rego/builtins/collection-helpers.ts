// Direct calls into the built-in table for the collection and number families' unit tests.
import assert from 'node:assert/strict';
import '../../../src/rego/builtins';
import type { BuiltinContext } from '../../../src/rego/builtins/registry';
import { builtinContext, callBuiltin } from './builtin-call';
import { RSet, type Value, fromJSON, toJSON } from '../../../src/rego/eval/values';

export const context = (): BuiltinContext => builtinContext();

export const call = (name: string, ...args: Value[]): Value | undefined => callBuiltin(name, args);

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
