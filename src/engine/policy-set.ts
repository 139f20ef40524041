// A tenant's active policy: every active bundle version compiled together, their data merged, and
// the Wasm entrypoints they declare. Immutable once built: the engine swaps whole PolicySets, and a
// request keeps the one it started with, so it is answered entirely by the old or the new version.

import { fromJSON, RObject, RSet, toJSON, type Value } from '../rego/eval/values';
import type { CompiledPolicy, EngineDeps, ModuleSource, ParsedBundle, WasmPolicy } from './ports';

export interface BundleRef {
  name: string;
  version: number;
  revision: string;
  digest: string;
}

/** The compiled part, keyed by the bundle digests it was built from, so it can be reused. */
export interface CompiledBundles {
  key: string;
  policy: CompiledPolicy;
  data: Value;
  wasm: Map<string, WasmPolicy>;
  /** Entrypoint -> name of the bundle whose policy.wasm answers it. */
  wasmOwners: Map<string, string>;
  ruleRefs: Set<string>;
  hasMask: boolean;
}

export interface EvalRequest {
  input?: Value;
  strictBuiltinErrors?: boolean;
  timeoutMs?: number;
}

export class PolicySet {
  private readonly provenanceMap: Record<string, { version: number; revision: string; digest: string }>;
  // Per path asked: does it hold an integer segment (decided once, not on every evaluation).
  private readonly integerPaths = new Map<string, boolean>();

  constructor(
    readonly tenant: string,
    readonly bundles: BundleRef[],
    private readonly compiled: CompiledBundles | undefined,
  ) {
    this.provenanceMap = {};
    for (const b of bundles) this.provenanceMap[b.name] = { version: b.version, revision: b.revision, digest: b.digest };
  }

  /** Bundles that answered, as the audit record and `provenance` report them. */
  get provenance(): Record<string, { version: number; revision: string; digest: string }> {
    return this.provenanceMap;
  }

  get compiledKey(): string | undefined {
    return this.compiled?.key;
  }

  get compiledBundles(): CompiledBundles | undefined {
    return this.compiled;
  }

  get hasMask(): boolean {
    return this.compiled?.hasMask ?? false;
  }

  /** Evaluates `a/b/c` (a data path without the `data.` prefix); undefined when the document is undefined. */
  evaluate(path: string, req: EvalRequest): Value | undefined {
    if (!this.compiled) return undefined;
    const wasm = this.compiled.wasm.get(path);
    if (wasm) {
      const out = wasm.evaluate(path, req.input === undefined ? undefined : toJSON(req.input));
      return out === undefined ? undefined : fromJSON(out);
    }
    return this.evaluateRego(path, req);
  }

  /**
   * As `evaluate`, but a Wasm entrypoint runs isolated under the evaluation deadline, so a module
   * that never returns cannot stall the server; that case answers with a Promise.
   */
  evaluateGuarded(path: string, req: EvalRequest): Value | undefined | Promise<Value | undefined> {
    const wasm = this.compiled?.wasm.get(path);
    if (!wasm?.evaluateIsolated) return this.evaluate(path, req);
    const input = req.input === undefined ? undefined : toJSON(req.input);
    return wasm
      .evaluateIsolated(path, input, { timeoutMs: req.timeoutMs, strictBuiltinErrors: req.strictBuiltinErrors })
      .then((out) => (out === undefined ? undefined : fromJSON(out)));
  }

  /** The bundle (and version) whose Wasm module answers `path`, when one does. */
  wasmBundleFor(path: string): BundleRef | undefined {
    const owner = this.compiled?.wasmOwners.get(path);
    return owner === undefined ? undefined : this.bundles.find((b) => b.name === owner);
  }

  /** True when the Rego modules also define `path` (so a Wasm answer can be cross-checked). */
  hasRegoRule(path: string): boolean {
    return this.compiled?.ruleRefs.has(`data.${path.split('/').join('.')}`) ?? false;
  }

  /** Evaluates with the Rego engine even where a Wasm module answers. */
  evaluateRego(path: string, req: EvalRequest): Value | undefined {
    if (!this.compiled) return undefined;
    const options = { input: req.input, data: this.compiled.data, strictBuiltinErrors: req.strictBuiltinErrors, timeoutMs: req.timeoutMs };
    // OPA turns integer path segments into number terms (`list/1` is data.list[1]); the engine's
    // path syntax has only string keys, so evaluate up to the first integer and walk the rest.
    if (!this.hasIntegerSegment(path)) return this.compiled.policy.evaluate(path, options);
    const segments = path.split('/');
    const firstInteger = segments.findIndex((s) => INTEGER.test(s));
    let value = this.compiled.policy.evaluate(segments.slice(0, firstInteger).join('/'), options);
    for (const seg of segments.slice(firstInteger)) {
      if (value === undefined) return undefined;
      value = child(value, INTEGER.test(seg) ? Number(seg) : seg);
    }
    return value;
  }

  private hasIntegerSegment(path: string): boolean {
    if (path.length > CACHED_PATH_LENGTH) return path.split('/').some((s) => INTEGER.test(s));
    let found = this.integerPaths.get(path);
    if (found === undefined) {
      found = path !== '' && path.split('/').some((s) => INTEGER.test(s));
      if (this.integerPaths.size >= PATH_CACHE_LIMIT) this.integerPaths.clear();
      this.integerPaths.set(path, found);
    }
    return found;
  }

  /** True when rules (not only base data) define the document at `path` or below it. */
  hasRulesFor(path: string): boolean {
    if (!this.compiled) return false;
    const ref = path === '' ? 'data' : `data.${path.split('/').join('.')}`;
    if (this.compiled.ruleRefs.has(ref)) return true;
    for (const r of this.compiled.ruleRefs) if (r.startsWith(ref + '.')) return true;
    return this.compiled.wasm.has(path);
  }
}

const INTEGER = /^[+-]?\d{1,15}$/;
const PATH_CACHE_LIMIT = 1000;
/** Longer paths are checked each time, so clients cannot fill the cache with large keys. */
const CACHED_PATH_LENGTH = 256;

function child(v: Value, key: string | number): Value | undefined {
  if (Array.isArray(v)) return typeof key === 'number' && Number.isInteger(key) && key >= 0 ? v[key] : undefined;
  if (v instanceof RObject) return v.get(key);
  if (v instanceof RSet) return v.has(key) ? key : undefined;
  return undefined;
}

export function bundleKey(digests: string[]): string {
  return [...digests].sort().join(',');
}

// Each bundle's data converted to a Value once (parsed bundles are cached by digest upstream), so
// recompiling a tenant after a small upload does not convert a neighbour's large data again.
const dataValues = new WeakMap<ParsedBundle, RObject>();

function bundleData(parsed: ParsedBundle): RObject {
  let v = dataValues.get(parsed);
  if (!v) {
    v = fromJSON(parsed.data) as RObject;
    dataValues.set(parsed, v);
  }
  return v;
}

/**
 * Merges two bundles' data. Roots are disjoint, so objects only meet at shared parents: only those
 * are copied (shallowly); everything below them is shared with the per-bundle values.
 */
function mergeData(a: RObject, b: RObject): RObject {
  const out = a.clone();
  b.forEach((v, k) => {
    const existing = out.get(k);
    out.set(k, existing instanceof RObject && v instanceof RObject ? mergeData(existing, v) : v);
  });
  return out;
}

/** Compiles bundles into one CompiledBundles; throws the compiler's RegoError on conflicts. */
export async function compileBundles(
  deps: EngineDeps,
  bundles: { name: string; digest: string; parsed: ParsedBundle }[],
): Promise<CompiledBundles> {
  const modules: ModuleSource[] = [];
  let data = new RObject();
  for (const b of bundles) {
    for (const m of b.parsed.modules) {
      modules.push({ file: `${b.name}/${m.path.replace(/^\/+/, '')}`, source: m.source, regoVersion: m.regoVersion });
    }
    data = mergeData(data, bundleData(b.parsed));
  }
  const policy = deps.compile(modules);
  const wasm = new Map<string, WasmPolicy>();
  const wasmOwners = new Map<string, string>();
  if (deps.loadWasm && bundles.some((b) => b.parsed.wasm.length > 0)) {
    const dataJSON = toJSON(data);
    for (const b of bundles) {
      for (const w of b.parsed.wasm) {
        const declared = (b.parsed.manifest.wasm ?? []).filter((e) => e.module.replace(/^\/+/, '') === w.path.replace(/^\/+/, ''));
        if (declared.length === 0) continue;
        const loaded = await deps.loadWasm(w.bytes, dataJSON);
        for (const e of declared) {
          const entrypoint = e.entrypoint.replace(/^\/+|\/+$/g, '');
          wasm.set(entrypoint, loaded);
          wasmOwners.set(entrypoint, b.name);
        }
      }
    }
  }
  return {
    key: bundleKey(bundles.map((b) => b.digest)),
    policy,
    data,
    wasm,
    wasmOwners,
    ruleRefs: new Set(policy.ruleNames()),
    hasMask: policy.packages.includes('system.log') && policy.ruleNames().some((r) => r === 'data.system.log.mask'),
  };
}
