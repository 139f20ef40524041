// Discovery: a signed bundle whose data at arbiter/discovery is the agent's OPA configuration,
// long-polled like any bundle and changed when the tenant's set of active bundles changes.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, startService, upload, type TestService } from '../http/helpers';
import { assertMatchesSpec } from '../http/spec';
import { OpaDownloader, untar, verifyBundle } from './opa-client';

describe('discovery for OPA agents', () => {
  let svc: TestService;
  before(async () => {
    svc = await startService({ ARBITER_AGENT_LONG_POLL: '45s' });
    await new Promise<void>((resolve) => svc.server.listen(0, '127.0.0.1', () => resolve()));
    await createTenant(svc, 'disc');
    assert.equal((await upload(svc, 'disc', 'k8s', { '.manifest': '{"revision":"r1","roots":["main"]}', 'main/deny.rego': 'package main\n\ndeny contains "x" if input.x\n' })).status, 201);
  });
  after(() => svc.close());

  it("serves the tenant's agent configuration, signed, and long-polls for changes to it", async () => {
    const keys = (await svc.http().get('/keys')).body.keys;
    const kid = svc.services.deps.agents!.keys.kid;
    const opa = new OpaDownloader(svc.server, '/tenants/disc/discovery', svc.token('disc', 'agent'), 10);
    const res = await opa.poll();
    assert.equal(res.status, 200);
    assert.ok(opa.longPolling);
    const files = untar(res.body);
    verifyBundle(files, keys, 'write');
    assert.deepEqual(JSON.parse(files.get('.manifest')!.toString()).roots, ['arbiter']);
    const config = JSON.parse(files.get('arbiter/discovery/data.json')!.toString());
    assert.deepEqual(Object.keys(config.bundles), ['k8s']);
    assert.deepEqual(config.bundles.k8s, {
      resource: 'bundles/k8s',
      persist: false,
      polling: { min_delay_seconds: 10, max_delay_seconds: 20, long_polling_timeout_seconds: 45 },
      signing: { keyid: kid, scope: 'write' },
    });
    assert.equal(config.keys[kid].key, keys[0].key);
    assert.equal(config.keys[kid].algorithm, 'RS256');
    assert.ok(config.decision_logs && config.status);
    assert.equal(config.services, undefined, "the boot configuration's service is used");

    const unchanged = await new OpaDownloader(svc.server, '/tenants/disc/discovery', svc.token('disc', 'agent')).poll();
    assert.equal(unchanged.headers.etag, opa.etag, 'the same configuration has the same ETag');

    const waiting = opa.poll();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await upload(svc, 'disc', 'extra', { '.manifest': '{"revision":"e1","roots":["extra"]}', 'extra/x.rego': 'package extra\n\nx := 1\n' })).status, 201);
    const changed = await waiting;
    assert.equal(changed.status, 200);
    assert.ok(changed.elapsedMs < 1500);
    const next = JSON.parse(untar(changed.body).get('arbiter/discovery/data.json')!.toString());
    assert.deepEqual(Object.keys(next.bundles), ['extra', 'k8s']);
  });

  it('names the service explicitly when asked, and checks the name', async () => {
    const opa = new OpaDownloader(svc.server, '/tenants/disc/discovery?service=arbiter', svc.token('disc', 'agent'));
    const config = JSON.parse(untar((await opa.poll()).body).get('arbiter/discovery/data.json')!.toString());
    assert.equal(config.bundles.k8s.service, 'arbiter');
    assert.equal(config.decision_logs.service, 'arbiter');
    assert.equal(config.status.service, 'arbiter');
    const bad = await svc.http().get('/tenants/disc/discovery?service=a%20b').set('Authorization', `Bearer ${svc.token('disc', 'agent')}`);
    assert.equal(bad.status, 400);
    assertMatchesSpec('get', '/tenants/{tenant}/discovery', bad);
    assert.equal((await svc.http().get('/tenants/disc/discovery').set('Authorization', `Bearer ${svc.token('disc', 'bundles:read')}`)).status, 403);
  });
});
