// JSON Schema built-ins: json.verify_schema and json.match_schema. Validation is ajv's (draft-07,
// all errors, formats from ajv-formats, patterns compiled with re2 so a hostile pattern cannot
// backtrack forever); results are reshaped into the messages of gojsonschema, the library OPA
// uses, since policies match on them.

import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { RegExpEngine } from 'ajv/dist/types';
import addFormats from 'ajv-formats';
import RE2 from 're2';
import { RObject, RSet, type Value, fromJSON } from '../eval/values';
import { BuiltinError, register } from './registry';

/** ajv's pattern engine: RE2 (linear time; Go's regexp, which gojsonschema uses, has the same syntax). */
const re2Engine: RegExpEngine = Object.assign((pattern: string, flags: string) => new RE2(pattern, flags), {
  code: 'require("re2")',
});

const ajv = new Ajv({ allErrors: true, strict: false, logger: false, code: { regExp: re2Engine } });
addFormats(ajv);

const validators = new Map<string, ValidateFunction>();
const MAX_CACHED_VALIDATORS = 256;

/** A string operand must hold JSON text; an object is used as is. Rego-only types become JSON. */
function loadJSON(v: Value): unknown {
  if (typeof v === 'string') {
    try {
      return JSON.parse(v);
    } catch {
      throw new BuiltinError('invalid JSON string');
    }
  }
  if (v instanceof RObject) return plainJSON(v);
  throw new BuiltinError('wrong type, expected string or object');
}

function plainJSON(v: Value): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (Array.isArray(v)) return v.map(plainJSON);
  if (v instanceof RSet) return v.sorted().map(plainJSON);
  if (v instanceof RObject) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of v.sortedEntries()) out[typeof k === 'string' ? k : JSON.stringify(plainJSON(k))] = plainJSON(x);
    return out;
  }
  return v;
}

const JSON_TYPES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs', 'dependencies'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'items'];
const SUBSCHEMAS = ['items', 'additionalItems', 'additionalProperties', 'not', 'if', 'then', 'else', 'contains', 'propertyNames'];

/** Schema errors that gojsonschema words in its own way (`type`, `pattern`), checked in every subschema. */
function checkTypes(schema: unknown): void {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return;
  const s = schema as Record<string, unknown>;
  if ('type' in s) {
    const t = s.type;
    const list = typeof t === 'string' ? [t] : Array.isArray(t) ? t : null;
    if (list === null || list.some((x) => typeof x !== 'string')) {
      throw new BuiltinError('Invalid type. Expected: string/array of strings, given: type');
    }
    const seen = new Set<string>();
    for (const x of list as string[]) {
      if (!JSON_TYPES.includes(x)) {
        throw new BuiltinError(
          `has a primitive type that is NOT VALID -- given: /${x}/ Expected valid values are:[${JSON_TYPES.join(' ')}]`,
        );
      }
      if (seen.has(x)) throw new BuiltinError(`${x} type is duplicated`);
      seen.add(x);
    }
  }
  if (typeof s.pattern === 'string') {
    try {
      new RE2(s.pattern, 'u');
    } catch {
      throw new BuiltinError('pattern must be a valid regex');
    }
  }
  for (const k of SUBSCHEMA_MAPS) {
    const m = s[k];
    if (m !== null && typeof m === 'object' && !Array.isArray(m)) for (const x of Object.values(m)) checkTypes(x);
  }
  for (const k of SUBSCHEMA_LISTS) if (Array.isArray(s[k])) for (const x of s[k] as unknown[]) checkTypes(x);
  for (const k of SUBSCHEMAS) checkTypes(s[k]);
}

/**
 * Like gojsonschema, accept draft-04 documents too: ajv knows only the draft-07 meta-schema, so
 * drop `$schema` and rewrite draft-04's boolean exclusiveMinimum/exclusiveMaximum into draft-07's
 * numeric form, in every subschema.
 */
function toDraft7(schema: unknown, root: boolean): unknown {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const s: Record<string, unknown> = { ...(schema as Record<string, unknown>) };
  if (root) delete s.$schema;
  for (const [bound, exclusive] of [
    ['minimum', 'exclusiveMinimum'],
    ['maximum', 'exclusiveMaximum'],
  ]) {
    if (typeof s[exclusive] !== 'boolean') continue;
    if (s[exclusive] === true && typeof s[bound] === 'number') {
      s[exclusive] = s[bound];
      delete s[bound];
    } else {
      delete s[exclusive];
    }
  }
  for (const k of SUBSCHEMA_MAPS) {
    const m = s[k];
    if (m !== null && typeof m === 'object' && !Array.isArray(m)) {
      s[k] = Object.fromEntries(Object.entries(m).map(([name, x]) => [name, toDraft7(x, false)]));
    }
  }
  for (const k of SUBSCHEMA_LISTS) if (Array.isArray(s[k])) s[k] = (s[k] as unknown[]).map((x) => toDraft7(x, false));
  for (const k of SUBSCHEMAS) if (k in s) s[k] = toDraft7(s[k], false);
  return s;
}

/** Compiles a schema (cached by its text), or throws the schema's first error. */
function compileSchema(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  const cached = validators.get(key);
  if (cached) return cached;
  checkTypes(schema);
  const target = toDraft7(schema, true);
  if (!ajv.validateSchema(target as object)) throw new BuiltinError(describeSchemaError(ajv.errors![0]));
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(target as object);
  } catch (e) {
    throw new BuiltinError(e instanceof Error ? e.message : String(e));
  } finally {
    // Schemas of different tenants may share an $id: keep ajv's registry empty, the validator stays usable.
    ajv.removeSchema(target as object);
  }
  if (validators.size >= MAX_CACHED_VALIDATORS) validators.delete(validators.keys().next().value!);
  validators.set(key, validate);
  return validate;
}

/** A meta-schema violation in gojsonschema's words, where it has words for it. */
function describeSchemaError(e: ErrorObject): string {
  const key = e.instancePath.split('/').pop()!.replace(/~1/g, '/').replace(/~0/g, '~');
  const p = e.params as Record<string, any>;
  if (e.keyword === 'minimum' && p.limit === 0) return `${key} must be greater than or equal to 0`;
  if (e.keyword === 'exclusiveMinimum' && p.limit === 0) return `${key} must be strictly greater than 0`;
  if (e.keyword === 'uniqueItems') return `${key} items must be unique`;
  if (e.keyword === 'type') {
    const type = String(p.type);
    return `${key} must be of ${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
  }
  return `${key} ${e.message}`;
}

// ---------------------------------------------------------------------------------------------
// ajv errors -> gojsonschema results {error, type, field, desc}

interface SchemaError {
  field: string;
  type: string;
  desc: string;
}

function fieldOf(instancePath: string): string {
  if (instancePath === '') return '(root)';
  return instancePath
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function valueAt(doc: unknown, instancePath: string): unknown {
  if (instancePath === '') return doc;
  let cur: unknown = doc;
  for (const raw of instancePath.slice(1).split('/')) {
    const p = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  }
  return cur;
}

function jsonTypeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

const typeList = (t: unknown): string => (Array.isArray(t) ? (t.length > 1 ? `[${t.join(',')}]` : String(t[0])) : String(t));

function describe(e: ErrorObject, doc: unknown): SchemaError {
  const field = fieldOf(e.instancePath);
  const p = e.params as Record<string, any>;
  const err = (type: string, desc: string): SchemaError => ({ field, type, desc });
  switch (e.keyword) {
    case 'type':
      return err('invalid_type', `Invalid type. Expected: ${typeList(p.type)}, given: ${jsonTypeOf(valueAt(doc, e.instancePath))}`);
    case 'required':
      return err('required', `${p.missingProperty} is required`);
    case 'additionalProperties':
      return err('additional_property_not_allowed', `Additional property ${p.additionalProperty} is not allowed`);
    case 'enum':
      return err('enum', `${field} must be one of the following: ${(p.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')}`);
    case 'const':
      return err('const', `${field} does not match: ${JSON.stringify(p.allowedValue)}`);
    case 'minLength':
      return err('string_gte', `String length must be greater than or equal to ${p.limit}`);
    case 'maxLength':
      return err('string_lte', `String length must be less than or equal to ${p.limit}`);
    case 'minimum':
      return err('number_gte', `Must be greater than or equal to ${p.limit}`);
    case 'exclusiveMinimum':
      return err('number_gt', `Must be greater than ${p.limit}`);
    case 'maximum':
      return err('number_lte', `Must be less than or equal to ${p.limit}`);
    case 'exclusiveMaximum':
      return err('number_lt', `Must be less than ${p.limit}`);
    case 'multipleOf':
      return err('multiple_of', `Must be a multiple of ${p.multipleOf}`);
    case 'pattern':
      return err('pattern', `Does not match pattern '${p.pattern}'`);
    case 'format':
      return err('format', `Does not match format '${p.format}'`);
    case 'minItems':
      return err('array_min_items', `Array must have at least ${p.limit} items`);
    case 'maxItems':
      return err('array_max_items', `Array must have at most ${p.limit} items`);
    case 'uniqueItems':
      return err('unique', `array items[${p.j},${p.i}] must be unique`);
    case 'minProperties':
      return err('array_min_properties', `Must have at least ${p.limit} properties`);
    case 'maxProperties':
      return err('array_max_properties', `Must have at most ${p.limit} properties`);
    case 'dependencies':
    case 'dependentRequired':
      return err('missing_dependency', `Has a dependency on ${p.missingProperty}`);
    case 'not':
      return err('number_not', 'Must not validate the schema (not)');
    case 'anyOf':
      return err('number_any_of', 'Must validate at least one schema (anyOf)');
    case 'allOf':
      return err('number_all_of', 'Must validate all the schemas (allOf)');
    case 'oneOf':
      return err('number_one_of', 'Must validate one and only one schema (oneOf)');
    case 'if':
      return p.failingKeyword === 'else'
        ? err('condition_else', 'Must validate "else" as "if" was not valid')
        : err('condition_then', 'Must validate "then" as "if" was valid');
    case 'false schema':
      return err('false', 'False always fails validation');
    case 'contains':
      return err('contains', 'At least one of the items must match');
    case 'propertyNames':
      return err('invalid_property_name', `Property name of "${p.propertyName}" does not match`);
    case 'additionalItems':
      return err('array_no_additional_items', 'No additional items allowed on array');
    default:
      return err(e.keyword, e.message ?? e.keyword);
  }
}

/** A group of errors reported together: `anchor` is the error that places it. */
interface Unit {
  anchor: ErrorObject;
  errors: ErrorObject[];
}

/**
 * gojsonschema reports a failed anyOf/oneOf followed by the errors of the closest branch only,
 * where ajv reports every branch: keep the branch with the fewest errors.
 */
function combinatorUnits(errors: ErrorObject[]): Unit[] {
  const combinators = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const branchOf = (e: ErrorObject): { owner: ErrorObject; branch: string } | null => {
    for (const c of combinators) {
      if (c !== e && e.schemaPath.startsWith(c.schemaPath + '/')) {
        return { owner: c, branch: e.schemaPath.slice(c.schemaPath.length + 1).split('/')[0] };
      }
    }
    return null;
  };
  const units: Unit[] = [];
  for (const e of errors) {
    if (branchOf(e) !== null) continue;
    const unit: Unit = { anchor: e, errors: [e] };
    units.push(unit);
    if (e.keyword !== 'anyOf' && e.keyword !== 'oneOf') continue;
    const branches = new Map<string, ErrorObject[]>();
    for (const x of errors) {
      const b = branchOf(x);
      if (b === null || b.owner !== e) continue;
      if (!branches.has(b.branch)) branches.set(b.branch, []);
      branches.get(b.branch)!.push(x);
    }
    let best: ErrorObject[] | null = null;
    for (const list of branches.values()) if (best === null || list.length < best.length) best = list;
    if (best) for (const u of combinatorUnits(best)) unit.errors.push(...u.errors);
  }
  return units;
}

const CHILD_WITH_NAME = new Set(['properties', 'patternProperties']);
const CHILD = new Set(['additionalProperties', 'additionalItems', 'contains', 'items']);
const NAMED_SUBSCHEMA = new Set(['dependencies', 'definitions', '$defs', 'allOf', 'anyOf', 'oneOf']);

/** The instance path where a schema path suffix (below some subschema) started. */
function instancePathAbove(instancePath: string, schemaSuffix: string[]): string {
  let consumed = 0;
  for (let i = 0; i < schemaSuffix.length - 1; i++) {
    const k = schemaSuffix[i];
    if (CHILD_WITH_NAME.has(k)) {
      consumed++;
      i++;
    } else if (CHILD.has(k)) {
      consumed++;
      if (k === 'items' && /^\d+$/.test(schemaSuffix[i + 1] ?? '')) i++;
    } else if (NAMED_SUBSCHEMA.has(k)) {
      i++;
    }
  }
  const segments = instancePath.split('/');
  return segments.slice(0, Math.max(1, segments.length - consumed)).join('/');
}

/** gojsonschema follows the errors of a failed allOf with one allOf error of its own. */
function allOfUnits(units: Unit[]): Unit[] {
  const out: Unit[] = [];
  const byAllOf = new Map<string, Unit>();
  for (const u of units) {
    const parts = u.anchor.schemaPath.split('/');
    const j = parts.findIndex((k, i) => k === 'allOf' && /^\d+$/.test(parts[i + 1] ?? ''));
    if (j < 0) {
      out.push(u);
      continue;
    }
    const schemaPath = parts.slice(0, j + 1).join('/');
    let group = byAllOf.get(schemaPath);
    if (!group) {
      const instancePath = instancePathAbove(u.anchor.instancePath, parts.slice(j + 2));
      group = { anchor: { keyword: 'allOf', instancePath, schemaPath, params: {} }, errors: [] };
      byAllOf.set(schemaPath, group);
      out.push(group);
    }
    group.errors.push(...u.errors);
  }
  for (const group of byAllOf.values()) group.errors.push(group.anchor);
  return out;
}

/** gojsonschema checks a node's type, then combinators, then type-specific keywords, then enum/const. */
function keywordRank(keyword: string): number {
  if (keyword === 'type') return 0;
  if (['anyOf', 'oneOf', 'allOf', 'not', 'if', 'dependencies'].includes(keyword)) return 1;
  if (keyword === 'enum' || keyword === 'const') return 3;
  return 2;
}

/** Depth-first document order: a node before its children, array items by index. */
function compareInstancePaths(a: string, b: string): number {
  const pa = a.split('/').slice(1);
  const pb = b.split('/').slice(1);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] === pb[i]) continue;
    const numeric = /^\d+$/.test(pa[i]) && /^\d+$/.test(pb[i]);
    if (numeric) return Number(pa[i]) - Number(pb[i]);
    return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.length - pb.length;
}

/**
 * gojsonschema stops checking a node against a subschema whose type it does not have; ajv goes on.
 * Drop what ajv found past such a type error: the same subschema's other errors on that node and below.
 */
function withoutErrorsPastTypeMismatch(errors: ErrorObject[]): ErrorObject[] {
  const mismatches = errors.filter((e) => e.keyword === 'type');
  if (mismatches.length === 0) return errors;
  return errors.filter(
    (e) =>
      e.keyword === 'type' ||
      !mismatches.some((t) => {
        const subschema = t.schemaPath.slice(0, -'/type'.length);
        const sameNode = e.instancePath === t.instancePath || e.instancePath.startsWith(t.instancePath + '/');
        return sameNode && e.schemaPath.startsWith(subschema + '/');
      }),
  );
}

/** ajv's errors, grouped, completed and ordered as gojsonschema reports them. */
function gojsonschemaOrder(errors: ErrorObject[]): ErrorObject[] {
  const units = allOfUnits(combinatorUnits(withoutErrorsPastTypeMismatch(errors)));
  const ordered = units
    .map((u, i) => ({ u, i }))
    .sort(
      (x, y) =>
        compareInstancePaths(x.u.anchor.instancePath, y.u.anchor.instancePath) ||
        keywordRank(x.u.anchor.keyword) - keywordRank(y.u.anchor.keyword) ||
        x.i - y.i,
    );
  return ordered.flatMap((x) => x.u.errors);
}

function matchSchema(docValue: Value, schemaValue: Value): Value {
  const doc = loadJSON(docValue);
  const validate = compileSchema(loadJSON(schemaValue));
  if (validate(doc)) return [true, []];
  const results: Value[] = [];
  for (const e of gojsonschemaOrder(validate.errors ?? [])) {
    const d = describe(e, doc);
    results.push(fromJSON({ error: `${d.field}: ${d.desc}`, type: d.type, field: d.field, desc: d.desc }));
  }
  return [false, results];
}

register(
  {
    name: 'json.verify_schema',
    args: ['object<string, any>|string'],
    result: 'array<boolean|null|string>',
    impl: ([schema]) => {
      try {
        compileSchema(loadJSON(schema));
        return [true, null];
      } catch (e) {
        return [false, `jsonschema: ${e instanceof Error ? e.message : String(e)}`];
      }
    },
  },
  {
    name: 'json.match_schema',
    args: ['object<string, any>|string', 'object<string, any>|string'],
    result: 'array<any>',
    impl: ([doc, schema]) => matchSchema(doc, schema),
  },
);
