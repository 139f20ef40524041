// Where long-polling agents wait. One set of waiters per tenant: an activation (any rebuild of the
// tenant's PolicySet, in this process or relayed from another worker or replica) wakes every
// waiter of that tenant at once, and each re-checks whether its own resource changed. An idle
// waiter costs one timer and one set entry besides its socket.

export type WaitOutcome = 'changed' | 'timeout' | 'closed';

interface Closable {
  once(event: 'close', listener: () => void): unknown;
  off(event: 'close', listener: () => void): unknown;
}

export class ChangeHub {
  private readonly waiters = new Map<string, Set<(o: WaitOutcome) => void>>();
  private count = 0;
  private closed = false;

  /** Resolves on the tenant's next change, after `ms`, or when `connection` closes, whichever is first. */
  wait(tenant: string, ms: number, connection: Closable): Promise<WaitOutcome> {
    if (this.closed) return Promise.resolve('timeout');
    return new Promise((resolve) => {
      let set = this.waiters.get(tenant);
      if (!set) this.waiters.set(tenant, (set = new Set()));
      const finish = (outcome: WaitOutcome) => {
        clearTimeout(timer);
        connection.off('close', onClose);
        const s = this.waiters.get(tenant);
        if (s?.delete(finish)) {
          this.count--;
          if (s.size === 0) this.waiters.delete(tenant);
        }
        resolve(outcome);
      };
      const onClose = () => finish('closed');
      const timer = setTimeout(() => finish('timeout'), Math.max(0, ms));
      connection.once('close', onClose);
      set.add(finish);
      this.count++;
    });
  }

  /** Wakes every waiter of the tenant. */
  notify(tenant: string): void {
    const set = this.waiters.get(tenant);
    if (!set) return;
    for (const finish of [...set]) finish('changed');
  }

  /** Answers every waiter as if its wait ran out, now and from now on (server shutdown). */
  close(): void {
    this.closed = true;
    for (const set of [...this.waiters.values()]) for (const finish of [...set]) finish('timeout');
  }

  /** Requests waiting now, over every tenant. */
  get waiting(): number {
    return this.count;
  }
}
