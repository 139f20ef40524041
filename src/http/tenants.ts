// Tenants: created, listed and deleted by administrators; a tenant's own tokens may read it.

import express, { Router } from 'express';
import { ConflictError } from '../store/types';
import { authorizeAdmin, ALL_TENANTS } from './auth';
import { methodNotAllowed, principalOf, isTenantId, type AppDeps } from './context';
import { Errors } from './errors';
import { Routes } from './routes';

export function tenantsRouter(deps: AppDeps): Router {
  const router = Router();
  const json = express.json({ type: () => true, limit: '64kb', strict: false });

  router
    .route(Routes.tenants)
    .get(async (req, res) => {
      authorizeAdmin(principalOf(deps, req));
      res.json({ result: await deps.store.listTenants() });
    })
    .post(json, async (req, res) => {
      authorizeAdmin(principalOf(deps, req));
      const body = req.body as { id?: unknown; name?: unknown } | undefined;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw Errors.badRequest('body must be {"id": "...", "name": "..."}');
      const { id, name } = body;
      if (typeof id !== 'string' || !isTenantId(id)) {
        throw Errors.badRequest('id must be 1-63 lowercase letters, digits or dashes, starting and ending with a letter or digit');
      }
      if (name !== undefined && (typeof name !== 'string' || name.length > 256)) throw Errors.badRequest('name must be a string of at most 256 characters');
      try {
        const tenant = await deps.store.createTenant({ id, name: (name as string | undefined) ?? id });
        await deps.engine.reload(id, true);
        res.status(201).json(tenant);
      } catch (e) {
        if (e instanceof ConflictError) throw Errors.conflict(`tenant ${id} already exists`);
        throw e;
      }
    })
    .all(methodNotAllowed);

  router
    .route(Routes.tenant)
    .get(async (req, res) => {
      const p = principalOf(deps, req);
      const id = req.params.tenant;
      if (p.tenant !== ALL_TENANTS && p.tenant !== id) throw Errors.forbidden(`token is not valid for tenant ${id}`);
      const tenant = await deps.store.getTenant(id);
      if (!tenant) throw Errors.notFound(`tenant ${id} not found`);
      res.json(tenant);
    })
    .delete(async (req, res) => {
      authorizeAdmin(principalOf(deps, req));
      const id = req.params.tenant;
      if (!(await deps.store.deleteTenant(id))) throw Errors.notFound(`tenant ${id} not found`);
      await deps.engine.reload(id, true);
      res.status(204).end();
    })
    .all(methodNotAllowed);

  return router;
}
