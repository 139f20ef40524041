// Worker thread for isolated Wasm evaluation (see IsolatedEvaluator in wasm.ts): owns its own
// instance of the module, so the main thread can stop a runaway evaluation by terminating it.
import { parentPort, workerData } from 'node:worker_threads';
import { Wasm } from './wasm-api';
import { WasmRuntime, toRegoError, type WasmEvalOptions, type WasmRuntimeOptions } from './wasm-runtime';

export interface WorkerInit {
  bytes: Uint8Array;
  data: unknown;
  options: Omit<WasmRuntimeOptions, 'print'>;
}

export interface WorkerRequest {
  id: number;
  entrypoint: string;
  input: unknown;
  opts: WasmEvalOptions;
}

export type WorkerReply =
  | { id: number; defined: boolean; result?: unknown }
  | { id: number; error: { code: string; message: string; location?: { file: string; row: number; col: number } } }
  | { print: string }
  | { initError: string };

const port = parentPort!;
const init = workerData as WorkerInit;
const send = (reply: WorkerReply): void => port.postMessage(reply);

let runtime: WasmRuntime | null = null;
try {
  runtime = new WasmRuntime(new Wasm.Module(init.bytes), init.data, {
    ...init.options,
    print: (message) => send({ print: message }),
  });
} catch (e) {
  send({ initError: (e as Error).message });
}

port.on('message', (req: WorkerRequest) => {
  if (!runtime) return;
  try {
    const result = runtime.evaluate(req.entrypoint, req.input, req.opts);
    send({ id: req.id, defined: result !== undefined, result });
  } catch (e) {
    const err = toRegoError(e);
    send({ id: req.id, error: { code: err.code, message: err.rawMessage, location: err.location } });
  }
});
