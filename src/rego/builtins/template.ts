// A subset of Go's text/template for strings.render_template: text, {{- trim -}} markers,
// comments, fields (.a.b), variables ($x, $x := ...), if/else if/else, range (with $i, $v and
// else), with, pipelines (a | b) and the common functions (and, or, not, len, index, eq, ne,
// lt, le, gt, ge, print, printf, println). Values print as Go's %v prints the JSON-decoded
// variables OPA passes; a missing key prints "<undefined>".

import { RObject, RSet, type Value, compare, equals } from '../eval/values';
import { BuiltinError } from './registry';
import { type GoArg, goSprintf, intArg } from './gofmt';

/** A Go int produced by the template itself (range indexes, len): unlike JSON numbers, 0 is false. */
class GoInt {
  constructor(readonly n: number) {}
}
const MISSING = Symbol('missing');
type TVal = Value | GoInt | typeof MISSING;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe }
  | { kind: 'if' | 'with'; pipe: Pipe; then: Node[]; else: Node[] }
  | { kind: 'range'; pipe: Pipe; body: Node[]; else: Node[] };

interface Pipe {
  decl: string[];
  cmds: Term[][];
}

type Term =
  | { kind: 'dot'; fields: string[] }
  | { kind: 'var'; name: string; fields: string[] }
  | { kind: 'lit'; value: TVal }
  | { kind: 'ident'; name: string }
  | { kind: 'sub'; pipe: Pipe; fields: string[] };

// ---------------------------------------------------------------------------------------------
// Lexing: split into text and action pieces, applying the trim markers.

function pieces(src: string): { text?: string; action?: string }[] {
  const out: { text?: string; action?: string }[] = [];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      out.push({ text: src.slice(i) });
      break;
    }
    let text = src.slice(i, open);
    let start = open + 2;
    if (src.startsWith('- ', start) || src.startsWith('-\t', start) || src.startsWith('-\n', start)) {
      text = text.replace(/[ \t\r\n]+$/, '');
      start += 1;
    }
    out.push({ text });
    const close = findClose(src, start);
    if (close < 0) throw new BuiltinError('template: unclosed action');
    let body = src.slice(start, close);
    i = close + 2;
    if (/[ \t\r\n]-$/.test(body)) {
      body = body.slice(0, -1);
      const m = /^[ \t\r\n]*/.exec(src.slice(i))!;
      i += m[0].length;
    }
    out.push({ action: body.trim() });
  }
  return out;
}

function findClose(src: string, from: number): number {
  let i = from;
  while (i < src.length) {
    const c = src[i];
    if (c === '"' || c === '`' || c === "'") {
      const q = c;
      i++;
      while (i < src.length && src[i] !== q) i += src[i] === '\\' && q !== '`' ? 2 : 1;
      i++;
      continue;
    }
    if (src.startsWith('}}', i)) return i;
    i++;
  }
  return -1;
}

function tokenize(action: string): string[] {
  const re = /\s*("(?:[^"\\]|\\.)*"|`[^`]*`|'(?:[^'\\]|\\.)*'|:=|=|\||\(|\)|,|[^\s|(),]+)/gy;
  const out: string[] = [];
  let consumed = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(action)) !== null) {
    out.push(m[1]);
    consumed = re.lastIndex;
  }
  if (action.slice(consumed).trim() !== '') throw new BuiltinError('template: bad action');
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing

class Parser {
  private pos = 0;
  constructor(private readonly items: { text?: string; action?: string }[]) {}

  parseList(stops: string[]): { nodes: Node[]; stop: string; rest: string[] } {
    const nodes: Node[] = [];
    while (this.pos < this.items.length) {
      const it = this.items[this.pos++];
      if (it.text !== undefined) {
        if (it.text !== '') nodes.push({ kind: 'text', text: it.text });
        continue;
      }
      const action = it.action!;
      if (action.startsWith('/*')) continue;
      const toks = tokenize(action);
      const word = toks[0];
      if (stops.includes(word)) return { nodes, stop: word, rest: toks.slice(1) };
      if (word === 'if' || word === 'with') nodes.push(this.parseBranch(word, toks.slice(1)));
      else if (word === 'range') {
        const pipe = parsePipe(toks.slice(1), true);
        const body = this.parseList(['else', 'end']);
        let elseNodes: Node[] = [];
        if (body.stop === 'else') elseNodes = this.expectEnd(this.parseList(['end']));
        nodes.push({ kind: 'range', pipe, body: body.nodes, else: elseNodes });
      } else if (word === 'end' || word === 'else') throw new BuiltinError(`template: unexpected {{${word}}}`);
      else nodes.push({ kind: 'action', pipe: parsePipe(toks, true) });
    }
    if (stops.length > 0) throw new BuiltinError('template: unexpected EOF');
    return { nodes, stop: '', rest: [] };
  }

  private expectEnd(r: { nodes: Node[]; stop: string }): Node[] {
    if (r.stop !== 'end') throw new BuiltinError('template: missing {{end}}');
    return r.nodes;
  }

  private parseBranch(kind: 'if' | 'with', toks: string[]): Node {
    const pipe = parsePipe(toks, true);
    const then = this.parseList(['else', 'end']);
    let elseNodes: Node[] = [];
    if (then.stop === 'else') {
      if (then.rest[0] === 'if' || then.rest[0] === 'with') {
        elseNodes = [this.parseBranch(then.rest[0] as 'if' | 'with', then.rest.slice(1))];
      } else elseNodes = this.expectEnd(this.parseList(['end']));
    }
    return { kind, pipe, then: then.nodes, else: elseNodes };
  }
}

function parsePipe(toks: string[], allowDecl: boolean): Pipe {
  let decl: string[] = [];
  const assign = toks.findIndex((t) => t === ':=' || t === '=');
  if (allowDecl && assign > 0 && toks.slice(0, assign).every((t) => t.startsWith('$') || t === ',')) {
    decl = toks.slice(0, assign).filter((t) => t !== ',');
    toks = toks.slice(assign + 1);
  }
  const cmds: Term[][] = [];
  let cur: Term[] = [];
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i];
    if (t === '|') {
      cmds.push(cur);
      cur = [];
    } else if (t === '(') {
      let depth = 1;
      let j = i + 1;
      for (; j < toks.length && depth > 0; j++) depth += toks[j] === '(' ? 1 : toks[j] === ')' ? -1 : 0;
      if (depth !== 0) throw new BuiltinError('template: unclosed left paren');
      cur.push({ kind: 'sub', pipe: parsePipe(toks.slice(i + 1, j - 1), false), fields: [] });
      i = j - 1;
    } else cur.push(parseTerm(t));
  }
  cmds.push(cur);
  if (cmds.some((c) => c.length === 0)) throw new BuiltinError('template: missing value for command');
  return { decl, cmds };
}

function parseTerm(t: string): Term {
  if (t === '.') return { kind: 'dot', fields: [] };
  if (t.startsWith('.')) return { kind: 'dot', fields: t.slice(1).split('.') };
  if (t.startsWith('$')) {
    const [name, ...fields] = t.split('.');
    return { kind: 'var', name, fields };
  }
  if (t.startsWith('"')) return { kind: 'lit', value: JSON.parse(t) as string };
  if (t.startsWith('`')) return { kind: 'lit', value: t.slice(1, -1) };
  if (t === 'true' || t === 'false') return { kind: 'lit', value: t === 'true' };
  if (t === 'nil') return { kind: 'lit', value: null };
  if (/^[+-]?\d+$/.test(t)) return { kind: 'lit', value: new GoInt(Number(t)) };
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return { kind: 'lit', value: Number(t) };
  if (/^[A-Za-z_]\w*$/.test(t)) return { kind: 'ident', name: t };
  throw new BuiltinError(`template: unexpected "${t}" in command`);
}

// ---------------------------------------------------------------------------------------------
// Execution

interface Scope {
  dot: TVal;
  vars: Map<string, TVal>;
}

function field(v: TVal, name: string): TVal {
  if (v instanceof RObject) {
    const x = v.getStr(name);
    return x === undefined ? MISSING : x;
  }
  if (v === MISSING || v === null) return MISSING;
  throw new BuiltinError(`template: can't evaluate field ${name} in type ${goType(v)}`);
}

function goType(v: TVal): string {
  if (v instanceof GoInt) return 'int';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof RObject) return 'map[string]interface {}';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  return 'json.Number';
}

function truthy(v: TVal): boolean {
  if (v === MISSING || v === null || v === false || v === '') return false;
  if (v instanceof GoInt) return v.n !== 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof RObject || v instanceof RSet) return v.size > 0;
  return true;
}

/** Go's %v of the JSON-decoded value. */
function show(v: TVal): string {
  if (v === MISSING) return '<undefined>';
  if (v instanceof GoInt) return String(v.n);
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e21 ? v.toFixed(0) : String(v);
  if (Array.isArray(v)) return '[' + v.map(show).join(' ') + ']';
  if (v instanceof RSet) return '[' + v.sorted().map(show).join(' ') + ']';
  return 'map[' + v.sortedEntries().map(([k, x]) => show(k) + ':' + show(x)).join(' ') + ']';
}

function numeric(v: TVal): number | null {
  if (v instanceof GoInt) return v.n;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  return null;
}

function cmp(a: TVal, b: TVal): number {
  const x = numeric(a);
  const y = numeric(b);
  if (x !== null && y !== null) return x < y ? -1 : x > y ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new BuiltinError('template: incompatible types for comparison');
}

function toGoArg(v: TVal): GoArg {
  if (v instanceof GoInt) return intArg(BigInt(v.n));
  if (typeof v === 'bigint') return intArg(v);
  if (typeof v === 'number') return Number.isInteger(v) ? intArg(BigInt(v)) : { kind: 'float', value: v };
  return { kind: 'string', value: show(v) };
}

function callFunc(name: string, args: TVal[]): TVal {
  switch (name) {
    case 'and': {
      for (const a of args) if (!truthy(a)) return a;
      return args[args.length - 1];
    }
    case 'or': {
      for (const a of args) if (truthy(a)) return a;
      return args[args.length - 1];
    }
    case 'not':
      return !truthy(args[0]);
    case 'len': {
      const v = args[0];
      if (typeof v === 'string') return new GoInt(Buffer.byteLength(v));
      if (Array.isArray(v)) return new GoInt(v.length);
      if (v instanceof RObject || v instanceof RSet) return new GoInt(v.size);
      throw new BuiltinError(`template: error calling len: len of type ${goType(v)}`);
    }
    case 'index': {
      let v = args[0];
      for (const k of args.slice(1)) {
        if (Array.isArray(v)) {
          const i = numeric(k);
          if (i === null || i < 0 || i >= v.length) throw new BuiltinError('template: error calling index: index out of range');
          v = v[i];
        } else if (v instanceof RObject) v = (typeof k === 'string' ? v.getStr(k) : undefined) ?? MISSING;
        else throw new BuiltinError(`template: error calling index: can't index item of type ${goType(v)}`);
      }
      return v;
    }
    case 'eq':
      return args.slice(1).some((b) => {
        const x = numeric(args[0]);
        const y = numeric(b);
        if (x !== null && y !== null) return x === y;
        return args[0] !== MISSING && b !== MISSING && equals(args[0] as Value, b as Value);
      });
    case 'ne':
      return cmp(args[0], args[1]) !== 0;
    case 'lt':
      return cmp(args[0], args[1]) < 0;
    case 'le':
      return cmp(args[0], args[1]) <= 0;
    case 'gt':
      return cmp(args[0], args[1]) > 0;
    case 'ge':
      return cmp(args[0], args[1]) >= 0;
    case 'print':
      return args.map((a, i) => (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string' ? ' ' : '') + show(a)).join('');
    case 'println':
      return args.map(show).join(' ') + '\n';
    case 'printf':
      return goSprintf(typeof args[0] === 'string' ? args[0] : show(args[0]), args.slice(1).map(toGoArg));
  }
  throw new BuiltinError(`template: function "${name}" not defined`);
}

function lookupVar(scope: Scope, name: string): TVal {
  const v = scope.vars.get(name);
  if (v === undefined) throw new BuiltinError(`template: undefined variable: ${name}`);
  return v;
}

function evalTerm(t: Term, scope: Scope, final: TVal | undefined): TVal {
  let v: TVal;
  let fields: string[] = [];
  switch (t.kind) {
    case 'dot':
      v = scope.dot;
      fields = t.fields;
      break;
    case 'var':
      v = lookupVar(scope, t.name);
      fields = t.fields;
      break;
    case 'lit':
      return t.value;
    case 'sub':
      v = evalPipe(t.pipe, scope);
      fields = t.fields;
      break;
    case 'ident':
      return callFunc(t.name, final === undefined ? [] : [final]);
  }
  for (const f of fields) v = field(v, f);
  return v;
}

function evalCommand(cmd: Term[], scope: Scope, final: TVal | undefined): TVal {
  const head = cmd[0];
  if (head.kind === 'ident') {
    const args = cmd.slice(1).map((t) => evalTerm(t, scope, undefined));
    if (final !== undefined) args.push(final);
    return callFunc(head.name, args);
  }
  if (cmd.length > 1 || final !== undefined) throw new BuiltinError("template: can't give argument to non-function");
  return evalTerm(head, scope, undefined);
}

function evalPipe(pipe: Pipe, scope: Scope): TVal {
  let v: TVal | undefined;
  for (const cmd of pipe.cmds) v = evalCommand(cmd, scope, v);
  if (pipe.decl.length === 1) scope.vars.set(pipe.decl[0], v!);
  return v!;
}

function execList(nodes: Node[], scope: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.kind) {
      case 'text':
        out.push(n.text);
        break;
      case 'action': {
        const v = evalPipe(n.pipe, scope);
        if (n.pipe.decl.length === 0) out.push(v === null ? '<no value>' : show(v));
        break;
      }
      case 'if':
      case 'with': {
        const v = evalPipe(n.pipe, scope);
        const inner: Scope = { dot: n.kind === 'with' ? v : scope.dot, vars: new Map(scope.vars) };
        execList(truthy(v) ? n.then : n.else, truthy(v) ? inner : scope, out);
        break;
      }
      case 'range': {
        const v = evalPipe({ decl: [], cmds: n.pipe.cmds }, scope);
        let entries: [TVal, TVal][];
        if (Array.isArray(v)) entries = v.map((x, i) => [new GoInt(i), x]);
        else if (v instanceof RSet) entries = v.sorted().map((x, i) => [new GoInt(i), x]);
        else if (v instanceof RObject) entries = [...v.sortedEntries()].sort((a, b) => compare(a[0], b[0]));
        else if (v instanceof GoInt) entries = Array.from({ length: Math.max(v.n, 0) }, (_, i) => [new GoInt(i), new GoInt(i)]);
        else if (v === MISSING || v === null) entries = [];
        else throw new BuiltinError(`template: range can't iterate over ${show(v)}`);
        if (entries.length === 0) {
          execList(n.else, scope, out);
          break;
        }
        for (const [k, x] of entries) {
          const vars = new Map(scope.vars);
          if (n.pipe.decl.length === 1) vars.set(n.pipe.decl[0], x);
          else if (n.pipe.decl.length === 2) {
            vars.set(n.pipe.decl[0], k);
            vars.set(n.pipe.decl[1], x);
          }
          execList(n.body, { dot: x, vars }, out);
        }
        break;
      }
    }
  }
}

export function renderTemplate(src: string, vars: RObject): string {
  try {
    const tree = new Parser(pieces(src)).parseList([]).nodes;
    const out: string[] = [];
    execList(tree, { dot: vars, vars: new Map([['$', vars]]) }, out);
    return out.join('');
  } catch (e) {
    if (e instanceof RangeError) throw new BuiltinError('template: actions nest too deeply');
    throw e;
  }
}
