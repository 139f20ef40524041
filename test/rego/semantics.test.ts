// Evaluation semantics of the engine, one small policy per behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileModules, fromJSON, toJSON, RegoError, type EvalOptions } from '../../src/rego';

function run(source: string, path: string, opts: EvalOptions = {}, regoVersion: 0 | 1 = 1): unknown {
  const v = compileModules([{ file: 'p.rego', source, regoVersion }]).evaluate(path, opts);
  return v === undefined ? undefined : toJSON(v);
}

function fails(source: string, path: string, code: string, message: string, opts: EvalOptions = {}) {
  assert.throws(
    () => run(source, path, opts),
    (e: unknown) => e instanceof RegoError && e.code === code && e.message.includes(message),
  );
}

const cases: { name: string; source: string; path: string; input?: unknown; data?: unknown; want: unknown; v0?: boolean }[] = [
  { name: 'complete rule undefined when body fails', source: 'package t\np if 1 > 2', path: 't/p', want: undefined },
  { name: 'default applies when no body succeeds', source: 'package t\ndefault p := 7\np := 1 if input.x', path: 't/p', want: 7 },
  { name: 'partial set collects every solution', source: 'package t\np contains x if some x in [3, 1, 3]', path: 't/p', want: [1, 3] },
  { name: 'partial object', source: 'package t\np[k] := v if some k, v in {"a": 1, "b": 2}', path: 't/p', want: { a: 1, b: 2 } },
  { name: 'v0 partial set', source: 'package t\np[x] { x := input.xs[_] }', path: 't/p', input: { xs: ['b', 'a'] }, want: ['a', 'b'], v0: true },
  { name: 'ref head with variables builds nested objects', source: 'package t\nusers[u].roles contains r if { some u, rs in input; some r in rs }', path: 't/users', input: { ann: ['x', 'y'] }, want: { ann: { roles: ['x', 'y'] } } },
  { name: 'else chain picks the first defined branch', source: 'package t\nlevel := "high" if input.n > 10\nelse := "mid" if input.n > 5\nelse := "low"', path: 't/level', input: { n: 7 }, want: 'mid' },
  { name: 'functions with several definitions', source: 'package t\nsign(x) := -1 if x < 0\nsign(x) := 1 if x > 0\nsign(0) := 0\nr := [sign(-5), sign(0), sign(9)]', path: 't/r', want: [-1, 0, 1] },
  { name: 'negation', source: 'package t\np if not input.admin', path: 't/p', input: {}, want: true },
  { name: 'every', source: 'package t\nall_pos if every x in input.xs { x > 0 }', path: 't/all_pos', input: { xs: [1, 2] }, want: true },
  { name: 'every fails on one element', source: 'package t\nall_pos if every x in input.xs { x > 0 }', path: 't/all_pos', input: { xs: [1, -2] }, want: undefined },
  { name: 'comprehensions', source: 'package t\na := [x * 2 | some x in [1, 2]]\ns := {x | some x in [1, 1, 2]}\no := {k: count(k) | some k in ["ab", "c"]}\nr := [a, s, o]', path: 't/r', want: [[2, 4], [1, 2], { ab: 2, c: 1 }] },
  { name: 'destructuring unification', source: 'package t\np := [a, b] if [a, {"k": b}] = [1, {"k": 2}]', path: 't/p', want: [1, 2] },
  { name: 'with replaces input and data', source: 'package t\nq := input.x + data.base.y\np := x if { x := q with input.x as 1 with data.base.y as 2 }', path: 't/p', input: { x: 100 }, data: { base: { y: 200 } }, want: 3 },
  { name: 'with replaces a function', source: 'package t\nf(x) := x + 1\nq := f(1)\np := x if { x := q with f as 10 }', path: 't/p', want: 10 },
  { name: 'base and virtual documents merge under data', source: 'package t\nv := 1', path: '', data: { other: { x: true } }, want: { other: { x: true }, t: { v: 1 } } },
  { name: 'big integers stay exact', source: 'package t\np := 9007199254740993 + 2', path: 't/p', want: 9007199254740995n },
  { name: 'decimal arithmetic', source: 'package t\np := [0.1 + 0.2, 0.3 - 0.1, 0.1 * 0.2, 1.1 * 1.1, 3.3 / 1.1, 1 / 3, 7 / 2]', path: 't/p', want: [0.3, 0.2, 0.02, 1.21, 3, 0.3333333333333333, 3.5] },
  { name: 'set operators', source: 'package t\np := [({1, 2} | {3}), {1, 2} & {2, 3}, {1, 2} - {1}]', path: 't/p', want: [[1, 2, 3], [2], [2]] },
  { name: 'membership', source: 'package t\np := [2 in [1, 2], "a" in {"b"}, ["k", 1] in [["k", 1]]]', path: 't/p', want: [true, false, true] },
  { name: 'some k, v in object', source: 'package t\np contains k if { some k, v in input; v == 1 }', path: 't/p', input: { a: 1, b: 2, c: 1 }, want: ['a', 'c'] },
  { name: 'imports and cross-package refs', source: 'package t\nimport data.lib.helpers as h\np := h.double(4)', path: 't/p', want: undefined },
];

for (const c of cases) {
  test(c.name, () => {
    const opts: EvalOptions = {};
    if (c.input !== undefined) opts.input = fromJSON(c.input);
    if (c.data !== undefined) opts.data = fromJSON(c.data);
    if (c.name.startsWith('imports')) {
      const p = compileModules([
        { file: 'lib.rego', source: 'package lib.helpers\ndouble(x) := x * 2' },
        { file: 'p.rego', source: c.source },
      ]);
      assert.equal(p.evaluate('t/p'), 8);
      return;
    }
    assert.deepEqual(run(c.source, c.path, opts, c.v0 ? 0 : 1), c.want);
  });
}

test('conflicting outputs of complete rules and functions are errors', () => {
  fails('package t\np := 1\np := 2', 't/p', 'eval_conflict_error', 'complete rules must not produce multiple outputs');
  fails('package t\nf(x) := 1\nf(x) := 2\np := f(0)', 't/p', 'eval_conflict_error', 'functions must not produce multiple outputs');
  fails('package t\np[k] := v if { some v in [1, 2]; k := "a" }', 't/p', 'eval_conflict_error', 'object keys must be unique');
});

test('built-in errors are undefined by default and fatal in strict mode', () => {
  assert.equal(run('package t\np := 1 / 0', 't/p'), undefined);
  fails('package t\np := 1 / 0', 't/p', 'eval_builtin_error', 'div: divide by zero', { strictBuiltinErrors: true });
  fails('package t\np := 1 + input.s', 't/p', 'eval_type_error', 'plus: operand 2 must be number but got string', { strictBuiltinErrors: true, input: fromJSON({ s: 'a' }) });
});

test('print receives formatted arguments, undefined ones marked', () => {
  const lines: string[] = [];
  run('package t\np if { print("x =", input.x, input.missing) }', 't/p', { input: fromJSON({ x: { a: [1] } }), print: (m) => lines.push(m) });
  assert.deepEqual(lines, ['x = {"a": [1]} <undefined>']);
});

test('opa.runtime sees only the environment the caller passes', () => {
  assert.deepEqual(run('package t\np := opa.runtime()', 't/p'), {});
  assert.deepEqual(run('package t\np := opa.runtime().env', 't/p', { env: { A: '1' } }), { A: '1' });
});

test('a policy is reusable across evaluations with different inputs', () => {
  const p = compileModules([{ file: 'p.rego', source: 'package t\nallow if input.user == "alice"\ncount_calls := count([1 | input.user])' }]);
  for (let i = 0; i < 50; i++) {
    const user = i % 2 === 0 ? 'alice' : 'bob';
    assert.equal(p.evaluate('t/allow', { input: fromJSON({ user }) }), user === 'alice' ? true : undefined);
  }
});

test('ad-hoc queries return one row per solution with the query variables', () => {
  const p = compileModules([{ file: 'p.rego', source: 'package t\nxs := [1, 2, 3]' }]);
  const rows = p.query('some i; x := data.t.xs[i]; x > 1');
  assert.deepEqual(rows.map((r) => toJSON(fromJSON({ i: r.i, x: r.x }))), [{ i: 1, x: 2 }, { i: 2, x: 3 }]);
  assert.deepEqual(p.query('data.t.xs[_] > 5'), []);
});

test('compile errors are collected and typed', () => {
  assert.throws(
    () => compileModules([{ file: 'a.rego', source: 'package t\np := count(1, 2, 3)' }]),
    (e: unknown) => e instanceof RegoError && e.code === 'rego_type_error' && e.message.includes('count: arity mismatch'),
  );
  assert.throws(
    () => compileModules([{ file: 'a.rego', source: 'package t\np if { x := 1; x := 2 }' }]),
    (e: unknown) => e instanceof RegoError && e.code === 'rego_compile_error' && e.message.includes('var x assigned above'),
  );
  assert.throws(
    () => compileModules([{ file: 'a.rego', source: 'package t\ndefault p := 1\ndefault p := 2' }]),
    (e: unknown) => e instanceof RegoError && e.message.includes('multiple default rules data.t.p found'),
  );
});

test('built-in calls with constant arguments of the wrong type fail to compile', () => {
  assert.throws(
    () => compileModules([{ file: 'a.rego', source: 'package t\np := count(1)' }]),
    (e: unknown) => e instanceof RegoError && e.code === 'rego_type_error' && e.message.includes('count: invalid argument(s)'),
  );
  // Unknown types (input) are checked at evaluation instead.
  assert.equal(compileModules([{ file: 'a.rego', source: 'package t\np := count(input)' }]).evaluate('t/p', { input: fromJSON([1, 2]) }), 2);
});

test('wildcards inside a negation iterate within it', () => {
  const src = 'package t\nno_root if not input.users[_] == "root"';
  assert.equal(run(src, 't/no_root', { input: fromJSON({ users: ['a', 'b'] }) }), true);
  assert.equal(run(src, 't/no_root', { input: fromJSON({ users: ['a', 'root'] }) }), undefined);
});

test('METADATA annotations are visible through rego.metadata.rule and chain', () => {
  const source = [
    '# METADATA',
    '# title: Pkg',
    'package t',
    '',
    '# METADATA',
    '# title: Allow',
    '# authors:',
    '# - Ann <ann@example.com>',
    '# related_resources:',
    '# - https://example.com/doc',
    'allow := rego.metadata.rule()',
    'chain := rego.metadata.chain()',
  ].join('\n');
  assert.deepEqual(run(source, 't/allow'), {
    authors: [{ email: 'ann@example.com', name: 'Ann' }],
    related_resources: [{ ref: 'https://example.com/doc' }],
    scope: 'rule',
    title: 'Allow',
  });
  assert.deepEqual(run(source, 't/chain'), [
    { path: ['data', 't', 'chain'] },
    { annotations: { scope: 'package', title: 'Pkg' }, path: ['data', 't'] },
  ]);
});

test('rule index selects rules by an input value and gives the same answers as a full scan', () => {
  const lines = ['package idx', 'default allow := false'];
  for (let i = 0; i < 40; i++) lines.push(`allow if {\n  input.path == "/p${i % 20}"\n  input.method == "${i < 20 ? 'GET' : 'POST'}"\n}`);
  lines.push('allow if input.admin'); // not indexable: always evaluated
  lines.push('routes contains r if { input.path == "/p1"; r := "one" }');
  for (let i = 0; i < 10; i++) lines.push(`routes contains r if { input.path == "/p${i}"; r := ${i} }`);
  const p = compileModules([{ file: 'idx.rego', source: lines.join('\n') }]);
  const allow = (input: unknown) => p.evaluate('idx/allow', { input: fromJSON(input) });
  assert.equal(allow({ path: '/p3', method: 'GET' }), true);
  assert.equal(allow({ path: '/p3', method: 'POST' }), true);
  assert.equal(allow({ path: '/p3', method: 'PUT' }), false);
  assert.equal(allow({ path: '/p99', method: 'GET' }), false);
  assert.equal(allow({ method: 'GET' }), false);
  assert.equal(allow({ path: '/nope', admin: true }), true);
  assert.deepEqual(toJSON(p.evaluate('idx/routes', { input: fromJSON({ path: '/p1' }) })!), [1, 'one']);
  assert.deepEqual(toJSON(p.evaluate('idx/routes', { input: fromJSON({ path: 5 }) })!), []);
});

test('deprecated built-ins are callable from Rego v0 only', () => {
  assert.deepEqual(run('package t\np := cast_array({1})', 't/p', {}, 0), [1]);
  assert.throws(
    () => run('package t\np := cast_array({1})', 't/p'),
    (e: unknown) => e instanceof RegoError && e.code === 'rego_type_error' && e.message.includes('undefined function cast_array'),
  );
});

test('rego.parse_module returns the module as JSON, and its parse errors as built-in errors', () => {
  const parsed = run('package t\np := rego.parse_module("x.rego", "package foo.bar\\nq := 1")', 't/p') as {
    package: { path: { type: string; value: string }[] };
    rules: { head: { name: string; assign: boolean; value: unknown } }[];
  };
  assert.deepEqual(parsed.package.path.map((t) => t.value), ['data', 'foo', 'bar']);
  assert.equal(parsed.rules[0].head.name, 'q');
  assert.deepEqual(parsed.rules[0].head.value, { type: 'number', value: 1 });
  fails('package t\np := rego.parse_module("x.rego", "package foo.")', 't/p', 'eval_builtin_error', 'rego_parse_error', { strictBuiltinErrors: true });
});
