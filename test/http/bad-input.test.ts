// Bad input gets a 4xx with an OPA-style body, never a 5xx or a dropped connection.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { createTenant, DEPLOY_POLICY, startService, upload, type TestService } from './helpers';

describe('bad input', () => {
  let svc: TestService;
  before(async () => {
    svc = await startService({ ARBITER_MAX_REQUEST_BYTES: '65536' });
    await createTenant(svc, 'bad');
    assert.equal((await upload(svc, 'bad', 'k8s', { '.manifest': '{"revision":"1","roots":["main"]}', 'main/d.rego': DEPLOY_POLICY })).status, 201);
  });
  after(() => svc.close());

  it('never answers 5xx to malformed requests', async () => {
    const all = `Bearer ${svc.token('bad', 'decide bundles:read bundles:write audit:read')}`;
    const admin = `Bearer ${svc.admin}`;
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    const cases: { method: 'get' | 'post' | 'put' | 'delete'; path: string; body?: string | Buffer; headers?: Record<string, string>; auth?: string }[] = [
      { method: 'post', path: '/v1/data/main/deny', body: deep.slice(0, 60_000) },
      { method: 'post', path: '/v1/data/main/deny', body: `{"input": ${'['.repeat(30_000)}${']'.repeat(30_000)}}` },
      { method: 'post', path: '/v1/data/main/deny', body: 'x'.repeat(70_000) },
      { method: 'post', path: '/v1/data/main/deny', body: gzipSync(Buffer.alloc(1_000_000, 32)), headers: { 'Content-Encoding': 'gzip' } },
      { method: 'post', path: '/v1/data/main/deny', body: 'input: !!binary aGVsbG8=\n', headers: { 'Content-Type': 'application/yaml' } },
      { method: 'post', path: '/v1/data/main/deny', body: 'input: &x [*x]\n', headers: { 'Content-Type': 'application/yaml' } },
      { method: 'post', path: '/v1/data/main/deny', body: '{"input": 1e999}' },
      { method: 'post', path: '/v1/data/main/deny', body: '\u0000\u0001\u0002' },
      { method: 'get', path: '/v1/data/main/deny?input=' },
      { method: 'get', path: '/v1/data/main/deny?input=%E0%A4%A' },
      { method: 'get', path: '/v1/data/%ZZ' },
      { method: 'get', path: '/tenants/%ZZ/v1/data/x' },
      { method: 'post', path: '/v0/data/main/deny', body: '{"a":' },
      { method: 'post', path: '/v1/batch/data/main/deny', body: '{"inputs": [1, 2]}' },
      { method: 'post', path: '/v1/batch/data/main/deny', body: '"text"' },
      { method: 'post', path: '/', body: '{' },
      { method: 'get', path: '/tenants/%ZZ', auth: admin },
      { method: 'post', path: '/tenants', body: '{"id": "x", "name": {"nested": true}}', headers: { 'Content-Type': 'application/json' }, auth: admin },
      { method: 'post', path: '/tenants', body: JSON.stringify({ id: 'big', name: 'n'.repeat(100_000) }), headers: { 'Content-Type': 'application/json' }, auth: admin },
      { method: 'put', path: '/tenants/bad/bundles/k8s', body: gzipSync(Buffer.from('not a tar archive at all')), headers: { 'Content-Type': 'application/gzip' } },
      { method: 'put', path: '/tenants/bad/bundles/k8s', body: gzipSync(Buffer.alloc(10_000_000)), headers: { 'Content-Type': 'application/gzip' } },
      { method: 'post', path: '/tenants/bad/bundles/k8s/activate', body: '{"version": 1e400}', headers: { 'Content-Type': 'application/json' } },
      { method: 'post', path: '/tenants/bad/bundles/k8s/activate', body: 'null', headers: { 'Content-Type': 'application/json' } },
      { method: 'get', path: '/tenants/bad/bundles/k8s/versions/99999999999999999999999' },
      { method: 'get', path: '/tenants/bad/decisions?limit=abc&since=never' },
      { method: 'get', path: '/tenants/bad/decisions?outcome=allowed&outcome=denied' },
      { method: 'get', path: '/tenants/bad/decisions?cursor=' + 'A'.repeat(5000) },
      { method: 'get', path: '/tenants/bad/decisions/' + '%FF'.repeat(10) },
    ];
    for (const c of cases) {
      let req = svc.http()[c.method](c.path).set('Authorization', c.auth ?? all);
      for (const [k, v] of Object.entries(c.headers ?? {})) req = req.set(k, v);
      const res = await (c.body === undefined ? req : req.send(c.body));
      const label = `${c.method} ${c.path.slice(0, 60)} ${String(c.body ?? '').slice(0, 40)}`;
      assert.ok(res.status >= 400 && res.status < 500, `${label} -> ${res.status} ${res.text.slice(0, 200)}`);
      assert.equal(typeof res.body.code, 'string', label);
      assert.equal(typeof res.body.message, 'string', label);
    }
    const still = await svc.http().post('/v1/data/main/deny').set('Authorization', all).send({ input: { kind: 'Service' } });
    assert.equal(still.status, 200, 'the service still answers');
  });
});
