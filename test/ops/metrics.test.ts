// GET /metrics through the real service: every family the operations guide alerts on moves with
// what the service does, and only a token for every tenant with scope metrics (or admin) reads it.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { agentState } from '../../src/metrics';
import { parsePrometheus } from './prometheus';
import { createTenant, DEPLOY_POLICY, privilegedDeployment, startService, upload, type TestService } from '../http/helpers';

describe('/metrics', () => {
  let svc: TestService;
  before(async () => {
    svc = await startService();
    await createTenant(svc, 'shop');
  });
  after(() => svc.close());

  const scrape = async (): Promise<Map<string, number>> => {
    const res = await svc.http().get('/metrics').set('Authorization', `Bearer ${svc.token('*', 'metrics')}`);
    assert.equal(res.status, 200, res.text);
    assert.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/);
    return parsePrometheus(res.text);
  };

  it('needs a token for every tenant with scope metrics or admin', async () => {
    assert.equal((await svc.http().get('/metrics')).status, 401);
    const tenantToken = await svc.http().get('/metrics').set('Authorization', `Bearer ${svc.token('shop', 'decide audit:read metrics')}`);
    assert.equal(tenantToken.status, 403);
    assert.equal(tenantToken.body.code, 'unauthorized');
    const wrongScope = await svc.http().get('/metrics').set('Authorization', `Bearer ${svc.token('*', 'audit:read')}`);
    assert.equal(wrongScope.status, 403);
    assert.equal((await svc.http().get('/metrics').set('Authorization', `Bearer ${svc.admin}`)).status, 200);
  });

  it('counts activations, rejected uploads and decisions by tenant, path and outcome', async () => {
    assert.equal((await upload(svc, 'shop', 'k8s', { 'policy.rego': DEPLOY_POLICY, '.manifest': '{"roots": ["main"]}' })).status, 201);
    assert.equal((await upload(svc, 'shop', 'broken', { 'x.rego': 'package x\nallow if {' })).status, 400);
    const decide = (path: string, input: unknown) =>
      svc.http().post(`/v1/data/${path}`).set('Authorization', `Bearer ${svc.token('shop', 'decide')}`).send({ input });
    for (let i = 0; i < 3; i++) assert.equal((await decide('main/deny', privilegedDeployment)).status, 200);
    assert.equal((await decide('main/deny', { kind: 'Service' })).status, 200);
    assert.equal((await decide('main/nothing', {})).status, 200);

    const m = await scrape();
    assert.equal(m.get('arbiter_bundle_activations_total{tenant="shop",bundle="k8s",change="activate"}'), 1);
    assert.equal(m.get('arbiter_bundle_validation_failures_total{tenant="shop",bundle="broken"}'), 1);
    assert.equal(m.get('arbiter_decisions_total{tenant="shop",path="main/deny",outcome="denied"}'), 3);
    assert.equal(m.get('arbiter_decisions_total{tenant="shop",path="main/deny",outcome="allowed"}'), 1);
    assert.equal(m.get('arbiter_decisions_total{tenant="shop",path="main/nothing",outcome="undefined"}'), 1);
    assert.equal(m.get('arbiter_decision_duration_seconds_count{tenant="shop"}'), 5);
    assert.ok((m.get('arbiter_decision_duration_seconds_sum{tenant="shop"}') ?? 0) > 0);
    assert.ok((m.get('arbiter_audit_records_total{result="committed"}') ?? 0) >= 5);
    assert.ok((m.get('arbiter_audit_commit_duration_seconds_count') ?? 0) >= 1);
    assert.equal(m.get('arbiter_audit_queue_depth'), 0);
    assert.equal(m.get('arbiter_audit_lag_seconds'), 0);
    assert.ok(m.has('arbiter_process_cpu_seconds_total'), 'default process metrics are exported');

    assert.equal((await svc.http().delete('/tenants/shop/bundles/k8s').set('Authorization', `Bearer ${svc.token('shop', 'bundles:write')}`)).status < 300, true);
    assert.equal((await scrape()).get('arbiter_bundle_activations_total{tenant="shop",bundle="k8s",change="deactivate"}'), 1);
  });

  it('shows long polls waiting and agents by state', async () => {
    assert.equal((await upload(svc, 'shop', 'k8s', { 'policy.rego': DEPLOY_POLICY, '.manifest': '{"roots": ["main"]}' })).status, 201);
    const agentToken = svc.token('shop', 'agent');
    const status = (id: string, bundle: Record<string, unknown>) =>
      svc.http().post('/tenants/shop/status').set('Authorization', `Bearer ${agentToken}`).send({ labels: { id }, bundles: { k8s: { name: 'k8s', ...bundle } } });
    assert.equal((await status('good', { active_revision: '' })).status < 300, true);
    assert.equal((await status('bad', { code: 'bundle_error', message: 'signature verification failed' })).status < 300, true);

    const etag = (await svc.http().get('/tenants/shop/bundles/k8s').set('Authorization', `Bearer ${agentToken}`)).headers.etag as string;
    if (!svc.server.listening) await new Promise<void>((r) => svc.server.listen(0, '127.0.0.1', () => r()));
    const { port } = svc.server.address() as AddressInfo;
    const poll = http.get({
      host: '127.0.0.1',
      port,
      path: '/tenants/shop/bundles/k8s',
      headers: { Authorization: `Bearer ${agentToken}`, 'If-None-Match': etag, Prefer: 'modes=snapshot;wait=30' },
    });
    poll.on('error', () => undefined);
    try {
      let waiting = 0;
      for (let i = 0; i < 100 && waiting === 0; i++) {
        await new Promise((r) => setTimeout(r, 50));
        waiting = (await scrape()).get('arbiter_long_polls_waiting') ?? 0;
      }
      assert.equal(waiting, 1);
      const m = await scrape();
      assert.equal(m.get('arbiter_agents{tenant="shop",state="ok"}'), 1);
      assert.equal(m.get('arbiter_agents{tenant="shop",state="failing"}'), 1);
      assert.equal(m.get('arbiter_agents{tenant="shop",state="stale"}'), 0);
    } finally {
      poll.destroy();
    }
  });

  it('classifies agents: stale when silent too long, failing on a discovery or bundle error', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const agent = (last_seen: string, status: unknown) => ({ tenant: 't', agent_id: 'a', labels: {}, last_seen, status });
    assert.equal(agentState(agent('2026-01-01T00:09:30Z', { bundles: { b: { active_revision: '1' } } }), now, 60), 'ok');
    assert.equal(agentState(agent('2026-01-01T00:00:00Z', {}), now, 60), 'stale');
    assert.equal(agentState(agent('2026-01-01T00:09:30Z', { discovery: { code: 'bundle_error' } }), now, 60), 'failing');
    assert.equal(agentState(agent('not a time', {}), now, 60), 'stale');
  });
});
