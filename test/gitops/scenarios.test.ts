// The seed guide's three places where policy meets GitOps, end to end against a real service with
// the shipped bundles: a privileged Deployment is denied in CI (exit code and SARIF), at admission
// (allowed: false with the message), and a canary without the required metadata is halted by the
// Flagger gate (403); each decision is in the audit log, and the compliant variants pass everywhere.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { arbiterTest, COMPLIANT_DEPLOYMENT, deploymentObject, folder, PRIVILEGED_DEPLOYMENT, REPO, startGitopsService, type GitopsService } from './helpers';

const POLICY = join(REPO, 'bundles', 'kubernetes');

const review = (uid: string, object: unknown) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid, kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, operation: 'CREATE', userInfo: { username: 'dev' }, object },
});

const canaryPayload = (metadata: Record<string, string>) => ({ name: 'api-service', namespace: 'production', phase: 'Progressing', checksum: '85d557f47b', metadata });
const COMPLETE_METADATA = { image_signature_valid: 'true', critical_vulnerabilities: '0', istio_sidecar: 'true' };

describe('GitOps scenarios of the seed guide', () => {
  let svc: GitopsService;
  let auditAuth: { Authorization: string };
  before(async () => {
    svc = await startGitopsService('shop', ['kubernetes', 'canary']);
    auditAuth = { Authorization: `Bearer ${svc.token('shop', 'audit:read')}` };
  });
  after(() => svc.close());

  const record = async (id: string) => {
    const res = await svc.http().get(`/tenants/shop/decisions/${id}`).set(auditAuth);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };

  it('CI: a privileged Deployment fails arbiter test with exit 1 and a SARIF error at its line; the compliant one passes', async () => {
    const dir = folder({ 'privileged.yaml': PRIVILEGED_DEPLOYMENT, 'compliant.yaml': COMPLIANT_DEPLOYMENT });
    const denied = await arbiterTest([join(dir, 'privileged.yaml')], { policy: [POLICY], namespace: ['main'], output: 'sarif' });
    assert.equal(denied.code, 1, denied.stderr);
    const sarif = JSON.parse(denied.stdout);
    const results = sarif.runs[0].results;
    assert.equal(results.length, 1);
    assert.equal(results[0].message.text, 'Container app is privileged');
    assert.equal(results[0].level, 'error');
    assert.equal(results[0].locations[0].physicalLocation.region.startLine, 1);
    assert.equal(sarif.runs[0].invocations[0].exitCode, 1);

    const passed = await arbiterTest([join(dir, 'compliant.yaml')], { policy: [POLICY], output: 'sarif' });
    assert.equal(passed.code, 0, passed.stderr);
    assert.deepEqual(JSON.parse(passed.stdout).runs[0].results, []);
  });

  it('CI against the server: the same answers, and every check is a recorded decision', async () => {
    const dir = folder({ 'privileged.yaml': PRIVILEGED_DEPLOYMENT, 'compliant.yaml': COMPLIANT_DEPLOYMENT });
    const env = { ARBITER_TOKEN: svc.token('shop', 'decide', { sub: 'ci-pipeline' }) };
    const online = await arbiterTest([dir], { server: svc.url, output: 'json' }, env);
    const offline = await arbiterTest([dir], { policy: [POLICY], output: 'json' });
    assert.equal(online.code, 1, online.stderr);
    assert.equal(offline.code, 1);
    assert.equal(online.stdout, offline.stdout);

    const res = await svc.http().get('/tenants/shop/decisions').query({ path: 'main', principal: 'ci-pipeline' }).set(auditAuth);
    assert.equal(res.status, 200);
    const records = res.body.result as { input: { spec: unknown }; result: { allowed: boolean; failures: { msg: string }[] } }[];
    assert.equal(records.length, 2);
    const denied = records.filter((r) => !r.result.allowed);
    assert.equal(denied.length, 1);
    assert.deepEqual(denied[0].input, deploymentObject(true));
    assert.deepEqual(denied[0].result.failures.map((f) => f.msg), ['Container app is privileged']);
    const outcome = await svc.http().get('/tenants/shop/decisions').query({ path: 'main', outcome: 'denied', principal: 'ci-pipeline' }).set(auditAuth);
    assert.equal(outcome.body.result.length, 1);
  });

  it('admission: the privileged Deployment gets allowed: false with the message; the compliant one is allowed', async () => {
    const auth = { Authorization: `Bearer ${svc.token('shop', 'decide', { sub: 'kube-apiserver' })}` };
    const denied = await svc.http().post('/tenants/shop/admission/main').set(auth).send(review('uid-1', deploymentObject(true)));
    assert.equal(denied.status, 200);
    assert.deepEqual(denied.body, {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid: 'uid-1', allowed: false, status: { code: 403, reason: 'Forbidden', message: 'Container app is privileged' } },
    });
    const rec = await record(denied.headers['x-decision-id']);
    assert.equal(rec.path, 'main');
    assert.equal(rec.principal, 'kube-apiserver');
    assert.equal(rec.result.response.allowed, false);
    assert.equal(rec.input.request.uid, 'uid-1');

    const allowed = await svc.http().post('/tenants/shop/admission/main').set(auth).send(review('uid-2', deploymentObject(false)));
    assert.equal(allowed.status, 200);
    assert.deepEqual(allowed.body.response, { uid: 'uid-2', allowed: true });
    assert.equal((await record(allowed.headers['x-decision-id'])).result.response.allowed, true);
  });

  it('Flagger: a canary without the required metadata is halted with 403 and the reasons; the complete one passes', async () => {
    const jwt = svc.token('shop', 'decide', { sub: 'flagger' });
    const basic = `Basic ${Buffer.from(`token:${jwt}`).toString('base64')}`;
    const halted = await svc.http().post('/tenants/shop/flagger/canary').set('Authorization', basic).send(canaryPayload({ image_signature_valid: 'true' }));
    assert.equal(halted.status, 403);
    assert.match(halted.headers['content-type'], /^text\/plain/);
    assert.match(halted.text, /webhook metadata critical_vulnerabilities is missing; webhook metadata istio_sidecar is missing/);
    const rec = await record(halted.headers['x-decision-id']);
    assert.equal(rec.path, 'canary');
    assert.equal(rec.principal, 'flagger');
    assert.equal(rec.result.allowed, false);
    assert.deepEqual(rec.input, canaryPayload({ image_signature_valid: 'true' }));

    const approved = await svc
      .http()
      .post('/tenants/shop/flagger/canary')
      .send(canaryPayload({ ...COMPLETE_METADATA, token: jwt }));
    assert.equal(approved.status, 200, approved.text);
    const ok = await record(approved.headers['x-decision-id']);
    assert.equal(ok.result.allowed, true);
    assert.deepEqual(ok.input.metadata, COMPLETE_METADATA, 'the token is not recorded');
    assert.ok(approved.text.includes(approved.headers['x-decision-id']));
  });
});
