// crypto.*: hashes and HMACs (node:crypto), and X.509 parsing/verification with the JSON shapes
// of Go's crypto/x509 and crypto/tls that OPA returns (see x509.ts).

import {
  type KeyObject,
  X509Certificate,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  timingSafeEqual,
} from 'node:crypto';
import { type Value, fromJSON, isNumber } from '../eval/values';
import { goBase64Decode, pemDecode, pemDecodeAll } from './encoding_go';
import { asObject, asString } from './operands';
import { BuiltinError, register } from './registry';
import { certificateJSON, certificateRequestJSON, splitDerSequence } from './x509';

// ---------------------------------------------------------------------------------------------
// Hashes and HMAC

const hash = (alg: string) => ([x]: Value[]) => createHash(alg).update(asString(x, 1), 'utf8').digest('hex');
const hmac = (alg: string) => ([x, key]: Value[]) =>
  createHmac(alg, Buffer.from(asString(key, 2), 'utf8')).update(asString(x, 1), 'utf8').digest('hex');

function hmacEqual([a, b]: Value[]): boolean {
  const x = Buffer.from(asString(a, 1), 'utf8');
  const y = Buffer.from(asString(b, 2), 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

// ---------------------------------------------------------------------------------------------
// Input decoding

function base64(text: string): Buffer {
  try {
    return goBase64Decode(text);
  } catch (e) {
    throw new BuiltinError((e as Error).message);
  }
}

const PEM_PREFIX = '-----BEGIN';

/** Certificates given as PEM, base64 PEM, or base64 DER (one or several concatenated). */
function certificatesFrom(text: string): Buffer[] {
  const bytes = text.startsWith(PEM_PREFIX) ? Buffer.from(text) : base64(text);
  let der: Buffer;
  if (bytes.subarray(0, PEM_PREFIX.length).toString('latin1') === PEM_PREFIX) {
    const blocks: Buffer[] = [];
    let rest = bytes.toString('utf8');
    for (;;) {
      const r = pemDecode(rest);
      if (!r) break;
      if (r.block.type !== 'CERTIFICATE') throw new BuiltinError(`PEM block type is '${r.block.type}', expected CERTIFICATE`);
      blocks.push(r.block.bytes);
      rest = r.rest;
    }
    der = Buffer.concat(blocks);
  } else der = bytes;
  try {
    const certs = splitDerSequence(der);
    // Both readers must accept each certificate: ours for the fields, OpenSSL's for strictness.
    for (const c of certs) {
      certificateJSON(c);
      new X509Certificate(c);
    }
    return certs;
  } catch {
    throw new BuiltinError('x509: malformed certificate');
  }
}

function parseCertificates([x]: Value[]): Value {
  return fromJSON(certificatesFrom(asString(x, 1)).map(certificateJSON));
}

function parseCertificateRequest([x]: Value[]): Value {
  const text = asString(x, 1);
  let bytes = text.startsWith('-----BEGIN CERTIFICATE REQUEST-----') ? Buffer.from(text) : base64(text);
  const pem = pemDecode(bytes.toString('latin1'));
  if (pem) {
    if (pem.block.type !== 'CERTIFICATE REQUEST') throw new BuiltinError('invalid PEM-encoded certificate signing request');
    bytes = pem.block.bytes;
  }
  try {
    return fromJSON(certificateRequestJSON(bytes));
  } catch {
    throw new BuiltinError('asn1: structure error: malformed certificate request');
  }
}

// ---------------------------------------------------------------------------------------------
// Chain verification (Go's x509.Certificate.Verify, for the checks OPA's callers rely on)

const KEY_USAGES: Record<string, number> = {
  KeyUsageAny: 0,
  KeyUsageServerAuth: 1,
  KeyUsageClientAuth: 2,
  KeyUsageCodeSigning: 3,
  KeyUsageEmailProtection: 4,
  KeyUsageIPSECEndSystem: 5,
  KeyUsageIPSECTunnel: 6,
  KeyUsageIPSECUser: 7,
  KeyUsageTimeStamping: 8,
  KeyUsageOCSPSigning: 9,
  KeyUsageMicrosoftServerGatedCrypto: 10,
  KeyUsageNetscapeServerGatedCrypto: 11,
  KeyUsageMicrosoftCommercialCodeSigning: 12,
  KeyUsageMicrosoftKernelCodeSigning: 13,
};

interface VerifyOptions {
  dnsName?: string;
  /** Milliseconds since the epoch. */
  time: number;
  keyUsages: number[];
}

interface Cert {
  der: Buffer;
  node: X509Certificate;
  json: Record<string, unknown>;
}

function validAt(c: Cert, ms: number): boolean {
  return Date.parse(String(c.json.NotBefore)) <= ms && ms <= Date.parse(String(c.json.NotAfter));
}

/** MD2, MD5 and SHA-1 signatures are insecure and DSA is unsupported: Go refuses to verify them. */
const REFUSED_SIGNATURE_ALGORITHMS = new Set([1, 2, 3, 7, 8, 9]);

/** Go rejects certificates with critical extensions it does not understand. */
const understood = (c: Cert): boolean => c.json.UnhandledCriticalExtensions === null;

function issuedBy(child: Cert, parent: Cert): boolean {
  if (REFUSED_SIGNATURE_ALGORITHMS.has(child.json.SignatureAlgorithm as number) || !understood(parent)) return false;
  try {
    return child.node.checkIssued(parent.node) && child.node.verify(parent.node.publicKey);
  } catch {
    return false;
  }
}

function usagesAllowed(chain: Cert[], wanted: number[]): boolean {
  if (wanted.includes(0)) return true;
  let allowed = new Set(wanted);
  for (let i = chain.length - 1; i >= 0; i--) {
    const eku = (chain[i].json.ExtKeyUsage as number[] | null) ?? [];
    const unknown = (chain[i].json.UnknownExtKeyUsage as unknown[] | null) ?? [];
    if (eku.length === 0 && unknown.length === 0) continue;
    if (eku.includes(0)) continue;
    allowed = new Set([...allowed].filter((u) => eku.includes(u)));
    if (allowed.size === 0) return false;
  }
  return true;
}

/** The first chain from the leaf to a root, leaf first, or undefined. */
function buildChain(leaf: Cert, intermediates: Cert[], roots: Cert[], opts: VerifyOptions): Cert[] | undefined {
  const search = (chain: Cert[]): Cert[] | undefined => {
    const current = chain[chain.length - 1];
    for (const root of roots) {
      if (!issuedBy(current, root) || !validAt(root, opts.time)) continue;
      if (root.json.BasicConstraintsValid && !root.json.IsCA) continue;
      const full = [...chain, root];
      if (pathLengthsOk(full) && usagesAllowed(full, opts.keyUsages) && nameConstraintsOk(full)) return full;
    }
    if (chain.length > 10) return undefined;
    for (const inter of intermediates) {
      if (chain.includes(inter) || !issuedBy(current, inter) || !validAt(inter, opts.time)) continue;
      if (!inter.json.BasicConstraintsValid || !inter.json.IsCA) continue;
      const found = search([...chain, inter]);
      if (found) return found;
    }
    return undefined;
  };
  if (!validAt(leaf, opts.time)) return undefined;
  if (!understood(leaf)) return undefined;
  if (opts.dnsName !== undefined && leaf.node.checkHost(opts.dnsName) === undefined) return undefined;
  return search([leaf]);
}

function pathLengthsOk(chain: Cert[]): boolean {
  // Certificates between the leaf and chain[i] (exclusive) are intermediates it vouches for.
  for (let i = 1; i < chain.length; i++) {
    const max = chain[i].json.MaxPathLen as number;
    const zero = chain[i].json.MaxPathLenZero as boolean;
    if (chain[i].json.BasicConstraintsValid && (max > 0 || zero) && i - 1 > max) return false;
  }
  return true;
}

// Name constraints (RFC 5280 4.2.1.10), checked as Go checks them: every name of every
// certificate below a constrained CA must fall inside a permitted subtree (when there are any)
// and outside every excluded one.

const strings = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);

function domainMatches(name: string, constraint: string): boolean {
  const n = name.toLowerCase();
  const c = constraint.toLowerCase();
  if (c === '') return true;
  if (c.startsWith('.')) return n.endsWith(c);
  return n === c || n.endsWith('.' + c);
}

function emailMatches(email: string, constraint: string): boolean {
  if (constraint.includes('@')) return email.toLowerCase() === constraint.toLowerCase();
  return domainMatches(email.slice(email.lastIndexOf('@') + 1), constraint);
}

function ipBytes(ip: string): number[] {
  if (ip.includes(':')) {
    const [head, tail] = ip.split('::');
    const groups = (part: string | undefined): number[] => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
    const h = groups(head);
    const t = groups(tail);
    const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
    return all.flatMap((g) => [g >> 8, g & 0xff]);
  }
  return ip.split('.').map(Number);
}

function ipInRange(ip: string, range: { IP: string; Mask: string }): boolean {
  const a = ipBytes(ip);
  const net = ipBytes(range.IP);
  const mask = [...Buffer.from(range.Mask, 'base64')];
  if (a.length !== net.length || mask.length !== a.length) return false;
  return a.every((b, i) => (b & mask[i]) === (net[i] & mask[i]));
}

function hostOf(uri: string): string {
  const m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)/.exec(uri);
  return m ? m[1] : '';
}

function withinConstraints<T>(names: T[], permitted: unknown, excluded: unknown, matches: (n: T, c: never) => boolean): boolean {
  const p = Array.isArray(permitted) ? (permitted as never[]) : [];
  const x = Array.isArray(excluded) ? (excluded as never[]) : [];
  return names.every((n) => !x.some((c) => matches(n, c)) && (p.length === 0 || p.some((c) => matches(n, c))));
}

function nameConstraintsOk(chain: Cert[]): boolean {
  for (let i = 1; i < chain.length; i++) {
    const ca = chain[i].json;
    for (const cert of chain.slice(0, i)) {
      const c = cert.json;
      const ok =
        withinConstraints(strings(c.DNSNames), ca.PermittedDNSDomains, ca.ExcludedDNSDomains, domainMatches) &&
        withinConstraints(strings(c.EmailAddresses), ca.PermittedEmailAddresses, ca.ExcludedEmailAddresses, emailMatches) &&
        withinConstraints(strings(c.IPAddresses), ca.PermittedIPRanges, ca.ExcludedIPRanges, ipInRange) &&
        withinConstraints(strings(c.URIStrings).map(hostOf), ca.PermittedURIDomains, ca.ExcludedURIDomains, domainMatches);
      if (!ok) return false;
    }
  }
  return true;
}

function verifyChain(text: string, opts: VerifyOptions): Value {
  const invalid = [false, []];
  let ders: Buffer[];
  try {
    ders = certificatesFrom(text);
  } catch {
    return invalid;
  }
  if (ders.length < 2) return invalid;
  const certs: Cert[] = ders.map((der) => ({ der, node: new X509Certificate(der), json: certificateJSON(der) }));
  const chain = buildChain(certs[certs.length - 1], certs.slice(1, -1), [certs[0]], opts);
  if (!chain) return invalid;
  return [true, fromJSON(chain.map((c) => c.json))];
}

function verifyOptions(v: Value | undefined, nowMs: number): VerifyOptions {
  const opts: VerifyOptions = { time: nowMs, keyUsages: [KEY_USAGES.KeyUsageServerAuth] };
  if (v === undefined) return opts;
  for (const [k, val] of asObject(v, 2).entries()) {
    switch (k) {
      case 'DNSName':
        if (typeof val !== 'string') throw new BuiltinError("'DNSName' should be a string");
        opts.dnsName = val;
        break;
      case 'CurrentTime':
        if (!isNumber(val)) throw new BuiltinError("'CurrentTime' should be a valid int64 number");
        opts.time = Number(val) / 1e6;
        break;
      case 'MaxConstraintComparisons':
        if (!isNumber(val)) throw new BuiltinError("'MaxConstraintComparisons' should be a valid number");
        break;
      case 'KeyUsages': {
        if (!Array.isArray(val)) throw new BuiltinError("'KeyUsages' should be an Array of Strings");
        opts.keyUsages = val.map((u) => {
          const n = typeof u === 'string' ? KEY_USAGES[u] : undefined;
          if (n === undefined) throw new BuiltinError(`invalid entries for 'KeyUsages' found: ${String(u)}`);
          return n;
        });
        break;
      }
      default:
        throw new BuiltinError('invalid key option');
    }
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Private keys, as Go's json.Marshal writes rsa/ecdsa/ed25519 private keys

const jwkInt = (s: unknown): number | bigint => {
  const v = BigInt('0x' + (Buffer.from(String(s), 'base64url').toString('hex') || '0'));
  return v <= 9007199254740991n ? Number(v) : v;
};

function privateKeyJSON(key: KeyObject): unknown {
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  switch (jwk.kty) {
    case 'RSA':
      return {
        N: jwkInt(jwk.n),
        E: jwkInt(jwk.e),
        D: jwkInt(jwk.d),
        Primes: [jwkInt(jwk.p), jwkInt(jwk.q)],
        Precomputed: { Dp: jwkInt(jwk.dp), Dq: jwkInt(jwk.dq), Qinv: jwkInt(jwk.qi), CRTValues: [] },
      };
    case 'EC':
      return { Curve: {}, X: jwkInt(jwk.x), Y: jwkInt(jwk.y), D: jwkInt(jwk.d) };
    case 'OKP':
      return Buffer.concat([Buffer.from(jwk.d, 'base64url'), Buffer.from(jwk.x, 'base64url')]).toString('base64');
  }
  return null;
}

function privateKeyFromBlock(type: string, der: Buffer): KeyObject {
  switch (type) {
    case 'RSA PRIVATE KEY':
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
    case 'EC PRIVATE KEY':
      return createPrivateKey({ key: der, format: 'der', type: 'sec1' });
    default:
      return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  }
}

function parsePrivateKeys([x]: Value[]): Value {
  let text = asString(x, 1);
  if (text === '') return null;
  if (!text.startsWith(PEM_PREFIX)) text = base64(text).toString('utf8');
  const keys: unknown[] = [];
  for (const block of pemDecodeAll(text)) {
    if (!/(^| )PRIVATE KEY$/.test(block.type)) continue;
    try {
      keys.push(privateKeyJSON(privateKeyFromBlock(block.type, block.bytes)));
    } catch (e) {
      throw new BuiltinError(`failed to parse private key: ${(e as Error).message}`);
    }
  }
  return fromJSON(keys);
}

function parseRSAPrivateKey([x]: Value[]): Value {
  let text = asString(x, 1);
  if (!text.startsWith(PEM_PREFIX)) text = base64(text).toString('utf8');
  const pem = pemDecode(text);
  if (!pem) throw new BuiltinError('failed to parse PEM');
  let key: KeyObject;
  try {
    key = privateKeyFromBlock(pem.block.type === 'RSA PRIVATE KEY' ? 'RSA PRIVATE KEY' : 'PRIVATE KEY', pem.block.bytes);
  } catch (e) {
    throw new BuiltinError(`x509: failed to parse private key: ${(e as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'rsa') throw new BuiltinError('x509: failed to parse private key: not an RSA key');
  return fromJSON(key.export({ format: 'jwk' }));
}

function parseKeyPair([c, k]: Value[]): Value {
  const certText = asString(c, 1);
  const keyText = asString(k, 2);
  const certBytes = certText.startsWith(PEM_PREFIX) ? Buffer.from(certText) : base64(certText);
  const keyBytes = keyText.startsWith(PEM_PREFIX) ? Buffer.from(keyText) : base64(keyText);
  const isPem = (b: Buffer): boolean => b.subarray(0, PEM_PREFIX.length).toString('latin1') === PEM_PREFIX;
  const certDers = isPem(certBytes)
    ? pemDecodeAll(certBytes.toString('utf8'))
        .filter((b) => b.type === 'CERTIFICATE')
        .map((b) => b.bytes)
    : [certBytes];
  if (certDers.length === 0) throw new BuiltinError('tls: failed to find any PEM data in certificate input');
  const keyBlock = isPem(keyBytes)
    ? pemDecodeAll(keyBytes.toString('utf8')).find((b) => b.type === 'PRIVATE KEY' || b.type.endsWith(' PRIVATE KEY'))
    : { type: 'PRIVATE KEY', headers: {}, bytes: keyBytes };
  if (!keyBlock) throw new BuiltinError('tls: failed to find any PEM data in key input');
  let key: KeyObject;
  try {
    key = privateKeyFromBlock(keyBlock.type, keyBlock.bytes);
  } catch {
    throw new BuiltinError('tls: failed to parse private key');
  }
  let leaf: Record<string, unknown>;
  let leafKey: KeyObject;
  try {
    leaf = certificateJSON(certDers[0]);
    leafKey = new X509Certificate(certDers[0]).publicKey;
  } catch {
    throw new BuiltinError('x509: malformed certificate');
  }
  const derOf = (pub: KeyObject): Buffer => pub.export({ format: 'der', type: 'spki' });
  if (!derOf(createPublicKey(key)).equals(derOf(leafKey))) throw new BuiltinError('tls: private key does not match public key');
  delete leaf.URIStrings;
  return fromJSON({
    Certificate: certDers.map((d) => d.toString('base64')),
    PrivateKey: privateKeyJSON(key),
    SupportedSignatureAlgorithms: null,
    OCSPStaple: null,
    SignedCertificateTimestamps: null,
    Leaf: leaf,
  });
}

// ---------------------------------------------------------------------------------------------

register(
  { name: 'crypto.md5', args: ['string'], result: 'string', impl: hash('md5') },
  { name: 'crypto.sha1', args: ['string'], result: 'string', impl: hash('sha1') },
  { name: 'crypto.sha256', args: ['string'], result: 'string', impl: hash('sha256') },
  { name: 'crypto.hmac.md5', args: ['string', 'string'], result: 'string', impl: hmac('md5') },
  { name: 'crypto.hmac.sha1', args: ['string', 'string'], result: 'string', impl: hmac('sha1') },
  { name: 'crypto.hmac.sha256', args: ['string', 'string'], result: 'string', impl: hmac('sha256') },
  { name: 'crypto.hmac.sha512', args: ['string', 'string'], result: 'string', impl: hmac('sha512') },
  { name: 'crypto.hmac.equal', args: ['string', 'string'], result: 'boolean', impl: hmacEqual },
  {
    name: 'crypto.x509.parse_certificates',
    args: ['string'],
    result: 'array<object<string, any>>',
    impl: parseCertificates,
  },
  {
    name: 'crypto.x509.parse_and_verify_certificates',
    args: ['string'],
    result: 'array<boolean|array<object<string, any>>>',
    impl: ([x], ctx) => verifyChain(asString(x, 1), verifyOptions(undefined, Number(ctx.nowNs / 1_000_000n))),
  },
  {
    name: 'crypto.x509.parse_and_verify_certificates_with_options',
    args: ['string', 'object<string, any>'],
    result: 'array<boolean|array<object<string, any>>>',
    impl: ([x, o], ctx) => verifyChain(asString(x, 1), verifyOptions(o, Number(ctx.nowNs / 1_000_000n))),
  },
  {
    name: 'crypto.x509.parse_certificate_request',
    args: ['string'],
    result: 'object<string, any>',
    impl: parseCertificateRequest,
  },
  { name: 'crypto.x509.parse_keypair', args: ['string', 'string'], result: 'object<string, any>', impl: parseKeyPair },
  { name: 'crypto.x509.parse_rsa_private_key', args: ['string'], result: 'object<string, any>', impl: parseRSAPrivateKey },
  { name: 'crypto.parse_private_keys', args: ['string'], result: 'array<object<string, any>>', impl: parsePrivateKeys },
);
