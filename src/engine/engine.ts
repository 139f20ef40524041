// The engine keeps one PolicySet per tenant, built from the store's active bundle versions, and
// swaps it atomically when a tenant's bundles change. Reloads of one tenant run one after another,
// so a slow compile can never overwrite a newer one.

import type { ActiveBundle, Store } from '../store/types';
import { bundleKey, compileBundles, PolicySet, type CompiledBundles } from './policy-set';
import type { BundleLimits, EngineDeps, ParsedBundle } from './ports';

export interface CandidateBundle {
  name: string;
  digest: string;
  parsed: ParsedBundle;
}

export class Engine {
  private readonly sets = new Map<string, PolicySet>();
  private readonly queues = new Map<string, Promise<unknown>>();
  // Parsed archives of active versions, by digest, so reloads do not untar them again.
  private readonly parsedCache = new Map<string, ParsedBundle>();
  // The last compiled candidate per tenant: an upload compiles before storing, the reload after
  // storing finds the same digests and reuses it.
  private readonly compiledCache = new Map<string, CompiledBundles>();
  private readonly listeners: ((tenant: string) => void)[] = [];
  private readonly reloadListeners: ((tenant: string) => void)[] = [];

  constructor(
    private readonly store: Store,
    readonly deps: EngineDeps,
    private readonly limits: BundleLimits = {},
  ) {}

  /** The tenant's current PolicySet, or undefined when the tenant does not exist. */
  policySet(tenant: string): PolicySet | undefined {
    return this.sets.get(tenant);
  }

  /** Like policySet, but asks the store once when the tenant is not known here (created elsewhere). */
  async policySetOrLoad(tenant: string): Promise<PolicySet | undefined> {
    return this.sets.get(tenant) ?? (await this.reload(tenant));
  }

  /** Loads every tenant and its active bundles (at start). */
  async loadAll(): Promise<void> {
    const tenants = await this.store.listTenants();
    for (const t of tenants) await this.reload(t.id);
  }

  /** Called whenever a tenant's PolicySet changed here (used to tell other workers). */
  onChange(listener: (tenant: string) => void): void {
    this.listeners.push(listener);
  }

  /** Called after every rebuild of a tenant's PolicySet, whoever asked for it (wakes long polls). */
  onReload(listener: (tenant: string) => void): void {
    this.reloadListeners.push(listener);
  }

  /** Rebuilds a tenant's PolicySet from the store; drops it when the tenant no longer exists. */
  reload(tenant: string, notify = false): Promise<PolicySet | undefined> {
    return this.serialized(tenant, async () => {
      const t = await this.store.getTenant(tenant);
      if (!t) {
        this.sets.delete(tenant);
        this.compiledCache.delete(tenant);
      } else {
        const active = await this.store.listActiveBundles(tenant);
        const previous = this.sets.get(tenant);
        const next = await this.build(tenant, active);
        this.sets.set(tenant, next);
        if (previous?.compiledBundles && previous.compiledKey !== next.compiledKey) retire(previous.compiledBundles);
      }
      if (notify) for (const l of this.listeners) l(tenant);
      for (const l of this.reloadListeners) l(tenant);
      return this.sets.get(tenant);
    });
  }

  /**
   * Compiles the tenant's active bundles with `replace` swapped in (or with bundle `remove`
   * taken out) without activating anything. Throws the compiler's error when they do not compile
   * together. The result is remembered for the reload that follows the store write.
   */
  async prepare(tenant: string, change: { replace?: CandidateBundle; remove?: string }): Promise<void> {
    const active = await this.store.listActiveBundles(tenant);
    const entries: CandidateBundle[] = [];
    for (const a of active) {
      const name = a.meta.bundle;
      if (name === change.replace?.name || name === change.remove) continue;
      entries.push({ name, digest: a.meta.digest, parsed: await this.parse(a) });
    }
    if (change.replace) entries.push(change.replace);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const compiled = await compileBundles(this.deps, entries);
    if (change.replace) this.parsedCache.set(change.replace.digest, change.replace.parsed);
    this.compiledCache.set(tenant, compiled);
  }

  /** Roots of the tenant's active bundles other than `except` (for upload validation). */
  async otherActiveRoots(tenant: string, except: string): Promise<{ name: string; roots: string[] }[]> {
    const active = await this.store.listActiveBundles(tenant);
    return active
      .filter((a) => a.meta.bundle !== except)
      .map((a) => ({ name: a.meta.bundle, roots: rootsOf(a.meta.manifest) }));
  }

  private async build(tenant: string, active: ActiveBundle[]): Promise<PolicySet> {
    const sorted = [...active].sort((a, b) => (a.meta.bundle < b.meta.bundle ? -1 : a.meta.bundle > b.meta.bundle ? 1 : 0));
    const refs = sorted.map((a) => ({ name: a.meta.bundle, version: a.meta.version, revision: a.meta.revision, digest: a.meta.digest }));
    if (sorted.length === 0) {
      this.compiledCache.delete(tenant);
      return new PolicySet(tenant, [], undefined);
    }
    const key = bundleKey(refs.map((r) => r.digest));
    let compiled = this.sets.get(tenant)?.compiledKey === key ? this.sets.get(tenant)!.compiledBundles : undefined;
    const candidate = this.compiledCache.get(tenant);
    if (!compiled && candidate?.key === key) compiled = candidate;
    if (!compiled) {
      const entries: CandidateBundle[] = [];
      for (const a of sorted) entries.push({ name: a.meta.bundle, digest: a.meta.digest, parsed: await this.parse(a) });
      compiled = await compileBundles(this.deps, entries);
    }
    this.compiledCache.delete(tenant);
    this.pruneParsedCache();
    return new PolicySet(tenant, refs, compiled);
  }

  private async parse(a: ActiveBundle): Promise<ParsedBundle> {
    const cached = this.parsedCache.get(a.meta.digest);
    if (cached) return cached;
    const parsed = await this.deps.bundles.readBundle(a.archive, this.limits);
    this.parsedCache.set(a.meta.digest, parsed);
    return parsed;
  }

  // Keeps only the parsed archives of what is active somewhere, so memory stays flat across uploads.
  private pruneParsedCache(): void {
    const live = new Set<string>();
    for (const s of this.sets.values()) for (const b of s.bundles) live.add(b.digest);
    for (const c of this.compiledCache.values()) for (const d of c.key.split(',')) live.add(d);
    if (this.parsedCache.size <= live.size + 16) return;
    for (const d of this.parsedCache.keys()) if (!live.has(d)) this.parsedCache.delete(d);
  }

  private serialized<T>(tenant: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(tenant) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    this.queues.set(tenant, settled);
    void settled.then(() => {
      if (this.queues.get(tenant) === settled) this.queues.delete(tenant);
    });
    return next;
  }
}

// Requests that started on a replaced set may still be evaluating: release its Wasm workers later.
const RETIRE_AFTER_MS = 60_000;

function retire(compiled: CompiledBundles): void {
  const modules = new Set(compiled.wasm.values());
  if (modules.size === 0) return;
  setTimeout(() => {
    for (const m of modules) void m.close?.();
  }, RETIRE_AFTER_MS).unref();
}

export function rootsOf(manifest: Record<string, unknown>): string[] {
  const roots = manifest.roots;
  if (!Array.isArray(roots)) return [''];
  return roots.filter((r): r is string => typeof r === 'string').map((r) => r.replace(/^\/+|\/+$/g, ''));
}
