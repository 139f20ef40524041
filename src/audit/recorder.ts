// Group commit for the audit log. record() queues a decision and resolves once the transaction
// holding it has committed, so a caller that waits for it before answering never acknowledges a
// decision that could be lost. One commit runs at a time; everything queued while it runs goes
// into the next one (natural batching), capped at maxBatch records.
import { checkRecord } from '../store/decisions';
import type { DecisionRecord, Store } from '../store/types';

export interface AuditRecorderOptions {
  /** Most records in one transaction (default 512). A recordAll() group is never split. */
  maxBatch?: number;
  /** Most records waiting; beyond it record() rejects with AuditOverloadError (default 100,000). */
  maxQueue?: number;
  /** Called after every commit, for metrics. */
  onCommit?: (info: CommitInfo) => void;
}

export interface CommitInfo {
  records: number;
  durationMs: number;
  error?: Error;
}

export class AuditOverloadError extends Error {
  readonly code = 'audit_overloaded';
}

export class AuditClosedError extends Error {
  readonly code = 'audit_closed';
}

interface Pending {
  records: DecisionRecord[];
  enqueuedAt: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class AuditRecorder {
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private queue: Pending[] = [];
  private queued = 0;
  private committing = 0;
  private scheduled = false;
  private closed = false;
  private enqueuedGroups = 0;
  private settledGroups = 0;
  private flushWaiters: { target: number; resolve: () => void }[] = [];
  /** Enqueue time of the oldest record in the commit running now. */
  private inFlightSince: number | undefined;
  private stats = { commits: 0, records: 0, failures: 0, lastCommitMs: 0 };

  constructor(
    private readonly store: Pick<Store, 'appendDecisions'>,
    private readonly opts: AuditRecorderOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 512;
    this.maxQueue = opts.maxQueue ?? 100_000;
  }

  /** Resolves once the decision is durable (or was already recorded under its id). */
  record(r: DecisionRecord): Promise<void> {
    return this.recordAll([r]);
  }

  /** Records several decisions in one transaction: all are committed or none. */
  recordAll(records: DecisionRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new AuditClosedError('the audit recorder is closed'));
    try {
      for (const r of records) checkRecord(r);
    } catch (e) {
      return Promise.reject(e);
    }
    if (records.length === 0) return Promise.resolve();
    if (this.queued + records.length > this.maxQueue)
      return Promise.reject(new AuditOverloadError(`audit queue is full (${this.queued} records waiting)`));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records, enqueuedAt: performance.now(), resolve, reject });
      this.queued += records.length;
      this.enqueuedGroups++;
      this.schedule();
    });
  }

  /** Resolves once everything recorded before the call has been committed or has failed. */
  flush(): Promise<void> {
    if (this.settledGroups >= this.enqueuedGroups) return Promise.resolve();
    return new Promise((resolve) => this.flushWaiters.push({ target: this.enqueuedGroups, resolve }));
  }

  /** Refuses new records and waits for the queued ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Records waiting for a commit to start. */
  get queueDepth(): number {
    return this.queued;
  }

  /** Records in the commit running now. */
  get inFlight(): number {
    return this.committing;
  }

  /** Age of the oldest record not yet committed (0 when nothing waits): the audit lag. */
  get lagMs(): number {
    const oldest = this.inFlightSince ?? this.queue[0]?.enqueuedAt;
    return oldest === undefined ? 0 : performance.now() - oldest;
  }

  get lastCommitMs(): number {
    return this.stats.lastCommitMs;
  }

  get totals(): { commits: number; records: number; failures: number } {
    const { commits, records, failures } = this.stats;
    return { commits, records, failures };
  }

  private schedule(): void {
    if (this.committing > 0 || this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: requests whose bytes arrived meanwhile are parsed first and
    // join this batch instead of each paying for its own commit.
    setImmediate(() => {
      this.scheduled = false;
      void this.commitNext();
    });
  }

  private async commitNext(): Promise<void> {
    if (this.committing > 0 || this.queue.length === 0) return;
    const batch: Pending[] = [];
    const records: DecisionRecord[] = [];
    while (this.queue.length > 0 && (batch.length === 0 || records.length + this.queue[0].records.length <= this.maxBatch)) {
      const p = this.queue.shift()!;
      batch.push(p);
      for (const r of p.records) records.push(r);
    }
    this.queued -= records.length;
    this.committing = records.length;
    this.inFlightSince = batch[0].enqueuedAt;
    const started = process.hrtime.bigint();
    let error: Error | undefined;
    try {
      await this.store.appendDecisions(records);
    } catch (e) {
      error = e instanceof Error ? e : new Error(String(e));
    }
    const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
    this.committing = 0;
    this.inFlightSince = undefined;
    this.stats.commits++;
    this.stats.lastCommitMs = durationMs;
    if (error) this.stats.failures += records.length;
    else this.stats.records += records.length;
    for (const p of batch) {
      if (error) p.reject(error);
      else p.resolve();
    }
    this.settledGroups += batch.length;
    this.flushWaiters = this.flushWaiters.filter((w) => {
      if (w.target > this.settledGroups) return true;
      w.resolve();
      return false;
    });
    if (this.queue.length > 0) this.schedule();
    try {
      this.opts.onCommit?.({ records: records.length, durationMs, ...(error && { error }) });
    } catch {
      // A failing metrics hook must not stop the audit log.
    }
  }
}
