// The main-thread side of a store's worker thread (sqlite-thread.ts, postgres-thread.ts): each
// request carries an id and gets one reply with that id, a result or an error. A thread that dies
// fails the calls it had in hand and is marked failed, so its store starts a new one for the next.
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError, NotFoundError } from './types';

/** What a thread sends back for a request. */
export type DbThreadReply = { id: number; result: unknown } | { id: number; error: { name: string; message: string; code?: string } };

/** A request as the caller writes it: the thread's request type without the id. */
export type DbThreadCall<Req> = Req extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** The store's typed errors keep their class across the thread boundary (and a driver's error its code). */
function rebuildError(e: { name: string; message: string; code?: string }): Error {
  if (e.name === 'InvalidArgumentError') return new InvalidArgumentError(e.message);
  if (e.name === 'NotFoundError') return new NotFoundError(e.message);
  const err = new Error(e.message);
  if (e.code !== undefined) (err as Error & { code?: string }).code = e.code;
  return err;
}

/** The error reply of a request that failed on the thread. */
export function threadFailure(id: number, e: unknown): DbThreadReply {
  const err = e as Error & { code?: unknown };
  const error: { name: string; message: string; code?: string } = {
    name: err?.constructor?.name ?? 'Error',
    message: String(err?.message ?? e),
  };
  if (typeof err?.code === 'string') error.code = err.code;
  return { id, error };
}

export class DbThread<Req extends { id: number; op: string }> {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /**
   * @param module the thread's module in this directory, without extension ('sqlite-thread')
   * @param workerData handed to the thread
   * @param name for the error of a thread that exited ('SQLite writer')
   */
  constructor(module: string, workerData: unknown, name: string) {
    const entry = join(__dirname, `${module}${extname(__filename)}`);
    // Compiled, the entry is .js. Run from source (tests, benches under tsx), the thread does not
    // inherit tsx's loader in every launcher, so it registers tsx's require hook itself.
    this.worker = entry.endsWith('.ts')
      ? new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(entry)});`, { eval: true, workerData })
      : new Worker(entry, { workerData });
    this.worker.unref();
    this.worker.on('message', (m: DbThreadReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if ('error' in m) p.reject(rebuildError(m.error));
      else p.resolve(m.result);
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => this.fail(new Error(`the ${name} thread exited (code ${code})`)));
  }

  call<T>(req: DbThreadCall<Req>): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      try {
        this.worker.postMessage({ ...req, id });
      } catch (e) {
        reject(e as Error);
        return;
      }
      this.pending.set(id, { resolve, reject });
      // Keep the process alive while a commit is outstanding.
      this.worker.ref();
    });
  }

  /** Asks the thread to close (it answers once its earlier requests are done), then ends it. */
  async close(): Promise<void> {
    if (this.failure) return;
    await this.call({ op: 'close' } as DbThreadCall<Req>);
    // The thread's connection is closed now; a loader hook may still hold its event loop open.
    await this.worker.terminate();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}
