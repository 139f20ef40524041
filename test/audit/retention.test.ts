import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RetentionJob } from '../../src/audit/retention';
import { AuditRecorder } from '../../src/audit/recorder';
import { verifyChain } from '../../src/audit/chain';
import { decision } from '../store/contract';
import { tempStore, until } from './helpers';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-30T00:00:00Z');
const daysAgo = (d: number) => new Date(NOW - d * DAY).toISOString();

async function seqs(store: Awaited<ReturnType<typeof tempStore>>['store'], tenant: string): Promise<number[]> {
  const out: number[] = [];
  for await (const r of store.iterateDecisions(tenant)) out.push(r.seq!);
  return out;
}

describe('RetentionJob', () => {
  it('prunes records older than the configured age and leaves a chain that verifies', async () => {
    const { store, cleanup } = await tempStore();
    try {
      await store.appendDecisions([40, 35, 31, 20, 10, 1].map((d) => decision('ret', { timestamp: daysAgo(d) })));
      await store.appendDecisions([45, 2].map((d) => decision('ret-2', { timestamp: daysAgo(d) })));
      const runs: number[] = [];
      const job = new RetentionJob(store, { maxAgeMs: 30 * DAY, now: () => NOW, batchSize: 2, onRun: (r) => runs.push(r.removed) });
      assert.equal(await job.runOnce(), 4);
      assert.deepEqual(runs, [4]);
      assert.deepEqual(await seqs(store, 'ret'), [4, 5, 6]);
      assert.deepEqual(await seqs(store, 'ret-2'), [2]);
      assert.deepEqual(await verifyChain(store, 'ret'), { valid: true, records: 3 });
      assert.deepEqual(await verifyChain(store, 'ret-2'), { valid: true, records: 1 });
      assert.equal(await job.runOnce(), 0);
    } finally {
      await cleanup();
    }
  });

  it('runs in the background while decisions keep being recorded', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const recorder = new AuditRecorder(store);
      let removed = 0;
      const job = new RetentionJob(store, { maxAgeMs: 30 * DAY, now: () => NOW, intervalMs: 5, batchSize: 50, onRun: (r) => (removed += r.removed) });
      // 1,000 old records first, then new ones recorded while the job prunes.
      await recorder.recordAll(Array.from({ length: 1000 }, () => decision('bg', { timestamp: daysAgo(60) })));
      job.start();
      const fresh = Array.from({ length: 400 }, () => decision('bg', { timestamp: daysAgo(1) }));
      for (let i = 0; i < fresh.length; i += 20) await Promise.all(fresh.slice(i, i + 20).map((r) => recorder.record(r)));
      await until(() => removed === 1000, 'the old records to be pruned', 30_000);
      await job.stop();
      await recorder.close();
      assert.deepEqual(await verifyChain(store, 'bg'), { valid: true, records: 400 });
      const remaining = await seqs(store, 'bg');
      assert.deepEqual(remaining, Array.from({ length: 400 }, (_, i) => i + 1001));
    } finally {
      await cleanup();
    }
  });

  it('rejects a non-positive age', () => {
    assert.throws(() => new RetentionJob({ pruneDecisions: async () => 0 }, { maxAgeMs: 0 }), RangeError);
  });
});
