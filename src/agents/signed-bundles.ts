// The archives served to agents: each stored version re-packed with a `.signatures.json` made
// with Arbiter's own key (any signature the uploader included is replaced). Signing costs an
// unpack, a hash of every file and a gzip, so results are kept by digest and key; concurrent
// requests for the same version share one build.

import { readBundle, signBundleFiles, writeBundle, type BundleFile, type BundleLimits, type SigningKey } from '../bundle';

const CACHE_LIMIT = 64;

export class SignedBundles {
  private readonly cache = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly key: SigningKey,
    private readonly scope: string,
    private readonly limits: BundleLimits = {},
  ) {}

  /** The signed archive of the version with `digest`; `load` fetches the stored archive on a miss. */
  get(digest: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const cacheKey = `${digest}|${this.key.kid}`;
    const hit = this.cache.get(cacheKey);
    if (hit) {
      // Refresh its place so frequently served versions stay.
      this.cache.delete(cacheKey);
      this.cache.set(cacheKey, hit);
      return hit;
    }
    const built = load().then(async (archive) => this.signFiles((await readBundle(archive, this.limits)).files));
    this.cache.set(cacheKey, built);
    built.catch(() => this.cache.delete(cacheKey));
    while (this.cache.size > CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    return built;
  }

  /** Signs and packs files (also used for discovery bundles, which are never stored). */
  signFiles(files: BundleFile[]): Promise<Buffer> {
    return writeBundle(signBundleFiles(files, this.key, this.scope));
  }
}
