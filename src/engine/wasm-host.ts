// Host built-ins for Wasm modules, answered from Arbiter's built-in registry. Loads every family,
// so it must not be imported on a worker thread: the re2 addon (regex family) is not
// worker-safe and aborts the process when loaded a second time. Workers forward calls here.

import '../rego/builtins/index';
import { BuiltinTypeError, lookupBuiltin } from '../rego/builtins/registry';
import { RegoError, type RegoErrorCode } from '../rego/errors';
import { parseJSON, stringifyJSON, toJSON, type Value } from '../rego/eval/values';
import type { BuiltinHost, EvalContext } from './wasm-runtime';

export const registryHost: BuiltinHost = {
  provides: (name) => lookupBuiltin(name) !== undefined,

  call(name: string, args: string[], ctx: EvalContext): string | undefined {
    const decl = lookupBuiltin(name);
    if (!decl) throw new RegoError('eval_builtin_error', `${name}: built-in function not provided by Arbiter`);
    ctx.checkBudget();
    let out: Value | Value[] | undefined;
    try {
      out = decl.impl(args.map(parseJSON), ctx);
    } catch (e) {
      if (e instanceof RegoError) throw e;
      const code: RegoErrorCode = e instanceof BuiltinTypeError ? 'eval_type_error' : 'eval_builtin_error';
      const err = new RegoError(code, `${name}: ${(e as Error).message}`);
      if (ctx.strict) throw err;
      return undefined; // as OPA does with built-in errors outside strict mode
    }
    if (out === undefined) return undefined;
    if (decl.relation) throw new RegoError('eval_builtin_error', `${name}: relations cannot be called from Wasm`);
    return stringifyJSON(toJSON(out as Value));
  },
};
