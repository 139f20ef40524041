// Worker thread for isolated Wasm evaluation (see IsolatedEvaluator in wasm.ts): owns its own
// instance of the module, so the main thread can stop a runaway evaluation by terminating it.
// Host built-in calls go back to the main thread (the registry cannot be loaded here, see
// wasm-host.ts): the worker posts the call, blocks on a shared flag, then takes the reply off
// its reply port synchronously.
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { RegoError, type Location, type RegoErrorCode } from '../rego/errors';
import type { WasmModule } from './wasm-api';
import { WasmRuntime, toRegoError, type BuiltinHost, type WasmEvalOptions, type WasmRuntimeOptions } from './wasm-runtime';

export interface WorkerInit {
  /** The compiled module (structured clone shares the compiled code, no second compile). */
  module: WasmModule;
  data: unknown;
  options: Omit<WasmRuntimeOptions, 'print'>;
  /** An Int32Array's buffer: the main thread sets [0] to 1 once a built-in reply is on `replies`. */
  signal: SharedArrayBuffer;
  replies: MessagePort;
}

export interface WorkerRequest {
  id: number;
  entrypoint: string;
  input: unknown;
  opts: WasmEvalOptions;
  /** Epoch milliseconds; a request still waiting past it is answered with eval_cancel_error unrun. */
  deadlineAt?: number;
}

export interface WireError {
  code: string;
  message: string;
  location?: Location;
}

export type WorkerReply =
  | { id: number; defined: boolean; result?: unknown }
  | { id: number; error: WireError }
  | { call: { name: string; args: string[] } }
  | { print: string }
  | { initError: string };

export type BuiltinReply = { result?: string } | { error: WireError };

const port = parentPort!;
const init = workerData as WorkerInit;
const signal = new Int32Array(init.signal);
const send = (reply: WorkerReply): void => port.postMessage(reply);

const forwardToMainThread: BuiltinHost = {
  provides: () => true, // the main thread checked the module's built-ins before starting this worker
  call(name, args) {
    Atomics.store(signal, 0, 0);
    send({ call: { name, args } });
    Atomics.wait(signal, 0, 0);
    const reply = receiveMessageOnPort(init.replies)?.message as BuiltinReply | undefined;
    if (!reply) throw new RegoError('eval_internal_error', `wasm: no answer to built-in call ${name}`);
    if ('error' in reply) throw new RegoError(reply.error.code as RegoErrorCode, reply.error.message, reply.error.location);
    return reply.result;
  },
};

let runtime: WasmRuntime | null = null;
try {
  runtime = new WasmRuntime(init.module, init.data, forwardToMainThread, {
    ...init.options,
    print: (message) => send({ print: message }),
  });
} catch (e) {
  send({ initError: (e as Error).message });
}

port.on('message', (req: WorkerRequest) => {
  if (!runtime) return;
  if (req.deadlineAt !== undefined && Date.now() > req.deadlineAt) {
    send({ id: req.id, error: { code: 'eval_cancel_error', message: 'caller cancelled query execution' } });
    return;
  }
  try {
    const result = runtime.evaluate(req.entrypoint, req.input, req.opts);
    send({ id: req.id, defined: result !== undefined, result });
  } catch (e) {
    const err = toRegoError(e);
    send({ id: req.id, error: { code: err.code, message: err.rawMessage, location: err.location } });
  }
});
