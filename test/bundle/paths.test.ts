import { test } from 'node:test';
import assert from 'node:assert/strict';
import { globMatch, manifestGlobMatch, normalizeEntryPath, rootPathsContain, rootPathsOverlap } from '../../src/bundle/paths';

test('roots contain paths segment by segment; the empty root contains everything', () => {
  assert.equal(rootPathsContain(['a/b'], 'a/b/c'), true);
  assert.equal(rootPathsContain(['a/b'], 'a/b'), true);
  assert.equal(rootPathsContain(['a/b'], 'a/bc'), false);
  assert.equal(rootPathsContain(['a/b'], 'a'), false);
  assert.equal(rootPathsContain([''], 'anything/at/all'), true);
  assert.equal(rootPathsContain(['x', 'a'], 'a/z'), true);
});

test('roots overlap when either contains the other', () => {
  assert.equal(rootPathsOverlap('a', 'a/b'), true);
  assert.equal(rootPathsOverlap('a/b', 'a'), true);
  assert.equal(rootPathsOverlap('a', 'ab'), false);
  assert.equal(rootPathsOverlap('a/b', 'a/c'), false);
  assert.equal(rootPathsOverlap('', 'x'), true);
});

test('entry names: leading "/" and "./" are the bundle root; ".." and backslashes are refused', () => {
  assert.deepEqual(normalizeEntryPath('/a/b.rego'), { path: 'a/b.rego' });
  assert.deepEqual(normalizeEntryPath('./a//./b.rego'), { path: 'a/b.rego' });
  assert.ok('error' in normalizeEntryPath('a/../../b'));
  assert.ok('error' in normalizeEntryPath('..'));
  assert.ok('error' in normalizeEntryPath('a\\b.rego'));
  assert.ok('error' in normalizeEntryPath('./'));
});

test('exclude_files globs behave like Go filepath.Match', () => {
  assert.equal(globMatch('*.md', 'README.md'), true);
  assert.equal(globMatch('*.md', 'docs/README.md'), false);
  assert.equal(globMatch('docs/*', 'docs/a.md'), true);
  assert.equal(globMatch('data?.json', 'data1.json'), true);
  assert.equal(globMatch('[a-c].rego', 'b.rego'), true);
  assert.equal(globMatch('[^a-c].rego', 'b.rego'), false);
  assert.equal(globMatch('[^a-c].rego', 'd.rego'), true);
  assert.equal(globMatch('a.json', 'a_json'), false);
});

test('file_rego_versions patterns: "*" within a directory, "**" across, leading "/" ignored', () => {
  assert.equal(manifestGlobMatch('/legacy/*.rego', 'legacy/a.rego'), true);
  assert.equal(manifestGlobMatch('/legacy/*.rego', 'legacy/sub/a.rego'), false);
  assert.equal(manifestGlobMatch('legacy/**/*.rego', '/legacy/sub/deep/a.rego'), true);
});
