// What the express routers share: their dependencies, and helpers to authenticate a request and
// to answer wrong methods on known paths with 405.

import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { AgentServices } from '../agents';
import type { DecisionService } from '../engine/decisions';
import type { Engine } from '../engine/engine';
import type { Registry } from '../engine/registry';
import type { Store } from '../store/types';
import type { Authenticator, Principal } from './auth';
import { Errors } from './errors';

export interface ChainVerification {
  valid: boolean;
  records: number;
  broken_at?: string;
  [key: string]: unknown;
}

export interface AppDeps {
  auth: Authenticator;
  store: Store;
  engine: Engine;
  registry: Registry;
  decisions: DecisionService;
  /** Cross-check statistics of Wasm answers, per bundle version. */
  crossChecker: { report(tenant: string, bundle: string, version: number): unknown };
  verifyChain: (store: Store, tenant: string) => Promise<ChainVerification>;
  logger: Logger;
  version: string;
  defaultDecision: string;
  limits: {
    maxRequestBytes: number;
    maxBundleBytes: number;
    maxBundleUncompressedBytes: number;
    maxBundleFiles: number;
  };
  /** True once migrations ran and the bundles are loaded. */
  isReady: () => boolean;
  /** Prometheus text of this process (or of every worker of the machine), for GET /metrics. */
  metrics?: () => Promise<string>;
  /** Bundle service, logs, status and fleet of cluster agents (src/http/agents.ts). */
  agents?: AgentServices;
}

export function principalOf(deps: AppDeps, req: Request): Principal {
  return deps.auth.authenticate(req.headers.authorization);
}

export function methodNotAllowed(req: Request, _res: Response, next: NextFunction): void {
  next(Errors.methodNotAllowed(req.method, req.path));
}

const TENANT_ID = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function isTenantId(id: string): boolean {
  return TENANT_ID.test(id);
}

/** Loads the tenant or answers 404. */
export async function requireTenant(deps: AppDeps, id: string): Promise<void> {
  if (!(await deps.store.getTenant(id))) throw Errors.notFound(`tenant ${id} not found`);
}
