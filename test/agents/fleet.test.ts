// Status reports and the fleet view: latest status per agent, history of changes, drift against
// the tenant's active versions, and agents not seen for a while.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTenant, startService, upload, type TestService } from '../http/helpers';
import { assertMatchesSpec } from '../http/spec';

const SAMPLE = join(__dirname, '..', 'fixtures', 'opa-samples', 'opa-0.61-status.json');

function status(id: string, revision: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const s = JSON.parse(readFileSync(SAMPLE, 'utf8')) as { labels: Record<string, string>; bundles: Record<string, Record<string, unknown>> };
  s.labels.id = id;
  s.bundles.k8s.active_revision = revision;
  Object.assign(s.bundles.k8s, extra);
  return s;
}

const k8s = (revision: string) => ({ '.manifest': JSON.stringify({ revision, roots: ['main'] }), 'main/deny.rego': 'package main\n\ndeny contains "x" if input.x\n' });

describe('agent status and the fleet view', () => {
  let svc: TestService;
  let agent: string;
  let reader: string;
  before(async () => {
    svc = await startService();
    await createTenant(svc, 'fleet');
    assert.equal((await upload(svc, 'fleet', 'k8s', k8s('r1'))).status, 201);
    agent = svc.token('fleet', 'agent');
    reader = svc.token('fleet', 'bundles:read');
  });
  after(() => svc.close());

  const report = (body: unknown) => svc.http().post('/tenants/fleet/status').set('Authorization', `Bearer ${agent}`).send(body as object);
  const fleet = async (query = '') => {
    const res = await svc.http().get(`/tenants/fleet/agents${query}`).set('Authorization', `Bearer ${reader}`);
    assert.equal(res.status, 200, res.text);
    assertMatchesSpec('get', '/tenants/{tenant}/agents', res);
    return res.body;
  };

  it('shows what each agent runs, and drift once a new version is activated', async () => {
    const res = await report(status('agent-a', 'r1'));
    assert.equal(res.status, 204, res.text);
    assertMatchesSpec('post', '/tenants/{tenant}/status', res);
    assert.equal((await report(status('agent-b', 'r1'))).status, 204);
    let view = await fleet();
    assert.deepEqual(view.active, { k8s: { version: 1, revision: 'r1' } });
    assert.deepEqual(view.result.map((a: { id: string }) => a.id), ['agent-a', 'agent-b']);
    const a = view.result[0];
    assert.equal(a.labels.cluster, 'prod-eu-1');
    assert.equal(a.bundles.k8s.active_revision, 'r1');
    assert.equal(a.bundles.k8s.last_successful_activation, '2026-11-26T21:39:26.793405181Z');
    assert.equal(a.bundles.k8s.in_sync, true);
    assert.deepEqual(a.drift, []);
    assert.deepEqual(view.drift, { stale: [], out_of_sync: [] });

    assert.equal((await upload(svc, 'fleet', 'k8s', k8s('r2'))).status, 201);
    view = await fleet();
    assert.deepEqual(view.drift.out_of_sync, ['agent-a', 'agent-b']);
    assert.match(view.result[0].drift[0], /bundle k8s: runs revision "r1", the active version 2 has revision "r2"/);

    assert.equal((await report(status('agent-a', 'r2'))).status, 204);
    view = await fleet();
    assert.deepEqual(view.drift.out_of_sync, ['agent-b']);
    assert.equal(view.result[0].bundles.k8s.in_sync, true);
  });

  it('keeps a history of changes, not of identical reports', async () => {
    await report(status('agent-h', 'r1'));
    await report(status('agent-h', 'r1'));
    const failing = status('agent-h', 'r1', { code: 'bundle_error', message: 'server replied with Not Found', http_code: 404 });
    await report(failing);
    const res = await svc.http().get('/tenants/fleet/agents/agent-h').set('Authorization', `Bearer ${reader}`);
    assert.equal(res.status, 200);
    assertMatchesSpec('get', '/tenants/{tenant}/agents/{id}', res);
    assert.equal(res.body.result.history.length, 2);
    assert.equal(res.body.result.history[0].status.bundles.k8s.code, 'bundle_error');
    assert.deepEqual(res.body.result.bundles.k8s.error, { code: 'bundle_error', message: 'server replied with Not Found', http_code: 404 });
    assert.equal(res.body.result.status.metrics, undefined, 'Prometheus metrics are not kept');
    assert.equal((await svc.http().get('/tenants/fleet/agents/nobody').set('Authorization', `Bearer ${reader}`)).status, 404);
  });

  it('counts agents not seen for longer than stale_after as drifted', async () => {
    await report(status('agent-s', 'r2'));
    await new Promise((r) => setTimeout(r, 1100));
    await report(status('agent-a', 'r2'));
    const view = await fleet('?stale_after=1s');
    assert.ok(view.drift.stale.includes('agent-s'));
    assert.ok(!view.drift.stale.includes('agent-a'));
    const s = view.result.find((x: { id: string }) => x.id === 'agent-s');
    assert.equal(s.stale, true);
    assert.match(s.drift.at(-1), /not seen for \d+ s \(limit 1 s\)/);
    assert.equal((await fleet()).drift.stale.length, 0, 'the default limit is minutes');
    assert.equal((await svc.http().get('/tenants/fleet/agents?stale_after=soon').set('Authorization', `Bearer ${reader}`)).status, 400);
  });

  it('refuses reports without an agent id, and tokens without the agent scope', async () => {
    for (const body of [{ bundles: {} }, { labels: { id: '' } }, [1, 2]]) {
      const res = await report(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assertMatchesSpec('post', '/tenants/{tenant}/status', res);
    }
    const bad = await svc.http().post('/tenants/fleet/status').set('Authorization', `Bearer ${agent}`).set('Content-Type', 'application/json').send('{"labels":');
    assert.equal(bad.status, 400);
    assert.equal((await svc.http().post('/tenants/fleet/status').set('Authorization', `Bearer ${reader}`).send(status('x', 'r1'))).status, 403);
  });
});
