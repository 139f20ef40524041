// The compile-time type check of built-in calls: an argument whose type is known (a constant or
// a composite literal) and cannot fit the declaration's TypeSpec is a rego_type_error, as OPA's
// type checker reports it. Arguments of unknown type (refs, variables, calls) pass.

import type { BuiltinDecl, TypeSpec } from '../builtins/registry';
import { typeName, type Value } from '../eval/values';
import type { IR } from './ir';

/** Top-level alternatives of a TypeSpec: 'array<any>|set<any>' -> ['array', 'set']. */
function kinds(spec: TypeSpec): Set<string> {
  const out = new Set<string>();
  let depth = 0;
  let cur = '';
  for (const ch of spec) {
    if (ch === '<') depth++;
    else if (ch === '>') depth--;
    if (ch === '|' && depth === 0) {
      out.add(base(cur));
      cur = '';
    } else cur += ch;
  }
  out.add(base(cur));
  return out;
}

function base(s: string): string {
  const i = s.indexOf('<');
  return (i < 0 ? s : s.slice(0, i)).trim();
}

const cache = new Map<TypeSpec, Set<string>>();

function knownType(t: IR): string | null {
  switch (t.k) {
    case 'const':
      return typeName(t.v as Value);
    case 'array':
    case 'arraycomp':
      return 'array';
    case 'set':
    case 'setcomp':
      return 'set';
    case 'object':
    case 'objectcomp':
      return 'object';
    case 'template':
      return 'string';
    default:
      return null;
  }
}

const KNOWN = new Set(['any', 'null', 'boolean', 'number', 'string', 'array', 'set', 'object']);

/** The message of OPA's type checker for a call that cannot type check, or null. */
export function checkCallTypes(decl: BuiltinDecl, args: IR[]): string | null {
  const n = decl.variadic ? Math.min(args.length, decl.args.length) : decl.args.length;
  for (let i = 0; i < n && i < args.length; i++) {
    const got = knownType(args[i]);
    if (got === null) continue;
    let want = cache.get(decl.args[i]);
    if (!want) cache.set(decl.args[i], (want = kinds(decl.args[i])));
    if (want.has('any') || [...want].some((k) => !KNOWN.has(k))) continue;
    if (!want.has(got)) {
      const have = args.slice(0, n).map((a) => knownType(a) ?? 'any');
      return `${decl.name}: invalid argument(s)\n\thave: (${have.join(', ')})\n\twant: (${decl.args.join(', ')})`;
    }
  }
  return null;
}
