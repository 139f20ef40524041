// GET /metrics in Prometheus' text format. Metrics name tenants and paths, so the scrape needs a
// token for every tenant (`*`) with scope `metrics` (or `admin`), as Prometheus' bearer-token
// `authorization` setting sends it.

import { Router } from 'express';
import { ALL_TENANTS } from './auth';
import { methodNotAllowed, principalOf, type AppDeps } from './context';
import { Errors } from './errors';
import { Routes } from './routes';

export const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

export function metricsRouter(deps: AppDeps): Router {
  const router = Router();
  router
    .route(Routes.metrics)
    .get(async (req, res) => {
      const p = principalOf(deps, req);
      if (p.tenant !== ALL_TENANTS || !(p.scopes.has('metrics') || p.scopes.has('admin'))) {
        throw Errors.forbidden('metrics need a token for every tenant ("*") with scope metrics or admin');
      }
      if (!deps.metrics) throw Errors.notReady('metrics are not configured');
      const text = await deps.metrics();
      res.setHeader('Content-Type', PROMETHEUS_TEXT);
      res.send(text);
    })
    .all(methodNotAllowed);
  return router;
}
