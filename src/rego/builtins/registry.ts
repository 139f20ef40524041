// The one table of built-in functions. Each family file (strings.ts, regex.ts, time.ts, ...)
// declares its functions with `register(...)`; the compiler reads declarations (arity, types)
// and the evaluator calls implementations through one wrapper (see eval), which turns
// BuiltinTypeError into eval_type_error, any other throw into eval_builtin_error, and undefined
// arguments into an undefined result without calling the function.

import type { Value } from '../eval/values';
import { typeName } from '../eval/values';

/**
 * Types in a small notation, read by the type checker:
 *   any | null | boolean | number | string
 *   array<T> | set<T> | object<K, V>      (element types)
 *   A|B                                    (either)
 * e.g. 'array<string>|set<string>', 'object<string, any>'.
 */
export type TypeSpec = string;

export interface BuiltinContext {
  /** Fixed for one evaluation: time.now_ns() returns this. Nanoseconds since the epoch. */
  readonly nowNs: bigint;
  /** Built-in errors are fatal instead of making the call undefined. */
  readonly strict: boolean;
  /** Per-evaluation memo, e.g. for nondeterministic built-ins (keyed by the family). */
  readonly cache: Map<string, unknown>;
  /** Environment visible to opa.runtime(). */
  readonly env: Record<string, string>;
  /** Receives the output of print(). */
  print(message: string): void;
  /** Throws eval_cancel_error when the evaluation's deadline or step budget is exhausted. */
  checkBudget(): void;
}

export interface BuiltinDecl {
  name: string;
  /** Operator form, e.g. '+' for plus, '==' for equal. */
  infix?: string;
  args: TypeSpec[];
  /** Accepts any number of arguments past `args` (print). */
  variadic?: boolean;
  result: TypeSpec;
  /** Result differs between calls with equal arguments: memoised per evaluation. */
  nondeterministic?: boolean;
  /**
   * A relation yields zero or more results for one call (walk): `impl` returns an array of
   * results instead of one value.
   */
  relation?: boolean;
  /** Deprecated in OPA and absent from Rego v1 (OPA 1.x): only v0 modules may call it. */
  deprecated?: boolean;
  /** Returns the result, or undefined when the call has no result. */
  impl: (args: Value[], ctx: BuiltinContext) => Value | undefined | Value[];
}

const table = new Map<string, BuiltinDecl>();

export function register(...decls: BuiltinDecl[]): void {
  for (const d of decls) {
    if (table.has(d.name)) throw new Error(`built-in ${d.name} registered twice`);
    table.set(d.name, d);
  }
}

export function lookupBuiltin(name: string): BuiltinDecl | undefined {
  return table.get(name);
}

export function allBuiltins(): IterableIterator<BuiltinDecl> {
  return table.values();
}

/** An operand of the wrong type: becomes eval_type_error "<name>: operand N must be T but got U". */
export class BuiltinTypeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuiltinTypeError';
  }
}

/** Any other failure of a built-in: becomes eval_builtin_error "<name>: <message>". */
export class BuiltinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuiltinError';
  }
}

/** Throws the standard operand type error. `pos` is 1-based, as in OPA's messages. */
export function operandError(pos: number, expected: string, got: Value): never {
  throw new BuiltinTypeError(`operand ${pos} must be ${expected} but got ${typeName(got)}`);
}
