import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuditClosedError, AuditOverloadError, AuditRecorder, type CommitInfo } from '../../src/audit/recorder';
import { verifyChain } from '../../src/audit/chain';
import { openSqliteStore } from '../../src/store/sqlite';
import { InvalidArgumentError } from '../../src/store/types';
import { decision } from '../store/contract';
import { GatedStore, HeldReportsStore, tempStore, until } from './helpers';

describe('AuditRecorder', () => {
  it('shares transactions between concurrent records and resolves only once they are durable', async () => {
    const { store, file, cleanup } = await tempStore();
    try {
      const commits: CommitInfo[] = [];
      const recorder = new AuditRecorder(store, { onCommit: (c) => commits.push(c) });
      const records = Array.from({ length: 300 }, () => decision('group'));
      await Promise.all(records.map((r) => recorder.record(r)));
      assert.ok(commits.length < 10, `300 concurrent records took ${commits.length} commits`);
      assert.equal(commits.reduce((n, c) => n + c.records, 0), 300);
      assert.deepEqual(recorder.totals, { commits: commits.length, records: 300, failures: 0 });
      // Another connection sees every acknowledged record.
      const reader = openSqliteStore(file);
      await reader.init();
      for (const r of records) assert.ok(await reader.getDecision('group', r.decision_id), r.decision_id);
      assert.deepEqual(await verifyChain(reader, 'group'), { valid: true, records: 300 });
      await reader.close();
    } finally {
      await cleanup();
    }
  });

  it('batches what arrives during a commit into the next one, up to maxBatch records', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const gated = new GatedStore(store);
      const sizes: number[] = [];
      const recorder = new AuditRecorder(gated, { maxBatch: 3, onCommit: (c) => sizes.push(c.records) });
      const first = recorder.record(decision('batch'));
      await until(() => gated.commitsStarted === 1, 'first commit');
      assert.equal(recorder.inFlight, 1);
      const rest = Array.from({ length: 7 }, () => recorder.record(decision('batch')));
      assert.equal(recorder.queueDepth, 7);
      let firstDone = false;
      void first.then(() => (firstDone = true));
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(recorder.lagMs >= 15, `lag ${recorder.lagMs} ms while a commit is held`);
      assert.equal(firstDone, false, 'resolved before its commit finished');
      assert.equal(gated.commitsStarted, 1, 'a second commit started while one was running');
      gated.open();
      await Promise.all([first, ...rest]);
      assert.deepEqual(sizes, [1, 3, 3, 1]);
      assert.equal(recorder.queueDepth, 0);
      assert.equal(recorder.lagMs, 0);
      assert.equal(recorder.inFlight, 0);
    } finally {
      await cleanup();
    }
  });

  it('starts the next commit while one waits for the disk on an ordered store, and settles them in order', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const held = new HeldReportsStore(store);
      const sizes: number[] = [];
      const recorder = new AuditRecorder(held, { maxInFlight: 2, onCommit: (c) => sizes.push(c.records) });
      const first = recorder.record(decision('pipe'));
      await until(() => held.held.length === 1, 'first commit');
      const second = [recorder.record(decision('pipe')), recorder.record(decision('pipe'))];
      await until(() => held.held.length === 2, 'second commit while the first is unreported');
      assert.equal(recorder.inFlight, 3);
      // At most two under way: the next records wait in the queue.
      const third = recorder.record(decision('pipe'));
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(held.held.length, 2);
      assert.equal(recorder.queueDepth, 1);
      const done: string[] = [];
      void first.then(() => done.push('first'));
      void Promise.all(second).then(() => done.push('second'));
      // The later commit is reported first; its records still wait for the earlier one.
      held.held[1].release();
      await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(done, []);
      held.held[0].release();
      await Promise.all([first, ...second]);
      assert.deepEqual(done, ['first', 'second']);
      await until(() => held.held.length === 3, 'third commit once one finished');
      held.held[2].release();
      await third;
      assert.deepEqual(sizes, [1, 2, 1]);
      assert.equal(recorder.inFlight, 0);
      assert.deepEqual(await verifyChain(store, 'pipe'), { valid: true, records: 4 });
    } finally {
      await cleanup();
    }
  });

  it('keeps up to three commits under way by default on an ordered store, one on others', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const held = new HeldReportsStore(store);
      const recorder = new AuditRecorder(held);
      const pending: Promise<void>[] = [];
      for (let i = 0; i < 4; i++) {
        pending.push(recorder.record(decision('depth')));
        await new Promise((r) => setTimeout(r, 5));
      }
      await until(() => held.held.length === 3, 'three commits');
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(held.held.length, 3);
      assert.equal(recorder.queueDepth, 1);
      for (const h of held.held.splice(0, 3)) h.release();
      await until(() => held.held.length === 1, 'the fourth commit');
      held.held[0].release();
      await Promise.all(pending);

      const gated = new GatedStore(store);
      const serial = new AuditRecorder(gated);
      const first = serial.record(decision('depth'));
      await until(() => gated.commitsStarted === 1, 'first commit');
      const second = serial.record(decision('depth'));
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(gated.commitsStarted, 1, 'a store without orderedAppends got two commits at once');
      gated.open();
      await Promise.all([first, second]);
    } finally {
      await cleanup();
    }
  });

  it('starts a commit within the same turn once eagerBatch records are queued', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const held = new HeldReportsStore(store);
      const eager = new AuditRecorder(held, { eagerBatch: 3 });
      const first = [eager.record(decision('eager')), eager.record(decision('eager'))];
      assert.equal(held.held.length, 0, 'two records are left for the end of the turn');
      first.push(eager.record(decision('eager')));
      assert.equal(held.held.length, 1, 'the third record starts a commit before the turn ends');
      assert.equal(held.held[0].records, 3);
      const late = [eager.record(decision('eager'))];
      await until(() => held.held.length === 2, 'the rest at the end of the turn');
      assert.equal(held.held[1].records, 1);
      for (const h of held.held.splice(0)) h.release();
      await Promise.all([...first, ...late]);

      const patient = new AuditRecorder(held, { eagerBatch: 0 });
      const all = Array.from({ length: 20 }, () => patient.record(decision('eager')));
      assert.equal(held.held.length, 0, 'eagerBatch 0 waits for the end of the turn');
      await until(() => held.held.length === 1, 'one commit for the turn');
      assert.equal(held.held[0].records, 20);
      held.held[0].release();
      await Promise.all(all);
      assert.deepEqual(await verifyChain(store, 'eager'), { valid: true, records: 24 });
    } finally {
      await cleanup();
    }
  });

  it('never splits a recordAll group and commits it all or nothing', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const sizes: number[] = [];
      const recorder = new AuditRecorder(store, { maxBatch: 2, onCommit: (c) => sizes.push(c.records) });
      const chunk = Array.from({ length: 5 }, () => decision('chunk'));
      await recorder.recordAll(chunk);
      assert.deepEqual(sizes, [5]);
      const bad = [decision('chunk'), decision('chunk', { timestamp: 'not a time' })];
      await assert.rejects(recorder.recordAll(bad), InvalidArgumentError);
      assert.equal(await store.getDecision('chunk', bad[0].decision_id), undefined);
    } finally {
      await cleanup();
    }
  });

  it('rejects a malformed record alone, without failing the others', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const recorder = new AuditRecorder(store);
      const good = decision('mixed');
      const results = await Promise.allSettled([recorder.record(good), recorder.record(decision('mixed', { decision_id: '' }))]);
      assert.equal(results[0].status, 'fulfilled');
      assert.equal(results[1].status, 'rejected');
      assert.ok(await store.getDecision('mixed', good.decision_id));
    } finally {
      await cleanup();
    }
  });

  it('encodes records on arrival, so one that cannot be encoded fails alone and not its batch', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const recorder = new AuditRecorder(store);
      const good = [decision('encode'), decision('encode')];
      const results = await Promise.allSettled([
        recorder.record(good[0]),
        recorder.record(decision('encode', { input: { replicas: Number.POSITIVE_INFINITY } })),
        recorder.record(good[1]),
      ]);
      assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.match(String((results[1] as PromiseRejectedResult).reason), /non-finite/);
      assert.deepEqual(await verifyChain(store, 'encode'), { valid: true, records: 2 });
    } finally {
      await cleanup();
    }
  });

  it('rejects every record of a failed commit and still settles flush', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const gated = new GatedStore(store);
      const failures: CommitInfo[] = [];
      const recorder = new AuditRecorder(gated, { onCommit: (c) => c.error && failures.push(c) });
      const blocked = recorder.record(decision('fail'));
      await until(() => gated.commitsStarted === 1, 'first commit');
      // Queued behind the first commit, then the store goes away.
      const doomed = [recorder.record(decision('fail')), recorder.record(decision('fail'))];
      await store.close();
      gated.open();
      const settled = await Promise.allSettled([blocked, ...doomed]);
      assert.deepEqual(settled.map((s) => s.status), ['rejected', 'rejected', 'rejected']);
      assert.equal(failures.reduce((n, c) => n + c.records, 0), 3);
      assert.equal(recorder.totals.failures, 3);
      await recorder.flush();
    } finally {
      await cleanup();
    }
  });

  it('refuses records beyond maxQueue instead of growing without bound', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const gated = new GatedStore(store);
      const recorder = new AuditRecorder(gated, { maxQueue: 4 });
      const accepted = Array.from({ length: 4 }, () => recorder.record(decision('full')));
      await assert.rejects(recorder.record(decision('full')), AuditOverloadError);
      gated.open();
      await Promise.all(accepted);
      await recorder.record(decision('full'));
    } finally {
      await cleanup();
    }
  });

  it('flush waits for what was queued; close refuses new records', async () => {
    const { store, cleanup } = await tempStore();
    try {
      const gated = new GatedStore(store);
      const recorder = new AuditRecorder(gated);
      const ids = Array.from({ length: 20 }, () => decision('close'));
      const pending = ids.map((r) => recorder.record(r));
      let flushed = false;
      const flushing = recorder.flush().then(() => (flushed = true));
      await new Promise((r) => setTimeout(r, 10));
      assert.equal(flushed, false);
      gated.open();
      await flushing;
      for (const r of ids) assert.ok(await store.getDecision('close', r.decision_id));
      await Promise.all(pending);
      await recorder.close();
      await assert.rejects(recorder.record(decision('close')), AuditClosedError);
      await recorder.flush();
    } finally {
      await cleanup();
    }
  });
});
