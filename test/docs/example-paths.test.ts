// The shell examples of the README and docs/ run from a fresh clone: every repository path they
// name (a bundle folder, a sample body, a manifest folder) exists in the repository, and none
// reaches outside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const TOP = ['bench', 'bundles', 'test', 'examples', 'deploy', 'docs', 'scripts', 'migrations', 'bin'];
const pages = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

function shellBlocks(text: string): string[] {
  return [...text.matchAll(/```(?:sh|bash|shell)\n([\s\S]*?)```/g)].map((m) => m[1]);
}

test('every repository path in the shell examples exists', () => {
  const pathPattern = new RegExp(`(?<![\\w./-])@?((?:${TOP.join('|')})/[\\w./-]*)`, 'g');
  const missing: string[] = [];
  let checked = 0;
  for (const page of pages) {
    for (const block of shellBlocks(readFileSync(join(ROOT, page), 'utf8'))) {
      for (const m of block.matchAll(pathPattern)) {
        checked++;
        if (!existsSync(join(ROOT, m[1]))) missing.push(`${page}: ${m[1]}`);
      }
      // A clone elsewhere has no ../shared next to it.
      for (const m of block.matchAll(/\.\.\/shared\/\S*/g)) missing.push(`${page}: ${m[0]} (outside the repository)`);
    }
  }
  assert.ok(checked >= 10, `only ${checked} paths found: the pattern no longer matches the examples`);
  assert.deepEqual(missing, []);
});
