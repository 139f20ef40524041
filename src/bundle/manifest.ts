// The `.manifest` file: parsed, type-checked field by field, defaults applied as OPA does
// (roots default to [""], meaning the bundle owns all of data; roots trimmed of '/').

import { JSONSyntaxError, parseRawJSON } from './json';
import type { Problem } from './errors';
import { normalizeRoot } from './paths';

export interface WasmResolver {
  entrypoint: string;
  module: string;
  annotations?: unknown[];
}

// A type alias (not an interface) so a Manifest is assignable to index-signature types such as
// Record<string, unknown>, which is how the store keeps it.
export type Manifest = {
  revision: string;
  roots: string[];
  rego_version?: 0 | 1;
  file_rego_versions?: Record<string, 0 | 1>;
  wasm?: WasmResolver[];
  metadata?: Record<string, unknown>;
};

export function defaultManifest(): Manifest {
  return { revision: '', roots: [''] };
}

/** Parses a manifest; every problem is pushed to `problems` and the defaults fill its place. */
export function parseManifest(file: string, text: string, problems: Problem[]): Manifest {
  const manifest = defaultManifest();
  let raw: unknown;
  try {
    // Plain numbers (no bigint): the manifest is stored as JSON with each version.
    raw = JSON.parse(text);
  } catch (parseError) {
    // The positional parser locates the error.
    try {
      parseRawJSON(text);
      problems.push({ file, message: `bundle load failed on manifest decode: ${(parseError as Error).message}`, code: 'bundle_error' });
    } catch (e) {
      if (!(e instanceof JSONSyntaxError)) throw e;
      problems.push({ file, row: e.row, col: e.col, message: `bundle load failed on manifest decode: ${e.message}`, code: 'bundle_error' });
    }
    return manifest;
  }
  const bad = (message: string) => problems.push({ file, message: `bundle load failed on manifest decode: ${message}`, code: 'bundle_error' });
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    bad('the manifest must be a JSON object');
    return manifest;
  }
  const m = raw as Record<string, unknown>;

  if (m.revision !== undefined && m.revision !== null) {
    if (typeof m.revision === 'string') manifest.revision = m.revision;
    else bad('"revision" must be a string');
  }
  if (m.roots !== undefined && m.roots !== null) {
    if (Array.isArray(m.roots) && m.roots.every((r) => typeof r === 'string')) manifest.roots = (m.roots as string[]).map(normalizeRoot);
    else bad('"roots" must be an array of strings');
  }
  if (m.rego_version !== undefined && m.rego_version !== null) {
    if (m.rego_version === 0 || m.rego_version === 1) manifest.rego_version = m.rego_version;
    else bad(`"rego_version" must be 0 or 1, got ${JSON.stringify(m.rego_version)}`);
  }
  if (m.file_rego_versions !== undefined && m.file_rego_versions !== null) {
    const f = m.file_rego_versions;
    if (typeof f === 'object' && !Array.isArray(f) && Object.values(f).every((v) => v === 0 || v === 1)) {
      manifest.file_rego_versions = f as Record<string, 0 | 1>;
    } else bad('"file_rego_versions" must map file patterns to 0 or 1');
  }
  if (m.wasm !== undefined && m.wasm !== null) {
    if (Array.isArray(m.wasm) && m.wasm.every(isWasmResolver)) manifest.wasm = m.wasm as WasmResolver[];
    else bad('"wasm" must be an array of {"entrypoint": string, "module": string}');
  }
  if (m.metadata !== undefined && m.metadata !== null) {
    if (typeof m.metadata === 'object' && !Array.isArray(m.metadata)) manifest.metadata = m.metadata as Record<string, unknown>;
    else bad('"metadata" must be an object');
  }
  return manifest;
}

function isWasmResolver(x: unknown): boolean {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const r = x as Record<string, unknown>;
  return typeof r.entrypoint === 'string' && typeof r.module === 'string' && (r.annotations === undefined || Array.isArray(r.annotations));
}
