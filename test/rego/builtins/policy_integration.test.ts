// End to end through the engine's public API: policies that use the token, time, crypto, GraphQL
// and http.send built-ins, evaluated as a tenant's bundle would be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sign } from 'node:crypto';
import { RegoError, compileModules, fromJSON, toJSON } from '../../../src/rego';
import { keyPair } from '../../key-pair';

const rsa = keyPair('rsa', { modulusLength: 2048 });
const jwks = JSON.stringify({ keys: [{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256' }] });
const NOW_S = 1_750_000_000;

const policy = compileModules([
  {
    file: 'authz.rego',
    source: `package authz

claims := payload if {
	[valid, _, payload] := io.jwt.decode_verify(input.token, {"cert": data.jwks, "aud": "arbiter"})
	valid
}

token_age_s := (time.now_ns() / 1000000000) - claims.iat

schema := \`type Query { employee(id: ID!): Employee } type Employee { id: ID! salary: Int }\`

allow if {
	claims.role == "hr"
	graphql.is_valid(input.query, schema)
}

fingerprint := crypto.sha256(input.token)

minted := io.jwt.encode_sign({"alg": "HS256"}, {"sub": "svc"}, {"kty": "oct", "k": "c2VjcmV0"})

minted_ok := io.jwt.verify_hs256(minted, "secret")

expires := time.format([(claims.exp * 1000000000), "Europe/Amsterdam", "RFC1123Z"])

lookup := http.send({"method": "GET", "url": "https://example.com"})
`,
  },
]);

function token(claims: object): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const head = `${b64({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${b64(claims)}`;
  return `${head}.${sign('sha256', Buffer.from(head), rsa.privateKey).toString('base64url')}`;
}

const options = (input: object) => ({ input: fromJSON(input), data: fromJSON({ jwks }), nowNs: BigInt(NOW_S) * 1_000_000_000n });

test('a policy verifies a JWT against a JWKS, checks a GraphQL query and reads the clock', () => {
  const t = token({ sub: 'ann', role: 'hr', aud: 'arbiter', iat: NOW_S - 30, exp: NOW_S + 3600 });
  const input = { token: t, query: '{ employee(id: "7") { salary } }' };
  assert.equal(policy.evaluate('authz.allow', options(input)), true);
  assert.equal(policy.evaluate('authz.token_age_s', options(input)), 30);
  assert.match(String(policy.evaluate('authz.expires', options(input))), /^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} 2025 \d\d:\d\d:\d\d \+0[12]00$/);
  assert.match(String(policy.evaluate('authz.fingerprint', options(input))), /^[0-9a-f]{64}$/);
  assert.equal(policy.evaluate('authz.minted_ok', options(input)), true);
  assert.equal(policy.evaluate('authz.allow', options({ ...input, query: '{ employee { salary } }' })), undefined, 'missing required argument');
  const expired = token({ sub: 'ann', role: 'hr', aud: 'arbiter', iat: NOW_S - 7200, exp: NOW_S - 3600 });
  assert.equal(policy.evaluate('authz.allow', options({ ...input, token: expired })), undefined);
  const otherAudience = token({ sub: 'ann', role: 'hr', aud: 'elsewhere', iat: NOW_S, exp: NOW_S + 60 });
  assert.equal(policy.evaluate('authz.claims', options({ ...input, token: otherAudience })), undefined);
});

test('http.send is refused: undefined by default, an eval_builtin_error under strict built-in errors', () => {
  assert.equal(policy.evaluate('authz.lookup', options({})), undefined);
  assert.throws(
    () => policy.evaluate('authz.lookup', { ...options({}), strictBuiltinErrors: true }),
    (e: unknown) => e instanceof RegoError && e.code === 'eval_builtin_error' && /network calls are disabled/.test(e.message),
  );
});

test('malformed tokens make the rule undefined, or fail under strict built-in errors', () => {
  const input = { token: 'not-a-jwt', query: '{ x }' };
  assert.equal(policy.evaluate('authz.claims', options(input)), undefined);
  assert.throws(
    () => policy.evaluate('authz.claims', { ...options(input), strictBuiltinErrors: true }),
    (e: unknown) => e instanceof RegoError && e.code === 'eval_builtin_error' && /encoded JWT had no period separators/.test(e.message),
  );
  assert.deepEqual(toJSON(policy.query('x := time.parse_duration_ns("90m")')[0].x), 5_400_000_000_000);
});
