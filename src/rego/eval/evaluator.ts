// The evaluator: IR bodies compiled ahead of time to closures in continuation-passing style.
//
// A goal `(ev, frame, k) => stop` calls `k` once per solution; returning true from `k` stops the
// search (early exit) and unwinds. Variables live in a per-rule frame array: a goal binds a slot,
// calls the continuation, and unbinds on return, so backtracking needs no trail. Which slots are
// bound at each point is known when compiling (bodies were reordered for safety), so the
// generated closures never test for "is this variable bound".

import { BuiltinError, BuiltinTypeError, type BuiltinContext, type BuiltinDecl } from '../builtins/registry';
import { RegoError, type Location } from '../errors';
import type { IR, IRExpr, IRLit, IRWith } from '../compile/ir';
import type { DNode, RuleDef } from '../compile/tree';
import { formatTerm } from './format';
import { RObject, RSet, compare, equals, keyOf, stringifyJSON, type Value } from './values';

export type Frame = (Value | undefined)[];
export type K = () => boolean;
export type VK = (v: Value) => boolean;
export type Goal = (ev: Ev, f: Frame, k: K) => boolean;
export type Gen = (ev: Ev, f: Frame, k: VK) => boolean;
export type Get = (ev: Ev, f: Frame) => Value | undefined;
type Pat = (ev: Ev, f: Frame, v: Value, k: K) => boolean;

const MAX_CALL_DEPTH = 400;
const PENDING = Symbol('pending');

type FnOverride = { value: Value } | { builtin: BuiltinDecl } | { func: DNode };

/** What `with` changes: replaced as a whole when a `with` applies, so restoring is a swap. */
export interface EvalState {
  input: Value | undefined;
  overrides: { path: string[]; value: Value }[] | null;
  fns: Map<string, FnOverride> | null;
  cache: Map<DNode, Value | undefined | typeof PENDING>;
}

export interface EvOptions {
  input?: Value;
  data?: Value;
  strict?: boolean;
  deadline: number;
  nowNs: bigint;
  env: Record<string, string>;
  print: (msg: string) => void;
}

/** The state of one evaluation. Implements the built-ins' context. */
export class Ev implements BuiltinContext {
  st: EvalState;
  readonly data: Value;
  readonly strict: boolean;
  readonly nowNs: bigint;
  readonly env: Record<string, string>;
  private memo: Map<string, unknown> | null = null;
  readonly deadline: number;
  private steps = 0;
  depth = 0;
  private readonly printFn: (msg: string) => void;

  constructor(
    readonly policy: PolicyRuntime,
    opts: EvOptions,
  ) {
    this.st = { input: opts.input, overrides: null, fns: null, cache: new Map() };
    this.data = opts.data ?? new RObject();
    this.strict = opts.strict ?? false;
    this.nowNs = opts.nowNs;
    this.env = opts.env;
    this.deadline = opts.deadline;
    this.printFn = opts.print;
  }

  /** Per-evaluation memo for built-ins, created on first use. */
  get cache(): Map<string, unknown> {
    if (this.memo === null) this.memo = new Map();
    return this.memo;
  }

  print(message: string): void {
    this.printFn(message);
  }

  /** For built-ins, which call it sparingly inside their own loops: always reads the clock. */
  checkBudget(): void {
    if (Date.now() > this.deadline) throw new RegoError('eval_cancel_error', 'caller cancelled query execution');
  }

  /** For the evaluator's own steps: reads the clock every 1024 steps. */
  tick(): void {
    if ((++this.steps & 1023) === 0) this.checkBudget();
  }
}

export interface PolicyRuntime {
  root: DNode;
}

// ------------------------------------------------------------------------------------------
// Values

export function lookup(cur: Value, key: Value): Value | undefined {
  if (cur instanceof RObject) return typeof key === 'string' ? cur.getStr(key) : cur.get(key);
  if (Array.isArray(cur)) {
    if (typeof key === 'number') return Number.isInteger(key) && key >= 0 ? cur[key] : undefined;
    return undefined;
  }
  if (cur instanceof RSet) return cur.has(key) ? key : undefined;
  return undefined;
}

/** Calls k(key, value) for each member in Rego order; stops when k returns true. */
function iterate(ev: Ev, cur: Value, k: (key: Value, value: Value) => boolean): boolean {
  if (Array.isArray(cur)) {
    for (let i = 0; i < cur.length; i++) {
      ev.tick();
      if (k(i, cur[i])) return true;
    }
  } else if (cur instanceof RObject) {
    for (const [key, v] of cur.sortedEntries()) {
      ev.tick();
      if (k(key, v)) return true;
    }
  } else if (cur instanceof RSet) {
    for (const v of cur.sorted()) {
      ev.tick();
      if (k(v, v)) return true;
    }
  }
  return false;
}

function conflict(message: string, loc?: Location): RegoError {
  return new RegoError('eval_conflict_error', message, loc);
}

// ------------------------------------------------------------------------------------------
// Compilation of IR to closures

interface CompiledRule {
  body: Goal;
  argPats: Pat[] | null;
  /** Parameters that are not patterns (e.g. template strings): compared after the body. */
  argChecks: { index: number; value: Get }[];
  keys: Gen[];
  member: Gen | null;
  value: Gen;
  constValue: boolean;
  frameSize: number;
  elseRule: CompiledRule | null;
  loc: Location;
}

function unsafe(name: string, loc?: Location): RegoError {
  return new RegoError('rego_unsafe_var_error', `var ${name.startsWith('_$') ? '_' : name} is unsafe`, loc);
}

export class ClosureCompiler {
  constructor(
    readonly rt: PolicyRuntime,
    readonly slotNames: string[],
  ) {}

  body(lits: IRLit[], bound: Set<number>): Goal {
    const goals = lits.map((l) => this.literal(l, bound));
    return chain(goals);
  }

  private literal(lit: IRLit, bound: Set<number>): Goal {
    if (lit.with.length > 0) return this.withLiteral(lit, bound);
    if (lit.negated) {
      const inner = this.expr(lit.expr, new Set(bound), lit.loc);
      return (ev, f, k) => {
        let found = false;
        inner(ev, f, () => {
          found = true;
          return true;
        });
        return found ? false : k();
      };
    }
    return this.expr(lit.expr, bound, lit.loc);
  }

  private withLiteral(lit: IRLit, bound: Set<number>): Goal {
    const values = lit.with.map((w) => (w.fnValue ? null : this.get(w.value, bound)));
    const inner = this.literal({ ...lit, with: [] }, bound);
    const withs = lit.with;
    return (ev, f, k) => {
      const saved = ev.st;
      const next = applyWiths(ev, withs, values, f);
      if (next === null) return false;
      ev.st = next;
      try {
        return inner(ev, f, () => {
          ev.st = saved;
          try {
            return k();
          } finally {
            ev.st = next;
          }
        });
      } finally {
        ev.st = saved;
      }
    };
  }

  private expr(e: IRExpr, bound: Set<number>, loc: Location): Goal {
    switch (e.k) {
      case 'nop':
        return (_ev, _f, k) => k();
      case 'term': {
        const t = e.term;
        if (t.k === 'call' && t.outArg) {
          const call: IR = { ...t, args: t.args.slice(0, -1), outArg: false };
          return this.unify(call, t.args[t.args.length - 1], bound, loc);
        }
        const gen = this.gen(t, bound);
        return (ev, f, k) => gen(ev, f, (v) => (v === false ? false : k()));
      }
      case 'unify':
        return this.unify(e.left, e.right, bound, loc);
      case 'somein':
        return this.someIn(e, bound);
      case 'every':
        return this.every(e, bound);
      case 'group': {
        const body = this.body(e.body, new Set(bound));
        return (ev, f, k) => (succeeds(ev, f, body) ? k() : false);
      }
      case 'logic': {
        const left = this.body(e.left, new Set(bound));
        const right = this.body(e.right, new Set(bound));
        if (e.op === 'and') return (ev, f, k) => (succeeds(ev, f, left) && succeeds(ev, f, right) ? k() : false);
        return (ev, f, k) => (succeeds(ev, f, left) || succeeds(ev, f, right) ? k() : false);
      }
    }
  }

  private someIn(e: Extract<IRExpr, { k: 'somein' }>, bound: Set<number>): Goal {
    const domain = this.gen(e.domain, bound);
    const keyPat = e.key ? this.pattern(e.key, bound) : null;
    const valPat = this.pattern(e.value, bound);
    return (ev, f, k) =>
      domain(ev, f, (coll) =>
        iterate(ev, coll, (key, val) => (keyPat ? keyPat(ev, f, key, () => valPat(ev, f, val, k)) : valPat(ev, f, val, k))),
      );
  }

  private every(e: Extract<IRExpr, { k: 'every' }>, bound: Set<number>): Goal {
    const domain = this.gen(e.domain, bound);
    const inner = new Set(bound);
    const keyPat = e.key ? this.pattern(e.key, inner) : null;
    const valPat = this.pattern(e.value, inner);
    const body = this.body(e.body, inner);
    return (ev, f, k) =>
      domain(ev, f, (coll) => {
        if (!(Array.isArray(coll) || coll instanceof RObject || coll instanceof RSet)) return false;
        let failed = false;
        iterate(ev, coll, (key, val) => {
          let ok = false;
          const run = () =>
            body(ev, f, () => {
              ok = true;
              return true;
            });
          if (keyPat) keyPat(ev, f, key, () => valPat(ev, f, val, run));
          else valPat(ev, f, val, run);
          if (!ok) failed = true;
          return failed;
        });
        return failed ? false : k();
      });
  }

  // ---------------------------------------------------------------- unification

  private hasUnboundPattern(t: IR, bound: Set<number>): boolean {
    if (t.k === 'var') return !bound.has(t.slot);
    if (t.k === 'array') return t.items.some((x) => this.hasUnboundPattern(x, bound));
    if (t.k === 'object') return t.items.some(([, x]) => this.hasUnboundPattern(x, bound));
    return false;
  }

  unify(a: IR, b: IR, bound: Set<number>, loc?: Location): Goal {
    const aPat = this.hasUnboundPattern(a, bound);
    const bPat = this.hasUnboundPattern(b, bound);
    if (aPat && bPat) {
      if (a.k === 'array' && b.k === 'array') {
        if (a.items.length !== b.items.length) return () => false;
        return chain(a.items.map((x, i) => this.unify(x, b.items[i], bound, loc)));
      }
      if (a.k === 'object' && b.k === 'object') {
        if (a.items.length !== b.items.length) return () => false;
        const goals: Goal[] = [];
        for (const [ka, va] of a.items) {
          const match = b.items.find(([kb]) => kb.k === 'const' && ka.k === 'const' && equals(kb.v, ka.v));
          if (!match) return () => false;
          goals.push(this.unify(va, match[1], bound, loc));
        }
        return chain(goals);
      }
      const v = a.k === 'var' ? a : b.k === 'var' ? b : firstUnbound(a, bound) ?? firstUnbound(b, bound);
      throw unsafe(v && v.k === 'var' ? v.name : '?', loc);
    }
    if (aPat) return this.unify(b, a, bound, loc);
    const gen = this.gen(a, bound);
    const pat = this.pattern(b, bound);
    return (ev, f, k) => gen(ev, f, (v) => pat(ev, f, v, k));
  }

  pattern(t: IR, bound: Set<number>): Pat {
    if (t.k === 'var') {
      const s = t.slot;
      if (bound.has(s)) return (_ev, f, v, k) => (equals(f[s]!, v) ? k() : false);
      bound.add(s);
      return (_ev, f, v, k) => {
        f[s] = v;
        const r = k();
        f[s] = undefined;
        return r;
      };
    }
    if (t.k === 'array' && this.hasUnboundPattern(t, bound)) {
      const pats = t.items.map((x) => this.pattern(x, bound));
      const n = pats.length;
      const run = (ev: Ev, f: Frame, v: Value[], i: number, k: K): boolean =>
        i === n ? k() : pats[i](ev, f, v[i], () => run(ev, f, v, i + 1, k));
      return (ev, f, v, k) => (Array.isArray(v) && v.length === n ? run(ev, f, v, 0, k) : false);
    }
    if (t.k === 'object' && this.hasUnboundPattern(t, bound)) {
      const keys = t.items.map(([key]) => this.get(key, bound));
      const pats = t.items.map(([, x]) => this.pattern(x, bound));
      const n = pats.length;
      const run = (ev: Ev, f: Frame, v: RObject, i: number, k: K): boolean => {
        if (i === n) return k();
        const key = keys[i](ev, f);
        if (key === undefined) return false;
        const x = v.get(key);
        if (x === undefined) return false;
        return pats[i](ev, f, x, () => run(ev, f, v, i + 1, k));
      };
      return (ev, f, v, k) => (v instanceof RObject && v.size === n ? run(ev, f, v, 0, k) : false);
    }
    const gen = this.gen(t, bound);
    return (ev, f, v, k) => gen(ev, f, (w) => (equals(v, w) ? k() : false));
  }

  // ---------------------------------------------------------------- terms

  /** A term that yields at most one value and binds nothing; null if it may iterate. */
  getOrNull(t: IR, bound: Set<number>): Get | null {
    switch (t.k) {
      case 'const': {
        const v = t.v;
        return () => v;
      }
      case 'var': {
        if (!bound.has(t.slot)) return null;
        const s = t.slot;
        return (_ev, f) => f[s];
      }
      case 'input':
        return (ev) => ev.st.input;
      case 'data':
        return (ev) => materialize(ev, this.rt.root, ev.data);
      case 'ref':
        return this.refGet(t, bound);
      case 'array': {
        const items = this.getsOrNull(t.items, bound);
        if (!items) return null;
        const n = items.length;
        return (ev, f) => {
          const out = new Array<Value>(n);
          for (let i = 0; i < n; i++) {
            const v = items[i](ev, f);
            if (v === undefined) return undefined;
            out[i] = v;
          }
          return out;
        };
      }
      case 'set': {
        const items = this.getsOrNull(t.items, bound);
        if (!items) return null;
        return (ev, f) => {
          const out = new RSet();
          for (const g of items) {
            const v = g(ev, f);
            if (v === undefined) return undefined;
            out.add(v);
          }
          return out;
        };
      }
      case 'object': {
        const keys = this.getsOrNull(t.items.map((x) => x[0]), bound);
        if (!keys) return null;
        const vals = this.getsOrNull(t.items.map((x) => x[1]), bound);
        if (!vals) return null;
        return (ev, f) => {
          const out = new RObject();
          for (let i = 0; i < keys.length; i++) {
            const key = keys[i](ev, f);
            if (key === undefined) return undefined;
            const v = vals[i](ev, f);
            if (v === undefined) return undefined;
            out.set(key, v);
          }
          return out;
        };
      }
      case 'arraycomp':
      case 'setcomp':
      case 'objectcomp':
        return this.comprehension(t, bound);
      case 'call':
        return this.callGet(t, bound);
      case 'template': {
        const parts = t.parts.map((p) => (typeof p === 'string' ? p : this.gen(p, bound)));
        return (ev, f) => {
          let out = '';
          for (const p of parts) {
            if (typeof p === 'string') out += p;
            else {
              const vals: Value[] = [];
              p(ev, f, (v) => {
                vals.push(v);
                return false;
              });
              if (vals.length === 0) out += '<undefined>';
              else if (vals.length > 1) throw new RegoError('eval_conflict_error', 'template expression produced multiple outputs');
              else out += typeof vals[0] === 'string' ? vals[0] : formatTerm(vals[0]);
            }
          }
          return out;
        };
      }
    }
  }

  private getsOrNull(ts: IR[], bound: Set<number>): Get[] | null {
    const out: Get[] = [];
    for (const t of ts) {
      const g = this.getOrNull(t, bound);
      if (!g) return null;
      out.push(g);
    }
    return out;
  }

  get(t: IR, bound: Set<number>): Get {
    const g = this.getOrNull(t, bound);
    if (g) return g;
    // A term that iterates where one value is needed: take the values one by one.
    const gen = this.gen(t, bound);
    return (ev, f) => {
      let out: Value | undefined;
      gen(ev, f, (v) => {
        out = v;
        return true;
      });
      return out;
    };
  }

  gen(t: IR, bound: Set<number>): Gen {
    if (t.k === 'var' && !bound.has(t.slot)) throw unsafe(t.name, t.loc);
    const g = this.getOrNull(t, bound);
    if (g) {
      return (ev, f, k) => {
        const v = g(ev, f);
        return v === undefined ? false : k(v);
      };
    }
    switch (t.k) {
      case 'ref':
        return this.refGen(t, bound);
      case 'array': {
        const items = t.items.map((x) => this.gen(x, bound));
        return (ev, f, k) => {
          const out: Value[] = [];
          const run = (i: number): boolean =>
            i === items.length
              ? k(out.slice())
              : items[i](ev, f, (v) => {
                  out[i] = v;
                  return run(i + 1);
                });
          return run(0);
        };
      }
      case 'set': {
        const items = t.items.map((x) => this.gen(x, bound));
        return (ev, f, k) => {
          const out: Value[] = [];
          const run = (i: number): boolean =>
            i === items.length
              ? k(new RSet(out))
              : items[i](ev, f, (v) => {
                  out[i] = v;
                  return run(i + 1);
                });
          return run(0);
        };
      }
      case 'object': {
        const items = t.items.map(([a, b]) => [this.gen(a, bound), this.gen(b, bound)] as const);
        return (ev, f, k) => {
          const out: Value[] = [];
          const run = (i: number): boolean => {
            if (i === items.length) {
              const o = new RObject();
              for (let j = 0; j < out.length; j += 2) o.set(out[j], out[j + 1]);
              return k(o);
            }
            return items[i][0](ev, f, (key) => {
              out[2 * i] = key;
              return items[i][1](ev, f, (v) => {
                out[2 * i + 1] = v;
                return run(i + 1);
              });
            });
          };
          return run(0);
        };
      }
      case 'call':
        return this.callGen(t, bound);
      default:
        throw new RegoError('eval_internal_error', `cannot evaluate ${t.k}`);
    }
  }

  // ---------------------------------------------------------------- refs

  private refGet(t: Extract<IR, { k: 'ref' }>, bound: Set<number>): Get | null {
    for (const p of t.path) if (this.hasUnboundPattern(p, bound)) return null;
    const keys = this.getsOrNull(t.path, bound);
    if (!keys) return null;
    if (t.head.k === 'data') return this.dataRefGet(t, keys);
    const head = this.getOrNull(t.head, bound);
    if (!head) return null;
    const n = keys.length;
    return (ev, f) => {
      let cur = head(ev, f);
      for (let i = 0; i < n && cur !== undefined; i++) {
        const key = keys[i](ev, f);
        if (key === undefined) return undefined;
        cur = lookup(cur, key);
      }
      return cur;
    };
  }

  private dataRefGet(t: Extract<IR, { k: 'ref' }>, keys: Get[]): Get {
    // Walk the tree as far as constant keys reach at compile time.
    let node = this.rt.root;
    let i = 0;
    const constKeys: string[] = [];
    while (i < t.path.length && !node.hasRules) {
      const p = t.path[i];
      if (p.k !== 'const' || typeof p.v !== 'string') break;
      const c = node.children.get(p.v);
      if (!c) break;
      constKeys.push(p.v);
      node = c;
      i++;
    }
    const start = node;
    const startIndex = i;
    const prefix = constKeys;
    const n = keys.length;
    const generic: Get = (ev, f) => {
      const ks: Value[] = [];
      for (let j = 0; j < n; j++) {
        const key = keys[j](ev, f);
        if (key === undefined) return undefined;
        ks.push(key);
      }
      return dataLookup(ev, this.rt.root, ks);
    };
    if (start.hasRules && start.kind !== 'function') {
      return (ev, f) => {
        if (ev.st.overrides !== null) return generic(ev, f);
        let cur = nodeValue(ev, start, baseAt(ev.data, prefix));
        for (let j = startIndex; j < n && cur !== undefined; j++) {
          const key = keys[j](ev, f);
          if (key === undefined) return undefined;
          cur = lookup(cur, key);
        }
        return cur;
      };
    }
    return generic;
  }

  private refGen(t: Extract<IR, { k: 'ref' }>, bound: Set<number>): Gen {
    // Head value, then one step per path element; unbound variables iterate.
    const head: Gen = t.head.k === 'data' ? (ev, _f, k) => {
      const v = materializeLazy(ev, this.rt.root);
      return v === undefined ? false : k(v);
    } : this.gen(t.head, bound);
    type Step = (ev: Ev, f: Frame, cur: Value, k: VK) => boolean;
    const steps: Step[] = [];
    for (const p of t.path) {
      if (p.k === 'var' && !bound.has(p.slot)) {
        const s = p.slot;
        bound.add(s);
        steps.push((ev, f, cur, k) =>
          iterate(ev, cur instanceof LazyData ? cur.force(ev) : cur, (key, v) => {
            f[s] = key;
            const r = k(v);
            f[s] = undefined;
            return r;
          }),
        );
        continue;
      }
      if (this.hasUnboundPattern(p, bound)) {
        const pat = this.pattern(p, bound);
        steps.push((ev, f, cur, k) =>
          iterate(ev, cur instanceof LazyData ? cur.force(ev) : cur, (key, v) => pat(ev, f, key, () => k(v))),
        );
        continue;
      }
      const key = this.get(p, bound);
      steps.push((ev, f, cur, k) => {
        const kv = key(ev, f);
        if (kv === undefined) return false;
        const v = cur instanceof LazyData ? cur.step(ev, kv) : lookup(cur, kv);
        return v === undefined ? false : k(v);
      });
    }
    const n = steps.length;
    const run = (ev: Ev, f: Frame, cur: Value, i: number, k: VK): boolean => {
      if (i === n) return k(cur instanceof LazyData ? cur.force(ev) : cur);
      return steps[i](ev, f, cur, (v) => (v === undefined ? false : run(ev, f, v, i + 1, k)));
    };
    return (ev, f, k) => head(ev, f, (h) => run(ev, f, h, 0, k));
  }

  // ---------------------------------------------------------------- comprehensions

  private comprehension(t: Extract<IR, { k: 'arraycomp' | 'setcomp' | 'objectcomp' }>, bound: Set<number>): Get {
    const inner = new Set(bound);
    const body = this.body(t.body, inner);
    if (t.k === 'objectcomp') {
      const key = this.gen(t.key, inner);
      const value = this.gen(t.value, inner);
      return (ev, f) => {
        const out = new RObject();
        body(ev, f, () =>
          key(ev, f, (kv) =>
            value(ev, f, (vv) => {
              const prev = out.get(kv);
              if (prev !== undefined && !equals(prev, vv)) throw conflict('object keys must be unique');
              out.set(kv, vv);
              return false;
            }),
          ),
        );
        return out;
      };
    }
    const term = this.gen(t.term, inner);
    if (t.k === 'arraycomp') {
      return (ev, f) => {
        const out: Value[] = [];
        body(ev, f, () =>
          term(ev, f, (v) => {
            out.push(v);
            return false;
          }),
        );
        return out;
      };
    }
    return (ev, f) => {
      const out = new RSet();
      body(ev, f, () =>
        term(ev, f, (v) => {
          out.add(v);
          return false;
        }),
      );
      return out;
    };
  }

  // ---------------------------------------------------------------- calls

  private callGet(t: Extract<IR, { k: 'call' }>, bound: Set<number>): Get | null {
    if (t.name === 'print' || t.name === 'internal.print') return this.printCall(t, bound);
    if (t.builtin?.relation) return null;
    const args = this.getsOrNull(t.args, bound);
    if (!args) return null;
    const n = args.length;
    const invoke = this.invoker(t);
    const direct = t.builtin && n === 2 ? DIRECT_COMPARISONS[t.name] : undefined;
    if (direct) {
      // Comparisons cannot fail: skip the built-in wrapper unless `with` replaced the operator.
      const [a, b] = args;
      const name = t.name;
      return (ev, f) => {
        const x = a(ev, f);
        if (x === undefined) return undefined;
        const y = b(ev, f);
        if (y === undefined) return undefined;
        if (ev.st.fns !== null && ev.st.fns.has(name)) return invoke(ev, [x, y]);
        return direct(x, y);
      };
    }
    return (ev, f) => {
      const vals = new Array<Value>(n);
      for (let i = 0; i < n; i++) {
        const v = args[i](ev, f);
        if (v === undefined) return undefined;
        vals[i] = v;
      }
      const r = invoke(ev, vals);
      return r;
    };
  }

  private callGen(t: Extract<IR, { k: 'call' }>, bound: Set<number>): Gen {
    // Arguments that bind variables (refs with unbound keys) are evaluated first.
    const order = t.args.map((_a, i) => i);
    order.sort((x, y) => Number(bindsThroughRef(t.args[y], bound)) - Number(bindsThroughRef(t.args[x], bound)));
    const compiled = new Array<Gen>(t.args.length);
    for (const i of order) compiled[i] = this.gen(t.args[i], bound);
    const argOrder = order;
    const args = argOrder.map((i) => compiled[i]);
    const n = args.length;
    const invoke = this.invoker(t);
    const relation = t.builtin?.relation === true;
    return (ev, f, k) => {
      const vals = new Array<Value>(n);
      const run = (i: number): boolean => {
        if (i === n) {
          if (relation && (ev.st.fns === null || !ev.st.fns.has(t.name))) {
            const rs = callBuiltinRaw(ev, t.builtin!, vals.slice(), t.loc);
            if (!Array.isArray(rs)) return false;
            for (const r of rs) if (k(r)) return true;
            return false;
          }
          const r = invoke(ev, vals.slice());
          return r === undefined ? false : k(r);
        }
        return args[i](ev, f, (v) => {
          vals[argOrder[i]] = v;
          return run(i + 1);
        });
      };
      return run(0);
    };
  }

  /** Calls a built-in or user function by name, honouring `with` replacements. */
  private invoker(t: Extract<IR, { k: 'call' }>): (ev: Ev, args: Value[]) => Value | undefined {
    const name = t.name;
    const loc = t.loc;
    let direct: (ev: Ev, args: Value[]) => Value | undefined;
    if (t.builtin) {
      const decl = t.builtin;
      if (!decl.variadic && t.args.length !== decl.args.length && !(t.outArg && t.args.length === decl.args.length + 1)) {
        throw new RegoError('rego_type_error', `${name}: arity mismatch\n\thave: (${t.args.length} args)\n\twant: (${decl.args.length} args)`, loc);
      }
      direct = (ev, args) => callBuiltin(ev, decl, args, loc);
    } else {
      const node = this.rt.root.find(t.func!);
      if (!node || node.kind !== 'function') throw new RegoError('rego_type_error', `undefined function ${name}`, loc);
      direct = (ev, args) => callFunction(ev, node, args, loc);
    }
    return (ev, args) => {
      const fns = ev.st.fns;
      if (fns !== null) {
        const o = fns.get(name);
        if (o !== undefined) return callOverride(ev, o, args, loc);
      }
      return direct(ev, args);
    };
  }

  private printCall(t: Extract<IR, { k: 'call' }>, bound: Set<number>): Get {
    const args = t.args.map((a) => this.gen(a, bound));
    return (ev, f) => {
      const parts: string[] = [];
      for (const a of args) {
        const vals: Value[] = [];
        a(ev, f, (v) => {
          vals.push(v);
          return false;
        });
        if (vals.length === 0) parts.push('<undefined>');
        else for (const v of vals) parts.push(typeof v === 'string' ? v : formatTerm(v));
      }
      ev.print(parts.join(' '));
      return true;
    };
  }

  // ---------------------------------------------------------------- rules

  rule(def: RuleDef): CompiledRule {
    if (def.compiled) return def.compiled as CompiledRule;
    const bound = new Set<number>();
    let argPats: Pat[] | null = null;
    const deferred: { index: number; term: IR }[] = [];
    if (def.args) {
      argPats = def.args.map((a, index) => {
        if (isPatternTerm(a)) return this.pattern(a, bound);
        deferred.push({ index, term: a });
        return (_ev: Ev, _f: Frame, _v: Value, k: K) => k();
      });
    }
    const body = this.body(def.body, bound);
    const argChecks = deferred.map((d) => ({ index: d.index, value: this.get(d.term, bound) }));
    const keys = def.keys.map((key) => this.gen(key, bound));
    const member = def.member ? this.gen(def.member, bound) : null;
    const value = this.gen(def.value, bound);
    const compiled: CompiledRule = {
      body,
      argPats,
      argChecks,
      keys,
      member,
      value,
      constValue: def.value.k === 'const',
      frameSize: def.frameSize,
      elseRule: null,
      loc: def.loc,
    };
    def.compiled = compiled;
    if (def.elseRule) compiled.elseRule = new ClosureCompiler(this.rt, def.elseRule.slotNames).rule(def.elseRule);
    return compiled;
  }
}

/** Terms that can match a function argument by unification. */
function isPatternTerm(t: IR): boolean {
  switch (t.k) {
    case 'const':
    case 'var':
      return true;
    case 'array':
      return t.items.every(isPatternTerm);
    case 'object':
      return t.items.every(([, v]) => isPatternTerm(v));
    default:
      return false;
  }
}

/** The term iterates a ref with an unbound key (and so binds that variable). */
function bindsThroughRef(t: IR, bound: Set<number>): boolean {
  switch (t.k) {
    case 'ref':
      return t.path.some((p) => (p.k === 'var' && !bound.has(p.slot)) || bindsThroughRef(p, bound)) || bindsThroughRef(t.head, bound);
    case 'array':
    case 'set':
      return t.items.some((x) => bindsThroughRef(x, bound));
    case 'object':
      return t.items.some(([a, b]) => bindsThroughRef(a, bound) || bindsThroughRef(b, bound));
    case 'call':
      return t.args.some((x) => bindsThroughRef(x, bound));
    default:
      return false;
  }
}

const DIRECT_COMPARISONS: Record<string, ((a: Value, b: Value) => boolean) | undefined> = {
  equal: (a, b) => equals(a, b),
  neq: (a, b) => !equals(a, b),
  lt: (a, b) => compare(a, b) < 0,
  lte: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  gte: (a, b) => compare(a, b) >= 0,
};

function firstUnbound(t: IR, bound: Set<number>): IR | null {
  if (t.k === 'var') return bound.has(t.slot) ? null : t;
  if (t.k === 'array') for (const x of t.items) {
    const r = firstUnbound(x, bound);
    if (r) return r;
  }
  if (t.k === 'object') for (const [, x] of t.items) {
    const r = firstUnbound(x, bound);
    if (r) return r;
  }
  return null;
}

/** Whether a goal has at least one solution (its bindings do not escape). */
function succeeds(ev: Ev, f: Frame, goal: Goal): boolean {
  let found = false;
  goal(ev, f, () => {
    found = true;
    return true;
  });
  return found;
}

export function chain(goals: Goal[]): Goal {
  if (goals.length === 0) return (_ev, _f, k) => k();
  if (goals.length === 1) return goals[0];
  if (goals.length === 2) {
    const [a, b] = goals;
    return (ev, f, k) => a(ev, f, () => b(ev, f, k));
  }
  const [a, ...rest] = goals;
  const r = chain(rest);
  return (ev, f, k) => a(ev, f, () => r(ev, f, k));
}

// ------------------------------------------------------------------------------------------
// Built-in and function calls

function callBuiltin(ev: Ev, decl: BuiltinDecl, args: Value[], loc: Location): Value | undefined {
  const r = callBuiltinRaw(ev, decl, args, loc);
  if (decl.relation) return Array.isArray(r) ? (r[0] as Value | undefined) : undefined;
  return r as Value | undefined;
}

function callBuiltinRaw(ev: Ev, decl: BuiltinDecl, args: Value[], loc: Location): Value | undefined | Value[] {
  ev.tick();
  let key: string | undefined;
  if (decl.nondeterministic) {
    key = 'builtin:' + decl.name + ':' + stringifyJSON(args);
    if (ev.cache.has(key)) return ev.cache.get(key) as Value | undefined;
  }
  let r: Value | undefined | Value[];
  try {
    r = decl.impl(args, ev);
  } catch (e) {
    if (e instanceof RegoError) {
      if (e.code === 'eval_cancel_error' || ev.strict || e.code === 'eval_conflict_error') throw e;
      return undefined;
    }
    let err: RegoError;
    if (e instanceof BuiltinTypeError) err = new RegoError('eval_type_error', `${decl.name}: ${e.message}`, loc);
    else if (e instanceof BuiltinError) err = new RegoError('eval_builtin_error', `${decl.name}: ${e.message}`, loc);
    else if (e instanceof RangeError && /call stack/.test(e.message)) throw e;
    else err = new RegoError('eval_builtin_error', `${decl.name}: ${(e as Error)?.message ?? String(e)}`, loc);
    if (ev.strict) throw err;
    return undefined;
  }
  if (key !== undefined) ev.cache.set(key, r);
  return r;
}

function callOverride(ev: Ev, o: FnOverride, args: Value[], loc: Location): Value | undefined {
  if ('value' in o) return o.value;
  // A replacement runs without the replacements in effect, so a mock can call the original.
  const saved = ev.st;
  ev.st = { ...saved, fns: null, cache: new Map() };
  try {
    if ('builtin' in o) return callBuiltin(ev, o.builtin, args, loc);
    return callFunction(ev, o.func, args, loc);
  } finally {
    ev.st = saved;
  }
}

function compiledOf(ev: Ev, def: RuleDef): CompiledRule {
  if (def.compiled) return def.compiled as CompiledRule;
  return new ClosureCompiler(ev.policy, def.slotNames).rule(def);
}

export function callFunction(ev: Ev, node: DNode, args: Value[], loc?: Location): Value | undefined {
  if (++ev.depth > MAX_CALL_DEPTH) {
    ev.depth = 0;
    throw new RegoError('eval_cancel_error', `maximum call depth exceeded calling ${node.name}`, loc);
  }
  ev.tick();
  try {
    let result: Value | undefined;
    for (const def of node.rules) {
      for (let r: CompiledRule | null = compiledOf(ev, def); r; r = r.elseRule) {
        const v = evalFunctionRule(ev, r, args);
        if (v !== undefined) {
          if (result === undefined) result = v;
          else if (!equals(result, v)) throw conflict('functions must not produce multiple outputs for same inputs', loc);
          break;
        }
      }
    }
    if (result === undefined && node.defaultRule) {
      const d = compiledOf(ev, node.defaultRule);
      result = evalFunctionRule(ev, d, args);
    }
    return result;
  } finally {
    ev.depth--;
  }
}

function evalFunctionRule(ev: Ev, r: CompiledRule, args: Value[]): Value | undefined {
  const pats = r.argPats!;
  if (pats.length !== args.length) return undefined;
  const f: Frame = new Array(r.frameSize);
  let out: Value | undefined;
  const n = pats.length;
  const checks = r.argChecks;
  const finish = (): boolean =>
    r.body(ev, f, () => {
      for (const c of checks) {
        const v = c.value(ev, f);
        if (v === undefined || !equals(v, args[c.index])) return false;
      }
      return r.value(ev, f, (v) => {
        if (out === undefined) {
          out = v;
          return r.constValue;
        }
        if (!equals(out, v)) throw conflict('functions must not produce multiple outputs for same inputs', r.loc);
        return false;
      });
    });
  const bind = (i: number): boolean => (i === n ? finish() : pats[i](ev, f, args[i], () => bind(i + 1)));
  bind(0);
  return out;
}

// ------------------------------------------------------------------------------------------
// Rule groups and the data tree

/** A function without parameters (`f() := 1`) also shows as a document. */
function isNullary(node: DNode): boolean {
  const def = node.rules[0] ?? node.defaultRule;
  return def !== undefined && def !== null && (def.args?.length ?? 0) === 0;
}

export function nodeValue(ev: Ev, node: DNode, base: Value | undefined): Value | undefined {
  if (node.kind === 'function') return isNullary(node) ? callFunction(ev, node, []) : undefined;
  if (!node.hasRules) return materialize(ev, node, base);
  const cached = ev.st.cache.get(node);
  let v: Value | undefined;
  if (cached === PENDING) throw new RegoError('rego_recursion_error', `rule ${node.name} is recursive`);
  if (cached !== undefined || ev.st.cache.has(node)) v = cached as Value | undefined;
  else {
    ev.st.cache.set(node, PENDING);
    if (++ev.depth > MAX_CALL_DEPTH) {
      ev.depth = 0;
      throw new RegoError('eval_cancel_error', `maximum evaluation depth exceeded at ${node.name}`);
    }
    try {
      v = evalGroup(ev, node);
    } catch (e) {
      ev.st.cache.delete(node);
      throw e;
    } finally {
      ev.depth--;
    }
    ev.st.cache.set(node, v);
  }
  if (node.children.size > 0 && (v === undefined || v instanceof RObject)) {
    // Rules below this node (e.g. `a.b.c := 1` next to `a.b[x] := ...`) extend its object.
    let merged: RObject | undefined = v instanceof RObject ? v : undefined;
    for (const [name, child] of node.children) {
      const cv = nodeValue(ev, child, lookup(base ?? null, name));
      if (cv === undefined) continue;
      if (!merged) merged = new RObject();
      else if (merged === v) merged = merged.clone();
      const prev = merged.get(name);
      const depth = node.rules.reduce((d, r) => Math.max(d, r.keys.length), 0);
      merged.set(name, prev === undefined ? cv : mergeValues(prev, cv, depth - 1));
    }
    return merged;
  }
  return v;
}

/**
 * Two documents defined at one path: objects built from rule head refs merge (down to `depth`
 * levels), sets of multi-value rules unite, other values must be equal.
 */
function mergeValues(a: Value, b: Value, depth: number): Value {
  if (a instanceof RSet && b instanceof RSet) {
    const out = new RSet(a);
    for (const x of b) out.add(x);
    return out;
  }
  if (a instanceof RObject && b instanceof RObject && depth > 0) {
    const out = a.clone();
    for (const [k, v] of b.entries()) {
      const prev = out.get(k);
      out.set(k, prev === undefined ? v : mergeValues(prev, v, depth - 1));
    }
    return out;
  }
  if (!equals(a, b)) throw conflict('object keys must be unique');
  return a;
}

function evalGroup(ev: Ev, node: DNode): Value | undefined {
  switch (node.kind) {
    case 'complete': {
      let result: Value | undefined;
      for (const def of candidateRules(ev, node)) {
        for (let r: CompiledRule | null = compiledOf(ev, def); r; r = r.elseRule) {
          const v = evalCompleteRule(ev, r);
          if (v !== undefined) {
            if (result === undefined) result = v;
            else if (!equals(result, v)) throw conflict('complete rules must not produce multiple outputs', def.loc);
            break;
          }
        }
      }
      if (result === undefined && node.defaultRule) {
        const d = compiledOf(ev, node.defaultRule);
        result = evalCompleteRule(ev, d);
      }
      return result;
    }
    case 'partialset': {
      const hasKeys = node.rules.some((d) => d.keys.length > 0);
      if (!hasKeys) {
        const out = new RSet();
        for (const def of candidateRules(ev, node)) {
          const r = compiledOf(ev, def);
          const f: Frame = new Array(r.frameSize);
          const member = r.member!;
          r.body(ev, f, () =>
            member(ev, f, (v) => {
              out.add(v);
              return false;
            }),
          );
        }
        return out;
      }
      return buildObject(ev, node, true);
    }
    case 'object':
      return buildObject(ev, node, false);
    default:
      return undefined;
  }
}

function evalCompleteRule(ev: Ev, r: CompiledRule): Value | undefined {
  const f: Frame = new Array(r.frameSize);
  let out: Value | undefined;
  r.body(ev, f, () =>
    r.value(ev, f, (v) => {
      if (out === undefined) {
        out = v;
        return r.constValue;
      }
      if (!equals(out, v)) throw conflict('complete rules must not produce multiple outputs', r.loc);
      return false;
    }),
  );
  return out;
}

// ------------------------------------------------------------------------------------------
// Rule index: when many rules of a group each test the same input path against a constant
// (`input.path == "/x"`), one lookup of that path selects the rules that can succeed.

const INDEX_MIN_RULES = 8;

interface RuleIndex {
  path: string[];
  byValue: Map<string, RuleDef[]>;
  /** Rules without the indexed test (and rules with else chains): always evaluated. */
  always: RuleDef[];
}

/** `input.a.b == const` / `input.a.b = const` as [path, value], or null. */
function indexableTest(lit: IRLit): [string[], Value] | null {
  if (lit.negated || lit.with.length > 0) return null;
  const e = lit.expr;
  let a: IR;
  let b: IR;
  if (e.k === 'unify') [a, b] = [e.left, e.right];
  else if (e.k === 'term' && e.term.k === 'call' && e.term.name === 'equal' && e.term.args.length === 2 && !e.term.outArg) [a, b] = e.term.args;
  else return null;
  if (b.k === 'ref' || b.k === 'input') [a, b] = [b, a];
  if (b.k !== 'const' || (typeof b.v === 'object' && b.v !== null)) return null;
  if (a.k === 'input') return [[], b.v];
  if (a.k !== 'ref' || a.head.k !== 'input') return null;
  const path: string[] = [];
  for (const p of a.path) {
    if (p.k !== 'const' || typeof p.v !== 'string') return null;
    path.push(p.v);
  }
  return [path, b.v];
}

function buildIndex(node: DNode): RuleIndex | null {
  if (node.rules.length < INDEX_MIN_RULES) return null;
  const counts = new Map<string, number>();
  for (const def of node.rules) {
    const seen = new Set<string>();
    for (const lit of def.body) {
      const t = indexableTest(lit);
      if (!t) continue;
      const sig = JSON.stringify(t[0]);
      if (seen.has(sig)) continue;
      seen.add(sig);
      counts.set(sig, (counts.get(sig) ?? 0) + 1);
    }
  }
  let best: string | null = null;
  for (const [sig, n] of counts) if (best === null || n > counts.get(best)!) best = sig;
  if (best === null || counts.get(best)! < INDEX_MIN_RULES) return null;
  const index: RuleIndex = { path: JSON.parse(best) as string[], byValue: new Map(), always: [] };
  for (const def of node.rules) {
    let key: string | null = null;
    if (def.elseRule === null) {
      for (const lit of def.body) {
        const t = indexableTest(lit);
        if (t && JSON.stringify(t[0]) === best) {
          key = keyOf(t[1]);
          break;
        }
      }
    }
    if (key === null) index.always.push(def);
    else {
      const list = index.byValue.get(key) ?? [];
      list.push(def);
      index.byValue.set(key, list);
    }
  }
  return index;
}

const indexes = new WeakMap<DNode, RuleIndex | null>();

/** The rules of a group that can succeed for the current input. */
function candidateRules(ev: Ev, node: DNode): RuleDef[] {
  let index = indexes.get(node);
  if (index === undefined) {
    index = buildIndex(node);
    indexes.set(node, index);
  }
  if (index === null) return node.rules;
  let v: Value | undefined = ev.st.input;
  for (const p of index.path) {
    if (v === undefined) break;
    v = lookup(v, p);
  }
  const hits = v === undefined || (typeof v === 'object' && v !== null) ? undefined : index.byValue.get(keyOf(v));
  if (!hits) return index.always;
  if (index.always.length === 0) return hits;
  return [...hits, ...index.always];
}

/** Rules with variables in their head refs build nested objects; `contains` puts sets at leaves. */
function buildObject(ev: Ev, node: DNode, setLeaves: boolean): Value {
  const root = new RObject();
  for (const def of candidateRules(ev, node)) {
    for (let r: CompiledRule | null = compiledOf(ev, def); r; r = r.elseRule) {
      const f: Frame = new Array(r.frameSize);
      const keys = r.keys;
      const n = keys.length;
      const path: Value[] = [];
      let found = false;
      const insert = (leaf: Value): boolean => {
        found = true;
        let obj = root;
        for (let i = 0; i < n - 1; i++) {
          const next = obj.get(path[i]);
          if (next === undefined) {
            const o = new RObject();
            obj.set(path[i], o);
            obj = o;
          } else if (next instanceof RObject) obj = next;
          else throw conflict('object keys must be unique', r!.loc);
        }
        const last = path[n - 1];
        const prev = obj.get(last);
        if (setLeaves) {
          if (prev === undefined) obj.set(last, new RSet([leaf]));
          else if (prev instanceof RSet) prev.add(leaf);
          else throw conflict('object keys must be unique', r!.loc);
        } else if (prev === undefined) obj.set(last, leaf);
        else if (!equals(prev, leaf)) throw conflict('object keys must be unique', r!.loc);
        return false;
      };
      const cr = r;
      const runKeys = (i: number): boolean =>
        i === n
          ? (setLeaves ? cr.member! : cr.value)(ev, f, insert)
          : keys[i](ev, f, (kv) => {
              path[i] = kv;
              return runKeys(i + 1);
            });
      cr.body(ev, f, () => runKeys(0));
      if (found) break;
    }
  }
  return root;
}

// Lazy view of a package node: a ref like data.pkg[x] iterates without computing every rule.
class LazyData {
  constructor(
    readonly node: DNode,
    readonly base: Value | undefined,
  ) {}
  step(ev: Ev, key: Value): Value | undefined {
    if (typeof key !== 'string') return undefined;
    const child = this.node.children.get(key);
    const b = lookup(this.base ?? null, key);
    const ov = overrideAt(ev, [...this.node.path, key]);
    if (ov !== undefined) return ov;
    if (!child) {
      const path = [...this.node.path, key];
      if (b === undefined) return hasOverrideBelow(ev, path) ? patchBelow(ev, new RObject(), path) : undefined;
      return patchBelow(ev, b, path);
    }
    if (child.hasRules || child.kind === 'function') return nodeValue(ev, child, b);
    return new LazyData(child, b) as unknown as Value;
  }
  force(ev: Ev): Value {
    return materialize(ev, this.node, this.base) ?? new RObject();
  }
}

function materializeLazy(ev: Ev, root: DNode): Value | undefined {
  if (ev.st.overrides !== null && overrideAt(ev, []) !== undefined) return overrideAt(ev, []);
  return new LazyData(root, ev.data) as unknown as Value;
}

/** The full value of a package node: base data merged with every rule below it. */
export function materialize(ev: Ev, node: DNode, base: Value | undefined): Value | undefined {
  const ov = overrideAt(ev, node.path);
  if (ov !== undefined) return ov;
  if (node.hasRules) return nodeValue(ev, node, base);
  if (node.kind === 'function') return undefined;
  let out: RObject;
  if (base instanceof RObject) out = base.clone();
  else if (base === undefined) out = new RObject();
  else return patchBelow(ev, base, node.path);
  for (const [name, child] of node.children) {
    if (child.kind === 'function' && !isNullary(child)) continue;
    const b = lookup(base ?? null, name);
    // Where base data and rules define the same key, the base document wins (as in OPA).
    if (b !== undefined && child.hasRules) continue;
    const cv = materialize(ev, child, b);
    if (cv !== undefined) out.set(name, cv);
  }
  return patchBelow(ev, out, node.path, node);
}

/** data[keys...] through the tree, honouring `with data...` overrides. */
export function dataLookup(ev: Ev, root: DNode, keys: Value[]): Value | undefined {
  let node: DNode | undefined = root;
  let base: Value | undefined = ev.data;
  const path: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    if (node === undefined) break;
    const ov = overrideAt(ev, path);
    if (ov !== undefined) return lookupPath(ov, keys.slice(i));
    if (node.hasRules || node.kind === 'function') {
      const v = nodeValue(ev, node, base);
      return v === undefined ? undefined : lookupPath(patchBelow(ev, v, path), keys.slice(i));
    }
    let key = keys[i];
    if (typeof key === 'number') key = String(key);
    if (typeof key !== 'string') return undefined;
    path.push(key);
    base = lookup(base ?? null, key);
    const child: DNode | undefined = node.children.get(key);
    if (!child) {
      const ov2 = overrideAt(ev, path);
      if (ov2 !== undefined) return lookupPath(ov2, keys.slice(i + 1));
      if (base === undefined) {
        if (hasOverrideBelow(ev, path)) return lookupPath(patchBelow(ev, new RObject(), path), keys.slice(i + 1));
        return undefined;
      }
      return lookupPath(patchBelow(ev, base, path), keys.slice(i + 1));
    }
    node = child;
  }
  if (node === undefined) return undefined;
  return materialize(ev, node, base);
}

/** Lookups in documents reached through data; base documents take numeric keys as strings. */
function lookupPath(v: Value | undefined, keys: Value[]): Value | undefined {
  for (const k of keys) {
    if (v === undefined) return undefined;
    v = v instanceof RObject && typeof k === 'number' && v.get(k) === undefined ? v.getStr(String(k)) : lookup(v, k);
  }
  return v;
}

function baseAt(data: Value, path: string[]): Value | undefined {
  let v: Value | undefined = data;
  for (const p of path) {
    if (v === undefined) return undefined;
    v = lookup(v, p);
  }
  return v;
}

// ------------------------------------------------------------------------------------------
// `with`

function overrideAt(ev: Ev, path: string[]): Value | undefined {
  const ovs = ev.st.overrides;
  if (ovs === null) return undefined;
  let found: Value | undefined;
  for (const o of ovs) {
    if (o.path.length === path.length && o.path.every((p, i) => p === path[i])) found = o.value;
  }
  if (found !== undefined) return patchBelow(ev, found, path);
  return undefined;
}

function hasOverrideBelow(ev: Ev, path: string[]): boolean {
  const ovs = ev.st.overrides;
  if (ovs === null) return false;
  return ovs.some((o) => o.path.length > path.length && path.every((p, i) => o.path[i] === p));
}

function patchBelow(ev: Ev, v: Value, path: string[], node?: DNode): Value {
  const ovs = ev.st.overrides;
  if (ovs === null) return v;
  let out = v;
  for (const o of ovs) {
    if (o.path.length <= path.length || !path.every((p, i) => o.path[i] === p)) continue;
    const rest = o.path.slice(path.length);
    if (node && node.children.has(rest[0])) continue; // the child applies it itself
    out = setPath(out, rest, o.value);
  }
  return out;
}

function setPath(v: Value, path: Value[], value: Value): Value {
  if (path.length === 0) return value;
  const o = v instanceof RObject ? v.clone() : new RObject();
  const cur = o.get(path[0]);
  o.set(path[0], setPath(cur ?? new RObject(), path.slice(1), value));
  return o;
}

function applyWiths(ev: Ev, withs: IRWith[], values: (Get | null)[], f: Frame): EvalState | null {
  const st: EvalState = { ...ev.st, cache: new Map() };
  for (let i = 0; i < withs.length; i++) {
    const w = withs[i];
    if (w.fnValue) {
      const fns = new Map(st.fns ?? []);
      const fv = w.fnValue;
      let o: FnOverride;
      if (fv.builtin) o = { builtin: fv.builtin };
      else {
        const node = ev.policy.root.find(fv.func!);
        if (!node) throw new RegoError('eval_internal_error', `undefined function ${fv.name}`);
        o = { func: node };
      }
      fns.set((w.target as { name: string }).name, o);
      st.fns = fns;
      continue;
    }
    const v = values[i]!(ev, f);
    if (v === undefined) return null;
    const t = w.target;
    if (t.k === 'input') st.input = t.path.length === 0 ? v : setPath(st.input ?? new RObject(), t.path, v);
    else if (t.k === 'data') st.overrides = [...(st.overrides ?? []), { path: t.path, value: v }];
    else {
      const fns = new Map(st.fns ?? []);
      fns.set(t.name, { value: v });
      st.fns = fns;
    }
  }
  return st;
}
