// Registry changes of a tenant: publish a version, activate one (also a rollback), deactivate a
// bundle. Each checks first, writes the store second and swaps the tenant's PolicySet last, so a
// rejected change stores nothing and an accepted one is served at once. Changes of one tenant run
// one after another (within this process), so "the other active bundles" stay what was checked.

import { createHash } from 'node:crypto';
import type { BundleVersionMeta, Store } from '../store/types';
import type { Engine } from './engine';
import type { BundleLimits, BundleProblem, ParsedBundle } from './ports';

export interface Problem {
  code: string;
  message: string;
  location?: { file: string; row: number; col: number };
}

/** A bundle that cannot be stored or activated, with every reason found. */
export class BundleRejectedError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`bundle rejected: ${problems.map((p) => p.message).join('; ')}`);
    this.name = 'BundleRejectedError';
  }
}

/** Told of every accepted change of an active version and every rejected bundle (metrics). */
export interface RegistryObserver {
  changed(tenant: string, bundle: string, change: 'activate' | 'deactivate'): void;
  rejected(tenant: string, bundle: string): void;
}

export class Registry {
  private readonly locks = new Map<string, Promise<unknown>>();
  observer?: RegistryObserver;
  /** Extra checks of an upload before it is stored (a tenant's signing policy); problems reject it. */
  uploadCheck?: (tenant: string, bundle: ParsedBundle) => Promise<BundleProblem[]>;

  constructor(
    private readonly store: Store,
    private readonly engine: Engine,
    private readonly limits: BundleLimits,
  ) {}

  /** Validates and stores a new version; activates it unless `activate` is false. */
  publish(req: { tenant: string; bundle: string; archive: Buffer; activate: boolean; createdBy: string }): Promise<BundleVersionMeta> {
    return this.exclusive(req.tenant, req.bundle, req.activate ? 'activate' : undefined, async () => {
      const parsed = await this.read(req.archive);
      const digest = 'sha256:' + createHash('sha256').update(req.archive).digest('hex');
      const others = await this.engine.otherActiveRoots(req.tenant, req.bundle);
      const problems = [
        ...(await this.engine.deps.bundles.validateBundle(parsed, { otherActiveRoots: others, name: req.bundle })),
        ...this.wasmProblems(parsed),
        ...(this.uploadCheck ? await this.uploadCheck(req.tenant, parsed) : []),
      ];
      if (problems.length > 0) throw new BundleRejectedError(problems.map(bundleProblem));
      if (req.activate) await this.prepare(req.tenant, { replace: { name: req.bundle, digest, parsed } });
      const meta = await this.store.addBundleVersion({
        tenant: req.tenant,
        bundle: req.bundle,
        revision: typeof parsed.manifest.revision === 'string' ? parsed.manifest.revision : '',
        digest,
        size: req.archive.length,
        created_by: req.createdBy,
        manifest: { ...parsed.manifest },
        archive: req.archive,
        activate: req.activate,
      });
      if (req.activate) await this.engine.reload(req.tenant, true);
      return meta;
    });
  }

  /** Makes a stored version the active one; undefined when there is no such version. */
  activate(tenant: string, bundle: string, version: number): Promise<BundleVersionMeta | undefined> {
    return this.exclusive(tenant, bundle, 'activate', async () => {
      const found = await this.store.getBundleVersion(tenant, bundle, version);
      if (!found) return undefined;
      const parsed = await this.read(found.archive);
      const others = await this.engine.otherActiveRoots(tenant, bundle);
      // The version was valid when stored; only what depends on the other bundles can have changed.
      const problems = await this.engine.deps.bundles.validateBundle(parsed, { otherActiveRoots: others, name: bundle, runTests: false });
      if (problems.length > 0) throw new BundleRejectedError(problems.map(bundleProblem));
      await this.prepare(tenant, { replace: { name: bundle, digest: found.meta.digest, parsed } });
      const meta = await this.store.activateBundleVersion(tenant, bundle, version);
      await this.engine.reload(tenant, true);
      return meta;
    });
  }

  /** Deactivates a bundle (its versions are kept); false when it had no active version. */
  deactivate(tenant: string, bundle: string): Promise<boolean> {
    return this.exclusive(tenant, bundle, 'deactivate', async () => {
      const versions = await this.store.listBundleVersions(tenant, bundle);
      if (!versions.some((v) => v.active)) return false;
      await this.prepare(tenant, { remove: bundle });
      await this.store.deactivateBundle(tenant, bundle);
      await this.engine.reload(tenant, true);
      return true;
    });
  }

  private wasmProblems(parsed: ParsedBundle): BundleProblem[] {
    const check = this.engine.deps.validateWasm;
    if (!check) return [];
    const out: BundleProblem[] = [];
    for (const w of parsed.wasm) {
      const path = w.path.replace(/^\/+/, '');
      const entrypoints = (parsed.manifest.wasm ?? []).filter((e) => e.module.replace(/^\/+/, '') === path).map((e) => e.entrypoint);
      out.push(...check(w.bytes, entrypoints, path));
    }
    return out;
  }

  private async read(archive: Buffer): Promise<ParsedBundle> {
    try {
      return await this.engine.deps.bundles.readBundle(archive, this.limits);
    } catch (e) {
      const problems = (e as { problems?: unknown }).problems;
      if (Array.isArray(problems)) throw new BundleRejectedError((problems as BundleProblem[]).map(bundleProblem));
      throw e;
    }
  }

  private async prepare(tenant: string, change: Parameters<Engine['prepare']>[1]): Promise<void> {
    try {
      await this.engine.prepare(tenant, change);
    } catch (e) {
      const items = (e as { errors?: Problem[] }).errors;
      if ((e as Error).name === 'RegoError' && Array.isArray(items)) {
        throw new BundleRejectedError(
          items.map((i) => ({ code: i.code, message: i.message, ...(i.location ? { location: { file: i.location.file, row: i.location.row, col: i.location.col } } : {}) })),
        );
      }
      throw e;
    }
  }

  private exclusive<T>(tenant: string, bundle: string, change: 'activate' | 'deactivate' | undefined, work: () => Promise<T>): Promise<T> {
    const task = async () => {
      let result: T;
      try {
        result = await work();
      } catch (e) {
        if (e instanceof BundleRejectedError) this.observer?.rejected(tenant, bundle);
        throw e;
      }
      if (change && result !== undefined && result !== false) this.observer?.changed(tenant, bundle, change);
      return result;
    };
    const previous = this.locks.get(tenant) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    this.locks.set(tenant, settled);
    void settled.then(() => {
      if (this.locks.get(tenant) === settled) this.locks.delete(tenant);
    });
    return next;
  }
}

function bundleProblem(p: BundleProblem): Problem {
  const out: Problem = { code: p.code ?? 'bundle_error', message: p.message };
  if (p.file !== undefined) out.location = { file: p.file, row: p.row ?? 0, col: p.col ?? 0 };
  return out;
}
