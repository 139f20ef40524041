// POST /tenants/{t}/conftest, the endpoint behind `arbiter test --server`: its answer matches
// openapi.yaml, each check is one recorded decision, errors are per item, and bad requests get 400.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesSpec } from '../http/spec';
import { startGitopsService, type GitopsService } from './helpers';

const RULES = `package main

deny contains "no name" if not input.metadata.name

warn_replicas contains {"msg": "one replica", "hint": "use 2"} if input.spec.replicas == 1
`;

const BROKEN = 'package broken\n\ndeny contains {"text": "no msg"} if true\n';

describe('POST /tenants/{t}/conftest', () => {
  let svc: GitopsService;
  let auth: { Authorization: string };
  before(async () => {
    svc = await startGitopsService('api', [], {
      rules: { '.manifest': JSON.stringify({ revision: 'r', roots: ['main', 'broken'] }), 'main/main.rego': RULES, 'broken/broken.rego': BROKEN },
    });
    auth = { Authorization: `Bearer ${svc.token('api', 'decide', { sub: 'ci' })}` };
  });
  after(() => svc.close());

  it('answers per document and namespace, each a recorded decision; a malformed rule is an item error', async () => {
    const res = await svc
      .http()
      .post('/tenants/api/conftest')
      .set(auth)
      .send({ namespaces: ['main', 'broken'], documents: [{ metadata: { name: 'a' }, spec: { replicas: 1 } }, { spec: {} }] });
    assert.equal(res.status, 200);
    assertMatchesSpec('post', '/tenants/{tenant}/conftest', res);
    assert.deepEqual(res.body.namespaces, ['main', 'broken']);
    const [first, second] = res.body.results;
    assert.deepEqual({ ...first[0], decision_id: undefined }, {
      namespace: 'main',
      successes: 1,
      failures: [],
      warnings: [{ msg: 'one replica', metadata: { hint: 'use 2' }, rule: 'main.warn_replicas' }],
      exceptions: [],
      decision_id: undefined,
    });
    assert.deepEqual(second[0].failures, [{ msg: 'no name', rule: 'main.deny' }]);
    assert.equal(first[1].error.code, 'conftest_error');
    assert.match(first[1].error.message, /rule data\.broken\.deny missing msg field/);

    const ids = [first[0], first[1], second[0], second[1]].map((i: { decision_id: string }) => i.decision_id);
    assert.equal(new Set(ids).size, 4);
    const audit = { Authorization: `Bearer ${svc.token('api', 'audit:read')}` };
    const denied = await svc.http().get(`/tenants/api/decisions/${second[0].decision_id}`).set(audit);
    assert.equal(denied.body.path, 'main');
    assert.equal(denied.body.principal, 'ci');
    assert.equal(denied.body.result.allowed, false);
    assert.deepEqual(denied.body.input, { spec: {} });
    const failed = await svc.http().get(`/tenants/api/decisions/${first[1].decision_id}`).set(audit);
    assert.equal(failed.body.path, 'broken');
    assert.match(failed.body.error.message, /missing msg field/);
  });

  it('checks every package with rules under all_namespaces, and main by default', async () => {
    const all = await svc.http().post('/tenants/api/conftest').set(auth).send({ all_namespaces: true, documents: [{}] });
    assert.deepEqual(all.body.namespaces, ['broken', 'main']);
    const byDefault = await svc.http().post('/tenants/api/conftest').set(auth).send({ documents: [{}] });
    assert.deepEqual(byDefault.body.namespaces, ['main']);
  });

  it('rejects malformed requests with 400', async () => {
    const bad: [unknown, RegExp][] = [
      [[], /must be an object/],
      [{}, /'documents' must be an array/],
      [{ documents: {} }, /'documents' must be an array/],
      [{ documents: [], namespaces: [] }, /non-empty array/],
      [{ documents: [], namespaces: ['a..b'] }, /invalid namespace "a\.\.b"/],
      [{ documents: [], namespaces: ['main; x'] }, /invalid namespace/],
      [{ documents: [], all_namespaces: 'yes' }, /'all_namespaces' must be a boolean/],
      [{ documents: new Array(1001).fill({}) }, /at most 1000 documents/],
    ];
    for (const [body, message] of bad) {
      const res = await svc.http().post('/tenants/api/conftest').set(auth).send(body as object);
      assert.equal(res.status, 400, JSON.stringify(body).slice(0, 80));
      assert.match(res.body.message, message);
      assertMatchesSpec('post', '/tenants/{tenant}/conftest', res);
    }
  });
});
