// The Flagger webhook gate: what allows for a rule path and a package path, reasons as plain text
// with 403 (never 5xx), the rollback hook's inverted sense, tokens from URL user info or metadata
// (never recorded), and typed errors for bad requests.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { assertMatchesSpec } from '../http/spec';
import { startGitopsService, type GitopsService } from './helpers';

const GATE = `package gate

allow if count(deny) == 0

deny contains msg if {
	not input.metadata.ticket
	msg := "metadata ticket is missing"
}

violation contains {"msg": sprintf("phase %s is not gated", [input.phase])} if input.phase == "Failed"

warn contains "no owner" if not input.metadata.owner


strict := false

freeze := {"Friday deploys are frozen"} if input.metadata.day == "Friday"

freeze := set() if input.metadata.day != "Friday"

conflict := 1 if input.metadata.x

conflict := 2 if input.metadata.y
`;

// No allow rule: the deny rule and its exception decide.
const LENIENT = `package gate.lenient

deny contains "metadata ticket is missing" if not input.metadata.ticket

exception contains [""] if input.metadata.owner == "oncall"
`;

const ALLOW_ONLY = 'package approve\n\nallow if input.metadata.approved == "true"\n';

const payload = (metadata: Record<string, string>, phase = 'Progressing') => ({ name: 'podinfo', namespace: 'test', phase, checksum: '85d557f47b', metadata });

describe('Flagger gate', () => {
  let svc: GitopsService;
  let bearer: { Authorization: string };
  before(async () => {
    svc = await startGitopsService('delivery', ['canary'], {
      gates: { '.manifest': JSON.stringify({ revision: 'g1', roots: ['gate', 'approve'] }), 'gate/gate.rego': GATE, 'gate/lenient/lenient.rego': LENIENT, 'approve/approve.rego': ALLOW_ONLY },
    });
    bearer = { Authorization: `Bearer ${svc.token('delivery', 'decide', { sub: 'flagger' })}` };
  });
  after(() => svc.close());

  const post = (path: string, body: unknown, headers: Record<string, string> = bearer) => svc.http().post(`/tenants/delivery/flagger/${path}`).set(headers).send(body as object);
  const record = async (id: string) => (await svc.http().get(`/tenants/delivery/decisions/${id}`).set('Authorization', `Bearer ${svc.token('delivery', 'audit:read')}`)).body;

  it('a package: its deny and violation rules halt with their messages, allow must hold, warnings do not halt', async () => {
    const halted = await post('gate', payload({ owner: 'team' }, 'Failed'));
    assert.equal(halted.status, 403);
    assert.match(halted.text, /^metadata ticket is missing; phase Failed is not gated \(decision [0-9a-f-]+\)\n$/);
    assert.equal(halted.headers['x-decision-id'], /\(decision ([0-9a-f-]+)\)/.exec(halted.text)?.[1]);
    assertMatchesSpec('post', '/tenants/{tenant}/flagger/{path}', halted);
    const passed = await post('gate', payload({ ticket: 'OPS-1' }));
    assert.equal(passed.status, 200);
    assert.match(passed.text, /^approved \(decision [0-9a-f-]+\)\n$/);
    const rec = await record(passed.headers['x-decision-id']);
    assert.deepEqual(rec.result, { allowed: true, reasons: [], warnings: ['no owner'] });
    assert.equal(rec.path, 'gate');
  });

  it('exceptions apply, and a package with only allow is decided by allow', async () => {
    // exception [""] names the unsuffixed deny rule: no ticket needed when on call.
    assert.equal((await post('gate/lenient', payload({ owner: 'someone' }))).status, 403);
    const excepted = await post('gate/lenient', payload({ owner: 'oncall' }));
    assert.equal(excepted.status, 200, excepted.text);
    assert.equal((await post('approve', payload({ approved: 'true' }))).status, 200);
    const notApproved = await post('approve', payload({ approved: 'yes' }));
    assert.equal(notApproved.status, 403);
    assert.match(notApproved.text, /^data\.approve\.allow is undefined \(decision/);
  });

  it('a rule: true or an empty set allows; a set gives its members as reasons; false and undefined halt with the package deny messages', async () => {
    assert.equal((await post('gate/allow', payload({ ticket: 'T-1' }))).status, 200);
    const viaAllow = await post('gate/allow', payload({}));
    assert.equal(viaAllow.status, 403);
    assert.match(viaAllow.text, /^metadata ticket is missing \(decision/);
    assert.equal((await post('gate/freeze', payload({ day: 'Monday' }))).status, 200);
    const frozen = await post('gate/freeze', payload({ day: 'Friday' }));
    assert.equal(frozen.status, 403);
    assert.match(frozen.text, /^Friday deploys are frozen \(decision/);
    const isFalse = await post('approve/allow', payload({}));
    assert.match(isFalse.text, /^data\.approve\.allow is undefined/);
    const strict = await post('gate/strict', payload({ ticket: 'T' }));
    assert.equal(strict.status, 403);
    assert.match(strict.text, /^data\.gate\.strict is false/);
    const nothing = await post('nothing/here', payload({}));
    assert.equal(nothing.status, 403);
    assert.match(nothing.text, /^no allow, deny or violation rules in package nothing\.here/);
  });

  it('fails closed with 403, never 5xx, when the policy cannot be evaluated', async () => {
    const res = await post('gate/conflict', payload({ x: '1', y: '1' }));
    assert.equal(res.status, 403);
    assert.match(res.text, /^policy evaluation failed: error\(s\) occurred while evaluating query; .*complete rules must not produce multiple outputs/);
    assert.equal((await record(res.headers['x-decision-id'])).error.code, 'internal_error');
  });

  it("rollback hooks: 200 means roll back, so the shipped canary's rollback rule answers 200 only when asked", async () => {
    const base = { image_signature_valid: 'true', critical_vulnerabilities: '0', istio_sidecar: 'true' };
    assert.equal((await post('canary/rollback', payload(base))).status, 403);
    assert.equal((await post('canary/rollback', payload({ ...base, emergency_rollback: 'true' }))).status, 200);
    assert.equal((await post('canary', payload(base))).status, 200);
    const vulnerable = await post('canary', payload({ ...base, critical_vulnerabilities: '2' }));
    assert.equal(vulnerable.status, 403);
    assert.match(vulnerable.text, /^image has 2 critical vulnerabilities/);
  });

  it('takes the token from URL user info (Basic) or metadata.token and never records it', async () => {
    const jwt = svc.token('delivery', 'decide', { sub: 'flagger-basic' });
    const asPassword = await post('gate', payload({ ticket: 'T' }), { Authorization: `Basic ${Buffer.from(`token:${jwt}`).toString('base64')}` });
    assert.equal(asPassword.status, 200, asPassword.text);
    assert.equal((await record(asPassword.headers['x-decision-id'])).principal, 'flagger-basic');
    const asUser = await post('gate', payload({ ticket: 'T' }), { Authorization: `Basic ${Buffer.from(`${jwt}:`).toString('base64')}` });
    assert.equal(asUser.status, 200, asUser.text);
    const inMetadata = await post('gate', payload({ ticket: 'T', token: jwt }), {});
    assert.equal(inMetadata.status, 200, inMetadata.text);
    const rec = await record(inMetadata.headers['x-decision-id']);
    assert.deepEqual(rec.input.metadata, { ticket: 'T' });
    assert.ok(!JSON.stringify(rec).includes(jwt));
    // The policy does not see it either: a rule reading metadata.token finds nothing.
    assert.equal((await post('gate', payload({ token: jwt }), {})).status, 403);
  });

  it('answers bad tokens, bad bodies and other methods with OPA-style errors', async () => {
    const none = await post('gate', payload({}), {});
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'unauthorized');
    const wrongPassword = await post('gate', payload({}), { Authorization: `Basic ${Buffer.from('token:not-a-jwt').toString('base64')}` });
    assert.equal(wrongPassword.status, 401);
    const otherTenant = await post('gate', payload({}), { Authorization: `Bearer ${svc.token('elsewhere', 'decide')}` });
    assert.equal(otherTenant.status, 403);
    assert.equal(otherTenant.body.code, 'unauthorized');
    for (const body of ['[1]', '"text"', '{"name": ']) {
      const res = await svc.http().post('/tenants/delivery/flagger/gate').set(bearer).set('Content-Type', 'application/json').send(body);
      assert.equal(res.status, 400, body);
      assert.equal(res.body.code, 'invalid_parameter');
      assertMatchesSpec('post', '/tenants/{tenant}/flagger/{path}', res);
    }
    const huge = await post('gate', payload({ ticket: 'x'.repeat(2 << 20) }), {});
    assert.equal(huge.status, 400);
    assert.equal(huge.body.message, 'request body too large');
    const badPath = await post('gate/not-a-rule', payload({}));
    assert.equal(badPath.status, 400);
    assert.equal((await svc.http().put('/tenants/delivery/flagger/gate').set(bearer).send({})).status, 405);
  });
});
