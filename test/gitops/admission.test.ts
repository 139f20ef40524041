// Kubernetes validating admission: AdmissionReview in, AdmissionReview out (uid echoed, every
// denial in status.message, warnings), the object as input by default and the whole review on the
// admission-review path, fail closed on errors and on packages without rules, bad reviews 400.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesSpec } from '../http/spec';
import { startGitopsService, type GitopsService } from './helpers';

const RULES = `package k8s.admission

deny contains "Containers must not run as root" if {
	input.kind == "Pod"
	not input.spec.securityContext.runAsNonRoot
}

deny_host_network contains {"msg": "hostNetwork is not allowed", "id": "K8S-7"} if input.spec.hostNetwork

warn contains sprintf("Pod %s has no team label", [input.metadata.name]) if {
	input.kind == "Pod"
	not input.metadata.labels.team
}

exception contains ["host_network"] if input.metadata.namespace == "kube-system"
`;

const REVIEW_RULES = `package k8s.review

deny contains msg if {
	input.request.operation == "DELETE"
	not "platform-admins" in input.request.userInfo.groups
	msg := sprintf("%s may not delete %s", [input.request.userInfo.username, input.request.name])
}
`;

// Two values for one complete rule: a conflict error whenever both bodies hold.
const BROKEN = `package k8s.broken

deny contains msg if msg := tier

tier := "web" if input.metadata.name

tier := "system" if input.metadata.namespace
`;

const HELPERS_ONLY = 'package k8s.lib\n\nis_pod if input.kind == "Pod"\n';

const pod = (over: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', labels: { team: 'shop' } },
  spec: { securityContext: { runAsNonRoot: true }, containers: [{ name: 'app', image: 'nginx:1.27' }] },
  ...over,
});

const review = (request: Record<string, unknown>, apiVersion = 'admission.k8s.io/v1') => ({
  apiVersion,
  kind: 'AdmissionReview',
  request: { uid: 'b7c1-42', operation: 'CREATE', userInfo: { username: 'dev', groups: ['system:authenticated'] }, ...request },
});

describe('Kubernetes admission', () => {
  let svc: GitopsService;
  let auth: { Authorization: string };
  before(async () => {
    svc = await startGitopsService('cluster', [], {
      k8s: {
        '.manifest': JSON.stringify({ revision: 'k8s-1', roots: ['k8s'] }),
        'k8s/admission/rules.rego': RULES,
        'k8s/review/rules.rego': REVIEW_RULES,
        'k8s/broken/rules.rego': BROKEN,
        'k8s/lib/lib.rego': HELPERS_ONLY,
      },
    });
    auth = { Authorization: `Bearer ${svc.token('cluster', 'decide', { sub: 'apiserver' })}` };
  });
  after(() => svc.close());

  const post = (path: string, body: unknown) => svc.http().post(`/tenants/cluster/${path}`).set(auth).send(body as object);

  it('denies with every message, one per line, and passes warnings on', async () => {
    const object = pod({ metadata: { name: 'web', namespace: 'shop' }, spec: { hostNetwork: true } });
    const res = await post('admission/k8s/admission', review({ object }));
    assert.equal(res.status, 200);
    assertMatchesSpec('post', '/tenants/{tenant}/admission/{path}', res);
    assert.deepEqual(res.body, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: {
        uid: 'b7c1-42',
        allowed: false,
        status: { code: 403, reason: 'Forbidden', message: 'Containers must not run as root\nhostNetwork is not allowed' },
        warnings: ['Pod web has no team label'],
      },
    });
  });

  it('allows a compliant object, with exceptions applied, and echoes the review apiVersion', async () => {
    const ok = await post('admission/k8s/admission', review({ object: pod() }));
    assert.deepEqual(ok.body.response, { uid: 'b7c1-42', allowed: true });
    const excepted = await post('admission/k8s/admission', review({ object: pod({ metadata: { name: 'dns', namespace: 'kube-system', labels: { team: 'x' } }, spec: { securityContext: { runAsNonRoot: true }, hostNetwork: true } }) }, 'admission.k8s.io/v1beta1'));
    assert.equal(excepted.body.apiVersion, 'admission.k8s.io/v1beta1');
    assert.deepEqual(excepted.body.response, { uid: 'b7c1-42', allowed: true });
  });

  it('admission-review gives the rules the whole review: operation and user', async () => {
    const del = review({ operation: 'DELETE', name: 'web', object: null, oldObject: pod() });
    const denied = await post('admission-review/k8s/review', del);
    assert.equal(denied.body.response.allowed, false);
    assert.equal(denied.body.response.status.message, 'dev may not delete web');
    assertMatchesSpec('post', '/tenants/{tenant}/admission-review/{path}', denied);
    const admin = await post('admission-review/k8s/review', { ...del, request: { ...del.request, userInfo: { username: 'root', groups: ['platform-admins'] } } });
    assert.equal(admin.body.response.allowed, true);
    // In object mode a DELETE has no object to judge and is let through, recorded all the same.
    const objectMode = await post('admission/k8s/review', del);
    assert.deepEqual(objectMode.body.response, { uid: 'b7c1-42', allowed: true });
    const rec = await svc.http().get(`/tenants/cluster/decisions/${objectMode.headers['x-decision-id']}`).set('Authorization', `Bearer ${svc.token('cluster', 'audit:read')}`);
    assert.equal(rec.body.input.request.operation, 'DELETE');
    assert.deepEqual(rec.body.result.response, { uid: 'b7c1-42', allowed: true });
  });

  it('fails closed: an evaluation error or a package without rules answers allowed: false with the reason', async () => {
    const broken = await post('admission/k8s/broken', review({ object: pod() }));
    assert.equal(broken.status, 200);
    assert.equal(broken.body.response.allowed, false);
    assert.equal(broken.body.response.status.code, 500);
    assert.match(broken.body.response.status.message, /^policy evaluation failed \(decision [^)]+\): error\(s\) occurred while evaluating query; [\w/]*broken\/rules\.rego:\d+: complete rules must not produce multiple outputs/);
    const rec = await svc.http().get(`/tenants/cluster/decisions/${broken.headers['x-decision-id']}`).set('Authorization', `Bearer ${svc.token('cluster', 'audit:read')}`);
    assert.equal(rec.body.error.code, 'internal_error');

    for (const path of ['k8s/lib', 'k8s/nothing/here']) {
      const none = await post(`admission/${path}`, review({ object: pod() }));
      assert.equal(none.body.response.allowed, false, path);
      assert.match(none.body.response.status.message, /^no deny, violation or warn rules in package k8s\./);
    }
  });

  it('answers malformed reviews and paths with 400, other methods with 405', async () => {
    const bad: [string, unknown, RegExp][] = [
      ['admission/k8s/admission', { kind: 'Pod' }, /kind is "Pod"/],
      ['admission/k8s/admission', { apiVersion: 'v1', kind: 'AdmissionReview', request: { uid: 'x' } }, /apiVersion is "v1"/],
      ['admission/k8s/admission', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request is missing/],
      ['admission/k8s/admission', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { object: {} } }, /request\.uid is missing/],
      ['admission/k8s/admission', [1, 2], /not an object/],
      ['admission/k8s/bad-name', review({ object: pod() }), /invalid namespace "k8s\.bad-name"/],
    ];
    for (const [path, body, message] of bad) {
      const res = await post(path, body);
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(res.body.code, 'invalid_parameter');
      assert.match(res.body.message, message);
      assertMatchesSpec('post', '/tenants/{tenant}/admission/{path}', res);
    }
    const text = await svc.http().post('/tenants/cluster/admission/k8s/admission').set(auth).set('Content-Type', 'application/json').send('{"kind": ');
    assert.equal(text.status, 400);
    const get = await svc.http().get('/tenants/cluster/admission/k8s/admission').set(auth);
    assert.equal(get.status, 405);
    const unknown = await svc.http().post('/tenants/nobody/admission/k8s/admission').set('Authorization', `Bearer ${svc.token('nobody', 'decide')}`).send(review({ object: pod() }));
    assert.equal(unknown.status, 404);
  });
});
