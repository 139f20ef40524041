// Wasm answers are sampled and re-evaluated by the Rego engine; the registry reports the result per
// bundle version. The fixture's `allow` disagrees with the Rego policy when admins is an object.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildFixtureWasm, FIXTURE_REGO } from '../fixtures/wasm/fixture';
import { assertMatchesSpec } from './spec';
import { createTenant, startService, upload, type TestService } from './helpers';

describe('Wasm cross-check', () => {
  let svc: TestService;
  before(async () => {
    svc = await startService({ ARBITER_WASM_CROSSCHECK_RATE: '1' });
    await createTenant(svc, 'cc');
  });
  after(() => svc.close());

  it('re-evaluates Wasm decisions with Rego and reports mismatches by decision id', async () => {
    const res = await upload(svc, 'cc', 'authz', {
      '.manifest': JSON.stringify({ revision: 'w1', roots: ['example', 'acl'], wasm: [{ entrypoint: 'example/allow', module: '/policy.wasm' }] }),
      'acl/data.json': JSON.stringify({ admins: { first: 'alice' } }),
      'example/policy.rego': FIXTURE_REGO,
      'policy.wasm': await buildFixtureWasm(),
    });
    assert.equal(res.status, 201, res.text);
    const decide = { Authorization: `Bearer ${svc.token('cc', 'decide')}` };
    const differs = await svc.http().post('/v1/data/example/allow').set(decide).send({ input: { user: 'alice' } });
    const agrees = await svc.http().post('/v1/data/example/allow').set(decide).send({ input: { user: 'mallory' } });
    assert.equal(differs.body.result, false);
    assert.equal(agrees.body.result, false);
    await svc.http().post('/v1/data/example/level').set(decide).send({ input: { user: 'alice' } });
    await new Promise((r) => setTimeout(r, 50));

    const read = { Authorization: `Bearer ${svc.token('cc', 'bundles:read')}` };
    const report = await svc.http().get('/tenants/cc/bundles/authz/versions/1/crosscheck').set(read);
    assert.equal(report.status, 200);
    assertMatchesSpec('get', '/tenants/{tenant}/bundles/{name}/versions/{version}/crosscheck', report);
    assert.equal(report.body.checked, 2, 'only the Wasm entrypoint is checked');
    assert.equal(report.body.mismatched, 1);
    assert.equal(report.body.mismatches[0].decision_id, differs.body.decision_id);
    assert.equal(report.body.mismatches[0].reason, 'result_differs');
    const missing = await svc.http().get('/tenants/cc/bundles/authz/versions/9/crosscheck').set(read);
    assert.equal(missing.status, 404);
  });
});
