import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTerm } from '../../../src/rego/eval/format';
import { RObject, RSet, parseJSON } from '../../../src/rego/eval/values';

test('formatTerm prints scalars as Rego text', () => {
  assert.equal(formatTerm(null), 'null');
  assert.equal(formatTerm(true), 'true');
  assert.equal(formatTerm(42), '42');
  assert.equal(formatTerm(13.37), '13.37');
  assert.equal(formatTerm(18446744073709551617n), '18446744073709551617');
  assert.equal(formatTerm('foo'), '"foo"');
});

test('formatTerm quotes strings with Go escapes', () => {
  assert.equal(formatTerm('a"b\\c\n\t\x07\x01'), '"a\\"b\\\\c\\n\\t\\a\\x01"');
  assert.equal(formatTerm('åäö 😀'), '"åäö 😀"');
  assert.equal(formatTerm('\u200b'), '"\\u200b"');
});

test('formatTerm prints composites in Rego order', () => {
  assert.equal(formatTerm([]), '[]');
  assert.equal(formatTerm(['there', 5, 3.14]), '["there", 5, 3.14]');
  assert.equal(formatTerm(new RSet()), 'set()');
  assert.equal(formatTerm(new RSet([3, 1, 2])), '{1, 2, 3}');
  assert.equal(formatTerm(new RObject()), '{}');
  assert.equal(formatTerm(parseJSON('{"b": [1], "a": {"c": null}}')), '{"a": {"c": null}, "b": [1]}');
  assert.equal(formatTerm(RObject.fromEntries([[1, 'x'], [new RSet(['k']), true]])), '{1: "x", {"k"}: true}');
});
