import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RObject, RSet } from '../../../src/rego/eval/values';
import { assertFails, call, callJSON } from './text-helpers';

test('base64 encodes and strictly decodes with Go error offsets', () => {
  assert.equal(call('base64.encode', 'hello'), 'aGVsbG8=');
  assert.equal(call('base64.decode', 'c3ViamVjdHM/X2Q='), 'subjects?_d');
  assert.equal(call('base64.decode', 'aGVs\nbG8='), 'hello');
  assert.equal(call('base64.decode', ''), '');
  assertFails('BuiltinError', 'illegal base64 data at input byte 4', 'base64.decode', 'aGVsbG8');
  assertFails('BuiltinError', 'illegal base64 data at input byte 2', 'base64.decode', 'aG!s');
  assertFails('BuiltinError', 'illegal base64 data at input byte 8', 'base64.decode', 'aGVsbG8=x');
  assert.equal(call('base64.is_valid', 'aGVsbG8='), true);
  assert.equal(call('base64.is_valid', 'aGVsbG8'), false);
});

test('base64url encodes with and without padding and decodes unpadded input', () => {
  assert.equal(call('base64url.encode', 'subjects?_d'), 'c3ViamVjdHM_X2Q=');
  assert.equal(call('base64url.encode_no_pad', 'hello'), 'aGVsbG8');
  assert.equal(call('base64url.decode', 'aGVsbG8'), 'hello');
  assert.equal(call('base64url.decode', 'c3ViamVjdHM_X2Q='), 'subjects?_d');
  assertFails('BuiltinError', 'illegal base64url string: a', 'base64url.decode', 'a');
  assertFails('BuiltinError', 'illegal base64 data at input byte 11', 'base64url.decode', 'c3ViamVjdHM/X2Q=');
});

test('hex encodes and decodes with Go errors', () => {
  assert.equal(call('hex.encode', 'lorem ipsum'), '6c6f72656d20697073756d');
  assert.equal(call('hex.decode', '6C6f'), 'lo');
  assertFails('BuiltinError', "invalid byte: U+0067 'g'", 'hex.decode', 'fghijkl');
  assertFails('BuiltinError', 'odd length hex string', 'hex.decode', 'abc');
});

test('json.marshal writes compact JSON with sorted keys, sets as arrays and HTML escapes', () => {
  assert.equal(call('json.marshal', [RObject.fromEntries([['foo', new RSet([3, 1, 2])]])]), '[{"foo":[1,2,3]}]');
  assert.equal(callJSON('json.marshal', { b: '<a&b>', a: 1.5 }), '{"a":1.5,"b":"\\u003ca\\u0026b\\u003e"}');
  assert.equal(call('json.marshal', [2n ** 70n]), '[1180591620717411303424]');
});

test('json.marshal_with_options indents like Go MarshalIndent, with the prefix on every line', () => {
  const opts = (o: unknown) => callJSON('json.marshal_with_options', [1, 2], o);
  assert.equal(opts({}), '[1,2]');
  assert.equal(opts({ pretty: true }), '[\n\t1,\n\t2\n]');
  assert.equal(opts({ indent: '  ' }), '[\n  1,\n  2\n]');
  assert.equal(opts({ pretty: false, indent: 'x', prefix: 'y' }), '[1,2]');
  assert.equal(callJSON('json.marshal_with_options', { foo: 'bar', bar: 'baz' }, { prefix: '> ' }), '> {\n> \t"bar": "baz",\n> \t"foo": "bar"\n> }');
  assert.equal(callJSON('json.marshal_with_options', [], { indent: '    ', prefix: '---' }), '---[]');
  assert.equal(callJSON('json.marshal_with_options', [[[]], {}], { indent: ' ' }), '[\n [\n  []\n ],\n {}\n]');
  assertFails('BuiltinTypeError', 'operand 2 must be boolean but got string', 'json.marshal_with_options', [], RObject.fromEntries([['pretty', 'yes']]));
  assertFails('BuiltinTypeError', 'operand 2 object contained unknown key "lottery"', 'json.marshal_with_options', [], RObject.fromEntries([['lottery', true]]));
});

test('json.unmarshal and json.is_valid', () => {
  assert.deepEqual(callJSON('json.unmarshal', '[{"foo":[1,2,3]}]'), [{ foo: [1, 2, 3] }]);
  assert.equal(call('json.unmarshal', '123456789012345678901234567890'), 123456789012345678901234567890n);
  assert.equal(call('json.is_valid', '{"a": [1]}'), true);
  assert.equal(call('json.is_valid', '{"a": [1}'), false);
  const goErrors: [string, string][] = [
    ['', 'unexpected end of JSON input'],
    ['[{"foo":[1,2,3]}', 'unexpected end of JSON input'],
    ['x', "invalid character 'x' looking for beginning of value"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a": 1 "b"}', `invalid character '"' after object key:value pair`],
    ['{1: 2}', "invalid character '1' looking for beginning of object key string"],
    ['[1 2]', "invalid character '2' after array element"],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['"a\\x"', "invalid character 'x' in string escape code"],
    ['"a\u0001"', "invalid character '\\x01' in string literal"],
    ['-x', "invalid character 'x' in numeric literal"],
    ['1.e5', "invalid character 'e' after decimal point in numeric literal"],
    ['tru', 'unexpected end of JSON input'],
    ['trux', "invalid character 'x' in literal true (expecting 'e')"],
    ['{} {}', "invalid character '{' after top-level value"],
  ];
  for (const [text, message] of goErrors) assertFails('BuiltinError', message, 'json.unmarshal', text);
  const deep = '['.repeat(200000) + ']'.repeat(200000);
  assertFails('BuiltinError', "invalid character '[' exceeded max depth", 'json.unmarshal', deep);
  assertFails('BuiltinError', 'yaml: line 1', 'yaml.unmarshal', deep);
  assertFails('BuiltinTypeError', 'operand 1 must be string but got number', 'json.unmarshal', 1);
});

test('yaml.unmarshal resolves YAML 1.1 scalars and reports go-yaml style errors', () => {
  assert.deepEqual(callJSON('yaml.unmarshal', 'a: yes\nb: [1, 2.5, x]\nc: ~\nd: "on"'), { a: true, b: [1, 2.5, 'x'], c: null, d: 'on' });
  assert.equal(call('yaml.unmarshal', 'n: 123456789012345678901') instanceof RObject, true);
  assert.equal(call('yaml.unmarshal', ''), null);
  assert.deepEqual(callJSON('yaml.unmarshal', 'd: 2001-12-14\nt: 1:20\nh: 0x1F\nf: 1e3'), { d: '2001-12-14', t: '1:20', h: 31, f: 1000 });
  assertFails('BuiltinError', 'yaml: line 1: did not find', 'yaml.unmarshal', '[1,2,3');
  assert.equal(call('yaml.is_valid', 'a: [1'), false);
  assert.equal(call('yaml.is_valid', 'a: 1'), true);
});

test('yaml.marshal writes block YAML that reads back to the same value', () => {
  const value = { a: [1, { b: 'true', c: 'x y' }], d: null };
  const text = callJSON('yaml.marshal', value) as string;
  assert.equal(text, 'a:\n- 1\n- b: "true"\n  c: x y\nd: null\n');
  const strings = { a: 'x: y', b: '', c: 'yes', d: '12', e: 'plain', f: '1.5e3' };
  assert.equal(callJSON('yaml.marshal', strings), 'a: \'x: y\'\nb: ""\nc: "yes"\nd: "12"\ne: plain\nf: "1.5e3"\n');
  assert.deepEqual(callJSON('yaml.unmarshal', callJSON('yaml.marshal', strings) as string), strings);
  assert.deepEqual(callJSON('yaml.unmarshal', text), value);
});

test('urlquery escapes like Go net/url', () => {
  assert.equal(call('urlquery.encode', 'a=b+1 ~é'), 'a%3Db%2B1+~%C3%A9');
  assert.equal(call('urlquery.decode', 'a%3Db%2B1+~%C3%A9'), 'a=b+1 ~é');
  assertFails('BuiltinError', 'invalid URL escape "%zz"', 'urlquery.decode', 'a%zz');
  assertFails('BuiltinError', 'invalid URL escape "%4"', 'urlquery.decode', 'a%4');
  assert.equal(callJSON('urlquery.encode_object', { c: 'd', a: 'c=b+1' }), 'a=c%3Db%2B1&c=d');
  assert.equal(callJSON('urlquery.encode_object', { a: ['b+1', 'c+2'] }), 'a=b%2B1&a=c%2B2');
  assert.equal(call('urlquery.encode_object', RObject.fromEntries([['a', new RSet(['y', 'x'])]])), 'a=x&a=y');
  assertFails('BuiltinError', 'query parameter value must be a string, an array, or a set', 'urlquery.encode_object', RObject.fromEntries([['a', 1]]));
  assert.deepEqual(callJSON('urlquery.decode_object', 'a=value_a1&b=value_b&a=value_a2'), { a: ['value_a1', 'value_a2'], b: ['value_b'] });
  assert.deepEqual(callJSON('urlquery.decode_object', 'a=value_a1&b'), { a: ['value_a1'], b: [''] });
  assert.deepEqual(callJSON('urlquery.decode_object', ''), {});
  assertFails('BuiltinError', 'invalid semicolon separator in query', 'urlquery.decode_object', 'a=1;b=2');
});
