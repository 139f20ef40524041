import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../../../src/rego/builtins/jwt';
import { type BuiltinContext, lookupBuiltin } from '../../../src/rego/builtins/registry';
import { errorOf } from './builtin-call';
import { type Value, fromJSON, toJSON } from '../../../src/rego/eval/values';
import { keyPair } from '../../key-pair';

const NOW_S = 1_700_000_000;
const ctx = { nowNs: BigInt(NOW_S) * 1_000_000_000n } as BuiltinContext;
const call = (name: string, ...args: unknown[]): unknown => toJSON(lookupBuiltin(name)!.impl(args.map(fromJSON) as Value[], ctx) as Value);

const b64url = (s: string): string => Buffer.from(s).toString('base64url');
const hsKey = { kty: 'oct', k: b64url('secret') };
const sign = (header: object, payload: object, key: object = hsKey): string =>
  call('io.jwt.encode_sign', header, payload, key) as string;

test('encode_sign produces RFC 7515 A.1 compact serialisation (sorted JSON members)', () => {
  const key = { kty: 'oct', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow' };
  const token = sign({ typ: 'JWT', alg: 'HS256' }, { iss: 'joe', exp: 1300819380 }, key);
  const [h, p] = token.split('.');
  assert.equal(Buffer.from(h, 'base64url').toString(), '{"alg":"HS256","typ":"JWT"}');
  assert.equal(Buffer.from(p, 'base64url').toString(), '{"exp":1300819380,"iss":"joe"}');
  assert.equal(call('io.jwt.verify_hs256', sign({ alg: 'HS256' }, {}), 'secret'), true);
  assert.equal(call('io.jwt.verify_hs256', sign({ alg: 'HS256' }, {}), 'other'), false);
});

test('decode returns header, payload and hex signature; nested tokens are unwrapped', () => {
  const token = sign({ alg: 'HS256', typ: 'JWT' }, { sub: '0', iss: 'opa' });
  const [header, payload, sig] = call('io.jwt.decode', token) as [unknown, unknown, string];
  assert.deepEqual(header, { alg: 'HS256', typ: 'JWT' });
  assert.deepEqual(payload, { iss: 'opa', sub: '0' });
  assert.equal(sig, Buffer.from(token.split('.')[2], 'base64url').toString('hex'));
  const outer = `${b64url('{"alg":"HS256","cty":"JWT"}')}.${b64url(JSON.stringify(token))}.c2ln`;
  assert.deepEqual(call('io.jwt.decode', outer), [header, payload, sig]);
});

test('decode errors carry OPA messages', () => {
  assert.equal(errorOf(() => call('io.jwt.decode', 'abc')), 'encoded JWT had no period separators');
  assert.equal(errorOf(() => call('io.jwt.decode', 'a.b')), 'encoded JWT must have 3 sections, found 2');
  assert.equal(
    errorOf(() => call('io.jwt.decode', 'eyJhbGciOiJIU^%zI1NiI+sInR5cCI6IkpXVCJ9.e30.c2ln')),
    'JWT header had invalid encoding: illegal base64 data at input byte 13',
  );
  assert.equal(
    errorOf(() => call('io.jwt.decode', `${b64url('{"alg":"HS256","enc":"x"}')}.e30.c2ln`)),
    'JWT is a JWE object, which is not supported',
  );
});

test('verify_* with RSA, RSA-PSS, ECDSA and EdDSA keys as PEM and JWK', () => {
  const rsa = keyPair('rsa', { modulusLength: 2048 });
  const ec = keyPair('ec', { namedCurve: 'P-384' });
  const ed = keyPair('ed25519');
  const cases: [string, typeof rsa][] = [
    ['RS256', rsa],
    ['PS512', rsa],
    ['ES384', ec],
    ['EdDSA', ed],
  ];
  for (const [alg, pair] of cases) {
    const token = sign({ alg }, { iss: 'x' }, pair.privateKey.export({ format: 'jwk' }));
    const fn = `io.jwt.verify_${alg.toLowerCase()}`;
    const pem = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    assert.equal(call(fn, token, pem), true, `${alg} with PEM`);
    assert.equal(call(fn, token, JSON.stringify(pair.publicKey.export({ format: 'jwk' }))), true, `${alg} with JWK`);
    const tampered = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.equal(call(fn, tampered, pem), false, `${alg} tampered`);
  }
  const other = keyPair('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'pem', type: 'spki' }).toString();
  assert.equal(call('io.jwt.verify_rs256', sign({ alg: 'RS256' }, {}, rsa.privateKey.export({ format: 'jwk' })), other), false);
  assert.equal(errorOf(() => call('io.jwt.verify_rs256', 'a.b.c', other + 'junk')), 'extra data after a PEM certificate block');
});

test('decode_verify checks signature, alg, iss, aud, exp and nbf', () => {
  const token = sign({ alg: 'HS256', typ: 'JWT' }, { iss: 'xxx', aud: ['a', 'b'], exp: NOW_S + 10, nbf: NOW_S - 10 });
  const ok = call('io.jwt.decode_verify', token, { secret: 'secret', aud: 'b' }) as unknown[];
  assert.equal(ok[0], true);
  assert.deepEqual(ok[2], { iss: 'xxx', aud: ['a', 'b'], exp: NOW_S + 10, nbf: NOW_S - 10 });
  const unverified = [false, {}, {}];
  assert.deepEqual(call('io.jwt.decode_verify', token, { secret: 'wrong', aud: 'b' }), unverified);
  assert.deepEqual(call('io.jwt.decode_verify', token, { secret: 'secret' }), unverified, 'aud present, no aud constraint');
  assert.deepEqual(call('io.jwt.decode_verify', token, { secret: 'secret', aud: 'b', iss: 'yyy' }), unverified);
  assert.deepEqual(call('io.jwt.decode_verify', token, { secret: 'secret', aud: 'b', alg: 'HS512' }), unverified);
  const later = (NOW_S + 10) * 1e9;
  assert.deepEqual(call('io.jwt.decode_verify', token, { secret: 'secret', aud: 'b', time: later }), unverified, 'exp equal is expired');
  assert.deepEqual(call('io.jwt.decode_verify', token, { secret: 'secret', aud: 'b', time: (NOW_S - 11) * 1e9 }), unverified);
  const badExp = sign({ alg: 'HS256' }, { exp: 'soon' });
  assert.equal(errorOf(() => call('io.jwt.decode_verify', badExp, { secret: 'secret' })), 'exp value must be a number');
  assert.equal(errorOf(() => call('io.jwt.decode_verify', token, { nope: 1 })), 'unknown token validation constraint: nope');
});

test('decode_verify picks keys from a JWK set by kid or by trying each', () => {
  const a = keyPair('ec', { namedCurve: 'P-256' });
  const b = keyPair('rsa', { modulusLength: 2048 });
  const jwks = JSON.stringify({
    keys: [
      { ...a.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256' },
      { ...b.publicKey.export({ format: 'jwk' }), kid: 'k2', alg: 'RS256', use: 'enc' },
    ],
  });
  const noKid = sign({ alg: 'RS256' }, { sub: '1' }, b.privateKey.export({ format: 'jwk' }));
  assert.equal((call('io.jwt.decode_verify', noKid, { cert: jwks }) as unknown[])[0], true);
  const wrongKid = sign({ alg: 'RS256', kid: 'k1' }, { sub: '1' }, b.privateKey.export({ format: 'jwk' }));
  assert.equal((call('io.jwt.decode_verify', wrongKid, { cert: jwks }) as unknown[])[0], false);
});

test('encode_sign_raw keeps the given text and checks the header', () => {
  const raw = call('io.jwt.encode_sign_raw', '{"typ":"text/plain","alg":"HS256"}', '', JSON.stringify(hsKey)) as string;
  assert.equal(raw.split('.')[1], '');
  assert.equal(
    errorOf(() => call('io.jwt.encode_sign_raw', '{}', '{}', JSON.stringify(hsKey))),
    'missing or invalid \'alg\' header: jwsbb: header "alg" not found',
  );
  assert.equal(errorOf(() => call('io.jwt.encode_sign_raw', '{"alg":"dummy"}', '{}', JSON.stringify(hsKey))), 'unknown JWS algorithm: dummy');
  assert.equal(
    errorOf(() => call('io.jwt.encode_sign_raw', '{"typ":"JWT","alg":"HS256"}', 'e', JSON.stringify(hsKey))),
    'type is JWT but payload is not JSON',
  );
});

test('decode_verify with a shared secret refuses asymmetric algorithms', () => {
  const rsa = keyPair('rsa', { modulusLength: 2048 });
  const token = sign({ alg: 'RS256' }, { sub: '1' }, rsa.privateKey.export({ format: 'jwk' }));
  assert.equal(errorOf(() => call('io.jwt.decode_verify', token, { secret: 'secret' })), 'incorrect public key type');
  const hs = sign({ alg: 'HS256' }, { sub: '1' });
  const pem = rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  assert.deepEqual(call('io.jwt.decode_verify', hs, { cert: pem }), [false, {}, {}], 'an HMAC token never verifies with a public key');
});
