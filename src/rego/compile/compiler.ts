// The compiler: a set of parsed modules -> the tree of rule groups with resolved, safety-ordered
// bodies. It runs as ordered stages, each collecting errors; the first stage that reports errors
// stops the pipeline and every error it found is thrown together.

import { RegoError, type RegoErrorItem } from '../errors';
import type { Module, Rule, Term } from '../syntax/ast';
import { fromJSON, RObject, type Value } from '../eval/values';
import type { IR } from './ir';
import { Resolver, checkBound, reorderBody, type NameContext } from './resolve';
import { DNode, type GroupKind, type RuleDef } from './tree';

export interface CompiledModules {
  root: DNode;
  modules: Module[];
  packages: string[];
}

const MAX_ERRORS = 10;

interface Stage {
  name: string;
  run: (state: CompileState) => void;
}

interface CompileState {
  modules: Module[];
  root: DNode;
  functionPaths: Set<string>;
  functionArity: Map<string, number>;
  ruleNames: Map<string, Set<string>>;
  errors: RegoErrorItem[];
  pending: { mod: Module; rule: Rule; node: DNode; keys: Term[] }[];
}

const stages: Stage[] = [
  { name: 'CollectRuleNames', run: collectRuleNames },
  { name: 'BuildRuleTree', run: buildRuleTree },
  { name: 'ResolveAndCheckSafety', run: resolveRules },
  { name: 'CheckRecursion', run: checkRecursion },
];

export function compileParsed(modules: Module[]): CompiledModules {
  const state: CompileState = {
    modules,
    root: new DNode([]),
    functionPaths: new Set(),
    functionArity: new Map(),
    ruleNames: new Map(),
    errors: [],
    pending: [],
  };
  for (const stage of stages) {
    try {
      stage.run(state);
    } catch (e) {
      if (e instanceof RegoError) state.errors.push(...e.errors);
      else throw e;
    }
    if (state.errors.length > 0) {
      const errs = state.errors.slice(0, MAX_ERRORS);
      throw RegoError.fromItems(errs);
    }
  }
  const packages = [...new Set(modules.map((m) => m.package.join('.')))];
  return { root: state.root, modules, packages };
}

function groundPrefix(rule: Rule): { names: string[]; rest: Term[] } {
  const names: string[] = [];
  let i = 0;
  for (; i < rule.ref.length; i++) {
    const t = rule.ref[i];
    if (t.type !== 'string') break;
    names.push(t.value);
  }
  return { names, rest: rule.ref.slice(i) };
}

function collectRuleNames(st: CompileState): void {
  for (const mod of st.modules) {
    const key = mod.package.join('.');
    let names = st.ruleNames.get(key);
    if (!names) st.ruleNames.set(key, (names = new Set()));
    for (const r of mod.rules) {
      names.add((r.ref[0] as { value: string }).value);
      if (r.kind === 'function') {
        const path = [...mod.package, ...groundPrefix(r).names].join('.');
        st.functionPaths.add(path);
        st.functionArity.set(path, r.args!.length);
      }
    }
  }
}

function ruleKind(rule: Rule, rest: Term[]): GroupKind {
  if (rule.kind === 'function') return 'function';
  if (rule.kind === 'partialset') return 'partialset';
  return rest.length > 0 ? 'object' : 'complete';
}

function buildRuleTree(st: CompileState): void {
  const defaults = new Set<DNode>();
  for (const mod of st.modules) {
    let pkgNode = st.root;
    for (const p of mod.package) pkgNode = pkgNode.child(p);
    for (const rule of mod.rules) {
      const { names, rest } = groundPrefix(rule);
      let node = pkgNode;
      for (const n of names) node = node.child(n);
      const kind = ruleKind(rule, rest);
      const path = 'data.' + node.path.join('.');
      if (node.kind !== null && node.kind !== kind) {
        st.errors.push({ code: 'rego_type_error', message: `conflicting rules ${path} found`, location: rule.loc });
        continue;
      }
      node.kind = kind;
      if (rule.isDefault) {
        if (defaults.has(node)) {
          st.errors.push({ code: 'rego_type_error', message: `multiple default rules ${path} found`, location: rule.loc });
          continue;
        }
        defaults.add(node);
      }
      st.pending.push({ mod, rule, node, keys: rest });
    }
  }
  // A rule may not be defined at a path that is a prefix of another rule's path with a value
  // of a different shape (complete rule above rules): OPA reports these as conflicts.
  const visit = (n: DNode): void => {
    if ((n.kind === 'complete' || n.kind === 'function') && n.children.size > 0) {
      const hasRulesBelow = (x: DNode): boolean => x.pendingRules || [...x.children.values()].some(hasRulesBelow);
      if ([...n.children.values()].some(hasRulesBelow)) {
        st.errors.push({ code: 'rego_type_error', message: `rule data.${n.path.join('.')} conflicts with rules below it`, location: undefined });
      }
    }
    for (const c of n.children.values()) visit(c);
  };
  for (const p of st.pending) p.node.pendingRules = true;
  visit(st.root);
}

function nameContext(st: CompileState, mod: Module): NameContext {
  const imports = new Map<string, string[]>();
  for (const imp of mod.imports) {
    const ref = imp.path as Extract<Term, { type: 'ref' }>;
    const head = ref.type === 'ref' ? (ref.head as { name: string }).name : (imp.path as { name: string }).name;
    if (head === 'future' || head === 'rego') continue;
    const path = [head, ...(ref.type === 'ref' ? ref.path.map((p) => (p as { value: string }).value) : [])];
    const alias = imp.alias ?? path[path.length - 1];
    imports.set(alias, path);
  }
  return {
    pkg: mod.package,
    imports,
    ruleNames: st.ruleNames.get(mod.package.join('.')) ?? new Set(),
    v1: mod.regoVersion === 1,
    isFunction: (path) => st.functionPaths.has(path.join('.')),
    functionArity: (path) => st.functionArity.get(path.join('.')),
    errors: st.errors,
  };
}

function resolveRules(st: CompileState): void {
  const ctxs = new Map<Module, NameContext>();
  for (const { mod, rule, node, keys } of st.pending) {
    let ctx = ctxs.get(mod);
    if (!ctx) ctxs.set(mod, (ctx = nameContext(st, mod)));
    try {
      const def = resolveRule(ctx, mod, rule, node.kind!, keys, st.errors);
      if (rule.isDefault) node.defaultRule = def;
      else node.rules.push(def);
    } catch (e) {
      if (e instanceof RegoError) st.errors.push(...e.errors);
      else throw e;
    }
    if (st.errors.length >= MAX_ERRORS) return;
  }
}

function resolveRule(ctx: NameContext, mod: Module, rule: Rule, kind: GroupKind, keys: Term[], errors: RegoErrorItem[]): RuleDef {
  ctx.metadata = ruleMetadata(mod, rule);
  const r = new Resolver(ctx);
  const scope = r.newScope();
  const headTerms: Term[] = [...keys];
  if (rule.key) headTerms.push(rule.key);
  if (rule.value) headTerms.push(rule.value);
  if (rule.args) r.declareArgs(scope, rule.args);
  r.declareLevel(scope, rule.body, headTerms);
  const args = rule.args ? rule.args.map((a) => r.term(scope, a)) : null;
  const bound = new Set<number>();
  if (args) for (const a of args) for (const s of slotsOf(a)) bound.add(s);
  const body = reorderBody(r.body(scope, rule.body), bound, r.slotNames, errors);
  const keyIRs = keys.map((k) => r.term(scope, k));
  const member = rule.kind === 'partialset' && rule.key ? r.term(scope, rule.key) : null;
  const value: IR = rule.value ? r.term(scope, rule.value) : { k: 'const', v: true };
  const errCount = errors.length;
  for (const t of [...keyIRs, ...(member ? [member] : []), value]) checkBound(t, bound, r.slotNames, errors, rule.loc);
  if (errors.length > errCount) {
    // keep only the first report per variable
    const seen = new Set<string>();
    for (let i = errCount; i < errors.length; i++) {
      const k = errors[i].message;
      if (seen.has(k)) errors.splice(i--, 1);
      else seen.add(k);
    }
  }
  const def: RuleDef = {
    kind,
    keys: keyIRs,
    member,
    value,
    args,
    body,
    frameSize: 0,
    elseRule: null,
    isDefault: rule.isDefault,
    loc: rule.loc,
    file: mod.file,
    slotNames: r.slotNames,
  };
  if (rule.elseRule) {
    const er: Rule = { ...rule.elseRule, args: rule.args, isDefault: false };
    def.elseRule = resolveRule(ctx, mod, er, kind, keys, errors);
  }
  def.frameSize = r.alloc.n;
  return def;
}

/** rego.metadata.rule() and rego.metadata.chain() of a rule, known at compile time. */
function ruleMetadata(mod: Module, rule: Rule): { rule: Value; chain: Value } {
  const ruleMeta = rule.annotations?.[0] ? fromJSON(rule.annotations[0]) : new RObject();
  const rulePath = ['data', ...mod.package, ...rule.ref.filter((t) => t.type === 'string').map((t) => (t as { value: string }).value)];
  const chain: Value[] = [];
  const entry = (path: string[], meta?: Record<string, unknown>) => {
    const o = new RObject();
    o.set('path', path);
    if (meta) o.set('annotations', fromJSON(meta));
    return o;
  };
  chain.push(entry(rulePath, rule.annotations?.[0]));
  for (const meta of mod.annotations) chain.push(entry(['data', ...mod.package], meta));
  return { rule: ruleMeta, chain };
}

function slotsOf(t: IR): number[] {
  switch (t.k) {
    case 'var':
      return [t.slot];
    case 'array':
    case 'set':
      return t.items.flatMap(slotsOf);
    case 'object':
      return t.items.flatMap(([a, b]) => [...slotsOf(a), ...slotsOf(b)]);
    case 'ref':
      return [...slotsOf(t.head), ...t.path.flatMap(slotsOf)];
    default:
      return [];
  }
}

// ------------------------------------------------------------------------------------------
// Recursion: a rule (or function) that depends on itself through refs or calls.

function checkRecursion(st: CompileState): void {
  const deps = new Map<DNode, Set<DNode>>();
  const nodes: DNode[] = [];
  const collect = (n: DNode): void => {
    if (n.hasRules) nodes.push(n);
    for (const c of n.children.values()) collect(c);
  };
  collect(st.root);
  for (const n of nodes) {
    const out = new Set<DNode>();
    const defs = [...n.rules, ...(n.defaultRule ? [n.defaultRule] : [])];
    for (let d of defs) {
      for (let cur: RuleDef | null = d; cur; cur = cur.elseRule) {
        d = cur;
        // A data ref depends on the rules its path can reach (a variable key reaches every child).
        const match = (node: DNode, path: (string | null)[], i: number): void => {
          if (node.hasRules) out.add(node);
          else if (i === path.length) addAllBelow(node, out);
          else if (path[i] === null) for (const c of node.children.values()) match(c, path, i + 1);
          else {
            const c = node.children.get(path[i]!);
            if (c) match(c, path, i + 1);
          }
        };
        visitRuleIR(d, (path) => match(st.root, path, 0));
      }
    }
    deps.set(n, out);
  }
  const state = new Map<DNode, 1 | 2>();
  const stack: DNode[] = [];
  const dfs = (n: DNode): void => {
    state.set(n, 1);
    stack.push(n);
    for (const d of deps.get(n) ?? []) {
      const s = state.get(d);
      if (s === 1) {
        const cycle = stack.slice(stack.indexOf(d)).concat(d);
        const first = d.rules[0] ?? d.defaultRule;
        st.errors.push({
          code: 'rego_recursion_error',
          message: `rule ${d.name} is recursive: ${cycle.map((c) => c.name).join(' -> ')}`,
          location: first?.loc,
        });
      } else if (s === undefined) dfs(d);
    }
    stack.pop();
    state.set(n, 2);
  };
  for (const n of nodes) if (!state.has(n)) dfs(n);
}

function addAllBelow(n: DNode, out: Set<DNode>): void {
  if (n.hasRules) out.add(n);
  for (const c of n.children.values()) addAllBelow(c, out);
}

/** Calls fn with the path of every data ref (null for a variable key) and function call in a rule. */
function visitRuleIR(def: RuleDef, fn: (path: (string | null)[]) => void): void {
  const visit = (t: IR): void => {
    switch (t.k) {
      case 'data':
        fn([]);
        return;
      case 'ref': {
        if (t.head.k === 'data') {
          const path: (string | null)[] = [];
          let baseOnly = false;
          for (const p of t.path) {
            if (p.k === 'const' && typeof p.v !== 'string') {
              baseOnly = true; // no rule has a non-string key
              break;
            }
            path.push(p.k === 'const' ? (p.v as string) : null);
          }
          if (!baseOnly) fn(path);
        } else visit(t.head);
        t.path.forEach(visit);
        return;
      }
      case 'array':
      case 'set':
        t.items.forEach(visit);
        return;
      case 'object':
        t.items.forEach(([a, b]) => (visit(a), visit(b)));
        return;
      case 'arraycomp':
      case 'setcomp':
        visit(t.term);
        t.body.forEach(visitLit);
        return;
      case 'objectcomp':
        visit(t.key);
        visit(t.value);
        t.body.forEach(visitLit);
        return;
      case 'call':
        if (t.func) fn(t.func);
        t.args.forEach(visit);
        return;
      case 'template':
        t.parts.forEach((p) => typeof p !== 'string' && visit(p));
        return;
      default:
        return;
    }
  };
  const visitLit = (l: (typeof def.body)[number]): void => {
    const e = l.expr;
    if (e.k === 'term') visit(e.term);
    else if (e.k === 'unify') {
      visit(e.left);
      visit(e.right);
    }
    else if (e.k === 'somein') {
      visit(e.domain);
      if (e.key) visit(e.key);
      visit(e.value);
    } else if (e.k === 'every') {
      visit(e.domain);
      e.body.forEach(visitLit);
    } else if (e.k === 'logic') {
      e.left.forEach(visitLit);
      e.right.forEach(visitLit);
    } else if (e.k === 'group') e.body.forEach(visitLit);
    for (const w of l.with) {
      visit(w.value);
      if (w.fnValue?.func) fn(w.fnValue.func);
    }
  };
  def.body.forEach(visitLit);
  def.keys.forEach(visit);
  if (def.member) visit(def.member);
  visit(def.value);
  def.args?.forEach(visit);
}
