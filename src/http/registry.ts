// The bundle registry: upload (validate, store, optionally activate), list, fetch, activate or roll
// back, deactivate. A rejected upload answers 400 with every problem and stores nothing.

import { createHash } from 'node:crypto';
import express, { Router, type Request } from 'express';
import { rootsOf } from '../engine/engine';
import type { BundleProblem, ParsedBundle } from '../engine/ports';
import type { BundleVersionMeta } from '../store/types';
import { authorize, type Principal } from './auth';
import { readRawBody } from './body';
import { methodNotAllowed, principalOf, requireTenant, type AppDeps } from './context';
import { Errors, type ErrorItem } from './errors';
import { Routes } from './routes';

const BUNDLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function registryRouter(deps: AppDeps): Router {
  const router = Router();
  const json = express.json({ type: () => true, limit: '64kb', strict: false });
  const locks = new Map<string, Promise<unknown>>();

  // One registry change per tenant at a time, so "the other active bundles" stay what was checked.
  const exclusive = <T>(tenant: string, task: () => Promise<T>): Promise<T> => {
    const previous = locks.get(tenant) ?? Promise.resolve();
    const next = previous.then(task, task);
    const settled = next.catch(() => undefined);
    locks.set(tenant, settled);
    void settled.then(() => {
      if (locks.get(tenant) === settled) locks.delete(tenant);
    });
    return next;
  };

  const access = async (req: Request, scope: 'bundles:read' | 'bundles:write'): Promise<{ p: Principal; tenant: string; name?: string }> => {
    const p = principalOf(deps, req);
    const tenant = req.params.tenant as string;
    authorize(p, scope, tenant);
    await requireTenant(deps, tenant);
    const name = req.params.name as string | undefined;
    if (name !== undefined && !BUNDLE_NAME.test(name)) {
      throw Errors.badRequest('bundle name must be 1-128 letters, digits, dots, dashes or underscores');
    }
    return { p, tenant, name };
  };

  const parseVersion = (raw: unknown): number => {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < 1) throw Errors.badRequest('version must be a positive integer');
    return n;
  };

  router
    .route(Routes.bundles)
    .get(async (req, res) => {
      const { tenant } = await access(req, 'bundles:read');
      res.json({ result: (await deps.store.listBundles(tenant)).map(view) });
    })
    .all(methodNotAllowed);

  router
    .route(Routes.bundle)
    .put(async (req, res) => {
      const { p, tenant, name } = await access(req, 'bundles:write');
      const activate = req.query.activate !== 'false';
      const archive = await readRawBody(req, deps.limits.maxBundleBytes, () => Errors.bundleTooLarge(deps.limits.maxBundleBytes));
      if (archive.length === 0) throw Errors.badRequest('empty body: send the bundle as a tar.gz');
      const parsed = await readOrReject(deps, archive);
      const digest = 'sha256:' + createHash('sha256').update(archive).digest('hex');
      const meta = await exclusive(tenant, async () => {
        const others = await deps.engine.otherActiveRoots(tenant, name!);
        const problems = await deps.engine.deps.bundles.validateBundle(parsed, { otherActiveRoots: others });
        if (problems.length > 0) throw Errors.bundleRejected(problems.map(problemItem));
        if (activate) await prepareOrReject(deps, tenant, { replace: { name: name!, digest, parsed } });
        const stored = await deps.store.addBundleVersion({
          tenant,
          bundle: name!,
          revision: typeof parsed.manifest.revision === 'string' ? parsed.manifest.revision : '',
          digest,
          size: archive.length,
          created_by: p.sub,
          manifest: parsed.manifest as Record<string, unknown>,
          archive,
          activate,
        });
        if (activate) await deps.engine.reload(tenant, true);
        return stored;
      });
      res.status(201).json(view(meta));
    })
    .get(async (req, res) => {
      // The active version's archive, as OPA's bundle downloader fetches it.
      const p = principalOf(deps, req);
      const tenant = req.params.tenant;
      if (!p.scopes.has('agent')) authorize(p, 'bundles:read', tenant);
      else authorize(p, 'agent', tenant);
      await requireTenant(deps, tenant);
      const active = (await deps.store.listActiveBundles(tenant)).find((a) => a.meta.bundle === req.params.name);
      if (!active) throw Errors.notFound(`bundle ${req.params.name} has no active version`);
      const etag = `"${active.meta.digest}"`;
      res.setHeader('ETag', etag);
      if (req.headers['if-none-match'] === etag || req.headers['if-none-match'] === active.meta.digest) {
        res.status(304).end();
        return;
      }
      res.status(200).type('application/gzip').send(active.archive);
    })
    .delete(async (req, res) => {
      const { tenant, name } = await access(req, 'bundles:write');
      await exclusive(tenant, async () => {
        const versions = await deps.store.listBundleVersions(tenant, name!);
        if (versions.length === 0) throw Errors.notFound(`bundle ${name} not found`);
        if (!versions.some((v) => v.active)) throw Errors.notFound(`bundle ${name} has no active version`);
        await prepareOrReject(deps, tenant, { remove: name });
        await deps.store.deactivateBundle(tenant, name!);
        await deps.engine.reload(tenant, true);
      });
      res.status(204).end();
    })
    .all(methodNotAllowed);

  router
    .route(Routes.bundleVersions)
    .get(async (req, res) => {
      const { tenant, name } = await access(req, 'bundles:read');
      const versions = await deps.store.listBundleVersions(tenant, name!);
      if (versions.length === 0) throw Errors.notFound(`bundle ${name} not found`);
      res.json({ result: versions.map(view) });
    })
    .all(methodNotAllowed);

  router
    .route(Routes.bundleVersion)
    .get(async (req, res) => {
      const { tenant, name } = await access(req, 'bundles:read');
      const version = parseVersion(req.params.version);
      const found = await deps.store.getBundleVersion(tenant, name!, version);
      if (!found) throw Errors.notFound(`bundle ${name} has no version ${version}`);
      if (/application\/(x-)?gzip|application\/octet-stream/.test(req.headers.accept ?? '')) {
        res.status(200).type('application/gzip').send(found.archive);
        return;
      }
      res.json(view(found.meta));
    })
    .all(methodNotAllowed);

  router
    .route(Routes.bundleActivate)
    .post(json, async (req, res) => {
      const { tenant, name } = await access(req, 'bundles:write');
      const body = req.body as { version?: unknown } | undefined;
      if (typeof body !== 'object' || body === null) throw Errors.badRequest('body must be {"version": n}');
      const version = parseVersion(body.version);
      const meta = await exclusive(tenant, async () => {
        const found = await deps.store.getBundleVersion(tenant, name!, version);
        if (!found) throw Errors.notFound(`bundle ${name} has no version ${version}`);
        const others = await deps.engine.otherActiveRoots(tenant, name!);
        const parsed = await readOrReject(deps, found.archive);
        const overlap = await deps.engine.deps.bundles.validateBundle(parsed, { otherActiveRoots: others });
        const rootProblems = overlap.filter((pr) => /overlap/i.test(pr.message));
        if (rootProblems.length > 0) throw Errors.bundleRejected(rootProblems.map(problemItem));
        await prepareOrReject(deps, tenant, { replace: { name: name!, digest: found.meta.digest, parsed } });
        const activated = await deps.store.activateBundleVersion(tenant, name!, version);
        if (!activated) throw Errors.notFound(`bundle ${name} has no version ${version}`);
        await deps.engine.reload(tenant, true);
        return activated;
      });
      res.json(view(meta));
    })
    .all(methodNotAllowed);

  return router;
}

/** The JSON of a version's metadata. */
export function view(m: BundleVersionMeta): Record<string, unknown> {
  return {
    bundle: m.bundle,
    version: m.version,
    revision: m.revision,
    digest: m.digest,
    size: m.size,
    created_at: m.created_at,
    created_by: m.created_by,
    active: m.active,
    roots: rootsOf(m.manifest),
    manifest: m.manifest,
  };
}

function problemItem(p: BundleProblem): ErrorItem {
  const item: ErrorItem = { code: 'bundle_error', message: p.message };
  if (p.file !== undefined) item.location = { file: p.file, row: p.row ?? 0, col: p.col ?? 0 };
  return item;
}

async function readOrReject(deps: AppDeps, archive: Buffer): Promise<ParsedBundle> {
  try {
    return await deps.engine.deps.bundles.readBundle(archive, {
      maxCompressedBytes: deps.limits.maxBundleBytes,
      maxUncompressedBytes: deps.limits.maxBundleUncompressedBytes,
      maxFiles: deps.limits.maxBundleFiles,
    });
  } catch (e) {
    const problems = (e as { problems?: unknown }).problems;
    if (Array.isArray(problems)) throw Errors.bundleRejected((problems as BundleProblem[]).map(problemItem));
    throw e;
  }
}

async function prepareOrReject(deps: AppDeps, tenant: string, change: Parameters<AppDeps['engine']['prepare']>[1]): Promise<void> {
  try {
    await deps.engine.prepare(tenant, change);
  } catch (e) {
    const items = (e as { name?: string; errors?: ErrorItem[] }).errors;
    if ((e as Error).name === 'RegoError' && Array.isArray(items)) {
      throw Errors.bundleRejected(items.map((i) => ({ code: i.code, message: i.message, ...(i.location ? { location: i.location } : {}) })));
    }
    throw e;
  }
}
