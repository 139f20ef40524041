// Walks every endpoint with tokens that must not get through: none, malformed, unsigned (alg none),
// expired, for another tenant, and without the needed scope. None may succeed or change anything.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { SCOPES } from '../../src/http/auth';
import { bundle, createTenant, SECRET, startService, upload, type TestService } from './helpers';
import { assertMatchesSpec, operations } from './spec';

interface Endpoint {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  template: string;
  scope: string;
  /** Addressed through the token's tenant rather than the URL. */
  tokenTenant?: boolean;
  body?: () => Promise<unknown> | unknown;
  type?: string;
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('access control on every endpoint', () => {
  let svc: TestService;
  let decisionId: string;
  before(async () => {
    svc = await startService();
    await createTenant(svc, 'victim');
    await createTenant(svc, 'intruder');
    assert.equal((await upload(svc, 'victim', 'app', { '.manifest': '{"revision":"v1","roots":["app"]}', 'app/a.rego': 'package app\n\nsecret := "s3cr3t"\n' })).status, 201);
    const d = await svc.http().post('/v1/data/app/secret').set('Authorization', `Bearer ${svc.token('victim', 'decide')}`).send({ input: {} });
    decisionId = d.body.decision_id;
  });
  after(() => svc.close());

  const archive = () => bundle({ '.manifest': '{"revision":"evil","roots":["app"]}', 'app/a.rego': 'package app\n\nsecret := "pwned"\n' });
  const endpoints = (): Endpoint[] => [
    { method: 'get', path: '/tenants', template: '/tenants', scope: 'admin' },
    { method: 'get', path: '/metrics', template: '/metrics', scope: 'metrics' },
    { method: 'post', path: '/tenants', template: '/tenants', scope: 'admin', body: () => ({ id: 'new-tenant' }) },
    { method: 'get', path: '/tenants/victim', template: '/tenants/{tenant}', scope: 'tenant' },
    { method: 'delete', path: '/tenants/victim', template: '/tenants/{tenant}', scope: 'admin' },
    { method: 'get', path: '/tenants/victim/bundles', template: '/tenants/{tenant}/bundles', scope: 'bundles:read' },
    { method: 'put', path: '/tenants/victim/bundles/app', template: '/tenants/{tenant}/bundles/{name}', scope: 'bundles:write', body: archive, type: 'application/gzip' },
    { method: 'get', path: '/tenants/victim/bundles/app', template: '/tenants/{tenant}/bundles/{name}', scope: 'bundles:read' },
    { method: 'delete', path: '/tenants/victim/bundles/app', template: '/tenants/{tenant}/bundles/{name}', scope: 'bundles:write' },
    { method: 'get', path: '/tenants/victim/bundles/app/versions', template: '/tenants/{tenant}/bundles/{name}/versions', scope: 'bundles:read' },
    { method: 'get', path: '/tenants/victim/bundles/app/versions/1', template: '/tenants/{tenant}/bundles/{name}/versions/{version}', scope: 'bundles:read' },
    { method: 'get', path: '/tenants/victim/bundles/app/versions/1/crosscheck', template: '/tenants/{tenant}/bundles/{name}/versions/{version}/crosscheck', scope: 'bundles:read' },
    { method: 'post', path: '/tenants/victim/bundles/app/activate', template: '/tenants/{tenant}/bundles/{name}/activate', scope: 'bundles:write', body: () => ({ version: 1 }) },
    { method: 'get', path: '/tenants/victim/decisions', template: '/tenants/{tenant}/decisions', scope: 'audit:read' },
    { method: 'get', path: '/tenants/victim/decisions/verify', template: '/tenants/{tenant}/decisions/verify', scope: 'audit:read' },
    { method: 'get', path: `/tenants/victim/decisions/${decisionId}`, template: '/tenants/{tenant}/decisions/{id}', scope: 'audit:read' },
    { method: 'get', path: '/tenants/victim/v1/data/app/secret', template: '/tenants/{tenant}/v1/data/{path}', scope: 'decide' },
    { method: 'post', path: '/tenants/victim/v1/data/app/secret', template: '/tenants/{tenant}/v1/data/{path}', scope: 'decide', body: () => ({ input: {} }) },
    { method: 'post', path: '/tenants/victim/v0/data/app/secret', template: '/tenants/{tenant}/v0/data/{path}', scope: 'decide', body: () => ({}) },
    { method: 'post', path: '/tenants/victim/v1/batch/data/app/secret', template: '/tenants/{tenant}/v1/batch/data/{path}', scope: 'decide', body: () => ({ inputs: { a: {} } }) },
    { method: 'get', path: '/tenants/victim/v1/data', template: '/tenants/{tenant}/v1/data', scope: 'decide' },
    { method: 'post', path: '/tenants/victim/v1/data', template: '/tenants/{tenant}/v1/data', scope: 'decide', body: () => ({ input: {} }) },
    { method: 'post', path: '/tenants/victim/v0/data', template: '/tenants/{tenant}/v0/data', scope: 'decide', body: () => ({}) },
    { method: 'post', path: '/tenants/victim/v1/batch/data', template: '/tenants/{tenant}/v1/batch/data', scope: 'decide', body: () => ({ inputs: { a: {} } }) },
    { method: 'get', path: '/v1/data/app/secret', template: '/v1/data/{path}', scope: 'decide', tokenTenant: true },
    { method: 'post', path: '/v1/data/app/secret', template: '/v1/data/{path}', scope: 'decide', tokenTenant: true, body: () => ({ input: {} }) },
    { method: 'get', path: '/v1/data', template: '/v1/data', scope: 'decide', tokenTenant: true },
    { method: 'post', path: '/v1/data', template: '/v1/data', scope: 'decide', tokenTenant: true, body: () => ({ input: {} }) },
    { method: 'post', path: '/v0/data/app/secret', template: '/v0/data/{path}', scope: 'decide', tokenTenant: true, body: () => ({}) },
    { method: 'post', path: '/', template: '/', scope: 'decide', tokenTenant: true, body: () => ({}) },
    { method: 'post', path: '/v1/batch/data/app/secret', template: '/v1/batch/data/{path}', scope: 'decide', tokenTenant: true, body: () => ({ inputs: { a: {} } }) },
    { method: 'post', path: '/v0/data', template: '/v0/data', scope: 'decide', tokenTenant: true, body: () => ({}) },
    { method: 'post', path: '/v1/batch/data', template: '/v1/batch/data', scope: 'decide', tokenTenant: true, body: () => ({ inputs: { a: {} } }) },
    { method: 'get', path: '/tenants/victim/keys', template: '/tenants/{tenant}/keys', scope: 'bundles:read' },
    { method: 'put', path: '/tenants/victim/keys', template: '/tenants/{tenant}/keys', scope: 'admin', body: () => ({ require_signed_uploads: false, keys: [] }) },
    { method: 'post', path: '/tenants/victim/logs', template: '/tenants/{tenant}/logs', scope: 'agent', body: () => [] },
    { method: 'post', path: '/tenants/victim/status', template: '/tenants/{tenant}/status', scope: 'agent', body: () => ({ labels: { id: 'x' } }) },
    { method: 'get', path: '/tenants/victim/agents', template: '/tenants/{tenant}/agents', scope: 'bundles:read' },
    { method: 'get', path: '/tenants/victim/agents/x', template: '/tenants/{tenant}/agents/{id}', scope: 'bundles:read' },
    { method: 'get', path: '/tenants/victim/discovery', template: '/tenants/{tenant}/discovery', scope: 'agent' },
    { method: 'post', path: '/tenants/victim/conftest', template: '/tenants/{tenant}/conftest', scope: 'decide', body: () => ({ documents: [{}] }) },
    { method: 'post', path: '/tenants/victim/flagger/app', template: '/tenants/{tenant}/flagger/{path}', scope: 'decide', body: () => ({ name: 'x', metadata: {} }) },
    {
      method: 'post',
      path: '/tenants/victim/admission/app',
      template: '/tenants/{tenant}/admission/{path}',
      scope: 'decide',
      body: () => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', object: {} } }),
    },
    {
      method: 'post',
      path: '/tenants/victim/admission-review/app',
      template: '/tenants/{tenant}/admission-review/{path}',
      scope: 'decide',
      body: () => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', object: {} } }),
    },
  ];

  async function call(e: Endpoint, authorization?: string) {
    let req = svc.http()[e.method](e.path);
    if (authorization !== undefined) req = req.set('Authorization', authorization);
    if (e.type) req = req.set('Content-Type', e.type);
    const body = e.body ? await e.body() : undefined;
    return body === undefined ? req : req.send(body as object);
  }

  it('covers every operation of openapi.yaml that needs a token', () => {
    const covered = new Set(endpoints().map((e) => `${e.method} ${e.template}`));
    const missing = operations()
      .filter(([, path]) => !path.startsWith('/health') && path !== '/keys')
      .map(([m, p]) => `${m} ${p}`)
      .filter((op) => !covered.has(op));
    assert.deepEqual(missing, []);
  });

  it('answers 401 to missing, malformed, unsigned, expired and foreign-signed tokens', async () => {
    const exp = Math.floor(Date.now() / 1000);
    const bad: [string, string | undefined][] = [
      ['missing', undefined],
      ['malformed', 'Bearer not.a.token'],
      ['not bearer', `Token ${svc.admin}`],
      ['alg none', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ tenant: '*', scope: 'admin', exp: exp + 600 })}.`],
      ['expired', `Bearer ${jwt.sign({ tenant: '*', scope: 'admin', exp: exp - 60 }, SECRET)}`],
      ['other secret', `Bearer ${jwt.sign({ tenant: '*', scope: 'admin' }, 'some-other-secret-0123456789', { expiresIn: 600 })}`],
    ];
    for (const e of endpoints()) {
      for (const [label, header] of bad) {
        const res = await call(e, header);
        assert.equal(res.status, 401, `${label}: ${e.method} ${e.path} -> ${res.status} ${res.text}`);
        assert.equal(res.body.code, 'unauthorized');
        assertMatchesSpec(e.method, e.template, res);
      }
    }
  });

  it("answers 403 to another tenant's token, whatever its scopes", async () => {
    const intruder = `Bearer ${svc.token('intruder', SCOPES.join(' '))}`;
    for (const e of endpoints().filter((x) => !x.tokenTenant)) {
      const res = await call(e, intruder);
      assert.equal(res.status, 403, `${e.method} ${e.path} -> ${res.status} ${res.text}`);
      assertMatchesSpec(e.method, e.template, res);
    }
    // Addressed through its own token, the intruder only ever sees its own (empty) tenant.
    const own = await svc.http().post('/v1/data/app/secret').set('Authorization', intruder).send({ input: {} });
    assert.equal(own.status, 200);
    assert.equal(own.body.result, undefined);
  });

  it('answers 403 to a token without the needed scope', async () => {
    for (const e of endpoints()) {
      if (e.scope === 'tenant') continue;
      const others = SCOPES.filter((s) => s !== e.scope && s !== 'admin' && !(e.scope === 'bundles:read' && s === 'agent'));
      const tenant = e.scope === 'admin' ? '*' : 'victim';
      const res = await call(e, `Bearer ${svc.token(tenant, others.join(' '))}`);
      assert.equal(res.status, 403, `${e.method} ${e.path} with ${others.join(' ')} -> ${res.status} ${res.text}`);
      assertMatchesSpec(e.method, e.template, res);
    }
  });

  it('left the victim tenant untouched', async () => {
    const admin = { Authorization: `Bearer ${svc.admin}` };
    assert.equal((await svc.http().get('/tenants/victim').set(admin)).status, 200);
    assert.equal((await svc.http().get('/tenants/new-tenant').set(admin)).status, 404);
    const versions = await svc.http().get('/tenants/victim/bundles/app/versions').set(admin);
    assert.deepEqual(
      versions.body.result.map((v: { version: number; active: boolean }) => [v.version, v.active]),
      [[1, true]],
    );
    const d = await svc.http().post('/tenants/victim/v1/data/app/secret').set(admin).send({ input: {} });
    assert.equal(d.body.result, 's3cr3t');
  });
});
