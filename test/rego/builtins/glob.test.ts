import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFails, call } from './text-helpers';

const m = (pattern: string, delims: string[] | null, s: string) => call('glob.match', pattern, delims, s);

test('glob.match: * stops at delimiters, ** does not; [] means the default "." delimiter', () => {
  assert.equal(m('*.github.com', ['.'], 'api.github.com'), true);
  assert.equal(m('*.github.com', ['.'], 'api.not-github.com'), false);
  assert.equal(m('*', [], 'foo.bar'), false);
  assert.equal(m('*', null, 'foo.bar'), true);
  assert.equal(m('**.com', ['.'], 'a.b.com'), true);
  assert.equal(m('*:*', [':'], 'a:b:c'), false);
  assert.equal(m('*', null, 'line1\nline2'), true);
});

test('glob.match: ?, character lists, ranges, negation, alternatives and escapes', () => {
  assert.equal(m('?at', [], 'fat'), true);
  assert.equal(m('?at', [], 'at'), false);
  assert.equal(m('?at', ['f'], 'fat'), false);
  assert.equal(m('[abc]at', [], 'cat'), true);
  assert.equal(m('[!abc]at', [], 'cat'), false);
  assert.equal(m('[!a-c]at', [], 'fat'), true);
  assert.equal(m('{cat,bat,[fr]at}', [], 'rat'), true);
  assert.equal(m('{cat,bat}', [], 'mat'), false);
  assert.equal(m('a\\*b', [], 'a*b'), true);
  assert.equal(m('a\\*b', [], 'axb'), false);
  assert.equal(m('a+b(c)', [], 'a+b(c)'), true);
});

test('glob.match rejects bad operands and patterns', () => {
  assertFails('BuiltinTypeError', 'operand 2 must be one of {array, null} but got string', 'glob.match', '*', '.', 'x');
  assertFails('BuiltinTypeError', 'operand 2 must be array of strings but got array containing number', 'glob.match', '*', [1], 'x');
  assertFails('BuiltinError', "missing ']'", 'glob.match', '[abc', [], 'x');
  assertFails('BuiltinError', "missing '}'", 'glob.match', '{a,b', [], 'x');
});

test('glob.quote_meta escapes glob syntax so the result matches literally', () => {
  const quoted = call('glob.quote_meta', '*.github.com/[x]{y}?') as string;
  assert.equal(quoted, '\\*.github.com/\\[x\\]\\{y\\}\\?');
  assert.equal(m(quoted, [], '*.github.com/[x]{y}?'), true);
  assert.equal(m(quoted, [], 'a.github.com/x{y}?'), false);
});
