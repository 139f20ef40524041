// Tenants' own public keys, and whether their uploads must be signed by one of them (the CI that
// built a bundle signs it; Arbiter checks it before storing). Kept in the store's settings as one
// JSON document per tenant. Only public keys are accepted: the document is readable over the API.

import { createPublicKey } from 'node:crypto';
import { BundleError, isSignaturesFile, verifyBundleSignature, type BundleFile } from '../bundle';
import { NotFoundError, type Store } from '../store/types';

export interface TenantKey {
  kid: string;
  algorithm: string;
  key: string;
  scope?: string;
}

export interface TenantSigning {
  require_signed_uploads: boolean;
  keys: TenantKey[];
}

export interface UploadProblem {
  code: string;
  message: string;
}

/** A request to change a tenant's keys that cannot be accepted; `problems` says why. */
export class TenantKeysError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'TenantKeysError';
  }
}

const ALGORITHMS = /^(RS|PS|ES)(256|384|512)$/;
const KID = /^[A-Za-z0-9._:-]{1,128}$/;
const settingKey = (tenant: string) => `tenant-signing:${tenant}`;

/** Checks the body of `PUT /tenants/{t}/keys`; throws TenantKeysError listing every problem. */
export function parseTenantSigning(body: unknown): TenantSigning {
  const problems: string[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new TenantKeysError(['body must be an object {"require_signed_uploads": bool, "keys": [...]}']);
  const b = body as Record<string, unknown>;
  const require = b.require_signed_uploads ?? false;
  if (typeof require !== 'boolean') problems.push('require_signed_uploads must be a boolean');
  const list = b.keys ?? [];
  if (!Array.isArray(list)) throw new TenantKeysError([...problems, 'keys must be an array']);
  const keys: TenantKey[] = [];
  const seen = new Set<string>();
  list.forEach((k: unknown, i) => {
    const where = `keys[${i}]`;
    if (typeof k !== 'object' || k === null) return void problems.push(`${where} must be an object`);
    const { kid, algorithm = 'RS256', key, scope } = k as Record<string, unknown>;
    if (typeof kid !== 'string' || !KID.test(kid)) problems.push(`${where}.kid must be 1-128 letters, digits or . _ : -`);
    else if (seen.has(kid)) problems.push(`${where}.kid ${kid} appears more than once`);
    else seen.add(kid);
    if (typeof algorithm !== 'string' || !ALGORITHMS.test(algorithm)) problems.push(`${where}.algorithm must be one of RS256/384/512, PS256/384/512, ES256/384/512`);
    if (scope !== undefined && typeof scope !== 'string') problems.push(`${where}.scope must be a string`);
    if (typeof key !== 'string') problems.push(`${where}.key must be a PEM public key`);
    else {
      try {
        const parsed = createPublicKey(key);
        const family = typeof algorithm === 'string' ? algorithm.slice(0, 2) : '';
        const type = parsed.asymmetricKeyType;
        if ((family === 'ES' && type !== 'ec') || ((family === 'RS' || family === 'PS') && type !== 'rsa' && type !== 'rsa-pss')) {
          problems.push(`${where}.key is a ${type} key, which cannot verify ${String(algorithm)}`);
        }
      } catch {
        problems.push(`${where}.key must be a PEM public key`);
      }
    }
    if (typeof kid === 'string' && typeof key === 'string' && typeof algorithm === 'string') {
      keys.push({ kid, algorithm, key, ...(typeof scope === 'string' ? { scope } : {}) });
    }
  });
  if (require === true && list.length === 0) problems.push('require_signed_uploads needs at least one key');
  if (problems.length > 0) throw new TenantKeysError(problems);
  return { require_signed_uploads: require as boolean, keys };
}

/** As stored: with the tenant's creation time, so a deleted and re-created tenant starts without keys. */
interface StoredSigning extends TenantSigning {
  tenant_created_at: string;
}

const NO_KEYS: TenantSigning = { require_signed_uploads: false, keys: [] };

export class TenantKeys {
  constructor(private readonly store: Pick<Store, 'getSetting' | 'setSetting' | 'getTenant'>) {}

  async get(tenant: string): Promise<TenantSigning> {
    const raw = await this.store.getSetting(settingKey(tenant));
    if (!raw) return NO_KEYS;
    const { tenant_created_at: createdAt, ...signing } = JSON.parse(raw) as StoredSigning;
    return createdAt === (await this.store.getTenant(tenant))?.created_at ? signing : NO_KEYS;
  }

  async set(tenant: string, signing: TenantSigning): Promise<void> {
    const t = await this.store.getTenant(tenant);
    if (!t) throw new NotFoundError(`tenant ${tenant} not found`);
    const stored: StoredSigning = { ...signing, tenant_created_at: t.created_at };
    await this.store.setSetting(settingKey(tenant), JSON.stringify(stored));
  }

  /**
   * Problems of an upload under the tenant's policy, with OPA's verification messages: when
   * signed uploads are required every upload is verified; otherwise a signed upload is verified
   * when the tenant has keys, and an unsigned one passes.
   */
  async checkUpload(tenant: string, files: BundleFile[]): Promise<UploadProblem[]> {
    const signing = await this.get(tenant);
    const signed = files.some((f) => isSignaturesFile(f.path));
    if (!signing.require_signed_uploads && (!signed || signing.keys.length === 0)) return [];
    try {
      verifyBundleSignature(files, signing.keys);
      return [];
    } catch (e) {
      if (!(e instanceof BundleError)) throw e;
      return e.problems.map((p) => ({ code: 'bundle_signature_error', message: `bundle signature verification failed: ${p.message}` }));
    }
  }
}
