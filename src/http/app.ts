// The express app of the service, built without listening so tests drive the very same app with
// supertest. Middleware order: data API (its own lean handler), routers, 404 catch-all, errors.
//
// `createListener` puts the data API in front of express for the real server: decision requests
// never enter express at all, which is what lets one process serve several times more decisions.

import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { DataApi } from './data-api';
import { admissionRouter } from './admission';
import { agentsRouter } from './agents';
import { auditRouter } from './audit';
import { conftestRouter } from './conftest';
import type { AppDeps } from './context';
import { Errors, toHttpError } from './errors';
import { flaggerRouter } from './flagger';
import { healthRouter } from './health';
import { logRequest } from '../logging';
import { metricsRouter } from './metrics';
import { registryRouter } from './registry';
import { sendJSON } from './respond';
import { tenantsRouter } from './tenants';

export type { AppDeps } from './context';

export function createApp(deps: AppDeps): Express {
  const dataApi = new DataApi({
    auth: deps.auth,
    engine: deps.engine,
    decisions: deps.decisions,
    defaultDecision: deps.defaultDecision,
    maxRequestBytes: deps.limits.maxRequestBytes,
    version: deps.version,
    logger: deps.logger,
  });
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.locals.dataApi = dataApi;
  app.locals.logger = deps.logger;

  app.use((req: Request, res: Response, next: NextFunction) => {
    logRequest(deps.logger, req, res);
    if (!dataApi.tryHandle(req, res)) next();
  });
  app.use(healthRouter(deps));
  app.use(metricsRouter(deps));
  app.use(tenantsRouter(deps));
  app.use(agentsRouter(deps));
  app.use(registryRouter(deps));
  app.use(auditRouter(deps));
  app.use(conftestRouter(deps));
  app.use(flaggerRouter(deps));
  app.use(admissionRouter(deps));
  app.use((req: Request, _res: Response, next: NextFunction) => next(Errors.routeNotFound(req.path)));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { error, internal } = toHttpError(err);
    if (internal) deps.logger.error({ err, method: req.method, path: req.path }, 'request failed');
    else if (error.status >= 500) deps.logger.warn({ code: error.code, path: req.path }, error.message);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (!req.complete) res.setHeader('Connection', 'close');
    sendJSON(res, error.status, error.body());
  });
  return app;
}

/** A node:http listener: the lean data API path first, everything else through express. */
export function createListener(app: Express): RequestListener {
  const dataApi = app.locals.dataApi as DataApi;
  const logger = app.locals.logger as Logger;
  return (req: IncomingMessage, res: ServerResponse) => {
    logRequest(logger, req, res);
    if (!dataApi.tryHandle(req, res)) app(req, res);
  };
}
