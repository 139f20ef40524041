// The audit log of a tenant: filtered pages, NDJSON export of every matching record, one record,
// and verification of the hash chain.

import { Router, type Request, type Response } from 'express';
import { stringifyJSON } from '../rego/eval/values';
import type { DecisionQuery, DecisionRecord } from '../store/types';
import { authorize } from './auth';
import { methodNotAllowed, principalOf, requireTenant, type AppDeps } from './context';
import { Errors } from './errors';
import { Routes } from './routes';

const OUTCOMES = ['allowed', 'denied', 'undefined', 'error'] as const;
const SOURCES = ['server', 'agent'] as const;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
const EXPORT_PAGE = 1000;

export function auditRouter(deps: AppDeps): Router {
  const router = Router();

  const access = async (req: Request): Promise<string> => {
    const tenant = req.params.tenant as string;
    authorize(principalOf(deps, req), 'audit:read', tenant);
    await requireTenant(deps, tenant);
    return tenant;
  };

  router
    .route(Routes.decisionsVerify)
    .get(async (req, res) => {
      const tenant = await access(req);
      res.json(await deps.verifyChain(deps.store, tenant));
    })
    .all(methodNotAllowed);

  router
    .route(Routes.decisions)
    .get(async (req, res) => {
      const tenant = await access(req);
      const query = parseQuery(tenant, req);
      if ((req.headers.accept ?? '').includes('application/x-ndjson')) return exportNdjson(deps, query, res);
      const page = await queryPage(deps, query);
      const body: Record<string, unknown> = { result: page.records };
      if (page.next_cursor) body.next_cursor = page.next_cursor;
      res.type('application/json').send(stringifyJSON(body) + '\n');
    })
    .all(methodNotAllowed);

  router
    .route(Routes.decision)
    .get(async (req, res) => {
      const tenant = await access(req);
      const record = await deps.store.getDecision(tenant, req.params.id);
      if (!record) throw Errors.notFound(`decision ${req.params.id} not found`);
      res.type('application/json').send(stringifyJSON(record) + '\n');
    })
    .all(methodNotAllowed);

  return router;
}

function single(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw Errors.badRequest(`parameter ${name} must be given once`);
  return v;
}

function timestamp(req: Request, name: string): string | undefined {
  const v = single(req, name);
  if (v === undefined) return undefined;
  if (Number.isNaN(Date.parse(v))) throw Errors.badRequest(`parameter ${name} must be an RFC 3339 timestamp`);
  return new Date(v).toISOString();
}

export function parseQuery(tenant: string, req: Request): DecisionQuery {
  const q: DecisionQuery = { tenant, limit: DEFAULT_LIMIT };
  q.since = timestamp(req, 'since');
  q.until = timestamp(req, 'until');
  q.path = single(req, 'path')?.replace(/^\/+/, '');
  q.bundle = single(req, 'bundle');
  q.principal = single(req, 'principal');
  q.cursor = single(req, 'cursor');
  const outcome = single(req, 'outcome');
  if (outcome !== undefined) {
    if (!(OUTCOMES as readonly string[]).includes(outcome)) throw Errors.badRequest(`outcome must be one of ${OUTCOMES.join(', ')}`);
    q.outcome = outcome as DecisionQuery['outcome'];
  }
  const source = single(req, 'source');
  if (source !== undefined) {
    if (!(SOURCES as readonly string[]).includes(source)) throw Errors.badRequest(`source must be one of ${SOURCES.join(', ')}`);
    q.source = source as DecisionQuery['source'];
  }
  const limit = single(req, 'limit');
  if (limit !== undefined) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1 || n > MAX_LIMIT) throw Errors.badRequest(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    q.limit = n;
  }
  for (const k of Object.keys(q) as (keyof DecisionQuery)[]) if (q[k] === undefined) delete q[k];
  return q;
}

/** Streams every matching record, page by page, waiting for the client to drain. */
async function exportNdjson(deps: AppDeps, query: DecisionQuery, res: Response): Promise<void> {
  res.status(200).type('application/x-ndjson');
  let cursor = query.cursor;
  let first = true;
  do {
    let page: { records: DecisionRecord[]; next_cursor?: string };
    try {
      page = await queryPage(deps, { ...query, limit: EXPORT_PAGE, cursor });
    } catch (e) {
      if (first) throw e;
      // Headers are out: a failure mid-stream can only end it.
      deps.logger.error({ err: e }, 'audit export failed');
      res.destroy();
      return;
    }
    first = false;
    for (const r of page.records) {
      if (!res.write(stringifyJSON(r) + '\n')) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
        if (res.destroyed) return;
      }
    }
    cursor = page.next_cursor;
  } while (cursor);
  res.end();
}

/** A cursor the store cannot decode is the client's mistake, not ours. */
async function queryPage(deps: AppDeps, query: DecisionQuery): Promise<{ records: DecisionRecord[]; next_cursor?: string }> {
  try {
    return await deps.store.queryDecisions(query);
  } catch (e) {
    if (query.cursor !== undefined) throw Errors.badRequest(`invalid cursor: ${(e as Error).message}`);
    throw e;
  }
}
