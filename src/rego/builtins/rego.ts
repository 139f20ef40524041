// Built-ins about Rego itself. rego.metadata.rule/chain are replaced by constants at compile time
// (the compiler knows the calling rule); these run-time forms answer for ad-hoc queries.

import { RObject, type Value } from '../eval/values';
import { parseModuleSource } from '../syntax/parser';
import { RegoError } from '../errors';
import { asString } from './operands';
import { BuiltinError, register } from './registry';
import type { Expr, Literal, Module, Rule, Term } from '../syntax/ast';

function refTerms(names: string[], root: string): Value[] {
  return [{ type: 'var', value: root }, ...names.map((n) => ({ type: 'string', value: n }))].map(toObject);
}

function toObject(x: Record<string, unknown>): RObject {
  const o = new RObject();
  for (const [k, v] of Object.entries(x)) o.set(k, v as Value);
  return o;
}

function termJSON(t: Term): Value {
  switch (t.type) {
    case 'null':
      return toObject({ type: 'null' });
    case 'boolean':
    case 'number':
    case 'string':
      return toObject({ type: t.type, value: t.value });
    case 'var':
      return toObject({ type: 'var', value: t.name.startsWith('_$') ? '_' : t.name });
    case 'ref':
      return toObject({ type: 'ref', value: [termJSON(t.head), ...t.path.map(termJSON)] });
    case 'array':
    case 'set':
      return toObject({ type: t.type, value: t.items.map(termJSON) });
    case 'object':
      return toObject({ type: 'object', value: t.items.map(([k, v]) => [termJSON(k), termJSON(v)]) });
    case 'call':
      return toObject({ type: 'call', value: [fnRef(t.fn), ...t.args.map(termJSON)] });
    case 'arraycomp':
    case 'setcomp':
      return toObject({ type: t.type === 'arraycomp' ? 'arraycomprehension' : 'setcomprehension', value: toObject({ term: termJSON(t.term), body: bodyJSON(t.body) }) });
    case 'objectcomp':
      return toObject({ type: 'objectcomprehension', value: toObject({ key: termJSON(t.key), value: termJSON(t.value), body: bodyJSON(t.body) }) });
    default:
      return toObject({ type: t.type });
  }
}

/** A function name as OPA writes it: a ref of its dotted parts (`json.marshal`). */
function fnRef(t: Term): Value {
  if (t.type === 'var') {
    const [head, ...rest] = t.name.split('.');
    return toObject({ type: 'ref', value: [toObject({ type: 'var', value: head }), ...rest.map((s) => toObject({ type: 'string', value: s }))] });
  }
  return termJSON(t);
}

function exprTerms(e: Expr): Value {
  switch (e.type) {
    case 'term':
      return e.term.type === 'call' ? [fnRef(e.term.fn), ...e.term.args.map(termJSON)] : termJSON(e.term);
    case 'unify':
    case 'assign':
      return [fnRef({ type: 'var', name: e.type === 'unify' ? 'eq' : 'assign', loc: e.left.loc }), termJSON(e.left), termJSON(e.right)];
    case 'some':
      return toObject({ type: 'some', value: e.vars.map(termJSON) });
    case 'somein':
      return toObject({ type: 'somein', value: [...(e.key ? [termJSON(e.key)] : []), termJSON(e.value), termJSON(e.domain)] });
    case 'every':
      return toObject({ type: 'every', value: toObject({ key: e.key ? termJSON(e.key) : null, value: termJSON(e.value), domain: termJSON(e.domain), body: bodyJSON(e.body) }) });
    default:
      return toObject({ type: e.type });
  }
}

function bodyJSON(body: Literal[]): Value[] {
  return body.map((l, index) => {
    const o: Record<string, unknown> = { index, terms: exprTerms(l.expr) };
    if (l.negated) o.negated = true;
    if (l.with.length) o.with = l.with.map((w) => toObject({ target: termJSON(w.target), value: termJSON(w.value) }));
    return toObject(o);
  });
}

function ruleJSON(r: Rule): Value {
  const head: Record<string, unknown> = {
    name: (r.ref[0] as { value: string }).value,
    ref: r.ref.map((t, i) => (i === 0 ? toObject({ type: 'var', value: (t as { value: string }).value }) : termJSON(t))),
  };
  if (r.value) head.value = termJSON(r.value);
  if (r.key) head.key = termJSON(r.key);
  if (r.args) head.args = r.args.map(termJSON);
  if (r.assign) head.assign = true;
  const body = r.body.length > 0 ? bodyJSON(r.body) : [toObject({ index: 0, terms: toObject({ type: 'boolean', value: true }) })];
  const out: Record<string, unknown> = { head: toObject(head), body };
  if (r.isDefault) out.default = true;
  return toObject(out);
}

function moduleJSON(m: Module): Value {
  return toObject({
    package: toObject({ path: refTerms(m.package, 'data') }),
    ...(m.imports.length ? { imports: m.imports.map((i) => toObject({ path: termJSON(i.path), ...(i.alias ? { alias: i.alias } : {}) })) } : {}),
    ...(m.rules.length ? { rules: m.rules.map(ruleJSON) } : {}),
  });
}

register(
  { name: 'rego.metadata.rule', args: [], result: 'any', impl: () => new RObject() },
  { name: 'rego.metadata.chain', args: [], result: 'array<any>', impl: () => [] },
  {
    name: 'rego.parse_module',
    args: ['string', 'string'],
    result: 'object<string, any>',
    impl: ([file, source]) => {
      try {
        return moduleJSON(parseModuleSource(asString(file, 1), asString(source, 2), 1));
      } catch (e) {
        if (e instanceof RegoError) throw new BuiltinError(e.errors.map((x) => `${x.location ? `${x.location.file}:${x.location.row}: ` : ''}${x.code}: ${x.message}`).join('; '));
        throw e;
      }
    },
  },
);
