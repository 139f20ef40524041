import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertFails, call } from './text-helpers';
import { lookupBuiltin } from '../../../src/rego/builtins/registry';

test('regex.match and re_match use RE2 syntax and report Go parse errors', () => {
  assert.equal(call('regex.match', '^[a-z]+\\[[0-9]+\\]$', 'foo[1]'), true);
  assert.equal(call('regex.match', '^$', 'something'), false);
  assert.equal(call('regex.match', '', 'x'), true);
  assert.equal(call('re_match', '(?i)^abc$', 'ABC'), true);
  assert.equal(call('regex.match', '^\\pL+$', 'åäö'), true);
  assert.equal(call('regex.match', '^.$', '😀'), true);
  assertFails('BuiltinError', 'error parsing regexp: missing closing ]: `[`', 're_match', '[', 'x');
  assertFails('BuiltinError', 'error parsing regexp: missing closing ): `(a`', 'regex.match', '(a', 'x');
  assertFails('BuiltinError', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`', 'regex.match', '(?=a)', 'x');
  assertFails('BuiltinError', 'error parsing regexp: invalid nested repetition operator: `**`', 'regex.match', 'a**', 'x');
});

test('catastrophic backtracking patterns finish quickly under RE2', () => {
  const input = 'a'.repeat(50000) + '!';
  const started = process.hrtime.bigint();
  assert.equal(call('regex.match', '^(a+)+$', input), false);
  assert.equal(call('regex.match', '^(a|aa)*$', input), false);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test('re_match is the deprecated spelling of regex.match', () => {
  assert.equal(lookupBuiltin('re_match')?.deprecated, true);
  assert.equal(lookupBuiltin('regex.match')?.deprecated, false);
});

test('regex.is_valid never fails', () => {
  assert.equal(call('regex.is_valid', '.*'), true);
  assert.equal(call('regex.is_valid', '$^[[['), false);
  assert.equal(call('regex.is_valid', 1), false);
});

test('regex.split follows Go for anchors and empty input', () => {
  assert.deepEqual(call('regex.split', '^[a-z]+\\[[0-9]+\\]$', ''), ['']);
  assert.deepEqual(call('regex.split', '^[a-z]+', 'foobar baz'), ['', ' baz']);
  assert.deepEqual(call('regex.split', '[a-z]+$', 'foobar baz'), ['foobar ', '']);
  assert.deepEqual(call('regex.split', '^[a-z ]+$', 'foobar baz'), ['', '']);
  assert.deepEqual(call('regex.split', 'a', 'banana'), ['b', 'n', 'n', '']);
  assert.deepEqual(call('regex.split', 'x*', 'axbc'), ['a', 'b', 'c']);
});

test('regex.find_n and find_all_string_submatch_n follow Go FindAll', () => {
  assert.deepEqual(call('regex.find_n', 'a.', 'paranormal', -1), ['ar', 'an', 'al']);
  assert.deepEqual(call('regex.find_n', 'a.', 'paranormal', 2), ['ar', 'an']);
  assert.deepEqual(call('regex.find_n', 'a.', 'paranormal', 0), []);
  assert.deepEqual(call('regex.find_n', '^a.', 'abacad', -1), ['ab']);
  assert.deepEqual(call('regex.find_n', 'a*', 'baaab', -1), ['', 'aaa', '']);
  assert.deepEqual(call('regex.find_n', '', '😀é', -1), ['', '', '']);
  assert.deepEqual(call('regex.find_all_string_submatch_n', 'a(x*)b', '-ab-axb-', -1), [['ab', ''], ['axb', 'x']]);
  assert.deepEqual(call('regex.find_all_string_submatch_n', '[^aouiye]([aouiye])([^aouiye])?', 'somestri', 1), [['som', 'o', 'm']]);
  assert.deepEqual(call('regex.find_all_string_submatch_n', 'a(q)?', 'a', -1), [['a', '']]);
  assertFails('BuiltinTypeError', 'operand 3 must be integer number but got floating-point number', 'regex.find_n', 'a', 'a', 1.5);
});

test('regex.template_match matches delimited patterns and literal text', () => {
  assert.equal(call('regex.template_match', 'urn:foo:{.*}', 'urn:foo:bar:baz', '{', '}'), true);
  assert.equal(call('regex.template_match', 'urn:foo.bar:{[0-9]{2}}', 'urn:foo.bar:42', '{', '}'), true);
  assert.equal(call('regex.template_match', 'urn:foo.bar:{[0-9]{2}}', 'urn:fooXbar:42', '{', '}'), false);
  assert.equal(call('regex.template_match', 'urn:foo:<.*>', 'urn:foo:x', '<', '>'), true);
  assertFails('BuiltinError', 'unbalanced braces', 'regex.template_match', 'urn:{.*', 'x', '{', '}');
  assertFails('BuiltinError', 'start delimiter has to be exactly one character long but is 2 long', 'regex.template_match', 'x', 'x', '{{', '}');
});

test('regex.globs_match decides whether two globs share a string', () => {
  assert.equal(call('regex.globs_match', 'a.a.[0-9]+z', '.b.b2359825792*594823z'), true);
  assert.equal(call('regex.globs_match', 'b.*', 'bar'), true);
  assert.equal(call('regex.globs_match', 'b.*', 'car'), false);
  assert.equal(call('regex.globs_match', '[a-z]+\\[[0-9]+\\]', 'foo\\[1\\]'), true);
  assert.equal(call('regex.globs_match', 'a+', 'b*'), false);
  assert.equal(call('regex.globs_match', 'a*', 'b*'), true);
  assert.equal(call('regex.globs_match', 'ab+c', 'a.c'), true);
  assert.equal(call('regex.globs_match', 'ab+c', 'ac'), false);
  assertFails('BuiltinError', "input:pqrs], pos:5, set-close ']' with no preceding '[': the input provided is invalid", 'regex.globs_match', 'pqrs]', '[a-b]+');
  assertFails('BuiltinError', 'the input provided is invalid', 'regex.globs_match', '*a', 'a');
  assert.equal(call('regex.globs_match', 'a*'.repeat(500) + 'c', 'a*'.repeat(500) + 'd'), false);
  assertFails('BuiltinError', 'globs too long to intersect', 'regex.globs_match', 'a*'.repeat(3000), 'a*'.repeat(3000));
});

test('regex.replace expands Go templates and skips empty matches after a match', () => {
  assert.equal(call('regex.replace', 'foo.bar', '[.]', '-'), 'foo-bar');
  assert.equal(call('regex.replace', 'ab-cd', '(\\w)(\\w)', '$2$1'), 'ba-dc');
  assert.equal(call('regex.replace', 'ab', '(a)', '${1}x $1x $$'), 'ax  $b');
  assert.equal(call('regex.replace', 'key=val', '(?P<k>\\w+)=(?P<v>\\w+)', '$v=$k'), 'val=key');
  assert.equal(call('regex.replace', 'abc', 'x*', '-'), '-a-b-c-');
  assert.equal(call('regex.replace', 'baaac', 'a*', '-'), '-b-c-');
  assert.equal(call('regex.replace', 'a(b)', '[(]', '['), 'a[b)');
  assertFails('BuiltinError', 'error parsing regexp: missing closing ): `(`', 'regex.replace', 'x', '(', 'y');
});
