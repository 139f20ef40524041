// Key pairs for tests, as KeyObjects read back from PEM rather than the ones generateKeyPairSync
// returns. On Node 20 exporting such a generated key to JWK can deadlock: the export holds the
// key's mutex while it allocates, and a garbage collection that finalizes the generating job
// takes the same mutex (seen in CI: jwt.test.ts hung in ExportJWKRsaKey -> GC -> ~KeyGenJob; a
// loop of generate + JWK export with a 1 MB young generation hangs within a second, while the
// same loop on keys read back from PEM, or exporting PEM, does not).
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

type KeyPairOptions = { modulusLength?: number; namedCurve?: string };

export function keyPair(type: 'rsa' | 'ec' | 'ed25519', options: KeyPairOptions = {}): { privateKey: KeyObject; publicKey: KeyObject } {
  const generated =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 })
      : type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: options.namedCurve ?? 'P-256' })
        : generateKeyPairSync('ed25519');
  const privateKey = createPrivateKey(generated.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return { privateKey, publicKey: createPublicKey(privateKey) };
}
