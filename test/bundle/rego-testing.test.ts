import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileModules } from '../../src/rego';
import { refSegments, runRegoTests } from '../../src/rego/testing';

const policy = compileModules([
  {
    file: 'authz.rego',
    source: 'package authz\n\ndefault allow := false\n\nallow if input.user in data.admins\n\nhelper := 1\n',
  },
  {
    file: 'authz_test.rego',
    source: [
      'package authz',
      'test_admin_allowed if allow with input as {"user": "alice"}',
      'test_other_denied if not allow with input as {"user": "bob"}',
      'test_wrongly_expects_bob if allow with input as {"user": "bob"}',
      'test_not_boolean := 7',
      'test_error if 1 / 0 == 1',
      'todo_test_someday if false',
      '',
    ].join('\n'),
  },
  { file: 'nested.rego', source: 'package a.b_c\n\ntest_nested if true\n' },
]);

test('every test_* rule runs; true passes, false/undefined/non-true fail, todo_test_ is skipped', () => {
  const results = runRegoTests(policy, { admins: ['alice'] });
  const summary = results.map((r) => [r.name, r.package, r.passed, r.skipped === true, r.error !== undefined]);
  assert.deepEqual(summary, [
    ['data.a.b_c.test_nested', 'data.a.b_c', true, false, false],
    ['data.authz.test_admin_allowed', 'data.authz', true, false, false],
    ['data.authz.test_error', 'data.authz', false, false, false],
    ['data.authz.test_not_boolean', 'data.authz', false, false, false],
    ['data.authz.test_other_denied', 'data.authz', true, false, false],
    ['data.authz.test_wrongly_expects_bob', 'data.authz', false, false, false],
    ['data.authz.todo_test_someday', 'data.authz', false, true, false],
  ]);
  assert.ok(results.every((r) => r.skipped || r.duration_ns > 0));
});

test('the data given to the runner is the data the tests see', () => {
  const byName = (data: unknown) => Object.fromEntries(runRegoTests(policy, data).map((r) => [r.name, r.passed]));
  assert.equal(byName({ admins: ['alice'] })['data.authz.test_admin_allowed'], true);
  assert.equal(byName({ admins: [] })['data.authz.test_admin_allowed'], false);
  assert.equal(byName({ admins: ['alice', 'bob'] })['data.authz.test_wrongly_expects_bob'], true);
});

test('with strict built-in errors a failing built-in is an error, as opa test reports it', () => {
  const [r] = runRegoTests(policy, { admins: [] }, { strictBuiltinErrors: true, filter: /test_error$/ });
  assert.equal(r.name, 'data.authz.test_error');
  assert.equal(r.passed, false);
  assert.match(r.error ?? '', /eval_builtin_error/);
});

test('an evaluation error (conflicting values) is an error, not a plain failure', () => {
  const p = compileModules([{ file: 'c.rego', source: 'package c\n\nx := 1 if true\nx := 2 if true\n\ntest_conflict if x == 1\n' }]);
  const [r] = runRegoTests(p);
  assert.equal(r.passed, false);
  assert.match(r.error ?? '', /^c\.rego:\d+: eval_conflict_error: /);
});

test('--run style filters select tests by full name', () => {
  const names = runRegoTests(policy, { admins: [] }, { filter: /authz\.test_(admin|other)/ }).map((r) => r.name);
  assert.deepEqual(names, ['data.authz.test_admin_allowed', 'data.authz.test_other_denied']);
});

test('rule names with quoted segments map to evaluation paths', () => {
  assert.deepEqual(refSegments('data.a.b.test_x'), ['a', 'b', 'test_x']);
  assert.deepEqual(refSegments('data.a["b-c"].test_x'), ['a', 'b-c', 'test_x']);
  assert.deepEqual(refSegments('data["x.y"]["test_z"]'), ['x.y', 'test_z']);
  assert.equal(refSegments('input.x'), undefined);
  assert.equal(refSegments('data.a[1]'), undefined);
});

test('onResult reports each test as it finishes, with the count done and the total', () => {
  const seen: string[] = [];
  const results = runRegoTests(policy, { admins: [] }, { onResult: (r, done, total) => seen.push(`${done}/${total} ${r.name}`) });
  assert.equal(seen.length, results.length);
  assert.deepEqual(seen, results.map((r, i) => `${i + 1}/${results.length} ${r.name}`));
});

test('a time budget for all tests: what cannot run in it is an error, and slow tests are cut short', () => {
  const slow = compileModules([
    {
      file: 'slow.rego',
      source: 'package slow\n\ntest_a_slow if count([x | some x in data.big; x >= 0]) == count(data.big)\n\ntest_b_slow if count([x | some x in data.big; x >= 0]) == count(data.big)\n\ntest_c_fast if true\n',
    },
  ]);
  const big = Array.from({ length: 300_000 }, (_, i) => i);
  const started = performance.now();
  const results = runRegoTests(slow, { big }, { budgetMs: 20 });
  assert.ok(performance.now() - started < 4000, 'the budget bounds the run');
  assert.equal(results.length, 3);
  const last = results[results.length - 1];
  assert.equal(last.name, 'data.slow.test_c_fast');
  assert.equal(last.passed, false);
  assert.match(last.error ?? '', /not run: the tests' time budget of 20 ms was spent/);
});
