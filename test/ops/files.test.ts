// readOrCreateFile: several processes creating the same data-directory file at once.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readOrCreateFile } from '../../src/files';

const ROOT = join(__dirname, '..', '..');

test('creates the file once with its mode, and later calls read it without calling makeContent', () => {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-files-'));
  try {
    const file = join(dir, 'secret');
    assert.equal(readOrCreateFile(file, () => 'first', 0o600), 'first');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readOrCreateFile(file, () => assert.fail('must not generate again'), 0o600), 'first');
    assert.deepEqual(readdirSync(dir), ['secret'], 'no temporary file is left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('processes racing to create the same file all read one complete content', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-files-race-'));
  try {
    const file = join(dir, 'key.pem');
    // Each process writes a large, process-specific content, so a reader that saw a partial or
    // another writer's file would report something different from what ended up on disk.
    const script = `const { readOrCreateFile } = require(${JSON.stringify(join(ROOT, 'src', 'files.ts'))});
      process.stdout.write(readOrCreateFile(${JSON.stringify(file)}, () => String(process.pid).repeat(200000), 0o600));`;
    const outputs = await Promise.all(
      Array.from({ length: 6 }, () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT });
          let out = '';
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.on('error', reject);
          child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}`))));
        }),
      ),
    );
    const onDisk = readFileSync(file, 'utf8');
    assert.ok(onDisk.length > 0);
    for (const out of outputs) assert.equal(out, onDisk);
    assert.deepEqual(readdirSync(dir), ['key.pem']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
