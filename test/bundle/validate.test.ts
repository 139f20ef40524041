import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBundleFiles, validateBundle, type BundleFile, type Problem } from '../../src/bundle';
import { file } from './helpers';

function validate(files: BundleFile[], otherActiveRoots: { name: string; roots: string[] }[] = [], name?: string): Problem[] {
  const problems: Problem[] = [];
  const bundle = parseBundleFiles(files, problems);
  assert.deepEqual(problems, [], 'the files themselves are well-formed');
  return validateBundle(bundle, { otherActiveRoots, name });
}

const messages = (problems: Problem[]) => problems.map((p) => p.message);

test('a well-formed bundle with passing tests has no problems', () => {
  const problems = validate([
    file('.manifest', '{"roots": ["main"]}'),
    file('main/policy.rego', 'package main\n\ndeny contains "privileged" if input.privileged\n'),
    file('main/policy_test.rego', 'package main\n\ntest_denied if "privileged" in deny with input as {"privileged": true}\n\ntest_allowed if count(deny) == 0 with input as {}\n'),
    file('main/data.json', '{"limits": {"cpu": 2}}'),
  ]);
  assert.deepEqual(problems, []);
});

test('overlapping roots inside one manifest, with OPA\'s message', () => {
  const problems = validate([file('.manifest', '{"roots": ["a", "a/b", "c", "/c/"]}')]);
  assert.deepEqual(messages(problems), ["manifest has overlapped roots: 'a' and 'a/b'", "manifest has overlapped roots: 'c' and 'c'"]);
  assert.ok(problems.every((p) => p.file === '.manifest'));
});

test('modules and data outside the roots are each reported', () => {
  const problems = validate([
    file('.manifest', '{"roots": ["a/b", "c"]}'),
    file('a/b/ok.rego', 'package a.b.ok\n'),
    file('x.rego', 'package x\n'),
    file('weird.rego', 'package a["b-c"]\n'),
    file('a/b/data.json', '{"fine": true}'),
    file('a/data.json', '{"other": 1}'),
    file('d/data.json', '{"x": 1}'),
    file('data.json', '{"c": {"in": 1}, "z": 2}'),
  ]);
  assert.deepEqual(messages(problems).sort(), [
    "manifest roots [a/b c] do not permit 'package a[\"b-c\"]' in module '/weird.rego'",
    "manifest roots [a/b c] do not permit 'package x' in module '/x.rego'",
    "manifest roots [a/b c] do not permit data at path '/a/other' (hint: check bundle directory structure)",
    "manifest roots [a/b c] do not permit data at path '/d' (hint: check bundle directory structure)",
    "manifest roots [a/b c] do not permit data at path '/z' (hint: check bundle directory structure)",
  ]);
  const fileOf = (text: string) => problems.find((p) => p.message.includes(text))?.file;
  assert.equal(fileOf("'package x'"), 'x.rego');
  assert.equal(fileOf("'/a/other'"), 'a/data.json');
  assert.equal(fileOf("'/d'"), 'd/data.json');
  assert.equal(fileOf("'/z'"), 'data.json');
});

test('roots overlapping another active bundle name it; the same bundle\'s previous version does not count', () => {
  const files = [file('.manifest', '{"roots": ["kubernetes/admission"]}')];
  const others = [
    { name: 'k8s-all', roots: ['kubernetes'] },
    { name: 'argocd', roots: ['argocd'] },
    { name: 'everything', roots: [''] },
    { name: 'admission', roots: ['kubernetes/admission/extra'] },
  ];
  assert.deepEqual(messages(validate(files, others)), ['detected overlapping roots in bundle manifest with: [admission everything k8s-all]']);
  assert.deepEqual(validate(files, [{ name: 'admission', roots: ['kubernetes/admission'] }], 'admission'), []);
  assert.deepEqual(validate(files, [{ name: 'argocd', roots: ['argocd'] }]), []);
});

test('wasm entries: entrypoint inside the roots, used once, module file present', () => {
  const problems = validate([
    file('.manifest', JSON.stringify({
      roots: ['authz'],
      wasm: [
        { entrypoint: 'authz/allow', module: '/policy.wasm' },
        { entrypoint: 'authz/allow', module: '/policy.wasm' },
        { entrypoint: 'other/allow', module: '/missing/policy.wasm' },
      ],
    })),
    { path: 'policy.wasm', content: Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]) },
  ]);
  assert.deepEqual(messages(problems), [
    "entrypoint 'authz/allow' cannot be used by more than one wasm module",
    "manifest roots [authz] do not permit 'other/allow' entrypoint for wasm module '/missing/policy.wasm'",
    "manifest references wasm module '/missing/policy.wasm' but the module file does not exist",
  ]);
});

test('parse and compile errors carry the module path, row and column and OPA\'s code', () => {
  const problems = validate([
    file('good.rego', 'package good\n\nallow := true\n'),
    file('bad/syntax.rego', 'package bad\n\nallow if {\n  input.x ==\n}\n'),
  ]);
  assert.ok(problems.length >= 1);
  const p = problems[0];
  assert.equal(p.file, 'bad/syntax.rego');
  assert.equal(p.code, 'rego_parse_error');
  assert.equal(typeof p.row, 'number');
  assert.ok(p.row! >= 4);

  const unsafe = validate([file('u.rego', 'package u\n\nallow if {\n  x == 1\n}\n')]);
  assert.equal(unsafe.length, 1);
  assert.deepEqual({ file: unsafe[0].file, row: unsafe[0].row, code: unsafe[0].code }, { file: 'u.rego', row: 4, code: 'rego_unsafe_var_error' });
});

test('failing and erroring tests of the bundle are listed with the file that defines them; todo tests are not', () => {
  const problems = validate([
    file('p/policy.rego', 'package p\n\nlimit := data.p.max\n\nconflict := 1 if true\nconflict := 2 if true\n'),
    file('p/data.json', '{"max": 3}'),
    file('p/policy_test.rego', [
      'package p',
      'test_limit_from_data if limit == 3',
      'test_wrong if limit == 4',
      'test_undefined if input.nothing',
      'test_conflict if conflict == 1',
      'todo_test_later if false',
      '',
    ].join('\n')),
    file('q/other_test.rego', 'package q\n\ntest_q_fails := false\n'),
  ]);
  const failures = problems.map((p) => [p.code, p.file, p.message.split('\n')[0]]);
  assert.deepEqual(failures.filter((f) => !String(f[2]).includes('errored')), [
    ['rego_test_failure', 'p/policy_test.rego', 'test data.p.test_undefined failed'],
    ['rego_test_failure', 'p/policy_test.rego', 'test data.p.test_wrong failed'],
    ['rego_test_failure', 'q/other_test.rego', 'test data.q.test_q_fails failed'],
  ]);
  const errored = problems.find((p) => p.message.startsWith('test data.p.test_conflict errored'));
  assert.ok(errored, 'the conflict is reported as an error');
  assert.match(errored!.message, /eval_conflict_error/);
  assert.equal(problems.length, 4);
});

test('roots, compile and test problems are reported together in one pass', () => {
  const problems = validate(
    [file('.manifest', '{"roots": ["a", "a/b"]}'), file('x.rego', 'package x\n\ntest_x := false\n')],
    [{ name: 'other', roots: ['a'] }],
  );
  assert.deepEqual(messages(problems), [
    "manifest has overlapped roots: 'a' and 'a/b'",
    "manifest roots [a a/b] do not permit 'package x' in module '/x.rego'",
    'detected overlapping roots in bundle manifest with: [other]',
    'test data.x.test_x failed',
  ]);
});

test('Rego v0 modules compile when the manifest says rego_version 0', () => {
  const files = [file('.manifest', '{"rego_version": 0}'), file('old.rego', 'package old\n\ndeny[msg] { input.bad; msg := "bad" }\n\ntest_deny { deny["bad"] with input as {"bad": true} }\n')];
  assert.deepEqual(validate(files), []);
  const asV1 = validate([file('old.rego', files[1].content.toString())]);
  assert.ok(asV1.length > 0 && asV1[0].code === 'rego_parse_error');
});

test('compile: false checks roots and packages only', () => {
  const files = [file('.manifest', '{"roots": ["a"]}'), file('a/x.rego', 'package a\n\nallow if {\n  y == 1\n}\n'), file('b.rego', 'package b\n')];
  const problems: Problem[] = [];
  const bundle = parseBundleFiles(files, problems);
  assert.deepEqual(messages(validateBundle(bundle, { otherActiveRoots: [], compile: false })), ["manifest roots [a] do not permit 'package b' in module '/b.rego'"]);
  assert.equal(validateBundle(bundle, { otherActiveRoots: [] }).length, 2);
});
