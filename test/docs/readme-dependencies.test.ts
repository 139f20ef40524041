// The README's "Dependencies" table explains every package of package.json, and lists nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

test('the README explains every dependency and devDependency, and only those', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## Dependencies');
  assert.ok(start >= 0, 'README has a Dependencies section');
  const rows = readme.slice(start).split('\n').filter((line) => /^\| (dev: )?`/.test(line));
  const named = rows.flatMap((row) => [...row.split(' | ')[0].matchAll(/`([^`]+)`/g)].map((m) => m[1]));
  const explains = (name: string) => named.some((n) => n === name || (n.endsWith('/*') && name.startsWith(n.slice(0, -1))));
  const declared = [...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)];
  assert.deepEqual(declared.filter((d) => !explains(d)), [], 'packages without a reason in the README');
  assert.deepEqual(named.filter((n) => !n.endsWith('/*') && !declared.includes(n)), [], 'README names packages that package.json lacks');
  for (const row of rows) assert.ok(row.split(' | ')[1]?.trim().length > 3, `${row}: no reason given`);
});
