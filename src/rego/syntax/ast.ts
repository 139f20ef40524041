// The syntax tree of Rego modules and queries, as the parser produces it. Every node keeps the
// location of its first token so that compile and evaluation errors can point at the source.

import type { Location } from '../errors';

export type Loc = Location;

export type Term =
  | { type: 'null'; loc: Loc }
  | { type: 'boolean'; value: boolean; loc: Loc }
  | { type: 'number'; value: number | bigint; loc: Loc }
  | { type: 'string'; value: string; loc: Loc }
  | { type: 'var'; name: string; loc: Loc; /** names a built-in operator (infix form) */ op?: boolean }
  | { type: 'ref'; head: Term; path: Term[]; loc: Loc }
  | { type: 'array'; items: Term[]; loc: Loc }
  | { type: 'set'; items: Term[]; loc: Loc }
  | { type: 'object'; items: [Term, Term][]; loc: Loc }
  | { type: 'arraycomp'; term: Term; body: Literal[]; loc: Loc }
  | { type: 'setcomp'; term: Term; body: Literal[]; loc: Loc }
  | { type: 'objectcomp'; key: Term; value: Term; body: Literal[]; loc: Loc }
  | { type: 'call'; fn: Term; args: Term[]; loc: Loc }
  | { type: 'template'; parts: (string | Term)[]; loc: Loc };

export type Expr =
  | { type: 'term'; term: Term }
  | { type: 'unify'; left: Term; right: Term }
  | { type: 'assign'; left: Term; right: Term }
  | { type: 'some'; vars: Term[] }
  | { type: 'somein'; key: Term | null; value: Term; domain: Term }
  | { type: 'every'; key: Term | null; value: Term; domain: Term; body: Literal[] }
  /** Experimental `a and b`, `a or b`: each operand succeeds or not; no bindings escape. */
  | { type: 'logic'; op: 'and' | 'or'; left: Literal[]; right: Literal[] }
  /** Experimental `{ body }` used as an operand (e.g. `not { ... }`). */
  | { type: 'group'; body: Literal[] };

export interface With {
  target: Term;
  value: Term;
  loc: Loc;
}

export interface Literal {
  negated: boolean;
  expr: Expr;
  with: With[];
  loc: Loc;
}

export type RuleKind = 'complete' | 'partialset' | 'partialobject' | 'function';

export interface Rule {
  kind: RuleKind;
  isDefault: boolean;
  /** Head reference relative to the package: first element is the rule name (a string term). */
  ref: Term[];
  /** Function parameters. */
  args: Term[] | null;
  /** Member (partial set) or key (partial object) term. */
  key: Term | null;
  /** Value term; for complete rules without one, `true`. */
  value: Term | null;
  /** Head used `:=`. */
  assign: boolean;
  body: Literal[];
  elseRule: Rule | null;
  loc: Loc;
  /** Source text of the rule, for rego.metadata.rule and messages. */
  annotations?: Record<string, unknown>[];
}

export interface Import {
  path: Term; // a ref (data.x.y, input.x, future.keywords.in, rego.v1)
  alias: string | null;
  loc: Loc;
}

export interface Module {
  file: string;
  regoVersion: 0 | 1;
  package: string[];
  packageLoc: Loc;
  imports: Import[];
  rules: Rule[];
  /** Package-level METADATA annotations, if any. */
  annotations: Record<string, unknown>[];
}

export const loc0 = (file: string): Loc => ({ file, row: 1, col: 1 });
