// The resolved form of rule bodies that the evaluator compiles to closures: variables are frame
// slots, names are resolved to input/data paths or built-ins, and body literals are in the order
// in which they bind their variables (safety reordering done).

import type { BuiltinDecl } from '../builtins/registry';
import type { Location } from '../errors';
import type { Value } from '../eval/values';

export type IR =
  | { k: 'const'; v: Value }
  | { k: 'var'; slot: number; name: string; loc: Location }
  | { k: 'input' }
  | { k: 'data' }
  | { k: 'ref'; head: IR; path: IR[]; loc: Location }
  | { k: 'array'; items: IR[] }
  | { k: 'set'; items: IR[] }
  | { k: 'object'; items: [IR, IR][] }
  | { k: 'arraycomp'; term: IR; body: IRLit[]; captured: number[] }
  | { k: 'setcomp'; term: IR; body: IRLit[]; captured: number[] }
  | { k: 'objectcomp'; key: IR; value: IR; body: IRLit[]; captured: number[] }
  | { k: 'call'; name: string; builtin: BuiltinDecl | null; func: string[] | null; args: IR[]; loc: Location; /** last arg receives the result */ outArg: boolean }
  | { k: 'template'; parts: (string | IR)[] };

export type IRExpr =
  | { k: 'term'; term: IR }
  | { k: 'unify'; left: IR; right: IR }
  | { k: 'somein'; key: IR | null; value: IR; domain: IR }
  | { k: 'every'; key: IR | null; value: IR; domain: IR; body: IRLit[]; captured: number[] }
  | { k: 'logic'; op: 'and' | 'or'; left: IRLit[]; right: IRLit[]; captured: number[] }
  | { k: 'group'; body: IRLit[]; captured: number[] }
  | { k: 'nop' };

export type WithTarget =
  | { k: 'input'; path: string[] }
  | { k: 'data'; path: string[] }
  | { k: 'fn'; name: string };

export interface IRWith {
  target: WithTarget;
  value: IR;
  /** `with f as g` where g names a function (user or built-in). */
  fnValue: { name: string; builtin: BuiltinDecl | null; func: string[] | null } | null;
}

export interface IRLit {
  negated: boolean;
  expr: IRExpr;
  with: IRWith[];
  loc: Location;
}

export function isGroundIR(t: IR): boolean {
  switch (t.k) {
    case 'const':
      return true;
    case 'array':
    case 'set':
      return t.items.every(isGroundIR);
    case 'object':
      return t.items.every(([a, b]) => isGroundIR(a) && isGroundIR(b));
    default:
      return false;
  }
}
