// Files that several processes may create at once (replicas or workers sharing a data directory).

import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';

/**
 * Returns the content of `file`, first creating it with `makeContent()` when it does not exist.
 * The content is written to a private temporary file and then hard-linked into place, so no
 * process ever reads a half-written file (a plain exclusive create exposes an empty file until the
 * write finishes), and when several processes race exactly one content wins and all read it.
 */
export function readOrCreateFile(file: string, makeContent: () => string, mode: number): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, makeContent(), { mode, flag: 'wx' });
  try {
    linkSync(temporary, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    unlinkSync(temporary);
  }
  return readFileSync(file, 'utf8');
}
