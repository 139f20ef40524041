// A compiled policy: the public face of the engine. Stateless across evaluations: every call
// creates its own evaluation state, so one Policy serves concurrent requests.

import { RegoError } from '../errors';
import type { CompiledModules } from '../compile/compiler';
import { Resolver, reorderBody } from '../compile/resolve';
import type { DNode } from '../compile/tree';
import { parseQuerySource } from '../syntax/parser';
import { ClosureCompiler, Ev, dataLookup, type Frame, type Goal } from './evaluator';
import { RObject, type Value } from './values';

export interface EvalOptions {
  /** Already converted (fromJSON); undefined = no input. */
  input?: Value;
  /** Base documents (an RObject), merged under data with the rules. */
  data?: Value;
  strictBuiltinErrors?: boolean;
  /** Deadline -> eval_cancel_error. Default 10 s. */
  timeoutMs?: number;
  nowNs?: bigint;
  env?: Record<string, string>;
  print?: (msg: string) => void;
}

export interface Policy {
  readonly packages: string[];
  evaluate(path: string, options?: EvalOptions): Value | undefined;
  query(query: string, options?: EvalOptions): Record<string, Value>[];
  ruleNames(): string[];
}

interface CompiledQuery {
  goal: Goal;
  frameSize: number;
  outputs: { name: string; slot: number }[];
}

const DEFAULT_TIMEOUT_MS = 10_000;

export class CompiledPolicy implements Policy {
  readonly packages: string[];
  readonly root: DNode;
  private readonly queries = new Map<string, CompiledQuery>();
  private readonly paths = new Map<string, string[]>();

  constructor(readonly compiled: CompiledModules) {
    this.root = compiled.root;
    this.packages = compiled.packages;
    // Compile every rule now so that errors surface at compile time, not on first use.
    const visit = (n: DNode): void => {
      for (const d of [...n.rules, ...(n.defaultRule ? [n.defaultRule] : [])]) new ClosureCompiler(this, d.slotNames).rule(d);
      for (const c of n.children.values()) visit(c);
    };
    visit(this.root);
  }

  private newEv(options: EvalOptions): Ev {
    const print = options.print ?? (() => undefined);
    return new Ev(this, {
      input: options.input,
      data: options.data ?? new RObject(),
      strict: options.strictBuiltinErrors ?? false,
      deadline: Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      nowNs: options.nowNs ?? BigInt(Date.now()) * 1_000_000n,
      // Tenants' policies must not read the server's environment unless the caller passes one.
      env: options.env ?? {},
      print,
    });
  }

  evaluate(path: string, options: EvalOptions = {}): Value | undefined {
    let keys = this.paths.get(path);
    if (keys === undefined) {
      keys = parsePath(path);
      if (this.paths.size < 1000) this.paths.set(path, keys);
    }
    const ev = this.newEv(options);
    return guard(() => dataLookup(ev, this.root, keys));
  }

  query(query: string, options: EvalOptions = {}): Record<string, Value>[] {
    const q = this.compileQuery(query);
    const ev = this.newEv(options);
    const rows: Record<string, Value>[] = [];
    const f: Frame = new Array(q.frameSize);
    guard(() =>
      q.goal(ev, f, () => {
        const row: Record<string, Value> = {};
        for (const o of q.outputs) {
          const v = f[o.slot];
          if (v !== undefined) row[o.name] = v;
        }
        rows.push(row);
        return false;
      }),
    );
    return rows;
  }

  private compileQuery(text: string): CompiledQuery {
    const hit = this.queries.get(text);
    if (hit) return hit;
    const lits = parseQuerySource(text, 1);
    const r = new Resolver({ pkg: [], imports: new Map(), ruleNames: new Set(), isFunction: (p) => this.root.find(p)?.kind === 'function', functionArity: (p) => functionArity(this.root, p), errors: [] });
    const scope = r.newScope();
    r.declareLevel(scope, lits);
    const errors: RegoError['errors'] = [];
    const body = reorderBody(r.body(scope, lits), new Set(), r.slotNames, errors);
    if (errors.length > 0) throw RegoError.fromItems(errors);
    const goal = new ClosureCompiler(this, r.slotNames).body(body, new Set());
    const outputs = [...scope.names].filter(([name]) => !name.startsWith('_')).map(([name, slot]) => ({ name, slot }));
    const q = { goal, frameSize: r.alloc.n, outputs };
    if (this.queries.size < 1000) this.queries.set(text, q);
    return q;
  }

  ruleNames(): string[] {
    const out: string[] = [];
    const visit = (n: DNode): void => {
      if (n.hasRules) out.push(n.name);
      for (const c of n.children.values()) visit(c);
    };
    visit(this.root);
    return out;
  }
}

function functionArity(root: DNode, path: string[]): number | undefined {
  const node = root.find(path);
  if (!node || node.kind !== 'function') return undefined;
  return (node.rules[0] ?? node.defaultRule)?.args?.length;
}

/** 'main/deny', 'main.deny', 'data.main.deny' -> ['main', 'deny']; '' -> []. */
function parsePath(path: string): string[] {
  let p = path.trim();
  if (p === '' || p === 'data' || p === '/') return [];
  if (p.startsWith('data.')) p = p.slice(5);
  const parts = p.includes('/') ? p.split('/') : p.split('.');
  return parts.filter((x) => x !== '');
}

/** Turns JS stack exhaustion into a typed error. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) {
      throw new RegoError('eval_cancel_error', 'evaluation exceeded the maximum depth (stack overflow)');
    }
    throw e;
  }
}
