import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { BundleError } from '../../src/bundle/errors';
import { readBundle } from '../../src/bundle/read';
import { writeBundle } from '../../src/bundle/write';
import { fileDigest, signBundleFiles, verifyBundleSignature, type VerificationKeys } from '../../src/bundle/sign';
import type { BundleFile } from '../../src/bundle/read';
import { file } from './helpers';
import { keyPair } from '../key-pair';

const rsa = keyPair('rsa', { modulusLength: 2048 });
const ec = keyPair('ec', { namedCurve: 'P-256' });
const pem = (k: crypto.KeyObject, type: 'pkcs8' | 'spki') => k.export({ type, format: 'pem' }) as string;

const bundleFiles = (): BundleFile[] => [
  file('.manifest', '{\n  "roots": ["main"],\n  "revision": "r1"\n}\n'),
  file('main/data.json', '{"zeta": 1.5, "alpha": {"b": "<&>", "a": [true, null]}}'),
  file('main/policy.rego', 'package main\n\ndeny contains msg if {\n  input.x\n  msg := "no"\n}\n'),
];

// ---- independent checks: node:crypto and JSON.parse only, no code from src/bundle ----

function decodeJWS(signatures: Buffer) {
  const { signatures: tokens } = JSON.parse(signatures.toString());
  assert.equal(tokens.length, 1);
  const [h, p, s] = tokens[0].split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
    signingInput: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

/** Canonical JSON for plain test data (no number subtleties): sorted keys, no whitespace. */
function sortedJSON(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJSON).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${sortedJSON((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

function expectedDigest(f: BundleFile): string {
  const structured = ['.manifest', 'data.json'].includes(f.path.split('/').pop()!);
  const bytes = structured ? Buffer.from(sortedJSON(JSON.parse(f.content.toString()))) : f.content;
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

test('RS256 signatures verify with node:crypto and list every file with its SHA-256 digest', () => {
  const signed = signBundleFiles(bundleFiles(), { kid: 'arbiter-1', privateKeyPem: pem(rsa.privateKey, 'pkcs8') }, 'write');
  assert.equal(signed[0].path, '.signatures.json');
  const jws = decodeJWS(signed[0].content);
  assert.deepEqual(jws.header, { alg: 'RS256', typ: 'JWT', kid: 'arbiter-1' });
  assert.equal(jws.payload.scope, 'write');
  assert.ok(crypto.verify('sha256', Buffer.from(jws.signingInput), rsa.publicKey, jws.signature));
  const expected = bundleFiles()
    .map((f) => ({ name: f.path, hash: expectedDigest(f), algorithm: 'SHA-256' }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  assert.deepEqual(jws.payload.files, expected);
});

test('ES256 signatures are raw r||s as JWS requires and verify with node:crypto', () => {
  const signed = signBundleFiles(bundleFiles(), { kid: 'ci', privateKeyPem: pem(ec.privateKey, 'pkcs8') });
  const jws = decodeJWS(signed[0].content);
  assert.equal(jws.header.alg, 'ES256');
  assert.equal(jws.signature.length, 64);
  assert.equal(jws.payload.scope, undefined);
  assert.ok(crypto.verify('sha256', Buffer.from(jws.signingInput), { key: ec.publicKey, dsaEncoding: 'ieee-p1363' }, jws.signature));
});

test('a signed bundle survives the tar.gz round trip and verifies; one changed byte fails with the digest', async () => {
  const keys: VerificationKeys = { 'arbiter-1': { key: pem(rsa.publicKey, 'spki'), algorithm: 'RS256', scope: 'write' } };
  const signed = signBundleFiles(bundleFiles(), { kid: 'arbiter-1', privateKeyPem: pem(rsa.privateKey, 'pkcs8') }, 'write');
  const read = await readBundle(await writeBundle(signed));
  const ok = verifyBundleSignature(read.files, keys);
  assert.equal(ok.keyId, 'arbiter-1');
  assert.deepEqual(ok.files.map((f) => f.name).sort(), ['.manifest', 'main/data.json', 'main/policy.rego']);

  const tampered = read.files.map((f) => {
    if (f.path !== 'main/policy.rego') return f;
    const content = Buffer.from(f.content);
    content[content.length - 3] ^= 1;
    return { path: f.path, content };
  });
  const got = crypto.createHash('sha256').update(tampered.find((f) => f.path === 'main/policy.rego')!.content).digest('hex');
  const want = expectedDigest(bundleFiles()[2]);
  assert.throws(
    () => verifyBundleSignature(tampered, keys),
    (e: unknown) => e instanceof BundleError && e.problems[0].message === `main/policy.rego: digest mismatch (want: ${want}, got: ${got})`,
  );
});

test('whitespace and key order of structured files do not matter; their values do', () => {
  const key = { kid: 'k', privateKeyPem: pem(ec.privateKey, 'pkcs8') };
  const keys = { k: { key: pem(ec.publicKey, 'spki'), algorithm: 'ES256' } };
  const signed = signBundleFiles(bundleFiles(), key);
  const reformatted = signed.map((f) =>
    f.path === 'main/data.json' ? file(f.path, '{ "alpha": {"a": [true, null], "b": "<&>"},\n "zeta": 1.5 }') : f,
  );
  assert.doesNotThrow(() => verifyBundleSignature(reformatted, keys));
  // 1.5 and 1.50 are the same number but not the same text: OPA hashes the literal.
  const renumbered = signed.map((f) => (f.path === 'main/data.json' ? file(f.path, '{"zeta": 1.50, "alpha": {"b": "<&>", "a": [true, null]}}') : f));
  assert.throws(() => verifyBundleSignature(renumbered, keys), /main\/data.json: digest mismatch/);
});

test('OPA\'s verification errors: missing signatures, keys, scope, unlisted and missing files', () => {
  const key = { kid: 'k', privateKeyPem: pem(rsa.privateKey, 'pkcs8') };
  const pub = pem(rsa.publicKey, 'spki');
  const signed = signBundleFiles(bundleFiles(), key, 'write');
  const messages = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof BundleError);
      return e.problems.map((p) => p.message);
    }
    return assert.fail('verification passed');
  };
  assert.deepEqual(messages(() => verifyBundleSignature(bundleFiles(), { k: { key: pub } })), ['bundle missing .signatures.json file']);
  assert.deepEqual(messages(() => verifyBundleSignature(signed, {})), ['verification key not provided']);
  assert.deepEqual(messages(() => verifyBundleSignature(signed, { other: { key: pub } })), ['verification key corresponding to ID k not found']);
  assert.deepEqual(messages(() => verifyBundleSignature(signed, { k: { key: pub } })), ['scope mismatch']);
  assert.deepEqual(messages(() => verifyBundleSignature(signed, { k: { key: pub } }, { scope: 'read' })), ['scope mismatch']);
  assert.doesNotThrow(() => verifyBundleSignature(signed, { k: { key: pub } }, { scope: 'write' }));
  assert.deepEqual(messages(() => verifyBundleSignature([...signed, file('extra/x.rego', 'package extra\n')], [{ kid: 'k', key: pub, scope: 'write' }])), [
    'file extra/x.rego not included in bundle signature',
  ]);
  assert.deepEqual(messages(() => verifyBundleSignature(signed.filter((f) => f.path !== '.manifest'), [{ kid: 'k', key: pub, scope: 'write' }])), [
    'file(s) [.manifest] specified in bundle signatures but not found in the target bundle',
  ]);
  const otherKey = keyPair('rsa', { modulusLength: 2048 });
  assert.deepEqual(messages(() => verifyBundleSignature(signed, { k: { key: pem(otherKey.publicKey, 'spki'), scope: 'write' } })), [
    'failed to verify message: crypto/rsa: verification error',
  ]);
});

test('exclude_files globs leave files out of verification, and signing.keyid overrides the header kid', () => {
  const signed = signBundleFiles(bundleFiles(), { kid: 'header-kid', privateKeyPem: pem(ec.privateKey, 'pkcs8') });
  const withExtra = [...signed, file('docs/notes.md', 'unsigned'), file('docs/more.md', 'unsigned')];
  const keys = { configured: { key: pem(ec.publicKey, 'spki'), algorithm: 'ES256' } };
  const result = verifyBundleSignature(withExtra, keys, { keyId: 'configured', excludeFiles: ['docs/*.md'] });
  assert.equal(result.keyId, 'configured');
  assert.throws(() => verifyBundleSignature(withExtra, keys, { keyId: 'configured', excludeFiles: ['*.md'] }), /file docs\/notes.md not included/);
});

test('hash algorithms are spelled as OPA spells them; files without one are refused', () => {
  const content = Buffer.from('package x\n');
  assert.equal(fileDigest('x.rego', content, 'SHA-512-256'), crypto.createHash('sha512-256').update(content).digest('hex'));
  assert.equal(fileDigest('x.rego', content, 'MD5'), crypto.createHash('md5').update(content).digest('hex'));
  assert.throws(() => fileDigest('x.rego', content, 'SHA256'), /unsupported hashing algorithm: SHA256/);

  // A hand-made signature (HS256, as OPA allows with a shared secret) whose file has no algorithm.
  const secret = 'shared-secret';
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = enc({ alg: 'HS256', typ: 'JWT', kid: 'hs' });
  const body = enc({ files: [{ name: 'x.rego', hash: crypto.createHash('sha256').update(content).digest('hex') }] });
  const sig = crypto.createHmac('sha256', secret).update(`${head}.${body}`).digest('base64url');
  const files = [file('.signatures.json', JSON.stringify({ signatures: [`${head}.${body}.${sig}`] })), { path: 'x.rego', content }];
  assert.throws(() => verifyBundleSignature(files, { hs: { key: secret, algorithm: 'HS256' } }), /no hashing algorithm provided for file x.rego/);
  assert.throws(() => verifyBundleSignature(files, { hs: { key: 'wrong', algorithm: 'HS256' } }), /failed to match hmac signature/);
});

test('canonical hashing escapes like Go: <>& kept, U+2028 escaped, keys in code point order', () => {
  const text = '{"\u{1F600}": 1, "\uFFFD": 2, "s": "<a&b>\u2028"}';
  // JavaScript's default sort would put U+1F600 (a surrogate pair) before U+FFFD.
  const canonical = '{"s":"<a&b>\\u2028","\uFFFD":2,"\u{1F600}":1}';
  assert.equal(fileDigest('data.json', Buffer.from(text)), crypto.createHash('sha256').update(canonical).digest('hex'));
});

test('every algorithm OPA accepts signs and verifies: RS/PS/ES 256-512 and HS with a shared secret', () => {
  const p384 = keyPair('ec', { namedCurve: 'P-384' });
  const p521 = keyPair('ec', { namedCurve: 'P-521' });
  const cases: [string, string, string][] = [
    ['RS384', pem(rsa.privateKey, 'pkcs8'), pem(rsa.publicKey, 'spki')],
    ['RS512', pem(rsa.privateKey, 'pkcs8'), pem(rsa.publicKey, 'spki')],
    ['PS256', pem(rsa.privateKey, 'pkcs8'), pem(rsa.publicKey, 'spki')],
    ['PS512', pem(rsa.privateKey, 'pkcs8'), pem(rsa.publicKey, 'spki')],
    ['ES384', pem(p384.privateKey, 'pkcs8'), pem(p384.publicKey, 'spki')],
    ['ES512', pem(p521.privateKey, 'pkcs8'), pem(p521.publicKey, 'spki')],
    ['HS512', 'a-shared-secret-of-some-length', 'a-shared-secret-of-some-length'],
  ];
  for (const [algorithm, privateKeyPem, key] of cases) {
    const signed = signBundleFiles(bundleFiles(), { kid: 'k', algorithm: algorithm as 'RS384', privateKeyPem });
    assert.equal(decodeJWS(signed[0].content).header.alg, algorithm);
    assert.doesNotThrow(() => verifyBundleSignature(signed, { k: { key, algorithm } }), algorithm);
    // Verification uses the configured algorithm, as OPA does, not the one in the header.
    const other = algorithm === 'HS512' ? 'HS256' : algorithm.startsWith('ES') ? 'ES256' : 'RS256';
    assert.throws(() => verifyBundleSignature(signed, { k: { key, algorithm: other } }), /failed to (verify|match)/, `${algorithm} as ${other}`);
  }
  // The algorithm follows the key when not given.
  const es384 = signBundleFiles(bundleFiles(), { kid: 'k', privateKeyPem: pem(p384.privateKey, 'pkcs8') });
  assert.equal(decodeJWS(es384[0].content).header.alg, 'ES384');
});
