// io.jwt.*: decoding, signature verification and signing of JSON Web Tokens (JWS compact form),
// with node:crypto for every algorithm and for JWK import. Semantics and messages follow OPA's
// topdown/tokens.go: verification failures are `false` (or [false, {}, {}]), malformed input is
// a built-in error.

import {
  type KeyObject,
  X509Certificate,
  constants,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
} from 'node:crypto';
import { RObject, type Value, compareNumbers, isNumber, parseJSON, stringifyJSON } from '../eval/values';
import { Base64Error, base64UrlDecode, base64UrlEncode, pemDecode } from './encoding_go';
import { BoundedCache, type Outcome, outcome, unwrap } from './lru';
import { asObject, asString } from './operands';
import { type BuiltinContext, BuiltinError, register } from './registry';

// ---------------------------------------------------------------------------------------------
// Token structure

interface Token {
  header: string;
  payload: string;
  signature: string;
}

function splitToken(v: Value): Token {
  const text = asString(v, 1);
  if (!text.includes('.')) throw new BuiltinError('encoded JWT had no period separators');
  const parts = text.split('.');
  if (parts.length !== 3) throw new BuiltinError(`encoded JWT must have 3 sections, found ${parts.length}`);
  return { header: parts[0], payload: parts[1], signature: parts[2] };
}

function b64(part: string, what: string): Buffer {
  try {
    return base64UrlDecode(part);
  } catch (e) {
    const msg = e instanceof Base64Error || e instanceof Error ? e.message : String(e);
    throw new BuiltinError(what ? `${what} had invalid encoding: ${msg}` : msg);
  }
}

function jsonObject(text: string): RObject {
  let v: Value;
  try {
    v = parseJSON(text);
  } catch (e) {
    throw new BuiltinError(`invalid JSON: ${(e as Error).message}`);
  }
  if (!(v instanceof RObject)) throw new BuiltinError('decoded JSON type is not an Object');
  return v;
}

function decodeHeader(token: Token): RObject {
  const text = b64(token.header, 'JWT header').toString('utf8');
  let header: RObject;
  try {
    header = jsonObject(text);
  } catch (e) {
    throw new BuiltinError(`bad JWT header: ${(e as Error).message}`);
  }
  if (header.has('enc')) throw new BuiltinError('JWT is a JWE object, which is not supported');
  return header;
}

const headerString = (h: RObject, key: string): string => {
  const v = h.getStr(key);
  return typeof v === 'string' ? v : '';
};

/** Signature bytes; the message of a bad encoding carries no prefix in the verify functions. */
const decodeSignature = (token: Token, prefixed: boolean): Buffer =>
  b64(token.signature, prefixed ? 'JWT signature' : '');

// ---------------------------------------------------------------------------------------------
// Algorithms

type Hash = 'sha256' | 'sha384' | 'sha512';

interface Algorithm {
  kind: 'hmac' | 'rsa' | 'pss' | 'ecdsa' | 'eddsa';
  hash: Hash | null;
}

const ALGORITHMS: Record<string, Algorithm> = {
  HS256: { kind: 'hmac', hash: 'sha256' },
  HS384: { kind: 'hmac', hash: 'sha384' },
  HS512: { kind: 'hmac', hash: 'sha512' },
  RS256: { kind: 'rsa', hash: 'sha256' },
  RS384: { kind: 'rsa', hash: 'sha384' },
  RS512: { kind: 'rsa', hash: 'sha512' },
  PS256: { kind: 'pss', hash: 'sha256' },
  PS384: { kind: 'pss', hash: 'sha384' },
  PS512: { kind: 'pss', hash: 'sha512' },
  ES256: { kind: 'ecdsa', hash: 'sha256' },
  ES384: { kind: 'ecdsa', hash: 'sha384' },
  ES512: { kind: 'ecdsa', hash: 'sha512' },
  EdDSA: { kind: 'eddsa', hash: null },
};

/** A key to verify with: a public key, or a shared secret for HMAC. */
type VerificationKey = { key: KeyObject | Buffer; alg: string; kid: string };

const KEY_TYPE: Record<Algorithm['kind'], string> = { hmac: 'secret', rsa: 'rsa', pss: 'rsa', ecdsa: 'ec', eddsa: 'ed25519' };

function keyFits(alg: Algorithm, key: KeyObject | Buffer): boolean {
  if (Buffer.isBuffer(key)) return alg.kind === 'hmac';
  if (alg.kind === 'hmac') return key.type === 'secret';
  if (key.type === 'secret') return false;
  const t = key.asymmetricKeyType;
  return t === KEY_TYPE[alg.kind] || (alg.kind === 'pss' && t === 'rsa-pss') || (alg.kind === 'eddsa' && t === 'ed448');
}

function verifySignature(alg: Algorithm, key: KeyObject | Buffer, data: Buffer, sig: Buffer): boolean {
  if (!keyFits(alg, key)) return false;
  try {
    switch (alg.kind) {
      case 'hmac': {
        const secret = Buffer.isBuffer(key) ? key : key.export();
        const mac = createHmac(alg.hash!, secret).update(data).digest();
        return mac.length === sig.length && timingSafeEqual(mac, sig);
      }
      case 'rsa':
        return cryptoVerify(alg.hash, data, key as KeyObject, sig);
      case 'pss':
        return cryptoVerify(
          alg.hash,
          data,
          { key: key as KeyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
          sig,
        );
      case 'ecdsa':
        return cryptoVerify(alg.hash, data, { key: key as KeyObject, dsaEncoding: 'ieee-p1363' }, sig);
      case 'eddsa':
        return cryptoVerify(null, data, key as KeyObject, sig);
    }
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Keys: a PEM certificate or public key, or a JWK / JWK set

function keysFromJWK(text: string): VerificationKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new BuiltinError(`failed to parse a JWK key (set): ${(e as Error).message}`);
  }
  const list =
    parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as { keys?: unknown }).keys)
      ? ((parsed as { keys: unknown[] }).keys as Record<string, unknown>[])
      : [parsed as Record<string, unknown>];
  return list.map((jwk) => {
    if (jwk === null || typeof jwk !== 'object') throw new BuiltinError('failed to parse a JWK key (set): not a JSON object');
    try {
      return { key: jwkPublicKey(jwk), alg: typeof jwk.alg === 'string' ? jwk.alg : '', kid: typeof jwk.kid === 'string' ? jwk.kid : '' };
    } catch (e) {
      throw new BuiltinError(`failed to parse a JWK key (set): ${(e as Error).message}`);
    }
  });
}

function jwkPublicKey(jwk: Record<string, unknown>): KeyObject | Buffer {
  if (jwk.kty === 'oct') return base64UrlDecode(String(jwk.k ?? ''));
  return createPublicKey({ key: jwk as never, format: 'jwk' });
}

const keyCache = new BoundedCache<Outcome<VerificationKey[]>>(64);

/** Keys of a certificate, public key or JWK (set); cached, since policies pass the same text per decision. */
function keysFromCertOrJWK(text: string): VerificationKey[] {
  return unwrap(keyCache.get(text, () => outcome(() => parseKeys(text))));
}

function parseKeys(text: string): VerificationKey[] {
  const pem = pemDecode(text);
  if (!pem) return keysFromJWK(text);
  if (pem.rest.length > 0) throw new BuiltinError('extra data after a PEM certificate block');
  const { type, bytes } = pem.block;
  if (type === 'CERTIFICATE') {
    try {
      return [{ key: new X509Certificate(bytes).publicKey, alg: '', kid: '' }];
    } catch {
      throw new BuiltinError('failed to parse a PEM certificate: x509: malformed certificate');
    }
  }
  if (type === 'PUBLIC KEY') {
    try {
      return [{ key: createPublicKey({ key: bytes, format: 'der', type: 'spki' }), alg: '', kid: '' }];
    } catch (e) {
      throw new BuiltinError(`failed to parse a PEM public key: ${(e as Error).message}`);
    }
  }
  throw new BuiltinError('failed to extract a Key from the PEM certificate');
}

// ---------------------------------------------------------------------------------------------
// io.jwt.decode

function decode(v: Value): Value[] {
  const token = splitToken(v);
  const header = decodeHeader(token);
  let payloadText = b64(token.payload, 'JWT payload').toString('utf8');
  if (header.getStr('cty') === 'JWT') {
    // A nested token; jwt.io-style encoders quote it.
    payloadText = payloadText.replace(/^["']+|["']+$/g, '');
    return decode(payloadText);
  }
  const payload = jsonObject(payloadText);
  const sig = decodeSignature(token, true);
  return [header, payload, sig.toString('hex')];
}

// ---------------------------------------------------------------------------------------------
// io.jwt.verify_*

function verifyWith(algName: string): (args: Value[]) => Value {
  const alg = ALGORITHMS[algName];
  return ([tokenArg, keyArg]) => {
    const token = splitToken(tokenArg);
    const data = Buffer.from(`${token.header}.${token.payload}`);
    if (alg.kind === 'hmac') {
      const secret = Buffer.from(asString(keyArg, 2), 'utf8');
      return verifySignature(alg, secret, data, decodeSignature(token, false));
    }
    const keys = keysFromCertOrJWK(asString(keyArg, 2));
    const sig = decodeSignature(token, false);
    const header = decodeHeader(token);
    const kid = headerString(header, 'kid');
    if (kid) {
      const byKid = keys.find((k) => k.kid === kid);
      if (byKid) return verifySignature(alg, byKid.key, data, sig);
    }
    return keys.some((k) => verifySignature(alg, k.key, data, sig));
  };
}

// ---------------------------------------------------------------------------------------------
// io.jwt.decode_verify

interface Constraints {
  keys?: VerificationKey[];
  secret?: string;
  alg?: string;
  iss?: string;
  aud?: string;
  /** Seconds since the epoch. */
  time: number;
}

function parseConstraints(v: Value, ctx: BuiltinContext): Constraints {
  const obj = asObject(v, 2);
  const c: Constraints = { time: Number(ctx.nowNs) / 1e9 };
  for (const [k, val] of obj.entries()) {
    const name = typeof k === 'string' ? k : stringifyJSON(k);
    switch (name) {
      case 'cert':
        c.keys = keysFromCertOrJWK(constraintString(name, val));
        break;
      case 'secret':
        c.secret = constraintString(name, val);
        break;
      case 'alg':
      case 'iss':
      case 'aud':
        c[name] = constraintString(name, val);
        break;
      case 'time':
        if (!isNumber(val)) throw new BuiltinError(`token time constraint: must be a number`);
        c.time = Number(val) / 1e9;
        break;
      default:
        throw new BuiltinError(`unknown token validation constraint: ${name}`);
    }
  }
  const keyCount = (c.keys ? 1 : 0) + (c.secret ? 1 : 0);
  if (keyCount > 1) throw new BuiltinError('duplicate key constraints');
  if (keyCount < 1) throw new BuiltinError('no key constraint');
  return c;
}

function constraintString(name: string, v: Value): string {
  if (typeof v !== 'string') throw new BuiltinError(`${name} constraint: must be a string`);
  return v;
}

/** Checks the signature against the constraints' key(s) or secret. */
function signatureVerified(c: Constraints, algName: string, kid: string, data: Buffer, sig: Buffer): boolean {
  const alg = ALGORITHMS[algName];
  if (!alg) throw new BuiltinError(`unknown JWS algorithm: ${algName}`);
  if (c.keys) {
    if (kid) {
      const byKid = c.keys.find((k) => k.kid === kid);
      if (byKid) return verifySignature(alg, byKid.key, data, sig);
    }
    return c.keys.some((k) => (k.alg === '' || k.alg === algName) && verifySignature(alg, k.key, data, sig));
  }
  // A shared secret cannot check an asymmetric signature: OPA reports that as an error.
  if (alg.kind !== 'hmac') throw new BuiltinError('incorrect public key type');
  return verifySignature(alg, Buffer.from(c.secret!, 'utf8'), data, sig);
}

/** Header parameters this implementation understands, for the `crit` check (RFC 7515 4.1.11). */
const KNOWN_HEADERS = new Set(['alg', 'typ', 'cty', 'kid', 'jku', 'jwk', 'x5u', 'x5c', 'x5t', 'x5t#S256', 'crit']);

function headerValid(header: RObject): boolean {
  if (!headerString(header, 'alg')) return false;
  const crit = header.getStr('crit');
  if (crit === undefined) return true;
  if (!Array.isArray(crit)) return false;
  return crit.every((c) => typeof c === 'string' && KNOWN_HEADERS.has(c));
}

function audienceValid(c: Constraints, aud: Value): boolean {
  if (!c.aud) return false;
  if (typeof aud === 'string') return aud === c.aud;
  if (Array.isArray(aud)) return aud.some((a) => a === c.aud);
  return false;
}

const UNVERIFIED = (): Value[] => [false, new RObject(), new RObject()];

function decodeVerify([tokenArg, constraintsArg]: Value[], ctx: BuiltinContext): Value {
  const c = parseConstraints(constraintsArg, ctx);
  let current: Value = tokenArg;
  let header: RObject;
  let payloadText: string;
  for (;;) {
    const token = splitToken(current);
    header = decodeHeader(token);
    if (!headerValid(header)) return UNVERIFIED();
    const alg = headerString(header, 'alg');
    if (c.alg && c.alg !== alg) return UNVERIFIED();
    const sig = decodeSignature(token, true);
    const data = Buffer.from(`${token.header}.${token.payload}`);
    if (!signatureVerified(c, alg, headerString(header, 'kid'), data, sig)) return UNVERIFIED();
    payloadText = b64(token.payload, 'JWT payload').toString('utf8');
    if (headerString(header, 'cty').toUpperCase() !== 'JWT') break;
    current = payloadText;
  }
  const payload = jsonObject(payloadText);
  if (c.iss !== undefined && c.iss !== '') {
    if (payload.getStr('iss') !== c.iss) return UNVERIFIED();
  }
  const aud = payload.getStr('aud');
  if (aud !== undefined) {
    if (!audienceValid(c, aud)) return UNVERIFIED();
  } else if (c.aud) {
    return UNVERIFIED();
  }
  const exp = payload.getStr('exp');
  if (exp !== undefined) {
    if (!isNumber(exp)) throw new BuiltinError('exp value must be a number');
    if (compareNumbers(c.time, exp) !== -1) return UNVERIFIED();
  }
  const nbf = payload.getStr('nbf');
  if (nbf !== undefined) {
    if (!isNumber(nbf)) throw new BuiltinError('nbf value must be a number');
    if (compareNumbers(c.time, nbf) === -1) return UNVERIFIED();
  }
  return [true, header, payload];
}

// ---------------------------------------------------------------------------------------------
// io.jwt.encode_sign / encode_sign_raw

/** JSON text as Go's encoding/json writes it (HTML-sensitive characters escaped). */
function goJSON(v: Value): string {
  return stringifyJSON(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function isJSON(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function headerAlgorithm(headerText: string): { alg: string; typ: string } {
  const prefix = "missing or invalid 'alg' header: ";
  if (headerText.trim() === '') throw new BuiltinError(prefix + 'cannot parse JSON: cannot parse empty string');
  let parsed: unknown;
  try {
    parsed = JSON.parse(headerText);
  } catch (e) {
    if (headerText.trim().startsWith('{')) throw new BuiltinError(prefix + `cannot parse JSON: ${(e as Error).message}`);
    parsed = undefined;
  }
  const obj = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  if (typeof obj.alg !== 'string') throw new BuiltinError(prefix + 'jwsbb: header "alg" not found');
  return { alg: obj.alg, typ: typeof obj.typ === 'string' ? obj.typ : '' };
}

function signingKey(jwkText: string): { jwk: Record<string, unknown>; key: KeyObject } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(jwkText);
  } catch (e) {
    throw new BuiltinError(`failed to parse JWK: ${(e as Error).message}`);
  }
  if (parsed !== null && typeof parsed === 'object' && Array.isArray((parsed as { keys?: unknown }).keys)) {
    parsed = (parsed as { keys: unknown[] }).keys[0];
  }
  if (parsed === null || typeof parsed !== 'object') throw new BuiltinError('failed to parse JWK: not a JSON object');
  const jwk = parsed as Record<string, unknown>;
  try {
    if (jwk.kty === 'oct') return { jwk, key: createSecretKey(base64UrlDecode(String(jwk.k ?? ''))) };
    const key = 'd' in jwk ? createPrivateKey({ key: jwk as never, format: 'jwk' }) : createPublicKey({ key: jwk as never, format: 'jwk' });
    return { jwk, key };
  } catch (e) {
    throw new BuiltinError(`failed to parse JWK: ${(e as Error).message}`);
  }
}

function sign(alg: Algorithm, key: KeyObject, data: Buffer): Buffer {
  if (!keyFits(alg, key) || (alg.kind !== 'hmac' && key.type !== 'private')) {
    throw new BuiltinError('failed to sign payload: key does not fit the algorithm');
  }
  switch (alg.kind) {
    case 'hmac':
      return createHmac(alg.hash!, key).update(data).digest();
    case 'rsa':
      return cryptoSign(alg.hash, data, key);
    case 'pss':
      return cryptoSign(alg.hash, data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST });
    case 'ecdsa':
      return cryptoSign(alg.hash, data, { key, dsaEncoding: 'ieee-p1363' });
    case 'eddsa':
      return cryptoSign(null, data, key);
  }
}

function encodeSign(headerText: string, payloadText: string, jwkText: string): string {
  const { key } = signingKey(jwkText);
  const { alg: algName, typ } = headerAlgorithm(headerText);
  const alg = ALGORITHMS[algName];
  if (!alg) throw new BuiltinError(`unknown JWS algorithm: ${algName}`);
  if ((typ === '' || typ === 'JWT') && !isJSON(payloadText)) throw new BuiltinError('type is JWT but payload is not JSON');
  const signingInput = `${base64UrlEncode(headerText)}.${base64UrlEncode(payloadText)}`;
  return `${signingInput}.${base64UrlEncode(sign(alg, key, Buffer.from(signingInput)))}`;
}

// ---------------------------------------------------------------------------------------------

register(
  {
    name: 'io.jwt.decode',
    args: ['string'],
    result: 'array<any>',
    impl: ([t]) => decode(t),
  },
  {
    name: 'io.jwt.decode_verify',
    args: ['string', 'object<string, any>'],
    result: 'array<any>',
    impl: (args, ctx) => decodeVerify(args, ctx),
  },
  {
    name: 'io.jwt.encode_sign',
    args: ['object<string, any>', 'object<string, any>', 'object<string, any>'],
    result: 'string',
    impl: ([h, p, k]) => encodeSign(goJSON(asObject(h, 1)), goJSON(asObject(p, 2)), goJSON(asObject(k, 3))),
  },
  {
    name: 'io.jwt.encode_sign_raw',
    args: ['string', 'string', 'string'],
    result: 'string',
    impl: ([h, p, k]) => encodeSign(asString(h, 1), asString(p, 2), asString(k, 3)),
  },
  ...Object.keys(ALGORITHMS).map((alg) => ({
    name: `io.jwt.verify_${alg.toLowerCase()}`,
    args: ['string', 'string'],
    result: 'boolean',
    impl: verifyWith(alg),
  })),
);
