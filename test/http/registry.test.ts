import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { assertMatchesSpec } from './spec';
import { bundle, createTenant, DEPLOY_POLICY, privilegedDeployment, startService, upload, type TestService } from './helpers';

const versionPolicy = (v: number) => `package app\n\nversion := ${v}\n`;
const manifest = (revision: string, roots: string[]) => JSON.stringify({ revision, roots });

describe('bundle registry', () => {
  let svc: TestService;
  before(async () => {
    svc = await startService({ ARBITER_BUNDLE_MAX_BYTES: '20000' });
    await createTenant(svc, 'reg');
    await createTenant(svc, 'reg2');
  });
  after(() => svc.close());

  const read = () => ({ Authorization: `Bearer ${svc.token('reg', 'bundles:read')}` });
  const write = () => ({ Authorization: `Bearer ${svc.token('reg', 'bundles:write')}` });
  const decide = async (path: string, input?: unknown) =>
    (await svc.http().post(`/v1/data/${path}`).set('Authorization', `Bearer ${svc.token('reg', 'decide')}`).send(input === undefined ? {} : { input })).body;

  it('stores a version, reports its digest and serves decisions from it', async () => {
    const archive = await bundle({ '.manifest': manifest('k8s-1', ['main']), 'main/deploy.rego': DEPLOY_POLICY });
    const res = await svc.http().put('/tenants/reg/bundles/k8s').set(write()).set('Content-Type', 'application/gzip').send(archive);
    assert.equal(res.status, 201, res.text);
    assertMatchesSpec('put', '/tenants/{tenant}/bundles/{name}', res);
    assert.equal(res.body.version, 1);
    assert.equal(res.body.revision, 'k8s-1');
    assert.equal(res.body.active, true);
    assert.equal(res.body.size, archive.length);
    assert.equal(res.body.digest, 'sha256:' + createHash('sha256').update(archive).digest('hex'));
    assert.deepEqual(res.body.roots, ['main']);
    assert.deepEqual((await decide('main/deny', privilegedDeployment)).result.sort(), ['Container app is privileged', 'Containers must not run as root']);

    const fetched = await svc.http().get('/tenants/reg/bundles/k8s/versions/1').set(read()).set('Accept', 'application/gzip').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    assert.equal(fetched.status, 200);
    assert.ok(Buffer.compare(fetched.body as Buffer, archive) === 0, 'the stored archive is returned byte for byte');

    const meta = await svc.http().get('/tenants/reg/bundles/k8s/versions/1').set(read());
    assertMatchesSpec('get', '/tenants/{tenant}/bundles/{name}/versions/{version}', meta);
    assert.equal(meta.body.digest, res.body.digest);
  });

  it('keeps every version, activates and rolls back atomically', async () => {
    for (const v of [1, 2, 3]) {
      const res = await upload(svc, 'reg', 'app', { '.manifest': manifest(`app-${v}`, ['app']), 'app/app.rego': versionPolicy(v) });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.version, v);
    }
    assert.equal((await decide('app/version')).result, 3);

    const staged = await upload(svc, 'reg', 'app', { '.manifest': manifest('app-4', ['app']), 'app/app.rego': versionPolicy(4) }, '?activate=false');
    assert.equal(staged.status, 201);
    assert.equal(staged.body.active, false);
    assert.equal((await decide('app/version')).result, 3, 'a version stored with activate=false is not served');

    const rollback = await svc.http().post('/tenants/reg/bundles/app/activate').set(write()).send({ version: 1 });
    assert.equal(rollback.status, 200);
    assertMatchesSpec('post', '/tenants/{tenant}/bundles/{name}/activate', rollback);
    assert.equal(rollback.body.version, 1);
    assert.equal(rollback.body.active, true);
    assert.equal((await decide('app/version')).result, 1);

    const versions = await svc.http().get('/tenants/reg/bundles/app/versions').set(read());
    assertMatchesSpec('get', '/tenants/{tenant}/bundles/{name}/versions', versions);
    const active = versions.body.result.filter((v: { active: boolean }) => v.active).map((v: { version: number }) => v.version);
    assert.deepEqual(active, [1]);
    assert.deepEqual(versions.body.result.map((v: { version: number }) => v.version).sort(), [1, 2, 3, 4]);

    const list = await svc.http().get('/tenants/reg/bundles').set(read());
    assertMatchesSpec('get', '/tenants/{tenant}/bundles', list);
    assert.ok(list.body.result.some((b: { bundle: string }) => b.bundle === 'app'));

    const provenance = await svc.http().post('/v1/data/app/version?provenance').set('Authorization', `Bearer ${svc.token('reg', 'decide')}`).send({});
    assert.equal(provenance.body.provenance.bundles.app.revision, 'app-1');

    for (const [body, status] of [[{ version: 99 }, 404], [{ version: 0 }, 400], [{ version: 'x' }, 400], [{}, 400]] as const) {
      const res = await svc.http().post('/tenants/reg/bundles/app/activate').set(write()).send(body);
      assert.equal(res.status, status, JSON.stringify(body));
      assertMatchesSpec('post', '/tenants/{tenant}/bundles/{name}/activate', res);
    }
  });

  it('rejects a bad bundle with every problem and stores nothing', async () => {
    const res = await upload(svc, 'reg', 'broken', {
      '.manifest': manifest('b-1', ['broken', 'broken/sub']),
      'broken/a.rego': 'package broken\n\nallow if {\n',
      'other/b.rego': 'package other\n\nx := 1\n',
    });
    assert.equal(res.status, 400);
    assertMatchesSpec('put', '/tenants/{tenant}/bundles/{name}', res);
    assert.equal(res.body.code, 'invalid_parameter');
    const messages: string[] = res.body.errors.map((e: { message: string }) => e.message);
    assert.ok(messages.some((m) => m.includes("manifest has overlapped roots: 'broken' and 'broken/sub'")), messages.join('\n'));
    assert.ok(messages.some((m) => m.includes("do not permit 'package other'")), messages.join('\n'));
    const parse = res.body.errors.find((e: { code: string }) => e.code === 'rego_parse_error');
    assert.ok(parse, 'the parse error is listed');
    assert.equal(parse.location.file, 'broken/a.rego');
    assert.ok(parse.location.row >= 3);
    assert.equal((await svc.http().get('/tenants/reg/bundles/broken/versions').set(read())).status, 404);
  });

  it('rejects a bundle whose own Rego tests fail', async () => {
    const res = await upload(svc, 'reg', 'tested', {
      '.manifest': manifest('t-1', ['tested']),
      'tested/p.rego': 'package tested\n\nallow if input.user == "alice"\n',
      'tested/p_test.rego': 'package tested\n\ntest_alice if allow with input as {"user": "alice"}\n\ntest_bob if allow with input as {"user": "bob"}\n',
    });
    assert.equal(res.status, 400);
    assert.ok(res.body.errors.some((e: { code: string; message: string }) => e.code === 'rego_test_failure' && e.message.includes('test_bob')), res.text);
    assert.ok(!res.body.errors.some((e: { message: string }) => e.message.includes('test_alice')));
    assert.equal((await svc.http().get('/tenants/reg/bundles/tested/versions').set(read())).status, 404);
  });

  it('rejects roots that overlap another active bundle, then accepts them once it is deactivated', async () => {
    assert.equal((await upload(svc, 'reg2', 'first', { '.manifest': manifest('f', ['shared']), 'shared/a.rego': 'package shared\n\na := 1\n' })).status, 201);
    const clash = await upload(svc, 'reg2', 'second', { '.manifest': manifest('s', ['shared/b']), 'shared/b/b.rego': 'package shared.b\n\nb := 2\n' });
    assert.equal(clash.status, 400);
    assert.ok(clash.body.errors.some((e: { message: string }) => e.message.includes('detected overlapping roots in bundle manifest with: [first]')), clash.text);

    const w = { Authorization: `Bearer ${svc.token('reg2', 'bundles:write')}` };
    const del = await svc.http().delete('/tenants/reg2/bundles/first').set(w);
    assert.equal(del.status, 204);
    assertMatchesSpec('delete', '/tenants/{tenant}/bundles/{name}', del);
    assert.equal((await svc.http().delete('/tenants/reg2/bundles/first').set(w)).status, 404);
    const versions = await svc.http().get('/tenants/reg2/bundles/first/versions').set('Authorization', `Bearer ${svc.token('reg2', 'bundles:read')}`);
    assert.equal(versions.body.result.length, 1, 'deactivation keeps the versions');
    const undefinedNow = await svc.http().post('/v1/data/shared/a').set('Authorization', `Bearer ${svc.token('reg2', 'decide')}`).send({});
    assert.equal(undefinedNow.body.result, undefined);
    assert.equal((await upload(svc, 'reg2', 'second', { '.manifest': manifest('s', ['shared/b']), 'shared/b/b.rego': 'package shared.b\n\nb := 2\n' })).status, 201);
  });

  it('refuses archives that are not bundles, too large, empty, or badly named', async () => {
    const notGzip = await svc.http().put('/tenants/reg/bundles/junk').set(write()).set('Content-Type', 'application/gzip').send(Buffer.from('plain text, not gzip'));
    assert.equal(notGzip.status, 400);
    assertMatchesSpec('put', '/tenants/{tenant}/bundles/{name}', notGzip);
    const empty = await svc.http().put('/tenants/reg/bundles/junk').set(write()).set('Content-Type', 'application/gzip').send(Buffer.alloc(0));
    assert.equal(empty.status, 400);
    const big = await svc.http().put('/tenants/reg/bundles/junk').set(write()).set('Content-Type', 'application/gzip').send(Buffer.alloc(30000, 1));
    assert.equal(big.status, 413);
    assertMatchesSpec('put', '/tenants/{tenant}/bundles/{name}', big);
    const badName = await svc.http().put('/tenants/reg/bundles/..bad').set(write()).set('Content-Type', 'application/gzip').send(Buffer.from('x'));
    assert.equal(badName.status, 400);
    assert.equal((await svc.http().get('/tenants/reg/bundles/junk/versions').set(read())).status, 404);
    assert.equal((await svc.http().get('/tenants/reg/bundles/k8s/versions/abc').set(read())).status, 400);
    assert.equal((await svc.http().get('/tenants/reg/bundles/k8s/versions/42').set(read())).status, 404);
  });

  it('serves the active archive to agents with an ETag', async () => {
    const agent = { Authorization: `Bearer ${svc.token('reg', 'agent')}` };
    const first = await svc.http().get('/tenants/reg/bundles/k8s').set(agent);
    assert.equal(first.status, 200);
    assert.match(String(first.headers['content-type']), /application\/gzip/);
    const etag = first.headers.etag;
    assert.match(etag, /^"sha256:[0-9a-f]{64}"$/);
    const again = await svc.http().get('/tenants/reg/bundles/k8s').set(agent).set('If-None-Match', etag);
    assert.equal(again.status, 304);
    assert.equal((await svc.http().get('/tenants/reg/bundles/none').set(agent)).status, 404);
  });
});
