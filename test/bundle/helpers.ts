// Test helpers: raw tar.gz archives built entry by entry with tar-stream, so tests can craft
// archives the bundle writer would never produce (links, devices, '..' paths, duplicates).

import { gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

export interface RawEntry {
  name: string;
  content?: string | Buffer;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  linkname?: string;
}

export async function rawTarGz(entries: RawEntry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => {
      chunks.push(c as Buffer);
    });
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) {
    const type = e.type ?? 'file';
    if (type === 'file') {
      const body = Buffer.from(e.content ?? '');
      pack.entry({ name: e.name, type, size: body.length }, body);
    } else {
      pack.entry({ name: e.name, type, linkname: e.linkname, size: 0 });
    }
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

export const file = (path: string, content: string | Buffer) => ({ path, content: Buffer.from(content) });
