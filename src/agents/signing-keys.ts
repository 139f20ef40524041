// Arbiter's own bundle-signing key: generated into the data directory on first start (one file
// per algorithm, so switching RS256 <-> ES256 keeps the old key published for agents that still
// trust it). The key id is derived from the public key, so every worker and replica that reads
// the same file signs with the same `kid`.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SigningKey } from '../bundle';
import { readOrCreateFile } from '../files';

export type ArbiterAlgorithm = 'RS256' | 'ES256';

/** One entry of `GET /keys`, shaped like OPA's `keys` configuration. */
export interface PublishedKey {
  kid: string;
  algorithm: ArbiterAlgorithm;
  key: string;
  scope: string;
}

const KEY_FILE = /^bundle-signing-(rs256|es256)\.pem$/;

export function keyFileName(algorithm: ArbiterAlgorithm): string {
  return `bundle-signing-${algorithm.toLowerCase()}.pem`;
}

function generatePem(algorithm: ArbiterAlgorithm): string {
  const { privateKey } =
    algorithm === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Reads the key of `algorithm` from `dir`, generating it first when absent (safe across processes). */
function ensureKeyFile(dir: string, algorithm: ArbiterAlgorithm): string {
  return readOrCreateFile(join(dir, keyFileName(algorithm)), () => generatePem(algorithm), 0o600);
}

function describe(privatePem: string, algorithm: ArbiterAlgorithm, scope: string): { signing: SigningKey; published: PublishedKey } {
  const publicPem = createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'pem' }).toString();
  const der = createPublicKey(publicPem).export({ type: 'spki', format: 'der' });
  const kid = `arbiter-${createHash('sha256').update(der).digest('hex').slice(0, 16)}`;
  return { signing: { kid, algorithm, privateKeyPem: privatePem }, published: { kid, algorithm, key: publicPem, scope } };
}

export class ArbiterKeys {
  /** The key served bundles are signed with now. */
  readonly signing: SigningKey;
  readonly scope: string;
  private readonly published: PublishedKey[];

  /**
   * With `keyFile`, signs with that key (every replica configured alike signs alike); otherwise
   * with the data directory's key of `algorithm`, generated on first use.
   */
  constructor(dataDir: string, algorithm: ArbiterAlgorithm, scope: string, keyFile?: string) {
    this.scope = scope;
    if (keyFile) {
      const pem = readFileSync(keyFile, 'utf8');
      const active = describe(pem, algorithmOf(pem, keyFile), scope);
      this.signing = active.signing;
      this.published = [active.published];
      return;
    }
    const active = describe(ensureKeyFile(dataDir, algorithm), algorithm, scope);
    this.signing = active.signing;
    this.published = [active.published];
    for (const name of readdirSync(dataDir).sort()) {
      const m = KEY_FILE.exec(name);
      if (!m || name === keyFileName(algorithm)) continue;
      const other = m[1].toUpperCase() as ArbiterAlgorithm;
      this.published.push(describe(readFileSync(join(dataDir, name), 'utf8'), other, scope).published);
    }
  }

  get kid(): string {
    return this.signing.kid;
  }

  /** Every public key agents may need: the active one first. */
  publicKeys(): PublishedKey[] {
    return this.published.map((k) => ({ ...k }));
  }
}

/** RS256 for an RSA key, ES256 for an EC P-256 key; anything else is refused. */
function algorithmOf(pem: string, file: string): ArbiterAlgorithm {
  let key;
  try {
    key = createPrivateKey(pem);
  } catch (e) {
    throw new Error(`${file}: not a PEM private key (${(e as Error).message})`);
  }
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  throw new Error(`${file}: use an RSA key (RS256) or an EC P-256 key (ES256)`);
}
