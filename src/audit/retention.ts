// Background retention: every interval, prunes records older than maxAge. The store removes, per
// tenant, the oldest part of the chain in small transactions and moves the chain's anchor, so
// verifyChain still passes on what remains and recording is never blocked for long.
import type { Store } from '../store/types';

export interface RetentionOptions {
  /** Records whose timestamp is older than this are pruned. */
  maxAgeMs: number;
  /** Time between runs (default: a tenth of maxAgeMs, at most one hour, at least one second). */
  intervalMs?: number;
  /** Records per prune transaction (default 1000). */
  batchSize?: number;
  /** Clock, for tests. */
  now?: () => number;
  onRun?: (info: { removed: number; durationMs: number; error?: Error }) => void;
}

export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly store: Pick<Store, 'pruneDecisions'>,
    private readonly opts: RetentionOptions,
  ) {
    if (!(opts.maxAgeMs > 0)) throw new RangeError('retention maxAgeMs must be a positive number');
  }

  get intervalMs(): number {
    return this.opts.intervalMs ?? Math.max(1000, Math.min(this.opts.maxAgeMs / 10, 3_600_000));
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.runOnce().catch(() => {
        // reported through onRun; the next interval retries
      });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** One pruning pass; concurrent calls share the pass in progress. Returns records removed. */
  runOnce(): Promise<number> {
    this.running ??= this.prune().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async prune(): Promise<number> {
    const started = Date.now();
    const cutoff = new Date((this.opts.now ?? Date.now)() - this.opts.maxAgeMs).toISOString();
    try {
      const removed = await this.store.pruneDecisions(cutoff, { batchSize: this.opts.batchSize ?? 1000 });
      this.opts.onRun?.({ removed, durationMs: Date.now() - started });
      return removed;
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      this.opts.onRun?.({ removed: 0, durationMs: Date.now() - started, error });
      throw error;
    }
  }
}
