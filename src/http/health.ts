// Health endpoints as OPA shapes them: 200 `{}` when well, 500 `{"error": "..."}` when not.

import { Router } from 'express';
import { methodNotAllowed, type AppDeps } from './context';
import { Routes } from './routes';

export function healthRouter(deps: AppDeps): Router {
  const router = Router();
  const ready = (wantReady: boolean) => (_req: unknown, res: import('express').Response) => {
    if (wantReady && !deps.isReady()) {
      res.status(500).json({ error: 'one or more bundles are not activated' });
      return;
    }
    res.json({});
  };
  router
    .route(Routes.health)
    .get((req, res) => {
      // OPA's `?bundles` / `?plugins` ask for readiness too.
      const q = req.query;
      ready('bundles' in q || 'bundle' in q || 'plugins' in q)(req, res);
    })
    .all(methodNotAllowed);
  router.route(Routes.healthReady).get(ready(true)).all(methodNotAllowed);
  return router;
}
