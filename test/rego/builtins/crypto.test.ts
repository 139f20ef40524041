import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import '../../../src/rego/builtins/crypto';
import { type BuiltinContext, lookupBuiltin } from '../../../src/rego/builtins/registry';
import { errorOf } from './builtin-call';
import { type Value, fromJSON, toJSON } from '../../../src/rego/eval/values';

const ctx = { nowNs: BigInt(Date.now()) * 1_000_000n } as BuiltinContext;
const call = (name: string, ...args: unknown[]): any => toJSON(lookupBuiltin(name)!.impl(args.map(fromJSON) as Value[], ctx) as Value);
const fixture = (name: string): string => readFileSync(join(__dirname, 'fixtures', 'x509', name), 'utf8');
const [root, inter, leaf, leafKey, csr] = ['root.pem', 'inter.pem', 'leaf.pem', 'leaf.key', 'leaf.csr'].map(fixture);

test('hashes and HMACs are hex digests of the UTF-8 text', () => {
  assert.equal(call('crypto.sha1', 'lorem ipsum'), 'bfb7759a67daeb65410490b4d98bb9da7d1ea2ce');
  assert.equal(call('crypto.sha256', 'lorem ipsum'), '5e2bf57d3f40c4b6df69daf1936cb766f832374b4fc0259a7cbff06e2f70f269');
  assert.equal(call('crypto.md5', ''), 'd41d8cd98f00b204e9800998ecf8427e');
  assert.equal(call('crypto.hmac.md5', 'foo', 'bar'), '31b6db9e5eb4addb42f1a6ca07367adc');
  assert.equal(call('crypto.hmac.sha1', 'åäöçß\u{1F972}♙Ω', '秘密の'), '81759c39013935fcf0de833d44c8018d7c1455dd');
  assert.equal(call('crypto.hmac.sha256', 'foo', 'bar'), '147933218aaabc0b8b10a2b3a5c34684c8d94341bcf10a4736dc7270f7741851');
  assert.equal(call('crypto.hmac.equal', 'abc', 'abc'), true);
  assert.equal(call('crypto.hmac.equal', 'abc', 'abd'), false);
  assert.equal(call('crypto.hmac.equal', 'abc', 'ab'), false);
});

test('parse_certificates gives Go x509.Certificate fields', () => {
  const [cert] = call('crypto.x509.parse_certificates', leaf);
  const node = new X509Certificate(leaf);
  assert.equal(cert.Subject.CommonName, 'leaf.arbiter.test');
  assert.deepEqual(cert.Subject.Country, ['NL']);
  assert.deepEqual(cert.Subject.Province, ['Noord-Holland']);
  assert.deepEqual(cert.Subject.OrganizationalUnit, ['Policy']);
  assert.equal(cert.Issuer.CommonName, 'Arbiter Test Intermediate CA');
  assert.deepEqual(cert.DNSNames, ['leaf.arbiter.test']);
  assert.deepEqual(cert.EmailAddresses, ['ops@arbiter.test']);
  assert.deepEqual(cert.IPAddresses, ['10.0.0.1']);
  assert.deepEqual(cert.URIStrings, ['spiffe://arbiter.test/leaf']);
  assert.equal(cert.URIs[0].Scheme, 'spiffe');
  assert.equal(cert.URIs[0].Host, 'arbiter.test');
  assert.equal(cert.URIs[0].Path, '/leaf');
  assert.deepEqual(cert.ExtKeyUsage, [1, 2]);
  assert.equal(cert.KeyUsage, 1 | 4, 'digitalSignature | keyEncipherment');
  assert.equal(cert.BasicConstraintsValid, true);
  assert.equal(cert.IsCA, false);
  assert.deepEqual(cert.OCSPServer, ['http://ocsp.arbiter.test']);
  assert.deepEqual(cert.CRLDistributionPoints, ['http://crl.arbiter.test/ca.crl']);
  assert.deepEqual(cert.Policies, ['2.23.140.1.2.1']);
  assert.equal(cert.Version, 3);
  assert.equal(cert.SignatureAlgorithm, 10, 'ECDSAWithSHA256');
  assert.equal(cert.PublicKeyAlgorithm, 1, 'RSA');
  assert.equal(cert.PublicKey.E, 65537);
  assert.equal(BigInt(cert.SerialNumber).toString(16).toUpperCase(), node.serialNumber.replace(/^0+/, ''));
  assert.equal(cert.NotAfter, new Date(node.validTo).toISOString().replace('.000Z', 'Z'));
  assert.equal(cert.Raw, node.raw.toString('base64'));
  const [ca] = call('crypto.x509.parse_certificates', root);
  assert.equal(ca.IsCA, true);
  assert.equal(ca.MaxPathLen, 1);
  assert.equal(ca.URIStrings, null);
  assert.equal(ca.DNSNames, null);
});

test('parse_certificates accepts base64 PEM and base64 DER chains, and rejects garbage', () => {
  const b64pem = Buffer.from(leaf + inter).toString('base64');
  assert.deepEqual(
    call('crypto.x509.parse_certificates', b64pem).map((c: any) => c.Subject.CommonName),
    ['leaf.arbiter.test', 'Arbiter Test Intermediate CA'],
  );
  const der = Buffer.concat([new X509Certificate(inter).raw, new X509Certificate(root).raw]).toString('base64');
  assert.deepEqual(
    call('crypto.x509.parse_certificates', der).map((c: any) => c.Subject.CommonName),
    ['Arbiter Test Intermediate CA', 'Arbiter Test Root CA'],
  );
  assert.equal(errorOf(() => call('crypto.x509.parse_certificates', 'YmFkc3RyaW5n')), 'x509: malformed certificate');
  assert.equal(errorOf(() => call('crypto.x509.parse_certificates', 'not base64!')), 'illegal base64 data at input byte 3');
});

test('parse_and_verify_certificates builds root -> intermediate -> leaf chains', () => {
  const [valid, chain] = call('crypto.x509.parse_and_verify_certificates', root + inter + leaf);
  assert.equal(valid, true);
  assert.deepEqual(
    chain.map((c: any) => c.Subject.CommonName),
    ['leaf.arbiter.test', 'Arbiter Test Intermediate CA', 'Arbiter Test Root CA'],
  );
  assert.equal(call('crypto.x509.parse_and_verify_certificates', inter + leaf)[0], true, 'the first certificate is trusted as given');
  assert.deepEqual(call('crypto.x509.parse_and_verify_certificates', leaf + inter + root), [false, []], 'wrong order');
  assert.deepEqual(call('crypto.x509.parse_and_verify_certificates', root + leaf), [false, []], 'missing intermediate');
  assert.deepEqual(call('crypto.x509.parse_and_verify_certificates', leaf), [false, []]);
  const withOpts = (o: object) => call('crypto.x509.parse_and_verify_certificates_with_options', root + inter + leaf, o)[0];
  assert.equal(withOpts({ DNSName: 'leaf.arbiter.test' }), true);
  assert.equal(withOpts({ DNSName: 'other.test' }), false);
  assert.equal(withOpts({ KeyUsages: ['KeyUsageCodeSigning'] }), false);
  assert.equal(withOpts({ KeyUsages: ['KeyUsageClientAuth'] }), true);
  assert.equal(withOpts({ CurrentTime: Date.parse('2300-01-01T00:00:00Z') * 1e6 }), false, 'expired by then');
  assert.equal(errorOf(() => withOpts({ Bogus: 1 })), 'invalid key option');
});

test('parse_certificate_request reads PEM and base64 DER requests', () => {
  const req = call('crypto.x509.parse_certificate_request', csr);
  assert.equal(req.Subject.CommonName, 'leaf.arbiter.test');
  assert.deepEqual(req.DNSNames, ['leaf.arbiter.test']);
  assert.equal(req.PublicKeyAlgorithm, 1);
  const der = csr.replace(/-----[^-]+-----|\s/g, '');
  assert.equal(call('crypto.x509.parse_certificate_request', der).Subject.CommonName, 'leaf.arbiter.test');
  assert.match(errorOf(() => call('crypto.x509.parse_certificate_request', 'foobar')), /illegal base64/);
});

test('parse_keypair checks the key against the certificate', () => {
  const pair = call('crypto.x509.parse_keypair', leaf, leafKey);
  assert.equal(pair.Certificate[0], new X509Certificate(leaf).raw.toString('base64'));
  assert.equal(pair.Leaf.Subject.CommonName, 'leaf.arbiter.test');
  assert.equal(pair.PrivateKey.E, 65537);
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  assert.equal(call('crypto.x509.parse_keypair', b64(leaf), b64(leafKey)).Certificate[0], pair.Certificate[0]);
  assert.equal(errorOf(() => call('crypto.x509.parse_keypair', root, leafKey)), 'tls: private key does not match public key');
});

test('private key parsing: parse_rsa_private_key gives a JWK, parse_private_keys Go key objects', () => {
  const jwk = call('crypto.x509.parse_rsa_private_key', leafKey) as Record<string, string>;
  assert.deepEqual(jwk, createPrivateKey(leafKey).export({ format: 'jwk' }));
  const keys = call('crypto.parse_private_keys', leafKey);
  assert.equal(keys.length, 1);
  assert.equal(BigInt(keys[0].N), BigInt('0x' + Buffer.from(jwk.n, 'base64url').toString('hex')));
  assert.equal(keys[0].Primes.length, 2);
  assert.deepEqual(call('crypto.parse_private_keys', 'nope'), []);
  assert.equal(call('crypto.parse_private_keys', ''), null);
});

test('chains signed with SHA-1 do not verify, as in Go', () => {
  const chain = fixture('sha1-chain.pem');
  const [, sha1Leaf] = call('crypto.x509.parse_certificates', chain);
  assert.equal(sha1Leaf.SignatureAlgorithm, 9, 'ECDSAWithSHA1');
  assert.deepEqual(call('crypto.x509.parse_and_verify_certificates', chain), [false, []]);
});

test('CSR attributes follow Go: extension requests as type/value sets', () => {
  const req = call('crypto.x509.parse_certificate_request', csr);
  const ext = req.Attributes.find((a: any) => a.Type.join('.') === '1.2.840.113549.1.9.14');
  assert.ok(ext, 'extensionRequest attribute');
  const san = ext.Value[0].find((p: any) => p.Type.join('.') === '2.5.29.17');
  assert.equal(san.Value, req.Extensions.find((e: any) => e.Id.join('.') === '2.5.29.17').Value);
});

test('name constraints are spread over the Permitted/Excluded fields', () => {
  const [ca] = call('crypto.x509.parse_certificates', fixture('constrained-ca.pem'));
  assert.equal(ca.PermittedDNSDomainsCritical, true);
  assert.deepEqual(ca.PermittedDNSDomains, ['.arbiter.test']);
  assert.deepEqual(ca.PermittedIPRanges, [{ IP: '10.0.0.0', Mask: Buffer.from([255, 0, 0, 0]).toString('base64') }]);
  assert.deepEqual(ca.ExcludedEmailAddresses, ['bad.test']);
  assert.deepEqual(ca.ExcludedURIDomains, ['.evil.test']);
  assert.equal(ca.ExcludedDNSDomains, null);
  assert.equal(ca.UnhandledCriticalExtensions, null);
});

test('chain verification enforces name constraints', () => {
  const ca = fixture('constrained-ca.pem');
  const good = call('crypto.x509.parse_and_verify_certificates', ca + fixture('constrained-good.pem'));
  assert.equal(good[0], true);
  assert.deepEqual(call('crypto.x509.parse_and_verify_certificates', ca + fixture('constrained-bad.pem')), [false, []]);
});
