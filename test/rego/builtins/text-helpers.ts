// Calls built-ins directly through the registry, as the evaluator does, for the text and
// encoding families' unit tests.
import assert from 'node:assert/strict';
import '../../../src/rego/builtins';
import type { BuiltinContext } from '../../../src/rego/builtins/registry';
import { builtinContext, callBuiltin } from './builtin-call';
import { type Value, fromJSON, toJSON } from '../../../src/rego/eval/values';

export const newContext = (): BuiltinContext => builtinContext(1700000000000000000n);

export const call = (name: string, ...args: Value[]): Value | undefined => callBuiltin(name, args, newContext());

/** Calls with JSON-shaped arguments and returns JSON-shaped output. */
export function callJSON(name: string, ...args: unknown[]): unknown {
  const out = call(name, ...args.map((a) => fromJSON(a)));
  return out === undefined ? undefined : toJSON(out);
}

/** Asserts the call throws an error of the given class name whose message contains `text`. */
export function assertFails(kind: 'BuiltinTypeError' | 'BuiltinError', text: string, name: string, ...args: Value[]): void {
  assert.throws(
    () => call(name, ...args),
    (e: Error) => e.name === kind && e.message.includes(text),
    `${name} should fail with ${kind}: ${text}`,
  );
}
