// The Wasm path as the service wires it: bundles with policy.wasm uploaded over HTTP, validated,
// and the manifest's wasm entrypoints answered by the module (the rest by the Rego engine).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildFixtureWasm, FIXTURE_REGO } from '../fixtures/wasm/fixture';
import { createTenant, startService, upload, type TestService } from '../http/helpers';

const manifest = (entrypoints: string[]) =>
  JSON.stringify({
    revision: 'wasm-1',
    roots: ['example', 'acl'],
    wasm: entrypoints.map((entrypoint) => ({ entrypoint, module: '/policy.wasm' })),
  });

describe('Wasm bundles in the service', () => {
  let svc: TestService;
  before(async () => {
    svc = await startService();
    await createTenant(svc, 'wasm');
  });
  after(() => svc.close());

  const decide = async (path: string, input: unknown) =>
    svc.http().post(`/v1/data/${path}`).set('Authorization', `Bearer ${svc.token('wasm', 'decide')}`).send({ input });

  it('answers the declared entrypoints with the module and the others with the Rego engine', async () => {
    // With the admins in an object, the two engines disagree on `allow`: the fixture's `in` scans
    // arrays only, Rego's also object values. That tells which one answered.
    const res = await upload(svc, 'wasm', 'authz', {
      '.manifest': manifest(['example/allow', 'example/greeting']),
      'acl/data.json': JSON.stringify({ admins: { first: 'alice' } }),
      'example/policy.rego': FIXTURE_REGO,
      'policy.wasm': await buildFixtureWasm(),
    });
    assert.equal(res.status, 201, res.text);

    const allow = await decide('example/allow', { user: 'alice' });
    assert.equal(allow.status, 200, allow.text);
    assert.equal(allow.body.result, false, 'answered by the Wasm module');
    const level = await decide('example/level', { user: 'alice' });
    assert.equal(level.status, 200, level.text);
    assert.equal(level.body.result, 'admin', 'answered by the Rego engine, whose allow is true');
    const greeting = await decide('example/greeting', { user: 'zoë' });
    assert.equal(greeting.body.result, 'hello, zoë');
  });

  it('rejects a module lacking a declared entrypoint, or needing a built-in Arbiter lacks, with the reason', async () => {
    const missingEntrypoint = await upload(svc, 'wasm', 'broken', {
      '.manifest': manifest(['example/allow', 'example/deny']),
      'example/policy.rego': FIXTURE_REGO,
      'policy.wasm': await buildFixtureWasm(),
    });
    assert.equal(missingEntrypoint.status, 400, missingEntrypoint.text);
    assert.match(missingEntrypoint.text, /entrypoint \\?"example\/deny\\?", which the module does not export/);

    const unknownBuiltin = await upload(svc, 'wasm', 'broken', {
      '.manifest': manifest(['example/allow']),
      'example/policy.rego': FIXTURE_REGO,
      'policy.wasm': await buildFixtureWasm({ builtins: { 'acme.lookup': 0 } }),
    });
    assert.equal(unknownBuiltin.status, 400, unknownBuiltin.text);
    assert.match(unknownBuiltin.text, /needs built-in function \\?"acme\.lookup\\?", which Arbiter does not provide/);

    const versions = await svc.http().get('/tenants/wasm/bundles/broken/versions').set('Authorization', `Bearer ${svc.token('wasm', 'bundles:read')}`);
    assert.equal(versions.status, 404, `nothing stored: ${versions.text}`);
  });
});
