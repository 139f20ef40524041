// What the engine layer needs from the parts below it (Rego compiler, bundle reader, Wasm loader),
// stated as small structural types. src/main.ts (and tests) pass the real implementations; the
// engine never imports a concrete one, so it can be tested and reasoned about on its own.

import type { Value } from '../rego/eval/values';

export interface EvalOptions {
  input?: Value;
  data?: Value;
  strictBuiltinErrors?: boolean;
  timeoutMs?: number;
}

export interface CompiledPolicy {
  readonly packages: string[];
  evaluate(path: string, options?: EvalOptions): Value | undefined;
  ruleNames(): string[];
}

export interface ModuleSource {
  file: string;
  source: string;
  regoVersion?: 0 | 1;
}

export type CompileFn = (modules: ModuleSource[], options?: { regoVersion?: 0 | 1 }) => CompiledPolicy;

export interface BundleManifest {
  revision?: string;
  roots?: string[];
  rego_version?: number;
  wasm?: { entrypoint: string; module: string }[];
  metadata?: unknown;
}

export interface ParsedBundle {
  manifest: BundleManifest;
  modules: { path: string; source: string; regoVersion?: 0 | 1 }[];
  data: Record<string, unknown>;
  wasm: { path: string; bytes: Buffer }[];
  /** Every file as read (signature checks of uploads need them). */
  files?: { path: string; content: Buffer }[];
}

export interface BundleProblem {
  code?: string;
  file?: string;
  row?: number;
  col?: number;
  message: string;
}

export interface BundleLimits {
  maxCompressedBytes?: number;
  maxUncompressedBytes?: number;
  maxFiles?: number;
}

export interface BundleTools {
  readBundle(archive: Buffer, limits?: BundleLimits): Promise<ParsedBundle>;
  validateBundle(
    bundle: ParsedBundle,
    options: { otherActiveRoots: { name: string; roots: string[] }[]; name?: string; runTests?: boolean },
  ): BundleProblem[] | Promise<BundleProblem[]>;
}

export interface WasmPolicy {
  entrypoints: string[];
  evaluate(entrypoint: string, input: unknown): unknown | undefined;
  /** Evaluates off the event loop with a hard deadline (a module that spins is stopped). */
  evaluateIsolated?(entrypoint: string, input: unknown, opts?: { timeoutMs?: number; strictBuiltinErrors?: boolean }): Promise<unknown | undefined>;
  /** Releases what evaluateIsolated started. */
  close?(): Promise<void>;
}

export type LoadWasmFn = (bytes: Buffer, data: unknown) => Promise<WasmPolicy>;

/** Upload check of a Wasm module against the entrypoints the manifest declares for it. */
export type ValidateWasmFn = (bytes: Buffer, declaredEntrypoints: string[], file: string) => BundleProblem[];

export interface EngineDeps {
  compile: CompileFn;
  bundles: BundleTools;
  loadWasm?: LoadWasmFn;
  validateWasm?: ValidateWasmFn;
}
