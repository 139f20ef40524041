// GraphQL built-ins. Parsing and validation are done by the `graphql` package (graphql-js); OPA
// itself uses the Go library gqlparser, so this file translates between the two: graphql-js AST
// nodes become gqlparser-shaped objects (the JSON OPA returns), gqlparser-shaped objects given as
// arguments are printed back to GraphQL text, and graphql-js error messages are reworded the way
// gqlparser phrases them.

import {
  type ArgumentNode,
  type DefinitionNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type GraphQLSchema,
  type InputValueDefinitionNode,
  type SelectionNode,
  type TypeNode,
  type ValueNode,
  type VariableDefinitionNode,
  GraphQLError,
  Kind,
  Lexer,
  Source,
  TokenKind,
  buildASTSchema,
  parse,
  specifiedRules,
  validate,
  validateSchema,
} from 'graphql';
import { RObject, type Value, fromJSON, isObject, toJSON } from '../eval/values';
import { BoundedCache, type Outcome, outcome, unwrap } from './lru';
import { BuiltinError, operandError, register } from './registry';

// ---------------------------------------------------------------------------------------------
// Errors

const PUNCTUATORS = new Set(['!', '$', '&', '(', ')', '...', ':', '=', '@', '[', ']', '{', '|', '}']);

/** A GraphQL failure with gqlparser's wording: "<message> in GraphQL string at location L:C". */
function gqlError(message: string, line?: number, column?: number): BuiltinError {
  const where = line !== undefined ? ` in GraphQL string at location ${line}:${column}` : '';
  return new BuiltinError(message + where);
}

function fromSyntaxError(err: GraphQLError, text: string): BuiltinError {
  let msg = err.message.replace(/^Syntax Error: /, '').replace(/\.$/, '');
  const loc = err.locations?.[0];
  const offset = err.positions?.[0];
  const isParserMessage = /^(Expected|Unexpected) /.test(msg) && !/^Unexpected character/.test(msg);
  if (!isParserMessage) {
    // gqlparser reports every lexical error as an unexpected invalid token.
    return gqlError('Unexpected <Invalid>', loc?.line, loc?.column);
  }
  const { token, previous } = offset !== undefined ? tokenAt(text, offset) : {};
  if (/^Unexpected variable "\$/.test(msg)) msg = 'Unexpected $';
  else if (/^Unexpected description/.test(msg) && token?.kind === TokenKind.STRING) msg = `Unexpected String "${token.value}"`;
  msg = msg.replace(/"([^"]+)"/g, (m, inner: string) => (PUNCTUATORS.has(inner) ? inner : m));
  // An empty `{}` or `()` list: gqlparser's list parser says so instead of asking for a name.
  const empty = /^Expected Name, found ([})])$/.exec(msg);
  if (empty) {
    if ((empty[1] === '}' && previous === TokenKind.BRACE_L) || (empty[1] === ')' && previous === TokenKind.PAREN_L)) {
      msg = `expected at least one definition, found ${empty[1]}`;
    }
  }
  // gqlparser places a string token after its opening quotes.
  const shift = token?.kind === TokenKind.STRING ? 1 : token?.kind === TokenKind.BLOCK_STRING ? 3 : 0;
  return gqlError(msg, loc?.line, loc === undefined ? undefined : loc.column + shift);
}

/** The token that starts at `offset` and the one before it, if the text lexes that far. */
function tokenAt(text: string, offset: number): { token?: { kind: string; value: string }; previous?: string } {
  let previous: string | undefined;
  try {
    const lexer = new Lexer(new Source(text));
    for (let t = lexer.advance(); t.kind !== TokenKind.EOF; t = lexer.advance()) {
      if (t.start === offset) return { token: t, previous };
      if (t.start > offset) break;
      previous = t.kind;
    }
    return { previous };
  } catch {
    return {};
  }
}

function fromValidationError(err: GraphQLError): BuiltinError {
  const loc = err.locations?.[0];
  // graphql-js adds a hint to the leaf-selection rule that gqlparser does not give.
  const message = err.message.replace(/ Did you mean "[^"]* \{ \.\.\. \}"\?$/, '').replace(/\.$/, '');
  return gqlError(message, loc?.line, loc?.column);
}

/** True when the text holds no token at all (gqlparser accepts an empty document). */
function hasNoTokens(text: string): boolean {
  try {
    return new Lexer(new Source(text)).advance().kind === TokenKind.EOF;
  } catch {
    return false;
  }
}

/**
 * Nesting limit for documents: the parser and the AST conversion recurse once per level, so a
 * hostile document could otherwise exhaust the stack. Real schemas and queries stay far below it.
 */
export const MAX_GRAPHQL_DEPTH = 256;

function checkDepth(text: string): void {
  let depth = 0;
  try {
    const lexer = new Lexer(new Source(text));
    for (let t = lexer.advance(); t.kind !== TokenKind.EOF; t = lexer.advance()) {
      if (t.kind === TokenKind.BRACE_L || t.kind === TokenKind.BRACKET_L || t.kind === TokenKind.PAREN_L) {
        if (++depth > MAX_GRAPHQL_DEPTH) {
          throw gqlError(`document nested deeper than ${MAX_GRAPHQL_DEPTH} levels`, t.line, t.column);
        }
      } else if (t.kind === TokenKind.BRACE_R || t.kind === TokenKind.BRACKET_R || t.kind === TokenKind.PAREN_R) depth--;
    }
  } catch (e) {
    if (e instanceof BuiltinError) throw e;
    // Lexical errors are reported by the parser, with its wording.
  }
}

function parseText(text: string): DocumentNode {
  if (hasNoTokens(text)) return { kind: Kind.DOCUMENT, definitions: [] };
  checkDepth(text);
  try {
    return parse(text, { allowLegacyFragmentVariables: true });
  } catch (e) {
    if (e instanceof GraphQLError) throw fromSyntaxError(e, text);
    throw e;
  }
}

const EXECUTABLE = new Set<string>([Kind.OPERATION_DEFINITION, Kind.FRAGMENT_DEFINITION]);

/** The leading keyword of a definition, as gqlparser names it in "Unexpected Name" errors. */
function rejectDefinition(def: DefinitionNode): never {
  const loc = def.loc;
  if (!loc) throw gqlError('Unexpected definition');
  let tok = loc.startToken;
  if (tok.kind === TokenKind.STRING || tok.kind === TokenKind.BLOCK_STRING) tok = tok.next ?? tok;
  const desc = tok.kind === TokenKind.NAME ? `Name "${tok.value}"` : tok.kind === TokenKind.BRACE_L ? '{' : tok.kind;
  throw gqlError(`Unexpected ${desc}`, tok.line, tok.column);
}

function parseQueryText(text: string): DocumentNode {
  const doc = parseText(text);
  for (const d of doc.definitions) if (!EXECUTABLE.has(d.kind)) rejectDefinition(d);
  return doc;
}

function parseSchemaText(text: string): DocumentNode {
  const doc = parseText(text);
  for (const d of doc.definitions) if (EXECUTABLE.has(d.kind)) rejectDefinition(d);
  return doc;
}

// ---------------------------------------------------------------------------------------------
// graphql-js AST -> gqlparser-shaped plain objects (empty lists and nulls left out, as OPA does)

type Json = Record<string, unknown>;

function put(o: Json, key: string, list: unknown[] | undefined): void {
  if (list && list.length > 0) o[key] = list;
}

const VALUE_KIND: Record<string, number> = {
  [Kind.VARIABLE]: 0,
  [Kind.INT]: 1,
  [Kind.FLOAT]: 2,
  [Kind.STRING]: 3,
  [Kind.BOOLEAN]: 5,
  [Kind.NULL]: 6,
  [Kind.ENUM]: 7,
  [Kind.LIST]: 8,
  [Kind.OBJECT]: 9,
};
const BLOCK_VALUE_KIND = 4;

function valueJSON(v: ValueNode): Json {
  const out: Json = { ExpectedTypeHasDefault: false };
  switch (v.kind) {
    case Kind.VARIABLE:
      out.Raw = v.name.value;
      break;
    case Kind.INT:
    case Kind.FLOAT:
    case Kind.ENUM:
      out.Raw = v.value;
      break;
    case Kind.STRING:
      out.Raw = v.value;
      break;
    case Kind.BOOLEAN:
      out.Raw = v.value ? 'true' : 'false';
      break;
    case Kind.NULL:
      out.Raw = 'null';
      break;
    case Kind.LIST:
      out.Raw = '';
      put(out, 'Children', v.values.map((x) => ({ Name: '', Value: valueJSON(x) })));
      break;
    case Kind.OBJECT:
      out.Raw = '';
      put(out, 'Children', v.fields.map((f) => ({ Name: f.name.value, Value: valueJSON(f.value) })));
      break;
  }
  out.Kind = v.kind === Kind.STRING && v.block ? BLOCK_VALUE_KIND : VALUE_KIND[v.kind];
  return out;
}

function typeJSON(t: TypeNode): Json {
  switch (t.kind) {
    case Kind.NAMED_TYPE:
      return { NamedType: t.name.value, NonNull: false };
    case Kind.LIST_TYPE:
      return { NamedType: '', Elem: typeJSON(t.type), NonNull: false };
    case Kind.NON_NULL_TYPE:
      return { ...typeJSON(t.type), NonNull: true };
  }
}

function argumentsJSON(args: readonly ArgumentNode[] | undefined): Json[] | undefined {
  return args?.map((a) => ({ Name: a.name.value, Value: valueJSON(a.value) }));
}

function directivesJSON(dirs: readonly DirectiveNode[] | undefined): Json[] | undefined {
  return dirs?.map((d) => {
    const o: Json = { Name: d.name.value, Location: '' };
    put(o, 'Arguments', argumentsJSON(d.arguments));
    return o;
  });
}

function selectionJSON(s: SelectionNode): Json {
  const o: Json = {};
  switch (s.kind) {
    case Kind.FIELD:
      o.Alias = s.alias ? s.alias.value : s.name.value;
      o.Name = s.name.value;
      put(o, 'Arguments', argumentsJSON(s.arguments));
      break;
    case Kind.FRAGMENT_SPREAD:
      o.Name = s.name.value;
      break;
    case Kind.INLINE_FRAGMENT:
      o.TypeCondition = s.typeCondition ? s.typeCondition.name.value : '';
      break;
  }
  put(o, 'Directives', directivesJSON(s.directives));
  if (s.kind !== Kind.FRAGMENT_SPREAD) put(o, 'SelectionSet', s.selectionSet?.selections.map(selectionJSON));
  return o;
}

function variableDefinitionJSON(v: VariableDefinitionNode): Json {
  const vd: Json = { Variable: v.variable.name.value, Type: typeJSON(v.type), Used: false };
  if (v.defaultValue) vd.DefaultValue = valueJSON(v.defaultValue);
  put(vd, 'Directives', directivesJSON(v.directives));
  return vd;
}

function queryJSON(doc: DocumentNode): Json {
  const operations: Json[] = [];
  const fragments: Json[] = [];
  for (const d of doc.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) {
      const o: Json = { Operation: d.operation, Name: d.name ? d.name.value : '' };
      put(
        o,
        'VariableDefinitions',
        d.variableDefinitions?.map(variableDefinitionJSON),
      );
      put(o, 'Directives', directivesJSON(d.directives));
      put(o, 'SelectionSet', d.selectionSet.selections.map(selectionJSON));
      operations.push(o);
    } else if (d.kind === Kind.FRAGMENT_DEFINITION) {
      const f: Json = { Name: d.name.value, TypeCondition: d.typeCondition.name.value };
      put(f, 'VariableDefinition', d.variableDefinitions?.map(variableDefinitionJSON));
      put(f, 'Directives', directivesJSON(d.directives));
      put(f, 'SelectionSet', d.selectionSet.selections.map(selectionJSON));
      fragments.push(f);
    }
  }
  const out: Json = {};
  put(out, 'Operations', operations);
  put(out, 'Fragments', fragments);
  return out;
}

function inputValueJSON(a: InputValueDefinitionNode): Json {
  const o: Json = { Description: a.description?.value ?? '', Name: a.name.value, Type: typeJSON(a.type) };
  if (a.defaultValue) o.DefaultValue = valueJSON(a.defaultValue);
  put(o, 'Directives', directivesJSON(a.directives));
  return o;
}

function fieldDefinitionJSON(f: FieldDefinitionNode | InputValueDefinitionNode): Json {
  if (f.kind === Kind.INPUT_VALUE_DEFINITION) return inputValueJSON(f);
  const o: Json = { Description: f.description?.value ?? '', Name: f.name.value, Type: typeJSON(f.type) };
  put(o, 'Arguments', f.arguments?.map(inputValueJSON));
  put(o, 'Directives', directivesJSON(f.directives));
  return o;
}

const TYPE_KIND: Record<string, string> = {
  [Kind.SCALAR_TYPE_DEFINITION]: 'SCALAR',
  [Kind.OBJECT_TYPE_DEFINITION]: 'OBJECT',
  [Kind.INTERFACE_TYPE_DEFINITION]: 'INTERFACE',
  [Kind.UNION_TYPE_DEFINITION]: 'UNION',
  [Kind.ENUM_TYPE_DEFINITION]: 'ENUM',
  [Kind.INPUT_OBJECT_TYPE_DEFINITION]: 'INPUT_OBJECT',
  [Kind.SCALAR_TYPE_EXTENSION]: 'SCALAR',
  [Kind.OBJECT_TYPE_EXTENSION]: 'OBJECT',
  [Kind.INTERFACE_TYPE_EXTENSION]: 'INTERFACE',
  [Kind.UNION_TYPE_EXTENSION]: 'UNION',
  [Kind.ENUM_TYPE_EXTENSION]: 'ENUM',
  [Kind.INPUT_OBJECT_TYPE_EXTENSION]: 'INPUT_OBJECT',
};

function typeDefinitionJSON(d: DefinitionNode): Json {
  const n = d as DefinitionNode & {
    name: { value: string };
    description?: { value: string };
    directives?: readonly DirectiveNode[];
    interfaces?: readonly { name: { value: string } }[];
    fields?: readonly (FieldDefinitionNode | InputValueDefinitionNode)[];
    types?: readonly { name: { value: string } }[];
    values?: readonly { name: { value: string }; description?: { value: string }; directives?: readonly DirectiveNode[] }[];
  };
  const o: Json = { Kind: TYPE_KIND[d.kind], Description: n.description?.value ?? '', Name: n.name.value, BuiltIn: false };
  put(o, 'Directives', directivesJSON(n.directives));
  put(o, 'Interfaces', n.interfaces?.map((i) => i.name.value));
  put(o, 'Fields', n.fields?.map(fieldDefinitionJSON));
  put(o, 'Types', n.types?.map((t) => t.name.value));
  put(
    o,
    'EnumValues',
    n.values?.map((v) => {
      const e: Json = { Description: v.description?.value ?? '', Name: v.name.value };
      put(e, 'Directives', directivesJSON(v.directives));
      return e;
    }),
  );
  return o;
}

function schemaJSON(doc: DocumentNode): Json {
  const schema: Json[] = [];
  const schemaExt: Json[] = [];
  const directives: Json[] = [];
  const definitions: Json[] = [];
  const extensions: Json[] = [];
  for (const d of doc.definitions) {
    switch (d.kind) {
      case Kind.SCHEMA_DEFINITION:
      case Kind.SCHEMA_EXTENSION: {
        const s: Json = { Description: d.kind === Kind.SCHEMA_DEFINITION ? (d.description?.value ?? '') : '' };
        put(s, 'Directives', directivesJSON(d.directives));
        put(s, 'OperationTypes', d.operationTypes?.map((t) => ({ Operation: t.operation, Type: t.type.name.value })));
        (d.kind === Kind.SCHEMA_DEFINITION ? schema : schemaExt).push(s);
        break;
      }
      case Kind.DIRECTIVE_DEFINITION: {
        const o: Json = {
          Description: d.description?.value ?? '',
          Name: d.name.value,
          IsRepeatable: d.repeatable,
          Locations: d.locations.map((l) => l.value),
        };
        put(o, 'Arguments', d.arguments?.map(inputValueJSON));
        directives.push(o);
        break;
      }
      default:
        if (d.kind.endsWith('Extension')) extensions.push(typeDefinitionJSON(d));
        else definitions.push(typeDefinitionJSON(d));
    }
  }
  const out: Json = {};
  put(out, 'Schema', schema);
  put(out, 'SchemaExtension', schemaExt);
  put(out, 'Directives', directives);
  put(out, 'Definitions', definitions);
  put(out, 'Extensions', extensions);
  return out;
}

// ---------------------------------------------------------------------------------------------
// gqlparser-shaped objects -> GraphQL text (arguments may be ASTs returned by parse_query/parse_schema)

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): Json[] => (Array.isArray(v) ? (v.filter((x) => x !== null && typeof x === 'object') as Json[]) : []);
const quote = (s: string): string => JSON.stringify(s);

const isJson = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A malformed AST member prints as nothing, so that the reparse reports it. */
function printValue(v: unknown): string {
  if (!isJson(v)) return '';
  const raw = str(v.Raw);
  switch (v.Kind) {
    case 0:
      return '$' + raw;
    case 3:
      return quote(raw);
    case 4:
      return '"""' + raw.replace(/"""/g, '\\"""') + '"""';
    case 8:
      return '[' + list(v.Children).map((c) => printValue(c.Value)).join(', ') + ']';
    case 9:
      return '{' + list(v.Children).map((c) => `${str(c.Name)}: ${printValue(c.Value)}`).join(', ') + '}';
    default:
      return raw;
  }
}

function printType(t: unknown): string {
  if (!isJson(t)) return '';
  const inner = t.Elem ? '[' + printType(t.Elem) + ']' : str(t.NamedType);
  return inner + (t.NonNull ? '!' : '');
}

function printArgs(args: unknown): string {
  const a = list(args);
  return a.length ? '(' + a.map((x) => `${str(x.Name)}: ${printValue(x.Value)}`).join(', ') + ')' : '';
}

function printDirectives(dirs: unknown): string {
  return list(dirs)
    .map((d) => ` @${str(d.Name)}${printArgs(d.Arguments)}`)
    .join('');
}

function printSelectionSet(sel: unknown): string {
  const items = list(sel);
  if (!items.length) return '';
  return ' { ' + items.map(printSelection).join(' ') + ' }';
}

function printSelection(s: Json): string {
  if ('TypeCondition' in s) {
    const on = str(s.TypeCondition) ? ` on ${str(s.TypeCondition)}` : '';
    return `...${on}${printDirectives(s.Directives)}${printSelectionSet(s.SelectionSet)}`;
  }
  if (!('Alias' in s) && !('SelectionSet' in s) && !('Arguments' in s)) {
    return `...${str(s.Name)}${printDirectives(s.Directives)}`;
  }
  const alias = str(s.Alias) && s.Alias !== s.Name ? `${str(s.Alias)}: ` : '';
  return `${alias}${str(s.Name)}${printArgs(s.Arguments)}${printDirectives(s.Directives)}${printSelectionSet(s.SelectionSet)}`;
}

function printVariableDefinitions(defs: unknown): string {
  const vars = list(defs);
  if (!vars.length) return '';
  const each = (v: Json): string =>
    `$${str(v.Variable)}: ${printType(v.Type)}` +
    (v.DefaultValue ? ` = ${printValue(v.DefaultValue)}` : '') +
    printDirectives(v.Directives);
  return '(' + vars.map(each).join(', ') + ')';
}

export function printQuery(doc: Json): string {
  const parts: string[] = [];
  for (const op of list(doc.Operations)) {
    const varText = printVariableDefinitions(op.VariableDefinitions);
    parts.push(`${str(op.Operation) || 'query'} ${str(op.Name)}${varText}${printDirectives(op.Directives)}${printSelectionSet(op.SelectionSet)}`);
  }
  for (const f of list(doc.Fragments)) {
    const vars = printVariableDefinitions(f.VariableDefinition);
    parts.push(`fragment ${str(f.Name)}${vars} on ${str(f.TypeCondition)}${printDirectives(f.Directives)}${printSelectionSet(f.SelectionSet)}`);
  }
  return parts.join('\n');
}

function printDescription(d: unknown): string {
  return str(d) ? quote(str(d)) + ' ' : '';
}

function printInputValue(a: Json): string {
  return (
    `${printDescription(a.Description)}${str(a.Name)}` +
    `${list(a.Arguments).length ? '(' + list(a.Arguments).map(printInputValue).join(', ') + ')' : ''}` +
    `: ${printType(a.Type)}` +
    (a.DefaultValue ? ` = ${printValue(a.DefaultValue)}` : '') +
    printDirectives(a.Directives)
  );
}

const KEYWORD_OF_KIND: Record<string, string> = {
  SCALAR: 'scalar',
  OBJECT: 'type',
  INTERFACE: 'interface',
  UNION: 'union',
  ENUM: 'enum',
  INPUT_OBJECT: 'input',
};

function printTypeDefinition(d: Json, extend: boolean): string {
  let s = extend ? 'extend ' : printDescription(d.Description);
  s += `${KEYWORD_OF_KIND[str(d.Kind)] ?? str(d.Kind)} ${str(d.Name)}`;
  const ifaces = (Array.isArray(d.Interfaces) ? d.Interfaces : []) as string[];
  if (ifaces.length) s += ' implements ' + ifaces.join(' & ');
  s += printDirectives(d.Directives);
  const types = (Array.isArray(d.Types) ? d.Types : []) as string[];
  if (types.length) s += ' = ' + types.join(' | ');
  const fields = list(d.Fields);
  if (fields.length) s += ' { ' + fields.map(printInputValue).join(' ') + ' }';
  const values = list(d.EnumValues);
  if (values.length) s += ' { ' + values.map((v) => `${printDescription(v.Description)}${str(v.Name)}${printDirectives(v.Directives)}`).join(' ') + ' }';
  return s;
}

function printSchemaDefinition(s: Json, extend: boolean): string {
  const ops = list(s.OperationTypes);
  return (
    (extend ? 'extend schema' : printDescription(s.Description) + 'schema') +
    printDirectives(s.Directives) +
    (ops.length ? ' { ' + ops.map((o) => `${str(o.Operation)}: ${str(o.Type)}`).join(' ') + ' }' : '')
  );
}

export function printSchema(doc: Json): string {
  const parts: string[] = [];
  for (const s of list(doc.Schema)) parts.push(printSchemaDefinition(s, false));
  for (const s of list(doc.SchemaExtension)) parts.push(printSchemaDefinition(s, true));
  for (const d of list(doc.Directives)) {
    const args = list(d.Arguments);
    parts.push(
      `${printDescription(d.Description)}directive @${str(d.Name)}` +
        (args.length ? '(' + args.map(printInputValue).join(', ') + ')' : '') +
        (d.IsRepeatable ? ' repeatable' : '') +
        ' on ' +
        ((Array.isArray(d.Locations) ? d.Locations : []) as string[]).join(' | '),
    );
  }
  for (const d of list(doc.Definitions)) parts.push(printTypeDefinition(d, false));
  for (const d of list(doc.Extensions)) parts.push(printTypeDefinition(d, true));
  return parts.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Arguments and validation

const STRING_OR_OBJECT = 'string|object<any, any>';

function queryArg(v: Value, pos: number): DocumentNode {
  if (typeof v === 'string') return parseQueryText(v);
  if (isObject(v)) return parseQueryText(printQuery(toJSON(v) as Json));
  operandError(pos, 'one of {object, string}', v);
}

const EXTENSION_TO_DEFINITION: Record<string, string> = {
  [Kind.SCALAR_TYPE_EXTENSION]: Kind.SCALAR_TYPE_DEFINITION,
  [Kind.OBJECT_TYPE_EXTENSION]: Kind.OBJECT_TYPE_DEFINITION,
  [Kind.INTERFACE_TYPE_EXTENSION]: Kind.INTERFACE_TYPE_DEFINITION,
  [Kind.UNION_TYPE_EXTENSION]: Kind.UNION_TYPE_DEFINITION,
  [Kind.ENUM_TYPE_EXTENSION]: Kind.ENUM_TYPE_DEFINITION,
  [Kind.INPUT_OBJECT_TYPE_EXTENSION]: Kind.INPUT_OBJECT_TYPE_DEFINITION,
};

/**
 * gqlparser lets a schema extend a type it never defines (federation schemas do): the first
 * extension then acts as the definition. graphql-js refuses that, so such extensions are turned
 * into definitions before the schema is built.
 */
function adoptUndefinedExtensions(doc: DocumentNode): DocumentNode {
  const defined = new Set<string>();
  for (const d of doc.definitions) if ('name' in d && d.name && !d.kind.endsWith('Extension')) defined.add(d.name.value);
  const definitions = doc.definitions.map((d) => {
    const asDef = EXTENSION_TO_DEFINITION[d.kind];
    if (!asDef || !('name' in d) || !d.name || defined.has(d.name.value)) return d;
    defined.add(d.name.value);
    return { ...d, kind: asDef } as unknown as DefinitionNode;
  });
  return { ...doc, definitions };
}

const MISSING_QUERY_ROOT = 'Query root type must be provided.';

const schemaCache = new BoundedCache<Outcome<{ doc: DocumentNode; schema: GraphQLSchema }>>(32);

/** The parsed and built schema of a schema argument; cached by its text, built schemas are immutable. */
function schemaFor(v: Value, pos: number): { doc: DocumentNode; schema: GraphQLSchema } {
  let text: string;
  if (typeof v === 'string') text = v;
  else if (isObject(v)) text = printSchema(toJSON(v) as Json);
  else operandError(pos, 'one of {object, string}', v);
  return unwrap(
    schemaCache.get(text, () =>
      outcome(() => {
        const doc = parseSchemaText(text);
        return { doc, schema: buildSchema(doc) };
      }),
    ),
  );
}

/** Builds and validates a schema the way gqlparser's LoadSchema does (no Query type needed). */
function buildSchema(doc: DocumentNode): GraphQLSchema {
  let schema: GraphQLSchema;
  try {
    schema = buildASTSchema(adoptUndefinedExtensions(doc));
  } catch (e) {
    if (e instanceof GraphQLError) throw fromValidationError(e);
    if (e instanceof Error) throw gqlError(e.message.split('\n')[0].replace(/\.$/, ''));
    throw e;
  }
  const errors = validateSchema(schema).filter((e) => e.message !== MISSING_QUERY_ROOT);
  if (errors.length) throw fromValidationError(errors[0]);
  // Record the filtered result, so that query validation does not reject the schema again.
  (schema as unknown as { __validationErrors: readonly GraphQLError[] }).__validationErrors = [];
  return schema;
}

function validateQuery(schema: GraphQLSchema, doc: DocumentNode): void {
  for (const d of doc.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION && !schema.getRootType(d.operation)) {
      const loc = d.loc?.startToken;
      throw gqlError(`Schema does not support operation type "${d.operation}"`, loc?.line, loc?.column);
    }
  }
  const errors = validate(schema, doc, specifiedRules);
  if (errors.length) throw fromValidationError(errors[0]);
}

function isValid(fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (e) {
    if (e instanceof BuiltinError) return false;
    throw e;
  }
}

const out = (j: Json): Value => fromJSON(j);

register(
  {
    name: 'graphql.parse_query',
    args: ['string'],
    result: 'object<any, any>',
    impl: ([q]) => {
      if (typeof q !== 'string') operandError(1, 'string', q);
      return out(queryJSON(parseQueryText(q)));
    },
  },
  {
    name: 'graphql.parse_schema',
    args: ['string'],
    result: 'object<any, any>',
    impl: ([s]) => {
      if (typeof s !== 'string') operandError(1, 'string', s);
      return out(schemaJSON(parseSchemaText(s)));
    },
  },
  {
    name: 'graphql.parse',
    args: [STRING_OR_OBJECT, STRING_OR_OBJECT],
    result: 'array<object<any, any>>',
    impl: ([q, s]) => {
      const { doc: schemaDoc, schema } = schemaFor(s, 2);
      const queryDoc = queryArg(q, 1);
      validateQuery(schema, queryDoc);
      return [out(queryJSON(queryDoc)), out(schemaJSON(schemaDoc))];
    },
  },
  {
    name: 'graphql.parse_and_verify',
    args: [STRING_OR_OBJECT, STRING_OR_OBJECT],
    result: 'array<any>',
    impl: ([q, s]) => {
      try {
        const { doc: schemaDoc, schema } = schemaFor(s, 2);
        const queryDoc = queryArg(q, 1);
        validateQuery(schema, queryDoc);
        return [true, out(queryJSON(queryDoc)), out(schemaJSON(schemaDoc))];
      } catch (e) {
        if (e instanceof BuiltinError) return [false, new RObject(), new RObject()];
        throw e;
      }
    },
  },
  {
    name: 'graphql.is_valid',
    args: [STRING_OR_OBJECT, STRING_OR_OBJECT],
    result: 'boolean',
    impl: ([q, s]) => isValid(() => validateQuery(schemaFor(s, 2).schema, queryArg(q, 1))),
  },
  {
    name: 'graphql.schema_is_valid',
    args: [STRING_OR_OBJECT],
    result: 'boolean',
    impl: ([s]) => isValid(() => schemaFor(s, 1)),
  },
);
