import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Authenticator, authorize, authorizeAdmin, mintToken } from '../../src/http/auth';
import { HttpError } from '../../src/http/errors';
import { keyPair } from '../key-pair';

const SECRET = 'auth-test-secret-0123456789abcdef';
const rsa = keyPair('rsa', { modulusLength: 2048 });
const ec = keyPair('ec', { namedCurve: 'P-256' });
const rsaPublic = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const ecPublic = ec.publicKey.export({ type: 'spki', format: 'pem' }).toString();

const claims = { tenant: 'team-a', scope: 'decide audit:read', sub: 'ci' };
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

function rejects(auth: Authenticator, token: string, message: RegExp): void {
  assert.throws(
    () => auth.authenticate(`Bearer ${token}`),
    (e: unknown) => e instanceof HttpError && e.status === 401 && e.code === 'unauthorized' && message.test(e.message),
  );
}

describe('Authenticator', () => {
  const hs = new Authenticator({ secret: SECRET });

  it('accepts an HS256 token and reads tenant, scopes and subject', () => {
    const p = hs.authenticate(`Bearer ${mintToken(SECRET, { tenant: 'team-a', scope: 'decide audit:read', ttlSeconds: 60, sub: 'ci' })}`);
    assert.equal(p.tenant, 'team-a');
    assert.equal(p.sub, 'ci');
    assert.deepEqual([...p.scopes].sort(), ['audit:read', 'decide']);
  });

  it('rejects a missing header, another scheme and garbage', () => {
    assert.throws(() => hs.authenticate(undefined), /missing bearer token/);
    assert.throws(() => hs.authenticate('Basic dXNlcjpwYXNz'), /Bearer/);
    rejects(hs, 'not-a-jwt', /malformed token/);
    rejects(hs, 'a.b.c', /malformed token/);
  });

  it('rejects expired tokens and tokens without exp', () => {
    rejects(hs, jwt.sign({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 }, SECRET), /expired/);
    rejects(hs, jwt.sign(claims, SECRET), /exp claim required/);
  });

  it('rejects a token signed with another secret', () => {
    rejects(hs, jwt.sign(claims, 'another-secret-0123456789abcdef', { expiresIn: 60 }), /invalid signature/);
  });

  it('rejects alg none (unsigned) tokens', () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, exp: Math.floor(Date.now() / 1000) + 60 })}.`;
    rejects(hs, unsigned, /algorithm "none" is not accepted/);
  });

  it('rejects tokens missing tenant or scope', () => {
    rejects(hs, jwt.sign({ scope: 'decide' }, SECRET, { expiresIn: 60 }), /tenant claim required/);
    rejects(hs, jwt.sign({ tenant: 'a' }, SECRET, { expiresIn: 60 }), /scope claim required/);
  });

  it('checks issuer and audience when configured', () => {
    const strict = new Authenticator({ secret: SECRET, issuer: 'https://idp.example', audience: 'arbiter' });
    const good = jwt.sign(claims, SECRET, { expiresIn: 60, issuer: 'https://idp.example', audience: 'arbiter' });
    assert.equal(strict.authenticate(`Bearer ${good}`).tenant, 'team-a');
    rejects(strict, jwt.sign(claims, SECRET, { expiresIn: 60, issuer: 'https://evil.example', audience: 'arbiter' }), /issuer invalid/);
    rejects(strict, jwt.sign(claims, SECRET, { expiresIn: 60, issuer: 'https://idp.example', audience: 'other' }), /audience invalid/);
  });

  it('verifies RS256 tokens with a public key and refuses algorithm confusion', () => {
    const auth = new Authenticator({ publicKey: rsaPublic });
    const token = jwt.sign(claims, rsa.privateKey, { algorithm: 'RS256', expiresIn: 60 });
    assert.equal(auth.authenticate(`Bearer ${token}`).sub, 'ci');
    // HS256 "signed" with the public key text: the classic confusion attack.
    const header = b64({ alg: 'HS256', typ: 'JWT' });
    const payload = b64({ ...claims, exp: Math.floor(Date.now() / 1000) + 60 });
    const sig = createHmac('sha256', rsaPublic).update(`${header}.${payload}`).digest('base64url');
    rejects(auth, `${header}.${payload}.${sig}`, /algorithm "HS256" is not accepted/);
    // An ES256 token cannot pass as RS256 either.
    rejects(auth, jwt.sign(claims, ec.privateKey, { algorithm: 'ES256', expiresIn: 60 }), /algorithm "ES256" is not accepted/);
  });

  it('verifies ES256 tokens with an EC public key', () => {
    const auth = new Authenticator({ publicKey: ecPublic });
    const token = jwt.sign(claims, ec.privateKey, { algorithm: 'ES256', expiresIn: 60 });
    assert.equal(auth.authenticate(`Bearer ${token}`).tenant, 'team-a');
    const other = keyPair('ec', { namedCurve: 'P-256' });
    rejects(auth, jwt.sign(claims, other.privateKey, { algorithm: 'ES256', expiresIn: 60 }), /invalid signature/);
  });

  it('accepts the same token in any spelling of the header, and never caches a refusal', () => {
    const token = mintToken(SECRET, { tenant: 'spelled', scope: 'decide', ttlSeconds: 60 });
    assert.equal(hs.authenticate(`Bearer ${token}`).tenant, 'spelled');
    assert.equal(hs.authenticate(`bearer   ${token}  `).tenant, 'spelled');
    assert.throws(() => hs.authenticate(`Bearer ${token} extra`), /Bearer/);
    const forged = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    rejects(hs, forged, /invalid (signature|token)/);
    rejects(hs, forged, /invalid (signature|token)/);
  });

  it('keeps checking expiry for cached tokens', async () => {
    const token = mintToken(SECRET, { tenant: 'a', scope: 'decide', ttlSeconds: 1 });
    assert.equal(hs.authenticate(`Bearer ${token}`).tenant, 'a');
    await new Promise((r) => setTimeout(r, 2100));
    rejects(hs, token, /expired/);
  });
});

describe('authorize', () => {
  const p = (tenant: string, scope: string) => ({ sub: 's', tenant, scopes: new Set(scope.split(' ')), exp: 0 });

  it('needs the scope (or admin) and the same tenant (or *)', () => {
    assert.doesNotThrow(() => authorize(p('a', 'decide'), 'decide', 'a'));
    assert.doesNotThrow(() => authorize(p('a', 'admin'), 'bundles:write', 'a'));
    assert.doesNotThrow(() => authorize(p('*', 'audit:read'), 'audit:read', 'b'));
    assert.throws(() => authorize(p('a', 'decide'), 'audit:read', 'a'), (e: unknown) => e instanceof HttpError && e.status === 403);
    assert.throws(() => authorize(p('a', 'admin'), 'decide', 'b'), (e: unknown) => e instanceof HttpError && e.status === 403);
  });

  it('reserves tenant administration to tenant * with scope admin', () => {
    assert.doesNotThrow(() => authorizeAdmin(p('*', 'admin')));
    assert.throws(() => authorizeAdmin(p('a', 'admin')), /administrator/);
    assert.throws(() => authorizeAdmin(p('*', 'decide')), /administrator/);
  });

  it('mints only known scopes', () => {
    assert.throws(() => mintToken(SECRET, { tenant: 'a', scope: 'decide root', ttlSeconds: 60 }), /unknown scope\(s\): root/);
  });
});
