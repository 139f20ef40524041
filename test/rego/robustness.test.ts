// Bad input never crashes or hangs: every case ends in a typed error (or a result) in bounded time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileModules, fromJSON, RegoError } from '../../src/rego';

function rejects(fn: () => unknown, code: string, text?: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof RegoError, `expected RegoError, got ${String(e)}`);
    assert.equal(e.code, code);
    if (text) assert.match(e.message, new RegExp(text));
    return true;
  });
}

test('malformed Rego is a parse error with a location', () => {
  for (const source of ['package a\np if {{{ x := ', 'package a\np := [1, 2', 'package', 'p := 1', 'package a\np := "unterminated\n']) {
    rejects(() => compileModules([{ file: 'bad.rego', source }]), 'rego_parse_error');
  }
});

test('deeply nested terms and long operator chains end in a parse error, not a stack overflow', () => {
  rejects(() => compileModules([{ file: 'a.rego', source: 'package a\np := ' + '['.repeat(5000) + ']'.repeat(5000) }]), 'rego_parse_error', 'too deep');
  rejects(() => compileModules([{ file: 'a.rego', source: 'package a\np := ' + '('.repeat(5000) + '1' + ')'.repeat(5000) }]), 'rego_parse_error', 'too deep');
  const chain = Array.from({ length: 20000 }, (_, i) => String(i)).join(' + ');
  rejects(() => compileModules([{ file: 'a.rego', source: 'package a\np := ' + chain }]), 'rego_parse_error', 'too deep');
  // Moderate nesting still works.
  const p = compileModules([{ file: 'a.rego', source: 'package a\np := ' + '['.repeat(300) + '1' + ']'.repeat(300) + '\nq := count(p)' }]);
  assert.equal(p.evaluate('a/q'), 1);
});

test('deeply nested input is rejected at conversion, moderately deep input evaluates', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100000; i++) deep = { a: deep };
  assert.throws(() => fromJSON(deep), /nested more than/);
  let ok: unknown = 1;
  for (let i = 0; i < 1500; i++) ok = [ok];
  const p = compileModules([{ file: 'a.rego', source: 'package a\np := input == input\nn := count([x | walk(input, x)])' }]);
  const input = fromJSON(ok);
  assert.equal(p.evaluate('a/p', { input }), true);
  assert.equal(p.evaluate('a/n', { input }), 1501);
});

test('recursion through functions and rules is rejected at compile time', () => {
  rejects(() => compileModules([{ file: 'a.rego', source: 'package a\nf(x) := f(x + 1)\np := f(1)' }]), 'rego_recursion_error', 'data.a.f');
  rejects(() => compileModules([{ file: 'a.rego', source: 'package a\np if q\nq if p' }]), 'rego_recursion_error');
});

test('a runaway loop is cancelled by the deadline', () => {
  const p = compileModules([
    {
      file: 'a.rego',
      source: 'package a\np contains [i, j, k] if { some i in numbers.range(1, 1000); some j in numbers.range(1, 1000); some k in numbers.range(1, 1000); i + j + k < 0 }',
    },
  ]);
  const t0 = Date.now();
  rejects(() => p.evaluate('a/p', { timeoutMs: 200 }), 'eval_cancel_error');
  assert.ok(Date.now() - t0 < 5000, 'cancelled within bounded time');
});

test('huge input evaluates', () => {
  const p = compileModules([{ file: 'a.rego', source: 'package a\np := count([x | some x in input.xs; x % 2 == 0])' }]);
  const xs = Array.from({ length: 200_000 }, (_, i) => i);
  assert.equal(p.evaluate('a/p', { input: fromJSON({ xs }) }), 100_000);
});

test('a catastrophic regular expression runs in linear time (RE2)', () => {
  const p = compileModules([{ file: 'a.rego', source: 'package a\np := regex.match("^(a+)+$", input.s)' }]);
  const t0 = Date.now();
  assert.equal(p.evaluate('a/p', { input: fromJSON({ s: 'a'.repeat(50_000) + '!' }) }), false);
  assert.ok(Date.now() - t0 < 2000);
});

test('unsafe variables are reported with their names', () => {
  rejects(() => compileModules([{ file: 'a.rego', source: 'package a\np if { x > 1 }' }]), 'rego_unsafe_var_error', 'var x is unsafe');
  rejects(() => compileModules([{ file: 'a.rego', source: 'package a\np contains y if { x := 1 }' }]), 'rego_unsafe_var_error', 'var y is unsafe');
});

test('undefined functions are type errors', () => {
  rejects(() => compileModules([{ file: 'a.rego', source: 'package a\np := no_such_fn(1)' }]), 'rego_type_error', 'undefined function no_such_fn');
});
