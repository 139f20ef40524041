// Writing bundles: a deterministic tar.gz (fixed order, times, modes and owners), so the same
// files always give the same bytes and so the same digest. Entry names start with '/', as
// `opa build` writes them: OPA matches a manifest's wasm `module: "/policy.wasm"` against the
// entry name as it is, so this keeps our bundles read exactly like OPA's own.

import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import * as tar from 'tar-stream';
import type { BundleFile } from './read';
import { normalizeEntryPath } from './paths';

const gzip = promisify(zlib.gzip) as (buf: Buffer, opts: zlib.ZlibOptions) => Promise<Buffer>;
const FIXED_MTIME = new Date(0);

/** The order of entries: signatures first, then the manifest (as OPA writes them), then by path. */
function entryRank(path: string): number {
  if (path === '.signatures.json') return 0;
  if (path === '.manifest') return 1;
  return 2;
}

export async function writeBundle(files: BundleFile[]): Promise<Buffer> {
  const seen = new Set<string>();
  const entries = files.map((f) => {
    const n = normalizeEntryPath(f.path);
    if ('error' in n) throw new Error(`cannot write bundle file '${f.path}': ${n.error}`);
    if (seen.has(n.path)) throw new Error(`cannot write bundle: '${n.path}' appears more than once`);
    seen.add(n.path);
    return { path: n.path, content: f.content };
  });
  entries.sort((a, b) => entryRank(a.path) - entryRank(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => {
      chunks.push(c as Buffer);
    });
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    pack.entry({ name: `/${e.path}`, size: e.content.length, mode: 0o644, mtime: FIXED_MTIME, uid: 0, gid: 0, uname: '', gname: '', type: 'file' }, e.content);
  }
  pack.finalize();
  await collected;
  return gzip(Buffer.concat(chunks), { level: 9 });
}
