// Arbiter's own signing key (generated once into the data directory, published at GET /keys) and
// tenants' keys for signed uploads, refused with OPA's verification messages when wrong.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArbiterKeys } from '../../src/agents';
import { signBundleFiles, writeBundle, type BundleFile } from '../../src/bundle';
import { createTenant, startService, type TestService } from '../http/helpers';
import { assertMatchesSpec } from '../http/spec';
import { OpaDownloader, untar, verifyBundle } from './opa-client';
import { keyPair } from '../key-pair';

function rsaPair() {
  const { publicKey, privateKey } = keyPair('rsa', { modulusLength: 2048 });
  return { pub: publicKey.export({ type: 'spki', format: 'pem' }).toString(), priv: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

const bundleFiles = (msg: string): BundleFile[] => [
  { path: '.manifest', content: Buffer.from(JSON.stringify({ revision: msg, roots: ['ci'] })) },
  { path: 'ci/policy.rego', content: Buffer.from(`package ci\n\nmsg := "${msg}"\n`) },
];

describe("Arbiter's signing key", () => {
  it('is generated once per data directory (mode 0600) and keeps its kid; an older algorithm stays published', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arbiter-keys-'));
    try {
      const first = new ArbiterKeys(dir, 'RS256', 'write');
      const again = new ArbiterKeys(dir, 'RS256', 'write');
      assert.equal(again.kid, first.kid);
      assert.match(first.kid, /^arbiter-[0-9a-f]{16}$/);
      assert.deepEqual(readdirSync(dir), ['bundle-signing-rs256.pem']);
      assert.equal(statSync(join(dir, 'bundle-signing-rs256.pem')).mode & 0o777, 0o600);
      const ec = new ArbiterKeys(dir, 'ES256', 'write');
      assert.notEqual(ec.kid, first.kid);
      assert.deepEqual(ec.publicKeys().map((k) => [k.kid, k.algorithm]), [[ec.kid, 'ES256'], [first.kid, 'RS256']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a configured signing key file', () => {
  it('makes every replica sign with the same key and kid; its type decides the algorithm', () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'arbiter-a-')), mkdtempSync(join(tmpdir(), 'arbiter-b-'))];
    try {
      const ec = keyPair('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      const file = join(dirs[0], 'shared.pem');
      writeFileSync(file, ec);
      const [a, b] = dirs.map((d) => new ArbiterKeys(d, 'RS256', 'write', file));
      assert.equal(a.kid, b.kid);
      assert.equal(a.signing.algorithm, 'ES256');
      assert.deepEqual(a.publicKeys().map((k) => k.algorithm), ['ES256']);
      assert.deepEqual(readdirSync(dirs[1]), [], 'nothing generated');
      const ed = keyPair('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      writeFileSync(file, ed);
      assert.throws(() => new ArbiterKeys(dirs[1], 'RS256', 'write', file), /use an RSA key \(RS256\) or an EC P-256 key/);
      writeFileSync(file, 'garbage');
      assert.throws(() => new ArbiterKeys(dirs[1], 'RS256', 'write', file), /not a PEM private key/);
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('tenant keys and signed uploads', () => {
  let svc: TestService;
  const ci = rsaPair();
  const impostor = rsaPair();
  let admin: string;
  before(async () => {
    svc = await startService();
    await new Promise<void>((resolve) => svc.server.listen(0, '127.0.0.1', () => resolve()));
    await createTenant(svc, 'secure');
    admin = svc.token('secure', 'admin');
  });
  after(() => svc.close());

  const put = (body: unknown, token = admin) => svc.http().put('/tenants/secure/keys').set('Authorization', `Bearer ${token}`).send(body as object);
  const uploadArchive = async (files: BundleFile[]) =>
    svc.http().put('/tenants/secure/bundles/ci').set('Authorization', `Bearer ${svc.token('secure', 'bundles:write')}`).set('Content-Type', 'application/gzip').send(await writeBundle(files));

  it('refuses key documents that cannot work, listing every problem', async () => {
    const res = await put({ require_signed_uploads: 'yes', keys: [{ kid: 'a', key: 'not a pem' }, { kid: 'a', algorithm: 'HS256', key: ci.pub }, { kid: 'ec', algorithm: 'ES256', key: ci.pub }] });
    assert.equal(res.status, 400);
    assertMatchesSpec('put', '/tenants/{tenant}/keys', res);
    const messages = res.body.errors.map((e: { message: string }) => e.message);
    assert.ok(messages.includes('require_signed_uploads must be a boolean'));
    assert.ok(messages.includes('keys[0].key must be a PEM public key'));
    assert.ok(messages.includes('keys[1].kid a appears more than once'));
    assert.ok(messages.some((m: string) => m.startsWith('keys[1].algorithm must be one of')));
    assert.ok(messages.includes('keys[2].key is a rsa key, which cannot verify ES256'));
    assert.equal((await put({ require_signed_uploads: true, keys: [] })).status, 400);
    assert.equal((await put({ require_signed_uploads: false, keys: [] }, svc.token('secure', 'bundles:write'))).status, 403);
  });

  it('rejects unsigned, wrongly signed and tampered uploads once signed uploads are required', async () => {
    const res = await put({ require_signed_uploads: true, keys: [{ kid: 'ci', algorithm: 'RS256', key: ci.pub, scope: 'write' }] });
    assert.equal(res.status, 200);
    assertMatchesSpec('put', '/tenants/{tenant}/keys', res);
    const got = await svc.http().get('/tenants/secure/keys').set('Authorization', `Bearer ${svc.token('secure', 'bundles:read')}`);
    assert.equal(got.body.require_signed_uploads, true);
    assert.equal(got.body.keys[0].kid, 'ci');
    assertMatchesSpec('get', '/tenants/{tenant}/keys', got);

    const cases: [BundleFile[], RegExp][] = [
      [bundleFiles('unsigned'), /bundle missing \.signatures\.json file/],
      [signBundleFiles(bundleFiles('impostor'), { kid: 'ci', algorithm: 'RS256', privateKeyPem: impostor.priv }, 'write'), /crypto\/rsa: verification error/],
      [signBundleFiles(bundleFiles('unknown-kid'), { kid: 'other', algorithm: 'RS256', privateKeyPem: ci.priv }, 'write'), /verification key corresponding to ID other not found/],
      [signBundleFiles(bundleFiles('no-scope'), { kid: 'ci', algorithm: 'RS256', privateKeyPem: ci.priv }), /scope mismatch/],
    ];
    const tampered = signBundleFiles(bundleFiles('tampered'), { kid: 'ci', algorithm: 'RS256', privateKeyPem: ci.priv }, 'write').map((f) =>
      f.path === 'ci/policy.rego' ? { path: f.path, content: Buffer.from(f.content.toString().replace('tampered', 'tamperee')) } : f,
    );
    cases.push([tampered, /ci\/policy\.rego: digest mismatch/]);
    for (const [files, message] of cases) {
      const r = await uploadArchive(files);
      assert.equal(r.status, 400, `${message}: ${r.status}`);
      assert.ok(r.body.errors.some((e: { message: string }) => message.test(e.message)), `${message} in ${JSON.stringify(r.body.errors)}`);
    }
    const versions = await svc.http().get('/tenants/secure/bundles/ci/versions').set('Authorization', `Bearer ${svc.token('secure', 'bundles:read')}`);
    assert.equal(versions.status, 404, 'nothing was stored');
  });

  it("stores a correctly signed upload and serves it signed with Arbiter's key instead", async () => {
    const signed = signBundleFiles(bundleFiles('good'), { kid: 'ci', algorithm: 'RS256', privateKeyPem: ci.priv }, 'write');
    const r = await uploadArchive(signed);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const served = await new OpaDownloader(svc.server, '/tenants/secure/bundles/ci', svc.token('secure', 'agent')).poll();
    assert.equal(served.status, 200);
    const content = untar(served.body);
    const keys = (await svc.http().get('/keys')).body.keys;
    assert.equal(verifyBundle(content, keys, 'write').kid, svc.services.deps.agents!.keys.kid);
    assert.throws(() => verifyBundle(content, [{ kid: 'ci', algorithm: 'RS256', key: ci.pub }], 'write'), /not found/);
  });

  it('still verifies signed uploads when signing is not required, and lets unsigned ones through', async () => {
    assert.equal((await put({ require_signed_uploads: false, keys: [{ kid: 'ci', key: ci.pub, scope: 'write' }] })).status, 200);
    assert.equal((await uploadArchive(bundleFiles('plain'))).status, 201);
    const wrong = signBundleFiles(bundleFiles('wrong'), { kid: 'ci', algorithm: 'RS256', privateKeyPem: impostor.priv }, 'write');
    assert.equal((await uploadArchive(wrong)).status, 400);
  });
});

describe('tenant keys after the tenant is deleted', () => {
  it('a re-created tenant starts without keys', async () => {
    const svc = await startService();
    try {
      await createTenant(svc, 'gone');
      const pair = rsaPair();
      const put = await svc.http().put('/tenants/gone/keys').set('Authorization', `Bearer ${svc.admin}`).send({ require_signed_uploads: true, keys: [{ kid: 'ci', key: pair.pub }] });
      assert.equal(put.status, 200);
      assert.equal((await svc.http().delete('/tenants/gone').set('Authorization', `Bearer ${svc.admin}`)).status, 204);
      await new Promise((r) => setTimeout(r, 5));
      await createTenant(svc, 'gone');
      const got = await svc.http().get('/tenants/gone/keys').set('Authorization', `Bearer ${svc.admin}`);
      assert.deepEqual(got.body, { require_signed_uploads: false, keys: [] });
      const up = await svc.http().put('/tenants/gone/bundles/b').set('Authorization', `Bearer ${svc.token('gone', 'bundles:write')}`).set('Content-Type', 'application/gzip').send(await writeBundle(bundleFiles('x')));
      assert.equal(up.status, 201, 'unsigned uploads pass again');
    } finally {
      await svc.close();
    }
  });
});
