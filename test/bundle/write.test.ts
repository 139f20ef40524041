import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import * as tar from 'tar-stream';
import { readBundle } from '../../src/bundle/read';
import { writeBundle } from '../../src/bundle/write';
import { file } from './helpers';

async function entryNames(archive: Buffer): Promise<{ name: string; mode?: number; mtime?: Date }[]> {
  const extract = tar.extract();
  extract.end(gunzipSync(archive));
  const out = [];
  for await (const e of extract) {
    out.push({ name: e.header.name, mode: e.header.mode, mtime: e.header.mtime });
    e.resume();
  }
  return out;
}

test('the same files in any order give byte-identical archives (stable digests)', async () => {
  const files = [file('b/x.rego', 'package b\n'), file('.manifest', '{"roots":["b"]}'), file('b/data.json', '{"k":1}')];
  const one = await writeBundle(files);
  const two = await writeBundle([...files].reverse());
  assert.equal(createHash('sha256').update(one).digest('hex'), createHash('sha256').update(two).digest('hex'));
  const changed = await writeBundle([...files.slice(1), file('b/x.rego', 'package b\n\n')]);
  assert.notDeepEqual(changed, one);
});

test('entries are named as opa build names them, ordered signatures, manifest, then by path, with fixed mode and time', async () => {
  const archive = await writeBundle([file('z.rego', 'package z\n'), file('.signatures.json', '{}'), file('a/data.json', '{}'), file('.manifest', '{}')]);
  const entries = await entryNames(archive);
  assert.deepEqual(entries.map((e) => e.name), ['/.signatures.json', '/.manifest', '/a/data.json', '/z.rego']);
  for (const e of entries) {
    assert.equal(e.mode, 0o644);
    assert.equal(e.mtime?.getTime(), 0);
  }
});

test('a written bundle reads back to the same files', async () => {
  const content = Buffer.from([0, 97, 115, 109, 1, 0, 0, 0, 255]);
  const files = [file('.manifest', '{"revision":"r"}'), file('p/q.rego', 'package p.q\n'), { path: 'policy.wasm', content }];
  const b = await readBundle(await writeBundle(files));
  assert.deepEqual(b.files.map((f) => [f.path, f.content.toString('hex')]).sort(), files.map((f) => [f.path, f.content.toString('hex')]).sort());
  assert.deepEqual(b.wasm, [{ path: 'policy.wasm', bytes: content }]);
  assert.equal(b.manifest.revision, 'r');
});

test('paths that would escape or repeat are refused when writing', async () => {
  await assert.rejects(writeBundle([file('../x.rego', '')]), /path leaves the bundle root/);
  await assert.rejects(writeBundle([file('a.rego', ''), file('/a.rego', '')]), /appears more than once/);
});
