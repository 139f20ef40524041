// The bundle area's public API: read, validate, write, sign and verify OPA bundles.

export { BundleError, describeProblem, type Problem } from './errors';
export {
  readBundle,
  parseBundleFiles,
  DEFAULT_BUNDLE_LIMITS,
  type BundleFile,
  type BundleLimits,
  type BundleModule,
  type ParsedBundle,
} from './read';
export type { Manifest, WasmResolver } from './manifest';
export { writeBundle } from './write';
export { validateBundle, moduleOfTest, type ValidateOptions } from './validate';
export {
  signBundleFiles,
  verifyBundleSignature,
  fileDigest,
  isSignaturesFile,
  SIGNATURES_FILE,
  type SigningAlgorithm,
  type SigningKey,
  type SignedFile,
  type VerificationKey,
  type VerificationKeys,
  type VerifiedSignature,
  type VerifyOptions,
} from './sign';
export { buildBundleFromDir, isBundleContentFile } from './build';
export { canonicalJSON } from './json';
