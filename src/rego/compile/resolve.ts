// Name resolution, local variable scoping and safety reordering: turns parsed rule bodies into
// IR (see ir.ts). Variables become frame slots; rule names, imports, input and data become
// absolute references; calls name a built-in or a user function path.

import { lookupBuiltin, type BuiltinDecl } from '../builtins/registry';
import { RegoError, type Location, type RegoErrorItem } from '../errors';
import { RObject, RSet, type Value } from '../eval/values';
import type { Expr, Literal, Term } from '../syntax/ast';
import type { IR, IRExpr, IRLit, IRWith, WithTarget } from './ir';
import { checkCallTypes } from './types';

/** What a module's rules can name without `data.` */
export interface NameContext {
  pkg: string[];
  /** Aliases of `import data.x.y` / `import input.x` -> [root, ...path] */
  imports: Map<string, string[]>;
  /** First head component of every rule of the package (over all modules). */
  ruleNames: Set<string>;
  /** Data paths of user functions ('a.b.f'), for call resolution. */
  isFunction: (path: string[]) => boolean;
  /** Number of parameters of the user function at a data path. */
  functionArity: (path: string[]) => number | undefined;
  errors: RegoErrorItem[];
  /** Rego v1 module: deprecated built-ins (removed in OPA 1.x) cannot be called. */
  v1?: boolean;
  /** Values of rego.metadata.rule() and rego.metadata.chain() for the rule being resolved. */
  metadata?: { rule: Value; chain: Value } | null;
}

class Scope {
  readonly names = new Map<string, number>();
  readonly declared = new Set<string>();
  readonly captured = new Set<number>();
  readonly own = new Set<number>();
  /** Literal index of each some/:= declaration; nested scopes see it only after that literal. */
  readonly declAt = new Map<string, number>();
  /** Index of the literal being resolved (nested scopes are created while resolving it). */
  cur = Infinity;
  constructor(
    readonly parent: Scope | null,
    readonly alloc: { n: number },
  ) {}

  add(name: string): number {
    const slot = this.alloc.n++;
    this.names.set(name, slot);
    this.own.add(slot);
    return slot;
  }

  lookup(name: string): number | undefined {
    const own = this.names.get(name);
    if (own !== undefined) return own;
    const chain: Scope[] = [this];
    for (let s = this.parent; s; s = s.parent) {
      const slot = s.names.get(name);
      if (slot !== undefined && !s.declaredLater(name)) {
        for (const c of chain) c.captured.add(slot);
        return slot;
      }
      chain.push(s);
    }
    return undefined;
  }

  visible(name: string): boolean {
    if (this.names.has(name)) return true;
    for (let s = this.parent; s; s = s.parent) if (s.names.has(name) && !s.declaredLater(name)) return true;
    return false;
  }

  declaredLater(name: string): boolean {
    const d = this.declAt.get(name);
    return d !== undefined && d >= this.cur;
  }
}

const isWildcard = (name: string) => name.startsWith('_$');

export class Resolver {
  readonly alloc = { n: 0 };
  /** slot -> name, for query result rows and error messages */
  readonly slotNames: string[] = [];

  constructor(readonly ctx: NameContext) {}

  newScope(parent: Scope | null = null): Scope {
    return new Scope(parent, this.alloc);
  }

  private err(message: string, loc: Location | undefined, code: RegoErrorItem['code'] = 'rego_compile_error'): never {
    throw new RegoError(code, message, loc);
  }

  private isGlobal(name: string): boolean {
    return name === 'input' || name === 'data' || this.ctx.imports.has(name) || this.ctx.ruleNames.has(name);
  }

  private allocate(scope: Scope, name: string): number {
    const slot = scope.add(name);
    this.slotNames[slot] = name;
    return slot;
  }

  // ---------------------------------------------------------------- declaration (collect) phase

  /** Declares the variables of one scope level: some/:= first (they shadow), then free names. */
  declareLevel(scope: Scope, lits: Literal[], extra: Term[] = []): void {
    lits.forEach((lit, i) => {
      const e = lit.expr;
      if (e.type === 'some') for (const v of e.vars) this.declare(scope, v, i);
      else if (e.type === 'somein') {
        if (e.key) this.declarePattern(scope, e.key, i);
        this.declarePattern(scope, e.value, i);
      } else if (e.type === 'assign') this.declarePattern(scope, e.left, i);
    });
    const names: Term[] = [];
    for (const t of extra) collectVars(t, names);
    for (const lit of lits) collectExprVars(lit, names);
    for (const v of names) {
      if (v.type !== 'var') continue;
      const name = v.name;
      if (isWildcard(name)) continue;
      if (scope.visible(name) || this.isGlobal(name)) continue;
      this.allocate(scope, name);
    }
  }

  /** Function parameters: every variable in them is local, even one named like a rule. */
  declareArgs(scope: Scope, args: Term[]): void {
    const vars: Term[] = [];
    const patternVars = (t: Term): void => {
      if (t.type === 'var') vars.push(t);
      else if (t.type === 'array') t.items.forEach(patternVars);
      else if (t.type === 'object') t.items.forEach(([, v]) => patternVars(v));
    };
    args.forEach(patternVars);
    for (const v of vars) {
      if (v.type === 'var' && !isWildcard(v.name) && !scope.names.has(v.name)) this.allocate(scope, v.name);
    }
  }

  private declare(scope: Scope, v: Term, index = -1): void {
    if (v.type !== 'var') return;
    if (isWildcard(v.name)) return;
    if (scope.declared.has(v.name)) this.err(`var ${v.name} assigned above`, v.loc);
    if (v.name === 'input' || v.name === 'data') this.err(`variables must not shadow ${v.name} (use a different variable name)`, v.loc);
    scope.declared.add(v.name);
    if (index >= 0) scope.declAt.set(v.name, index);
    if (!scope.names.has(v.name)) this.allocate(scope, v.name);
  }

  private declarePattern(scope: Scope, t: Term, index = -1): void {
    if (t.type === 'var') this.declare(scope, t, index);
    else if (t.type === 'array') for (const x of t.items) this.declarePattern(scope, x, index);
    else if (t.type === 'object') for (const [, x] of t.items) this.declarePattern(scope, x, index);
  }

  // ---------------------------------------------------------------- resolution phase

  body(scope: Scope, lits: Literal[]): IRLit[] {
    const out = lits.map((l, i) => {
      scope.cur = i;
      return this.literal(scope, l);
    });
    scope.cur = Infinity;
    return out;
  }

  literal(scope: Scope, lit: Literal): IRLit {
    const withs: IRWith[] = lit.with.map((w) => this.withMod(scope, w.target, w.value));
    return { negated: lit.negated, expr: this.expr(scope, lit.expr), with: withs, loc: lit.loc };
  }

  private expr(scope: Scope, e: Expr): IRExpr {
    switch (e.type) {
      case 'term':
        return { k: 'term', term: this.term(scope, e.term) };
      case 'unify':
        return { k: 'unify', left: this.term(scope, e.left), right: this.term(scope, e.right) };
      case 'assign': {
        if (e.left.type !== 'var' && e.left.type !== 'array' && e.left.type !== 'object') {
          this.err('cannot assign to ' + describeTerm(e.left), e.left.loc);
        }
        return { k: 'unify', left: this.term(scope, e.left), right: this.term(scope, e.right) };
      }
      case 'some':
        return { k: 'nop' };
      case 'somein':
        return {
          k: 'somein',
          key: e.key ? this.term(scope, e.key) : null,
          value: this.term(scope, e.value),
          domain: this.term(scope, e.domain),
        };
      case 'logic': {
        const l = this.newScope(scope);
        this.declareLevel(l, e.left);
        const left = this.body(l, e.left);
        const rs = this.newScope(scope);
        this.declareLevel(rs, e.right);
        const right = this.body(rs, e.right);
        return { k: 'logic', op: e.op, left, right, captured: [...new Set([...l.captured, ...rs.captured])] };
      }
      case 'group': {
        const g = this.newScope(scope);
        this.declareLevel(g, e.body);
        const body = this.body(g, e.body);
        return { k: 'group', body, captured: [...g.captured] };
      }
      case 'every': {
        const domain = this.term(scope, e.domain);
        const child = this.newScope(scope);
        if (e.key) this.declarePattern(child, e.key);
        this.declarePattern(child, e.value);
        this.declareLevel(child, e.body);
        const key = e.key ? this.term(child, e.key) : null;
        const value = this.term(child, e.value);
        const body = this.body(child, e.body);
        return { k: 'every', key, value, domain, body, captured: [...child.captured] };
      }
    }
  }

  private withMod(scope: Scope, target: Term, value: Term): IRWith {
    const tgt = this.withTarget(target);
    let fnValue: IRWith['fnValue'] = null;
    if (tgt.k === 'fn') {
      const name = dottedName(value);
      if (name !== null && !(value.type === 'var' && scope.visible(value.name))) {
        const f = this.functionTarget(name);
        if (f) fnValue = f;
      }
    }
    return { target: tgt, value: fnValue ? { k: 'const', v: null } : this.term(scope, value), fnValue };
  }

  private withTarget(t: Term): WithTarget {
    const head = t.type === 'ref' ? t.head : t;
    const path = t.type === 'ref' ? t.path : [];
    const strPath = path.map((p) => {
      if (p.type !== 'string') this.err('with keyword target must be a reference to input, data or a function', t.loc, 'rego_type_error');
      return (p as { value: string }).value;
    });
    if (head.type === 'var' && head.name === 'input') return { k: 'input', path: strPath };
    if (head.type === 'var' && head.name === 'data') {
      const f = this.ctx.isFunction(strPath);
      if (f) return { k: 'fn', name: 'data.' + strPath.join('.') };
      return { k: 'data', path: strPath };
    }
    if (head.type === 'var' && this.ctx.imports.has(head.name)) {
      const full = [...this.ctx.imports.get(head.name)!, ...strPath];
      if (full[0] === 'input') return { k: 'input', path: full.slice(1) };
      if (this.ctx.isFunction(full.slice(1))) return { k: 'fn', name: full.join('.') };
      return { k: 'data', path: full.slice(1) };
    }
    const name = dottedName(t);
    if (name !== null) {
      const f = this.functionTarget(name);
      if (f) return { k: 'fn', name: f.name };
      if (head.type === 'var' && this.ctx.ruleNames.has(head.name)) {
        return { k: 'data', path: [...this.ctx.pkg, head.name, ...strPath] };
      }
    }
    return this.err(`with keyword target must reference existing input, data, or a function`, t.loc, 'rego_type_error');
  }

  /** Resolves a name used as a function: a user function path or a built-in. */
  private functionTarget(name: string): { name: string; builtin: BuiltinDecl | null; func: string[] | null } | null {
    const parts = name.split('.');
    let path: string[] | null = null;
    if (parts[0] === 'data') path = parts.slice(1);
    else if (this.ctx.imports.has(parts[0])) {
      const imp = this.ctx.imports.get(parts[0])!;
      if (imp[0] === 'data') path = [...imp.slice(1), ...parts.slice(1)];
    } else if (this.ctx.ruleNames.has(parts[0])) path = [...this.ctx.pkg, ...parts];
    if (path && this.ctx.isFunction(path)) return { name: 'data.' + path.join('.'), builtin: null, func: path };
    const b = lookupBuiltin(name);
    if (b) return { name, builtin: b, func: null };
    return null;
  }

  term(scope: Scope, t: Term): IR {
    switch (t.type) {
      case 'null':
        return { k: 'const', v: null };
      case 'boolean':
      case 'number':
      case 'string':
        return { k: 'const', v: t.value };
      case 'var':
        return this.varTerm(scope, t.name, t.loc);
      case 'ref':
        return this.ref(scope, t);
      case 'array': {
        const items = t.items.map((x) => this.term(scope, x));
        if (items.every((x) => x.k === 'const')) return { k: 'const', v: items.map((x) => (x as { v: Value }).v) };
        return { k: 'array', items };
      }
      case 'set': {
        const items = t.items.map((x) => this.term(scope, x));
        if (items.every((x) => x.k === 'const')) return { k: 'const', v: new RSet(items.map((x) => (x as { v: Value }).v)) };
        return { k: 'set', items };
      }
      case 'object': {
        const items = t.items.map(([a, b]) => [this.term(scope, a), this.term(scope, b)] as [IR, IR]);
        if (items.every(([a, b]) => a.k === 'const' && b.k === 'const')) {
          const o = new RObject();
          for (const [a, b] of items) o.set((a as { v: Value }).v, (b as { v: Value }).v);
          return { k: 'const', v: o };
        }
        return { k: 'object', items };
      }
      case 'arraycomp':
      case 'setcomp': {
        const child = this.newScope(scope);
        this.declareLevel(child, t.body, [t.term]);
        const body = this.body(child, t.body);
        const term = this.term(child, t.term);
        return { k: t.type, term, body, captured: [...child.captured] };
      }
      case 'objectcomp': {
        const child = this.newScope(scope);
        this.declareLevel(child, t.body, [t.key, t.value]);
        const body = this.body(child, t.body);
        const key = this.term(child, t.key);
        const value = this.term(child, t.value);
        return { k: 'objectcomp', key, value, body, captured: [...child.captured] };
      }
      case 'call':
        return this.call(scope, t);
      case 'template':
        return { k: 'template', parts: t.parts.map((p) => (typeof p === 'string' ? p : this.term(scope, p))) };
    }
  }

  private varTerm(scope: Scope, name: string, loc: Location): IR {
    if (isWildcard(name)) {
      const slot = this.allocate(scope, name);
      return { k: 'var', slot, name, loc };
    }
    const slot = scope.lookup(name);
    if (slot !== undefined) return { k: 'var', slot, name, loc };
    if (name === 'input') return { k: 'input' };
    if (name === 'data') return { k: 'data' };
    const imp = this.ctx.imports.get(name);
    if (imp) return rootRef(imp, loc);
    if (this.ctx.ruleNames.has(name)) return rootRef(['data', ...this.ctx.pkg, name], loc);
    // Not collected (e.g. a name only inside a with value): a fresh local.
    const s = this.allocate(scope, name);
    return { k: 'var', slot: s, name, loc };
  }

  private ref(scope: Scope, t: Extract<Term, { type: 'ref' }>): IR {
    const head = this.term(scope, t.head);
    const path = t.path.map((p) => this.term(scope, p));
    if (head.k === 'ref') return { k: 'ref', head: head.head, path: [...head.path, ...path], loc: t.loc };
    return { k: 'ref', head, path, loc: t.loc };
  }

  private call(scope: Scope, t: Extract<Term, { type: 'call' }>): IR {
    const args = t.args.map((a) => this.term(scope, a));
    const fn = t.fn;
    if (fn.type === 'var' && fn.op) {
      const b = lookupBuiltin(fn.name);
      if (!b) this.err(`undefined function ${fn.name}`, t.loc, 'rego_type_error');
      const msg = checkCallTypes(b, args);
      if (msg) this.err(msg, t.loc, 'rego_type_error');
      return { k: 'call', name: fn.name, builtin: b, func: null, args, loc: t.loc, outArg: false };
    }
    const name = dottedName(fn);
    if (name === null) this.err('invalid function call', t.loc, 'rego_type_error');
    if (fn.type === 'var' && scope.visible(fn.name)) this.err(`undefined function ${name}`, t.loc, 'rego_type_error');
    if ((name === 'rego.metadata.rule' || name === 'rego.metadata.chain') && args.length === 0 && this.ctx.metadata) {
      return { k: 'const', v: name === 'rego.metadata.rule' ? this.ctx.metadata.rule : this.ctx.metadata.chain };
    }
    const target = this.functionTarget(name);
    if (!target || (this.ctx.v1 && target.builtin?.deprecated)) this.err(`undefined function ${name}`, t.loc, 'rego_type_error');
    const arity = target.builtin ? (target.builtin.variadic ? -2 : target.builtin.args.length) : this.ctx.functionArity(target.func!) ?? -2;
    const outArg = args.length === arity + 1;
    if (arity >= 0 && !outArg && args.length !== arity) {
      this.err(`${name}: arity mismatch\n\thave: (${args.length} arguments)\n\twant: (${arity} arguments)`, t.loc, 'rego_type_error');
    }
    if (target.builtin) {
      const msg = checkCallTypes(target.builtin, args);
      if (msg) this.err(msg, t.loc, 'rego_type_error');
    }
    return { k: 'call', name: target.name, builtin: target.builtin, func: target.func, args, loc: t.loc, outArg };
  }
}

function rootRef(path: string[], loc: Location): IR {
  const head: IR = path[0] === 'input' ? { k: 'input' } : { k: 'data' };
  if (path.length === 1) return head;
  return { k: 'ref', head, path: path.slice(1).map((s) => ({ k: 'const', v: s })), loc };
}

/** `a.b.c` for a var or a ref with string path elements; null otherwise. */
export function dottedName(t: Term): string | null {
  if (t.type === 'var') return t.name;
  if (t.type === 'ref' && t.head.type === 'var') {
    const parts = [t.head.name];
    for (const p of t.path) {
      if (p.type !== 'string') return null;
      parts.push(p.value);
    }
    return parts.join('.');
  }
  return null;
}

function describeTerm(t: Term): string {
  switch (t.type) {
    case 'ref':
      return 'ref';
    case 'call':
      return 'call';
    default:
      return t.type + ' term';
  }
}

/** Variables at one scope level (does not enter comprehension or every bodies). */
export function collectVars(t: Term, out: Term[]): void {
  switch (t.type) {
    case 'var':
      out.push(t);
      return;
    case 'ref':
      collectVars(t.head, out);
      for (const p of t.path) collectVars(p, out);
      return;
    case 'array':
    case 'set':
      for (const x of t.items) collectVars(x, out);
      return;
    case 'object':
      for (const [a, b] of t.items) {
        collectVars(a, out);
        collectVars(b, out);
      }
      return;
    case 'call':
      for (const a of t.args) collectVars(a, out);
      return;
    case 'template':
      for (const p of t.parts) if (typeof p !== 'string') collectVars(p, out);
      return;
    default:
      return;
  }
}

function collectExprVars(lit: Literal, out: Term[]): void {
  const e = lit.expr;
  switch (e.type) {
    case 'term':
      collectVars(e.term, out);
      break;
    case 'unify':
    case 'assign':
      collectVars(e.left, out);
      collectVars(e.right, out);
      break;
    case 'some':
      break;
    case 'somein':
      collectVars(e.domain, out);
      break;
    case 'every':
      collectVars(e.domain, out);
      break;
  }
  // A bare name as a with value is a function (or a variable bound elsewhere): not a new local.
  for (const w of lit.with) if (w.value.type !== 'var') collectVars(w.value, out);
}

// ------------------------------------------------------------------------------------------
// Safety: order body literals so every variable is bound before a literal needs its value.

interface Needs {
  needs: Set<number>;
  outs: Set<number>;
}

function analyze(t: IR, acc: Needs, pattern: boolean): void {
  switch (t.k) {
    case 'var':
      (pattern ? acc.outs : acc.needs).add(t.slot);
      return;
    case 'ref':
      if (t.head.k === 'var') acc.needs.add(t.head.slot);
      else analyze(t.head, acc, false);
      for (const p of t.path) {
        if (p.k === 'var') acc.outs.add(p.slot);
        else analyze(p, acc, p.k === 'array' || p.k === 'object');
      }
      return;
    case 'array':
      for (const x of t.items) analyze(x, acc, pattern);
      return;
    case 'set':
      for (const x of t.items) analyze(x, acc, false);
      return;
    case 'object':
      for (const [a, b] of t.items) {
        analyze(a, acc, false);
        analyze(b, acc, pattern);
      }
      return;
    case 'arraycomp':
    case 'setcomp':
    case 'objectcomp':
      for (const s of t.captured) acc.needs.add(s);
      return;
    case 'call': {
      // Arguments are evaluated binding ones first, so `x == xs[x]` binds x through the ref.
      const inner: Needs = { needs: new Set(), outs: new Set() };
      t.args.forEach((a, i) => analyze(a, inner, t.outArg && i === t.args.length - 1));
      for (const s of inner.outs) acc.outs.add(s);
      for (const s of inner.needs) if (!inner.outs.has(s)) acc.needs.add(s);
      return;
    }
    case 'template':
      for (const p of t.parts) if (typeof p !== 'string') analyze(p, acc, false);
      return;
    default:
      return;
  }
}

function analyzeLit(lit: IRLit, names: string[]): Needs {
  const acc: Needs = { needs: new Set(), outs: new Set() };
  const e = lit.expr;
  switch (e.k) {
    case 'term':
      analyze(e.term, acc, false);
      break;
    case 'unify':
      analyze(e.left, acc, true);
      analyze(e.right, acc, true);
      break;
    case 'somein':
      analyze(e.domain, acc, false);
      if (e.key) analyze(e.key, acc, true);
      analyze(e.value, acc, true);
      break;
    case 'every':
      analyze(e.domain, acc, false);
      for (const s of e.captured) acc.needs.add(s);
      break;
    case 'logic':
    case 'group':
      for (const s of e.captured) acc.needs.add(s);
      break;
    case 'nop':
      break;
  }
  for (const w of lit.with) analyze(w.value, acc, false);
  if (lit.negated) {
    // A negated literal binds nothing; its wildcards iterate inside it (`not xs[_] == 1`).
    for (const s of acc.outs) if (!isWildcard(names[s] ?? '')) acc.needs.add(s);
    acc.outs.clear();
  }
  return acc;
}

/** Reorders `lits` (and nested bodies) so variables are bound before use; reports unsafe vars. */
export function reorderBody(lits: IRLit[], bound: Set<number>, names: string[], errors: RegoErrorItem[]): IRLit[] {
  const pending = lits.map((l) => ({ lit: l, a: analyzeLit(l, names) }));
  const out: IRLit[] = [];
  while (pending.length > 0) {
    let idx = -1;
    for (let i = 0; i < pending.length; i++) {
      let ok = true;
      for (const s of pending[i].a.needs) {
        if (!bound.has(s)) {
          ok = false;
          break;
        }
      }
      if (ok) {
        idx = i;
        break;
      }
    }
    if (idx < 0) {
      // Report every unsafe variable of the first stuck literal.
      const seen = new Set<string>();
      for (const p of pending) {
        for (const s of p.a.needs) {
          if (bound.has(s)) continue;
          const name = names[s] ?? '?';
          if (seen.has(name)) continue;
          seen.add(name);
          errors.push({
            code: 'rego_unsafe_var_error',
            message: `var ${name.startsWith('_$') ? '_' : name} is unsafe`,
            location: p.lit.loc,
          });
        }
      }
      return out.concat(pending.map((p) => p.lit));
    }
    const { lit, a } = pending.splice(idx, 1)[0];
    reorderNested(lit, bound, names, errors);
    out.push(lit);
    for (const s of a.outs) bound.add(s);
  }
  return out;
}

function reorderNested(lit: IRLit, bound: Set<number>, names: string[], errors: RegoErrorItem[]): void {
  const visit = (t: IR): void => {
    switch (t.k) {
      case 'arraycomp':
      case 'setcomp':
      case 'objectcomp': {
        const inner = new Set(bound);
        t.body = reorderBody(t.body, inner, names, errors);
        const head = t.k === 'objectcomp' ? [t.key, t.value] : [t.term];
        for (const h of head) checkBound(h, inner, names, errors);
        return;
      }
      case 'ref':
        visit(t.head);
        t.path.forEach(visit);
        return;
      case 'array':
      case 'set':
        t.items.forEach(visit);
        return;
      case 'object':
        t.items.forEach(([a, b]) => (visit(a), visit(b)));
        return;
      case 'call':
        t.args.forEach(visit);
        return;
      case 'template':
        t.parts.forEach((p) => typeof p !== 'string' && visit(p));
        return;
      default:
        return;
    }
  };
  const e = lit.expr;
  if (e.k === 'term') visit(e.term);
  else if (e.k === 'unify') {
    visit(e.left);
    visit(e.right);
  } else if (e.k === 'somein') {
    visit(e.domain);
    if (e.key) visit(e.key);
    visit(e.value);
  } else if (e.k === 'logic') {
    e.left = reorderBody(e.left, new Set(bound), names, errors);
    e.right = reorderBody(e.right, new Set(bound), names, errors);
  } else if (e.k === 'group') {
    e.body = reorderBody(e.body, new Set(bound), names, errors);
  } else if (e.k === 'every') {
    visit(e.domain);
    const inner = new Set(bound);
    const a: Needs = { needs: new Set(), outs: new Set() };
    if (e.key) analyze(e.key, a, true);
    analyze(e.value, a, true);
    for (const s of a.outs) inner.add(s);
    e.body = reorderBody(e.body, inner, names, errors);
  }
  for (const w of lit.with) visit(w.value);
}

/** Reports variables of a head (or comprehension) term that the body does not bind. */
export function checkBound(t: IR, bound: Set<number>, names: string[], errors: RegoErrorItem[], loc?: Location): void {
  const acc: Needs = { needs: new Set(), outs: new Set() };
  analyze(t, acc, false);
  for (const s of acc.needs) {
    if (!bound.has(s)) {
      const name = names[s] ?? '?';
      errors.push({ code: 'rego_unsafe_var_error', message: `var ${name.startsWith('_$') ? '_' : name} is unsafe`, location: loc });
    }
  }
}
