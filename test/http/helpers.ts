// A real service for tests: temporary SQLite file, the real engine, recorder and registry wired as
// src/main.ts wires them, and the node:http listener (lean data API path + express) for supertest.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import request from 'supertest';
import { writeBundle } from '../../src/bundle';
import { loadConfig, type Config } from '../../src/config';
import { createApp, createListener } from '../../src/http/app';
import { mintToken } from '../../src/http/auth';
import { buildServices, type Services } from '../../src/main';
import { openSqliteStore } from '../../src/store/sqlite';
import type { Store } from '../../src/store/types';

export const SECRET = 'test-secret-for-arbiter-0123456789';

export interface TestService {
  config: Config;
  store: Store;
  services: Services;
  server: Server;
  http: () => ReturnType<typeof request>;
  token(tenant: string, scope: string, opts?: { sub?: string; ttlSeconds?: number }): string;
  admin: string;
  close(): Promise<void>;
}

export async function startService(env: Record<string, string> = {}): Promise<TestService> {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-http-'));
  const config = loadConfig({ ARBITER_DATA_DIR: dir, ARBITER_JWT_SECRET: SECRET, ARBITER_DEMO: 'false', ARBITER_WORKERS: '1', ...env });
  const store = openSqliteStore(join(dir, 'arbiter.db'));
  await store.init();
  const services = buildServices(config, store, config.jwt.secret, pino({ level: 'silent' }));
  await services.engine.loadAll();
  services.markReady();
  const server = createServer(createListener(createApp(services.deps)));
  const token = (tenant: string, scope: string, opts: { sub?: string; ttlSeconds?: number } = {}) =>
    mintToken(SECRET, { tenant, scope, ttlSeconds: opts.ttlSeconds ?? 600, sub: opts.sub ?? `test:${tenant}` });
  return {
    config,
    store,
    services,
    server,
    http: () => request(server),
    token,
    admin: token('*', 'admin', { sub: 'admin' }),
    close: async () => {
      server.close();
      await services.recorder.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A tar.gz bundle from `{path: content}`. */
export function bundle(files: Record<string, string | Buffer>): Promise<Buffer> {
  return writeBundle(Object.entries(files).map(([path, content]) => ({ path, content: Buffer.isBuffer(content) ? content : Buffer.from(content) })));
}

export async function createTenant(svc: TestService, id: string): Promise<void> {
  const res = await svc.http().post('/tenants').set('Authorization', `Bearer ${svc.admin}`).send({ id, name: id });
  if (res.status !== 201) throw new Error(`creating tenant ${id}: ${res.status} ${res.text}`);
}

export async function upload(svc: TestService, tenant: string, name: string, files: Record<string, string | Buffer>, query = ''): Promise<request.Response> {
  return svc
    .http()
    .put(`/tenants/${tenant}/bundles/${name}${query}`)
    .set('Authorization', `Bearer ${svc.token(tenant, 'bundles:write')}`)
    .set('Content-Type', 'application/gzip')
    .send(await bundle(files));
}

export const DEPLOY_POLICY = `package main

deny contains msg if {
	input.kind == "Deployment"
	not input.spec.template.spec.securityContext.runAsNonRoot
	msg := "Containers must not run as root"
}

deny contains msg if {
	input.kind == "Deployment"
	some container in input.spec.template.spec.containers
	container.securityContext.privileged == true
	msg := sprintf("Container %s is privileged", [container.name])
}
`;

export const privilegedDeployment = {
  kind: 'Deployment',
  spec: { template: { spec: { containers: [{ name: 'app', securityContext: { privileged: true } }] } } },
};
