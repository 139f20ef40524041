// With several worker processes, every worker's decisions go to one AuditRecorder in the primary,
// so the whole machine shares one group commit: one writer, larger transactions, and no two
// processes queueing on SQLite's write lock. A worker's record() resolves once the primary has
// committed the record, exactly as a local recorder's would.

import type { DecisionRecord } from '../store/types';
import type { DecisionRecorder } from './decisions';

export interface AuditBatchMessage {
  type: 'arbiter:audit';
  id: number;
  records: DecisionRecord[];
  /** All records in one transaction, or none (an agent's decision-log chunk). */
  atomic?: boolean;
}

export interface AuditAckMessage {
  type: 'arbiter:audit-ack';
  id: number;
  /** Per record: null when committed, else the error message. */
  errors: (string | null)[];
}

export function isAuditBatch(m: unknown): m is AuditBatchMessage {
  return typeof m === 'object' && m !== null && (m as AuditBatchMessage).type === 'arbiter:audit';
}

export function isAuditAck(m: unknown): m is AuditAckMessage {
  return typeof m === 'object' && m !== null && (m as AuditAckMessage).type === 'arbiter:audit-ack';
}

interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** The worker side: batches the records of one event-loop turn into one message. */
export class RemoteRecorder implements DecisionRecorder {
  private nextId = 1;
  private batch: DecisionRecord[] = [];
  private batchWaiters: Waiter[] = [];
  private readonly inFlight = new Map<number, Waiter[]>();
  private scheduled = false;
  private drained: (() => void) | undefined;

  constructor(private readonly send: (m: AuditBatchMessage) => boolean | void) {}

  record(r: DecisionRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.batch.push(r);
      this.batchWaiters.push({ resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flushBatch());
      }
    });
  }

  /** Records a group in one transaction of the primary: all committed, or none. */
  recordAll(records: DecisionRecord[]): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.inFlight.set(id, [{ resolve, reject }]);
      try {
        this.send({ type: 'arbiter:audit', id, records, atomic: true });
      } catch (e) {
        this.inFlight.delete(id);
        reject(e as Error);
      }
    });
  }

  /** Settles the records of an acknowledged batch. */
  acknowledge(m: AuditAckMessage): void {
    const waiters = this.inFlight.get(m.id);
    if (!waiters) return;
    this.inFlight.delete(m.id);
    waiters.forEach((w, i) => {
      const error = m.errors[i];
      if (error === null || error === undefined) w.resolve();
      else w.reject(new Error(`audit record not committed: ${error}`));
    });
    if (this.inFlight.size === 0 && this.batch.length === 0) this.drained?.();
  }

  /** Fails everything waiting (the primary is gone). */
  failAll(reason: string): void {
    const err = new Error(reason);
    for (const ws of this.inFlight.values()) ws.forEach((w) => w.reject(err));
    this.inFlight.clear();
    this.batchWaiters.forEach((w) => w.reject(err));
    this.batch = [];
    this.batchWaiters = [];
    this.drained?.();
  }

  /** Waits for every record handed over so far to be acknowledged. */
  async close(): Promise<void> {
    if (this.inFlight.size === 0 && this.batch.length === 0) return;
    await new Promise<void>((resolve) => (this.drained = resolve));
  }

  private flushBatch(): void {
    this.scheduled = false;
    if (this.batch.length === 0) return;
    const id = this.nextId++;
    const records = this.batch;
    const waiters = this.batchWaiters;
    this.batch = [];
    this.batchWaiters = [];
    this.inFlight.set(id, waiters);
    try {
      this.send({ type: 'arbiter:audit', id, records });
    } catch (e) {
      this.inFlight.delete(id);
      waiters.forEach((w) => w.reject(e as Error));
    }
  }
}

/** The primary side: records a worker's batch and answers with one acknowledgement. */
export async function recordBatch(recorder: DecisionRecorder & { recordAll?(records: DecisionRecord[]): Promise<void> }, m: AuditBatchMessage): Promise<AuditAckMessage> {
  if (m.atomic && recorder.recordAll) {
    // One waiter stands for the whole group, so the acknowledgement carries one outcome.
    const error = await recorder.recordAll(m.records).then(
      () => null,
      (e: unknown) => String((e as Error)?.message ?? e),
    );
    return { type: 'arbiter:audit-ack', id: m.id, errors: [error] };
  }
  const results = await Promise.allSettled(m.records.map((r) => recorder.record(r)));
  return {
    type: 'arbiter:audit-ack',
    id: m.id,
    errors: results.map((r) => (r.status === 'fulfilled' ? null : String((r.reason as Error)?.message ?? r.reason))),
  };
}
