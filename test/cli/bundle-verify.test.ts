// `arbiter verify <dir>` run as a user runs it in CI: the real bin/arbiter.js in a child process.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve(__dirname, '../../bin/arbiter.js');
let work: string;

function arbiter(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: work, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function dir(name: string, files: Record<string, string>): string {
  const root = join(work, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const POLICY = 'package kubernetes\n\ndeny contains msg if {\n  some c in input.containers\n  not startswith(c.image, data.kubernetes.registry)\n  msg := sprintf("image %s is not from %s", [c.image, data.kubernetes.registry])\n}\n';

before(() => {
  work = mkdtempSync(join(tmpdir(), 'arbiter-verify-cli-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('verify prints one PASS line per test, grouped by file, and a summary; exit 0', async () => {
  const d = dir('passing', {
    'kubernetes/images.rego': POLICY,
    'kubernetes/data.json': '{"registry": "ghcr.io/acme/"}',
    'kubernetes/images_test.rego':
      'package kubernetes\n\ntest_foreign_image_denied if count(deny) == 1 with input as {"containers": [{"image": "docker.io/x"}]}\n\ntest_own_image_allowed if count(deny) == 0 with input as {"containers": [{"image": "ghcr.io/acme/app"}]}\n',
    'other/other_test.rego': 'package other\n\ntest_math if 1 + 1 == 2\n\ntodo_test_later if false\n',
  });
  const r = await arbiter(['verify', d]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const lines = r.stdout.split('\n').map((l) => l.replace(/\((\d+(\.\d+)?)(ns|µs|ms|s)\)/, '(T)'));
  assert.deepEqual(lines, [
    'kubernetes/images_test.rego:',
    'data.kubernetes.test_foreign_image_denied: PASS (T)',
    'data.kubernetes.test_own_image_allowed: PASS (T)',
    '',
    'other/other_test.rego:',
    'data.other.test_math: PASS (T)',
    'data.other.todo_test_later: SKIPPED',
    '',
    '-'.repeat(80),
    'PASS: 3/4',
    'SKIPPED: 1/4',
    '',
  ]);
  assert.match(r.stderr, /compiling 3 modules/);
});

test('a failing test and an erroring test make verify exit 1 with FAIL and ERROR lines', async () => {
  const d = dir('failing', {
    'kubernetes/images.rego': POLICY,
    'kubernetes/data.json': '{"registry": "ghcr.io/acme/"}',
    'kubernetes/images_test.rego': [
      'package kubernetes',
      'test_expects_no_denial if count(deny) == 0 with input as {"containers": [{"image": "docker.io/x"}]}',
      'test_ok if count(deny) == 0 with input as {"containers": []}',
      'conflict := 1 if true',
      'conflict := 2 if true',
      'test_conflict if conflict == 1',
      '',
    ].join('\n'),
  });
  const r = await arbiter(['verify', d, '-q']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^data\.kubernetes\.test_expects_no_denial: FAIL \(/m);
  assert.match(r.stdout, /^data\.kubernetes\.test_ok: PASS \(/m);
  assert.match(r.stdout, /^data\.kubernetes\.test_conflict: ERROR \(.*\)\n {2}kubernetes\/images_test\.rego:\d+: eval_conflict_error: /m);
  assert.match(r.stdout, /\nPASS: 1\/3\nFAIL: 1\/3\nERROR: 1\/3\n$/);

  const filtered = await arbiter(['verify', d, '-q', '--run', 'test_ok$']);
  assert.equal(filtered.code, 0);
  assert.match(filtered.stdout, /\nPASS: 1\/1\n$/);
});

test('a module that does not compile is reported with file and row; exit 1', async () => {
  const d = dir('broken', { 'p/p.rego': 'package p\n\nallow if {\n  x == 1\n}\n' });
  const r = await arbiter(['verify', d]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /p\/p\.rego:4(:\d+)?: rego_unsafe_var_error: /);
});

test('verify also takes a bundle .tar.gz, and reports a broken archive with its problems', async () => {
  const { writeBundle } = await import('../../src/bundle');
  writeFileSync(
    join(work, 'b.tar.gz'),
    await writeBundle([
      { path: 'p/p.rego', content: Buffer.from('package p\n\nx := data.p.v\n') },
      { path: 'p/data.json', content: Buffer.from('{"v": 2}') },
      { path: 'p/p_test.rego', content: Buffer.from('package p\n\ntest_x if x == 2\n') },
    ]),
  );
  const r = await arbiter(['verify', 'b.tar.gz', '-q']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^p\/p_test\.rego:\ndata\.p\.test_x: PASS \(/);

  writeFileSync(join(work, 'broken.tar.gz'), await writeBundle([{ path: 'data.json', content: Buffer.from('{"v": [1,\n2,,]}') }]));
  const broken = await arbiter(['verify', 'broken.tar.gz', '-q']);
  assert.equal(broken.code, 1);
  assert.match(broken.stderr, /^1 error occurred:\ndata\.json:2:3: invalid JSON: /);
});
