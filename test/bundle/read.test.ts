import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { BundleError, type Problem } from '../../src/bundle/errors';
import { readBundle } from '../../src/bundle/read';
import { writeBundle } from '../../src/bundle/write';
import { file, rawTarGz } from './helpers';

async function problemsOf(archive: Buffer, limits = {}): Promise<Problem[]> {
  try {
    await readBundle(archive, limits);
  } catch (e) {
    assert.ok(e instanceof BundleError, `expected BundleError, got ${e}`);
    return e.problems;
  }
  assert.fail('the bundle was accepted');
}

test('a bundle as opa build writes it (leading "/" entries) is read with its manifest, modules and data', async () => {
  const archive = await rawTarGz([
    { name: '/data.json', content: '{"global": {"max": 3}}' },
    { name: '/kubernetes/main.rego', content: 'package main\ndeny contains "x" if false\n' },
    { name: '/kubernetes/lib/data.json', content: '{"allowed": ["a", "b"]}' },
    { name: '/.manifest', content: '{"revision": "abc123", "roots": ["/main/", "kubernetes", "global"], "metadata": {"team": "platform"}}' },
    { name: '/README.md', content: 'ignored' },
  ]);
  const b = await readBundle(archive);
  assert.deepEqual(b.manifest, { revision: 'abc123', roots: ['main', 'kubernetes', 'global'], metadata: { team: 'platform' } });
  assert.deepEqual(b.modules, [{ path: 'kubernetes/main.rego', source: 'package main\ndeny contains "x" if false\n', regoVersion: 1 }]);
  assert.deepEqual(b.data, { global: { max: 3 }, kubernetes: { lib: { allowed: ['a', 'b'] } } });
  assert.deepEqual(
    b.files.map((f) => f.path),
    ['data.json', 'kubernetes/main.rego', 'kubernetes/lib/data.json', '.manifest', 'README.md'],
  );
});

test('entries written by `tar czf b.tgz -C dir .` ("./" prefix, directory entries) are read the same way', async () => {
  const archive = await rawTarGz([
    { name: './', type: 'directory' },
    { name: './a/', type: 'directory' },
    { name: './a/data.yaml', content: 'limits:\n  cpu: 2\n  big: 123456789012345678901\n' },
    { name: './a/p.rego', content: 'package a\nx := 1\n' },
  ]);
  const b = await readBundle(archive);
  assert.deepEqual(b.data, { a: { limits: { cpu: 2, big: 123456789012345678901n } } });
  assert.deepEqual(b.modules.map((m) => m.path), ['a/p.rego']);
  assert.deepEqual(b.manifest, { revision: '', roots: [''] });
});

test('integers beyond 2^53 in data.json stay exact', async () => {
  const b = await readBundle(await writeBundle([file('data.json', '{"n": 12345678901234567891, "f": 1.5}')]));
  assert.equal(b.data.n, 12345678901234567891n);
  assert.equal(b.data.f, 1.5);
});

test('rego_version and file_rego_versions of the manifest set each module\'s Rego version', async () => {
  const archive = await writeBundle([
    file('.manifest', '{"rego_version": 0, "file_rego_versions": {"/v1/*.rego": 1, "legacy/**/deep.rego": 0}}'),
    file('old.rego', 'package old\np[x] { x := 1 }\n'),
    file('v1/new.rego', 'package v1\np contains 1\n'),
    file('legacy/a/b/deep.rego', 'package legacy\n'),
  ]);
  const b = await readBundle(archive);
  const versions = Object.fromEntries(b.modules.map((m) => [m.path, m.regoVersion]));
  assert.deepEqual(versions, { 'old.rego': 0, 'v1/new.rego': 1, 'legacy/a/b/deep.rego': 0 });
});

test('every problem of a broken bundle is listed with file, row and column', async () => {
  const archive = await writeBundle([
    file('.manifest', '{"roots": "main"}'),
    file('data.json', '{"a": 1,\n  "b": [1, 2,]\n}'),
    file('x/data.yaml', 'a: [1\n'),
    file('y/data.json', '[1, 2]'),
    file('y/data.yaml', '{"z": 1}'),
    file('patch.json', '{"data": []}'),
  ]);
  const problems = await problemsOf(archive);
  const byFile = new Map(problems.map((p) => [p.file, p]));
  assert.match(byFile.get('.manifest')!.message, /"roots" must be an array of strings/);
  assert.deepEqual({ row: byFile.get('data.json')!.row, col: byFile.get('data.json')!.col }, { row: 2, col: 14 });
  assert.equal(byFile.get('x/data.yaml')!.row, 2);
  assert.match(byFile.get('x/data.yaml')!.message, /^invalid YAML/);
  assert.match(byFile.get('patch.json')!.message, /delta bundles/);
  // y/data.json holds an array at y, y/data.yaml an object at y: they cannot both be data.y.
  assert.ok(problems.some((p) => p.file?.startsWith('y/') && p.message === 'failed to insert data file from path y'));
  assert.equal(problems.length, 5);
  assert.ok(problems.every((p) => p.code === 'bundle_error'));
});

test('a root data.json that is not an object is rejected as OPA does', async () => {
  const problems = await problemsOf(await writeBundle([file('data.json', '[1]')]));
  assert.deepEqual(problems.map((p) => [p.file, p.message]), [['data.json', 'root value must be object']]);
});

test('links, device files, ".." paths and duplicate paths are all rejected, each named', async () => {
  const archive = await rawTarGz([
    { name: 'ok.rego', content: 'package ok\n' },
    { name: 'evil', type: 'symlink', linkname: '/etc/passwd' },
    { name: 'hard', type: 'link', linkname: 'ok.rego' },
    { name: 'dev', type: 'character-device' },
    { name: 'pipe', type: 'fifo' },
    { name: '../escape.rego', content: 'package x\n' },
    { name: 'a/../../b.rego', content: 'package x\n' },
    { name: 'ok.rego', content: 'package again\n' },
  ]);
  const problems = await problemsOf(archive);
  const messages = problems.map((p) => `${p.file}: ${p.message}`);
  assert.deepEqual(messages, [
    "evil: symbolic link to '/etc/passwd' is not allowed in a bundle",
    "hard: hard link to 'ok.rego' is not allowed in a bundle",
    'dev: character-device entries are not allowed in a bundle',
    'pipe: fifo entries are not allowed in a bundle',
    "../escape.rego: path leaves the bundle root ('..' segment)",
    "a/../../b.rego: path leaves the bundle root ('..' segment)",
    'ok.rego: the archive contains this path more than once',
  ]);
});

test('the compressed size limit is checked before anything is decompressed', async () => {
  const archive = await writeBundle([file('data.json', JSON.stringify({ pad: 'x'.repeat(5000) + Math.random() }))]);
  const problems = await problemsOf(archive, { maxCompressedBytes: 100 });
  assert.equal(problems.length, 1);
  assert.equal(problems[0].message, `bundle size ${archive.length} bytes exceeds the limit of 100 bytes`);
});

test('a gzip bomb stops being inflated at the uncompressed limit', async () => {
  // 64 MiB of zeros compress to about 64 KiB.
  const bomb = await rawTarGz([{ name: 'data.json', content: Buffer.alloc(64 * 1024 * 1024) }]);
  assert.ok(bomb.length < 1024 * 1024);
  const before = process.memoryUsage().arrayBuffers;
  const problems = await problemsOf(bomb, { maxUncompressedBytes: 1024 * 1024 });
  assert.deepEqual(problems.map((p) => p.message), ['bundle uncompressed size exceeds the limit of 1048576 bytes']);
  assert.ok(process.memoryUsage().arrayBuffers - before < 32 * 1024 * 1024, 'the whole bomb was inflated');
});

test('the file count limit applies', async () => {
  const entries = Array.from({ length: 12 }, (_, i) => ({ name: `p${i}.rego`, content: `package p${i}\n` }));
  const problems = await problemsOf(await rawTarGz(entries), { maxFiles: 10 });
  assert.deepEqual(problems.map((p) => p.message), ['bundle contains more than 10 files']);
  const ok = await readBundle(await rawTarGz(entries.slice(0, 10)), { maxFiles: 10 });
  assert.equal(ok.modules.length, 10);
});

test('input that is not a gzip tarball is a typed error, not a crash', async () => {
  for (const input of [Buffer.from('not gzip at all'), gzipSync(Buffer.from('gzip but not tar '.repeat(64))), Buffer.alloc(0)]) {
    const problems = await problemsOf(input);
    assert.equal(problems.length, 1);
    assert.match(problems[0].message, /^bundle is not a (gzip-compressed|valid tar)/);
  }
});

test('a manifest with wrongly typed fields reports each field', async () => {
  const problems = await problemsOf(
    await writeBundle([file('.manifest', '{"revision": 7, "rego_version": 2, "wasm": [{"entrypoint": 1}], "metadata": []}')]),
  );
  assert.deepEqual(
    problems.map((p) => p.message.replace('bundle load failed on manifest decode: ', '')),
    [
      '"revision" must be a string',
      '"rego_version" must be 0 or 1, got 2',
      '"wasm" must be an array of {"entrypoint": string, "module": string}',
      '"metadata" must be an object',
    ],
  );
});

test('"__proto__" keys in data are plain members, not prototypes', async () => {
  const b = await readBundle(await writeBundle([file('data.json', '{"__proto__": {"polluted": true}, "a": 1}')]));
  assert.equal(Object.getPrototypeOf(b.data), Object.prototype);
  assert.deepEqual(Object.keys(b.data).sort(), ['__proto__', 'a']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('manifest metadata is plain JSON (numbers, never bigint), so it can be stored as JSON', async () => {
  const b = await readBundle(await writeBundle([file('.manifest', '{"metadata": {"build": 12345678901234567890, "ok": true}}')]));
  assert.equal(typeof b.manifest.metadata?.build, 'number');
  assert.doesNotThrow(() => JSON.stringify(b.manifest));
  const problems = await problemsOf(await writeBundle([file('.manifest', '{"roots": [\n  "a",\n]}')]));
  assert.deepEqual(problems.map((p) => [p.file, p.row, p.col]), [['.manifest', 3, 1]]);
});

test('data nested deeper than 1000 levels is a problem with its location, not a stack overflow', async () => {
  const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
  const yamlDeep = '['.repeat(3000) + ']'.repeat(3000);
  const problems = await problemsOf(await writeBundle([file('data.json', deep), file('y/data.yaml', yamlDeep)]));
  assert.deepEqual(problems.map((p) => [p.file, p.row, p.col, p.message]), [
    ['data.json', 1, 5006, 'invalid JSON: nesting deeper than 1000 levels'],
    ['y/data.yaml', problems[1].row, problems[1].col, 'invalid YAML data: nested too deeply'],
  ]);
  const ok = await readBundle(await writeBundle([file('data.json', '{"a":'.repeat(900) + '1' + '}'.repeat(900))]));
  assert.equal(typeof ok.data.a, 'object');
});
