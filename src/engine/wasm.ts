// Wasm policies: a bundle's policy.wasm (as `opa build -t wasm` compiles it) evaluated through
// @open-policy-agent/opa-wasm, with host built-ins from Arbiter's registry (wasm-runtime.ts).
//
// Two ways to evaluate:
//   evaluate()          in the calling thread: a few microseconds for ordinary policies, but a
//                       module that loops cannot be interrupted (the deadline is only checked
//                       when it calls a host built-in);
//   evaluateIsolated()  on a worker thread that owns a second instance: costs a message round
//                       trip, and the deadline is hard (the worker is terminated and replaced).
// docs/wasm.md has the measurements behind this choice.

import { extname, join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { RegoError } from '../rego/errors';
import { Wasm, type WasmModule } from './wasm-api';
import { registryHost } from './wasm-host';
import { EvalContext, WasmModuleError, WasmRuntime, type WasmEvalOptions, type WasmRuntimeOptions } from './wasm-runtime';
import type { BuiltinReply, WorkerInit, WorkerReply, WorkerRequest } from './wasm-worker';

export { WasmModuleError, type WasmEvalOptions, type WasmRuntimeOptions } from './wasm-runtime';

export interface WasmPolicy {
  /** Entrypoints the module exports, e.g. 'example/allow' (sorted). */
  readonly entrypoints: string[];
  /** Built-ins the module calls on its host (sorted). */
  readonly builtins: string[];
  /** Evaluates in this thread; undefined when the result set is empty. Throws RegoError. */
  evaluate(entrypoint: string, input: unknown, opts?: WasmEvalOptions): unknown | undefined;
  /** Evaluates on a worker thread; past `opts.timeoutMs` rejects with eval_cancel_error. */
  evaluateIsolated(entrypoint: string, input: unknown, opts?: WasmEvalOptions): Promise<unknown | undefined>;
  /** Thread id of the worker serving evaluateIsolated(), while one runs (started on demand). */
  readonly workerThreadId: number | undefined;
  /** Stops the worker, if one was started; pending isolated evaluations reject. */
  close(): Promise<void>;
}

export interface WasmLoadOptions extends WasmRuntimeOptions {
  /** The worker is stopped after this long without isolated evaluations (default 60 s). */
  workerIdleMs?: number;
}

/** A reason to reject an upload, in the shape of the bundle validator's problems. */
export interface WasmProblem {
  file?: string;
  message: string;
  code: 'bundle_error';
}

/**
 * Compiles and instantiates a policy.wasm with `data` loaded. Rejects with WasmModuleError when
 * the module does not fit OPA's Wasm ABI, does not instantiate, or needs a built-in Arbiter lacks.
 */
export async function loadWasmModule(bytes: Buffer, data: unknown, options: WasmLoadOptions = {}): Promise<WasmPolicy> {
  let module: WasmModule;
  try {
    module = await Wasm.compile(bytes);
  } catch (e) {
    throw new WasmModuleError(`not a valid WebAssembly module: ${(e as Error).message}`);
  }
  const runtime = new WasmRuntime(module, data, registryHost, options);
  const missing = runtime.missingBuiltins();
  if (missing.length > 0) throw new WasmModuleError(missingBuiltinsMessage(missing));
  const isolated = new IsolatedEvaluator(module, data, options);
  return {
    entrypoints: runtime.entrypoints,
    builtins: runtime.builtins,
    evaluate: (entrypoint, input, opts) => runtime.evaluate(entrypoint, input, opts),
    evaluateIsolated: (entrypoint, input, opts) => {
      if (!runtime.entrypoints.includes(entrypoint)) {
        return Promise.reject(new RegoError('eval_internal_error', `wasm module has no entrypoint "${entrypoint}"`));
      }
      return isolated.evaluate(entrypoint, input, opts ?? {});
    },
    get workerThreadId() {
      return isolated.workerThreadId;
    },
    close: () => isolated.close(),
  };
}

/**
 * Upload validation of a bundle's Wasm module against the entrypoints its manifest declares
 * for it ('a/b/allow', leading or trailing slashes ignored). Empty when the module is usable.
 */
export function validateWasm(bytes: Buffer, declaredEntrypoints: string[], file = 'policy.wasm'): WasmProblem[] {
  let module: WasmModule;
  try {
    module = new Wasm.Module(bytes);
  } catch (e) {
    return [problem(file, `not a valid WebAssembly module: ${(e as Error).message}`)];
  }
  let runtime: WasmRuntime;
  try {
    runtime = new WasmRuntime(module, {}, registryHost);
  } catch (e) {
    return [problem(file, (e as Error).message)];
  }
  const problems: WasmProblem[] = runtime.missingBuiltins().map((name) => problem(file, missingBuiltinsMessage([name])));
  for (const declared of declaredEntrypoints) {
    const entrypoint = declared.replace(/^\/+|\/+$/g, '');
    if (!runtime.entrypoints.includes(entrypoint)) {
      const exported = runtime.entrypoints.join(', ') || 'none';
      problems.push(problem(file, `manifest declares entrypoint "${entrypoint}", which the module does not export (it exports: ${exported})`));
    }
  }
  return problems;
}

function problem(file: string, message: string): WasmProblem {
  return { file, message, code: 'bundle_error' };
}

function missingBuiltinsMessage(names: string[]): string {
  const list = names.map((n) => `"${n}"`).join(', ');
  return names.length === 1
    ? `needs built-in function ${list}, which Arbiter does not provide`
    : `needs built-in functions ${list}, which Arbiter does not provide`;
}

interface Pending {
  request: WorkerRequest;
  calledAt: number;
  timer?: NodeJS.Timeout;
  /** Context of the host built-ins this evaluation calls, made when it is posted to the worker. */
  context?: EvalContext;
  /** Its deadline passed while it sat in the worker's queue: the worker skips it. */
  cancelled?: boolean;
  resolve(result: unknown): void;
  reject(error: RegoError): void;
}

const WORKER_FILE = join(__dirname, `wasm-worker${extname(__filename)}`);
/** Evaluations posted to the worker ahead of time, so it never waits for the next message. */
const WORKER_WINDOW = 8;
const CANCELLED_GRACE_MS = 50;
let nextRequestId = 1;

/**
 * Runs evaluations on a worker thread, in order, up to WORKER_WINDOW of them posted at once.
 * The first posted one is the one running. A request past its deadline is dropped from the
 * queue, skipped by the worker if it was posted but not started, or, when it is the one running,
 * the worker is terminated and a fresh one takes the requests behind it.
 */
class IsolatedEvaluator {
  private worker: Worker | null = null;
  private signal = new Int32Array(new SharedArrayBuffer(4));
  private replies: MessagePort | null = null;
  private readonly queue: Pending[] = [];
  /** Posted to the current worker, in the order it runs them. */
  private posted: Pending[] = [];
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly module: WasmModule,
    private readonly data: unknown,
    private readonly options: WasmLoadOptions,
  ) {}

  get workerThreadId(): number | undefined {
    return this.worker?.threadId;
  }

  evaluate(entrypoint: string, input: unknown, opts: WasmEvalOptions): Promise<unknown | undefined> {
    if (this.closed) return Promise.reject(new RegoError('eval_internal_error', 'wasm policy is closed'));
    return new Promise((resolve, reject) => {
      const deadlineAt = opts.timeoutMs === undefined ? undefined : Date.now() + opts.timeoutMs;
      const pending: Pending = {
        request: { id: nextRequestId++, entrypoint, input, opts, deadlineAt },
        calledAt: performance.now(),
        resolve,
        reject,
      };
      if (opts.timeoutMs !== undefined) pending.timer = setTimeout(() => this.expire(pending), opts.timeoutMs);
      this.queue.push(pending);
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const error = new RegoError('eval_internal_error', 'wasm policy is closed');
    for (const p of [...this.posted.splice(0), ...this.queue.splice(0)]) if (!p.cancelled) this.settle(p, error);
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private dispatch(): void {
    if (this.closed) return;
    if (this.queue.length === 0) {
      if (this.posted.length === 0) this.stopWhenIdle();
      return;
    }
    clearTimeout(this.idleTimer);
    const worker = this.ensureWorker();
    worker.ref();
    while (this.posted.length < WORKER_WINDOW && this.queue.length > 0) {
      const pending = this.queue.shift()!;
      const { timeoutMs } = pending.request.opts;
      const remaining = timeoutMs === undefined ? undefined : Math.max(0, timeoutMs - (performance.now() - pending.calledAt));
      pending.context = new EvalContext({ ...pending.request.opts, timeoutMs: remaining }, this.options.env ?? {}, this.print);
      this.posted.push(pending);
      worker.postMessage(pending.request);
    }
  }

  private stopWhenIdle(): void {
    const worker = this.worker;
    if (!worker) return;
    worker.unref();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.worker !== worker || this.posted.length > 0 || this.queue.length > 0) return;
      this.worker = null;
      void worker.terminate();
    }, this.options.workerIdleMs ?? 60_000);
    this.idleTimer.unref();
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const signal = new SharedArrayBuffer(4);
    const channel = new MessageChannel();
    const { memoryPages, env } = this.options;
    const init: WorkerInit = { module: this.module, data: this.data, options: { memoryPages, env }, signal, replies: channel.port1 };
    const settings = { workerData: init, transferList: [channel.port1] };
    const worker =
      extname(WORKER_FILE) === '.ts'
        ? // from source (tests, benchmarks): Worker cannot load .ts itself, tsx's require hook can
          new Worker(`require('tsx/cjs'); require(${JSON.stringify(WORKER_FILE)});`, { ...settings, eval: true })
        : new Worker(WORKER_FILE, settings);
    this.signal = new Int32Array(signal);
    this.replies = channel.port2;
    worker.on('message', (reply: WorkerReply) => this.onReply(worker, reply));
    worker.on('error', (e) => this.onWorkerFailure(worker, `wasm worker failed: ${e.message}`));
    worker.on('exit', (code) => this.onWorkerFailure(worker, `wasm worker exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  private onReply(worker: Worker, reply: WorkerReply): void {
    if (worker !== this.worker) return;
    if ('print' in reply) {
      this.print(reply.print);
      return;
    }
    if ('call' in reply) {
      this.answerBuiltinCall(reply.call.name, reply.call.args);
      return;
    }
    if ('initError' in reply) {
      this.onWorkerFailure(worker, `wasm worker could not load the module: ${reply.initError}`);
      return;
    }
    const pending = this.posted[0];
    if (!pending || pending.request.id !== reply.id) {
      this.onWorkerFailure(worker, `wasm worker answered request ${reply.id} out of order`);
      return;
    }
    this.posted.shift();
    if (pending.cancelled) {
      // already rejected when its deadline passed
    } else if ('error' in reply) {
      const { code, message, location } = reply.error;
      this.settle(pending, new RegoError(code as RegoError['code'], message, location));
    } else {
      this.settle(pending, undefined, reply.defined ? reply.result : undefined);
    }
    this.watchCancelledHead();
    this.dispatch();
  }

  /**
   * The worker skips a posted request whose deadline passed, answering at once. Should it run it
   * anyway (the timer fired a millisecond before the worker's clock reached the deadline), the
   * worker is replaced.
   */
  private watchCancelledHead(): void {
    const head = this.posted[0];
    if (!head?.cancelled) return;
    const worker = this.worker;
    setTimeout(() => {
      if (this.worker !== worker || this.posted[0] !== head) return;
      this.replaceWorker();
      this.dispatch();
    }, CANCELLED_GRACE_MS).unref();
  }

  private readonly print = (message: string): void => this.options.print?.(message);

  private answerBuiltinCall(name: string, args: string[]): void {
    const context = this.posted[0]?.context;
    let reply: BuiltinReply;
    try {
      if (!context) throw new RegoError('eval_internal_error', `wasm: built-in call ${name} outside an evaluation`);
      reply = { result: registryHost.call(name, args, context) };
    } catch (e) {
      const err = e instanceof RegoError ? e : new RegoError('eval_builtin_error', `${name}: ${(e as Error).message}`);
      reply = { error: { code: err.code, message: err.rawMessage, location: err.location } };
    }
    this.replies!.postMessage(reply);
    Atomics.store(this.signal, 0, 1);
    Atomics.notify(this.signal, 0);
  }

  /** Drops the current worker; what it had not started goes back to the front of the queue. */
  private replaceWorker(): Pending | undefined {
    const worker = this.worker;
    this.worker = null;
    void worker?.terminate();
    const [running, ...notStarted] = this.posted.splice(0);
    this.queue.unshift(...notStarted.filter((p) => !p.cancelled));
    return running;
  }

  /** The worker died on its own: fail what it was running, keep serving the rest with a new one. */
  private onWorkerFailure(worker: Worker, message: string): void {
    if (worker !== this.worker) return;
    const running = this.replaceWorker();
    if (running && !running.cancelled) this.settle(running, new RegoError('eval_internal_error', message));
    this.dispatch();
  }

  private expire(pending: Pending): void {
    const error = new RegoError('eval_cancel_error', 'caller cancelled query execution');
    const at = this.posted.indexOf(pending);
    if (at === 0) {
      this.replaceWorker();
    } else if (at > 0) {
      pending.cancelled = true; // the worker sees its deadline has passed and skips it
    } else {
      const queued = this.queue.indexOf(pending);
      if (queued >= 0) this.queue.splice(queued, 1);
    }
    this.settle(pending, error);
    this.dispatch();
  }

  private settle(pending: Pending, error: RegoError | undefined, result?: unknown): void {
    if (pending.timer) clearTimeout(pending.timer);
    if (error) pending.reject(error);
    else pending.resolve(result);
  }
}
