import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite';
import { verifyChain } from '../../src/audit/chain';

describe('crash safety (SQLite + recorder)', () => {
  const setups = ['thread', 'inline'].flatMap((mode) => ['disk', 'process'].map((durability) => ({ mode, durability })));
  for (const { mode, durability } of setups) {
    it(`keeps every acknowledged decision when the process is killed with SIGKILL under load (${mode} writes, ${durability} durability)`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'arbiter-crash-'));
      const file = join(dir, 'crash.db');
      try {
        const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'crash-child.ts'), file, mode, durability], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        const acked: string[] = [];
        let buffered = '';
        const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
        await new Promise<void>((resolve, reject) => {
          child.on('exit', () => reject(new Error('child exited before it was killed')));
          child.stdout.on('data', (chunk: Buffer) => {
            buffered += chunk.toString();
            const lines = buffered.split('\n');
            buffered = lines.pop()!;
            acked.push(...lines);
            // Kill mid-load, once plenty have been acknowledged.
            if (acked.length >= 3000) resolve();
          });
        });
        child.kill('SIGKILL');
        assert.equal(await exited, 'SIGKILL');

        const store = openSqliteStore(file);
        await store.init();
        try {
          const stored = new Set<string>();
          for await (const r of store.iterateDecisions('crash')) stored.add(r.decision_id);
          const missing = acked.filter((id) => !stored.has(id));
          assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged decisions were lost`);
          assert.ok(stored.size >= acked.length);
          const v = await verifyChain(store, 'crash');
          assert.equal(v.valid, true, JSON.stringify(v));
          assert.equal(v.records, stored.size);
        } finally {
          await store.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
