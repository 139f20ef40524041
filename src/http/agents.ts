// The surfaces real OPA agents talk to (protocols.md §2-5): the bundle service with ETag and long
// polling, signed discovery, decision-log and status uploads, plus the fleet view, Arbiter's
// public keys and tenants' upload-signing keys.

import express, { Router, type Request, type Response } from 'express';
import {
  chunkToRecords,
  discoveryConfig,
  discoveryFiles,
  fleetView,
  LogChunkError,
  parseTenantSigning,
  statusToKeep,
  StatusError,
  TenantKeysError,
  type AgentServices,
} from '../agents';
import { parseDuration } from '../config';
import { authorize, type Scope } from './auth';
import { parseDocument, readBody } from './body';
import { methodNotAllowed, principalOf, requireTenant, type AppDeps } from './context';
import { Errors, HttpError } from './errors';
import { view } from './registry';
import { Routes } from './routes';

/** The bundle media type that keeps OPA in long-polling mode. */
export const OPA_BUNDLE_TYPE = 'application/vnd.openpolicyagent.bundles';

const BUNDLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const SERVICE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** Something an agent downloads: its ETag now, and its bytes. */
interface Resource {
  etag: string;
  body: () => Promise<Buffer>;
}

/** `wait=N` of OPA's `Prefer: modes=snapshot,delta;wait=N`, in seconds; undefined when absent. */
export function preferredWait(prefer: string | string[] | undefined): number | undefined {
  const m = /(?:^|[;,\s])wait=(\d{1,9})\b/.exec([prefer ?? ''].flat().join(','));
  return m ? Number(m[1]) : undefined;
}

/** True when If-None-Match names `etag` (quoted or not, weak or strong, in a list, or `*`). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = etag.replace(/^"|"$/g, '');
  return ifNoneMatch.split(',').some((t) => {
    const v = t.trim().replace(/^W\//, '').replace(/^"|"$/g, '');
    return v === '*' || v === bare;
  });
}

function agents(deps: AppDeps): AgentServices {
  if (!deps.agents) throw Errors.notReady('agent services are not configured');
  return deps.agents;
}

/**
 * Answers an OPA downloader: 304 when If-None-Match names the current ETag and the request does
 * not long-poll (or its wait ran out), 404 when nothing is active; otherwise 200 with the archive.
 * A long poll is held until the tenant changes in a way that changes this resource (including a
 * bundle activated for the first time). `current` is re-read after each wake-up.
 */
async function serveDownload(deps: AppDeps, req: Request, res: Response, tenant: string, current: () => Promise<Resource | undefined>, missing: () => HttpError): Promise<void> {
  const svc = agents(deps);
  const requested = preferredWait(req.headers.prefer);
  const wait = requested === undefined ? undefined : Math.min(requested, svc.options.longPollMaxSeconds);
  const ifNoneMatch = req.headers['if-none-match'];
  const deadline = Date.now() + (wait ?? 0) * 1000;
  let resource = await current();
  // Held while there is nothing new for this agent: its ETag is current, or nothing is active yet.
  while (!resource || etagMatches(ifNoneMatch, resource.etag)) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    if ((await svc.hub.wait(tenant, left, res)) === 'closed') return;
    resource = await current();
  }
  if (!resource) throw missing();
  if (etagMatches(ifNoneMatch, resource.etag)) {
    res.setHeader('ETag', resource.etag);
    res.status(304).end();
    return;
  }
  const body = await resource.body();
  if (res.writableEnded || res.destroyed) return;
  res.setHeader('ETag', resource.etag);
  // OPA stays in long-polling mode only when a 200 carries exactly this media type.
  res.setHeader('Content-Type', wait !== undefined ? OPA_BUNDLE_TYPE : 'application/gzip');
  res.setHeader('Content-Length', body.length);
  res.status(200).end(body);
}

function wantsJSON(req: Request): boolean {
  const accept = req.headers.accept ?? '';
  return /application\/json/.test(accept) && !/gzip|octet-stream|vnd\.openpolicyagent\.bundles/.test(accept);
}

/** `GET /tenants/{t}/bundles/{name}`: the signed archive for OPA, or the active version's metadata as JSON. */
export function bundleDownload(deps: AppDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const p = principalOf(deps, req);
    const tenant = req.params.tenant as string;
    const name = req.params.name as string;
    authorize(p, p.scopes.has('agent') ? 'agent' : 'bundles:read', tenant);
    await requireTenant(deps, tenant);
    if (!BUNDLE_NAME.test(name)) throw Errors.badRequest('bundle name must be 1-128 letters, digits, dots, dashes or underscores');
    const missing = () => Errors.notFound(`bundle ${name} has no active version`);
    if (wantsJSON(req)) {
      const active = (await deps.store.listBundleVersions(tenant, name)).find((v) => v.active);
      if (!active) throw missing();
      res.setHeader('ETag', `"${active.digest}"`);
      res.json(view(active));
      return;
    }
    const svc = agents(deps);
    const current = async (): Promise<Resource | undefined> => {
      const ref = (await deps.engine.policySetOrLoad(tenant))?.bundles.find((b) => b.name === name);
      if (!ref) return undefined;
      return {
        etag: `"${ref.digest}"`,
        body: () =>
          svc.signed.get(ref.digest, async () => {
            const stored = await deps.store.getBundleVersion(tenant, name, ref.version);
            if (!stored) throw missing();
            return stored.archive;
          }),
      };
    };
    await serveDownload(deps, req, res, tenant, current, missing);
  };
}

function authorized(deps: AppDeps, req: Request, scope: Scope) {
  const p = principalOf(deps, req);
  const tenant = req.params.tenant as string;
  authorize(p, scope, tenant);
  return { p, tenant };
}

export function agentsRouter(deps: AppDeps): Router {
  const router = Router();
  const json = express.json({ type: () => true, limit: '1mb', strict: false });

  // Only GET: PUT and DELETE of this path are the registry's (registry.ts).
  router.get(Routes.bundle, bundleDownload(deps));

  router
    .route(Routes.keys)
    .get((_req, res) => {
      res.json({ keys: agents(deps).keys.publicKeys() });
    })
    .all(methodNotAllowed);

  router
    .route(Routes.tenantKeys)
    .get(async (req, res) => {
      const { tenant } = authorized(deps, req, 'bundles:read');
      await requireTenant(deps, tenant);
      res.json(await agents(deps).tenantKeys.get(tenant));
    })
    .put(json, async (req, res) => {
      const { tenant } = authorized(deps, req, 'admin');
      await requireTenant(deps, tenant);
      let signing;
      try {
        signing = parseTenantSigning(req.body);
      } catch (e) {
        if (e instanceof TenantKeysError) throw Errors.badRequest('invalid signing keys', e.problems.map((message) => ({ code: 'invalid_parameter', message })));
        throw e;
      }
      await agents(deps).tenantKeys.set(tenant, signing);
      res.json(signing);
    })
    .all(methodNotAllowed);

  router
    .route(Routes.agentLogs)
    .post(async (req, res) => {
      const { p, tenant } = authorized(deps, req, 'agent');
      await requireTenant(deps, tenant);
      const svc = agents(deps);
      const gzipped = (req.headers['content-encoding'] ?? '').includes('gzip');
      const raw = await readBody(req, gzipped ? svc.options.maxLogBytes : Math.min(svc.options.maxLogBytes, deps.limits.maxRequestBytes));
      const chunk = parseDocument(raw, 'application/json');
      let records;
      try {
        records = chunkToRecords(chunk, { tenant, principal: p.sub });
      } catch (e) {
        if (e instanceof LogChunkError) throw Errors.badRequest(e.message);
        throw e;
      }
      await svc.recordChunk(records);
      res.status(204).end();
    })
    .all(methodNotAllowed);

  router
    .route(Routes.agentStatus)
    .post(async (req, res) => {
      const { tenant } = authorized(deps, req, 'agent');
      await requireTenant(deps, tenant);
      const body = parseDocument(await readBody(req, agents(deps).options.maxLogBytes), 'application/json');
      let status;
      try {
        status = statusToKeep(body, tenant, new Date());
      } catch (e) {
        if (e instanceof StatusError) throw Errors.badRequest(e.message);
        throw e;
      }
      await deps.store.upsertAgentStatus(status);
      res.status(204).end();
    })
    .all(methodNotAllowed);

  const staleAfter = (req: Request): number => {
    const raw = req.query.stale_after;
    if (raw === undefined) return agents(deps).options.staleAfterSeconds;
    const s = typeof raw === 'string' ? parseDuration(raw) : undefined;
    if (s === undefined || s < 1) throw Errors.badRequest('stale_after must be a duration like 90s, 15m or 12h');
    return s;
  };

  const activeVersions = async (tenant: string) => {
    const set = await deps.engine.policySetOrLoad(tenant);
    return Object.fromEntries((set?.bundles ?? []).map((b) => [b.name, { version: b.version, revision: b.revision }]));
  };

  router
    .route(Routes.agents)
    .get(async (req, res) => {
      const { tenant } = authorized(deps, req, 'bundles:read');
      await requireTenant(deps, tenant);
      const limit = staleAfter(req);
      res.json(fleetView(await deps.store.listAgents(tenant), await activeVersions(tenant), limit, new Date()));
    })
    .all(methodNotAllowed);

  router
    .route(Routes.agent)
    .get(async (req, res) => {
      const { tenant } = authorized(deps, req, 'bundles:read');
      await requireTenant(deps, tenant);
      const limit = staleAfter(req);
      const agent = (await deps.store.listAgents(tenant)).find((a) => a.agent_id === req.params.id);
      if (!agent) throw Errors.notFound(`agent ${req.params.id} has not reported`);
      const fleet = fleetView([agent], await activeVersions(tenant), limit, new Date());
      const history = await deps.store.listAgentStatusHistory(tenant, agent.agent_id, 100);
      res.json({ result: { ...fleet.result[0], status: agent.status, history: history.map((h) => ({ received_at: h.received_at, status: h.status })) } });
    })
    .all(methodNotAllowed);

  router
    .route(Routes.discovery)
    .get(async (req, res) => {
      const { tenant } = authorized(deps, req, 'agent');
      await requireTenant(deps, tenant);
      const service = req.query.service;
      if (service !== undefined && (typeof service !== 'string' || !SERVICE_NAME.test(service))) throw Errors.badRequest('service must be 1-64 letters, digits, dots, dashes or underscores');
      const svc = agents(deps);
      const current = async (): Promise<Resource> => {
        const set = await deps.engine.policySetOrLoad(tenant);
        const config = discoveryConfig({
          bundles: (set?.bundles ?? []).map((b) => b.name),
          keys: svc.keys.publicKeys(),
          signingKid: svc.keys.kid,
          scope: svc.keys.scope,
          longPollSeconds: svc.options.longPollSeconds,
          service,
        });
        const { files, revision } = discoveryFiles(config);
        return { etag: `"${revision}"`, body: () => svc.signed.signFiles(files) };
      };
      await serveDownload(deps, req, res, tenant, current, () => Errors.notFound(`tenant ${tenant} not found`));
    })
    .all(methodNotAllowed);

  return router;
}
