import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toJSON } from '../../../src/rego/eval/values';
import { assertError, call, v } from './collection-helpers';

const json = (x: unknown): unknown => toJSON(x as never);
const idSchema = { properties: { id: { type: 'integer' } }, required: ['id'] };

test('json.verify_schema accepts valid schemas as objects or JSON text', () => {
  assert.deepEqual(json(call('json.verify_schema', '{"type": "boolean"}')), [true, null]);
  assert.deepEqual(json(call('json.verify_schema', v({ type: 'boolean' }))), [true, null]);
  assert.deepEqual(json(call('json.verify_schema', v({ $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' }))), [true, null]);
});

test('json.verify_schema reports invalid schemas with gojsonschema wording', () => {
  const message =
    'jsonschema: has a primitive type that is NOT VALID -- given: /unknown_type/ Expected valid values are:[array boolean integer number null object string]';
  assert.deepEqual(json(call('json.verify_schema', '{"type": "unknown_type"}')), [false, message]);
  assert.deepEqual(json(call('json.verify_schema', v({ properties: { a: { items: { type: 'unknown_type' } } } }))), [false, message]);
  assert.deepEqual(json(call('json.verify_schema', v({ type: ['string', 'string'] }))), [false, 'jsonschema: string type is duplicated']);
  assert.deepEqual(json(call('json.verify_schema', '{"type": ')), [false, 'jsonschema: invalid JSON string']);
  const verify = (schema: unknown) => json(call('json.verify_schema', v(schema)));
  assert.deepEqual(verify({ minLength: -1 }), [false, 'jsonschema: minLength must be greater than or equal to 0']);
  assert.deepEqual(verify({ properties: { a: { multipleOf: 0 } } }), [false, 'jsonschema: multipleOf must be strictly greater than 0']);
  assert.deepEqual(verify({ required: 'a' }), [false, 'jsonschema: required must be of an array']);
  assert.deepEqual(verify({ required: ['a', 'a'] }), [false, 'jsonschema: required items must be unique']);
  assert.deepEqual(verify({ pattern: '((' }), [false, 'jsonschema: pattern must be a valid regex']);
});

test('json.match_schema validates documents and describes each failure', () => {
  assert.deepEqual(json(call('json.match_schema', v({ id: 5 }), v(idSchema))), [true, []]);
  assert.deepEqual(json(call('json.match_schema', '{"id": 5}', JSON.stringify(idSchema))), [true, []]);
  assert.deepEqual(json(call('json.match_schema', v({ id: 'foo' }), v(idSchema))), [
    false,
    [
      {
        desc: 'Invalid type. Expected: integer, given: string',
        error: 'id: Invalid type. Expected: integer, given: string',
        field: 'id',
        type: 'invalid_type',
      },
    ],
  ]);
  const [valid, errors] = json(call('json.match_schema', v({ a: { b: [1, 'x'] } }), v({
    required: ['c'],
    properties: { a: { properties: { b: { items: { type: 'number' } } } } },
  }))) as [boolean, { field: string; type: string; error: string }[]];
  assert.equal(valid, false);
  assert.deepEqual(errors.map((e) => e.error), [
    '(root): c is required',
    'a.b.1: Invalid type. Expected: number, given: string',
  ]);
});

test('json.match_schema maps common keywords to gojsonschema result types', () => {
  const schema = {
    properties: {
      color: { enum: ['red', 'green'] },
      name: { type: 'string', minLength: 3, pattern: '^[a-z]+$' },
      n: { minimum: 10, multipleOf: 5 },
      tags: { type: 'array', uniqueItems: true, maxItems: 2 },
    },
    additionalProperties: false,
  };
  const [, errors] = json(call('json.match_schema', v({ color: 'blue', name: 'A', n: 3, tags: [1, 1, 2], extra: 1 }), v(schema))) as [
    boolean,
    { type: string; desc: string }[],
  ];
  const byType = new Map(errors.map((e) => [e.type, e.desc]));
  assert.equal(byType.get('enum'), 'color must be one of the following: "red", "green"');
  assert.equal(byType.get('string_gte'), 'String length must be greater than or equal to 3');
  assert.equal(byType.get('pattern'), "Does not match pattern '^[a-z]+$'");
  assert.equal(byType.get('number_gte'), 'Must be greater than or equal to 10');
  assert.equal(byType.get('multiple_of'), 'Must be a multiple of 5');
  assert.equal(byType.get('unique'), 'array items[0,1] must be unique');
  assert.equal(byType.get('array_max_items'), 'Array must have at most 2 items');
  assert.equal(byType.get('additional_property_not_allowed'), 'Additional property extra is not allowed');
});

test('schemas that share an $id do not collide', () => {
  const asString = { $id: 'https://example.com/s', type: 'string' };
  const asNumber = { $id: 'https://example.com/s', type: 'number' };
  assert.equal((json(call('json.match_schema', '"x"', v(asNumber))) as [boolean])[0], false);
  assert.equal((json(call('json.match_schema', '"x"', v(asString))) as [boolean])[0], true);
  assert.equal((json(call('json.match_schema', '7', v(asNumber))) as [boolean])[0], true);
});

test('json.match_schema accepts draft-04 boolean exclusive bounds', () => {
  const schema = { $schema: 'http://json-schema.org/draft-04/schema#', properties: { n: { minimum: 5, exclusiveMinimum: true } } };
  assert.deepEqual(json(call('json.match_schema', v({ n: 6 }), v(schema))), [true, []]);
  const [valid, errors] = json(call('json.match_schema', v({ n: 5 }), v(schema))) as [boolean, { error: string }[]];
  assert.equal(valid, false);
  assert.deepEqual(errors.map((e) => e.error), ['n: Must be greater than 5']);
  assert.deepEqual(json(call('json.match_schema', v({ n: 5 }), v({ properties: { n: { minimum: 5, exclusiveMinimum: false } } }))), [true, []]);
});

test('json.match_schema orders errors depth-first through the document, a node\'s own checks first', () => {
  const schema = {
    properties: {
      z: { enum: [1], type: 'integer' },
      a: { properties: { b: { type: 'string' } }, required: ['q'] },
      items: { items: { type: 'string' } },
    },
    required: ['r'],
  };
  const doc = { z: 2, a: { b: 1 }, items: ['x', 1, 'y', 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
  const [, errors] = json(call('json.match_schema', v(doc), v(schema))) as [boolean, { error: string }[]];
  assert.deepEqual(errors.map((e) => e.error.split(':')[0]), [
    '(root)',
    'a',
    'a.b',
    'items.1',
    'items.3',
    'items.4',
    'items.5',
    'items.6',
    'items.7',
    'items.8',
    'items.9',
    'items.10',
    'items.11',
    'items.12',
    'z',
  ]);
});

test('json.match_schema stops checking a node against a subschema whose type it lacks', () => {
  const schema = {
    type: 'object',
    properties: {
      tag: { type: 'string', enum: ['a'], minLength: 2 },
      list: { items: { type: 'string', enum: ['x'] } },
    },
  };
  const [, errors] = json(call('json.match_schema', v({ tag: 5, list: ['y', 1, 'x'] }), v(schema))) as [boolean, { error: string }[]];
  assert.deepEqual(errors.map((e) => e.error), [
    'list.0: list.0 must be one of the following: "x"',
    'list.1: Invalid type. Expected: string, given: integer',
    'tag: Invalid type. Expected: string, given: integer',
  ]);
  const [, rootErrors] = json(call('json.match_schema', '[1]', v(schema))) as [boolean, { error: string }[]];
  assert.deepEqual(rootErrors.map((e) => e.error), ['(root): Invalid type. Expected: object, given: array']);
});

test('json.match_schema keeps only the closest branch of a failed anyOf', () => {
  const schema = { anyOf: [{ required: ['a', 'b', 'c'] }, { required: ['d'] }] };
  const [, errors] = json(call('json.match_schema', v({ a: 1 }), v(schema))) as [boolean, { error: string }[]];
  assert.deepEqual(errors.map((e) => e.error), ['(root): Must validate at least one schema (anyOf)', '(root): d is required']);
});

test('json.match_schema follows the errors of a failed allOf with an allOf error at its node', () => {
  const schema = { properties: { a: { allOf: [{ properties: { b: { type: 'string' } } }, { required: ['c'] }] } } };
  const [, errors] = json(call('json.match_schema', v({ a: { b: 1 } }), v(schema))) as [boolean, { error: string; type: string }[]];
  assert.deepEqual(errors.map((e) => e.error), [
    'a.b: Invalid type. Expected: string, given: integer',
    'a: c is required',
    'a: Must validate all the schemas (allOf)',
  ]);
  assert.equal(errors[2].type, 'number_all_of');
});

test('json.match_schema patterns run on RE2, so a catastrophic pattern finishes', () => {
  const schema = { properties: { s: { type: 'string', pattern: '^(a+)+$' } } };
  const started = Date.now();
  const [valid] = json(call('json.match_schema', v({ s: 'a'.repeat(40) + 'b' }), v(schema))) as [boolean];
  assert.equal(valid, false);
  assert.ok(Date.now() - started < 2000);
});

test('json.match_schema fails on an invalid schema or operand', () => {
  assertError(
    'BuiltinError',
    'has a primitive type that is NOT VALID -- given: /unknown/ Expected valid values are:[array boolean integer number null object string]',
    'json.match_schema',
    v({ id: 'foo' }),
    v({ properties: { id: { type: 'unknown' } } }),
  );
  assertError('BuiltinError', 'invalid JSON string', 'json.match_schema', '{', v({}));
  assertError('BuiltinError', 'wrong type, expected string or object', 'json.match_schema', [1], v({}));
});
