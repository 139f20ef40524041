// One instance of a policy.wasm module, driven through @open-policy-agent/opa-wasm's LoadedPolicy
// (setData / evaluate: the SDK's heap and JSON exchange with the module).
//
// The module is instantiated here rather than by the SDK's loadPolicy because the SDK resolves
// a built-in from its own small table (sprintf via sprintf-js, regex.split, yaml.*, json.is_valid)
// before any custom one, and its sprintf does not speak Go's verbs (%v). Arbiter answers every
// host built-in from its own registry instead, with Arbiter's error semantics
// (strict-builtin-errors), its clock, and print() routed to a callback instead of stdout.

import { LoadedPolicy } from '@open-policy-agent/opa-wasm';
import type { BuiltinContext } from '../rego/builtins/registry';
import { RegoError, type Location, type RegoErrorCode } from '../rego/errors';
import { RObject, RSet, stringifyJSON } from '../rego/eval/values';
import { Wasm, type WasmExports, type WasmGlobal, type WasmImports, type WasmMemory, type WasmModule } from './wasm-api';

export interface WasmRuntimeOptions {
  /** Initial and maximum linear memory in 64 KiB pages (defaults 5 and 4096, i.e. 256 MiB). */
  memoryPages?: { initial?: number; maximum?: number };
  /** Environment visible to opa.runtime() in host built-ins. */
  env?: Record<string, string>;
  /** Receives print() output and opa_println messages. */
  print?: (message: string) => void;
}

export interface WasmEvalOptions {
  /** Built-in errors fail the evaluation instead of making the call undefined. */
  strictBuiltinErrors?: boolean;
  /** The deadline; past it a host built-in call fails with eval_cancel_error (and an isolated evaluation is stopped). */
  timeoutMs?: number;
  /** Fixes time.now_ns() for this evaluation (nanoseconds since the epoch). */
  nowNs?: bigint;
}

/** The functions a module may import, as OPA's Wasm ABI defines them. */
const HOST_FUNCTIONS = new Set([
  'opa_abort',
  'opa_println',
  'opa_builtin0',
  'opa_builtin1',
  'opa_builtin2',
  'opa_builtin3',
  'opa_builtin4',
]);

const COMMON_EXPORTS = [
  'builtins',
  'entrypoints',
  'opa_malloc',
  'opa_heap_ptr_get',
  'opa_heap_ptr_set',
  'opa_json_parse',
  'opa_json_dump',
];
const CONTEXT_EXPORTS = [
  'opa_eval_ctx_new',
  'opa_eval_ctx_set_input',
  'opa_eval_ctx_set_data',
  'opa_eval_ctx_set_entrypoint',
  'opa_eval_ctx_get_result',
  'eval',
];

/** A module that cannot serve as an OPA policy: the reason is the message. */
export class WasmModuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WasmModuleError';
  }
}

/**
 * Problems visible without instantiating: imports outside the ABI. Returns messages.
 */
export function checkImports(module: WasmModule): string[] {
  const problems: string[] = [];
  for (const imp of Wasm.Module.imports(module)) {
    const ok =
      imp.module === 'env' &&
      ((imp.kind === 'memory' && imp.name === 'memory') || (imp.kind === 'function' && HOST_FUNCTIONS.has(imp.name)));
    if (!ok) problems.push(`imports ${imp.kind} ${imp.module}.${imp.name}, which OPA's Wasm ABI does not provide`);
  }
  return problems;
}

function exportedNumber(exports: WasmExports, name: string): number | undefined {
  const g = exports[name] as WasmGlobal | number | undefined;
  if (g === undefined) return undefined;
  return typeof g === 'number' ? g : Number(g.value);
}

function abortError(message: string): RegoError {
  // OPA's runtime errors read "file:row:col: message".
  const m = /^(.*?):(\d+):(\d+): (.*)$/s.exec(message);
  const text = m ? m[4] : message;
  const location: Location | undefined = m ? { file: m[1], row: Number(m[2]), col: Number(m[3]) } : undefined;
  const code: RegoErrorCode = /conflict|multiple outputs/.test(text) ? 'eval_conflict_error' : 'eval_internal_error';
  return new RegoError(code, text, location);
}

/** Turns whatever a module, the SDK or a host function threw into a RegoError. */
export function toRegoError(e: unknown): RegoError {
  if (e instanceof RegoError) return e;
  if (e instanceof Error) return new RegoError('eval_internal_error', `wasm: ${e.message}`);
  return new RegoError('eval_internal_error', `wasm: ${String(e)}`);
}

/** One evaluation's state, visible to the host built-ins it calls. */
export class EvalContext implements BuiltinContext {
  readonly nowNs: bigint;
  readonly strict: boolean;
  readonly cache = new Map<string, unknown>();
  private readonly deadline: number;

  constructor(
    opts: WasmEvalOptions,
    readonly env: Record<string, string>,
    private readonly printer: (message: string) => void,
  ) {
    this.nowNs = opts.nowNs ?? BigInt(Date.now()) * 1_000_000n;
    this.strict = opts.strictBuiltinErrors ?? false;
    this.deadline = opts.timeoutMs !== undefined ? performance.now() + opts.timeoutMs : Infinity;
  }

  print(message: string): void {
    this.printer(message);
  }

  checkBudget(): void {
    if (performance.now() > this.deadline) throw new RegoError('eval_cancel_error', 'caller cancelled query execution');
  }
}

/**
 * Answers the module's host built-in calls. Arguments and result cross as JSON text, as in OPA's
 * own SDKs; undefined means the call has no result. Throws RegoError to fail the evaluation.
 */
export interface BuiltinHost {
  provides(name: string): boolean;
  call(name: string, args: string[], ctx: EvalContext): string | undefined;
}

const utf8 = new TextDecoder();
const noPrint = (): void => {};

export class WasmRuntime {
  readonly entrypoints: string[];
  /** Names of the built-ins the module calls on its host. */
  readonly builtins: string[];
  private readonly builtinById = new Map<number, string>();
  private readonly sdk: LoadedPolicy;
  private readonly memory: WasmMemory;
  private readonly exports: Record<string, (...args: number[]) => number>;
  private current: EvalContext | null = null;

  /**
   * Instantiates a compiled module and loads `data` into it. Throws WasmModuleError when the
   * module does not fit OPA's Wasm ABI or does not instantiate.
   */
  constructor(
    module: WasmModule,
    data: unknown,
    private readonly host: BuiltinHost,
    private readonly options: WasmRuntimeOptions = {},
  ) {
    const importProblems = checkImports(module);
    if (importProblems.length > 0) throw new WasmModuleError(`does not instantiate: ${importProblems.join('; ')}`);
    const memory = new Wasm.Memory({
      initial: options.memoryPages?.initial ?? 5,
      maximum: options.memoryPages?.maximum ?? 4096,
    });
    this.memory = memory;
    let instance: { exports: WasmExports };
    try {
      instance = new Wasm.Instance(module, this.hostImports(memory));
    } catch (e) {
      throw new WasmModuleError(`does not instantiate: ${(e as Error).message}`);
    }
    const exports = instance.exports;
    this.exports = exports as unknown as Record<string, (...args: number[]) => number>;
    const abi = exportedNumber(exports, 'opa_wasm_abi_version');
    if (abi !== 1) throw new WasmModuleError(`OPA Wasm ABI version ${abi ?? '(not exported)'} is not supported (need 1)`);
    const minor = exportedNumber(exports, 'opa_wasm_abi_minor_version') ?? 0;
    const required = [...COMMON_EXPORTS, ...(minor >= 2 ? ['opa_eval'] : CONTEXT_EXPORTS)];
    const missing = required.filter((name) => typeof exports[name] !== 'function');
    if (missing.length > 0) {
      throw new WasmModuleError(`does not export ${missing.join(', ')} (required by OPA's Wasm ABI 1.${minor})`);
    }
    try {
      const builtins = JSON.parse(this.readString(memory, this.exports.opa_json_dump(this.exports.builtins())));
      for (const [name, id] of Object.entries(builtins as Record<string, number>)) this.builtinById.set(id, name);
      this.builtins = Object.keys(builtins).sort();
      this.sdk = new LoadedPolicy(instance as never, memory as never, minor);
      this.entrypoints = Object.keys(this.sdk.entrypoints as Record<string, number>).sort();
      this.setData(data);
    } catch (e) {
      if (e instanceof WasmModuleError) throw e;
      throw new WasmModuleError(`does not initialise: ${toRegoError(e).rawMessage}`);
    }
  }

  /** Built-ins the module needs that the host does not provide. */
  missingBuiltins(): string[] {
    return this.builtins.filter((name) => !this.host.provides(name));
  }

  setData(data: unknown): void {
    this.sdk.setData(encodeJSON(data ?? {}));
  }

  /**
   * Evaluates one entrypoint; undefined when the result set is empty. Throws RegoError: the
   * module's runtime errors (conflicts: eval_conflict_error), built-in errors in strict mode,
   * eval_cancel_error past the deadline, eval_internal_error for traps.
   */
  evaluate(entrypoint: string, input: unknown, opts: WasmEvalOptions = {}): unknown | undefined {
    if (!this.entrypoints.includes(entrypoint)) {
      throw new RegoError('eval_internal_error', `wasm module has no entrypoint "${entrypoint}"`);
    }
    this.current = new EvalContext(opts, this.options.env ?? {}, this.options.print ?? noPrint);
    try {
      // Input goes in as JSON text: the SDK skips falsy inputs (false, 0, "", null) otherwise.
      const resultSet = this.sdk.evaluate(input === undefined ? undefined : encodeJSON(input), entrypoint) as {
        result: unknown;
      }[];
      if (!Array.isArray(resultSet) || resultSet.length === 0) return undefined;
      return resultSet[0].result;
    } catch (e) {
      throw toRegoError(e);
    } finally {
      this.current = null;
    }
  }

  private hostImports(memory: WasmMemory): WasmImports {
    const call = (id: number, args: number[]): number => this.callBuiltin(id, args);
    return {
      env: {
        memory,
        opa_abort: (addr: number) => {
          throw abortError(this.readString(memory, addr));
        },
        opa_println: (addr: number) => (this.options.print ?? noPrint)(this.readString(memory, addr)),
        opa_builtin0: (id: number) => call(id, []),
        opa_builtin1: (id: number, _ctx: number, a: number) => call(id, [a]),
        opa_builtin2: (id: number, _ctx: number, a: number, b: number) => call(id, [a, b]),
        opa_builtin3: (id: number, _ctx: number, a: number, b: number, c: number) => call(id, [a, b, c]),
        opa_builtin4: (id: number, _ctx: number, a: number, b: number, c: number, d: number) => call(id, [a, b, c, d]),
      },
    };
  }

  private readString(memory: WasmMemory, addr: number): string {
    const bytes = new Uint8Array(memory.buffer);
    let end = addr;
    while (end < bytes.length && bytes[end] !== 0) end++;
    return utf8.decode(bytes.subarray(addr, end));
  }

  /** Answers opa_builtinN through the host. */
  private callBuiltin(id: number, argAddrs: number[]): number {
    const ctx = this.current;
    if (!ctx) throw new RegoError('eval_internal_error', 'wasm: built-in called outside an evaluation');
    const name = this.builtinById.get(id) ?? `#${id}`;
    const args = argAddrs.map((addr) => this.readString(this.memory, this.exports.opa_json_dump(addr)));
    const result = this.host.call(name, args, ctx);
    return result === undefined ? 0 : this.loadJSON(result);
  }

  private loadJSON(text: string): number {
    const bytes = Buffer.from(text, 'utf8');
    const addr = this.exports.opa_malloc(bytes.length);
    new Uint8Array(this.memory.buffer).set(bytes, addr);
    const value = this.exports.opa_json_parse(addr, bytes.length);
    if (value === 0) throw new RegoError('eval_internal_error', 'wasm: module rejected a built-in result as JSON');
    return value;
  }
}

/** JSON text as an ArrayBuffer, the form the SDK passes through unchanged; bigints stay exact. */
function encodeJSON(value: unknown): ArrayBuffer {
  let text: string;
  try {
    // Rego values (RObject, RSet) need toJSON; plain JSON takes the fast path.
    text = value instanceof RObject || value instanceof RSet ? stringifyJSON(value) : JSON.stringify(value);
  } catch {
    text = stringifyJSON(value); // bigints: JSON.stringify refuses them, stringifyJSON prints them exactly
  }
  return utf8Encoder.encode(text).buffer as ArrayBuffer;
}

const utf8Encoder = new TextEncoder();
