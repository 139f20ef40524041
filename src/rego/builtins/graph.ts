// Graph built-ins: graph.reachable, graph.reachable_paths, and walk (a relation: one result per
// [path, value] pair of a document, in pre-order).

import { RObject, RSet, type Value } from '../eval/values';
import { BuiltinError, operandError, register, type BuiltinContext } from './registry';
import { asObject } from './operands';

/** The neighbours of a node: members of an array or set; anything else (null) has none. */
function neighbours(edges: Value): Value[] {
  if (Array.isArray(edges)) return edges;
  if (edges instanceof RSet) return edges.sorted();
  return [];
}

function initialNodes(v: Value): Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof RSet) return v.sorted();
  operandError(2, 'one of {set, array}', v);
}

function reachable(graph: RObject, initial: Value[], ctx: BuiltinContext): RSet {
  const reached = new RSet();
  const queue = initial.slice();
  for (let i = 0; i < queue.length; i++) {
    if ((i & 0x3ff) === 0x3ff) ctx.checkBudget();
    const node = queue[i];
    const edges = graph.get(node);
    if (edges === undefined || reached.has(node)) continue;
    reached.add(node);
    for (const n of neighbours(edges)) if (!reached.has(n)) queue.push(n);
  }
  return reached;
}

/** The number of paths grows exponentially with the graph: refuse results that would exhaust memory. */
const MAX_PATHS = 1 << 16;

/**
 * Every maximal path from each initial node that is in the graph. A path ends where a node has no
 * neighbours, where a neighbour is not in the graph, or where it would revisit a node of the path.
 */
function reachablePaths(graph: RObject, initial: Value[], ctx: BuiltinContext): RSet {
  const result = new RSet();
  const path: Value[] = [];
  const onPath = new RSet();
  let steps = 0;
  const extend = (node: Value): void => {
    if ((++steps & 0x3ff) === 0) {
      ctx.checkBudget();
      if (result.size > MAX_PATHS) throw new BuiltinError(`more than ${MAX_PATHS} paths`);
    }
    path.push(node);
    onPath.add(node);
    const next = neighbours(graph.get(node)!);
    let ended = next.length === 0;
    for (const n of next) {
      if (onPath.has(n) || graph.get(n) === undefined) ended = true;
      else extend(n);
    }
    if (ended) result.add(path.slice());
    onPath.delete(node);
    path.pop();
  };
  for (const start of initial) if (graph.get(start) !== undefined) extend(start);
  return result;
}

/** All [path, value] pairs of a document: the document itself first, then its members in order. */
function walk(root: Value, ctx: BuiltinContext): Value[] {
  const out: Value[] = [];
  const path: Value[] = [];
  const visit = (v: Value): void => {
    if ((out.length & 0x3ff) === 0x3ff) ctx.checkBudget();
    out.push([path.slice(), v]);
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        path.push(i);
        visit(x);
        path.pop();
      });
    } else if (v instanceof RObject) {
      for (const [k, x] of v.sortedEntries()) {
        path.push(k);
        visit(x);
        path.pop();
      }
    } else if (v instanceof RSet) {
      for (const x of v.sorted()) {
        path.push(x);
        visit(x);
        path.pop();
      }
    }
  };
  visit(root);
  return out;
}

register(
  {
    name: 'graph.reachable',
    args: ['object<any, array<any>|set<any>>', 'array<any>|set<any>'],
    result: 'set<any>',
    impl: ([g, init], ctx) => reachable(asObject(g, 1), initialNodes(init), ctx),
  },
  {
    name: 'graph.reachable_paths',
    args: ['object<any, array<any>|set<any>>', 'array<any>|set<any>'],
    result: 'set<array<any>>',
    impl: ([g, init], ctx) => reachablePaths(asObject(g, 1), initialNodes(init), ctx),
  },
  {
    name: 'walk',
    args: ['any'],
    result: 'array<any>',
    relation: true,
    impl: ([x], ctx) => walk(x, ctx),
  },
);
