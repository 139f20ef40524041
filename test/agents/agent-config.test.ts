// The agent configuration of docs/agents.md, followed the way OPA follows it: every URL it makes
// from services + resource is served, and every bundle verifies with the keys and signing section
// it contains. Also the command that writes it, against the running service.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { agentConfig } from '../../src/agents/agent-config';
import { createTenant, startService, upload, type TestService } from '../http/helpers';
import { OpaDownloader, untar, verifyBundle } from './opa-client';

const ROOT = join(__dirname, '..', '..');

interface Config {
  services: Record<string, { url: string; credentials: { bearer: { token_path: string } } }>;
  keys: Record<string, { algorithm: string; key: string; scope?: string }>;
  bundles?: Record<string, { service: string; resource: string; signing: { keyid: string; scope: string } }>;
  discovery?: { service: string; resource: string; decision: string; signing: { keyid: string; scope: string } };
}

describe('agent configuration', () => {
  let svc: TestService;
  let base: string;
  let tokenFile: string;
  before(async () => {
    svc = await startService();
    await new Promise<void>((resolve) => svc.server.listen(0, '127.0.0.1', () => resolve()));
    base = `http://127.0.0.1:${(svc.server.address() as AddressInfo).port}`;
    await createTenant(svc, 'team-a');
    assert.equal((await upload(svc, 'team-a', 'k8s', { '.manifest': '{"revision":"r1","roots":["main"]}', 'main/deny.rego': 'package main\n\ndeny contains "x" if input.x\n' })).status, 201);
    tokenFile = join(svc.config.dataDir, 'agent.token');
    writeFileSync(tokenFile, svc.token('team-a', 'agent') + '\n', { mode: 0o600 });
  });
  after(() => svc.close());

  /** Downloads `resource` of the config's service as OPA would and verifies it with the config's keys. */
  async function follow(config: Config, resource: string, signing: { keyid: string; scope: string }, service = 'arbiter') {
    const s = config.services[service];
    const path = new URL(`${s.url.replace(/\/+$/, '')}/${resource.replace(/^\/+|\/+$/g, '')}`).pathname;
    const token = readFileSync(s.credentials.bearer.token_path, 'utf8').trim();
    const res = await new OpaDownloader(svc.server, path, token, 5).poll();
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    const keys = Object.entries(config.keys).map(([kid, k]) => ({ kid, ...k }));
    const verified = verifyBundle(untar(res.body), keys.filter((k) => k.kid === signing.keyid), signing.scope);
    return { files: untar(res.body), verified };
  }

  it('a complete configuration reaches every bundle, signed as its signing section says', async () => {
    const keys = (await svc.http().get('/keys')).body.keys;
    const config = agentConfig({ arbiterUrl: `${base}/`, tenant: 'team-a', tokenPath: tokenFile, keys, bundles: ['k8s'], labels: { cluster: 'prod-eu-1' } }) as unknown as Config;
    assert.equal(config.services.arbiter.url, `${base}/tenants/team-a`);
    const b = config.bundles!.k8s;
    const { files } = await follow(config, b.resource, b.signing, b.service);
    assert.ok(files.has('main/deny.rego'));
  });

  it('the discovery boot configuration reaches a discovery bundle whose config reaches the bundles', async () => {
    const keys = (await svc.http().get('/keys')).body.keys;
    const boot = agentConfig({ arbiterUrl: base, tenant: 'team-a', tokenPath: tokenFile, keys, discovery: true }) as unknown as Config;
    const d = boot.discovery!;
    const { files } = await follow(boot, d.resource, d.signing, d.service);
    const discovered = JSON.parse(files.get(`${d.decision}/data.json`)!.toString()) as Config;
    // Missing services default to the boot configuration's; boot keys stay.
    const merged = { ...discovered, services: boot.services, keys: { ...discovered.keys, ...boot.keys } } as Config;
    const k8s = discovered.bundles!.k8s;
    await follow(merged, k8s.resource, k8s.signing, k8s.service ?? 'arbiter');
  });

  it('the command writes the configuration from the running service', async () => {
    const out = join(svc.config.dataDir, 'opa.json');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'agents', 'agent-config.ts'), '--arbiter', base, '--tenant', 'team-a', '--token-file', tokenFile, '--discovery', '--label', 'cluster=c1', '--out', out], { cwd: ROOT });
    const written = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(written.labels.cluster, 'c1');
    assert.equal(written.discovery.signing.keyid, svc.services.deps.agents!.keys.kid);
    assert.equal(written.services.arbiter.credentials.bearer.token_path, tokenFile);
    await assert.rejects(promisify(execFile)(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'agents', 'agent-config.ts'), '--tenant', 'team-a'], { cwd: ROOT }), /--arbiter is required/);
  });
});
