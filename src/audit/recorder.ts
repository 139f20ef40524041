// Group commit for the audit log. record() queues a decision and resolves once the transaction
// holding it has committed, so a caller that waits for it before answering never acknowledges a
// decision that could be lost. Everything queued while a commit runs goes into the next one
// (natural batching), capped at maxBatch records. With a store that applies appends in call order
// (SQLite), the next commit starts while the previous one waits for its fsync, so the CPU work of
// one batch overlaps the disk time of the other; otherwise one commit runs at a time.
//
// Clients that wait for their answer before asking again fall into step: their requests arrive
// together, are all parsed and evaluated in one turn of the event loop, committed as one batch
// and answered together, so the event loop, the store's writer and the disk take turns instead of
// working at once. Once eagerBatch records are queued, a commit therefore starts at once instead
// of after the turn, and the store works on the first requests while the rest are evaluated.
import { checkRecord, prepareDecision, queueDecision, type PreparedDecision, type QueuedDecision } from '../store/decisions';
import type { DecisionRecord, Store } from '../store/types';

export interface AuditRecorderOptions {
  /** Most records in one transaction (default 4096). A recordAll() group is never split. */
  maxBatch?: number;
  /**
   * Most commits under way at once (default 3 when the store has orderedAppends, else 1). They
   * settle in order: a record resolves only after every earlier commit has settled.
   */
  maxInFlight?: number;
  /** Most records waiting; beyond it record() rejects with AuditOverloadError (default 100,000). */
  maxQueue?: number;
  /**
   * Queued records that start a commit at once, within the current turn of the event loop, when
   * fewer than maxInFlight are under way (default 16; 0 waits for the end of the turn). With 32
   * clients, 16 gave SQLite's writer (which merges what waits for it) 8% more decisions/s than 8.
   */
  eagerBatch?: number;
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
  /**
   * Encoded on arrival when the store takes prepared records, so commits only hash and insert; as
   * plain JSON text when the store prepares them itself off the main thread (appendQueued).
   */
  records: DecisionRecord[] | PreparedDecision[] | QueuedDecision[];
  enqueuedAt: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

interface Commit {
  batch: Pending[];
  records: number;
  /** Set once the store has answered; the commit settles when every earlier one has too. */
  outcome?: { error?: Error; durationMs: number };
}

export class AuditRecorder {
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly maxInFlight: number;
  private readonly eagerBatch: number;
  private queue: Pending[] = [];
  private queued = 0;
  /** Commits under way, oldest first. */
  private commits: Commit[] = [];
  private committing = 0;
  private scheduled = false;
  private closed = false;
  private enqueuedGroups = 0;
  private settledGroups = 0;
  private flushWaiters: { target: number; resolve: () => void }[] = [];
  private stats = { commits: 0, records: 0, failures: 0, lastCommitMs: 0 };

  constructor(
    private readonly store: Pick<Store, 'appendDecisions' | 'orderedAppends' | 'appendPrepared' | 'appendQueued'>,
    private readonly opts: AuditRecorderOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 4096;
    this.maxQueue = opts.maxQueue ?? 100_000;
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? (store.orderedAppends ? 3 : 1));
    this.eagerBatch = opts.eagerBatch ?? 16;
  }

  /** Resolves once the decision is durable (or was already recorded under its id). */
  record(r: DecisionRecord): Promise<void> {
    return this.recordAll([r]);
  }

  /** Records several decisions in one transaction: all are committed or none. */
  recordAll(records: DecisionRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new AuditClosedError('the audit recorder is closed'));
    if (records.length === 0) return Promise.resolve();
    if (this.queued + records.length > this.maxQueue)
      return Promise.reject(new AuditOverloadError(`audit queue is full (${this.queued} records waiting)`));
    let accepted: DecisionRecord[] | PreparedDecision[] | QueuedDecision[];
    try {
      for (const r of records) checkRecord(r);
      // A lone decision (the decision API, bound by the event loop) is left for the store to encode
      // on its writer; a chunk of agent events is encoded here, as that path is bound by the writer.
      if (this.store.appendQueued && records.length === 1) accepted = records.map(queueDecision);
      else accepted = this.store.appendPrepared ? records.map(prepareDecision) : records;
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ records: accepted, enqueuedAt: performance.now(), resolve, reject });
      this.queued += records.length;
      this.enqueuedGroups++;
      if (this.eagerBatch > 0 && this.queued >= this.eagerBatch) this.commitNext();
      else this.schedule();
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

  /** Records in the commits under way. */
  get inFlight(): number {
    return this.committing;
  }

  /** Age of the oldest record not yet committed (0 when nothing waits): the audit lag. */
  get lagMs(): number {
    const oldest = this.commits[0]?.batch[0].enqueuedAt ?? this.queue[0]?.enqueuedAt;
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
    if (this.commits.length >= this.maxInFlight || this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate, not a microtask: requests whose bytes arrived meanwhile are parsed first and
    // join this batch instead of each paying for its own commit.
    setImmediate(() => {
      this.scheduled = false;
      this.commitNext();
    });
  }

  private commitNext(): void {
    if (this.commits.length >= this.maxInFlight || this.queue.length === 0) return;
    const batch: Pending[] = [];
    const records: (DecisionRecord | QueuedDecision)[] = [];
    while (this.queue.length > 0 && (batch.length === 0 || records.length + this.queue[0].records.length <= this.maxBatch)) {
      const p = this.queue.shift()!;
      batch.push(p);
      for (const r of p.records) records.push(r);
    }
    this.queued -= records.length;
    this.committing += records.length;
    const commit: Commit = { batch, records: records.length };
    this.commits.push(commit);
    const started = process.hrtime.bigint();
    const finish = (error?: Error) => {
      commit.outcome = { durationMs: Number(process.hrtime.bigint() - started) / 1e6, ...(error && { error }) };
      this.settleFinished();
    };
    const appended = this.store.appendQueued
      ? this.store.appendQueued(records as QueuedDecision[])
      : this.store.appendPrepared
        ? this.store.appendPrepared(records as PreparedDecision[])
        : this.store.appendDecisions(records as DecisionRecord[]);
    appended.then(
      () => finish(),
      (e: unknown) => finish(e instanceof Error ? e : new Error(String(e))),
    );
    // Room for another commit: start it as soon as something is queued.
    this.schedule();
  }

  /** Settles finished commits in order, so nothing resolves before an earlier record has. */
  private settleFinished(): void {
    while (this.commits.length > 0 && this.commits[0].outcome) {
      const { batch, records, outcome } = this.commits.shift()!;
      const { error, durationMs } = outcome!;
      this.committing -= records;
      this.stats.commits++;
      this.stats.lastCommitMs = durationMs;
      if (error) this.stats.failures += records;
      else this.stats.records += records;
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
      try {
        this.opts.onCommit?.({ records, durationMs, ...(error && { error }) });
      } catch {
        // A failing metrics hook must not stop the audit log.
      }
    }
    this.schedule();
  }
}
