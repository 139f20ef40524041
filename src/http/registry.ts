// The bundle registry routes: upload, list, fetch, activate or roll back, deactivate. The checks
// and the atomic swap live in engine/registry.ts; this file maps them to HTTP.

import express, { Router, type Request } from 'express';
import { rootsOf } from '../engine/engine';
import type { BundleVersionMeta } from '../store/types';
import { authorize, type Principal } from './auth';
import { readRawBody } from './body';
import { methodNotAllowed, principalOf, requireTenant, type AppDeps } from './context';
import { Errors } from './errors';
import { Routes } from './routes';

const BUNDLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const GZIP_ACCEPT = /application\/(x-)?gzip|application\/octet-stream|application\/vnd\.openpolicyagent\.bundles/;

export function registryRouter(deps: AppDeps): Router {
  const router = Router();
  const json = express.json({ type: () => true, limit: '64kb', strict: false });

  const access = async (req: Request, scope: 'bundles:read' | 'bundles:write'): Promise<{ p: Principal; tenant: string; name: string }> => {
    const p = principalOf(deps, req);
    const tenant = req.params.tenant as string;
    authorize(p, scope, tenant);
    await requireTenant(deps, tenant);
    const name = (req.params.name as string | undefined) ?? '';
    if (req.params.name !== undefined && !BUNDLE_NAME.test(name)) {
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
      const meta = await deps.registry.publish({ tenant, bundle: name, archive, activate, createdBy: p.sub });
      res.status(201).json(view(meta));
    })
    // GET (OPA's downloader, long polling, signed archive; or JSON metadata) is in agents.ts.
    .delete(async (req, res) => {
      const { tenant, name } = await access(req, 'bundles:write');
      if (!(await deps.registry.deactivate(tenant, name))) throw Errors.notFound(`bundle ${name} has no active version`);
      res.status(204).end();
    })
    .all(methodNotAllowed);

  router
    .route(Routes.bundleVersions)
    .get(async (req, res) => {
      const { tenant, name } = await access(req, 'bundles:read');
      const versions = await deps.store.listBundleVersions(tenant, name);
      if (versions.length === 0) throw Errors.notFound(`bundle ${name} not found`);
      res.json({ result: versions.map(view) });
    })
    .all(methodNotAllowed);

  router
    .route(Routes.bundleVersion)
    .get(async (req, res) => {
      const { tenant, name } = await access(req, 'bundles:read');
      const version = parseVersion(req.params.version);
      const found = await deps.store.getBundleVersion(tenant, name, version);
      if (!found) throw Errors.notFound(`bundle ${name} has no version ${version}`);
      if (GZIP_ACCEPT.test(req.headers.accept ?? '')) {
        res.status(200).type('application/gzip').send(found.archive);
        return;
      }
      res.json(view(found.meta));
    })
    .all(methodNotAllowed);

  router
    .route(Routes.bundleCrossCheck)
    .get(async (req, res) => {
      const { tenant, name } = await access(req, 'bundles:read');
      const version = parseVersion(req.params.version);
      if (!(await deps.store.getBundleVersion(tenant, name, version))) throw Errors.notFound(`bundle ${name} has no version ${version}`);
      res.json(deps.crossChecker.report(tenant, name, version));
    })
    .all(methodNotAllowed);

  router
    .route(Routes.bundleActivate)
    .post(json, async (req, res) => {
      const { tenant, name } = await access(req, 'bundles:write');
      const body = req.body as { version?: unknown } | undefined;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw Errors.badRequest('body must be {"version": n}');
      const version = parseVersion(body.version);
      const meta = await deps.registry.activate(tenant, name, version);
      if (!meta) throw Errors.notFound(`bundle ${name} has no version ${version}`);
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
    ...(m.active_version !== undefined ? { active_version: m.active_version } : {}),
    roots: rootsOf(m.manifest),
    manifest: m.manifest,
  };
}
