export {
  assertKeylessPolicy,
  FULCIO_ISSUER_V1_OID,
  FULCIO_ISSUER_V2_OID,
  toCertificateIdentity,
  verifyCertificateIdentity,
  type CertificateIdentity,
} from './identity.js';
export {
  MAX_TRUSTED_ROOT_BYTES,
  parseSigstoreTrustedRoot,
  readSigstoreTrustedRootFile,
} from './trusted-root.js';
export { toDigestArtifact } from './artifact.js';
export { MAX_SIGSTORE_BUNDLE_BYTES, parseSigstoreBundle } from './bundle.js';
export { verifyParsedSigstoreBundle, verifySigstoreBundle } from './verify-bundle.js';
export type {
  ArtifactDigestAlgorithm,
  SigstoreArtifact,
  SigstorePolicy,
  SigstoreSigner,
  SigstoreTrustMaterial,
  SigstoreVerifyOptions,
} from './sigstore.types.js';
