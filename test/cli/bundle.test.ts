// `arbiter bundle build|push` run as a user runs them: the real bin/arbiter.js in a child process.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as crypto from 'node:crypto';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readBundle, verifyBundleSignature } from '../../src/bundle';
import { createTenant, startService } from '../http/helpers';
import { keyPair } from '../key-pair';

const BIN = resolve(__dirname, '../../bin/arbiter.js');
let work: string;

function arbiter(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd: work, env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

function policyDir(name: string, testBody = 'count(deny) == 0 with input as {"spec": {}}'): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'main'), { recursive: true });
  mkdirSync(join(dir, '.git'), { recursive: true });
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  writeFileSync(join(dir, '.manifest'), '{"roots": ["main"]}');
  writeFileSync(join(dir, 'README.md'), '# policies\n');
  writeFileSync(join(dir, 'main', 'deployment.rego'), 'package main\n\ndeny contains "privileged" if input.spec.privileged\n');
  writeFileSync(join(dir, 'main', 'deployment_test.rego'), `package main\n\ntest_denied if "privileged" in deny with input as {"spec": {"privileged": true}}\n\ntest_clean if ${testBody}\n`);
  writeFileSync(join(dir, 'main', 'data.json'), '{"registries": ["ghcr.io"]}');
  return dir;
}

before(() => {
  work = mkdtempSync(join(tmpdir(), 'arbiter-bundle-cli-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

test('bundle build writes a validated, deterministic bundle of the directory\'s bundle files', async () => {
  const dir = policyDir('ok');
  const r = await arbiter(['bundle', 'build', dir, '-o', 'out.tar.gz', '--revision', 'abc123']);
  assert.equal(r.code, 0, r.stderr);
  const archive = readFileSync(join(work, 'out.tar.gz'));
  const digest = crypto.createHash('sha256').update(archive).digest('hex');
  assert.match(r.stdout, new RegExp(`^wrote out.tar.gz: 4 files, ${archive.length} bytes, sha256:${digest}\\n$`));
  assert.match(r.stderr, /compiling 2 modules/);
  const b = await readBundle(archive);
  assert.deepEqual(b.files.map((f) => f.path).sort(), ['.manifest', 'main/data.json', 'main/deployment.rego', 'main/deployment_test.rego']);
  assert.equal(b.manifest.revision, 'abc123');
  assert.deepEqual(b.manifest.roots, ['main']);

  const again = await arbiter(['bundle', 'build', dir, '-o', 'again.tar.gz', '--revision', 'abc123', '-q']);
  assert.equal(again.code, 0);
  assert.equal(again.stderr, '');
  assert.deepEqual(readFileSync(join(work, 'again.tar.gz')), archive);
});

test('bundle build refuses a bundle whose tests fail and writes nothing', async () => {
  const dir = policyDir('failing', 'count(deny) == 1 with input as {"spec": {}}');
  const r = await arbiter(['bundle', 'build', dir, '-o', 'failing.tar.gz']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bundle is invalid \(1 problem\):\n {2}main\/deployment_test.rego: test data.main.test_clean failed\n/);
  assert.equal(existsSync(join(work, 'failing.tar.gz')), false);
});

test('bundle build --signing-key signs as OPA expects (checked with node:crypto)', async () => {
  const dir = policyDir('signed');
  const { privateKey, publicKey } = keyPair('rsa', { modulusLength: 2048 });
  writeFileSync(join(work, 'ci.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const r = await arbiter(['bundle', 'build', dir, '-o', 'signed.tar.gz', '--signing-key', 'ci.pem', '--kid', 'ci', '--scope', 'write', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const b = await readBundle(readFileSync(join(work, 'signed.tar.gz')));
  const sig = b.files.find((f) => f.path === '.signatures.json')!;
  const [h, p, s] = JSON.parse(sig.content.toString()).signatures[0].split('.');
  assert.deepEqual(JSON.parse(Buffer.from(h, 'base64url').toString()), { alg: 'RS256', typ: 'JWT', kid: 'ci' });
  assert.ok(crypto.verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url')));
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
  assert.equal(payload.scope, 'write');
  const rego = b.files.find((f) => f.path === 'main/deployment.rego')!;
  const listed = payload.files.find((f: { name: string }) => f.name === 'main/deployment.rego');
  assert.equal(listed.hash, crypto.createHash('sha256').update(rego.content).digest('hex'));
  assert.equal(payload.files.length, 4);
});

test('bundle sign re-signs an existing archive; the result verifies and lists every file', async () => {
  const { privateKey, publicKey } = keyPair('ec', { namedCurve: 'P-256' });
  writeFileSync(join(work, 'ec.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const r = await arbiter(['bundle', 'sign', 'out.tar.gz', '--signing-key', 'ec.pem', '--kid', 'release', '-o', 'resigned.tar.gz', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const b = await readBundle(readFileSync(join(work, 'resigned.tar.gz')));
  const verified = verifyBundleSignature(b.files, { release: { key: publicKey.export({ type: 'spki', format: 'pem' }) as string, algorithm: 'ES256' } });
  assert.deepEqual(verified.files.map((f) => f.name).sort(), ['.manifest', 'main/data.json', 'main/deployment.rego', 'main/deployment_test.rego']);
  const missingKey = await arbiter(['bundle', 'sign', 'out.tar.gz']);
  assert.equal(missingKey.code, 1);
  assert.match(missingKey.stderr, /--signing-key is required/);
});

interface Recorded {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

async function recordingServer(status: number, reply: unknown): Promise<{ server: Server; url: string; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

test('bundle push PUTs the tar.gz with the bearer token and prints the created version', async () => {
  const created = { version: 3, revision: '', digest: 'sha256:x', size: 1, created_at: '2026-01-01T00:00:00Z', active: false };
  const { server, url, requests } = await recordingServer(201, created);
  try {
    const dir = policyDir('pushed');
    const r = await arbiter(['bundle', 'push', dir, '--server', `${url}/`, '--tenant', 'team-a', '--name', 'k8s', '--no-activate'], { ARBITER_TOKEN: 'tok-123' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), created);
    assert.equal(requests.length, 1);
    const [req] = requests;
    assert.equal(req.method, 'PUT');
    assert.equal(req.url, '/tenants/team-a/bundles/k8s?activate=false');
    assert.equal(req.headers.authorization, 'Bearer tok-123');
    assert.equal(req.headers['content-type'], 'application/gzip');
    const b = await readBundle(req.body);
    assert.ok(b.modules.some((m) => m.path === 'main/deployment.rego'));
  } finally {
    server.close();
  }
});

test('bundle push of a rejected upload prints every problem and exits 1; no token is an error', async () => {
  const rejection = {
    code: 'invalid_parameter',
    message: 'bundle rejected',
    errors: [
      { code: 'rego_parse_error', message: 'unexpected eof token', location: { file: 'main/x.rego', row: 4, col: 3 } },
      { code: 'bundle_error', message: "manifest roots [main] do not permit 'package x' in module '/x.rego'" },
    ],
  };
  const { server, url } = await recordingServer(400, rejection);
  try {
    writeFileSync(join(work, 'prebuilt.tar.gz'), readFileSync(join(work, 'out.tar.gz')));
    const r = await arbiter(['bundle', 'push', 'prebuilt.tar.gz', '--server', url, '--tenant', 'team-a', '--name', 'k8s'], { ARBITER_TOKEN: 't' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /upload rejected: HTTP 400\ninvalid_parameter: bundle rejected\n {2}main\/x.rego:4:3: unexpected eof token\n {2}manifest roots \[main\]/);

    const noToken = await arbiter(['bundle', 'push', 'prebuilt.tar.gz', '--server', url, '--tenant', 'team-a', '--name', 'k8s'], { ARBITER_TOKEN: '' });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /ARBITER_TOKEN/);
  } finally {
    server.close();
  }
  const unreachable = await arbiter(['bundle', 'push', 'prebuilt.tar.gz', '--server', url, '--tenant', 'team-a', '--name', 'k8s', '-q'], { ARBITER_TOKEN: 't' });
  assert.equal(unreachable.code, 1);
  assert.match(unreachable.stderr, /^arbiter: cannot reach http:\/\/127\.0\.0\.1:\d+: /);
});

test('bundle push against a real Arbiter: the version is stored and served; a bad bundle is refused with every problem', async () => {
  const svc = await startService();
  try {
    await new Promise<void>((r) => svc.server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(svc.server.address() as AddressInfo).port}`;
    await createTenant(svc, 'team-a');
    const env = { ARBITER_TOKEN: svc.token('team-a', 'bundles:write decide') };

    const ok = await arbiter(['bundle', 'push', policyDir('real'), '--server', url, '--tenant', 'team-a', '--name', 'k8s', '-q'], env);
    assert.equal(ok.code, 0, ok.stderr);
    const created = JSON.parse(ok.stdout);
    assert.equal(created.version, 1);
    assert.equal(created.active, true);
    const decision = await svc.http().post('/v1/data/main/deny').set('Authorization', `Bearer ${env.ARBITER_TOKEN}`).send({ input: { spec: { privileged: true } } });
    assert.deepEqual(decision.body.result, ['privileged']);

    const bad = policyDir('real-bad', 'count(deny) == 5');
    writeFileSync(join(bad, 'stray.rego'), 'package stray\n\nx := 1\n');
    const refused = await arbiter(['bundle', 'push', bad, '--server', url, '--tenant', 'team-a', '--name', 'k8s', '-q'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /upload rejected: HTTP 400\n/);
    assert.match(refused.stderr, /manifest roots \[main\] do not permit 'package stray' in module '\/stray.rego'/);
    assert.match(refused.stderr, /test data\.main\.test_clean failed/);
    const versions = await svc.http().get('/tenants/team-a/bundles/k8s/versions').set('Authorization', `Bearer ${svc.token('team-a', 'bundles:read')}`);
    assert.equal(versions.status, 200);
    assert.equal(JSON.stringify(versions.body).match(/"version":/g)?.length, 1, 'the refused upload stored nothing');
  } finally {
    await svc.close();
  }
});
