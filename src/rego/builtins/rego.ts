// Built-ins about Rego itself. rego.metadata.rule/chain are replaced by constants at compile time
// (the compiler knows the calling rule); these run-time forms answer for ad-hoc queries.

import { RObject, type Value } from '../eval/values';
import { parseModuleSource } from '../syntax/parser';
import { RegoError } from '../errors';
import { asString } from './operands';
import { BuiltinError, register } from './registry';
import type { Module, Rule, Term } from '../syntax/ast';

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
      return toObject({ type: 'call', value: [termJSON(t.fn), ...t.args.map(termJSON)] });
    default:
      return toObject({ type: t.type });
  }
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
  const out: Record<string, unknown> = { head: toObject(head), body: r.body.map((_l, i) => toObject({ index: i })) };
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
