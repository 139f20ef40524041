import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditRecorder } from '../../src/audit/recorder';
import { recordBatch, RemoteRecorder, type AuditBatchMessage } from '../../src/engine/audit-relay';
import { newDecisionId } from '../../src/store/decisions';
import { openSqliteStore } from '../../src/store/sqlite';
import type { DecisionRecord } from '../../src/store/types';

const record = (id = newDecisionId()): DecisionRecord => ({
  decision_id: id,
  tenant: 'relay',
  source: 'server',
  path: 'main/deny',
  input: { big: 12345678901234567890n },
  result: [],
  bundles: {},
  principal: 'p',
  remote_addr: '127.0.0.1:1',
  timestamp: new Date().toISOString(),
  duration_ns: 1,
});

describe('audit relay', () => {
  it('commits a worker batch through the primary recorder and settles each record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbiter-relay-'));
    const store = openSqliteStore(join(dir, 'a.db'));
    await store.init();
    await store.createTenant({ id: 'relay', name: 'relay' });
    const primary = new AuditRecorder(store);
    try {
      const sent: AuditBatchMessage[] = [];
      // The channel: structured clone, as cluster's 'advanced' serialization does.
      const worker = new RemoteRecorder((m) => {
        sent.push(m);
        void recordBatch(primary, structuredClone(m)).then((ack) => worker.acknowledge(structuredClone(ack)));
      });
      const records = Array.from({ length: 20 }, () => record());
      await Promise.all(records.map((r) => worker.record(r)));
      assert.equal(sent.length, 1, 'the records of one event-loop turn travel in one message');
      for (const r of records) {
        const stored = await store.getDecision('relay', r.decision_id);
        assert.ok(stored, r.decision_id);
        assert.equal((stored.input as { big: bigint }).big, 12345678901234567890n);
      }
      const bad = { ...record(), tenant: '' } as DecisionRecord;
      const good = record();
      const results = await Promise.allSettled([worker.record(bad), worker.record(good)]);
      assert.equal(results[0].status, 'rejected', 'an invalid record fails alone');
      assert.equal(results[1].status, 'fulfilled');
      await worker.close();
    } finally {
      await primary.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('commits a recordAll group (an agent log chunk) through the primary all or nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbiter-relay-'));
    const store = openSqliteStore(join(dir, 'a.db'));
    await store.init();
    await store.createTenant({ id: 'relay', name: 'relay' });
    const primary = new AuditRecorder(store, { maxBatch: 8 });
    try {
      const worker = new RemoteRecorder((m) => {
        void recordBatch(primary, structuredClone(m)).then((ack) => worker.acknowledge(structuredClone(ack)));
      });
      const group = Array.from({ length: 30 }, () => record());
      await worker.recordAll(group);
      for (const r of group) assert.ok(await store.getDecision('relay', r.decision_id), r.decision_id);
      const spoiled = [...Array.from({ length: 5 }, () => record()), { ...record(), timestamp: 'never' }];
      await assert.rejects(worker.recordAll(spoiled), /audit record not committed/);
      for (const r of spoiled.slice(0, 5)) assert.equal(await store.getDecision('relay', r.decision_id), undefined, 'nothing of a failed group is stored');
      await worker.close();
    } finally {
      await primary.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails waiting records when the primary goes away', async () => {
    const worker = new RemoteRecorder(() => undefined);
    const pending = worker.record(record());
    await new Promise((r) => setImmediate(r));
    worker.failAll('the primary process is gone');
    await assert.rejects(pending, /primary process is gone/);
    await worker.close();
  });
});
