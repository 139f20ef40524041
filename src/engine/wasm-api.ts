// Node's WebAssembly global, typed: @types/node 20 does not declare it and the DOM lib would bring
// the whole browser into scope. Only what the Wasm loader uses.

export type WasmExports = Record<string, unknown>;
export type WasmImports = Record<string, Record<string, unknown>>;

export interface WasmModule {
  readonly __brand?: 'WebAssembly.Module';
}

export interface WasmInstance {
  readonly exports: WasmExports;
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface WasmGlobal {
  readonly value: unknown;
}

export interface WasmImportDescriptor {
  module: string;
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
}

interface WebAssemblyApi {
  Module: { new (bytes: Uint8Array): WasmModule; imports(module: WasmModule): WasmImportDescriptor[] };
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

export const Wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
