// The bundle service as a real OPA agent uses it: signed archives, ETag, If-None-Match, long
// polling that answers within a second of an activation, and every waiter woken at once.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTenant, startService, upload, type TestService } from '../http/helpers';
import { assertMatchesSpec } from '../http/spec';
import { OPA_BUNDLE_TYPE, OpaDownloader, rawGet, untar, verifyBundle, type PublicKey } from './opa-client';

const policy = (msg: string) => `package app\n\nmessage := "${msg}"\n`;
const files = (revision: string, msg: string) => ({ '.manifest': JSON.stringify({ revision, roots: ['app'] }), 'app/policy.rego': policy(msg), 'app/data.json': JSON.stringify({ z: 1, a: [msg] }) });

async function listen(svc: TestService): Promise<void> {
  await new Promise<void>((resolve) => svc.server.listen(0, '127.0.0.1', () => resolve()));
}

async function publicKeys(svc: TestService): Promise<PublicKey[]> {
  const res = await svc.http().get('/keys');
  assert.equal(res.status, 200);
  assertMatchesSpec('get', '/keys', res);
  return res.body.keys;
}

describe('bundle service for OPA agents', () => {
  let svc: TestService;
  let agentToken: string;
  before(async () => {
    svc = await startService();
    await listen(svc);
    await createTenant(svc, 'fleet');
    await createTenant(svc, 'other');
    assert.equal((await upload(svc, 'fleet', 'app', files('r1', 'one'))).status, 201);
    agentToken = svc.token('fleet', 'agent');
  });
  after(() => svc.close());

  it('serves the active version signed with the key of GET /keys, and verification catches a one-byte change', async () => {
    const keys = await publicKeys(svc);
    assert.equal(keys[0].algorithm, 'RS256');
    assert.match(keys[0].key, /^-----BEGIN PUBLIC KEY-----/);
    const opa = new OpaDownloader(svc.server, '/tenants/fleet/bundles/app', agentToken);
    const res = await opa.poll();
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], 'application/gzip', 'no long polling asked: plain gzip');
    assert.match(String(res.headers.etag), /^"sha256:[0-9a-f]{64}"$/);
    const content = untar(res.body);
    assert.equal(content.get('app/policy.rego')?.toString(), policy('one'));
    const verified = verifyBundle(content, keys, 'write');
    assert.equal(verified.kid, keys[0].kid);
    assert.deepEqual(verified.files.map((f) => f.name).sort(), ['.manifest', 'app/data.json', 'app/policy.rego']);
    assert.throws(() => verifyBundle(content, keys, ''), /scope mismatch/);

    for (const name of ['app/policy.rego', 'app/data.json', '.manifest']) {
      const tampered = new Map(content);
      const bytes = Buffer.from(content.get(name)!);
      // Change one byte inside a string value, so structured files still parse.
      const at = bytes.indexOf(name === '.manifest' ? 'r1' : 'one');
      bytes[at] = bytes[at] + 1;
      tampered.set(name, bytes);
      assert.throws(() => verifyBundle(tampered, keys, 'write'), new RegExp(`${name.replace('.', '\\.')}: digest mismatch`));
    }
    const sig = JSON.parse(content.get('.signatures.json')!.toString());
    const jws: string = sig.signatures[0];
    const forged = new Map(content);
    const last = jws.length - 5;
    forged.set('.signatures.json', Buffer.from(JSON.stringify({ signatures: [jws.slice(0, last) + (jws[last] === 'A' ? 'B' : 'A') + jws.slice(last + 1)] })));
    assert.throws(() => verifyBundle(forged, keys, 'write'), /failed to verify/);
  });

  it('answers 304 to the current ETag without waiting when the agent does not long-poll', async () => {
    const opa = new OpaDownloader(svc.server, '/tenants/fleet/bundles/app', agentToken);
    assert.equal((await opa.poll()).status, 200);
    const again = await opa.poll();
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.ok(again.elapsedMs < 500, `took ${again.elapsedMs} ms`);
  });

  it('keeps OPA in long-polling mode and delivers a new activation within one second', async () => {
    const opa = new OpaDownloader(svc.server, '/tenants/fleet/bundles/app', agentToken, 10);
    const first = await opa.poll();
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-type'], OPA_BUNDLE_TYPE);
    assert.ok(opa.longPolling);
    const oldTag = opa.etag;

    const waiting = opa.poll().then((r) => ({ ...r, at: performance.now() }));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(svc.services.deps.agents!.hub.waiting, 1, 'the poll is held, not answered');
    assert.equal((await upload(svc, 'fleet', 'app', files('r2', 'two'))).status, 201);
    // The upload's answer comes once the version is active (validated, stored, swapped in).
    const activatedAt = performance.now();
    const res = await waiting;
    const seenAfterMs = Math.max(0, res.at - activatedAt);
    assert.equal(res.status, 200);
    assert.ok(seenAfterMs < 1000, `new version seen ${seenAfterMs} ms after the activation`);
    assert.ok(res.elapsedMs >= 300, 'held until the activation');
    assert.notEqual(opa.etag, oldTag);
    assert.ok(opa.longPolling);
    const content = untar(res.body);
    assert.equal(content.get('app/policy.rego')?.toString(), policy('two'));
    verifyBundle(content, await publicKeys(svc), 'write');
  });

  it('answers 304 when the wait runs out, and ignores changes of other bundles', async () => {
    const opa = new OpaDownloader(svc.server, '/tenants/fleet/bundles/app', agentToken, 1);
    assert.equal((await opa.poll()).status, 200);
    const waiting = opa.poll();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await upload(svc, 'fleet', 'side', { '.manifest': '{"revision":"s1","roots":["side"]}', 'side/x.rego': 'package side\n\nx := 1\n' })).status, 201);
    const res = await waiting;
    assert.equal(res.status, 304);
    assert.ok(res.elapsedMs >= 950, `answered after ${res.elapsedMs} ms`);
    assert.equal(res.headers.etag, opa.etag);
  });

  it('wakes every waiting agent with one activation, and serves a rollback the same way', async () => {
    const agents = Array.from({ length: 40 }, () => new OpaDownloader(svc.server, '/tenants/fleet/bundles/app', agentToken, 20));
    for (const a of agents) assert.equal((await a.poll()).status, 200);
    const waiting = agents.map((a) => a.poll());
    while (svc.services.deps.agents!.hub.waiting < agents.length) await new Promise((r) => setTimeout(r, 20));
    const versions = await svc.http().get('/tenants/fleet/bundles/app/versions').set('Authorization', `Bearer ${svc.token('fleet', 'bundles:read')}`);
    const first = versions.body.result.find((v: { revision: string }) => v.revision === 'r1').version;
    const rollback = await svc.http().post('/tenants/fleet/bundles/app/activate').set('Authorization', `Bearer ${svc.token('fleet', 'bundles:write')}`).send({ version: first });
    assert.equal(rollback.status, 200);
    const activatedAt = performance.now();
    const results = await Promise.all(waiting);
    const allSeenMs = performance.now() - activatedAt;
    assert.ok(allSeenMs < 1000, `all ${agents.length} agents had the rollback after ${allSeenMs} ms`);
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.equal(untar(r.body).get('app/policy.rego')?.toString(), policy('one'));
    }
    assert.equal(new Set(agents.map((a) => a.etag)).size, 1);
    assert.equal(svc.services.deps.agents!.hub.waiting, 0);
  });

  it('forgets a waiter whose agent hangs up', async () => {
    const opa = new OpaDownloader(svc.server, '/tenants/fleet/bundles/app', agentToken, 30);
    assert.equal((await opa.poll()).status, 200);
    const abort = new AbortController();
    const waiting = opa.poll(abort.signal).catch((e: Error) => e);
    while (svc.services.deps.agents!.hub.waiting < 1) await new Promise((r) => setTimeout(r, 10));
    abort.abort();
    assert.ok((await waiting) instanceof Error);
    for (let i = 0; i < 50 && svc.services.deps.agents!.hub.waiting > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(svc.services.deps.agents!.hub.waiting, 0);
  });

  it('gives registry clients the active version as JSON with Accept: application/json', async () => {
    const res = await svc.http().get('/tenants/fleet/bundles/app').set('Authorization', `Bearer ${svc.token('fleet', 'bundles:read')}`).set('Accept', 'application/json');
    assert.equal(res.status, 200);
    assert.equal(res.body.bundle, 'app');
    assert.equal(res.body.active, true);
    assert.equal(res.headers.etag, `"${res.body.digest}"`);
    assertMatchesSpec('get', '/tenants/{tenant}/bundles/{name}', res);
  });

  it('refuses other tenants, tokens without agent or bundles:read, and unknown bundles', async () => {
    const path = '/tenants/fleet/bundles/app';
    const base = { 'User-Agent': 'Open-Policy-Agent/0.61.0 (linux, amd64)', Prefer: 'modes=snapshot,delta;wait=5' };
    assert.equal((await rawGet(svc.server, path, { ...base, Authorization: `Bearer ${svc.token('other', 'agent')}` })).status, 403);
    assert.equal((await rawGet(svc.server, path, { ...base, Authorization: `Bearer ${svc.token('fleet', 'decide')}` })).status, 403);
    assert.equal((await rawGet(svc.server, path, base)).status, 401);
    const missing = await rawGet(svc.server, '/tenants/fleet/bundles/nothing', { 'User-Agent': base['User-Agent'], Authorization: `Bearer ${agentToken}` });
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body.toString()).code, 'resource_not_found');
  });

  it('holds a long poll for a bundle that is not active yet, and delivers it once activated', async () => {
    const empty = await new OpaDownloader(svc.server, '/tenants/fleet/bundles/later', agentToken, 1).poll();
    assert.equal(empty.status, 404, 'nothing activated within the wait');
    assert.ok(empty.elapsedMs >= 950, `answered after ${empty.elapsedMs} ms`);
    const opa = new OpaDownloader(svc.server, '/tenants/fleet/bundles/later', agentToken, 10);
    const waiting = opa.poll();
    await new Promise((r) => setTimeout(r, 200));
    assert.equal((await upload(svc, 'fleet', 'later', { '.manifest': '{"revision":"l1","roots":["later"]}', 'later/x.rego': 'package later\n\nx := 1\n' })).status, 201);
    const res = await waiting;
    assert.equal(res.status, 200);
    assert.equal(res.headers['content-type'], OPA_BUNDLE_TYPE);
    assert.equal(untar(res.body).get('later/x.rego')?.toString(), 'package later\n\nx := 1\n');
  });
});

describe('bundle service with an ES256 key', () => {
  let svc: TestService;
  before(async () => {
    svc = await startService({ ARBITER_SIGNING_ALGORITHM: 'ES256', ARBITER_SIGNING_SCOPE: 'cluster' });
    await listen(svc);
    await createTenant(svc, 'ec');
    assert.equal((await upload(svc, 'ec', 'app', files('e1', 'ec'))).status, 201);
  });
  after(() => svc.close());

  it('signs with ES256 and the configured scope', async () => {
    const keys = await publicKeys(svc);
    assert.equal(keys[0].algorithm, 'ES256');
    assert.equal(keys[0].scope, 'cluster');
    const res = await new OpaDownloader(svc.server, '/tenants/ec/bundles/app', svc.token('ec', 'agent')).poll();
    assert.equal(res.status, 200);
    const content = untar(res.body);
    verifyBundle(content, keys, 'cluster');
    const header = JSON.parse(Buffer.from(JSON.parse(content.get('.signatures.json')!.toString()).signatures[0].split('.')[0], 'base64url').toString());
    assert.equal(header.alg, 'ES256');
    assert.equal(header.kid, keys[0].kid);
  });
});
