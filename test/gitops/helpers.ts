// Shared by the GitOps tests: a real service with the example bundles of bundles/ published for a
// tenant and listening on a port (for `arbiter test --server`), and `arbiter test` run in-process.

import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundleFromDir, writeBundle } from '../../src/bundle';
import { runTest, type TestOptions } from '../../src/cli/test';
import { createTenant, startService, type TestService } from '../http/helpers';

export const REPO = join(__dirname, '..', '..');

export interface GitopsService extends TestService {
  url: string;
  tenant: string;
}

/** A service with tenant `tenant` running the given folders of bundles/ (e.g. kubernetes, canary). */
export async function startGitopsService(tenant: string, bundles: string[], extra: Record<string, Record<string, string>> = {}): Promise<GitopsService> {
  const svc = await startService();
  await createTenant(svc, tenant);
  const publish = async (name: string, archive: Buffer) => {
    const res = await svc
      .http()
      .put(`/tenants/${tenant}/bundles/${name}`)
      .set('Authorization', `Bearer ${svc.token(tenant, 'bundles:write')}`)
      .set('Content-Type', 'application/gzip')
      .send(archive);
    if (res.status !== 201) throw new Error(`publishing ${name}: ${res.status} ${res.text}`);
  };
  for (const name of bundles) await publish(name, await writeBundle(await buildBundleFromDir(join(REPO, 'bundles', name))));
  for (const [name, files] of Object.entries(extra)) {
    await publish(name, await writeBundle(Object.entries(files).map(([path, content]) => ({ path, content: Buffer.from(content) }))));
  }
  await new Promise<void>((resolve) => svc.server.listen(0, '127.0.0.1', resolve));
  const { port } = svc.server.address() as AddressInfo;
  return { ...svc, url: `http://127.0.0.1:${port}`, tenant };
}

export interface TestRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `arbiter test` in this process with the given environment and standard input. */
export async function arbiterTest(paths: string[], opts: TestOptions, env: Record<string, string> = {}, stdin = ''): Promise<TestRun> {
  let stdout = '';
  let stderr = '';
  const code = await runTest(paths, opts, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: async () => stdin,
    env,
    isTTY: false,
    version: '0.0.0-test',
  });
  return { code, stdout, stderr };
}

/** Writes files into a new temporary folder and returns its path. */
export function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'arbiter-gitops-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

export const PRIVILEGED_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  namespace: shop
spec:
  template:
    metadata:
      labels:
        app.kubernetes.io/name: api
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: app
          image: registry.example.com/api:1.2.0
          securityContext:
            privileged: true
`;

export const COMPLIANT_DEPLOYMENT = PRIVILEGED_DEPLOYMENT.replace('privileged: true', 'privileged: false');

export const deploymentObject = (privileged: boolean) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'api', namespace: 'shop' },
  spec: {
    template: {
      metadata: { labels: { 'app.kubernetes.io/name': 'api' } },
      spec: {
        securityContext: { runAsNonRoot: true },
        containers: [{ name: 'app', image: 'registry.example.com/api:1.2.0', securityContext: { privileged } }],
      },
    },
  },
});
