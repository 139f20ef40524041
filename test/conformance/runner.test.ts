// The conformance runner's comparison rules, on small cases written here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { runCase, runFiles, collectFiles } from '../../src/cli/conformance';

const mod = (body: string) => [`package t\n${body}`];

test('result rows compare as an unordered set, sets as sorted arrays', () => {
  const c = { note: 'rows', query: 'x := data.t.xs[_]', modules: mod('xs := [2, 1]'), want_result: [{ x: 1 }, { x: 2 }] };
  assert.equal(runCase(c, 'f.yaml', 1).status, 'passed');
  const s = { note: 'set', query: 'data.t.s = x', modules: mod('s := {3, 1}'), want_result: [{ x: [1, 3] }] };
  assert.equal(runCase(s, 'f.yaml', 1).status, 'passed');
  const wrong = { ...c, want_result: [{ x: 1 }] };
  const r = runCase(wrong, 'f.yaml', 1);
  assert.equal(r.status, 'failed');
  assert.match(r.reason!, /want \[\{"x":1\}\], got/);
});

test('sort_bindings sorts array values before comparing', () => {
  const c = { note: 'sorted', query: 'x := data.t.a', modules: mod('a := [3, 1, 2]'), want_result: [{ x: [1, 2, 3] }] };
  assert.equal(runCase(c, 'f.yaml', 1).status, 'failed');
  assert.equal(runCase({ ...c, sort_bindings: true }, 'f.yaml', 1).status, 'passed');
});

test('errors match by code and by message substring, including the file:row prefix', () => {
  const c = {
    note: 'err',
    query: 'data.t.p = x',
    modules: mod('p := 1 / 0'),
    strict_error: true,
    want_error_code: 'eval_builtin_error',
    want_error: 'test-0.rego:2: eval_builtin_error: div: divide by zero',
  };
  assert.equal(runCase(c, 'f.yaml', 1).status, 'passed');
  assert.equal(runCase({ ...c, want_error_code: 'eval_type_error' }, 'f.yaml', 1).status, 'failed');
  assert.equal(runCase({ ...c, strict_error: false }, 'f.yaml', 1).status, 'failed');
});

test('want_defined, input_term and v0 modules', () => {
  assert.equal(runCase({ note: 'd', query: 'data.t.p', modules: mod('p if input.a == 1'), input_term: '{"a": 1}', want_defined: true }, 'f.yaml', 1).status, 'passed');
  assert.equal(runCase({ note: 'v0', query: 'data.t.p = x', modules: ['package t\np[x] { x := 1 }'], want_result: [{ x: [1] }] }, 'v0/f.yaml', 0).status, 'passed');
});

test('unknown functions are reported as such', () => {
  const r = runCase({ note: 'u', query: 'x := no_such_builtin(1)', want_result: [] }, 'f.yaml', 1);
  assert.equal(r.status, 'failed');
  assert.match(r.reason!, /undefined function no_such_builtin/);
});

test('files and folders: v0/ selects v0 syntax, --json prints one report object', () => {
  const dir = mkdtempSync(join(tmpdir(), 'conf-'));
  mkdirSync(join(dir, 'v0'));
  writeFileSync(
    join(dir, 'v0', 'a.yaml'),
    'cases:\n  - note: a/one\n    query: data.t.p = x\n    modules:\n      - |\n        package t\n        p[x] { x := 1 }\n    want_result:\n      - x: [1]\n  - note: a/two\n    query: data.t.q = x\n    want_result:\n      - x: 1\n',
  );
  const report = runFiles(collectFiles([dir]), dir);
  assert.deepEqual(report.cases.map((c) => [c.note, c.status]), [['a/one', 'passed'], ['a/two', 'failed']]);
  const out = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'src', 'cli', 'conformance.ts'), '--json', dir], { encoding: 'utf8' });
  const json = JSON.parse(out.stdout.trim().split('\n').pop()!);
  assert.equal(json.total, 2);
  assert.equal(json.passed, 1);
  assert.equal(json.failed, 1);
  assert.deepEqual(Object.keys(json.cases[0]).sort(), ['file', 'note', 'reason', 'status']);
});
