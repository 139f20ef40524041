// A Wasm entrypoint that never returns is stopped at the evaluation deadline: the request gets
// OPA's evaluation error and the server keeps answering.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildFixtureWasm, FIXTURE_REGO } from '../fixtures/wasm/fixture';
import { createTenant, startService, upload, type TestService } from './helpers';

describe('Wasm evaluation deadline', () => {
  let svc: TestService;
  before(async () => {
    svc = await startService({ ARBITER_EVAL_TIMEOUT_MS: '300', ARBITER_WASM_CROSSCHECK_RATE: '0' });
    await createTenant(svc, 'spin');
    const res = await upload(svc, 'spin', 'authz', {
      '.manifest': JSON.stringify({ revision: 'w', roots: ['example', 'acl'], wasm: [{ entrypoint: 'example/spin', module: '/policy.wasm' }, { entrypoint: 'example/allow', module: '/policy.wasm' }] }),
      'acl/data.json': JSON.stringify({ admins: ['alice'] }),
      'example/policy.rego': FIXTURE_REGO,
      'policy.wasm': await buildFixtureWasm(),
    });
    assert.equal(res.status, 201, res.text);
  });
  after(() => svc.close());

  it('answers a spinning module with eval_cancel_error and keeps serving', async () => {
    const decide = { Authorization: `Bearer ${svc.token('spin', 'decide')}` };
    const started = Date.now();
    const spin = svc.http().post('/v1/data/example/spin').set(decide).send({ input: {} });
    const spinning = spin.then((r) => r);
    await new Promise((r) => setTimeout(r, 50));
    const t = Date.now();
    const health = await svc.http().get('/health');
    assert.equal(health.status, 200);
    assert.ok(Date.now() - t < 250, 'the event loop is not blocked while the module spins');
    const res = await spinning;
    assert.equal(res.status, 500);
    assert.equal(res.body.code, 'internal_error');
    assert.equal(res.body.errors[0].code, 'eval_cancel_error');
    assert.ok(Date.now() - started < 5000);
    const after = await svc.http().post('/v1/data/example/level').set(decide).send({ input: { user: 'alice' } });
    assert.equal(after.status, 200, after.text);
    assert.equal(after.body.result, 'admin', 'the tenant is still served');
    const rec = await svc.http().get(`/tenants/spin/decisions/${res.headers['x-decision-id']}`).set('Authorization', `Bearer ${svc.token('spin', 'audit:read')}`);
    assert.equal(rec.status, 200);
    assert.ok(rec.body.error);
  });
});
