export { ATTESTOR_VERIFIER_TYPE, attestingAuthorities } from './attestor/index.js';
export { judges } from './judges.js';
export { describeTrustProblems, trustMaterialOf, verifierOf } from './trust-material.js';
export type { TrustMaterial, TrustProblem } from './trust-material.js';
export type { ArtifactVerifier, ArtifactVerifyInput } from './verifier.types.js';
// What policy/ needs of cosign, from its modules that need no Sigstore: cosign/index.js (and Sigstore with it) is
// imported only when a cosign Verifier is configured (trust-material.ts).
export { isJudged, reasonsOf } from './cosign/bundle-proofs.js';
export type { BundlePolicy, BundleProof, BundleVerdict } from './cosign/bundle-proofs.js';
export {
  COSIGN_SIGNATURES_REMEDIATION,
  SIGSTORE_BUNDLE_MEDIA_TYPES,
  distinctSigningKeys,
  isCosignVerifier,
} from './cosign/policy-terms.js';
export type { CosignFinding, CosignTrustTerms, CosignVerifier, JudgedBundle } from './cosign/index.js';
