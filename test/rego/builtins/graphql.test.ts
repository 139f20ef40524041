import { test } from 'node:test';
import assert from 'node:assert/strict';
import { printQuery, printSchema } from '../../../src/rego/builtins/graphql';
import { type BuiltinContext, lookupBuiltin } from '../../../src/rego/builtins/registry';
import { errorOf } from './builtin-call';
import { type Value, fromJSON, toJSON } from '../../../src/rego/eval/values';

const ctx = {} as BuiltinContext;
const call = (name: string, ...args: Value[]): Value => lookupBuiltin(name)!.impl(args, ctx) as Value;
const json = (v: Value): unknown => toJSON(v);

const schema = `
  type Employee { id: String! salary: Int! }
  schema { query: Query }
  type Query { employeeByID(id: String): Employee }
`;

test('parse_query returns the gqlparser-shaped AST', () => {
  const ast = call('graphql.parse_query', 'query Q($id: ID! = "x") { a: hero(ep: $id, n: [1, {k: NEW}]) { name ... on Droid { f } ...Frag } }');
  assert.deepEqual(json(ast), {
    Operations: [
      {
        Name: 'Q',
        Operation: 'query',
        VariableDefinitions: [
          {
            Variable: 'id',
            Type: { NamedType: 'ID', NonNull: true },
            DefaultValue: { ExpectedTypeHasDefault: false, Kind: 3, Raw: 'x' },
            Used: false,
          },
        ],
        SelectionSet: [
          {
            Alias: 'a',
            Name: 'hero',
            Arguments: [
              { Name: 'ep', Value: { ExpectedTypeHasDefault: false, Kind: 0, Raw: 'id' } },
              {
                Name: 'n',
                Value: {
                  ExpectedTypeHasDefault: false,
                  Kind: 8,
                  Raw: '',
                  Children: [
                    { Name: '', Value: { ExpectedTypeHasDefault: false, Kind: 1, Raw: '1' } },
                    {
                      Name: '',
                      Value: {
                        ExpectedTypeHasDefault: false,
                        Kind: 9,
                        Raw: '',
                        Children: [{ Name: 'k', Value: { ExpectedTypeHasDefault: false, Kind: 7, Raw: 'NEW' } }],
                      },
                    },
                  ],
                },
              },
            ],
            SelectionSet: [
              { Alias: 'name', Name: 'name' },
              { TypeCondition: 'Droid', SelectionSet: [{ Alias: 'f', Name: 'f' }] },
              { Name: 'Frag' },
            ],
          },
        ],
      },
    ],
  });
});

test('an empty query document parses to an empty object', () => {
  assert.deepEqual(json(call('graphql.parse_query', '  # nothing\n')), {});
});

test('parse errors use gqlparser wording and positions', () => {
  assert.equal(errorOf(() => call('graphql.parse_query', '{')), 'Expected Name, found <EOF> in GraphQL string at location 1:2');
  assert.equal(errorOf(() => call('graphql.parse_query', '...')), 'Unexpected ... in GraphQL string at location 1:1');
  assert.equal(
    errorOf(() => call('graphql.parse_query', '{...{__typename{...{}}}}')),
    'expected at least one definition, found } in GraphQL string at location 1:21',
  );
  assert.equal(
    errorOf(() => call('graphql.parse_schema', 'type Hello {}')),
    'expected at least one definition, found } in GraphQL string at location 1:13',
  );
  assert.equal(
    errorOf(() => call('graphql.parse_schema', '"""\r')),
    'Unexpected <Invalid> in GraphQL string at location 2:1',
  );
  assert.equal(
    errorOf(() => call('graphql.parse_schema', '\n  extend "Description" type Hello { world: String }')),
    'Unexpected String "Description" in GraphQL string at location 2:11',
  );
  assert.equal(
    errorOf(() => call('graphql.parse_query', 'type T { a: Int }')),
    'Unexpected Name "type" in GraphQL string at location 1:1',
  );
});

test('parse_schema returns definitions, extensions and directives', () => {
  const ast = call(
    'graphql.parse_schema',
    '"Hi" type Hello implements A & B { world(flag: Boolean = true): [String]! }\nextend union U = X | Y\ndirective @d repeatable on FIELD | QUERY',
  );
  assert.deepEqual(json(ast), {
    Definitions: [
      {
        BuiltIn: false,
        Description: 'Hi',
        Kind: 'OBJECT',
        Name: 'Hello',
        Interfaces: ['A', 'B'],
        Fields: [
          {
            Description: '',
            Name: 'world',
            Arguments: [
              {
                Description: '',
                Name: 'flag',
                Type: { NamedType: 'Boolean', NonNull: false },
                DefaultValue: { ExpectedTypeHasDefault: false, Kind: 5, Raw: 'true' },
              },
            ],
            Type: { NamedType: '', Elem: { NamedType: 'String', NonNull: false }, NonNull: true },
          },
        ],
      },
    ],
    Extensions: [{ BuiltIn: false, Description: '', Kind: 'UNION', Name: 'U', Types: ['X', 'Y'] }],
    Directives: [{ Description: '', IsRepeatable: true, Locations: ['FIELD', 'QUERY'], Name: 'd' }],
  });
});

test('schema_is_valid follows gqlparser: no Query needed, extensions may define types', () => {
  assert.equal(call('graphql.schema_is_valid', 'type Hello { world: String }'), true);
  assert.equal(call('graphql.schema_is_valid', 'extend type Hello { world: String }'), true);
  assert.equal(call('graphql.schema_is_valid', 'union Hello = World'), false);
  assert.equal(call('graphql.schema_is_valid', 'schema { query: Query }'), false);
  assert.equal(
    call('graphql.schema_is_valid', 'interface IA { id: ID! } interface IIA implements IA { id: ID! } type A implements IIA { id: ID! }'),
    false,
  );
  assert.equal(call('graphql.schema_is_valid', 'type Hello {'), false);
});

test('is_valid and parse_and_verify validate the query against the schema', () => {
  assert.equal(call('graphql.is_valid', '{ employeeByID(id: "a") { salary } }', schema), true);
  assert.equal(call('graphql.is_valid', '{ employeeByID(id: "a") { nope } }', schema), false);
  assert.equal(call('graphql.is_valid', 'mutation { x }', 'type Query { a: Int }'), false);
  const [valid, q, s] = call('graphql.parse_and_verify', '{ employeeByID { id } }', schema) as Value[];
  assert.equal(valid, true);
  assert.deepEqual(json(q), json(call('graphql.parse_query', '{ employeeByID { id } }')));
  assert.deepEqual(json(s), json(call('graphql.parse_schema', schema)));
  assert.deepEqual(json(call('graphql.parse_and_verify', '{ nope }', schema)), [false, {}, {}]);
  assert.deepEqual(json(call('graphql.parse_and_verify', '', 'type T { a: Int }')), [true, {}, json(call('graphql.parse_schema', 'type T { a: Int }'))]);
});

test('ASTs returned by parse_query and parse_schema are accepted as arguments', () => {
  const schemaAst = call('graphql.parse_schema', schema);
  const queryAst = call('graphql.parse_query', 'query { employeeByID(id: "alice") { salary } }');
  assert.equal(call('graphql.schema_is_valid', schemaAst), true);
  assert.equal(call('graphql.is_valid', queryAst, schemaAst), true);
  const [q, s] = call('graphql.parse', queryAst, schemaAst) as Value[];
  assert.deepEqual(json(q), json(queryAst));
  assert.deepEqual(json(s), json(schemaAst));
  const badQuery = fromJSON({ Operations: [{ Name: '', Operation: 'query', SelectionSet: [{ Alias: 'x', Name: 'x' }] }] });
  assert.equal(call('graphql.is_valid', badQuery, schemaAst), false);
});

test('graphql.parse reports validation errors with their location', () => {
  const s = 'type Query { myAction(myEnum: Locale!): Int }\nenum Locale { EN }';
  assert.equal(
    errorOf(() => call('graphql.parse', 'query Op {\n  myAction\n}', s)),
    'Field "myAction" argument "myEnum" of type "Locale!" is required, but it was not provided in GraphQL string at location 2:3',
  );
});

test('deeply nested documents end in a typed error instead of exhausting the stack', () => {
  const deep = '{' + 'a{'.repeat(20000) + 'b' + '}'.repeat(20000) + '}';
  assert.match(errorOf(() => call('graphql.parse_query', deep)), /^document nested deeper than 256 levels in GraphQL string at location 1:\d+$/);
  assert.equal(call('graphql.is_valid', deep, 'type Query { a: Query b: Int }'), false);
  const nestedList = '{ f(a: ' + '['.repeat(5000) + ']'.repeat(5000) + ') }';
  assert.match(errorOf(() => call('graphql.parse_query', nestedList)), /nested deeper/);
  const fine = '{' + 'a{'.repeat(100) + 'b' + '}'.repeat(100) + '}';
  assert.equal(call('graphql.is_valid', fine, 'type Query { a: Query b: Int }'), true);
});

test('ASTs print back to GraphQL that parses to the same AST', () => {
  const query = `query Q($a: [Int!]! = [1], $b: In @dir(x: 1)) @op { x: f(s: "q\\"uote", blk: """block "quoted" """, o: {k: [ENUM, null, 1.5]}) @include(if: $b) { ... on T { g } ...F } }
    fragment F($v: Boolean = false) on T @fd { h(v: $v) }
    subscription { s }`;
  const schema = `"""Doc"""
    schema @s { query: Query mutation: M }
    extend schema @e
    directive @dir(x: Int = 2) repeatable on FIELD | QUERY
    "Described" type Query implements A & B @d(r: "x") { f(a: Int = 1 @d, b: [In!]): [Query]! g: Int }
    interface A { f(a: Int, b: [In!]): [Query]! }
    union U = Query | M
    enum E { X @deprecated(reason: "no") Y }
    input In { a: Int = 3 b: E }
    scalar S @specifiedBy(url: "https://example.com")
    extend type Query { h: S }`;
  const q1 = call('graphql.parse_query', query) as Value;
  const s1 = call('graphql.parse_schema', schema) as Value;
  const [q2, s2] = [printQuery(json(q1) as Record<string, unknown>), printSchema(json(s1) as Record<string, unknown>)];
  assert.deepEqual(json(call('graphql.parse_query', q2)), json(q1));
  assert.deepEqual(json(call('graphql.parse_schema', s2)), json(s1));
});

test('validation messages are worded as gqlparser words them', () => {
  const s = 'type Query { t: T n: Int } type T { a: Int }';
  assert.equal(
    errorOf(() => call('graphql.parse', '{ t }', s)),
    'Field "t" of type "T" must have a selection of subfields in GraphQL string at location 1:3',
  );
  assert.equal(
    errorOf(() => call('graphql.parse', '{ n { a } }', s)),
    'Field "n" must not have a selection since type "Int" has no subfields in GraphQL string at location 1:5',
  );
});

test('malformed AST arguments end in typed errors or false', () => {
  const badQuery = fromJSON({ Operations: [{ SelectionSet: [{ Name: 'x', Arguments: [{ Name: 'a' }] }] }] });
  assert.equal(call('graphql.is_valid', badQuery, schema), false);
  assert.match(errorOf(() => call('graphql.parse', badQuery, schema)), /in GraphQL string at location/);
  const badSchema = fromJSON({ Definitions: [{ Kind: 'OBJECT', Name: 'Q', Fields: [{ Name: 'a', Type: null }] }] });
  assert.equal(call('graphql.schema_is_valid', badSchema), false);
});

test('an empty list is recognised across comments and commas', () => {
  assert.equal(
    errorOf(() => call('graphql.parse_schema', 'type Hello { # nothing here\n , }')),
    'expected at least one definition, found } in GraphQL string at location 2:4',
  );
});
