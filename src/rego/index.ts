// The Rego engine's public API: parse, compile, evaluate. Pure: no I/O, no service knowledge.

import './builtins';
import { compileParsed } from './compile/compiler';
import { RegoError } from './errors';
import { CompiledPolicy, type Policy } from './eval/policy';
import type { Module } from './syntax/ast';
import { parseModuleSource } from './syntax/parser';

export { RegoError } from './errors';
export type { RegoErrorCode, RegoErrorItem, Location } from './errors';
export * from './eval/values';
export type { Policy, EvalOptions } from './eval/policy';
export type { Module as ParsedModule } from './syntax/ast';

export interface ModuleSource {
  file: string;
  source: string;
  regoVersion?: 0 | 1;
}

export interface CompileOptions {
  /** Syntax of modules that do not say their own; default 1. */
  regoVersion?: 0 | 1;
}

export function parseModule(file: string, source: string, regoVersion: 0 | 1 = 1): Module {
  return parseModuleSource(file, source, regoVersion);
}

/** Compiles modules together; throws one RegoError carrying every error found. */
export function compileModules(modules: ModuleSource[], options: CompileOptions = {}): Policy {
  const parsed: Module[] = [];
  const errors: RegoError['errors'] = [];
  for (const m of modules) {
    try {
      parsed.push(parseModuleSource(m.file, m.source, m.regoVersion ?? options.regoVersion ?? 1));
    } catch (e) {
      if (e instanceof RegoError) errors.push(...e.errors);
      else if (e instanceof RangeError) errors.push({ code: 'rego_parse_error', message: 'expression nesting too deep', location: { file: m.file, row: 1, col: 1 } });
      else throw e;
    }
  }
  if (errors.length > 0) throw RegoError.fromItems(errors);
  try {
    return new CompiledPolicy(compileParsed(parsed));
  } catch (e) {
    if (e instanceof RangeError) throw new RegoError('rego_compile_error', 'policy nesting too deep to compile');
    throw e;
  }
}
