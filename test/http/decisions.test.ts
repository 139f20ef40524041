import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { assertMatchesSpec } from './spec';
import { createTenant, DEPLOY_POLICY, privilegedDeployment, startService, upload, type TestService } from './helpers';

const manifest = (revision: string, roots: string[]) => JSON.stringify({ revision, roots });

const CANARY = `package canary

allow if count(deny) == 0

deny contains "critical vulnerabilities" if to_number(input.metadata.critical_vulnerabilities) > 0
`;

const SYSTEM = `package system

main := {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {"uid": input.request.uid, "allowed": count(data.main.deny) == 0}}
`;

const ERRORS = `package errs

num := to_number(input.s)

conflict := 1 if input.x == 1

conflict := 2 if input.y == 1

list := ["a", "b", "c"]

echo := input
`;

describe('decisions (OPA REST API)', () => {
  let svc: TestService;
  let auth: { Authorization: string };
  before(async () => {
    svc = await startService();
    await createTenant(svc, 'dec');
    await createTenant(svc, 'empty');
    await createTenant(svc, 'other');
    const bundles: Record<string, Record<string, string>> = {
      k8s: { '.manifest': manifest('k8s-7', ['main']), 'main/deploy.rego': DEPLOY_POLICY },
      canary: { '.manifest': manifest('canary-1', ['canary']), 'canary/canary.rego': CANARY },
      admission: { '.manifest': manifest('adm-1', ['system']), 'system/system.rego': SYSTEM },
      errs: { '.manifest': manifest('errs-1', ['errs']), 'errs/errs.rego': ERRORS },
    };
    for (const [name, files] of Object.entries(bundles)) {
      const res = await upload(svc, 'dec', name, files);
      assert.equal(res.status, 201, res.text);
    }
    auth = { Authorization: `Bearer ${svc.token('dec', 'decide', { sub: 'ci-job' })}` };
  });
  after(() => svc.close());

  it('POST /v1/data/{path} answers result and decision_id, and records the decision', async () => {
    const res = await svc.http().post('/v1/data/main/deny').set(auth).send({ input: privilegedDeployment });
    assert.equal(res.status, 200);
    assertMatchesSpec('post', '/v1/data/{path}', res);
    assert.deepEqual([...res.body.result].sort(), ['Container app is privileged', 'Containers must not run as root']);
    assert.equal(res.headers['x-decision-id'], res.body.decision_id);
    assert.deepEqual(Object.keys(res.body), ['result', 'decision_id']);
    assert.ok(res.text.endsWith('}\n'));

    const rec = await svc.http().get(`/tenants/dec/decisions/${res.body.decision_id}`).set('Authorization', `Bearer ${svc.token('dec', 'audit:read')}`);
    assert.equal(rec.status, 200);
    assert.equal(rec.body.path, 'main/deny');
    assert.equal(rec.body.principal, 'ci-job');
    assert.deepEqual(rec.body.input, privilegedDeployment);
    assert.deepEqual([...rec.body.result].sort(), [...res.body.result].sort());
    assert.equal(rec.body.bundles.k8s.revision, 'k8s-7');
    assert.equal(rec.body.bundles.k8s.version, 1);
    assert.match(rec.body.bundles.k8s.digest, /^sha256:/);
  });

  it('GET takes ?input= and rejects malformed input', async () => {
    const res = await svc.http().get('/v1/data/main/deny').query({ input: JSON.stringify(privilegedDeployment) }).set(auth);
    assert.equal(res.status, 200);
    assertMatchesSpec('get', '/v1/data/{path}', res);
    assert.equal(res.body.result.length, 2);
    const bad = await svc.http().get('/v1/data/main/deny?input=%7Bnope').set(auth);
    assert.equal(bad.status, 400);
    assertMatchesSpec('get', '/v1/data/{path}', bad);
    assert.match(bad.body.message, /^parameter contains malformed input document/);
  });

  it('answers an undefined document with 200 and no result, and warns when input is missing', async () => {
    const res = await svc.http().post('/v1/data/nothing/here').set(auth).send({ input: {} });
    assert.equal(res.status, 200);
    assertMatchesSpec('post', '/v1/data/{path}', res);
    assert.deepEqual(Object.keys(res.body), ['decision_id']);
    const flagger = await svc.http().post('/v1/data/canary/allow').set(auth).send({ name: 'podinfo', phase: 'Progressing', metadata: {} });
    assert.deepEqual(flagger.body.warning, { code: 'api_usage_warning', message: "'input' key missing from the request" });
    const empty = await svc.http().post('/v1/data/canary/allow').set(auth);
    assert.equal(empty.status, 200);
    assert.equal(empty.body.warning.code, 'api_usage_warning');
  });

  it('reads gzip and YAML bodies, and honours pretty, metrics and provenance', async () => {
    const gz = await svc
      .http()
      .post('/v1/data/main/deny')
      .set(auth)
      .set('Content-Encoding', 'gzip')
      .send(gzipSync(JSON.stringify({ input: privilegedDeployment })));
    assert.equal(gz.status, 200);
    assert.equal(gz.body.result.length, 2);

    const yaml = 'input:\n  kind: Deployment\n  spec:\n    template:\n      spec:\n        securityContext:\n          runAsNonRoot: true\n        containers:\n          - name: web\n';
    const y = await svc.http().post('/v1/data/main/deny').set(auth).set('Content-Type', 'application/x-yaml').send(yaml);
    assert.equal(y.status, 200);
    assert.deepEqual(y.body.result, []);

    const pretty = await svc.http().post('/v1/data/main/deny?pretty=true&metrics&provenance=TRUE').set(auth).send({ input: privilegedDeployment });
    assertMatchesSpec('post', '/v1/data/{path}', pretty);
    assert.ok(pretty.text.startsWith('{\n  "provenance": {'), pretty.text);
    assert.deepEqual(Object.keys(pretty.body), ['provenance', 'metrics', 'result', 'decision_id']);
    assert.deepEqual(pretty.body.provenance.bundles.k8s, { revision: 'k8s-7' });
    for (const key of ['timer_rego_query_eval_ns', 'timer_server_handler_ns']) assert.ok(Number.isInteger(pretty.body.metrics[key]), key);

    const notPretty = await svc.http().post('/v1/data/main/deny?pretty=no').set(auth).send({ input: {} });
    assert.ok(!notPretty.text.includes('\n  '));
  });

  it('compresses large answers for clients that accept gzip, as OPA does', async () => {
    const big = { text: 'x'.repeat(4000) };
    const zipped = await svc.http().post('/v1/data/errs/echo').set(auth).set('Accept-Encoding', 'gzip').send({ input: big });
    assert.equal(zipped.status, 200);
    assert.equal(zipped.headers['content-encoding'], 'gzip');
    assert.ok(Number(zipped.headers['content-length']) < 1000);
    assert.deepEqual(zipped.body.result, big);
    const plain = await svc.http().post('/v1/data/errs/echo').set(auth).set('Accept-Encoding', 'identity').send({ input: big });
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.deepEqual(plain.body.result, big);
    const small = await svc.http().post('/v0/data/errs/echo').set(auth).set('Accept-Encoding', 'gzip').send({ a: 1 });
    assert.equal(small.headers['content-encoding'], undefined, 'below 1024 bytes nothing is compressed');
  });

  it('rejects malformed, badly compressed and wrongly shaped bodies with 400', async () => {
    const cases: [string, string | Buffer, Record<string, string>, RegExp][] = [
      ['/v1/data/main/deny', '{"input": ', { 'Content-Type': 'application/json' }, /^body contains malformed input document/],
      ['/v1/data/main/deny', Buffer.from('not gzip at all'), { 'Content-Encoding': 'gzip' }, /^could not decompress the body/],
      ['/v1/data/main/deny', '[1, 2]', { 'Content-Type': 'application/json' }, /^body contains malformed input document/],
      ['/v1/data/main/deny', 'input: [unclosed', { 'Content-Type': 'application/yaml' }, /^body contains malformed input document/],
      ['/v0/data/canary/allow', '{"name": ', { 'Content-Type': 'application/json' }, /^body contains malformed input document/],
    ];
    for (const [path, body, headers, message] of cases) {
      const res = await svc.http().post(path).set(auth).set(headers).send(body);
      assert.equal(res.status, 400, `${path} ${String(body)}`);
      assert.equal(res.body.code, 'invalid_parameter');
      assert.match(res.body.message, message);
    }
    const badPath = await svc.http().post('/v1/data/a/%22b').set(auth).send({});
    assert.equal(badPath.status, 400);
  });

  it('serves the same API under /tenants/{t} and keeps tenants apart', async () => {
    const res = await svc.http().post('/tenants/dec/v1/data/main/deny').set(auth).send({ input: privilegedDeployment });
    assert.equal(res.status, 200);
    assertMatchesSpec('post', '/tenants/{tenant}/v1/data/{path}', res);
    assert.equal(res.body.result.length, 2);
    const foreign = await svc.http().post('/tenants/other/v1/data/main/deny').set(auth).send({ input: privilegedDeployment });
    assert.equal(foreign.status, 403);
    assertMatchesSpec('post', '/tenants/{tenant}/v1/data/{path}', foreign);
    const otherToken = { Authorization: `Bearer ${svc.token('other', 'decide')}` };
    const otherView = await svc.http().post('/v1/data/main/deny').set(otherToken).send({ input: privilegedDeployment });
    assert.equal(otherView.status, 200);
    assert.equal(otherView.body.result, undefined, "tenant other does not see tenant dec's policies");
    const admin = await svc.http().post('/tenants/dec/v1/data/main/deny').set('Authorization', `Bearer ${svc.admin}`).send({ input: privilegedDeployment });
    assert.equal(admin.body.result.length, 2);
    const adminNoTenant = await svc.http().post('/v1/data/main/deny').set('Authorization', `Bearer ${svc.admin}`).send({});
    assert.equal(adminNoTenant.status, 400);
    const unknown = await svc.http().post('/tenants/nope/v1/data/x').set('Authorization', `Bearer ${svc.admin}`).send({});
    assert.equal(unknown.status, 404);
  });

  it('answers a tenant without bundles with undefined, not an error', async () => {
    const res = await svc.http().post('/v1/data/main/deny').set('Authorization', `Bearer ${svc.token('empty', 'decide')}`).send({ input: {} });
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.body), ['decision_id']);
  });

  it('POST /v0/data/{path}: the body is the input, raw value or 404 undefined_document', async () => {
    const flagger = { name: 'podinfo', namespace: 'test', phase: 'Progressing', checksum: '85d557f47b', metadata: { critical_vulnerabilities: '0' } };
    const ok = await svc.http().post('/v0/data/canary/allow').set(auth).send(flagger);
    assert.equal(ok.status, 200);
    assertMatchesSpec('post', '/v0/data/{path}', ok);
    assert.equal(ok.text, 'true\n');
    assert.match(String(ok.headers['x-decision-id']), /^[0-9a-f-]{36}$/);

    const denied = await svc.http().post('/tenants/dec/v0/data/canary/allow').set(auth).send({ ...flagger, metadata: { critical_vulnerabilities: '2' } });
    assert.equal(denied.status, 404);
    assertMatchesSpec('post', '/tenants/{tenant}/v0/data/{path}', denied);
    assert.deepEqual(denied.body, { code: 'undefined_document', message: 'document undefined: data.canary.allow' });
    const missing = await svc.http().post('/v0/data/no/such/doc').set(auth).send({});
    assert.deepEqual(missing.body, { code: 'undefined_document', message: 'document missing: data.no.such.doc' });

    const index = await svc.http().post('/v0/data/errs/list/1').set(auth).send({});
    assert.equal(index.status, 200);
    assert.equal(index.body, 'b');

    const rec = await svc.http().get(`/tenants/dec/decisions/${denied.headers['x-decision-id']}`).set('Authorization', `Bearer ${svc.token('dec', 'audit:read')}`);
    assert.equal(rec.status, 200);
    assert.equal(rec.body.result, undefined);
    assert.deepEqual(rec.body.input, { ...flagger, metadata: { critical_vulnerabilities: '2' } });
  });

  it('answers a path asked again the same way (integer segments, unescaping), and a bad path with 400 every time', async () => {
    for (let i = 0; i < 3; i++) {
      const second = await svc.http().post('/v1/data/errs/list/1').set(auth).send({});
      assert.equal(second.body.result, 'b');
      const third = await svc.http().post('/v1/data/errs/%6Cist/2').set(auth).send({});
      assert.equal(third.body.result, 'c');
      const bad = await svc.http().post('/v1/data/errs/%zz').set(auth).send({});
      assert.equal(bad.status, 400);
      assert.match(bad.body.message, /cannot unescape '%zz'/);
      // Paths too long to be cached take the same route each time.
      const long = await svc.http().post(`/v1/data/errs/list/2${'/'.repeat(300)}`).set(auth).send({});
      assert.equal(long.body.result, 'c');
    }
  });

  it('POST / evaluates the default decision with the body as input', async () => {
    const review = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u-1', object: {} } };
    const res = await svc.http().post('/').set(auth).send(review);
    assert.equal(res.status, 200);
    assertMatchesSpec('post', '/', res);
    assert.equal(res.body.kind, 'AdmissionReview');
    assert.deepEqual(res.body.response, { uid: 'u-1', allowed: true });
    const none = await svc.http().post('/').set('Authorization', `Bearer ${svc.token('empty', 'decide')}`).send(review);
    assert.equal(none.status, 404);
    assert.equal(none.body.message, 'document missing: data.system.main');
  });

  it('turns evaluation errors into OPA 500s and honours strict-builtin-errors', async () => {
    const lenient = await svc.http().post('/v1/data/errs/num').set(auth).send({ input: { s: 'abc' } });
    assert.equal(lenient.status, 200);
    assert.equal(lenient.body.result, undefined);
    const strict = await svc.http().post('/v1/data/errs/num?strict-builtin-errors=true').set(auth).send({ input: { s: 'abc' } });
    assert.equal(strict.status, 500);
    assertMatchesSpec('post', '/v1/data/{path}', strict);
    assert.equal(strict.body.code, 'internal_error');
    assert.equal(strict.body.message, 'error(s) occurred while evaluating query');
    assert.equal(strict.body.errors[0].code, 'eval_builtin_error');

    const conflict = await svc.http().post('/v1/data/errs/conflict').set(auth).send({ input: { x: 1, y: 1 } });
    assert.equal(conflict.status, 500);
    assert.equal(conflict.body.errors[0].code, 'eval_conflict_error');
    const rec = await svc.http().get(`/tenants/dec/decisions/${conflict.headers['x-decision-id']}`).set('Authorization', `Bearer ${svc.token('dec', 'audit:read')}`);
    assert.equal(rec.status, 200, 'failed decisions are recorded too');
    assert.ok(rec.body.error);
  });

  it('POST /v1/batch/data answers 200, 207 and 500 as Enterprise OPA does', async () => {
    const all = await svc.http().post('/v1/batch/data/errs/conflict').set(auth).send({ inputs: { a: { x: 1 }, b: { y: 1 } } });
    assert.equal(all.status, 200);
    assertMatchesSpec('post', '/v1/batch/data/{path}', all);
    assert.equal(all.body.responses.a.result, 1);
    assert.equal(all.body.responses.b.result, 2);
    assert.notEqual(all.body.responses.a.decision_id, all.body.responses.b.decision_id);
    assert.equal(all.body.responses.a.http_status_code, undefined);

    const mixed = await svc.http().post('/tenants/dec/v1/batch/data/errs/conflict').set(auth).send({ inputs: { ok: { x: 1 }, bad: {} }, common_input: { y: 1 } });
    assert.equal(mixed.status, 207);
    assertMatchesSpec('post', '/tenants/{tenant}/v1/batch/data/{path}', mixed);
    assert.equal(mixed.body.responses.ok.code, 'internal_error', 'common_input merged: x and y both set');
    assert.equal(mixed.body.responses.ok.http_status_code, '500');
    assert.equal(mixed.body.responses.bad.result, 2);
    assert.equal(mixed.body.responses.bad.http_status_code, '200');

    const failing = await svc.http().post('/v1/batch/data/errs/conflict').set(auth).send({ inputs: { a: { x: 1, y: 1 } } });
    assert.equal(failing.status, 500);
    assertMatchesSpec('post', '/v1/batch/data/{path}', failing);

    const noInputs = await svc.http().post('/v1/batch/data/errs/conflict').set(auth).send({});
    assert.equal(noInputs.status, 200);
    assert.equal(noInputs.body.warning.message, "'inputs' key missing from the request");

    const audit = { Authorization: `Bearer ${svc.token('dec', 'audit:read')}` };
    for (const item of Object.values(mixed.body.responses) as { decision_id: string }[]) {
      assert.equal((await svc.http().get(`/tenants/dec/decisions/${item.decision_id}`).set(audit)).status, 200);
    }
  });
});
