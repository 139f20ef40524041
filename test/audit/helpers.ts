import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/types';

/** A fresh SQLite store in a temporary directory. */
export async function tempStore(): Promise<{ store: Store; file: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-audit-'));
  const file = join(dir, 'audit.db');
  const store = openSqliteStore(file);
  await store.init();
  return {
    store,
    file,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The real store, with commits held until released: lets a test see what queues up meanwhile. */
export class GatedStore {
  private gates: (() => void)[] = [];
  closed = true;
  commitsStarted = 0;

  constructor(readonly inner: Pick<Store, 'appendDecisions'>) {}

  appendDecisions: Store['appendDecisions'] = async (records) => {
    this.commitsStarted++;
    if (this.closed) await new Promise<void>((resolve) => this.gates.push(resolve));
    return this.inner.appendDecisions(records);
  };

  open(): void {
    this.closed = false;
    for (const g of this.gates.splice(0)) g();
  }
}

/**
 * The real store as a pipelining store sees it: each append is applied at once, in call order,
 * but reported only when the test releases it (as if its fsync were still running).
 */
export class HeldReportsStore {
  readonly orderedAppends = true;
  readonly held: { records: number; release: () => void }[] = [];

  constructor(readonly inner: Pick<Store, 'appendDecisions'>) {}

  appendDecisions: Store['appendDecisions'] = (records) => {
    const applied = this.inner.appendDecisions(records);
    return new Promise((resolve, reject) => {
      this.held.push({ records: records.length, release: () => applied.then(resolve, reject) });
    });
  };
}

export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
