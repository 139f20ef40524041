import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesSpec } from './spec';
import { startService, type TestService } from './helpers';

describe('tenants', () => {
  let svc: TestService;
  before(async () => {
    svc = await startService();
  });
  after(() => svc.close());

  const admin = () => ({ Authorization: `Bearer ${svc.admin}` });

  it('lets an administrator create, read, list and delete tenants', async () => {
    const created = await svc.http().post('/tenants').set(admin()).send({ id: 'team-a', name: 'Team A' });
    assert.equal(created.status, 201);
    assertMatchesSpec('post', '/tenants', created);
    assert.equal(created.body.id, 'team-a');
    assert.equal(created.body.name, 'Team A');

    const one = await svc.http().get('/tenants/team-a').set(admin());
    assert.equal(one.status, 200);
    assertMatchesSpec('get', '/tenants/{tenant}', one);
    assert.deepEqual(one.body, created.body);

    const list = await svc.http().get('/tenants').set(admin());
    assertMatchesSpec('get', '/tenants', list);
    assert.deepEqual(
      list.body.result.map((t: { id: string }) => t.id),
      ['team-a'],
    );

    const deleted = await svc.http().delete('/tenants/team-a').set(admin());
    assert.equal(deleted.status, 204);
    const gone = await svc.http().get('/tenants/team-a').set(admin());
    assert.equal(gone.status, 404);
    assertMatchesSpec('get', '/tenants/{tenant}', gone);
    assert.equal(gone.body.code, 'resource_not_found');
  });

  it('answers 409 for an existing id and 400 for bad ids or bodies', async () => {
    assert.equal((await svc.http().post('/tenants').set(admin()).send({ id: 'dup' })).status, 201);
    const again = await svc.http().post('/tenants').set(admin()).send({ id: 'dup' });
    assert.equal(again.status, 409);
    assertMatchesSpec('post', '/tenants', again);
    assert.equal(again.body.code, 'resource_conflict');
    for (const body of [{ id: 'Upper' }, { id: '-x' }, { id: '' }, { id: 7 }, {}, [], 'text']) {
      const res = await svc.http().post('/tenants').set(admin()).set('Content-Type', 'application/json').send(JSON.stringify(body));
      assert.equal(res.status, 400, JSON.stringify(body));
      assertMatchesSpec('post', '/tenants', res);
      assert.equal(res.body.code, 'invalid_parameter');
    }
    const broken = await svc.http().post('/tenants').set(admin()).set('Content-Type', 'application/json').send('{"id": ');
    assert.equal(broken.status, 400);
    assert.equal(broken.body.code, 'invalid_parameter');
  });

  it('lets a tenant token read only its own tenant and administer nothing', async () => {
    await svc.http().post('/tenants').set(admin()).send({ id: 'own' });
    await svc.http().post('/tenants').set(admin()).send({ id: 'other' });
    const t = { Authorization: `Bearer ${svc.token('own', 'admin')}` };
    assert.equal((await svc.http().get('/tenants/own').set(t)).status, 200);
    const foreign = await svc.http().get('/tenants/other').set(t);
    assert.equal(foreign.status, 403);
    assertMatchesSpec('get', '/tenants/{tenant}', foreign);
    assert.equal((await svc.http().get('/tenants').set(t)).status, 403);
    assert.equal((await svc.http().post('/tenants').set(t).send({ id: 'mine' })).status, 403);
    assert.equal((await svc.http().delete('/tenants/own').set(t)).status, 403);
    assert.equal((await svc.http().get('/tenants/own')).status, 401);
  });

  it('answers unknown routes with 404 and wrong methods with 405, OPA-shaped', async () => {
    const missing = await svc.http().get('/no/such/thing').set(admin());
    assert.equal(missing.status, 404);
    assert.deepEqual(Object.keys(missing.body).sort(), ['code', 'message']);
    const wrong = await svc.http().patch('/tenants').set(admin());
    assert.equal(wrong.status, 405);
    assert.equal(wrong.body.code, 'invalid_operation');
    const wrongData = await svc.http().put('/v1/data/x').set(admin()).send({});
    assert.equal(wrongData.status, 405);
  });

  it('reports health and readiness', async () => {
    const health = await svc.http().get('/health');
    assert.equal(health.status, 200);
    assertMatchesSpec('get', '/health', health);
    const ready = await svc.http().get('/health/ready');
    assert.equal(ready.status, 200);
    assertMatchesSpec('get', '/health/ready', ready);
    assert.deepEqual(ready.body, {});
  });
});
