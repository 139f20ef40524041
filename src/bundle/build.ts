// Building a bundle from a policy directory (a git checkout, as the seed guide keeps policies):
// the files OPA reads from a bundle are collected with their paths relative to the directory.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { BundleFile } from './read';
import { baseName } from './paths';
import { isSignaturesFile } from './sign';

/** True for the files a bundle is made of: modules, data, manifest, Wasm and plan files. */
export function isBundleContentFile(relPath: string): boolean {
  const base = baseName(relPath);
  return (
    relPath.endsWith('.rego') ||
    relPath.endsWith('.manifest') ||
    ['data.json', 'data.yaml', 'data.yml', 'policy.wasm', 'plan.json'].includes(base)
  );
}

/**
 * Collects the bundle files under `dir`, sorted by path. Hidden directories (.git, ...) and any
 * previous signatures are left out; symbolic links to directories are not followed.
 */
export async function buildBundleFromDir(dir: string): Promise<BundleFile[]> {
  const stat = await fs.stat(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a directory`);
  const files: BundleFile[] = [];
  await walk(dir, '', files);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function walk(root: string, rel: string, out: BundleFile[]): Promise<void> {
  const entries = await fs.readdir(path.join(root, rel), { withFileTypes: true });
  for (const e of entries) {
    const relPath = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (!e.name.startsWith('.')) await walk(root, relPath, out);
      continue;
    }
    if (!isBundleContentFile(relPath) || isSignaturesFile(relPath)) continue;
    const full = path.join(root, relPath);
    if (e.isSymbolicLink() && !(await fs.stat(full)).isFile()) continue;
    if (!e.isFile() && !e.isSymbolicLink()) continue;
    out.push({ path: relPath, content: await fs.readFile(full) });
  }
}
