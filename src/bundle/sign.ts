// Signed bundles as OPA makes and checks them (protocols.md §2 "Signed bundles"; opa bundle
// sign.go, verify.go, hash.go): `.signatures.json` holds one JWS whose payload lists every file
// with its digest; structured files are hashed in canonical JSON form, all others as raw bytes.

import * as crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { parseDocument } from 'yaml';
import { BundleError, type Problem } from './errors';
import { canonicalJSON, canonicalizeJSONText } from './json';
import { baseName, globMatch, goList } from './paths';
import type { BundleFile } from './read';

export const SIGNATURES_FILE = '.signatures.json';

export type SigningAlgorithm =
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'HS256' | 'HS384' | 'HS512';

export interface SigningKey {
  kid: string;
  /** Defaults from the key: RS256 for RSA, PS256 for RSA-PSS, ES256/384/512 by curve for EC. */
  algorithm?: SigningAlgorithm;
  /** PEM private key, or the shared secret for HS*. */
  privateKeyPem: string;
}

/** One entry of OPA's `keys` configuration. */
export interface VerificationKey {
  /** PEM public key (or certificate), or the shared secret for HS*. */
  key: string;
  /** Defaults to RS256, as in OPA. */
  algorithm?: string;
  scope?: string;
}

/** OPA's `keys` map, or a list as `GET /keys` publishes it. */
export type VerificationKeys = Record<string, VerificationKey> | (VerificationKey & { kid: string })[];

export interface VerifyOptions {
  /** OPA's `signing.keyid`: overrides the key id of the JWS. */
  keyId?: string;
  /** OPA's `signing.scope`: falls back to the key's scope; must equal the payload's scope. */
  scope?: string;
  /** OPA's `signing.exclude_files`: filepath.Match globs on paths without a leading '/'. */
  excludeFiles?: string[];
}

export interface SignedFile {
  name: string;
  hash: string;
  algorithm: string;
}

export interface VerifiedSignature {
  keyId: string;
  scope: string;
  files: SignedFile[];
}

/** A file OPA treats as signatures: its path ends with 'signatures.json'. */
export function isSignaturesFile(path: string): boolean {
  return path.endsWith('signatures.json');
}

const STRUCTURED = new Set(['data.json', 'data.yaml', '.manifest', 'signatures.json']);

const HASHES: Record<string, string> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA-512-224': 'sha512-224',
  'SHA-512-256': 'sha512-256',
};

/**
 * The hex digest OPA computes for a bundle file: structured files (basename data.json, data.yaml,
 * .manifest, signatures.json) in canonical JSON form, every other file over its raw bytes.
 */
export function fileDigest(path: string, content: Buffer, algorithm = 'SHA-256'): string {
  const hashName = HASHES[algorithm];
  if (!hashName) throw new Error(`unsupported hashing algorithm: ${algorithm}`);
  const h = crypto.createHash(hashName);
  if (STRUCTURED.has(baseName(path))) h.update(canonicalText(path, content), 'utf8');
  else h.update(content);
  return h.digest('hex');
}

function canonicalText(path: string, content: Buffer): string {
  const text = content.toString('utf8');
  if (path.endsWith('.yaml')) {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0].message.split('\n')[0]}`);
    return canonicalJSON(doc.toJS() ?? {});
  }
  try {
    return canonicalizeJSONText(text);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

function defaultAlgorithm(privateKeyPem: string): SigningAlgorithm {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey(privateKeyPem);
  } catch {
    return 'HS256';
  }
  if (key.asymmetricKeyType === 'rsa-pss') return 'PS256';
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256';
  }
  return 'RS256';
}

/**
 * Signs the files of a bundle: returns the files with a fresh `.signatures.json` (any previous
 * signatures file is dropped) listing every other file with its SHA-256 digest. The JWS header
 * carries `kid`; the payload is `{files, scope}` (scope left out when not given).
 */
export function signBundleFiles(files: BundleFile[], key: SigningKey, scope?: string): BundleFile[] {
  const unsigned = files.filter((f) => !isSignaturesFile(f.path));
  const signed: SignedFile[] = [...unsigned]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((f) => ({ name: f.path, hash: fileDigest(f.path, f.content), algorithm: 'SHA-256' }));
  const payload: Record<string, unknown> = { files: signed };
  if (scope !== undefined && scope !== '') payload.scope = scope;
  const algorithm = key.algorithm ?? defaultAlgorithm(key.privateKeyPem);
  const token = jwt.sign(payload, key.privateKeyPem, { algorithm, keyid: key.kid, noTimestamp: true });
  const content = Buffer.from(JSON.stringify({ signatures: [token] }), 'utf8');
  return [{ path: SIGNATURES_FILE, content }, ...unsigned];
}

function keyLookup(keys: VerificationKeys, id: string): VerificationKey | undefined {
  if (Array.isArray(keys)) return keys.find((k) => k.kid === id);
  return Object.prototype.hasOwnProperty.call(keys, id) ? keys[id] : undefined;
}

function keyCount(keys: VerificationKeys): number {
  return Array.isArray(keys) ? keys.length : Object.keys(keys).length;
}

/**
 * Verifies a bundle's `.signatures.json` against `keys` and every file against the signed
 * digests, with OPA's error messages. Returns what was verified; throws BundleError listing every
 * problem found.
 */
export function verifyBundleSignature(files: BundleFile[], keys: VerificationKeys, options: VerifyOptions = {}): VerifiedSignature {
  const fail = (message: string, file?: string): never => {
    throw new BundleError([{ file, message, code: 'bundle_error' }]);
  };
  const sigFiles = files.filter((f) => isSignaturesFile(f.path));
  if (sigFiles.length === 0) fail('bundle missing .signatures.json file');
  if (sigFiles.length > 1) fail(`bundle has more than one signatures file: ${goList(sigFiles.map((f) => f.path))}`);
  const sigFile = sigFiles[0];

  let signatures: unknown;
  try {
    signatures = JSON.parse(sigFile.content.toString('utf8'));
  } catch (e) {
    fail(`bundle load failed on signatures decode: ${(e as Error).message}`, sigFile.path);
  }
  const list = (signatures as { signatures?: unknown } | null)?.signatures;
  if (list !== undefined && list !== null && (!Array.isArray(list) || !list.every((s) => typeof s === 'string'))) {
    fail('bundle load failed on signatures decode: "signatures" must be an array of strings', sigFile.path);
  }
  const tokens = (list ?? []) as string[];
  if (tokens.length === 0) fail('.signatures.json: missing JWT (expected exactly one)', sigFile.path);
  if (tokens.length > 1) fail('.signatures.json: multiple JWTs not supported (expected exactly one)', sigFile.path);
  if (keyCount(keys) === 0) fail('verification key not provided');

  const token = tokens[0].trim();
  const parts = token.split('.');
  if (parts.length !== 3) fail('failed to split compact serialization: expected 3 parts', sigFile.path);
  const header = decodeSegment(parts[0], 'JWT headers', sigFile.path) as { kid?: unknown };
  const payload = decodeSegment(parts[1], 'JWT payload', sigFile.path) as { files?: unknown; scope?: unknown; keyid?: unknown };

  const keyId = options.keyId || stringOr(header.kid) || stringOr(payload.keyid);
  if (!keyId) fail('verification key ID is empty');
  const keyConfig = keyLookup(keys, keyId);
  if (!keyConfig) fail(`verification key corresponding to ID ${keyId} not found`);
  const algorithm = keyConfig!.algorithm || 'RS256';
  verifyJWS(`${parts[0]}.${parts[1]}`, parts[2], algorithm, keyConfig!.key);

  const scope = options.scope || keyConfig!.scope || '';
  if (stringOr(payload.scope) !== scope) fail('scope mismatch');

  const signed = new Map<string, SignedFile>();
  if (!Array.isArray(payload.files)) fail('bundle signature payload has no "files" list', sigFile.path);
  for (const f of payload.files as Record<string, unknown>[]) {
    if (f && typeof f.name === 'string') signed.set(f.name, { name: f.name, hash: String(f.hash ?? ''), algorithm: String(f.algorithm ?? '') });
  }

  const problems: Problem[] = [];
  const verified: SignedFile[] = [];
  const excluded = options.excludeFiles ?? [];
  for (const f of files) {
    if (isSignaturesFile(f.path)) continue;
    if (excluded.some((g) => globMatch(g, f.path))) {
      signed.delete(f.path);
      continue;
    }
    const entry = signed.get(f.path);
    const problem = (message: string) => problems.push({ file: f.path, message, code: 'bundle_error' });
    if (!entry) {
      problem(`file ${f.path} not included in bundle signature`);
      continue;
    }
    signed.delete(f.path);
    if (entry.algorithm === '') {
      problem(`no hashing algorithm provided for file ${f.path}`);
      continue;
    }
    if (!HASHES[entry.algorithm]) {
      problem(`unsupported hashing algorithm: ${entry.algorithm}`);
      continue;
    }
    let got: string;
    try {
      got = fileDigest(f.path, f.content, entry.algorithm);
    } catch (e) {
      problem((e as Error).message);
      continue;
    }
    if (got !== entry.hash.toLowerCase()) problem(`${f.path}: digest mismatch (want: ${entry.hash}, got: ${got})`);
    else verified.push(entry);
  }
  if (signed.size > 0) {
    problems.push({
      message: `file(s) ${goList([...signed.keys()].sort())} specified in bundle signatures but not found in the target bundle`,
      code: 'bundle_error',
    });
  }
  if (problems.length > 0) throw new BundleError(problems);
  return { keyId: keyId!, scope, files: verified };
}

function stringOr(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function decodeSegment(segment: string, what: string, file: string): Record<string, unknown> {
  let text: string;
  try {
    if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new Error('illegal base64 data');
    text = Buffer.from(segment, 'base64url').toString('utf8');
  } catch (e) {
    throw new BundleError([{ file, message: `failed to base64 decode ${what}: ${(e as Error).message}`, code: 'bundle_error' }]);
  }
  try {
    const v = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v;
  } catch (e) {
    throw new BundleError([{ file, message: `failed to parse ${what}: ${(e as Error).message}`, code: 'bundle_error' }]);
  }
}

/** Checks a JWS signature with the configured algorithm (not the header's), as OPA does. */
function verifyJWS(signingInput: string, signatureB64: string, algorithm: string, keyText: string): void {
  const fail = (message: string): never => {
    throw new BundleError([{ message, code: 'bundle_error' }]);
  };
  const m = /^(RS|PS|ES|HS)(256|384|512)$/.exec(algorithm);
  if (!m) fail(`failed to create verifier: unsupported signature algorithm: ${algorithm}`);
  const [, family, bits] = m!;
  const hash = `sha${bits}`;
  const signature = Buffer.from(signatureB64, 'base64url');
  const data = Buffer.from(signingInput, 'utf8');

  if (family === 'HS') {
    const expected = crypto.createHmac(hash, keyText).update(data).digest();
    if (expected.length !== signature.length || !crypto.timingSafeEqual(expected, signature)) {
      fail('failed to verify message: failed to match hmac signature');
    }
    return;
  }
  let key: crypto.KeyObject;
  try {
    key = crypto.createPublicKey(keyText);
  } catch {
    return fail('failed to parse PEM block containing the key');
  }
  let ok = false;
  try {
    if (family === 'RS') ok = crypto.verify(hash, data, key, signature);
    else if (family === 'PS') {
      ok = crypto.verify(hash, data, { key, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }, signature);
    } else ok = crypto.verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    ok = false;
  }
  if (!ok) fail(family === 'ES' ? 'failed to verify message: failed to verify signature using ecdsa' : 'failed to verify message: crypto/rsa: verification error');
}
