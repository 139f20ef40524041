// Bearer-token authentication and the access rules of the API.
//
// Tokens are JWTs with `sub`, `tenant` (a tenant id, or `*` for every tenant) and `scope`
// (space-separated). HS256 tokens are checked with the shared secret, RS256/ES256 tokens with the
// configured public key. The accepted algorithm is chosen from the key, never from the token alone,
// so `alg: none` and algorithm confusion (an HS256 token "signed" with the public key) fail.

import { createPublicKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { Errors } from './errors';

export const SCOPES = ['decide', 'bundles:read', 'bundles:write', 'audit:read', 'agent', 'admin', 'metrics'] as const;
export type Scope = (typeof SCOPES)[number];
export const ALL_TENANTS = '*';

export interface Principal {
  sub: string;
  tenant: string;
  scopes: ReadonlySet<string>;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export interface AuthOptions {
  secret?: string;
  publicKey?: string;
  issuer?: string;
  audience?: string;
}

const CACHE_LIMIT = 10_000;

export class Authenticator {
  private readonly publicKey?: KeyObject;
  private readonly publicAlgorithm?: jwt.Algorithm;
  // Verified tokens by header value, so the signature is checked once per token, not per request.
  private readonly cache = new Map<string, Principal>();

  constructor(private readonly options: AuthOptions) {
    if (!options.secret && !options.publicKey) throw new Error('authentication needs a JWT secret or a public key');
    if (options.publicKey) {
      this.publicKey = createPublicKey(options.publicKey);
      const type = this.publicKey.asymmetricKeyType;
      if (type === 'rsa') this.publicAlgorithm = 'RS256';
      else if (type === 'ec') this.publicAlgorithm = 'ES256';
      else throw new Error(`unsupported public key type ${type}; use an RSA (RS256) or EC P-256 (ES256) key`);
    }
  }

  /** Verifies an `Authorization` header value; throws a 401 HttpError. */
  authenticate(header: string | undefined): Principal {
    if (!header) throw Errors.unauthenticated('missing bearer token');
    // Keyed by the whole header value: a client repeats it byte for byte, so a hit needs no parsing.
    const cached = this.cache.get(header);
    if (cached) {
      if (cached.exp > Math.floor(Date.now() / 1000)) return cached;
      this.cache.delete(header);
      throw Errors.unauthenticated('token expired');
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m) throw Errors.unauthenticated('authorization header must be "Bearer <token>"');
    const principal = this.verify(m[1]);
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(header, principal);
    return principal;
  }

  private verify(token: string): Principal {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload !== 'object') throw Errors.unauthenticated('malformed token');
    const alg = decoded.header.alg;
    let key: string | KeyObject;
    let algorithm: jwt.Algorithm;
    if (alg === 'HS256' && this.options.secret) {
      key = this.options.secret;
      algorithm = 'HS256';
    } else if (this.publicKey && alg === this.publicAlgorithm) {
      key = this.publicKey;
      algorithm = this.publicAlgorithm;
    } else {
      throw Errors.unauthenticated(`token algorithm ${JSON.stringify(alg)} is not accepted`);
    }
    let payload: jwt.JwtPayload;
    try {
      payload = jwt.verify(token, key, {
        algorithms: [algorithm],
        issuer: this.options.issuer,
        audience: this.options.audience,
      }) as jwt.JwtPayload;
    } catch (e) {
      if (e instanceof jwt.TokenExpiredError) throw Errors.unauthenticated('token expired');
      throw Errors.unauthenticated(`invalid token: ${(e as Error).message}`);
    }
    if (typeof payload.exp !== 'number') throw Errors.unauthenticated('invalid token: exp claim required');
    if (typeof payload.tenant !== 'string' || payload.tenant === '') throw Errors.unauthenticated('invalid token: tenant claim required');
    if (typeof payload.scope !== 'string') throw Errors.unauthenticated('invalid token: scope claim required');
    return {
      sub: typeof payload.sub === 'string' ? payload.sub : '',
      tenant: payload.tenant,
      scopes: new Set(payload.scope.split(/\s+/).filter(Boolean)),
      exp: payload.exp,
    };
  }
}

/** Throws 403 unless the principal holds `scope` (or `admin`) for `tenant`. */
export function authorize(p: Principal, scope: Scope, tenant?: string): void {
  if (!p.scopes.has(scope) && !p.scopes.has('admin')) throw Errors.forbidden(`token lacks scope ${scope}`);
  if (tenant !== undefined && p.tenant !== ALL_TENANTS && p.tenant !== tenant) {
    throw Errors.forbidden(`token is not valid for tenant ${tenant}`);
  }
}

/** Throws 403 unless the principal is an administrator of every tenant. */
export function authorizeAdmin(p: Principal): void {
  if (!p.scopes.has('admin') || p.tenant !== ALL_TENANTS) throw Errors.forbidden('only an administrator (tenant "*", scope admin) may do this');
}

export interface TokenRequest {
  tenant: string;
  scope: string;
  ttlSeconds: number;
  sub?: string;
  issuer?: string;
  audience?: string;
}

/** Mints an HS256 token with the shared secret (the `arbiter token` command and the bootstrap tokens). */
export function mintToken(secret: string, req: TokenRequest): string {
  const scopes = req.scope.split(/\s+/).filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new Error(`unknown scope(s): ${unknown.join(', ')} (known: ${SCOPES.join(', ')})`);
  if (scopes.length === 0) throw new Error('at least one scope is required');
  if (!(req.ttlSeconds > 0)) throw new Error('ttl must be positive');
  return jwt.sign({ tenant: req.tenant, scope: scopes.join(' ') }, secret, {
    algorithm: 'HS256',
    expiresIn: req.ttlSeconds,
    subject: req.sub ?? `token:${req.tenant}`,
    ...(req.issuer ? { issuer: req.issuer } : {}),
    ...(req.audience ? { audience: req.audience } : {}),
  });
}
